"""Graph passes: the pass interface, the registry, and the passes (imported here to register)."""

from tessera.passes import (
    binarize,  # noqa: F401  (registers binarize, pack-binary)
    canonicalize,  # noqa: F401  (imported to register its passes)
    memory,  # noqa: F401  (registers memory-schedule, memory-plan)
    private,  # noqa: F401  (registers he-pack)
    quantize,  # noqa: F401  (registers quantize-int8)
    tiling,  # noqa: F401  (registers patch-based)
)
from tessera.passes.base import Pass, PassManager, PassRecord, PassResult, PipelineResult, Report
from tessera.passes.registry import DEFAULT_PIPELINE, available_passes, get_pass, register_pass

__all__ = [
    "DEFAULT_PIPELINE",
    "Pass",
    "PassManager",
    "PassRecord",
    "PassResult",
    "PipelineResult",
    "Report",
    "available_passes",
    "get_pass",
    "register_pass",
]
