"""Safe apply from the command line: consent before any change, saved plans for a
reviewed pipeline gate, and ``destroy``.

- ``apply`` shows the plan, says first when it grants new access, and asks on a
  terminal before any change; without a terminal it refuses unless ``--yes``.
- ``plan --out PLANFILE`` saves the plan; ``apply --plan PLANFILE`` carries out
  exactly that plan or nothing (``PlanChangedError`` when the account moved).
- ``destroy`` deletes everything the blueprint owns, after a prompt.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secureml.errors import SecureMLError

if TYPE_CHECKING:
    from secureml.engine import Change, Plan

__all__ = [
    "CLI_PRUNE_HINT",
    "PLAN_FORMAT",
    "ask",
    "grants",
    "load_plan",
    "save_plan",
]

CLI_PRUNE_HINT = "run apply --prune to delete them"
"""The plan's hint about resources no longer in the blueprint, in command-line terms."""

PLAN_FORMAT = "secureml-plan/1"
"""The ``format`` of a saved plan file."""

_ACCESS_KINDS = frozenset(
    {"iam-role", "iam-policy", "sso-permission-set", "sso-group-assignment", "sso-user-assignment"}
)


def _statements(doc: Any) -> list[str]:
    if not isinstance(doc, Mapping) or "Statement" not in doc:
        return []
    raw = doc["Statement"]
    items = [raw] if isinstance(raw, Mapping) else list(raw)
    return [json.dumps(s, sort_keys=True) for s in items]


def _policies(state: Any, path: str = "") -> dict[str, list[str]]:
    """Every policy document in a state, by its path."""
    found: dict[str, list[str]] = {}
    if isinstance(state, Mapping):
        if "Statement" in state:
            return {path: _statements(state)}
        for key, value in state.items():
            found.update(_policies(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(state, list | tuple):
        for i, value in enumerate(state):
            found.update(_policies(value, f"{path}[{i}]"))
    return found


def _widened(change: Change) -> list[str]:
    """The policies, accounts or public access settings an update opens up."""
    before, after = change.before or {}, change.after or {}
    old, new = _policies(before), _policies(after)
    out = [
        f"adds permissions to {path or 'its policy'}"
        for path, statements in new.items()
        if set(statements) - set(old.get(path, []))
    ]
    for field in ("accounts", "organizational_units", "managed_policies",
                  "customer_managed_policies"):
        added = set(after.get(field) or ()) - set(before.get(field) or ())
        if added:
            out.append(f"adds {field.replace('_', ' ')} {', '.join(sorted(added))}")
    turned_off = [k for k, v in after.items() if v is False and before.get(k) is True]
    if change.kind.endswith("public-access-block") and turned_off:
        out.append(f"turns off {', '.join(sorted(turned_off))}")
    return out


def grants(plan: Plan) -> list[str]:
    """What the plan's pending changes open up, one phrase each: new roles,
    policies, permission sets and assignments, and updates that add permissions,
    accounts, policies or turn a public access block setting off."""
    out = []
    for change in plan.pending:
        label = change.label
        if change.action == "create" and change.kind in _ACCESS_KINDS:
            out.append(f"{label}: new")
        elif change.action == "update":
            out.extend(f"{label}: {w}" for w in _widened(change))
    return out


def ask(question: str, refusal: str, out: Any, *, yes: bool, kind: str) -> bool:
    """Whether the person at the terminal agrees (always with ``yes``; never
    without a terminal). A refusal is reported here, as error ``kind``."""
    if yes:
        return True
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        out.fail(refusal, kind)
        return False
    print(f"{question} Type 'yes' to continue: ", end="", file=out.stderr, flush=True)
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        out.fail("cancelled; nothing was changed", kind)
        return False
    return True


def save_plan(plan: Plan, path: str, source: str) -> None:
    """Write ``plan`` to ``path`` for ``apply --plan`` (JSON: the plan's dict, the
    format and the blueprint file it was made from)."""
    data = {"format": PLAN_FORMAT, "file": source, **plan.to_dict()}
    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")


def load_plan(path: str, blueprint: str) -> dict[str, Any]:
    """A plan saved by ``plan --out``, checked to be one and for ``blueprint``."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise SecureMLError(
            f"--plan {path}: not a saved plan (invalid JSON at line {exc.lineno}); make one "
            "with: secureml plan FILE --out PLANFILE"
        ) from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise SecureMLError(
            f"--plan {path}: not a saved plan (its format is not {PLAN_FORMAT!r}); make one "
            "with: secureml plan FILE --out PLANFILE"
        )
    if data.get("blueprint") != blueprint:
        raise SecureMLError(
            f"--plan {path}: the plan is for blueprint {data.get('blueprint')!r}, this file is "
            f"blueprint {blueprint!r}; give the file the plan was made from"
        )
    return data
