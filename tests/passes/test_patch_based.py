"""patch-based: every patch computes exactly the whole-image values (float within rounding, int8
bit-exact), on hand-built CNNs with stride 2, depthwise, asymmetric pads, a residual add, pools and
odd sizes the grid does not divide; bad options give a PassError naming them."""

import numpy as np
import pytest
from _patch_cnn import inputs, int8_cnn, int8_inputs, small_cnn

from tessera.backends.mcu import inplace_rules
from tessera.backends.reference import execute
from tessera.errors import PassError
from tessera.ir.verifier import verify
from tessera.passes import PassManager, get_pass
from tessera.passes.tiling import candidate_cuts, patch_graph


def patch_pass(**options):
    """The patch-based pass scoring arenas with the MCU kernels' in-place rules (as the mcu target binds)."""
    return get_pass("patch-based", inplace_rules=inplace_rules(), **options)


def _same(before, after, feeds, exact: bool) -> None:
    want, got = execute(before, feeds), execute(after, feeds)
    assert want.keys() == got.keys()
    for k in want:
        if exact:
            np.testing.assert_array_equal(got[k], want[k])
        else:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cut", ["res", "pool", "dw2"])
@pytest.mark.parametrize("grid", [2, 3])
def test_float_patches_match_whole_image(cut: str, grid: int) -> None:
    graph = small_cnn()
    patched = patch_graph(graph, cut, grid)
    verify(patched)
    assert patched.op_counts()["InsertSlice"] == grid * grid
    for seed in range(2):
        _same(graph, patched, inputs(graph, seed), exact=False)


def test_every_intermediate_before_the_cut_matches() -> None:
    """The cut tensor itself (not only the model output) is rebuilt exactly."""
    graph = small_cnn(17, 9)
    graph.outputs.insert(0, graph.value("pool"))
    patched = patch_graph(graph, "pool", 4)
    _same(graph, patched, inputs(graph, 3), exact=False)
    assert patched.outputs[0].name == "pool"


@pytest.mark.parametrize("int8_io", [False, True])
def test_int8_patches_bit_exact(int8_io: bool) -> None:
    graph = int8_cnn(int8_io=int8_io)
    assert {"res_i8", "pool_i8", "dw2_i8"} <= set(candidate_cuts(graph))
    for cut, grid in [("pool_i8", 3), ("dw2_i8", 2), ("res_i8", 4)]:
        patched = patch_graph(graph, cut, grid)
        verify(patched)
        for seed in range(2):
            _same(graph, patched, int8_inputs(graph, seed), exact=True)


def test_auto_choice_lowers_the_arena_and_reports() -> None:
    graph = small_cnn(40, 40, width=32)
    result = PassManager([patch_pass()]).run(graph.copy())
    (record,) = result.records
    report = record.report
    assert record.modified and report.cut in candidate_cuts(graph) and report.grid in (2, 3, 4)
    assert report.arena_after_bytes < report.arena_before_bytes
    assert report.macs_after > report.macs_before and report.mac_overhead > 0
    assert report.candidates >= 3 and report.patches == report.grid**2
    assert "mac_overhead" in report.to_dict() and "cut:" in report.render_text()
    _same(graph, result.graph, inputs(graph, 1), exact=False)


def test_patches_run_depth_first() -> None:
    patched = patch_graph(small_cnn(), "res", 2)
    names = [n.name for n in patched.nodes]
    inserts = [i for i, n in enumerate(names) if "@insert" in n]
    assert inserts == sorted(inserts) and len(inserts) == 4
    first_patch = names[: inserts[0]]
    assert all("@p0" in n for n in first_patch)  # patch 0 runs through the whole stage first


def test_bad_options_name_the_problem() -> None:
    graph = small_cnn()
    with pytest.raises(PassError, match="'nope'"):
        patch_pass(cut="nope", grid=2).run(graph.copy())
    with pytest.raises(PassError, match="grid 9"):
        patch_pass(cut="dw2", grid=9).run(graph.copy())  # dw2 is 4 x 3
    with pytest.raises(PassError, match="does not end a patchable stage: tensor 'flat' is not a 4-D"):
        patch_pass(cut=graph.outputs[0].name, grid=2).run(graph.copy())
    with pytest.raises(PassError, match="grid must be"):
        patch_pass(grid=-1).run(graph.copy())


def test_graph_without_a_stage_is_left_alone() -> None:
    from conftest import chain_graph

    result = patch_pass().run(chain_graph())
    assert not result.modified and result.report.skipped == "no stage to patch"


def test_caller_held_inputs_are_not_scored() -> None:
    graph = small_cnn(40, 40, width=32)
    counted = patch_pass().run(graph.copy()).report
    caller = patch_pass(count_inputs=False).run(graph.copy()).report
    image = graph.inputs[0].type.nbytes
    assert caller.peak_before_bytes <= counted.peak_before_bytes
    assert caller.peak_after_bytes <= counted.peak_after_bytes - image


def test_explicit_cut_with_automatic_grid_skips_grids_finer_than_the_cut() -> None:
    graph = small_cnn()  # dw2 is 4 x 3: grids 2 and 3 fit, 4 does not
    result = patch_pass(cut="dw2").run(graph.copy())
    assert result.report.candidates == 2
    if result.modified:
        _same(graph, result.graph, inputs(graph, 0), exact=False)


def test_max_grid_widens_the_search_and_mac_cap_narrows_it() -> None:
    graph = small_cnn(40, 40, width=32)
    wide = patch_pass(max_grid=6).run(graph.copy()).report
    default = patch_pass().run(graph.copy()).report
    assert wide.candidates > default.candidates
    assert wide.arena_after_bytes <= default.arena_after_bytes  # the default's candidates are a subset
    capped = patch_pass(max_grid=6, max_mac_overhead=0.2).run(graph.copy())
    assert capped.report.mac_overhead <= 0.2 and capped.report.candidates < wide.candidates
    if capped.modified:
        _same(graph, capped.graph, inputs(graph, 2), exact=False)


def test_mac_cap_that_no_candidate_meets_leaves_the_graph_and_says_why() -> None:
    result = patch_pass(cut="res", grid=3, max_mac_overhead=0.0).run(small_cnn(40, 40, width=32))
    assert not result.modified and "all 1 candidates add more than max_mac_overhead=0.0" in result.report.skipped
    with pytest.raises(PassError, match="max_mac_overhead must be"):
        patch_pass(max_mac_overhead=-1.0).run(small_cnn())
    with pytest.raises(PassError, match="max_grid >= 2"):
        patch_pass(max_grid=1).run(small_cnn())
