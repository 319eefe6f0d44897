"""The models zoo table in docs/zoo.md: per model (defaults unless shown), parameters, MACs,
activation memory (every intermediate tensor summed, and the liveness peak in the imported node
order), IR nodes after canonicalize, the torch -> ONNX export and ONNX -> IR import times, and the
relative error of Tessera's reference executor against eager PyTorch on the example input.

    python benchmarks/zoo.py [--only NAME ...] [--exporters]

--exporters adds a table of export time with the TorchScript tracer vs torch.export (dynamo).
Torch runs on one thread (--threads) so times are stable on a shared machine.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import torch

import tessera
from tessera import zoo
from tessera.ir.summary import summarize

# (name, options): every model at its defaults, plus the configurations the issue names
CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("mobilenetv2", {}),
    ("mobilenetv2", {"width": 0.35, "resolution": 96}),
    ("mobilenetv2", {"width": 0.35, "resolution": 128}),
    ("mobilenetv2", {"width": 0.35, "resolution": 144}),
    ("mcunet-vww", {}),
    ("mcunet-vww", {"resolution": 144}),
    ("resnet18", {}),
    ("efficientnet-b0", {}),
    ("inception", {}),
    ("vit-tiny", {}),
    ("vit-7-4-32", {}),
    ("bert-tiny", {}),
    ("bert-mini", {}),
    ("bert-tiny", {"seq_len": 512}),
    ("edsr-baseline", {}),
    ("edsr-baseline", {"scale": 4}),
    ("srresnet", {}),
    ("srresnet", {"scale": 4}),
    ("randwire", {}),
    ("nasnet-cifar", {}),
    ("nasnet-imagenet", {}),
    ("darts-cifar", {}),
    ("darts-imagenet", {}),
    ("amoebanet-cifar", {}),
    ("amoebanet-imagenet", {}),
]
EXPORTER_MODELS = [
    ("mobilenetv2", {"width": 0.35, "resolution": 128}),
    ("resnet18", {}),
    ("vit-7-4-32", {}),
    ("bert-tiny", {}),
]


def measure(name: str, options: dict[str, Any], torch_export: bool = False) -> dict[str, Any]:
    model = zoo.get(name, **options)
    with torch.no_grad():
        want = model.module(*model.example_inputs).numpy()
    start = time.perf_counter()
    proto = zoo.export_onnx(model)
    export_s = time.perf_counter() - start
    start = time.perf_counter()
    graph = tessera.load(proto)
    import_s = time.perf_counter() - start
    compiled = tessera.compile(graph)
    feeds = {k: t.numpy() for k, t in zip(model.input_names, model.example_inputs)}
    (have,) = compiled.run(feeds).values()
    error = float(np.abs(have - want).max() / np.abs(want).max())
    s = summarize(compiled.graph)
    route: dict[str, str] = {}
    if torch_export:  # the default PyTorch frontend: torch.export -> ATen -> IR, no ONNX
        start = time.perf_counter()
        direct = tessera.load(model.module, example_inputs=model.example_inputs)
        route["torch.export route (s)"] = f"{time.perf_counter() - start:.2f}"
        (have,) = tessera.run(direct, feeds).values()
        route["rel. error (export route)"] = f"{float(np.abs(have - want).max() / np.abs(want).max()):.1e}"
    return {
        "model": name,
        "options": " ".join(f"{k}={v}" for k, v in options.items()) or "defaults",
        "params": f"{s.params / 1e6:.2f}M",
        "MACs": f"{s.macs / 1e6:.1f}M",
        "activations (all)": _kib(s.activation_bytes),
        "activation peak": _kib(s.activation_peak_bytes),
        "IR nodes": str(s.nodes),
        "export (s)": f"{export_s:.2f}",
        "import (s)": f"{import_s:.2f}",
        "rel. error": f"{error:.1e}",
        **route,
    }


def exporter_row(name: str, options: dict[str, Any]) -> dict[str, str]:
    model = zoo.get(name, **options)
    times = {}
    for dynamo in (False, True):
        start = time.perf_counter()
        zoo.export_onnx(model, dynamo=dynamo)
        times[dynamo] = time.perf_counter() - start
    label = name + ("" if not options else " " + " ".join(f"{k}={v}" for k, v in options.items()))
    return {
        "model": label,
        "TorchScript (s)": f"{times[False]:.2f}",
        "torch.export (s)": f"{times[True]:.2f}",
        "ratio": f"{times[True] / times[False]:.1f}x",
    }


def _kib(n: int) -> str:
    return f"{n / 2**20:.2f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


def print_table(rows: list[dict[str, str]]) -> None:
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "|".join("---" if i < 2 else "---:" for i in range(len(keys))) + "|")
    for row in rows:
        print("| " + " | ".join(row[k] for k in keys) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="only these model names")
    parser.add_argument("--exporters", action="store_true", help="also compare the two ONNX exporters")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--torch-export", action="store_true", help="also time the torch.export frontend route")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    configs = [c for c in CONFIGS if not args.only or c[0] in args.only]
    print_table([measure(name, options, args.torch_export) for name, options in configs])
    if args.exporters:
        zoo.export_onnx(zoo.get("mcunet-vww", resolution=32), dynamo=True)  # warm torch.export up once
        print()
        print_table([exporter_row(name, options) for name, options in EXPORTER_MODELS])


if __name__ == "__main__":
    main()
