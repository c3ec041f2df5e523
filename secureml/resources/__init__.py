"""Deployable resources: what a :class:`~secureml.Blueprint` is made of.

Each kind subclasses :class:`Resource` and registers with :func:`register_kind`;
the engine needs nothing else.
"""

from secureml.resources._audit import (
    SAGEMAKER_DATA_EVENT_TYPES,
    AuditTrail,
    Lifecycle,
    ObjectLock,
)
from secureml.resources._audit_bucket import STORAGE_CLASSES
from secureml.resources._base import OWNER_TAG, Claim, Observed, Resource, State
from secureml.resources._iam import ManagedPolicy
from secureml.resources._kinds import register_kind, registered_kinds
from secureml.resources._public_access import (
    AccountPublicAccessBlock,
    BucketPublicAccessBlock,
    block_public_access,
)
from secureml.resources._public_access_report import (
    BucketExposure,
    PublicAccessReport,
    PublicAccessSettings,
    public_access_report,
)
from secureml.resources._role import Role
from secureml.resources.identity_center import (
    INSTANCE_ARN,
    PRINCIPAL_ID,
    AccessControlAttributes,
    GroupAssignment,
    IdentityCenter,
    PermissionSet,
    UserAssignment,
)

__all__ = [
    "INSTANCE_ARN",
    "OWNER_TAG",
    "PRINCIPAL_ID",
    "SAGEMAKER_DATA_EVENT_TYPES",
    "STORAGE_CLASSES",
    "AccessControlAttributes",
    "AccountPublicAccessBlock",
    "AuditTrail",
    "BucketExposure",
    "BucketPublicAccessBlock",
    "Claim",
    "GroupAssignment",
    "IdentityCenter",
    "Lifecycle",
    "ManagedPolicy",
    "ObjectLock",
    "Observed",
    "PermissionSet",
    "PublicAccessReport",
    "PublicAccessSettings",
    "Resource",
    "Role",
    "State",
    "UserAssignment",
    "block_public_access",
    "public_access_report",
    "register_kind",
    "registered_kinds",
]
