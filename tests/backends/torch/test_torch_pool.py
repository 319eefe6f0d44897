"""Torch kernels of pooling, normalization and softmax against the reference executor (with a vmap
batch), and their gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch import to_torch
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph
from tessera.ir.ops import normalization, pooling, reduce, softmax
from tessera.ir.types import TensorType
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node, torch

RNG = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return np.asarray(RNG.standard_normal(shape), dtype=np.float32)


def _distinct(*shape: int) -> np.ndarray:
    """float64 values without ties (max pooling's gradient is defined there)."""
    return RNG.permutation(np.prod(shape)).reshape(shape) / 7.0 - 1.0


def _check(op, inputs, attrs=None, consts=None, num_outputs=None, **tol):
    graph = one_node(op, inputs, attrs, consts=consts, num_outputs=num_outputs)
    check_matches_reference(graph, inputs, **tol)


POOL_CASES = [
    ((1, 2, 7), {"kernel_shape": (3,)}),
    ((1, 2, 7), {"kernel_shape": (3,), "strides": (2,), "pads": (1, 2), "ceil_mode": 1}),
    ((2, 3, 6, 5), {"kernel_shape": (2, 3), "strides": (2, 2), "ceil_mode": 1}),
    ((1, 2, 6, 5), {"kernel_shape": (3, 3), "strides": (2, 2), "pads": (1, 0, 2, 1)}),
    ((1, 2, 6, 5), {"kernel_shape": (3, 2), "auto_pad": "SAME_UPPER", "strides": (2, 2)}),
    ((1, 2, 6, 5), {"kernel_shape": (2, 3), "auto_pad": "SAME_LOWER"}),
    ((1, 2, 6, 6), {"kernel_shape": (2, 2), "auto_pad": "VALID", "strides": (2, 2)}),
    ((1, 1, 4, 4, 5), {"kernel_shape": (2, 2, 3), "strides": (1, 2, 2), "pads": (0, 1, 1, 1, 0, 1)}),
]


@pytest.mark.parametrize("shape, attrs", POOL_CASES)
@pytest.mark.parametrize("include_pad", [0, 1])
def test_average_pool(shape, attrs, include_pad):
    x = _f32(*shape)
    _check(pooling.AveragePool, [x], {**attrs, "count_include_pad": include_pad})


@pytest.mark.parametrize("shape, attrs", POOL_CASES)
@pytest.mark.parametrize("storage_order", [0, 1])
def test_max_pool_with_indices(shape, attrs, storage_order):
    x = _f32(*shape)
    _check(pooling.MaxPool, [x], {**attrs, "storage_order": storage_order}, num_outputs=2)


def test_max_pool_dilations_ties_and_small_integers():
    x = RNG.integers(-3, 3, (1, 2, 7, 6)).astype(np.float32)  # many ties: the first position wins
    attrs = {"kernel_shape": (2, 2), "dilations": (2, 1), "pads": (1, 1, 1, 0), "ceil_mode": 1}
    _check(pooling.MaxPool, [x], attrs, num_outputs=2)
    for dtype in (np.int8, np.uint8, np.float16):
        _check(pooling.MaxPool, [x.astype(dtype) + 3], attrs, num_outputs=2)
    _check(pooling.MaxPool, [x], attrs)  # without the Indices output


def test_pool_float16():
    x = _f32(1, 2, 5, 5).astype(np.float16)
    _check(pooling.AveragePool, [x], {"kernel_shape": (3, 3), "pads": (1, 1, 1, 1)}, rtol=1e-3, atol=1e-3)
    _check(pooling.GlobalAveragePool, [x], rtol=1e-3, atol=1e-3)
    _check(pooling.GlobalMaxPool, [x])
    _check(pooling.LRN, [x], {"size": 3}, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("shape", [(1, 3, 5), (2, 3, 4, 5), (1, 2, 2, 3, 4)])
def test_global_pools(shape):
    x = _f32(*shape)
    _check(pooling.GlobalAveragePool, [x])
    _check(pooling.GlobalMaxPool, [x])
    check_gradients(pooling.GlobalAveragePool, [x.astype(np.float64)])
    check_gradients(pooling.GlobalMaxPool, [_distinct(*shape)])


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_lrn(size):
    x = _f32(1, 6, 3, 3)
    attrs = {"size": size, "alpha": 0.3, "beta": 0.6, "bias": 1.5}
    _check(pooling.LRN, [x], attrs)
    check_gradients(pooling.LRN, [x.astype(np.float64)], attrs)


@pytest.mark.parametrize("shape, attrs", POOL_CASES[1:5])
def test_pool_gradients(shape, attrs):
    check_gradients(pooling.MaxPool, [_distinct(*shape)], attrs)
    check_gradients(pooling.AveragePool, [_distinct(*shape)], {**attrs, "count_include_pad": 1})


def test_max_pool_indices_have_no_gradient_but_data_does():
    x = _distinct(1, 1, 4, 4)
    graph = one_node(pooling.MaxPool, [x], {"kernel_shape": (2, 2)}, num_outputs=2)
    module = to_torch(graph)
    t = torch.tensor(x, requires_grad=True)
    out = module(t)
    values, indices = (out[v.name] for v in graph.outputs)
    assert indices.dtype == torch.int64 and not indices.requires_grad
    values.sum().backward()
    assert t.grad is not None and t.grad.sum().item() == 9.0  # one per output (stride 1: 3 x 3)


def _channel_params(c: int) -> list[np.ndarray]:
    return [_f32(c), _f32(c), _f32(c), np.abs(_f32(c)) + 0.5]


@pytest.mark.parametrize("shape", [(2, 3), (1, 3, 4), (2, 3, 2, 2)])
def test_batch_norm_inference(shape):
    x = _f32(*shape)
    scale, bias, mean, var = _channel_params(shape[1])
    _check(normalization.BatchNormalization, [x], {"epsilon": 1e-3}, consts={1: scale, 2: bias, 3: mean, 4: var})
    grads = [a.astype(np.float64) for a in (x, scale, bias, mean, var)]
    check_gradients(normalization.BatchNormalization, grads)


def test_batch_norm_running_statistics_stay_buffers():
    x = _f32(1, 3, 2, 2)
    scale, bias, mean, var = _channel_params(3)
    graph = one_node(normalization.BatchNormalization, [x], consts={1: scale, 2: bias, 3: mean, 4: var})
    names = {name for name, _ in to_torch(graph).named_graph_parameters()}
    assert names == {"c1", "c2"}


def test_batch_norm_training_mode_and_float16():
    x = _f32(2, 3, 4)
    params = _channel_params(3)
    attrs = {"training_mode": 1, "momentum": 0.8}
    _check(normalization.BatchNormalization, [x, *params], attrs, num_outputs=3)
    check_gradients(normalization.BatchNormalization, [a.astype(np.float64) for a in (x, *params)], attrs)
    half = [a.astype(np.float16) for a in (x, *params)]
    _check(normalization.BatchNormalization, half, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("axis", [-1, 1, 0, -2])
@pytest.mark.parametrize("with_bias", [False, True])
def test_layer_norm(axis, with_bias):
    x = _f32(2, 3, 4)
    params = [_f32(3, 4), _f32(4)] if with_bias else [_f32(4)]
    attrs = {"axis": axis, "epsilon": 1e-3}
    _check(normalization.LayerNormalization, [x, *params], attrs, num_outputs=3)
    _check(normalization.LayerNormalization, [x, *params], attrs)
    check_gradients(normalization.LayerNormalization, [a.astype(np.float64) for a in (x, *params)], attrs)


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 2, 3, 3)])
def test_instance_and_group_norm(shape):
    x, c = _f32(*shape), shape[1]
    params = [_f32(c), _f32(c)]
    _check(normalization.InstanceNormalization, [x, *params], {"epsilon": 1e-3})
    check_gradients(normalization.InstanceNormalization, [a.astype(np.float64) for a in (x, *params)])
    x4, p4 = _f32(2, 4, *shape[2:]), [_f32(4), _f32(4)]
    for groups in (1, 2, 4):
        attrs = {"num_groups": groups, "epsilon": 1e-3}
        _check(normalization.GroupNormalization, [x4, *p4], attrs)
        check_gradients(normalization.GroupNormalization, [a.astype(np.float64) for a in (x4, *p4)], attrs)


