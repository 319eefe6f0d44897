"""`tessera binarize`: binary convolutions and matmuls (XNOR, Bi-Real or SCALES), trained with
--train-data (distilled from the float model), written bit-packed (PackBits + BinaryConv)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tessera import api, api_binarize
from tessera.errors import TesseraError
from tessera.files import output_file, read_npz, read_samples, write_file
from tessera.ir.graph import Graph
from tessera.passes.binarize.build import SCALINGS


def add_binarize_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("--scaling", choices=SCALINGS, default="scales", help="the binary layers' scaling (default scales)")
    c.add_argument(
        "--layers",
        metavar="PATTERN[,PATTERN...]",
        help="node-name patterns (fnmatch) of the layers to binarize (default: all but the first and last)",
    )
    c.add_argument(
        "--binarize-first-last", action="store_true", help="with no --layers, binarize the first and last layers too"
    )
    c.add_argument(
        "--calibration",
        type=Path,
        metavar="FILE.npz",
        help="inputs the report's error is measured on: one array per graph input, (N, *input shape)",
    )
    c.add_argument(
        "--train-data",
        type=Path,
        metavar="FILE.npz",
        help="train the binarized model: inputs (N, *input shape) per graph input, distilled from the float "
        "model, or with a 'target' array (the task loss)",
    )
    c.add_argument("--epochs", type=int, default=1, help="passes over --train-data (default 1)")
    c.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    c.add_argument("--batch-size", type=int, default=32, help="examples per step (default 32)")
    c.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    c.add_argument("-o", "--out", required=True, metavar="OUT.onnx", help="the binarized model (written whole)")


def binarize_command(args: argparse.Namespace, graph: Graph) -> None:
    out = output_file(args.out, f"{graph.name}.binary.onnx", "-o")
    calibration = read_samples(args.calibration, "--calibration") if args.calibration else None
    train = None
    if args.train_data is not None:
        try:
            from tessera.train import FinetuneOptions
        except ImportError as err:
            raise TesseraError(f"--train-data trains on PyTorch: pip install 'tessera[train]' ({err})") from None
        train = FinetuneOptions(
            epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed, loss="distill", progress=False
        )
    data = read_npz(args.train_data, "--train-data") if args.train_data else None
    if train is not None and data is not None and "target" in data:
        train = FinetuneOptions(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed)
    result = api_binarize.binarize(
        graph,
        calibration,
        scaling=args.scaling,
        layers=[p for p in (args.layers or "").split(",") if p],
        keep_first_last=not args.binarize_first_last,
        train=train,
        train_data=data,
    )
    write_file(out, api.export_onnx(result.graph).SerializeToString(), "-o")
    parts = [result.report, result.train, result.pack]
    if args.json:
        keys = ("binarize", "train", "pack")
        body = {k: r.to_dict() for k, r in zip(keys, parts) if r is not None}
        print(json.dumps({**body, "out": str(out)}, indent=2))
    else:
        print("\n".join(r.render_text() for r in parts if r is not None) + f"\nwrote {out}")
