"""IAM Identity Center attributes for access control: the instance's mapping of
session tags to identity-source attributes (``team`` from
``${path:enterprise.department}``), which ``PrincipalTag`` scopes rest on.

The configuration is one per instance and cannot be tagged, so ownership is
recorded as a tag on the instance itself (``secureml:access-control-attributes``
= the blueprint): an existing configuration without it is never changed or
deleted unless the resource says ``adopt=True``. The tag is written before the
configuration, so an apply that dies in between leaves nothing unowned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from botocore.exceptions import ClientError

from secureml.aws import error_code
from secureml.errors import AWSCallError, OwnershipError, Problem, ProvisioningError
from secureml.resources._base import Observed, Resource, State
from secureml.resources._kinds import register_kind
from secureml.resources.identity_center._directory import Directory, directories
from secureml.resources.identity_center._instance import IdentityCenter
from secureml.resources.identity_center._operations import (
    POLL_INITIAL,
    POLL_MAXIMUM,
    WAIT_TIMEOUT,
)

if TYPE_CHECKING:
    from secureml.aws import AwsContext

__all__ = ["OWNER_KEY", "AccessControlAttributes"]

OWNER_KEY = "secureml:access-control-attributes"
"""The instance tag that records which blueprint owns its attribute configuration."""

_NOT_FOUND = frozenset({"ResourceNotFoundException"})
_IN_PROGRESS = "CREATION_IN_PROGRESS"
_FAILED = "CREATION_FAILED"
_KEY = re.compile(r"^[\w+=,.@:/-]{1,128}$")
_MAX_ATTRIBUTES = 50


def _attributes(
    value: Mapping[str, str | Iterable[str]],
) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(
        {k: (v,) if isinstance(v, str) else tuple(v) for k, v in sorted(dict(value).items())}
    )


@register_kind
@attrs.frozen
class AccessControlAttributes(Resource):
    """The Identity Center instance's attributes for access control: each key
    becomes a session tag (``aws:PrincipalTag/<key>``) of the workforce's
    sessions, its value taken from the identity source.

    >>> abac = AccessControlAttributes({"team": "${path:enterprise.department}"})
    >>> abac.key, dict(abac.attributes)
    ('sso-access-control-attributes/identity-center', {'team': ('${path:enterprise.department}',)})
    """

    kind: ClassVar[str] = "sso-access-control-attributes"
    taggable: ClassVar[bool] = False

    attributes: Mapping[str, tuple[str, ...]] = attrs.field(converter=_attributes, hash=False)
    identity_center: IdentityCenter = attrs.field(factory=IdentityCenter)
    adopt: bool = False

    @property
    def name(self) -> str:
        """``identity-center``: one configuration per instance."""
        return "identity-center"

    def describe(self) -> str:
        """``Identity Center attributes for access control``."""
        return "Identity Center attributes for access control"

    def problems(self) -> list[Problem]:
        """Keys and sources as AWS takes them."""
        problems = super().problems()
        problems.extend(self.identity_center.problems())
        where = "AccessControlAttributes"
        if not self.attributes:
            problems.append(Problem(
                "attributes", {}, f"{where}: give at least one attribute, e.g. "
                "{'team': '${path:enterprise.department}'}",
            ))
        if len(self.attributes) > _MAX_ATTRIBUTES:
            problems.append(Problem(
                "attributes", len(self.attributes),
                f"{where}: {len(self.attributes)} attributes; AWS allows at most "
                f"{_MAX_ATTRIBUTES}",
            ))
        for key, sources in self.attributes.items():
            if not _KEY.match(key) or key.lower().startswith("aws:"):
                problems.append(Problem(
                    ("attributes", key), key,
                    f"{where}: key {key!r} is not a tag key AWS accepts (1-128 letters, digits "
                    "and _+=,.@:/-, not starting with aws:)",
                ))
            if len(sources) != 1 or not sources[0]:
                problems.append(Problem(
                    ("attributes", key), list(sources),
                    f"{where}[{key!r}]: give exactly one source, e.g. "
                    "'${path:enterprise.department}' or '${path:name.givenName}'",
                ))
        return problems

    # -- state -------------------------------------------------------------------------------

    def desired(self, ctx: AwsContext) -> State:
        """The attributes, by key."""
        return {"attributes": {k: list(v) for k, v in self.attributes.items()}}

    def _dir(self, ctx: AwsContext) -> Directory:
        return directories(ctx).directory(self.identity_center)

    def read(self, ctx: AwsContext) -> Observed | None:
        """The instance's configuration, or ``None``; the owner from the instance's tag.

        An ownership tag without a configuration (an apply or a prune that died
        between its two writes) reads as the owner's configuration with no
        attributes, so the next apply creates them, or a prune removes the tag:
        nothing is left behind either way. A configuration whose creation failed
        (``CREATION_FAILED``) reads with its ``status``, which the desired state
        lacks, so the plan shows it and the next apply creates it again."""
        d = self._dir(ctx)
        inst = d.instance.arn
        raw = self._describe(d)
        owner = _instance_tags(d).get(OWNER_KEY)
        if raw is None and owner is None:
            return None
        config = (raw or {}).get("InstanceAccessControlAttributeConfiguration") or {}
        attributes = {
            a["Key"]: list(a["Value"]["Source"]) for a in config.get("AccessControlAttributes", [])
        }
        state: dict[str, Any] = {"attributes": dict(sorted(attributes.items()))}
        failed = raw is not None and raw.get("Status") == _FAILED
        if raw is not None and failed:
            state["status"] = f"{_FAILED}: {raw.get('StatusReason') or 'no reason given'}"
        return Observed(
            state=state,
            owner=owner,
            extra={"instance_arn": inst, "configured": raw is not None, "failed": failed},
        )

    def _describe(self, d: Directory) -> dict[str, Any] | None:
        """AWS's answer about the instance's configuration, or ``None`` when it has none."""
        try:
            raw: dict[str, Any] = d.ctx.call(
                "sso-admin", "describe_instance_access_control_attribute_configuration",
                resource=self.key, InstanceArn=d.instance.arn,
            )
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND:
                raise d.ctx.wrap_error(
                    self.key, "DescribeInstanceAccessControlAttributeConfiguration", exc
                ) from exc
            return None
        return raw

    def _wait(self, d: Directory, operation: str) -> None:
        """Wait while AWS creates the configuration (it answers at once and works on
        it asynchronously): a failure is a :class:`~secureml.errors.ProvisioningError`
        with AWS's reason."""
        polled = d.ctx.retry.poll(
            lambda: self._describe(d),
            until=lambda raw: raw is None or raw.get("Status") != _IN_PROGRESS,
            timeout=WAIT_TIMEOUT, initial=POLL_INITIAL, maximum=POLL_MAXIMUM,
        )
        raw = polled.result
        if raw is not None and raw.get("Status") == _IN_PROGRESS:
            raise AWSCallError(
                self.key, operation,
                f"the configuration is still {_IN_PROGRESS} after waiting "
                f"{polled.waited:.0f}s (limit {WAIT_TIMEOUT:.0f}s); AWS keeps working on it "
                "and the next apply resumes from what it finds",
            )
        if raw is not None and raw.get("Status") == _FAILED:
            raise ProvisioningError(
                operation, f"the attributes of {d.instance.arn}",
                raw.get("StatusReason") or "no reason given",
            )

    # -- changing ------------------------------------------------------------------------------

    def create(self, ctx: AwsContext, desired: State) -> None:
        """Tag the instance as ours, then create the configuration (updated instead
        when a retry finds it there)."""
        d = self._dir(ctx)
        _tag(d, self.key, ctx.blueprint)
        self._create(d, desired)

    def _create(self, d: Directory, desired: State) -> None:
        try:
            d.ctx.call("sso-admin", "create_instance_access_control_attribute_configuration",
                       resource=self.key, InstanceArn=d.instance.arn,
                       InstanceAccessControlAttributeConfiguration=_config(desired))
        except ClientError as exc:
            if error_code(exc) != "ConflictException":
                raise d.ctx.wrap_error(
                    self.key, "CreateInstanceAccessControlAttributeConfiguration", exc
                ) from exc
            self._update(d, desired)
            return
        self._wait(d, "CreateInstanceAccessControlAttributeConfiguration")

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Record the ownership (when adopting) and replace the attributes (create them
        when only the ownership tag is there)."""
        d = self._dir(ctx)
        if observed.owner != ctx.blueprint:
            _tag(d, self.key, ctx.blueprint)
        if observed.extra.get("failed", False):  # AWS failed to create it: start again
            self._delete_configuration(d)
            self._create(d, desired)
        elif observed.extra.get("configured", True):
            self._update(d, desired)
        else:  # only the tag was written
            self._create(d, desired)

    def _update(self, d: Directory, desired: State) -> None:
        d.ctx.call("sso-admin", "update_instance_access_control_attribute_configuration",
                   resource=self.key, InstanceArn=d.instance.arn,
                   InstanceAccessControlAttributeConfiguration=_config(desired))
        self._wait(d, "UpdateInstanceAccessControlAttributeConfiguration")

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the configuration, then the ownership tag."""
        d = self._dir(ctx)
        if observed.extra.get("configured", True):
            self._delete_configuration(d)
        d.ctx.call("sso-admin", "untag_resource", resource=self.key, InstanceArn=d.instance.arn,
                   ResourceArn=d.instance.arn, TagKeys=[OWNER_KEY])

    def _delete_configuration(self, d: Directory) -> None:
        try:
            d.ctx.call("sso-admin", "delete_instance_access_control_attribute_configuration",
                       resource=self.key, InstanceArn=d.instance.arn)
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND:
                raise d.ctx.wrap_error(
                    self.key, "DeleteInstanceAccessControlAttributeConfiguration", exc
                ) from exc

    def ownership_error(self, observed: Observed, blueprint: str) -> OwnershipError:
        """Names the instance tag that records the owner (the configuration has no tags)."""
        where = f"the instance's {OWNER_KEY} tag"
        detail = (f"{where} is missing" if observed.owner is None
                  else f"{where} is {observed.owner!r}, not {blueprint!r}")
        return OwnershipError(self.describe(), detail)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[AccessControlAttributes]:
        """The default instance's configuration when its tag names ``blueprint``."""
        for d in directories(ctx).readable([]):
            try:
                owner = _instance_tags(d).get(OWNER_KEY)
            except ClientError:
                continue
            if owner == blueprint:
                yield cls({"_": "_"}, identity_center=IdentityCenter.of_instance(d.instance))


def _config(desired: State) -> dict[str, Any]:
    return {
        "AccessControlAttributes": [
            {"Key": k, "Value": {"Source": list(v)}}
            for k, v in sorted(desired["attributes"].items())
        ]
    }


def _instance_tags(d: Directory) -> dict[str, str]:
    tags = d.ctx.paginate("sso-admin", "list_tags_for_resource", "Tags",
                          InstanceArn=d.instance.arn, ResourceArn=d.instance.arn)
    return {t["Key"]: t["Value"] for t in tags}


def _tag(d: Directory, key: str, blueprint: str) -> None:
    d.ctx.call("sso-admin", "tag_resource", resource=key, InstanceArn=d.instance.arn,
               ResourceArn=d.instance.arn, Tags=[{"Key": OWNER_KEY, "Value": blueprint}])
