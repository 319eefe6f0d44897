"""Canonicalization: passes that simplify a graph without changing what it computes."""

from tessera.passes.canonicalize.dce import DCEReport, DeadCodeElimination
from tessera.passes.canonicalize.fold_batchnorm import FoldBatchNormalization, FoldBatchNormReport
from tessera.passes.canonicalize.fold_constants import FoldConstants, FoldConstantsReport
from tessera.passes.canonicalize.pipeline import Canonicalize, CanonicalizeReport
from tessera.passes.canonicalize.remove_identity import RemoveIdentity, RemoveIdentityReport
from tessera.passes.canonicalize.simplify_shapes import SimplifyShapes, SimplifyShapesReport

__all__ = [
    "Canonicalize",
    "CanonicalizeReport",
    "DCEReport",
    "DeadCodeElimination",
    "FoldBatchNormReport",
    "FoldBatchNormalization",
    "FoldConstants",
    "FoldConstantsReport",
    "RemoveIdentity",
    "RemoveIdentityReport",
    "SimplifyShapes",
    "SimplifyShapesReport",
]
