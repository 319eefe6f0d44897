"""Arena planning with the kernels' in-place rules (INPLACE_RULES): which pairs alias, the merged
slots, workspaces, check(), the peak under the same rule, and MemoryModel(kernel_inplace=True)."""

import numpy as np
import pytest
from conftest import chain_graph

import tessera.backends.mcu  # noqa: F401  (registers the MCU kernels' rules)
from tessera.errors import PassError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.liveness import Lifetime
from tessera.ir.ops import lookup
from tessera.passes.memory import PLANNERS, ArenaPlan, MemoryModel, model_profile, plan_arena
from tessera.passes.memory.model import HMCOS, INPLACE_RULES, InPlace, inplace_aliases, register_inplace


def _graph() -> Graph:
    """x(1600 B) -> Relu -> a; a -> Reshape-like Flatten -> b; b -> Sigmoid -> y; y also read by Neg."""
    g = Graph("ip")
    x = g.add_input("x", TensorType(DType.FLOAT32, (4, 100)))
    a = g.add_node(lookup("Relu"), [x], name="relu").output
    b = g.add_node(lookup("Flatten"), [a], {"axis": 0}, name="flat").output
    y = g.add_node(lookup("Sigmoid"), [b], name="sig").output
    z = g.add_node(lookup("Neg"), [y], name="neg").output
    g.outputs += [y, z]
    return g


@pytest.mark.parametrize("method", sorted(PLANNERS))
def test_chain_shares_one_slot_and_graph_outputs_are_kept(method: str) -> None:
    g = _graph()
    plan = plan_arena(g, method, 16, inplace=True)
    # relu over x, flat over relu's output, sig over flat's; neg may not overwrite sig's output (a graph output)
    names = [n.output.name for n in g.nodes]
    assert plan.aliases == {names[0]: "x", names[1]: names[0], names[2]: names[1]}
    assert len({plan.offsets[v] for v in ["x", *names[:3]]}) == 1
    assert plan.offsets[names[3]] != plan.offsets["x"]
    assert plan.slot_of(names[1]) == ("x", *names[:3])
    assert plan.arena_bytes == plan.peak_bytes == 3200 and plan.ratio == 1.0
    assert plan.slot_profile().curve == (1600, 1600, 1600, 3200)
    plain = plan_arena(g, method, 16)
    assert not plain.aliases and not plain.workspaces and plain.arena_bytes == 3200


def test_input_read_later_is_not_overwritten() -> None:
    g = chain_graph()  # x feeds add and mul: add is not x's last reader; relu overwrites add's output
    aliases = {a.node.name: a.input.name for a in inplace_aliases(g)}
    assert aliases == {"relu": g.nodes[0].output.name, "mul": g.nodes[1].output.name}
    plan = plan_arena(g, alignment=1, inplace=True)
    assert plan.offsets[g.nodes[1].output.name] == plan.offsets[g.nodes[0].output.name]
    assert plan.offsets["x"] != plan.offsets[g.nodes[0].output.name]


def test_workspace_slot_and_max_size(monkeypatch) -> None:
    g = Graph("ws")
    x = g.add_input("x", TensorType(DType.FLOAT32, (64,)))
    y = g.add_node(lookup("Tanh"), [x], name="shrink").output
    g.outputs.append(g.add_node(lookup("Relu"), [y], name="tail").output)
    monkeypatch.setitem(INPLACE_RULES, "Tanh", lambda n: InPlace(0, workspace_bytes=40))
    plan = plan_arena(g, "best-fit", 16, inplace=True)
    key = plan.workspaces["shrink"]
    assert plan.workspace_offset("shrink") == plan.offsets[key] and plan.workspace_offset("tail") is None
    assert plan.offsets[y.name] == plan.offsets["x"]
    assert plan.peak_bytes == 256 + 40 and plan.arena_bytes == 256 + 48  # alignment pads the workspace
    prof = model_profile(g, model=MemoryModel(kernel_inplace=True))
    assert prof.peak_bytes == 256 + 40 and prof.curve[0] == 296


