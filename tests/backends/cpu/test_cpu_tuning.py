"""MetaSchedule tuning: the database is written, and a second compile reuses it without tuning.

MetaSchedule's builder runs in process and its runner starts without torch (tessera/backends/cpu/msworkers.py):
about 35 s on the shared 2-core machine (it was 400 s before those fixes)."""

import numpy as np
import pytest
from _cpu_helpers import require_tvm

import tessera
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


def _conv_relu() -> Graph:
    g = Graph("tiny_conv")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, 4, 8, 8)))
    w = g.add_constant("w", np.random.default_rng(0).standard_normal((4, 4, 3, 3)).astype(np.float32))
    y = g.add_node(lookup("Conv"), [x, w], {"pads": (1, 1, 1, 1)}).output
    g.outputs.append(g.add_node(lookup("Relu"), [y]).output)
    return g


@pytest.mark.slow
def test_tuning_writes_and_reuses_the_database(tmp_path) -> None:
    require_tvm()
    options = {"tune": 2, "tuning_db": str(tmp_path / "db")}
    first = tessera.compile(_conv_relu(), target="cpu", passes=[], target_options=options)
    assert first.artifact.tuning.tuned == 1 and first.artifact.tuning.trials == 2
    assert (tmp_path / "db" / "database_tuning_record.json").stat().st_size > 0
    second = tessera.compile(_conv_relu(), target="cpu", passes=[], target_options=options)
    assert second.artifact.tuning.reused == second.artifact.tuning.tasks == 1
    assert second.artifact.tuning.trials == 0
    x = {"x": np.random.default_rng(1).standard_normal((1, 4, 8, 8)).astype(np.float32)}
    np.testing.assert_allclose(second.run(x)["relu"], execute(second.graph, x)["relu"], rtol=1e-4, atol=1e-5)
