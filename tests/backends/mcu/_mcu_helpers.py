"""Shared by the MCU backend tests: the tools each run needs, graph building, and the comparison of a
compiled model against the reference executor."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType
from tessera.ir.graph import Value
from tessera.ir.ops import lookup

HOST_TOOLS = ("gcc", "make")
QEMU_TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm", "make")


def f32(shape: Sequence[int]) -> TensorType:
    return TensorType(DType.FLOAT32, tuple(shape))


def node(g: Graph, op: str, inputs: Sequence[Value], name: str | None = None, **attrs: Any) -> Value:
    return g.add_node(lookup(op), list(inputs), attrs, name=name).output


def const(g: Graph, name: str, data: np.ndarray) -> Value:
    return g.add_constant(name, np.asarray(data, dtype=np.float32))


def random_inputs(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for v in graph.inputs:
        if v.dtype is DType.FLOAT32:
            out[v.name] = rng.standard_normal(v.shape).astype(np.float32)
        else:
            out[v.name] = rng.integers(0, 16, v.shape).astype(v.dtype.numpy())
    return out


def assert_close(got: Mapping[str, np.ndarray], want: Mapping[str, np.ndarray], rtol: float = 1e-4) -> None:
    """Float outputs within `rtol` relative, with an absolute floor of rtol x the output's scale
    (sums in another order differ by rounding near zero); other dtypes bit-exact."""
    assert set(got) == set(want)
    for name, ref in want.items():
        assert got[name].shape == ref.shape, name
        if ref.dtype.kind == "f":
            scale = float(np.abs(ref).max()) if ref.size else 0.0
            np.testing.assert_allclose(got[name], ref, rtol=rtol, atol=rtol * max(scale, 1e-6), err_msg=name)
        else:
            np.testing.assert_array_equal(got[name], ref, err_msg=name)


def check_on(source: Any, on: str = "host", sanitize: bool = False, seed: int = 0, **compile_args: Any) -> Any:
    """Compile for the MCU target, run on `on`, compare with the reference executor; the result."""
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)
    result = tessera.compile(source, target="mcu", **compile_args)
    inputs = random_inputs(result.graph, seed)
    options = {"on": on, "sanitize": True} if sanitize else {"on": on}
    assert_close(result.run(inputs, **options), execute(result.graph, inputs))
    return result


def torch_onnx(module: Any, example: Any, names: Sequence[str] = ("x",)) -> bytes:
    """A torch module exported to ONNX bytes (TorchScript exporter, opset 17)."""
    torch = require("torch", TORCH)
    buf = io.BytesIO()
    args = example if isinstance(example, tuple) else (example,)
    with torch.no_grad():
        torch.onnx.export(module.eval(), args, buf, dynamo=False, input_names=list(names), opset_version=17)
    return buf.getvalue()
