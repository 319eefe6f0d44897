"""Learned quantization scales (`tessera.to_torch(graph, simulate=True, learn_scales=True)`).

Each learnable scale group (scale_groups.py) is one scalar parameter, float64 log(scale): positive,
and an untrained module writes back exactly the scales it read. In simulation the int8 kernels get
the current scales (`Call.scales`) and run their output stage with the real multiplier
x_scale * w_scale[c] / y_scale as a tensor, so gradients reach the scales (as in LSQ: through the
division by the scale and the straight-through roundings); Q/DQ scale constants become the group's
tensor, and the int32 bias codes follow the current x_scale * w_scale.

Writing back recomputes everything derived from a changed scale with the quantize pass's own
functions (rules.py: `multipliers`, `add_stage`; ranges.py: `quantize_bias`): each node's
multiplier / shift, QAdd's stage, the Q/DQ scale constants and the bias codes. act_min / act_max
stay the same codes, so a fused ReLU6 bound moves with its scale (simulation, exact mode and the
written graph agree). Groups whose scale did not change keep their attributes exactly. Exact mode
runs the written-back attributes, so it is bit for bit what `to_graph()` gives `tessera.run`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from tessera.backends.torch.fake_quant import bias_code, channel_scales
from tessera.backends.torch.scale_groups import ScaleGroups
from tessera.ir.graph import Graph, Node
from tessera.ir.ops.base import Attrs
from tessera.ir.ops.quantized_eltwise import QAdd, QAveragePool
from tessera.ir.ops.quantized_nn import QConv, QFullyConnected
from tessera.passes.quantize.ranges import QParams, quantize_bias
from tessera.passes.quantize.rules import add_stage, multipliers


@dataclass(frozen=True)
class Written:
    """What the current scales change in the graph: node attributes and constant values."""

    attrs: dict[str, Attrs]  # node name -> its new attributes
    constants: dict[str, np.ndarray]  # constant name -> its new values


class LearnedScales(nn.Module):
    """The log-scale parameters of a graph's learnable scale groups, and how they are used."""

    def __init__(self, graph: Graph, groups: ScaleGroups, names: Mapping[int, str]):
        super().__init__()
        self.graph_ = graph
        self.groups = groups
        self.names = dict(names)  # group index -> parameter name
        self.params = nn.ParameterDict()
        self.initial: dict[int, float] = {}
        for i in groups.learnable:
            log = torch.tensor(math.log(groups.groups[i].scale), dtype=torch.float64)
            self.params[self.names[i]] = nn.Parameter(log)
            self.initial[i] = float(log)

    def scale_of(self, value: str) -> torch.Tensor | None:
        """The current scale (float32) of int8 tensor `value` when its group learns, else None."""
        for i in self.groups.learnable:
            if value in self.groups.groups[i].values:
                return self.params[self.names[i]].exp().to(torch.float32)
        return None

    def named(self) -> list[tuple[str, nn.Parameter]]:
        """(group's first tensor, parameter) for every learnable group."""
        return [(self.groups.groups[i].name, self.params[self.names[i]]) for i in self.groups.learnable]

    # ---- simulation ------------------------------------------------------------------------------
    def tensors(self) -> dict[int, torch.Tensor]:
        """Group index -> its current scale as a float64 scalar (a constant for frozen groups)."""
        out: dict[int, torch.Tensor] = {}
        for i, g in enumerate(self.groups.groups):
            out[i] = (
                self.params[self.names[i]].exp() if i in self.initial else torch.tensor(g.scale, dtype=torch.float64)
            )
        return out

    def node_scales(self, node: str, scales: Mapping[int, torch.Tensor]) -> dict[str, torch.Tensor] | None:
        """The scale attributes of `node` as tensors, or None when it reads no learnable group."""
        slots = self.groups.slots.get(node)
        if not slots or not any(g in self.initial for g in slots.values()):
            return None
        return {attr: scales[g] for attr, g in slots.items()}

    def constant_values(self, scales: Mapping[int, torch.Tensor], shapes: Mapping[str, tuple[int, ...]]) -> dict:
        """Q/DQ scale constants of learnable groups -> the group's scale as float32 of the constant's shape."""
        return {
            n: scales[g].to(torch.float32).reshape(shapes[n])
            for n, g in self.groups.constants.items()
            if g in self.initial
        }

    def bias_codes(self, reals: Mapping[str, torch.Tensor], scales: Mapping[int, torch.Tensor]) -> dict:
        """int32 bias -> its codes (float) at the current x_scale * w_scale, for learnable x groups."""
        out = {}
        for name, (node, g) in self.groups.biases.items():
            if g in self.initial and name in reals:
                w = channel_scales(self.graph_.node(node).attrs, self.graph_.constants[name].shape[0])
                out[name] = bias_code(reals[name], scales[g], w)
        return out

    # ---- writing back ----------------------------------------------------------------------------
    def values(self) -> list[float]:
        """Each group's current scale as the graph stores scales (float32-rounded); a group whose
        parameter did not move keeps its original scale exactly."""
        out = []
        for i, g in enumerate(self.groups.groups):
            log = float(self.params[self.names[i]].detach()) if i in self.initial else None
            out.append(g.scale if log is None or log == self.initial[i] else float(np.float32(math.exp(log))))
        return out

    def written(self, graph: Graph, reals: Mapping[str, np.ndarray]) -> Written:
        """The attributes and constants the current scales give `graph` (the module's own graph, or a
        copy with the same names); `reals` holds the trained real-valued biases by constant name."""
        values = self.values()
        changed = {i for i, g in enumerate(self.groups.groups) if values[i] != g.scale}
        attrs: dict[str, Attrs] = {}
        for node_name, slots in self.groups.slots.items():
            if changed & set(slots.values()):
                node = graph.node(node_name)
                attrs[node_name] = node.op.make_attrs(restage(node, {a: values[g] for a, g in slots.items()}))
        constants: dict[str, np.ndarray] = {}
        for name, g in self.groups.constants.items():
            if g in changed:
                value = graph.constants[name]
                constants[name] = np.full(value.shape, values[g], dtype=value.dtype.numpy())
        for name, (node_name, g) in self.groups.biases.items():
            if g in changed and name in reals:
                w = channel_scales(graph.node(node_name).attrs, graph.constants[name].shape[0])
                constants[name] = quantize_bias(np.asarray(reals[name]), values[g], w)
        return Written(attrs, constants)

    def write_back(self, graph: Graph, reals: Mapping[str, np.ndarray]) -> None:
        """Put the current scales into `graph` (a copy of the module's graph)."""
        written = self.written(graph, reals)
        for name, attrs in written.attrs.items():
            graph.set_attrs(graph.node(name), attrs)
        for name, data in written.constants.items():
            graph.set_constant(name, data)


