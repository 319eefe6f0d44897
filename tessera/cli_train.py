"""`tessera finetune`: train a model's weights on an .npz of examples (or distill from a teacher)
and write the trained model as ONNX, with the report as text, JSON (--json) or a page (--report)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tessera import api
from tessera.errors import TesseraError
from tessera.files import output_file, read_npz, write_file
from tessera.ir.graph import Graph


def add_finetune_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="FILE.npz",
        help="training examples: one array per graph input keyed by its name, N examples stacked on a new "
        "first axis, and 'target' (N class labels, or N float targets) unless --teacher is given",
    )
    c.add_argument("--teacher", metavar="MODEL", help="a float model to distill from (ONNX file)")
    c.add_argument("--eval-data", type=Path, metavar="FILE.npz", help="examples to measure on (default: --data)")
    c.add_argument("--epochs", type=int, default=1, help="passes over the data (default 1)")
    c.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    c.add_argument("--batch-size", type=int, default=32, help="examples per step (default 32)")
    c.add_argument(
        "--loss",
        choices=["task", "distill"],
        default="task",
        help="task (default; distill when --data has no targets and --teacher is given)",
    )
    c.add_argument("--optimizer", choices=["adam", "adamw", "sgd"], default="adam", help="default adam")
    c.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    c.add_argument(
        "--learn-scales",
        action="store_true",
        help="a quantized model's activation scales train too (quantization-aware training recovers poor ranges)",
    )
    c.add_argument("--scale-lr", type=float, help="learning rate of the scales' logarithms (default 0.1)")
    c.add_argument("-o", "--out", required=True, metavar="OUT.onnx", help="the trained model (written whole)")
    c.add_argument("--report", metavar="FILE.html|FILE.json", help="also write the report as a page or as JSON")


def finetune_command(args: argparse.Namespace, graph: Graph) -> None:
    out = output_file(args.out, f"{graph.name}.finetuned.onnx", "-o")
    report_path = output_file(args.report, "finetune.html", "--report") if args.report else None
    if report_path is not None and report_path.suffix not in (".html", ".json"):
        raise TesseraError(f"--report {args.report}: give a .html or .json file name")
    data = read_npz(args.data, "--data")
    eval_data = read_npz(args.eval_data, "--eval-data") if args.eval_data else None
    teacher = api.load(args.teacher) if args.teacher else None
    result = api.finetune(
        graph,
        data,
        teacher=teacher,
        eval_data=eval_data,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        loss=args.loss,
        optimizer=args.optimizer,
        seed=args.seed,
        learn_scales=args.learn_scales,
        scale_lr=args.scale_lr,
    )
    write_file(out, api.export_onnx(result.graph).SerializeToString(), "-o")
    report = result.report
    if report_path is not None:
        page = report.render_html() if report_path.suffix == ".html" else json.dumps(report.to_dict(), indent=2)
        write_file(report_path, page.encode(), "--report")
    if args.json:
        print(json.dumps({**report.to_dict(), "out": str(out)}, indent=2))
    else:
        print(report.render_text() + f"\nwrote {out}" + (f"\nwrote {report_path}" if report_path else ""))
