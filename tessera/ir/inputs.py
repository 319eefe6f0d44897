"""The one check of run inputs. Every entry point that runs a model (the reference interpreter, the
MCU artifact on host and QEMU, the cpu target's module) calls `check_inputs`, so the same wrong input
is refused in the same words everywhere, before any work is done.

Nothing is converted: an input must be an `np.ndarray` of exactly the declared dtype and shape. A
silent cast hides real mistakes (a float image into an int8 model, float64 where float32 is meant),
so the message says how to convert instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tessera.errors import ExecutionError
from tessera.ir.graph import Value

Declared = tuple[str, str, tuple[int, ...]]  # (input name, numpy dtype name, shape)


def declared_inputs(values: Iterable[Value]) -> list[Declared]:
    """The (name, dtype, shape) of graph inputs, as `check_inputs` takes them."""
    return [(v.name, v.dtype.value, tuple(v.shape)) for v in values]


def check_inputs(model: str, declared: Sequence[Declared], inputs: Any) -> dict[str, np.ndarray]:
    """`inputs` keyed by name, once every declared input is given as an np.ndarray of its dtype and
    shape and nothing else is given. ExecutionError names the model, each bad input and the fix."""
    names = [name for name, _, _ in declared]
    if not isinstance(inputs, Mapping):
        example = ", ".join(f"{n!r}: array" for n in names)
        raise ExecutionError(
            f"model {model!r}: inputs must be a dict {{input name: np.ndarray}}, got {describe(inputs)}; "
            f"pass {{{example}}}"
        )
    missing = [n for n in names if n not in inputs]
    extra = sorted(str(k) for k in inputs if k not in names)
    if missing or extra:
        raise ExecutionError(
            f"model {model!r} takes inputs {names}; missing {missing}, unexpected {extra}; "
            "pass exactly the model's inputs, keyed by name"
        )
    problems = [_problem(name, dtype, shape, inputs[name]) for name, dtype, shape in declared]
    bad = [p for p in problems if p]
    if len(bad) == 1:
        raise ExecutionError(f"model {model!r}: {bad[0]}")
    if bad:
        raise ExecutionError(f"model {model!r} has {len(bad)} bad inputs:" + "".join(f"\n  {p}" for p in bad))
    return {name: inputs[name] for name in names}


def _problem(name: str, dtype: str, shape: tuple[int, ...], given: object) -> str:
    want = f"input {name!r} must be an np.ndarray of {dtype}, shape {list(shape)}"
    convert = f"pass np.asarray({_var(name)}, dtype=np.{dtype})"
    if not isinstance(given, np.ndarray):
        return f"{want}, got {describe(given)}; {convert}"
    if given.dtype != np.dtype(dtype):
        hint = _quantize_hint(dtype, given.dtype)
        return f"{want}, got {given.dtype} {list(given.shape)}; {convert}{hint}"
    if given.shape != shape:
        return f"{want}, got {given.dtype} {list(given.shape)}; reshape it: {_var(name)}.reshape({shape})"
    return ""


def _quantize_hint(dtype: str, given: np.dtype) -> str:
    if given.kind != "f" or np.dtype(dtype).kind not in "iu":
        return ""
    return (
        f" (if it is the {dtype} input of a quantized model, quantize the floats instead of casting them: "
        "tessera.passes.quantize.report.quantize_inputs(graph, inputs) uses the graph's io_qparams)"
    )


def describe(value: object) -> str:
    """A value in a few words for an error message: its type, and its start when short (shared with
    the API's argument checks, tessera/arguments.py)."""
    if isinstance(value, np.ndarray):
        return f"an np.ndarray of {value.dtype} {list(value.shape)}"
    if isinstance(value, np.generic):
        return f"a numpy {value.dtype} scalar"
    if isinstance(value, bytes | bytearray):
        return type(value).__name__
    if isinstance(value, Mapping):
        return f"{type(value).__name__} with keys {list(value)[:8]}"
    text = " ".join(repr(value).split())
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _var(name: str) -> str:
    return name if name.isidentifier() else "x"
