"""Applying a :class:`~secureml.Scope` to a persona's statements.

Every SageMaker action granted on SageMaker resource-type ARNs is split per
resource type and confined there: the name prefix goes into the ARN where the
type's ARN carries a name; the tags become ``aws:RequestTag``/``aws:TagKeys``
conditions where the action creates that type and ``aws:ResourceTag`` (or
``sagemaker:ResourceTag``) conditions where it acts on an existing one, each
only when the catalogue lists the key for the action. Whatever takes neither
is reported (SM043) with the reason. Statements on ``"*"`` (list and search
actions) and of other services are left as they are. ``compact_statements``
merges the pieces back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from secureml.activities import ActivityContext, created_resource
from secureml.policy import Condition, Finding, Statement, catalog
from secureml.settings import Scope

__all__ = ["PIPELINE_NAMED", "SDK_NAMES", "SHARED_TYPES", "apply_scope"]

SHARED_TYPES: dict[str, str] = {
    "domain": "a Studio domain is shared by the teams working in it (and its ARN carries an "
    "id, not a name); only read it",
    "reserved-capacity": "capacity the account reserved, used only by a job that names it",
    "training-plan": "capacity the account bought, used only by a job that names it",
}
"""Resource types a scope leaves alone, and why: shared by the teams of an
account by design, so they are documented here rather than reported."""

SDK_NAMES: dict[str, tuple[str, ...]] = {
    # The SageMaker Python SDK's Run() groups the runs of an experiment in a trial
    # named Default-Run-Group-<experiment>: with the experiment named with the
    # prefix, that trial is the team's too.
    "experiment-trial": ("Default-Run-Group-{prefix}", "default-run-group-{prefix}"),
}
"""Resource types whose names the SageMaker SDK makes from a name the user gives,
with the patterns (``{prefix}`` the scope's) a name prefix allows beside it."""

PIPELINE_NAMED: frozenset[str] = frozenset({
    "automl-job",
    "experiment-trial-component",
    "hyper-parameter-tuning-job",
    "model",
    "processing-job",
    "training-job",
    "transform-job",
})
"""Resource types SageMaker Pipelines creates for a pipeline's steps, named
``pipelines-<execution>-<step>``: no prefix can scope those names, so a name
prefix also allows ``pipelines-*`` there, and only tags confine them (without
tags in the scope, SM043 says so)."""

_PIPELINES = "pipelines-"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_TAGGING_ACTION = "sagemaker:taggingaction"


def _segment(ctx: ActivityContext, arn: str) -> str | None:
    """The type segment (``training-job``) of a SageMaker ARN pattern of ``ctx``."""
    head = ctx.arn("sagemaker", "")
    return arn[len(head):].split("/", 1)[0] if arn.startswith(head) else None


def _part(arn_format: str) -> str:
    return arn_format.split("${Account}:", 1)[-1]


def _own_type(action: str, segment: str) -> tuple[str, str] | None:
    """(type name, resource part of its ARN format) of the action's resource type
    that ARNs starting with ``segment/`` belong to (the one named so first)."""
    info = catalog.action_info(action)
    if info is None:
        return None
    found = [(t.name, _part(t.arn)) for t in info.resource_types
             if _part(t.arn).split("/", 1)[0] == segment]
    found.sort(key=lambda nt: nt[0] != segment)
    return found[0] if found else None


def _prefixed(ctx: ActivityContext, part: str, prefix: str) -> str | None:
    """The ARN of ``part`` (an ARN format's resource part) with its name variable
    set to ``prefix*`` and the other variables ``*``; ``None`` when it carries
    no name."""
    names = [m for m in _VARIABLE.finditer(part) if m.group(1).endswith("Name")]
    if not names:
        return None
    first = names[0]
    return ctx.arn(
        "sagemaker",
        _VARIABLE.sub("*", part[: first.start()]) + prefix + "*"
        + _VARIABLE.sub("*", part[first.end():]),
    )


def _supports(action: str, key: str) -> bool:
    """Whether the catalogue lists ``key`` for ``action`` (templates such as
    ``aws:ResourceTag/${TagKey}`` match any tag key)."""
    if catalog.action_info(action) is None:
        return False
    wanted = key.lower()
    for template in catalog.condition_keys(action):
        t = template.lower()
        head = t.split("${", 1)[0]
        if t == wanted or ("${" in t and wanted.startswith(head) and len(wanted) > len(head)):
            return True
    return False


def _tag_conditions(action: str, creating: bool, tags: dict[str, str]) -> list[Condition] | None:
    if creating:
        if not all(_supports(action, f"aws:RequestTag/{k}") for k in tags):
            return None
        conds = [Condition("StringEquals", f"aws:RequestTag/{k}", v) for k, v in tags.items()]
        if _supports(action, "aws:TagKeys"):
            conds.append(Condition("ForAnyValue:StringEquals", "aws:TagKeys", list(tags)))
        return conds
    for service in ("aws", "sagemaker"):
        if all(_supports(action, f"{service}:ResourceTag/{k}") for k in tags):
            return [
                Condition("StringEquals", f"{service}:ResourceTag/{k}", v)
                for k, v in tags.items()
            ]
    return None


def _creating(stmt: Statement, action: str, rtype: str) -> bool:
    name = action.partition(":")[2]
    if name == "AddTags":  # tags given in a create call (tag_on_create_statements)
        return any(
            c.key.lower() == _TAGGING_ACTION and c.operator == "Null" for c in stmt.conditions
        )
    return (created_resource(name) or "").split("/", 1)[0] == rtype


def _creates(stmt: Statement, action: str) -> bool:
    """Whether ``action`` (in ``stmt``) creates a resource: a create action, or
    tagging while creating."""
    name = action.partition(":")[2]
    if name == "AddTags":
        return _creating(stmt, action, "")
    return created_resource(name) is not None


def apply_scope(
    scope: Scope, ctx: ActivityContext, statements: Iterable[Statement]
) -> tuple[list[Statement], list[Finding]]:
    """``statements`` confined to ``scope``, and SM043 for every action left unscoped."""
    out: list[Statement] = []
    unscoped: dict[tuple[str, str], str] = {}
    for stmt in statements:
        segments = {r: _segment(ctx, r) for r in stmt.resources}
        if (
            stmt.effect != "Allow"
            or not stmt.actions
            or stmt.not_actions or stmt.not_resources or stmt.principals or stmt.sid
            or not all(a.startswith("sagemaker:") for a in stmt.actions)
            or not all(segments.values())
        ):
            out.append(stmt)
            continue
        for action in stmt.actions:
            pieces = [
                (arn, own)
                for arn, segment in segments.items()
                if segment and (own := _own_type(action, segment)) is not None
            ]
            if not pieces:  # no type of the catalogue: keep it, and say so
                out.append(attrs.evolve(stmt, actions=[action]))
                unscoped[(action, "*")] = "the catalogue lists no resource type for it"
                continue
            for arn, own in pieces:
                out.append(
                    _scoped(scope, ctx, stmt, action=action, arn=arn, own=own, unscoped=unscoped)
                )
    by_reason: dict[tuple[str, str], list[str]] = {}
    for (action, rtype), why in sorted(unscoped.items()):
        by_reason.setdefault((rtype, why), []).append(action)
    findings = [
        Finding.of(
            "SM043",
            f"persona {ctx.persona!r}: its scope leaves {', '.join(actions)} on {rtype} "
            f"unscoped: {why}; grant them in a persona without a scope, or accept it",
        )
        for (rtype, why), actions in by_reason.items()
    ]
    return out, findings


def _scoped(
    scope: Scope,
    ctx: ActivityContext,
    stmt: Statement,
    *,
    action: str,
    arn: str,
    own: tuple[str, str],
    unscoped: dict[tuple[str, str], str],
) -> Statement:
    """``action`` on ``arn`` (of resource type ``own``) from ``stmt``, scoped."""
    rtype, part = own
    conditions = list(stmt.conditions)
    creating = bool(scope.tags) and _creates(stmt, action)
    if rtype in SHARED_TYPES:  # by design, documented (not a finding to act on)
        if creating:
            # The request's tags hold for every resource of the request: the same
            # conditions as the resource it creates, so the two share a statement.
            conditions += _tag_conditions(action, True, scope.tag_values()) or []
        return Statement(actions=action, resources=arn, conditions=conditions)
    reasons: list[str] = []
    scoped = False
    resources: list[str] = [arn]
    if scope.name_prefix is not None:
        prefixed = _prefixed(ctx, part, scope.name_prefix)
        if prefixed is None:
            reasons.append(f"{rtype} ARNs carry an id, not a name ({part})")
        else:
            resources, scoped = [prefixed], True
            resources += [
                p for pattern in SDK_NAMES.get(rtype, ())
                if (p := _prefixed(ctx, part, pattern.format(prefix=scope.name_prefix)))
            ]
            if rtype in PIPELINE_NAMED and (p := _prefixed(ctx, part, _PIPELINES)):
                resources.append(p)
                if not scope.tags:
                    reasons.append(
                        f"SageMaker Pipelines names the {rtype}s of its steps "
                        "pipelines-<execution>-<step>, which no prefix can scope; add tags "
                        "to the scope"
                    )
    if scope.tags:
        creating = _creating(stmt, action, rtype)
        extra = _tag_conditions(action, creating, scope.tag_values())
        if extra is None:
            wanted = "aws:RequestTag" if creating else "aws:ResourceTag nor sagemaker:ResourceTag"
            reasons.append(f"the catalogue lists no {wanted} key for it")
        else:
            conditions += extra
            scoped = True
    if not scoped or (reasons and not scope.tags):
        unscoped[(action, rtype)] = "; ".join(reasons)
    return Statement(actions=action, resources=resources, conditions=conditions)
