"""Deployable resources: what a :class:`~secureml.Blueprint` is made of.

Each kind subclasses :class:`Resource`; the engine needs nothing else.
"""

from secureml.resources._base import OWNER_TAG, Observed, Resource, State
from secureml.resources._identity_center import (
    GroupAssignment,
    IdentityCenter,
    PermissionSet,
    UserAssignment,
)

__all__ = [
    "OWNER_TAG",
    "GroupAssignment",
    "IdentityCenter",
    "Observed",
    "PermissionSet",
    "Resource",
    "State",
    "UserAssignment",
]
