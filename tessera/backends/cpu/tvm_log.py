"""TVM's C++ runtime logs to the process's stderr (file descriptor 2) with no switch to turn a
warning off: every save and load of a module prints "Warning: Scope Saving:" / "Scope Loaded:" per
function. `quiet_tvm()` captures fd 2 around such a call and writes back every line that is not one
of those known, content-free notices, so a real TVM warning or error still reaches the user.
MetaSchedule's task tables go to stdout through Python logging; `tvm_console_level()` keeps them to its
log files unless asked for. TESSERA_TVM_LOG=1 passes everything through."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

NOISE = ("Warning: Scope Saving:", "Warning: Scope Loaded:")  # vm/executable.cc, once per function


def verbose() -> bool:
    return os.environ.get("TESSERA_TVM_LOG", "") not in ("", "0")


def tvm_console_level() -> int:
    """The level MetaSchedule's console handler gets: its tables only with TESSERA_TVM_LOG=1."""
    return logging.DEBUG if verbose() else logging.WARNING


@contextmanager
def quiet_tvm() -> Iterator[None]:
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(True) if not _noise(line)]
            sys.stderr.write("".join(kept))


def _noise(line: str) -> bool:
    return any(line.rstrip().endswith(n) for n in NOISE)
