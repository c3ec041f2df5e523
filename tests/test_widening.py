"""Lint sees widening (issue 11, point 4): S3 Full Access, resources wider than a
persona's defaults, broad AWS managed policies attached by hand and a persona
that can pass a role with data access it has not itself, each a finding in
lint and in every plan."""

from __future__ import annotations

import boto3
import pytest

import secureml as sm
from secureml import activities as act
from secureml.policy import BROAD_MANAGED_POLICIES, PolicyDocument, Statement, lint

ACCOUNT = "111122223333"
REGION = "us-east-1"
OTHER_ROLE = "arn:aws:iam::444455556666:role/their-role"
AWS_POLICY = "arn:aws:iam::aws:policy/"


def _codes(persona: sm.Persona, account: str | None = ACCOUNT) -> list[str]:
    return [f.code for f in persona.lint(account_id=account, region=REGION)]


def _compute() -> sm.Persona:
    return sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"])


def test_s3_full_access_is_a_finding_of_its_own() -> None:
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])

    wide = ds.with_activities(act.S3FullAccess())

    assert "SM040" not in _codes(ds)
    [finding] = [f for f in wide.lint() if f.code == "SM040"]
    assert "S3 Full Access names no bucket" in finding.message
    assert "S3 Bucket Access" in finding.message  # the fix


@pytest.mark.parametrize(
    ("resource", "why"),
    [
        ("arn:aws:s3:::*", "every bucket"),
        ("arn:aws:s3:::*/*", "every bucket"),
        ("arn:aws:sagemaker:us-east-1:444455556666:model/*", "account 444455556666"),
        ("arn:aws:sagemaker:us-east-1:*:model/*", "any account"),
        ("arn:aws:sagemaker:eu-west-1:111122223333:model/*", "region eu-west-1"),
        ("arn:aws:sagemaker:*:111122223333:model/*", "any region"),
        ("arn:aws:ecr:us-east-1:111122223333:repository/*", "every ECR repository"),
    ],
)
def test_a_resource_wider_than_the_defaults_is_sm041(resource: str, why: str) -> None:
    actions = {"s3": "s3:GetObject", "sagemaker": "sagemaker:DescribeModel"}
    action = actions.get(resource.split(":")[2], "ecr:BatchGetImage")
    doc = PolicyDocument([Statement(actions=action, resources=resource)])

    [finding] = [f for f in lint(doc, account_id=ACCOUNT, region=REGION) if f.code == "SM041"]

    assert f"{resource} ({why}" in finding.message


def test_the_persona_defaults_are_not_sm041_in_their_own_account_and_region() -> None:
    net = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    kms = sm.EncryptionSettings(volume_kms_key=key, output_kms_key=key)
    compute = sm.Compute(
        "team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"],
        network=net, encryption=kms,
    )
    # subnets and security groups are matched in any account (a shared VPC's are
    # another account's): a deliberate default, not a widening
    assert "SM041" not in _codes(compute)
    # the same statement in plain lint, without an account: nothing to compare with
    assert "SM041" not in [f.code for f in lint(PolicyDocument([
        Statement(actions="sagemaker:DescribeModel", resources=f"arn:aws:sagemaker:{REGION}:"
                  "444455556666:model/*")
    ]))]


def test_a_role_in_another_account_to_pass_is_refused_once_the_account_is_known() -> None:
    """Issue 15: a pass role in another account is refused, not reported (a role of
    another account can never be passed); other resources of another account, which
    can be legitimate (a shared ECR repository), are SM041."""
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[OTHER_ROLE])

    assert "SM041" not in _codes(ds, account=None)
    with pytest.raises(sm.ValidationError, match="only roles of the same account"):
        ds.lint(account_id=ACCOUNT, region=REGION)
    shared = "arn:aws:ecr:us-east-1:444455556666:repository/shared"
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=[shared])
    [finding] = [f for f in compute.lint(account_id=ACCOUNT, region=REGION) if f.code == "SM041"]
    assert shared in finding.message


@pytest.mark.parametrize(
    "name",
    ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AmazonS3FullAccess",
     "AmazonSageMakerFullAccess"],
)
def test_broad_aws_managed_policies_attached_by_hand_are_sm042(name: str) -> None:
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])

    findings = [f for f in ds.with_managed_policies(AWS_POLICY + name).lint() if f.code == "SM042"]

    [finding] = findings
    assert name in finding.message
    assert finding.severity is BROAD_MANAGED_POLICIES[name][0]


def test_escalation_paths_are_errors_and_narrow_policies_no_finding() -> None:
    assert BROAD_MANAGED_POLICIES["AdministratorAccess"][0] is sm.Severity.ERROR
    assert BROAD_MANAGED_POLICIES["IAMFullAccess"][0] is sm.Severity.ERROR
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
    canvas = ds.with_managed_policies(AWS_POLICY + "AmazonSageMakerCanvasFullAccess")
    assert "SM042" not in _codes(canvas)


def test_a_role_without_a_persona_reports_its_managed_policies_too() -> None:
    role = sm.Role("admin", managed_policies=[AWS_POLICY + "AdministratorAccess"])

    [finding] = role.lint()

    assert finding.code == "SM042"
    assert "IAM role admin" in finding.message


def test_passing_a_role_with_data_access_is_sm044_naming_the_path() -> None:
    compute = _compute()
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])

    [finding] = [f for f in mlops.lint() if f.code == "SM044"]

    assert finding.severity is sm.Severity.INFO
    assert "team-a-mlops -> iam:PassRole -> team-a-compute -> S3 data" in finding.message
    assert "Manage Models and Manage Pipelines" in finding.message
    assert "team-a-data" in finding.message
    # a persona with data access of its own gains nothing by passing it
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute])
    assert "SM044" not in _codes(ds)
    # a role given by name is not followed (lint cannot see its activities)
    assert "SM044" not in _codes(sm.MLOps("team-a-mlops", pass_roles=["team-a-compute"]))


# -- in every plan ---------------------------------------------------------------------------


def test_widening_findings_appear_in_the_plan(session: boto3.Session) -> None:
    account = session.client("sts").get_caller_identity()["Account"]
    ds = (
        sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
        .with_activities(act.S3FullAccess())
        .with_managed_policies(AWS_POLICY + "AmazonSageMakerFullAccess")
    )
    ops = sm.Role("ops", managed_policies=[AWS_POLICY + "IAMFullAccess"])
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"],
                         ecr_repositories=["arn:aws:ecr:us-east-1:444455556666:repository/shared"])
    bp = sm.Blueprint("bp", [ds.role(), ops, compute.role()])

    plan = bp.plan(session=session)

    by_key = {(c.key, f.code) for c, f in plan.findings}
    assert {
        ("iam-role/team-a-ds", "SM040"),
        ("iam-role/team-a-compute", "SM041"),  # another account: the plan knows its own
        ("iam-role/team-a-ds", "SM042"),
        ("iam-role/ops", "SM042"),
    } <= by_key
    assert account != "444455556666"
    text = str(plan)
    assert "! SM040 warning:" in text
    assert "! SM042 error: IAM role ops: AWS managed policy IAMFullAccess" in text
