"""Argument type checks for the Python API: one helper, so every function says the same thing
("argument X must be Y, got Z; write ...") instead of failing deep inside with a raw TypeError."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import onnx

from tessera.errors import ArgumentError
from tessera.ir.graph import Graph
from tessera.ir.inputs import describe as describe_value

SOURCE_KINDS = (Graph, str, os.PathLike, bytes, bytearray, onnx.ModelProto)
SOURCE = 'an ONNX path, ONNX bytes, an onnx.ModelProto, "light:NAME", a tessera Graph or a torch.nn.Module'


def check_arg(func: str, name: str, value: object, kind: type | tuple[type, ...], want: str, fix: str) -> None:
    """Raise ArgumentError unless `value` is an instance of `kind`; `want` says in words what is
    taken, `fix` is a call that would work."""
    if not isinstance(value, kind):
        raise ArgumentError(f"{func}: argument {name} must be {want}, got {describe(value)}; write {fix}")


def check_optional(func: str, name: str, value: object, kind: type | tuple[type, ...], want: str, fix: str) -> None:
    if value is not None:
        check_arg(func, name, value, kind, f"{want} or None", fix)


def check_source(func: str, source: object) -> None:
    if isinstance(source, SOURCE_KINDS) or is_torch_module(source):
        return
    check_arg(func, "source", source, SOURCE_KINDS, SOURCE, f'{func}("model.onnx", ...)')


def check_graph(func: str, graph: object, call: str) -> None:
    """`call` is the call with the graph spelled GRAPH, e.g. "tessera.run(GRAPH, inputs)"."""
    loaded = f"tessera.load({graph!r})" if isinstance(graph, str | os.PathLike) else "tessera.load(model)"
    check_arg(func, "graph", graph, Graph, "a tessera Graph", call.replace("GRAPH", loaded))


def check_names(func: str, name: str, value: object) -> None:
    """None or a list of tensor names (a lone string is refused: it would be read letter by letter)."""
    if value is None:
        return
    ok = isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(v, str) for v in value)
    if not ok:
        example = [value] if isinstance(value, str) else ["name"]
        raise ArgumentError(
            f"{func}: argument {name} must be a list of tensor names, got {describe(value)}; write {name}={example!r}"
        )


def calibration_list(func: str, calibration: object) -> list[Mapping[str, np.ndarray]] | None:
    """The calibration samples as a list, once it is an iterable of {input name: array} dicts."""
    if calibration is None:
        return None
    fix = "calibration=[{'input': array}, ...] (e.g. a zoo model's sample_inputs(32))"
    want = "an iterable of {input name: array} dicts"
    if isinstance(calibration, Mapping | str | bytes | np.ndarray) or not isinstance(calibration, Iterable):
        raise ArgumentError(f"{func}: argument calibration must be {want}, got {describe(calibration)}; write {fix}")
    samples = list(calibration)
    for i, sample in enumerate(samples):
        if not isinstance(sample, Mapping):
            raise ArgumentError(
                f"{func}: argument calibration must be {want}, but item {i} is {describe(sample)}; write {fix}"
            )
    return samples


def describe(value: object) -> str:
    """A value in a few words (tessera.ir.inputs.describe; a ModelProto by its type alone)."""
    return "ModelProto" if isinstance(value, onnx.ModelProto) else describe_value(value)


def is_torch_module(source: object) -> bool:
    torch = sys.modules.get("torch")  # a module instance means torch is imported already
    return torch is not None and isinstance(source, torch.nn.Module)
