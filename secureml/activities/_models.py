"""Manage Models, Manage Endpoints and Manage Model Monitoring."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import (
    kms_grant_statements,
    log_read_statements,
    pass_role_statement,
    role_inputs,
    sagemaker_arns,
    sagemaker_statements,
    tag_on_create_statements,
)
from secureml.policy import Condition, Statement

__all__ = ["ManageEndpoints", "ManageModelMonitoring", "ManageModels"]

MODEL_ACTIONS = (
    "BatchDescribeModelPackage",
    "CreateModel",
    "CreateModelPackage",
    "CreateModelPackageGroup",
    "DeleteModel",
    "DeleteModelPackage",
    "DeleteModelPackageGroup",
    "DescribeModel",
    "DescribeModelPackage",
    "DescribeModelPackageGroup",
    "ListModelPackageGroups",
    "ListModelPackages",
    "ListModels",
    "UpdateModelPackage",
)

ENDPOINT_ACTIONS = (
    "CreateEndpoint",
    "CreateEndpointConfig",
    "DeleteEndpoint",
    "DeleteEndpointConfig",
    "DescribeEndpoint",
    "DescribeEndpointConfig",
    # Calling an endpoint right after deploying it is how it is tested.
    "InvokeEndpoint",
    "InvokeEndpointAsync",
    "ListEndpointConfigs",
    "ListEndpoints",
    "UpdateEndpoint",
    "UpdateEndpointWeightsAndCapacities",
)

_MONITOR_KINDS = ("DataQuality", "ModelBias", "ModelExplainability", "ModelQuality")

MONITORING_ACTIONS = (
    "CreateMonitoringSchedule",
    "CreateProcessingJob",
    "DeleteMonitoringSchedule",
    "DescribeMonitoringSchedule",
    "DescribeProcessingJob",
    # The SDK's monitors create a job definition, then a schedule that names it.
    *(f"{verb}{kind}JobDefinition" for kind in _MONITOR_KINDS
      for verb in ("Create", "Delete", "Describe")),
    *(f"List{kind}JobDefinitions" for kind in _MONITOR_KINDS),
    "ListMonitoringExecutions",
    "ListMonitoringSchedules",
    "ListProcessingJobs",
    "StartMonitoringSchedule",
    "StopMonitoringSchedule",
    "StopProcessingJob",
    "UpdateMonitoringSchedule",
)


def _manage_models_pass_roles(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return role_inputs(value, "ManageModels.pass_roles")


@attrs.frozen
class ManageModels(Activity):
    """Create, describe and delete models, model packages and model package
    groups (the model registry), passing ``pass_roles`` as the model's
    execution role (for MLOps, an :func:`~secureml.Inference` role: serving
    needs no training data).

    Approving model versions (``sagemaker:ModelApprovalStatus``) belongs to
    MLOps: other personas register and update versions only as
    ``PendingManualApproval`` (``approve=True`` overrides).

    It may tag what it creates; ``ListModelPackages`` is on ``"*"`` (see
    :data:`~secureml.policy.STAR_RESOURCE_ACTIONS`). Guard-rails on
    ``CreateModel``: VPC (subnets and security groups required) and network
    isolation. ``pass_roles`` (required) defaults to the persona's."""

    name: ClassVar[str] = "Manage Models"
    workflows: ClassVar[tuple[str, ...]] = ("register-model",)
    requires: ClassVar[frozenset[Input]] = frozenset({"pass_roles"})

    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_manage_models_pass_roles)
    approve: bool | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(bool))
    )
    """Whether the persona may approve (or reject) model versions, i.e. set
    ``ModelApprovalStatus``; ``None`` (the default): only an MLOps persona may.
    Without it, versions are registered and updated only as
    ``PendingManualApproval`` (or without a status)."""

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        approve = self.approve if self.approve is not None else ctx.kind == "MLOps"
        gated = () if approve else _APPROVAL_ACTIONS
        yield from sagemaker_statements(ctx, [a for a in MODEL_ACTIONS if a not in gated])
        if not approve:
            yield from _pending_only(ctx)
        yield from tag_on_create_statements(ctx, MODEL_ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or ctx.pass_roles)


