"""YAML documents with every key's and item's line and column, read in bounded time.

libyaml's C parser produces the events; this module builds plain dicts and lists from them
(:class:`YamlMap`, :class:`YamlList`, which remember where each key and item was). It
refuses, each as a located :class:`~chaoskit._input.Problem`:

- documents of more than :data:`MAX_NODES` nodes *after* aliases are expanded (so an alias
  bomb is refused at the alias that crosses the line, before anything is expanded);
- nesting deeper than :data:`MAX_DEPTH`;
- keys that are collections, and keys equal once read as text (``1`` and ``"1"``);
- strings with control characters (other than tab and newline) or lone surrogates, which
  would reach a terminal or break a report;
- tags outside YAML's core schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from chaoskit._input import InputInvalid, Problem, line_col

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "YamlList",
    "YamlMap",
    "bad_character",
    "load_yaml",
    "locate",
    "user_path",
]

MAX_NODES = 100_000
MAX_DEPTH = 64
Position = tuple[int, int]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2's core schema, as ruamel and most tools read it: ``on``/``off``/``yes``/``no``
# stay strings, ``010`` is ten, and there are no implicit timestamps.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_CORE = "tag:yaml.org,2002:"


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith((".inf", ".nan")):
        return float(lowered.replace(".", ""))
    return float(text)


def _core_scalar(event: yaml.ScalarEvent) -> Any:
    """A scalar as YAML 1.2's core schema reads it (explicit core tags honoured)."""
    text, tag = event.value, event.tag
    if tag in (None, "!"):
        if event.style or not event.implicit[0]:  # quoted: always a string
            return text
        if _NULL.match(text):
            return None
        if _BOOL.match(text):
            return text.lower() == "true"
        if _INT.match(text):
            return _int(text)
        if _FLOAT.match(text):
            return _float(text)
        return text
    readers: dict[str, Any] = {
        "str": str, "int": _int, "float": _float, "null": lambda _: None,
        "bool": lambda t: _BOOL.match(t) is not None and t.lower() == "true",
    }  # fmt: skip
    name = tag.removeprefix(_CORE)
    if not tag.startswith(_CORE) or name not in readers:
        raise ValueError(f"the tag {tag} is not read (only YAML's core types are)")
    return readers[name](text)


class YamlMap(dict[str, Any]):
    """A mapping that remembers where each key was (``at[key]``: line, col; 1-based)."""

    def __init__(self, start: Position) -> None:
        super().__init__()
        self.start = start
        self.at: dict[str, Position] = {}


class YamlList(list[Any]):
    """A sequence that remembers where each item was (``at[i]``: line, col; 1-based)."""

    def __init__(self, start: Position) -> None:
        super().__init__()
        self.start = start
        self.at: list[Position] = []


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (Unicode's Cc, but tab and newline) and lone surrogates."""


def bad_character(text: str) -> str | None:
    """Why ``text`` is not text to show a person, or None."""
    found = _NOT_TEXT.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X}) is not text"
    return f"a control character (U+{code:04X}) is not allowed in text"


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.constructor = yaml.constructor.SafeConstructor()

    def problem(self, mark: Any, message: str, field: str = "(yaml)") -> InputInvalid:
        line, col = _position(mark)
        return InputInvalid([Problem(self.file, line, col, field, message)])

    def count(self, mark: Any, nodes: int, alias: bool = False) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            message = (
                f"more than {MAX_NODES:,} YAML nodes; chaoskit reads documents up to that size"
            )
            if alias:
                message += " (this alias expands past it: an alias bomb?)"
            raise self.problem(mark, message, "(file)")

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        try:
            value = _core_scalar(event)
        except (ValueError, yaml.YAMLError) as exc:
            raise self.problem(event.start_mark, f"cannot read this value: {exc}") from None
        if isinstance(value, str):
            bad = bad_character(value)
            if bad:
                raise self.problem(event.start_mark, bad)
        return value

    def build(self, events: Any) -> Any:
        """Build the single document; ``None`` for an empty stream."""
        stack: list[_Open] = []
        root: Any = None
        done = False
        for event in events:
            if isinstance(event, yaml.StreamStartEvent | yaml.StreamEndEvent):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                if done:
                    raise self.problem(event.start_mark, "more than one YAML document")
                continue
            if isinstance(event, yaml.DocumentEndEvent):
                done = True
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                closed = stack.pop()
                if closed.anchor is not None:
                    self.anchors[closed.anchor] = (closed.container, closed.size)
                value, size_added = closed.container, closed.size
                where = closed.container.start
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in self.anchors:
                    raise self.problem(event.start_mark, f"alias *{event.anchor} has no anchor")
                value, size_added = self.anchors[event.anchor]
                self.count(event.start_mark, size_added, alias=True)
                where = _position(event.start_mark)
            elif isinstance(event, yaml.ScalarEvent):
                value, size_added = self.scalar(event), 1
                self.count(event.start_mark, 1)
                where = _position(event.start_mark)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if event.tag not in (None, "!", f"{_CORE}map", f"{_CORE}seq"):
                    message = f"the tag {event.tag} is not read (only YAML's core types are)"
                    raise self.problem(event.start_mark, message)
                if len(stack) >= MAX_DEPTH:
                    raise self.problem(event.start_mark, f"nested more than {MAX_DEPTH} levels")
                start = _position(event.start_mark)
                kind = YamlMap if isinstance(event, yaml.MappingStartEvent) else YamlList
                self.count(event.start_mark, 1)
                stack.append(_Open(kind(start), event.anchor))
                continue
            else:
                continue
            if not stack:
                root = value
                continue
            self.attach(stack, value, size_added, event, where)
        return root

    def attach(
        self, stack: list[_Open], value: Any, size: int, event: Any, where: Position
    ) -> None:
        top = stack[-1]
        top.size += size
        container = top.container
        if isinstance(container, YamlList):
            container.append(value)
            container.at.append(where)
        elif top.key is None:
            top.key = self.key(container, value, event, where, stack)
        else:
            container[top.key] = value
            top.key = None

    def key(
        self, container: YamlMap, value: Any, event: Any, where: Position, stack: list[_Open]
    ) -> str:
        if isinstance(value, dict | list):
            raise self.problem(event.start_mark, "a key must be a plain value, not a collection")
        if value is None:
            text = "null"
        elif isinstance(value, bool):
            text = str(value).lower()
        else:
            text = str(value)
        if text in container.at:
            line, col = container.at[text]
            message = f"key {text!r} is given twice (also at {line}:{col})"
            raise self.problem(event.start_mark, message, _field_path(stack, text))
        container.at[text] = where
        return text


