"""The digits CNN: a small CNN trained here (seeded, about a second) on scikit-learn's bundled 8x8
digits, shared by the quantization and fine-tuning tests."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
from conftest import SKLEARN, TORCH, require


@dataclass(frozen=True)
class Digits:
    model: object  # the trained torch.nn.Sequential, eval mode
    x_train: np.ndarray  # (1347, 1, 8, 8) float32 in [0, 1]
    y_train: np.ndarray  # int64 labels
    x_test: np.ndarray  # (450, 1, 8, 8)
    y_test: np.ndarray

    def onnx(self, batch: int) -> bytes:
        """The model exported for a fixed batch size, input named "x"."""
        torch = require("torch", TORCH)
        buffer = io.BytesIO()
        example = torch.zeros((batch, 1, 8, 8))
        torch.onnx.export(self.model, (example,), buffer, dynamo=False, input_names=["x"])
        return buffer.getvalue()


@functools.cache
def digits(epochs: int = 8) -> Digits:
    """Conv-ReLU-Conv-ReLU6-MaxPool-Flatten-Linear trained with Adam, batch 64, `epochs` epochs."""
    torch = require("torch", TORCH)
    datasets = require("sklearn.datasets", SKLEARN)
    data = datasets.load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8) in [0, 1]
    y = data.target.astype(np.int64)
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
    for _ in range(epochs):
        for i in range(0, len(xt), 64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[i : i + 64]), yt[i : i + 64]).backward()
            opt.step()
    torch.set_num_threads(threads)
    return Digits(model.eval(), x[train], y[train], x[test], y[test])
