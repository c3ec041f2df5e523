"""A blueprint for many accounts: CloudFormation templates and StackSets deployment.

:func:`to_cloudformation` (``Blueprint.to_cloudformation``) compiles a blueprint to
a member template for a service-managed StackSet (every workload account of the
target OUs), Identity Center templates for the management or delegated-administrator
account, and an organization template for account-level Block Public Access.
:func:`deploy` (``Blueprint.deploy``) plans and deploys them. See
``docs/many-accounts.rst``.
"""

from secureml.export._cfn import (
    MAX_INLINE_TEMPLATE_BYTES,
    MAX_RESOURCES_PER_STACK,
    MAX_S3_TEMPLATE_BYTES,
    Template,
)
from secureml.export._deploy import (
    AccountFailure,
    DeployError,
    DeployPlan,
    DeployResult,
    StackChange,
    deploy,
    plan_deploy,
)
from secureml.export._export import CloudFormationExport, stack_names, to_cloudformation
from secureml.export._render import resolve_tokens

__all__ = [
    "MAX_INLINE_TEMPLATE_BYTES",
    "MAX_RESOURCES_PER_STACK",
    "MAX_S3_TEMPLATE_BYTES",
    "AccountFailure",
    "CloudFormationExport",
    "DeployError",
    "DeployPlan",
    "DeployResult",
    "StackChange",
    "Template",
    "deploy",
    "plan_deploy",
    "resolve_tokens",
    "stack_names",
    "to_cloudformation",
]
