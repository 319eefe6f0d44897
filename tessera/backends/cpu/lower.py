"""Lower a Tessera graph to a TVM Relax module: one `main` function whose parameters are the graph
inputs, in order, and which returns a tuple of the graph outputs, in order.

Model-given names never reach TVM: parameters are `input0, input1, ...`, kernels are named after
their op type. Constants are embedded in the module (the saved library carries the weights).
"""

from __future__ import annotations

import numpy as np

from tessera.errors import UnsupportedOpError
from tessera.ir.graph import Graph, Value
from tessera.ir.ops.base import Op, all_ops


def supported_ops() -> list[str]:
    """Ops the CPU target lowers, as `domain::name` for non-ONNX domains."""
    from tessera.backends.cpu.lowering import RULES

    return sorted(qualified_name(op) for op in RULES)


def missing_ops() -> dict[type[Op], str]:
    """Registry ops the CPU target cannot lower yet -> why."""
    from tessera.backends.cpu.lowering import RULES
    from tessera.backends.cpu.lowering.missing import MISSING

    return {op: MISSING[op] for op in all_ops() if op not in RULES and op in MISSING}


def qualified_name(op: type[Op]) -> str:
    """`Conv` for an ONNX op, `ai.tessera::QConv` for one of another domain."""
    return f"{op.domain}::{op.name}" if op.domain else op.name


def check_supported(graph: Graph) -> None:
    from tessera.backends.cpu.lowering import RULES

    missing = sorted({qualified_name(n.op) for n in graph.nodes if n.op not in RULES})
    if missing:
        first = next(n for n in graph.nodes if n.op not in RULES)
        raise UnsupportedOpError(
            f"cpu target: graph {graph.name!r} uses op(s) {', '.join(missing)} that the TVM lowering lacks "
            f"(first: node {first.name!r}); compile for the reference target instead"
        )


def lower(graph: Graph):  # -> tvm.IRModule
    from tvm import relax

    from tessera.backends.cpu.lowering import RULES, Ctx

    check_supported(graph)
    bb = relax.BlockBuilder()
    params = [relax.Var(f"input{i}", relax.TensorType(v.shape, v.dtype.value)) for i, v in enumerate(graph.inputs)]
    env: dict[int, relax.Expr] = {id(v): p for v, p in zip(graph.inputs, params)}
    with bb.function("main", params):
        with bb.dataflow():
            for node in graph.nodes:
                args = [_value(v, env) for v in node.inputs]
                ctx = Ctx(bb, node)
                try:
                    result = RULES[node.op](ctx, args)
                except UnsupportedOpError:
                    raise
                except Exception as err:  # a TVM failure is reported with the node that caused it
                    raise UnsupportedOpError(
                        f"cpu target: cannot lower node {node.name!r} ({node.op.name}): {type(err).__name__}: "
                        f"{str(err).splitlines()[0] if str(err) else ''}"
                    ) from err
                results = result if isinstance(result, list) else [result]
                for out, expr in zip(node.outputs, results):
                    env[id(out)] = var = expr if isinstance(expr, relax.Var) else bb.emit(expr)
                    _check_shape(node.name, out, var)
            outputs = bb.emit_output(relax.Tuple([_value(v, env) for v in graph.outputs]))
        bb.emit_func_output(outputs)
    return bb.finalize()


def _check_shape(node: str, out: Value, var) -> None:  # var: relax.Var
    """A lowering rule must give the IR's shape; catching it here names the node at fault."""
    shape = getattr(getattr(var, "ty", None), "shape", None)
    dims = None if shape is None or not hasattr(shape, "values") else tuple(int(d) for d in shape.values)
    if dims is not None and dims != tuple(out.shape):
        raise UnsupportedOpError(
            f"cpu target: lowering node {node!r} gave shape {dims} for {out.name!r}, the IR says {tuple(out.shape)}"
        )


def _value(v: Value, env: dict[int, object]):  # -> relax.Expr
    if id(v) not in env:
        if v.data is None:
            raise UnsupportedOpError(f"cpu target: value {v.name!r} is used before it is computed")
        from tessera.backends.cpu.lowering._ctx import constant

        env[id(v)] = constant(np.asarray(v.data))
    return env[id(v)]
