"""Fuzz the ONNX loader: tessera.load on mutated small valid models, for a fixed time.

    python benchmarks/fuzz_onnx.py --seconds 60 [--engine atheris|seeded] [--seed N]

A crash is any exception that is not a TesseraError, an input that runs past --hang-seconds, or an
allocation past --memory-mb (the process's address space is capped, so it shows as a MemoryError).
Prints inputs tried, crashes, and the distinct findings (exception type and the frame that raised it).

Engines: `atheris` (coverage-guided libFuzzer, `pip install tessera[fuzz]`) with a custom mutator that
mixes the structure-aware mutations of fuzz_onnx_cases with atheris's byte mutations; `seeded` (no
coverage: a seeded random loop over the same mutations, for machines without atheris).
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import importlib
from collections.abc import Callable
from typing import Any

import fuzz_onnx_cases as cases


@dataclass(frozen=True)
class Target:
    """tessera.load and TesseraError, imported once the engine is known (atheris instruments them)."""

    load: Callable[..., Any]
    error: type[Exception]


def import_target(engine: str) -> Target:
    if engine == "atheris":
        import atheris

        with atheris.instrument_imports(include=["tessera"]):
            module = importlib.import_module("tessera")
    else:
        module = importlib.import_module("tessera")
    return Target(module.load, module.TesseraError)


class Hang(Exception):
    """The input ran past --hang-seconds."""


@dataclass
class Stats:
    tried: int = 0
    refused: int = 0  # TesseraError: the loader said what is wrong
    loaded: int = 0
    crashes: int = 0
    findings: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang("input ran past the hang limit")


def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    inside = [f for f in frames if "tessera" in f.filename] or frames
    last = inside[-1] if inside else None
    place = f"{Path(last.filename).name}:{last.lineno} {last.name}" if last else "?"
    return f"{type(err).__name__} at {place}"


def load_one(data: bytes, folder: Path, target: Target) -> None:
    """Load `data` as a file in `folder` (with a small w.bin beside it, for external data paths)."""
    path = folder / "model.onnx"
    path.write_bytes(data)
    target.load(path)


def check_one(data: bytes, folder: Path, stats: Stats, hang_seconds: int, target: Target) -> None:
    stats.tried += 1
    signal.alarm(hang_seconds)
    try:
        load_one(data, folder, target)
        stats.loaded += 1
    except target.error:
        stats.refused += 1
    except (Exception, Hang) as err:  # MemoryError and RecursionError are Exceptions too
        stats.crashes += 1
        key = _where(err)
        stats.findings[key] += 1
        stats.examples.setdefault(key, (data, f"{type(err).__name__}: {str(err)[:200]}"))
    finally:
        signal.alarm(0)


def seed_bytes() -> list[bytes]:
    return [m.SerializeToString() for m in cases.seeds()]


def next_input(corpus: list[bytes], rng: random.Random) -> bytes:
    data = rng.choice(corpus)
    if rng.random() < 0.25:
        return cases.mutate_bytes(data, rng)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:  # a byte-mutated corpus entry: mutate its bytes again
        return cases.mutate_bytes(data, rng)
    return cases.mutate_model(model, rng, rounds=rng.randint(1, 3)).SerializeToString()


def run_seeded(seconds: float, seed: int, folder: Path, stats: Stats, hang: int, target: Target) -> None:
    rng = random.Random(seed)
    corpus = seed_bytes()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        data = next_input(corpus, rng)
        check_one(data, folder, stats, hang, target)
        if len(corpus) < 500 and rng.random() < 0.05:
            corpus.append(data)


def run_atheris(seconds: float, seed: int, folder: Path, stats: Stats, hang: int, target: Target) -> None:
    """libFuzzer never returns and skips exit hooks: the callback ends the run (and reports) itself."""
    import atheris

    end = time.monotonic() + seconds

    corpus_dir = folder / "corpus"
    corpus_dir.mkdir()
    for i, data in enumerate(seed_bytes()):
        (corpus_dir / f"seed{i}.onnx").write_bytes(data)

    def mutator(data: bytes, max_size: int, mseed: int) -> bytes:
        rng = random.Random(mseed)
        if rng.random() < 0.3:
            return atheris.Mutate(data, max_size)
        try:
            return next_input([data] if data else seed_bytes(), rng)[:max_size]
        except (UnicodeDecodeError, ValueError, TypeError):  # the entry holds text that is not UTF-8
            return atheris.Mutate(data, max_size)

    def one(data: bytes) -> None:
        check_one(data, folder, stats, hang, target)
        if time.monotonic() > end:
            atexit._run_exitfuncs()  # the report, then the temporary folder
            os._exit(0)

    argv = [sys.argv[0], f"-seed={seed}", "-rss_limit_mb=0", str(corpus_dir)]
    atheris.Setup(argv, one, custom_mutator=mutator)
    atheris.Fuzz()


def cap_memory(megabytes: int) -> None:
    """Cap the address space at what is mapped now plus `megabytes`: a larger allocation fails."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    limit = mapped + megabytes * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def report(stats: Stats, seconds: float, engine: str) -> None:
    print(f"engine: {engine}; ran {seconds:.0f} s")
    print(f"inputs tried: {stats.tried} (loaded {stats.loaded}, refused with a TesseraError {stats.refused})")
    print(f"crashes: {stats.crashes}; distinct findings: {len(stats.findings)}")
    for key, count in stats.findings.most_common():
        print(f"  {count:6d} x {key}: {stats.examples[key][1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz (default 60)")
    parser.add_argument("--engine", choices=("atheris", "seeded"), default=None, help="default: atheris if installed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang-seconds", type=int, default=10, help="an input running longer is a crash")
    parser.add_argument("--memory-mb", type=int, default=2048, help="an allocation past this is a crash")
    parser.add_argument("--save", type=Path, default=None, help="write one input per finding to this folder")
    args = parser.parse_args(argv)
    engine = args.engine or ("atheris" if _has_atheris() else "seeded")
    warnings.simplefilter("ignore")  # onnx warns about every malformed external data key
    signal.signal(signal.SIGALRM, _on_alarm)
    stats = Stats()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tessera-fuzz-") as tmp:
        folder = Path(tmp)
        (folder / "w.bin").write_bytes(bytes(64))
        target = import_target(engine)
        cap_memory(args.memory_mb)
        # libFuzzer ends the process itself when its time is up: report from an exit hook
        atexit.register(finish, stats, start, engine, args.save)
        runner = run_atheris if engine == "atheris" else run_seeded
        runner(args.seconds, args.seed, folder, stats, args.hang_seconds, target)
    return 0


def finish(stats: Stats, start: float, engine: str, save: Path | None) -> None:
    report(stats, time.monotonic() - start, engine)
    if save:
        save.mkdir(parents=True, exist_ok=True)
        for i, (data, _) in enumerate(stats.examples.values()):
            (save / f"finding{i}.onnx").write_bytes(data)


def _has_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
