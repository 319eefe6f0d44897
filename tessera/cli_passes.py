"""The pass side of the `tessera` command line, generated from the pass dataclasses.

`--pass-option PASS.KEY=VALUE` hands the text to `get_pass`, which converts it by the option's type
(tessera.options.from_mapping: no guessing); `tessera passes` lists every registered pass with its
options; `tessera schedule` builds the memory-schedule pass's options the same way and prints the
schedule as text, or JSON with --json."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from tessera.errors import PassError, TesseraError
from tessera.ir.graph import Graph
from tessera.options import from_mapping
from tessera.passes import Pass, get_pass
from tessera.passes.memory.schedule_cli import schedule_report
from tessera.passes.memory.schedule_pass import MemorySchedule
from tessera.passes.registry import PassInfo, pass_infos


def configured_passes(names: Sequence[str], specs: Sequence[str]) -> list[str | Pass]:
    """`names` with each pass that --pass-option PASS.KEY=VALUE configures built with those options
    (the values stay text: get_pass converts each by its option's type)."""
    options: dict[str, dict[str, str]] = {}
    for spec in specs:
        name, dot, rest = spec.partition(".")
        if not dot or name not in names:
            raise TesseraError(
                f"--pass-option {spec!r} must look like PASS.KEY=VALUE with PASS one of the passes run: "
                + ", ".join(names)
            )
        key, sep, text = rest.partition("=")
        if not sep or not key:
            raise TesseraError(
                f"--pass-option {spec!r} must look like PASS.KEY=VALUE, e.g. {name}.{key or 'KEY'}=VALUE"
            )
        options.setdefault(name, {})[key.replace("-", "_")] = text
    return [get_pass(n, **options[n]) if n in options else n for n in names]


def add_passes_command(sub: Any) -> None:
    """Add `tessera passes [--json]` to the CLI's subparsers."""
    c = sub.add_parser("passes", help="list the passes, each with its options (type, default, help)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=list_passes)


def list_passes(args: argparse.Namespace) -> None:
    infos = pass_infos()
    if args.json:
        print(json.dumps({"passes": [pass_data(info) for info in infos]}, indent=2))
        return
    blocks = [render_pass(info) for info in infos]
    print("\n\n".join([*blocks, "Set an option of a pass named in --passes with --pass-option PASS.OPTION=VALUE."]))


def pass_data(info: PassInfo) -> dict[str, Any]:
    options = [
        {"name": o.name, "type": o.type, "default": _json_default(o.default), "help": o.help} for o in info.options
    ]
    return {"name": info.name, "description": info.description, "options": options}


def render_pass(info: PassInfo) -> str:
    """`name: description`, then one indented line per option: `name (type, default D): help`."""
    lines = [f"{info.name}: {info.description}"]
    lines += [f"  {o.name} ({o.type}, default {_default_text(o.default)}): {o.help}" for o in info.options]
    return "\n".join(lines if info.options else [*lines, "  (no options)"])


def _json_default(default: Any) -> Any:
    return list(default) if isinstance(default, tuple) else default


def _default_text(default: Any) -> str:
    """The default as one would type it after --pass-option PASS.OPTION=."""
    if isinstance(default, bool) or default is None:
        return str(default).lower()
    if isinstance(default, tuple):
        return ",".join(map(str, default)) or "(empty)"
    return str(default)


def add_schedule_arguments(c: argparse.ArgumentParser) -> None:
    """`tessera schedule`'s flags: the memory-schedule pass's options (converted and checked by it)."""
    opt = {o.name: o for o in MemorySchedule.option_infos()}
    method, limit = opt["method"], opt["time_limit_s"]
    c.add_argument("--method", help=f"{method.help} (default: {method.default})")
    c.add_argument(
        "--time-limit", dest="time_limit_s", metavar="SECONDS", help=f"{limit.help} (default: {limit.default})"
    )
    c.add_argument("--inplace", action="store_const", const="true", help=opt["inplace"].help)


def schedule_command(args: argparse.Namespace, graph: Graph) -> None:
    given = {k: getattr(args, k) for k in ("method", "time_limit_s", "inplace") if getattr(args, k) is not None}
    options = from_mapping(MemorySchedule, given, owner="pass 'memory-schedule'", error=PassError)
    summary = schedule_report(graph, options)
    print(json.dumps(summary.to_dict(), indent=2) if args.json else summary.render_text())
