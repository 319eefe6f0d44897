"""Where a single output file goes, and writing it whole. Used by every option that writes one file
(`tessera zoo export -o`, `tessera run --save`) and by `tessera.zoo.export_onnx(model, path)`; and
reading the .npz files the command line takes (`read_npz`, `read_samples`).

The rule, the same everywhere: a path naming an existing folder, or ending in `/`, means "write the
default file name inside it"; missing parent folders are created (as `compile -o` does); anything that
still cannot be written is a TesseraError naming the path and what to do.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from tessera.errors import TesseraError


def read_npz(path: str | os.PathLike[str], what: str) -> dict[str, np.ndarray]:
    """The arrays of an .npz, keyed by name; never unpickled (an archive of objects is refused).
    `what` names the option in messages, e.g. "--inputs"."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except OSError as err:
        raise TesseraError(f"{what} {path}: cannot read it ({err.strerror or err})") from None
    except ValueError:
        raise TesseraError(
            f"{what} {path}: not an .npz of arrays; write one with np.savez(path, name=array, ...)"
        ) from None


def read_samples(path: str | os.PathLike[str], what: str) -> list[dict[str, np.ndarray]]:
    """An .npz of input samples (calibration) -> one dict per sample (axis 0 of every array indexes
    samples)."""
    arrays = read_npz(path, what)
    counts = {k: a.shape[0] if a.ndim else 0 for k, a in arrays.items()}
    if not arrays or len(set(counts.values())) != 1 or 0 in counts.values():
        raise TesseraError(
            f"{what} {path}: needs arrays keyed by input name, each (N, *input shape) with the same N "
            "samples stacked on a new first axis, "
            f"got {counts or 'no arrays'}"
        )
    return [{k: a[i] for k, a in arrays.items()} for i in range(next(iter(counts.values())))]


def output_file(path: str | os.PathLike[str], default_name: str, what: str) -> Path:
    """The file to write for `path` (`what` names the option or argument in messages, e.g. "-o")."""
    raw = os.fspath(path)
    out = Path(raw)
    if out.is_dir() or raw.endswith(("/", os.sep)):
        out = out / default_name
    if out.is_dir():
        raise TesseraError(f"{what} {raw}: {out} is a folder; give a file name, or remove that folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise TesseraError(
            f"{what} {raw}: cannot create the folder {out.parent} ({err.strerror or err}); choose another path"
        ) from None
    if not os.access(out.parent, os.W_OK):
        raise TesseraError(f"{what} {raw}: the folder {out.parent} is not writable; choose another path")
    return out


def write_file(path: Path, data: bytes, what: str) -> Path:
    """Write `data` to `path` whole: into a temporary sibling first, renamed into place."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o666 & ~_umask())  # as open() would have made it (mkstemp makes 0600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise TesseraError(f"{what} {path}: cannot write it ({err.strerror or err}); choose another path") from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
