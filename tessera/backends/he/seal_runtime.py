"""A thin layer over Microsoft SEAL (seal-python, SEAL 4.x) for the `he` target: BFV with
coefficient encoding, t = 2^plain_bits, and the three steps of one linear layer.

- client: `encrypt` each input polynomial (symmetric, with the secret key);
- server: `products` transforms the input ciphertexts and its weight plaintexts to NTT form, sums
  the ct x pt products of every returned ciphertext, transforms back, subtracts its random mask
  r_j (uniform mod t) and switches down to the next modulus (one 60-bit prime) before sending;
- client: `decrypt` its share y_j - r_j mod t. The server's share is r_j: the shares add up to
  the products mod t (additive secret sharing mod t, the convention Cheetah uses).

SEAL has no setter for a plaintext's coefficients and its hex-string constructor costs about 6.6 ms
per 4096 coefficients, so `plaintext` writes SEAL's own serialized Plaintext (below) and loads it
(about 9 us); `coefficients` reads a decrypted one back the same way. The layout, all little
endian: a SEALHeader (magic 0xA15E u16, header size 16 u8, version major u8, minor u8, compression
u8, reserved u16, total size u64), parms_id (4 x u64, zero: not NTT form), coeff_count u64, scale
f64, then the coefficient DynArray: its own SEALHeader, its size u64, the coefficients u64.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tessera.errors import TargetError
from tessera.passes.private.layout import HeParams

# Coefficient modulus bit sizes by ring degree: stock SEAL keeps the last prime for key switching,
# so N = 4096 uses [60, 33, 16] (109 bits, 128-bit secure) for a 93-bit data modulus.
COEFF_BITS: dict[int, tuple[int, ...]] = {4096: (60, 33, 16)}

_MAGIC, _HEADER = 0xA15E, 16
_PREFIX = _HEADER + 32 + 8 + 8 + _HEADER + 8  # bytes before the coefficients
INSTALL = 'the he target needs Microsoft SEAL\'s Python bindings: pip install "tessera[he]"'


def import_seal() -> Any:
    try:
        import seal
    except ImportError:
        raise TargetError(INSTALL) from None
    return seal


def check_params(params: HeParams) -> None:
    """TargetError unless the runtime has a coefficient modulus for the plan's ring degree."""
    if params.n not in COEFF_BITS:
        raise TargetError(
            f"the he target runs BFV at N = {', '.join(map(str, COEFF_BITS))} only (its coefficient modulus "
            f"is chosen for that degree), got n = {params.n}; plan with n=4096"
        )


def _header(size: int, major: int, minor: int) -> np.ndarray:
    """A SEALHeader (no compression) as two u64 words."""
    word = _MAGIC | (_HEADER << 16) | (major << 24) | (minor << 32)
    return np.array([word, size], dtype=np.uint64)


@dataclass(frozen=True)
class Exchange:
    """One layer's round: the client's share of the returned polynomials, the server's share, the
    serialized bytes each way and the seconds of each step."""

    client: np.ndarray  # (returned, N) in [0, t)
    server: np.ndarray  # (returned, N) in [0, t)
    bytes_up: int
    bytes_down: int
    encrypt_s: float  # client: plaintexts of its input polynomials, symmetric encryption
    server_s: float  # server: plaintexts, NTTs, products, sums, masks, mod switching
    decrypt_s: float  # client: decryption of its share


