"""Torch kernels of reduce.py: the ReduceX ops and ArgMax / ArgMin.

Axes are static. Reducing no axes (noop_with_empty_axes, or a scalar) applies only the elementwise
part, as the reference does; torch's own `dim=()` would reduce everything, so it is never passed.
A reduction over an empty axis gives the reduction's identity. float16 accumulates in float32;
integer sums promote to int64 and wrap back as numpy's do; uint16/32/64 are computed in int64.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from tessera.backends.torch._wide import ordered, signed, unordered
from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import reduce
from tessera.ir.ops._util import normalize_axis
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
Axes = tuple[int, ...]


def _sum(x: torch.Tensor, axes: Axes) -> torch.Tensor:
    return x.sum(dim=axes, keepdim=True) if axes else x


def _prod(x: torch.Tensor, axes: Axes) -> torch.Tensor:
    for axis in axes:
        x = x.prod(dim=axis, keepdim=True)
    return x


def _extreme(x: torch.Tensor, axes: Axes, largest: bool) -> torch.Tensor:
    """max / min over axes (the identity -inf / +inf / dtype bound over an empty axis)."""
    if not axes:
        return x
    if x.dtype == torch.bool:
        return x.any(dim=axes, keepdim=True) if largest else x.all(dim=axes, keepdim=True)
    if any(x.shape[a] == 0 for a in axes):
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        if x.is_floating_point():
            bound: float = -math.inf if largest else math.inf
        else:
            info = torch.iinfo(x.dtype)
            bound = info.min if largest else info.max
        return torch.full(shape, bound, dtype=x.dtype)
    wide = ordered(x)
    y = wide.amax(dim=axes, keepdim=True) if largest else wide.amin(dim=axes, keepdim=True)
    return unordered(y, x.dtype)


def _mean(x: torch.Tensor, axes: Axes) -> torch.Tensor:
    count = math.prod(x.shape[a] for a in axes)
    total = _sum(x, axes)
    return (total if total.is_floating_point() else total.to(torch.float64)) / count


def _l2(x: torch.Tensor, axes: Axes) -> torch.Tensor:
    total = _sum(torch.square(x), axes)
    return torch.sqrt(total if total.is_floating_point() else total.to(torch.float64))


def _log_sum_exp(x: torch.Tensor, axes: Axes) -> torch.Tensor:
    """m + log(sum(exp(x - m))) with m the maximum where finite, else 0 (detached: the result does
    not depend on it)."""
    peak = _extreme(x, axes, largest=True).detach()
    peak = torch.where(torch.isfinite(peak), peak, torch.zeros((), dtype=peak.dtype))
    return torch.log(_sum(torch.exp(x - peak), axes)) + peak


Reduction = Callable[[torch.Tensor, Axes], torch.Tensor]
_REDUCTIONS: dict[type[reduce.Reduce], Reduction] = {
    reduce.ReduceSum: _sum,
    reduce.ReduceMean: _mean,
    reduce.ReduceProd: _prod,
    reduce.ReduceMax: lambda x, axes: _extreme(x, axes, largest=True),
    reduce.ReduceMin: lambda x, axes: _extreme(x, axes, largest=False),
    reduce.ReduceL1: lambda x, axes: _sum(torch.abs(x), axes),
    reduce.ReduceL2: _l2,
    reduce.ReduceSumSquare: lambda x, axes: _sum(torch.square(x), axes),
    reduce.ReduceLogSum: lambda x, axes: torch.log(_sum(x, axes)),
    reduce.ReduceLogSumExp: _log_sum_exp,
}


def _wrapped_square(x: torch.Tensor) -> torch.Tensor:
    """uint16 / uint32 squared modulo 2**bits, as numpy's square wraps them (in int64)."""
    bits = 16 if x.dtype == torch.uint16 else 32
    return torch.bitwise_and(torch.square(signed(x)), 2**bits - 1)


def _reducer(cls: type[reduce.Reduce]) -> TorchOp:
    fn = _REDUCTIONS[cls]
    integer_exact = cls in (reduce.ReduceMax, reduce.ReduceMin)  # they handle unsigned themselves

    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        xin = x[0]
        axes = cls.reduced_axes(len(c.inputs[0].shape), c.attrs)
        if xin.dtype == torch.float16:
            work = xin.to(torch.float32)
        elif cls is reduce.ReduceL2 and xin.dtype in (torch.uint16, torch.uint32):
            return [
                torch.sqrt(_sum(_wrapped_square(xin), axes).to(torch.float64)).to(xin.dtype).reshape(c.outputs[0].shape)
            ]
        else:
            work = xin if integer_exact else signed(xin)
        return [fn(work, axes).to(xin.dtype).reshape(c.outputs[0].shape)]

    return op(kernel)


def _arg_reducer(largest: bool) -> TorchOp:
    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        shape = c.inputs[0].shape
        axis = normalize_axis(c.attrs["axis"], len(shape))
        wide = ordered(x[0]) if not x[0].dtype.is_floating_point else x[0]
        fn = torch.argmax if largest else torch.argmin
        if c.attrs["select_last_index"]:
            index = shape[axis] - 1 - fn(torch.flip(wide, dims=(axis,)), dim=axis, keepdim=True)
        else:
            index = fn(wide, dim=axis, keepdim=True)
        return [index.reshape(c.outputs[0].shape)]

    reason = "ArgMax and ArgMin return integer positions, which have no gradient."
    return op(kernel, no_grad=reason)


KERNELS: dict[type[Op], TorchOp] = {
    **{cls: _reducer(cls) for cls in _REDUCTIONS},
    reduce.ArgMax: _arg_reducer(largest=True),
    reduce.ArgMin: _arg_reducer(largest=False),
}