def test_normalization_float16():
    x, params = _f32(2, 4, 3).astype(np.float16), [_f32(4).astype(np.float16) for _ in range(2)]
    tol = {"rtol": 2e-3, "atol": 2e-3}
    _check(normalization.InstanceNormalization, [x, *params], **tol)
    _check(normalization.GroupNormalization, [x, *params], {"num_groups": 2}, **tol)
    _check(normalization.LayerNormalization, [x, _f32(3).astype(np.float16)], num_outputs=3, **tol)


SOFTMAX = [softmax.Softmax, softmax.LogSoftmax]


@pytest.mark.parametrize("op", SOFTMAX, ids=lambda o: o.name)
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax(op, axis):
    x = _f32(2, 3, 4) * 5
    _check(op, [x], {"axis": axis})
    check_gradients(op, [x.astype(np.float64)], {"axis": axis})


@pytest.mark.parametrize("op", SOFTMAX, ids=lambda o: o.name)
def test_softmax_float16_and_infinities(op):
    _check(op, [_f32(2, 5).astype(np.float16) * 4], rtol=2e-3, atol=2e-3)
    x = np.array([[0.0, -np.inf, 1.0], [np.inf, 0.0, 1.0]], dtype=np.float32)
    _check(op, [x], batch=False)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_hardmax_runs_without_gradient(axis):
    x = np.round(_f32(3, 4), 0)  # ties: the first maximum wins
    _check(softmax.Hardmax, [x], {"axis": axis})
    graph = one_node(softmax.Hardmax, [x], {"axis": axis})
    assert to_torch(graph).no_gradient


def test_no_gradient_ops_run_beside_trainable_ones():
    g = Graph("mixed")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 5)))
    soft = g.add_node(softmax.Softmax, [x], {})
    hard = g.add_node(softmax.Hardmax, [x], {})
    arg = g.add_node(reduce.ArgMax, [x], {"axis": 1})
    g.outputs = [soft.outputs[0], hard.outputs[0], arg.outputs[0]]
    data = _f32(2, 5)
    check_matches_reference(g, [data])
    module = to_torch(g)
    assert set(module.no_gradient) == {hard.name, arg.name}
    t = torch.tensor(data, requires_grad=True)
    out = module(t)
    (out[soft.outputs[0].name] * torch.arange(5.0)).sum().backward()
    assert t.grad is not None and torch.isfinite(t.grad).all()
