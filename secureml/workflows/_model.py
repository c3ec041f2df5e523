"""Workflow values: requests, workflows, the settings they are built for."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias

import attrs

from secureml.policy import LOCAL_STORAGE_INSTANCE_TYPES, catalog
from secureml.settings import EncryptionSettings, Guardrails, NetworkSettings

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = [
    "ContextValue",
    "Expect",
    "Request",
    "Workflow",
    "WorkflowSettings",
    "context_for",
]

ContextValue: TypeAlias = str | bool | int | float | tuple[str, ...]
Expect: TypeAlias = Literal["allow", "deny"]

EXAMPLE_ACCOUNT = "111122223333"
EXAMPLE_REGION = "us-east-1"
FOREIGN_ACCOUNT = "444455556666"
FOREIGN_REGION = "eu-west-3"


def _frozen_context(value: Mapping[str, ContextValue] | None) -> Mapping[str, ContextValue]:
    items = {
        k: tuple(v) if isinstance(v, list | tuple) else v for k, v in (value or {}).items()
    }
    return MappingProxyType(dict(sorted(items.items())))


@attrs.frozen
class Request:
    """One request AWS authorizes: an action on one resource with the condition
    keys the request carries.

    ``call`` names the API call (and the SDK method) that makes it, for people
    reading a report.

    >>> r = Request("sagemaker:DescribeTrainingJob",
    ...             "arn:aws:sagemaker:us-east-1:111122223333:training-job/j", call="fit(): wait")
    >>> r.action, dict(r.context)
    ('sagemaker:DescribeTrainingJob', {})
    """

    action: str
    resource: str
    context: Mapping[str, ContextValue] = attrs.field(
        factory=dict, converter=_frozen_context, hash=False, eq=False
    )
    call: str = ""

    def with_context(self, **changes: ContextValue | None) -> Request:
        """This request with condition keys changed (``None`` removes one); keys
        are given with ``__`` for ``:`` (``sagemaker__VpcSubnets``)."""
        ctx = dict(self.context)
        for key, value in changes.items():
            name = key.replace("__", ":")
            if value is None:
                ctx.pop(name, None)
            else:
                ctx[name] = value
        return attrs.evolve(self, context=ctx)

    def context_dict(self) -> dict[str, str | bool | int | float | list[str]]:
        """The condition keys as plain JSON-able values (lists for multi-valued keys)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.context.items()}

    def to_dict(self) -> dict[str, object]:
        """The request as JSON-able data."""
        return {
            "action": self.action,
            "resource": self.resource,
            "context": self.context_dict(),
            "call": self.call,
        }


