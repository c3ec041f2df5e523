"""Manage ML Jobs: training, processing, transform, AutoML and tuning jobs."""

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
    sagemaker_statements,
    tag_on_create_statements,
)
from secureml.policy import Statement

__all__ = ["ManageMLJobs"]

ACTIONS = (
    "BatchGetMetrics",
    "CreateAutoMLJob",
    # AutoMLV2 (the SDK's current AutoML class) calls the V2 APIs.
    "CreateAutoMLJobV2",
    "CreateHyperParameterTuningJob",
    "CreateProcessingJob",
    "CreateTrainingJob",
    "CreateTransformJob",
    "DescribeAutoMLJob",
    "DescribeAutoMLJobV2",
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


JOB_LOG_GROUPS = ("/aws/sagemaker/*Jobs",)
"""Where SageMaker jobs log: ``/aws/sagemaker/TrainingJobs``, ``ProcessingJobs``,
``TransformJobs`` (tuning and AutoML jobs through their training and
processing jobs; the other ``*Jobs`` groups are SageMaker's jobs' logs too);
the SDK streams them in ``fit()``, ``run()`` and ``wait()``."""


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
    types; ``kms:CreateGrant`` on the volume key. Under a volume key, instance
    types with local NVMe storage (GPU families such as g5, p4d, trn1) may run
    with no key, as SageMaker requires (see
    :data:`~secureml.activities.LOCAL_STORAGE_INSTANCE_TYPES`).

    It may read the jobs' CloudWatch logs, which the SDK streams while it waits.

    ``pass_roles`` (required) defaults to the persona's.
    """

    name: ClassVar[str] = "Manage ML Jobs"
    requires: ClassVar[frozenset[Input]] = frozenset({"pass_roles"})
    workflows: ClassVar[tuple[str, ...]] = (
        "train",
        "train-model-trainer",
        "train-gpu-local-storage",
        "process",
        "tune",
        "batch-transform",
        "automl-v2",
    )

    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_manage_ml_jobs_pass_roles)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from tag_on_create_statements(ctx, ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or ctx.pass_roles)
        yield from kms_grant_statements(ctx)
        yield from log_read_statements(ctx, JOB_LOG_GROUPS)
