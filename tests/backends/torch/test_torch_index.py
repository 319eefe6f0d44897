"""Torch kernels of Gather, GatherElements, GatherND, Pad, Resize and Upsample against the reference
executor (with a vmap batch), and their gradients in float64 with respect to the data."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.ir.ops import indexing, pad, resize
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node

RNG = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return np.asarray(RNG.standard_normal(shape), dtype=np.float32)


def _check_dtypes(op, data, rest, attrs, grad=True, **tol):
    """float32, uint16 and int8 data against the reference; gradients in float64."""
    for d in (data, (np.abs(data) * 10).astype(np.uint16), (data * 10).astype(np.int8)):
        check_matches_reference(one_node(op, [d, *rest], attrs), [d, *rest], **tol)
    if grad:
        check_gradients(op, [data.astype(np.float64), *rest], attrs)


@pytest.mark.parametrize("axis, index_shape", [(0, (2, 2)), (1, (3,)), (-1, ()), (2, (1, 2, 2))])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_gather(axis, index_shape, dtype):
    data = _f32(3, 4, 5)
    size = data.shape[axis]
    indices = np.asarray(RNG.integers(-size, size, index_shape)).astype(dtype)
    _check_dtypes(indexing.Gather, data, [indices], {"axis": axis})


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(axis):
    data = _f32(3, 4, 5)
    shape = [2, 3, 4]
    shape[axis] = 6
    indices = RNG.integers(-data.shape[axis], data.shape[axis], shape).astype(np.int64)
    _check_dtypes(indexing.GatherElements, data, [indices], {"axis": axis})


@pytest.mark.parametrize(
    "data_shape, index_shape, batch_dims",
    [
        ((3, 4), (2, 2), 0),
        ((3, 4, 5), (2, 1), 0),
        ((3, 4, 5), (2, 3, 2), 0),
        ((2, 4, 5), (2, 3, 1), 1),
        ((2, 3, 4, 5), (2, 3, 2, 1), 2),
        ((2, 4, 5), (2, 2), 1),
    ],
)
def test_gather_nd(data_shape, index_shape, batch_dims):
    data = _f32(*data_shape)
    k = index_shape[-1]
    dims = np.array(data_shape[batch_dims : batch_dims + k])
    indices = (RNG.integers(0, 1000, index_shape) % dims - (RNG.integers(0, 2, index_shape) * dims)).astype(np.int32)
    _check_dtypes(indexing.GatherND, data, [indices], {"batch_dims": batch_dims})


PADS = [
    {"pads": (1, 2, 0, 0, 3, 1)},
    {"pads": (0, -1, 2, 1, 0, -2)},  # negative pads crop
    {"pads": (2, 1), "axes": (-1,)},
    {"pads": (1, 0, 2, 2, 1, 0), "axes": (2, 0, 1)},
    {"pads": (-1, 3), "axes": (1,)},
]
MODES = ["constant", "reflect", "edge", "wrap"]


@pytest.mark.parametrize("attrs", PADS)
@pytest.mark.parametrize("mode", MODES)
def test_pad(attrs, mode):
    x = _f32(2, 4, 3)
    attrs = {**attrs, "mode": mode, "constant_value": 1.75}
    _check_dtypes(pad.Pad, x, [], attrs)
    flags = x > 0
    check_matches_reference(one_node(pad.Pad, [flags], attrs), [flags])


def test_wrap_and_edge_pad_beyond_the_axis():
    x = _f32(2, 3)
    for mode in ("wrap", "edge"):
        _check_dtypes(pad.Pad, x, [], {"mode": mode, "pads": (3, 7, 5, 4)})


def _resize_cases() -> list[dict]:
    cases: list[dict] = []
    for coord in ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"):
        for nearest in resize.NEAREST_MODES:
            cases.append({"mode": "nearest", "coordinate_transformation_mode": coord, "nearest_mode": nearest})
        cases.append({"mode": "linear", "coordinate_transformation_mode": coord})
        cases.append({"mode": "cubic", "coordinate_transformation_mode": coord})
    cases.append({"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5})
    return cases


@pytest.mark.parametrize("attrs", _resize_cases(), ids=lambda a: "-".join(str(v) for v in a.values()))
@pytest.mark.parametrize("scales", [(1.0, 1.0, 2.5, 0.6), (1.0, 1.0, 0.5, 1.75)])
def test_resize_modes(attrs, scales):
    x = _f32(1, 1, 4, 5)
    _check_dtypes(resize.Resize, x, [], {**attrs, "scales": scales}, grad=scales[2] > 1)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_antialias(mode):
    x = _f32(1, 1, 8, 9)
    _check_dtypes(resize.Resize, x, [], {"mode": mode, "antialias": 1, "scales": (1.0, 1.0, 0.5, 0.4)})


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_resize_tf_crop_and_resize(mode):
    x = _f32(1, 2, 5, 4)
    attrs = {
        "mode": mode,
        "coordinate_transformation_mode": "tf_crop_and_resize",
        "roi": (0.2, -0.3, 0.9, 1.2),
        "axes": (2, 3),
        "sizes": (4, 6),
        "extrapolation_value": 3.5,
    }
    _check_dtypes(resize.Resize, x, [], attrs)


@pytest.mark.parametrize("policy", resize.ASPECT_POLICIES)
def test_resize_sizes_and_aspect_policy(policy):
    x = _f32(1, 2, 4, 6)
    attrs = {"mode": "linear", "sizes": (7, 9), "axes": (-2, -1), "keep_aspect_ratio_policy": policy}
    _check_dtypes(resize.Resize, x, [], attrs)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample(mode):
    x = _f32(1, 2, 3, 4)
    _check_dtypes(resize.Upsample, x, [], {"mode": mode, "scales": (1.0, 1.0, 2.0, 1.5)})


def test_resize_float16():
    x = _f32(1, 1, 3, 4).astype(np.float16)
    graph = one_node(resize.Resize, [x], {"mode": "cubic", "scales": (1.0, 1.0, 1.5, 2.0)})
    check_matches_reference(graph, [x], rtol=1e-3, atol=1e-3)
