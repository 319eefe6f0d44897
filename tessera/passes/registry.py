"""Passes by name: `register_pass` on the class, `get_pass("dce")` to build one with options.

`register_pass` checks the pass against tessera.options' contract (a frozen dataclass with a
docstring, every option with a default and help), so a new pass cannot reach `tessera passes` or the
CLI half-described. `get_pass` converts and checks options through `tessera.options.from_mapping`,
the same path as `--pass-option PASS.KEY=VALUE`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

from tessera.errors import PassError
from tessera.options import OptionInfo, cli_fields, from_mapping
from tessera.passes.base import Pass

P = TypeVar("P", bound=type[Pass])

# The passes `tessera.compile` runs when no pipeline is given.
DEFAULT_PIPELINE: tuple[str, ...] = ("canonicalize",)

_PASSES: dict[str, type[Pass]] = {}


@dataclass(frozen=True)
class PassInfo:
    """A registered pass as `tessera passes` shows it."""

    name: str
    description: str
    options: tuple[OptionInfo, ...]


def register_pass(cls: P) -> P:
    """Class decorator: make a pass available by its `name`."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or name != name.lower() or " " in name or "_" in name:
        raise PassError(f"pass class {cls.__name__} needs a kebab-case `name`, got {name!r}")
    if name in _PASSES and _PASSES[name] is not cls:
        raise PassError(f"pass {name!r} is registered twice ({_PASSES[name].__name__} and {cls.__name__})")
    _check_contract(cls)
    _PASSES[name] = cls
    return cls


def get_pass(name: str, **options: Any) -> Pass:
    """Build the pass registered as `name` with `options` (its dataclass fields), each converted
    and checked by its type; the pass's `__post_init__` checks the values."""
    cls = _PASSES.get(name)
    if cls is None:
        raise PassError(f"unknown pass {name!r}; available passes: {', '.join(available_passes())}")
    return from_mapping(cls, options, owner=f"pass {name!r}", error=PassError)


def available_passes() -> list[str]:
    return sorted(_PASSES)


def pass_infos() -> list[PassInfo]:
    """Every registered pass with its description and options, by name."""
    return [PassInfo(n, _PASSES[n].description(), tuple(_PASSES[n].option_infos())) for n in available_passes()]


def _check_contract(cls: type[Pass]) -> None:
    owner = f"pass class {cls.__name__} ({cls.name!r})"
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise PassError(f"{owner} must be a @dataclass(frozen=True) under @register_pass: its fields are its options")
    if cls.__doc__ is None or cls.__doc__.startswith(f"{cls.__name__}("):  # dataclass writes a signature
        raise PassError(f"{owner} needs a docstring whose first line says what the pass does")
    for f in cli_fields(cls):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise PassError(f"{owner}: option {f.name} needs a default")
        if not f.metadata.get("help"):
            raise PassError(f'{owner}: option {f.name} needs field(metadata={{"help": "..."}})')
