"""IAM policy documents as canonical values: model, size limits, packing, lint
and a local evaluator.

Nothing here touches the network or imports boto3.
"""

from secureml.policy import _catalog as catalog
from secureml.policy._catalog import CatalogVersion, ConditionKey, catalog_version
from secureml.policy._conditions import ConditionResult, ContextValue
from secureml.policy._document import (
    VERSION,
    Condition,
    PolicyDocument,
    Statement,
    merge_statements,
    policy_size,
)
from secureml.policy._evaluate import Decision, Evaluation, StatementMatch, evaluate
from secureml.policy._findings import FINDING_CODES, Finding, FindingCode, Severity
from secureml.policy._kinds import PERSONA_KINDS, PersonaKind
from secureml.policy._limits import (
    LIMITS,
    MANAGED_POLICIES_PER_PERMISSION_SET,
    MANAGED_POLICIES_PER_ROLE,
    PERMISSION_SET_NAME_MAX,
    ROLE_NAME_MAX,
    Limit,
)
from secureml.policy._lint import (
    BROAD_MANAGED_POLICIES,
    LOCAL_STORAGE_INSTANCE_TYPES,
    OPTIONAL_GUARDRAIL_KEYS,
    STAR_RESOURCE_ACTIONS,
    VPC_OPTIONAL_ACTIONS,
    lint,
    lint_managed_policies,
    lint_persona,
)
from secureml.policy._pack import pack_statements, total_size
from secureml.policy._remote import RemoteVerdict

__all__ = [
    "BROAD_MANAGED_POLICIES",
    "FINDING_CODES",
    "LIMITS",
    "LOCAL_STORAGE_INSTANCE_TYPES",
    "MANAGED_POLICIES_PER_PERMISSION_SET",
    "MANAGED_POLICIES_PER_ROLE",
    "OPTIONAL_GUARDRAIL_KEYS",
    "PERMISSION_SET_NAME_MAX",
    "PERSONA_KINDS",
    "ROLE_NAME_MAX",
    "STAR_RESOURCE_ACTIONS",
    "VERSION",
    "VPC_OPTIONAL_ACTIONS",
    "CatalogVersion",
    "Condition",
    "ConditionKey",
    "ConditionResult",
    "ContextValue",
    "Decision",
    "Evaluation",
    "Finding",
    "FindingCode",
    "Limit",
    "PersonaKind",
    "PolicyDocument",
    "RemoteVerdict",
    "Severity",
    "Statement",
    "StatementMatch",
    "catalog",
    "catalog_version",
    "evaluate",
    "lint",
    "lint_managed_policies",
    "lint_persona",
    "merge_statements",
    "pack_statements",
    "policy_size",
    "total_size",
]
