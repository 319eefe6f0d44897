"""A compile result as one self-contained HTML page (no external assets; the plot is an embedded
PNG): model summary, memory at a glance, what the target built (its own figures), the pass table, each
pass's report, and memory over time for the final order. Every name from the model is escaped.
It renders from the data it is given (anything shaped like a CompileResult), looking reports up by type."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Protocol

from tessera.backends.mcu.report import McuReport
from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.ir.liveness import Lifetime, lifetimes, memory_profile
from tessera.ir.summary import ModelSummary
from tessera.passes.base import PassRecord, Report, find_report
from tessera.passes.memory.plan_pass import ArenaReport
from tessera.reports.memory_plot import ArenaView, memory_png


class Compiled(Protocol):
    """What the page is rendered from (tessera.api.CompileResult has these)."""

    @property
    def graph(self) -> Graph: ...
    @property
    def target(self) -> str: ...
    @property
    def summary(self) -> ModelSummary: ...
    @property
    def reports(self) -> list[PassRecord]: ...
    @property
    def target_report(self) -> Report: ...


MAX_ITEMS = 12  # list and dict fields longer than this are cut in the pass tables

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f3f3f3; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #8a5a00; } img { max-width: 100%; } code { background: #f3f3f3; padding: 0 3px; }
"""


def render_html(result: Compiled, files: Sequence[str] = ()) -> str:
    """The page for `result`; `files` are the names written next to it."""
    s = result.summary
    title = f"Tessera report: {s.name} for {result.target}"
    body = [f"<h1>{escape(title)}</h1>"]
    body += _summary(result)
    body += _memory_glance(result)
    body += _built(result.target, result.target_report)
    body += _pass_table(result.reports)
    body += _pass_reports(result.reports)
    body += _memory_section(result.graph, result.reports)
    if files:
        body.append("<h2>Files</h2><ul>" + "".join(f"<li><code>{escape(f)}</code></li>" for f in files) + "</ul>")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _summary(result: Compiled) -> list[str]:
    s = result.summary
    rows = [("model", s.name), ("target", result.target), ("nodes", s.nodes)]
    rows += [(f"input {t.name}", f"{t.dtype}{list(t.shape)}") for t in s.inputs]
    rows += [(f"output {t.name}", f"{t.dtype}{list(t.shape)}") for t in s.outputs]
    rows += [("parameters", f"{s.params:,} ({_bytes(s.param_bytes)})"), ("MACs", f"{s.macs:,}")]
    rows.append(("ops", ", ".join(f"{op} x{n}" for op, n in s.op_counts.items())))
    return ["<h2>Model</h2>", _table(["", ""], rows, header=False)]


def _memory_glance(result: Compiled) -> list[str]:
    s = result.summary
    rows: list[tuple[Any, ...]] = [
        ("weights (constants)", _bytes(s.param_bytes)),
        ("activations, all tensors summed", _bytes(s.activation_bytes)),
        ("liveness peak of the final order (every tensor its own buffer)", _bytes(s.activation_peak_bytes)),
    ]
    built = result.target_report
    if isinstance(built, McuReport):
        rows += _mcu_rows(built)
    plan = find_report(result.reports, ArenaReport)
    if plan is not None:
        label = f"memory-plan arena ({plan.method}{', in place' if plan.inplace else ''})"
        rows.append((label, f"{_bytes(plan.arena_bytes)}, {plan.ratio:.3f} x peak"))
        weights = built.weight_bytes if isinstance(built, McuReport) else s.param_bytes
        rows.append(("weights + arena", _bytes(weights + plan.arena_bytes)))
    elif not isinstance(built, McuReport):
        rows.append(("activation arena", "not planned: add the memory-plan pass"))
    return ["<h2>Memory at a glance</h2>", _table(["", ""], rows, header=False)]


def _mcu_rows(r: McuReport) -> list[tuple[Any, ...]]:
    """What the MCU target built: the arena in model.h, the weights in model_weights.c."""
    code = _bytes(r.code_bytes) + ("" if r.code_measured else " (estimate; not built for the MCU)")
    return [
        (f"built arena (model.h; {r.planner}{', in place' if r.inplace else ''})", _bytes(r.arena_bytes)),
        ("built in-place slots", f"{len(r.inplace_slots)} shared, {r.workspaces} workspaces"),
        ("built RAM: arena + stack", _bytes(r.ram_bytes)),
        ("built weights (model_weights.c)", _bytes(r.weight_bytes)),
        ("built code", code),
        ("built flash: weights + code", _bytes(r.flash_bytes)),
    ]


def _built(target: str, report: Report) -> list[str]:
    data = report.to_dict()
    out = [f"<h2>Built for {escape(target)}</h2>"]
    kernels = data.pop("kernel_instructions", None)
    if "inplace_slots" in data:  # one slot per chain: the tensors that share it, first written first
        data["inplace_slots"] = "; ".join(" = ".join(chain) for chain in data["inplace_slots"]) or "none"
    out.append(_table(["field", "value"], [(k, _value(v)) for k, v in data.items()]) if data else "<p>-</p>")
    if kernels:
        out.append(f"<details><summary>instructions of {len(kernels)} kernels (QEMU, profiled)</summary>")
        out.append(_table(["node", "op", "instructions"], kernels) + "</details>")
    return out


