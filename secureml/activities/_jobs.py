"""Manage ML Jobs: training, processing, transform, AutoML and tuning jobs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import (
    kms_grant_statements,
    pass_role_statement,
    role_inputs,
    sagemaker_statements,
    tag_on_create_statements,
)
from secureml.policy import Statement

__all__ = ["ManageMLJobs"]

ACTIONS = (
    "BatchGetMetrics",
    "CreateAutoMLJob",
    "CreateHyperParameterTuningJob",
    "CreateProcessingJob",
    "CreateTrainingJob",
    "CreateTransformJob",
    "DescribeAutoMLJob",
    "DescribeHyperParameterTuningJob",
    "DescribeProcessingJob",
    "DescribeTrainingJob",
    "DescribeTransformJob",
    "ListAutoMLJobs",
    "ListCandidatesForAutoMLJob",
    "ListHyperParameterTuningJobs",
    "ListProcessingJobs",
    "ListTrainingJobs",
    "ListTrainingJobsForHyperParameterTuningJob",
    "ListTransformJobs",
    "Search",
    "StopAutoMLJob",
    "StopHyperParameterTuningJob",
    "StopProcessingJob",
    "StopTrainingJob",
    # Missing from Role Manager's manageJobs.json (its Vpc/Kms variants have it).
    "StopTransformJob",
    "UpdateTrainingJob",
)


def _manage_ml_jobs_pass_roles(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return role_inputs(value, "ManageMLJobs.pass_roles")


@attrs.frozen
class ManageMLJobs(Activity):
    """Create, stop, describe and list training, processing, transform, AutoML
    and hyperparameter tuning jobs, passing ``pass_roles`` as their execution
    role.

    It may tag the jobs it creates. Guard-rails, on each create action that
    supports them: VPC (subnets and security groups required), volume and output
    KMS keys, network isolation, inter-container traffic encryption, instance
    types; ``kms:CreateGrant`` on the volume key.

    ``pass_roles`` (required) defaults to the persona's.
    """

    name: ClassVar[str] = "Manage ML Jobs"
    requires: ClassVar[frozenset[Input]] = frozenset({"pass_roles"})

    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_manage_ml_jobs_pass_roles)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from tag_on_create_statements(ctx, ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or ctx.pass_roles)
        yield from kms_grant_statements(ctx)
