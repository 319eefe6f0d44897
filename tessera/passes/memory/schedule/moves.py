"""Local moves around the peak: delay a tensor's private cone, or hoist its last reader.

A tensor waiting at the peak step (made earlier, read later) costs its bytes at the peak. Its private
cone is its producer plus every ancestor whose outputs are read only inside the cone; the cone can run
as a block just before the tensor's first reader without breaking any dependency. The move is kept
when it lowers the peak. Hoisting is the mirror: the tensor's last reader and its ancestors that run
after the peak step move, as a block, to just before it (when the peak node is not among them). Either
move is kept when it lowers the peak, or keeps it and lowers the number of steps at the peak."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.passes.memory.schedule.base import Budget
from tessera.passes.memory.schedule.problem import Problem


def private_cone(p: Problem, node: int) -> set[int]:
    cone = {node}
    frontier = [node]
    while frontier:
        k = frontier.pop()
        for q in p.preds(k):
            if q in cone:
                continue
            if all(not p.keep[t] and set(p.readers[t]) <= cone for t in p.outputs[q]):
                cone.add(q)
                frontier.append(q)
    return cone


def _score(curve: list[int]) -> tuple[int, int]:
    peak = max(curve)
    return peak, curve.count(peak)


def delay_cones(p: Problem, order: Sequence[int], budget: Budget) -> list[int]:
    order = list(order)
    curve = p.curve(order)
    improved = True
    while improved and not budget.exhausted:
        improved = False
        score = _score(curve)
        s = curve.index(score[0])
        pos = {k: i for i, k in enumerate(order)}
        waiting = [
            t
            for t in range(len(p.size))
            if p.producer[t] >= 0
            and pos[p.producer[t]] < s
            and p.readers[t]
            and not p.keep[t]
            and min(pos[r] for r in p.readers[t]) > s
        ]
        for t in sorted(waiting, key=lambda t: -p.size[t]):
            for candidate in (_delayed(p, order, pos, t), _hoisted(p, order, pos, t, s)):
                if candidate is None:
                    continue
                new_curve = p.curve(candidate)
                budget.spend(1 + p.n // 64)
                if _score(new_curve) < score:
                    order, curve, improved = candidate, new_curve, True
                    break
            if improved:
                break
    return order


def _delayed(p: Problem, order: list[int], pos: dict[int, int], t: int) -> list[int]:
    cone = private_cone(p, p.producer[t])
    first_reader = min(p.readers[t], key=lambda r: pos[r])
    rest = [k for k in order if k not in cone]
    at = rest.index(first_reader)
    return rest[:at] + [k for k in order if k in cone] + rest[at:]


def _hoisted(p: Problem, order: list[int], pos: dict[int, int], t: int, s: int) -> list[int] | None:
    last_reader = max(p.readers[t], key=lambda r: pos[r])
    block = {last_reader}
    frontier = [last_reader]
    while frontier:
        for q in p.preds(frontier.pop()):
            if pos[q] >= s and q not in block:
                block.add(q)
                frontier.append(q)
    if order[s] in block or len(block) > 64:
        return None
    rest = [k for k in order if k not in block]
    at = rest.index(order[s])
    return rest[:at] + [k for k in order if k in block] + rest[at:]
