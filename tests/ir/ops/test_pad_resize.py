"""Pad, Resize and Upsample: inference errors, MACs, export round trips through onnxruntime."""

import numpy as np
import pytest
from _roundtrip import Static, check_graph_export, check_roundtrip, one_node_model, run_tessera
from onnx.reference import ReferenceEvaluator

from tessera.errors import ShapeError
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph
from tessera.ir.ops.pad import Pad
from tessera.ir.ops.resize import Resize, Upsample
from tessera.ir.types import TensorType

RNG = np.random.default_rng(3)
X = TensorType(DType.FLOAT32, (1, 2, 4, 6))


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def i64(*values: int) -> Static:
    return Static(np.array(values, dtype=np.int64))


def f32(*values: float) -> Static:
    return Static(np.array(values, dtype=np.float32))


# ---- Pad ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"pads": (1, 1)}, "two per axis"),
        ({"pads": (0, 0, 0, 0, 0, 0, -5, 0)}, "crops more than there is"),
        ({"pads": (0,) * 8, "mode": "mirror"}, "not one of"),
        ({"pads": (1, 1), "axes": (4,)}, "out of range"),
    ],
)
def test_pad_errors(attrs: dict, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        Pad.infer([X], Pad.make_attrs(attrs))


def test_pad_cannot_reflect_an_empty_axis() -> None:
    with pytest.raises(ShapeError, match="empty axis"):
        Pad.infer([TensorType(DType.FLOAT32, (0, 2))], Pad.make_attrs({"pads": (1, 0, 1, 0), "mode": "edge"}))


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
def test_pad_roundtrips(mode: str) -> None:
    x = rand(3, 4, 5)
    (out,) = check_roundtrip("Pad", [x, i64(1, 0, 2, 2, 2, 1)], mode=mode)
    assert out.shape == (6, 6, 8)
    check_roundtrip("Pad", [x, i64(2, 1, 0, 2), None, i64(-1, 0)], mode=mode)


def test_pad_constant_value_and_cropping() -> None:
    x = rand(3, 4)
    (out,) = check_roundtrip("Pad", [x, i64(-1, 2, 1, -2), f32(1.5)])
    np.testing.assert_array_equal(out[:, :2], 1.5)
    np.testing.assert_array_equal(out[:2, 2:4], x[1:, :2])
    ints = np.arange(6, dtype=np.int32).reshape(2, 3)
    check_roundtrip("Pad", [ints, i64(1, 1, 1, 1), Static(np.array(7, dtype=np.int32))])


# ---- Resize ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"scales": (1.0, 1.0, 2.0, 2.0), "sizes": (1, 2, 8, 12)}, "exactly one"),
        ({}, "exactly one"),
        ({"scales": (2.0, 2.0)}, "2 scales/sizes for 4 axes"),
        ({"scales": (1.0, 1.0, 0.0, 2.0)}, "must be positive"),
        ({"sizes": (8, 12), "axes": (2, 2)}, "repeat an axis"),
        ({"scales": (1.0, 1.0, 2.0, 2.0), "mode": "bicubic"}, "not one of"),
        ({"scales": (1.0, 1.0, 2.0, 2.0), "antialias": 1}, "not nearest"),
        (
            {
                "sizes": (8, 12),
                "axes": (2, 3),
                "roi": (0.1, 0.9),
                "coordinate_transformation_mode": "tf_crop_and_resize",
            },
            "roi",
        ),
    ],
)
def test_resize_errors(attrs: dict, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        Resize.infer([X], Resize.make_attrs(attrs))


def test_resize_output_shapes() -> None:
    def shape(**attrs: object) -> tuple[int, ...]:
        return Resize.infer([X], Resize.make_attrs(attrs))[0].shape

    assert shape(scales=(1.0, 1.0, 0.6, 1.5)) == (1, 2, 2, 9)
    assert shape(sizes=(8, 8), axes=(2, 3), keep_aspect_ratio_policy="not_larger") == (1, 2, 5, 8)
    assert shape(sizes=(8, 8), axes=(-1, -2), keep_aspect_ratio_policy="not_smaller") == (1, 2, 8, 12)


def test_resize_macs_count_taps_per_resized_axis() -> None:
    attrs = Resize.make_attrs({"scales": (1.0, 1.0, 2.0, 1.0), "mode": "linear"})
    assert Resize.macs([X], Resize.infer([X], attrs), attrs) == 1 * 2 * 8 * 6 * 2
    nearest = Resize.make_attrs({"scales": (1.0, 1.0, 2.0, 1.0)})
    assert Resize.macs([X], Resize.infer([X], nearest), nearest) == 0


RESIZE_CASES = [
    ({"mode": "linear"}, [None, f32(1, 1, 2, 1.5)]),
    ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [None, None, i64(1, 2, 7, 3)]),
    ({"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, [None, None, i64(1, 2, 1, 9)]),
    ({"mode": "linear", "antialias": 1}, [None, f32(1, 1, 0.5, 0.5)]),
    ({"mode": "cubic"}, [None, None, i64(1, 2, 9, 5)]),
    ({"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1}, [None, f32(1, 1, 1.5, 0.75)]),
    ({"mode": "cubic", "antialias": 1, "axes": [2, 3]}, [None, None, i64(3, 4)]),
    (
        {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
        [None, f32(1, 1, 3, 2)],
    ),
    ({"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, [None, None, i64(1, 2, 7, 4)]),
    (
        {"mode": "nearest", "nearest_mode": "ceil", "coordinate_transformation_mode": "half_pixel_symmetric"},
        [None, f32(1, 1, 1.7, 0.6)],
    ),
    (
        {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 9.0},
        [f32(0, 0, -0.2, 0.3, 1, 1, 0.8, 1.4), None, i64(1, 2, 5, 5)],
    ),
    ({"mode": "linear", "axes": [3, 2], "keep_aspect_ratio_policy": "not_smaller"}, [None, None, i64(9, 5)]),
]


@pytest.mark.parametrize(("attrs", "rest"), RESIZE_CASES)
def test_resize_roundtrips(attrs: dict, rest: list) -> None:
    check_roundtrip("Resize", [rand(1, 2, 4, 6), *rest], **attrs)


def test_resize_integer_input_rounds_half_to_even_like_onnx_reference() -> None:
    """onnxruntime truncates x.5 for uint8 (off by one); onnx.reference rounds half to even, as we do."""
    x = np.arange(24, dtype=np.uint8).reshape(1, 1, 4, 6) * 10
    model, feeds = one_node_model("Resize", [x, None, f32(1, 1, 2, 2)], mode="linear")
    (ours,) = run_tessera(load_onnx(model), feeds)
    np.testing.assert_array_equal(ours, ReferenceEvaluator(model).run(None, feeds)[0])
    assert ours.dtype == np.uint8 and ours[0, 0, 0, 2] == 8  # 7.5 -> 8


def test_resize_is_fast_on_an_image() -> None:
    x = rand(1, 3, 224, 224)
    attrs = Resize.make_attrs({"mode": "cubic", "sizes": (1, 3, 448, 300)})
    assert Resize.compute([x], attrs)[0].shape == (1, 3, 448, 300)


def test_upsample_exports_as_resize() -> None:
    graph = Graph("upsample")
    x = graph.add_input("x", TensorType(DType.FLOAT32, (1, 1, 2, 3)))
    graph.outputs.append(graph.add_node(Upsample, [x], {"scales": (1.0, 1.0, 2.0, 3.0)}).output)
    data = rand(1, 1, 2, 3)
    (out,) = check_graph_export(graph, {"x": data})
    np.testing.assert_array_equal(out, data.repeat(2, axis=2).repeat(3, axis=3))
