"""Which of ONNX's node conformance cases Tessera claims, and which it excludes and why.

A case is claimed when every op in it is in Tessera's registry (or handled by the importer). Every
claimed case must pass, except the exclusions below, each with its reason (unsupported dtypes only).
`python -m tessera.frontends.onnx_conformance` prints the per-op figures for docs/conformance.md.
"""

from __future__ import annotations

import functools
import re
import warnings

import onnx
from onnx.backend.test.case.node import collect_testcases

from tessera.frontends.onnx_import import FRONTEND_OPS
from tessera.ir.ops import lookup

# Case-name pattern (regex, matched against the case name without the _cpu suffix) -> reason.
EXCLUDED: dict[str, str] = {
    r"test_identity_(opt|sequence)": "optional and sequence types: Tessera graphs carry tensors only",
    r"test_training_dropout(_default)?(_mask)?": "training-mode Dropout with ratio > 0 draws random masks; "
    "Tessera compiles for inference (the ratio-0 training cases are claimed and pass)",
    r"test_(cast|castlike)_.*BFLOAT16.*": "bfloat16: Tessera has no bfloat16 dtype",
    r"test_\w*_(bf16|bfloat16)(_\w+)?": "bfloat16: Tessera has no bfloat16 dtype",
    r"test_(cast|castlike)_.*FLOAT8.*": "float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0): Tessera has no float8 dtypes",
    r"test_(cast|castlike)_.*FLOAT4E2M1.*": "float4e2m1: Tessera has no 4-bit float dtype",
    r"test_(cast|castlike)_(.*_)?U?INT4(_.*)?": "int4/uint4: Tessera has no 4-bit integer dtypes",
    r"test_(cast|castlike)_(.*_)?U?INT2(_.*)?": "int2/uint2: Tessera has no 2-bit integer dtypes",
    r"test_equal_string(_broadcast)?": "string tensors: Tessera has no string dtype",
    r"test_(de)?quantizelinear_(e4m3fn|e5m2|float4e2m1)(_\w+)?": "float8 / float4: Tessera has no such dtypes",
    r"test_(de)?quantizelinear_u?int(2|4|16)": "int2/int4/int16/uint16 quantization: Tessera quantizes to int8, "
    "uint8 and int32 only",
    r"test_(de)?quantizelinear_blocked(_\w+)?": "blocked quantization (block_size > 0) is not supported; "
    "the op raises a ShapeError saying so",
}


@functools.lru_cache(maxsize=1)
def node_cases() -> dict[str, frozenset[str]]:
    """{case name: op types used} for every node test case the onnx wheel generates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases()
    return {c.name: frozenset(n.op_type for n in c.model.graph.node) for c in cases if c.model is not None}


def supported(op_type: str) -> bool:
    return op_type in FRONTEND_OPS or lookup(op_type) is not None


def claimed_cases() -> list[str]:
    return sorted(name for name, ops in node_cases().items() if ops and all(supported(o) for o in ops))


def exclusion_reason(case: str) -> str | None:
    for pattern, reason in EXCLUDED.items():
        if re.fullmatch(pattern, case):
            return reason
    return None


def primary_op(case: str) -> str:
    """The op a case is about: the op of a one-node case, else the rarest op in it."""
    ops = node_cases()[case]
    if len(ops) == 1:
        return next(iter(ops))
    generic = {"Constant", "Identity", "Cast", "Shape", "Reshape", "Add", "Mul", "Sub", "Div"}
    rest = sorted(ops - generic) or sorted(ops)
    return rest[0]


def opset_of(model: onnx.ModelProto) -> int:
    return max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [0])
