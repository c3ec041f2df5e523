"""Proof (issue 11, point 5): two teams in one account. With moto (the roles
applied) and the project's evaluator (the decisions): a scoped Data Scientist
and MLOps of team A do their work on team A's resources and are refused on team
B's, by name and by tag, PrincipalTag included; another user's private space is
refused; the widening findings appear in the plan."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

import secureml as sm
from secureml import activities as act
from secureml.policy import PolicyDocument, evaluate

REGION = "us-east-1"
TAG_CREATE = {"aws:TagKeys": ["team"]}
STUDIO = {"sagemaker:DomainId": "d-shared", "sagemaker:UserProfileName": "team-a-alice"}


def _team(team: str, scope: sm.Scope) -> tuple[sm.Persona, ...]:
    compute = sm.Compute(f"{team}-compute", buckets=[f"{team}-data"], scope=scope)
    serving = sm.Inference(f"{team}-serving", model_buckets=[f"{team}-models"])
    ds = sm.DataScientist(f"{team}-ds", buckets=[f"{team}-data"], pass_roles=[compute],
                          scope=scope)
    mlops = sm.MLOps(f"{team}-mlops", pass_roles=[compute], scope=scope).with_activities(
        act.ManageModels(pass_roles=[serving.name])
    )
    return compute, serving, ds, mlops


SCOPES = {
    "name": lambda team: sm.Scope(name_prefix=f"{team}-"),
    "tag": lambda team: sm.Scope(tags={"team": team}),
    "both": lambda team: sm.Scope(name_prefix=f"{team}-", tags={"team": team}),
}


@pytest.fixture
def account(session: boto3.Session) -> str:
    """Both teams applied to one (moto) account; the account's id."""
    personas = [p for team in ("team-a", "team-b") for p in _team(team, SCOPES["both"](team))]
    result = sm.Blueprint("teams", [p.role() for p in personas]).apply(session=session)
    assert result.plan.pending
    assert sm.Blueprint("teams", [p.role() for p in personas]).plan(session=session).is_empty
    return str(session.client("sts").get_caller_identity()["Account"])


def _applied(session: boto3.Session, role: str) -> list[PolicyDocument]:
    """The policies IAM holds for ``role``, read back from the account."""
    iam = session.client("iam")
    docs = []
    for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
        doc = iam.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)
        docs.append(PolicyDocument.from_dict(doc["PolicyVersion"]["Document"]))
    return docs


