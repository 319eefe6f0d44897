"""Vision Transformer (Dosovitskiy et al. 2021): patch embedding, class token, learned position
embedding, pre-norm encoder blocks (multi-head attention as explicit matmul-softmax, GELU MLP),
and a linear head on the class token."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from tessera.errors import TesseraError
from tessera.models_zoo.inputs import InputSpec, image


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, bias: Tensor | None = None) -> Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(d // self.heads))
        if bias is not None:
            scores = scores + bias
        out = scores.softmax(-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Linear(dim * mlp_ratio, dim))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(
        self, resolution: int, patch: int, dim: int, depth: int, heads: int, mlp_ratio: int, num_classes: int
    ) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (resolution // patch) ** 2 + 1, dim))
        self.blocks = nn.Sequential(*(Block(dim, heads, mlp_ratio) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, image: Tensor) -> Tensor:
        x = self.patch_embed(image).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(x))[:, 0])


def vit(
    resolution: int, patch: int, dim: int, depth: int, heads: int, mlp_ratio: int, num_classes: int
) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    if resolution % patch or dim % heads:
        raise TesseraError(
            f"zoo vit: resolution {resolution} must be a multiple of patch {patch}, and dim {dim} of heads {heads}"
        )
    model = ViT(resolution, patch, dim, depth, heads, mlp_ratio, num_classes)
    return model, (image((1, 3, resolution, resolution)),)
