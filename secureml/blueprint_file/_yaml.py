"""Reading YAML with the position of every value, so errors can name a line.

PyYAML composes a node tree (each node knows where it starts) before it
constructs Python values; we keep that tree's marks in a map from document
path to line and column, and refuse duplicate keys, which PyYAML would
otherwise resolve silently by keeping the last one.
"""

from __future__ import annotations

from typing import Any

import attrs
import yaml

__all__ = ["Located", "Path", "Position", "YamlProblem", "format_path", "parse"]

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


def _walk(node: yaml.Node, path: Path, located: Located, problems: list[YamlProblem]) -> None:
    where = _pos(node.start_mark)
    if where is not None:
        located.values.setdefault(path, where)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, Position | None] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                # Merge keys and complex keys: positions inside them stay unknown.
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
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    located = Located(data=data, values={}, keys={})
    problems: list[YamlProblem] = []
    if node is not None:
        _walk(node, (), located, problems)
    return attrs.evolve(located, problems=tuple(problems))
