"""The ML activities: named units of permissions that compose into personas.

The 13 baseline activities carry Role Manager's names (12 from its original
list plus Manage AWS Glue Tables); ``BASELINE`` lists their classes, ``ALL``
those and the activities secureml adds (Run Pipeline Steps, for a pipeline's
own role). :func:`by_name` finds one by its name.
"""

from __future__ import annotations

import difflib

from secureml.activities._base import Activity, ActivityContext, PersonaKind
from secureml.activities._data import ManageGlueTables, QueryAthenaWorkgroups
from secureml.activities._experiments import ManageExperiments, SearchAndVisualizeExperiments
from secureml.activities._guardrails import compact_statements
from secureml.activities._images import ManageStudioAppImages
from secureml.activities._jobs import ManageMLJobs
from secureml.activities._models import ManageEndpoints, ManageModelMonitoring, ManageModels
from secureml.activities._pipelines import ManagePipelines, RunPipelineSteps
from secureml.activities._s3 import S3BucketAccess, S3FullAccess
from secureml.activities._sagemaker_tables import created_resource
from secureml.activities._services import AccessRequiredAWSServices
from secureml.activities._serving import ServeModels
from secureml.activities._studio import RunStudioApplications
from secureml.errors import ValidationError
from secureml.policy import LOCAL_STORAGE_INSTANCE_TYPES

__all__ = [
    "ALL",
    "BASELINE",
    "COMPUTE_DEFAULTS",
    "DATA_SCIENTIST_DEFAULTS",
    "INFERENCE_DEFAULTS",
    "LOCAL_STORAGE_INSTANCE_TYPES",
    "MLOPS_DEFAULTS",
    "AccessRequiredAWSServices",
    "Activity",
    "ActivityContext",
    "ManageEndpoints",
    "ManageExperiments",
    "ManageGlueTables",
    "ManageMLJobs",
    "ManageModelMonitoring",
    "ManageModels",
    "ManagePipelines",
    "ManageStudioAppImages",
    "PersonaKind",
    "QueryAthenaWorkgroups",
    "RunPipelineSteps",
    "RunStudioApplications",
    "S3BucketAccess",
    "S3FullAccess",
    "SearchAndVisualizeExperiments",
    "ServeModels",
    "as_activity",
    "as_activity_class",
    "by_name",
    "compact_statements",
    "created_resource",
]

BASELINE: tuple[type[Activity], ...] = (
    AccessRequiredAWSServices,
    RunStudioApplications,
    ManageMLJobs,
    ManageModels,
    ManageEndpoints,
    ManagePipelines,
    ManageExperiments,
    SearchAndVisualizeExperiments,
    ManageModelMonitoring,
    S3FullAccess,
    S3BucketAccess,
    QueryAthenaWorkgroups,
    ManageGlueTables,
)
"""The 13 baseline activity classes, in Role Manager's order."""

ALL: tuple[type[Activity], ...] = (
    *BASELINE, RunPipelineSteps, ManageStudioAppImages, ServeModels
)
"""Every activity class: the baseline ones, then the ones secureml adds (Run
Pipeline Steps for a pipeline's role; Manage Studio App Images, taken out of Run
Studio Applications for platform admins; Serve Models, the Inference persona's)."""

DATA_SCIENTIST_DEFAULTS: tuple[type[Activity], ...] = (
    RunStudioApplications,
    ManageMLJobs,
    ManageModels,
    ManageExperiments,
    SearchAndVisualizeExperiments,
    S3BucketAccess,
)
"""Role Manager's default activities for the Data Scientist persona."""

MLOPS_DEFAULTS: tuple[type[Activity], ...] = (
    RunStudioApplications,
    ManageModels,
    ManageEndpoints,
    ManagePipelines,
    SearchAndVisualizeExperiments,
)
"""Role Manager's default activities for the MLOps persona (no S3 data access)."""

COMPUTE_DEFAULTS: tuple[type[Activity], ...] = (AccessRequiredAWSServices,)
"""Role Manager's default activity for the SageMaker Compute persona."""

INFERENCE_DEFAULTS: tuple[type[Activity], ...] = (ServeModels,)
"""The default activity of the Inference persona (a model's execution role)."""


def by_name(name: str) -> type[Activity]:
    """The activity class with this Role Manager name or class name (case does
    not matter), with a did-you-mean on a typo.

    >>> by_name("Manage ML Jobs").__name__
    'ManageMLJobs'
    >>> by_name("manage endpoints").__name__
    'ManageEndpoints'
    """

    def fold(text: str) -> str:
        return text.strip().casefold()

    wanted = fold(name) if isinstance(name, str) else ""
    for cls in ALL:
        if wanted in (fold(cls.name), fold(cls.__name__)):
            return cls
    names = [c.name for c in ALL]
    guess = difflib.get_close_matches(
        str(name), names + [c.__name__ for c in ALL], n=1, cutoff=0.6
    ) or difflib.get_close_matches(str(name).title(), names, n=1, cutoff=0.5)
    tip = ""
    if guess:
        match = by_name(guess[0])
        tip = f"; did you mean {match.name!r}?"
    raise ValidationError(
        f"unknown activity {name!r}{tip} Known activities (by Role Manager name or class "
        f"name): {', '.join(names)}"
    )


def as_activity_class(item: type[Activity] | Activity | str) -> type[Activity]:
    """The activity class of a class, an instance or a name (see :func:`by_name`).

    >>> as_activity_class("Manage Experiments").__name__
    'ManageExperiments'
    """
    if isinstance(item, Activity):
        return type(item)
    if isinstance(item, type) and issubclass(item, Activity):
        return item
    if isinstance(item, str):
        return by_name(item)
    raise ValidationError(
        f"activities: {item!r} is not an activity; give an activity instance "
        "(activities.ManageMLJobs()), a class (activities.ManageMLJobs) or a Role Manager "
        "name ('Manage ML Jobs')"
    )


def as_activity(item: type[Activity] | Activity | str) -> Activity:
    """An activity instance from an instance (as is), a class or a name (with its
    default inputs: the persona's).

    >>> as_activity("Manage Endpoints")
    ManageEndpoints()
    """
    if isinstance(item, Activity):
        return item
    return as_activity_class(item)()
