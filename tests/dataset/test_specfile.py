"""Hostile spec files fail fast with a SpecError: size, nesting, aliases, encoding, duplicates."""

from __future__ import annotations

import time

import pytest

from deepbench.dataset.spec import apply_overrides, load_spec, resolve
from deepbench.dataset.specfile import MAX_BYTES, MAX_DEPTH, MAX_NODES
from deepbench.errors import SpecError

BILLION_LAUGHS = "\n".join(
    ["simulator: shapes.circle", "n: 5", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    + ["params: {radius: *a8}"])


def write(tmp_path, text: str | bytes, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_billion_laughs_is_refused_quickly(tmp_path):
    path = write(tmp_path, BILLION_LAUGHS)
    assert path.stat().st_size < 600
    start = time.perf_counter()
    with pytest.raises(SpecError, match=rf"spec: got .*; expected .*aliases expand .* more than "
                                        rf"{MAX_NODES:,} nodes"):
        resolve(path)
    assert time.perf_counter() - start < 5.0  # was 54 s and 5.9 GB


def test_a_few_aliases_are_fine(tmp_path):
    path = write(tmp_path, "base: &r {dist: uniform, low: 2, high: 4}\n"
                           "simulator: shapes.circle\nn: 3\nparams: {radius: *r}\n")
    with pytest.raises(SpecError, match="base: got"):  # aliases work; the extra key is refused
        resolve(path)
    raw = load_spec(path)
    assert raw["params"]["radius"] == raw["base"]


def test_recursive_alias_is_refused(tmp_path):
    with pytest.raises(SpecError, match="does not refer to itself"):
        resolve(write(tmp_path, "simulator: shapes.circle\nn: 2\nparams: &p {radius: *p}\n"))


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    path = write(tmp_path, "n: " + "[" * 10_000 + "]" * 10_000 + "\n")
    with pytest.raises(SpecError, match=f"nested at most {MAX_DEPTH} levels deep"):
        resolve(path)


def test_deeply_nested_or_cyclic_mappings_are_refused():
    deep: dict = {}
    node = deep
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(SpecError, match=f"nested at most {MAX_DEPTH} levels deep"):
        resolve({"simulator": "shapes.circle", "n": 2, "config": deep})
    loop: dict = {"simulator": "shapes.circle", "n": 2}
    loop["config"] = loop
    with pytest.raises(SpecError, match="does not refer to itself"):
        resolve(loop)


def test_a_long_flat_list_is_refused(tmp_path):
    text = "n: [" + ",".join(["1"] * 499_000) + "]\n"
    assert len(text) < 1_000_000
    with pytest.raises(SpecError, match=f"at most {MAX_NODES:,} nodes"):
        resolve(write(tmp_path, text))


def test_a_file_over_the_size_limit_is_refused_without_parsing(tmp_path):
    path = write(tmp_path, "#" * (MAX_BYTES + 1))
    with pytest.raises(SpecError, match=r"a spec file of at most 1 MiB \(this one has 1,048,577 bytes\)"):
        resolve(path)


def test_duplicate_keys_are_an_error_naming_the_key(tmp_path):
    path = write(tmp_path, "simulator: shapes.circle\nn: 20\nseed: 1\nn: 5\n")
    with pytest.raises(SpecError, match=r"no duplicate keys \('n' on lines 2 and 4\)"):
        resolve(path)
    nested = write(tmp_path, "simulator: shapes.circle\nn: 2\nparams:\n  radius: 3\n  radius: 4\n",
                   "nested.yaml")
    with pytest.raises(SpecError, match="'radius' on lines 4 and 5"):
        resolve(nested)


def test_merge_keys_keep_yaml_semantics(tmp_path):
    path = write(tmp_path, "simulator: shapes.circle\nn: 2\n"
                           "params:\n  radius: &r {dist: uniform, low: 2, high: 4}\n"
                           "  cx: {<<: *r, low: -1}\n")
    assert load_spec(path)["params"]["cx"] == {"dist": "uniform", "low": -1, "high": 4}
    assert resolve(path).classes[0].params["cx"]["low"] == -1


def test_binary_and_utf16_files(tmp_path):
    with pytest.raises(SpecError, match=r"a UTF-8 text file \(byte 128 is not UTF-8: invalid start byte\)"):
        resolve(write(tmp_path, bytes(range(256)) * 4, "binary.yaml"))
    text = "simulator: shapes.circle\nn: 3\n"
    assert resolve(write(tmp_path, text.encode("utf-16"), "bom.yaml")).n == 3
    with pytest.raises(SpecError, match="NUL bytes: UTF-16 without a byte-order mark"):
        resolve(write(tmp_path, text.encode("utf-16-le"), "nobom.yaml"))


def test_overrides_use_the_same_limits():
    raw = {"simulator": "shapes.circle", "n": 2}
    with pytest.raises(SpecError, match=r"--set params.radius: got .*aliases expand"):
        apply_overrides(raw, ["params.radius=" + BILLION_LAUGHS.replace("\n", "\n")])
    with pytest.raises(SpecError, match=f"nested at most {MAX_DEPTH} levels deep"):
        resolve(raw, ["config." + ".".join(["a"] * 200) + "=1"])


@pytest.mark.parametrize("text, message", [
    ("seed: " + "9" * 5000, r"integers of at most 40 characters \(line 3 has one of 5,000\)"),
    ("seed: " + "1:" * 100_000 + "1", r"integers of at most 40 characters"),
    ("seed: 2001-13-01", r"valid YAML values \(ValueError: month must be in 1..12\)"),
    ("seed: !!int x", r"valid YAML values \(ValueError: invalid literal for int"),
    ("seed: !!timestamp x", r"valid YAML values \(AttributeError"),
], ids=["long-int", "sexagesimal", "bad-date", "bad-int-tag", "bad-timestamp-tag"])
def test_values_yaml_cannot_construct_are_spec_errors(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        resolve(write(tmp_path, "simulator: shapes.circle\nn: 2\n" + text + "\n"))
