"""The AWS quotas that shape secureml's policies, as one named table."""

from __future__ import annotations

from types import MappingProxyType

import attrs

__all__ = [
    "LIMITS",
    "MANAGED_POLICIES_PER_PERMISSION_SET",
    "MANAGED_POLICIES_PER_ROLE",
    "PERMISSION_SET_NAME_MAX",
    "ROLE_NAME_MAX",
    "Limit",
]


@attrs.frozen
class Limit:
    """A size quota on a policy document, counted as IAM counts (no whitespace)."""

    name: str
    max_chars: int
    description: str


LIMITS: MappingProxyType[str, Limit] = MappingProxyType(
    {
        "managed policy": Limit(
            "managed policy", 6_144, "customer managed policy, whitespace not counted"
        ),
        "role inline": Limit("role inline", 10_240, "all inline policies of one role together"),
        "permission set inline": Limit(
            "permission set inline", 10_240, "the one inline policy of a permission set"
        ),
        "trust policy": Limit("trust policy", 2_048, "role trust policy (4,096 on request)"),
    }
)
"""Size limits by name: ``LIMITS["managed policy"].max_chars == 6144``."""

MANAGED_POLICIES_PER_ROLE = 10
"""Managed policies attachable to one role by default (20 on request)."""

MANAGED_POLICIES_PER_PERMISSION_SET = 20
"""AWS managed plus customer managed policy references per permission set."""

ROLE_NAME_MAX = 64
"""Characters in an IAM role name (a persona's name is its role's by default)."""

PERMISSION_SET_NAME_MAX = 32
"""Characters in an IAM Identity Center permission set name."""
