"""The SEAL runtime under the he target: plaintexts written as SEAL's serialized layout round-trip,
one ct x pt product's shares add up to the exact negacyclic product, the sizes sent are the cost
model's, and what the runtime refuses."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import SEAL, require

from tessera.backends.he.seal_runtime import SealRuntime, import_seal
from tessera.errors import TargetError
from tessera.passes.private.layout import HeParams
from tessera.passes.private.network import SEAL_4096
from tessera.passes.private.poly import negacyclic_mul

PARAMS = HeParams()


@pytest.fixture(scope="module")
def runtime() -> SealRuntime:
    require("seal", SEAL)
    return SealRuntime(PARAMS, seed=3)


def test_plaintext_coefficients_round_trip(runtime: SealRuntime) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, PARAMS.t, PARAMS.n)
    a[:3] = [0, PARAMS.t - 1, PARAMS.t // 2]
    assert np.array_equal(runtime.coefficients(runtime.plaintext(a)), a)
    assert np.array_equal(runtime.decrypt(runtime.encrypt(a[None])), a[None])


def test_one_product_is_the_negacyclic_product(runtime: SealRuntime) -> None:
    rng = np.random.default_rng(1)
    t = PARAMS.t
    x = rng.integers(0, t, (1, PARAMS.n))
    k = np.mod(rng.integers(-(1 << 12), 1 << 12, PARAMS.n), t)  # a centred 12-bit weight polynomial
    ex = runtime.exchange(x, ((0, 0),), {(0, 0): k}, 1)
    assert np.array_equal(np.mod(ex.client + ex.server, t)[0], negacyclic_mul(x[0], k, t))
    assert not np.array_equal(ex.client[0], np.mod(ex.client + ex.server, t)[0])  # the client's share is masked


def test_sums_and_unreached_outputs(runtime: SealRuntime) -> None:
    rng = np.random.default_rng(2)
    t = PARAMS.t
    x = rng.integers(0, t, (2, PARAMS.n))
    k = {p: np.mod(rng.integers(-8, 8, PARAMS.n), t) for p in ((0, 0), (0, 1), (2, 1))}
    ex = runtime.exchange(x, tuple(k), k, 3)
    got = np.mod(ex.client + ex.server, t)
    assert np.array_equal(got[0], np.mod(negacyclic_mul(x[0], k[0, 0], t) + negacyclic_mul(x[1], k[0, 1], t), t))
    assert not got[1].any() and not ex.client[1].any()  # nothing reaches output 1: nothing is sent
    assert np.array_equal(got[2], negacyclic_mul(x[1], k[2, 1], t))
    assert ex.bytes_up == 2 * SEAL_4096.fresh_ciphertext_bytes
    assert ex.bytes_down == 2 * SEAL_4096.returned_ciphertext_bytes


def test_other_ring_degrees_are_refused() -> None:
    require("seal", SEAL)
    with pytest.raises(TargetError, match="N = 4096 only"):
        SealRuntime(HeParams(n=8192))


def test_without_seal_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "seal", None)  # import seal raises ImportError
    with pytest.raises(TargetError, match=r'pip install "tessera\[he\]"'):
        import_seal()
