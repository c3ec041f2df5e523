"""A second opinion from IAM: the same request through ``SimulateCustomPolicy``.

Used by :func:`secureml.policy.evaluate` with ``remote=``. The AWS call lives
in :mod:`secureml.aws` and is imported only here, only when asked for, so the
policy layer stays usable without boto3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from secureml.policy import _catalog as catalog
from secureml.policy._conditions import RequestContext
from secureml.policy._document import PolicyDocument

__all__ = ["RemoteVerdict", "simulate"]

_DECISIONS = {
    "allowed": "allowed", "explicitdeny": "explicit_deny", "implicitdeny": "implicit_deny"
}
# The catalogue's key types as SimulateCustomPolicy's ContextKeyType.
_TYPES = {
    "String": "string", "ARN": "string", "Bool": "boolean", "Numeric": "numeric",
    "Date": "date", "IPAddress": "ip", "Binary": "binary",
}


@attrs.frozen
class RemoteVerdict:
    """What IAM's ``SimulateCustomPolicy`` decided for the same request:
    ``decision`` in the evaluator's words, ``matched`` the statements IAM
    matched (``policy-id:line:column``), ``missing_context`` the keys IAM said
    the request lacked."""

    decision: str
    matched: tuple[str, ...] = ()
    missing_context: tuple[str, ...] = ()


def _entry_type(key: str, multivalued: bool) -> str:
    info = catalog.condition_key(key)
    base = _TYPES.get(info.base_type, "string") if info is not None else "string"
    return f"{base}List" if multivalued or (info is not None and info.multivalued) else base


def simulate(
    remote: Any,
    documents: Sequence[PolicyDocument],
    boundary: Sequence[PolicyDocument] | None,
    *,
    action: str,
    resource: str,
    context: RequestContext,
) -> RemoteVerdict:
    """Run the request through IAM; ``remote`` is ``True`` (a default session), a
    ``boto3.Session`` or a callable returning one."""
    from secureml.aws import ContextEntry, simulate_custom_policy  # noqa: PLC0415 - boto3

    entries = [
        ContextEntry(
            context.names[low], values, _entry_type(low, low in context.multivalued)
        )
        for low, values in sorted(context.values.items())
    ]
    result = simulate_custom_policy(
        None if remote is True else remote,
        [d.to_json() for d in documents],
        action,
        resource,
        entries,
        boundaries=[d.to_json() for d in boundary or ()],
    )
    return RemoteVerdict(
        decision=_DECISIONS.get(result.decision.lower(), result.decision),
        matched=result.matched,
        missing_context=result.missing_context,
    )
