"""The op contract and the registry.

An op is a class: its attribute schema, shape/dtype inference, numpy reference kernel, MAC count and
ONNX mapping all live on it, so one place defines it. A node's `op` is the class itself
(`node.op is Conv`). Ops never import onnx: the frontend hands them an `OnnxNodeView` of plain Python
values and the exporter takes back an `OnnxNodeSpec`.

ONNX inputs that must be known at compile time (a Reshape's shape, a Slice's starts, a Pad's pads,
axes, ...) are `static_inputs`: the frontend folds them into attributes, so every shape in the IR is
static and kernels read them from `attrs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.traits import Trait
from tessera.ir.types import TensorType

AttrValue = Any  # int | float | str | bool | DType | tuple[int, ...] | tuple[float, ...] | None
Attrs = Mapping[str, AttrValue]

_REQUIRED = object()
ATTR_KINDS = ("int", "float", "str", "bool", "ints", "floats", "strs", "dtype")


@dataclass(frozen=True)
class Attr:
    """One attribute of an op: its kind and default (no default means required)."""

    kind: str
    default: AttrValue = _REQUIRED
    optional: bool = False  # may be absent (None) with no default

    def __post_init__(self) -> None:
        if self.kind not in ATTR_KINDS:
            raise ValueError(f"unknown attribute kind {self.kind!r}")

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and not self.optional

    def normalize(self, value: AttrValue) -> AttrValue:
        """Coerce a Python or numpy value to this attribute's canonical frozen form."""
        if value is None:
            return None
        kind = self.kind
        if kind == "int":
            return int(np.asarray(value).reshape(()))
        if kind == "float":
            return float(np.asarray(value).reshape(()))
        if kind == "bool":
            return bool(np.asarray(value).reshape(()))
        if kind == "str":
            return value.decode() if isinstance(value, bytes) else str(value)
        if kind == "ints":
            return tuple(int(v) for v in np.asarray(value).reshape(-1))
        if kind == "floats":
            return tuple(float(v) for v in np.asarray(value).reshape(-1))
        if kind == "strs":
            return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in value)
        if isinstance(value, DType):
            return value
        return DType.from_numpy(value)


@dataclass
class OnnxNodeView:
    """What an op's `from_onnx` sees of an ONNX node: plain Python values only."""

    op_type: str
    name: str
    opset: int
    attrs: dict[str, Any]
    inputs: list[str]  # "" marks an omitted optional input
    consts: dict[int, np.ndarray]  # values of inputs known at compile time, by position
    input_types: list[TensorType | None] = field(default_factory=list)
    num_outputs: int = 1  # outputs the node declares, "" placeholders included (Split needs it)

    def const(self, index: int) -> np.ndarray | None:
        if index >= len(self.inputs) or not self.inputs[index]:
            return None
        return self.consts.get(index)

    def has_input(self, index: int) -> bool:
        return index < len(self.inputs) and bool(self.inputs[index])


@dataclass
class Imported:
    """What `from_onnx` returns: which ONNX inputs stay data inputs, and the IR attributes."""

    data_inputs: list[int]
    attrs: dict[str, AttrValue]


@dataclass
class OnnxNodeSpec:
    """What `to_onnx` returns: an ONNX node in plain values. `inputs` holds, for each ONNX input
    position, either the index of the IR node input to use, a numpy array to store as an
    initializer, or None for an omitted optional input."""

    op_type: str
    attrs: dict[str, Any]
    inputs: list[int | np.ndarray | None]
    domain: str = ""