@dataclass
class SealRuntime:
    """One client (secret key, encryptor, decryptor) and one server (evaluator) sharing a SEAL
    context. `seed` draws the server's masks; SEAL's own randomness (keys, encryption noise) comes
    from the system's, which seal-python does not let us seed."""

    params: HeParams
    seed: int = 0

    def __post_init__(self) -> None:
        p = self.params
        check_params(p)
        seal = self._seal = import_seal()
        parms = seal.EncryptionParameters(seal.scheme_type.bfv)
        parms.set_poly_modulus_degree(p.n)
        parms.set_coeff_modulus(seal.CoeffModulus.Create(p.n, list(COEFF_BITS[p.n])))
        parms.set_plain_modulus(p.t)
        self.context = seal.SEALContext(parms)
        if not self.context.parameters_set():
            raise TargetError(
                f"SEAL refuses BFV with N = {p.n}, t = 2^{p.plain_bits}: {self.context.parameter_error_message()}"
            )
        secret = seal.KeyGenerator(self.context).secret_key()
        self.encryptor = seal.Encryptor(self.context, secret)
        self.decryptor = seal.Decryptor(self.context, secret)
        self.evaluator = seal.Evaluator(self.context)
        self.rng = np.random.default_rng(self.seed)
        major, minor = (int(v) for v in seal.__version__.split(".")[:2])
        n = p.n
        self._template = np.zeros(_PREFIX // 8 + n, dtype=np.uint64)
        self._template[0:2] = _header(_PREFIX + 8 * n, major, minor)
        self._template[6] = n  # coeff_count (words 2..5 are the zero parms_id)
        self._template[7] = np.float64(1.0).view(np.uint64)  # scale
        self._template[8:10] = _header(_HEADER + 8 + 8 * n, major, minor)
        self._template[10] = n

    # Plaintexts from and to int64 coefficients

    def plaintext(self, coeffs: np.ndarray) -> Any:
        """A SEAL Plaintext (coefficient form) holding `coeffs` (N,) in [0, t)."""
        words = self._template.copy()
        words[_PREFIX // 8 :] = np.asarray(coeffs, dtype=np.int64).view(np.uint64)
        pt = self._seal.Plaintext()
        pt.load_bytes(self.context, words.tobytes())
        return pt

    def coefficients(self, pt: Any) -> np.ndarray:
        """A coefficient-form Plaintext's N coefficients as int64 (SEAL may keep fewer: the rest are 0)."""
        raw = pt.to_bytes()
        count = int(np.frombuffer(raw, dtype=np.uint64, count=1, offset=48)[0])
        out = np.zeros(self.params.n, dtype=np.int64)
        out[:count] = np.frombuffer(raw, dtype=np.int64, count=count, offset=_PREFIX)
        return out

    # The client

    def encrypt(self, polys: np.ndarray) -> list[Any]:
        """Encrypt every row of `polys` (k, N) in [0, t)."""
        return [self.encryptor.encrypt_symmetric(self.plaintext(p)) for p in polys]

    def decrypt(self, cts: list[Any | None]) -> np.ndarray:
        """The (k, N) coefficients of each ciphertext's decryption in [0, t); a None row is 0."""
        out = np.zeros((len(cts), self.params.n), dtype=np.int64)
        for j, ct in enumerate(cts):
            if ct is not None:
                out[j] = self.coefficients(self.decryptor.decrypt(ct))
        return out

    # The server

    def products(
        self,
        cts: list[Any],
        pairs: tuple[tuple[int, int], ...],
        plaintexts: dict[tuple[int, int], np.ndarray],
        returned: int,
    ) -> tuple[list[Any | None], np.ndarray]:
        """returned[j] = sum over pairs (j, i) of cts[i] * K[j, i] - r_j, mod-switched down (None
        where no pair reaches j: nothing is sent, both shares are 0); and the masks r (returned, N),
        the server's share."""
        ev, first = self.evaluator, self.context.first_parms_id()
        inputs = [ev.transform_to_ntt(ct) for ct in cts]
        sums: list[Any] = [None] * returned
        for j, i in pairs:
            pt = self.plaintext(plaintexts[(j, i)])
            ev.transform_to_ntt_inplace(pt, first)
            product = ev.multiply_plain(inputs[i], pt)
            if sums[j] is None:
                sums[j] = product
            else:
                ev.add_inplace(sums[j], product)
        masks = self.rng.integers(0, self.params.t, (returned, self.params.n), dtype=np.int64)
        for j, ct in enumerate(sums):
            if ct is None:
                masks[j] = 0
                continue
            ev.transform_from_ntt_inplace(ct)
            ev.sub_plain_inplace(ct, self.plaintext(masks[j]))
            ev.mod_switch_to_next_inplace(ct)
        return sums, masks

    def exchange(
        self,
        polys: np.ndarray,
        pairs: tuple[tuple[int, int], ...],
        plaintexts: dict[tuple[int, int], np.ndarray],
        returned: int,
    ) -> Exchange:
        """One layer's round: encrypt `polys`, the server's masked products, the client's decryption."""
        clock = [time.perf_counter()]
        cts = self.encrypt(polys)
        clock.append(time.perf_counter())
        back, masks = self.products(cts, pairs, plaintexts, returned)
        clock.append(time.perf_counter())
        client = self.decrypt(back)
        clock.append(time.perf_counter())
        up = sum(serialized_bytes(ct) for ct in cts)
        down = sum(serialized_bytes(ct) for ct in back if ct is not None)
        encrypt_s, server_s, decrypt_s = np.diff(clock).tolist()
        return Exchange(client, masks, up, down, encrypt_s, server_s, decrypt_s)


def serialized_bytes(ct: Any) -> int:
    """What sending `ct` costs: the length of SEAL's serialization of it (uncompressed)."""
    return len(ct.to_string())
