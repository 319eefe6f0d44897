"""The options of a fine-tuning run, checked on construction (`tessera.finetune` takes them as
keyword arguments; `tessera.quantize(..., qat=FinetuneOptions(...))` takes them whole)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tessera.errors import ArgumentError

LOSSES = ("task", "distill")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")
SCALE_LR = 0.1  # default learning rate of learned log scales


@dataclass(frozen=True)
class FinetuneOptions:
    """How to train.

    epochs, lr, batch_size: the usual; a batch stacks `batch_size` examples on a new leading axis.
    loss: "task" (cross-entropy against integer class labels over the output's last axis, mean
    squared error against float targets), "distill" (match the teacher: output error relative to the
    teacher's output power, plus the same on every intermediate tensor the two graphs share when
    `features`), or a callable (student outputs, targets or None, teacher outputs or None) -> loss.
    optimizer: "adam", "adamw", "sgd" (momentum 0.9), or a callable parameters -> torch optimizer.
    schedule: the learning rate over the run: "constant", or "cosine" (from lr down to 0 at the last
    step, one cosine half-period; the learned scales' lr too).
    output: the graph output the loss and metric read (default: the first).
    features: per-layer feature distillation where the graphs correspond (same value names, or the
    quantized graph's `<name>_i8`; same shapes); feature_weight scales its term.
    trainable: which float constants train (None: the weights; see `tessera.to_torch`).
    progress: a tqdm progress bar: True, False, or None for one on long runs in a terminal.
    seed: makes the run deterministic (weights order, shuffling, torch's generator).
    learn_scales: a quantized graph's activation scales train too (`tessera.to_torch(...,
    learn_scales=True)`), each as log(scale) at learning rate `scale_lr` (default SCALE_LR: an
    Adam step moves a scale by about that fraction, so a short run can fix a range several times
    too wide; the weights' lr would move it by a tenth of a percent).
    """

    epochs: int = 1
    lr: float = 1e-3
    batch_size: int = 32
    loss: str | Callable[..., Any] = "task"
    optimizer: str | Callable[..., Any] = "adam"
    schedule: str = "constant"
    output: str | None = None
    features: bool = True
    feature_weight: float = 1.0
    trainable: Any = None
    progress: bool | None = None
    seed: int = 0
    learn_scales: bool = False
    scale_lr: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ArgumentError(f"finetune: epochs must be a positive integer, got {self.epochs!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ArgumentError(f"finetune: batch_size must be a positive integer, got {self.batch_size!r}")
        if not isinstance(self.lr, int | float) or not self.lr > 0:
            raise ArgumentError(f"finetune: lr must be a positive number, got {self.lr!r}")
        if isinstance(self.loss, str) and self.loss not in LOSSES:
            raise ArgumentError(f"finetune: loss must be one of {', '.join(LOSSES)} or a callable, got {self.loss!r}")
        if not isinstance(self.loss, str) and not callable(self.loss):
            raise ArgumentError(f"finetune: loss must be one of {', '.join(LOSSES)} or a callable, got {self.loss!r}")
        if isinstance(self.optimizer, str) and self.optimizer not in OPTIMIZERS:
            raise ArgumentError(
                f"finetune: optimizer must be one of {', '.join(OPTIMIZERS)} or a callable, got {self.optimizer!r}"
            )
        if self.schedule not in SCHEDULES:
            raise ArgumentError(f"finetune: schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.scale_lr is not None and (not isinstance(self.scale_lr, int | float) or not self.scale_lr > 0):
            raise ArgumentError(f"finetune: scale_lr must be a positive number, got {self.scale_lr!r}")
        if not isinstance(self.feature_weight, int | float) or self.feature_weight < 0:
            raise ArgumentError(f"finetune: feature_weight must be >= 0, got {self.feature_weight!r}")
