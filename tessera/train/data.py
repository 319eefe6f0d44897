"""Training data: what `tessera.finetune` accepts, checked and stacked once.

Data is either
- an iterable of examples, each {input name: array, ...} with an optional "target" entry, or a
  pair (inputs dict, target); every input exactly as the graph declares it; or
- a mapping of stacked arrays, as an .npz holds them: {input name: array [N, ...], "target": [N, ...]}
  where each input is N examples of the graph's shape; a graph input of batch 1 may also be given as
  [N, ...rest] (the examples' batch axis dropped).
Targets are integer class labels (cross-entropy) or float arrays shaped like the output (MSE).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from tessera.errors import ArgumentError
from tessera.ir.graph import Graph
from tessera.ir.inputs import check_inputs, declared_inputs, describe

TARGET = "target"


@dataclass(frozen=True)
class Dataset:
    """N examples: each graph input stacked to [N, *its shape], and the targets [N, ...] or None."""

    inputs: dict[str, np.ndarray]
    targets: np.ndarray | None

    @property
    def size(self) -> int:
        return len(next(iter(self.inputs.values())))

    def batches(self, batch_size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
        """Index arrays of the batches of one epoch (shuffled when `rng` is given; the last may be short)."""
        order = rng.permutation(self.size) if rng is not None else np.arange(self.size)
        for start in range(0, self.size, batch_size):
            yield order[start : start + batch_size]


def dataset(graph: Graph, data: object, what: str = "data") -> Dataset:
    """`data` (see the module docstring) checked against `graph`'s inputs and stacked."""
    arrays = isinstance(data, Mapping) and data and all(isinstance(v, np.ndarray) for v in data.values())
    if arrays and not _is_one_example(graph, data):  # type: ignore[arg-type]
        return _stacked(graph, data, what)  # type: ignore[arg-type]
    if isinstance(data, str | bytes | np.ndarray) or not isinstance(data, Iterable | Mapping):
        raise ArgumentError(
            f"finetune: {what} must be an iterable of {{input name: array}} examples (with an optional "
            f"'target') or a mapping of stacked arrays, got {describe(data)}"
        )
    examples = [data] if isinstance(data, Mapping) else list(data)
    if not examples:
        raise ArgumentError(f"finetune: {what} has no examples")
    inputs: dict[str, list[np.ndarray]] = {v.name: [] for v in graph.inputs}
    targets: list[np.ndarray] = []
    for i, example in enumerate(examples):
        feed, target = _split(example, i, what)
        checked = check_inputs(f"{graph.name} ({what} example {i})", declared_inputs(graph.inputs), feed)
        for name, array in checked.items():
            inputs[name].append(array)
        if target is not None:
            targets.append(np.asarray(target))
    if targets and len(targets) != len(examples):
        raise ArgumentError(
            f"finetune: {what}: {len(targets)} of {len(examples)} examples have a target; give all or none"
        )
    return Dataset({k: np.stack(v) for k, v in inputs.items()}, _stack_targets(targets, what))


def _is_one_example(graph: Graph, data: Mapping[str, np.ndarray]) -> bool:
    return all(v.name in data and data[v.name].shape == v.shape for v in graph.inputs)


def _split(example: object, i: int, what: str) -> tuple[Mapping[str, object], object]:
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[0], Mapping):
        return example[0], example[1]
    if isinstance(example, Mapping):
        feed = {k: v for k, v in example.items() if k != TARGET}
        return feed, example.get(TARGET)
    raise ArgumentError(
        f"finetune: {what} example {i} is {describe(example)}; give {{input name: array, 'target': array}} "
        "or (inputs dict, target)"
    )


def _stacked(graph: Graph, data: Mapping[str, np.ndarray], what: str) -> Dataset:
    names = [v.name for v in graph.inputs]
    extra = sorted(k for k in data if k not in names and k != TARGET)
    missing = [n for n in names if n not in data]
    if missing or extra:
        raise ArgumentError(
            f"finetune: {what} holds {sorted(data)}; graph {graph.name!r} takes inputs {names} (and an optional "
            f"'target'): missing {missing}, unexpected {extra}"
        )
    inputs: dict[str, np.ndarray] = {}
    for v in graph.inputs:
        array = data[v.name]
        if array.shape[1:] != v.shape and v.shape[:1] == (1,) and array.shape[1:] == v.shape[1:]:
            array = array.reshape(len(array), *v.shape)  # [N, ...rest] for a batch-1 input
        if array.ndim != len(v.shape) + 1 or array.shape[1:] != v.shape or array.dtype != v.dtype.numpy():
            raise ArgumentError(
                f"finetune: {what} input {v.name!r} is {array.dtype}{list(array.shape)}; graph {graph.name!r} "
                f"needs N examples of {v.type}: {v.dtype.value}[N, {', '.join(map(str, v.shape))}]"
            )
        inputs[v.name] = array
    sizes = {len(a) for a in inputs.values()}
    target = data.get(TARGET)
    if target is not None:
        sizes.add(len(target))
    if len(sizes) != 1 or 0 in sizes:
        raise ArgumentError(f"finetune: {what}: the arrays hold different or zero numbers of examples {sorted(sizes)}")
    return Dataset(inputs, target)


def _stack_targets(targets: list[np.ndarray], what: str) -> np.ndarray | None:
    if not targets:
        return None
    shapes = {t.shape for t in targets}
    if len(shapes) != 1:
        raise ArgumentError(f"finetune: {what}: targets have different shapes {sorted(map(str, shapes))}")
    return np.stack(targets)
