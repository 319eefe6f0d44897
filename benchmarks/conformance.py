"""Runs ONNX's node conformance cases that Tessera claims and prints passed / failed / excluded per
op, with the total, as the table in docs/conformance.md. The same cases run under pytest in
tests/frontends/test_onnx_conformance.py; this script is for the figures.

    python benchmarks/conformance.py [--failures]
"""

from __future__ import annotations

import argparse
import collections
import warnings

import numpy as np
import onnx
from onnx.backend.test.case.node import collect_testcases
from onnx.backend.test.runner import Runner

from tessera.frontends.onnx_backend import TesseraBackend
from tessera.frontends.onnx_conformance import claimed_cases, exclusion_reason, node_cases, primary_op


def as_array(x):  # type: ignore[no-untyped-def]
    """In-memory cases hold some tensors as TensorProto (the pytest runner converts them too)."""
    return onnx.numpy_helper.to_array(x) if isinstance(x, onnx.TensorProto) else x


def run_case(case) -> str | None:  # type: ignore[no-untyped-def]
    """None when the case passes, else the error."""
    try:
        rep = TesseraBackend.prepare(case.model)
        for inputs, outputs in case.data_sets:
            got = rep.run([as_array(x) for x in inputs])
            outputs = [as_array(x) for x in outputs]
            Runner.assert_similar_outputs(outputs, got, rtol=case.rtol, atol=case.atol, model_dir=None)
    except Exception as err:  # a failing case is a result here, not a crash
        return f"{type(err).__name__}: {str(err).splitlines()[0][:160] if str(err) else ''}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failures", action="store_true", help="list each failing case with its error")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = {c.name: c for c in collect_testcases()}
        np.seterr(all="ignore")
        claimed = claimed_cases()
        rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        failures = []
        for name in claimed:
            op = primary_op(name)
            if exclusion_reason(name):
                rows[op]["excluded"] += 1
                continue
            error = run_case(cases[name])
            rows[op]["passed" if error is None else "failed"] += 1
            if error:
                failures.append((name, error))
    total = collections.Counter()
    print("| op | passed | failed | excluded |")
    print("|---|---:|---:|---:|")
    for op in sorted(rows):
        r = rows[op]
        total.update(r)
        print(f"| {op} | {r['passed']} | {r['failed']} | {r['excluded']} |")
    print(f"| **all {len(rows)} ops** | **{total['passed']}** | **{total['failed']}** | **{total['excluded']}** |")
    print(
        f"\nclaimed {len(claimed)} of {len(node_cases())} node cases in onnx {onnx.__version__}; "
        f"passed {total['passed']} / {len(claimed) - total['excluded']} run"
    )
    if args.failures:
        for name, error in failures:
            print(f"FAIL {name}: {error}")


if __name__ == "__main__":
    main()
