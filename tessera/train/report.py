"""The report of a fine-tuning run, as data (JSON), text and a self-contained HTML page whose
figure is the loss curve (an embedded PNG; without matplotlib the page says so)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from html import escape

from tessera.passes.base import Report
from tessera.reports.memory_plot import have_matplotlib


@dataclass
class FinetuneReport(Report):
    graph: str
    examples: int
    epochs: int
    batch_size: int
    lr: float
    optimizer: str
    loss: str
    simulate: bool  # int8 ops trained as their float simulation (quantization-aware training)
    parameters: int  # constants trained
    parameter_elements: int
    metric: str  # accuracy, mse or sqnr_db (against the teacher)
    metric_on: str  # which examples the metric is measured on
    metric_before: float
    metric_after: float
    loss_per_epoch: list[float] = field(default_factory=list)
    time_per_epoch_s: list[float] = field(default_factory=list)
    time_s: float = 0.0
    features: list[str] = field(default_factory=list)  # intermediate tensors distilled
    no_gradient: dict[str, str] = field(default_factory=dict)  # node -> why no gradient passes it
    untrained: list[str] = field(default_factory=list)  # parameters no gradient reached
    scales: int = 0  # learned scale groups (learn_scales)
    schedule: str = "constant"  # the learning rate over the run

    def render_text(self) -> str:
        lines = [
            f"finetune {self.graph}: {self.examples} examples, {self.epochs} epoch{'s' if self.epochs != 1 else ''} "
            f"of batch {self.batch_size}, "
            f"{self.optimizer} lr {self.lr:g}{' cosine' if self.schedule == 'cosine' else ''}, loss {self.loss}"
            + (" (int8 simulated: QAT)" if self.simulate else ""),
            f"  trained {self.parameters} constants ({self.parameter_elements:,} values)"
            + (f" and {self.scales} activation scales" if self.scales else ""),
            f"  {self.metric} on {self.metric_on}: {self.metric_before:.4g} before, {self.metric_after:.4g} after",
            "  loss per epoch: " + ", ".join(f"{v:.4g}" for v in self.loss_per_epoch),
            f"  time: {self.time_s:.2f} s ({_mean(self.time_per_epoch_s):.2f} s per epoch)",
        ]
        if self.features:
            lines.append(f"  feature distillation on {len(self.features)} tensors")
        if self.no_gradient:
            lines.append(f"  no gradient through {len(self.no_gradient)} nodes: " + _few(sorted(self.no_gradient)))
        if self.untrained:
            lines.append(f"  no gradient reached {len(self.untrained)} parameters: " + _few(self.untrained))
        return "\n".join(lines)

    def render_html(self) -> str:
        png = loss_png(self.loss_per_epoch, f"{self.graph}: loss per epoch")
        figure = (
            f'<img alt="loss per epoch" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            if png
            else '<p class="note">matplotlib is not installed: pip install "tessera[plots]" for the loss curve</p>'
        )
        rows = "".join(
            f'<tr><td class="n">{i + 1}</td><td class="n">{loss:.6g}</td><td class="n">{t:.3f}</td></tr>'
            for i, (loss, t) in enumerate(zip(self.loss_per_epoch, self.time_per_epoch_s))
        )
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>finetune {escape(self.graph)}</title>"
            "<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:900px}"
            "td,th{border:1px solid #ddd;padding:3px 8px}table{border-collapse:collapse}td.n{text-align:right}"
            ".note{color:#8a5a00}img{max-width:100%}</style></head><body>"
            f"<h1>finetune {escape(self.graph)}</h1><pre>{escape(self.render_text())}</pre>{figure}"
            f"<table><tr><th>epoch</th><th>loss</th><th>seconds</th></tr>{rows}</table></body></html>"
        )


def loss_png(losses: list[float], title: str) -> bytes | None:
    """The loss curve as PNG bytes, or None without matplotlib."""
    if not have_matplotlib() or not losses:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.plot(range(1, len(losses) + 1), losses, "o-", color="#1f77b4")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean training loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _few(names: list[str], limit: int = 6) -> str:
    return ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
