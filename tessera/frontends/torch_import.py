"""PyTorch frontend: an nn.Module (eval mode) to a verified Tessera graph.

Two routes, chosen by `frontend`:
- "export" (default): `torch.export.export` gives an ATen graph; `run_decompositions` with the core
  ATen table, minus the high-level ops Tessera lowers itself (linear, conv2d, layer_norm,
  scaled_dot_product_attention, gelu, ...), makes it functional; each node then goes through the
  conversion table in `torch_ops_*.py`. Nodes computable from weights and buffers alone (arange,
  masks, transposed weights) are evaluated by torch itself and become constants.
- "onnx": `torch.onnx.export(dynamo=True)` then `load_onnx` (see torch_onnx.py).

Both name graph inputs after forward()'s parameters and outputs after the output structure
("output", "output_0", or the keys of a dict / ModelOutput such as "last_hidden_state").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tessera.errors import ModelLoadError, ShapeError, TesseraError, UnsupportedOpError
from tessera.frontends import torch_ops_math, torch_ops_nn, torch_ops_tensor  # noqa: F401  (register converters)
from tessera.frontends.torch_ops_base import CONVERTERS, IGNORED, PASSTHROUGH
from tessera.frontends.torch_support import (
    as_args,
    eval_mode,
    export_program,
    input_names_for,
    module_path,
    output_names_for,
    to_dtype,
    to_numpy,
    type_of,
)
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Value
from tessera.ir.ops.base import Op
from tessera.ir.ops.cast import Cast
from tessera.ir.ops.identity import Identity
from tessera.ir.types import TensorType
from tessera.ir.verifier import verify

FRONTENDS = ("export", "onnx")


def load_torch(
    module: Any,
    example_inputs: Any,
    *,
    frontend: str = "export",
    input_names: Sequence[str] | None = None,
) -> Graph:
    """Convert `module` (an nn.Module, run in eval mode) traced on `example_inputs` (a tensor or a
    tuple of tensors) into a verified graph with static shapes taken from the examples."""
    import torch

    if not isinstance(module, torch.nn.Module):
        raise ModelLoadError(f"load_torch needs a torch.nn.Module, got {type(module).__name__}")
    if frontend not in FRONTENDS:
        raise ModelLoadError(f"unknown PyTorch frontend {frontend!r}; choose one of {', '.join(FRONTENDS)}")
    args = as_args(module, example_inputs)
    names = input_names_for(module, args, input_names)
    with eval_mode(module):
        if frontend == "onnx":
            from tessera.frontends.torch_onnx import load_via_onnx

            return load_via_onnx(module, args, names)
        program = export_program(module, args)
        return _Converter(program, type(module).__name__, names).run()


class _Converter:
    """Walks the exported program's FX graph in order and builds the IR graph."""

    def __init__(self, program: Any, label: str, input_names: list[str]):
        self.program = program
        self.label = label
        self.input_names = input_names
        self.graph = Graph("".join(c if c.isalnum() or c in "_-." else "_" for c in label)[:64] or "main")
        self.env: dict[Any, Any] = {}  # fx node -> Value | torch.Tensor | list of them | Python value
        self.consts: dict[int, Value] = {}  # id(tensor) -> constant Value already added
        self.node: Any = None

    def run(self) -> Graph:
        fx_graph = self.program.graph_module.graph
        self._check_supported(fx_graph)
        self._placeholders(fx_graph)
        for node in fx_graph.nodes:
            if node.op == "call_function":
                self._call(node)
            elif node.op == "output":
                self._outputs(node)
        self.graph.remove_unused_constants()
        verify(self.graph)
        return self.graph

    # ---- checks ----------------------------------------------------------------------------------
    def _check_supported(self, fx_graph: Any) -> None:
        """List every op that is neither foldable nor convertible, with the modules using it."""
        constant = {n for n in fx_graph.nodes if n.op == "placeholder" and n.name not in self._user_inputs()}
        missing: dict[str, set[str]] = {}
        for node in fx_graph.nodes:
            if node.op != "call_function":
                continue
            if all(dep in constant for dep in node.all_input_nodes) and not _is_random(node):
                constant.add(node)
                continue
            key = _key(node)
            if key in CONVERTERS or key in PASSTHROUGH or key in IGNORED or key == "getitem":
                continue
            missing.setdefault(key, set()).add(module_path(node))
        if missing:
            listing = "; ".join(f"{op} (in {', '.join(sorted(paths)[:4])})" for op, paths in sorted(missing.items()))
            raise UnsupportedOpError(
                f"{self.label}: {len(missing)} unsupported ATen op(s): {listing}. "
                "Rewrite those parts of the model, or try frontend='onnx'"
            )

    def _user_inputs(self) -> list[str]:
        return [s.arg.name for s in self.program.graph_signature.input_specs if s.kind.name == "USER_INPUT"]

    # ---- inputs and constants --------------------------------------------------------------------
    def _placeholders(self, fx_graph: Any) -> None:
        specs = {s.arg.name: s for s in self.program.graph_signature.input_specs}
        user = iter(self.input_names)
        for node in fx_graph.nodes:
            if node.op != "placeholder":
                continue
            spec = specs[node.name]
            if spec.kind.name == "USER_INPUT":
                name = next(user)
                ttype = type_of(node.meta["val"], f"{self.label}: input {name!r}")
                self.env[node] = self.graph.add_input(name, ttype)
            elif spec.target in self.program.state_dict:
                self.env[node] = self.program.state_dict[spec.target]
            elif spec.target in self.program.constants:
                self.env[node] = self.program.constants[spec.target]
            else:
                raise ModelLoadError(f"{self.label}: no value for {spec.kind.name.lower()} {spec.target!r}")

    def const(self, data: np.ndarray, hint: str = "c") -> Value:
        return self.graph.add_constant(hint, np.array(data, order="C"), unique=True)

    def _tensor_const(self, tensor: Any, hint: str) -> Value:
        key = id(tensor)
        if key not in self.consts:
            data = to_numpy(tensor, f"{self.label}: constant {hint!r}")
            self.consts[key] = self.const(data, hint)
        return self.consts[key]

    # ---- nodes -----------------------------------------------------------------------------------
    def _call(self, node: Any) -> None:
        import torch

        self.node = node
        if all(not isinstance(self.env[d], Value) for d in node.all_input_nodes) and not _is_random(node):
            self.env[node] = self._fold(node)
            return
        key = _key(node)
        where = f"{self.label}: {key} in {module_path(node)}"
        if key == "getitem":
            outputs, index = self.env[node.args[0]], node.args[1]
            if outputs[index] is None:
                raise ModelLoadError(f"{where}: output {index} is not supported (only the first is computed)")
            self.env[node] = outputs[index]
            return
        if key in IGNORED:
            return
        if key in PASSTHROUGH:
            self.env[node] = self.v(node.args[0])
            return
        bound = _bind(node, torch)
        try:
            result = CONVERTERS[key](self, bound)
            self._check_result(result)
        except TesseraError as err:
            raise type(err)(f"{where}: {err}") from None
        except Exception as err:  # a converter meeting a form of the op it does not handle
            raise ModelLoadError(f"{where}: cannot convert: {type(err).__name__}: {err}") from err
        self.env[node] = result

    def _fold(self, node: Any) -> Any:
        import torch
        from torch.fx.node import map_arg

        args = map_arg(node.args, lambda n: self.env[n])
        kwargs = map_arg(node.kwargs, lambda n: self.env[n])
        try:
            with torch.no_grad():
                return node.target(*args, **kwargs)
        except Exception as err:  # torch rejecting its own op on constants: report where
            raise ModelLoadError(
                f"{self.label}: folding {_key(node)} in {module_path(node)} failed: {type(err).__name__}: {err}"
            ) from None

    def _check_result(self, result: Any) -> None:
        values = result if isinstance(result, (list, tuple)) else [result]
        for i, value in enumerate(values):
            if value is None:
                continue
            want = self.out_type(i)
            if value.type != want:
                raise ShapeError(f"converted to {value.type}, torch computes {want}")

    def _outputs(self, node: Any) -> None:
        results = node.args[0]
        names = output_names_for(self.program, len(results))
        for fx_node, name in zip(results, names):
            value = self.env[fx_node]
            if not isinstance(value, Value):
                value = self._tensor_const(value, name)
            if value.producer is None or value in self.graph.outputs or value.name in self.input_names:
                value = self.graph.add_node(Identity, [value], name=name, output_names=[name]).output
            else:
                self.graph.rename(value, name)
            self.graph.outputs.append(value)

    # ---- the converter context -------------------------------------------------------------------
    def v(self, arg: Any, dtype: DType | None = None) -> Value:
        import torch

        if isinstance(arg, (bool, int, float)):
            data = np.asarray(arg, dtype=(dtype or _scalar_dtype(arg)).numpy())
            return self.const(data, "scalar")
        value = self.env[arg] if not isinstance(arg, (Value, torch.Tensor)) else arg
        if isinstance(value, torch.Tensor):
            value = self._tensor_const(value, getattr(arg, "name", "c"))
        if not isinstance(value, Value):
            raise ShapeError(f"expected a tensor argument, got {type(value).__name__}")
        return value if dtype is None else self.cast(value, dtype)

    def cast(self, value: Value, dtype: DType) -> Value:
        if value.dtype is dtype:
            return value
        if value.is_constant:
            return self.const(value.data.astype(dtype.numpy()), value.name)  # type: ignore[union-attr]
        return self.emit(Cast, [value], {"to": dtype})

    def emit(self, op: type[Op], inputs: Sequence[Value], attrs: dict[str, Any] | None = None) -> Value:
        return self.emit_multi(op, inputs, attrs, 1)[0]

    def emit_multi(
        self, op: type[Op], inputs: Sequence[Value], attrs: dict[str, Any] | None, count: int
    ) -> list[Value]:
        created = self.graph.add_node(op, list(inputs), attrs or {}, name=self.node.name, num_outputs=count)
        return list(created.outputs)

    def out_type(self, index: int = 0) -> TensorType:
        val = self.node.meta.get("val")
        if isinstance(val, (list, tuple)):
            val = val[index]
        return type_of(val, f"{self.label}: {_key(self.node)} output {index}")

    def arg_type(self, arg: Any) -> TensorType:
        return self.v(arg).type


