"""Hand-written modules through the torch.export frontend, each compared with eager PyTorch."""

from __future__ import annotations

import pytest
from conftest import ONNXSCRIPT, TORCH, require
from torch_cases import check_numerics

torch = require("torch", TORCH)
nn, F = torch.nn, torch.nn.functional


def _randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


class ConvBlock(nn.Module):
    """Conv + BatchNorm + depthwise + residual + concat + pools + flatten + linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(16, 8, 1, stride=2)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn(self.conv(x)))
        z = F.hardswish(self.dw(y)) + y
        z = self.pw(torch.cat([z, y], dim=1))
        z = F.avg_pool2d(F.max_pool2d(z, 2, ceil_mode=True), 2)
        return self.fc(torch.flatten(z, 1))


class Activations(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [
            torch.sigmoid(x),
            F.silu(x),
            F.hardsigmoid(x),
            F.leaky_relu(x, 0.1),
            F.elu(x),
            F.softplus(x),
            F.mish(x),
            torch.tanh(x),
            F.gelu(x),
            F.gelu(x, approximate="tanh"),
            torch.clamp(x, -0.5, 0.5),
            torch.rsqrt(x.abs() + 1),
            x.pow(3) / 4 - x.exp().log1p() * 0 + x**2,
        ]
        return torch.stack(parts, dim=1)


class Pools(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        a = F.adaptive_avg_pool2d(self.bn(x), 1).flatten(1)
        b = F.adaptive_avg_pool2d(self.gn(x), (2, 2))
        c = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        return a, b, c


class SuperRes(nn.Module):
    """EDSR-style tail: conv, PixelShuffle, nearest and bilinear upsampling, padding."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        y = self.shuffle(self.conv(x))
        near = F.interpolate(x, scale_factor=2, mode="nearest")
        bil = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return y + near + bil, F.pad(x, (1, 2, 0, 1)), F.pad(x, (1, 1, 1, 1), mode="reflect")


class ConvTransposeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
        self.c1 = nn.Conv1d(4, 4, 3, padding="same")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.up(x), self.c1(x.flatten(2))


class Attention(nn.Module):
    """Embedding + LayerNorm + sdpa with a bool mask, a float mask, causal, and none."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.ln = nn.LayerNorm(16)
        self.qkv = nn.Linear(16, 48)

    def forward(self, ids: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        h = self.ln(self.emb(ids))
        q, k, v = (t.view(1, 6, 2, 8).transpose(1, 2) for t in self.qkv(h).chunk(3, dim=-1))
        bool_mask = keep[:, None, None, :].bool()
        float_mask = torch.zeros(1, 1, 6, 6).masked_fill(~bool_mask, float("-inf"))
        outs = [
            F.scaled_dot_product_attention(q, k, v),
            F.scaled_dot_product_attention(q, k, v, attn_mask=bool_mask),
            F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask),
            F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
        ]
        return torch.cat(outs, dim=-1).transpose(1, 2).reshape(1, 6, -1)


class TensorOps(nn.Module):
    """Slicing, select, split, where, masked_fill, reductions, arange, casts, indexing."""

    def forward(self, x: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        a, b = x.split([2, 4], dim=1)
        y = torch.where(a.sum(1, keepdim=True) > 0, b[:, ::2], -b[:, 1::2])
        y = y.masked_fill(y < -1, 0.0) + x[:, -1:].expand(-1, 2, -1)
        pos = torch.arange(x.shape[-1]).float()
        z = (x.mean(dim=(0, 2)) + x.amax(-1).sum(0) - x.var(-1).sum(0)) * pos.mean()
        values, indices = x.max(dim=-1)
        picked = x.select(0, 1).index_select(1, idx) + x[1, :, idx]
        gathered = torch.gather(x, 2, idx.view(1, 1, -1).expand(2, 6, -1))
        return (
            y,
            z,
            values,
            indices,
            x.argmin(-1),
            picked,
            (x > 0).to(torch.int32),
            gathered,
            x.flip(-1).permute(2, 0, 1),
        )


class Int64Ops(nn.Module):
    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return ids * 2 + 1, (ids != 3) & (ids >= 1)


CASES = {
    "conv_block": (ConvBlock, lambda: (_randn(2, 3, 8, 8),)),
    "activations": (Activations, lambda: (_randn(2, 5),)),
    "pools_norms": (Pools, lambda: (_randn(2, 4, 6, 6),)),
    "super_resolution": (SuperRes, lambda: (_randn(1, 3, 4, 4),)),
    "conv_transpose_conv1d": (ConvTransposeNet, lambda: (_randn(1, 4, 3, 3),)),
    "attention": (Attention, lambda: (torch.tensor([[1, 5, 7, 2, 0, 9]]), torch.tensor([[1, 1, 1, 1, 0, 0]]))),
    "tensor_ops": (TensorOps, lambda: (_randn(2, 6, 5), torch.tensor([4, 0, 2]))),
    "int64": (Int64Ops, lambda: (torch.tensor([[0, 3, 5], [1, 2, 3]]),)),
}


def _build(name: str) -> tuple:
    factory, inputs = CASES[name]
    torch.manual_seed(0)
    module = factory()
    for m in module.modules():  # non-trivial BatchNorm statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return module, inputs()


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_matches_eager(name: str) -> None:
    module, args = _build(name)
    check_numerics(module, args)


@pytest.mark.parametrize("name", ["conv_block", "attention"])
def test_module_through_onnx_matches_eager(name: str) -> None:
    require("onnxscript", ONNXSCRIPT)
    module, args = _build(name)
    check_numerics(module, args, frontend="onnx")


def test_inputs_named_after_forward_and_weights_are_constants() -> None:
    module, args = _build("attention")
    graph = check_numerics(module, args)
    assert [v.name for v in graph.inputs] == ["ids", "keep"]
    assert graph.inputs[0].dtype.value == "int64"
    assert [v.name for v in graph.outputs] == ["output"]
    assert not any(n.op.name in ("Identity", "Dropout") for n in graph.nodes)


def test_batchnorm_kept_as_one_node_and_eval_mode_restored() -> None:
    module, args = _build("conv_block")
    module.train()
    graph = check_numerics(module, args)  # check_numerics calls eval(); load must not depend on it
    module.train()
    from tessera.frontends.torch_import import load_torch

    load_torch(module, args)
    assert module.training and module.bn.training
    assert graph.op_counts()["BatchNormalization"] == 1
    assert graph.op_counts()["Conv"] == 3
