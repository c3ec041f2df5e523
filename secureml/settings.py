"""Guard-rail settings passed into every activity of a persona."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from secureml._convert import string_tuple
from secureml._validation import (
    INSTANCE_TYPE,
    Checked,
    check_instance_type,
    check_kms_key_arn,
    checker,
    problem,
)
from secureml.errors import Problem, ValidationError

__all__ = [
    "SECURITY_GROUP_ID",
    "SUBNET_ID",
    "EncryptionSettings",
    "Guardrails",
    "NetworkSettings",
    "PrincipalTag",
    "Scope",
]

# EC2 ids carry 8 hex digits (older resources) or 17 (newer ones).
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
SECURITY_GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_INSTANCE = re.compile(INSTANCE_TYPE)



def _is_instance_type(value: object) -> bool:
    try:
        check_instance_type(value)  # type: ignore[arg-type]
    except ValidationError:
        return False
    return True


def _bad_ids(values: tuple[object, ...], pattern: re.Pattern[str]) -> list[tuple[int, object]]:
    return [(i, v) for i, v in enumerate(values) if not isinstance(v, str) or not pattern.match(v)]


@attrs.frozen
class NetworkSettings(Checked):
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

    def problems(self) -> list[Problem]:
        """Subnet and security group ids, given together, within SageMaker's counts."""
        problems: list[Problem] = []
        if not self.subnets or not self.security_groups:
            missing = "subnets" if not self.subnets else "security_groups"
            problems.append(Problem(
                ("network", missing),
                None,
                "network: subnets and security_groups go together; got "
                f"subnets={list(self.subnets)}, security_groups={list(self.security_groups)} "
                "(give at least one of each, or no network settings at all)",
            ))
        problems += [
            problem(
                "network.subnets",
                s,
                f"{s!r} is not a subnet id; allowed is 'subnet-' and 8 or 17 "
                "lowercase hex digits, e.g. 'subnet-0abc1234'",
                i,
            )
            for i, s in _bad_ids(self.subnets, SUBNET_ID)
        ]
        problems += [
            problem(
                "network.security_groups",
                s,
                f"{s!r} is not a security group id; allowed is 'sg-' "
                "and 8 or 17 lowercase hex digits, e.g. 'sg-0abc1234'",
                i,
            )
            for i, s in _bad_ids(self.security_groups, SECURITY_GROUP_ID)
        ]
        # SageMaker's VpcConfig takes at most 16 subnets and 5 security groups.
        if len(self.subnets) > 16:
            problems.append(problem(
                "network.subnets",
                self.subnets,
                f"{len(self.subnets)} given; SageMaker allows at most 16",
            ))
        if len(self.security_groups) > 5:
            problems.append(problem(
                "network.security_groups",
                self.security_groups,
                f"{len(self.security_groups)} given; SageMaker allows "
                "at most 5",
            ))
        return problems


@attrs.frozen
class EncryptionSettings(Checked):
    """The KMS keys SageMaker must encrypt storage volumes and output with.

    Keys are key ARNs (IAM resources need an ARN, and SageMaker requests must
    name the same ARN for the ``sagemaker:VolumeKmsKeyArn`` and
    ``sagemaker:OutputKmsKeyArn`` conditions to match).
    """

    volume_kms_key: str | None = None
    output_kms_key: str | None = None

    def problems(self) -> list[Problem]:
        """At least one key, each a KMS key ARN."""
        if self.volume_kms_key is None and self.output_kms_key is None:
            return [Problem(
                "encryption", None,
                "encryption: give volume_kms_key, output_kms_key or both (KMS key ARNs)",
            )]
        problems: list[Problem] = []
        check = checker("", problems)
        for field in ("volume_kms_key", "output_kms_key"):
            value = getattr(self, field)
            if value is not None:
                check(check_kms_key_arn, value, f"encryption.{field}")
        return problems

    @property
    def keys(self) -> tuple[str, ...]:
        """The distinct key ARNs given."""
        return tuple(dict.fromkeys(k for k in (self.volume_kms_key, self.output_kms_key) if k))


@attrs.frozen
class Guardrails(Checked):
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

    def problems(self) -> list[Problem]:
        """The two switches are booleans; instance types are SageMaker's."""
        problems = [
            problem(
                f"guardrails.{name}",
                getattr(self, name),
                f"{getattr(self, name)!r} is not allowed; give True or False",
            )
            for name in ("network_isolation", "inter_container_traffic_encryption")
            if not isinstance(getattr(self, name), bool)
        ]
        bad = [v for v in self.instance_types if not _is_instance_type(v)]
        if bad:
            problems.append(
                problem(
                    "guardrails.instance_types",
                    tuple(bad),
                    f"{bad} are not SageMaker instance types; allowed "
                    "are names like 'ml.m5.xlarge' or one family's wildcard like 'ml.g5.*' (not "
                    "'ml.*', '?' or '${...}': leave instance_types empty to allow every type)",
                )
            )
        return problems

    @property
    def any(self) -> bool:
        """Whether any guard-rail is on."""
        return self.network_isolation or self.inter_container_traffic_encryption or bool(
            self.instance_types
        )


