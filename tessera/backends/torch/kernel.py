"""What a torch kernel is: one function per op, with the facts the module needs about it.

A kernel takes the node's input tensors and a `Call` (the node's attributes, its output types, and
whether int8 ops run exact or as their float simulation) and returns the output tensors. Kernels
follow the reference kernel of their op (`Op.compute`) exactly: float ops within float rounding,
integer ops bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node
from tessera.ir.ops.base import Attrs
from tessera.ir.types import TensorType


@dataclass(frozen=True)
class Call:
    """One node's call: its attributes, input and output types (as in the graph: per example, without
    the batch axis vmap adds), and how int8 ops run.

    simulate: False runs int8 ops exactly as the reference (integers, bit-exact, no gradient);
    True runs them as their float simulation (fake quantization with straight-through estimators)
    so a quantized graph trains. In simulation an int8 tensor is a float32 tensor of whole numbers.
    scales: only in simulation with learned scales (scales.py), the node's scale attributes
    (x_scale, y_scale, a_scale, ...) as float64 scalar tensors, which the kernel uses instead of the
    fixed-point multiplier so that gradients reach them; None otherwise.
    """

    attrs: Attrs
    inputs: tuple[TensorType, ...]
    outputs: tuple[TensorType, ...]
    simulate: bool = False
    node: str = ""
    scales: Mapping[str, torch.Tensor] | None = None


Kernel = Callable[[Sequence[torch.Tensor], Call], list[torch.Tensor]]


@dataclass(frozen=True)
class Shadow:
    """A float stand-in for an integer constant (an int8 weight), so a quantized graph can train it.

    real: the starting float values (the codes dequantized, e.g. w_q * w_scale).
    code: float values -> integer codes as a float tensor, through a straight-through estimator
    (fake quantization); the module casts them to the constant's dtype outside simulation, and
    `to_graph` writes them back.
    """

    real: np.ndarray
    code: Callable[[torch.Tensor], torch.Tensor]


# (node, input position, the integer constant's values) -> its shadow, or None to keep it fixed
ShadowRule = Callable[[Node, int, np.ndarray], "Shadow | None"]


@dataclass(frozen=True)
class TorchOp:
    """An op's torch facet.

    fn: the kernel.
    no_grad: None when autograd differentiates the kernel; otherwise why the op has no gradient
    (an integer or boolean result, a step function, ...). Such ops still run.
    frozen: input positions whose float constants stay buffers even when large (running statistics,
    quantization parameters, clip bounds): they are not weights.
    shadow: for int8 ops, which integer constant inputs train through a float shadow (`Shadow`).
    """

    fn: Kernel
    no_grad: str | None = None
    frozen: frozenset[int] = frozenset()
    shadow: ShadowRule | None = None


def op(
    fn: Kernel, *, no_grad: str | None = None, frozen: Sequence[int] = (), shadow: ShadowRule | None = None
) -> TorchOp:
    return TorchOp(fn, no_grad, frozenset(frozen), shadow)


_TORCH_DTYPES = {
    DType.FLOAT32: torch.float32,
    DType.FLOAT16: torch.float16,
    DType.FLOAT64: torch.float64,
    DType.INT8: torch.int8,
    DType.INT16: torch.int16,
    DType.INT32: torch.int32,
    DType.INT64: torch.int64,
    DType.UINT8: torch.uint8,
    DType.UINT16: torch.uint16,
    DType.UINT32: torch.uint32,
    DType.UINT64: torch.uint64,
    DType.BOOL: torch.bool,
}


def torch_dtype(dtype: DType) -> torch.dtype:
    return _TORCH_DTYPES[dtype]


def out_dtype(call: Call, index: int = 0) -> torch.dtype:
    """The torch dtype of output `index`."""
    return torch_dtype(call.outputs[index].dtype)
