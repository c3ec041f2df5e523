"""Manage Studio App Images: custom images for a SageMaker domain (platform admins)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext
from secureml.activities._guardrails import sagemaker_statements, tag_on_create_statements
from secureml.policy import Statement

__all__ = ["ManageStudioAppImages"]

ACTIONS = (
    "CreateAppImageConfig",
    "DeleteAppImageConfig",
    "DescribeAppImageConfig",
    "ListAppImageConfigs",
    "UpdateAppImageConfig",
)


@attrs.frozen
class ManageStudioAppImages(Activity):
    """Create, update and delete the app image configs of a domain's custom
    Studio images (kernel specs, entrypoint, file system): for platform
    admins, never a default.

    An app image config decides what runs when any user of the domain starts
    an app on that image, with that user's own role: whoever can rewrite it
    runs code as every other user. Run Studio Applications therefore only
    reads them.
    """

    name: ClassVar[str] = "Manage Studio App Images"
    widens: ClassVar[str | None] = (
        "rewrites the app image configs of the domain: the code it sets runs in other "
        "users' apps with their roles; give it to platform admins only"
    )

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, ACTIONS)
        yield from tag_on_create_statements(ctx, ACTIONS)
