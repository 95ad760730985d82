"""Error messages stay short and cheap to build, whatever the offending value is."""

from __future__ import annotations

import pytest

from deepbench.errors import Problem, SpecError, show


class Counted:
    """A leaf that counts how often it is shown."""

    calls = 0

    def __repr__(self) -> str:
        Counted.calls += 1
        return "x"


def test_show_walks_a_huge_shared_structure_within_its_budget():
    value: object = [Counted()] * 10
    for _ in range(5):  # 10**6 leaves, built from 50 list slots (like YAML aliases)
        value = [value] * 10
    Counted.calls = 0
    text = show(value)
    assert len(text) <= 80 and text.endswith("...")
    assert text.startswith("[[[[[[x, x")
    assert Counted.calls < 100


@pytest.mark.parametrize("value, expected", [
    (10**5000, "<int with 5001 digits>"),
    ("a" * 10**6, "'" + "a" * 76 + "..."),
    ({"n": 5, "s": [1, 2.5, None, True]}, "{'n': 5, 's': [1, 2.5, None, True]}"),
    ((1, "b"), "(1, 'b')"),
    ({1}, "{1}"),
    (float("inf"), "inf"),
    (b"ab", "b'ab'"),
], ids=["huge-int", "long-str", "dict", "tuple", "set", "inf", "bytes"])
def test_show_is_repr_for_small_values_and_bounded_for_large_ones(value, expected):
    assert show(value) == expected


def test_show_handles_self_reference_and_deep_nesting():
    loop: list = []
    loop.append(loop)
    assert show(loop).startswith("[[[[") and len(show(loop)) <= 80
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    assert len(show(deep)) <= 80


def test_spec_error_lists_at_most_twenty_problems():
    err = SpecError([Problem(f"params.p{i}", i, "something") for i in range(500)])
    assert len(err.problems) == 500
    text = str(err)
    assert text.startswith("500 problems in the spec:")
    assert text.count("\n  - ") == 20 and text.endswith("... and 480 more")


def test_problem_reads_field_value_expected():
    assert str(Problem("params.length.low", -1.0, "a number > 0 (unit: m)")) == \
        "params.length.low: got -1.0; expected a number > 0 (unit: m)"
