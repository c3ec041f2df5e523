"""Run Studio Applications."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext
from secureml.activities._guardrails import (
    guardrail_conditions,
    kms_data_statements,
    kms_grant_statements,
    sagemaker_arns,
    sagemaker_statements,
    tag_on_create_statements,
)
from secureml.policy import Condition, Statement

__all__ = ["RunStudioApplications", "own_profile"]

READ_ACTIONS = (
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
)
APP_ACTIONS = ("CreateApp", "DeleteApp")
# Studio (since 2023) runs JupyterLab and Code Editor apps in spaces; Role
# Manager's template predates them, so its personas could open no app there.
SPACE_ACTIONS = ("CreateSpace", "DeleteSpace", "UpdateSpace")
ACTIONS = (*READ_ACTIONS, *APP_ACTIONS, *SPACE_ACTIONS)

_OWNER = "sagemaker:OwnerUserProfileArn"
_SHARING = "sagemaker:SpaceSharingType"
_SHARING_TYPES = ["Private", "Shared"]


def own_profile(ctx: ActivityContext) -> str:
    """The caller's own user profile, from the context Studio sets on its requests
    (``${sagemaker:DomainId}``, ``${sagemaker:UserProfileName}``)."""
    return ctx.arn("sagemaker", "user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}")


def _owned(ctx: ActivityContext, action: str, sharing: list[str], *, ownerless: bool) -> Iterator[
    Statement
]:
    rails = guardrail_conditions(ctx, action)
    [resource] = sagemaker_arns(ctx, action)
    yield Statement(
        actions=f"sagemaker:{action}",
        resources=resource,
        conditions=[
            *rails,
            Condition("ArnLike", _OWNER, own_profile(ctx)),
            Condition("StringEquals", _SHARING, sharing),
        ],
    )
    if ownerless:
        yield Statement(
            actions=f"sagemaker:{action}",
            resources=resource,
            conditions=[*rails, Condition("Null", _OWNER, "true")],
        )


@attrs.frozen
class RunStudioApplications(Activity):
    """Open SageMaker Studio: see the domains, user profiles, spaces and apps;
    create, update and delete one's own spaces; start and stop apps in them.

    As AWS's Studio admin guide describes ("Give your users access to
    spaces"): spaces only with the caller's own user profile as owner
    (``sagemaker:OwnerUserProfileArn``), private or shared
    (``sagemaker:SpaceSharingType``); apps in an owned space only by its
    owner; apps without an owner (shared spaces, Studio Classic) by any user of
    the domain. Another user's private space and its apps are refused. Studio
    sets ``sagemaker:DomainId`` and ``sagemaker:UserProfileName`` on the
    requests it makes with the user's execution role. App image configs are
    only read (writing them is :class:`ManageStudioAppImages`). Tags on what
    it creates (Studio tags everything it creates). Guard-rails: allowed
    instance types on ``CreateApp``, ``CreateSpace`` and ``UpdateSpace``. With
    a volume KMS key the persona may let SageMaker create grants on it and
    describe it; with an output key it may use it through S3. Like Role
    Manager's second version of this template it passes no role (no Studio
    app API takes one)."""

    name: ClassVar[str] = "Run Studio Applications"
    workflows: ClassVar[tuple[str, ...]] = ("studio-jupyterlab", "studio-code-editor")

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield from sagemaker_statements(ctx, READ_ACTIONS)
        # Apps and spaces take the same conditions, so they share statements: an
        # app in a shared space the caller owns is the caller's too.
        for action in APP_ACTIONS:
            yield from _owned(ctx, action, _SHARING_TYPES, ownerless=True)
        for action in SPACE_ACTIONS:
            yield from _owned(ctx, action, _SHARING_TYPES, ownerless=False)
        yield from tag_on_create_statements(ctx, ACTIONS)
        yield from kms_grant_statements(ctx, describe=True)
        yield from kms_data_statements(ctx)
