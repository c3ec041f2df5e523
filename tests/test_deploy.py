"""``Blueprint.deploy``: the member template as a service-managed StackSet, then the
Identity Center stacks.

Which emulation where:

- moto (completed by ``secureml._moto_cfn``: auto-deployment, capabilities and
  target OUs kept, instances deleted by OU) for creating and updating the StackSet,
  adding and removing stack instances by OU in a moto organization, and proving a
  second deploy makes no mutating call;
- botocore ``Stubber`` for what moto cannot show: operations that stay RUNNING and
  then FAIL with per-account reasons, a wait that runs out of time, and the
  Identity Center stacks (moto's CloudFormation has no ``AWS::SSO`` types). Stubber
  fails a test on any call not scripted, so the order of calls is asserted too.
  Sleeps go to a list, never to the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import boto3
import pytest
from botocore.stub import ANY, Stubber

import secureml as sm
from secureml.aws import AwsContext, RetryPolicy
from secureml.errors import AWSCallError, ValidationError
from secureml.export import AccountFailure, DeployError, plan_deploy
from secureml.testing import READ_PREFIXES, CallRecorder

BP = "ml-platform"
REGION = "us-east-1"
STACK_SET = f"secureml-{BP}"
IC_STACK = f"secureml-{BP}-identity-center"
INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
GROUP_ID = "0123456789-01234567-89ab-cdef-0123-456789abcdef"
A1, A2 = "111122223333", "444455556666"


def member_blueprint(*extra: sm.Persona, sleeps: list[float] | None = None) -> sm.Blueprint:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"])
    roles = [p.role() for p in (compute, *extra)]
    retry = RetryPolicy(sleep=(sleeps if sleeps is not None else []).append)
    return sm.Blueprint(BP, roles, region=REGION, retry=retry)


@attrs.frozen
class Org:
    """A moto organization with three OUs (dev, staging, prod) of two accounts each."""

    ous: dict[str, str]
    accounts: dict[str, list[str]]


@pytest.fixture
def org(session: boto3.Session) -> Org:
    client = session.client("organizations")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    ous: dict[str, str] = {}
    accounts: dict[str, list[str]] = {}
    for name in ("dev", "staging", "prod"):
        ou = client.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]
        ous[name] = ou["Id"]
        for i in range(2):
            account = client.create_account(
                Email=f"{name}{i}@example.com", AccountName=f"{name}-{i}"
            )["CreateAccountStatus"]["AccountId"]
            client.move_account(AccountId=account, SourceParentId=root,
                                DestinationParentId=ou["Id"])
            accounts.setdefault(name, []).append(account)
    return Org(ous, accounts)


def instances(session: boto3.Session) -> set[str]:
    out = session.client("cloudformation").list_stack_instances(StackSetName=STACK_SET)
    return {i["Account"] for i in out["Summaries"]}


def mutating(calls: CallRecorder) -> list[str]:
    return [c.operation for c in calls.calls if not c.operation.startswith(READ_PREFIXES)]


# -- moto: create, update, instances, idempotence ---------------------------------------------


@pytest.mark.filterwarnings("ignore::UserWarning")  # moto: no BucketPolicy/Trail via CFN
def test_first_deploy_creates_a_service_managed_stack_set_in_the_target_ous(
    session: boto3.Session, org: Org, calls: CallRecorder,
) -> None:
    bp = member_blueprint()
    result = bp.deploy(session=session, targets=[org.ous["dev"], org.ous["prod"]])
    assert [c.action for c in result.plan.changes] == ["create"]
    assert mutating(calls) == ["CreateStackSet", "CreateStackInstances"]
    described = session.client("cloudformation").describe_stack_set(
        StackSetName=STACK_SET)["StackSet"]
    assert described["PermissionModel"] == "SERVICE_MANAGED"
    assert described["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert described["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert described["OrganizationalUnitIds"] == sorted([org.ous["dev"], org.ous["prod"]])
    assert {"Key": "secureml:blueprint", "Value": BP} in described["Tags"]
    assert instances(session) == {*org.accounts["dev"], *org.accounts["prod"]}
    assert [(op, status) for op, _, status in result.operations] == [
        ("CreateStackInstances", "SUCCEEDED")]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_second_deploy_changes_nothing(
    session: boto3.Session, org: Org, calls: CallRecorder,
) -> None:
    bp = member_blueprint()
    bp.deploy(session=session, targets=[org.ous["dev"]])
    calls.calls.clear()
    again = bp.deploy(session=session, targets=[org.ous["dev"]])
    assert again.plan.is_empty
    assert "nothing to change" in str(again.plan)
    assert again.operations == ()
    assert mutating(calls) == []


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_changed_blueprint_updates_the_stack_set_and_shows_the_diff(
    session: boto3.Session, org: Org, calls: CallRecorder,
) -> None:
    member_blueprint().deploy(session=session, targets=[org.ous["dev"]])
    calls.calls.clear()
    mlops = sm.MLOps("team-a-mlops", pass_roles=["team-a-compute"])
    bp = member_blueprint(mlops)
    plan = plan_deploy(bp, session=session, targets=[org.ous["dev"]])
    (change,) = plan.changes
    assert change.action == "update"
    assert '+    "RoleName": "team-a-mlops"' in change.diff
    assert (change.add, change.remove) == ((), ())
    assert mutating(calls) == []
    bp.deploy(session=session, targets=[org.ous["dev"]])
    assert mutating(calls) == ["UpdateStackSet"]
    body = session.client("cloudformation").describe_stack_set(
        StackSetName=STACK_SET)["StackSet"]["TemplateBody"]
    assert "team-a-mlops" in body


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_targets_added_and_removed_become_stack_instances_added_and_removed(
    session: boto3.Session, org: Org, calls: CallRecorder,
) -> None:
    bp = member_blueprint()
    bp.deploy(session=session, targets=[org.ous["dev"], org.ous["staging"]])
    calls.calls.clear()
    plan = plan_deploy(bp, session=session, targets=[org.ous["dev"], org.ous["prod"]])
    (change,) = plan.changes
    assert change.action == "no-op"
    assert change.add == ((org.ous["prod"], REGION),)
    assert change.remove == ((org.ous["staging"], REGION),)
    assert f"+ stack instances in {org.ous['prod']}" in str(plan)
    assert f"- stack instances in {org.ous['staging']}" in str(plan)
    bp.deploy(session=session, targets=[org.ous["dev"], org.ous["prod"]])
    assert mutating(calls) == ["CreateStackInstances", "DeleteStackInstances"]
    assert instances(session) == {*org.accounts["dev"], *org.accounts["prod"]}


def test_bad_options_are_refused_before_any_call(
    session: boto3.Session, calls: CallRecorder,
) -> None:
    bp = member_blueprint()
    with pytest.raises(ValidationError) as err:
        bp.deploy(session=session, targets=["ou-ab12-cd34ef56"],
                  regions=["us-east-1", "eu-west-1"], failure_tolerance_count=1,
                  failure_tolerance_percentage=10, max_concurrent_percentage=150)
    message = str(err.value)
    assert "exactly one region" in message
    assert "not both" in message
    assert "max_concurrent_percentage: 150" in message
    assert calls.calls == []


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_declined_plan_changes_nothing(
    session: boto3.Session, org: Org, calls: CallRecorder,
) -> None:
    seen = []
    result = member_blueprint().deploy(
        session=session, targets=[org.ous["dev"]], confirm=lambda p: seen.append(p) or False)
    assert seen == [result.plan]
    assert result.operations == ()
    assert mutating(calls) == []


# -- Stubber: polling, failures, Identity Center stacks ----------------------------------------


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def ctx(sleeps: list[float]) -> AwsContext:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    return AwsContext(session, BP, retry=RetryPolicy(sleep=sleeps.append))


@pytest.fixture
def cfn(ctx: AwsContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    # Every deploy of these tests runs in the stubbed context.
    monkeypatch.setattr(sm.Blueprint, "context", lambda self, session=None: ctx)
    with Stubber(ctx.client("cloudformation")) as stub:
        yield stub
        stub.assert_no_pending_responses()


def operation(status: str, reason: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"OperationId": "op-1", "Status": status, "Action": "CREATE"}
    if reason:
        op["StatusReason"] = reason
    return {"StackSetOperation": op}


def script_create(stub: Stubber, ou: str) -> None:
    stub.add_client_error("describe_stack_set", "StackSetNotFoundException",
                          expected_params={"StackSetName": STACK_SET})
    stub.add_response("create_stack_set", {"StackSetId": f"{STACK_SET}:1"}, {
        "StackSetName": STACK_SET, "TemplateBody": ANY, "Description": ANY,
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
        "Capabilities": ["CAPABILITY_NAMED_IAM"], "Tags": ANY,
    })
    stub.add_response("create_stack_instances", {"OperationId": "op-1"}, {
        "StackSetName": STACK_SET, "DeploymentTargets": {"OrganizationalUnitIds": [ou]},
        "Regions": [REGION],
        "OperationPreferences": {"RegionConcurrencyType": "SEQUENTIAL",
                                 "FailureToleranceCount": 1, "MaxConcurrentPercentage": 50},
    })


def test_operations_are_polled_until_they_fail_with_a_report_per_account(
    cfn: Stubber, sleeps: list[float],
) -> None:
    ou = "ou-ab12-cd34ef56"
    script_create(cfn, ou)
    for status in ("QUEUED", "RUNNING", "FAILED"):
        cfn.add_response("describe_stack_set_operation", operation(
            status, "Failure tolerance exceeded" if status == "FAILED" else ""),
            {"StackSetName": STACK_SET, "OperationId": "op-1"})
    cfn.add_response("list_stack_set_operation_results", {"Summaries": [
        {"Account": A1, "Region": REGION, "Status": "SUCCEEDED"},
        {"Account": A2, "Region": REGION, "Status": "FAILED",
         "StatusReason": "Role team-a-compute already exists"},
    ]}, {"StackSetName": STACK_SET, "OperationId": "op-1"})
    with pytest.raises(DeployError) as err:
        member_blueprint().deploy(targets=[ou], failure_tolerance_count=1,
                                  max_concurrent_percentage=50)
    assert err.value.failures == (
        AccountFailure(A2, REGION, "FAILED", "Role team-a-compute already exists"),
    )
    message = str(err.value)
    assert "ended FAILED (Failure tolerance exceeded)" in message
    assert f"{A2} {REGION}: FAILED: Role team-a-compute already exists" in message
    assert sleeps == [5.0, 10.0]  # growing pauses, never the clock


def test_a_wait_is_bounded(cfn: Stubber, sleeps: list[float]) -> None:
    ou = "ou-ab12-cd34ef56"
    script_create(cfn, ou)
    for _ in range(3):
        cfn.add_response("describe_stack_set_operation", operation("RUNNING"))
    with pytest.raises(AWSCallError, match="still running after waiting 15s"):
        member_blueprint().deploy(targets=[ou], failure_tolerance_count=1,
                                  max_concurrent_percentage=50, timeout=30)
    assert sleeps == [5.0, 10.0]
    assert sum(sleeps) <= 30


def ic_blueprint(*, big: bool = False) -> sm.Blueprint:
    if big:
        buckets = [f"team-a-bucket-with-a-long-name-{i:03d}" for i in range(150)]
        persona = sm.DataScientist("ds", buckets=buckets, pass_roles=["c"])
    else:
        persona = sm.MLOps("ds", pass_roles=["c"])
    ic = sm.IdentityCenter(instance_arn=INSTANCE)
    return sm.Blueprint(BP, [
        persona.permission_set(identity_center=ic),
        sm.GroupAssignment(group=GROUP_ID, permission_set="ds", accounts=[A1, A2],
                           identity_center=ic),
    ], region=REGION, retry=RetryPolicy(sleep=lambda _: None))


def test_the_identity_center_stack_is_created_and_polled(cfn: Stubber) -> None:
    bp = ic_blueprint()
    cfn.add_client_error("describe_stacks", "ValidationError",
                         f"Stack with id {IC_STACK} does not exist")
    cfn.add_response("create_stack", {"StackId": "arn:stack/1"}, {
        "StackName": IC_STACK, "TemplateBody": ANY, "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": [{"Key": "secureml:blueprint", "Value": BP}]})
    for status in ("CREATE_IN_PROGRESS", "CREATE_COMPLETE"):
        cfn.add_response("describe_stacks", {"Stacks": [{
            "StackName": IC_STACK, "StackStatus": status, "CreationTime": "2026-01-01"}]})
    result = bp.deploy(targets=["ou-ab12-cd34ef56"])
    assert result.operations == (("create stack", IC_STACK, "CREATE_COMPLETE"),)
    sent = json.loads(result.plan.export["identity-center"].compact)
    assert {r["Type"] for r in sent["Resources"].values()} == {
        "AWS::SSO::PermissionSet", "AWS::SSO::Assignment"}


def test_identity_center_waits_for_the_member_stack_set_where_it_needs_its_policies(
    cfn: Stubber,
) -> None:
    bp = ic_blueprint(big=True)
    export = bp.to_cloudformation(regions=[REGION])
    member = export["member"]
    ou = "ou-ab12-cd34ef56"
    summary = [{"Account": A1, "Region": REGION, "Status": "CURRENT",
                "StackSetId": f"{STACK_SET}:1"}]
    cfn.add_response("describe_stack_set", {"StackSet": {
        "StackSetName": STACK_SET, "Status": "ACTIVE", "TemplateBody": member.compact,
        "AutoDeployment": {"Enabled": True}, "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "OrganizationalUnitIds": [ou]}})
    cfn.add_response("list_stack_instances", {"Summaries": summary})
    cfn.add_client_error("describe_stacks", "ValidationError",
                         f"Stack with id {IC_STACK} does not exist")
    cfn.add_response("list_stack_instances", {"Summaries": summary})
    with pytest.raises(DeployError, match=f"accounts {A2} have no current stack instance"):
        bp.deploy(targets=[ou])
    # No create_stack was scripted: Stubber would have failed on one.


def test_a_delegated_administrator_calls_stack_sets_as_one(cfn: Stubber) -> None:
    cfn.add_client_error("describe_stack_set", "StackSetNotFoundException", expected_params={
        "StackSetName": STACK_SET, "CallAs": "DELEGATED_ADMIN"})
    plan = plan_deploy(member_blueprint(), targets=["ou-ab12-cd34ef56"], delegated_admin=True)
    assert [c.action for c in plan.changes] == ["create"]


def _stack(status: str, **extra: str) -> dict[str, Any]:
    return {"Stacks": [{"StackName": IC_STACK, "StackId": FAILED_ID, "StackStatus": status,
                        "CreationTime": "2026-01-01", **extra}]}


FAILED_ID = f"arn:aws:cloudformation:{REGION}:{A1}:stack/{IC_STACK}/1"


def test_a_stack_whose_creation_rolled_back_is_deleted_then_created(cfn: Stubber) -> None:
    """AWS updates no stack in ROLLBACK_COMPLETE (a failed creation): the plan says it
    is created anew, and the deploy deletes it first (waiting for the deletion)."""
    bp = ic_blueprint()
    cfn.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": IC_STACK})
    plan = plan_deploy(bp, targets=["ou-ab12-cd34ef56"])
    [change] = plan.changes
    assert (change.action, change.replaces) == ("create", "ROLLBACK_COMPLETE")
    assert "the stack in ROLLBACK_COMPLETE (a creation that failed" in str(plan)

    cfn.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": IC_STACK})
    cfn.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": IC_STACK})
    cfn.add_response("delete_stack", {}, {"StackName": FAILED_ID})
    for status in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
        cfn.add_response("describe_stacks", _stack(status), {"StackName": FAILED_ID})
    cfn.add_response("create_stack", {"StackId": "arn:stack/2"}, {
        "StackName": IC_STACK, "TemplateBody": ANY, "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": [{"Key": "secureml:blueprint", "Value": BP}]})
    for status in ("CREATE_IN_PROGRESS", "CREATE_COMPLETE"):
        cfn.add_response("describe_stacks", _stack(status), {"StackName": IC_STACK})
    result = bp.deploy(targets=["ou-ab12-cd34ef56"])
    assert result.operations == (
        ("delete failed stack", IC_STACK, "DELETE_COMPLETE"),
        ("create stack", IC_STACK, "CREATE_COMPLETE"),
    )


def test_a_failed_stack_that_cannot_be_deleted_stops_the_deploy(cfn: Stubber) -> None:
    bp = ic_blueprint()
    for _ in range(2):
        cfn.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": IC_STACK})
    cfn.add_response("delete_stack", {}, {"StackName": FAILED_ID})
    cfn.add_response("describe_stacks", _stack(
        "DELETE_FAILED", StackStatusReason="The following resource(s) failed to delete"))
    with pytest.raises(DeployError, match="could not be deleted to create it again: it ended "
                       "DELETE_FAILED: The following resource"):
        bp.deploy(targets=["ou-ab12-cd34ef56"])
    # No create_stack was scripted: Stubber would have failed on one.


def test_a_stack_that_rolled_back_an_update_is_updated_as_usual(cfn: Stubber) -> None:
    """UPDATE_ROLLBACK_COMPLETE is a working stack (the update before it failed): it is
    updated, never deleted."""
    bp = ic_blueprint()
    cfn.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"),
                     {"StackName": IC_STACK})
    cfn.add_response("get_template", {"TemplateBody": "{}"},
                     {"StackName": IC_STACK, "TemplateStage": "Original"})
    [change] = plan_deploy(bp, targets=["ou-ab12-cd34ef56"]).changes
    assert (change.action, change.replaces) == ("update", "")
