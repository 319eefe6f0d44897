"""A small CNN trained here on scikit-learn's bundled 8x8 digits: int8 accuracy within 1 point of float."""

from __future__ import annotations

import numpy as np
from conftest import SKLEARN, TORCH, require

import tessera

torch = require("torch", TORCH)
datasets = require("sklearn.datasets", SKLEARN)
from _quantize_helpers import torch_onnx  # noqa: E402


def _train_digits():
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1347], order[1347:]
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: threads only contend
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 16, 3, padding=1),
        torch.nn.ReLU6(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(16 * 4 * 4, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    for _ in range(8):
        for i in range(0, len(xt), 64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[i : i + 64]), yt[i : i + 64]).backward()
            opt.step()
    torch.set_num_threads(threads)
    return model, x[train], x[test], y[test]


def test_int8_accuracy_within_one_point_of_float():
    model, x_train, x_test, y_test = _train_digits()
    batch = len(x_test)
    graph = tessera.load(torch_onnx(model, [torch.from_numpy(x_test)], ["x"]))
    calibration = [{"x": x_train[i : i + batch]} for i in range(0, batch * 2, batch)]
    result = tessera.quantize(graph, calibration)
    float_acc = float(np.mean(next(iter(tessera.run(graph, {"x": x_test}).values())).argmax(1) == y_test))
    int8_acc = float(np.mean(next(iter(tessera.run(result.graph, {"x": x_test}).values())).argmax(1) == y_test))
    assert float_acc > 0.9
    assert abs(int8_acc - float_acc) <= 0.01, (float_acc, int8_acc)
    assert {x.int8_op for x in result.report.layers} >= {"QConv", "QFullyConnected"}
    assert not result.report.float_layers  # Conv+ReLU, Conv+ReLU6, MaxPool, Flatten, Linear: all int8
