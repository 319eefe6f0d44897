"""Typed target options: each target's frozen options class, built from Python values or CLI strings,
refuses an unknown option, a value of the wrong type and a value out of range with a TargetError that
names the option; compile binds the target's in-place rules and its calibration input into passes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import chain_graph

import tessera
from tessera.api import bind_inputs
from tessera.backends.cpu.options import CpuOptions
from tessera.backends.mcu import McuOptions, inplace_rules
from tessera.backends.targets import ReferenceOptions, get_target
from tessera.errors import PassError, TargetError
from tessera.passes import get_pass


def test_each_target_names_its_options_class() -> None:
    assert get_target("mcu").options is McuOptions
    assert get_target("cpu").options is CpuOptions
    assert get_target("reference").options is ReferenceOptions
    assert [o.name for o in get_target("mcu").describe()] == ["ram_kb", "flash_kb", "inputs", "planner", "inplace"]


def test_python_values_and_cli_strings_build_the_same_options() -> None:
    mcu = get_target("mcu")
    typed = mcu.make_options({"ram_kb": 128, "inplace": False, "inputs": "caller"})
    text = mcu.make_options({"ram_kb": "128", "inplace": "false", "inputs": "caller"})
    assert typed == text == McuOptions(ram_kb=128.0, inplace=False, inputs="caller")
    assert dataclasses.is_dataclass(typed) and typed.caller_inputs and typed.link_flash_kb == 4096
    cpu = get_target("cpu").make_options({"threads": "2", "tune": "0", "schedule": "tvm"})
    assert cpu == CpuOptions(threads=2, schedule="tvm")


@pytest.mark.parametrize(
    ("target", "values", "match"),
    [
        ("mcu", {"ram": 1}, r"target 'mcu' has no option\(s\) ram; its options: ram_kb"),
        ("mcu", {"ram_kb": "lots"}, "option ram_kb must be a number"),
        ("mcu", {"ram_kb": 0}, "ram_kb must be a positive number of KiB"),
        ("mcu", {"planner": "tetris"}, "planner must be one of best-fit, cp-sat, greedy-by-size"),
        ("mcu", {"inputs": "flash"}, "inputs must be one of 'arena', 'caller'"),
        ("mcu", {"inplace": "maybe"}, "inplace must be true or false"),
        ("cpu", {"threads": "two"}, "option threads must be an integer"),
        ("cpu", {"threads": 0}, "threads must be a positive integer"),
        ("cpu", {"tune": -1}, "tune must be a non-negative trial count"),
        ("cpu", {"tune": 8}, "tune needs tuning_db"),
        ("reference", {"threads": 2}, r"target 'reference' has no option\(s\) threads; its options: none"),
    ],
)
def test_bad_options_name_the_option(target: str, values: dict, match: str) -> None:
    with pytest.raises(TargetError, match=match):
        get_target(target).make_options(values)


def test_compile_checks_options_before_any_work() -> None:
    with pytest.raises(TargetError, match="planner must be one of"):
        tessera.compile("no-such-model.onnx", target="mcu", target_options={"planner": "tetris"})


def test_target_bindings_reach_the_passes_that_take_them() -> None:
    mcu = get_target("mcu")
    rules = mcu.bindings(mcu.make_options({}))["inplace_rules"]
    assert rules is not None and set(rules) == set(inplace_rules())
    assert mcu.bindings(mcu.make_options({"inplace": False})) == {"inplace_rules": None}
    assert get_target("reference").bindings(ReferenceOptions()) == {}
    bound = bind_inputs(get_pass("memory-plan"), {"inplace_rules": rules})
    assert bound.inplace_rules is rules  # type: ignore[attr-defined]
    own = get_pass("memory-plan", inplace_rules={})
    assert bind_inputs(own, {"inplace_rules": rules}).inplace_rules == {}  # type: ignore[attr-defined]
    assert bind_inputs(get_pass("dce"), {"inplace_rules": rules}) == get_pass("dce")


def test_calibration_is_a_typed_compile_input() -> None:
    samples = [{"x": np.ones((2, 3), np.float32)}]
    quantize = bind_inputs(get_pass("quantize-int8"), {"calibration": samples})
    assert quantize.calibration == samples  # type: ignore[attr-defined]
    with pytest.raises(PassError, match="no 'quantize-int8'"):
        tessera.compile(chain_graph(), passes=["canonicalize"], calibration=samples)
