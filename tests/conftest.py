import os
import shutil
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup

# How to get each optional dependency or tool: the `reason` given to require() / require_tools().
TORCH = "PyTorch is needed (pip install tessera[torch])"
TVM = "the cpu target needs Apache TVM (pip install tessera[tvm])"
ORT = "onnxruntime is needed to compare against (pip install tessera[ort])"
HF = "transformers is needed (pip install tessera[hf])"
ONNXSCRIPT = "torch's ONNX exporter needs onnxscript (pip install tessera[all])"
PLOTS = "the memory plot needs matplotlib (pip install tessera[plots])"
SKLEARN = "the digits data set needs scikit-learn (pip install tessera[test])"
SKIMAGE = "the super-resolution images need scikit-image (pip install tessera[train])"
SEAL = "the he target needs Microsoft SEAL's Python bindings (pip install 'tessera[he]')"
MCU_TOOLS = "apt-get install gcc make gcc-arm-none-eabi qemu-system-arm"


def under_ci() -> bool:
    """CI=true (any case): an optional dependency or tool that is missing fails instead of skipping."""
    return os.environ.get("CI", "").lower() == "true"


def require(module: str, reason: str) -> Any:
    """Import an optional dependency: skip with `reason` (say how to install it) when it is missing
    on a user's machine, fail under CI=true. The one place this rule lives; every test uses it."""
    if under_ci():
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module, reason=reason)


def require_tools(tools: Sequence[str], reason: str) -> None:
    """Skip when a command-line tool is missing (fail under CI=true); `reason` says how to install it."""
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)}: {reason}"
    if under_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def chain_graph() -> Graph:
    """x -> Add(x, b) -> Relu -> Mul(., x) -> y"""
    g = Graph("chain")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 3)))
    b = g.add_constant("b", np.full((3,), 0.5, np.float32))
    t = g.add_node(lookup("Add"), [x, b], name="add").output
    r = g.add_node(lookup("Relu"), [t], name="relu").output
    y = g.add_node(lookup("Mul"), [r, x], name="mul").output
    g.outputs.append(y)
    return g
