"""Manage Pipelines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import (
    pass_role_statement,
    role_inputs,
    sagemaker_statements,
    tag_on_create_statements,
)
from secureml.policy import Statement

__all__ = ["ManagePipelines"]

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

    It may tag the pipelines it creates. Pipeline steps run jobs with the
    pipeline's role, so the guard-rails of those jobs belong on that role (a
    Compute persona). ``pass_roles`` (required) defaults to the persona's."""

    name: ClassVar[str] = "Manage Pipelines"
    requires: ClassVar[frozenset[Input]] = frozenset({"pass_roles"})

    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_manage_pipelines_pass_roles)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from tag_on_create_statements(ctx, ACTIONS)
        yield pass_role_statement(ctx, self.pass_roles or ctx.pass_roles)
