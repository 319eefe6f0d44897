"""Output folders are written whole or not at all: files go to a temporary sibling folder that is
renamed into place only when everything succeeded."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tessera.errors import TargetError

MARKER = ".tessera-output"


@contextmanager
def atomic_dir(out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces `out_dir`. An existing `out_dir` is
    replaced only if it is empty or a previous Tessera output (it has the marker file)."""
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise TargetError(f"output path {out} exists and is not a folder; choose another -o")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise TargetError(
                f"output folder {out} exists and was not written by Tessera; remove it or choose another -o"
            )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    except OSError as err:
        raise TargetError(
            f"output folder {out}: cannot write into {out.parent} ({err.strerror or err}); choose another -o"
        ) from None
    try:
        yield tmp
        (tmp / MARKER).write_text("written by tessera\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
