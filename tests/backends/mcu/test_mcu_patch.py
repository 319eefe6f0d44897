"""Patch-based graphs on the MCU target: Slice and InsertSlice kernels, per-patch convolutions with
asymmetric pads, compiled with gcc and compared with the reference executor (float within 1e-4,
int8 bit-exact; once under ASan + UBSan)."""

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, check_on, f32, node
from _patch_cnn import int8_cnn, int8_inputs, small_cnn
from conftest import MCU_TOOLS, require_tools

import tessera
from tessera.backends.mcu import inplace_rules
from tessera.backends.reference import execute
from tessera.errors import TargetError
from tessera.ir import Graph
from tessera.passes import get_pass

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_slice_kernel_strided_and_clamped() -> None:
    g = Graph("slices")
    x = g.add_input("x", f32((2, 5, 7, 6)))
    a = node(g, "Slice", [x], starts=(1, -5, 1), ends=(4, 100, 6), axes=(1, 2, 3), steps=(1, 2, 3))
    b = node(g, "Slice", [x], starts=(1, 0), ends=(2, 3), axes=(0, 3))
    g.outputs += [a, b]
    check_on(g, passes=[])


def test_float_patched_cnn_on_host() -> None:
    patch = get_pass("patch-based", inplace_rules=inplace_rules(), cut="pool", grid=3)
    result = check_on(small_cnn(), passes=[patch])
    assert result.graph.op_counts()["InsertSlice"] == 9
    chain = result.artifact.cmodel.plan.slot_of("pool")  # the InsertSlice chain planned in place
    assert len(chain) == 9
    inserts = [s.code for s in result.artifact.cmodel.steps if s.op == "InsertSlice"]
    assert sum("in place over dest" in code for code in inserts) == 8


@pytest.mark.parametrize("int8_io", [False, True], ids=["f32-io", "int8-io"])
def test_int8_patched_cnn_bit_exact_on_host(int8_io: bool) -> None:
    require_tools(HOST_TOOLS, MCU_TOOLS)
    graph = int8_cnn(int8_io=int8_io)
    result = tessera.compile(
        graph, target="mcu", passes=[get_pass("patch-based", inplace_rules=inplace_rules(), cut="dw2_i8", grid=2)]
    )
    feeds = int8_inputs(graph, 3)
    got = result.run(feeds, sanitize=not int8_io)  # ASan + UBSan once
    want = execute(graph, feeds)  # the unpatched int8 graph
    for name, ref in want.items():
        np.testing.assert_array_equal(got[name], ref, err_msg=name)


def test_memory_schedule_keeps_the_patch_order() -> None:
    """memory-schedule after patch-based must not raise the patched peak (patches stay depth-first)."""
    graph = small_cnn(24, 24, width=32)
    patched = tessera.compile(
        graph.copy(), target="reference", passes=[get_pass("patch-based", inplace_rules=inplace_rules())]
    )
    assert patched.reports[0].modified
    scheduled = tessera.compile(
        graph.copy(),
        target="reference",
        passes=[get_pass("patch-based", inplace_rules=inplace_rules()), get_pass("memory-schedule", time_limit_s=2.0)],
    )
    from tessera.ir.liveness import memory_profile

    assert memory_profile(scheduled.graph).peak_bytes <= memory_profile(patched.graph).peak_bytes


def test_caller_inputs_leave_the_arena() -> None:
    """inputs='caller': the model reads the image in place from the application's buffer; the
    arena shrinks by the input and the outputs stay bit-exact (host, ASan + UBSan)."""
    require_tools(HOST_TOOLS, MCU_TOOLS)
    graph = int8_cnn(int8_io=True)
    patch = get_pass("patch-based", inplace_rules=inplace_rules(), cut="dw2_i8", grid=2)
    arena = tessera.compile(graph.copy(), target="mcu", passes=[patch])
    caller = tessera.compile(graph.copy(), target="mcu", passes=[patch], target_options={"inputs": "caller"})
    image = graph.inputs[0]
    assert caller.artifact.cmodel.plan.arena_bytes < arena.artifact.cmodel.plan.arena_bytes
    assert image.name not in caller.artifact.cmodel.plan.offsets
    feeds = int8_inputs(graph, 4)
    got = caller.run(feeds, sanitize=True)
    for name, ref in execute(graph, feeds).items():
        np.testing.assert_array_equal(got[name], ref, err_msg=name)
    with pytest.raises(TargetError, match="inputs must be"):
        tessera.compile(graph.copy(), target="mcu", passes=[], target_options={"inputs": "flash"})


def test_no_kernel_writes_over_a_caller_held_input() -> None:
    """With a rule that lets QuantizeLinear overwrite its float input, the arena plan uses it for an
    input in the arena, never for one in the caller's buffer."""
    from tessera.passes.memory.arena import plan_arena
    from tessera.passes.memory.model import InPlace

    graph = int8_cnn(int8_io=False)
    rules = {**inplace_rules(), graph.nodes[0].op: lambda node: InPlace(0)}
    quantized = graph.nodes[0].output.name
    assert graph.nodes[0].op.name == "QuantizeLinear"
    assert plan_arena(graph, inplace=rules).aliases.get(quantized) == "image"
    caller = plan_arena(graph, inplace=rules, external=["image"])
    assert quantized not in caller.aliases and "image" not in caller.offsets
