"""Conversion time per model per PyTorch frontend, and the error vs eager PyTorch.

    PYTHONPATH=$PWD python benchmarks/torch_frontends.py [--repeat N]

"export" is torch.export + run_decompositions + Tessera's ATen conversion; "onnx" is
torch.onnx.export(dynamo=True) to an in-memory model + Tessera's ONNX frontend. Each figure is the
best of N conversions (the first conversion in a process also pays for torch's lazy imports, so one
warm-up conversion per frontend runs first). Ratio = onnx / export.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.utils._pytree as pytree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "frontends"))

from test_torch_modules import _build
from test_torch_transformers import MODELS

from tessera.backends.reference import execute
from tessera.frontends.torch_import import load_torch


def _cases() -> dict:
    cases = {name: factory() for name, factory in MODELS.items()}
    cases["conv_block"] = _build("conv_block")
    cases["attention"] = _build("attention")
    return cases


def _error(graph, module, args) -> float:
    got = execute(graph, {v.name: a.numpy() for v, a in zip(graph.inputs, args)})
    with torch.no_grad():
        want = [t.numpy() for t in pytree.tree_leaves(module(*args))]
    return max(float(np.abs(g - w).max() / max(np.abs(w).max(), 1e-6)) for g, w in zip(got.values(), want))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    torch.manual_seed(0)
    cases = _cases()
    for module, _ in cases.values():
        module.eval()
    for frontend in ("export", "onnx"):  # warm-up: lazy imports, exporter registries
        load_torch(*cases["conv_block"], frontend=frontend)
    print(f"{'model':<12} {'export s':>9} {'onnx s':>8} {'onnx/export':>12} {'nodes e/o':>10} {'rel err e/o':>18}")
    for name, (module, args) in cases.items():
        row = {}
        for frontend in ("export", "onnx"):
            times = []
            for _ in range(opts.repeat):
                start = time.perf_counter()
                graph = load_torch(module, args, frontend=frontend)
                times.append(time.perf_counter() - start)
            row[frontend] = (min(times), len(graph.nodes), _error(graph, module, args))
        (te, ne, ee), (to, no, eo) = row["export"], row["onnx"]
        print(f"{name:<12} {te:>9.2f} {to:>8.2f} {to / te:>12.2f} {f'{ne}/{no}':>10} {f'{ee:.1e}/{eo:.1e}':>18}")


if __name__ == "__main__":
    main()
