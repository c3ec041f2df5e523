"""Named ML workflows as request sequences, and ``persona.check()``.

A workflow is what AWS authorizes when a person or a job does one common
thing with the SageMaker Python SDK or Studio: train with logs, deploy to an
endpoint, run a pipeline, query Athena... Each is built for given settings
(account, region, buckets, roles, network, keys, guard-rails, instance type)
as a sequence of :class:`Request` values (action, resource ARN, condition
keys). Activities declare the workflows they enable
(``Activity.workflows``); guard-rails declare the requests they must refuse
(:data:`GUARDRAIL_VIOLATIONS`). :func:`check` evaluates both against a
persona's own policies with :func:`secureml.policy.evaluate`.

Nothing here touches the network or imports boto3.

>>> from secureml import workflows
>>> settings = workflows.WorkflowSettings(role="arn:aws:iam::111122223333:role/c")
>>> wf = workflows.build("train", settings)
>>> [r.action for r in wf.requests][2:5]
['iam:PassRole', 'sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from secureml.errors import ValidationError
from secureml.workflows._check import CheckReport, CheckResult, check_persona, persona_workflows
from secureml.workflows._model import (
    ContextValue,
    Request,
    Workflow,
    WorkflowSettings,
    context_for,
)
from secureml.workflows._registry import WORKFLOWS
from secureml.workflows._table import workflow_table
from secureml.workflows._violations import GUARDRAIL_VIOLATIONS, GuardrailViolation, Violation

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = [
    "GUARDRAIL_VIOLATIONS",
    "WORKFLOWS",
    "CheckReport",
    "CheckResult",
    "ContextValue",
    "GuardrailViolation",
    "Request",
    "Violation",
    "Workflow",
    "WorkflowSettings",
    "build",
    "check",
    "context_for",
    "persona_workflows",
    "workflow_table",
]


def build(name: str, settings: WorkflowSettings | None = None) -> Workflow | None:
    """The workflow ``name`` built for ``settings`` (defaults: an example account
    in us-east-1, no guard-rails); ``None`` when it does not apply to them."""
    try:
        builder = WORKFLOWS[name]
    except KeyError:
        raise ValidationError(
            f"unknown workflow {name!r}; known workflows are {sorted(WORKFLOWS)}"
        ) from None
    return builder(settings or WorkflowSettings())


def check(persona: Persona, **kwargs: Any) -> CheckReport:
    """The same as :meth:`persona.check(**kwargs) <secureml.Persona.check>`."""
    return check_persona(persona, **kwargs)