def _sm(account: str, resource: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{account}:{resource}"


def test_team_a_works_on_its_own_resources_and_never_on_team_bs(
    session: boto3.Session, account: str
) -> None:
    ds = _applied(session, "team-a-ds")
    mlops = _applied(session, "team-a-mlops")
    own = {"aws:ResourceTag/team": "team-a"}
    theirs = {"aws:ResourceTag/team": "team-b"}
    create = {"aws:RequestTag/team": "team-a", **TAG_CREATE}

    def ok(docs: list[PolicyDocument], action: str, resource: str, ctx: dict[str, Any]) -> bool:
        return evaluate(docs, f"sagemaker:{action}", _sm(account, resource), ctx).allowed

    # the Data Scientist: train, watch, stop, register a version (pending approval)
    assert ok(ds, "CreateTrainingJob", "training-job/team-a-j1", create)
    assert ok(ds, "DescribeTrainingJob", "training-job/team-a-j1", own)
    assert ok(ds, "StopTrainingJob", "training-job/team-a-j1", own)
    assert ok(ds, "CreateModelPackage", "model-package/team-a-models/1", create)
    # ...but nothing of team B's: by name, by tag, or both
    assert not ok(ds, "DescribeTrainingJob", "training-job/team-b-j1", theirs)
    assert not ok(ds, "DescribeTrainingJob", "training-job/team-b-j1", own)  # named theirs
    assert not ok(ds, "DescribeTrainingJob", "training-job/team-a-j1", theirs)  # tagged theirs
    assert not ok(ds, "StopTrainingJob", "training-job/team-b-j1", theirs)
    assert not ok(ds, "DeleteModelPackage", "model-package/team-b-models/1", theirs)
    assert not ok(ds, "CreateTrainingJob", "training-job/team-a-j2",
                  {"aws:RequestTag/team": "team-b", **TAG_CREATE})  # tagged for team B
    assert not ok(ds, "CreateTrainingJob", "training-job/team-a-j2", {})  # untagged
    # approving is MLOps's, never the Data Scientist's
    approve = {**own, "sagemaker:ModelApprovalStatus": "Approved"}
    assert not ok(ds, "UpdateModelPackage", "model-package/team-a-models/1", approve)
    assert ok(mlops, "UpdateModelPackage", "model-package/team-a-models/1", approve)
    assert not ok(mlops, "UpdateModelPackage", "model-package/team-b-models/1",
                  {**theirs, "sagemaker:ModelApprovalStatus": "Approved"})
    # MLOps: deploy and update team A's endpoints, never team B's (no traffic redirect)
    assert ok(mlops, "CreateEndpoint", "endpoint/team-a-e1", create)
    assert ok(mlops, "CreateEndpoint", "endpoint-config/team-a-e1", {**create, **own})
    assert ok(mlops, "UpdateEndpoint", "endpoint/team-a-e1", own)
    assert not ok(mlops, "UpdateEndpoint", "endpoint/team-b-e1", theirs)
    assert not ok(mlops, "DeleteEndpoint", "endpoint/team-b-e1", theirs)
    assert not ok(mlops, "CreateEndpoint", "endpoint-config/team-b-e1", {**create, **theirs})
    # models run as the serving role, which has no training data
    serving_arn = f"arn:aws:iam::{account}:role/team-a-serving"
    assert evaluate(mlops, "iam:PassRole", serving_arn,
                    {"iam:PassedToService": "sagemaker.amazonaws.com"}).allowed
    serving = _applied(session, "team-a-serving")
    assert not evaluate(serving, "s3:GetObject", "arn:aws:s3:::team-a-data/train.csv",
                        {"s3:ResourceAccount": account}).allowed
    assert evaluate(serving, "s3:GetObject", "arn:aws:s3:::team-a-models/m/model.tar.gz",
                    {"s3:ResourceAccount": account}).allowed


@pytest.mark.parametrize("how", list(SCOPES))
def test_each_way_of_scoping_refuses_the_other_team(how: str) -> None:
    account = "123456789012"
    ds = _team("team-a", SCOPES[how]("team-a"))[2]
    tagged = how != "name"
    mine = {"aws:ResourceTag/team": "team-a"} if tagged else {}
    theirs = {"aws:ResourceTag/team": "team-b"} if tagged else {}
    mine_name = "team-a-j" if how != "tag" else "j"
    their_name = "team-b-j" if how != "tag" else "j"

    def ev(resource: str, ctx: dict[str, Any]) -> bool:
        return ds.evaluate("sagemaker:StopTrainingJob", _sm(account, f"training-job/{resource}"),
                           ctx, account_id=account, region=REGION).allowed

    assert ev(mine_name, mine)
    assert not ev(their_name, theirs)


def test_one_persona_for_every_team_by_principal_tag() -> None:
    account = "123456789012"
    ds = sm.DataScientist("ml-ds", buckets=["ml-data"], pass_roles=["ml-compute"],
                          scope=sm.Scope(tags={"team": sm.PrincipalTag("team")}))

    def ev(action: str, resource: str, ctx: dict[str, Any]) -> bool:
        return ds.evaluate(f"sagemaker:{action}", _sm(account, resource), ctx,
                           account_id=account, region=REGION).allowed

    alice = {"aws:PrincipalTag/team": "team-a"}
    bob = {"aws:PrincipalTag/team": "team-b"}
    job = "training-job/nightly"
    assert ev("DescribeTrainingJob", job, {**alice, "aws:ResourceTag/team": "team-a"})
    assert not ev("DescribeTrainingJob", job, {**alice, "aws:ResourceTag/team": "team-b"})
    assert ev("DescribeTrainingJob", job, {**bob, "aws:ResourceTag/team": "team-b"})
    assert not ev("DescribeTrainingJob", job, {**bob, "aws:ResourceTag/team": "team-a"})
    # a user without the tag reaches nothing (the variable does not resolve)
    assert not ev("DescribeTrainingJob", job, {"aws:ResourceTag/team": "team-a"})
    # creates carry the caller's own team
    assert ev("CreateTrainingJob", "training-job/j",
              {**alice, "aws:RequestTag/team": "team-a", **TAG_CREATE})
    assert not ev("CreateTrainingJob", "training-job/j",
                  {**alice, "aws:RequestTag/team": "team-b", **TAG_CREATE})


def test_another_users_private_space_is_refused(session: boto3.Session, account: str) -> None:
    ds = _applied(session, "team-a-ds")
    me = _sm(account, "user-profile/d-shared/team-a-alice")
    other = _sm(account, "user-profile/d-shared/team-a-bob")
    tagged = {"aws:ResourceTag/team": "team-a", "aws:RequestTag/team": "team-a", **TAG_CREATE}

    def app(action: str, owner: str | None, sharing: str, space: str = "team-a-s") -> bool:
        ctx: dict[str, Any] = {**STUDIO, **tagged, "sagemaker:SpaceSharingType": sharing}
        if owner is not None:
            ctx["sagemaker:OwnerUserProfileArn"] = owner
        resource = _sm(account, f"app/d-shared/{space}/jupyterlab/default")
        return evaluate(ds, f"sagemaker:{action}", resource, ctx).allowed

    assert app("CreateApp", me, "Private")
    assert app("DeleteApp", me, "Private")
    assert not app("CreateApp", other, "Private")  # bob's private space
    assert not app("DeleteApp", other, "Private")
    assert app("CreateApp", None, "Shared")  # a shared space: anyone of the team
    assert not app("CreateApp", None, "Shared", space="team-b-s")  # not team B's
    space = _sm(account, "space/d-shared/team-a-s")
    for action in ("UpdateSpace", "DeleteSpace"):
        ctx = {**STUDIO, **tagged, "sagemaker:SpaceSharingType": "Private"}
        assert evaluate(ds, f"sagemaker:{action}", space,
                        {**ctx, "sagemaker:OwnerUserProfileArn": me}).allowed
        assert not evaluate(ds, f"sagemaker:{action}", space,
                            {**ctx, "sagemaker:OwnerUserProfileArn": other}).allowed
    # nobody outside Studio's own session names a profile: refused, not guessed
    no_session = {**tagged, "sagemaker:SpaceSharingType": "Private",
                  "sagemaker:OwnerUserProfileArn": me}
    assert not evaluate(ds, "sagemaker:CreateSpace", space, no_session).allowed


def test_scoped_personas_pass_their_workflows() -> None:
    # persona.check(): every workflow of their activities, named and tagged for the team
    for persona in _team("team-a", SCOPES["both"]("team-a")):
        report = persona.check(account_id="123456789012", region=REGION)
        assert report.passed, str(report)


def test_widening_findings_appear_in_the_plan(session: boto3.Session) -> None:
    wide = (
        sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"],
                         scope=sm.Scope(name_prefix="team-a-"))
        .with_activities(act.S3FullAccess())
        .with_managed_policies("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
    )
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"])
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])

    plan = sm.Blueprint("teams", [wide.role(), compute.role(), mlops.role()]).plan(
        session=session
    )

    codes = {(c.key, f.code) for c, f in plan.findings}
    assert {
        ("iam-role/team-a-ds", "SM040"),  # S3 Full Access
        ("iam-role/team-a-ds", "SM042"),  # AmazonSageMakerFullAccess by hand
        ("iam-role/team-a-ds", "SM043"),  # artifacts: a name prefix cannot scope them
        ("iam-role/team-a-mlops", "SM044"),  # MLOps -> PassRole -> Compute -> S3 data
    } <= codes
    text = str(plan)
    for code in ("SM040", "SM042", "SM043", "SM044"):
        assert f"! {code} " in text
