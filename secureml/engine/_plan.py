"""What a blueprint would change: :class:`Change`, :class:`Plan` and the readable diff."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs

from secureml.policy import Finding
from secureml.resources import Observed, Resource, State

__all__ = ["ACTIONS", "Action", "Change", "Plan", "diff_lines"]

Action: TypeAlias = Literal["create", "update", "delete", "no-op"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "no-op")
"""Every action a change can have."""

_SYMBOL = {"create": "+", "update": "~", "delete": "-", "no-op": "="}


@attrs.frozen
class Change:
    """One resource's change: ``action`` takes ``resource`` from ``before`` to ``after``.

    ``before`` is the observed state (``None`` for a create), ``after`` the
    desired one (``None`` for a delete); both are JSON-ready dicts. ``orphan``
    marks the delete of a resource the blueprint owns but no longer lists: it
    is carried out only by ``apply(prune=True)``. ``observed`` is what the
    resource read (ARNs, version ids) and takes no part in equality.
    ``findings`` are the resource's lint findings (what it grants beyond the
    defaults, guard-rails turned off), shown even when nothing changes.
    """

    action: Action
    resource: Resource = attrs.field(eq=False)
    before: State | None
    after: State | None
    orphan: bool = False
    observed: Observed | None = attrs.field(default=None, eq=False, repr=False)
    findings: tuple[Finding, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def key(self) -> str:
        """The resource's key (``kind/name``)."""
        return self.resource.key

    @property
    def kind(self) -> str:
        """The resource's kind."""
        return self.resource.kind

    @property
    def name(self) -> str:
        """The resource's name."""
        return self.resource.name

    def diff(self) -> list[str]:
        """The change as readable lines: every differing field, policies statement
        by statement (``-`` removed, ``+`` added)."""
        if self.action == "no-op":
            return []
        return diff_lines(self.before, self.after)

    def __str__(self) -> str:
        head = f"{_SYMBOL[self.action]} {self.action} {self.resource.describe()}"
        if self.orphan:
            head += " (no longer in the blueprint)"
        notes = [f"! {f.code} {f.severity.value}: {f.message}" for f in self.findings]
        return "\n".join([head, *("    " + line for line in [*self.diff(), *notes])])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: action, key, kind, name, orphan, before, after, findings."""
        return {
            "action": self.action,
            "key": self.key,
            "kind": self.kind,
            "name": self.name,
            "description": self.resource.describe(),
            "orphan": self.orphan,
            "before": self.before,
            "after": self.after,
            "findings": [
                {"code": f.code, "severity": f.severity.value, "message": f.message}
                for f in self.findings
            ],
        }


def _changes(value: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(value)


@attrs.frozen
class Plan:
    """What :meth:`Blueprint.apply <secureml.Blueprint.apply>` would do, from
    :meth:`Blueprint.plan <secureml.Blueprint.plan>` (which only reads).

    ``changes`` holds one change per blueprint resource (``no-op`` when in
    sync) in dependency order, then a ``delete`` per resource the blueprint
    owns but no longer lists. Those deletes are carried out only when
    ``prune`` is true; :attr:`pending` lists what apply would really do and
    :attr:`is_empty` says whether that is nothing.
    """

    blueprint: str
    changes: tuple[Change, ...] = attrs.field(converter=_changes)
    prune: bool = False
    account_id: str | None = None
    region: str | None = None
    warnings: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    @property
    def pending(self) -> list[Change]:
        """The changes apply would carry out (no no-ops; orphan deletes only with prune)."""
        return [
            c for c in self.changes if c.action != "no-op" and (self.prune or not c.orphan)
        ]

    @property
    def kept(self) -> list[Change]:
        """Deletes of orphans that apply leaves alone because ``prune`` is false."""
        return [c for c in self.changes if c.orphan and not self.prune]

    @property
    def findings(self) -> list[tuple[Change, Finding]]:
        """Every resource's lint findings, with the change they belong to."""
        return [(c, f) for c in self.changes for f in c.findings]

    @property
    def is_empty(self) -> bool:
        """Whether apply (with this plan's ``prune``) would make no change."""
        return not self.pending

    def counts(self) -> dict[str, int]:
        """How many changes of each action (orphan deletes kept without prune excluded)."""
        out: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            if change.orphan and not self.prune:
                continue
            out[change.action] += 1
        return out

    def summary(self) -> str:
        """One line: how many resources to create, update, delete and leave alone."""
        c = self.counts()
        text = (
            f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete, "
            f"{c['no-op']} unchanged"
        )
        if self.kept:
            text += f"; {len(self.kept)} no longer in the blueprint, kept (apply with prune=True)"
        return text

    def __str__(self) -> str:
        where = ", ".join(x for x in (self.account_id, self.region) if x)
        lines = [f"Plan for blueprint {self.blueprint!r}" + (f" ({where})" if where else "")]
        lines.extend(f"warning: {w}" for w in self.warnings)
        for change in self.changes:
            if change.action != "no-op" or change.findings:
                lines.append(str(change))
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole plan (``json.dumps`` takes it as is)."""
        return {
            "blueprint": self.blueprint,
            "account_id": self.account_id,
            "region": self.region,
            "prune": self.prune,
            "is_empty": self.is_empty,
            "summary": self.counts(),
            "warnings": list(self.warnings),
            "findings": len(self.findings),
            "changes": [c.to_dict() for c in self.changes],
        }


# -- the readable diff ---------------------------------------------------------------


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _is_policy(value: Any) -> bool:
    return isinstance(value, Mapping) and "Statement" in value


def _statements(doc: Mapping[str, Any]) -> list[str]:
    raw = doc.get("Statement", [])
    items = [raw] if isinstance(raw, Mapping) else list(raw)
    return [_compact(s) for s in items]


def _policy_lines(path: str, before: Any, after: Any) -> list[str]:
    old = _statements(before) if _is_policy(before) else []
    new = _statements(after) if _is_policy(after) else []
    removed = [s for s in old if s not in new]
    added = [s for s in new if s not in old]
    lines = [f"{path}: policy, {len(removed)} statement(s) removed, {len(added)} added"]
    lines.extend(f"  - {s}" for s in removed)
    lines.extend(f"  + {s}" for s in added)
    if _is_policy(before) and _is_policy(after):
        for key in sorted({*before, *after} - {"Statement"}):
            if before.get(key) != after.get(key):
                lines.append(f"  {key}: {_compact(before.get(key))} -> {_compact(after.get(key))}")
    return lines


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(path: str, before: Any, after: Any) -> list[str]:
    if before == after:
        return []
    if _is_policy(before) or _is_policy(after):
        return _policy_lines(path or "document", before, after)
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        lines: list[str] = []
        for key in sorted({*before, *after}, key=str):
            if key not in before:
                lines.extend(_added(_join(path, str(key)), after[key]))
            elif key not in after:
                lines.append(f"- {_join(path, str(key))}: {_summary(before[key])}")
            else:
                lines.extend(_walk(_join(path, str(key)), before[key], after[key]))
        return lines
    if (
        isinstance(before, Sequence)
        and isinstance(after, Sequence)
        and not isinstance(before, str)
        and not isinstance(after, str)
    ):
        old = [_compact(v) for v in before]
        new = [_compact(v) for v in after]
        lines = [f"{path}:"]
        lines.extend(f"  - {v}" for v in old if v not in new)
        lines.extend(f"  + {v}" for v in new if v not in old)
        if len(lines) == 1:
            lines.append("  (order changed)")
        return lines
    return [f"{path}: {_compact(before)} -> {_compact(after)}"]


def _summary(value: Any) -> str:
    if _is_policy(value):
        return f"policy with {len(_statements(value))} statement(s)"
    return _compact(value)


def _added(path: str, value: Any) -> list[str]:
    if _is_policy(value):
        return [f"+ {path}: policy", *(f"  + {s}" for s in _statements(value))]
    if isinstance(value, Mapping) and value:
        return [
            line for k in sorted(value, key=str) for line in _added(_join(path, str(k)), value[k])
        ]
    return [f"+ {path}: {_compact(value)}"]


def diff_lines(before: State | None, after: State | None) -> list[str]:
    """Readable lines describing how ``before`` becomes ``after``.

    Plain fields show ``old -> new``; list fields the items removed and added;
    policy documents (any dict with a ``Statement``) the statements removed and
    added, one compact JSON line each. A create lists every field of ``after``.

    >>> diff_lines({"tags": {"a": "1"}}, {"tags": {"a": "2"}})
    ['tags.a: "1" -> "2"']
    """
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        return [line for key in sorted(after) for line in _added(key, after[key])]
    if after is None:
        return [f"- {key}: {_summary(before[key])}" for key in sorted(before)]
    return _walk("", before, after)
