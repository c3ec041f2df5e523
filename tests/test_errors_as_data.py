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
        code="AccessDenied", message=failure.message,
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
