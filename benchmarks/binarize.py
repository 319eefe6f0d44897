"""Binarized super-resolution (SCALES vs XNOR vs Bi-Real) and the binary kernels, side by side.

    PYTHONPATH=. python benchmarks/binarize.py                         # edsr-baseline, x2 and x4
    PYTHONPATH=. python benchmarks/binarize.py --model srresnet --scales 4
    PYTHONPATH=. python benchmarks/binarize.py --kernels               # also the CPU and MCU kernel tables
    PYTHONPATH=. python benchmarks/binarize.py --steps 100 --float-steps 100 --blocks 1   # a quick look

Per model and scale, on crops of scikit-image's training images (tessera.train.images):
1. the float network (the zoo's seeded initialization) trains `--float-steps` steps of L1 loss;
2. it is binarized three ways (`tessera.binarize`: xnor, bireal, scales), and each trains the same
   `--steps` with the same optimizer, lr (cosine) and data: L1 loss against the high-resolution
   target plus L1 distillation to the float network's output;
3. every network is measured as deployed: the bit-packed graph (PackBits + BinaryConv, bit for bit
   the trained float formulation), PSNR on the Y channel with `scale` border pixels cropped, on the
   held-out evaluation images (tessera.train.images.EVAL_IMAGES, centre crops of `--eval-size` HR pixels,
   super-resolved tile by tile); bicubic is the same images upscaled by imresize.
`--binarize body` (the default) binarizes the body's convolutions, those whose output has their
input's shape, as binary SR networks do (E2FIF, SCALES: head, upsampler and tail stay in full precision,
since every pixel of the image passes through them); `--binarize all` binarizes every layer but the first
and last (binarize's default), upsampler included. The table also gives each binarized network's PSNR
before training and the binarized layers' weight bytes (float vs packed). Figures in docs/binarization.md.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import tessera
from benchmarks.binary_kernels_cpu import cpu_line
from benchmarks.binary_kernels_mcu import print_table
from tessera.passes import PassManager, get_pass
from tessera.train import FinetuneOptions, images

SCALINGS = ("xnor", "bireal", "scales")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="edsr-baseline", choices=["edsr-baseline", "srresnet"])
    p.add_argument("--scales", type=int, nargs="+", default=[2, 4])
    p.add_argument("--blocks", type=int, default=4, help="residual blocks (16 as published; 4 fits 2 CPU cores)")
    p.add_argument("--patch", type=int, default=24, help="low-resolution crop and tile side")
    p.add_argument("--float-steps", type=int, default=2000)
    p.add_argument("--steps", type=int, default=1000, help="training steps of each binarized network")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--eval-size", type=int, default=192, help="HR centre crop of each evaluation image")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--binarize", default="body", choices=["body", "all"], help="which layers (see above)")
    p.add_argument("--kernels", action="store_true", help="also print the CPU and MCU binary kernel tables")
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"{cpu_line()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(
        f"{args.model} blocks={args.blocks}, LR crops {args.patch}x{args.patch}, batch {args.batch}, Adam lr "
        f"{args.lr} cosine; float {args.float_steps} steps, each binarized network {args.steps} steps; "
        f"binarized: {args.binarize}"
    )
    print(f"train images: {', '.join(images.TRAIN_IMAGES)}; eval images: {', '.join(images.EVAL_IMAGES)}")
    rows = [psnr_row(args, scale) for scale in args.scales]
    print_table(
        ("scale", "bicubic", "float", *(s for s in SCALINGS), "SCALES - best other", "untrained x/b/s"),
        [r[0] for r in rows],
    )
    print_table(
        ("scale", "binarized layers", "float kB", "packed kB", "float/packed", "binary MMACs"), [r[1] for r in rows]
    )
    if args.kernels:
        kernel_tables()


def psnr_row(args: argparse.Namespace, scale: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One scale: train float, binarize three ways, train each, measure PSNR of the packed graphs."""
    zoo = tessera.zoo.get(args.model, scale=scale, resolution=args.patch, blocks=args.blocks)
    graph = tessera.load(zoo.module, example_inputs=(torch.zeros(1, 3, args.patch, args.patch),))
    graph = PassManager([get_pass("canonicalize")]).run(graph).graph
    count = max(args.float_steps, args.steps) * args.batch // 4  # four epochs for the longer run
    data = images.crops(images.TRAIN_IMAGES, scale, args.patch, count, args.seed)
    calibration = [{"image": data["image"][i][None]} for i in range(4)]
    bicubic = images.bicubic(images.EVAL_IMAGES, scale, size=args.eval_size)["mean"]
    start = time.perf_counter()
    teacher = tessera.finetune(graph, data, options=_options(args, args.float_steps, count)).graph
    float_psnr = _psnr(teacher, args, scale)
    print(f"x{scale} float: {float_psnr:.2f} dB ({time.perf_counter() - start:.0f} s)", flush=True)
    layers = body_layers(teacher) if args.binarize == "body" else ()
    got, untrained = {}, {}
    report = None
    for scaling in SCALINGS:
        start = time.perf_counter()
        before = tessera.binarize(teacher, calibration, scaling=scaling, layers=layers)
        untrained[scaling] = _psnr(before.graph, args, scale)
        trained = tessera.binarize(
            teacher,
            calibration,
            scaling=scaling,
            layers=layers,
            train=_options(args, args.steps, count),
            train_data=data,
        )
        got[scaling], report = _psnr(trained.graph, args, scale), trained.report
        print(
            f"x{scale} {scaling}: {untrained[scaling]:.2f} -> {got[scaling]:.2f} dB "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    assert report is not None
    margin = got["scales"] - max(got["xnor"], got["bireal"])
    row = [f"x{scale}", f"{bicubic:.2f}", f"{float_psnr:.2f}", *(f"{got[s]:.2f}" for s in SCALINGS)]
    row += [f"{margin:+.2f}", "/".join(f"{untrained[s]:.1f}" for s in SCALINGS)]
    sizes = [f"x{scale}", str(len(report.layers)), f"{report.weight_bytes / 1e3:.1f}"]
    sizes += [f"{report.packed_bytes / 1e3:.2f}", f"{report.weight_bytes / report.packed_bytes:.1f}x"]
    return tuple(row), (*sizes, f"{report.binary_macs / 1e6:.1f}")


def body_layers(graph: tessera.Graph) -> tuple[str, ...]:
    """The convolutions whose output has their input's type (the residual body), first and last excepted."""
    convs = [n for n in graph.nodes if n.op.name == "Conv"]
    return tuple(n.name for n in convs[1:-1] if n.inputs[0].type == n.outputs[0].type)


def _options(args: argparse.Namespace, steps: int, count: int) -> FinetuneOptions:
    """`steps` steps of `args.batch` over `count` crops, L1 to the target plus L1 to the teacher."""
    epochs = max(1, round(steps * args.batch / count))
    return FinetuneOptions(
        epochs=epochs, lr=args.lr, batch_size=args.batch, loss=_l1, schedule="cosine", seed=args.seed, progress=False
    )


def _l1(student: torch.Tensor, target: torch.Tensor | None, teacher: torch.Tensor | None) -> torch.Tensor:
    assert target is not None
    loss = F.l1_loss(student, target.reshape(student.shape))
    return loss if teacher is None else loss + F.l1_loss(student, teacher)


def _psnr(graph: tessera.Graph, args: argparse.Namespace, scale: int) -> float:
    module = tessera.to_torch(graph)
    name = graph.outputs[0].name

    def run(tiles: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(tiles[:, None]))[name][:, 0].numpy()

    return float(images.evaluate(run, images.EVAL_IMAGES, scale, args.patch, size=args.eval_size)["mean"])


def kernel_tables() -> None:
    """The CPU target's and the MCU target's binary conv against their float conv (3x3 64->64, 64x64)."""
    from benchmarks import binary_kernels_cpu as cpu
    from benchmarks import binary_kernels_mcu as mcu

    print("\n" + cpu.cpu_line())
    print(cpu.render(cpu.rows([64], None, 20)))
    m = mcu.measure(64, 64)
    print(f"\nQEMU mps2-an386 Cortex-M4 (-icount), instructions per kernel; host {mcu.host_cpu()}")
    print_table(mcu.HEAD, mcu.rows(m=m))
    print_table(mcu.WEIGHT_HEAD, mcu.weight_rows(m))


if __name__ == "__main__":
    main()
