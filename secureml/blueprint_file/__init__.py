"""Blueprint files: a blueprint written in YAML, loaded into the Python API's objects.

The file mirrors the Python API (see :doc:`/blueprint-file` for the format):

>>> from secureml.blueprint_file import loads
>>> bf = loads('''
... personas:
...   - name: team-a-compute
...     kind: Compute
...     buckets: [team-a-data]
...     role: {}
... ''', name="ml-platform")
>>> bf.name, sorted(bf.personas)
('ml-platform', ['team-a-compute'])
>>> [r.key for r in bf.resources]
['iam-role/team-a-compute']

Every problem in a file is reported at once, each with the file, the path in
the document and the line:

>>> try:
...     loads("personas:\\n  - name: x\\n    kind: Admin\\n", source="bp.yaml")
... except BlueprintFileError as exc:
...     print(exc.issues[0])
bp.yaml:3:11: personas[0].kind: 'Admin' is not one of: DataScientist, MLOps, Compute, Inference

This module imports PyYAML and cattrs; ``import secureml`` does not import it.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path as _FsPath
from typing import Any

import attrs
import yaml

from secureml._validation import BLUEPRINT_NAME, BLUEPRINT_NAME_RULE, check_region
from secureml.blueprint_file._build import build
from secureml.blueprint_file._convert import Problem, structure
from secureml.blueprint_file._recover import recover
from secureml.blueprint_file._schema import json_schema
from secureml.blueprint_file._spec import REGION, BlueprintSpec
from secureml.blueprint_file._yaml import Located, Path, format_path, parse
from secureml.engine import Blueprint
from secureml.errors import Problem as ApiProblem
from secureml.errors import ValidationError
from secureml.personas import Persona
from secureml.resources import Resource

__all__ = [
    "MAX_FILE_CHARS",
    "BlueprintFile",
    "BlueprintFileError",
    "FileProblem",
    "json_schema",
    "load",
    "loads",
    "schema_text",
]


@attrs.frozen
class FileProblem:
    """One problem in a blueprint file: where it is and what is wrong.

    ``path`` is the place in the document (``personas[1].add_activities[0]``,
    empty for the whole file); ``line`` and ``column`` are 1-based, ``None``
    when unknown.
    """

    file: str
    path: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column}" if self.column else f":{self.line}"
        return f"{where}: {self.path + ': ' if self.path else ''}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the five fields."""
        return attrs.asdict(self)


class BlueprintFileError(ValidationError):
    """A blueprint file that cannot be loaded, with every problem found.

    ``issues`` holds one :class:`FileProblem` per problem (sorted by line);
    ``problems`` (from :class:`~secureml.ValidationError`) holds them as text.
    """

    def __init__(self, file: str, issues: list[FileProblem]) -> None:
        self.file = file
        self.issues: tuple[FileProblem, ...] = tuple(issues)
        super().__init__([str(i) for i in self.issues])


@attrs.frozen
class BlueprintFile:
    """A loaded blueprint file: its personas and the resources it deploys.

    ``name`` is the blueprint's name (the ``blueprint`` key, else the file's
    stem); ``region`` the file's ``region`` (``None`` when not given);
    ``personas`` every persona by name, in file order (including those deployed
    as nothing, which the ``policies`` and ``lint`` commands still show);
    ``blueprint`` the :class:`~secureml.Blueprint` of the file's resources
    (with the file's region); ``spec`` the file as written; ``source`` where
    it was read from; ``lines`` the line where each persona (by name) and
    each resource (by key) is declared.
    """

    name: str
    region: str | None
    personas: Mapping[str, Persona]
    blueprint: Blueprint
    spec: BlueprintSpec
    source: str
    lines: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def resources(self) -> tuple[Resource, ...]:
        """What the blueprint deploys, in file order."""
        return self.blueprint.resources


def _issue(source: str, doc: Located | None, problem: Problem) -> FileProblem:
    pos = doc.position(problem.path, key=problem.at_key) if doc is not None else None
    return FileProblem(
        file=source,
        path=format_path(problem.path) if problem.path else "",
        line=pos.line if pos else None,
        column=pos.column if pos else None,
        message=problem.message,
    )


def _fail(source: str, doc: Located | None, problems: list[Problem]) -> BlueprintFileError:
    issues = list(dict.fromkeys(_issue(source, doc, p) for p in problems))
    issues.sort(key=lambda i: (i.line is None, i.line or 0, i.column or 0))
    return BlueprintFileError(source, issues)


