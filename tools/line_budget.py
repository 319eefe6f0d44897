"""Fail when a Python file tracked by git is longer than the budget (400 lines: split along a seam).

Usage: python tools/line_budget.py [--max N]. Prints every file over the budget and exits 1, else 0.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_files(root: Path) -> list[Path]:
    """The repository's Python files: tracked by git when this is a checkout, else every *.py."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode == 0:
        return [root / line for line in listed.stdout.splitlines() if (root / line).is_file()]
    return [p for p in root.rglob("*.py") if ".venv" not in p.parts]


def over_budget(root: Path, limit: int) -> list[tuple[str, int]]:
    lengths = (
        (p.relative_to(root).as_posix(), len(p.read_text(encoding="utf-8").splitlines())) for p in python_files(root)
    )
    return sorted((name, n) for name, n in lengths if n > limit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=400, help="the most lines a Python file may have")
    args = parser.parse_args(argv)
    offenders = over_budget(ROOT, args.max)
    for name, n in offenders:
        print(f"{name}: {n} lines (budget {args.max}): split it along a seam")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
