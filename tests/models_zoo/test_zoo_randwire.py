"""The seeded Watts-Strogatz generator behind RandWire."""

import pytest
from conftest import TORCH, require

require("torch", TORCH)  # the randwire module defines torch modules too

from tessera.models_zoo.randwire import watts_strogatz  # noqa: E402


def test_ring_lattice_without_rewiring() -> None:
    edges = watts_strogatz(8, 4, 0.0, seed=0)
    assert edges == sorted({(min(u, (u + j) % 8), max(u, (u + j) % 8)) for u in range(8) for j in (1, 2)})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rewiring_keeps_the_edge_count_and_is_seeded(seed: int) -> None:
    edges = watts_strogatz(32, 4, 0.75, seed)
    assert len(edges) == 32 * 4 // 2
    assert all(u < v for u, v in edges)
    assert edges == watts_strogatz(32, 4, 0.75, seed)
    assert edges != watts_strogatz(32, 4, 0.75, seed + 10)
    assert edges != watts_strogatz(32, 4, 0.0, seed)
