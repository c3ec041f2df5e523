"""IAM policy documents as canonical values: model, size limits, packing and lint.

Nothing here touches the network or imports boto3.
"""

from secureml.policy._document import (
    VERSION,
    Condition,
    PolicyDocument,
    Statement,
    merge_statements,
    policy_size,
)
from secureml.policy._limits import (
    LIMITS,
    MANAGED_POLICIES_PER_PERMISSION_SET,
    MANAGED_POLICIES_PER_ROLE,
    Limit,
)
from secureml.policy._pack import pack_statements

__all__ = [
    "LIMITS",
    "MANAGED_POLICIES_PER_PERMISSION_SET",
    "MANAGED_POLICIES_PER_ROLE",
    "VERSION",
    "Condition",
    "Limit",
    "PolicyDocument",
    "Statement",
    "merge_statements",
    "pack_statements",
    "policy_size",
]
