"""A local IAM evaluator for identity policies: would AWS allow this request?

:func:`evaluate` follows the identity-based part of AWS's policy evaluation
logic: an explicit ``Deny`` in any policy wins; otherwise the request is
allowed when some ``Allow`` matches it; otherwise it is implicitly denied. A
permissions boundary is an intersection: the request is allowed only when the
identity policies and the boundary both allow it, and neither denies it.

A statement matches when its ``Action``/``NotAction``, its
``Resource``/``NotResource`` and every one of its conditions match (see
:mod:`secureml.policy._arn` and :mod:`secureml.policy._conditions`). Nothing
here calls AWS; resource policies, SCPs, RCPs and session policies are out
of scope.

The request itself is checked against secureml's catalogue: an unknown
action, a resource that fits none of the action's resource types, or a
context key the action does not take is reported in
:attr:`Evaluation.warnings` (or raised, with ``strict=True``), because a
request AWS would never make proves nothing.

>>> doc = {"Version": "2012-10-17", "Statement": [
...     {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}
>>> evaluate(doc, "s3:GetObject", "arn:aws:s3:::data/train.csv").decision
'allowed'
>>> evaluate(doc, "s3:PutObject", "arn:aws:s3:::data/train.csv").allowed
False
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from secureml.errors import ValidationError
from secureml.policy._arn import any_action_matches, any_arn_matches
from secureml.policy._conditions import (
    ConditionResult,
    ContextValue,
    RequestContext,
    evaluate_condition,
)
from secureml.policy._document import VERSION, PolicyDocument, Statement
from secureml.policy._remote import RemoteVerdict, simulate
from secureml.policy._request_check import check_request

__all__ = ["Decision", "Evaluation", "StatementMatch", "evaluate"]

Decision: TypeAlias = Literal["allowed", "explicit_deny", "implicit_deny"]
Source: TypeAlias = Literal["identity", "boundary"]
Documents: TypeAlias = (
    PolicyDocument | Mapping[str, Any] | str | Iterable[PolicyDocument | Mapping[str, Any] | str]
)


@attrs.frozen
class StatementMatch:
    """How one statement fared: whether its action, resource and conditions
    matched the request. ``source`` is ``identity`` or ``boundary``;
    ``document`` and ``index`` locate the statement (0-based)."""

    source: Source
    document: int
    index: int
    statement: Statement
    action_matched: bool
    resource_matched: bool
    conditions: tuple[ConditionResult, ...]

    @property
    def effect(self) -> str:
        """``Allow`` or ``Deny``."""
        return self.statement.effect

    @property
    def matched(self) -> bool:
        """Whether the statement applies to the request."""
        return self.action_matched and self.resource_matched and all(
            c.passed for c in self.conditions
        )

    @property
    def almost_matched(self) -> bool:
        """Action and resource matched, but a condition did not."""
        return self.action_matched and self.resource_matched and not self.matched

    @property
    def failed_conditions(self) -> tuple[ConditionResult, ...]:
        """The conditions that did not hold."""
        return tuple(c for c in self.conditions if not c.passed)

    def label(self) -> str:
        """``identity policy 1, statement 3 (Sid "X")``, 1-based for people."""
        where = "boundary" if self.source == "boundary" else "identity policy"
        sid = f' (Sid "{self.statement.sid}")' if self.statement.sid else ""
        return f"{where} {self.document + 1}, statement {self.index + 1}{sid}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "source": self.source,
            "document": self.document,
            "index": self.index,
            "sid": self.statement.sid,
            "effect": self.effect,
            "action_matched": self.action_matched,
            "resource_matched": self.resource_matched,
            "matched": self.matched,
            "conditions": [c.to_dict() for c in self.conditions],
            "statement": self.statement.to_dict(),
        }


@attrs.frozen
class Evaluation:
    """The verdict on one request, with the evidence.

    ``decision`` is ``"allowed"``, ``"explicit_deny"`` or ``"implicit_deny"``;
    ``statements`` holds every statement whose action and resource matched
    (whether or not its conditions held); ``warnings`` what the catalogue
    found odd about the request. :meth:`explain` puts it in words.
    """

    decision: Decision
    action: str
    resource: str
    context: Mapping[str, ContextValue]
    statements: tuple[StatementMatch, ...]
    warnings: tuple[str, ...] = ()
    boundary: bool = False
    """Whether a permissions boundary took part."""
    remote: RemoteVerdict | None = None
    """IAM's own verdict (``SimulateCustomPolicy``) when ``remote=`` asked for it."""

    @property
    def agrees(self) -> bool | None:
        """Whether IAM's simulator reached the same decision (``None`` without ``remote=``)."""
        return None if self.remote is None else self.remote.decision == self.decision

    @property
    def allowed(self) -> bool:
        """Whether AWS would allow the request."""
        return self.decision == "allowed"

    @property
    def matched_statements(self) -> tuple[StatementMatch, ...]:
        """Statements that apply to the request (action, resource and conditions)."""
        return tuple(s for s in self.statements if s.matched)

    @property
    def deciding_statements(self) -> tuple[StatementMatch, ...]:
        """The statements that made the decision: the matching denies for an
        explicit deny, the matching allows for an allow, none for an implicit deny."""
        if self.decision == "explicit_deny":
            return tuple(s for s in self.matched_statements if s.effect == "Deny")
        if self.decision == "allowed":
            return tuple(s for s in self.matched_statements if s.effect == "Allow")
        return ()

    @property
    def near_misses(self) -> tuple[StatementMatch, ...]:
        """Statements whose action and resource matched but a condition failed."""
        return tuple(s for s in self.statements if s.almost_matched)

    @property
    def failed_conditions(self) -> tuple[tuple[StatementMatch, ConditionResult], ...]:
        """Every failed condition of a near miss, with its statement."""
        return tuple((s, c) for s in self.near_misses for c in s.failed_conditions)

    def explain(self) -> str:
        """The verdict in words: the deciding statements and, for each statement
        that almost matched, the condition that failed and why."""
        lines = [f"{self.action} on {self.resource}: {_VERDICT[self.decision]}"]
        if self.decision == "implicit_deny" and self.boundary:
            identity = any(
                s.matched and s.effect == "Allow" and s.source == "identity"
                for s in self.statements
            )
            bound = any(
                s.matched and s.effect == "Allow" and s.source == "boundary"
                for s in self.statements
            )
            if identity and not bound:
                lines.append(
                    "  the identity policies allow it, but the permissions boundary does not"
                )
            elif bound and not identity:
                lines.append("  the permissions boundary allows it, but no identity policy does")
        for s in self.deciding_statements:
            lines.append(f"  decided by {s.label()}: {s.effect} {_brief(s.statement)}")
        if self.decision == "implicit_deny" and not self.statements:
            lines.append("  no statement names this action on this resource")
        for s in self.near_misses:
            lines.append(
                f"  {s.label()} ({s.effect} {_brief(s.statement)}) would apply, but a "
                "condition failed:"
            )
            for c in s.failed_conditions:
                lines.append(f"    - {c.reason}")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        if self.remote is not None:
            verdict = "agrees" if self.agrees else "DISAGREES with the local evaluator"
            said = _VERDICT.get(self.remote.decision, self.remote.decision)
            lines.append(f"  IAM SimulateCustomPolicy: {said} ({verdict})")
            if self.remote.missing_context:
                lines.append(
                    "    IAM says the request lacks: " + ", ".join(self.remote.missing_context)
                )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (what ``secureml explain --output json`` prints)."""
        return {
            "action": self.action,
            "resource": self.resource,
            "context": {k: (list(v) if isinstance(v, list | tuple) else v)
                        for k, v in self.context.items()},
            "decision": self.decision,
            "allowed": self.allowed,
            "deciding_statements": [s.to_dict() for s in self.deciding_statements],
            "near_misses": [s.to_dict() for s in self.near_misses],
            "warnings": list(self.warnings),
            "remote": None if self.remote is None else {
                "decision": self.remote.decision,
                "agrees": self.agrees,
                "matched": list(self.remote.matched),
                "missing_context": list(self.remote.missing_context),
            },
            "explanation": self.explain(),
        }


_VERDICT: dict[str, str] = {
    "allowed": "ALLOWED",
    "explicit_deny": "DENIED (explicit deny)",
    "implicit_deny": "DENIED (implicit: no statement allows it)",
}


def _brief(stmt: Statement) -> str:
    actions = stmt.actions or stmt.not_actions
    shown = ", ".join(actions[:3]) + (f" (+{len(actions) - 3})" if len(actions) > 3 else "")
    resources = stmt.resources or stmt.not_resources
    where = ", ".join(resources[:2]) + (f" (+{len(resources) - 2})" if len(resources) > 2 else "")
    return (
        f"{'NotAction ' if stmt.not_actions else ''}{shown} on "
        f"{'NotResource ' if stmt.not_resources else ''}{where}"
    )


@functools.lru_cache(maxsize=256)
def _parsed(text: str | bytes) -> PolicyDocument:
    # Policies given as JSON text are parsed once, not on every request.
    return PolicyDocument.from_json(text)


def _documents(documents: Documents | None, what: str) -> tuple[PolicyDocument, ...]:
    if documents is None:
        return ()
    if isinstance(documents, PolicyDocument | Mapping | str | bytes):
        items: Iterable[Any] = [documents]
    else:
        items = documents
    out = []
    for item in items:
        if isinstance(item, PolicyDocument):
            out.append(item)
        elif isinstance(item, str | bytes):
            out.append(_parsed(item))
        elif isinstance(item, Mapping):
            out.append(PolicyDocument.from_json(item))
        else:
            raise ValidationError(
                f"{what}: {item!r} is not a policy document; give PolicyDocument values, "
                "dicts or JSON text"
            )
    return tuple(out)


def _statement_match(
    source: Source,
    doc_index: int,
    index: int,
    stmt: Statement,
    *,
    action: str,
    resource: str,
    context: RequestContext,
    variables: bool,
) -> StatementMatch | None:
    if stmt.actions:
        action_ok = any_action_matches(stmt.actions, action)
    else:
        action_ok = not any_action_matches(stmt.not_actions, action)
    if not action_ok:
        return None
    lookup = context.variable if variables else None
    if stmt.resources:
        resource_ok = any_arn_matches(stmt.resources, resource, variables=lookup)
    elif stmt.not_resources:
        resource_ok = not any_arn_matches(stmt.not_resources, resource, variables=lookup)
    else:  # a trust policy's statement: no resource element
        resource_ok = True
    if not resource_ok:
        return None
    conditions = tuple(evaluate_condition(c, context, lookup) for c in stmt.conditions)
    return StatementMatch(source, doc_index, index, stmt, True, True, conditions)


def _scan(
    source: Source,
    docs: tuple[PolicyDocument, ...],
    action: str,
    resource: str,
    context: RequestContext,
) -> list[StatementMatch]:
    found = []
    for d, doc in enumerate(docs):
        variables = doc.version == VERSION
        for i, stmt in enumerate(doc.statements):
            m = _statement_match(
                source, d, i, stmt,
                action=action, resource=resource, context=context, variables=variables,
            )
            if m is not None:
                found.append(m)
    return found


def _verdict(matches: list[StatementMatch]) -> Decision:
    if any(m.matched and m.effect == "Deny" for m in matches):
        return "explicit_deny"
    if any(m.matched and m.effect == "Allow" for m in matches):
        return "allowed"
    return "implicit_deny"


def evaluate(
    documents: Documents,
    action: str,
    resource: str,
    context: Mapping[str, ContextValue] | None = None,
    *,
    boundary: Documents | None = None,
    strict: bool = False,
    remote: Any = False,
) -> Evaluation:
    """Would AWS allow ``action`` on ``resource`` under these identity policies?

    Args:
        documents: the principal's identity policies: :class:`PolicyDocument`
            values, dicts or JSON text, one or several.
        action: the request's action, e.g. ``"sagemaker:CreateTrainingJob"``
            (no wildcard: a request names one action).
        resource: the request's resource ARN, or ``"*"`` for an action that
            supports no resource-level permission.
        context: the request's condition keys and values (keys are
            case-insensitive): a string, a bool, a number, or a list of
            strings for a multivalued key. Policy variables such as
            ``${aws:username}`` take their values from here.
        boundary: the principal's permissions boundary, if any.
        strict: raise :class:`~secureml.errors.ValidationError` instead of
            warning when the catalogue finds the request odd.
        remote: also ask IAM (``SimulateCustomPolicy``) and keep its verdict in
            :attr:`Evaluation.remote`: ``True`` for a default ``boto3`` session,
            or a ``boto3.Session`` (or a callable returning one). Needs
            credentials allowed ``iam:SimulateCustomPolicy``; off by default,
            so evaluation never touches the network unless asked.

    >>> deny = {"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    ...     {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}
    >>> e = evaluate(deny, "s3:DeleteBucket", "arn:aws:s3:::data")
    >>> e.decision, [s.index for s in e.deciding_statements]
    ('explicit_deny', [1])
    """
    if not isinstance(action, str) or ":" not in action or any(c in action for c in "*?"):
        raise ValidationError(
            f"action {action!r}: a request names one action as 'service:ActionName', "
            "without wildcards, e.g. 's3:GetObject'"
        )
    if not isinstance(resource, str) or not resource:
        raise ValidationError(
            f"resource {resource!r}: give the resource's ARN, or '*' for an action "
            "without resource-level permissions"
        )
    try:
        ctx = RequestContext.of(context)
    except TypeError as exc:
        raise ValidationError(str(exc)) from exc
    warnings = check_request(action, resource, ctx)
    if strict and warnings:
        raise ValidationError(list(warnings))
    identity_docs = _documents(documents, "documents")
    boundary_docs = _documents(boundary, "boundary") if boundary is not None else None
    identity = _scan("identity", identity_docs, action, resource, ctx)
    decision = _verdict(identity)
    matches = identity
    bounded = boundary_docs is not None
    if boundary_docs is not None:
        limits = _scan("boundary", boundary_docs, action, resource, ctx)
        matches = identity + limits
        bound = _verdict(limits)
        if "explicit_deny" in (decision, bound):
            decision = "explicit_deny"
        elif decision == "allowed" and bound == "allowed":
            decision = "allowed"
        else:
            decision = "implicit_deny"
    verdict = (
        simulate(remote, identity_docs, boundary_docs, action=action, resource=resource,
                 context=ctx)
        if remote is not False and remote is not None
        else None
    )
    return Evaluation(
        decision=decision,
        action=action,
        resource=resource,
        context=dict(context or {}),
        statements=tuple(matches),
        warnings=warnings,
        boundary=bounded,
        remote=verdict,
    )
