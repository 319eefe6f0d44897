"""Helpers shared by both PyTorch routes: arguments, eval mode, names, dtypes, export errors."""

from __future__ import annotations

import contextlib
import inspect
import os
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from tessera.errors import ModelLoadError, ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.types import TensorType

# High-level ATen ops Tessera lowers itself instead of taking torch's decomposition: they map to one
# IR op (or a short, exact sequence), where the core ATen decomposition would scatter them.
KEEP = (
    "linear.default",
    "conv1d.default",
    "conv2d.default",
    "conv2d.padding",
    "layer_norm.default",
    "group_norm.default",
    "batch_norm.default",
    "scaled_dot_product_attention.default",
    "gelu.default",
    "silu.default",
    "hardswish.default",
    "hardsigmoid.default",
    "mish.default",
    "pixel_shuffle.default",
    "matmul.default",
    "upsample_nearest2d.vec",
    "upsample_bilinear2d.vec",
    "softplus.default",
)


def as_args(module: Any, example_inputs: Any) -> tuple[Any, ...]:
    import torch

    args = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    for i, arg in enumerate(args):
        if not isinstance(arg, torch.Tensor):
            raise ModelLoadError(
                f"{type(module).__name__}: example_inputs[{i}] is a {type(arg).__name__}; "
                "pass tensors only (a tensor or a tuple of tensors)"
            )
    return tuple(args)


@contextlib.contextmanager
def eval_mode(module: Any) -> Iterator[None]:
    """Run with every submodule in eval mode, then restore each one's own training flag."""
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training


def input_names_for(module: Any, args: tuple[Any, ...], given: Sequence[str] | None) -> list[str]:
    """forward()'s parameter names for the positional example inputs, or the names given."""
    if given is not None:
        names = [str(n) for n in given]
        if len(names) != len(args) or len(set(names)) != len(names):
            raise ModelLoadError(f"input_names {names} must name each of the {len(args)} example inputs once")
        return names
    params = [
        p
        for p in inspect.signature(module.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(params) < len(args):
        return [p.name for p in params] + [f"input_{i}" for i in range(len(params), len(args))]
    return [p.name for p in params[: len(args)]]


def output_names(structure: Any, count: int) -> list[str]:
    """Names for the flattened outputs: "output" for one tensor, dict / ModelOutput keys joined
    by "_", "output_I" for positions."""
    import torch.utils._pytree as pytree

    leaves, _ = pytree.tree_flatten_with_path(structure)
    if len(leaves) != count:
        return ["output"] if count == 1 else [f"output_{i}" for i in range(count)]
    if count == 1 and not leaves[0][0]:
        return ["output"]
    names = []
    for path, _ in leaves:
        parts = [str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", k)))) for k in path]
        names.append("_".join(parts) if any(hasattr(k, "key") for k in path) else "output_" + "_".join(parts))
    return names if len(set(names)) == len(names) else [f"output_{i}" for i in range(count)]


def output_names_for(program: Any, count: int) -> list[str]:
    import torch.utils._pytree as pytree

    structure = pytree.tree_unflatten(list(range(count)), program.call_spec.out_spec)
    return output_names(structure, count)


def export_program(module: Any, args: tuple[Any, ...]) -> Any:
    """torch.export, then the core ATen decompositions minus KEEP. Export failures (data-dependent
    control flow, untraceable Python) become a ModelLoadError naming the module and source line."""
    import torch

    try:
        program = torch.export.export(module, args, strict=False)
    except Exception as err:  # torch raises many types here; each is reported the same way
        raise _export_error(module, err) from None
    table = torch.export.default_decompositions()
    for name in KEEP:
        packet, overload = name.split(".")
        table.pop(getattr(getattr(torch.ops.aten, packet), overload), None)
    try:
        with warnings.catch_warnings():  # torch's own pytree deprecation noise, not the user's
            warnings.simplefilter("ignore", FutureWarning)
            return program.run_decompositions(table)
    except Exception as err:
        raise _export_error(module, err) from None


def _export_error(module: Any, err: Exception) -> ModelLoadError:
    label = type(module).__name__
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    chain = _chain(err)
    where = _user_frame(chain)
    data_dependent = any("data-dependent" in str(e) or "DataDependent" in type(e).__name__ for e in chain)
    if data_dependent:
        cause = chain[-1]
        text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if data_dependent:
        return ModelLoadError(
            f"{label}: data-dependent control flow at {where}: the branch depends on tensor values, "
            "which torch.export cannot trace. Fix: make the branch depend on shapes or constants, or "
            f"express it with torch.where / torch.cond ({type(err).__name__}: {text[:200]})"
        )
    return ModelLoadError(f"{label}: torch.export failed at {where}: {type(err).__name__}: {text[:300]}")


def _chain(err: BaseException) -> list[BaseException]:
    """The error and the errors it was raised from (the ONNX exporter wraps torch.export's)."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _user_frame(chain: list[BaseException]) -> str:
    """The innermost traceback frame outside torch and Tessera: the model's own source line."""
    import torch

    skip = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(__file__)), "contextlib")
    for err in reversed(chain):  # the innermost error first
        found = None
        for frame in traceback.extract_tb(err.__traceback__):
            if not any(part in frame.filename for part in skip):
                found = f"{frame.filename}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
        if found:
            return found
    return "an unknown place"


def module_path(node: Any) -> str:
    """'encoder.layer.0.attention (BertSelfAttention)' from the node's nn_module_stack."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return "the top-level module"
    path, cls = list(stack.values())[-1]
    cls_name = cls if isinstance(cls, str) else getattr(cls, "__name__", str(cls))
    return f"{path or '<root>'} ({cls_name.rsplit('.', 1)[-1]})"


_DTYPES = {
    "torch.float32": DType.FLOAT32,
    "torch.float16": DType.FLOAT16,
    "torch.float64": DType.FLOAT64,
    "torch.int8": DType.INT8,
    "torch.int16": DType.INT16,
    "torch.int32": DType.INT32,
    "torch.int64": DType.INT64,
    "torch.uint8": DType.UINT8,
    "torch.bool": DType.BOOL,
}


def to_dtype(dtype: Any, what: str) -> DType:
    if str(dtype) not in _DTYPES:
        raise ShapeError(f"{what} has dtype {dtype}, which Tessera does not support")
    return _DTYPES[str(dtype)]


def type_of(val: Any, what: str) -> TensorType:
    """The TensorType of a (fake) tensor recorded by torch.export."""
    shape = tuple(val.shape)
    if not all(isinstance(d, int) for d in shape):
        raise ShapeError(f"{what} has a symbolic shape {shape}; Tessera needs static shapes")
    return TensorType(to_dtype(val.dtype, what), shape)


def to_numpy(tensor: Any, what: str) -> np.ndarray:
    to_dtype(tensor.dtype, what)
    return np.array(tensor.detach().cpu().numpy(), copy=True)
