"""The Python API: load, run, compile, export_onnx."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx

from tessera.arguments import (
    calibration_list,
    check_arg,
    check_graph,
    check_names,
    check_optional,
    check_source,
    is_torch_module,
)
from tessera.backends.output import atomic_dir
from tessera.backends.targets import Artifact, get_target, write_json
from tessera.errors import ArgumentError, ModelLoadError, PassError, TesseraError
from tessera.frontends.onnx_export import export_onnx as _export_onnx
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.graph import Graph
from tessera.ir.summary import ModelSummary, summarize
from tessera.options import bound_fields
from tessera.passes import DEFAULT_PIPELINE, Pass, PassManager, PassRecord, Report, get_pass
from tessera.passes.base import R, find_report
from tessera.passes.quantize import QuantizeReport
from tessera.passes.quantize.qdq import qdq_form
from tessera.reports import render_html

if TYPE_CHECKING:
    from tessera.train import FinetuneOptions, FinetuneReport, FinetuneResult

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
    max_constant_bytes: int | None = None,
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
    max_constant_bytes: bytes of constants an ONNX import may materialize (initializers, external
    data, folded results); default TESSERA_MAX_CONSTANT_BYTES, else 1 GiB.
    """
    _check_load_args(source, input_shapes, constant_inputs, inputs, outputs)
    cut = bool(inputs) or bool(outputs)
    if cut and (isinstance(source, Graph) or is_torch_module(source)):
        raise ModelLoadError(
            f"{type(source).__name__}: inputs= / outputs= cut an ONNX model; pass an ONNX path, bytes or "
            "ModelProto (a Graph: tessera.export_onnx(graph) first)"
        )
    if isinstance(source, Graph):
        return source
    if is_torch_module(source):
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
    return load_onnx(source, input_shapes, constant_inputs, max_constant_bytes=max_constant_bytes)


def _check_load_args(source: Any, shapes: Any, consts: Any, inputs: Any, outputs: Any) -> None:
    f = "tessera.load"
    check_source(f, source)
    check_optional(f, "input_shapes", shapes, Mapping, "a dict {input name: shape}", 'input_shapes={"x": (1, 3, 8, 8)}')
    check_optional(f, "constant_inputs", consts, Mapping, "a dict {input name: array}", 'constant_inputs={"x": a}')
    check_names(f, "inputs", inputs)
    check_names(f, "outputs", outputs)


