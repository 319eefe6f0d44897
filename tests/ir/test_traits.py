"""Op traits against behaviour: every Elementwise op's reference kernel gives the broadcast shape and
commutes with any permutation of elements, every Pointwise op with a permutation of pixels, and every
View op's output bytes are its input's bytes. A new op declared with a trait it does not have fails
here; so does one this file cannot build inputs for (add them below)."""

from collections.abc import Sequence

import numpy as np
import pytest

from tessera.errors import ShapeError
from tessera.ir import DType, TensorType
from tessera.ir.ops import all_ops
from tessera.ir.ops.base import Op
from tessera.ir.traits import Elementwise, Pointwise, View, Windowed

F32, I32, I8, BOOL = DType.FLOAT32, DType.INT32, DType.INT8, DType.BOOL
Q = {"multiplier": (1 << 30,), "shift": (0,), "y_scale": 0.1, "y_zero_point": 0}
OPERANDS = {"a_scale": 0.1, "a_zero_point": 1, "b_scale": 0.1, "b_zero_point": -2}
ATTRS = {  # required attributes, for ops that have some
    "BitShift": {"direction": "LEFT"},
    "Cast": {"to": DType.FLOAT64},
    "QAdd": {**OPERANDS, "a_multiplier": 1 << 30, "a_shift": 0, "b_multiplier": 1 << 29, "b_shift": 0, **Q},
    "QMul": {**OPERANDS, **Q},
    "Requantize": {"x_scale": 0.2, "x_zero_point": 3, **Q},
}
SHAPES = [(2, 3, 4), (3, 1), (4,)]  # operand i has shape SHAPES[i]: together they broadcast to (2, 3, 4)
DTYPES = [(F32,), (I32,), (BOOL,), (I8,), (BOOL, F32, F32)]  # the first that the op accepts; last repeats


def _array(rng: np.random.Generator, dtype: DType, shape: tuple[int, ...]) -> np.ndarray:
    if dtype is BOOL:
        return rng.random(shape) < 0.5
    if dtype.is_float:
        return rng.uniform(0.1, 0.9, shape).astype(dtype.numpy())
    low, high = (-100, 100) if dtype is I8 else (1, 4)
    return rng.integers(low, high, shape).astype(dtype.numpy())


def _elementwise_inputs(op: type[Op], rng: np.random.Generator) -> tuple[list[np.ndarray], dict] | None:
    """Inputs of SHAPES and the first dtypes of DTYPES the op's inference accepts."""
    arity = 3 if op.max_inputs == -1 else op.max_inputs
    attrs = op.make_attrs(ATTRS.get(op.name, {}))
    for dtypes in DTYPES:
        kinds = [dtypes[min(i, len(dtypes) - 1)] for i in range(arity)]
        try:
            op.infer([TensorType(d, s) for d, s in zip(kinds, SHAPES)], attrs)
        except ShapeError:
            continue
        return [_array(rng, d, s) for d, s in zip(kinds, SHAPES)], dict(attrs)
    return None


def _ops(trait: type) -> list[type[Op]]:
    return [op for op in all_ops() if op.has(trait)]


def _same(got: Sequence[np.ndarray], want: Sequence[np.ndarray]) -> None:
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("op", _ops(Elementwise), ids=lambda op: op.name)
def test_elementwise_ops_act_on_each_element_alone(op: type[Op]) -> None:
    rng = np.random.default_rng(7)
    built = _elementwise_inputs(op, rng)
    assert built is not None, f"{op.name}: no operands of SHAPES / DTYPES fit; add a case to this test"
    inputs, attrs = built
    full = np.broadcast_shapes(*(x.shape for x in inputs))
    (out,) = op.compute(inputs, attrs)[:1]
    assert out.shape == full, f"{op.name} gives {out.shape}, not the broadcast shape {full}"
    expanded = [np.broadcast_to(x, full) for x in inputs]
    _same(op.compute(expanded, attrs)[:1], [out])
    perm = rng.permutation(out.size)
    shuffled = [x.reshape(-1)[perm].reshape(full) for x in expanded]
    (moved,) = op.compute(shuffled, attrs)[:1]
    _same([moved.reshape(-1)], [out.reshape(-1)[perm]])


# Pointwise ops that are not Elementwise: NCHW inputs, per-channel constants
POINTWISE_CASES = {
    "Identity": lambda x: ([x], {}),
    "QuantizeLinear": lambda x: ([x, np.array([0.1, 0.2, 0.05], np.float32), np.array([1, 0, -3], np.int8)], {}),
    "DequantizeLinear": lambda x: ([(x * 100).astype(np.int8), np.array([0.1, 0.2, 0.05], np.float32)], {}),
}


@pytest.mark.parametrize("op", [op for op in _ops(Pointwise) if not op.has(Elementwise)], ids=lambda op: op.name)
def test_pointwise_ops_act_on_each_pixel_alone(op: type[Op]) -> None:
    assert op.name in POINTWISE_CASES, f"{op.name} is Pointwise: add a case to POINTWISE_CASES"
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (2, 3, 4, 5)).astype(np.float32)
    inputs, given = POINTWISE_CASES[op.name](x)
    attrs = op.make_attrs(given)
    (out,) = op.compute(inputs, attrs)[:1]
    perm = rng.permutation(20)
    pixels = lambda a: a.reshape(*a.shape[:2], 20)[..., perm].reshape(a.shape)  # noqa: E731
    (moved,) = op.compute([pixels(inputs[0]), *inputs[1:]], attrs)[:1]
    _same([moved], [pixels(out)])


VIEW_CASES = {
    "Reshape": {"shape": (6, 4)},
    "Flatten": {"axis": 2},
    "Squeeze": {"axes": (0,)},
    "Unsqueeze": {"axes": (1,)},
    "Identity": {},
    "Dropout": {},
}


@pytest.mark.parametrize("op", _ops(View), ids=lambda op: op.name)
def test_view_ops_keep_their_input_bytes(op: type[Op]) -> None:
    assert op.name in VIEW_CASES, f"{op.name} is a View: add its attributes to VIEW_CASES"
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    attrs = op.make_attrs(VIEW_CASES[op.name])
    (want,) = op.infer([TensorType(F32, x.shape)], attrs)[:1]
    (out,) = op.compute([x], attrs)[:1]
    assert out.shape == want.shape and out.dtype == x.dtype
    assert np.ascontiguousarray(out).tobytes() == x.tobytes()


def test_traits_are_declared_where_the_passes_need_them() -> None:
    names = {t: {op.name for op in _ops(t)} for t in (Elementwise, Pointwise, View, Windowed)}
    assert {"Relu", "HardSwish", "Add", "Clip", "QAdd", "Requantize"} <= names[Elementwise]
    assert names[Elementwise] <= names[Pointwise]  # an Elementwise op is Pointwise
    assert {"QuantizeLinear", "DequantizeLinear", "Identity"} <= names[Pointwise] - names[Elementwise]
    assert names[View] == {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}
    assert names[Windowed] == {"Conv", "QConv", "MaxPool", "AveragePool", "QAveragePool"}
    assert not ({"Softmax", "LogSoftmax", "Hardmax", "CastLike"} & names[Pointwise])