def test_register_and_check_only_declared_aliases(monkeypatch) -> None:
    monkeypatch.setitem(INPLACE_RULES, "Tanh", None)
    del INPLACE_RULES["Tanh"]
    rule = register_inplace("Tanh", lambda n: InPlace(0))
    assert INPLACE_RULES["Tanh"] is rule
    spans = (Lifetime("a", 16, 0, 1), Lifetime("b", 16, 1, 2))
    ArenaPlan("x", 16, 16, 16, {"a": 0, "b": 0}, spans, aliases={"b": "a"}).check()
    with pytest.raises(PassError, match="overlaps"):
        ArenaPlan("x", 16, 16, 16, {"a": 0, "b": 0}, spans).check()
    with pytest.raises(PassError, match="overlaps"):  # declared, but not at the same offset
        ArenaPlan("x", 48, 16, 8, {"a": 0, "b": 8}, spans, aliases={"b": "a"}).check()


def test_hmcos_model_is_unchanged_by_kernel_rules() -> None:
    g = _graph()
    assert model_profile(g, model=HMCOS).peak_bytes == model_profile(g, model=MemoryModel(inplace=True)).peak_bytes
    assert MemoryModel(inplace=True) == HMCOS and not HMCOS.kernel_inplace
    assert model_profile(g, model=MemoryModel(kernel_inplace=True)).peak_bytes == 3200


def test_constant_input_is_never_overwritten() -> None:
    g = Graph("c")
    x = g.add_input("x", TensorType(DType.FLOAT32, (3,)))
    c = g.add_constant("c", np.ones(3, np.float32))
    g.outputs.append(g.add_node(lookup("Add"), [c, x], name="add").output)
    assert [(a.node.name, a.input.name) for a in inplace_aliases(g)] == [("add", "x")]


@pytest.mark.parametrize("method", sorted(PLANNERS))
def test_smaller_output_frees_the_rest_of_its_input(monkeypatch, method: str) -> None:
    """x (1600 B) -> a reduction written over it (16 B) -> a broadcast product of 1600 B: the product
    fits beside the 16 B, where a rectangle slot of 1600 B would force 3200 B."""
    monkeypatch.setitem(INPLACE_RULES, "ReduceSum", lambda n: InPlace(0))
    g = Graph("stair")
    x = g.add_input("x", TensorType(DType.FLOAT32, (4, 100)))
    s = g.add_node(lookup("ReduceSum"), [x], {"axes": (1,)}, name="sum").output
    e = g.add_node(lookup("Mul"), [s, g.add_constant("c", np.ones((4, 100), np.float32))], name="bcast").output
    g.outputs.append(g.add_node(lookup("Add"), [e, s], name="add").output)
    plan = plan_arena(g, method, 16, inplace=True)
    assert plan.aliases == {s.name: "x", g.outputs[0].name: e.name}
    assert plan.peak_bytes == 1616 and plan.arena_bytes == 1616 and plan.optimal
    assert plan.slot_profile().peak_values == (e.name, "x")
    assert plan_arena(g, method, 16).arena_bytes == 3216


def test_schedulers_refuse_the_kernel_rule_model() -> None:
    from tessera.passes.memory import schedule

    with pytest.raises(PassError, match="kernel_inplace"):
        schedule(_graph(), "greedy", model=MemoryModel(kernel_inplace=True))


def test_memory_plan_pass_option() -> None:
    from tessera.backends.mcu import inplace_rules
    from tessera.passes import get_pass

    report = get_pass("memory-plan", inplace=True, inplace_rules=inplace_rules()).run(_graph()).report
    assert report.inplace and len(report.aliases) == 3 and report.arena_bytes == 3200
    assert "aliases: 3" in report.render_text()
    assert not get_pass("memory-plan").run(_graph()).report.aliases
