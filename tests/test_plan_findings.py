"""Invariant 6, never widens silently: what a resource grants beyond least
privilege, or a guard-rail turned off, is in every plan next to its change."""

from __future__ import annotations

import json

import boto3

import secureml as sm


def _bucket(session: boto3.Session, name: str = "team-a-data") -> str:
    session.client("s3").create_bucket(Bucket=name)
    return name


def test_a_turned_off_public_access_setting_is_a_finding_in_the_plan(
    session: boto3.Session,
) -> None:
    bucket = _bucket(session)
    bp = sm.Blueprint("bp", [sm.BucketPublicAccessBlock(bucket, block_public_policy=False)])

    plan = bp.plan(session=session)

    [(change, finding)] = plan.findings
    assert change.key == f"s3-public-access-block/{bucket}"
    assert finding.code == "SM020"
    assert "BlockPublicPolicy" in finding.message
    assert "! SM020 warning:" in str(plan)
    as_dict = json.loads(json.dumps(plan.to_dict()))
    assert as_dict["findings"] == 1
    [entry] = [c for c in as_dict["changes"] if c["findings"]]
    assert entry["findings"][0]["code"] == "SM020"


def test_findings_stay_in_the_plan_after_apply_when_nothing_changes(
    session: boto3.Session,
) -> None:
    bucket = _bucket(session)
    bp = sm.Blueprint("bp", [sm.BucketPublicAccessBlock(bucket, ignore_public_acls=False)])
    bp.apply(session=session)

    plan = bp.plan(session=session)

    assert plan.is_empty
    assert [f.code for _, f in plan.findings] == ["SM020"]
    assert "IgnorePublicAcls" in str(plan)


def test_a_role_granting_a_wildcard_action_shows_the_finding(session: boto3.Session) -> None:
    wide = sm.PolicyDocument([sm.Statement(actions="s3:*", resources="*")])
    bp = sm.Blueprint("bp", [sm.Role("wide-role", policies=[wide])])

    plan = bp.plan(session=session)

    codes = {f.code for _, f in plan.findings}
    assert "SM001" in codes
    assert "! SM001" in str(plan)


def test_least_privilege_personas_bring_no_finding(session: boto3.Session) -> None:
    compute = sm.Compute("c", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
    ds = sm.DataScientist("ds", buckets=["team-a-data"], pass_roles=[compute])
    bp = sm.Blueprint("bp", [compute.role(), ds.role()])

    assert bp.plan(session=session).findings == []
