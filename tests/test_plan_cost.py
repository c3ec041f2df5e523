"""What a plan costs in AWS calls: one IAM snapshot per plan, exact per operation.

Given a blueprint of persona roles and a managed policy, applied once, a no-op
plan makes exactly the calls listed here; a regression (a per-role read coming
back, a listing made twice) fails these tests. Nothing here times anything.
"""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from botocore.stub import Stubber

import secureml as sm
from secureml.aws import AwsContext, RetryPolicy
from secureml.resources._iam_snapshot import note_demand, snapshot
from secureml.testing import CallRecorder

NO_SLEEP = RetryPolicy(sleep=lambda _: None)


def team(i: int) -> list[sm.Persona]:
    compute = sm.Compute(f"compute-{i}", buckets=[f"data-{i}"])
    return [
        compute,
        sm.DataScientist(f"ds-{i}", buckets=[f"data-{i}"], pass_roles=[compute]),
        sm.MLOps(f"mlops-{i}", pass_roles=[compute]),
    ]


def blueprint(
    n_teams: int, *, policy: bool = True, first: int = 0, name: str = "cost"
) -> sm.Blueprint:
    items: list[object] = [p.role() for i in range(first, first + n_teams) for p in team(i)]
    if policy:
        doc = sm.PolicyDocument(
            [sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::data-0")]
        )
        items.append(sm.ManagedPolicy("list-data", doc))
    return sm.Blueprint(name, items, retry=NO_SLEEP)


def applied_context(session: boto3.Session) -> tuple[sm.Blueprint, AwsContext]:
    """One team's roles applied, and a fresh context of a plan that reads them."""
    bp = blueprint(1, policy=False)
    bp.apply(session)
    ctx = bp.context(session)
    note_demand(ctx, list(bp))
    return bp, ctx


def plan_calls(session: boto3.Session, bp: sm.Blueprint) -> Counter[str]:
    calls = CallRecorder.attach(session)
    plan = bp.plan(session)
    assert plan.is_empty, str(plan)
    assert not calls.mutating
    return Counter(calls.operations())


# Discovery of the other kinds, for prune: what every plan lists whatever the blueprint.
OTHER_KINDS = {
    "cloudtrail:ListTrails": 1,
    "sso-admin:ListInstances": 1,
    "sso-admin:ListPermissionSets": 1,
    # The access control attributes' owner tag, on the Identity Center instance.
    "sso-admin:ListTagsForResource": 1,
}


def test_noop_plan_of_three_roles_and_a_policy_makes_exactly_these_calls(
    session: boto3.Session,
) -> None:
    bp = blueprint(1)
    bp.apply(session)
    assert plan_calls(session, bp) == Counter(
        {
            "sts:GetCallerIdentity": 1,
            "iam:GetAccountSummary": 1,  # the cost model: snapshot or direct reads
            "iam:GetAccountAuthorizationDetails": 1,  # roles and local policies, one page
            "iam:ListRoles": 1,  # description and max session, which the above lacks
            "iam:GetPolicy": 1,  # the managed policy's tags: not in the snapshot
            **OTHER_KINDS,
        }
    )


def test_iam_reads_do_not_grow_with_the_blueprints_roles(session: boto3.Session) -> None:
    small = blueprint(1, policy=False)
    large_only = blueprint(10, policy=False, first=1, name="cost-large")
    small.apply(session)
    large_only.apply(session)

    def iam(ops: Counter[str]) -> Counter[str]:
        return Counter({k: v for k, v in ops.items() if k.startswith("iam:")})

    small_ops, large_ops = iam(plan_calls(session, small)), iam(plan_calls(session, large_only))
    assert small_ops == large_ops == Counter(
        {
            "iam:GetAccountSummary": 1,
            "iam:GetAccountAuthorizationDetails": 1,
            "iam:ListRoles": 1,
        }
    )
    # 30 roles, 30 own policies: at most 0.5 read calls per resource, everything counted.
    assert sum(plan_calls(session, large_only).values()) <= 0.5 * len(large_only)


def test_direct_reads_when_the_account_is_too_large_for_a_snapshot_to_pay(
    session: boto3.Session,
) -> None:
    bp, ctx = applied_context(session)
    with Stubber(ctx.client("iam")) as stub:
        # 3 roles read directly cost 12 calls; 20,000 roles and policies cost 20 pages.
        stub.add_response("get_account_summary", {"SummaryMap": {"Roles": 15000,
                                                                 "Policies": 5000}})
        assert snapshot(ctx) is None
        stub.assert_no_pending_responses()
    calls = CallRecorder.attach(session)
    fresh = bp.context(session)
    plan_ops = Counter()
    for resource in bp:
        resource.read(fresh)  # no demand noted: direct reads
    plan_ops.update(calls.operations())
    assert plan_ops["iam:GetRole"] == 3
    assert plan_ops["iam:GetAccountAuthorizationDetails"] == 0


def test_a_write_in_the_same_context_makes_the_next_read_ask_iam(
    session: boto3.Session,
) -> None:
    bp, ctx = applied_context(session)
    role = bp["iam-role/ds-0"]
    calls = CallRecorder.attach(session)
    before = role.read(ctx)
    assert before is not None
    assert "GetRole" not in [c.operation for c in calls.calls]  # the snapshot answered

    ctx.call("iam", "tag_role", RoleName="ds-0", Tags=[{"Key": "extra", "Value": "1"}])
    calls.clear()
    after = role.read(ctx)
    assert after is not None
    assert [c.operation for c in calls.calls].count("GetRole") == 1
    assert after.state["tags"]["extra"] == "1"  # not the snapshot's stale tags
    # Other roles are still answered from the snapshot.
    calls.clear()
    bp["iam-role/mlops-0"].read(ctx)
    assert "GetRole" not in [c.operation for c in calls.calls]


def test_a_policy_version_written_in_the_context_is_read_again(
    session: boto3.Session,
) -> None:
    bp, ctx = applied_context(session)
    role = bp["iam-role/compute-0"]
    observed = role.read(ctx)
    assert observed is not None
    arn = observed.extra["policy_arns"]["compute-0-policy-1"]
    changed = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::x"}
    ]}
    ctx.call("iam", "create_policy_version", PolicyArn=arn,
             PolicyDocument=sm.PolicyDocument.from_dict(changed).to_json(),
             SetAsDefault=True)
    again = role.read(ctx)
    assert again is not None
    assert again.state["policies"]["compute-0-policy-1"] == (
        sm.PolicyDocument.from_dict(changed).to_dict()
    )


