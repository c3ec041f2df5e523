"""S3 Block Public Access: the bucket and account resources, the persona helper and
the read-only public access report.

moto stores public access block configurations but does not enforce them (a
public policy or ACL still "works" on a blocked bucket), so these tests assert
the stored configuration and the report's reasoning, never real access.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import secureml as sm
from secureml.aws import AwsContext, RetryPolicy
from secureml.errors import NotFoundError, ValidationError
from secureml.policy._findings import FINDING_CODES, Severity
from secureml.resources import (
    AccountPublicAccessBlock,
    BucketPublicAccessBlock,
    PublicAccessSettings,
    block_public_access,
    public_access_report,
)
from secureml.resources._public_access_report import _build_report
from secureml.testing import CallRecorder

ALL_ON = dict.fromkeys(
    ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
)
PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::{bucket}/*",
        }
    ],
}


def _ctx(session: boto3.Session, region: str | None = None) -> AwsContext:
    return AwsContext(session, "bp", retry=RetryPolicy(sleep=lambda _: None), region=region)


def _bucket(session: boto3.Session, name: str, region: str = "us-east-1") -> None:
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    session.client("s3", region_name=region).create_bucket(**kwargs)


def _public_policy(session: boto3.Session, bucket: str) -> None:
    policy = json.dumps(PUBLIC_POLICY).replace("{bucket}", bucket)
    session.client("s3").put_bucket_policy(Bucket=bucket, Policy=policy)


# -- the resources, offline -----------------------------------------------------------------


def test_all_four_settings_are_on_by_default_and_lint_clean() -> None:
    bpa = BucketPublicAccessBlock("team-a-data")
    assert bpa.configuration() == ALL_ON
    assert bpa.lint() == []
    assert AccountPublicAccessBlock().configuration() == ALL_ON
    assert AccountPublicAccessBlock().lint() == []


def test_turning_a_setting_off_is_explicit_and_a_finding() -> None:
    bpa = BucketPublicAccessBlock(
        "website", block_public_policy=False, restrict_public_buckets=False
    )
    findings = bpa.lint()
    assert [f.code for f in findings] == ["SM020", "SM020"]
    assert all(f.severity is Severity.WARNING for f in findings)
    assert "BlockPublicPolicy" in findings[0].message
    assert "RestrictPublicBuckets" in findings[1].message
    assert "'website'" in findings[0].message
    assert "SM020" in FINDING_CODES
    assert "turned off: BlockPublicPolicy, RestrictPublicBuckets" in bpa.describe()
    account = AccountPublicAccessBlock(ignore_public_acls=False)
    assert [f.code for f in account.lint()] == ["SM020"]


def test_settings_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        BucketPublicAccessBlock("b-1", False)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: BucketPublicAccessBlock("Not_A_Bucket"), "not a valid S3 bucket name"),
        (lambda: BucketPublicAccessBlock("arn:aws:s3:::b"), "not a valid S3 bucket name"),
        (lambda: BucketPublicAccessBlock("ok-b", block_public_acls="no"), "is not a bool"),
        (lambda: AccountPublicAccessBlock("1234"), "not an AWS account id"),
    ],
)
def test_bad_input_is_refused_before_any_call(make: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        make()


def test_keys_name_the_bucket_and_the_account() -> None:
    assert BucketPublicAccessBlock("b-1").key == "s3-public-access-block/b-1"
    assert AccountPublicAccessBlock().name == "current-account"
    assert AccountPublicAccessBlock("111122223333").name == "111122223333"
    assert not BucketPublicAccessBlock.taggable
    assert not AccountPublicAccessBlock.taggable


# -- point 3: personas' buckets in one call ---------------------------------------------------


def test_block_public_access_covers_every_persona_bucket_once() -> None:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data", "team-a-models"])
    ds = sm.DataScientist(
        "team-a-ds", buckets=["team-a-data", "shared-features"], pass_roles=[compute]
    )
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])
    resources = block_public_access(ds, [compute, mlops], "extra-bucket", "team-a-data")
    assert [r.name for r in resources] == [
        "extra-bucket",
        "shared-features",
        "team-a-data",
        "team-a-models",
    ]
    assert all(isinstance(r, BucketPublicAccessBlock) for r in resources)
    with_account = block_public_access(compute, account=True)
    assert [r.key for r in with_account][-1] == "s3-account-public-access-block/current-account"
    assert sm.block_public_access is block_public_access


# -- bucket level with moto ------------------------------------------------------------------


def test_bucket_block_is_created_then_in_sync(session: boto3.Session, calls: CallRecorder) -> None:
    _bucket(session, "data-a")
    ctx = _ctx(session)
    bpa = BucketPublicAccessBlock("data-a")
    assert bpa.read(ctx) is None
    bpa.create(ctx, bpa.desired(ctx))
    # moto stores the configuration without enforcing it: assert what is stored.
    stored = session.client("s3").get_public_access_block(Bucket="data-a")
    assert stored["PublicAccessBlockConfiguration"] == ALL_ON
    calls.clear()
    observed = bpa.read(ctx)
    assert observed is not None
    assert observed.state == bpa.desired(ctx)
    assert bpa.owned_by(observed, "any-blueprint")
    assert calls.mutating == []


def test_bucket_block_drift_is_repaired(session: boto3.Session, calls: CallRecorder) -> None:
    _bucket(session, "data-a")
    s3 = session.client("s3")
    s3.put_public_access_block(
        Bucket="data-a",
        PublicAccessBlockConfiguration={**ALL_ON, "RestrictPublicBuckets": False},
    )
    ctx = _ctx(session)
    bpa = BucketPublicAccessBlock("data-a")
    observed = bpa.read(ctx)
    assert observed is not None
    assert observed.state["RestrictPublicBuckets"] is False
    calls.clear()
    bpa.update(ctx, observed, bpa.desired(ctx))
    assert [c.operation for c in calls.mutating] == ["PutPublicAccessBlock"]
    assert s3.get_public_access_block(Bucket="data-a")["PublicAccessBlockConfiguration"] == ALL_ON


def test_explicitly_widened_block_is_written_as_asked(session: boto3.Session) -> None:
    _bucket(session, "site-b")
    ctx = _ctx(session)
    bpa = BucketPublicAccessBlock("site-b", block_public_policy=False)
    bpa.create(ctx, bpa.desired(ctx))
    stored = session.client("s3").get_public_access_block(Bucket="site-b")
    assert stored["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False
    assert stored["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True


def test_bucket_in_another_region(session: boto3.Session) -> None:
    _bucket(session, "eu-data", region="eu-west-1")
    ctx = _ctx(session)
    bpa = BucketPublicAccessBlock("eu-data")
    bpa.create(ctx, bpa.desired(ctx))
    observed = bpa.read(ctx)
    assert observed is not None
    assert observed.extra["region"] == "eu-west-1"
    assert observed.state == ALL_ON


def test_missing_bucket_fails_the_plan(session: boto3.Session) -> None:
    with pytest.raises(NotFoundError, match="'no-such-bucket' does not exist"):
        BucketPublicAccessBlock("no-such-bucket").read(_ctx(session))


def test_bucket_blocks_are_never_discovered_for_pruning(session: boto3.Session) -> None:
    _bucket(session, "data-a")
    ctx = _ctx(session)
    bpa = BucketPublicAccessBlock("data-a")
    bpa.create(ctx, bpa.desired(ctx))
    assert list(BucketPublicAccessBlock.discover(ctx, "bp")) == []
    assert list(AccountPublicAccessBlock.discover(ctx, "bp")) == []


def test_explicit_delete_removes_the_block(session: boto3.Session) -> None:
    _bucket(session, "data-a")
    ctx = _ctx(session)
    bpa = BucketPublicAccessBlock("data-a")
    bpa.create(ctx, bpa.desired(ctx))
    observed = bpa.read(ctx)
    assert observed is not None
    bpa.delete(ctx, observed)
    assert bpa.read(ctx) is None


# -- account level with moto -----------------------------------------------------------------


def test_account_block_uses_the_session_account(
    session: boto3.Session, calls: CallRecorder
) -> None:
    ctx = _ctx(session)
    account = AccountPublicAccessBlock()
    assert account.read(ctx) is None
    account.create(ctx, account.desired(ctx))
    stored = session.client("s3control").get_public_access_block(AccountId="123456789012")
    assert stored["PublicAccessBlockConfiguration"] == ALL_ON
    calls.clear()
    observed = account.read(ctx)
    assert observed is not None
    assert observed.state == account.desired(ctx)
    assert calls.mutating == []


def test_account_block_drift_is_repaired(session: boto3.Session) -> None:
    s3control = session.client("s3control")
    s3control.put_public_access_block(
        AccountId="123456789012",
        PublicAccessBlockConfiguration={**ALL_ON, "IgnorePublicAcls": False},
    )
    ctx = _ctx(session)
    account = AccountPublicAccessBlock("123456789012")
    observed = account.read(ctx)
    assert observed is not None
    assert observed.state["IgnorePublicAcls"] is False
    account.update(ctx, observed, account.desired(ctx))
    assert s3control.get_public_access_block(AccountId="123456789012")[
        "PublicAccessBlockConfiguration"
    ] == ALL_ON


def test_account_block_for_another_account_is_refused(session: boto3.Session) -> None:
    with pytest.raises(ValidationError, match="not the session's account"):
        AccountPublicAccessBlock("111122223333").read(_ctx(session))


# -- the report (point 2) --------------------------------------------------------------------


def test_report_account_level_rules_out_every_bucket(
    session: boto3.Session, calls: CallRecorder
) -> None:
    _bucket(session, "pub-b")
    _public_policy(session, "pub-b")
    session.client("s3control").put_public_access_block(
        AccountId="123456789012", PublicAccessBlockConfiguration=ALL_ON
    )
    calls.clear()
    report = public_access_report(session)
    assert report.level == "account"
    assert report.public_buckets == ()
    assert [b.name for b in report.buckets] == ["pub-b"]
    # No bucket-level call is needed once the account level rules public access out.
    assert not any(c.operation.startswith("GetBucket") for c in calls.calls)
    assert calls.mutating == []
    assert "no bucket can be public" in str(report)


def test_report_bucket_level_finds_public_buckets_and_says_why(
    session: boto3.Session, calls: CallRecorder
) -> None:
    s3 = session.client("s3")
    for name in ("private-b", "policy-b", "acl-b", "restricted-b"):
        _bucket(session, name)
    _bucket(session, "eu-policy-b", region="eu-west-1")
    s3.put_public_access_block(Bucket="private-b", PublicAccessBlockConfiguration=ALL_ON)
    _public_policy(session, "policy-b")
    _public_policy(session, "eu-policy-b")
    s3.put_bucket_acl(Bucket="acl-b", ACL="public-read")
    _public_policy(session, "restricted-b")
    s3.put_public_access_block(
        Bucket="restricted-b",
        PublicAccessBlockConfiguration={"RestrictPublicBuckets": True, "IgnorePublicAcls": True},
    )
    # Account level partly on: BlockPublicAcls alone neither ignores existing public
    # ACLs nor restricts public policies.
    session.client("s3control").put_public_access_block(
        AccountId="123456789012", PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    calls.clear()
    report = public_access_report(session, max_workers=2)
    by_name = {b.name: b for b in report.buckets}
    assert report.level == "bucket"
    assert report.account_settings == PublicAccessSettings(block_public_acls=True)
    assert {b.name for b in report.public_buckets} == {"policy-b", "eu-policy-b", "acl-b"}
    assert report.unknown_buckets == ()
    assert by_name["policy-b"].policy_public is True
    assert by_name["acl-b"].acl_public is True
    assert any("AllUsers" in r for r in by_name["acl-b"].reasons)
    assert by_name["eu-policy-b"].region == "eu-west-1"
    assert by_name["restricted-b"].public is False
    assert by_name["restricted-b"].effective.restrict_public_buckets is True
    assert by_name["private-b"].public is False
    assert by_name["private-b"].effective.all_on
    assert calls.mutating == []
    text = str(report)
    assert "PUBLIC  policy-b" in text
    assert json.loads(json.dumps(report.to_dict()))["level"] == "bucket"


def _stub_ok(stubber: Stubber, operation: str, response: dict[str, Any], **params: Any) -> None:
    stubber.add_response(operation, response, params or None)


def test_report_pages_through_buckets_and_reports_access_denied_as_unknown() -> None:
    # moto neither pages ListBuckets nor denies access: botocore's Stubber plays AWS here.
    session = boto3.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    ctx = _ctx(session)
    ctx.cached("account_id", lambda: "123456789012")
    s3, s3control = ctx.client("s3"), ctx.client("s3control")
    with Stubber(s3) as s3_stub, Stubber(s3control) as control_stub:
        control_stub.add_client_error(
            "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", http_status_code=404
        )
        s3_stub.add_response(
            "list_buckets",
            {"Buckets": [{"Name": "a-open", "BucketRegion": "us-east-1"}],
             "ContinuationToken": "page-2"},
            {"MaxBuckets": 1000},
        )
        s3_stub.add_response(
            "list_buckets",
            {"Buckets": [{"Name": "b-denied", "BucketRegion": "us-east-1"}]},
            {"MaxBuckets": 1000, "ContinuationToken": "page-2"},
        )
        s3_stub.add_client_error(
            "get_public_access_block", "NoSuchPublicAccessBlockConfiguration",
            http_status_code=404, expected_params={"Bucket": "a-open"},
        )
        s3_stub.add_response(
            "get_bucket_policy_status", {"PolicyStatus": {"IsPublic": True}}, {"Bucket": "a-open"}
        )
        s3_stub.add_response("get_bucket_acl", {"Grants": []}, {"Bucket": "a-open"})
        for op in ("get_public_access_block", "get_bucket_policy_status", "get_bucket_acl"):
            s3_stub.add_client_error(
                op, "AccessDenied", http_status_code=403, expected_params={"Bucket": "b-denied"}
            )
        report = _build_report(ctx, max_workers=1)
        s3_stub.assert_no_pending_responses()
    assert [b.name for b in report.buckets] == ["a-open", "b-denied"]
    assert [b.name for b in report.public_buckets] == ["a-open"]
    denied = report.unknown_buckets[0]
    assert denied.name == "b-denied"
    assert denied.public is None
    assert denied.settings is None
    assert any("AccessDenied" in u for u in denied.unknown)
    assert "UNKNOWN b-denied" in str(report)


# -- end to end through the engine ------------------------------------------------------------


def test_blueprint_applies_once_then_plans_nothing(
    session: boto3.Session, calls: CallRecorder
) -> None:
    for name in ("team-a-data", "shared-features"):
        _bucket(session, name)
    ds = sm.DataScientist(
        "team-a-ds", buckets=["team-a-data", "shared-features"], pass_roles=["team-a-compute"]
    )
    bp = sm.Blueprint("bp", block_public_access(ds, account=True),
                      retry=RetryPolicy(sleep=lambda _: None))
    first = bp.apply(session)
    assert sorted(c.action for c in first.applied) == ["create", "create", "create"]
    calls.clear()
    second = bp.apply(session)
    assert not second.changed
    assert second.plan.is_empty
    assert calls.mutating == []


def test_blueprint_plan_shows_and_apply_repairs_removed_block(
    session: boto3.Session, calls: CallRecorder
) -> None:
    _bucket(session, "team-a-data")
    bp = sm.Blueprint("bp", [BucketPublicAccessBlock("team-a-data"), AccountPublicAccessBlock()],
                      retry=RetryPolicy(sleep=lambda _: None))
    bp.apply(session)
    session.client("s3").delete_public_access_block(Bucket="team-a-data")
    session.client("s3control").put_public_access_block(
        AccountId="123456789012",
        PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicPolicy": False},
    )
    plan = bp.plan(session)
    assert {c.key: c.action for c in plan.pending} == {
        "s3-public-access-block/team-a-data": "create",
        "s3-account-public-access-block/current-account": "update",
    }
    account_change = next(c for c in plan.pending if c.action == "update")
    assert any("BlockPublicPolicy" in line for line in account_change.diff())
    calls.clear()
    bp.apply(session)
    assert sorted(c.operation for c in calls.mutating) == ["PutPublicAccessBlock"] * 2
    assert bp.plan(session).is_empty


def test_blueprint_never_prunes_a_block_it_no_longer_lists(session: boto3.Session) -> None:
    _bucket(session, "team-a-data")
    retry = RetryPolicy(sleep=lambda _: None)
    sm.Blueprint("bp", [BucketPublicAccessBlock("team-a-data")], retry=retry).apply(session)
    # Removing the line must not widen access: nothing to delete, even with prune.
    empty = sm.Blueprint("bp", [], retry=retry)
    assert empty.plan(session, prune=True).is_empty
    stored = session.client("s3").get_public_access_block(Bucket="team-a-data")
    assert stored["PublicAccessBlockConfiguration"] == ALL_ON
