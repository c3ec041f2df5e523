"""Manage Pipelines."""

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

__all__ = ["ManagePipelines", "RunPipelineSteps"]

ACTIONS = (
    "CreatePipeline",
    "DeletePipeline",
    "DescribePipeline",
    "DescribePipelineDefinitionForExecution",
    "DescribePipelineExecution",
    "ListPipelineExecutionSteps",
    "ListPipelineExecutions",
    "ListPipelineParametersForExecution",
    "ListPipelines",
    "RetryPipelineExecution",
    "SendPipelineExecutionStepFailure",
    "SendPipelineExecutionStepSuccess",
    "StartPipelineExecution",
    "StopPipelineExecution",
    # Not in Role Manager's template, but the SageMaker SDK's pipeline.upsert()
    # calls it for every pipeline that already exists.
    "UpdatePipeline",
    "UpdatePipelineExecution",
)


def _manage_pipelines_pass_roles(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return role_inputs(value, "ManagePipelines.pass_roles")


@attrs.frozen
class ManagePipelines(Activity):
    """Create, update, run, retry, stop, describe and delete SageMaker
    Pipelines, passing ``pass_roles`` as the pipeline's role.

    It may tag the pipelines it creates, and list and add tags on pipelines
    (``pipeline.upsert(tags=...)`` does both on an existing one). Pipeline steps run jobs with the
    pipeline's role, so the guard-rails of those jobs belong on that role (a
    Compute persona). ``pass_roles`` (required) defaults to the persona's."""

    name: ClassVar[str] = "Manage Pipelines"
    requires: ClassVar[frozenset[Input]] = frozenset({"pass_roles"})
    workflows: ClassVar[tuple[str, ...]] = ("pipeline",)

    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_manage_pipelines_pass_roles)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from tag_on_create_statements(ctx, ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or ctx.pass_roles)
        # pipeline.upsert(tags=...) on an existing pipeline reads its tags and adds
        # the new ones with direct calls (not part of a create).
        yield Statement(
            actions=["sagemaker:AddTags", "sagemaker:ListTags"],
            resources=ctx.arn("sagemaker", "pipeline/*"),
        )


STEP_ACTIONS = (
    "CreateHyperParameterTuningJob",
    "CreateModel",
    "CreateModelPackage",
    "CreateProcessingJob",
    "CreateTrainingJob",
    "CreateTransformJob",
    "DescribeHyperParameterTuningJob",
    "DescribeModel",
    "DescribeModelPackage",
    "DescribeModelPackageGroup",
    "DescribeProcessingJob",
    "DescribeTrainingJob",
    "DescribeTransformJob",
    "StopHyperParameterTuningJob",
    "StopProcessingJob",
    "StopTrainingJob",
    "StopTransformJob",
)


def _run_pipeline_steps_pass_roles(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return role_inputs(value, "RunPipelineSteps.pass_roles")


@attrs.frozen
class RunPipelineSteps(Activity):
    """What a pipeline's own role does when the pipeline runs: start, watch and
    stop the training, processing, tuning and transform jobs of its steps,
    create the models of model steps and register model versions, passing
    ``pass_roles`` (default: the persona's own role, as the SageMaker SDK's
    pipelines do) as the jobs' role.

    Add it to the Compute persona an MLOps persona passes as a pipeline's role.
    Guard-rails apply to every job it starts, as in Manage ML Jobs; it may tag
    what it creates; ``kms:CreateGrant`` on the volume key."""

    name: ClassVar[str] = "Run Pipeline Steps"
    workflows: ClassVar[tuple[str, ...]] = ("pipeline-role",)

    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_run_pipeline_steps_pass_roles)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, STEP_ACTIONS)
        yield from tag_on_create_statements(ctx, STEP_ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or (ctx.persona,))
        yield from kms_grant_statements(ctx)
