"""`tessera zoo list | info NAME | export NAME [--option KEY=VALUE ...] -o FILE.onnx`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tessera.errors import TesseraError
from tessera.files import output_file


def add_zoo_commands(sub: Any) -> None:
    """Add the `zoo` command (with list, info, export) to the CLI's subparsers."""
    zoo = sub.add_parser("zoo", help="the models zoo: list, describe and export PyTorch models")
    verbs = zoo.add_subparsers(dest="zoo_command", required=True)

    c = verbs.add_parser("list", help="every zoo model with its description")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_list)

    c = verbs.add_parser("info", help="a model's description, options and defaults")
    c.add_argument("name")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_info)

    c = verbs.add_parser("export", help="build a zoo model with seeded weights and write it as ONNX")
    c.add_argument("name")
    c.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model option (repeatable), e.g. width=0.35",
    )
    c.add_argument(
        "-o",
        "--out",
        required=True,
        metavar="FILE.onnx|FOLDER",
        help="the .onnx file to write; an existing folder (or a path ending in /) gets NAME.onnx inside it; "
        "missing parent folders are created",
    )
    c.add_argument("--dynamo", action="store_true", help="export with torch.export instead of the TorchScript tracer")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_export)


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """`--option KEY=VALUE` strings to model options: true/false, an int or a float where the text is
    one, else the text. `zoo.get` then checks each against the type of the option's default."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise TesseraError(f"--option {pair!r} must look like KEY=VALUE, e.g. width=0.35")
        options[key.replace("-", "_")] = _value(text)
    return options


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _describe(name: str) -> dict[str, Any]:
    from tessera import zoo

    spec = zoo.info(name)
    return {
        "name": spec.name,
        "family": spec.family,
        "description": spec.description,
        "options": spec.all_options(),
        "choices": {k: list(v) for k, v in spec.choices.items()},
        "published": spec.published,
    }


def _list(args: argparse.Namespace) -> None:
    from tessera import zoo

    models = [_describe(name) for name in zoo.list()]
    if args.json:
        print(json.dumps({"models": models}, indent=2))
        return
    width = max(len(m["name"]) for m in models)
    print("\n".join(f"{m['name']:<{width}}  {m['family']:<16}  {m['description']}" for m in models))


def _info(args: argparse.Namespace) -> None:
    info = _describe(args.name)
    if args.json:
        print(json.dumps(info, indent=2))
        return
    lines = [f"{info['name']} ({info['family']}): {info['description']}", "options:"]
    for key, default in info["options"].items():
        allowed = info["choices"].get(key)
        lines.append(f"  {key}={default!r}" + (f"  (one of {allowed})" if allowed else ""))
    if info["published"]:
        lines.append(f"published: {info['published']}")
    print("\n".join(lines))


def _export(args: argparse.Namespace) -> None:
    from tessera import zoo

    model = zoo.get(args.name, **parse_options(args.option))
    out = output_file(args.out, f"{model.name}.onnx", "-o")  # checked before the (slow) export
    proto = zoo.export_onnx(model, out, dynamo=args.dynamo)
    result: dict[str, Any] = {
        "model": model.name,
        "options": model.options,
        "file": str(out),
        "inputs": {s.name: list(s.shape) for s in model.inputs},
        "onnx_nodes": len(proto.graph.node),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    shapes = ", ".join(f"{k}{v}" for k, v in result["inputs"].items())
    print(f"wrote {out}: {model.name} {model.options}, inputs {shapes}, {result['onnx_nodes']} ONNX nodes")
