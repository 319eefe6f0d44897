"""ONNX -> Tessera IR.

The importer pins every shape (dynamic dimensions need `input_shapes`), turns initializers and
Constant nodes into constants, folds everything computable at compile time (shape subgraphs,
ConstantOfShape weights, any node whose inputs are all constants) with the ops' reference kernels,
and builds the remaining nodes through the op registry. Unsupported ops are reported all at once.
Sizes are checked against a LoadBudget (onnx_budget) from declared types before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import numpy_helper

from tessera.errors import ModelLoadError, ShapeError, TesseraError, UnsupportedOpError
from tessera.frontends.onnx_budget import LoadBudget, tensor_proto_nbytes
from tessera.frontends.onnx_reader import Source, default_opset, read_model
from tessera.frontends.onnx_types import ONNX_TO_DTYPE, decode_attribute, onnx_type_name
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Value
from tessera.ir.ops import OnnxNodeView, Op, lookup
from tessera.ir.types import TensorType
from tessera.ir.verifier import verify

# Op types the importer itself turns into constants.
FRONTEND_OPS = frozenset({"Constant"})

ShapeMap = Mapping[str, Sequence[int]]


def load_onnx(
    source: Source,
    input_shapes: ShapeMap | None = None,
    constant_inputs: Mapping[str, np.ndarray] | None = None,
    *,
    max_constant_bytes: int | None = None,
) -> Graph:
    """Import an ONNX model (path, bytes or ModelProto) into a verified Tessera graph.

    input_shapes: pins dynamic (or overrides) input dimensions, e.g. {"x": (1, 3, 224, 224)}.
    constant_inputs: graph inputs to replace by constants (they are then folded into the graph).
    max_constant_bytes: how many bytes of constants (initializers, external data, results folded at
    import) the import may materialize; default TESSERA_MAX_CONSTANT_BYTES, else 1 GiB.
    """
    budget = LoadBudget.resolve(max_constant_bytes)
    model, label = read_model(source, budget)
    try:
        importer = _Importer(model, label, dict(input_shapes or {}), dict(constant_inputs or {}), budget)
        return importer.run()
    except TesseraError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as err:  # malformed protobuf content
        raise ModelLoadError(f"{label}: malformed model: {type(err).__name__}: {err}") from None


def unsupported_ops(model: onnx.ModelProto) -> dict[str, list[str]]:
    """{op type: [node names]} for every node Tessera cannot import."""
    missing: dict[str, list[str]] = {}
    for i, node in enumerate(model.graph.node):
        key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        if node.op_type in FRONTEND_OPS and node.domain in ("", "ai.onnx"):
            continue
        if lookup(node.op_type, node.domain) is None:
            missing.setdefault(key, []).append(node.name or f"#{i}")
    return missing


class _Importer:
    def __init__(self, model: onnx.ModelProto, label: str, shapes: dict, consts: dict, budget: LoadBudget):
        self.model = model
        self.budget = budget
        self.materialized = 0  # bytes of constants created so far
        self.label = label
        self.shapes = shapes
        self.consts = consts
        self.opset = default_opset(model)
        self.graph = Graph(_graph_name(model))
        self.env: dict[str, Value] = {}

    def run(self) -> Graph:
        g = self.model.graph
        missing = unsupported_ops(self.model)
        if missing:
            listing = "; ".join(
                f"{op} (nodes: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''})"
                for op, names in sorted(missing.items())
            )
            raise UnsupportedOpError(f"{self.label}: {len(missing)} unsupported op type(s): {listing}")
        self._add_initializers(g)
        self._add_inputs(g)
        for node in _topological(g, self.label, set(self.env)):
            self._add_node(node)
        self._set_outputs(g)
        self.graph.remove_unused_constants()  # intermediates of folded subgraphs, dead initializers
        verify(self.graph)
        return self.graph

    # ---- values ----------------------------------------------------------------------------------
    def _add_initializers(self, g: onnx.GraphProto) -> None:
        for init in list(g.initializer):
            what = f"{self.label}: initializer {init.name!r}"
            self.budget.check_constant(tensor_proto_nbytes(init, what), what, self.materialized)
            data = numpy_helper.to_array(init)
            self._constant(init.name, data, f"initializer {init.name!r}")
        for sparse in g.sparse_initializer:
            raise ModelLoadError(f"{self.label}: sparse initializer {sparse.values.name!r} is not supported")

    def _add_inputs(self, g: onnx.GraphProto) -> None:
        known = {i.name for i in g.input}
        unknown = sorted((set(self.shapes) | set(self.consts)) - known)
        if unknown:
            raise ShapeError(
                f"{self.label}: no graph input named {', '.join(map(repr, unknown))}; "
                f"inputs are {', '.join(repr(i.name) for i in g.input if i.name not in self.env)}"
            )
        dynamic: list[str] = []
        for inp in g.input:
            if inp.name in self.env:  # an initializer listed as input (IR version < 4)
                continue
            if inp.name in self.consts:
                self._constant(inp.name, np.asarray(self.consts[inp.name]), f"input {inp.name!r}")
                continue
            ttype = self._tensor_type(inp, dynamic)
            if ttype is not None:
                self.env[inp.name] = self.graph.add_input(inp.name, ttype)
        if dynamic:
            raise ShapeError(
                f"{self.label}: input(s) with dynamic or unknown dimensions: {'; '.join(dynamic)}. "
                "Pin them with input_shapes={name: (d0, d1, ...)} (CLI: --input-shape name=d0,d1,...)"
            )

    def _tensor_type(self, info: onnx.ValueInfoProto, dynamic: list[str]) -> TensorType | None:
        tt = info.type.tensor_type
        if not info.type.HasField("tensor_type"):
            raise ModelLoadError(f"{self.label}: input {info.name!r} is not a tensor (sequences/maps are unsupported)")
        dtype = self._dtype(tt.elem_type, f"input {info.name!r}")
        if info.name in self.shapes:
            shape = tuple(int(d) for d in self.shapes[info.name])
            declared = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
            if tt.HasField("shape") and (
                len(declared) != len(shape) or any(d is not None and d != s for d, s in zip(declared, shape))
            ):
                raise ShapeError(
                    f"{self.label}: input_shapes gives {info.name!r} shape {shape}, "
                    f"the model declares {[d if d is not None else '?' for d in declared]}"
                )
            if any(d < 0 for d in shape):
                raise ShapeError(f"{self.label}: input_shapes for {info.name!r} has a negative dimension: {shape}")
            return self._checked_type(TensorType(dtype, shape), f"{self.label}: input {info.name!r}")
        if not tt.HasField("shape"):
            dynamic.append(f"{info.name!r} (no shape)")
            return None
        dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tt.shape.dim]
        sizes = tuple(d for d in dims if isinstance(d, int))
        if len(sizes) != len(dims):
            dynamic.append(f"{info.name!r} {dims}")
            return None
        return self._checked_type(TensorType(dtype, sizes), f"{self.label}: input {info.name!r}")

    def _checked_type(self, ttype: TensorType, what: str) -> TensorType:
        if any(d < 0 for d in ttype.shape):
            raise ShapeError(f"{what} has a negative dimension: {list(ttype.shape)}")
        self.budget.check_tensor(ttype.nbytes, f"{what} ({ttype})")
        return ttype

    def _dtype(self, elem_type: int, what: str) -> DType:
        if elem_type not in ONNX_TO_DTYPE:
            raise ModelLoadError(
                f"{self.label}: {what} has element type {onnx_type_name(elem_type)}, "
                f"which Tessera does not support (supported: {', '.join(d.value for d in DType)})"
            )
        return ONNX_TO_DTYPE[elem_type]

    def _constant(self, name: str, data: np.ndarray, what: str) -> None:
        try:
            DType.from_numpy(data.dtype)
        except ValueError:
            raise ModelLoadError(
                f"{self.label}: {what} has dtype {data.dtype}, which Tessera does not support"
            ) from None
        if name in self.env:
            raise ModelLoadError(f"{self.label}: tensor name {name!r} is defined twice")
        self.budget.check_constant(data.nbytes, f"{self.label}: {what}", self.materialized)
        self.materialized += data.nbytes
        self.env[name] = self.graph.add_constant(name, np.asarray(data, order="C"))

    # ---- nodes -----------------------------------------------------------------------------------
    def _add_node(self, node: onnx.NodeProto) -> None:
        """Each error names the node once: errors of this importer and of the op's from_onnx get
        `label`; Graph.add_node names the node itself, so only the model is added to its errors."""
        label = f"{self.label}: node {node.name or '(unnamed)'!r} ({node.op_type})"
        if node.op_type == "Constant":
            self._constant_node(node, label)
        else:
            self._op_node(node, lookup(node.op_type, node.domain), label)

    def _constant_node(self, node: onnx.NodeProto, label: str) -> None:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                self.budget.check_constant(tensor_proto_nbytes(attr.t, label), label, self.materialized)
        attrs = {a.name: decode_attribute(a) for a in node.attribute}
        if "value" in attrs:
            data = np.asarray(attrs["value"])
        elif "value_float" in attrs or "value_floats" in attrs:
            data = np.asarray(attrs.get("value_float", attrs.get("value_floats")), dtype=np.float32)
        elif "value_int" in attrs or "value_ints" in attrs:
            data = np.asarray(attrs.get("value_int", attrs.get("value_ints")), dtype=np.int64)
        else:
            raise ShapeError(f"{label}: Constant form {sorted(attrs)} is not supported (strings and sparse tensors)")
        self._constant(node.output[0], data, f"Constant {node.output[0]!r}")

    def _consts(self, inputs: list[str]) -> dict[int, np.ndarray]:
        """Input position -> data, for the inputs that are constants."""
        consts = {}
        for i, name in enumerate(inputs):
            data = self.env[name].data if name else None
            if data is not None:
                consts[i] = data
        return consts

    def _op_node(self, node: onnx.NodeProto, op: type[Op] | None, label: str) -> None:
        assert op is not None
        inputs = list(node.input)
        for name in inputs:
            if name and name not in self.env:
                raise ModelLoadError(f"{label}: input {name!r} is not defined by any node, input or initializer")
        view = OnnxNodeView(
            op_type=node.op_type,
            name=node.name,
            opset=self.opset,
            attrs={a.name: decode_attribute(a) for a in node.attribute},
            inputs=inputs,
            consts=self._consts(inputs),
            input_types=[self.env[n].type if n else None for n in inputs],
            num_outputs=len(node.output),
        )
        try:
            imported = op.from_onnx(view)
        except ShapeError as err:
            raise ShapeError(f"{label}: {err}") from None
        data = [self.env[inputs[i]] for i in imported.data_inputs]
        outputs = list(node.output)
        while outputs and not outputs[-1]:
            outputs.pop()
        for name in outputs:
            if name in self.env:
                raise ModelLoadError(
                    f"{label}: output {name!r} is already defined (a graph must assign each name once)"
                )
        if (all(v.is_constant for v in data) or op.fold_from_types) and outputs:
            self._fold(op, data, imported.attrs, outputs, label)
            return
        names = [n or self.graph.unique_name(f"{node.name or op.name}_unused{i}") for i, n in enumerate(outputs)]
        try:
            created = self.graph.add_node(op, data, imported.attrs, name=node.name or None, output_names=names)
        except ShapeError as err:  # add_node's message names the node already
            raise ShapeError(f"{self.label}: {err}") from None
        for name, value in zip(outputs, created.outputs):
            self._checked_type(value.type, f"{label} output {value.name!r}")
            if name:
                self.env[name] = value

    def _fold(self, op: type[Op], data: list[Value], attrs: dict, outputs: list[str], label: str) -> None:
        """Evaluate the node now. Its results' size comes from inference (every output, also the
        unused ones: the kernel computes them all) and must fit the budget before the kernel runs."""
        try:
            frozen = op.make_attrs(attrs)
            types = op.infer([v.type for v in data], frozen)
        except ShapeError as err:
            raise ShapeError(f"{label}: {err}") from None
        self.budget.check_constant(sum(t.nbytes for t in types), f"{label}, folded at import,", self.materialized)
        arrays = [v.data if v.is_constant else _stand_in(v) for v in data]
        try:
            results = op.compute(arrays, frozen)  # type: ignore[arg-type]
        except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as err:
            raise ModelLoadError(f"{label}: folding at import failed: {type(err).__name__}: {err}") from None
        for name, ttype, result in zip(outputs, types, results):
            if not name:
                continue
            result = np.asarray(result)
            if result.shape != ttype.shape or result.dtype != ttype.dtype.numpy():
                raise ShapeError(f"{label}: folding gave {result.dtype}{list(result.shape)}, inference says {ttype}")
            self._constant(name, np.asarray(result, order="C"), f"folded output {name!r}")

    def _set_outputs(self, g: onnx.GraphProto) -> None:
        for out in g.output:
            if out.name not in self.env:
                raise ModelLoadError(f"{self.label}: graph output {out.name!r} is not produced by any node")
            value = self.env[out.name]
            self._check_declared(out, value)
            self.graph.outputs.append(value)

    def _check_declared(self, info: onnx.ValueInfoProto, value: Value) -> None:
        tt = info.type.tensor_type
        if tt.elem_type and tt.elem_type in ONNX_TO_DTYPE and ONNX_TO_DTYPE[tt.elem_type] != value.dtype:
            raise ShapeError(
                f"{self.label}: output {info.name!r} is declared {onnx_type_name(tt.elem_type)}, "
                f"the graph computes {value.dtype.value}"
            )
        if tt.HasField("shape"):
            declared = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
            if len(declared) != len(value.shape) or any(
                d is not None and d != s for d, s in zip(declared, value.shape)
            ):
                raise ShapeError(
                    f"{self.label}: output {info.name!r} is declared with shape "
                    f"{[d if d is not None else '?' for d in declared]}, the graph computes {list(value.shape)}"
                )


def _stand_in(value: Value) -> np.ndarray:
    """A read-only array of the value's shape and dtype that takes one element of memory (the input
    of an op folded from types only, like Shape)."""
    return np.broadcast_to(np.zeros((), value.dtype.numpy()), value.shape)


def _text(value: str | bytes) -> str:
    """A protobuf string field as text: a field that is not valid UTF-8 comes back as bytes."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _graph_name(model: onnx.ModelProto) -> str:
    name = _text(model.graph.name) or "main"
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in name)[:64] or "main"


