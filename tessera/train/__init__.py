"""Fine-tuning, distillation and quantization-aware training of Tessera graphs (needs PyTorch)."""

from tessera.train.finetune import FinetuneResult, finetune
from tessera.train.options import FinetuneOptions
from tessera.train.report import FinetuneReport

__all__ = ["FinetuneOptions", "FinetuneReport", "FinetuneResult", "finetune"]
