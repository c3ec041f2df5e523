"""Guard-rail settings passed into every activity of a persona."""

from __future__ import annotations

import re

import attrs

from secureml._convert import string_tuple
from secureml._validation import check_arn
from secureml.errors import ValidationError

__all__ = ["EncryptionSettings", "Guardrails", "NetworkSettings"]

# EC2 ids carry 8 hex digits (older resources) or 17 (newer ones).
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
SECURITY_GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9-]+$|^ml\.\*$|^ml\.[a-z0-9-]+\.\*$")



def _bad_ids(values: tuple[object, ...], pattern: re.Pattern[str]) -> list[object]:
    return [v for v in values if not isinstance(v, str) or not pattern.match(v)]


@attrs.frozen
class NetworkSettings:
    """The VPC that SageMaker jobs, models and apps must run in.

    Subnets and security groups are given together; every create action that
    takes a VPC then requires exactly these (``sagemaker:VpcSubnets``,
    ``sagemaker:VpcSecurityGroupIds``, with ``Null`` checks so a request
    without a VPC is refused).

    >>> NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"]).subnets
    ('subnet-0abc1234',)
    """

    subnets: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    security_groups: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)

    def __attrs_post_init__(self) -> None:
        problems = []
        if not self.subnets or not self.security_groups:
            problems.append(
                "network: subnets and security_groups go together; got "
                f"subnets={list(self.subnets)}, security_groups={list(self.security_groups)} "
                "(give at least one of each, or no network settings at all)"
            )
        problems += [
            f"network.subnets: {s!r} is not a subnet id; allowed is 'subnet-' and 8 or 17 "
            "lowercase hex digits, e.g. 'subnet-0abc1234'"
            for s in _bad_ids(self.subnets, SUBNET_ID)
        ]
        problems += [
            f"network.security_groups: {s!r} is not a security group id; allowed is 'sg-' and "
            "8 or 17 lowercase hex digits, e.g. 'sg-0abc1234'"
            for s in _bad_ids(self.security_groups, SECURITY_GROUP_ID)
        ]
        # SageMaker's VpcConfig takes at most 16 subnets and 5 security groups.
        if len(self.subnets) > 16:
            problems.append(
                f"network.subnets: {len(self.subnets)} given; SageMaker allows at most 16"
            )
        if len(self.security_groups) > 5:
            problems.append(
                f"network.security_groups: {len(self.security_groups)} given; SageMaker allows "
                "at most 5"
            )
        if problems:
            raise ValidationError(problems)


@attrs.frozen
class EncryptionSettings:
    """The KMS keys SageMaker must encrypt storage volumes and output with.

    Keys are key ARNs (IAM resources need an ARN, and SageMaker requests must
    name the same ARN for the ``sagemaker:VolumeKmsKey`` and
    ``sagemaker:OutputKmsKey`` conditions to match).
    """

    volume_kms_key: str | None = None
    output_kms_key: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.volume_kms_key is None and self.output_kms_key is None:
            raise ValidationError(
                "encryption: give volume_kms_key, output_kms_key or both (KMS key ARNs)"
            )
        for field in ("volume_kms_key", "output_kms_key"):
            value = getattr(self, field)
            if value is not None:
                check_arn(value, f"encryption.{field}", service="kms")
                if ":key/" not in value:
                    raise ValidationError(
                        f"encryption.{field}: {value!r} must be a key ARN "
                        "(arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), not an alias"
                    )

    @property
    def keys(self) -> tuple[str, ...]:
        """The distinct key ARNs given."""
        return tuple(dict.fromkeys(k for k in (self.volume_kms_key, self.output_kms_key) if k))


@attrs.frozen
class Guardrails:
    """Stricter guard-rails that Role Manager lacked, off unless asked for.

    - ``network_isolation``: jobs and models must run with network isolation
      (``sagemaker:NetworkIsolation``).
    - ``inter_container_traffic_encryption``: distributed training must encrypt
      traffic between containers (``sagemaker:InterContainerTrafficEncryption``).
    - ``instance_types``: the instance types jobs, endpoints and apps may use
      (``sagemaker:InstanceTypes``), e.g. ``["ml.m5.*", "ml.g5.xlarge"]``.
    """

    network_isolation: bool = False
    inter_container_traffic_encryption: bool = False
    instance_types: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)

    def __attrs_post_init__(self) -> None:
        problems = [
            f"guardrails.{name}: {getattr(self, name)!r} is not allowed; give True or False"
            for name in ("network_isolation", "inter_container_traffic_encryption")
            if not isinstance(getattr(self, name), bool)
        ]
        bad = _bad_ids(self.instance_types, INSTANCE_TYPE)
        if bad:
            problems.append(
                f"guardrails.instance_types: {bad} are not SageMaker instance types; allowed are "
                "names like 'ml.m5.xlarge' or wildcards like 'ml.g5.*' and 'ml.*'"
            )
        if problems:
            raise ValidationError(problems)

    @property
    def any(self) -> bool:
        """Whether any guard-rail is on."""
        return self.network_isolation or self.inter_container_traffic_encryption or bool(
            self.instance_types
        )
