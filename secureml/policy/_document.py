"""Canonical, frozen IAM policy documents.

One canonical form: actions and resources deduplicated and sorted, condition
values as sorted strings, statements deduplicated and sorted, one-item lists
collapsed as AWS returns them. A document read back from AWS, whether as the
URL-encoded string IAM's API returns or as the dict boto3 decodes it to,
parses to a value equal to the one secureml wrote, so plans never show a
phantom difference.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from secureml._convert import as_items, describe
from secureml._display import Facts, Readable, html_block
from secureml._validation import Checked
from secureml.errors import Problem, ValidationError

__all__ = [
    "VERSION",
    "Condition",
    "PolicyDocument",
    "Statement",
]

VERSION = "2012-10-17"

Effect: TypeAlias = Literal["Allow", "Deny"]
JSONDict: TypeAlias = dict[str, Any]


_ACTION = re.compile(r"^(?:\*|[A-Za-z0-9-]+:[A-Za-z0-9_.*?-]+)$")
_VERSIONS = (VERSION, "2008-10-17")


def _strings(value: str | Iterable[str] | None, field: str) -> tuple[str, ...]:
    """Deduplicate and sort a str or an iterable of str, refusing anything else."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if isinstance(items, Mapping) or not isinstance(items, Iterable):
        raise ValidationError(
            f"statement {field}: {value!r} is not a string or a list of strings"
        )
    out: set[str] = set()
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(
                f"statement {field}: {item!r} is not allowed; each entry is a non-empty string"
            )
        out.add(item)
    return tuple(sorted(out))


def _action_list(value: str | Iterable[str] | None, field: str) -> tuple[str, ...]:
    actions = _strings(value, field)
    bad = [a for a in actions if not _ACTION.match(a)]
    if bad:
        raise ValidationError(
            f"statement {field}: {bad} are not IAM actions; an action is '*' or "
            "'service:ActionName' (wildcards * and ? allowed), e.g. 's3:GetObject'"
        )
    return actions


def _actions(value: str | Iterable[str] | None) -> tuple[str, ...]:
    return _action_list(value, "actions")


def _not_actions(value: str | Iterable[str] | None) -> tuple[str, ...]:
    return _action_list(value, "not_actions")


def _resources(value: str | Iterable[str] | None) -> tuple[str, ...]:
    return _strings(value, "resources")


def _not_resources(value: str | Iterable[str] | None) -> tuple[str, ...]:
    return _strings(value, "not_resources")


def _value_str(value: object) -> str:
    # IAM compares condition values as strings: true, "true" and "True" for
    # Bool are the same to it, and numbers may be written either way.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValidationError(
        f"condition value {value!r} is not allowed; values are strings, numbers or booleans"
    )


def _values(value: object) -> tuple[str, ...]:
    seq = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    return tuple(sorted({_value_str(x) for x in seq}))


