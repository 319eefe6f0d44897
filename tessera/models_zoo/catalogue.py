"""Every zoo model, as data: name, family, description, builder, options with defaults, and the
published figures to compare with. Importing this does not import PyTorch."""

from __future__ import annotations

from tessera.models_zoo.registry import ZooSpec, register

_M = "tessera.models_zoo."

register(
    ZooSpec(
        "mobilenetv2",
        "cnn",
        "MobileNetV2 (inverted residuals, ReLU6); width and resolution options; dataset=cifar: stride-1 stem",
        _M + "mobilenet:mobilenetv2",
        {"width": 1.0, "resolution": 224, "num_classes": 1000, "dataset": "imagenet"},
        choices={"dataset": ("imagenet", "cifar")},
        published="1.0@224: 3.5M params, 300M MACs; 0.35@224: 1.7M, 59M; cifar 1.0@32: 2.3M params (10 classes)",
    )
)

register(
    ZooSpec(
        "mcunet-vww",
        "cnn",
        "MCUNet-like visual-wake-words network (mixed 3/5/7 kernels, expand 3/4/6, 2 classes)",
        _M + "mcunet:mcunet_vww",
        {"width": 1.0, "resolution": 80, "num_classes": 2},
        published="MCUNet-VWW: 0.4-0.7M params, 6-56M MACs at 64-144 px",
    )
)
register(
    ZooSpec(
        "resnet18",
        "cnn",
        "ResNet-18 (basic blocks 2-2-2-2); width scales the 64-512 channels",
        _M + "resnet:resnet18",
        {"width": 1.0, "resolution": 224, "num_classes": 1000},
        published="11.7M params, 1.8G MACs",
    )
)
register(
    ZooSpec(
        "efficientnet-b0",
        "cnn",
        "EfficientNet-B0 (MBConv + squeeze-excite, SiLU); width and depth multipliers",
        _M + "efficientnet:efficientnet_b0",
        {"width": 1.0, "depth": 1.0, "resolution": 224, "num_classes": 1000},
        published="5.3M params, 390M MACs",
    )
)
register(
    ZooSpec(
        "inception",
        "cnn",
        "Inception-style network: GoogLeNet (Inception v1) with BatchNorm; width scales every branch",
        _M + "inception:inception",
        {"width": 1.0, "resolution": 224, "num_classes": 1000},
        published="GoogLeNet: 6.6-7.0M params, 1.5G MACs",
    )
)
_VIT = {"patch": 16, "dim": 192, "depth": 12, "heads": 3, "mlp_ratio": 4}
register(
    ZooSpec(
        "vit-tiny",
        "transformer",
        "ViT-Tiny/16: 12 layers, 3 heads, dim 192",
        _M + "vit:vit",
        {"resolution": 224, **_VIT, "num_classes": 1000},
        published="5.7M params, 1.26G MACs",
    )
)
register(
    ZooSpec(
        "vit-7-4-32",
        "transformer",
        "ViT-7/4/32 as in MPCViT: 7 layers, 4 heads, dim 256, MLP 512, patch 4, 32x32 input, 10 classes",
        _M + "vit:vit",
        {"resolution": 32, "patch": 4, "dim": 256, "depth": 7, "heads": 4, "mlp_ratio": 2, "num_classes": 10},
        published="ViT-Lite-7/4: 3.7M params, 0.24G MACs",
    )
)
_BERT = {"seq_len": 128, "vocab": 30522, "num_labels": 2}
register(
    ZooSpec(
        "bert-tiny",
        "transformer",
        "BERT-tiny (L=2, H=128, A=2, FF=512) with pooler and classifier; inputs input_ids, attention_mask",
        _M + "bert:bert_tiny",
        _BERT,
        published="4.4M params (3.9M in the word embedding)",
    )
)
register(
    ZooSpec(
        "bert-mini",
        "transformer",
        "BERT-mini (L=4, H=256, A=4, FF=1024) with pooler and classifier; inputs input_ids, attention_mask",
        _M + "bert:bert_mini",
        _BERT,
        published="11.3M params (7.8M in the word embedding)",
    )
)
_SR = {"scale": 2, "resolution": 48, "blocks": 16}
register(
    ZooSpec(
        "edsr-baseline",
        "super-resolution",
        "EDSR-baseline: 16 residual blocks, 64 channels, no BatchNorm, pixel-shuffle x2/x3/x4",
        _M + "super_resolution:edsr_baseline",
        _SR,
        choices={"scale": (2, 3, 4)},
        published="1.37M params (x2), 1.52M (x4)",
    )
)
register(
    ZooSpec(
        "srresnet",
        "super-resolution",
        "SRResNet: 9x9 head, 16 residual blocks with BatchNorm and PReLU, pixel-shuffle x2/x4",
        _M + "super_resolution:srresnet",
        _SR,
        choices={"scale": (2, 4)},
        published="1.5M params (x4)",
    )
)
register(
    ZooSpec(
        "randwire",
        "wired",
        "RandWire-WS small regime: seeded Watts-Strogatz WS(32, 4, 0.75) stages, separable-conv nodes",
        _M + "randwire:randwire",
        {
            "stages": 3,
            "channels": 78,
            "nodes": 32,
            "k": 4,
            "p": 0.75,
            "graph_seed": 0,
            "resolution": 224,
            "num_classes": 1000,
        },
        published="small regime C=78: 5.6M params, 583M MACs",
    )
)
_CELLS = {
    "nasnet": ("NASNet-A", 32, 44, "CIFAR 3.3M params; mobile ImageNet 5.3M, 564M MACs"),
    "amoebanet": ("AmoebaNet-A", 36, 50, "CIFAR 3.2M params; mobile ImageNet 5.1M, 555M MACs"),
    "darts": ("DARTS (V2)", 36, 48, "CIFAR 3.3M params; ImageNet 4.7M, 574M MACs"),
}
for _key, (_title, _c_cifar, _c_imagenet, _published) in _CELLS.items():
    register(
        ZooSpec(
            f"{_key}-cifar",
            "wired",
            f"{_title} cells, CIFAR network: 20 cells (reductions at 1/3 and 2/3), 3C stem, 32x32 input",
            f"{_M}nas_cells:{_key}",
            {"dataset": "cifar", "channels": _c_cifar, "layers": 20, "resolution": 32, "num_classes": 10},
            choices={"dataset": ("cifar", "imagenet")},
            published=_published,
        )
    )
    register(
        ZooSpec(
            f"{_key}-imagenet",
            "wired",
            f"{_title} cells, ImageNet mobile network: 3 stride-2 stem convs, 14 cells, 224x224 input",
            f"{_M}nas_cells:{_key}",
            {"dataset": "imagenet", "channels": _c_imagenet, "layers": 14, "resolution": 224, "num_classes": 1000},
            choices={"dataset": ("cifar", "imagenet")},
            published=_published,
        )
    )
