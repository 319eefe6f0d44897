"""Small torch models for the MCU tests: a MobileNetV2-style CNN and a BERT-style encoder block."""

from __future__ import annotations

from typing import Any

from conftest import TORCH, require

torch = require("torch", TORCH)
nn = torch.nn


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )  # fmt: skip
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Any) -> Any:
        y = self.body(x)
        return x + y if self.residual else y


class TinyMobileNet(nn.Module):
    """MobileNetV2 in miniature: stem, inverted residuals (depthwise, pointwise, residual adds), head."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(8, 8, 1, 1), InvertedResidual(8, 12, 2, 4), InvertedResidual(12, 12, 1, 4),
            InvertedResidual(12, 16, 2, 4),
        )  # fmt: skip
        self.head = nn.Linear(16, classes)

    def forward(self, x: Any) -> Any:
        y = self.blocks(self.stem(x))
        return self.head(torch.nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


class TinyBert(nn.Module):
    """One BERT encoder layer: token embeddings, multi-head attention, GELU MLP, two layer norms."""

    def __init__(self, vocab: int = 64, seq: int = 16, dim: int = 32, heads: int = 2) -> None:
        super().__init__()
        self.heads, self.dim = heads, dim
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(seq, dim) * 0.1)
        self.qkv = nn.ModuleList(nn.Linear(dim, dim) for _ in range(3))
        self.out = nn.Linear(dim, dim)
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.cls = nn.Linear(dim, 2)

    def forward(self, ids: Any) -> Any:
        x = self.tok(ids) + self.pos
        b, s, d = x.shape
        q, k, v = (lin(x).reshape(b, s, self.heads, d // self.heads).transpose(1, 2) for lin in self.qkv)
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = self.ln1(x + self.out(ctx))
        x = self.ln2(x + self.mlp(x))
        return self.cls(x[:, 0])


def mobilenet_onnx(size: int = 32) -> bytes:
    from _mcu_helpers import torch_onnx

    torch.manual_seed(0)
    return torch_onnx(TinyMobileNet(), torch.randn(1, 3, size, size))


def bert_onnx(seq: int = 16) -> bytes:
    from _mcu_helpers import torch_onnx

    torch.manual_seed(0)
    return torch_onnx(TinyBert(seq=seq), torch.randint(0, 64, (1, seq)), names=("ids",))
