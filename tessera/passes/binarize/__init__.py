"""Binarization: the `binarize` pass (XNOR, Bi-Real, SCALES) and `pack-binary` (bit-packed kernels)."""

from tessera.passes.binarize.binarize import Binarize
from tessera.passes.binarize.pack import PackBinary, PackBinaryReport
from tessera.passes.binarize.report import BinarizedLayer, BinarizeReport

__all__ = ["Binarize", "BinarizeReport", "BinarizedLayer", "PackBinary", "PackBinaryReport"]
