"""Run Studio Applications."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext
from secureml.activities._guardrails import (
    kms_data_statements,
    kms_grant_statements,
    sagemaker_statements,
    tag_on_create_statements,
)
from secureml.policy import Statement

__all__ = ["RunStudioApplications"]

ACTIONS = (
    "CreateApp",
    "CreateAppImageConfig",
    # Studio (since 2023) runs JupyterLab and Code Editor apps in spaces; Role
    # Manager's template predates them, so its personas could open no app there.
    "CreateSpace",
    "DeleteApp",
    "DeleteAppImageConfig",
    "DeleteSpace",
    "DescribeApp",
    "DescribeAppImageConfig",
    "DescribeDomain",
    "DescribeSpace",
    "DescribeUserProfile",
    "ListAppImageConfigs",
    "ListApps",
    "ListDomains",
    "ListSpaces",
    "ListUserProfiles",
    "UpdateAppImageConfig",
    "UpdateSpace",
)


@attrs.frozen
class RunStudioApplications(Activity):
    """Create, describe and delete SageMaker Studio apps and app image configs,
    and see the domains and user profiles they run in.

    Also the spaces that JupyterLab and Code Editor apps run in, and tags on what
    it creates (Studio tags everything it creates). Guard-rails: allowed instance
    types on ``CreateApp``, ``CreateSpace`` and ``UpdateSpace``. With a volume KMS
    key the persona may let SageMaker create grants on it and describe it; with an
    output key it may use it through S3. Like Role Manager's second version of this
    template it passes no role (no Studio app API takes one)."""

    name: ClassVar[str] = "Run Studio Applications"
    workflows: ClassVar[tuple[str, ...]] = ("studio-jupyterlab", "studio-code-editor")

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from tag_on_create_statements(ctx, ACTIONS)
        yield from kms_grant_statements(ctx, describe=True)
        yield from kms_data_statements(ctx)
