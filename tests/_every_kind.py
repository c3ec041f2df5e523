"""A blueprint with a resource of every shipped kind, and the account it expects.

Shared by the tests that must hold for every kind (registration in a fresh
interpreter, convergence after faults, concurrent applies). Importable from a
subprocess too: it needs only secureml and moto.
"""

from __future__ import annotations

import boto3

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.resources import Resource

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
ACCOUNT = "123456789012"  # moto's
GROUP = "DataScientists"
USER = "alice"
DATA_BUCKET = "team-a-data"
AUDIT_BUCKET = "ml-audit-logs-123456789012"
DEPARTMENT = "${path:enterprise.department}"

SHARED_DOC = sm.PolicyDocument(
    [sm.Statement(actions="s3:ListBucket", resources=f"arn:aws:s3:::{DATA_BUCKET}")]
)


def prepare(session: boto3.Session) -> None:
    """What the blueprint expects to exist: an Identity Center group and user, a data
    bucket. Call inside ``mock_session()`` (which completes moto's sso-admin)."""
    instance = session.client("sso-admin").list_instances()["Instances"][0]
    store = instance["IdentityStoreId"]
    ids = session.client("identitystore")
    ids.create_group(IdentityStoreId=store, DisplayName=GROUP)
    ids.create_user(IdentityStoreId=store, UserName=USER, DisplayName=USER,
                    Name={"GivenName": USER, "FamilyName": "Doe"})
    session.client("s3").create_bucket(Bucket=DATA_BUCKET)


def resources(
    name: str = "team-a", *, edited: bool = False, second_trail: bool = False
) -> dict[str, list[Resource]]:
    """The resources of every kind, by kind (each list applies on its own, with what
    it depends on), named after ``name`` so that two sets are disjoint.

    ``edited``: the same blueprint changed in every kind, for an update with prune:
    the shared policy's document, the data scientist's tags (role and permission
    set), the permission set's session duration (re-provisioned), a bucket and an
    account Block Public Access setting turned off, the trail's data events and
    tags; the compute role, the user assignment, the Identity Center attributes for
    access control and the ``second_trail`` (which the account an update starts
    from has) left out.
    """
    compute = sm.Compute(f"{name}-compute", buckets=[DATA_BUCKET])
    ds = sm.DataScientist(f"{name}-ds", buckets=[DATA_BUCKET], pass_roles=[compute],
                          tags={"team": "b" if edited else "a"})
    doc = sm.PolicyDocument(
        [sm.Statement(actions=["s3:GetBucketLocation", "s3:ListBucket"],
                      resources=f"arn:aws:s3:::{DATA_BUCKET}")]
    ) if edited else SHARED_DOC
    shared = sm.ManagedPolicy(f"{name}-shared", doc)
    ps = ds.permission_set(session_duration="PT4H" if edited else "PT8H")
    trail = sm.AuditTrail(f"{name}-audit", bucket=f"{name}-audit-logs-{ACCOUNT}",
                          data_event_buckets=[DATA_BUCKET] if edited else [],
                          tags={"team": "b"} if edited else {})
    if edited:
        return {
            "iam-policy": [shared],
            "iam-role": [ds.role()],
            "sso-permission-set": [ps],
            "sso-group-assignment": [
                ps, sm.GroupAssignment(group=GROUP, permission_set=ps, accounts=[ACCOUNT])
            ],
            "s3-public-access-block": [
                sm.BucketPublicAccessBlock(DATA_BUCKET, block_public_policy=False, adopt=True)
            ],
            "s3-account-public-access-block": [
                sm.AccountPublicAccessBlock(ignore_public_acls=False)
            ],
            "cloudtrail-audit-trail": [trail],
        }
    return {
        "iam-policy": [shared],
        "iam-role": [compute.role(), ds.role()],
        "sso-permission-set": [ps],
        "sso-group-assignment": [
            ps, sm.GroupAssignment(group=GROUP, permission_set=ps, accounts=[ACCOUNT])
        ],
        "sso-user-assignment": [
            ps, sm.UserAssignment(user=USER, permission_set=ps, accounts=[ACCOUNT])
        ],
        "s3-public-access-block": [sm.BucketPublicAccessBlock(DATA_BUCKET)],
        "s3-account-public-access-block": [sm.AccountPublicAccessBlock()],
        "sso-access-control-attributes": [sm.AccessControlAttributes({"team": DEPARTMENT})],
        "cloudtrail-audit-trail": [trail] + (
            [sm.AuditTrail(f"{name}-audit-2", bucket=f"{name}-audit-logs-2-{ACCOUNT}")]
            if second_trail else []
        ),
    }


def every_kind(name: str = "team-a", *, account_block: bool = True,
               data_block: bool = True, attributes: bool = True, edited: bool = False,
               second_trail: bool = False, **options: object) -> sm.Blueprint:
    """One blueprint with a resource (or more) of every kind; ``account_block``,
    ``data_block`` and ``attributes`` false leave out the resources of which an
    account has one (the Identity Center instance's attributes for access control)."""
    unique: dict[str, Resource] = {}
    for kind, items in resources(name, edited=edited, second_trail=second_trail).items():
        if (kind == "s3-account-public-access-block" and not account_block) or (
            kind == "s3-public-access-block" and not data_block
        ) or (kind == "sso-access-control-attributes" and not attributes):
            continue
        for r in items:
            unique.setdefault(r.key, r)
    return sm.Blueprint(f"{name}-bp", list(unique.values()), retry=NO_SLEEP, **options)  # type: ignore[arg-type]


def prepare_update(session: boto3.Session) -> None:
    """The account an update starts from: :func:`prepare`, then the blueprint applied."""
    prepare(session)
    every_kind(second_trail=True).apply(session)
