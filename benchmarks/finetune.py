"""Trainable lowering: quantization-aware training recovers a badly quantized model, and the lowered
module trains at eager PyTorch's speed.

    PYTHONPATH=$PWD python benchmarks/finetune.py [--resolution 96] [--epochs 3] [--examples 256]

1. Recovery: mobilenetv2 (width 0.35) from the zoo is quantized to int8 with deliberately poor ranges
   (calibrated on inputs scaled by --scale-ranges, so every activation range is that much too wide),
   then trained with `tessera.finetune` (distillation from the float graph, the int8 graph running as
   its float simulation). SQNR of the int8 graph's output (exact integer form) against float on
   held-out inputs, before and after, with a well-calibrated PTQ for reference; then the same QAT
   (same epochs and lr) with learned activation scales (`learn_scales=True`, scale lr --scale-lr).
2. Speed: one training step (forward, backward, Adam) of the float graph lowered by
   `tessera.to_torch` against the zoo's eager PyTorch module (eval mode: batch norm uses its running
   statistics, as the graph does), same batch, best of --repeat; ratio = lowered / eager.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from collections.abc import Callable

import numpy as np
import torch

import tessera
from tessera import zoo
from tessera.passes.quantize.report import sqnr_db
from tessera.train.options import SCALE_LR


def cpu() -> str:
    """The CPU model and its widest x86 vector ISA."""
    name, flags = platform.processor() or "unknown CPU", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and name in ("unknown CPU", "x86_64", ""):
                    name = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = line
                    break
    except OSError:
        pass
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{name}, {isa}, {torch.get_num_threads()} torch threads"


def output_sqnr(graph: tessera.Graph, reference: tessera.Graph, inputs: list[dict[str, np.ndarray]]) -> float:
    got = np.concatenate([next(iter(tessera.run(graph, x).values())).ravel() for x in inputs])
    want = np.concatenate([next(iter(tessera.run(reference, x).values())).ravel() for x in inputs])
    return sqnr_db(float(np.sum(want.astype(np.float64) ** 2)), float(np.sum((got - want).astype(np.float64) ** 2)))


def recovery(args: argparse.Namespace) -> None:
    model = zoo.get("mobilenetv2", width=0.35, resolution=args.resolution)
    name = model.input_names[0]
    float_graph = tessera.compile(tessera.load(model.module, example_inputs=model.example_inputs)).graph
    train = [{name: x[name]} for x in model.sample_inputs(args.examples)]
    held = [{name: x[name]} for x in model.sample_inputs(args.examples + 16)[args.examples :]]
    poor = [{name: (x[name] * args.scale_ranges).astype(np.float32)} for x in train[:16]]
    good = tessera.quantize(float_graph, train[:16])
    bad = tessera.quantize(float_graph, poor)
    start = time.perf_counter()
    options = tessera.FinetuneOptions(epochs=args.epochs, lr=args.lr, batch_size=32, progress=False)
    qat = tessera.finetune(bad.graph, train, teacher=float_graph, options=options)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    learned_options = dataclasses.replace(options, learn_scales=True, scale_lr=args.scale_lr)
    learned = tessera.finetune(bad.graph, train, teacher=float_graph, options=learned_options)
    learned_seconds = time.perf_counter() - start
    print(f"\n## QAT recovers poor int8 ranges: mobilenetv2-0.35 @ {args.resolution}, {cpu()}")
    print(f"{args.examples} training inputs, ranges calibrated on inputs x{args.scale_ranges}, {args.epochs} epochs")
    print(f"distillation, lr {args.lr}, batch 32; SQNR of the int8 output vs float on 16 held-out inputs\n")
    print("| graph | output SQNR dB |")
    print("|---|---|")
    print(f"| int8, good ranges (PTQ on 16 inputs) | {output_sqnr(good.graph, float_graph, held):.2f} |")
    print(f"| int8, poor ranges (PTQ) | {output_sqnr(bad.graph, float_graph, held):.2f} |")
    print(f"| int8, poor ranges + QAT | {output_sqnr(qat.graph, float_graph, held):.2f} |")
    print(f"| int8, poor ranges + QAT, learned scales | {output_sqnr(learned.graph, float_graph, held):.2f} |")
    for label, run, secs in (("QAT", qat, seconds), ("QAT, learned scales", learned, learned_seconds)):
        report = run.report
        print(f"\n{label}: {secs:.1f} s, loss per epoch {', '.join(f'{v:.4g}' for v in report.loss_per_epoch)}")
        print(f"training-set SQNR {report.metric_before:.2f} -> {report.metric_after:.2f} dB")
    print(f"learned scales: {learned.report.scales} groups, scale lr {learned_options.scale_lr or SCALE_LR}")


def best_step(step: Callable[[], None], repeat: int) -> float:
    step()  # warm-up (lazy init, allocator)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


class LoweredStep:
    """One training step of a lowered module: forward, MSE against the target, backward, Adam."""

    def __init__(self, module: torch.nn.Module, inputs: dict[str, torch.Tensor], output: str, target: torch.Tensor):
        self.module, self.inputs, self.output, self.target = module, inputs, output, target
        self.opt = torch.optim.Adam(module.parameters(), lr=1e-4)

    def __call__(self) -> None:
        self.opt.zero_grad()
        out = self.module.run(self.inputs)[self.output]
        torch.nn.functional.mse_loss(out.reshape(self.target.shape), self.target).backward()
        self.opt.step()


def speed(args: argparse.Namespace) -> None:
    model = zoo.get("mobilenetv2", width=0.35, resolution=args.resolution)
    graph = tessera.load(model.module, example_inputs=model.example_inputs)
    shape = tuple(model.example_inputs[0].shape)
    batch = args.batch
    torch.manual_seed(0)
    x = torch.randn(batch, *shape[1:])
    with torch.no_grad():
        classes = model.module.eval()(x[:1]).shape[-1]
    target = torch.randn(batch, classes)

    eager = model.module.eval()
    eager_opt = torch.optim.Adam(eager.parameters(), lr=1e-4)

    def eager_step() -> None:
        eager_opt.zero_grad()
        loss = torch.nn.functional.mse_loss(eager(x), target.reshape(batch, -1))
        loss.backward()
        eager_opt.step()

    rows = []
    for label, g in (("as imported", graph), ("canonicalized", tessera.compile(graph).graph)):
        step = LoweredStep(tessera.to_torch(g), {g.inputs[0].name: x.reshape(batch, *shape)}, g.outputs[0].name, target)
        rows.append((label, len(g.nodes), best_step(step, args.repeat)))
    eager_s = best_step(eager_step, args.repeat)
    print(f"\n## Training step: lowered module vs eager PyTorch, mobilenetv2-0.35 @ {args.resolution}, batch {batch}")
    print(f"{cpu()}; best of {args.repeat} steps (forward, backward, Adam)\n")
    print("| module | nodes | step ms | x eager |")
    print("|---|---|---|---|")
    print(f"| eager PyTorch (eval mode) | - | {eager_s * 1000:.1f} | 1.00 |")
    for label, nodes, seconds in rows:
        print(f"| tessera.to_torch, {label} | {nodes} | {seconds * 1000:.1f} | {seconds / eager_s:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=96)
    parser.add_argument("--examples", type=int, default=256, help="training inputs for QAT")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--scale-lr", type=float, default=None, help="lr of the learned log scales")
    parser.add_argument("--scale-ranges", type=float, default=8.0, help="calibrate on inputs times this")
    parser.add_argument("--batch", type=int, default=32, help="batch of the speed comparison")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-recovery", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not args.skip_speed:
        speed(args)
    if not args.skip_recovery:
        recovery(args)


if __name__ == "__main__":
    main()
