"""Reading ONNX models safely: paths, bytes or ModelProto; external data confined to the model's
folder; structural checks; old opsets lifted to opset 13 with onnx's version converter."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError
from onnx import external_data_helper, version_converter

from tessera.errors import ModelLoadError
from tessera.frontends.onnx_budget import LoadBudget, tensor_proto_nbytes
from tessera.frontends.onnx_types import ONNX_TO_DTYPE

OLDEST_OPSET = 1  # onnx.version_converter lifts any older opset; it reports what it cannot convert
UPGRADE_BELOW = 13  # models older than this are converted to opset 13 before import
NEWEST_OPSET = onnx.defs.onnx_opset_version()

Source = str | os.PathLike[str] | bytes | onnx.ModelProto


def read_model(source: Source, budget: LoadBudget | None = None) -> tuple[onnx.ModelProto, str]:
    """Return the model (external data loaded, opset lifted) and a display name for errors.
    External data is read only when its declared size fits `budget`'s constant budget."""
    budget = budget or LoadBudget.resolve()
    if isinstance(source, onnx.ModelProto):
        model, label, base = source, source.graph.name or "<ModelProto>", None
    elif isinstance(source, bytes | bytearray):
        model, label, base = _parse(bytes(source), "<bytes>"), "<bytes>", None
    else:
        path = Path(source)
        label = str(path)
        if path.is_dir():
            raise ModelLoadError(_folder_message(path))
        if not path.is_file():
            raise ModelLoadError(f"{label}: no such model file")
        model, base = _parse(path.read_bytes(), label), path.resolve().parent
    _load_external_data(model, base, label, budget)
    return _lift_opset(model, label), label


def _folder_message(folder: Path) -> str:
    """A folder given as the model: say so, and name the .onnx files it holds."""
    try:
        found = sorted(p for p in folder.iterdir() if p.suffix == ".onnx" and p.is_file())
    except OSError:
        found = []
    if not found:
        return f"{folder} is a folder, not an ONNX model file, and holds no .onnx file; give the model's file path"
    names = ", ".join(str(p) for p in found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")
    one = "" if len(found) == 1 else "one of "
    return f"{folder} is a folder, not an ONNX model file; did you mean {one}{names}?"


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeWarning, ValueError) as err:
        raise ModelLoadError(f"{label}: not a valid ONNX file ({err}); is it truncated or another format?") from None
    if not model.HasField("graph") or not model.opset_import:
        raise ModelLoadError(f"{label}: not a valid ONNX model (no graph or no opset_import); is the file truncated?")
    return model


def _load_external_data(model: onnx.ModelProto, base: Path | None, label: str, budget: LoadBudget) -> None:
    tensors = [t for t in external_data_helper._get_all_tensors(model) if external_data_helper.uses_external_data(t)]
    if not tensors:
        return
    if base is None:
        raise ModelLoadError(f"{label}: the model keeps weights in external files; load it from its path instead")
    total = 0
    for tensor in tensors:
        info = _external_info(tensor, label)
        what = f"{label}: external data of tensor {tensor.name!r}"
        size = tensor_proto_nbytes(tensor, what)
        budget.check_constant(size, what, total)
        total += size
        target = (base / info.location).resolve()
        if os.path.isabs(info.location) or not target.is_relative_to(base):
            raise ModelLoadError(
                f"{label}: tensor {tensor.name!r} points its external data at {info.location!r}, "
                f"outside the model's folder {base}; refusing to read it"
            )
        if not target.is_file():
            raise ModelLoadError(f"{label}: external data file {info.location!r} of tensor {tensor.name!r} is missing")
        file_size = target.stat().st_size
        if (info.offset is not None and info.offset > file_size) or (
            info.length and (info.offset or 0) + info.length > file_size
        ):
            raise ModelLoadError(
                f"{label}: external data of tensor {tensor.name!r} runs past the end of {info.location!r}"
            )
        if tensor.data_type in ONNX_TO_DTYPE:  # other types are refused by name at import
            _check_stored_size(info, file_size, size, what)
    try:
        external_data_helper.load_external_data_for_model(model, str(base))
    except (OSError, ValueError) as err:
        raise ModelLoadError(f"{label}: could not read external data: {err}") from None


def _external_info(tensor: onnx.TensorProto, label: str) -> external_data_helper.ExternalDataInfo:
    try:
        info = external_data_helper.ExternalDataInfo(tensor)
    except (ValueError, TypeError) as err:
        raise ModelLoadError(
            f"{label}: tensor {tensor.name!r} has a malformed external_data entry ({err}); "
            "offset and length must be integers"
        ) from None
    if not isinstance(info.location, str) or not info.location or "\0" in info.location:
        raise ModelLoadError(
            f"{label}: tensor {tensor.name!r} has an external data location {info.location!r} that is "
            "empty, holds a NUL byte or is not UTF-8 text; give the file name relative to the model"
        )
    return info


def _check_stored_size(info: external_data_helper.ExternalDataInfo, file_size: int, declared: int, what: str) -> None:
    """The bytes onnx would read (length, else the rest of the file) must be the declared size, so a
    tensor that claims a small shape cannot make the reader load a large file."""
    stored = info.length if info.length else file_size - (info.offset or 0)
    if stored != declared:
        raise ModelLoadError(
            f"{what} holds {stored:,} B in {info.location!r}, its dims and type declare {declared:,} B; "
            "the file or the tensor's dims are wrong"
        )


def default_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise ModelLoadError("the model imports no version of the default ONNX domain")


def _lift_opset(model: onnx.ModelProto, label: str) -> onnx.ModelProto:
    opset = default_opset(model)
    if opset < OLDEST_OPSET or opset > NEWEST_OPSET:
        raise ModelLoadError(
            f"{label}: opset {opset} is outside the supported range {OLDEST_OPSET}..{NEWEST_OPSET}; "
            "convert it with onnx.version_converter first"
        )
    if opset >= UPGRADE_BELOW:
        return model
    try:
        return version_converter.convert_version(model, UPGRADE_BELOW)
    except Exception as err:  # the converter raises bare RuntimeError/ValueError from C++
        raise ModelLoadError(
            f"{label}: could not convert opset {opset} to {UPGRADE_BELOW} with onnx.version_converter: {err}"
        ) from None
