"""Every code block of the README and docs/ runs as written, so the examples cannot rot.

Each Markdown file's blocks run in order in one fresh folder (so a block may use what an earlier one
made): ```python blocks in one shared namespace, ```bash blocks with bash -e, the `tessera` and
`python` of this environment first on PATH. The folder holds the files the examples name (fixtures
below: a tiny CNN as model.onnx, its calibration and input .npz, a model with a dynamic dimension,
and the repository's benchmarks/ for the examples that run from the repository root).
Every fence must name its language (```text for output); a block that cannot run here says why in
a `<!-- docs-test: skip: REASON -->` line right above it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import MCU_TOOLS, SEAL, SKIMAGE, TORCH, TVM, require, require_tools
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNS = {"python", "bash"}
KNOWN = RUNS | {"text", "c", "json"}
SKIP = re.compile(r"<!--\s*docs-test:\s*skip:\s*(?P<reason>[^>]*?)\s*-->")
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")
NEEDS = {"torch": TORCH, "tvm": TVM}  # a block that imports or uses one skips without it (fails under CI)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m["lang"]
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
        prev = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        skip = SKIP.search(prev)
        found.append(Block(path, start + 1, lang, "\n".join(lines[start + 1 : i]), skip["reason"] if skip else None))
        i += 1
    return found


def test_every_fence_names_its_language() -> None:
    unnamed = [b.where() for p in DOCS for b in blocks(p) if b.lang not in KNOWN]
    assert not unnamed, f"fences with no (or an unknown) language; use one of {sorted(KNOWN)}: {unnamed}"


def test_every_skip_gives_a_reason() -> None:
    for p in DOCS:
        for b in blocks(p):
            assert b.skip is None or len(b.skip) > 10, f"{b.where()}: say why the block cannot run"


# ---- fixtures: the files the examples name ---------------------------------------------------------
def tiny_cnn() -> onnx.ModelProto:
    """input [1,3,32,32] -> Conv -> r1 -> Relu -> a -> Conv -> Relu -> GlobalAveragePool -> Flatten ->
    Gemm -> output [1,10]; the README's cut example names r1 and a."""
    rng = np.random.default_rng(0)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["r1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["r1"], ["a"]),
        helper.make_node("Conv", ["a", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["output"], transB=1),
    ]
    inits = [init("w1", 8, 3, 3, 3), init("b1", 8), init("w2", 16, 8, 3, 3), init("b2", 16)]
    inits += [init("w3", 10, 16), init("b3", 10)]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def dynamic_model() -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "dynamic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def prepare(folder: Path) -> None:
    rng = np.random.default_rng(0)
    onnx.save(tiny_cnn(), folder / "model.onnx")
    onnx.save(dynamic_model(), folder / "dynamic.onnx")
    np.savez(folder / "in.npz", input=rng.standard_normal((1, 3, 32, 32)).astype(np.float32))
    np.savez(folder / "cal.npz", input=rng.standard_normal((8, 1, 3, 32, 32)).astype(np.float32))
    train = rng.standard_normal((16, 1, 3, 32, 32)).astype(np.float32)
    np.savez(folder / "train.npz", input=train, target=rng.integers(0, 10, 16))
    (folder / "benchmarks").symlink_to(ROOT / "benchmarks")  # "from the repository root" examples


# ---- running -------------------------------------------------------------------------------------
def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


def _require_for(block: Block) -> None:
    if re.search(r"\bimport torch\b|\bzoo\b|tessera demo|finetune|to_torch", block.code):
        require("torch", TORCH)
    if "tessera.train import images" in block.code:
        require("skimage", SKIMAGE)
    if "--target cpu" in block.code or "backends import cpu" in block.code:
        require("tvm", TVM)
    if re.search(r'target="mcu"|--target mcu|tessera demo|make host', block.code):
        require_tools(["gcc", "make"], MCU_TOOLS)
    if re.search(r'target="he"|--target he', block.code):
        require("seal", SEAL)
    if 'on="qemu"' in block.code or "run-qemu" in block.code:
        require_tools(["arm-none-eabi-gcc", "qemu-system-arm"], MCU_TOOLS)


def run_block(block: Block, namespace: dict[str, object], folder: Path) -> None:
    _require_for(block)
    if block.lang == "python":
        code = compile(textwrap.dedent(block.code), block.where(), "exec")
        cwd = Path.cwd()
        os.chdir(folder)
        try:
            exec(code, namespace)  # the docs' own example, run as a reader would paste it
        finally:
            os.chdir(cwd)
        return
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],
        cwd=folder,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (
        f"{block.where()} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )


RUNNABLE = [p for p in DOCS if any(b.lang in RUNS and b.skip is None for b in blocks(p))]


def test_the_docs_have_examples_that_run() -> None:
    assert {ROOT / "README.md", ROOT / "docs" / "mcu.md", ROOT / "docs" / "quantization.md"} <= set(RUNNABLE)


@pytest.mark.slow
@pytest.mark.parametrize("path", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_the_blocks_run_as_written(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    prepare(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in (b for b in blocks(path) if b.lang in RUNS and b.skip is None):
        run_block(block, namespace, tmp_path)
