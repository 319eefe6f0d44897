"""The two-party cost model: network settings as data, a layer's cost as rounds, bytes each way and
compute, and its latency on a network. Shared by the HE packing pass (linear layers) and the MPC
attention work (secret-shared non-linear layers).

    latency = rounds * RTT + (bytes up + bytes down) * 8 / bandwidth + compute

The network settings are Cheetah's (Huang et al., USENIX Security 2022): LAN 3 Gbps with 0.3 ms
round-trip time, WAN 400 Mbps with 40 ms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tessera.passes.private.layout import Layout


@dataclass(frozen=True)
class Network:
    """A link between client and server: bandwidth in bits per second, round-trip time in seconds."""

    name: str
    bandwidth_bps: float
    rtt_s: float


LAN = Network("LAN", 3e9, 0.3e-3)
WAN = Network("WAN", 400e6, 40e-3)
NETWORKS: tuple[Network, ...] = (LAN, WAN)


@dataclass(frozen=True)
class LayerCost:
    """What one layer (or a sum of layers) costs: communication rounds, bytes client -> server,
    bytes server -> client, and compute seconds (both parties, sequential)."""

    rounds: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    compute_s: float = 0.0

    @property
    def bytes_total(self) -> int:
        return self.bytes_up + self.bytes_down

    def latency(self, network: Network) -> float:
        """Seconds on `network`: rounds * RTT + bytes * 8 / bandwidth + compute."""
        return self.rounds * network.rtt_s + self.bytes_total * 8 / network.bandwidth_bps + self.compute_s

    def __add__(self, other: LayerCost) -> LayerCost:
        return LayerCost(
            self.rounds + other.rounds,
            self.bytes_up + other.bytes_up,
            self.bytes_down + other.bytes_down,
            self.compute_s + other.compute_s,
        )


def total(costs: Iterable[LayerCost]) -> LayerCost:
    """The sum of layer costs (layers run one after another: rounds add up)."""
    out = LayerCost()
    for cost in costs:
        out = out + cost
    return out


@dataclass(frozen=True)
class HeCosts:
    """Sizes and timings of BFV under Microsoft SEAL 4.x at N = 4096, coefficient modulus bit sizes
    [60, 33, 16] (109 bits; stock SEAL keeps the last prime for key switching), t = 2^37.

    Measured on the project's machines (2 shared cores, upper bounds; the anchors file
    shared/anchors/private-inference.md, "Running it for real"), with seal-python:
    - `fresh_ciphertext_bytes`: a fresh ciphertext as SEAL serializes it uncompressed (no
      compression in this wheel): 131,185 bytes; it is what the client uploads.
    - `returned_ciphertext_bytes`: after `mod_switch_to_next` (drops the 60-bit prime): 65,649 bytes;
      the server switches down before sending back.
    - `multiply_s`: ct x pt multiply with both in NTT form, 0.13 ms.
    - `encode_s`: one plaintext per multiply: writing SEAL's Plaintext layout and `load_bytes`
      (9 us) plus the plaintext's transform to NTT form (0.25 ms).
    - `encrypt_s`: symmetric encryption of one input polynomial, 1.4 ms (client).
    - `decrypt_s`: decryption of one returned ciphertext, 0.62 ms (client).
    """

    fresh_ciphertext_bytes: int = 131_185
    returned_ciphertext_bytes: int = 65_649
    multiply_s: float = 0.13e-3
    encode_s: float = 0.25e-3 + 9e-6
    encrypt_s: float = 1.4e-3
    decrypt_s: float = 0.62e-3

    def scaled_to(self, n: int) -> HeCosts:
        """The same figures for ring degree `n`, scaled linearly in n from the N = 4096 measurements
        (sizes and NTT-form work grow with n; a model, not a measurement, for n != 4096)."""
        k = n / 4096
        return HeCosts(
            round(self.fresh_ciphertext_bytes * k),
            round(self.returned_ciphertext_bytes * k),
            self.multiply_s * k,
            self.encode_s * k,
            self.encrypt_s * k,
            self.decrypt_s * k,
        )


SEAL_4096 = HeCosts()


def he_layer_cost(layout: Layout, costs: HeCosts | None = None) -> LayerCost:
    """One HE linear layer: one round (the client's ciphertexts up, the server's masked products
    down); up = input ciphertexts fresh, down = returned ciphertexts after mod switching; compute =
    encryptions + multiplies (each with its plaintext's encoding) + decryptions."""
    c = costs if costs is not None else SEAL_4096.scaled_to(layout.params.n)
    compute = (
        layout.input_ciphertexts * c.encrypt_s
        + layout.multiplies * (c.multiply_s + c.encode_s)
        + layout.returned_ciphertexts * c.decrypt_s
    )
    return LayerCost(
        rounds=1,
        bytes_up=layout.input_ciphertexts * c.fresh_ciphertext_bytes,
        bytes_down=layout.returned_ciphertexts * c.returned_ciphertext_bytes,
        compute_s=compute,
    )
