"""What AWS answers to a create sent twice, for the API behind every kind, and
that the emulator used by the tests (and ``--local``) answers the same.

An apply whose answer was lost sends the create again (``retried``) or the
next apply finds the object there; each kind must cope with the answer AWS
gives. The answers, from the AWS API references:

- IAM ``CreateRole`` / ``CreatePolicy``: ``EntityAlreadyExists``;
- sso-admin ``CreatePermissionSet``: ``ConflictException`` "PermissionSet with
  name X already exists."; ``CreateAccountAssignment`` of an existing
  assignment: succeeds, one assignment kept;
- S3 ``CreateBucket``: ``BucketAlreadyOwnedByYou`` (200 in us-east-1, the
  legacy region); tags given in ``CreateBucketConfiguration`` are applied with
  the create; ``PutPublicAccessBlock`` (bucket and account) replaces: idempotent;
- CloudTrail ``CreateTrail``: ``TrailAlreadyExistsException``.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from secureml.testing import mock_session

DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
     "Action": "sts:AssumeRole"}]})


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_iam_creates_twice_are_entity_already_exists(session: boto3.Session) -> None:
    iam = session.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam.create_policy(PolicyName="p", PolicyDocument=DOC)
    with pytest.raises(ClientError) as role:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as policy:
        iam.create_policy(PolicyName="p", PolicyDocument=DOC)
    assert _code(role) == _code(policy) == "EntityAlreadyExists"
    assert len(iam.list_roles()["Roles"]) == 1
    assert len(iam.list_policies(Scope="Local")["Policies"]) == 1


def test_a_permission_set_name_in_use_is_a_conflict(session: boto3.Session) -> None:
    sso = session.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    sso.create_permission_set(InstanceArn=instance, Name="team-a-ds")
    with pytest.raises(ClientError) as exc:
        sso.create_permission_set(InstanceArn=instance, Name="team-a-ds")
    assert _code(exc) == "ConflictException"
    assert "PermissionSet with name team-a-ds already exists." in str(exc.value)
    assert len(sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]) == 1


def test_an_assignment_created_twice_is_kept_once(session: boto3.Session) -> None:
    sso = session.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    ps = sso.create_permission_set(InstanceArn=instance, Name="ps")["PermissionSet"]
    for _ in range(2):
        status = sso.create_account_assignment(
            InstanceArn=instance, TargetId="123456789012", TargetType="AWS_ACCOUNT",
            PermissionSetArn=ps["PermissionSetArn"], PrincipalType="GROUP", PrincipalId="g-1",
        )["AccountAssignmentCreationStatus"]
        assert status["Status"] == "SUCCEEDED"
    assigned = sso.list_account_assignments(
        InstanceArn=instance, AccountId="123456789012", PermissionSetArn=ps["PermissionSetArn"]
    )["AccountAssignments"]
    assert len(assigned) == 1


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_create_bucket_applies_its_tags_and_a_second_create_is_ours(region: str) -> None:
    with mock_session(region=region) as session:
        s3 = session.client("s3")
        config: dict[str, object] = {"Tags": [{"Key": "secureml:blueprint", "Value": "bp"}]}
        if region != "us-east-1":
            config["LocationConstraint"] = region
        s3.create_bucket(Bucket="logs-b", CreateBucketConfiguration=config)  # type: ignore[arg-type]
        assert s3.get_bucket_tagging(Bucket="logs-b")["TagSet"] == [
            {"Key": "secureml:blueprint", "Value": "bp"}
        ]
        again = {**config, "Tags": [{"Key": "secureml:blueprint", "Value": "other"}]}
        if region == "us-east-1":
            s3.create_bucket(Bucket="logs-b", CreateBucketConfiguration=again)  # type: ignore[arg-type]
        else:
            with pytest.raises(ClientError) as exc:
                s3.create_bucket(Bucket="logs-b", CreateBucketConfiguration=again)  # type: ignore[arg-type]
            assert _code(exc) == "BucketAlreadyOwnedByYou"
        # A repeated create never re-tags the bucket.
        assert s3.get_bucket_tagging(Bucket="logs-b")["TagSet"] == [
            {"Key": "secureml:blueprint", "Value": "bp"}
        ]


def test_public_access_blocks_put_twice_are_the_same(session: boto3.Session) -> None:
    s3, control = session.client("s3"), session.client("s3control")
    s3.create_bucket(Bucket="data-b")
    config = dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
        True,
    )
    for _ in range(2):
        s3.put_public_access_block(Bucket="data-b", PublicAccessBlockConfiguration=config)
        control.put_public_access_block(AccountId="123456789012",
                                        PublicAccessBlockConfiguration=config)
    assert s3.get_public_access_block(Bucket="data-b")["PublicAccessBlockConfiguration"] == config


def test_a_trail_name_in_use_is_trail_already_exists(session: boto3.Session) -> None:
    session.client("s3").create_bucket(Bucket="logs-b")
    ct = session.client("cloudtrail")
    ct.create_trail(Name="ml-audit", S3BucketName="logs-b",
                    TagsList=[{"Key": "secureml:blueprint", "Value": "bp"}])
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="ml-audit", S3BucketName="other-b")
    assert _code(exc) == "TrailAlreadyExistsException"
    # Not replaced: the first trail, with its bucket and tags, is still there.
    assert ct.get_trail(Name="ml-audit")["Trail"]["S3BucketName"] == "logs-b"
    arn = ct.get_trail(Name="ml-audit")["Trail"]["TrailARN"]
    tags = ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
    assert tags == [{"Key": "secureml:blueprint", "Value": "bp"}]


# -- the audit trail copes with each answer ---------------------------------------------------


def test_a_trail_made_since_the_plan_is_used_only_when_ours(session: boto3.Session) -> None:
    import secureml as sm
    from secureml.aws import AwsContext, RetryPolicy

    ctx = AwsContext(session, "bp", retry=RetryPolicy(sleep=lambda _: None))
    trail = sm.AuditTrail("ml-audit", bucket="ml-audit-logs-b")
    desired = trail.desired(ctx)
    session.client("s3").create_bucket(Bucket="other-logs")
    session.client("cloudtrail").create_trail(
        Name="ml-audit", S3BucketName="other-logs",
        TagsList=[{"Key": "secureml:blueprint", "Value": "someone-else"}],
    )
    with pytest.raises(sm.OwnershipError, match=r"CloudTrail trail ml-audit .*'someone-else'"):
        trail.create(ctx, desired)  # the plan saw no trail; CreateTrail finds one
    assert session.client("cloudtrail").get_trail(Name="ml-audit")["Trail"][
        "S3BucketName"] == "other-logs"


def test_an_untagged_log_bucket_is_named_in_the_refusal(session: boto3.Session) -> None:
    import secureml as sm

    session.client("s3").create_bucket(Bucket="ml-audit-logs-b")
    bp = sm.Blueprint("bp", [sm.AuditTrail("ml-audit", bucket="ml-audit-logs-b")])
    with pytest.raises(sm.OwnershipError) as err:
        bp.plan(session)
    assert str(err.value).startswith(
        "S3 bucket ml-audit-logs-b (the log bucket of cloudtrail-audit-trail/ml-audit) exists"
    ), err.value
    assert "adopt=True" in str(err.value)


def test_an_assignment_deleted_twice_is_not_found_the_second_time(
    session: boto3.Session,
) -> None:
    """A delete whose answer was lost and that is sent again finds nothing: secureml
    counts that as done (the every-kind fault test covers it through an apply)."""
    sso = session.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    ps = sso.create_permission_set(InstanceArn=instance, Name="ps")["PermissionSet"]
    params = {"InstanceArn": instance, "TargetId": "123456789012", "TargetType": "AWS_ACCOUNT",
              "PermissionSetArn": ps["PermissionSetArn"], "PrincipalType": "USER",
              "PrincipalId": "u-1"}
    sso.create_account_assignment(**params)
    sso.delete_account_assignment(**params)
    with pytest.raises(ClientError) as exc:
        sso.delete_account_assignment(**params)
    assert _code(exc) == "ResourceNotFoundException"
