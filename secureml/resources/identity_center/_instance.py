"""The IAM Identity Center instance a resource uses, and how it is found.

:class:`IdentityCenter` is what the user gives (or leaves out); :func:`resolve_instance`
turns it into the :class:`Instance` of this run, from ``ListInstances`` when needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from secureml._validation import Checked, check_region, problem
from secureml.aws import AwsContext
from secureml.errors import NotFoundError, Problem, ValidationError

__all__ = ["INSTANCE_ARN", "IdentityCenter", "Instance", "resolve_instance"]

INSTANCE_ARN = re.compile(
    r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$"
)
"""An Identity Center instance ARN, in every partition (also the CloudFormation
export's ``AllowedPattern`` for the instance parameter)."""
_IDENTITY_STORE = re.compile(
    r"^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


@attrs.frozen
class IdentityCenter(Checked):
    """Which IAM Identity Center instance a resource uses.

    Leave everything out (the default on every resource) to discover the
    instance with ``ListInstances`` in the blueprint's region: the one
    instance there is used. Give ``instance_arn`` (and ``identity_store_id``,
    which saves the lookup) when the account sees several instances, and
    ``region`` when Identity Center lives in another region than the rest of
    the blueprint. Pass the same value to every Identity Center resource of a
    blueprint.

    >>> ic = IdentityCenter(region="eu-west-1")
    >>> ic.region
    'eu-west-1'
    """

    instance_arn: str | None = None
    identity_store_id: str | None = None
    region: str | None = None
    _found: bool = attrs.field(default=False, alias="_found", eq=False, repr=False)
    """Set by :meth:`of_instance` only: the values are AWS's answer, not input to check."""

    @classmethod
    def of_instance(cls, instance: Instance) -> IdentityCenter:
        """The instance a plan found in AWS (for the resources discovery makes). Its
        values are AWS's, in whatever form the service (or an emulator) gives them, so
        they are not checked as a user's would be."""
        return cls(instance.arn, instance.identity_store_id, instance.region, _found=True)

    def problems(self) -> list[Problem]:
        """Problems with the values given (empty when valid), at paths starting
        ``("identity_center",)`` (the field of the resources that take one)."""
        problems: list[Problem] = []
        if self._found:
            return problems
        if self.region is not None:
            try:
                check_region(self.region)
            except ValidationError as exc:
                problems.extend(
                    Problem(("identity_center", *p.path), p.value, f"identity_center.{p}",
                            detail=p.detail)
                    for p in exc.problems
                )
        if self.instance_arn is not None and not (
            isinstance(self.instance_arn, str) and INSTANCE_ARN.match(self.instance_arn)
        ):
            problems.append(problem(
                "identity_center.instance_arn", self.instance_arn,
                f"{self.instance_arn!r} is not an Identity Center instance ARN "
                "(arn:aws:sso:::instance/ssoins-0123456789abcdef)",
            ))
        if self.identity_store_id is not None:
            if self.instance_arn is None:
                problems.append(problem(
                    "identity_center.identity_store_id", self.identity_store_id,
                    "give instance_arn too (the identity store alone does not name the instance)",
                ))
            if not (
                isinstance(self.identity_store_id, str)
                and _IDENTITY_STORE.match(self.identity_store_id)
            ):
                problems.append(problem(
                    "identity_center.identity_store_id", self.identity_store_id,
                    f"{self.identity_store_id!r} is not an identity store id (d-0123456789)",
                ))
        return problems


@attrs.frozen
class Instance:
    arn: str
    identity_store_id: str
    region: str


def resolve_instance(
    ctx: AwsContext, ic: IdentityCenter, listing: Callable[[], Sequence[Mapping[str, Any]]]
) -> Instance:
    """The instance ``ic`` names, or the one instance of ``ctx``'s region; ``listing``
    gives the region's ACTIVE instances (called only when ``ic`` does not say it all)."""
    region = ctx.region or "us-east-1"
    if ic.instance_arn and ic.identity_store_id:
        return Instance(ic.instance_arn, ic.identity_store_id, region)
    instances = listing()
    if ic.instance_arn:
        for i in instances:
            if i["InstanceArn"] == ic.instance_arn:
                return Instance(i["InstanceArn"], i["IdentityStoreId"], region)
        raise NotFoundError(
            f"IAM Identity Center instance {ic.instance_arn!r} not found in region {region} of "
            f"account {ctx.account_id} (ListInstances returned "
            f"{[i['InstanceArn'] for i in instances] or 'none'}); check instance_arn and region"
        )
    if not instances:
        raise NotFoundError(
            f"no IAM Identity Center instance in region {region} of account {ctx.account_id}, "
            "which this blueprint's permission sets and assignments need. Enable IAM Identity "
            "Center (in the organization's management account or its delegated administrator), "
            "or pass identity_center=IdentityCenter(region=...) if it lives in another region"
        )
    if len(instances) > 1:
        raise ValidationError(
            f"identity_center: {len(instances)} IAM Identity Center instances in region {region} "
            f"({[i['InstanceArn'] for i in instances]}); say which one with "
            "identity_center=IdentityCenter(instance_arn=...)"
        )
    only = instances[0]
    return Instance(only["InstanceArn"], only["IdentityStoreId"], region)

