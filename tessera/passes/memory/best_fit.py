"""Heuristic arena planners that beat TFLite Micro's greedy-by-size.

Offsets are found for fixed lifetimes (a dynamic storage allocation problem, NP-hard in general). Two
families of placement, each run with several tensor orderings; `best_fit` keeps the smallest arena:

- list placement: take tensors one by one in some order and put each into a gap between the placed
  tensors whose lifetimes intersect it, either the lowest gap that fits (first fit) or the tightest
  one (best fit, the lowest of equally tight ones);
- skyline placement (Sekiyama et al. 2018, "Profile-guided memory optimization for DNNs"): keep the
  top of the placed tensors at every step, take its lowest flat stretch, and put there the unplaced
  tensor that fits inside that stretch with the longest lifetime (or largest size); when none fits,
  raise the stretch to its lower neighbour.

Every candidate plan is valid by construction; the arena of the best one is what `best_fit` returns.

Groups (in-place chains, tessera.passes.memory.arena): `groups` lists tensors that must share one
offset; they may be live at the same step (a kernel writes one over the other), and each keeps its own
size and lifetime, so a float input overwritten by its smaller int8 quantization frees the rest of its
bytes at once (a staircase, not a rectangle). List placement places a group as one unit at the lowest
offset where every member fits; skyline placement places its bounding rectangle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from tessera.ir.liveness import Lifetime, live_curve

Offsets = dict[str, int]
Key = Callable[[Lifetime], tuple]

# Orders for list placement: each a sort key (smallest first).
LIST_ORDERS: dict[str, Key] = {
    "size": lambda t: (-t.size, t.first, t.value),
    "start": lambda t: (t.first, -t.size, t.value),
    "area": lambda t: (-t.size * (t.last - t.first + 1), t.first, t.value),
    "length": lambda t: (-(t.last - t.first), -t.size, t.value),
}
# Preferences for skyline placement among the tensors that fit a stretch: each a sort key (smallest first).
SKYLINE_PICKS: dict[str, Key] = {
    "longest": lambda t: (-(t.last - t.first), -t.size, t.first, t.value),
    "largest": lambda t: (-t.size, -(t.last - t.first), t.first, t.value),
    "area": lambda t: (-t.size * (t.last - t.first + 1), t.first, t.value),
}


def arena_size(spans: Sequence[Lifetime], offsets: Offsets) -> int:
    return max((offsets[t.value] + t.size for t in spans), default=0)


Groups = Sequence[Sequence[str]]


def load_curve(spans: Sequence[Lifetime], groups: Groups = ()) -> list[int]:
    """Bytes live at every step; a group counts, at each step, its largest member live there."""
    steps = max((t.last for t in spans), default=-1) + 1
    grouped = {name for g in groups for name in g}
    by_name = {t.value: t for t in spans}
    curve = live_curve([t for t in spans if t.value not in grouped], steps)
    for g in groups:
        top: dict[int, int] = {}
        for name in g:
            t = by_name[name]
            for step in range(t.first, t.last + 1):
                top[step] = max(top.get(step, 0), t.size)
        for step, size in top.items():
            curve[step] += size
    return curve


def max_load(spans: Sequence[Lifetime], groups: Groups = ()) -> int:
    """The largest sum of sizes live at one step: no placement of `spans` fits in less."""
    if groups:
        return max(load_curve(spans, groups), default=0)
    events: dict[int, int] = {}
    for t in spans:
        events[t.first] = events.get(t.first, 0) + t.size
        events[t.last + 1] = events.get(t.last + 1, 0) - t.size
    best = live = 0
    for step in sorted(events):
        live += events[step]
        best = max(best, live)
    return best


def units(spans: Sequence[Lifetime], groups: Groups = ()) -> list[list[Lifetime]]:
    """The placement units: each group's members together, every other tensor alone."""
    by_name = {t.value: t for t in spans}
    grouped = {name for g in groups for name in g}
    return [[by_name[n] for n in g] for g in groups] + [[t] for t in spans if t.value not in grouped]


def bounding(unit: Sequence[Lifetime]) -> Lifetime:
    """One rectangle around a unit: named by its first member, its largest size, its whole lifetime."""
    first = unit[0]
    if len(unit) == 1:
        return first
    lo, hi = min(t.first for t in unit), max(t.last for t in unit)
    return Lifetime(first.value, max(t.size for t in unit), lo, hi)


def place_unit(unit: Sequence[Lifetime], placed: Sequence[tuple[int, Lifetime]]) -> int:
    """The lowest offset where every member of `unit` avoids every placed tensor live with it."""
    conflicts = [[(off, o) for off, o in placed if o.overlaps(t)] for t in unit]
    for start in sorted({0, *(off + o.size for c in conflicts for off, o in c)}):
        if all(off >= start + t.size or off + o.size <= start for t, c in zip(unit, conflicts) for off, o in c):
            return start
    raise AssertionError("unreachable: the top of every placed tensor is a candidate")


def group_placement(spans: Sequence[Lifetime], groups: Groups, key: Key) -> Offsets:
    """First fit of the units in `key` order (of their bounding rectangles)."""
    placed: list[tuple[int, Lifetime]] = []
    offsets: Offsets = {}
    for unit in sorted(units(spans, groups), key=lambda u: key(bounding(u))):
        start = place_unit(unit, placed)
        for t in unit:
            offsets[t.value] = start
            placed.append((start, t))
    return offsets


