"""Training a tiny binarized super-resolution network (scikit-image crops, distillation from its float
model) raises its PSNR over the untrained binarization, for every scaling; the trained graph packs
bit for bit and keeps its weights binary."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TORCH, require

import tessera
from tessera.ir.interpreter import execute

torch = require("torch", TORCH)
require("skimage", "the training crops are scikit-image's images: pip install 'tessera[train]'")
from tessera.train import images  # noqa: E402

SCALE, LR = 2, 12
F = torch.nn.functional


def _tiny_sr() -> tessera.Graph:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 3 * SCALE * SCALE, 3, padding=1),
        torch.nn.PixelShuffle(SCALE),
    )
    return tessera.load(net.eval(), example_inputs=torch.zeros(1, 3, LR, LR))


def _l1(student, target, teacher):  # type: ignore[no-untyped-def]
    loss = F.l1_loss(student, target.reshape(student.shape))
    return loss if teacher is None else loss + F.l1_loss(student, teacher)


def _psnr(graph: tessera.Graph) -> float:
    module = tessera.to_torch(graph)
    name = graph.outputs[0].name

    def run(tiles: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(tiles[:, None]))[name][:, 0].numpy()

    return images.evaluate(run, images.EVAL_IMAGES[:2], SCALE, LR, size=48)["mean"]


@pytest.fixture(scope="module")
def trained_float():  # type: ignore[no-untyped-def]
    data = images.crops(images.TRAIN_IMAGES, SCALE, LR, 128, seed=0, input_name="input")
    torch.set_num_threads(1)
    options = tessera.FinetuneOptions(epochs=6, lr=3e-3, batch_size=16, loss=_l1, progress=False)
    return tessera.finetune(_tiny_sr(), data, options=options).graph, data


@pytest.mark.parametrize("scaling", ["xnor", "bireal", "scales"])
def test_training_recovers_psnr_of_the_binarized_net(trained_float, scaling):
    graph, data = trained_float
    calibration = [{"input": data["input"][i][None]} for i in range(2)]
    untrained = tessera.binarize(graph, calibration, scaling=scaling)
    assert [x.name for x in untrained.report.layers] and len(untrained.report.kept) == 2  # first and last kept
    options = tessera.FinetuneOptions(epochs=4, lr=3e-3, batch_size=16, loss=_l1, seed=0, progress=False)
    trained = tessera.binarize(graph, calibration, scaling=scaling, train=options, train_data=data, pack=False)
    before, after = _psnr(untrained.graph), _psnr(trained.graph)
    assert after > before + 1.0, (scaling, before, after)
    packed = tessera.binarize(graph, calibration, scaling=scaling, train=options, train_data=data)
    assert packed.graph.op_counts()["BinaryConv"] == len(untrained.report.layers)
    x = calibration[0]
    name = graph.outputs[0].name
    assert np.array_equal(execute(packed.graph, x)[name], execute(trained.graph, x)[name])  # seeded: the same run
