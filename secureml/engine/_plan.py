"""What a blueprint would change: :class:`Change`, :class:`Plan` and the readable diff."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import attrgetter
from typing import Any, Literal, TypeAlias

import attrs
import cattrs
from cattrs.gen import override

from secureml._display import Readable, table_html
from secureml._unstructure import FIELD, Layout, as_is, json_converter, view_hook
from secureml.engine._policy_diff import policy_table
from secureml.policy import Finding
from secureml.resources import Observed, Resource, State

__all__ = [
    "ACTIONS",
    "PRUNE_HINT",
    "Action",
    "Change",
    "Plan",
    "diff_lines",
    "label",
    "plan_converter",
]

Action: TypeAlias = Literal["create", "update", "delete", "no-op"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "no-op")
"""Every action a change can have."""

_SYMBOL = {"create": "+", "update": "~", "delete": "-", "no-op": "="}

_TITLES = {
    "iam-role": "IAM role",
    "iam-policy": "IAM managed policy",
    "sso-permission-set": "permission set",
    "sso-group-assignment": "group assignment",
    "sso-user-assignment": "user assignment",
}


def label(resource: Resource) -> str:
    """How plans name a resource, one style for every kind: what it is in words,
    then its name, then any detail (``permission set team-a-ds (persona
    team-a-ds)``), never the bare ``kind/name`` key."""
    described = resource.describe()
    if described.startswith(resource.key):
        title = _TITLES.get(resource.kind, resource.kind.replace("-", " "))
        return f"{title} {resource.name}{described[len(resource.key):]}"
    return described


PRUNE_HINT = "apply with prune=True to delete them"
"""How the Python API deletes resources no longer in a blueprint (the CLI says ``--prune``)."""


@attrs.frozen
class Change(Readable):
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

    @property
    def label(self) -> str:
        """The resource as plans name it (see :func:`label`)."""
        return label(self.resource)

    def diff(self, *, verbose: bool = False) -> list[str]:
        """The change as readable lines: every differing field, list items one by
        one, policies as a table of statements added, removed and changed (with
        ``verbose``, also each statement's JSON)."""
        if self.action == "no-op":
            return []
        return diff_lines(self.before, self.after, verbose=verbose)

    def __str__(self) -> str:
        return self.text()

    def text(self, *, verbose: bool = False) -> str:
        """The change as readable text (``str(change)``); ``verbose`` adds the raw
        JSON of every statement added or removed."""
        head = f"{_SYMBOL[self.action]} {self.action} {self.label}"
        if self.orphan:
            head += " (no longer in the blueprint)"
        notes = [f"! {f.code} {f.severity.value}: {f.message}" for f in self.findings]
        lines = [*self.diff(verbose=verbose), *notes]
        return "\n".join([head, *("    " + line for line in lines)])

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _row(self) -> list[str]:
        what = "\n".join([*self.diff(), *(str(f) for f in self.findings)])
        name = self.label
        if self.orphan:
            name += " (no longer in the blueprint)"
        return [_SYMBOL[self.action], self.action, name, what]

    def _repr_html_(self) -> str:
        return table_html(["", "action", "resource", "what changes"], [self._row()])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: action, key, kind, name, orphan, before, after, findings."""
        data: dict[str, Any] = plan_converter().unstructure(self)
        return data


def _changes(value: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(value)


@attrs.frozen
class Plan(Readable):
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

    def summary_counts(self) -> dict[str, int]:
        """The counts with plain identifiers for keys, for machines: ``create``,
        ``update``, ``delete`` (orphans only with prune), ``unchanged``, ``kept``
        (orphans left in place without prune)."""
        c = self.counts()
        return {
            "create": c["create"],
            "update": c["update"],
            "delete": c["delete"],
            "unchanged": c["no-op"],
            "kept": len(self.kept),
        }

    def summary(self, *, prune_hint: str = PRUNE_HINT) -> str:
        """One line: how many resources to create, update, delete and leave alone
        (``prune_hint`` says how to delete those no longer in the blueprint)."""
        c = self.counts()
        text = (
            f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete, "
            f"{c['no-op']} unchanged"
        )
        if self.kept:
            text += f"; {len(self.kept)} no longer in the blueprint, kept ({prune_hint})"
        return text

    def __str__(self) -> str:
        return self.text()

    def text(self, *, prune_hint: str = PRUNE_HINT, verbose: bool = False) -> str:
        """The readable plan (``str(plan)``); ``prune_hint`` as for :meth:`summary`,
        ``verbose`` as for :meth:`Change.text`."""
        where = ", ".join(x for x in (self.account_id, self.region) if x)
        lines = [f"Plan for blueprint {self.blueprint!r}" + (f" ({where})" if where else "")]
        lines.extend(f"warning: {w}" for w in self.warnings)
        for change in self.changes:
            if change.action != "no-op" or change.findings:
                lines.append(change.text(verbose=verbose))
        lines.append(self.summary(prune_hint=prune_hint))
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _repr_html_(self) -> str:
        import html  # noqa: PLC0415

        where = ", ".join(x for x in (self.account_id, self.region) if x)
        head = f"Plan for blueprint {self.blueprint!r}" + (f" ({where})" if where else "")
        parts = [f"<div><strong>{html.escape(head)}</strong>"]
        parts.extend(f"<p>warning: {html.escape(w)}</p>" for w in self.warnings)
        rows = [c._row() for c in self.changes if c.action != "no-op" or c.findings]
        if rows:
            parts.append(table_html(["", "action", "resource", "what changes"], rows))
        parts.append(f"<p>{html.escape(self.summary())}</p></div>")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole plan (``json.dumps`` takes it as is)."""
        data: dict[str, Any] = plan_converter().unstructure(self)
        return data


@functools.cache
def plan_converter() -> cattrs.Converter:
    """The cattrs converter of plans' JSON views (:meth:`Plan.to_dict`,
    :meth:`Change.to_dict`): a finding by its code, severity and message; a
    change with its resource's key, kind, name and description, and its states
    as they are (JSON-ready already); a plan with its summary and how many
    findings it carries."""
    conv = json_converter()
    conv.register_unstructure_hook(
        Finding, view_hook(conv, Finding, {"code": FIELD, "severity": FIELD, "message": FIELD})
    )
    change: Layout = {
        "action": FIELD,
        "key": attrgetter("key"),
        "kind": attrgetter("kind"),
        "name": attrgetter("name"),
        "description": attrgetter("label"),
        "orphan": FIELD,
        "before": FIELD,
        "after": FIELD,
        "findings": FIELD,
    }
    conv.register_unstructure_hook(
        Change,
        view_hook(
            conv,
            Change,
            change,
            before=override(unstruct_hook=as_is),
            after=override(unstruct_hook=as_is),
        ),
    )
    plan: Layout = {
        "blueprint": FIELD,
        "account_id": FIELD,
        "region": FIELD,
        "prune": FIELD,
        "is_empty": attrgetter("is_empty"),
        "summary": Plan.summary_counts,
        "warnings": FIELD,
        "findings": lambda p: len(p.findings),
        "changes": FIELD,
    }
    conv.register_unstructure_hook(Plan, view_hook(conv, Plan, plan))
    return conv


# -- the readable diff ---------------------------------------------------------------


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _is_policy(value: Any) -> bool:
    return isinstance(value, Mapping) and "Statement" in value


def _statements(doc: Mapping[str, Any]) -> list[str]:
    raw = doc.get("Statement", [])
    items = [raw] if isinstance(raw, Mapping) else list(raw)
    return [_compact(s) for s in items]


def _policy_lines(path: str, before: Any, after: Any, verbose: bool) -> list[str]:
    summary, table = policy_table(before if _is_policy(before) else None,
                                  after if _is_policy(after) else None)
    lines = [f"{path}: policy, {summary}"]
    lines.extend(f"  {row}" for row in table)
    if verbose:
        old = _statements(before) if _is_policy(before) else []
        new = _statements(after) if _is_policy(after) else []
        lines.extend(f"  - {s}" for s in old if s not in new)
        lines.extend(f"  + {s}" for s in new if s not in old)
    if _is_policy(before) and _is_policy(after):
        for key in sorted({*before, *after} - {"Statement"}):
            if before.get(key) != after.get(key):
                lines.append(f"  {key}: {_compact(before.get(key))} -> {_compact(after.get(key))}")
    return lines


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _walk(path: str, before: Any, after: Any, verbose: bool = False) -> list[str]:
    if before == after:
        return []
    if _is_policy(before) or _is_policy(after):
        return _policy_lines(path or "document", before, after, verbose)
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        lines: list[str] = []
        for key in sorted({*before, *after}, key=str):
            if key not in before:
                lines.extend(_added(_join(path, str(key)), after[key], verbose))
            elif key not in after:
                lines.append(f"- {_join(path, str(key))}: {_summary(before[key])}")
            else:
                lines.extend(_walk(_join(path, str(key)), before[key], after[key], verbose))
        return lines
    if _is_list(before) and _is_list(after):
        if (
            len(before) == len(after)
            and all(isinstance(v, Mapping) for v in [*before, *after])
        ):
            # Item by item: one value changed deep inside shows as that value, not
            # as the whole item removed and added again.
            return [
                line
                for i, (old_item, new_item) in enumerate(zip(before, after, strict=True))
                for line in _walk(f"{path}[{i}]", old_item, new_item, verbose)
            ]
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


def _added(path: str, value: Any, verbose: bool = False) -> list[str]:
    if _is_policy(value):
        return [f"+ {path}: policy", *(f"  {line}" for line in _policy_lines(
            "", None, value, verbose)[1:])]
    if isinstance(value, Mapping) and value:
        return [
            line
            for k in sorted(value, key=str)
            for line in _added(_join(path, str(k)), value[k], verbose)
        ]
    return [f"+ {path}: {_compact(value)}"]


def diff_lines(
    before: State | None, after: State | None, *, verbose: bool = False
) -> list[str]:
    """Readable lines describing how ``before`` becomes ``after``.

    Plain fields show ``old -> new``; lists of objects of the same length are
    compared item by item (``selectors[0].values``), other lists show the items
    removed and added; policy documents (any dict with a ``Statement``) are a
    table of the statements added, removed and changed, with what changed in
    each (``verbose`` adds each statement's JSON). A create lists every field
    of ``after``.

    >>> diff_lines({"tags": {"a": "1"}}, {"tags": {"a": "2"}})
    ['tags.a: "1" -> "2"']
    """
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        return [line for key in sorted(after) for line in _added(key, after[key], verbose)]
    if after is None:
        return [f"- {key}: {_summary(before[key])}" for key in sorted(before)]
    return _walk("", before, after, verbose)
