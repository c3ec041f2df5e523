"""S3 activities: S3 Bucket Access and S3 Full Access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import attrs

from secureml._validation import check_bucket_name
from secureml.activities._base import Activity, ActivityContext, Input
from secureml.policy import Statement

__all__ = ["S3BucketAccess"]


def _buckets(value: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(check_bucket_name(b, "S3BucketAccess.buckets") for b in dict.fromkeys(value))


@attrs.frozen
class S3BucketAccess(Activity):
    """Read, write and delete objects in the named buckets, and list them.

    ``buckets`` defaults to the persona's buckets.
    """

    name: ClassVar[str] = "S3 Bucket Access"
    requires: ClassVar[frozenset[Input]] = frozenset({"buckets"})
    data_access: ClassVar[bool] = True

    buckets: tuple[str, ...] = attrs.field(default=(), converter=_buckets)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        buckets = self.buckets or ctx.buckets
        yield Statement(actions=["s3:ListBucket"], resources=ctx.bucket_arns(buckets))
        yield Statement(
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=ctx.object_arns(buckets),
        )