_APPROVAL_ACTIONS = ("CreateModelPackage", "UpdateModelPackage")
_APPROVAL = "sagemaker:ModelApprovalStatus"


def _pending_only(ctx: ActivityContext) -> Iterator[Statement]:
    """Register and update versions only as ``PendingManualApproval`` (a request
    without a status gets that one), never ``Approved`` nor ``Rejected``."""
    yield Statement(
        actions="sagemaker:CreateModelPackage",
        resources=sagemaker_arns(ctx, "CreateModelPackage"),
        conditions=[Condition("StringEqualsIfExists", _APPROVAL, "PendingManualApproval")],
    )
    yield Statement(
        actions="sagemaker:UpdateModelPackage",
        resources=sagemaker_arns(ctx, "UpdateModelPackage"),
        conditions=[Condition("StringEqualsIfExists", _APPROVAL, "PendingManualApproval")],
    )


@attrs.frozen
class ManageEndpoints(Activity):
    """Create, update, describe and delete real-time endpoints and endpoint
    configs.

    It may tag what it creates. Guard-rails on ``CreateEndpointConfig``: VPC (a
    ``VpcConfig``, when given, must name the persona's subnets and security groups;
    without one the endpoint runs in its model's VPC, which ``CreateModel``
    requires), the volume KMS key (with ``kms:CreateGrant`` on it; none for a
    serverless endpoint or an instance type with local storage) and instance
    types. Network isolation is the model's (``CreateModel``): the SDK's
    ``deploy()`` never sends it on the endpoint config. It may invoke endpoints
    and read and search their CloudWatch logs."""

    name: ClassVar[str] = "Manage Endpoints"
    workflows: ClassVar[tuple[str, ...]] = (
        "approve-and-deploy-realtime",
        "deploy-serverless",
        "deploy-async",
        "invoke-endpoint",
    )

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ENDPOINT_ACTIONS)
        yield from tag_on_create_statements(ctx, ENDPOINT_ACTIONS)
        yield from kms_grant_statements(ctx)
        yield from log_read_statements(ctx, ["/aws/sagemaker/Endpoints/*"], search=True)


def _manage_model_monitoring_pass_roles(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return role_inputs(value, "ManageModelMonitoring.pass_roles")


@attrs.frozen
class ManageModelMonitoring(Activity):
    """Create, update, start, stop and delete model monitoring schedules, the
    job definitions they name (data quality, model quality, bias,
    explainability) and the processing jobs they run, passing ``pass_roles`` as
    their role; read the processing jobs' logs.

    It may tag what it creates. Guard-rails on ``CreateMonitoringSchedule``,
    ``UpdateMonitoringSchedule``, the ``Create*JobDefinition`` actions and
    ``CreateProcessingJob``: VPC (required),
    volume and output KMS keys, network isolation, inter-container traffic
    encryption, instance types; ``kms:CreateGrant`` on the volume key.
    ``pass_roles`` (required) defaults to the persona's."""

    name: ClassVar[str] = "Manage Model Monitoring"
    workflows: ClassVar[tuple[str, ...]] = ("model-monitor",)
    requires: ClassVar[frozenset[Input]] = frozenset({"pass_roles"})

    pass_roles: tuple[str, ...] = attrs.field(
        default=(), converter=_manage_model_monitoring_pass_roles
    )

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        # Monitoring jobs run on small CPU instances: no local-storage grant here.
        yield from sagemaker_statements(ctx, MONITORING_ACTIONS, local_storage=False)
        yield from tag_on_create_statements(ctx, MONITORING_ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or ctx.pass_roles)
        yield from kms_grant_statements(ctx)
        yield from log_read_statements(ctx, ["/aws/sagemaker/ProcessingJobs"])
