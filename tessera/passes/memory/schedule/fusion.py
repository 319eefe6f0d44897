"""Iterative graph fusion: chain nodes whose adjacency some optimal schedule can keep.

Rule (move-up): let u's outputs be read only by v (and not kept), and v read only u's outputs. If
  size(out v) <= size(out u)                                          (1)
  run(v) + alias(u) <= workspace(u) + dying(u)                         (2)
where run(v) = out(v) + workspace(v) - the input v overwrites in place, alias(u) the most u can
overwrite in place, and dying(u) the inputs only u reads, then every schedule can move v up to just
after u without raising its peak. docs/scheduling.md has the argument; fusion applies the rule
iteratively, so a unit is a chain u1 -> u2 -> ... that an optimal schedule runs back to back.
"""

from __future__ import annotations

from tessera.passes.memory.schedule.problem import Problem


def can_fuse(p: Problem, u: int, v: int) -> bool:
    outs = p.outputs[u]
    if not outs or any(p.keep[t] or p.readers[t] != (v,) for t in outs):
        return False
    if any(p.producer[t] != u for t in p.inputs[v]):
        return False
    made_u = sum(p.size[t] for t in outs)
    made_v = sum(p.size[t] for t in p.outputs[v])
    if made_v > made_u:
        return False
    run_v = made_v + p.workspace[v] - (p.size[p.alias[v]] if p.alias[v] in outs else 0)
    alias_u = p.size[p.alias[u]] if p.alias[u] >= 0 else 0
    dying_u = sum(p.size[t] for t in p.inputs[u] if len(p.readers[t]) == 1 and not p.keep[t])
    return run_v + alias_u <= p.workspace[u] + dying_u


def fuse(p: Problem) -> list[list[int]]:
    """The units: chains of nodes (in topological order) that an optimal schedule runs back to back."""
    unit_of = list(range(p.n))
    units: dict[int, list[int]] = {k: [k] for k in range(p.n)}
    changed = True
    while changed:
        changed = False
        for v in range(p.n):
            preds = p.preds(v)
            if len(preds) != 1 or units[unit_of[v]][0] != v:
                continue
            u = preds[0]
            head = unit_of[u]
            if units[head][-1] != u or not can_fuse(p, u, v):
                continue
            for k in units.pop(unit_of[v]):
                units[head].append(k)
                unit_of[k] = head
            changed = True
    return sorted(units.values(), key=lambda c: c[0])


def follow_units(order: list[int], units: list[list[int]]) -> list[int]:
    """`order` with each unit's later nodes moved up behind its head: the move the fusion rule proves
    never raises the peak, so a warm start keeps its quality and satisfies the units."""
    head_of = {k: u for u in units for k in u}
    placed: list[int] = []
    for k in order:
        u = head_of[k]
        if u[0] == k:
            placed.extend(u)
    return placed
