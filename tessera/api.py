"""The Python API: load, run, compile, export_onnx."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from tessera.backends.output import atomic_dir
from tessera.backends.targets import Artifact, get_target, write_json
from tessera.errors import ModelLoadError, PassError
from tessera.frontends.onnx_export import export_onnx as _export_onnx
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.graph import Graph
from tessera.ir.summary import ModelSummary, summarize
from tessera.passes import DEFAULT_PIPELINE, Pass, PassManager, PassRecord, get_pass
from tessera.passes.quantize import QuantizeReport
from tessera.reports import render_html

Source = Graph | str | os.PathLike[str] | bytes | onnx.ModelProto


def load(
    source: Source,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    *,
    constant_inputs: Mapping[str, np.ndarray] | None = None,
    example_inputs: Any = None,
    frontend: str = "export",
    inputs: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
) -> Graph:
    """Load a model into a verified Tessera graph.

    source: an ONNX path, ONNX bytes, an onnx.ModelProto, "light:NAME" for a model bundled with
    the onnx wheel, or a Graph (returned as is).
    input_shapes: pins dynamic input dimensions, e.g. {"input": (1, 3, 224, 224)}.
    constant_inputs: graph inputs to replace with constants (folded at import).
    inputs / outputs: tensor names of an ONNX model to cut it at: only the part from `inputs` to
    `outputs` is loaded (onnx-graphsurgeon; either may be None to keep the model's own).
    A torch.nn.Module source needs `example_inputs` (a tensor or a tuple of tensors) and may pick
    `frontend="export"` (torch.export, the default) or `"onnx"` (torch.onnx.export); see docs/pytorch.md.
    """
    cut = bool(inputs) or bool(outputs)
    if cut and (isinstance(source, Graph) or _is_torch_module(source)):
        raise ModelLoadError(
            f"{type(source).__name__}: inputs= / outputs= cut an ONNX model; pass an ONNX path, bytes or "
            "ModelProto (a Graph: tessera.export_onnx(graph) first)"
        )
    if isinstance(source, Graph):
        return source
    if _is_torch_module(source):
        from tessera.frontends.torch_import import load_torch

        if example_inputs is None:
            raise ModelLoadError(f"{type(source).__name__}: a PyTorch module needs example_inputs=(tensor, ...)")
        return load_torch(source, example_inputs, frontend=frontend)
    if isinstance(source, str) and source.startswith("light:"):
        from tessera.models_zoo.light import light_model_path

        source = str(light_model_path(source.removeprefix("light:")))
    if cut:
        from tessera.frontends.onnx_cut import cut_onnx

        source = cut_onnx(source, inputs, outputs)
    return load_onnx(source, input_shapes, constant_inputs)


def _is_torch_module(source: object) -> bool:
    torch = sys.modules.get("torch")  # a module instance means torch is imported already
    return torch is not None and isinstance(source, torch.nn.Module)


def run(graph: Graph, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a graph with the reference executor; inputs and outputs keyed by tensor name."""
    from tessera.backends.reference import execute

    return execute(graph, inputs)


def export_onnx(graph: Graph) -> onnx.ModelProto:
    """The graph as an ONNX model (opset 21; Tessera-only ops in domain ai.tessera)."""
    return _export_onnx(graph)


@dataclass
class CompileResult:
    """What `compile` produced: the compiled graph, one record per pass, the files written."""

    graph: Graph
    target: str
    reports: list[PassRecord]
    summary: ModelSummary
    artifact: Artifact
    out_dir: Path | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> dict[str, np.ndarray]:
        """Run the built model on `inputs` (keyed by input name). Options are the target's own,
        e.g. `on="qemu"` for the MCU target."""
        return self.artifact.run(inputs, **options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "model": self.summary.to_dict(),
            "passes": [r.to_dict() for r in self.reports],
            "out_dir": str(self.out_dir) if self.out_dir else None,
            "files": {k: str(v) for k, v in self.paths.items()},
        }

    def render_text(self) -> str:
        lines = [f"compiled {self.graph.name} for target {self.target}", self.summary.render_text(), "passes:"]
        lines += [_record_line(r) for r in self.reports]
        if self.out_dir:
            lines.append(f"wrote {self.out_dir}: " + ", ".join(p.name for p in self.paths.values()))
        return "\n".join(lines)


def compile(
    source: Source,
    target: str = "reference",
    passes: Sequence[str | Pass] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    target_options: Mapping[str, Any] | None = None,
    verify: bool = True,
    example_inputs: Any = None,
    frontend: str = "export",
    calibration: Iterable[Mapping[str, np.ndarray]] | None = None,
) -> CompileResult:
    """Load `source`, run the pass pipeline (default: canonicalization), and build for `target`.

    passes: pass names or Pass objects, in order; None means the default pipeline.
    out_dir: where the target writes its files (written whole or not at all).
    target_options: the target's own options (see `tessera targets`), checked before any work.
    calibration: input dicts for the `quantize-int8` pass named in `passes`.
    """
    tgt = get_target(target)
    options = dict(target_options or {})
    tgt.check_options(options)
    graph = load(source, input_shapes, example_inputs=example_inputs, frontend=frontend).copy()
    names = DEFAULT_PIPELINE if passes is None else passes
    pipeline = [_build_pass(p, calibration) for p in names]
    if calibration is not None and not any(getattr(p, "name", None) == "quantize-int8" for p in pipeline):
        raise PassError(
            "calibration data was given but passes has no 'quantize-int8'; add it, e.g. passes=[..., 'quantize-int8']"
        )
    if not all(isinstance(p, Pass) for p in pipeline):
        raise PassError("passes must be pass names or Pass objects")
    result = PassManager(pipeline, verify=verify).run(graph)
    compiled = CompileResult(
        result.graph, target, result.records, summarize(result.graph), tgt.build(result.graph, options)
    )
    if out_dir is not None:
        with atomic_dir(out_dir) as tmp:
            written = compiled.artifact.write(tmp)
            write_json(tmp / "report.json", compiled.to_dict())
            written["report"] = tmp / "report.json"
            html = render_html(compiled, files=[p.name for p in written.values()] + ["report.html"])
            (tmp / "report.html").write_text(html, encoding="utf-8")
            written["report_html"] = tmp / "report.html"
        compiled.out_dir = Path(out_dir)
        compiled.paths = {k: compiled.out_dir / p.name for k, p in written.items()}
    return compiled


def _build_pass(p: str | Pass, calibration: Iterable[Mapping[str, np.ndarray]] | None) -> Pass:
    if isinstance(p, Pass):
        if p.name == "quantize-int8" and calibration is not None and getattr(p, "calibration", None) is None:
            return dataclasses.replace(p, calibration=list(calibration))  # type: ignore[type-var]
        return p
    if p == "quantize-int8" and calibration is not None:
        return get_pass(p, calibration=list(calibration))
    return get_pass(p)


@dataclass
class QuantizeResult:
    """The int8 graph (runnable by `tessera.run`) and the quantize-int8 report."""

    graph: Graph
    report: QuantizeReport


def quantize(
    source: Source,
    calibration: Iterable[Mapping[str, np.ndarray]] | None = None,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    canonicalize: bool = True,
    **options: Any,
) -> QuantizeResult:
    """Static int8 post-training quantization (TFLite semantics) of a model.

    calibration: representative inputs, an iterable of {input name: array} (e.g. a zoo model's
    `sample_inputs(32)`); required unless `random_calibration=N` is given (flagged in the report).
    canonicalize: fold batch norms, constants and identities first (so more layers become int8).
    options: the pass's options: method ("minmax", "percentile", "mse"), percentile, eval_samples,
    random_calibration, seed, int8_io (True: int8 graph inputs and outputs, scale / zero point in
    `graph.io_qparams` and the report; "inputs" or "outputs" for one side).
    """
    graph = load(source, input_shapes).copy()
    steps: list[Pass] = [get_pass("canonicalize")] if canonicalize else []
    steps.append(get_pass("quantize-int8", calibration=None if calibration is None else list(calibration), **options))
    result = PassManager(steps).run(graph)
    report = result.records[-1].report
    assert isinstance(report, QuantizeReport)
    return QuantizeResult(result.graph, report)


def _record_line(r: PassRecord) -> str:
    text = f"  {r.name:<18} {r.time_s * 1000:8.1f} ms  nodes {r.nodes_before} -> {r.nodes_after}"
    detail = r.report.render_text().strip()
    return text + "".join(f"\n    {line}" for line in detail.splitlines())
