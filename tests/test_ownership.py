"""Ownership is a contract for every kind (issue 15, point 3), with the injection
cases of the safety review as regression tests:

- ``adopt`` is ``True`` or ``False``, nothing truthy (``ds.role(adopt="false")``
  took over a foreign role and stripped its tags);
- Block Public Access on a bucket the blueprint does not own: any change to a
  bucket tagged for another blueprint, or a loosening of an untagged one, needs
  ``adopt=True`` (``BucketPublicAccessBlock("someone-elses-bucket",
  block_public_policy=False)`` applied without it);
- resources of one blueprint that manage one AWS object (two trails on one
  bucket policy, a managed policy at a role's own policy path) are a
  ``ValidationError`` before any call.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.resources import OWNER_TAG
from secureml.testing import CallRecorder

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
DOC = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::data-b")])
DS = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
NOT_BOOLS = ["false", "no", "", 0.5, 1, 0, None, [True]]

MAKERS: dict[str, Any] = {
    "Role": lambda adopt: sm.Role("r", policies=[DOC], adopt=adopt),
    "persona.role": lambda adopt: DS.role(adopt=adopt),
    "ManagedPolicy": lambda adopt: sm.ManagedPolicy("p", DOC, adopt=adopt),
    "PermissionSet": lambda adopt: sm.PermissionSet(name="ps", adopt=adopt),
    "persona.permission_set": lambda adopt: DS.permission_set(adopt=adopt),
    "AuditTrail": lambda adopt: sm.AuditTrail("ml-audit", bucket="logs-b", adopt=adopt),
    "BucketPublicAccessBlock": lambda adopt: sm.BucketPublicAccessBlock("data-b", adopt=adopt),
}


@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("value", NOT_BOOLS, ids=repr)
def test_adopt_takes_only_true_or_false_at_construction(maker: str, value: object) -> None:
    with pytest.raises(sm.ValidationError, match=r"adopt: .* is not allowed: adopt takes True "
                                                 r"or False only"):
        MAKERS[maker](value)


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_adopt_true_and_false_are_kept(maker: str) -> None:
    assert MAKERS[maker](True).adopt is True
    assert MAKERS[maker](False).adopt is False


def test_a_truthy_adopt_never_reaches_a_foreign_role(session: boto3.Session) -> None:
    """The injection: ``ds.role(adopt="false")`` took over a role made by someone else."""
    iam = session.client("iam")
    iam.create_role(RoleName="team-a-ds", AssumeRolePolicyDocument=DS.trust_policy().to_json(),
                    Tags=[{"Key": "owner", "Value": "someone"}])
    calls = CallRecorder.attach(session)
    with pytest.raises(sm.ValidationError):
        sm.Blueprint("bp", [DS.role(adopt="false")])  # type: ignore[arg-type]
    assert calls.calls == []
    assert iam.get_role(RoleName="team-a-ds")["Role"]["Tags"] == [
        {"Key": "owner", "Value": "someone"}
    ]


# -- Block Public Access on a bucket the blueprint does not own -----------------------------

ALL_ON = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)


def _bucket(session: boto3.Session, owner: str | None, block: dict[str, bool] | None) -> None:
    s3 = session.client("s3")
    s3.create_bucket(Bucket="data-b")
    if owner is not None:
        s3.put_bucket_tagging(Bucket="data-b",
                              Tagging={"TagSet": [{"Key": OWNER_TAG, "Value": owner}]})
    if block is not None:
        s3.put_public_access_block(Bucket="data-b", PublicAccessBlockConfiguration=block)


def _block(session: boto3.Session) -> dict[str, bool] | None:
    try:
        return dict(session.client("s3").get_public_access_block(Bucket="data-b")[
            "PublicAccessBlockConfiguration"])
    except session.client("s3").exceptions.ClientError:
        return None


LOOSER = {**ALL_ON, "BlockPublicPolicy": False}

# (bucket owner tag, its block now, block_public_policy wanted, adopt, refused?)
CASES: list[tuple[str | None, dict[str, bool] | None, bool, bool, bool]] = [
    # Another blueprint's bucket: no change at all without adopt.
    ("other", ALL_ON, False, False, True),   # the injection: loosening someone else's bucket
    ("other", None, True, False, True),      # even tightening: two blueprints would fight
    ("other", LOOSER, True, False, True),
    ("other", ALL_ON, True, False, False),   # nothing to change: nothing refused
    ("other", ALL_ON, False, True, False),   # adopt: the user said so
    # An untagged bucket: tightening is done, loosening needs adopt.
    (None, None, True, False, False),
    (None, LOOSER, True, False, False),
    (None, None, False, False, False),       # no block at all: three settings on is tighter
    (None, ALL_ON, False, False, True),
    (None, ALL_ON, False, True, False),
    # This blueprint's bucket: anything.
    ("bp", ALL_ON, False, False, False),
]


def _case_id(c: tuple[Any, ...]) -> str:
    return f"owner={c[0]}-on={c[1] and sum(c[1].values())}-policy={c[2]}-adopt={c[3]}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_block_public_access_changes_only_a_bucket_it_may_change(
    session: boto3.Session,
    case: tuple[str | None, dict[str, bool] | None, bool, bool, bool],
) -> None:
    owner, now, block_policy, adopt, refused = case
    _bucket(session, owner, now)
    bpa = sm.BucketPublicAccessBlock("data-b", block_public_policy=block_policy, adopt=adopt)
    bp = sm.Blueprint("bp", [bpa], retry=NO_SLEEP)
    calls = CallRecorder.attach(session)
    if refused:
        with pytest.raises(sm.OwnershipError, match=r"S3 Block Public Access on bucket data-b"):
            bp.plan(session)
        with pytest.raises(sm.OwnershipError):
            bp.apply(session)
        assert calls.mutating == []
        assert _block(session) == now
        return
    bp.apply(session)
    assert _block(session) == {**ALL_ON, "BlockPublicPolicy": block_policy}
    assert bp.plan(session).is_empty


# -- conflicts inside one blueprint -----------------------------------------------------------

CONFLICTS: dict[str, tuple[list[Any], str]] = {
    "two trails, one bucket": (
        [sm.AuditTrail("audit-one", bucket="logs-b"), sm.AuditTrail("audit-two", bucket="logs-b")],
        r"cloudtrail-audit-trail/audit-one and cloudtrail-audit-trail/audit-two both manage "
        r"the bucket policy of s3://logs-b",
    ),
    "a policy at a role's own path": (
        [sm.Role("team-a-ds", policies=[DOC]),
         sm.ManagedPolicy("extra", DOC, path="/secureml/bp/role/team-a-ds/")],
        r"iam-role/team-a-ds and iam-policy/extra both manage the policy path "
        r"/secureml/bp/role/team-a-ds/",
    ),
    "a policy under a role's own path": (
        [DS.role(), sm.ManagedPolicy("extra", DOC, path="/secureml/bp/role/team-a-ds/more/")],
        r"iam-role/team-a-ds and iam-policy/extra both manage the policy path",
    ),
    "a policy named as a role's own": (
        [sm.Role("team-a-ds", policies=[DOC]), sm.ManagedPolicy("Team-A-DS-policy-1", DOC)],
        r"iam-role/team-a-ds and iam-policy/Team-A-DS-policy-1 both manage the policy names",
    ),
    "a bucket block on the trail's bucket": (
        [sm.AuditTrail("ml-audit", bucket="logs-b"), sm.BucketPublicAccessBlock("logs-b")],
        r"both manage the Block Public Access of s3://logs-b",
    ),
}


@pytest.mark.parametrize("case", sorted(CONFLICTS))
def test_resources_that_manage_one_aws_object_are_refused_before_any_call(
    session: boto3.Session, case: str
) -> None:
    resources, message = CONFLICTS[case]
    calls = CallRecorder.attach(session)
    with pytest.raises(sm.ValidationError, match=message) as err:
        sm.Blueprint("bp", resources)
    assert "never settle" in str(err.value)
    assert calls.calls == []


def test_resources_that_only_look_alike_are_accepted() -> None:
    bp = sm.Blueprint("bp", [
        sm.Role("team-a", policies=[DOC]),
        sm.Role("team-a-ds", policies=[DOC]),  # team-a's own path is /.../role/team-a/
        sm.ManagedPolicy("team-a-shared", DOC),
        sm.ManagedPolicy("other", DOC, path="/secureml/bp/role/"),
        sm.AuditTrail("audit-one", bucket="logs-one"),
        sm.AuditTrail("audit-two", bucket="logs-two", data_event_buckets=["logs-one"]),
        sm.BucketPublicAccessBlock("data-b"),
    ])
    assert len(bp) == 7
