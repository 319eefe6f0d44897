"""Run ONNX's node conformance cases through the cpu target and compare with the reference executor.

    PYTHONPATH=. python benchmarks/cpu_conformance.py [--per-op N] [--ops Conv,Resize]

Prints one line per failing case and a count per op; every claimed case whose reference run works
is compiled for the cpu target (each case is one TVM compile, so --per-op bounds the time).
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings

import numpy as np
from onnx.backend.test.case.node import collect_testcases

from tessera.backends.cpu.lower import lower
from tessera.backends.cpu.runtime import CpuModule, Signature
from tessera.backends.reference import execute
from tessera.frontends.onnx_backend import static_operand_inputs
from tessera.frontends.onnx_conformance import claimed_cases, exclusion_reason, primary_op
from tessera.frontends.onnx_import import load_onnx


def run_case(case) -> str | None:
    from tessera.backends.cpu.build import compile_module, host_target

    model = case.model
    init = {i.name for i in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in init]
    inputs, _ = case.data_sets[0]
    given = dict(zip(names, [np.asarray(x) for x in inputs]))
    static = static_operand_inputs(model)
    consts = {k: v for k, v in given.items() if k in static}
    feeds = {k: v for k, v in given.items() if k not in consts}
    graph = load_onnx(model, input_shapes={k: v.shape for k, v in feeds.items()}, constant_inputs=consts)
    try:
        want = execute(graph, feeds)
    except Exception:  # the reference cannot run it: not a cpu-target question
        return None
    module = CpuModule(compile_module(lower(graph), host_target()), Signature.of(graph, "cpu", None))
    got = module.run(feeds)
    for name, ref in want.items():
        if ref.dtype.kind == "f":
            ok = np.allclose(got[name], ref, rtol=1e-4, atol=1e-5, equal_nan=True)
        else:
            ok = np.array_equal(got[name], ref)
        if not ok or got[name].dtype != ref.dtype:
            return f"output {name}: mismatch (max diff {np.max(np.abs(got[name].astype(float) - ref.astype(float)))})"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-op", type=int, default=2, help="cases per op (default 2)")
    parser.add_argument("--ops", help="comma-separated op types (default: all)")
    args = parser.parse_args()
    wanted = set(args.ops.split(",")) if args.ops else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = {c.name: c for c in collect_testcases() if c.model is not None}
    per_op: dict[str, int] = collections.Counter()
    passed: dict[str, int] = collections.Counter()
    start = time.perf_counter()
    for name in claimed_cases():
        if exclusion_reason(name) or name.endswith("_expanded"):
            continue
        op = primary_op(name)
        if (wanted and op not in wanted) or per_op[op] >= args.per_op:
            continue
        try:
            result = run_case(cases[name])
        except Exception as err:  # report and go on: this script surveys
            result = f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"
        if result is None:
            continue
        per_op[op] += 1
        if result:
            print(f"FAIL {name} ({op}): {result}", flush=True)
        else:
            passed[op] += 1
    total, ok = sum(per_op.values()), sum(passed.values())
    print(f"{ok}/{total} cases pass over {len(per_op)} ops in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
