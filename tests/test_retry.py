"""Retry rules: throttling, 5xx, conflicts, network errors and IAM's eventual
consistency, with an injected sleep so nothing really waits.

Errors are injected through botocore's own ``before-call`` event: a handler that
returns an HTTP error response makes the real client raise the real
``ClientError``, exactly as if AWS had answered so."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.stub import Stubber

import secureml as sm
from secureml.aws import AwsContext, RetryPolicy, is_retryable
from secureml.testing import CallRecorder


class Sleeps(list[float]):
    """The injected sleep: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def error(code: str, status: int = 400, operation: str = "Op") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def failing(errors: list[BaseException], result: str = "ok") -> Callable[[], str]:
    def fn() -> str:
        if errors:
            raise errors.pop(0)
        return result

    return fn


def inject(session: boto3.Session, event: str, codes: list[str], status: int = 400) -> list[str]:
    """Answer the next calls matching ``event`` with these error codes, then let calls through."""
    remaining = list(codes)
    seen: list[str] = []

    def handler(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        seen.append(model.name)
        if not remaining:
            return None
        code = remaining.pop(0)
        response = AWSResponse("https://example.invalid", status, {}, None)
        return response, {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    session.events.register(f"before-call.{event}", handler)
    return seen


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        error("Throttling"),
        error("ThrottlingException"),
        error("TooManyRequestsException"),
        error("ConflictException", 409),
        error("ConcurrentModification"),
        error("SomethingNew", 503),
        error("InternalFailure", 500),
        error("RequestTimeout"),
        error("SlowDownPlease", 429),
        EndpointConnectionError(endpoint_url="https://iam.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://iam.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://iam.amazonaws.com"),
        ResponseStreamingError(error="connection reset"),
    ],
)
def test_transient_errors_are_retried(exc: BaseException) -> None:
    assert is_retryable(exc)
    sleeps = Sleeps()
    assert RetryPolicy(sleep=sleeps).call(failing([exc, exc])) == "ok"
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "code", ["AccessDenied", "NoSuchEntity", "ValidationError", "LimitExceeded"]
)
def test_other_errors_are_not_retried(code: str) -> None:
    sleeps = Sleeps()
    with pytest.raises(ClientError) as err:
        RetryPolicy(sleep=sleeps).call(failing([error(code)]))
    assert err.value.response["Error"]["Code"] == code
    assert sleeps == []


def test_eventual_consistency_codes_are_retried_only_when_asked() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(sleep=sleeps)
    assert (
        policy.call(failing([error("NoSuchEntity")]), extra_codes=frozenset({"NoSuchEntity"}))
        == "ok"
    )
    assert len(sleeps) == 1


def test_backoff_is_jittered_exponential_and_capped() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(initial=1.0, maximum=5.0, max_attempts=7, sleep=sleeps)
    with pytest.raises(ClientError):
        policy.call(failing([error("Throttling")] * 10))
    assert len(sleeps) == 6  # 7 attempts
    for attempt, wait in enumerate(sleeps, start=1):
        assert 0 <= wait <= min(5.0, 1.0 * 2 ** (attempt - 1))


def test_jitter_spreads_the_waits() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(initial=1.0, maximum=64.0, max_attempts=2, sleep=sleeps)
    for _ in range(20):
        with pytest.raises(ClientError):
            policy.call(failing([error("Throttling")] * 2))
    assert len(set(sleeps)) > 1


def test_total_time_is_bounded() -> None:
    # No wait may start that would end past max_delay: with 0 there is no retry at all.
    sleeps = Sleeps()
    with pytest.raises(ClientError):
        RetryPolicy(max_delay=0, sleep=sleeps).call(failing([error("Throttling")] * 3))
    assert sleeps == []


def test_the_waits_together_stay_within_max_delay_even_with_an_injected_sleep() -> None:
    # Each wait alone is far below max_delay and the attempts are many: only the
    # running total of the waits asked for can stop the retries in time.
    for _ in range(20):
        sleeps = Sleeps()
        policy = RetryPolicy(initial=2.0, maximum=8.0, max_attempts=100, max_delay=30.0,
                             sleep=sleeps)
        with pytest.raises(ClientError):
            policy.call(failing([error("Throttling")] * 200))
        assert 0 < sum(sleeps) <= 30.0
        assert len(sleeps) < 99


