"""Serve Models: what a model's execution role needs to serve it, nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import bucket_inputs, ecr_inputs
from secureml.activities._s3 import in_account
from secureml.activities._services import (
    ecr_pull_statements,
    metrics_and_logs_statements,
    network_interface_statements,
)
from secureml.errors import Problem
from secureml.policy import Condition, Statement

__all__ = ["ServeModels"]


def _serve_models_buckets(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return bucket_inputs(value, "ServeModels.model_buckets")


def _serve_models_ecr_repositories(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return ecr_inputs(value, "ServeModels.ecr_repositories")


def _via_s3(ctx: ActivityContext) -> str:
    return f"s3.{ctx.region or '*'}.amazonaws.com"


@attrs.frozen
class ServeModels(Activity):
    """The execution role of SageMaker models and endpoints (the Inference
    persona): read model artifacts from ``model_buckets`` (no write, no
    delete), pull images from ``ecr_repositories``, write the endpoint's logs
    under ``/aws/sagemaker/Endpoints/`` and metrics in SageMaker namespaces.

    Nothing else: no training data, no SageMaker API. With network settings it
    may manage the network interfaces SageMaker attaches in the persona's
    subnets; with an output KMS key it may decrypt (read) artifacts encrypted
    with it, through S3 only. An asynchronous endpoint writes its results to
    S3 with its role: give it S3 Bucket Access on the output bucket.
    ``model_buckets`` (required) and ``ecr_repositories`` (optional:
    SageMaker's own images need none) default to the persona's ``buckets``
    and ``ecr_repositories``.
    """

    name: ClassVar[str] = "Serve Models"
    requires: ClassVar[frozenset[Input]] = frozenset({"buckets"})

    model_buckets: tuple[str, ...] = attrs.field(default=(), converter=_serve_models_buckets)
    ecr_repositories: tuple[str, ...] = attrs.field(
        default=(), converter=_serve_models_ecr_repositories
    )

    def missing_inputs(self, ctx: ActivityContext) -> list[Problem]:
        """``model_buckets`` (the persona's or the activity's) are required."""
        if self.model_buckets or ctx.buckets:
            return []
        return [
            Problem(
                ("model_buckets",),
                None,
                f"activity {self.name!r} needs model_buckets (give model_buckets=[...])",
            )
        ]

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        buckets = self.model_buckets or ctx.buckets
        repos = self.ecr_repositories or ctx.ecr_repositories
        # ListBucket: an uncompressed model (ModelDataSource with an S3 prefix)
        # is listed before it is read.
        yield Statement(
            actions="s3:ListBucket", resources=ctx.bucket_arns(buckets), conditions=in_account(ctx)
        )
        yield Statement(
            actions="s3:GetObject", resources=ctx.object_arns(buckets), conditions=in_account(ctx)
        )
        yield from ecr_pull_statements(ctx, repos, list_images=False)
        yield from metrics_and_logs_statements(ctx, "/aws/sagemaker/Endpoints/*")
        if ctx.network is not None:
            # The same network interfaces as any SageMaker execution role.
            yield from network_interface_statements(ctx)
        enc = ctx.encryption
        if enc is not None and enc.output_kms_key is not None:
            # Read only: artifacts are decrypted, never encrypted, by this role.
            yield Statement(
                actions="kms:Decrypt",
                resources=enc.output_kms_key,
                conditions=[Condition("StringLike", "kms:ViaService", _via_s3(ctx))],
            )