def _field_path(stack: list[_Open], key: str) -> str:
    """Where ``key`` of the innermost open mapping is, as problems name fields:
    ``method[0].wait``."""
    path = ""
    for parent in stack[:-1]:
        if isinstance(parent.container, YamlList):
            path += f"[{len(parent.container)}]"
        else:
            path += f".{parent.key}" if path else str(parent.key)
    return f"{path}.{key}" if path else key


class _Open:
    """A mapping or sequence being built: its expanded size, its anchor, a pending key."""

    __slots__ = ("anchor", "container", "key", "size")

    def __init__(self, container: YamlMap | YamlList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.size = 1
        self.key: str | None = None


def load_yaml(text: str, file: str) -> Any:
    """The one YAML document in ``text`` (None if empty), or InputInvalid at its line."""
    builder = _Builder(file)
    try:
        return builder.build(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "not valid YAML"
        raise builder.problem(mark, f"not valid YAML: {message}") from None
    except yaml.reader.ReaderError as exc:
        line, col = line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"not valid YAML: character U+{code:04X} is not allowed in YAML"
        problem = Problem(file, line, col, "(yaml)", message)
        raise InputInvalid([problem]) from None
    except yaml.YAMLError as exc:
        raise builder.problem(None, f"not valid YAML: {exc}") from None


def locate(root: Any, loc: tuple[int | str, ...]) -> Position:
    """Line and column of the deepest node of ``loc`` present in ``root``."""
    line, col = 1, 1
    for part, at in _walk(root, loc):
        if at is not None:
            line, col = at
        elif not _union_branch(part):
            break
    return line, col


def user_path(root: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """``loc`` without the union branches pydantic names in it (``Endpoint``): a key the
    YAML holds is the user's, whatever its case (an environment variable ``API_KEY``)."""
    return tuple(part for part, at in _walk(root, loc) if at is not None or not _union_branch(part))


def _walk(root: Any, loc: tuple[int | str, ...]) -> Iterator[tuple[int | str, Position | None]]:
    """Each part of ``loc`` with the position of the node it names in ``root``; None for a
    part the YAML does not hold (then a union branch is passed over, and anything else
    leaves the YAML)."""
    node = root
    for part in loc:
        if isinstance(node, YamlMap) and str(part) in node.at:
            yield part, node.at[str(part)]
            node = node.get(str(part))
        elif isinstance(node, YamlList) and isinstance(part, int) and 0 <= part < len(node):
            yield part, node.at[part]
            node = node[part]
        else:
            yield part, None
            if not _union_branch(part):
                node = None


_BRANCH_TAG = re.compile(r"[a-z][a-z-]*\[.*\]|bool|str|int|float|none|bytes")
"""The other names pydantic gives a union's branches: ``literal['naive','resilient']``,
``function-after[...]``, ``bool``."""


def _union_branch(part: int | str) -> bool:
    """A name pydantic puts in a location to say which branch of a union: a model's name
    (``ServiceChoice``) or a type's tag (``literal['naive','resilient']``, ``bool``)."""
    return isinstance(part, str) and (part[:1].isupper() or bool(_BRANCH_TAG.fullmatch(part)))