def run(graph: Graph, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a graph with the reference executor; inputs and outputs keyed by tensor name."""
    from tessera.backends.reference import execute

    check_graph("tessera.run", graph, "tessera.run(GRAPH, inputs)")
    return execute(graph, inputs)  # inputs: the check every run entry point makes


def export_onnx(graph: Graph) -> onnx.ModelProto:
    """The graph as an ONNX model (opset 21; Tessera-only ops in domain ai.tessera). int8 ops are
    written in QDQ form (DequantizeLinear -> float op -> QuantizeLinear) by the expand-qdq pass."""
    check_graph("tessera.export_onnx", graph, "tessera.export_onnx(GRAPH)")
    return _export_onnx(qdq_form(graph))


@dataclass
class CompileResult:
    """What `compile` produced: the compiled graph, one record per pass, what the target built, and
    the files written. `report(kind)` finds a report by type: the target's (e.g. McuReport) or a pass's
    (e.g. ArenaReport)."""

    graph: Graph
    target: str
    reports: list[PassRecord]
    summary: ModelSummary
    artifact: Artifact
    out_dir: Path | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def target_report(self) -> Report:
        """The target's figures for what it built (and ran, once `run` has)."""
        return self.artifact.report()

    def report(self, kind: type[R]) -> R | None:
        built = self.target_report
        return built if isinstance(built, kind) else find_report(self.reports, kind)

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> dict[str, np.ndarray]:
        """Run the built model on `inputs` (keyed by input name). Options are the target's own,
        e.g. `on="qemu"` for the MCU target."""
        return self.artifact.run(inputs, **options)

    def to_dict(self) -> dict[str, Any]:
        built = self.target_report
        return {
            "target": self.target,
            "model": self.summary.to_dict(),
            "built": {"report": type(built).__name__, **built.to_dict()},
            "passes": [r.to_dict() for r in self.reports],
            "out_dir": str(self.out_dir) if self.out_dir else None,
            "files": {k: str(v) for k, v in self.paths.items()},
        }

    def render_text(self) -> str:
        lines = [f"compiled {self.graph.name} for target {self.target}", self.summary.render_text()]
        built = self.target_report.render_text().strip()
        if built:
            lines.append(f"built for {self.target} (what the artifact allocates; the peak above counts no in-place):")
            lines += [f"  {line}" for line in built.splitlines()]
        lines.append("passes:")
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
    target_options: the target's own options (see `tessera targets`), Python values or CLI strings,
    checked before any work.
    calibration: input dicts for the pass that takes calibration data (`quantize-int8`).
    The target's own analysis inputs (the MCU kernels' in-place rules) are bound into the passes that
    take them (`memory-plan`), so they plan as the target builds.
    """
    _check_compile_args(source, target, passes, out_dir, target_options)
    samples = calibration_list("tessera.compile", calibration)
    tgt = get_target(target)
    options = tgt.make_options(target_options or {})
    graph = load(source, input_shapes, example_inputs=example_inputs, frontend=frontend).copy()
    names = DEFAULT_PIPELINE if passes is None else passes
    inputs = dict(tgt.bindings(options))
    if samples is not None:
        inputs["calibration"] = samples
    pipeline = [bind_inputs(_build_pass(p), inputs) for p in names]
    if samples is not None and not any("calibration" in bound_fields(type(p)).values() for p in pipeline):
        raise PassError(
            "calibration data was given but passes has no 'quantize-int8'; add it, e.g. passes=[..., 'quantize-int8']"
        )
    result = PassManager(pipeline, verify=verify).run(graph)
    built = tgt.build(result.graph, options)
    compiled = CompileResult(result.graph, target, result.records, summarize(result.graph), built)
    if out_dir is not None:
        _write(compiled, Path(out_dir))
    return compiled


def _check_compile_args(source: Any, target: Any, passes: Any, out_dir: Any, target_options: Any) -> None:
    f = "tessera.compile"
    check_source(f, source)
    check_arg(f, "target", target, str, "a target name", 'target="mcu" (`tessera targets` lists them)')
    if isinstance(passes, str):
        listed = [p for p in passes.split(",") if p]
        raise PassError(f"passes takes a list of pass names, not the string {passes!r}: write passes={listed!r}")
    check_optional(f, "passes", passes, Sequence, "a list of pass names or Pass objects", 'passes=["canonicalize"]')
    check_optional(f, "out_dir", out_dir, (str, os.PathLike), "a folder path", 'out_dir="build"')
    check_optional(
        f, "target_options", target_options, Mapping, "a dict {option: value}", 'target_options={"ram_kb": 256}'
    )


def _build_pass(p: str | Pass) -> Pass:
    if isinstance(p, Pass):
        return p
    if not isinstance(p, str):
        raise PassError(f"passes must be pass names or Pass objects, got {p!r}")
    return get_pass(p)


def bind_inputs(p: Pass, inputs: Mapping[str, Any]) -> Pass:
    """`p` with its bound fields (metadata "bind") that are unset filled from compile's `inputs`."""
    if not dataclasses.is_dataclass(p):
        return p
    values = {
        name: inputs[bind]
        for name, bind in bound_fields(type(p)).items()
        if bind in inputs and getattr(p, name) is None
    }
    return dataclasses.replace(p, **values) if values else p  # type: ignore[type-var]


def _write(compiled: CompileResult, out: Path) -> None:
    """The artifact's files, report.json and report.html, written whole into `out`; the reports list
    the final paths (they are written last, once every name is known)."""
    with atomic_dir(out) as tmp:
        written = compiled.artifact.write(tmp)
        written["report"] = tmp / "report.json"
        written["report_html"] = tmp / "report.html"
        compiled.out_dir = out
        compiled.paths = {k: out / p.name for k, p in written.items()}
        write_json(written["report"], compiled.to_dict())
        page = render_html(compiled, files=[p.name for p in compiled.paths.values()])
        written["report_html"].write_text(page, encoding="utf-8")


