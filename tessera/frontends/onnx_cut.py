"""Cut an ONNX model to the part between named tensors, with onnx-graphsurgeon.

`cut_onnx(source, inputs=["a"], outputs=["b"])` makes `a` a graph input (its producers are cut off),
`b` the graph output, drops every node the outputs do not need (`cleanup`) and orders what is left
(`toposort`). ONNX shape inference runs first, so a tensor inside the model gets its dtype and shape
when it becomes an input. Names that are not tensors of the model, an output that needs more than the
given inputs, and an input no output reads are a ModelLoadError naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

import onnx
import onnx_graphsurgeon as gs

from tessera.errors import ModelLoadError
from tessera.frontends.onnx_reader import Source, read_model

_SHOWN = 12  # tensor names listed in an error


def cut_onnx(
    source: Source, inputs: Sequence[str] | None = None, outputs: Sequence[str] | None = None
) -> onnx.ModelProto:
    """The part of `source` (path, bytes or ModelProto) from the tensors `inputs` to the tensors
    `outputs`; None (or empty) keeps the model's own inputs or outputs."""
    model, label = read_model(source)
    graph = gs.import_onnx(onnx.shape_inference.infer_shapes(model))
    tensors = graph.tensors()
    _check_names(label, tensors, [*(inputs or ()), *(outputs or ())])
    if inputs:
        graph.inputs = [_as_input(label, tensors[name]) for name in inputs]
    if outputs:
        graph.outputs = [tensors[name] for name in outputs]
    graph.cleanup().toposort()
    _check_paths(label, graph)
    cut = gs.export_onnx(graph)
    cut.ir_version = model.ir_version
    return cut


def _check_names(label: str, tensors: dict[str, gs.Tensor], names: list[str]) -> None:
    unknown = [name for name in names if name not in tensors]
    if not unknown:
        return
    some = ", ".join(sorted(tensors)[:_SHOWN])
    raise ModelLoadError(
        f"{label}: no tensor named {', '.join(map(repr, unknown))} to cut at; "
        f"pass names of the model's tensors (e.g. {some}, ...; `tessera inspect` lists them)"
    )


def _as_input(label: str, tensor: gs.Tensor) -> gs.Variable:
    """`tensor` as a graph input: a Variable with a known dtype, cut off from its producers."""
    if isinstance(tensor, gs.Constant):
        raise ModelLoadError(f"{label}: tensor {tensor.name!r} is a constant (a weight), not a place to cut at")
    if tensor.dtype is None:
        raise ModelLoadError(
            f"{label}: ONNX shape inference found no dtype for tensor {tensor.name!r}; "
            "cut at a tensor whose type is known (e.g. a neighbouring node's output)"
        )
    tensor.inputs.clear()
    return tensor


def _check_paths(label: str, graph: gs.Graph) -> None:
    """Every tensor the kept nodes read is a graph input, a constant or made by a kept node; every
    graph input is read by a kept node (or is itself an output)."""
    made = {out.name for node in graph.nodes for out in node.outputs}
    given = {t.name for t in graph.inputs}
    outside = sorted(
        {
            t.name
            for node in graph.nodes
            for t in node.inputs
            if t.name and not isinstance(t, gs.Constant) and t.name not in made | given
        }
    )
    if outside:
        raise ModelLoadError(
            f"{label}: the outputs {[t.name for t in graph.outputs]} also need tensor(s) "
            f"{', '.join(map(repr, outside))}, which the inputs do not give; add them to inputs"
        )
    read = {t.name for node in graph.nodes for t in node.inputs} | {t.name for t in graph.outputs}
    unused = [t.name for t in graph.inputs if t.name not in read]
    if unused:
        raise ModelLoadError(
            f"{label}: input(s) {', '.join(map(repr, unused))} lead to none of the outputs "
            f"{[t.name for t in graph.outputs]}; drop them from inputs or pick outputs computed from them"
        )
