"""BERT encoders (Devlin et al. 2019) in the sizes MCUBERT runs on microcontrollers: word, position
and token-type embeddings + LayerNorm, post-norm encoder layers (attention with an additive mask,
GELU feed-forward), a tanh pooler on the first token and a classifier. Inputs: input_ids and
attention_mask, both (1, seq_len) int64; token types are all zero."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tessera.errors import TesseraError
from tessera.models_zoo.inputs import InputSpec
from tessera.models_zoo.vit import Attention

MAX_POSITIONS = 512


class EncoderLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, ff: int) -> None:
        super().__init__()
        self.attn = Attention(hidden, heads)
        self.norm1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ff = nn.Sequential(nn.Linear(hidden, ff), nn.GELU(), nn.Linear(ff, hidden))
        self.norm2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        x = self.norm1(x + self.attn(x, bias))
        return self.norm2(x + self.ff(x))


class Bert(nn.Module):
    zoo_outputs = ("logits",)

    def __init__(self, layers: int, hidden: int, heads: int, ff: int, vocab: int, seq_len: int, num_labels: int):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(MAX_POSITIONS, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.register_buffer("positions", torch.arange(seq_len).unsqueeze(0), persistent=False)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, ff) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, num_labels)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        x = self.word(input_ids) + self.position(self.positions) + self.token_type.weight[0]
        x = self.norm(x)
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


SIZES = {"bert-tiny": (2, 128, 2, 512), "bert-mini": (4, 256, 4, 1024)}


def bert(size: str, seq_len: int, vocab: int, num_labels: int) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    if not 1 <= seq_len <= MAX_POSITIONS or vocab < 2:
        raise TesseraError(f"zoo {size}: seq_len {seq_len} must be in 1..{MAX_POSITIONS} and vocab >= 2")
    layers, hidden, heads, ff = SIZES[size]
    model = Bert(layers, hidden, heads, ff, vocab, seq_len, num_labels)
    shape = (1, seq_len)
    return model, (InputSpec("input_ids", shape, "token-ids", vocab), InputSpec("attention_mask", shape, "mask"))


def bert_tiny(seq_len: int, vocab: int, num_labels: int) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    return bert("bert-tiny", seq_len, vocab, num_labels)


def bert_mini(seq_len: int, vocab: int, num_labels: int) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    return bert("bert-mini", seq_len, vocab, num_labels)
