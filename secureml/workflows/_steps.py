"""Request builders the workflows share: jobs with their guard-rail keys, role
passing, log reading, S3 objects through KMS, tags on create."""

from __future__ import annotations

from collections.abc import Iterator

from secureml.workflows._model import ContextValue, Request, WorkflowSettings, context_for

__all__ = [
    "SAGEMAKER",
    "create",
    "get_object",
    "job_keys",
    "log_reads",
    "pass_role",
    "put_object",
    "sm",
]

SAGEMAKER = "sagemaker.amazonaws.com"


def sm(s: WorkflowSettings, action: str, resource: str, call: str, **keys: ContextValue) -> Request:
    """A SageMaker request on ``resource`` (a path such as ``training-job/x``, or ``*``)."""
    arn = resource if resource == "*" else s.sm(resource)
    full = f"sagemaker:{action}"
    return Request(full, arn, context_for(full, {k.replace("__", ":"): v for k, v in keys.items()}),
                   call=call)


def job_keys(
    s: WorkflowSettings,
    *,
    instance_type: str | None = None,
    instances: bool = True,
    vpc: bool = True,
    volume_key: bool = True,
    output_key: bool = True,
    isolation: bool = True,
    ict: bool = True,
) -> dict[str, ContextValue | None]:
    """The guard-rail condition keys a create request carries when the SDK is
    configured with the settings' network, keys and guard-rails (the
    ``secureml.integrations.sagemaker`` defaults): only the ones the action
    takes survive :func:`~secureml.workflows.context_for`.

    A local-storage instance type carries no volume key (SageMaker refuses one).
    """
    itype = instance_type or s.instance_type
    keys: dict[str, ContextValue | None] = {}
    if s.network is not None and vpc:
        keys["sagemaker:VpcSubnets"] = s.network.subnets
        keys["sagemaker:VpcSecurityGroupIds"] = s.network.security_groups
    enc = s.encryption
    if enc is not None and enc.volume_kms_key and volume_key and not s.local_storage(itype):
        keys["sagemaker:VolumeKmsKey"] = enc.volume_kms_key
        keys["sagemaker:VolumeKmsKeyArn"] = enc.volume_kms_key
    if enc is not None and enc.output_kms_key and output_key:
        keys["sagemaker:OutputKmsKey"] = enc.output_kms_key
        keys["sagemaker:OutputKmsKeyArn"] = enc.output_kms_key
    if instances:
        keys["sagemaker:InstanceTypes"] = (itype,)
    rails = s.guardrails
    if rails is not None and rails.network_isolation and isolation:
        keys["sagemaker:NetworkIsolation"] = True
    if rails is not None and rails.inter_container_traffic_encryption and ict:
        keys["sagemaker:InterContainerTrafficEncryption"] = True
    return keys


def create(
    s: WorkflowSettings,
    action: str,
    resource: str,
    call: str,
    keys: dict[str, ContextValue | None] | None = None,
    *,
    tags: dict[str, str] | None = None,
) -> Iterator[Request]:
    """A SageMaker create request with its condition keys and, when it carries
    tags, the ``sagemaker:AddTags`` AWS authorizes with it."""
    values: dict[str, ContextValue | None] = dict(keys or {})
    if tags:
        values["aws:TagKeys"] = tuple(sorted(tags))
        values.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
    full = f"sagemaker:{action}"
    yield Request(full, s.sm(resource), context_for(full, values), call=call)
    if tags:
        tag_values: dict[str, ContextValue | None] = {
            "sagemaker:TaggingAction": action,
            "aws:TagKeys": tuple(sorted(tags)),
            **{f"aws:RequestTag/{k}": v for k, v in tags.items()},
        }
        yield Request(
            "sagemaker:AddTags",
            s.sm(resource),
            context_for("sagemaker:AddTags", tag_values),
            call=f"{call} (tags on create)",
        )


def pass_role(s: WorkflowSettings, call: str, role: str | None = None) -> Request:
    """``iam:PassRole`` of the execution role to SageMaker."""
    return Request(
        "iam:PassRole",
        role or s.pass_role,
        context_for("iam:PassRole", {"iam:PassedToService": SAGEMAKER}),
        call=call,
    )


def log_reads(s: WorkflowSettings, group: str, stream: str, call: str) -> Iterator[Request]:
    """What the SDK's log streaming asks: the streams of a job, then their events."""
    group_arn = s.arn("logs", f"log-group:{group}")
    yield Request("logs:DescribeLogStreams", group_arn, call=f"{call}: find the log streams")
    yield Request(
        "logs:GetLogEvents", f"{group_arn}:log-stream:{stream}", call=f"{call}: read the log"
    )


def _kms_via_s3(s: WorkflowSettings, action: str, call: str) -> Iterator[Request]:
    enc = s.encryption
    if enc is not None and enc.output_kms_key:
        yield Request(
            action,
            enc.output_kms_key,
            context_for(action, {"kms:ViaService": f"s3.{s.region}.amazonaws.com",
                                 "kms:CallerAccount": s.account_id}),
            call=f"{call} (SSE-KMS)",
        )


def put_object(s: WorkflowSettings, bucket: str, key: str, call: str) -> Iterator[Request]:
    """``s3:PutObject`` and, with an output key, the KMS data key S3 asks for."""
    yield Request("s3:PutObject", s.s3(bucket, key), call=call)
    yield from _kms_via_s3(s, "kms:GenerateDataKey", call)


def get_object(s: WorkflowSettings, bucket: str, key: str, call: str) -> Iterator[Request]:
    """``s3:GetObject`` and, with an output key, the decrypt S3 asks for."""
    yield Request("s3:GetObject", s.s3(bucket, key), call=call)
    yield from _kms_via_s3(s, "kms:Decrypt", call)
