"""Time to load and verify the ONNX light models, side by side with onnx's own load + checker +
shape inference in the same run (the ratio is the figure; absolute times vary on shared machines).

    python benchmarks/load_models.py [--models densenet121,resnet50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import onnx

from tessera.frontends.onnx_import import load_onnx
from tessera.ir import verify
from tessera.models_zoo.light import NAMES, light_model_path


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def onnx_peer(path: str) -> None:
    model = onnx.load(path)
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(NAMES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| model | nodes | load+verify (ms) | verify alone (ms) | onnx load+check+infer (ms) | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.models.split(","):
        path = str(light_model_path(name))
        graph = load_onnx(path)
        t_load = median_time(functools.partial(load_onnx, path), args.repeat)
        t_verify = median_time(functools.partial(verify, graph), args.repeat)
        t_peer = median_time(functools.partial(onnx_peer, path), args.repeat)
        print(
            f"| {name} | {len(graph.nodes)} | {t_load * 1e3:.1f} | {t_verify * 1e3:.1f} | {t_peer * 1e3:.1f} "
            f"| {t_load / t_peer:.2f}x |"
        )


if __name__ == "__main__":
    main()
