"""Access Required AWS Services: what a SageMaker execution role needs at run time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import (
    bucket_inputs,
    data_buckets,
    ecr_arns,
    ecr_inputs,
    kms_data_statements,
    sagemaker_statements,
    sdk_default_bucket_field,
)
from secureml.policy import Condition, Statement

__all__ = [
    "AccessRequiredAWSServices",
    "ecr_pull_statements",
    "metrics_and_logs_statements",
    "network_interface_statements",
]

_ENI_ACTIONS = (
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
_EC2_DESCRIBE = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)


def _services_buckets(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return bucket_inputs(value, "AccessRequiredAWSServices.buckets")


def _services_ecr_repositories(
    value: Iterable[str] | str | None,
) -> tuple[str, ...]:
    return ecr_inputs(value, "AccessRequiredAWSServices.ecr_repositories")


@attrs.frozen
class AccessRequiredAWSServices(Activity):
    """The execution role of SageMaker jobs, models and endpoints (the Compute
    persona): read and write the persona's S3 buckets, pull images from its
    ECR repositories, write CloudWatch metrics and logs under
    ``/aws/sagemaker/``, and put training metrics.

    With network settings it may create and delete the network interfaces
    SageMaker attaches in the persona's subnets and security groups; with an
    output KMS key it may encrypt and decrypt S3 data with it (through S3 only).

    ``buckets`` (required) and ``ecr_repositories`` (optional: images that
    SageMaker provides need none) default to the persona's. It may also find
    its buckets' region (``s3:GetBucketLocation``, as SageMaker's own execution
    policy allows). ``sdk_default_bucket`` (on unless turned off) adds the
    SageMaker Python SDK's default bucket ``sagemaker-<region>-<account>``, where
    the SDK puts job code and, unless told otherwise, model artifacts.
    """

    name: ClassVar[str] = "Access Required AWS Services"
    requires: ClassVar[frozenset[Input]] = frozenset({"buckets"})
    data_access: ClassVar[bool] = True
    workflows: ClassVar[tuple[str, ...]] = ("compute-job-runtime", "compute-default-bucket")

    buckets: tuple[str, ...] = attrs.field(default=(), converter=_services_buckets)
    ecr_repositories: tuple[str, ...] = attrs.field(
        default=(), converter=_services_ecr_repositories
    )
    sdk_default_bucket: bool = sdk_default_bucket_field()

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        buckets = data_buckets(ctx, self.buckets, sdk_default_bucket=self.sdk_default_bucket)
        repos = self.ecr_repositories or ctx.ecr_repositories
        yield Statement(
            actions=["s3:GetBucketLocation", "s3:ListBucket"], resources=ctx.bucket_arns(buckets)
        )
        yield Statement(
            actions=["s3:GetObject", "s3:PutObject"], resources=ctx.object_arns(buckets)
        )
        yield from sagemaker_statements(ctx, ["BatchPutMetrics"])
        yield from ecr_pull_statements(ctx, repos, list_images=True)
        yield from metrics_and_logs_statements(ctx, "/aws/sagemaker/*")
        if ctx.network is not None:
            yield from network_interface_statements(ctx)
        yield from kms_data_statements(ctx)



def ecr_pull_statements(
    ctx: ActivityContext, repos: tuple[str, ...], *, list_images: bool
) -> Iterator[Statement]:
    """Pull images from ``repos`` (and list them with ``list_images``); nothing
    without repositories (SageMaker's own images need none)."""
    if not repos:
        return
    yield Statement(actions="ecr:GetAuthorizationToken", resources="*")
    yield Statement(
        actions=[
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            *(["ecr:ListImages"] if list_images else []),
        ],
        resources=ecr_arns(ctx, repos),
    )


def metrics_and_logs_statements(ctx: ActivityContext, log_groups: str) -> Iterator[Statement]:
    """CloudWatch metrics in SageMaker namespaces and logs in ``log_groups``."""
    yield Statement(
        actions="cloudwatch:PutMetricData",
        resources="*",
        conditions=[
            Condition(
                "StringLike",
                "cloudwatch:namespace",
                ["*SageMaker*", "*Sagemaker*", "*sagemaker*"],
            )
        ],
    )
    yield Statement(
        actions=[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ],
        resources=ctx.arn("logs", f"log-group:{log_groups}"),
    )


def network_interface_statements(ctx: ActivityContext) -> Iterator[Statement]:
    """The network interfaces SageMaker attaches in the persona's subnets and
    security groups (a SageMaker execution role in a VPC)."""
    net = ctx.network
    assert net is not None
    eni = ctx.arn("ec2", "network-interface/*")
    # Subnet and security group ids are unique across accounts, and a shared
    # VPC's subnets belong to another account: match the id in any account.
    any_account = attrs.evolve(ctx, account_id=None)
    yield Statement(
        actions="ec2:CreateNetworkInterface",
        resources=(
            eni,
            *(any_account.arn("ec2", f"subnet/{s}") for s in net.subnets),
            *(any_account.arn("ec2", f"security-group/{g}") for g in net.security_groups),
        ),
    )
    yield Statement(actions=_ENI_ACTIONS, resources=eni)
    yield Statement(actions=_EC2_DESCRIBE, resources="*")