@pytest.mark.parametrize("n_teams", [1, 4])
def test_apply_twice_converges_with_the_snapshot(session: boto3.Session, n_teams: int) -> None:
    bp = blueprint(n_teams)
    bp.apply(session)
    calls = CallRecorder.attach(session)
    assert not bp.apply(session).changed
    assert not calls.mutating


def test_a_denied_bulk_read_falls_back_to_reading_each_role(session: boto3.Session) -> None:
    """Pipeline roles are often denied iam:GetAccountAuthorizationDetails: the plan
    then reads each role, as before the snapshot, instead of failing."""
    from botocore.awsrequest import AWSResponse

    bp = blueprint(1, policy=False)
    bp.apply(session)

    def deny(**_: object) -> tuple[AWSResponse, dict[str, object]]:
        response = AWSResponse("https://example.invalid", 403, {}, None)
        return response, {"Error": {"Code": "AccessDenied", "Message": "denied"},
                          "ResponseMetadata": {"HTTPStatusCode": 403}}

    session.events.register("before-call.iam.GetAccountAuthorizationDetails", deny)
    calls = CallRecorder.attach(session)
    plan = bp.plan(session)
    assert plan.is_empty, str(plan)
    ops = Counter(calls.operations())
    assert ops["iam:GetRole"] == 3
    assert ops["iam:ListAttachedRolePolicies"] == 3
    # Discovery could not list roles: a warning, not a failure (prune would need it).
    assert any("iam-role" in w for w in plan.warnings)
