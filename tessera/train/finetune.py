"""`tessera.finetune`: train a graph's weights on the user's data and write them back.

The graph runs as `tessera.to_torch`'s module; a quantized graph trains as its float simulation
(quantization-aware training) and is measured in its exact integer form, so the metric before and
after is what the int8 graph really computes. The trained values go back into a copy of the graph
whose names, dtypes and shapes are unchanged (checked).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tessera.backends.torch import GraphModule, to_torch
from tessera.errors import ArgumentError, TesseraError
from tessera.ir.graph import Graph
from tessera.ir.ops import quantized, quantized_eltwise, quantized_nn
from tessera.train import losses
from tessera.train.data import Dataset, dataset
from tessera.train.options import SCALE_LR, FinetuneOptions
from tessera.train.report import FinetuneReport

EVAL_BATCH = 256
# ops whose integer arithmetic trains as its float simulation
INT8_OPS = frozenset(
    {
        quantized.Requantize,
        quantized_nn.QConv,
        quantized_nn.QFullyConnected,
        quantized_nn.QMatMul,
        quantized_eltwise.QAdd,
        quantized_eltwise.QMul,
        quantized_eltwise.QAveragePool,
    }
)


@dataclass
class FinetuneResult:
    """The trained graph (a copy; the input graph is unchanged) and the run's report."""

    graph: Graph
    report: FinetuneReport


def finetune(
    graph: Graph,
    data: object,
    *,
    teacher: Graph | None = None,
    eval_data: object = None,
    options: FinetuneOptions | None = None,
    **kwargs: Any,
) -> FinetuneResult:
    """Train `graph` on `data` (tessera.train.data) and return the trained copy with a report.

    teacher: a float graph to distill from (loss="distill"; the default when `data` has no targets).
    eval_data: examples the metric is measured on (default: the training data).
    options / kwargs: FinetuneOptions (epochs, lr, batch_size, loss, optimizer, seed, ...).
    """
    opts = options if options is not None else FinetuneOptions(**kwargs)
    if options is not None and kwargs:
        raise ArgumentError(f"finetune: give options= or keyword options, not both ({', '.join(sorted(kwargs))})")
    train = dataset(graph, data)
    held = dataset(graph, eval_data, "eval_data") if eval_data is not None else train
    loss_name = _loss_name(opts, train, teacher)
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    run = _Run(graph, teacher, opts, loss_name, train)
    before = run.evaluate(held)
    losses_, times = [], []
    start = time.perf_counter()
    for loss, seconds in run.epochs(train, rng):
        losses_.append(loss)
        times.append(seconds)
    after = run.evaluate(held)
    trained = run.module.to_graph()  # set_constant / set_attrs refuse a change of type; verified
    report = FinetuneReport(
        graph=graph.name,
        examples=train.size,
        epochs=opts.epochs,
        batch_size=opts.batch_size,
        lr=float(opts.lr),
        optimizer=opts.optimizer if isinstance(opts.optimizer, str) else "custom",
        loss=loss_name,
        simulate=run.simulate,
        parameters=len(run.params),
        parameter_elements=sum(p.numel() for p in run.params.values()),
        scales=len(run.scales),
        metric=run.metric_name,
        metric_on="eval_data" if eval_data is not None else "the training data",
        metric_before=before,
        metric_after=after,
        loss_per_epoch=losses_,
        time_per_epoch_s=times,
        time_s=time.perf_counter() - start,
        features=[f.student for f in run.pairs],
        no_gradient=run.module.no_gradient,
        untrained=sorted(run.untrained),
        schedule=opts.schedule,
    )
    return FinetuneResult(trained, report)


def _loss_name(opts: FinetuneOptions, train: Dataset, teacher: Graph | None) -> str:
    if callable(opts.loss):
        return "custom"
    if opts.loss == "task" and train.targets is None:
        if teacher is None:
            raise ArgumentError(
                "finetune: the data has no targets; add a 'target' to each example, or pass teacher=GRAPH to distill"
            )
        return "distill"
    if opts.loss == "distill" and teacher is None:
        raise ArgumentError("finetune: loss='distill' needs teacher=GRAPH (the float model to match)")
    return str(opts.loss)


