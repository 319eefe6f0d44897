"""Models that claim huge tensors are refused from their declared types, before anything is allocated:
each test runs in milliseconds and needs no memory (a MemoryError would mean the check came too late)."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx_builders import model, tensor

import tessera
from tessera.errors import ModelLoadError, ShapeError
from tessera.frontends.onnx_budget import CONSTANT_ENV, LoadBudget, format_bytes

HUGE = 1 << 20  # two of these as dims: 4 TiB of float32
I64 = TensorProto.INT64


def _int64(name: str, values: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _load_fails(m: onnx.ModelProto, match: str, **kwargs: object) -> str:
    with pytest.raises(ModelLoadError, match=match) as info:
        tessera.load(m.SerializeToString(), **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def test_constant_of_shape_folded_at_import_is_refused_by_size() -> None:
    node = helper.make_node("ConstantOfShape", ["s"], ["y"], name="fill")
    m = model([node], [], [tensor("y", None)], [_int64("s", [HUGE, HUGE])])
    message = _load_fails(m, "node 'fill' \\(ConstantOfShape\\)")
    assert "4,398,046,511,104 B (4.0 TiB)" in message and "max_constant_bytes=" in message


@pytest.mark.parametrize(
    ("op", "inputs", "inits"),
    [
        ("Expand", ["x", "s"], [numpy_helper.from_array(np.ones(1, np.float32), "x"), _int64("s", [HUGE, HUGE])]),
        ("Tile", ["x", "r"], [numpy_helper.from_array(np.ones((1, 1), np.float32), "x"), _int64("r", [HUGE, HUGE])]),
        (
            "Pad",
            ["x", "p"],
            [numpy_helper.from_array(np.ones((1, 1), np.float32), "x"), _int64("p", [0, 0, HUGE, HUGE])],
        ),
    ],
)
def test_expansions_folded_at_import_are_refused_by_size(op: str, inputs: list[str], inits: list) -> None:
    m = model([helper.make_node(op, inputs, ["y"], name="grow")], [], [tensor("y", None)], inits)
    _load_fails(m, f"node 'grow' \\({op}\\), folded at import, would materialize .*over the constant budget")


def test_concat_counts_against_the_total_budget() -> None:
    w = numpy_helper.from_array(np.ones(1000, np.float32), "w")  # 4,000 B
    node = helper.make_node("Concat", ["w", "w"], ["y"], name="cat", axis=0)
    m = model([node], [], [tensor("y", None)], [w])
    message = _load_fails(m, "node 'cat' \\(Concat\\)", max_constant_bytes=10_000)
    assert "8,000 B" in message and "with the 4,000 B (3.9 KiB) before it" in message
    assert tessera.load(m, max_constant_bytes=12_000).value("y").shape == (2000,)


def test_initializer_declared_size_is_checked_before_it_is_read() -> None:
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[HUGE, HUGE], raw_data=b"\0" * 16)
    m = model([helper.make_node("Identity", ["w"], ["y"])], [], [tensor("y", None)], [init])
    _load_fails(m, "initializer 'w' would materialize 4,398,046,511,104 B")


def test_constant_node_declared_size_is_checked_before_it_is_decoded() -> None:
    value = TensorProto(name="v", data_type=TensorProto.FLOAT, dims=[HUGE, HUGE], raw_data=b"\0" * 4)
    node = helper.make_node("Constant", [], ["y"], name="big", value=value)
    _load_fails(model([node], [], [tensor("y", None)]), "node 'big' \\(Constant\\) would materialize")


def test_external_data_declared_size_is_checked_before_it_is_read(tmp_path: Path) -> None:
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[HUGE, HUGE])
    init.data_location = TensorProto.EXTERNAL
    init.external_data.add(key="location", value="w.bin")
    (tmp_path / "w.bin").write_bytes(b"\0" * 16)
    m = model([helper.make_node("Identity", ["w"], ["y"])], [], [tensor("y", None)], [init])
    onnx.save(m, tmp_path / "model.onnx")
    with pytest.raises(ModelLoadError, match="external data of tensor 'w' would materialize"):
        tessera.load(tmp_path / "model.onnx")


def test_external_data_must_hold_the_declared_size(tmp_path: Path) -> None:
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
    init.data_location = TensorProto.EXTERNAL
    init.external_data.add(key="location", value="w.bin")
    (tmp_path / "w.bin").write_bytes(b"\0" * 4096)  # claims 8 B, the file holds 4 KiB
    onnx.save(model([helper.make_node("Identity", ["w"], ["y"])], [], [tensor("y", None)], [init]), tmp_path / "m.onnx")
    with pytest.raises(ModelLoadError, match=r"holds 4,096 B in 'w\.bin', its dims and type declare 8 B"):
        tessera.load(tmp_path / "m.onnx")


def test_an_absurd_activation_is_refused_by_inference() -> None:
    node = helper.make_node("Expand", ["x", "s"], ["y"], name="wide")
    m = model([node], [tensor("x", [1, 1])], [tensor("y", None)], [_int64("s", [1 << 30, 1 << 30])])
    _load_fails(m, "node 'wide' \\(Expand\\) output 'y' .* over the .*64.0 GiB. any tensor may take")


def test_an_absurd_input_is_refused() -> None:
    m = model([helper.make_node("Relu", ["x"], ["y"])], [tensor("x", [1 << 30, 1 << 30])], [tensor("y", None)])
    _load_fails(m, "input 'x' \\(f32\\[1073741824,1073741824\\]\\) is .* any tensor may take")


def test_the_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONSTANT_ENV, "100")
    assert LoadBudget.resolve().max_constant_bytes == 100
    assert LoadBudget.resolve(5).max_constant_bytes == 5
    monkeypatch.setenv(CONSTANT_ENV, "lots")
    with pytest.raises(ModelLoadError, match=f"{CONSTANT_ENV}='lots' is not a number of bytes"):
        LoadBudget.resolve()


def test_a_bad_budget_argument_is_refused() -> None:
    with pytest.raises(ModelLoadError, match="max_constant_bytes must be an int >= 0"):
        LoadBudget.resolve(-1)


def test_format_bytes() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(3 << 20) == "3,145,728 B (3.0 MiB)"


def test_a_failing_node_is_named_once() -> None:
    x = tensor("x", [2, 3])
    pad = helper.make_node("Pad", ["x", "p"], ["y"], name="pad0")
    m = model([pad], [x], [tensor("y", None)], [_int64("p", [0, 0, 0])], name="m")
    with pytest.raises(ShapeError) as info:
        tessera.load(m)
    assert str(info.value).count("pad0") == 1
    assert str(info.value).startswith("m: node 'pad0' (Pad): ")


def _with_bytes(m: onnx.ModelProto, marker: bytes, replacement: bytes) -> bytes:
    """The model's serialization with `marker` (a string field's text) replaced, e.g. by bytes that are
    not UTF-8 (the protobuf API refuses to set them; a file can hold them)."""
    data = m.SerializeToString()
    assert data.count(marker) == 1 and len(marker) == len(replacement)
    return data.replace(marker, replacement)


def test_fuzz_finding_graph_name_not_utf8() -> None:
    m = model([helper.make_node("Relu", ["x"], ["y"])], [tensor("x", [2])], [tensor("y", [2])], name="QQQQ")
    graph = tessera.load(_with_bytes(m, b"QQQQ", b"\xff\xfeQQ"))
    assert graph.name == "__QQ"


def test_fuzz_finding_external_location_not_utf8(tmp_path: Path) -> None:
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
    init.data_location = TensorProto.EXTERNAL
    init.external_data.add(key="location", value="QQQQ")
    m = model([helper.make_node("Identity", ["w"], ["y"])], [], [tensor("y", None)], [init])
    (tmp_path / "m.onnx").write_bytes(_with_bytes(m, b"QQQQ", b"\xff\xfeQQ"))
    with pytest.raises(
        ModelLoadError, match=r"external data location .* is empty, holds a NUL byte or is not UTF-8 text"
    ):
        tessera.load(tmp_path / "m.onnx")


def test_fuzz_finding_external_location_with_nul_byte(tmp_path: Path) -> None:
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
    init.data_location = TensorProto.EXTERNAL
    init.external_data.add(key="location", value="w\0.bin")
    onnx.save(model([helper.make_node("Identity", ["w"], ["y"])], [], [tensor("y", None)], [init]), tmp_path / "m.onnx")
    with pytest.raises(ModelLoadError, match="holds a NUL byte"):
        tessera.load(tmp_path / "m.onnx")
