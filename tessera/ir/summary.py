"""A model summary: what `tessera inspect` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tessera.ir.analysis import activation_peak_bytes
from tessera.ir.graph import Graph


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class ModelSummary:
    name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    nodes: int
    op_counts: dict[str, int]
    params: int
    param_bytes: int
    macs: int
    activation_bytes: int  # every intermediate tensor, summed
    activation_peak_bytes: int  # live-tensor peak in the current node order

    def to_dict(self) -> dict:
        return asdict(self)

    def render_text(self) -> str:
        lines = [f"model {self.name}"]
        lines += [f"  input  {t.name}: {t.dtype}{list(t.shape)}" for t in self.inputs]
        lines += [f"  output {t.name}: {t.dtype}{list(t.shape)}" for t in self.outputs]
        lines.append(f"  nodes {self.nodes}: " + ", ".join(f"{op} x{n}" for op, n in self.op_counts.items()))
        lines.append(f"  parameters {self.params:,} ({_mib(self.param_bytes)})")
        lines.append(f"  MACs {self.macs:,}")
        lines.append(
            f"  activations {_mib(self.activation_bytes)} in all, peak {_mib(self.activation_peak_bytes)} "
            "live in the current order"
        )
        return "\n".join(lines)


def summarize(graph: Graph) -> ModelSummary:
    def info(v) -> TensorInfo:  # type: ignore[no-untyped-def]
        return TensorInfo(v.name, v.dtype.value, v.shape)

    macs = sum(n.op.macs([v.type for v in n.inputs], [o.type for o in n.outputs], n.attrs) for n in graph.nodes)
    return ModelSummary(
        name=graph.name,
        inputs=tuple(info(v) for v in graph.inputs),
        outputs=tuple(info(v) for v in graph.outputs),
        nodes=len(graph.nodes),
        op_counts=graph.op_counts(),
        params=graph.param_count(),
        param_bytes=sum(v.type.nbytes for v in graph.constants.values()),
        macs=int(macs),
        activation_bytes=sum(o.type.nbytes for n in graph.nodes for o in n.outputs),
        activation_peak_bytes=activation_peak_bytes(graph),
    )


def _mib(n: int) -> str:
    return f"{n / 2**20:.2f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"
