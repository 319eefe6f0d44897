"""The he target: the linear layers of a graph run under Microsoft SEAL's BFV (seal-python, the
`he` extra) as its HE plan packs them, the rest in the clear. SEAL is imported only when the target
builds."""

from __future__ import annotations

from tessera.backends.he.run import LayerRun, measure_layers, run_he
from tessera.backends.he.target import HE_TARGET, HeArtifact, HeOptions

__all__ = ["HE_TARGET", "HeArtifact", "HeOptions", "LayerRun", "measure_layers", "run_he"]
