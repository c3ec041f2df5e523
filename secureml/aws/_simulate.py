"""IAM's own policy simulator (``SimulateCustomPolicy``) for one request.

The local evaluator (:func:`secureml.policy.evaluate` with ``remote=``) asks
AWS for a second opinion through this: the same policies, action, resource and
context, judged by IAM. It needs credentials allowed ``iam:SimulateCustomPolicy``
(which reads nothing from the account: the policies travel in the request).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from secureml.aws._context import SessionLike, resolve_session

__all__ = ["ContextEntry", "SimulationResult", "simulate_custom_policy"]


@attrs.frozen
class ContextEntry:
    """One context key as ``SimulateCustomPolicy`` takes it: ``type`` is one of
    string, stringList, numeric, numericList, boolean, booleanList, ip, ipList,
    binary, binaryList, date, dateList."""

    name: str
    values: tuple[str, ...]
    type: str


@attrs.frozen
class SimulationResult:
    """IAM's verdict: ``decision`` as IAM spells it (``allowed``,
    ``explicitDeny``, ``implicitDeny``), the statements it matched (as
    ``policy-id:line:column``) and the context keys it said were missing."""

    decision: str
    matched: tuple[str, ...]
    missing_context: tuple[str, ...]


def simulate_custom_policy(
    session: SessionLike,
    policies: Sequence[str],
    action: str,
    resource: str,
    context: Sequence[ContextEntry] = (),
    *,
    boundaries: Sequence[str] = (),
) -> SimulationResult:
    """Ask IAM to evaluate one request against ``policies`` (JSON texts), within
    the permissions ``boundaries`` (JSON texts), if any."""
    client = resolve_session(session).client("iam")
    kwargs: dict[str, Any] = {
        "PolicyInputList": list(policies),
        "ActionNames": [action],
        "ContextEntries": [
            {"ContextKeyName": e.name, "ContextKeyValues": list(e.values),
             "ContextKeyType": e.type}
            for e in context
        ],
    }
    if resource != "*":
        kwargs["ResourceArns"] = [resource]
    if boundaries:
        kwargs["PermissionsBoundaryPolicyInputList"] = list(boundaries)
    answer = client.simulate_custom_policy(**kwargs)
    [result] = answer["EvaluationResults"]
    matched = tuple(
        f"{m.get('SourcePolicyId', '?')}:{m.get('StartPosition', {}).get('Line', '?')}:"
        f"{m.get('StartPosition', {}).get('Column', '?')}"
        for m in result.get("MatchedStatements", [])
    )
    return SimulationResult(
        decision=result["EvalDecision"],
        matched=matched,
        missing_context=tuple(result.get("MissingContextValues", [])),
    )
