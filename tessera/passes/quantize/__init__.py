"""int8 post-training quantization: the `quantize-int8` pass and its parts, and `expand-qdq`."""

from tessera.passes.quantize.int8 import QuantizeInt8
from tessera.passes.quantize.qdq import ExpandQdq, ExpandQdqReport
from tessera.passes.quantize.report import QuantizeReport

__all__ = ["ExpandQdq", "ExpandQdqReport", "QuantizeInt8", "QuantizeReport"]
