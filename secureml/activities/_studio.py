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
)
from secureml.policy import Statement

__all__ = ["RunStudioApplications"]

ACTIONS = (
    "CreateApp",
    "CreateAppImageConfig",
    "DeleteApp",
    "DeleteAppImageConfig",
    "DescribeApp",
    "DescribeAppImageConfig",
    "DescribeDomain",
    "DescribeUserProfile",
    "ListAppImageConfigs",
    "ListApps",
    "ListDomains",
    "ListUserProfiles",
    "UpdateAppImageConfig",
)


@attrs.frozen
class RunStudioApplications(Activity):
    """Create, describe and delete SageMaker Studio apps and app image configs,
    and see the domains and user profiles they run in.

    Guard-rails: allowed instance types on ``CreateApp``. With a volume KMS key
    the persona may let SageMaker create grants on it and describe it; with an
    output key it may use it through S3. Like Role Manager's second version of
    this template it passes no role (no Studio app API takes one).
    """

    name: ClassVar[str] = "Run Studio Applications"

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from kms_grant_statements(ctx, describe=True)
        yield from kms_data_statements(ctx)
