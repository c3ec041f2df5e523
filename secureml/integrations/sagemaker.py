"""Settings for the SageMaker Python SDK that a persona's guard-rails allow.

A persona with network, encryption or guard-rail settings only allows
SageMaker requests that carry exactly those values (its policy's conditions
deny the rest). :func:`job_settings` gives the keyword arguments of the
SageMaker Python SDK's estimators, processors and models that satisfy them, so
a notebook never meets an ``AccessDenied`` for a missing subnet or key:

>>> import secureml as sm
>>> from secureml.integrations.sagemaker import job_settings
>>> net = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
>>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"],
...                       pass_roles=["team-a-compute"], network=net)
>>> kwargs = job_settings(ds, role="team-a-compute", account_id="111122223333")
>>> kwargs["role"], kwargs["subnets"], kwargs["security_group_ids"]
('arn:aws:iam::111122223333:role/team-a-compute', ['subnet-0abc1234'], ['sg-0abc1234'])

Then ``sagemaker.estimator.Estimator(image_uri=..., instance_type=...,
**kwargs)``. Or, once for every notebook, :func:`sdk_config` writes the
SDK's defaults file (``config.yaml``) so that every estimator, processor,
transformer, model, endpoint config, pipeline and AutoML job gets them
without being told (see :doc:`/integrations`).

This module never imports the ``sagemaker`` package (it is 1 GB and slow to
import): it returns plain values, so it works without the ``sagemaker``
extra installed too.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from secureml._validation import check_account_id
from secureml.errors import ValidationError
from secureml.personas import Persona

__all__ = ["SCHEMA_VERSION", "check_instance_type", "job_settings", "sdk_config", "sdk_config_yaml"]

SCHEMA_VERSION = "1.0"
"""The SageMaker Python SDK's config file schema version (the only one it knows)."""


def _role_arn(role: Persona | str, account_id: str | None, partition: str) -> str:
    name = role.name if isinstance(role, Persona) else role
    if name.startswith("arn:"):
        return name
    if account_id is None:
        raise ValidationError(
            f"role: {name!r} is a role name; give account_id (12 digits) to make its ARN, "
            "or give the role ARN"
        )
    return f"arn:{partition}:iam::{check_account_id(account_id)}:role/{name}"


