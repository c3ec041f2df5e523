"""Policy changes as a table, the way ``cdk diff`` shows IAM changes.

Each statement that differs is one row: ``+`` added, ``-`` removed, ``~``
changed. A removed and an added statement with the same effect, conditions
and principals that keep either their resources or their actions are one
changed statement, whose cells list only what was added (``+``) and removed
(``-``). Unchanged lists of more than a few items are counted, not listed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from itertools import zip_longest
from typing import Any

__all__ = ["policy_table"]

_SHOWN = 3
"""Unchanged actions or resources listed in full up to this many; more are counted."""

_LISTED = 12
"""Actions or resources of an added or removed statement listed before "and N more"."""


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _statements(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, Mapping):
        return []
    raw = doc.get("Statement", [])
    return [dict(s) for s in ([raw] if isinstance(raw, Mapping) else raw)]


def _key(s: Mapping[str, Any]) -> str:
    return json.dumps(s, sort_keys=True, default=str)


def _actions(s: Mapping[str, Any]) -> tuple[str, list[str]]:
    if "NotAction" in s:
        return "NotAction", _list(s["NotAction"])
    return "Action", _list(s.get("Action"))


def _resources(s: Mapping[str, Any]) -> tuple[str, list[str]]:
    if "NotResource" in s:
        return "NotResource", _list(s["NotResource"])
    return "Resource", _list(s.get("Resource"))


def _conditions(s: Mapping[str, Any]) -> list[str]:
    lines = []
    for operator, block in sorted((s.get("Condition") or {}).items()):
        for key, values in sorted(block.items()):
            lines.append(f"{operator} {key}: {', '.join(_list(values))}")
    principal = s.get("Principal")
    if principal is not None:
        lines.append(f"Principal: {json.dumps(principal, sort_keys=True)}")
    return lines


def _scope(s: Mapping[str, Any], *, keep: str) -> str:
    """What must be equal for two statements to be "the same statement, changed":
    effect, conditions, principal and either the resources or the actions."""
    rest = {k: v for k, v in s.items() if k not in ("Sid", "Action", "NotAction", "Resource",
                                                     "NotResource")}
    kept = _resources(s) if keep == "resources" else _actions(s)
    return _key({"rest": rest, "kept": [kept[0], sorted(kept[1])],
                 "negated": "NotAction" in s})


def _plain(items: list[str], label: str) -> list[str]:
    if len(items) <= _SHOWN:
        return items
    return [f"({len(items)} {label}, unchanged)"]


def _some(items: list[str]) -> list[str]:
    if len(items) <= _LISTED:
        return items
    return [*items[: _LISTED - 1], f"(and {len(items) - _LISTED + 1} more)"]


def _delta(old: list[str], new: list[str], label: str) -> list[str]:
    if old == new or sorted(old) == sorted(new):
        return _plain(new, label)
    added = [f"+ {x}" for x in new if x not in old]
    removed = [f"- {x}" for x in old if x not in new]
    kept = len([x for x in new if x in old])
    return [*added, *removed, *([f"({kept} unchanged)"] if kept else [])]


def _row(mark: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[
    list[str]
]:
    s = new if new is not None else old
    assert s is not None
    action_key, actions = _actions(s)
    resource_key, resources = _resources(s)
    if old is not None and new is not None:
        action_cell = _delta(_actions(old)[1], actions, "actions")
        resource_cell = _delta(_resources(old)[1], resources, "resources")
    else:
        action_cell, resource_cell = _some(actions), _some(resources)
    if action_key == "NotAction":
        action_cell = ["all but:", *action_cell]
    if resource_key == "NotResource":
        resource_cell = ["all but:", *resource_cell]
    effect = [str(s.get("Effect", "")), *([f"Sid {s['Sid']}"] if s.get("Sid") else [])]
    return [[mark], effect, action_cell, resource_cell, _conditions(s)]


def _pair(removed: list[dict[str, Any]], added: list[dict[str, Any]]) -> tuple[
    list[tuple[dict[str, Any], dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]
]:
    pairs = []
    removed, added = list(removed), list(added)
    for keep in ("resources", "actions"):
        for new in list(added):
            scope = _scope(new, keep=keep)
            match = next((old for old in removed if _scope(old, keep=keep) == scope), None)
            if match is not None:
                pairs.append((match, new))
                removed.remove(match)
                added.remove(new)
    return pairs, removed, added


def _render(rows: Sequence[list[list[str]]]) -> list[str]:
    header = [["±"], ["Effect"], ["Actions"], ["Resources"], ["Conditions"]]
    table = [header, *rows]
    widths = [max(len(line) for row in table for line in (row[i] or [""])) for i in range(5)]
    lines = []
    for row in table:
        for cells in zip_longest(*row, fillvalue=""):
            text = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
            lines.append(text)
    return lines


def policy_table(before: Any, after: Any) -> tuple[str, list[str]]:
    """A one-line summary of how policy ``before`` becomes ``after`` and the table
    rows (empty when only the version or id changed)."""
    old = _statements(before)
    new = _statements(after)
    old_keys = {_key(s) for s in old}
    new_keys = {_key(s) for s in new}
    removed = [s for s in old if _key(s) not in new_keys]
    added = [s for s in new if _key(s) not in old_keys]
    pairs, removed, added = _pair(removed, added)
    rows = [_row("~", o, n) for o, n in pairs]
    rows += [_row("-", o, None) for o in removed]
    rows += [_row("+", None, n) for n in added]
    counts = [(n, what) for n, what in ((len(pairs), "changed"), (len(added), "added"),
                                        (len(removed), "removed")) if n]
    parts = [
        f"{n} statement{'' if n == 1 else 's'} {what}" if i == 0 else f"{n} {what}"
        for i, (n, what) in enumerate(counts)
    ]
    summary = ", ".join(parts) or "no statement changed"
    return summary, (_render(rows) if rows else [])
