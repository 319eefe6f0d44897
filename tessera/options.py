"""Typed options: every pass and every target takes its options as one frozen dataclass.

The contract an options dataclass follows (passes are their own options; a target names its class):
- each field has a type hint among bool, int, float, str, Literal[...], tuple[int | float | str, ...],
  a union of these (e.g. `bool | Literal["inputs", "outputs"]`: the first member that fits), or one of
  these `| None`, and a default;
- `field(metadata={"help": "..."})` holds the one-line help that `tessera passes` / `tessera targets`
  and the CLI print;
- fields that are not options a person types (calibration data, a target's in-place rules) carry
  `metadata={"cli": False}`, and `metadata={"bind": "NAME"}` when `compile` fills them from its own
  typed inputs (e.g. "calibration", "inplace_rules");
- `__post_init__` checks values beyond their type (ranges, known names) and raises the owner's error
  (PassError, TargetError) naming the option and the fix.

`from_mapping` builds an instance from a mapping of Python values or CLI strings, converting each by
its field's type; `describe` lists the options for help text.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union

from tessera.errors import TesseraError

T = TypeVar("T")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class OptionInfo:
    """One option as help text shows it."""

    name: str
    type: str  # e.g. "int", "float | None", "'arena' | 'caller'"
    default: Any
    help: str

    def render(self) -> str:
        return f"{self.name} ({self.type}, default {self.default!r}): {self.help}"


def cli_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of `cls` a person sets (not those with metadata cli=False)."""
    return [f for f in dataclasses.fields(cls) if f.metadata.get("cli", True)]


def bound_fields(cls: type) -> dict[str, str]:
    """Field name -> the compile input it is bound to (metadata "bind")."""
    return {f.name: f.metadata["bind"] for f in dataclasses.fields(cls) if "bind" in f.metadata}


def describe(cls: type) -> list[OptionInfo]:
    hints = typing.get_type_hints(cls)
    infos = []
    for f in cli_fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        infos.append(OptionInfo(f.name, type_text(hints[f.name]), default, str(f.metadata.get("help", ""))))
    return infos


def from_mapping(cls: type[T], values: Mapping[str, Any], *, owner: str, error: type[TesseraError]) -> T:
    """An instance of `cls` from `values` (Python values or CLI strings, converted by field type).
    Unknown keys, values of the wrong type and values `__post_init__` refuses raise `error`, which
    names `owner` (e.g. "pass 'memory-plan'") and the options it has."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = "; ".join(info.render() for info in describe(cls)) or "none"
        raise error(f"{owner} has no option(s) {', '.join(unknown)}; its options: {known}")
    kwargs = {key: convert(hints[key], value, f"{owner} option {key}", error) for key, value in values.items()}
    return cls(**kwargs)


def convert(hint: Any, value: Any, what: str, error: type[TesseraError]) -> Any:
    """`value` as type `hint`; a str is parsed (CLI text), anything else is checked."""
    args = typing.get_args(hint)
    if _is_optional(hint):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "")):
            return None
        inner = [a for a in args if a is not type(None)]
        return convert(inner[0] if len(inner) == 1 else Union[tuple(inner)], value, what, error)  # noqa: UP007
    if _is_union(hint):
        return _first_fit(hint, value, what, error)
    if typing.get_origin(hint) is Literal:
        choices = args
        text = value.strip() if isinstance(value, str) else value
        if text not in choices:
            raise error(f"{what} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return text
    if typing.get_origin(hint) is tuple:
        items = [s for s in value.split(",") if s.strip()] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise error(f"{what} must be a list of {type_text(args[0])}, got {value!r}")
        return tuple(convert(args[0], item, what, error) for item in items)
    if hint is bool:
        return _bool(value, what, error)
    if hint in (int, float):
        return _number(hint, value, what, error)
    if hint is str:
        if not isinstance(value, str):
            raise error(f"{what} must be a string, got {value!r}")
        return value
    return value  # a type the CLI never sets (cli=False fields): the dataclass checks it


def type_text(hint: Any) -> str:
    if _is_optional(hint):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return " | ".join(type_text(a) for a in inner) + " | None"
    if _is_union(hint):
        return " | ".join(type_text(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is Literal:
        return " | ".join(repr(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"list of {type_text(typing.get_args(hint)[0])}"
    return getattr(hint, "__name__", str(hint))


def _is_optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType)


def _first_fit(hint: Any, value: Any, what: str, error: type[TesseraError]) -> Any:
    """`value` as the first member of the union `hint` that takes it."""
    for member in typing.get_args(hint):
        try:
            return convert(member, value, what, error)
        except error:
            continue
    raise error(f"{what} must be {type_text(hint)}, got {value!r}")


def _bool(value: Any, what: str, error: type[TesseraError]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise error(f"{what} must be true or false, got {value!r}")


def _number(kind: type, value: Any, what: str, error: type[TesseraError]) -> Any:
    if isinstance(value, bool):
        raise error(f"{what} must be a{'n int' if kind is int else ' number'}, got {value!r}")
    try:
        number = kind(value.strip()) if isinstance(value, str) else kind(value)
    except (TypeError, ValueError):
        raise error(f"{what} must be a{'n integer' if kind is int else ' number'}, got {value!r}") from None
    if kind is int and not isinstance(value, str) and number != value:
        raise error(f"{what} must be an integer, got {value!r}")
    return number
