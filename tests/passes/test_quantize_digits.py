"""A small CNN trained here on scikit-learn's bundled 8x8 digits: int8 accuracy within 1 point of float."""

from __future__ import annotations

import numpy as np
from _digits import digits

import tessera


def test_int8_accuracy_within_one_point_of_float():
    d = digits()
    x_train, x_test, y_test = d.x_train, d.x_test, d.y_test
    batch = len(x_test)
    graph = tessera.load(d.onnx(len(x_test)))
    calibration = [{"x": x_train[i : i + batch]} for i in range(0, batch * 2, batch)]
    result = tessera.quantize(graph, calibration)
    float_acc = float(np.mean(next(iter(tessera.run(graph, {"x": x_test}).values())).argmax(1) == y_test))
    int8_acc = float(np.mean(next(iter(tessera.run(result.graph, {"x": x_test}).values())).argmax(1) == y_test))
    assert float_acc > 0.9
    assert abs(int8_acc - float_acc) <= 0.01, (float_acc, int8_acc)
    assert {x.int8_op for x in result.report.layers} >= {"QConv", "QFullyConnected"}
    assert not result.report.float_layers  # Conv+ReLU, Conv+ReLU6, MaxPool, Flatten, Linear: all int8