def _key(node: Any) -> str:
    target = node.target
    if getattr(target, "__name__", "") == "getitem" and getattr(target, "__module__", "") == "_operator":
        return "getitem"
    return str(target)


def _is_random(node: Any) -> bool:
    name = str(node.target)
    return any(word in name for word in ("rand", "bernoulli", "normal", "uniform", "multinomial"))


def _scalar_dtype(value: bool | int | float) -> DType:
    if isinstance(value, bool):
        return DType.BOOL
    return DType.INT64 if isinstance(value, int) else DType.FLOAT32


def _bind(node: Any, torch: Any) -> dict[str, Any]:
    """The node's arguments by schema name, with the schema's defaults filled in."""
    schema = node.target._schema
    bound: dict[str, Any] = {}
    for i, arg in enumerate(schema.arguments):
        if i < len(node.args) and not arg.kwarg_only:
            bound[arg.name] = node.args[i]
        elif arg.name in node.kwargs:
            bound[arg.name] = node.kwargs[arg.name]
        elif arg.has_default_value():
            bound[arg.name] = arg.default_value
        else:
            bound[arg.name] = None
    for one, other in (("self", "input"), ("input", "self")):
        if one in bound and other not in bound:
            bound[other] = bound[one]
    if "dtype" in bound and isinstance(bound["dtype"], torch.dtype):
        bound["dtype"] = to_dtype(bound["dtype"], "dtype argument")
    return bound
