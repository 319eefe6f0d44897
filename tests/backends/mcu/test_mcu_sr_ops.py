"""The MCU ops of binarized super-resolution networks: Abs, Split, DepthToSpace and PRelu against the
reference executor bit for bit (one graph, inputs with -0.0, 0, NaN and infinities), built on the host
under ASan + UBSan and for QEMU (Cortex-M4); a refused PRelu slope; then binarized, bit-packed EDSR
(Bi-Real and SCALES) and SRResNet (SCALES, PRelu from the ONNX frontend) compiled for the MCU and run
on the host (sanitized) and QEMU within the MCU tests' float tolerance."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, QEMU_TOOLS, assert_close, const, f32, node, random_inputs
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute
from tessera.errors import TargetError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.graph import Value
from tessera.ir.ops import lookup

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def split(g: Graph, x: Value, name: str, **attrs: Any) -> list[Value]:
    count = len(attrs["split"]) if "split" in attrs else attrs["num_outputs"]
    attrs = {"split": None, "num_outputs": None, **attrs}
    return list(g.add_node(lookup("Split"), [x], attrs, name=name, num_outputs=count).outputs)


def sr_ops_graph() -> Graph:
    """Every form in one graph: Split along each axis (sizes, num_outputs with a smaller last part, an
    unread part, int64), DepthToSpace DCR / CRD with blocksize 2 and 3 (float32 and int8), PRelu with a
    (C, 1, 1), (1, C, 1, 1), scalar, (1,), last-axis and runtime slope, one PRelu and one Abs in place."""
    rng = np.random.default_rng(11)
    g = Graph("sr_ops")
    x = g.add_input("x", f32((2, 8, 3, 5)))
    x3 = g.add_input("x3", f32((1, 18, 2, 3)))
    q = g.add_input("q", TensorType(DType.INT8, (1, 8, 2, 3)))
    ids = g.add_input("ids", TensorType(DType.INT64, (2, 6)))
    slope_in = g.add_input("slope", f32((8, 1, 1)))
    slope = lambda *s: const(g, f"s{len(g.constants)}", rng.uniform(-0.5, 0.5, s))  # noqa: E731
    unread = split(g, x, "split_unread", axis=2, num_outputs=3)
    g.outputs += [
        node(g, "Abs", [x]),
        node(g, "Abs", [node(g, "Sub", [x, const(g, "one", np.float32(1))])], name="abs_inplace"),
        *split(g, x, "split_c", axis=1, split=(3, 5)),
        *split(g, x, "split_w", axis=-1, num_outputs=2),  # 3 + 2
        *split(g, x, "split_n", axis=0, num_outputs=2),
        unread[0],
        unread[2],
        *split(g, ids, "split_ids", axis=1, split=(1, 0, 5)),  # an empty part
        node(g, "DepthToSpace", [x], blocksize=2, mode="DCR"),
        node(g, "DepthToSpace", [x], blocksize=2, mode="CRD"),
        node(g, "DepthToSpace", [x3], blocksize=3, mode="DCR"),
        node(g, "DepthToSpace", [x3], blocksize=3, mode="CRD"),
        node(g, "DepthToSpace", [q], blocksize=2, mode="CRD"),
        node(g, "PRelu", [x, slope(8, 1, 1)]),
        node(g, "PRelu", [x, slope(1, 8, 1, 1)]),
        node(g, "PRelu", [x, const(g, "scalar", np.float32(0.25))]),
        node(g, "PRelu", [x, slope(1)]),
        node(g, "PRelu", [x, slope(5)]),
        node(g, "PRelu", [x, slope_in]),
        node(g, "PRelu", [node(g, "Neg", [x]), slope(8, 1, 1)], name="prelu_inplace"),
    ]
    return g


def special_inputs(graph: Graph, seed: int) -> dict[str, np.ndarray]:
    """Random inputs with exact zeros, -0.0, NaNs of both signs and infinities among the data; the
    runtime slope stays finite and non-zero: -inf * 0 makes a NaN whose sign is the hardware's (x86
    sets it, Arm does not), which IEEE 754 leaves open."""
    values = random_inputs(graph, seed)
    for name, v in values.items():
        if v.dtype == np.float32 and name != "slope":
            flat = v.reshape(-1)
            flat[::9], flat[4::13], flat[2::17] = 0.0, -0.0, -np.inf
            flat[6::19], flat[7::23], flat[5::29] = np.nan, -np.float32(np.nan), np.inf
    values["q"] = np.random.default_rng(seed).integers(-128, 128, (1, 8, 2, 3)).astype(np.int8)
    return values


def assert_bit_exact(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert set(got) == set(want)
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype and got[name].shape == ref.shape, name
        assert got[name].tobytes() == ref.tobytes(), name  # float32 bits too: -0.0, NaN payloads


@pytest.mark.parametrize("on", ["host", "qemu"])
def test_sr_ops_equal_the_reference_bit_for_bit(on: str) -> None:
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)
    result = tessera.compile(sr_ops_graph(), target="mcu", passes=[])
    in_place = {n.name for n in result.graph.nodes if n.outputs[0].name in result.artifact.cmodel.plan.aliases}
    assert {"abs_inplace", "prelu_inplace"} <= in_place  # each overwrites the Sub / Neg output it reads
    inputs = special_inputs(result.graph, seed=5)
    got = result.run(inputs, on=on, sanitize=True) if on == "host" else result.run(inputs, on="qemu")
    assert_bit_exact(got, execute(result.graph, inputs))


def test_a_prelu_slope_on_non_adjacent_axes_is_refused_naming_the_node() -> None:
    g = Graph("prelu_refused")
    x = g.add_input("x", f32((1, 4, 3, 5)))
    g.outputs.append(node(g, "PRelu", [x, const(g, "s", np.full((4, 1, 5), 0.1))], name="act"))
    with pytest.raises(TargetError, match=r"'PRelu act': PRelu slope of shape \(4, 1, 5\) varies along axes"):
        tessera.compile(g, target="mcu", passes=[])


SR_MODELS = {
    "edsr-bireal": ("edsr-baseline", "bireal", "export"),
    "edsr-scales": ("edsr-baseline", "scales", "export"),
    "srresnet-scales": ("srresnet", "scales", "onnx"),  # torch.export decomposes PReLU; the ONNX path keeps it
}


@functools.cache
def float_sr(name: str, frontend: str) -> Graph:
    """A zoo SR model (x2, one residual block, 8x8 input) loaded into a float graph."""
    torch = require("torch", TORCH)
    model = tessera.zoo.get(name, scale=2, resolution=8, blocks=1)
    return tessera.load(model.module, example_inputs=(torch.zeros(1, 3, 8, 8),), frontend=frontend)


@functools.cache
def binarized_sr(key: str) -> tessera.CompileResult:
    """The model binarized and bit-packed, compiled for the MCU."""
    name, scaling, frontend = SR_MODELS[key]
    packed = tessera.binarize(float_sr(name, frontend), scaling=scaling).graph
    ops = {n.op.name for n in packed.nodes}
    assert {"PackBits", "BinaryConv", "DepthToSpace"} <= ops and "BinarySign" not in ops
    return tessera.compile(packed, target="mcu", passes=[])


@pytest.mark.parametrize("on", ["host", "qemu"])
@pytest.mark.parametrize("key", list(SR_MODELS))
def test_binarized_sr_models_match_the_reference(key: str, on: str) -> None:
    """Within the MCU tests' 1e-4 relative tolerance (the float convolutions sum in another order);
    with these seeds no PackBits bit flips (measured max |err| 3e-6 to 2e-5 at output scales of 5 to 17)."""
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)
    result = binarized_sr(key)
    inputs = random_inputs(result.graph, seed=0)
    got = result.run(inputs, on=on, sanitize=True) if on == "host" else result.run(inputs, on="qemu")
    assert_close(got, execute(result.graph, inputs))
    if on == "qemu":
        assert result.artifact.last_stats.instructions > 1_000_000
