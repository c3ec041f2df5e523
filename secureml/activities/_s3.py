"""S3 activities: S3 Bucket Access and S3 Full Access."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import (
    bucket_inputs,
    data_buckets,
    kms_data_statements,
    sdk_default_bucket_field,
)
from secureml.policy import Condition, Statement

_PRINCIPAL_ACCOUNT = "${aws:PrincipalAccount}"

__all__ = ["S3BucketAccess", "S3FullAccess", "in_account"]


def in_account(ctx: ActivityContext) -> list[Condition]:
    """``s3:ResourceAccount``: the bucket must belong to the persona's account
    (its id when known, else ``${aws:PrincipalAccount}``, the caller's own), so
    neither a bucket name squatted in another account nor another account's
    bucket policy widens the grant."""
    return [Condition("StringEquals", "s3:ResourceAccount", ctx.account_id or _PRINCIPAL_ACCOUNT)]


def _s3_bucket_access_buckets(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return bucket_inputs(value, "S3BucketAccess.buckets")


@attrs.frozen
class S3BucketAccess(Activity):
    """Read, write and delete objects in the named buckets, and list them.

    ``buckets`` defaults to the persona's. With an output KMS key the persona
    may also use it through S3, to read and write objects encrypted with it.

    ``sdk_default_bucket`` (on unless turned off) adds the SageMaker Python SDK's
    default bucket, ``sagemaker-<region>-<account>`` of the persona's own account,
    where ``fit()``, ``run()`` and ``upload_data()`` put code and data unless told
    otherwise. Turn it off when every job names its own bucket (the SDK's
    ``default_bucket`` setting, see :mod:`secureml.integrations.sagemaker`).
    """

    name: ClassVar[str] = "S3 Bucket Access"
    workflows: ClassVar[tuple[str, ...]] = ("s3-data", "sdk-default-bucket")
    requires: ClassVar[frozenset[Input]] = frozenset({"buckets"})
    data_access: ClassVar[bool] = True

    buckets: tuple[str, ...] = attrs.field(default=(), converter=_s3_bucket_access_buckets)
    sdk_default_bucket: bool = sdk_default_bucket_field()

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        buckets = data_buckets(ctx, self.buckets, sdk_default_bucket=self.sdk_default_bucket)
        yield Statement(
            actions=["s3:ListBucket"], resources=ctx.bucket_arns(buckets),
            conditions=in_account(ctx),
        )
        yield Statement(
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=ctx.object_arns(buckets),
            conditions=in_account(ctx),
        )
        yield from kms_data_statements(ctx)


@attrs.frozen
class S3FullAccess(Activity):
    """Read, write, delete and list objects in every bucket the account's
    policies let it reach (Role Manager's S3 Full Access, second version).

    Prefer :class:`S3BucketAccess`: this activity names no bucket (lint
    reports it, SM040). Both stay inside the persona's account
    (``s3:ResourceAccount``). With an output KMS key the persona may also use
    it through S3.
    """

    name: ClassVar[str] = "S3 Full Access"
    workflows: ClassVar[tuple[str, ...]] = ("sdk-default-bucket",)
    data_access: ClassVar[bool] = True
    widens: ClassVar[str | None] = (
        "names no bucket: it reads, writes and deletes objects in every bucket of the "
        "account, other teams' included; use S3 Bucket Access with the persona's buckets"
    )

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        # Role Manager granted all four on arn:aws:s3:::*; each action only ever
        # matches its own kind of resource, so bucket and object ARNs are split.
        yield Statement(
            actions="s3:ListBucket", resources=ctx.bucket_arns(("*",)), conditions=in_account(ctx)
        )
        yield Statement(
            actions=["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            resources=ctx.object_arns(("*",)),
            conditions=in_account(ctx),
        )
        yield from kms_data_statements(ctx)
