"""Stand-in models for benchmarks/mcu.py while tessera.zoo is not on this branch: MobileNetV2 (the
standard architecture, any width multiplier) and a BERT-tiny-shaped encoder, both with seeded random
weights, exported from torch to ONNX."""

from __future__ import annotations

import io
from typing import Any

import torch
from torch import nn


def _divisible(v: float, d: int = 8) -> int:
    out = max(d, int(v + d / 2) // d * d)
    return out + d if out < 0.9 * v else out


def _cbr(cin: int, cout: int, k: int, s: int, groups: int = 1, act: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return [*layers, nn.ReLU6()] if act else layers


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, s: int, t: int) -> None:
        super().__init__()
        mid = cin * t
        layers = (_cbr(cin, mid, 1, 1) if t != 1 else []) + _cbr(mid, mid, 3, s, mid) + _cbr(mid, cout, 1, 1, act=False)
        self.body, self.res = nn.Sequential(*layers), s == 1 and cin == cout

    def forward(self, x: Any) -> Any:
        return x + self.body(x) if self.res else self.body(x)


class MobileNetV2(nn.Module):
    # expansion t, channels c, repeats n, first stride s
    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2))
    SETTINGS += ((6, 320, 1, 1),)

    def __init__(self, width: float = 1.0, classes: int = 1000) -> None:
        super().__init__()
        cin = _divisible(32 * width)
        last = _divisible(1280 * max(1.0, width))
        layers: list[nn.Module] = [*_cbr(3, cin, 3, 2)]
        for t, c, n, s in self.SETTINGS:
            cout = _divisible(c * width)
            for i in range(n):
                layers.append(_Block(cin, cout, s if i == 0 else 1, t))
                cin = cout
        layers += _cbr(cin, last, 1, 1)
        self.features, self.fc = nn.Sequential(*layers), nn.Linear(last, classes)

    def forward(self, x: Any) -> Any:
        return self.fc(self.features(x).mean((2, 3)))


class BertEncoder(nn.Module):
    """BERT-style encoder: embeddings + `layers` x (attention, GELU MLP, post layer norms), CLS head."""

    def __init__(self, vocab: int, seq: int, dim: int = 128, heads: int = 2, layers: int = 2) -> None:
        super().__init__()
        self.heads = heads
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Parameter(torch.randn(seq, dim) * 0.02)
        self.ln0 = nn.LayerNorm(dim)
        self.layers = nn.ModuleList(
            nn.ModuleDict({
                "q": nn.Linear(dim, dim), "k": nn.Linear(dim, dim), "v": nn.Linear(dim, dim),
                "o": nn.Linear(dim, dim), "ln1": nn.LayerNorm(dim), "ln2": nn.LayerNorm(dim),
                "up": nn.Linear(dim, 4 * dim), "down": nn.Linear(4 * dim, dim),
            })
            for _ in range(layers)
        )  # fmt: skip
        self.cls = nn.Linear(dim, 2)

    def forward(self, ids: Any) -> Any:
        x = self.ln0(self.tok(ids) + self.pos)
        b, s, d = x.shape
        for p in self.layers:
            q, k, v = (p[n](x).reshape(b, s, self.heads, -1).transpose(1, 2) for n in "qkv")
            att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
            x = p["ln1"](x + p["o"]((att @ v).transpose(1, 2).reshape(b, s, d)))
            x = p["ln2"](x + p["down"](nn.functional.gelu(p["up"](x))))
        return self.cls(x[:, 0])


def export(module: nn.Module, example: Any, name: str) -> bytes:
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module.eval(), (example,), buf, dynamo=False, input_names=[name], opset_version=17)
    return buf.getvalue()


def mobilenetv2(width: float, resolution: int, classes: int = 1000) -> bytes:
    """Random weights; batch-norm statistics estimated on random inputs, so activations keep unit
    scale through the depth (with default statistics they shrink to ~1e-8, which int8 cannot hold)."""
    torch.manual_seed(0)
    model = MobileNetV2(width, classes).train()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = None  # cumulative average over the warm-up batches
        for _ in range(4):
            model(torch.randn(4, 3, resolution, resolution))
    return export(model, torch.randn(1, 3, resolution, resolution), "x")


def bert(vocab: int, seq: int) -> bytes:
    torch.manual_seed(0)
    return export(BertEncoder(vocab, seq), torch.randint(0, vocab, (1, seq)), "ids")
