"""Shared helpers for the pass tests: build small graphs, run a pass, check it kept the numerics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType, verify
from tessera.ir.ops import Op, lookup
from tessera.passes import PassResult, get_pass

F32 = DType.FLOAT32


def op(name: str) -> type[Op]:
    found = lookup(name)
    assert found is not None, f"op {name} is not registered"
    return found


def f32(*shape: int) -> TensorType:
    return TensorType(F32, tuple(shape))


def random_inputs(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = {}
    for v in graph.inputs:
        dtype = v.dtype.numpy()
        if dtype.kind == "f":
            inputs[v.name] = rng.standard_normal(v.shape).astype(dtype)
        elif dtype.kind == "b":
            inputs[v.name] = rng.random(v.shape) < 0.5
        else:
            inputs[v.name] = rng.integers(0, 5, v.shape).astype(dtype)
    return inputs


def assert_same_outputs(before: Graph, after: Graph, seed: int = 0, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    """Both graphs take the same inputs and give the same outputs, by name and value."""
    assert [(v.name, v.type) for v in after.inputs] == [(v.name, v.type) for v in before.inputs]
    assert [(v.name, v.type) for v in after.outputs] == [(v.name, v.type) for v in before.outputs]
    inputs = random_inputs(before, seed)
    want, got = execute(before, inputs), execute(after, inputs)
    for name, expected in want.items():
        np.testing.assert_allclose(got[name], expected, rtol=rtol, atol=atol, err_msg=f"output {name}")


def run_checked(name: str, graph: Graph, *, seed: int = 0, rtol: float = 1e-5, **options: Any) -> PassResult:
    """Run pass `name` on `graph`; check the result verifies and computes what the input did."""
    before = graph.copy()
    result = get_pass(name, **options).run(graph)
    verify(result.graph)
    assert_same_outputs(before, result.graph, seed=seed, rtol=rtol)
    return result


def counts(graph: Graph) -> Mapping[str, int]:
    return graph.op_counts()


# ---- random graphs -------------------------------------------------------------------------------
C, H, W = 4, 5, 5
IMAGE = (1, C, H, W)


def random_graph(seed: int, size: int = 14) -> Graph:
    """A random DAG over values of shape (1, 4, 5, 5): Add, Mul, Relu, Identity, Dropout, constant
    subexpressions, Reshape round trips and no-op Reshapes, Transpose pairs, Conv + BatchNormalization
    (sometimes with a second reader of the Conv), and standalone BatchNormalization."""
    rng = np.random.default_rng(seed)
    g = Graph(f"random{seed}")
    pool = [g.add_input("x", f32(*IMAGE)), g.add_input("x2", f32(*IMAGE))]

    def pick() -> Any:
        unread = [v for v in pool if not v.users]  # mostly extend the frontier, so little is dead
        choices = unread if unread and rng.random() < 0.7 else pool
        return choices[int(rng.integers(len(choices)))]

    def const(shape: tuple[int, ...], name: str = "c") -> Any:
        return g.add_constant(name, (rng.standard_normal(shape) * 0.5).astype(np.float32), unique=True)

    for _ in range(size):
        kind = str(rng.choice(KINDS))
        pool.append(BUILDERS[kind](g, rng, pick, const))
    sinks = [v for v in pool[2:] if not v.users]
    extra = [pool[int(i)] for i in rng.choice(len(pool) - 2, size=2, replace=False) + 2]
    g.outputs = list(dict.fromkeys([*sinks[-2:], *extra]))
    return g


def _binary(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    kind = op(str(rng.choice(["Add", "Mul"])))
    other = const((C, 1, 1)) if rng.random() < 0.3 else pick()
    return g.add_node(kind, [pick(), other]).output


def _unary(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    return g.add_node(op(str(rng.choice(["Relu", "Identity", "Dropout"]))), [pick()]).output


def _constant_expr(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    folded = g.add_node(op("Mul"), [const((C, 1, 1)), const((C, 1, 1))]).output
    return g.add_node(op("Add"), [pick(), folded]).output


def _reshape(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    x = pick()
    if rng.random() < 0.3:
        return g.add_node(op("Reshape"), [x], {"shape": (1, C, -1, W)}).output  # to its own shape
    flat = g.add_node(op("Reshape"), [x], {"shape": (1, C, H * W)}).output
    return g.add_node(op("Reshape"), [flat], {"shape": (0, C, H, W)}).output


def _transpose(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    x = g.add_node(op("Transpose"), [pick()], {"perm": (0, 1, 3, 2)}).output
    if rng.random() < 0.5:
        x = g.add_node(op("Transpose"), [x], {"perm": (0, 1, 3, 2)}).output
    return x


def _batchnorm(g: Graph, x: Any, const: Any) -> Any:
    var = g.add_constant("var", np.linspace(0.5, 2.0, C, dtype=np.float32), unique=True)
    params = [const((C,), "scale"), const((C,), "b"), const((C,), "mean"), var]
    return g.add_node(op("BatchNormalization"), [x, *params], {"epsilon": 1e-3}).output


def _conv_bn(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    bias = [const((C,), "conv_b")] if rng.random() < 0.5 else []
    conv = g.add_node(op("Conv"), [pick(), const((C, C, 3, 3), "w"), *bias], {"pads": (1, 1, 1, 1)}).output
    y = _batchnorm(g, conv, const)
    if rng.random() < 0.25:  # a second reader: the BN cannot fold into this Conv
        return g.add_node(op("Add"), [y, conv]).output
    return y


def _standalone_bn(g: Graph, rng: Any, pick: Any, const: Any) -> Any:
    return _batchnorm(g, pick(), const)


BUILDERS = {
    "binary": _binary,
    "unary": _unary,
    "constant": _constant_expr,
    "reshape": _reshape,
    "transpose": _transpose,
    "conv_bn": _conv_bn,
    "bn": _standalone_bn,
}
KINDS = sorted(BUILDERS)
