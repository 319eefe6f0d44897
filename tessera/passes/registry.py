"""Passes by name: `register_pass` on the class, `get_pass("dce")` to build one with options."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from tessera.errors import PassError
from tessera.passes.base import Pass

P = TypeVar("P", bound=type[Pass])

# The passes `tessera.compile` runs when no pipeline is given.
DEFAULT_PIPELINE: tuple[str, ...] = ("canonicalize",)

_PASSES: dict[str, type[Pass]] = {}


def register_pass(cls: P) -> P:
    """Class decorator: make a pass available by its `name`."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or name != name.lower() or " " in name or "_" in name:
        raise PassError(f"pass class {cls.__name__} needs a kebab-case `name`, got {name!r}")
    if name in _PASSES and _PASSES[name] is not cls:
        raise PassError(f"pass {name!r} is registered twice ({_PASSES[name].__name__} and {cls.__name__})")
    _PASSES[name] = cls
    return cls


def get_pass(name: str, **options: Any) -> Pass:
    """Build the pass registered as `name` with `options` (its dataclass fields)."""
    cls = _PASSES.get(name)
    if cls is None:
        raise PassError(f"unknown pass {name!r}; available passes: {', '.join(available_passes())}")
    fields: set[str] = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    unknown = sorted(set(options) - fields)
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise PassError(f"pass {name!r} has no option(s) {', '.join(unknown)}; its options: {known}")
    return cls(**options)


def available_passes() -> list[str]:
    return sorted(_PASSES)
