"""The `he` target: a graph's linear layers run under Microsoft SEAL's BFV as the graph's HE plan
packs them (`he-pack`, Graph.he_plan), one client / server round per layer, everything else in the
clear. `run` returns the fixed-point reference's outputs exactly (tessera.backends.he.fixed_point);
the report puts SEAL's measured bytes and seconds next to the cost model's."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tessera.backends.he.report import HeLayer, HeReport
from tessera.backends.he.run import HeRun, run_he
from tessera.backends.he.seal_runtime import check_params, import_seal
from tessera.backends.targets import Target, register_target, write_json
from tessera.errors import PassError, TargetError
from tessera.ir.graph import Graph
from tessera.passes.private.he_pack import HePack
from tessera.passes.private.layout import HePlan

Packing = Literal["cheetah", "dense"]


@dataclass(frozen=True)
class HeOptions:
    check: bool = field(
        default=True,
        metadata={"help": "compare each SEAL layer's decoded output with the fixed-point reference (raise if unequal)"},
    )
    seed: int = field(default=0, metadata={"help": "seed of the server's masks (SEAL's keys and noise: not seedable)"})
    packing: Packing | None = field(
        default=None,
        metadata={"help": "packing when the graph has no he_plan (none: cheetah); must match the plan's if it has one"},
    )

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise TargetError(f"target 'he' option seed must be a non-negative integer, got {self.seed!r}")


@dataclass
class HeArtifact:
    graph: Graph
    plan: HePlan
    options: HeOptions
    planned_here: bool
    last: HeRun | None = None

    def write(self, folder: Path) -> dict[str, Path]:
        paths = {"graph": folder / "graph.txt"}
        paths["graph"].write_text(str(self.graph) + "\n")
        paths["plan"] = write_json(folder / "he_plan.json", plan_data(self.plan))
        return paths

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> dict[str, np.ndarray]:
        if options:
            raise TargetError(f"the he target takes no run options, got {', '.join(sorted(options))}")
        self.last = run_he(self.graph, self.plan, inputs, self.options.seed, self.options.check)
        return self.last.outputs

    def report(self) -> HeReport:
        p, last = self.plan.params, self.last
        runs = {} if last is None else {r.node: r for r in last.layers}
        peaks = {} if last is None else last.peak_bits
        rows = [HeLayer.of(layout, runs.get(node), peaks.get(node)) for node, layout in self.plan.layouts.items()]
        return HeReport(self.plan.packing, p.n, p.plain_bits, p.scale_bits, self.planned_here, last is not None, rows)


def plan_data(plan: HePlan) -> dict[str, Any]:
    """he_plan.json: the parameters and, per layer, its counts and its packing's tiling."""
    layers = []
    for node, layout in plan.layouts.items():
        fields = dataclasses.fields(layout)  # type: ignore[arg-type]
        tiling = {f.name: getattr(layout, f.name) for f in fields if f.name not in ("layer", "params", "name")}
        layers.append(
            {
                "node": node,
                "kind": layout.layer.kind,
                "packing": layout.name,
                "input_ciphertexts": layout.input_ciphertexts,
                "multiplies": layout.multiplies,
                "returned_ciphertexts": layout.returned_ciphertexts,
                "layer": dataclasses.asdict(layout.layer),
                "tiling": _plain(tiling),
            }
        )
    return {"params": dataclasses.asdict(plan.params), "packing": plan.packing, "layers": layers}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def plan_here(graph: Graph, packing: str) -> HePlan:
    """The plan `he-pack` with default parameters records (exact check included), for a graph that has none."""
    try:
        plan = HePack(packing=packing).run(graph.copy()).graph.he_plan
    except PassError as err:
        raise TargetError(f"target 'he': {err}") from None
    assert isinstance(plan, HePlan)
    return plan


def build(graph: Graph, options: HeOptions) -> HeArtifact:
    import_seal()
    plan, planned_here = graph.he_plan, graph.he_plan is None
    if plan is None:
        plan = plan_here(graph, options.packing or "cheetah")
    elif options.packing is not None and options.packing != plan.packing:
        raise TargetError(
            f"target 'he': the graph's he_plan packs {plan.packing!r} but option packing is {options.packing!r}; "
            f"run he-pack with packing={options.packing} or drop the option"
        )
    check_params(plan.params)
    names = {node.name for node in graph.nodes}
    missing = sorted(set(plan.layouts) - names)
    if missing:
        raise TargetError(
            f"target 'he': the he_plan packs nodes the graph no longer has: {', '.join(missing)}; run he-pack last"
        )
    if not plan.layouts:
        raise TargetError(
            f"target 'he': graph {graph.name!r} has no convolution or fully connected layer to run under HE"
        )
    return HeArtifact(graph, plan, options, planned_here)


HE_TARGET = register_target(
    Target(
        "he",
        "linear layers under SEAL's BFV as he-pack packs them, the rest in the clear; graph.txt + he_plan.json",
        build,
        HeOptions,
    )
)
