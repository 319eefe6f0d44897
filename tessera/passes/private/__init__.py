"""Private inference: HE packing of linear layers (the `he-pack` pass) and the two-party cost model."""

from tessera.passes.private.he_pack import HePack
from tessera.passes.private.he_report import HePackReport, PackedLayer, PackingCost

__all__ = ["HePack", "HePackReport", "PackedLayer", "PackingCost"]
