"""Arena size against the liveness peak, for every planner, on the scheduling graphs.

For each graph and order (as imported; reverse post-order; and the memory-schedule ILP order when
tessera.passes.memory.schedule exists) it prints the liveness peak and, per planner, the arena in KiB,
its ratio to the peak, and the planner's time; cp-sat also its status (optimal = proven).

    PYTHONPATH=. python benchmarks/arena.py [--time-limit 10] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import tessera
from tessera.ir.graph import Graph, Node
from tessera.passes.memory import PLANNERS, memory_profile, plan_arena

GRAPHS = Path(__file__).resolve().parent / "graphs"  # the benchmark graphs, in the repository
SHARED = ["darts-imagenet", "nasnet-imagenet", "darts-cifar", "amoebanet-cifar", "nasnet-cifar", "randwire3"]
LIGHT = ["densenet121", "inception_v1", "inception_v2", "squeezenet"]


def reverse_post_order(graph: Graph) -> list[Node]:
    """Depth-first from the source nodes over consumers; the reversed post-order (HMCOS's baseline)."""
    index = {id(n): i for i, n in enumerate(graph.nodes)}
    succs = [sorted({index[id(u)] for o in n.outputs for u in o.users}) for n in graph.nodes]
    has_pred = {s for ss in succs for s in ss}
    seen = [False] * len(graph.nodes)
    post: list[int] = []
    for root in [k for k in range(len(graph.nodes)) if k not in has_pred][::-1]:
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(succs[root][::-1]))]
        while stack:
            k, it = stack[-1]
            nxt = next((s for s in it if not seen[s]), None)
            if nxt is None:
                post.append(k)
                stack.pop()
                continue
            seen[nxt] = True
            stack.append((nxt, iter(succs[nxt][::-1])))
    return [graph.nodes[k] for k in post[::-1]]


def orders(time_limit: float) -> dict[str, Callable[[Graph], list[Node]]]:
    found: dict[str, Callable[[Graph], list[Node]]] = {
        "imported": lambda g: list(g.nodes),
        "rpo": reverse_post_order,
    }
    if importlib.util.find_spec("tessera.passes.memory.schedule") is not None:
        from tessera.passes.memory.schedule import schedule

        def ilp(g: Graph) -> list[Node]:
            by_name = {n.name: n for n in g.nodes}
            return [by_name[name] for name in schedule(g, "ilp", time_limit_s=time_limit).order]

        found["ilp"] = ilp
    return found


def models(only: list[str]) -> Iterator[tuple[str, Graph]]:
    for name in SHARED:
        if not only or name in only:
            yield name, tessera.load(GRAPHS / f"{name}.onnx")
    for name in LIGHT:
        if not only or name in only:
            yield name, tessera.load(f"light:{name}")
    if importlib.util.find_spec("tessera.zoo") is None:
        print("(tessera.zoo not available: zoo:randwire seeds 0-2 and zoo:mobilenetv2 skipped)")
        return
    zoo = importlib.import_module("tessera.zoo")
    for name, seed in [("randwire", 0), ("randwire", 1), ("randwire", 2), ("mobilenetv2", 0)]:
        label = f"zoo:{name}" + (f"-s{seed}" if name == "randwire" else "")
        if not only or label in only:
            m = zoo.get(name, seed=seed)
            yield label, tessera.load(m.module, example_inputs=m.example_inputs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limit", type=float, default=10.0, help="cp-sat (and ILP schedule) limit, s")
    ap.add_argument("--only", nargs="*", default=[], help="graph names to run (default: all)")
    args = ap.parse_args()
    planners = list(PLANNERS)
    head = ["graph", "order", "nodes", "peak KiB"] + [f"{p} KiB (x peak, s)" for p in planners]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    worst = {p: 0.0 for p in planners}
    for name, graph in models(args.only):
        for order_name, make in orders(args.time_limit).items():
            order = make(graph)
            peak = memory_profile(graph, order).peak_bytes
            cells = [name, order_name, str(len(graph.nodes)), f"{peak / 1024:.0f}"]
            for p in planners:
                start = time.perf_counter()
                plan = plan_arena(graph, p, 16, order, time_limit_s=args.time_limit)
                elapsed = time.perf_counter() - start
                worst[p] = max(worst[p], plan.ratio)
                mark = "*" if plan.optimal else ""
                cells.append(f"{plan.arena_bytes / 1024:.0f}{mark} ({plan.ratio:.3f}, {elapsed:.2f})")
            print("| " + " | ".join(cells) + " |", flush=True)
    print("\n* = proven optimal (arena equals the lower bound, or CP-SAT proved it).")
    print("worst arena / peak: " + ", ".join(f"{p} {r:.3f}" for p, r in worst.items()))


if __name__ == "__main__":
    main()
