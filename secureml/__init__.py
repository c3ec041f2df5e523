"""secureml: least-privilege SageMaker access on AWS, as code.

Personas (Data Scientist, MLOps, SageMaker Compute) built from ML activities
compose into IAM policies with VPC and KMS guard-rails; a :class:`Blueprint`
deploys them as IAM roles and IAM Identity Center permission sets, with S3
Block Public Access and a CloudTrail audit trail, through one idempotent
``apply()`` previewed by ``plan()``.

``import secureml`` stays light: the policy, activity and persona layers load
at once, while everything that talks to AWS (and imports boto3) loads on first
use of its names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from secureml import activities, workflows
from secureml.errors import (
    AWSCallError,
    ConvergenceError,
    CredentialsError,
    DeployError,
    Failure,
    NotFoundError,
    OwnershipError,
    PlanChangedError,
    PolicyTooLargeError,
    Problem,
    ProvisioningError,
    RefusalError,
    SecureMLError,
    ValidationError,
)
from secureml.personas import Compute, DataScientist, Inference, MLOps, Persona
from secureml.policy import (
    FINDING_CODES,
    LIMITS,
    Condition,
    Evaluation,
    Finding,
    FindingCode,
    Limit,
    PolicyDocument,
    Severity,
    Statement,
    evaluate,
    lint,
)
from secureml.settings import EncryptionSettings, Guardrails, NetworkSettings, PrincipalTag, Scope

if TYPE_CHECKING:
    from secureml.engine import ApplyResult, Blueprint, Change, Plan
    from secureml.resources import (
        AccessControlAttributes,
        AccountPublicAccessBlock,
        AuditTrail,
        BucketPublicAccessBlock,
        GroupAssignment,
        IdentityCenter,
        Lifecycle,
        ManagedPolicy,
        ObjectLock,
        PermissionSet,
        PublicAccessReport,
        Role,
        UserAssignment,
        block_public_access,
        public_access_report,
    )

__version__ = "0.1.0.dev0"

# Names that need boto3, loaded on first access (PEP 562) so that a notebook
# designing policies offline never pays for importing boto3.
_LAZY: dict[str, str] = {
    "ApplyResult": "secureml.engine",
    "Blueprint": "secureml.engine",
    "Change": "secureml.engine",
    "Plan": "secureml.engine",
    "ManagedPolicy": "secureml.resources",
    "Role": "secureml.resources",
    "GroupAssignment": "secureml.resources",
    "AccessControlAttributes": "secureml.resources",
    "IdentityCenter": "secureml.resources",
    "PermissionSet": "secureml.resources",
    "UserAssignment": "secureml.resources",
    "AccountPublicAccessBlock": "secureml.resources",
    "AuditTrail": "secureml.resources",
    "BucketPublicAccessBlock": "secureml.resources",
    "Lifecycle": "secureml.resources",
    "ObjectLock": "secureml.resources",
    "PublicAccessReport": "secureml.resources",
    "block_public_access": "secureml.resources",
    "public_access_report": "secureml.resources",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'secureml' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "FINDING_CODES",
    "LIMITS",
    "AWSCallError",
    "AccessControlAttributes",
    "AccountPublicAccessBlock",
    "ApplyResult",
    "AuditTrail",
    "Blueprint",
    "BucketPublicAccessBlock",
    "Change",
    "Compute",
    "Condition",
    "ConvergenceError",
    "CredentialsError",
    "DataScientist",
    "DeployError",
    "EncryptionSettings",
    "Evaluation",
    "Failure",
    "Finding",
    "FindingCode",
    "GroupAssignment",
    "Guardrails",
    "IdentityCenter",
    "Inference",
    "Lifecycle",
    "Limit",
    "MLOps",
    "ManagedPolicy",
    "NetworkSettings",
    "NotFoundError",
    "ObjectLock",
    "OwnershipError",
    "PermissionSet",
    "Persona",
    "Plan",
    "PlanChangedError",
    "PolicyDocument",
    "PolicyTooLargeError",
    "PrincipalTag",
    "Problem",
    "ProvisioningError",
    "PublicAccessReport",
    "RefusalError",
    "Role",
    "Scope",
    "SecureMLError",
    "Severity",
    "Statement",
    "UserAssignment",
    "ValidationError",
    "__version__",
    "activities",
    "block_public_access",
    "evaluate",
    "lint",
    "public_access_report",
    "workflows",
]