def _requests(value: Iterable[Request]) -> tuple[Request, ...]:
    return tuple(value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Workflow:
    """A named sequence of requests that one common ML task makes.

    ``requires`` names other activities the task also needs (for example a
    batch transform needs Manage Models to create its model); a persona
    without them skips the workflow rather than failing it.
    """

    name: str
    title: str
    requests: tuple[Request, ...] = attrs.field(converter=_requests)
    requires: tuple[str, ...] = attrs.field(default=(), converter=_names)
    note: str = ""


def context_for(action: str, values: Mapping[str, ContextValue | None]) -> dict[str, ContextValue]:
    """The ``values`` that ``action`` takes as condition keys, by the catalogue
    (``None`` values and keys the action does not document are dropped), so a
    request never carries a key AWS would not send with it."""
    info = catalog.action_info(action)
    keys = info.condition_keys if info is not None else ()
    out: dict[str, ContextValue] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in keys or (
            info is not None
            and not key.startswith("aws:")
            and catalog.supports_condition_key(action, key)
        ) or (key.startswith("aws:") and _documents(keys, key)):
            out[key] = value
    return out


def _documents(keys: tuple[str, ...], key: str) -> bool:
    head = key.split("/", 1)[0]
    return any(k.split("/", 1)[0] == head for k in keys)


def _local_storage(instance_type: str) -> bool:
    return any(fnmatch.fnmatchcase(instance_type, p) for p in LOCAL_STORAGE_INSTANCE_TYPES)


def _concrete(pattern: str, preferred: tuple[str, ...]) -> str:
    for want in preferred:
        if fnmatch.fnmatchcase(want, pattern):
            return want
    return pattern.replace("*", "xlarge") if pattern.count(".") == 2 else "ml.m5.xlarge"


def pick_instance_type(
    guardrails: Guardrails | None, preferred: tuple[str, ...] = ("ml.m5.xlarge",)
) -> str:
    """An instance type the guard-rails allow, the first of ``preferred`` when it is."""
    allowed = guardrails.instance_types if guardrails is not None else ()
    if not allowed:
        return preferred[0]
    for want in preferred:
        if any(fnmatch.fnmatchcase(want, p) for p in allowed):
            return want
    return _concrete(allowed[0], preferred)


def _activity_input(persona: Persona, field: str) -> tuple[str, ...]:
    """An input an activity of ``persona`` names itself (e.g. its workgroups)."""
    for activity in persona.activities:
        value = getattr(activity, field, ())
        if value:
            return tuple(value)
    return ()


def _scoped_names(persona: Persona) -> dict[str, str]:
    prefix = persona.scope.name_prefix if persona.scope is not None else None
    return {"name": f"{prefix}wf", "user_profile": f"{prefix}alice"} if prefix else {}


def _approves(persona: Persona) -> bool:
    for activity in persona.activities:
        approve = getattr(activity, "approve", None)
        if activity.name == "Manage Models":
            return approve if approve is not None else persona.kind == "MLOps"
    return persona.kind == "MLOps"


@attrs.frozen
class WorkflowSettings:
    """What workflows are built for: where they run, the names they use, and the
    guard-rail settings the SDK is configured with (so compliant requests carry
    the persona's subnets, keys and instance types).

    Build one from a persona with :meth:`for_persona`.
    """

    account_id: str = EXAMPLE_ACCOUNT
    region: str = EXAMPLE_REGION
    partition: str = "aws"
    persona: str = "persona"
    role: str | None = None
    """ARN of the execution role passed to SageMaker (a persona's first ``pass_roles``)."""
    own_role: str | None = None
    """ARN of the persona's own role."""
    buckets: tuple[str, ...] = ()
    ecr_repositories: tuple[str, ...] = ()
    workgroups: tuple[str, ...] = ()
    glue_databases: tuple[str, ...] = ()
    network: NetworkSettings | None = None
    encryption: EncryptionSettings | None = None
    guardrails: Guardrails | None = None
    instance_type: str = "ml.m5.xlarge"
    studio_instance_type: str = "ml.t3.medium"
    gpu_instance_type: str | None = None
    """A local-storage (NVMe) instance type the guard-rails allow, when there is one."""
    domain_id: str = "d-abc123example"
    user_profile: str = "alice"
    name: str = "wf"
    """Prefix of the SageMaker resource names the workflows make."""
    approves: bool = True
    """Whether the persona approves model versions (MLOps, or ``ManageModels(approve=True)``)."""

    @classmethod
    def for_persona(
        cls,
        persona: Persona,
        *,
        account_id: str | None = None,
        region: str | None = None,
        partition: str = "aws",
    ) -> WorkflowSettings:
        """Settings for ``persona`` in ``account_id`` and ``region`` (an example
        account and ``us-east-1`` when not given)."""
        account = account_id or EXAMPLE_ACCOUNT
        region = region or EXAMPLE_REGION
        ctx = persona.context(account, region, partition)
        roles = ctx.role_arns()
        own = ctx.role_arns((persona.name,))[0]
        rails = persona.guardrails
        allowed = rails.instance_types if rails is not None else ()
        gpu = next(
            (
                t
                for t in ("ml.g5.xlarge", "ml.g4dn.xlarge", "ml.p4d.24xlarge", "ml.g6.xlarge")
                if not allowed or any(fnmatch.fnmatchcase(t, p) for p in allowed)
            ),
            None,
        )
        return cls(
            account_id=account,
            region=region,
            partition=partition,
            persona=persona.name,
            role=roles[0] if roles else None,
            own_role=own,
            buckets=persona.buckets,
            ecr_repositories=persona.ecr_repositories,
            workgroups=persona.workgroups or _activity_input(persona, "workgroups"),
            glue_databases=persona.glue_databases or _activity_input(persona, "glue_databases"),
            network=persona.network,
            encryption=persona.encryption,
            guardrails=rails,
            instance_type=pick_instance_type(rails),
            studio_instance_type=pick_instance_type(rails, ("ml.t3.medium", "ml.m5.large")),
            gpu_instance_type=gpu,
            approves=_approves(persona),
            # A scoped persona names what it makes with its team's prefix, and so
            # are its users' profiles (the Studio spaces it opens carry them).
            **_scoped_names(persona),
        )

    # -- names and ARNs --------------------------------------------------------------

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in these settings' partition, region and account."""
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def sm(self, resource: str) -> str:
        """A SageMaker ARN, e.g. ``sm("training-job/x")``."""
        return self.arn("sagemaker", resource)

    @property
    def default_bucket(self) -> str:
        """The SageMaker SDK's default bucket, ``sagemaker-<region>-<account>``."""
        return f"sagemaker-{self.region}-{self.account_id}"

    @property
    def data_bucket(self) -> str:
        """The bucket workflows read data from (the persona's first, else the default)."""
        return self.buckets[0] if self.buckets else self.default_bucket

    def s3(self, bucket: str, key: str | None = None) -> str:
        """An S3 bucket ARN, or an object ARN when ``key`` is given."""
        return f"arn:{self.partition}:s3:::{bucket}" + (f"/{key}" if key is not None else "")

    @property
    def pass_role(self) -> str:
        """The role passed to SageMaker (the own role when the persona passes none)."""
        return self.role or self.own_role or self.arn("iam", "role/execution", regional=False)

    def local_storage(self, instance_type: str) -> bool:
        """Whether ``instance_type`` has local NVMe storage (no volume key possible)."""
        return _local_storage(instance_type)
