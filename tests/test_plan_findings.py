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


def test_plans_and_results_as_data_are_plain_json_values_in_a_fixed_order(
    session: boto3.Session,
) -> None:
    bucket = _bucket(session)
    bp = sm.Blueprint("bp", [sm.BucketPublicAccessBlock(bucket, block_public_policy=False)])

    data = bp.plan(session=session).to_dict()

    assert list(data) == [
        "blueprint", "account_id", "region", "prune", "is_empty", "summary", "warnings",
        "findings", "changes",
    ]
    assert data["warnings"] == []
    assert type(data["warnings"]) is list
    [change] = data["changes"]
    assert list(change) == [
        "action", "key", "kind", "name", "description", "orphan", "before", "after", "findings",
    ]
    [finding] = change["findings"]
    assert list(finding) == ["code", "severity", "message"]
    assert type(finding["severity"]) is str
    assert finding["severity"] == "warning"
    result = bp.apply(session=session).to_dict()
    assert list(result) == ["blueprint", "changed", "applied", "kept", "plan"]
    assert result["applied"] == [{"action": "create", "key": f"s3-public-access-block/{bucket}"}]
    assert result["kept"] == []
    assert result["plan"]["changes"][0]["key"] == change["key"]


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


def test_a_role_whose_path_changes_is_shown_as_replaced(session: boto3.Session) -> None:
    compute = sm.Compute("c", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
    sm.Blueprint("bp", [compute.role()]).apply(session=session)
    iam = session.client("iam")
    old_id = iam.get_role(RoleName="c")["Role"]["RoleId"]
    moved = sm.Blueprint("bp", [compute.role(path="/ml/")])

    plan = moved.plan(session=session)

    [change] = [c for c in plan.changes if c.key == "iam-role/c"]
    assert change.action == "update"
    [finding] = [f for f in change.findings if f.code == "SM030"]
    assert "path / -> /ml/" in finding.message
    assert "deleted and created again" in finding.message
    moved.apply(session=session)
    assert iam.get_role(RoleName="c")["Role"]["RoleId"] != old_id
    assert all(f.code != "SM030" for _, f in moved.plan(session=session).findings)


def test_an_update_in_place_carries_no_replacement_finding(session: boto3.Session) -> None:
    compute = sm.Compute("c", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
    sm.Blueprint("bp", [compute.role()]).apply(session=session)
    changed = sm.Compute("c", buckets=["team-b-data"], ecr_repositories=["team-a/*"])

    plan = sm.Blueprint("bp", [changed.role()]).plan(session=session)

    [change] = plan.pending
    assert change.action == "update"
    assert plan.findings == []
