"""Straight-through estimators: the forward is a step function, the backward pretends it is not.

Each is written as `surrogate + (step - surrogate).detach()`: the value is exactly the step's, the
gradient is the surrogate's. No autograd.Function is needed, so they compose with everything torch
differentiates (double backward included).
"""

from __future__ import annotations

import torch


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """round_half_even(x) forward (as numpy's rint), infinities and NaN kept; identity gradient."""
    step = (torch.round(x) - x).nan_to_num(nan=0.0, posinf=0.0, neginf=0.0)  # inf - inf would be NaN
    return x + step.detach()


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """sign(x) forward; gradient 1 where |x| <= 1 and 0 elsewhere (the clipped STE of BinaryNet)."""
    clipped = torch.clamp(x, -1.0, 1.0)
    return clipped + (torch.sign(x) - clipped).detach()


def binary_sign_ste(x: torch.Tensor) -> torch.Tensor:
    """-1 where x < 0 else +1 forward (so s(0) = +1, unlike sign); the clipped STE's gradient."""
    clipped = torch.clamp(x, -1.0, 1.0)
    step = torch.where(x < 0, -1.0, 1.0).to(x.dtype)
    return clipped + (step - clipped).detach()


def fake_quantize(
    x: torch.Tensor, scale: torch.Tensor | float, zero_point: float, qmin: float, qmax: float
) -> torch.Tensor:
    """x / scale rounded (half to even), plus the zero point, clamped to [qmin, qmax]: the integer
    code as a float tensor. The gradient passes straight through the rounding and is zero where the
    clamp saturates; a learnable `scale` gets the LSQ gradient through the division."""
    return torch.clamp(round_ste(x / scale) + zero_point, qmin, qmax)


def round_half_away_ste(x: torch.Tensor) -> torch.Tensor:
    """round(x) with ties away from zero (C's round, TFLite's integer average pool); identity gradient."""
    away = torch.sign(x) * torch.floor(torch.abs(x) + 0.5)
    return x + (away - x).detach()


def round_half_up_ste(x: torch.Tensor) -> torch.Tensor:
    """floor(x + 0.5): ties toward +inf (gemmlowp's rounding doubling high multiply); identity gradient."""
    return x + (torch.floor(x + 0.5) - x).detach()
