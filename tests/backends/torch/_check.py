"""Shared checks of the torch kernels: one-node graphs run by the module against the reference
executor, under vmap, and through torch.autograd.gradcheck."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from conftest import TORCH, require

torch = require("torch", TORCH)

from tessera.backends.torch import to_torch  # noqa: E402
from tessera.backends.torch.kernel import Call  # noqa: E402
from tessera.backends.torch.table import TABLE  # noqa: E402
from tessera.ir.dtypes import DType  # noqa: E402
from tessera.ir.graph import Graph  # noqa: E402
from tessera.ir.interpreter import execute  # noqa: E402
from tessera.ir.ops.base import Op  # noqa: E402
from tessera.ir.types import TensorType  # noqa: E402


def one_node(
    op: type[Op],
    inputs: Sequence[np.ndarray],
    attrs: Mapping[str, Any] | None = None,
    *,
    consts: Mapping[int, np.ndarray] | None = None,
    num_outputs: int | None = None,
) -> Graph:
    """A graph of one `op` node: `inputs` are graph inputs x0, x1, ...; `consts` (by position)
    are constants c<i> instead."""
    g = Graph(f"one_{op.name}")
    values = []
    consts = dict(consts or {})
    pos = 0
    for i in range(len(inputs) + len(consts)):
        if i in consts:
            values.append(g.add_constant(f"c{i}", consts[i]))
        else:
            a = inputs[pos]
            pos += 1
            values.append(g.add_input(f"x{i}", _type(a)))
    node = g.add_node(op, values, attrs or {}, num_outputs=num_outputs)
    g.outputs = list(node.outputs)
    return g


def _type(a: np.ndarray) -> TensorType:
    return TensorType(DType.from_numpy(a.dtype), tuple(a.shape))


def feeds(graph: Graph, inputs: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    return {v.name: a for v, a in zip(graph.inputs, inputs)}


def check_matches_reference(
    graph: Graph, inputs: Sequence[np.ndarray], *, rtol: float = 1e-5, atol: float = 1e-6, batch: bool = True
) -> None:
    """The module equals the reference executor: floats within rtol/atol (NaN where the reference
    has NaN), everything else exactly; and a batch of two (vmap) equals two single runs."""
    feed = feeds(graph, inputs)
    want = execute(graph, feed)
    module = to_torch(graph)
    with torch.no_grad():
        got = module(**{k: torch.from_numpy(np.array(v)) for k, v in feed.items()})
    for name, ref in want.items():
        _same(name, got[name].numpy(), ref, rtol, atol)
    if not batch:
        return
    rng = np.random.default_rng(1)
    second = [_perturbed(a, rng) for a in inputs]
    other = execute(graph, feeds(graph, second))
    stacked = {v.name: torch.from_numpy(np.stack([a, b])) for v, a, b in zip(graph.inputs, inputs, second)}
    with torch.no_grad():
        got_b = module(**stacked)
    for name in want:
        _same(name, got_b[name][0].numpy(), want[name], rtol, atol)
        _same(name, got_b[name][1].numpy(), other[name], rtol, atol)


def _perturbed(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if a.dtype.kind == "f":
        return np.asarray(a + rng.standard_normal(a.shape).astype(a.dtype) * 0.1, dtype=a.dtype)
    return a.copy()


def _same(name: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> None:
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def check_gradients(op: type[Op], inputs: Sequence[np.ndarray], attrs: Mapping[str, Any] | None = None) -> None:
    """torch.autograd.gradcheck of the op's kernel in float64 with respect to every float input."""
    graph = one_node(op, inputs, attrs)
    node = graph.nodes[0]
    call = Call(node.attrs, tuple(v.type for v in node.inputs), tuple(o.type for o in node.outputs), node=node.name)
    kernel = TABLE[op]
    assert kernel.no_grad is None, f"{op.name} is marked as having no gradient: {kernel.no_grad}"
    tensors = [
        torch.tensor(a, dtype=torch.float64, requires_grad=True) if a.dtype.kind == "f" else torch.from_numpy(a)
        for a in inputs
    ]

    def fn(*xs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(r for r in kernel.fn(list(xs), call) if r.dtype.is_floating_point)

    assert torch.autograd.gradcheck(fn, tuple(tensors), eps=1e-6, atol=1e-5, rtol=1e-4)
