"""Exhaustive proof for the zoo RandWire wirings, outside the 10 s limit of the scheduling table.

For each seed: the ilp warm start (lns at a 10 s limit), then the segment between cut nodes that holds
its peak (a segment is the same sub-problem in every order, so its optimum bounds the whole graph's
peak from below) is searched by the exact DP over fused units with the dominance rule and the
segment's cut bound as floor, pruned at the peak found. `proven` with nothing found means no order of
the whole graph has a lower peak: the peak is optimal.

    PYTHONPATH=. python benchmarks/randwire_proof.py [--seeds 0 1 2] [--seconds 600]
"""

from __future__ import annotations

import argparse
import time

import tessera
from tessera import zoo
from tessera.passes.memory.model import MemoryModel
from tessera.passes.memory.schedule.bounds import proven_bound
from tessera.passes.memory.schedule.decompose import part
from tessera.passes.memory.schedule.dp import solve_dp
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.ilp_driver import segments
from tessera.passes.memory.schedule.lns import lns
from tessera.passes.memory.schedule.problem import build_problem


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--seconds", type=float, default=600.0)
    args = ap.parse_args()
    cols = "graph | segment steps | peak KB | graph bound KB | segment bound KB | DP states | proven | better | s"
    print(f"| {cols} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        graph = tessera.load(zoo.export_onnx(zoo.get("randwire", graph_seed=seed)))
        p = build_problem(graph, MemoryModel(inplace=True))
        bound = proven_bound(p)
        order = lns(p, 10.0, bound)
        curve = p.curve(order)
        a, b = max((s for s in segments(p, order) if s[1] - s[0] > 1), key=lambda s: max(curve[s[0] : s[1]]))
        q = part(p, order, a, b).problem
        peak = max(curve[a:b])
        start = time.perf_counter()
        r = solve_dp(q, fuse(q), peak, max_states=50_000_000, deadline=start + args.seconds, floor=proven_bound(q))
        better = "-" if r.order is None else f"{q.peak(r.order) / 1024:.1f}"
        print(
            f"| zoo:randwire/{seed} | {a}-{b} | {peak / 1024:.1f} | {bound / 1024:.1f} | {proven_bound(q) / 1024:.1f} "
            f"| {r.states} | {'yes' if r.proven else 'no'} | {better} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
