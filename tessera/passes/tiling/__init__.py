"""Tiling passes: patch-based inference for MCUs (MCUNetV2)."""

from tessera.passes.tiling.patch import PatchBased, PatchReport, candidate_cuts, patch_graph

__all__ = ["PatchBased", "PatchReport", "candidate_cuts", "patch_graph"]
