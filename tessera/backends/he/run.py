"""The `he` run: the fixed-point walker with every planned linear layer computed under SEAL, one
round per layer (tessera.backends.he.seal_runtime), and what each round measured.

The client encodes and encrypts its input polynomials, the server multiplies them by its weight
plaintexts and masks the sums, the client decrypts its share; the two shares are added here (mod t)
and decoded, so the next layers run on reconstructed values in the clear: the non-linear layers'
two-party protocols are neither run nor priced. With `check`, every layer's decoded output is
compared with the fixed-point reference (poly.layer_reference) and a mismatch raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tessera.backends.he.fixed_point import FixedPointInterpreter
from tessera.backends.he.seal_runtime import SealRuntime
from tessera.errors import TargetError
from tessera.ir.graph import Graph, Node
from tessera.passes.private.layout import HePlan, Layout
from tessera.passes.private.poly import layer_reference


@dataclass(frozen=True)
class LayerRun:
    """What one layer's SEAL round measured: serialized bytes each way, seconds of each step."""

    node: str
    bytes_up: int
    bytes_down: int
    encrypt_s: float
    server_s: float
    decrypt_s: float

    @property
    def compute_s(self) -> float:
        return self.encrypt_s + self.server_s + self.decrypt_s


class SealProduct:
    """A LinearCompute that runs the layer's packing under SEAL and records each round."""

    def __init__(self, runtime: SealRuntime, check: bool = True):
        self.runtime = runtime
        self.check = check
        self.runs: list[LayerRun] = []

    def __call__(self, node: Node, layout: Layout, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        t = layout.params.t
        ex = self.runtime.exchange(
            layout.encode_input(x), layout.pairs, layout.encode_weights(w), layout.returned_ciphertexts
        )
        y = layout.decode_output(np.mod(ex.client + ex.server, t))
        if self.check:
            want = layer_reference(layout, x, w)
            if not np.array_equal(y, want):
                raise TargetError(
                    f"layer {node.name!r}: SEAL's {layout.name} round decodes {int(np.sum(y != want))} of {want.size} "
                    "outputs unlike the fixed-point reference (decryption noise or a packing bug)"
                )
        self.runs.append(LayerRun(node.name, ex.bytes_up, ex.bytes_down, ex.encrypt_s, ex.server_s, ex.decrypt_s))
        return y


@dataclass(frozen=True)
class HeRun:
    """One inference under `he`: the outputs, each layer's round and each layer's peak bits."""

    outputs: dict[str, np.ndarray]
    layers: list[LayerRun]
    peak_bits: dict[str, int]


def run_he(graph: Graph, plan: HePlan, inputs: Mapping[str, np.ndarray], seed: int = 0, check: bool = True) -> HeRun:
    """Run `graph` with every planned linear layer under SEAL (fresh keys; masks drawn from `seed`)."""
    product = SealProduct(SealRuntime(plan.params, seed), check)
    walker = FixedPointInterpreter(graph, plan, product)
    outputs = walker.run(inputs)
    return HeRun(outputs, product.runs, walker.peak_bits)


def measure_layers(
    graph: Graph, plan: HePlan, inputs: Mapping[str, np.ndarray] | None = None, repeat: int = 1, check: bool = True
) -> list[LayerRun]:
    """Each planned layer's SEAL round, the fastest of `repeat` inferences (bytes do not vary).
    Without `inputs`, one standard normal input per graph input (seed 0). Layers run one at a
    time: only one layer's plaintexts and ciphertexts exist at once."""
    if inputs is None:
        rng = np.random.default_rng(0)
        inputs = {v.name: rng.standard_normal(v.shape).astype(v.dtype.numpy()) for v in graph.inputs}
    best: dict[str, LayerRun] = {}
    for r in range(repeat):
        for run in run_he(graph, plan, inputs, seed=r, check=check).layers:
            if run.node not in best or run.compute_s < best[run.node].compute_s:
                best[run.node] = run
    return list(best.values())