def loads(
    text: str, *, name: str | None = None, source: str = "<string>", region: str | None = None
) -> BlueprintFile:
    """Load a blueprint from YAML text.

    ``name`` is the blueprint's name when the text has no ``blueprint`` key;
    ``source`` names the text in error messages (the file's path); ``region``,
    when given, replaces the file's ``region`` (as ``--region`` does).

    Raises:
        BlueprintFileError: with every problem found (a :class:`~secureml.ValidationError`).
    """
    doc = _parse(text, source)
    problems: list[Problem] = [Problem(p.path, p.message, True) for p in doc.problems]
    if any(p.fatal for p in doc.problems):
        raise BlueprintFileError(
            source,
            [
                FileProblem(
                    source,
                    format_path(p.path) if p.path else "",
                    p.position.line if p.position else None,
                    p.position.column if p.position else None,
                    p.message,
                )
                for p in doc.problems
            ],
        )
    if not isinstance(doc.data, Mapping):
        what = "an empty file" if doc.data is None else f"a {type(doc.data).__name__}"
        problems.append(
            Problem((), f"a blueprint file is a YAML mapping (personas:, assignments:, ...); got "
                    f"{what}")
        )
        raise _fail(source, doc, problems)
    data: Any = doc.data
    spec, found = structure(data, BlueprintSpec)
    problems += found
    dropped: list[tuple[str | int, ...]] = []
    if spec is None and found:
        spec, data, more, dropped = _read_shape(data, found)
        problems += more
    if spec is None:
        raise _fail(source, doc, problems)
    if region is not None:
        spec = attrs.evolve(spec, region=region)
    blueprint_name = spec.blueprint or name or "blueprint"
    if not BLUEPRINT_NAME.match(blueprint_name):
        origin = "" if spec.blueprint else " (taken from the file's name; add `blueprint: NAME`)"
        problems.append(
            Problem(("blueprint",),
                    f"{blueprint_name!r}{origin} is not a blueprint name: {BLUEPRINT_NAME_RULE}")
        )
    if spec.region is not None and not re.match(REGION, spec.region):
        problems.append(
            Problem(("region",), f"{spec.region!r} is not an AWS region name (like us-east-1)")
        )
    elif spec.region is not None:
        try:
            check_region(spec.region)
        except ValidationError as exc:
            problems.append(Problem(("region",), exc.problems[0].detail))
    built, found = build(spec, data)
    # A missing input next to an unknown key is most likely that key misspelt: one message.
    problems += [
        p for p in found
        if not (p in built.missing and any(p.path[: len(d)] == d for d in dropped))
    ]
    if problems:
        raise _fail(source, doc, problems)
    try:
        blueprint = Blueprint(blueprint_name, built.resources, region=spec.region)
    except ValidationError as exc:
        raise _fail(
            source, doc, [_engine_problem(p, built.resources, built.paths) for p in exc.problems]
        ) from None
    lines: dict[str, int] = {}
    for i, p in enumerate(spec.personas):
        pos = doc.position(("personas", i))
        if pos is not None:
            lines.setdefault(p.name, pos.line)
    for key, path in built.paths.items():
        pos = doc.position(path)
        if pos is not None:
            lines[key] = pos.line
    return BlueprintFile(
        name=blueprint_name,
        region=spec.region,
        personas=built.personas,
        blueprint=blueprint,
        spec=spec,
        source=source,
        lines=lines,
    )