def job_settings(
    caller: Persona,
    *,
    role: Persona | str,
    account_id: str | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """Keyword arguments for SageMaker Python SDK estimators, processors and
    models that ``caller``'s guard-rails allow, running as ``role``.

    ``caller`` is the persona making the requests (a Data Scientist or MLOps
    persona); ``role`` is the execution role the job runs as (a Compute
    persona, a role name or a role ARN), which ``caller`` must be allowed to
    pass. Keys are only present for settings the persona has: ``role``,
    ``subnets``, ``security_group_ids``, ``volume_kms_key``,
    ``output_kms_key``, ``enable_network_isolation``,
    ``encrypt_inter_container_traffic``.

    Raises :class:`~secureml.errors.ValidationError` when ``caller`` may not
    pass ``role``.
    """
    arn = _role_arn(role, account_id, partition)
    # pass_roles holds names (passable in this account) and ARNs.
    if arn not in caller.pass_roles and arn.rsplit("/", 1)[-1] not in caller.pass_roles:
        raise ValidationError(
            f"role: persona {caller.name!r} may not pass {arn!r}; it may pass "
            f"{sorted(caller.pass_roles) or 'no role'} (its pass_roles)"
        )
    settings: dict[str, Any] = {"role": arn}
    if caller.network is not None:
        settings["subnets"] = list(caller.network.subnets)
        settings["security_group_ids"] = list(caller.network.security_groups)
    if caller.encryption is not None:
        if caller.encryption.volume_kms_key:
            settings["volume_kms_key"] = caller.encryption.volume_kms_key
        if caller.encryption.output_kms_key:
            settings["output_kms_key"] = caller.encryption.output_kms_key
    rails = caller.guardrails
    if rails is not None:
        if rails.network_isolation:
            settings["enable_network_isolation"] = True
        if rails.inter_container_traffic_encryption:
            settings["encrypt_inter_container_traffic"] = True
    return settings


def check_instance_type(caller: Persona, instance_type: str) -> str:
    """``instance_type`` if ``caller``'s guard-rails allow it, else a
    :class:`~secureml.errors.ValidationError` listing the allowed patterns.

    >>> import secureml as sm
    >>> p = sm.MLOps("ops", pass_roles=["c"],
    ...              guardrails=sm.Guardrails(instance_types=["ml.m5.*"]))
    >>> check_instance_type(p, "ml.m5.xlarge")
    'ml.m5.xlarge'
    """
    allowed = caller.guardrails.instance_types if caller.guardrails else ()
    if allowed and not any(fnmatch.fnmatchcase(instance_type, p) for p in allowed):
        raise ValidationError(
            f"instance_type: {instance_type!r} is not allowed for persona {caller.name!r}; "
            f"allowed are {list(allowed)}"
        )
    return instance_type


def _scope_tags(persona: Persona) -> list[dict[str, str]]:
    """The persona's scope tags with fixed values (a ``PrincipalTag`` value is the
    caller's own tag, resolved by IAM at request time: no file can hold it)."""
    scope = getattr(persona, "scope", None)
    tags = getattr(scope, "tags", None) or {}
    return [
        {"Key": str(k), "Value": v}
        for k, v in sorted(dict(tags).items())
        if isinstance(v, str)
    ]


def _default_bucket(persona: Persona, default_bucket: str | None) -> str | None:
    if default_bucket is None:
        return persona.buckets[0] if persona.buckets else None
    if default_bucket not in persona.buckets:
        raise ValidationError(
            f"default_bucket: {default_bucket!r} is not one of persona {persona.name!r}'s "
            f"buckets ({', '.join(persona.buckets) or 'none'}); the SDK uploads code and data "
            "there, so give one the persona may use"
        )
    return default_bucket


def sdk_config(
    persona: Persona,
    *,
    role: Persona | str,
    default_bucket: str | None = None,
    account_id: str | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """The SageMaker Python SDK's defaults (``config.yaml``, SchemaVersion 1.0) that
    make every job, model and endpoint ``persona`` creates satisfy its guard-rails.

    For training, processing, transform and AutoML jobs, models, endpoint
    configs, pipelines, monitoring schedules, remote functions and notebook
    jobs, as far as each takes them: the execution role ``role`` (which
    ``persona`` must be allowed to pass), the persona's subnets and security
    groups, its volume and output KMS keys, network isolation and
    inter-container traffic encryption when its guard-rails ask for them, and
    the tags of its scope where it has one. The SDK's default bucket is
    ``default_bucket``, which must be one of the persona's buckets (default: its
    first). Keys are only present for settings the persona has.

    >>> import secureml as sm
    >>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"],
    ...                       pass_roles=["team-a-compute"])
    >>> config = sdk_config(ds, role="team-a-compute", account_id="111122223333")
    >>> config["SageMaker"]["TrainingJob"]["RoleArn"]
    'arn:aws:iam::111122223333:role/team-a-compute'
    >>> config["SageMaker"]["PythonSDK"]["Modules"]["Session"]["DefaultS3Bucket"]
    'team-a-data'
    """
    settings = job_settings(persona, role=role, account_id=account_id, partition=partition)
    role_arn: str = settings["role"]
    vpc = (
        {"SecurityGroupIds": settings["security_group_ids"], "Subnets": settings["subnets"]}
        if "subnets" in settings
        else None
    )
    volume = settings.get("volume_kms_key")
    output = settings.get("output_kms_key")
    isolation = settings.get("enable_network_isolation")
    encrypt = settings.get("encrypt_inter_container_traffic")
    tags = _scope_tags(persona)

    def keep(**values: Any) -> dict[str, Any]:
        """The values that are set, nested dicts with nothing in them dropped."""
        out = {}
        for key, given in values.items():
            value = keep(**given) if isinstance(given, Mapping) else given
            if value not in (None, {}, []):
                out[key] = value
        return out

    network = keep(VpcConfig=vpc, EnableNetworkIsolation=isolation,
                   EnableInterContainerTrafficEncryption=encrypt)
    security = keep(VolumeKmsKeyId=volume, VpcConfig=vpc,
                    EnableInterContainerTrafficEncryption=encrypt)
    bucket = _default_bucket(persona, default_bucket)
    sagemaker = keep(
        PythonSDK={"Modules": keep(
            Session={"DefaultS3Bucket": bucket},
            RemoteFunction=keep(RoleArn=role_arn, VpcConfig=vpc, VolumeKmsKeyId=volume,
                                S3KmsKeyId=output, Tags=tags,
                                EnableInterContainerTrafficEncryption=encrypt),
            NotebookJob=keep(RoleArn=role_arn, VpcConfig=vpc, VolumeKmsKeyId=volume,
                             S3KmsKeyId=output),
        )},
        TrainingJob=keep(
            RoleArn=role_arn, VpcConfig=vpc, EnableNetworkIsolation=isolation,
            EnableInterContainerTrafficEncryption=encrypt,
            OutputDataConfig={"KmsKeyId": output}, ResourceConfig={"VolumeKmsKeyId": volume},
            Tags=tags,
        ),
        ProcessingJob=keep(
            RoleArn=role_arn, NetworkConfig=network,
            ProcessingOutputConfig={"KmsKeyId": output},
            ProcessingResources={"ClusterConfig": {"VolumeKmsKeyId": volume}}, Tags=tags,
        ),
        TransformJob=keep(
            TransformOutput={"KmsKeyId": output}, TransformResources={"VolumeKmsKeyId": volume},
            DataCaptureConfig={"KmsKeyId": output}, Tags=tags,
        ),
        Model=keep(ExecutionRoleArn=role_arn, VpcConfig=vpc, EnableNetworkIsolation=isolation,
                   Tags=tags),
        EndpointConfig=keep(
            KmsKeyId=volume, DataCaptureConfig={"KmsKeyId": output},
            AsyncInferenceConfig={"OutputConfig": {"KmsKeyId": output}}, Tags=tags,
        ),
        Pipeline=keep(RoleArn=role_arn, Tags=tags),
        AutoMLJob=keep(
            RoleArn=role_arn, AutoMLJobConfig={"SecurityConfig": security},
            OutputDataConfig={"KmsKeyId": output}, Tags=tags,
        ),
        AutoMLJobV2=keep(
            RoleArn=role_arn, SecurityConfig=security, OutputDataConfig={"KmsKeyId": output},
            Tags=tags,
        ),
        MonitoringSchedule=keep(
            MonitoringScheduleConfig={"MonitoringJobDefinition": keep(
                RoleArn=role_arn, NetworkConfig=network,
                MonitoringOutputConfig={"KmsKeyId": output},
                MonitoringResources={"ClusterConfig": {"VolumeKmsKeyId": volume}},
            )},
            Tags=tags,
        ),
    )
    return {"SchemaVersion": SCHEMA_VERSION, "SageMaker": sagemaker}


def sdk_config_yaml(config: Mapping[str, Any], *, persona: str = "") -> str:
    """``config`` (from :func:`sdk_config`) as the YAML text of ``config.yaml``."""
    import yaml  # noqa: PLC0415 - only when writing a file

    head = (
        f"# SageMaker Python SDK defaults for persona {persona}, written by secureml\n"
        if persona
        else "# SageMaker Python SDK defaults, written by secureml\n"
    )

    class _Plain(yaml.SafeDumper):
        """No ``&id001`` anchors for values used twice: people read this file."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    body: str = yaml.dump(dict(config), Dumper=_Plain, sort_keys=False, default_flow_style=False)
    return head + body
