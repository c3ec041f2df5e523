"""Errors as data: ConvergenceError.applied/.failed/.not_attempted, AWSCallError.code
and .operation, and the same fields in the CLI's ``-o json`` errors."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.cli import _error_data


def _deny(session: boto3.Session, operation: str, name: str) -> None:
    """AWS answers ``operation`` for the policy ``name`` with AccessDenied."""

    def handler(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if params.get("body", {}).get("PolicyName") != name:
            return None
        return AWSResponse("https://iam.invalid", 403, {}, None), {
            "Error": {"Code": "AccessDenied", "Message": f"not allowed to touch {name}"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    session.events.register(f"before-call.iam.{operation}", handler)


def _blueprint() -> sm.Blueprint:
    doc = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::b")])
    denied = sm.ManagedPolicy("denied", document=doc)
    return sm.Blueprint(
        "data",
        [
            sm.Compute("c-ok", buckets=["b-data"]).role(),
            denied,
            sm.Role("c-after", policies=[doc], managed_policies=[denied]),
        ],
        max_workers=1, retry=RetryPolicy(sleep=lambda _: None),
    )


def test_a_failed_apply_says_what_was_applied_what_failed_and_what_was_not_attempted(
    session: boto3.Session,
) -> None:
    _deny(session, "CreatePolicy", "denied")
    with pytest.raises(sm.ConvergenceError) as caught:
        _blueprint().apply(session)
    err = caught.value

    assert [c.key for c in err.applied] == ["iam-role/c-ok"]
    [failure] = err.failed
    assert failure == sm.Failure(
        resource="iam-policy/denied", action="create", operation="CreatePolicy",
        code="AccessDenied", message=failure.message, error="AWSCallError",
    )
    assert "not allowed to touch denied" in failure.message
    assert [c.key for c in err.not_attempted] == ["iam-role/c-after"]
    assert err.to_dict() == {
        "applied": [{"action": "create", "key": "iam-role/c-ok"}],
        "failed": [failure.to_dict()],
        "not_attempted": [{"action": "create", "key": "iam-role/c-after"}],
    }
    cause = err.__cause__
    assert isinstance(cause, sm.AWSCallError)
    assert (cause.code, cause.operation) == ("AccessDenied", "CreatePolicy")


def test_json_errors_carry_the_same_fields(session: boto3.Session) -> None:
    _deny(session, "CreatePolicy", "denied")
    with pytest.raises(sm.ConvergenceError) as caught:
        _blueprint().apply(session)

    [item] = json.loads(json.dumps(_error_data(caught.value)))

    assert item["type"] == "ConvergenceError"
    assert item["failed"][0]["code"] == "AccessDenied"
    assert item["failed"][0]["operation"] == "CreatePolicy"
    assert item["not_attempted"] == [{"action": "create", "key": "iam-role/c-after"}]
    aws = sm.AWSCallError("IAM role x", "GetRole", "Throttling: slow", code="Throttling")
    assert _error_data(aws) == [{
        "type": "AWSCallError", "message": "IAM role x: GetRole failed: Throttling: slow",
        "resource": "IAM role x", "operation": "GetRole", "code": "Throttling",
        "detail": "Throttling: slow",
    }]


def test_a_refused_resource_in_json_names_the_field_without_parsing_the_message() -> None:
    with pytest.raises(sm.ValidationError) as caught:
        sm.PermissionSet(name="ok", session_duration="PT13H")
    [item] = json.loads(json.dumps(_error_data(caught.value)))
    assert item["type"] == "ValidationError"
    assert item["path"] == ["session_duration"]
    assert item["value"] == "PT13H"
    assert item["message"].startswith("permission set 'ok': session_duration: 'PT13H'")
    assert item["detail"].startswith("permission set 'ok': 'PT13H'")  # the path says where
def test_a_refusal_is_not_a_failed_call_and_says_what_to_do(session: boto3.Session) -> None:
    """Pruning a managed policy still attached to a role the blueprint does not own
    is refused before any change: a RefusalError (an OwnershipError, not an
    AWSCallError) whose hint is not adopt=True, which would not help."""
    doc = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::b")])
    retry = RetryPolicy(sleep=lambda _: None)
    sm.Blueprint("data", [sm.ManagedPolicy("shared", document=doc)], retry=retry).apply(session)
    iam = session.client("iam")
    arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    iam.create_role(RoleName="theirs", AssumeRolePolicyDocument=json.dumps(
        sm.Compute("x", buckets=["b-data"]).trust_policy().to_dict()))
    iam.attach_role_policy(RoleName="theirs", PolicyArn=arn)
    rest = sm.Blueprint("data", [sm.Compute("c-ok", buckets=["b-data"]).role()], retry=retry)

    with pytest.raises(sm.ConvergenceError) as caught:
        rest.apply(session, prune=True)

    refusal = caught.value.__cause__
    assert isinstance(refusal, sm.RefusalError)
    assert isinstance(refusal, sm.OwnershipError)
    assert not isinstance(refusal, sm.AWSCallError)
    assert (refusal.operation, refusal.hint) == (
        "DeletePolicy", "detach it there first, then apply again"
    )
    assert "role theirs" in refusal.detail
    assert "adopt" not in str(refusal)
    [failed] = caught.value.failed
    assert (failed.error, failed.operation, failed.code) == ("RefusalError", "DeletePolicy", None)
    [item] = json.loads(json.dumps(_error_data(caught.value)))
    assert item["failed"][0]["error"] == "RefusalError"
    assert _error_data(refusal) == [{
        "type": "RefusalError", "message": str(refusal), "resource": refusal.resource,
        "operation": "DeletePolicy", "detail": refusal.detail,
        "hint": "detach it there first, then apply again",
    }]
    assert iam.list_attached_role_policies(RoleName="theirs")["AttachedPolicies"]
