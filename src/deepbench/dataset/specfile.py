"""Reading spec text safely: bounded size, nesting and alias expansion; no duplicate keys.

A spec is small (a few kB). Anything far larger is refused before it can cost time or memory:

* a spec file holds at most ``MAX_BYTES`` (1 MiB) and must be UTF-8 (or UTF-16/32 with a
  byte-order mark, as YAML allows);
* the document, with every alias expanded, has at most ``MAX_NODES`` nodes (so a 500-byte
  "billion laughs" file of nested aliases is refused after composing a few dozen nodes, and a
  1 MB flat list after ``MAX_NODES`` of them);
* containers nest at most ``MAX_DEPTH`` levels; a structure that refers to itself is refused;
* an integer literal has at most ``MAX_INT_CHARS`` (40) characters, and a value that YAML
  cannot construct (``2001-13-01``, ``!!int x``) is an error, not a traceback;
* a key given twice in one mapping is an error (YAML's ``yaml.safe_load`` keeps the last one
  silently); merge keys (``<<: *base``) keep their YAML meaning, explicit keys override them.

The loader is ``yaml.SafeLoader`` with these checks added, so only plain data is constructed.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 1 << 20
MAX_NODES = 10_000
MAX_DEPTH = 64
MAX_INT_CHARS = 40
_MERGE = "tag:yaml.org,2002:merge"


class SpecTextError(yaml.YAMLError):
    """The text breaks one of the limits above; ``expected`` says what is allowed."""

    def __init__(self, expected: str):
        super().__init__(expected)
        self.expected = expected


class SpecLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that bounds nesting and alias expansion and refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._composed = 0  # nodes composed so far (an alias counts once)
        self._sizes: dict[int, int] = {}  # id(node) -> node count with aliases expanded

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            target = self.anchors.get(self.peek_event().anchor)
            if target is not None and id(target) not in self._sizes:
                raise SpecTextError("a spec that does not refer to itself (an alias refers to "
                                    "the node that holds it)")
        self._composed += 1
        if self._composed > MAX_NODES:
            raise SpecTextError(f"a spec of at most {MAX_NODES:,} nodes")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise SpecTextError(f"a spec nested at most {MAX_DEPTH} levels deep")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            size = 1 + sum(self._sizes[id(c)] for c in _children(node))
            if size > MAX_NODES:
                raise SpecTextError(f"a spec of at most {MAX_NODES:,} nodes (its aliases expand "
                                    f"to more than {MAX_NODES:,} nodes)")
            self._sizes[id(node)] = size
        return node

    def construct_yaml_int(self, node: ScalarNode) -> int:
        """YAML integers, refusing long literals (Python's int() is quadratic in their length)."""
        if len(node.value) > MAX_INT_CHARS:
            raise SpecTextError(f"integers of at most {MAX_INT_CHARS} characters (line "
                                f"{node.start_mark.line + 1} has one of {len(node.value):,})")
        return super().construct_yaml_int(node)

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:
        node = super().compose_mapping_node(anchor)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise SpecTextError(f"a mapping with no duplicate keys ({key!r} on lines "
                                    f"{seen[key]} and {line})")
            seen[key] = line
        return node


SpecLoader.add_constructor("tag:yaml.org,2002:int", SpecLoader.construct_yaml_int)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_text(text: str) -> Any:
    """Parse YAML text with :class:`SpecLoader` (raises ``yaml.YAMLError``)."""
    loader = SpecLoader(text)
    try:
        return loader.get_single_data()
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:  # from constructors
        raise SpecTextError(f"valid YAML values ({type(exc).__name__}: {exc})") from None
    finally:
        loader.dispose()


def read_text(path: Path) -> str:
    """The text of a spec file: at most MAX_BYTES, UTF-8 (or UTF-16/32 with a byte-order mark)."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        size = path.stat().st_size
        raise SpecTextError(f"a spec file of at most 1 MiB (this one has {size:,} bytes)")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data.decode("utf-32")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecTextError(f"a UTF-8 text file (byte {exc.start} is not UTF-8: {exc.reason})"
                            ) from None
    if "\x00" in text:
        raise SpecTextError("a UTF-8 text file (found NUL bytes: UTF-16 without a byte-order "
                            "mark, or a binary file?)")
    return text


def check_structure(value: Any) -> None:
    """Refuse data nested deeper than MAX_DEPTH, with more than MAX_NODES nodes, or cyclic.

    Walks at most MAX_NODES nodes (shared sub-structures count every time they appear).
    """
    count = [0]
    _visit(value, 0, set(), count)


def _visit(value: Any, depth: int, ancestors: set[int], count: list[int]) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise SpecTextError(f"a spec of at most {MAX_NODES:,} nodes")
    if isinstance(value, Mapping):
        children = [c for pair in value.items() for c in pair]
    elif isinstance(value, list | tuple):
        children = list(value)
    else:
        return
    if id(value) in ancestors:
        raise SpecTextError("a spec that does not refer to itself (a container holds itself)")
    if depth >= MAX_DEPTH:
        raise SpecTextError(f"a spec nested at most {MAX_DEPTH} levels deep")
    ancestors.add(id(value))
    for child in children:
        _visit(child, depth + 1, ancestors, count)
    ancestors.discard(id(value))
