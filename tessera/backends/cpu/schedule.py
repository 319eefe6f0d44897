"""A fixed CPU schedule for kernels that MetaSchedule has not tuned: no search, applied in
milliseconds, so untuned builds run in parallel and in SIMD instead of as one scalar loop nest.

Per block: the outer spatial loops are fused and run in parallel; the innermost spatial loop is
split by a vector-friendly factor and, for reductions, moved inside the reduction loops (each
vector lane accumulates one output), then vectorized. A block this rule cannot handle keeps
TVM's default loop nest (still correct, only slower); `apply` returns how many kernels it scheduled.
Kernels built around an NCHW conv2d get conv_schedule.py's register-blocked schedule instead, and
depthwise convs depthwise_schedule.py's (which computes the padding block inside its own loops), 2-D
binary convs binary_schedule.py's; the padding before a regular or binary conv gets
conv_schedule.schedule_padding, other blocks the generic rule.
"""

from __future__ import annotations

from typing import Any

from tessera.backends.cpu import binary_schedule, conv_schedule, depthwise_schedule

VECTOR_FACTORS = (16, 8, 4)


def apply(mod: Any) -> tuple[Any, int, int]:
    """Schedule every unscheduled PrimFunc of `mod`; returns (module, scheduled, total)."""
    from tvm import tirx

    scheduled = total = 0
    for gv, func in list(mod.functions_items()):
        if not isinstance(func, tirx.PrimFunc) or (func.attrs is not None and func.attrs.get("tirx.is_scheduled")):
            continue
        total += 1
        sch = fixed_schedule(func)
        if sch is None:  # this kernel keeps its default loop nest: slower, never wrong
            continue
        mod[gv] = sch.mod["main"].with_attr("tirx.is_scheduled", True)
        scheduled += 1
    return mod, scheduled, total


def fixed_schedule(func: Any) -> Any:
    """The fixed schedule of one PrimFunc as a traced `s_tir.Schedule` (`sch.trace` replays it on the
    unscheduled function, e.g. from a tuning record), or None when no rule applies."""
    from tvm import s_tir

    return _scheduled(s_tir, func, conv=True) or _scheduled(s_tir, func, conv=False)


def _scheduled(s_tir: Any, func: Any, conv: bool) -> Any:
    """A schedule of `func`: register-blocked conv2d (conv_schedule.py) or the generic rule per block;
    None when `conv` and no block is a conv, or when a schedule primitive refuses a block (TVM raises
    ScheduleError, e.g. a loop it cannot split or vectorize). Any other error is a bug and surfaces."""
    sch = s_tir.Schedule(func)
    blocks = sch.get_child_blocks(sch.get_sblock("root"))
    hot = next((i for i, b in enumerate(blocks) if _conv_rule(sch, b)), None) if conv else None
    if conv and hot is None:
        return None
    try:
        if hot is None:
            _schedule_blocks(sch, blocks, None, [])
        else:
            _schedule_conv(sch, blocks, hot)
    except s_tir.ScheduleError:
        return None
    return sch


def _schedule_conv(sch: Any, blocks: list[Any], hot: int) -> None:
    """The conv rule on blocks[hot]; the blocks before it (its padding) get the rule that fits."""
    rule = _conv_rule(sch, blocks[hot])
    consumers = list(blocks[hot + 1 :])
    if rule is depthwise_schedule.schedule_depthwise:
        fused = rule(sch, blocks[hot], consumers) or []  # producers computed inside its own loops
        _schedule_blocks(sch, blocks[:hot], rule, fused)
        return
    _schedule_blocks(sch, blocks[:hot], rule, [])
    rule(sch, blocks[hot], consumers)


def _schedule_blocks(sch: Any, blocks: list[Any], rule: Any, fused: list[str]) -> None:
    for block in blocks:
        if sch.get(block).name_hint in fused:
            continue
        if rule in (conv_schedule.schedule_conv, binary_schedule.schedule_binary_conv):
            conv_schedule.schedule_padding(sch, block)
        else:
            _schedule_block(sch, block)


def _conv_rule(sch: Any, block: Any) -> Any:
    """The conv schedule for `block` (regular / pointwise, or depthwise), or None."""
    if conv_schedule.is_conv(sch, block):
        return conv_schedule.schedule_conv
    if depthwise_schedule.is_depthwise(sch, block):
        return depthwise_schedule.schedule_depthwise
    if binary_schedule.is_binary_conv(sch, block):
        return binary_schedule.schedule_binary_conv
    return None


def _schedule_block(sch: Any, block: Any) -> None:
    loops = sch.get_loops(block)
    kinds = [iv.iter_type for iv in sch.get(block).iter_vars]
    if len(loops) != len(kinds) or not loops:
        return
    spatial = [lp for lp, k in zip(loops, kinds) if k == 0]
    reduce = [lp for lp, k in zip(loops, kinds) if k != 0]
    if not spatial or loops[: len(spatial)] != spatial:
        return
    # vectorize the innermost spatial loop whose extent a vector factor divides
    pick = next((i for i in reversed(range(len(spatial))) if _factor(sch, spatial[i])), None)
    vector = None
    outer = list(spatial)
    if pick is not None:
        xo, vector = sch.split(spatial[pick], [None, _factor(sch, spatial[pick])])
        outer[pick] = xo
    if vector is not None:
        sch.reorder(*outer, *reduce, vector)
    parallel = sch.fuse(*outer) if len(outer) > 1 else outer[0]
    sch.parallel(parallel)
    if vector is not None:
        sch.vectorize(vector)
    if reduce:
        sch.decompose_reduction(block, reduce[0])


def _factor(sch: Any, loop: Any) -> int | None:
    extent = int(sch.get(loop).extent)
    return next((f for f in VECTOR_FACTORS if extent % f == 0 and extent > f), None)