def test_default_policy_gives_up_within_two_minutes_of_waiting() -> None:
    sleeps = Sleeps()
    with pytest.raises(ClientError) as err:
        RetryPolicy(sleep=sleeps).call(failing([error("Throttling", 400)] * 50))
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert len(sleeps) == RetryPolicy().max_attempts - 1
    assert sum(sleeps) <= RetryPolicy().max_delay


# -- through a real client ------------------------------------------------------------------


def ctx_for(session: boto3.Session, sleeps: Sleeps) -> AwsContext:
    return AwsContext(session=session, blueprint="bp", retry=RetryPolicy(sleep=sleeps))


def test_a_throttled_client_call_is_retried(session: boto3.Session, calls: CallRecorder) -> None:
    sleeps = Sleeps()
    inject(session, "iam.ListRoles", ["Throttling", "ServiceUnavailable"], status=400)
    ctx = ctx_for(session, sleeps)
    assert ctx.call("iam", "list_roles")["Roles"] == []
    assert len(sleeps) == 2
    assert calls.operations() == ["iam:ListRoles"] * 3


def test_paginate_follows_every_marker_and_retries_one_page(
    session: boto3.Session, calls: CallRecorder
) -> None:
    iam = session.client("iam")
    for i in range(5):
        iam.create_role(RoleName=f"r{i}", AssumeRolePolicyDocument="{}")
    calls.clear()
    sleeps = Sleeps()
    ctx = ctx_for(session, sleeps)
    seen = inject(session, "iam.ListRoles", [])
    names = [r["RoleName"] for r in ctx.paginate("iam", "list_roles", "Roles", MaxItems=2)]
    assert sorted(names) == [f"r{i}" for i in range(5)]
    assert len(seen) == 3

    # The second page throttled once: only that page is asked again.
    calls.clear()
    pages: list[dict[str, Any]] = []
    throttle_second: list[int] = []

    def second_page(model: Any, params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body") or {}
        if body.get("Marker") and not throttle_second:
            throttle_second.append(1)
            return AWSResponse("https://example.invalid", 400, {}, None), {
                "Error": {"Code": "Throttling", "Message": "slow down"}
            }
        pages.append(body)
        return None

    # The context's client exists by now: botocore copied the session's handlers into
    # it when it was made, so this one goes on the client itself.
    ctx.client("iam").meta.events.register("before-call.iam.ListRoles", second_page)
    names = [r["RoleName"] for r in ctx.paginate("iam", "list_roles", "Roles", MaxItems=2)]
    assert sorted(names) == [f"r{i}" for i in range(5)]
    assert len(sleeps) == 1
    assert len(pages) == 3
    assert calls.operations().count("iam:ListRoles") == 4


def test_botocore_paginator_retries_a_throttled_page_and_keeps_its_config() -> None:
    """Stubbed: IAM pages with Marker/IsTruncated (botocore's paginator model) at
    PaginationConfig's PageSize; the second page is throttled once and only it is
    asked again; every item arrives once."""
    session = boto3.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    sleeps = Sleeps()
    ctx = ctx_for(session, sleeps)
    arn = "arn:aws:iam::111122223333:policy/p"

    def page(name: str, marker: str | None) -> dict[str, Any]:
        return {
            "PolicyRoles": [{"RoleName": name, "RoleId": f"AROA{name * 16}"}],
            "IsTruncated": marker is not None,
            **({"Marker": marker} if marker else {}),
        }

    with Stubber(ctx.client("iam")) as stub:
        first = {"PolicyArn": arn, "MaxItems": 1}
        stub.add_response("list_entities_for_policy", page("a", "m1"), first)
        stub.add_client_error(
            "list_entities_for_policy", "Throttling", http_status_code=400,
            expected_params={**first, "Marker": "m1"},
        )
        stub.add_response("list_entities_for_policy", page("b", "m2"), {**first, "Marker": "m1"})
        stub.add_response("list_entities_for_policy", page("c", None), {**first, "Marker": "m2"})
        roles = [
            r["RoleName"]
            for r in ctx.paginate("iam", "list_entities_for_policy", "PolicyRoles",
                                  PolicyArn=arn, PaginationConfig={"PageSize": 1})
        ]
        stub.assert_no_pending_responses()
    assert roles == ["a", "b", "c"]
    assert len(sleeps) == 1


def test_account_id_is_read_once_even_from_many_threads(
    session: boto3.Session, calls: CallRecorder
) -> None:
    ctx = ctx_for(session, Sleeps())
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(ctx.account_id)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["123456789012"] * 8
    assert calls.operations() == ["sts:GetCallerIdentity"]
    # A context for another region (S3 buckets, Identity Center) knows it too.
    regional = ctx.for_region("eu-west-1")
    assert regional.region == "eu-west-1"
    assert regional.account_id == "123456789012"
    assert regional.for_region("ap-south-1").account_id == "123456789012"
    assert ctx.for_region("eu-west-1") is regional
    assert regional.for_region("us-east-1") is ctx
    assert regional.for_region("ap-south-1") is ctx.for_region("ap-south-1")
    assert calls.operations() == ["sts:GetCallerIdentity"]


# -- IAM eventual consistency during apply -------------------------------------------------


def test_attach_right_after_create_is_retried_on_no_such_entity(
    session: boto3.Session, calls: CallRecorder
) -> None:
    sleeps = Sleeps()
    inject(session, "iam.AttachRolePolicy", ["NoSuchEntity", "NoSuchEntity"])
    role = sm.Compute("c", buckets=["b-data"]).role()
    sm.Blueprint("bp", [role], retry=RetryPolicy(sleep=sleeps)).apply(session)
    assert len(sleeps) == 2
    assert calls.operations().count("iam:AttachRolePolicy") == 3
    iam = session.client("iam")
    assert len(iam.list_attached_role_policies(RoleName="c")["AttachedPolicies"]) == 1


def test_a_trust_policy_naming_a_new_role_is_retried_when_iam_calls_it_malformed(
    session: boto3.Session, calls: CallRecorder
) -> None:
    sleeps = Sleeps()
    trust = sm.PolicyDocument(
        [
            sm.Statement(
                actions="sts:AssumeRole",
                principals={"AWS": "arn:aws:iam::123456789012:role/just-made"},
            )
        ]
    )
    doc = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::b")])
    inject(session, "iam.CreateRole", ["MalformedPolicyDocument"])
    sm.Blueprint(
        "bp",
        [sm.Role("assumer", policies=[doc], trust_policy=trust)],
        retry=RetryPolicy(sleep=sleeps),
    ).apply(session)
    assert len(sleeps) == 1
    assert calls.operations().count("iam:CreateRole") == 2


def test_a_malformed_trust_policy_without_new_principals_fails_at_once(
    session: boto3.Session,
) -> None:
    sleeps = Sleeps()
    inject(session, "iam.CreateRole", ["MalformedPolicyDocument"])
    bp = sm.Blueprint(
        "bp", [sm.Compute("c", buckets=["b-data"]).role()], retry=RetryPolicy(sleep=sleeps)
    )
    with pytest.raises(sm.ConvergenceError, match="MalformedPolicyDocument") as err:
        bp.apply(session)
    assert isinstance(err.value.__cause__, sm.AWSCallError)
    assert err.value.__cause__.operation == "CreateRole"
    assert sleeps == []


@pytest.mark.parametrize(
    "case",
    [
        ("iam.CreateRole", "AccessDenied", "CreateRole", "creating it"),
        ("iam.CreatePolicy", "LimitExceeded", "CreatePolicy", "creating it"),
        ("iam.GetRole", "AccessDenied", "GetRole", "reading it"),
    ],
)
def test_a_call_that_cannot_succeed_fails_at_once_naming_resource_and_operation(
    session: boto3.Session, calls: CallRecorder, case: tuple[str, str, str, str]
) -> None:
    event, code, operation, during = case
    sleeps = Sleeps()
    if operation == "GetRole":
        # A plan reads roles from its IAM snapshot; denied that, it reads each role.
        inject(session, "iam.GetAccountAuthorizationDetails", ["AccessDenied"] * 5, 403)
    inject(session, event, [code] * 5, status=403)
    bp = sm.Blueprint(
        "bp", [sm.Compute("c", buckets=["b-data"]).role()], retry=RetryPolicy(sleep=sleeps)
    )
    with pytest.raises(sm.SecureMLError) as err:
        bp.apply(session)
    cause = err.value if isinstance(err.value, sm.AWSCallError) else err.value.__cause__
    assert isinstance(cause, sm.AWSCallError)
    assert (cause.resource, cause.operation) == ("IAM role c", operation)
    assert str(cause) == (
        f"IAM role c: {operation} failed: {code}: injected {code} (while {during})"
    )
    assert sleeps == []
    assert calls.operations().count(f"iam:{operation}") == 1
