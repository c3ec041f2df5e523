"""Reading YAML with the position of every value, so errors can name a line.

PyYAML composes a node tree (each node knows where it starts) before it
constructs Python values; we keep that tree's marks in a map from document
path to line and column, and refuse duplicate keys, which PyYAML would
otherwise resolve silently by keeping the last one.

A blueprint file is input from anyone who can open a pull request, so the
reader is bounded before it builds anything: nesting deeper than
:data:`MAX_DEPTH` is refused while composing (PyYAML's composer recurses), and
a document whose aliases would expand past :data:`MAX_NODES` values (an
"alias bomb", a few hundred bytes that expand to billions of values) is
refused before it is walked or constructed. Keys must be text.
"""

from __future__ import annotations

from typing import Any

import attrs
import yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "Located",
    "Path",
    "Position",
    "YamlLimitError",
    "YamlProblem",
    "format_path",
    "parse",
]

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists a blueprint file may have (a real one has
fewer than 10 levels)."""

MAX_NODES = 100_000
"""Most values a blueprint file may hold once its aliases are expanded."""


class YamlLimitError(yaml.MarkedYAMLError):
    """A document over one of the reader's bounds (depth, expanded size)."""

Path = tuple[str | int, ...]
"""A path in the document: mapping keys and list indices from the root."""


@attrs.frozen
class Position:
    """A 1-based line and column in the file."""

    line: int
    column: int


@attrs.frozen
class YamlProblem:
    """Something wrong with the YAML itself (syntax, duplicate keys)."""

    path: Path
    position: Position | None
    message: str
    fatal: bool = False
    """Whether the document cannot be read further (a key that is not text)."""


@attrs.frozen
class Located:
    """A parsed document with where each of its parts came from.

    ``values`` maps a path to where its value starts; ``keys`` maps a path to
    where its key is written (a better place to point at for an unknown key).
    """

    data: Any
    values: dict[Path, Position]
    keys: dict[Path, Position]
    problems: tuple[YamlProblem, ...] = ()

    def position(self, path: Path, *, key: bool = False) -> Position | None:
        """Where ``path`` is written, or else its nearest enclosing part."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return None


def _pos(mark: yaml.Mark | None) -> Position | None:
    return Position(mark.line + 1, mark.column + 1) if mark is not None else None


def format_path(path: Path) -> str:
    """``personas[1].add_activities[0].workgroups`` for a path.

    >>> format_path(("personas", 1, "tags", "team:name"))
    'personas[1].tags["team:name"]'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum():
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "(top level)"


_STR = "tag:yaml.org,2002:str"
_KEY_KINDS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
}


def _count(node: yaml.Node, budget: int) -> int:
    """How many values ``node`` holds with its aliases expanded, counting down from
    ``budget`` and stopping at 0 (so an alias bomb costs ``budget`` steps, not
    billions). Each distinct node's size is computed once."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if id(current) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.MappingNode):
            children = [n for pair in current.value for n in pair]
        elif isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        if done or not children:
            total = 1 + sum(sizes.get(id(c), 0) for c in children)
            sizes[id(current)] = min(total, budget + 1)
            continue
        stack.append((current, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(node)]


def _walk(node: yaml.Node, path: Path, located: Located, problems: list[YamlProblem]) -> None:
    where = _pos(node.start_mark)
    if where is not None:
        located.values.setdefault(path, where)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, Position | None] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _STR and (
                key_node.value != "<<"
            ):
                kind = _KEY_KINDS.get(key_node.tag, "not text")
                problems.append(
                    YamlProblem(
                        path,
                        _pos(key_node.start_mark),
                        f"key {key_node.value!r} is {kind}; keys are text (names like "
                        "`personas`), quote it if it is meant as text",
                        fatal=True,
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                # Merge keys and complex keys: positions inside them stay unknown.
                if not isinstance(key_node, yaml.ScalarNode):
                    problems.append(
                        YamlProblem(
                            path,
                            _pos(key_node.start_mark),
                            "a key is a list or a mapping; keys are text",
                            fatal=True,
                        )
                    )
                continue
            key = key_node.value
            at = _pos(key_node.start_mark)
            if key in seen:
                first = seen[key]
                problems.append(
                    YamlProblem(
                        (*path, key),
                        at,
                        f"duplicate key {key!r} (first given on line "
                        f"{first.line if first else '?'}); give each key once",
                    )
                )
                continue
            seen[key] = at
            if at is not None:
                located.keys[(*path, key)] = at
            _walk(value_node, (*path, key), located, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), located, problems)


def parse(text: str) -> Located:
    """Parse one YAML document, keeping positions.

    Raises ``yaml.YAMLError`` on a syntax error (the caller reports its mark).

    >>> doc = parse("a:\\n  - x\\n  - y\\n")
    >>> doc.data, doc.position(("a", 1))
    ({'a': ['x', 'y']}, Position(line=3, column=5))
    """
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _count(node, MAX_NODES) > MAX_NODES:
            raise YamlLimitError(
                None,
                None,
                f"the document holds more than {MAX_NODES:,} values once its aliases (*name) "
                "are expanded; a blueprint file is far smaller: write the values out or use "
                "fewer aliases",
                node.start_mark,
            )
        problems: list[YamlProblem] = []
        located = Located(data=None, values={}, keys={})
        if node is not None:
            _walk(node, (), located, problems)
        if any(p.fatal for p in problems):
            return attrs.evolve(located, problems=tuple(problems))
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return attrs.evolve(located, data=data, problems=tuple(problems))


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than :data:`MAX_DEPTH` while it
    composes (its composer recurses once per level)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # noqa: N803 (PyYAML's name)
        # The scanner reads a whole flow collection ahead (each '[' may start a key),
        # with work growing as the square of the depth: refuse before that.
        if self.flow_level >= MAX_DEPTH:
            raise YamlLimitError(
                None,
                None,
                f"values nested more than {MAX_DEPTH} levels deep; a blueprint file needs "
                "far fewer",
                self.get_mark(),
            )
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlLimitError(
                    None,
                    None,
                    f"values nested more than {MAX_DEPTH} levels deep; a blueprint file needs "
                    "far fewer",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