class Op:
    """Base of every op. Subclasses set the class variables and override infer and compute."""

    name: ClassVar[str]
    domain: ClassVar[str] = ""  # "" is the default ONNX domain; Tessera-only ops use "ai.tessera"
    attrs: ClassVar[Mapping[str, Attr]] = {}
    # ONNX input positions whose value must be a compile-time constant -> the attribute it becomes
    static_inputs: ClassVar[Mapping[int, str]] = {}
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int] = 1  # -1: variadic
    num_outputs: ClassVar[int] = 1  # most outputs a node may declare; -1: as many as it declares
    # True when the output depends on input types only (Shape, Size): the frontend folds it
    fold_from_types: ClassVar[bool] = False
    # facts passes and backends query with `has` (tessera.ir.traits)
    traits: ClassVar[frozenset[type[Trait]]] = frozenset()

    @classmethod
    def has(cls, trait: type[Trait]) -> bool:
        """Whether the op declares `trait` or a trait derived from it (Elementwise is Pointwise)."""
        return any(issubclass(t, trait) for t in cls.traits)

    # ---- semantics -------------------------------------------------------------------------------
    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        """Output types from input types. Raise ShapeError with a plain message when invalid."""
        raise NotImplementedError(f"{cls.name} defines no shape inference")

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        """The numpy reference kernel: the definition of the op's numerics."""
        raise NotImplementedError(f"{cls.name} defines no reference kernel")

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        """Multiply-accumulates of one execution; 0 for ops that do no arithmetic to speak of."""
        return 0

    # ---- attributes ------------------------------------------------------------------------------
    @classmethod
    def make_attrs(cls, given: Mapping[str, AttrValue]) -> Attrs:
        """Check names, fill defaults, normalize values; return a frozen mapping."""
        unknown = sorted(set(given) - set(cls.attrs))
        if unknown:
            raise ShapeError(f"{cls.name} has no attribute(s) {', '.join(unknown)}")
        out: dict[str, AttrValue] = {}
        for key, spec in cls.attrs.items():
            if key in given and given[key] is not None:
                out[key] = spec.normalize(given[key])
            elif spec.required:
                raise ShapeError(f"{cls.name} needs attribute {key!r}")
            else:
                out[key] = None if spec.default is _REQUIRED else spec.default
        return MappingProxyType(out)

    # ---- ONNX mapping ----------------------------------------------------------------------------
    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        """Default mapping: attributes by name; static inputs become attributes; the rest are data."""
        attrs = {k: v for k, v in view.attrs.items() if k in cls.attrs}
        data: list[int] = []
        for pos, name in enumerate(view.inputs):
            if pos in cls.static_inputs:
                if name:
                    attrs[cls.static_inputs[pos]] = _static_value(cls, view, pos)
            elif name:
                data.append(pos)
        ignored = sorted(set(view.attrs) - set(cls.attrs) - _IGNORED_ONNX_ATTRS.get(cls.name, set()))
        if ignored:
            raise ShapeError(f"{cls.name}: attribute(s) {', '.join(ignored)} are not supported")
        return Imported(data, attrs)

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        """Default export: data inputs in order, static attributes back as int64 initializers."""
        onnx_attrs = {k: v for k, v in attrs.items() if v is not None and k not in cls.static_inputs.values()}
        inputs: list[int | np.ndarray | None] = []
        data = iter(range(len(input_types)))
        n_positions = len(input_types) + len(cls.static_inputs)
        for pos in range(n_positions):
            if pos in cls.static_inputs:
                value = attrs.get(cls.static_inputs[pos])
                inputs.append(None if value is None else np.asarray(value, dtype=np.int64))
            else:
                inputs.append(next(data, None))
        while inputs and inputs[-1] is None:
            inputs.pop()
        return OnnxNodeSpec(cls.name, onnx_attrs, inputs, cls.domain)


def _static_value(cls: type[Op], view: OnnxNodeView, pos: int) -> np.ndarray:
    value = view.const(pos)
    if value is None:
        raise ShapeError(
            f"{cls.name} input {pos} ({view.inputs[pos]!r}) must be known at compile time; "
            "it is computed from a graph input. Pin it with constant_inputs={name: value}"
        )
    return value


# Attributes of ONNX ops that carry no meaning for inference-time execution.
_IGNORED_ONNX_ATTRS: dict[str, set[str]] = {}


def ignore_onnx_attrs(op_name: str, *names: str) -> None:
    _IGNORED_ONNX_ATTRS.setdefault(op_name, set()).update(names)


# ---- registry ------------------------------------------------------------------------------------
_REGISTRY: dict[tuple[str, str], type[Op]] = {}


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: add an op to the registry. One definition per (domain, name)."""
    key = (cls.domain, cls.name)
    if key in _REGISTRY:
        raise ValueError(f"op {cls.domain or 'ai.onnx'}::{cls.name} is registered twice")
    _REGISTRY[key] = cls
    return cls


def lookup(name: str, domain: str = "") -> type[Op] | None:
    if domain == "ai.onnx":
        domain = ""
    return _REGISTRY.get((domain, name))


def all_ops() -> list[type[Op]]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
