"""S3 activities: S3 Bucket Access and S3 Full Access."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import bucket_inputs, default_bucket, kms_data_statements
from secureml.policy import Statement

__all__ = ["S3BucketAccess", "S3FullAccess"]


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
    sdk_default_bucket: bool = attrs.field(
        default=True, validator=attrs.validators.instance_of(bool)
    )

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        buckets = self.buckets or ctx.buckets
        if self.sdk_default_bucket:
            buckets = (*buckets, default_bucket(ctx))
        yield Statement(actions=["s3:ListBucket"], resources=ctx.bucket_arns(buckets))
        yield Statement(
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=ctx.object_arns(buckets),
        )
        yield from kms_data_statements(ctx)


@attrs.frozen
class S3FullAccess(Activity):
    """Read, write, delete and list objects in every bucket the account's
    policies let it reach (Role Manager's S3 Full Access, second version).

    Prefer :class:`S3BucketAccess`: this activity names no bucket. With an
    output KMS key the persona may also use it through S3.
    """

    name: ClassVar[str] = "S3 Full Access"
    workflows: ClassVar[tuple[str, ...]] = ("sdk-default-bucket",)
    data_access: ClassVar[bool] = True

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        # Role Manager granted all four on arn:aws:s3:::*; each action only ever
        # matches its own kind of resource, so bucket and object ARNs are split.
        yield Statement(actions="s3:ListBucket", resources=ctx.bucket_arns(("*",)))
        yield Statement(
            actions=["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            resources=ctx.object_arns(("*",)),
        )
        yield from kms_data_statements(ctx)