def _topological(g: onnx.GraphProto, label: str, available: set[str]) -> list[onnx.NodeProto]:
    """ONNX requires topological order, but a hostile file may not keep it: order the nodes by their
    dependencies (stable) and report a cycle or an undefined input by name."""
    producer = {}
    for node in g.node:
        for out in node.output:
            if out:
                if out in producer or out in available:
                    raise ModelLoadError(f"{label}: tensor {out!r} is assigned more than once")
                producer[out] = node
    order: list[onnx.NodeProto] = []
    state: dict[int, int] = {}  # 1 = visiting, 2 = done
    for root in g.node:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            key = id(node)
            if expanded:
                state[key] = 2
                order.append(node)
                continue
            if state.get(key) == 2:
                continue
            if state.get(key) == 1:
                raise ModelLoadError(f"{label}: the graph has a cycle through node {node.name or node.op_type!r}")
            state[key] = 1
            stack.append((node, True))
            for name in reversed(node.input):
                dep = producer.get(name)
                if dep is None:
                    if name and name not in available:
                        raise ModelLoadError(
                            f"{label}: node {node.name or node.op_type!r} reads {name!r}, "
                            "which no node, input or initializer defines"
                        )
                    continue
                if state.get(id(dep)) == 1:
                    raise ModelLoadError(f"{label}: the graph has a cycle through node {dep.name or dep.op_type!r}")
                if state.get(id(dep)) != 2:
                    stack.append((dep, False))
    return order
