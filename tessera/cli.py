"""The `tessera` command line: inspect, run, compile, binarize, finetune, demo, passes, zoo. Each takes --json."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from tessera import api, cli_binarize, cli_passes, cli_train
from tessera.cli_targets import add_target_arguments, add_targets_command, target_options
from tessera.errors import TesseraError
from tessera.files import output_file, read_npz, read_samples, write_file
from tessera.ir.graph import Graph
from tessera.ir.summary import summarize
from tessera.models_zoo.zoo_cli import add_zoo_commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TesseraError as err:
        if getattr(args, "json", False):
            print(json.dumps({"error": type(err).__name__, "message": str(err)}))
        else:
            print(f"tessera: error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tessera", description="Compile neural networks for scarce resources.")
    sub = p.add_subparsers(dest="command", required=True)

    def model_cmd(name: str, help: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help)
        c.add_argument("model", help="ONNX file, or light:NAME for a model bundled with the onnx wheel")
        c.add_argument(
            "--input-shape",
            action="append",
            default=[],
            metavar="NAME=D0,D1,...",
            help="pin an input's shape (repeatable), needed for dynamic dimensions",
        )
        c.add_argument(
            "--cut-inputs",
            metavar="NAME[,NAME...]",
            help="tensor names to start the model at: they become the graph inputs, and what produces them is "
            "cut off (ONNX models only)",
        )
        c.add_argument(
            "--cut-outputs",
            metavar="NAME[,NAME...]",
            help="tensor names to end the model at: they become the graph outputs, and nodes they do not need "
            "are dropped (ONNX models only)",
        )
        c.add_argument("--json", action="store_true", help="print one JSON object")
        return c

    c = model_cmd("inspect", "ops, shapes, parameters, MACs and activation memory of a model")
    c.set_defaults(func=_inspect)

    c = model_cmd("run", "run a model with the reference executor")
    c.add_argument("--inputs", type=Path, help=".npz with one array per graph input (default: seeded random)")
    c.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    c.add_argument(
        "--save",
        metavar="FILE.npz|FOLDER",
        help="write the outputs to this .npz (.npz is added if missing); an existing folder (or a path ending "
        "in /) gets MODEL.outputs.npz inside it; missing parent folders are created",
    )
    c.set_defaults(func=_run)

    c = model_cmd("compile", "run the pass pipeline and build for a target")
    c.add_argument("--target", default="reference", help="compile target (default: reference)")
    c.add_argument("--passes", help="comma-separated pass names (default: canonicalize); '' for none")
    c.add_argument("-o", "--out", type=Path, help="output folder (written whole or not at all)")
    c.add_argument(
        "--pass-option",
        action="append",
        default=[],
        metavar="PASS.KEY=VALUE",
        help="an option of a pass named in --passes (repeatable), e.g. patch-based.max_grid=8; "
        "`tessera passes` lists each pass's options",
    )
    add_target_arguments(c)
    c.add_argument("--quantize", choices=["int8"], help="append the quantize-int8 pass (needs --calibration)")
    c.add_argument(
        "--calibration",
        type=Path,
        metavar="FILE.npz",
        help="calibration inputs: one array per graph input, keyed by its name, of shape (N, *input shape): "
        "N samples stacked on a new first axis",
    )
    c.set_defaults(func=_compile)

    c = model_cmd("schedule", "find a low-memory node order (peak, lower bound, arena) for a model as imported")
    cli_passes.add_schedule_arguments(c)
    c.set_defaults(func=_schedule)

    c = model_cmd(
        "binarize", "binary convolutions and matmuls (XNOR, Bi-Real, SCALES), trained by distillation, bit-packed"
    )
    cli_binarize.add_binarize_arguments(c)
    c.set_defaults(func=_binarize)

    c = model_cmd("finetune", "train a model's weights on examples, or distill it from a teacher (needs PyTorch)")
    cli_train.add_finetune_arguments(c)
    c.set_defaults(func=_finetune)

    add_targets_command(sub)

    c = sub.add_parser(
        "demo",
        help="the headline job: a zoo MCU model (mcunet-vww) to int8, memory-scheduled, arena-planned MCU C, "
        "built and run on the host and on QEMU Cortex-M4 (when installed) against the reference",
    )
    c.add_argument("-o", "--out", type=Path, default=Path("tessera-demo"), help="output folder (the C project)")
    c.add_argument("--resolution", type=int, default=96, help="input image size (default 96)")
    c.add_argument("--no-qemu", action="store_true", help="run on the host only, even when QEMU is installed")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_demo)

    cli_passes.add_passes_command(sub)
    add_zoo_commands(sub)
    return p


def _shapes(specs: list[str]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for spec in specs:
        name, sep, dims = spec.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            shapes[name] = tuple(int(d) for d in dims.split(","))
        except ValueError:
            raise TesseraError(f"--input-shape {spec!r} must look like NAME=D0,D1,... e.g. input=1,3,224,224") from None
    return shapes


def _load(args: argparse.Namespace) -> Graph:
    return api.load(
        args.model, _shapes(args.input_shape), inputs=_names(args.cut_inputs), outputs=_names(args.cut_outputs)
    )


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _inspect(args: argparse.Namespace) -> None:
    summary = summarize(_load(args))
    _emit(args, summary.to_dict(), summary.render_text())


def random_inputs(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded inputs: standard normal for floats, small non-negative ints, random bools."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for v in graph.inputs:
        if v.dtype.is_float:
            feeds[v.name] = rng.standard_normal(v.shape).astype(v.dtype.numpy())
        elif v.dtype.value == "bool":
            feeds[v.name] = rng.integers(0, 2, v.shape).astype(bool)
        else:
            feeds[v.name] = rng.integers(0, 4, v.shape).astype(v.dtype.numpy())
    return feeds


def _run(args: argparse.Namespace) -> None:
    graph = _load(args)
    save = _save_path(args.save, graph.name) if args.save else None  # checked before the run
    if args.inputs:
        feeds = read_npz(args.inputs, "--inputs")
    else:
        feeds = random_inputs(graph, args.seed)
    outputs = api.run(graph, feeds)
    if save:
        buffer = io.BytesIO()
        np.savez(buffer, **cast(dict[str, Any], outputs))  # keyword arrays, not savez's flags
        write_file(save, buffer.getvalue(), "--save")
    stats = {k: {"dtype": str(v.dtype), "shape": list(v.shape), **_stats(v)} for k, v in outputs.items()}
    text = "\n".join(
        f"{k}: {s['dtype']}{s['shape']} " + " ".join(f"{m}={s[m]:.6g}" for m in ("min", "max", "mean"))
        for k, s in stats.items()
    )
    report: dict[str, Any] = {"outputs": stats, "saved": str(save) if save else None}
    _emit(args, report, text + (f"\nwrote {save}" if save else ""))


def _save_path(raw: str, model: str) -> Path:
    folder = Path(raw).is_dir() or raw.endswith(("/", os.sep))
    if not folder and not raw.endswith(".npz"):
        raw += ".npz"  # numpy's rule for savez, kept
    return output_file(raw, f"{_file_stem(model)}.outputs.npz", "--save")


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "model"


def _stats(v: np.ndarray) -> dict[str, float]:
    if v.size == 0:
        return {"min": 0.0, "max": 0.0, "mean": 0.0}
    f = v.astype(np.float64)
    return {"min": float(f.min()), "max": float(f.max()), "mean": float(f.mean())}


def _compile(args: argparse.Namespace) -> None:
    passes = None if args.passes is None else [p for p in args.passes.split(",") if p]
    calibration = None
    if args.quantize:
        if args.calibration is None:
            raise TesseraError(
                "--quantize int8 needs --calibration FILE.npz (one array per input, keyed by its name, of shape "
                "(N, *input shape): N samples stacked on a new first axis)"
            )
        passes = list(api.DEFAULT_PIPELINE if passes is None else passes)
        if "quantize-int8" not in passes:  # named in --passes: passes after it (patch-based) see int8
            passes.append("quantize-int8")
        calibration = read_samples(args.calibration, "--calibration")
    elif args.calibration is not None:
        if not {"binarize", "quantize-int8"} & set(passes or ()):
            raise TesseraError("--calibration is only used with --quantize int8, or --passes naming binarize")
        calibration = read_samples(args.calibration, "--calibration")
    if args.pass_option:
        passes = cli_passes.configured_passes(api.DEFAULT_PIPELINE if passes is None else passes, args.pass_option)
    result = api.compile(
        _load(args),
        target=args.target,
        passes=passes,
        out_dir=args.out,
        target_options=target_options(args),
        calibration=calibration,
    )
    _emit(args, result.to_dict(), result.render_text())


def _schedule(args: argparse.Namespace) -> None:
    cli_passes.schedule_command(args, _load(args))


def _binarize(args: argparse.Namespace) -> None:
    cli_binarize.binarize_command(args, _load(args))


def _finetune(args: argparse.Namespace) -> None:
    cli_train.finetune_command(args, _load(args))


def _demo(args: argparse.Namespace) -> None:
    from tessera.demo import run_demo

    report = run_demo(args.out, resolution=args.resolution, qemu=not args.no_qemu)
    _emit(args, report.to_dict(), report.render_text())


if __name__ == "__main__":
    sys.exit(main())
