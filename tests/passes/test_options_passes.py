"""Every pass's options are typed and checked when the pass is built (get_pass or the class)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import chain_graph

import tessera
from tessera.errors import PassError
from tessera.passes import Pass, available_passes, get_pass, register_pass
from tessera.passes.memory.plan_pass import MemoryPlan
from tessera.passes.quantize.int8 import QuantizeInt8
from tessera.passes.registry import pass_infos

# per pass: (option, a value of the right type that the pass refuses)
BAD_VALUES: dict[str, list[tuple[str, Any]]] = {
    "binarize": [("scaling", "dorefa"), ("eval_samples", 0), ("seed", -1)],
    "canonicalize": [("max_rounds", 0), ("steps", ("dce", "nope")), ("steps", ("canonicalize",))],
    "fold-constants": [("max_bytes", -1)],
    "he-pack": [("packing", "falcon"), ("n", 3000), ("n", 512), ("plain_bits", 64), ("scale_bits", 20), ("seed", -1)],
    "memory-plan": [("method", "tetris"), ("alignment", 0), ("time_limit_s", 0.0)],
    "memory-schedule": [("method", "magic"), ("time_limit_s", -1.0)],
    "patch-based": [("grid", -1), ("max_grid", 1), ("max_mac_overhead", -0.5), ("planner", "tetris")],
    "quantize-int8": [
        ("method", "kl"),
        ("percentile", 10.0),
        ("random_calibration", -1),
        ("eval_samples", 0),
        ("seed", -1),
    ],
}


@pytest.mark.parametrize("name", available_passes())
def test_every_option_has_a_default_that_builds(name: str) -> None:
    infos = next(i for i in pass_infos() if i.name == name)
    assert infos.description and not infos.description.endswith(")")  # a sentence, not a signature
    for option in infos.options:
        assert option.help and option.type
    built = get_pass(name, **{o.name: o.default for o in infos.options})
    # QuantizeInt8 and Binarize compare by identity (eq=False: their data options hold arrays)
    assert built == get_pass(name) or name in ("quantize-int8", "binarize")


@pytest.mark.parametrize("name", available_passes())
def test_a_wrong_type_names_the_option(name: str) -> None:
    for option in next(i for i in pass_infos() if i.name == name).options:
        with pytest.raises(PassError, match=f"pass '{name}' option {option.name} must be"):
            get_pass(name, **{option.name: object()})


@pytest.mark.parametrize(("name", "option", "value"), [(n, o, v) for n, cases in BAD_VALUES.items() for o, v in cases])
def test_a_wrong_value_names_the_pass_and_the_option(name: str, option: str, value: Any) -> None:
    with pytest.raises(PassError, match=rf"^{name}: .*{option}"):
        get_pass(name, **{option: value})


def test_every_pass_with_options_has_wrong_value_cases() -> None:
    with_checks = {i.name for i in pass_infos() if any(o.type != "bool" for o in i.options)}
    assert with_checks == set(BAD_VALUES)


def test_building_the_class_directly_checks_too() -> None:
    with pytest.raises(PassError, match="memory-plan: unknown method 'tetris'; available: best-fit"):
        MemoryPlan(method="tetris")
    with pytest.raises(PassError, match="quantize-int8: int8_io='both'"):
        QuantizeInt8(int8_io="both")  # type: ignore[arg-type]


def test_values_are_converted_by_the_option_type() -> None:
    p = get_pass("memory-plan", alignment="32", time_limit_s=2, inplace="true")
    assert p == MemoryPlan(alignment=32, time_limit_s=2.0, inplace=True)
    assert isinstance(p, MemoryPlan) and isinstance(p.time_limit_s, float)
    with pytest.raises(PassError, match=r"option alignment must be an integer, got 2\.5"):
        get_pass("memory-plan", alignment=2.5)
    assert get_pass("quantize-int8", int8_io="outputs").int8_io == "outputs"  # type: ignore[attr-defined]
    assert get_pass("quantize-int8", int8_io="on").int8_io is True  # type: ignore[attr-defined]


def test_calibration_is_no_cli_option_but_a_bound_input() -> None:
    options = {o.name for o in next(i for i in pass_infos() if i.name == "quantize-int8").options}
    assert "calibration" not in options and "method" in options
    calibration = next(f for f in dataclasses.fields(QuantizeInt8) if f.name == "calibration")
    assert calibration.metadata["bind"] == "calibration"


def test_compile_with_a_string_of_passes_says_to_pass_a_list() -> None:
    with pytest.raises(PassError, match=r"not the string 'canonicalize,dce': write passes=\['canonicalize', 'dce'\]"):
        tessera.compile(chain_graph(), passes="canonicalize,dce")  # type: ignore[arg-type]


def test_register_pass_enforces_the_options_contract() -> None:
    class Mutable(Pass):
        """A pass that is not a frozen dataclass."""

        name = "test-mutable"

    with pytest.raises(PassError, match=r"must be a @dataclass\(frozen=True\)"):
        register_pass(dataclass(Mutable))

    @dataclass(frozen=True)
    class Undocumented(Pass):
        name = "test-undocumented"

    with pytest.raises(PassError, match="needs a docstring"):
        register_pass(Undocumented)

    @dataclass(frozen=True)
    class NoHelp(Pass):
        """A pass whose option has no help."""

        name = "test-no-help"
        level: int = 1

    with pytest.raises(PassError, match=r"option level needs field\(metadata=\{\"help\""):
        register_pass(NoHelp)

    @dataclass(frozen=True)
    class NoDefault(Pass):
        """A pass whose option has no default."""

        name = "test-no-default"
        level: int = field(metadata={"help": "how much"})

    with pytest.raises(PassError, match="option level needs a default"):
        register_pass(NoDefault)
    assert not {"test-mutable", "test-undocumented", "test-no-help", "test-no-default"} & set(available_passes())