def _pass_table(records: Sequence[PassRecord]) -> list[str]:
    if not records:
        return ["<h2>Passes</h2><p>No passes ran.</p>"]
    rows: list[tuple[int | str, ...]] = [
        (
            i + 1,
            r.name,
            f"{r.time_s * 1e3:.1f}",
            f"{r.nodes_before} &rarr; {r.nodes_after}",
            "yes" if r.modified else "no",
        )
        for i, r in enumerate(records)
    ]
    total = sum(r.time_s for r in records)
    rows.append(("", "total", f"{total * 1e3:.1f}", "", ""))
    table = _table(["#", "pass", "time (ms)", "nodes", "changed"], rows, raw=frozenset({3}))
    return ["<h2>Passes</h2>", table]


def _pass_reports(records: Sequence[PassRecord]) -> list[str]:
    out = ["<h2>Pass reports</h2>"] if records else []
    for i, r in enumerate(records):
        data = r.report.to_dict()
        offsets = data.pop("offsets", None) if isinstance(r.report, ArenaReport) else None
        out.append(f"<h3>{i + 1}. {escape(r.name)}</h3>")
        out.append(_table(["field", "value"], [(k, _value(v)) for k, v in data.items()]) if data else "<p>-</p>")
        if offsets:
            rows = sorted(offsets.items(), key=lambda kv: (kv[1], kv[0]))
            out.append(f"<details><summary>{len(rows)} tensor offsets</summary>")
            out.append(_table(["tensor", "offset (B)"], rows) + "</details>")
    return out


def _memory_section(graph: Graph, records: Sequence[PassRecord]) -> list[str]:
    prof = memory_profile(graph)
    arena, note = _arena_view(graph, records)
    out = ["<h2>Memory over time (final order)</h2>"]
    if note:
        out.append(f'<p class="note">{escape(note)}</p>')
    png = memory_png(prof, arena, f"{graph.name}: {len(graph.nodes)} steps, peak {_bytes(prof.peak_bytes)}")
    if png is None:
        out.append('<p class="note">The memory plot needs matplotlib: <code>pip install matplotlib</code>.</p>')
    else:
        data = base64.b64encode(png).decode("ascii")
        out.append(f'<img alt="memory over time" src="data:image/png;base64,{data}">')
    peak_node = graph.nodes[prof.peak_step].name if graph.nodes else "-"
    at = f"step {prof.peak_step} (node <code>{escape(peak_node)}</code>)"
    out.append(f"<p>Liveness peak {_bytes(prof.peak_bytes)}, every tensor its own buffer, at {at}; ")
    out.append("live tensors at the peak, largest first:</p>")
    sizes = {t.value: t.size for t in lifetimes(graph)}
    out.append(_table(["tensor", "bytes"], [(v, f"{sizes[v]:,}") for v in prof.peak_values]))
    return out


def _arena_view(graph: Graph, records: Sequence[PassRecord]) -> tuple[ArenaView | None, str]:
    """The last memory-plan's arena if it still fits the final graph, else None and why."""
    report = find_report(records, ArenaReport)
    if report is None:
        return None, "No arena plan: add the memory-plan pass to see the arena layout."
    from tessera.passes.memory.arena import ArenaPlan

    r = report.to_dict()
    align = r["alignment"]
    spans = tuple(Lifetime(t.value, -(-t.size // align) * align, t.first, t.last) for t in lifetimes(graph))
    aliases = r.get("aliases") or {}
    plan = ArenaPlan(r["method"], r["arena_bytes"], r["peak_bytes"], align, r["offsets"], spans, aliases=aliases)
    try:
        plan.check()
    except PassError:
        return None, "The memory-plan arena no longer fits: a later pass changed the graph or its order."
    return ArenaView(r["method"], r["arena_bytes"], spans, r["offsets"]), ""


def _table(
    head: Sequence[str], rows: Iterable[Sequence[Any]], header: bool = True, raw: frozenset[int] = frozenset()
) -> str:
    """An HTML table; cells are escaped except the columns in `raw` (built here from numbers)."""

    def cell(i: int, v: Any) -> str:
        text = str(v) if i in raw else escape(str(v))
        cls = ' class="n"' if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
        return f"<td{cls}>{text}</td>"

    lines = ["<table>"]
    if header:
        lines.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>")
    lines += ["<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows]
    return "\n".join([*lines, "</table>"])


def _value(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        shown = ", ".join(str(_value(x)) for x in v[:MAX_ITEMS]) or "-"
        return shown + (f", ... ({len(v) - MAX_ITEMS} more)" if len(v) > MAX_ITEMS else "")
    if isinstance(v, dict):
        items = list(v.items())
        shown = ", ".join(f"{k}={_value(x)}" for k, x in items[:MAX_ITEMS]) or "-"
        return shown + (f", ... ({len(items) - MAX_ITEMS} more)" if len(items) > MAX_ITEMS else "")
    return v


def _bytes(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.2f} MiB ({n:,} B)"
    return f"{n / 1024:.1f} KiB ({n:,} B)" if n >= 1024 else f"{n} B"
