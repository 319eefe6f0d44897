"""A Tessera graph as a torch.nn.Module: `forward` runs the graph node by node with the torch kernel
of each op (table.py), so autograd can train it.

Float constants that are weights become `nn.Parameter`s and every other constant a buffer; both keep
the graph's constant names (`module.constant(name)`, `module.named_graph_parameters()`). In a
quantized graph each int8 weight has a float shadow parameter, which the op's `Shadow` turns back
into integer codes (through a straight-through estimator) on every forward.

Inputs are either the graph's own shapes, or a batch of them: one extra leading axis, run with
`torch.func.vmap`, so a graph fixed at batch 1 trains on batches of any size.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tessera.backends.torch.kernel import Call, Shadow, TorchOp, torch_dtype
from tessera.backends.torch.scale_groups import scale_groups
from tessera.backends.torch.scales import LearnedScales, Overrides, exact_overrides, simulation_overrides
from tessera.backends.torch.table import TABLE, kernel_for
from tessera.errors import ArgumentError, ExecutionError, TesseraError
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.verifier import verify

Trainable = Iterable[str] | Callable[[Value], bool] | None


@dataclass(frozen=True)
class _Step:
    node: Node
    kernel: TorchOp
    exact: Call  # the call with int8 ops exact
    simulated: Call  # the same with int8 ops as their float simulation
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    release: tuple[str, ...]  # values nobody reads after this step


def _key(name: str) -> str:
    """A graph name as a torch attribute name: torch forbids '.', so it is escaped reversibly."""
    return name.replace("%", "%25").replace(".", "%2E") or "%00"


class GraphModule(nn.Module):
    """`graph` as a module; see `tessera.to_torch`."""

    def __init__(
        self, graph: Graph, *, trainable: Trainable = None, simulate: bool = False, learn_scales: bool = False
    ):
        super().__init__()
        verify(graph)
        self.graph = graph
        self.simulate = simulate  # int8 ops: float simulation (trainable) instead of exact integers
        self.params = nn.ParameterDict()
        self.shadows: dict[str, Shadow] = {}
        self._steps = _plan(graph)
        chosen = _choose_trainable(graph, trainable)
        for name, value in graph.constants.items():
            data = np.asarray(value.data)
            shadow = _shadow_for(value)
            if shadow is not None:
                self.shadows[name] = shadow
                self.params[_key(name)] = nn.Parameter(torch.from_numpy(np.array(shadow.real, dtype=np.float32)))
            elif name in chosen:
                self.params[_key(name)] = nn.Parameter(torch.from_numpy(np.array(data)))
            else:
                self.register_buffer(_key(name), torch.from_numpy(np.array(data)), persistent=True)
        self.learned: LearnedScales | None = None
        if learn_scales:
            groups = scale_groups(graph)
            names = {i: "scale:" + _key(groups.groups[i].name) for i in groups.learnable}
            self.learned = LearnedScales(graph, groups, names)

    # ---- what the module holds -------------------------------------------------------------------
    def named_graph_parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        """(graph constant name, parameter) for every trainable constant."""
        for name in self.graph.constants:
            if _key(name) in self.params:
                yield name, self.params[_key(name)]

    def named_scale_parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        """(first tensor of the group, log-scale parameter) for every learned scale group
        (learn_scales=True; see scales.py)."""
        yield from self.learned.named() if self.learned is not None else ()

    def scale_of(self, value: str) -> torch.Tensor | None:
        """The current learned scale of int8 tensor `value` (a tensor with its gradient), or None
        when it has none (no learn_scales, or its group is frozen)."""
        return self.learned.scale_of(value) if self.learned is not None else None

    def constant(self, name: str) -> torch.Tensor:
        """The tensor standing for graph constant `name`: its parameter, shadow or buffer."""
        if _key(name) in self.params:
            return self.params[_key(name)]
        if name in self.graph.constants:
            return getattr(self, _key(name))
        raise ArgumentError(f"graph {self.graph.name!r} has no constant {name!r}")

    @property
    def no_gradient(self) -> dict[str, str]:
        """Node name -> why its op passes no gradient back (the module still runs them)."""
        return {s.node.name: s.kernel.no_grad for s in self._steps if s.kernel.no_grad}

    # ---- running ---------------------------------------------------------------------------------
    def forward(self, *args: torch.Tensor | np.ndarray, **kwargs: torch.Tensor | np.ndarray) -> dict[str, torch.Tensor]:
        """The graph's outputs keyed by name. Inputs by name, or positionally in graph order."""
        return self.run(self._bind_args(args, kwargs))

    def run(
        self, inputs: Mapping[str, torch.Tensor | np.ndarray], capture: Collection[str] = ()
    ) -> dict[str, torch.Tensor]:
        """The outputs, and the intermediate values named in `capture`, keyed by name."""
        unknown = sorted(n for n in capture if not self.graph.has_name(n))
        if unknown:
            raise ArgumentError(f"graph {self.graph.name!r} has no value(s) {', '.join(map(repr, unknown))}")
        bound, batched = self._bind(inputs)
        fn = functools.partial(self._run, keep=frozenset(capture), overrides=self._overrides())
        if batched:
            return torch.func.vmap(fn, randomness="same")(bound)  # type: ignore[no-any-return]
        return fn(bound)

    def _run(
        self, inputs: Mapping[str, torch.Tensor], keep: frozenset[str], overrides: Overrides
    ) -> dict[str, torch.Tensor]:
        env: dict[str, torch.Tensor] = dict(inputs)
        for name in self.graph.constants:
            env[name] = self._constant_value(name)
        env.update(overrides[0])
        kept: dict[str, torch.Tensor] = {n: env[n] for n in keep if n in env}
        simulate = self.simulate
        for step in self._steps:
            call = step.simulated if simulate else step.exact
            if step.node.name in overrides[1]:
                call = dataclasses.replace(call, **overrides[1][step.node.name])
            results = _call(step, [env[n] for n in step.inputs], call, self.graph.name)
            env.update(zip(step.outputs, results))
            kept.update((n, r) for n, r in zip(step.outputs, results) if n in keep)
            for name in step.release:
                del env[name]
        return {**kept, **{v.name: env[v.name] for v in self.graph.outputs}}

    def _overrides(self) -> Overrides:
        """What learned scales change in this run (nothing without learn_scales)."""
        if self.learned is None:
            return {}, {}
        biases = [n for n in self.learned.groups.biases if n in self.shadows]
        if self.simulate:
            return simulation_overrides(self.learned, self.graph, {n: self.params[_key(n)] for n in biases})
        return exact_overrides(self.learned, self.graph, self._reals(biases))

    def _reals(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        return {n: self.params[_key(n)].detach().cpu().numpy().astype(np.float64) for n in names}

    def _constant_value(self, name: str) -> torch.Tensor:
        shadow = self.shadows.get(name)
        if shadow is None:
            return self.constant(name)
        code = shadow.code(self.params[_key(name)])
        if self.simulate:
            return code
        return code.detach().to(torch_dtype(self.graph.constants[name].dtype))

    def _bind_args(
        self, args: tuple[torch.Tensor | np.ndarray, ...], kwargs: Mapping[str, torch.Tensor | np.ndarray]
    ) -> dict[str, torch.Tensor | np.ndarray]:
        graph = self.graph
        names = [v.name for v in graph.inputs]
        if len(args) > len(names):
            raise ArgumentError(f"graph {graph.name!r} takes {len(names)} inputs ({', '.join(names)}), got {len(args)}")
        given = dict(zip(names, args))
        for name, value in kwargs.items():
            if name in given:
                raise ArgumentError(f"graph {graph.name!r}: input {name!r} is given twice")
            given[name] = value
        return given

    def _bind(self, given: Mapping[str, torch.Tensor | np.ndarray]) -> tuple[dict[str, torch.Tensor], bool]:
        graph = self.graph
        names = [v.name for v in graph.inputs]
        unknown = sorted(str(n) for n in given if n not in names)
        if unknown:
            raise ArgumentError(
                f"graph {graph.name!r} has no input(s) {', '.join(unknown)}; its inputs: {', '.join(names)}"
            )
        missing = [n for n in names if n not in given]
        if missing:
            raise ArgumentError(f"graph {graph.name!r}: missing input(s) {', '.join(missing)}")
        bound: dict[str, torch.Tensor] = {}
        batch: set[int | None] = set()
        for v in graph.inputs:
            tensor, size = self._input(v, given[v.name])
            bound[v.name] = tensor
            batch.add(size)
        if len(batch) > 1:
            raise ArgumentError(f"graph {graph.name!r}: inputs mix batch sizes {sorted(map(str, batch))}")
        return bound, batch != {None}

    def _input(self, v: Value, given: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, int | None]:
        tensor = torch.from_numpy(np.asarray(given)) if not isinstance(given, torch.Tensor) else given
        want = torch_dtype(v.dtype)
        if tensor.dtype != want:
            raise ArgumentError(
                f"graph {self.graph.name!r}: input {v.name!r} is {v.type}; got a {tensor.dtype} tensor "
                "(convert it first)"
            )
        shape = tuple(tensor.shape)
        if shape == v.shape:
            size = None
        elif shape[1:] == v.shape and shape:
            size = shape[0]
        else:
            raise ArgumentError(
                f"graph {self.graph.name!r}: input {v.name!r} has shape {list(shape)}; the graph takes "
                f"{list(v.shape)}, or a batch of them [B, {', '.join(map(str, v.shape))}]"
            )
        if self.simulate and not v.dtype.is_float:
            tensor = tensor.to(torch.float32)  # int8 codes travel as float in simulation
        return tensor, size

    # ---- writing back ----------------------------------------------------------------------------
    def to_graph(self) -> Graph:
        """A copy of the graph holding the module's current values (trained weights, integer codes
        of trained shadows), with every name, dtype and shape unchanged (verified)."""
        graph = self.graph.copy()
        with torch.no_grad():
            for name, value in graph.constants.items():
                if _key(name) not in self.params:
                    continue
                if name in self.shadows:
                    data = self.shadows[name].code(self.params[_key(name)]).round()
                    array = data.cpu().numpy().astype(value.dtype.numpy())
                else:
                    array = self.params[_key(name)].detach().cpu().numpy().astype(value.dtype.numpy(), copy=True)
                graph.set_constant(name, array)
            if self.learned is not None:
                self.learned.write_back(graph, self._reals(n for n in self.learned.groups.biases if n in self.shadows))
        verify(graph)
        return graph


def _call(step: _Step, args: list[torch.Tensor], call: Call, graph: str) -> list[torch.Tensor]:
    """One kernel; torch's own failure (an index out of range, ...) comes back naming the node."""
    try:
        return step.kernel.fn(args, call)
    except TesseraError:
        raise
    except Exception as err:
        raise ExecutionError(
            f"graph {graph!r}: node {step.node.name!r} ({step.node.op.name}) failed in torch: "
            f"{type(err).__name__}: {err}"
        ) from err


def _plan(graph: Graph) -> list[_Step]:
    last_use: dict[str, int] = {}
    for i, node in enumerate(graph.nodes):
        for v in node.inputs:
            last_use[v.name] = i
    keep = {v.name for v in graph.outputs} | set(graph.constants)
    dropping: dict[int, list[str]] = {}
    for name, i in last_use.items():
        if name not in keep:
            dropping.setdefault(i, []).append(name)
    steps = []
    for i, node in enumerate(graph.nodes):
        types = tuple(v.type for v in node.inputs), tuple(o.type for o in node.outputs)
        call = Call(node.attrs, *types, node=node.name)
        steps.append(
            _Step(
                node,
                kernel_for(node.op, graph.name, node.name),
                call,
                dataclasses.replace(call, simulate=True),
                tuple(v.name for v in node.inputs),
                tuple(o.name for o in node.outputs),
                tuple(dropping.get(i, ())),
            )
        )
    return steps


def _choose_trainable(graph: Graph, trainable: Trainable) -> set[str]:
    """The float constants that become parameters: the weights by default (more than one element,
    read only by differentiable ops at positions that are not frozen), or the user's choice."""
    floats = {n for n, v in graph.constants.items() if v.dtype.is_float}
    if trainable is None:
        return {n for n in floats if graph.constants[n].type.numel > 1 and _is_weight(graph.constants[n])}
    if callable(trainable):
        return {n for n in floats if trainable(graph.constants[n])}
    chosen = set(trainable)
    wrong = sorted(chosen - floats)
    if wrong:
        raise ArgumentError(
            f"graph {graph.name!r}: trainable names {', '.join(map(repr, wrong))} are not float constants of the graph"
        )
    return chosen


def _is_weight(value: Value) -> bool:
    for user in value.users:
        kernel = TABLE[user.op]
        positions = [i for i, v in enumerate(user.inputs) if v is value]
        if kernel.no_grad or any(i in kernel.frozen for i in positions):
            return False
    return bool(value.users)


def _shadow_for(value: Value) -> Shadow | None:
    """The float shadow of an integer constant, when the op reading it trains it (int8 weights)."""
    if value.dtype.is_float or len(value.users) != 1:
        return None
    user = value.users[0]
    kernel = TABLE[user.op]
    if kernel.shadow is None:
        return None
    return kernel.shadow(user, user.inputs.index(value), np.asarray(value.data))