# -- team scope ---------------------------------------------------------------------

# SageMaker lowercases names in ARNs; a prefix is matched against the ARN.
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
# Tag keys SageMaker accepts, minus the aws: prefix AWS reserves.
_TAG_KEY = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,128}$")
_TAG_VALUE = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,256}$")


@attrs.frozen
class PrincipalTag(Checked):
    """A tag of the calling principal, as a scope's tag value: ``PrincipalTag("team")``
    becomes ``${aws:PrincipalTag/team}``, so one persona serves every team, each
    user confined to the resources tagged with their own team (the tag comes
    from the IAM role, or from IAM Identity Center's attributes for access
    control, see :class:`~secureml.AccessControlAttributes`).

    >>> str(PrincipalTag("team"))
    '${aws:PrincipalTag/team}'
    """

    key: str

    def problems(self) -> list[Problem]:
        """The key is a tag key."""
        if not isinstance(self.key, str) or not _TAG_KEY.match(self.key) or self.key.startswith(
            "aws:"
        ):
            return [Problem(
                "key", self.key,
                f"PrincipalTag: {self.key!r} is not a tag key; allowed are 1-128 letters, digits "
                "and ' _.:/=+@-', not starting with 'aws:'",
            )]
        return []

    def __str__(self) -> str:
        return f"${{aws:PrincipalTag/{self.key}}}"


def _scope_tags(value: Mapping[str, str | PrincipalTag] | None) -> Mapping[str, str | PrincipalTag]:
    return MappingProxyType(dict(sorted((value or {}).items())))


@attrs.frozen
class Scope(Checked):
    """Confines a persona to its team's SageMaker resources in a shared account.

    - ``name_prefix="team-a-"``: every SageMaker resource the persona creates or
      acts on must be named with the prefix (``.../training-job/team-a-*``;
      spaces, and the apps in them, ``space/DOMAIN/team-a-*``). List and search
      actions stay as they are.
    - ``tags={"team": "team-a"}``: creates must carry the tags
      (``aws:RequestTag/team``, ``aws:TagKeys``) and actions on existing
      resources require them (``aws:ResourceTag/team``, or
      ``sagemaker:ResourceTag/team`` where that is the key the action takes).
      A value may be :class:`PrincipalTag`.

    Both together are allowed. Each action gets the scoping its resource types
    support (per the catalogue); what cannot be scoped is reported by lint
    (SM043) with the reason, never left open silently.

    >>> Scope(name_prefix="team-a-", tags={"team": PrincipalTag("team")}).name_prefix
    'team-a-'
    """

    name_prefix: str | None = None
    tags: Mapping[str, str | PrincipalTag] = attrs.field(
        factory=dict, converter=_scope_tags, hash=False
    )

    def problems(self) -> list[Problem]:
        """A prefix, tags or both, each as SageMaker takes them."""
        problems: list[Problem] = []
        if self.name_prefix is None and not self.tags:
            problems.append(Problem("scope", None, "scope: give name_prefix, tags or both"))
        if self.name_prefix is not None and (
            not isinstance(self.name_prefix, str) or not _PREFIX.match(self.name_prefix)
        ):
            problems.append(problem(
                "scope.name_prefix", self.name_prefix,
                f"{self.name_prefix!r} is not allowed; give 1-32 lowercase "
                "letters, digits and hyphens starting with a letter or digit, e.g. 'team-a-' "
                "(SageMaker writes names in lowercase in ARNs, and no wildcard may be in it)",
            ))
        for key, value in self.tags.items():
            if not isinstance(key, str) or not _TAG_KEY.match(key) or key.startswith("aws:"):
                problems.append(problem(
                    "scope.tags", key,
                    f"key {key!r} is not allowed; give 1-128 letters, digits and "
                    "' _.:/=+@-', not starting with 'aws:'", str(key),
                ))
            if not isinstance(value, PrincipalTag) and (
                not isinstance(value, str) or not _TAG_VALUE.match(value)
            ):
                problems.append(Problem(
                    ("scope", "tags", str(key)), value,
                    f"scope.tags[{key!r}]: {value!r} is not allowed; give a tag value (letters, "
                    "digits and ' _.:/=+@-', no wildcard or policy variable) or "
                    "PrincipalTag('key') for the caller's own tag",
                    detail=f"{value!r} is not allowed; give a tag value (letters, "
                    "digits and ' _.:/=+@-', no wildcard or policy variable) or "
                    "PrincipalTag('key') for the caller's own tag",
                ))
        return problems

    def tag_values(self) -> dict[str, str]:
        """The tags as condition values (``PrincipalTag`` as its policy variable)."""
        return {k: str(v) for k, v in self.tags.items()}
