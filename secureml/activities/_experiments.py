"""Manage Experiments and Search and Visualize Experiments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext
from secureml.activities._guardrails import sagemaker_statements, tag_on_create_statements
from secureml.policy import Statement

__all__ = ["ManageExperiments", "SearchAndVisualizeExperiments"]

MANAGE_ACTIONS = (
    "AddAssociation",
    "AssociateTrialComponent",
    # Run.log_metric() in a notebook sends the metrics with BatchPutMetrics.
    "BatchPutMetrics",
    "CreateAction",
    "CreateArtifact",
    "CreateContext",
    "CreateExperiment",
    "CreateTrial",
    "CreateTrialComponent",
    "DeleteAction",
    "DeleteArtifact",
    "DeleteAssociation",
    "DeleteContext",
    "DeleteExperiment",
    "DeleteTrial",
    "DeleteTrialComponent",
    "DisassociateTrialComponent",
    "UpdateAction",
    "UpdateArtifact",
    "UpdateContext",
    "UpdateExperiment",
    "UpdateTrial",
    "UpdateTrialComponent",
)

VISUALIZE_ACTIONS = (
    "DescribeAction",
    "DescribeArtifact",
    "DescribeContext",
    "DescribeExperiment",
    "DescribeLineageGroup",
    "DescribeTrial",
    "DescribeTrialComponent",
    "GetLineageGroupPolicy",
    "GetSearchSuggestions",
    "ListActions",
    "ListArtifacts",
    "ListAssociations",
    "ListContexts",
    "ListExperiments",
    "ListLineageGroups",
    "ListTrialComponents",
    "ListTrials",
    "QueryLineage",
    "Search",
)


@attrs.frozen
class ManageExperiments(Activity):
    """Create, update, associate and delete experiments, trials, trial
    components and lineage entities (actions, artifacts, contexts,
    associations). No guard-rail applies: these actions start no compute.

    It may tag what it creates."""

    name: ClassVar[str] = "Manage Experiments"
    workflows: ClassVar[tuple[str, ...]] = ("experiments-run",)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, MANAGE_ACTIONS)
        yield from tag_on_create_statements(ctx, MANAGE_ACTIONS)


@attrs.frozen
class SearchAndVisualizeExperiments(Activity):
    """Describe, list and search experiments, trials, trial components and
    lineage; read-only, no guard-rail applies."""

    name: ClassVar[str] = "Search and Visualize Experiments"
    workflows: ClassVar[tuple[str, ...]] = ("search-experiments",)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, VISUALIZE_ACTIONS)
