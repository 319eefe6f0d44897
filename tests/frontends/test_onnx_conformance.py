"""ONNX's node conformance suite, run for every case whose ops are all in Tessera's registry.

Exclusions (with reasons) live in tessera.frontends.onnx_conformance.EXCLUDED.
"""

import onnx.backend.test
import pytest

from tessera.frontends.onnx_backend import TesseraBackend
from tessera.frontends.onnx_conformance import EXCLUDED, claimed_cases

pytestmark = pytest.mark.conformance

_backend_test = onnx.backend.test.BackendTest(TesseraBackend, __name__)
_claimed = claimed_cases()
_backend_test.include("^(" + "|".join(_claimed) + ")_cpu$")
for _pattern in EXCLUDED:
    _backend_test.exclude(f"^(?:{_pattern})_cpu$")


def _claimed_only(cases: dict) -> dict:
    """Drop the generated methods of unclaimed cases, so they are not reported as skips."""
    wanted = {f"test_{name[len('test_') :]}_cpu" for name in _claimed}
    for cls in cases.values():
        for attr in [a for a in vars(cls) if a.startswith("test_") and a not in wanted]:
            delattr(cls, attr)
    return {k: v for k, v in cases.items() if any(a.startswith("test_") for a in vars(v))}


globals().update(_claimed_only(_backend_test.test_cases))


def test_conformance_claims_cases() -> None:
    assert len(_claimed) > 0