class _Run:
    """One training run's state: the student (and teacher) modules, optimizer and loss."""

    def __init__(self, graph: Graph, teacher: Graph | None, opts: FinetuneOptions, loss_name: str, train: Dataset):
        self.opts, self.loss_name = opts, loss_name
        self.simulate = any(node.op in INT8_OPS for node in graph.nodes)
        self.module: GraphModule = to_torch(graph, trainable=opts.trainable, learn_scales=opts.learn_scales)
        self.params = dict(self.module.named_graph_parameters())
        self.scales = dict(self.module.named_scale_parameters())
        if not self.params:
            raise TesseraError(
                f"finetune: graph {graph.name!r} has no trainable constants (no float weights read by differentiable "
                "ops); pass trainable=[constant names] to choose some"
            )
        self.teacher = to_torch(teacher) if teacher is not None else None
        self.pairs = losses.features(graph, teacher) if teacher is not None and opts.features else []
        if loss_name != "distill":
            self.pairs = []
        self.output = _output_index(graph, opts.output)
        self.qparams = [losses.qparams_of(graph, v) for v in graph.outputs]
        self.untrained: set[str] = set()
        self.metric_name = _metric_name(loss_name, train, teacher is not None)
        self.optimizer = _optimizer(opts, list(self.params.values()), list(self.scales.values()))

    def epochs(self, train: Dataset, rng: np.random.Generator) -> Iterator[tuple[float, float]]:
        steps = self.opts.epochs * -(-train.size // self.opts.batch_size)
        bar = _progress(self.opts.progress, steps)
        schedule = (
            torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, steps)
            if self.opts.schedule == "cosine"
            else None
        )
        checked = False
        for _ in range(self.opts.epochs):
            start, total, count = time.perf_counter(), 0.0, 0
            self.module.simulate = self.simulate
            for index in train.batches(self.opts.batch_size, rng):
                loss = self._loss(train, index)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if not checked:
                    self._check_gradients()
                    checked = True
                self.optimizer.step()
                if schedule is not None:
                    schedule.step()
                total += float(loss.detach()) * len(index)
                count += len(index)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{float(loss.detach()):.4g}")
            self.module.simulate = False
            yield total / count, time.perf_counter() - start
        if bar is not None:
            bar.close()

    def _loss(self, data: Dataset, index: np.ndarray) -> torch.Tensor:
        inputs = {k: torch.from_numpy(v[index]) for k, v in data.inputs.items()}
        wanted = [f.student for f in self.pairs]
        student = self.module.run(inputs, capture=wanted)
        outs = [losses.real(student[v.name], q) for v, q in zip(self.module.graph.outputs, self.qparams)]
        targets = torch.from_numpy(data.targets[index]) if data.targets is not None else None
        teacher_outs, teacher_feats = self._teacher(inputs)
        if callable(self.opts.loss):
            return self.opts.loss(outs[self.output], targets, teacher_outs[self.output] if teacher_outs else None)  # type: ignore[no-any-return]
        if self.loss_name == "task":
            assert targets is not None
            return losses.task_loss(outs[self.output], targets)
        assert teacher_outs is not None
        loss = torch.stack([losses.relative_error(s, t) for s, t in zip(outs, teacher_outs)]).mean()
        if self.pairs:
            pairs = [self._live(f) for f in self.pairs]
            loss = loss + self.opts.feature_weight * losses.feature_terms(student, teacher_feats, pairs)
        return loss

    def _live(self, feature: losses.Feature) -> losses.Feature:
        """The feature with its student tensor's learned scale (the codes' real values move with it)."""
        scale = self.module.scale_of(feature.student) if feature.qparams is not None else None
        if scale is None or feature.qparams is None:
            return feature
        return dataclasses.replace(feature, qparams=(scale, feature.qparams[1]))

    def _teacher(self, inputs: dict[str, torch.Tensor]) -> tuple[list[torch.Tensor] | None, dict[str, torch.Tensor]]:
        if self.teacher is None:
            return None, {}
        with torch.no_grad():
            got = self.teacher.run(inputs, capture=[f.teacher for f in self.pairs])
        return [got[v.name] for v in self.teacher.graph.outputs], got

    def _check_gradients(self) -> None:
        self.untrained = {name for name, p in self.params.items() if p.grad is None}
        if len(self.untrained) == len(self.params):
            blocked = ", ".join(f"{n} ({why})" for n, why in list(self.module.no_gradient.items())[:4])
            raise TesseraError(
                f"finetune: no gradient reaches any of the {len(self.params)} trainable constants"
                + (f"; nodes without a gradient: {blocked}" if blocked else "")
            )

    def evaluate(self, data: Dataset) -> float:
        """The metric, with int8 ops exact (the numbers the graph really computes)."""
        self.module.simulate = False
        outs, refs = [], []
        with torch.no_grad():
            for index in data.batches(EVAL_BATCH, None):
                inputs = {k: torch.from_numpy(v[index]) for k, v in data.inputs.items()}
                v = self.module.graph.outputs[self.output]
                outs.append(losses.real(self.module.run(inputs)[v.name], self.qparams[self.output]))
                if self.metric_name == "sqnr_db":
                    teacher_outs, _ = self._teacher(inputs)
                    assert teacher_outs is not None
                    refs.append(teacher_outs[self.output])
                else:
                    assert data.targets is not None
                    refs.append(torch.from_numpy(data.targets[index]))
        out, ref = torch.cat(outs), torch.cat(refs)
        return losses.metric(self.metric_name, out, ref)


def _metric_name(loss: str, train: Dataset, has_teacher: bool) -> str:
    """accuracy for class labels, mse for float targets, sqnr_db against a teacher."""
    if loss == "distill" or (train.targets is None and has_teacher):
        return "sqnr_db"
    assert train.targets is not None
    return "mse" if train.targets.dtype.kind == "f" else "accuracy"


def _output_index(graph: Graph, name: str | None) -> int:
    names = [v.name for v in graph.outputs]
    if name is None:
        return 0
    if name not in names:
        raise ArgumentError(f"finetune: graph {graph.name!r} has no output {name!r}; its outputs: {', '.join(names)}")
    return names.index(name)


def _optimizer(
    opts: FinetuneOptions, params: list[torch.nn.Parameter], scales: list[torch.nn.Parameter]
) -> torch.optim.Optimizer:
    """The optimizer over the weights, and the learned scales (their own lr) when there are any."""
    if callable(opts.optimizer):
        return opts.optimizer(params + scales)  # type: ignore[no-any-return]
    groups: list[dict[str, Any]] = [{"params": params}]
    if scales:
        lr = opts.scale_lr if opts.scale_lr is not None else SCALE_LR
        groups.append({"params": scales, "lr": lr, "weight_decay": 0.0})
    if opts.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=opts.lr, momentum=0.9)
    if opts.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=opts.lr)
    return torch.optim.Adam(groups, lr=opts.lr)


def _progress(enabled: bool | None, steps: int) -> Any:
    if enabled is False or (enabled is None and (steps < 20 or not sys.stderr.isatty())):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if enabled:
            raise ArgumentError("finetune: progress=True needs tqdm: pip install 'tessera[train]'") from None
        return None
    return tqdm(total=steps, desc="finetune", unit="step", file=sys.stderr)
