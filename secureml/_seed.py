"""Create in an emulated account what a blueprint expects to exist but does not create.

One implementation for ``secureml.testing.mock_session(blueprint)`` and the
command line's ``--local``: the Identity Center groups and users its
assignments name, the permission sets they name that the blueprint does not
define, the data buckets its personas, public access blocks and trails use,
and the customer managed policies its roles attach by ARN.

Only for emulators (moto): it creates things, which secureml never does in a
real account outside ``apply``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from secureml.errors import SecureMLError

if TYPE_CHECKING:
    import boto3

__all__ = ["Prerequisites", "prerequisites", "seed"]

log = logging.getLogger("secureml.seed")

_ID = re.compile(r"^([0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_POLICY_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):policy(/.*/|/)([\w+=,.@-]+)$")


@attrs.frozen
class Prerequisites:
    """What a blueprint refers to without creating it."""

    groups: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    buckets: frozenset[str] = frozenset()
    permission_sets: frozenset[str] = frozenset()
    policies: frozenset[str] = frozenset()
    identity_center_region: str | None = None


def _personas(resources: Iterable[Any], personas: Iterable[Any]) -> list[Any]:
    found = list(personas)
    found.extend(p for r in resources if (p := getattr(r, "persona", None)) is not None)
    return found


def prerequisites(blueprint: Any) -> Prerequisites:
    """What ``blueprint`` (a :class:`~secureml.Blueprint` or a loaded blueprint
    file) refers to that it does not create."""
    if hasattr(blueprint, "blueprint") and hasattr(blueprint, "personas"):
        resources = tuple(blueprint.resources)
        persona_values: Iterable[Any] = blueprint.personas.values()
    else:
        resources = tuple(blueprint)
        persona_values = ()
    groups: set[str] = set()
    users: set[str] = set()
    buckets: set[str] = {b for p in _personas(resources, persona_values) for b in p.buckets}
    named_sets: set[str] = set()
    policies: set[str] = set()
    ic_region = None
    keys = {r.key for r in resources}
    for resource in resources:
        kind = resource.kind
        principal = getattr(resource, "principal", None)
        if isinstance(principal, str) and not _ID.match(principal):
            if kind == "sso-group-assignment":
                groups.add(principal)
            elif kind == "sso-user-assignment":
                users.add(principal)
        if kind in ("sso-group-assignment", "sso-user-assignment"):
            ps = resource.permission_set
            if f"sso-permission-set/{ps}" not in keys:
                named_sets.add(ps)
        ic = getattr(resource, "identity_center", None)
        if ic is not None and getattr(ic, "region", None):
            ic_region = ic.region
        if kind == "s3-public-access-block":
            buckets.add(resource.name)
        buckets.update(getattr(resource, "data_event_buckets", ()))
        if kind == "iam-role":
            policies.update(
                p for p in resource.managed_policies
                if isinstance(p, str) and _POLICY_ARN.match(p) and ":iam::aws:" not in p
            )
    return Prerequisites(
        groups=frozenset(groups),
        users=frozenset(users),
        buckets=frozenset(buckets),
        permission_sets=frozenset(named_sets),
        policies=frozenset(policies),
        identity_center_region=ic_region,
    )


def _instance(session: boto3.Session, region: str) -> tuple[str, str]:
    sso = session.client("sso-admin", region_name=region)
    instances = sso.list_instances().get("Instances", [])
    if not instances:  # pragma: no cover - moto always has one
        raise SecureMLError("the emulator has no Identity Center instance")
    return instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]


def _seed_identity_center(session: boto3.Session, region: str, need: Prerequisites) -> list[str]:
    created: list[str] = []
    if not (need.groups or need.users or need.permission_sets):
        return created
    instance, store = _instance(session, region)
    ids = session.client("identitystore", region_name=region)
    existing_groups = {
        g["DisplayName"] for g in ids.list_groups(IdentityStoreId=store).get("Groups", [])
    }
    for group in sorted(need.groups - existing_groups):
        ids.create_group(IdentityStoreId=store, DisplayName=group)
        created.append(f"identity store group {group}")
    existing_users = {
        u["UserName"] for u in ids.list_users(IdentityStoreId=store).get("Users", [])
    }
    for user in sorted(need.users - existing_users):
        ids.create_user(
            IdentityStoreId=store,
            UserName=user,
            DisplayName=user,
            Name={"GivenName": user, "FamilyName": "(local)"},
        )
        created.append(f"identity store user {user}")
    sso = session.client("sso-admin", region_name=region)
    arns = sso.list_permission_sets(InstanceArn=instance).get("PermissionSets", [])
    have = {
        sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)["PermissionSet"][
            "Name"
        ]
        for a in arns
    }
    for name in sorted(need.permission_sets - have):
        sso.create_permission_set(InstanceArn=instance, Name=name)
        created.append(f"permission set {name} (managed outside the blueprint)")
    return created


def _seed_buckets(session: boto3.Session, region: str, buckets: frozenset[str]) -> list[str]:
    s3 = session.client("s3", region_name=region)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created: list[str] = []
    for bucket in sorted(buckets - existing):
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        created.append(f"bucket {bucket}")
    return created


def _seed_policies(session: boto3.Session, region: str, arns: frozenset[str]) -> list[str]:
    if not arns:
        return []
    iam = session.client("iam", region_name=region)
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    created: list[str] = []
    for arn in sorted(arns):
        match = _POLICY_ARN.match(arn)
        if match is None or match.group(1) != account:
            continue  # another account's policy cannot be made in this one
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_policy(
                PolicyName=match.group(3),
                Path=match.group(2),
                PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Deny",'
                '"Action":"*","Resource":"*"}]}',
            )
            created.append(f"IAM managed policy {match.group(3)}")
    return created


def seed(session: boto3.Session, blueprint: Any, region: str) -> list[str]:
    """Create in the emulator behind ``session`` what ``blueprint`` expects to
    exist but does not create; return what was created, one phrase per item.

    Items already there are skipped, so seeding twice is harmless.
    """
    need = prerequisites(blueprint)
    created = _seed_identity_center(session, need.identity_center_region or region, need)
    created += _seed_buckets(session, region, need.buckets)
    created += _seed_policies(session, region, need.policies)
    for item in created:
        log.info("seeded %s", item)
    return created

