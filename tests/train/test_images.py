"""Super-resolution data: MATLAB-style bicubic imresize, the degraded LR images, aligned training crops,
PSNR-Y as SR papers compute it, tiled super-resolution, and the offline train / eval image sets."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import SKIMAGE, TORCH, require

require("skimage", SKIMAGE)
require("torch", TORCH)  # the tessera.train package imports PyTorch
from PIL import Image  # noqa: E402 (scikit-image depends on Pillow)

from tessera.errors import ArgumentError, TesseraError  # noqa: E402
from tessera.train import images  # noqa: E402
from tessera.train.resize import degrade, imresize  # noqa: E402
from tessera.train.superres import super_resolve, tile_starts  # noqa: E402


@pytest.fixture(scope="module")
def patch() -> np.ndarray:
    """A detailed 128x128 region of the astronaut (face and suit)."""
    return np.ascontiguousarray(images.load("astronaut")[:, 100:228, 200:328])


def nearest(batch: np.ndarray, scale: int) -> np.ndarray:
    return batch.repeat(scale, axis=-2).repeat(scale, axis=-1)


@pytest.mark.parametrize("scale", [0.25, 1 / 3, 0.5, 2.0, 3.0])
def test_imresize_keeps_a_constant_image_constant(scale):
    out = imresize(np.full((3, 24, 36), 0.3, np.float32), scale)
    assert out.shape == (3, round(24 * scale), round(36 * scale)) and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.3, rtol=1e-6)


@pytest.mark.parametrize("scale", [2, 4])
def test_downscaling_a_ramp_averages_each_block_away_from_the_borders(scale):
    # a linear ramp x[j] = j: the widened kernel is symmetric about each output's centre
    # (j = scale*k + (scale-1)/2), so away from the mirrored edges the output is exactly that centre
    ramp = np.arange(64, dtype=np.float64)
    rows = imresize(np.repeat(ramp[:, None], 5, axis=1), 1 / scale)
    cols = imresize(np.repeat(ramp[None, :], 5, axis=0), 1 / scale)
    centre = scale * np.arange(64 // scale) + (scale - 1) / 2
    inner = slice(2, -2)  # the kernel spans 2 LR pixels either side
    np.testing.assert_allclose(rows[inner, 0], centre[inner], atol=1e-5)
    np.testing.assert_allclose(cols[0, inner], centre[inner], atol=1e-5)
    assert rows[0, 0] != centre[0]  # the mirrored edge pulls the first pixel up


@pytest.mark.parametrize("scale", [0.25, 0.5, 2, 4])
def test_imresize_matches_pillow_bicubic_in_float(patch, scale):
    # Pillow's BICUBIC is the same Keys a = -0.5 kernel, widened when reducing; on a float ("F")
    # image it differs only at the edges: Pillow renormalises the cut-off kernel, MATLAB mirrors.
    for channel in patch:
        ours = imresize(channel, scale)
        pil = np.asarray(Image.fromarray(channel, "F").resize(ours.shape[::-1], Image.Resampling.BICUBIC))
        margin = 3 * int(max(scale, 1))  # the kernel reaches 2 input pixels past the edge
        np.testing.assert_allclose(ours[margin:-margin, margin:-margin], pil[margin:-margin, margin:-margin], atol=1e-6)


@pytest.mark.parametrize("scale", [0.25, 0.5, 2, 4])
def test_imresize_matches_pillow_bicubic_in_8_bits(patch, scale):
    # on an 8-bit RGB image Pillow also rounds and clips to 0..255 after its first (horizontal) pass and
    # uses fixed-point weights, and edges differ (above): measured mean 0.17-0.21 levels, >= 97.8% of
    # pixels within 1 level, at most 6 levels
    ours = np.round(np.clip(imresize(patch, scale), 0, 1) * 255)
    rgb = Image.fromarray(np.round(patch.transpose(1, 2, 0) * 255).astype(np.uint8))
    pil = np.asarray(rgb.resize(ours.shape[:0:-1], Image.Resampling.BICUBIC)).transpose(2, 0, 1)
    diff = np.abs(ours - pil)
    assert diff.mean() < 0.25 and (diff <= 1).mean() > 0.97 and diff.max() <= 6, (diff.mean(), diff.max())


def test_degrade_crops_to_a_multiple_of_the_scale():
    hr = np.random.default_rng(0).random((3, 50, 43)).astype(np.float32)
    assert degrade(hr, 4).shape == (3, 12, 10)
    np.testing.assert_array_equal(degrade(hr, 4), imresize(hr[:, :48, :40], 0.25))
    with pytest.raises(ArgumentError, match="positive integer"):
        degrade(hr, 2.5)  # type: ignore[arg-type]


def test_psnr_y_of_identical_images_is_inf_and_of_a_known_error_matches_the_formula():
    rng = np.random.default_rng(0)
    hr = rng.integers(50, 200, (3, 20, 24)) / 255.0
    assert images.psnr_y(hr, hr, 0) == float("inf")
    sr = hr.copy()
    sr[1] += 2 / 255  # green two levels up: Y moves by 128.553 * 2 / 255 everywhere
    expected = 10 * np.log10(255.0**2 / (128.553 * 2 / 255) ** 2)
    assert images.psnr_y(sr, hr, 2) == pytest.approx(expected, abs=1e-9)
    sr = hr + 0.4 / 255  # under half a level: rounded away, as when saved as 8-bit images
    assert images.psnr_y(sr, hr, 0) == float("inf")
    assert images.psnr_y(np.clip(hr, 0, 1) + 1.0, np.ones_like(hr), 0) == float("inf")  # clipped to 1


def test_psnr_y_crops_the_border():
    hr = np.full((3, 16, 16), 0.5)
    sr = hr.copy()
    sr[:, :3, :] = sr[:, :, -3:] = 0.0
    assert images.psnr_y(sr, hr, 3) == float("inf") and images.psnr_y(sr, hr, 2) < 20
    with pytest.raises(ArgumentError, match="border 8 leaves nothing"):
        images.psnr_y(sr, hr, 8)
    with pytest.raises(ArgumentError, match=r"\(3, H, W\)"):
        images.psnr_y(sr[:2], hr[:2], 0)


@pytest.mark.parametrize("scale", [2, 3])
def test_crops_are_aligned_seeded_and_in_finetunes_stacked_form(scale):
    names = ("camera", "coins")
    data = images.crops(names, scale, 12, 16, seed=1, input_name="lr")
    lr, hr = data["lr"], data["target"]
    assert lr.shape == (16, 3, 12, 12) and hr.shape == (16, 3, 12 * scale, 12 * scale)
    assert lr.dtype == hr.dtype == np.float32 and set(data) == {"lr", "target"}
    # degrading the HR crop gives the LR crop wherever the (widened) kernel stays inside the crop
    inner = slice(3, -3)
    for a, b in zip(lr, hr, strict=True):
        np.testing.assert_allclose(degrade(b, scale)[:, inner, inner], a[:, inner, inner], atol=1e-6)
    again = images.crops(names, scale, 12, 16, seed=1, input_name="lr")
    np.testing.assert_array_equal(again["lr"], lr)
    assert not np.array_equal(images.crops(names, scale, 12, 16, seed=2)["image"], lr)


def test_crops_reject_bad_arguments():
    with pytest.raises(ArgumentError, match="smaller than lr_size"):
        images.crops(["coins"], 4, 100, 1, seed=0)
    with pytest.raises(ArgumentError, match="sequence of image names"):
        images.crops("coins", 2, 8, 1, seed=0)
    with pytest.raises(TesseraError, match="no image 'lena'"):
        images.crops(["lena"], 2, 8, 1, seed=0)


def test_tiles_cover_the_axis_and_the_last_ends_at_the_border():
    assert tile_starts(16, 16) == [0] and tile_starts(32, 16) == [0, 16] and tile_starts(37, 16) == [0, 16, 21]


@pytest.mark.parametrize(("shape", "tile", "scale"), [((3, 37, 50), 16, 3), ((3, 32, 48), 16, 2), ((3, 9, 9), 9, 4)])
def test_super_resolve_with_nearest_upscaling_stitches_exactly(shape, tile, scale):
    lr = np.random.default_rng(0).random(shape).astype(np.float32)
    batches = []

    def run(batch: np.ndarray) -> np.ndarray:
        batches.append(len(batch))
        return nearest(batch, scale)

    np.testing.assert_array_equal(super_resolve(run, lr, tile, scale, batch=4), nearest(lr, scale))
    assert max(batches) <= 4


def test_super_resolve_keeps_the_later_tile_where_tiles_overlap():
    calls = iter(range(100))
    out = super_resolve(
        lambda b: np.stack([np.full((3, 8, 8), next(calls), np.float32) for _ in b]), np.zeros((3, 6, 6)), 4, 2
    )
    # tiles start at 0 and 2 on each axis: (0,0), (0,2), (2,0), (2,2) numbered 0..3
    assert out[0, 0, 0] == 0 and out[0, 0, 4] == 1 and out[0, 4, 0] == 2 and out[0, 5, 5] == 3


def test_super_resolve_rejects_a_wrong_model_or_a_small_image():
    with pytest.raises(ArgumentError, match=r"must return \[1, 3, 16, 16\]"):
        super_resolve(lambda b: b, np.zeros((3, 8, 8)), 8, 2)
    with pytest.raises(ArgumentError, match="smaller than the model's tile"):
        super_resolve(lambda b: b, np.zeros((3, 8, 8)), 16, 2)


def test_evaluate_with_bicubic_tiles_is_the_bicubic_row():
    # one tile holding the whole LR image: the model is bicubic upscaling itself
    got = images.evaluate(lambda b: imresize(b, 2), ("chelsea", "rocket"), scale=2, tile=48, size=96)
    want = images.bicubic(("chelsea", "rocket"), scale=2, size=96)
    assert got == want and set(got) == {"chelsea", "rocket", "mean"}
    assert 25 < want["mean"] < 40 and want["mean"] == pytest.approx((want["chelsea"] + want["rocket"]) / 2)
    lr, hr = images.eval_image("chelsea", 4, size=None)
    assert hr.shape == (3, 300, 448) and lr.shape == (3, 75, 112)


def test_the_train_and_eval_sets_are_disjoint_distinct_and_load_offline():
    assert not set(images.TRAIN_IMAGES) & set(images.EVAL_IMAGES)
    assert 6 <= len(images.TRAIN_IMAGES) <= 8 and 4 <= len(images.EVAL_IMAGES) <= 5
    seen: dict[bytes, str] = {}
    for name in images.TRAIN_IMAGES + images.EVAL_IMAGES:
        image = images.load(name)  # in the wheel: no download (pooch) needed
        assert image.dtype == np.float32 and image.ndim == 3 and image.shape[0] == 3 and min(image.shape[1:]) >= 256
        assert image.min() >= 0.0 and image.max() <= 1.0 and not image.flags.writeable
        key = np.ascontiguousarray(image[:, :64, :64]).tobytes()
        assert key not in seen, f"{name} is {seen.get(key)} again"
        seen[key] = name


def test_a_missing_scikit_image_names_the_train_extra(monkeypatch):
    images._load.cache_clear()
    monkeypatch.setitem(sys.modules, "skimage", None)
    with pytest.raises(TesseraError, match=r"pip install 'tessera\[train\]'"):
        images.load("coins")
    images._load.cache_clear()
