"""The losses and metrics of fine-tuning, and which tensors of a student and its teacher correspond.

A quantized graph's int8 tensors are codes; `real` turns them back into the real numbers they stand
for (scale and zero point from the op that made them), so a student compares with its float teacher
in one unit. Distillation error is relative to the teacher's power, so every term is scale free and
10 * log10(1 / error) is the SQNR in dB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tessera.backends.torch.scale_groups import PASSTHROUGH
from tessera.errors import ArgumentError
from tessera.ir.graph import Graph, Value
from tessera.ir.ops import quantized, quantized_eltwise
from tessera.ir.ops.tensor import Concat

_EPS = 1e-12
QParams = tuple[float, int]
LiveQParams = tuple[float | torch.Tensor, int]  # a learned scale is a tensor (learn_scales)


@dataclass(frozen=True)
class Feature:
    """A student tensor and the teacher tensor it should match (qparams: the student's codes)."""

    student: str
    teacher: str
    qparams: LiveQParams | None


def qparams_of(graph: Graph, value: Value) -> QParams | None:
    """The (scale, zero point) an int8 value is quantized with, or None for a real-valued one."""
    if value.dtype.is_float:
        return None
    if value.name in graph.io_qparams:
        return graph.io_qparams[value.name]
    node = value.producer
    if node is None:
        return None
    attrs = node.attrs
    if "y_scale" in attrs and "y_zero_point" in attrs:
        return float(attrs["y_scale"]), int(attrs["y_zero_point"])
    if node.op is quantized_eltwise.QAveragePool:
        return float(attrs["scale"]), int(attrs["zero_point"])
    if node.op is quantized.QuantizeLinear and all(v.is_constant and v.type.numel == 1 for v in node.inputs[1:]):
        zero = int(node.inputs[2].data.reshape(())) if len(node.inputs) == 3 else 0  # type: ignore[union-attr]
        return float(node.inputs[1].data.reshape(())), zero  # type: ignore[union-attr]
    if node.inputs and node.inputs[0].dtype == value.dtype and node.op in (*PASSTHROUGH, Concat):
        return qparams_of(graph, node.inputs[0])  # ops that move codes keep the quantization
    return None


def real(tensor: torch.Tensor, qparams: LiveQParams | None) -> torch.Tensor:
    if qparams is None:
        return tensor
    scale, zero = qparams
    return (tensor.to(torch.float32) - zero) * scale


def features(student: Graph, teacher: Graph) -> list[Feature]:
    """Intermediate tensors the two graphs share: the same name (or the student's `<name>_i8`), the
    same shape, real-valued in the teacher and real or quantized in the student."""
    outputs = {v.name for v in student.outputs}
    found = []
    for node in student.nodes:
        for v in node.outputs:
            if v.name in outputs:
                continue
            name = v.name.removesuffix("_i8") if v.name.endswith("_i8") else v.name
            if not teacher.has_name(name):
                continue
            other = teacher.value(name)
            if other.shape != v.shape or not other.dtype.is_float or other.is_constant:
                continue
            q = qparams_of(student, v)
            if v.dtype.is_float or q is not None:
                found.append(Feature(v.name, name, q))
    return found


def relative_error(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """mean((s - t)^2) / mean(t^2): the noise-to-signal power ratio."""
    return F.mse_loss(student, teacher) / (teacher.pow(2).mean() + _EPS)


def task_loss(output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the output's last axis for integer labels; mean squared error for floats."""
    if not targets.dtype.is_floating_point:
        logits = output.reshape(-1, output.shape[-1])
        labels = targets.reshape(-1).to(torch.int64)
        if labels.numel() != logits.shape[0]:
            raise ArgumentError(
                f"finetune: {labels.numel()} labels for {logits.shape[0]} rows of logits {list(output.shape)}; give "
                "one class label per row of the output's last axis"
            )
        return F.cross_entropy(logits, labels)
    if targets.numel() != output.numel():
        raise ArgumentError(
            f"finetune: float targets {list(targets.shape)} do not match the output {list(output.shape)}"
        )
    return F.mse_loss(output, targets.reshape(output.shape))


def sqnr_db(student: torch.Tensor, teacher: torch.Tensor) -> float:
    """10 log10(signal power / noise power) of the student against the teacher."""
    noise = float((student - teacher).pow(2).sum())
    signal = float(teacher.pow(2).sum())
    return float("inf") if noise == 0 else 10.0 * float(torch.log10(torch.tensor(max(signal, _EPS) / noise)))


def metric(name: str, outputs: torch.Tensor, reference: torch.Tensor) -> float:
    """accuracy (fraction of argmax equal to the labels), mse, or sqnr_db against the teacher."""
    if name == "accuracy":
        predicted = outputs.reshape(-1, outputs.shape[-1]).argmax(-1)
        return float((predicted == reference.reshape(-1).to(torch.int64)).float().mean())
    if name == "mse":
        return float(F.mse_loss(outputs, reference.reshape(outputs.shape)))
    return sqnr_db(outputs, reference)


def feature_terms(
    student: Mapping[str, torch.Tensor], teacher: Mapping[str, torch.Tensor], pairs: list[Feature]
) -> torch.Tensor:
    """The mean relative error over the corresponding intermediate tensors."""
    terms = [relative_error(real(student[f.student], f.qparams), teacher[f.teacher]) for f in pairs]
    return torch.stack(terms).mean()
