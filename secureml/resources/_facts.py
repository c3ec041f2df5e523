"""What a resource shows in a notebook: the facts a reader needs before applying it.

Roles and permission sets made from a persona have no policies of their own
(``policies=()``, ``inline_policy=None``): their policies come from the
persona, so the facts say so and give the packed sizes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from secureml._display import Facts

if TYPE_CHECKING:
    from secureml.resources._base import Resource

__all__ = ["resource_facts"]


def _persona_row(persona: Any) -> tuple[str, str]:
    names = ", ".join(a.name for a in persona.activities)
    return ("persona", f"{persona.name} ({persona.kind}): {names}")


def _sizes(docs: list[Any], limit: str) -> str:
    sizes = ", ".join(f"{d.size:,}" for d in docs)
    return f"{len(docs)} document(s) of {sizes} characters ({limit})"


def _role_facts(role: Any) -> Facts:
    facts: list[tuple[str, str]] = []
    if role.persona is not None:
        facts.append(_persona_row(role.persona))
    try:
        docs = role.documents(None, None)
        facts.append(("own policies", _sizes(docs, "limit 6,144 each, account and region as *")
                      if docs else "none"))
    except ValueError as exc:
        facts.append(("own policies", f"do not fit: {exc}"))
    trust = role.trust(None)
    principals = sorted({v for s in trust.statements for _, ids in s.principals for v in ids})
    facts.append(("trusted by", ", ".join(principals) or "nobody"))
    managed = [p if isinstance(p, str) else p.key for p in role.managed_policies]
    if managed:
        facts.append(("managed policies", "\n".join(managed)))
    if role.permissions_boundary:
        facts.append(("boundary", role.permissions_boundary))
    facts.append(("path", role.path))
    facts.append(("max session", role.max_session_duration))
    return facts


def _permission_set_facts(ps: Any) -> Facts:
    facts: list[tuple[str, str]] = []
    if ps.persona is not None:
        facts.append(_persona_row(ps.persona))
    try:
        doc = ps.policy_document()
        facts.append(("inline policy", _sizes([doc], "limit 10,240") if doc else "none"))
    except ValueError as exc:
        facts.append(("inline policy", f"does not fit: {exc}"))
    if ps.managed_policies:
        facts.append(("managed policies", "\n".join(ps.managed_policies)))
    if ps.customer_managed_policies:
        facts.append(("customer managed", "\n".join(ps.customer_managed_policies)))
    if ps.permissions_boundary:
        facts.append(("boundary", ps.permissions_boundary))
    facts.append(("session", ps.session_duration))
    if ps.relay_state:
        facts.append(("relay state", ps.relay_state))
    return facts


def resource_facts(resource: Resource) -> Facts:
    """The rows of ``resource``'s display."""
    facts: list[tuple[str, str]] = [("key", resource.key)]
    if resource.kind == "iam-role":
        facts.extend(_role_facts(resource))
    elif resource.kind == "sso-permission-set":
        facts.extend(_permission_set_facts(resource))
    tags = getattr(resource, "tags", None)
    if tags:
        facts.append(("tags", ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))))
    if resource.adopt:
        facts.append(("adopt", "yes: takes over an existing one not owned by the blueprint"))
    return facts
