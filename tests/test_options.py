"""tessera.options: typed option dataclasses built from Python values or CLI strings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from tessera.errors import PassError
from tessera.options import bound_fields, describe, from_mapping


@dataclass(frozen=True)
class Opts:
    method: Literal["a", "b"] = field(default="a", metadata={"help": "which method"})
    count: int = field(default=2, metadata={"help": "how many"})
    limit: float | None = field(default=None, metadata={"help": "seconds"})
    flag: bool = field(default=False, metadata={"help": "a switch"})
    sizes: tuple[int, ...] = field(default=(), metadata={"help": "sizes"})
    data: object = field(default=None, metadata={"cli": False, "bind": "calibration"})

    def __post_init__(self) -> None:
        if self.count < 1:
            raise PassError(f"count must be >= 1, got {self.count}")


def build(**values: object) -> Opts:
    return from_mapping(Opts, values, owner="pass 'demo'", error=PassError)


def test_strings_are_parsed_by_field_type() -> None:
    opts = build(method="b", count="3", limit="1.5", flag="true", sizes="1,2,3")
    assert opts == Opts("b", 3, 1.5, True, (1, 2, 3))
    assert build(limit="none").limit is None


def test_python_values_are_checked() -> None:
    assert build(count=4, limit=2, flag=False).limit == 2.0
    for bad in ({"count": 2.5}, {"count": True}, {"flag": "maybe"}, {"method": "c"}, {"sizes": 3}):
        with pytest.raises(PassError, match="pass 'demo' option"):
            build(**bad)


def test_unknown_options_list_the_known_ones() -> None:
    with pytest.raises(PassError, match=r"no option\(s\) nope; its options: method \('a' \| 'b', default 'a'\)"):
        build(nope=1)


def test_post_init_validation_and_describe() -> None:
    with pytest.raises(PassError, match="count must be >= 1"):
        build(count="0")
    names = [info.name for info in describe(Opts)]
    assert names == ["method", "count", "limit", "flag", "sizes"]  # data is not a CLI option
    assert describe(Opts)[2].type == "float | None"
    assert bound_fields(Opts) == {"data": "calibration"}