def _collapse(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


@attrs.frozen(order=True)
class Condition(Checked):
    """One condition: ``operator`` (e.g. ``StringEquals``), ``key`` (e.g.
    ``aws:SourceAccount``) and ``values``.

    >>> Condition("Bool", "aws:SecureTransport", [False]).values
    ('false',)
    """

    operator: str
    key: str
    values: tuple[str, ...] = attrs.field(converter=_values)

    def problems(self) -> list[Problem]:
        """A non-empty operator and key, and at least one value."""
        if not isinstance(self.operator, str) or not isinstance(self.key, str) or not (
            self.operator.strip() and self.key.strip()
        ):
            bad = "operator" if not (isinstance(self.operator, str) and self.operator.strip()) \
                else "key"
            return [Problem(
                bad, getattr(self, bad),
                f"condition {self.operator!r}/{self.key!r}: operator and key must be non-empty "
                "strings, e.g. Condition('StringEquals', 'aws:SourceAccount', ['111122223333'])",
            )]
        if not self.values:
            return [Problem(
                "values", (), f"condition {self.operator} {self.key}: needs at least one value"
            )]
        return []


def _conditions(value: Iterable[Condition] | Mapping[str, Mapping[str, Any]] | None) -> tuple[
    Condition, ...
]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        merged: dict[tuple[str, str], set[str]] = {}
        for operator, block in value.items():
            if not isinstance(block, Mapping):
                raise ValidationError(
                    f"condition operator {operator!r}: expected a mapping of keys to values, "
                    f"got {block!r}"
                )
            for key, vals in block.items():
                merged.setdefault((operator, key), set()).update(_values(vals))
        return tuple(sorted(Condition(op, key, sorted(v)) for (op, key), v in merged.items()))
    merged2: dict[tuple[str, str], set[str]] = {}
    for cond in as_items(value, "conditions", "Conditions (or a mapping of operators)"):
        if not isinstance(cond, Condition):
            raise ValidationError(
                f"statement conditions: {cond!r} is not a Condition; give Condition values or "
                "a mapping like {'StringEquals': {'aws:SourceAccount': '111122223333'}}"
            )
        merged2.setdefault((cond.operator, cond.key), set()).update(cond.values)
    return tuple(sorted(Condition(op, key, sorted(v)) for (op, key), v in merged2.items()))


def _principals(
    value: str | Mapping[str, str | Iterable[str]] | Iterable[tuple[str, tuple[str, ...]]] | None,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if value != "*":
            raise ValidationError(
                f"principal {value!r}: a principal is '*' or a mapping like "
                "{'Service': 'sagemaker.amazonaws.com'}"
            )
        return (("*", ("*",)),)
    items = (
        value.items() if isinstance(value, Mapping)
        else as_items(value, "principals", "(kind, ids) pairs or a mapping")
    )
    out = []
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ValidationError(
                f"principal {describe(item)}: a principal is a mapping like "
                "{'Service': 'sagemaker.amazonaws.com'}"
            )
        kind, ids = item
        out.append((str(kind), _strings(ids, f"principal {kind}")))
    return tuple(sorted(out))


@attrs.frozen(order=False)
class Statement(Checked):
    """One IAM policy statement, in canonical form.

    Exactly one of ``actions``/``not_actions`` is set; ``resources`` and
    ``not_resources`` likewise (except in trust policies, which have
    ``principals`` and no resource).

    >>> s = Statement(actions=["s3:PutObject", "s3:GetObject", "s3:GetObject"],
    ...               resources="arn:aws:s3:::data/*")
    >>> s.actions
    ('s3:GetObject', 's3:PutObject')
    >>> s.to_dict()["Resource"]
    'arn:aws:s3:::data/*'
    """

    actions: tuple[str, ...] = attrs.field(default=(), converter=_actions)
    resources: tuple[str, ...] = attrs.field(default=(), converter=_resources)
    effect: Effect = "Allow"
    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    not_actions: tuple[str, ...] = attrs.field(default=(), converter=_not_actions)
    not_resources: tuple[str, ...] = attrs.field(
        default=(), converter=_not_resources
    )
    principals: tuple[tuple[str, tuple[str, ...]], ...] = attrs.field(
        default=(), converter=_principals
    )
    sid: str | None = None

    def problems(self) -> list[Problem]:
        """The effect, one of actions/not_actions, resources (or a principal), the sid."""
        problems = []
        if self.effect not in ("Allow", "Deny"):
            problems.append(Problem(
                "effect", self.effect,
                f"statement effect {self.effect!r}: allowed are 'Allow' and 'Deny'",
            ))
        if bool(self.actions) == bool(self.not_actions):
            problems.append(Problem(
                "actions", list(self.actions),
                "a statement needs exactly one of actions or not_actions "
                f"(got actions={list(self.actions)}, not_actions={list(self.not_actions)})",
            ))
        if self.resources and self.not_resources:
            problems.append(Problem(
                "not_resources", list(self.not_resources),
                "a statement takes resources or not_resources, not both",
            ))
        elif not (self.resources or self.not_resources or self.principals):
            # Only trust policies (which name a principal) go without a resource.
            problems.append(Problem(
                "resources", None,
                f"statement {self.actions or self.not_actions}: needs resources (or "
                "not_resources); use resources='*' only for actions without resource types",
            ))
        if self.sid is not None and not isinstance(self.sid, str):
            problems.append(
                Problem("sid", self.sid, f"statement sid: {self.sid!r} is not a string")
            )
        return problems

    # -- views -----------------------------------------------------------------

    @property
    def condition_keys(self) -> tuple[str, ...]:
        """The distinct condition keys this statement tests."""
        return tuple(sorted({c.key for c in self.conditions}))

    def with_actions(self, actions: Iterable[str]) -> Statement:
        """The same statement with other actions."""
        return attrs.evolve(self, actions=tuple(actions))

    def scope(self) -> tuple[object, ...]:
        """Everything but the actions: statements with equal scopes can merge."""
        return (
            self.effect,
            self.resources,
            self.not_resources,
            self.conditions,
            self.principals,
            self.sid,
            bool(self.not_actions),
        )

    def sort_key(self) -> str:
        """A total order for canonical documents (their JSON text)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    # -- (de)serialisation -------------------------------------------------------

    def to_dict(self) -> JSONDict:
        """The statement as AWS writes it (one-item lists collapsed)."""
        out: JSONDict = {}
        if self.sid is not None:
            out["Sid"] = self.sid
        out["Effect"] = self.effect
        if self.principals:
            if self.principals == (("*", ("*",)),):
                out["Principal"] = "*"
            else:
                out["Principal"] = {k: _collapse(v) for k, v in self.principals}
        if self.actions:
            out["Action"] = _collapse(self.actions)
        if self.not_actions:
            out["NotAction"] = _collapse(self.not_actions)
        if self.resources:
            out["Resource"] = _collapse(self.resources)
        if self.not_resources:
            out["NotResource"] = _collapse(self.not_resources)
        if self.conditions:
            block: dict[str, dict[str, str | list[str]]] = {}
            for cond in self.conditions:
                block.setdefault(cond.operator, {})[cond.key] = _collapse(cond.values)
            out["Condition"] = block
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Statement:
        """Parse a statement as AWS returns it.

        >>> Statement.from_dict({"Effect": "Allow", "Action": "s3:GetObject",
        ...                      "Resource": ["arn:aws:s3:::b/*"]}).resources
        ('arn:aws:s3:::b/*',)
        """
        if not isinstance(data, Mapping):
            raise ValidationError(f"statement {data!r}: a statement is a JSON object")
        unknown = sorted(set(data) - _STATEMENT_KEYS)
        if unknown:
            raise ValidationError(
                f"statement has unsupported keys {unknown}; allowed are {sorted(_STATEMENT_KEYS)}"
            )
        if "Effect" not in data:
            raise ValidationError(
                f"statement {dict(data)!r}: Effect is missing; it is 'Allow' or 'Deny'"
            )
        return cls(
            sid=data.get("Sid") or None,
            effect=data["Effect"],
            actions=data.get("Action"),
            not_actions=data.get("NotAction"),
            resources=data.get("Resource"),
            not_resources=data.get("NotResource"),
            conditions=data.get("Condition"),
            principals=data.get("Principal"),
        )


_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal"}
)
_DOCUMENT_KEYS = frozenset({"Version", "Id", "Statement"})


def _statements(value: Statement | Iterable[Statement | Mapping[str, Any]]) -> tuple[
    Statement, ...
]:
    items = [value] if isinstance(value, Statement) else as_items(
        value, "statements", "Statements (or statement dicts)"
    )
    parsed = []
    for item in items:
        stmt = Statement.from_dict(item) if isinstance(item, Mapping) else item
        if not isinstance(stmt, Statement):
            raise ValidationError(
                f"policy statements: {stmt!r} is not a Statement (or a statement dict)"
            )
        parsed.append(stmt)
    unique = {s.sort_key(): s for s in parsed}
    return tuple(unique[k] for k in sorted(unique))


@attrs.frozen
class PolicyDocument(Checked, Readable):
    """A canonical IAM policy document: statements deduplicated and sorted.

    >>> doc = PolicyDocument([Statement(actions="s3:ListBucket",
    ...                                 resources="arn:aws:s3:::data")])
    >>> PolicyDocument.from_json(doc.to_json()) == doc
    True
    >>> doc.size
    113
    """

    statements: tuple[Statement, ...] = attrs.field(default=(), converter=_statements)
    version: str = VERSION
    id: str | None = None

    def problems(self) -> list[Problem]:
        """The version, and each Sid used once."""
        problems = []
        if self.version not in _VERSIONS:
            problems.append(Problem(
                "version", self.version,
                f"policy Version: {self.version!r} is not allowed; use {VERSION!r} "
                f"(or the legacy {_VERSIONS[1]!r})",
            ))
        sids = [s.sid for s in self.statements if s.sid is not None]
        repeated = sorted({sid for sid in sids if sids.count(sid) > 1})
        if repeated:
            problems.append(Problem(
                "statements", repeated,
                f"policy statements: Sid {repeated} used by more than one statement; "
                "IAM requires each Sid to be unique within a policy",
            ))
        return problems

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.statements)

    def __len__(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        """The document as IAM JSON (indented), ready to paste into a console."""
        return self.to_json(indent=2)

    def _display_title(self) -> str:
        return (
            f"IAM policy document: {len(self.statements)} statement(s), {self.size:,} "
            "characters without whitespace (a managed policy takes 6,144)"
        )

    def _display_facts(self) -> Facts:
        return ()

    def _display_body(self) -> str:
        return self.to_json(indent=2)

    def _repr_html_(self) -> str:
        return html_block(self._display_title(), (), self._display_body(), pre=True)

    @property
    def actions(self) -> frozenset[str]:
        """Every action named in an ``Action`` element."""
        return frozenset(a for s in self.statements for a in s.actions)

    @property
    def size(self) -> int:
        """Size as IAM counts it against its quotas: characters, whitespace excluded."""
        return policy_size(self.to_json())

    def to_dict(self) -> JSONDict:
        """The document as a JSON-ready dict."""
        out: JSONDict = {"Version": self.version}
        if self.id is not None:
            out["Id"] = self.id
        out["Statement"] = [s.to_dict() for s in self.statements]
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """Compact JSON (or indented with ``indent``), keys in a stable order."""
        if indent is None:
            return json.dumps(self.to_dict(), separators=(",", ":"))
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyDocument:
        """Parse a document dict (``Statement`` may be one statement or a list)."""
        if not isinstance(data, Mapping):
            raise ValidationError(f"policy document {data!r}: a policy document is a JSON object")
        unknown = sorted(set(data) - _DOCUMENT_KEYS, key=repr)
        if unknown:
            raise ValidationError(
                f"policy document has unsupported keys {unknown}; allowed are "
                f"{sorted(_DOCUMENT_KEYS)}"
            )
        raw = data.get("Statement") or []
        items = [raw] if isinstance(raw, Mapping) else raw
        if not isinstance(items, list | tuple):
            raise ValidationError(
                f"policy Statement: {raw!r} is not allowed; it is a statement or a list of them"
            )
        return cls(
            statements=[Statement.from_dict(s) for s in items],
            # IAM reads a document without Version as the legacy 2008-10-17
            # language (no policy variables), so it is not equal to ours.
            version=data.get("Version", _VERSIONS[1]),
            id=data.get("Id"),
        )

    @classmethod
    def from_json(cls, text: str | bytes | Mapping[str, Any]) -> PolicyDocument:
        """Parse JSON text, IAM's URL-encoded form of it, or an already decoded dict.

        >>> PolicyDocument.from_json('%7B%22Statement%22%3A%5B%5D%7D').statements
        ()
        """
        if isinstance(text, Mapping):
            return cls.from_dict(text)
        if isinstance(text, bytes):
            try:
                text = text.decode()
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"policy document: byte {exc.start} is not UTF-8; give the JSON as text"
                ) from None
        if not isinstance(text, str):
            raise ValidationError(
                f"policy document: {describe(text)} is not JSON text, bytes or a dict"
            )
        stripped = text.strip()
        if not stripped.startswith("{"):
            stripped = urllib.parse.unquote(stripped)
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"policy document is not valid JSON: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ValidationError("policy document must be a JSON object")
        return cls.from_dict(data)

    def merged(self) -> PolicyDocument:
        """Statements that differ only in their actions merged into one."""
        return PolicyDocument(merge_statements(self.statements), version=self.version, id=self.id)


def merge_statements(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    """Merge statements whose scope (effect, resources, conditions, principals)
    is the same into one statement with the union of their actions.

    Only ``Action`` statements merge with each other and ``NotAction`` ones
    with each other, so the meaning of every statement is kept.
    """
    groups: dict[tuple[object, ...], list[Statement]] = {}
    for stmt in statements:
        groups.setdefault(stmt.scope(), []).append(stmt)
    merged = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            merged.append(first)
        elif first.not_actions:
            # The union of NotAction lists would widen the grant; keep them apart.
            merged.extend(group)
        else:
            merged.append(first.with_actions(a for s in group for a in s.actions))
    return _statements(merged)


def policy_size(text: str) -> int:
    """Characters of a JSON policy that count against IAM's size quotas
    (whitespace is not counted).

    >>> policy_size('{"Version": "2012-10-17"}')
    24
    """
    return sum(1 for ch in text if not ch.isspace())
