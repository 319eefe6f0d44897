"""tessera.zoo: names, options, errors, seeding, and sample inputs."""

import inspect

import numpy as np
import pytest
from conftest import TORCH, require
from zoo_testing import single_threaded_torch

import tessera
from tessera import zoo
from tessera.errors import TesseraError
from tessera.models_zoo.inputs import IMAGENET_MEAN, IMAGENET_STD

torch = require("torch", TORCH)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    yield from single_threaded_torch(torch)


def test_list_names_every_family() -> None:
    names = zoo.list()
    assert names == sorted(names)
    families = {zoo.info(n).family for n in names}
    assert families == {"cnn", "transformer", "super-resolution", "wired"}
    assert tessera.zoo is zoo


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(TesseraError, match=r"no zoo model 'mobilenet-v9'; available: .*mobilenetv2"):
        zoo.get("mobilenet-v9")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"wdth": 0.5},
            r"no option wdth; valid options: width=1.0, resolution=224, num_classes=1000, dataset=.imagenet., seed=0",
        ),
        ({"resolution": "big"}, r"resolution='big' must be int"),
        ({"resolution": True}, r"resolution=True must be int"),
        ({"resolution": 100}, r"resolution 100 must be a multiple of 16"),
    ],
)
def test_bad_options_say_what_is_valid(options: dict, message: str) -> None:
    with pytest.raises(TesseraError, match=message):
        zoo.get("mobilenetv2", **options)


def test_choices_are_checked() -> None:
    with pytest.raises(TesseraError, match=r"scale=5 must be one of \[2, 4\]"):
        zoo.get("srresnet", scale=5)


def test_ints_are_accepted_for_float_options() -> None:
    assert zoo.get("mcunet-vww", width=1, resolution=32).options["width"] == 1.0


def weights(model: zoo.ZooModel) -> list[np.ndarray]:
    return [t.detach().numpy().copy() for t in model.module.state_dict().values()]


def test_weights_are_seeded_and_batchnorm_is_calibrated() -> None:
    a, b = zoo.get("mcunet-vww", resolution=32), zoo.get("mcunet-vww", resolution=32)
    c = zoo.get("mcunet-vww", resolution=32, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(weights(a), weights(b)))
    assert not all(np.array_equal(x, y) for x, y in zip(weights(a), weights(c)))
    assert not a.module.training
    bn = a.module.features[0][1]
    assert not np.allclose(bn.running_mean.numpy(), 0.0)
    assert not np.allclose(bn.running_var.numpy(), 1.0)


def test_global_torch_random_state_is_left_alone() -> None:
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    zoo.get("mcunet-vww", resolution=32)
    assert torch.equal(torch.rand(3), want)


def test_input_names_are_the_forward_arguments() -> None:
    for name, options in [("resnet18", {"width": 0.125, "resolution": 32}), ("bert-tiny", {"seq_len": 8})]:
        model = zoo.get(name, **options)
        assert model.input_names == tuple(inspect.signature(model.module.forward).parameters)


def test_example_inputs_are_the_first_sample() -> None:
    model = zoo.get("mcunet-vww", resolution=32)
    (first,) = model.sample_inputs(1)
    assert np.array_equal(model.example_inputs[0].numpy(), first["image"])


def test_image_samples_are_normalized_scenes() -> None:
    samples = zoo.get("mcunet-vww", resolution=64).sample_inputs(4, seed=3)
    assert len(samples) == 4 and not np.array_equal(samples[0]["image"], samples[1]["image"])
    images = np.concatenate([s["image"] for s in samples])
    assert images.shape == (4, 3, 64, 64) and images.dtype == np.float32
    low, high = (0 - IMAGENET_MEAN) / IMAGENET_STD, (1 - IMAGENET_MEAN) / IMAGENET_STD
    assert (images >= low[None, :, None, None] - 1e-5).all() and (images <= high[None, :, None, None] + 1e-5).all()
    assert 0.3 < images.std() < 2.0
    # smooth: neighbouring pixels are correlated, unlike white noise
    assert np.corrcoef(images[..., 1:].ravel(), images[..., :-1].ravel())[0, 1] > 0.5


def test_token_samples_stay_in_the_vocabulary() -> None:
    model = zoo.get("bert-tiny", seq_len=16, vocab=50)
    (s,) = model.sample_inputs(1)
    assert s["input_ids"].dtype == np.int64 and s["input_ids"].shape == (1, 16)
    assert s["input_ids"].min() >= 0 and s["input_ids"].max() < 50
    assert (s["attention_mask"] == 1).all()


def test_super_resolution_samples_are_pixels() -> None:
    model = zoo.get("edsr-baseline", scale=2, resolution=8)
    (s,) = model.sample_inputs(1)
    assert s["image"].min() >= 0.0 and s["image"].max() <= 1.0
    with torch.no_grad():
        assert model.module(*model.example_inputs).shape == (1, 3, 16, 16)


def test_export_writes_the_file(tmp_path) -> None:
    model = zoo.get("mcunet-vww", resolution=32)
    path = tmp_path / "sub" / "m.onnx"
    proto = zoo.export_onnx(model, path)
    assert path.is_file() and proto.graph.name == "mcunet-vww"
    assert tessera.load(str(path)).inputs[0].shape == (1, 3, 32, 32)
