"""Shared by the zoo tests: PyTorch is optional, so skip without it, except under CI=true (fail)."""

import importlib
import os
from types import ModuleType

import numpy as np
import pytest


def require(module: str) -> ModuleType:
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} is not installed")


def relative_error(have: np.ndarray, want: np.ndarray) -> float:
    """Largest absolute difference over the largest magnitude of `want`."""
    return float(np.abs(have.astype(np.float64) - want).max() / max(float(np.abs(want).max()), 1e-12))


def single_threaded_torch(torch: ModuleType):
    """Run torch on one thread: on a loaded 2-core machine its thread pool spins, costing up to
    10x the CPU time of the work itself."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