def _parse(text: str, source: str) -> Located:
    """The document, or a :class:`BlueprintFileError` for text that is not a readable
    YAML document (not text, too large, not printable, a syntax error, over the
    reader's bounds)."""
    if not isinstance(text, str):
        raise BlueprintFileError(
            source,
            [FileProblem(source, "", None, None, f"expected the file's text (a str), got "
                         f"{type(text).__name__}; use load(PATH) to read a file")],
        )
    if len(text) > MAX_FILE_CHARS:
        raise BlueprintFileError(
            source,
            [FileProblem(source, "", None, None, f"the file has {len(text):,} characters; a "
                         f"blueprint file may have at most {MAX_FILE_CHARS:,}")],
        )
    try:
        doc = parse(text)
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        raise BlueprintFileError(
            source,
            [FileProblem(source, "", line, column, f"character {exc.character!r} is not allowed "
                         "in YAML (is this a binary file?); a blueprint file is UTF-8 text")],
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BlueprintFileError(
            source,
            [
                FileProblem(
                    source,
                    "",
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    f"YAML syntax error: {_syntax_message(exc)}",
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise BlueprintFileError(
            source, [FileProblem(source, "", None, None, f"YAML syntax error: {exc}")]
        ) from None
    return doc


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's words, with where the construct it was reading began and a hint for
    the tab, the commonest cause."""
    context = exc.context or ""
    start = exc.context_mark
    problem = exc.problem_mark
    if context and start is not None and (
        problem is None or (start.line, start.column) != (problem.line, problem.column)
    ):
        context += f" (which began at line {start.line + 1}, column {start.column + 1})"
    message = ": ".join(x for x in (context, exc.problem or "") if x) or "not valid YAML"
    if "'\\t'" in message:
        message += "; indent with spaces, YAML does not allow tabs"
    plain = next((words for pattern, words in _PLAIN_SYNTAX if pattern in message), None)
    return f"{plain} (YAML: {message})" if plain else message


_PLAIN_SYNTAX = (
    ("'\\t'", "a tab character: indent with spaces only"),
    ("mapping values are not allowed here",
     "a 'key: value' where none can be: this line is probably indented more than the keys "
     "beside it, or a value containing ': ' needs quotes"),
    ("expected <block end>",
     "this line is indented differently from the lines above it in the same block: align "
     "it with its neighbours"),
    ("did not find expected key",
     "this line is indented differently from the keys of its block: align it with them"),
    ("did not find expected '-' indicator",
     "a list item ('- ...') is indented differently from the items above it"),
    ("could not find expected ':'",
     "a line in a mapping has no 'key: value' (a missing ': ' after the key, or wrong "
     "indentation)"),
    ("expected ',' or ']'", "a [list] is not closed with ']' or its items are not separated "
     "by ','"),
    ("expected ',' or '}'", "a {mapping} is not closed with '}' or its entries are not "
     "separated by ','"),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("found undefined alias", "a *name that no &name defines earlier in the file"),
)
"""PyYAML's messages in plain words (first match wins)."""


def _read_shape(
    data: Any, found: list[Problem]
) -> tuple[BlueprintSpec | None, Any, list[Problem], list[Path]]:
    """The file's shape read again without what ``found`` refused, so the rest of it
    is still checked: the spec, the data it came from, new problems, and the paths
    whose missing values those problems already explain."""
    if all(_is_unknown_key(p) for p in found):
        # Unknown keys carry no meaning, so the rest of the file can still be checked
        # without them: one run then reports a typo'd key and a bad reference together.
        data = _without(data, [p.path for p in found])
        spec, _ = structure(data, BlueprintSpec)
        return spec, data, [], [p.path[:-1] for p in found]
    # Other values that cannot be read are set aside too (see _recover).
    spec, data, more, dropped = recover(data, found, lambda d: structure(d, BlueprintSpec))
    return spec, data, more, dropped


def _is_unknown_key(problem: Problem) -> bool:
    return problem.unknown_key


def _without(data: Any, paths: list[tuple[str | int, ...]]) -> Any:
    """A copy of ``data`` without the keys at ``paths``."""
    data = copy.deepcopy(data)
    for path in paths:
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent.pop(path[-1], None)
    return data


def _engine_problem(
    problem: ApiProblem, resources: Sequence[Resource], paths: Mapping[str, Path]
) -> Problem:
    """A blueprint-level problem, filed under the part of the file that declared the
    resource it concerns (its path starts ``("resources", INDEX)``)."""
    where: Path = ()
    if problem.path[:1] == ("resources",) and len(problem.path) > 1:
        index = problem.path[1]
        if isinstance(index, int) and 0 <= index < len(resources):
            where = paths.get(resources[index].key, ())
    return Problem(where, str(problem))


def load(path: str | os.PathLike[str], *, region: str | None = None) -> BlueprintFile:
    """Load a blueprint file (UTF-8 YAML); its name defaults to the file's stem and
    ``region``, when given, replaces the file's.

    Raises:
        BlueprintFileError: with every problem found.
        OSError: when the file cannot be read.
    """
    fs_path = _FsPath(path)
    source = str(path)
    with fs_path.open("rb") as f:
        raw = f.read(MAX_FILE_CHARS * 4 + 1)
    if len(raw) > MAX_FILE_CHARS * 4:
        raise BlueprintFileError(
            source,
            [FileProblem(source, "", None, None, "the file is larger than a blueprint file may "
                         f"be ({MAX_FILE_CHARS:,} characters)")],
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", "replace")
        line, column = _line_column(before, len(before))
        hint = (
            " (it starts like UTF-16: save it as UTF-8)"
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            else " (is this a binary file?)"
        )
        raise BlueprintFileError(
            source,
            [FileProblem(source, "", line, column, f"byte {raw[exc.start]:#04x} is not UTF-8"
                         f"{hint}; a blueprint file is UTF-8 text")],
        ) from None
    return loads(text, name=fs_path.stem, source=source, region=region)


MAX_FILE_CHARS = 1_000_000
"""The largest blueprint file read, in characters (a large real one has 50,000)."""


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of ``position`` in ``text``."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def schema_text() -> str:
    """The JSON Schema of blueprint files as published (``schema/blueprint.schema.json``)."""
    return json.dumps(json_schema(), indent=2) + "\n"
