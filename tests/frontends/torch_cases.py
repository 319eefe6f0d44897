"""Shared by the PyTorch frontend tests: a numerics check against eager PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_numerics(module: Any, args: tuple, frontend: str = "export", rtol: float = 1e-4) -> Any:
    """Load `module` through `frontend`, run the graph with the reference executor, and compare every
    output with eager PyTorch: max |diff| <= rtol * max |reference| (and exact for integer and bool)."""
    import torch
    import torch.utils._pytree as pytree

    from tessera.backends.reference import execute
    from tessera.frontends.torch_import import load_torch

    module.eval()
    graph = load_torch(module, args, frontend=frontend)
    feeds = {v.name: a.numpy() for v, a in zip(graph.inputs, args)}
    got = execute(graph, feeds)
    with torch.no_grad():
        want = [t.numpy() for t in pytree.tree_leaves(module(*args))]
    assert len(got) == len(want)
    for (name, value), ref in zip(got.items(), want):
        assert value.shape == ref.shape and value.dtype == ref.dtype, name
        if ref.dtype.kind in "biu":
            np.testing.assert_array_equal(value, ref)
            continue
        scale = max(float(np.abs(ref).max()), 1e-6)
        err = float(np.abs(value.astype(np.float64) - ref).max()) / scale
        assert err <= rtol, f"{name}: relative error {err:.2e} > {rtol:.0e}"
    return graph
