"""int8 post-training quantization: the `quantize-int8` pass and its parts."""

from tessera.passes.quantize.int8 import QuantizeInt8
from tessera.passes.quantize.report import QuantizeReport

__all__ = ["QuantizeInt8", "QuantizeReport"]
