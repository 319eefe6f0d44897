"""The target side of the `tessera` command line, generated from the targets' option dataclasses:
`tessera targets [--json]`, and compile's `--target-option KEY=VALUE` plus one flag per option that
asks for one (`metadata={"flag": True}`: --ram-kb, --flash-kb, --tune, --tuning-db, --threads).
Values reach `compile` as the strings typed; the target's options class converts them by type."""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass

from tessera.backends.targets import Target, available_targets, get_target
from tessera.errors import TesseraError
from tessera.options import OptionInfo, describe


@dataclass(frozen=True)
class TargetFlag:
    option: str  # the option's field name, e.g. ram_kb
    targets: tuple[str, ...]  # the targets that take it
    info: OptionInfo

    @property
    def flag(self) -> str:
        return "--" + self.option.replace("_", "-")

    @property
    def dest(self) -> str:
        return f"target_flag_{self.option}"


def targets() -> list[Target]:
    return [get_target(name) for name in available_targets()]


def target_flags() -> list[TargetFlag]:
    """One flag per option that asks for one, across every target (targets sharing it share the flag)."""
    found: dict[str, TargetFlag] = {}
    for target in targets():
        infos = {info.name: info for info in describe(target.options)}
        for f in dataclasses.fields(target.options):
            if not f.metadata.get("flag"):
                continue
            seen = found.get(f.name)
            names = (*seen.targets, target.name) if seen else (target.name,)
            found[f.name] = TargetFlag(f.name, names, seen.info if seen else infos[f.name])
    return sorted(found.values(), key=lambda t: t.option)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the target (repeatable); `tessera targets` lists each target's options",
    )
    for t in target_flags():
        where = ", ".join(t.targets)
        help = f"{where} target: {t.info.help} ({t.info.type}; same as --target-option {t.option}=VALUE)"
        parser.add_argument(t.flag, dest=t.dest, metavar=t.option.upper(), help=help)


def target_options(args: argparse.Namespace) -> dict[str, str]:
    """--target-option pairs and the target flags, as the strings typed (the target converts them)."""
    options: dict[str, str] = {}
    for spec in args.target_option:
        key, sep, text = spec.partition("=")
        if not sep or not key:
            raise TesseraError(f"--target-option {spec!r} must look like KEY=VALUE, e.g. ram_kb=256")
        options[key.strip().replace("-", "_")] = text
    for t in target_flags():
        value = getattr(args, t.dest, None)
        if value is not None:
            options[t.option] = value
    return options


def add_targets_command(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("targets", help="list the compile targets and their options (type, default, help)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=list_targets)


def list_targets(args: argparse.Namespace) -> None:
    found = targets()
    if args.json:
        print(json.dumps({"targets": [t.to_dict() for t in found]}, indent=2))
        return
    lines = []
    for target in found:
        lines.append(f"{target.name}: {target.description}")
        lines += [f"  {info.render()}" for info in target.describe()] or ["  (no options)"]
    print("\n".join(lines))