def restage(node: Node, scales: Mapping[str, float]) -> dict[str, Any]:
    """`node`'s attributes with new scales (attribute -> value) and the fixed-point stage they imply,
    computed as the quantize pass does; zero points and act_min / act_max (codes) are kept."""
    a: dict[str, Any] = {**node.attrs, **scales}
    op = node.op
    if op is QAveragePool:
        return a
    if op is QAdd:
        pa, pb = QParams(a["a_scale"], a["a_zero_point"]), QParams(a["b_scale"], a["b_zero_point"])
        stage = add_stage(pa, pb, QParams(a["y_scale"], a["y_zero_point"]))
        return {**a, **stage, "act_min": node.attrs["act_min"], "act_max": node.attrs["act_max"]}
    if op in (QConv, QFullyConnected):
        reals = a["x_scale"] * np.asarray(a["w_scale"], dtype=np.float64) / a["y_scale"]
    elif "a_scale" in a:
        reals = np.array([a["a_scale"] * a["b_scale"] / a["y_scale"]])
    else:  # Requantize
        reals = np.array([a["x_scale"] / a["y_scale"]])
    a["multiplier"], a["shift"] = multipliers(reals)
    return a


Overrides = tuple[dict[str, torch.Tensor], dict[str, dict[str, Any]]]  # constants, node -> Call fields


def simulation_overrides(learned: LearnedScales, graph: Graph, reals: Mapping[str, torch.Tensor]) -> Overrides:
    """For one simulated run: the Q/DQ scale constants and int32 bias codes at the current scales
    (tensors with gradients to the scales), and each reading node's `Call.scales`."""
    scales = learned.tensors()
    shapes = {n: graph.constants[n].shape for n in learned.groups.constants}
    constants = {**learned.constant_values(scales, shapes), **learned.bias_codes(reals, scales)}
    calls = {}
    for node in learned.groups.slots:
        given = learned.node_scales(node, scales)
        if given is not None:
            calls[node] = {"scales": given}
    return constants, calls


def exact_overrides(learned: LearnedScales, graph: Graph, reals: Mapping[str, np.ndarray]) -> Overrides:
    """For one exact run: the written-back constants (as tensors of their dtype) and attributes."""
    written = learned.written(graph, reals)
    constants = {n: torch.from_numpy(np.array(d)) for n, d in written.constants.items()}
    return constants, {n: {"attrs": a} for n, a in written.attrs.items()}