def expand(offsets: Offsets, groups: Groups) -> Offsets:
    """Give every member of a group its group's (first member's) offset."""
    out = dict(offsets)
    for g in groups:
        for name in g:
            out[name] = offsets[g[0]]
    return out


def overlap_lists(spans: Sequence[Lifetime]) -> dict[str, list[Lifetime]]:
    """For each tensor, the other tensors whose lifetimes intersect its own (one sweep by start)."""
    ordered = sorted(spans, key=lambda t: (t.first, t.value))
    result: dict[str, list[Lifetime]] = {t.value: [] for t in ordered}
    active: list[Lifetime] = []
    for t in ordered:
        active = [a for a in active if a.last >= t.first]
        for a in active:
            result[a.value].append(t)
            result[t.value].append(a)
        active.append(t)
    return result


def list_placement(spans: Sequence[Lifetime], key: Key, tightest: bool, overlaps=None) -> Offsets:
    """Place tensors in `key` order, each into the first (or, with `tightest`, the smallest) gap
    among placed tensors that are live at the same time as it."""
    overlaps = overlap_lists(spans) if overlaps is None else overlaps
    offsets: Offsets = {}
    for t in sorted(spans, key=key):
        taken = sorted((offsets[o.value], o.size) for o in overlaps[t.value] if o.value in offsets)
        offsets[t.value] = _choose_gap(taken, t.size, tightest)
    return offsets


def _choose_gap(taken: list[tuple[int, int]], size: int, tightest: bool) -> int:
    """The offset for a block of `size` among occupied [offset, offset + size) ranges sorted by offset."""
    best: tuple[int, int] | None = None  # (gap length, offset)
    cursor = 0
    for off, length in taken:
        gap = off - cursor
        if gap >= size:
            if not tightest:
                return cursor
            if best is None or gap < best[0]:
                best = (gap, cursor)
        cursor = max(cursor, off + length)
    return best[1] if best is not None else cursor


def skyline_placement(spans: Sequence[Lifetime], pick: Key) -> Offsets:
    """Sekiyama-style best fit on a skyline over the steps (see the module docstring)."""
    if not spans:
        return {}
    steps = max(t.last for t in spans) + 1
    segs: list[list[int]] = [[0, steps - 1, 0]]  # [first step, last step, height], left to right
    by_first: dict[int, list[Lifetime]] = {}
    for t in sorted(spans, key=pick):
        by_first.setdefault(t.first, []).append(t)
    offsets: Offsets = {}
    while len(offsets) < len(spans):
        i = min(range(len(segs)), key=lambda k: (segs[k][2], segs[k][0]))
        lo, hi, height = segs[i]
        fits = [t for s in range(lo, hi + 1) for t in by_first.get(s, ()) if t.last <= hi and t.value not in offsets]
        if not fits:
            _raise_segment(segs, i)
            continue
        t = min(fits, key=pick)
        offsets[t.value] = height
        by_first[t.first].remove(t)
        pieces = [[lo, t.first - 1, height], [t.first, t.last, height + t.size], [t.last + 1, hi, height]]
        segs[i : i + 1] = [p for p in pieces if p[0] <= p[1]]
    return offsets


def _raise_segment(segs: list[list[int]], i: int) -> None:
    """Lift segment i to its lower neighbour's height and merge it with the neighbour(s) it meets."""
    neighbours = [segs[k][2] for k in (i - 1, i + 1) if 0 <= k < len(segs)]
    if not neighbours:  # one flat segment and nothing fits: cannot happen when tensors remain
        raise AssertionError("skyline planner found no tensor to place on the whole timeline")
    segs[i][2] = min(neighbours)
    if i + 1 < len(segs) and segs[i + 1][2] == segs[i][2]:
        segs[i][1] = segs[i + 1][1]
        del segs[i + 1]
    if i > 0 and segs[i - 1][2] == segs[i][2]:
        segs[i - 1][1] = segs[i][1]
        del segs[i]


def candidates(spans: Sequence[Lifetime], groups: Groups = ()) -> Iterator[tuple[str, Offsets]]:
    """Every heuristic plan with its name, e.g. 'list-size-first-fit' (TFLM's) or 'skyline-longest'.
    With groups: skyline placements of the units' bounding rectangles, then first fit of the units."""
    if groups:
        boxes = [bounding(u) for u in units(spans, groups)]
        for name, pick in SKYLINE_PICKS.items():
            yield f"skyline-{name}", expand(skyline_placement(boxes, pick), groups)
        for name, key in LIST_ORDERS.items():
            yield f"list-{name}-first-fit", group_placement(spans, groups, key)
        return
    overlaps = overlap_lists(spans)
    for name, pick in SKYLINE_PICKS.items():
        yield f"skyline-{name}", skyline_placement(spans, pick)
    for name, key in LIST_ORDERS.items():
        for tightest in (True, False):
            fit = "best-fit" if tightest else "first-fit"
            yield f"list-{name}-{fit}", list_placement(spans, key, tightest, overlaps)


def best_fit(spans: Sequence[Lifetime], time_limit_s: float | None = None, groups: Groups = ()) -> Offsets:
    """The smallest arena among the heuristic plans (ties: the first in `candidates` order).
    Stops early when a plan reaches the lower bound (the max load). `time_limit_s` is ignored."""
    bound = max_load(spans, groups)
    best: Offsets | None = None
    for _, plan in candidates(spans, groups):
        if best is None or arena_size(spans, plan) < arena_size(spans, best):
            best = plan
        if arena_size(spans, best) == bound:
            break
    return best or {}
