"""What moto cannot show: Identity Center's asynchronous operations in progress,
failing, conflicting and paginated, through botocore's Stubber.

Each test scripts AWS's answers in order; Stubber fails the test on any call
not scripted (or made with other parameters), so the order of calls is
asserted too. Sleeps go to a list, never to the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from secureml.aws import AwsContext, RetryPolicy
from secureml.errors import AWSCallError, ProvisioningError
from secureml.resources import (
    AccessControlAttributes,
    GroupAssignment,
    IdentityCenter,
    Observed,
    PermissionSet,
)
from secureml.resources.identity_center import (
    BURST,
    REQUESTS_PER_SECOND,
    AssignmentOp,
    RateLimiter,
    provision_permission_set,
    run_assignment_ops,
)

INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
STORE = "d-0123456789"
PS_ARN = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef"
GROUP_ID = "0123456789-01234567-89ab-cdef-0123-456789abcdef"
IC = IdentityCenter(instance_arn=INSTANCE, identity_store_id=STORE)
A1, A2 = "111122223333", "444455556666"


def request_id(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def ctx(sleeps: list[float]) -> AwsContext:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return AwsContext(session, "bp", retry=RetryPolicy(sleep=sleeps.append))


@pytest.fixture
def sso(ctx: AwsContext) -> Iterator[Stubber]:
    with Stubber(ctx.client("sso-admin")) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def ids(ctx: AwsContext) -> Iterator[Stubber]:
    with Stubber(ctx.client("identitystore")) as stub:
        yield stub
        stub.assert_no_pending_responses()


def op(account: str) -> AssignmentOp:
    target = f"group 'G' -> permission set 'ps' in account {account}"
    return AssignmentOp(account, "GROUP", GROUP_ID, PS_ARN, target)


def status(n: int, state: str, account: str = A1, reason: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Status": state, "RequestId": request_id(n), "TargetId": account}
    if reason:
        out["FailureReason"] = reason
    return out


def create_params(account: str) -> dict[str, Any]:
    return {
        "InstanceArn": INSTANCE, "TargetId": account, "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": PS_ARN, "PrincipalType": "GROUP", "PrincipalId": GROUP_ID,
    }


def expect_create(sso: Stubber, n: int, account: str, state: str = "IN_PROGRESS") -> None:
    sso.add_response(
        "create_account_assignment",
        {"AccountAssignmentCreationStatus": status(n, state, account)},
        create_params(account),
    )


def expect_poll(sso: Stubber, n: int, state: str, account: str = A1,
                reason: str | None = None) -> None:
    sso.add_response(
        "describe_account_assignment_creation_status",
        {"AccountAssignmentCreationStatus": status(n, state, account, reason)},
        {"InstanceArn": INSTANCE, "AccountAssignmentCreationRequestId": request_id(n)},
    )


# -- account assignments ----------------------------------------------------------------------


def test_in_progress_is_polled_until_succeeded(
    ctx: AwsContext, sso: Stubber, sleeps: list[float]
) -> None:
    expect_create(sso, 1, A1)
    expect_poll(sso, 1, "IN_PROGRESS")
    expect_poll(sso, 1, "IN_PROGRESS")
    expect_poll(sso, 1, "SUCCEEDED")
    done = run_assignment_ops(ctx, INSTANCE, [op(A1)], delete=False, resource="r")
    assert done == [op(A1)]
    assert sleeps == [1.0, 2.0]  # growing pauses between polls, never before the first


def test_failed_raises_with_aws_reason_and_the_assignment(ctx: AwsContext, sso: Stubber) -> None:
    expect_create(sso, 1, A1)
    expect_poll(sso, 1, "FAILED", reason="Received a 404 status error: Role not found")
    with pytest.raises(ProvisioningError) as err:
        run_assignment_ops(ctx, INSTANCE, [op(A1)], delete=False, resource="r")
    assert err.value.reason == "Received a 404 status error: Role not found"
    assert err.value.operation == "CreateAccountAssignment"
    assert "group 'G' -> permission set 'ps' in account 111122223333" in err.value.target
    assert "FAILED: Received a 404" in str(err.value)


def test_failure_stops_new_requests_but_waits_for_those_in_flight(
    ctx: AwsContext, sso: Stubber
) -> None:
    expect_create(sso, 1, A1)
    expect_create(sso, 2, A2)
    expect_poll(sso, 1, "FAILED", reason="boom")
    expect_poll(sso, 2, "IN_PROGRESS", A2)
    expect_poll(sso, 2, "SUCCEEDED", A2)
    # a third op is never sent: Stubber would fail on the unscripted call
    with pytest.raises(ProvisioningError, match="boom"):
        run_assignment_ops(ctx, INSTANCE, [op(A1), op(A2), op("777788889999")],
                           delete=False, resource="r", max_in_flight=2)


def test_conflict_then_success_is_retried(
    ctx: AwsContext, sso: Stubber, sleeps: list[float]
) -> None:
    sso.add_client_error("create_account_assignment", "ConflictException",
                         "An operation is in progress on this permission set",
                         expected_params=create_params(A1))
    sso.add_client_error("create_account_assignment", "ThrottlingException", "Rate exceeded",
                         expected_params=create_params(A1))
    expect_create(sso, 1, A1, "SUCCEEDED")
    assert run_assignment_ops(ctx, INSTANCE, [op(A1)], delete=False, resource="r") == [op(A1)]
    assert len(sleeps) == 2  # the two retries' backoff, no poll needed


def test_at_most_ten_creations_in_flight(ctx: AwsContext, sso: Stubber) -> None:
    accounts = [f"{100000000000 + i}" for i in range(12)]
    for n, account in enumerate(accounts[:10]):
        expect_create(sso, n, account)
    # Two finish: exactly two more are sent before the next round of polls.
    for n, account in enumerate(accounts[:10]):
        expect_poll(sso, n, "SUCCEEDED" if n < 2 else "IN_PROGRESS", account)
    for n, account in enumerate(accounts[10:], start=10):
        expect_create(sso, n, account)
    for n, account in enumerate(accounts[2:], start=2):
        expect_poll(sso, n, "SUCCEEDED", account)
    done = run_assignment_ops(ctx, INSTANCE, [op(a) for a in accounts], delete=False,
                              resource="r")
    assert sorted(o.account for o in done) == accounts


def test_waiting_is_bounded(ctx: AwsContext, sso: Stubber, sleeps: list[float]) -> None:
    expect_create(sso, 1, A1)
    for _ in range(4):  # polls at 0s, 1s, 3s and 7s; waiting 5s more would pass 10s
        expect_poll(sso, 1, "IN_PROGRESS")
    with pytest.raises(AWSCallError, match="still IN_PROGRESS after waiting 7s"):
        run_assignment_ops(ctx, INSTANCE, [op(A1)], delete=False, resource="r", timeout=10)
    assert sleeps == [1.0, 2.0, 4.0]


def test_deletion_is_polled_with_its_own_status_call(ctx: AwsContext, sso: Stubber) -> None:
    sso.add_response(
        "delete_account_assignment",
        {"AccountAssignmentDeletionStatus": status(1, "IN_PROGRESS")},
        create_params(A1),
    )
    sso.add_response(
        "describe_account_assignment_deletion_status",
        {"AccountAssignmentDeletionStatus": status(1, "SUCCEEDED")},
        {"InstanceArn": INSTANCE, "AccountAssignmentDeletionRequestId": request_id(1)},
    )
    assert run_assignment_ops(ctx, INSTANCE, [op(A1)], delete=True, resource="r") == [op(A1)]


# -- permission set provisioning ----------------------------------------------------------------


def test_provisioning_is_polled_until_succeeded(
    ctx: AwsContext, sso: Stubber, sleeps: list[float]
) -> None:
    sso.add_response(
        "provision_permission_set",
        {"PermissionSetProvisioningStatus": {"Status": "IN_PROGRESS", "RequestId": request_id(7)}},
        {"InstanceArn": INSTANCE, "PermissionSetArn": PS_ARN,
         "TargetType": "ALL_PROVISIONED_ACCOUNTS"},
    )
    sso.add_response(
        "describe_permission_set_provisioning_status",
        {"PermissionSetProvisioningStatus": {"Status": "SUCCEEDED", "RequestId": request_id(7)}},
        {"InstanceArn": INSTANCE, "ProvisionPermissionSetRequestId": request_id(7)},
    )
    provision_permission_set(ctx, INSTANCE, PS_ARN, target="ps", resource="r")
    assert sleeps == [1.0]


def test_provisioning_failure_carries_the_reason(ctx: AwsContext, sso: Stubber) -> None:
    sso.add_response(
        "provision_permission_set",
        {"PermissionSetProvisioningStatus": {"Status": "IN_PROGRESS", "RequestId": request_id(7)}},
        {"InstanceArn": INSTANCE, "PermissionSetArn": PS_ARN, "TargetType": "AWS_ACCOUNT",
         "TargetId": A1},
    )
    sso.add_response(
        "describe_permission_set_provisioning_status",
        {"PermissionSetProvisioningStatus": {
            "Status": "FAILED", "RequestId": request_id(7),
            "FailureReason": "Customer managed policy team-a-ds-1 not found in 111122223333"}},
        {"InstanceArn": INSTANCE, "ProvisionPermissionSetRequestId": request_id(7)},
    )
    with pytest.raises(ProvisioningError) as err:
        provision_permission_set(ctx, INSTANCE, PS_ARN, target="permission set 'ps'",
                                 resource="r", accounts=[A1])
    assert err.value.reason == "Customer managed policy team-a-ds-1 not found in 111122223333"
    assert err.value.target == "permission set 'ps' in account 111122223333"


# -- reads follow every NextToken ------------------------------------------------------------------


def test_assignment_read_follows_next_token_and_finds_the_second_page(
    ctx: AwsContext, sso: Stubber, ids: Stubber
) -> None:
    ids.add_response(
        "get_group_id",
        {"GroupId": GROUP_ID, "IdentityStoreId": STORE,
         "GroupArn": f"arn:aws:identitystore:::group/{GROUP_ID}"},
        {"IdentityStoreId": STORE, "AlternateIdentifier": {"UniqueAttribute": {
            "AttributePath": "DisplayName", "AttributeValue": "G"}}},
    )
    sso.add_response("list_permission_sets", {"PermissionSets": [], "NextToken": "t1"},
                     {"InstanceArn": INSTANCE})
    sso.add_response("list_permission_sets", {"PermissionSets": [PS_ARN]},
                     {"InstanceArn": INSTANCE, "NextToken": "t1"})
    sso.add_response("describe_permission_set",
                     {"PermissionSet": {"Name": "ps", "PermissionSetArn": PS_ARN}},
                     {"InstanceArn": INSTANCE, "PermissionSetArn": PS_ARN})
    base = {"InstanceArn": INSTANCE, "PrincipalId": GROUP_ID, "PrincipalType": "GROUP",
            "MaxResults": 100}

    def assignment(account: str) -> dict[str, str]:
        return {"AccountId": account, "PermissionSetArn": PS_ARN, "PrincipalType": "GROUP",
                "PrincipalId": GROUP_ID}

    sso.add_response("list_account_assignments_for_principal",
                     {"AccountAssignments": [assignment(A1)], "NextToken": "p2"}, base)
    sso.add_response("list_account_assignments_for_principal",
                     {"AccountAssignments": [assignment(A2)]}, {**base, "NextToken": "p2"})
    a = GroupAssignment(group="G", permission_set="ps", accounts=[A1, A2], identity_center=IC)
    observed = a.read(ctx)
    assert observed is not None
    assert observed.state == a.desired(ctx)
    assert observed.extra["assigned"] == [A1, A2]


def test_permission_set_update_reprovisions_to_all_provisioned_accounts(
    ctx: AwsContext, sso: Stubber
) -> None:
    common = {"InstanceArn": INSTANCE, "PermissionSetArn": PS_ARN}
    sso.add_response("update_permission_set", {}, {**common, "SessionDuration": "PT8H",
                                                   "Description": "secureml permission set ps"})
    # ConflictException while another provisioning of the set runs: retried.
    sso.add_client_error("list_accounts_for_provisioned_permission_set", "ConflictException",
                         expected_params={**common, "MaxResults": 100})
    sso.add_response("list_accounts_for_provisioned_permission_set",
                     {"AccountIds": [A1], "NextToken": "n"}, {**common, "MaxResults": 100})
    sso.add_response("list_accounts_for_provisioned_permission_set",
                     {"AccountIds": [A2]}, {**common, "MaxResults": 100, "NextToken": "n"})
    sso.add_response(
        "provision_permission_set",
        {"PermissionSetProvisioningStatus": {"Status": "SUCCEEDED", "RequestId": request_id(1)}},
        {**common, "TargetType": "ALL_PROVISIONED_ACCOUNTS"},
    )
    ps = PermissionSet(name="ps", session_duration="PT8H", identity_center=IC)
    desired = ps.desired(ctx)
    before = {**desired, "session_duration": "PT1H"}
    ps.update(ctx, Observed(before, "bp", {"arn": PS_ARN, "instance_arn": INSTANCE}), desired)


def test_create_permission_set_name_conflict_is_not_retried_but_read(
    ctx: AwsContext, sso: Stubber, sleeps: list[float]
) -> None:
    sso.add_response("list_permission_sets", {"PermissionSets": []}, {"InstanceArn": INSTANCE})
    sso.add_client_error("create_permission_set", "ConflictException",
                         "PermissionSet with name ps already exists.",
                         expected_params={"InstanceArn": INSTANCE, "Name": "ps", "Tags": ANY,
                                          "SessionDuration": "PT1H", "Description": ANY})
    # Another run made it meanwhile: the index is read again and the set is found ours.
    sso.add_response("list_permission_sets", {"PermissionSets": [PS_ARN]},
                     {"InstanceArn": INSTANCE})
    sso.add_response("describe_permission_set",
                     {"PermissionSet": {"Name": "ps", "PermissionSetArn": PS_ARN,
                                        "SessionDuration": "PT1H",
                                        "Description": "secureml permission set ps"}},
                     {"InstanceArn": INSTANCE, "PermissionSetArn": PS_ARN})
    common = {"InstanceArn": INSTANCE, "PermissionSetArn": PS_ARN}
    sso.add_response("get_inline_policy_for_permission_set", {}, common)
    sso.add_response("list_managed_policies_in_permission_set",
                     {"AttachedManagedPolicies": []}, common)
    sso.add_response("list_customer_managed_policy_references_in_permission_set",
                     {"CustomerManagedPolicyReferences": []}, common)
    sso.add_client_error("get_permissions_boundary_for_permission_set",
                         "ResourceNotFoundException", expected_params=common)
    sso.add_response("list_tags_for_resource",
                     {"Tags": [{"Key": "secureml:blueprint", "Value": "bp"}]},
                     {"InstanceArn": INSTANCE, "ResourceArn": PS_ARN})
    ps = PermissionSet(name="ps", identity_center=IC)
    ps.create(ctx, ps.desired(ctx))  # nothing differs: no further call
    assert sleeps == []


# -- Identity Center's rate limit: one token bucket for every thread of a run -------------------


def test_rate_limiter_lets_a_burst_through_then_spaces_requests_by_the_rate() -> None:
    waits: list[float] = []
    limiter = RateLimiter(REQUESTS_PER_SECOND, BURST, sleep=waits.append, clock=lambda: 0.0)
    got = [limiter.acquire() for _ in range(BURST + 3)]
    step = 1 / REQUESTS_PER_SECOND
    assert got == pytest.approx([0.0] * BURST + [step, 2 * step, 3 * step])
    assert waits == pytest.approx([step, 2 * step, 3 * step])  # only real waits are slept


def test_rate_limiter_gives_concurrent_threads_distinct_slots() -> None:
    limiter = RateLimiter(20.0, 1, sleep=lambda _: None, clock=lambda: 0.0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda _: limiter.acquire(), range(80)))
    # 80 requests at 20/s from one instant: slots 0, 0.05, ... 3.95 s, none shared.
    assert sorted(round(w, 6) for w in got) == [round(i * 0.05, 6) for i in range(80)]


def test_rate_limiter_does_not_wait_when_requests_are_slower_than_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(20.0, 1, sleep=lambda _: None, clock=lambda: now[0])
    for _ in range(5):
        assert limiter.acquire() == 0.0
        now[0] += 0.06  # each request took longer than 1/20 s


# -- attributes for access control: created asynchronously -------------------------------


def _abac_steps(sso: Stubber, *statuses: tuple[str, str | None]) -> None:
    attrs = {"AccessControlAttributes": [
        {"Key": "team", "Value": {"Source": ["${path:enterprise.department}"]}}
    ]}
    sso.add_response("tag_resource", {}, {
        "InstanceArn": INSTANCE, "ResourceArn": INSTANCE,
        "Tags": [{"Key": "secureml:access-control-attributes", "Value": "bp"}],
    })
    sso.add_response("create_instance_access_control_attribute_configuration", {}, {
        "InstanceArn": INSTANCE, "InstanceAccessControlAttributeConfiguration": attrs,
    })
    for state, reason in statuses:
        answer: dict[str, Any] = {
            "Status": state, "InstanceAccessControlAttributeConfiguration": attrs,
        }
        if reason:
            answer["StatusReason"] = reason
        sso.add_response("describe_instance_access_control_attribute_configuration", answer,
                         {"InstanceArn": INSTANCE})


def _abac() -> AccessControlAttributes:
    return AccessControlAttributes({"team": "${path:enterprise.department}"}, identity_center=IC)


def test_access_control_attributes_are_waited_for_until_enabled(
    ctx: AwsContext, sso: Stubber, sleeps: list[float]
) -> None:
    _abac_steps(sso, ("CREATION_IN_PROGRESS", None), ("CREATION_IN_PROGRESS", None),
                ("ENABLED", None))
    abac = _abac()
    abac.create(ctx, abac.desired(ctx))
    assert sleeps == [1.0, 2.0]


def test_access_control_attributes_whose_creation_fails_raise_aws_reason(
    ctx: AwsContext, sso: Stubber, sleeps: list[float]
) -> None:
    _abac_steps(sso, ("CREATION_IN_PROGRESS", None),
                ("CREATION_FAILED", "attribute path enterprise.department is not mapped"))
    abac = _abac()
    with pytest.raises(ProvisioningError) as caught:
        abac.create(ctx, abac.desired(ctx))
    assert caught.value.operation == "CreateInstanceAccessControlAttributeConfiguration"
    assert caught.value.reason == "attribute path enterprise.department is not mapped"
    assert sleeps == [1.0]