@dataclass
class QuantizeResult:
    """The int8 graph (runnable by `tessera.run`), the quantize-int8 report, and with `qat=` the
    report of the quantization-aware training that followed."""

    graph: Graph
    report: QuantizeReport
    qat: FinetuneReport | None = None


def quantize(
    source: Source,
    calibration: Iterable[Mapping[str, np.ndarray]] | None = None,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    canonicalize: bool = True,
    qat: FinetuneOptions | None = None,
    qat_data: object = None,
    **options: Any,
) -> QuantizeResult:
    """Static int8 post-training quantization (TFLite semantics) of a model.

    calibration: representative inputs, an iterable of {input name: array} (e.g. a zoo model's
    `sample_inputs(32)`); required unless `random_calibration=N` is given (flagged in the report).
    canonicalize: fold batch norms, constants and identities first (so more layers become int8).
    options: the pass's options: method ("minmax", "percentile", "mse"), percentile, eval_samples,
    random_calibration, seed, int8_io (True: int8 graph inputs and outputs, scale / zero point in
    `graph.io_qparams` and the report; "inputs" or "outputs" for one side).
    qat: quantization-aware training after the quantization (tessera.train.FinetuneOptions): the
    int8 graph trains as its float simulation to match the float graph (distillation; `qat_data`,
    default the calibration inputs, or examples with targets for the task loss). Needs PyTorch.
    """
    check_source("tessera.quantize", source)
    samples = calibration_list("tessera.quantize", calibration)
    graph = load(source, input_shapes).copy()
    if canonicalize:
        graph = PassManager([get_pass("canonicalize")]).run(graph).graph
    teacher = graph.copy() if qat is not None else None
    result = PassManager([get_pass("quantize-int8", calibration=samples, **options)]).run(graph)
    report = result.records[-1].report
    assert isinstance(report, QuantizeReport)
    if qat is None:
        return QuantizeResult(result.graph, report)
    data = qat_data if qat_data is not None else samples
    if data is None:
        raise ArgumentError("tessera.quantize: qat= trains on qat_data or the calibration inputs; give one of them")
    trained = _trainer()(result.graph, data, teacher=teacher, options=qat)
    return QuantizeResult(trained.graph, report, trained.report)


def finetune(
    source: Source,
    data: object,
    *,
    teacher: Source | None = None,
    eval_data: object = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    options: FinetuneOptions | None = None,
    **kwargs: Any,
) -> FinetuneResult:
    """Train a model's weights (a float or a quantized graph) and write them back into a copy.

    data: examples {input name: array, "target": array} (or (inputs, target) pairs), or a mapping of
    stacked arrays as an .npz holds them; inputs only when a teacher is given.
    teacher: a model to distill from (outputs, and every intermediate tensor the two share).
    eval_data: examples to measure the metric on (default: the training data).
    options / kwargs: tessera.train.FinetuneOptions: epochs, lr, batch_size, loss ("task", "distill"
    or a callable), optimizer, seed, features, progress, trainable, learn_scales, scale_lr. Needs PyTorch.
    """
    check_source("tessera.finetune", source)
    graph = load(source, input_shapes)
    teacher_graph = None if teacher is None else load(teacher, input_shapes)
    return _trainer()(graph, data, teacher=teacher_graph, eval_data=eval_data, options=options, **kwargs)


def _trainer() -> Any:
    try:
        from tessera.train import finetune as train
    except ImportError as err:
        raise TesseraError(f"fine-tuning runs on PyTorch: pip install 'tessera[train]' ({err})") from None
    return train


def _record_line(r: PassRecord) -> str:
    text = f"  {r.name:<18} {r.time_s * 1000:8.1f} ms  nodes {r.nodes_before} -> {r.nodes_after}"
    detail = r.report.render_text().strip()
    return text + "".join(f"\n    {line}" for line in detail.splitlines())
