"""``remote=``: the same request through IAM's SimulateCustomPolicy, both verdicts kept.

moto has no policy simulator, so botocore's Stubber answers for IAM: each test
checks the exact request secureml sends and how it reads the answer. The
session has throw-away keys; nothing reaches the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from secureml.cli import main
from secureml.policy import evaluate

DOC = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
OBJ = "arn:aws:s3:::data/x.csv"
EXAMPLE = str(Path(__file__).resolve().parent.parent / "examples" / "ml-platform.yaml")


@pytest.fixture
def iam() -> Iterator[tuple[boto3.Session, Stubber]]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    client = session.client("iam")
    stubber = Stubber(client)
    # The evaluator makes its client from the session: hand it the stubbed one.
    session.client = lambda *args, **kwargs: client  # type: ignore[method-assign]
    with stubber:
        yield session, stubber
    stubber.assert_no_pending_responses()


def _answer(decision: str, missing: list[str] | None = None) -> dict[str, Any]:
    return {"EvaluationResults": [{
        "EvalActionName": "s3:GetObject", "EvalResourceName": OBJ, "EvalDecision": decision,
        "MatchedStatements": [{"SourcePolicyId": "PolicyInputList.1",
                               "StartPosition": {"Line": 1, "Column": 40},
                               "EndPosition": {"Line": 1, "Column": 200}}]
        if decision == "allowed" else [],
        "MissingContextValues": missing or []}], "IsTruncated": False}


def test_both_verdicts_and_the_request_sent(iam: tuple[boto3.Session, Stubber]) -> None:
    session, stubber = iam
    context = {"aws:SourceIp": "10.1.2.3", "aws:TagKeys": ["team"], "s3:max-keys": "5"}
    stubber.add_response("simulate_custom_policy", _answer("allowed"), {
        "PolicyInputList": [json.dumps(DOC, separators=(",", ":"))],
        "ActionNames": ["s3:GetObject"],
        "ResourceArns": [OBJ],
        "ContextEntries": [
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"],
             "ContextKeyType": "ip"},
            {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["team"],
             "ContextKeyType": "stringList"},
            {"ContextKeyName": "s3:max-keys", "ContextKeyValues": ["5"],
             "ContextKeyType": "numeric"},
        ],
    })
    e = evaluate(DOC, "s3:GetObject", OBJ, context, remote=session)
    assert e.decision == "allowed"
    assert e.remote is not None
    assert e.remote.decision == "allowed"
    assert e.remote.matched == ("PolicyInputList.1:1:40",)
    assert e.agrees is True
    assert "IAM SimulateCustomPolicy: ALLOWED (agrees)" in e.explain()
    assert e.to_dict()["remote"]["agrees"] is True


def test_a_disagreement_is_shown(iam: tuple[boto3.Session, Stubber]) -> None:
    session, stubber = iam
    stubber.add_response("simulate_custom_policy",
                         _answer("implicitDeny", missing=["aws:SourceIp"]))
    e = evaluate(DOC, "s3:GetObject", OBJ, {"aws:SourceIp": "10.1.2.3"}, remote=session)
    assert e.decision == "allowed"
    assert e.remote is not None
    assert e.remote.decision == "implicit_deny"
    assert e.agrees is False
    text = e.explain()
    assert "DISAGREES with the local evaluator" in text
    assert "IAM says the request lacks: aws:SourceIp" in text


def test_boundary_and_star_resource(iam: tuple[boto3.Session, Stubber]) -> None:
    session, stubber = iam
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
    stubber.add_response("simulate_custom_policy", _answer("explicitDeny"), {
        "PolicyInputList": [json.dumps(doc, separators=(",", ":"))],
        "PermissionsBoundaryPolicyInputList": [json.dumps(boundary, separators=(",", ":"))],
        "ActionNames": ["s3:ListAllMyBuckets"],
        "ContextEntries": [],
    })
    e = evaluate(doc, "s3:ListAllMyBuckets", "*", boundary=boundary, remote=session)
    assert e.decision == "allowed"
    assert e.remote is not None
    assert e.remote.decision == "explicit_deny"


def test_without_remote_no_call_is_made(iam: tuple[boto3.Session, Stubber]) -> None:
    # No response queued: any call would fail the test.
    assert evaluate(DOC, "s3:GetObject", OBJ, {"aws:SourceIp": "10.1.2.3"}).remote is None


def test_cli_remote_shows_both_verdicts(
    iam: tuple[boto3.Session, Stubber], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, stubber = iam
    monkeypatch.setattr("secureml.cli._session.make_session", lambda **kwargs: session)
    stubber.add_response("simulate_custom_policy", _answer("allowed"))
    code = main(["explain", EXAMPLE, "--persona", "team-a-ds",
                 "--action", "s3:GetObject", "--resource", "arn:aws:s3:::team-a-data/x",
                 "--account-id", "123456789012", "--remote", "-o", "json"])
    out = capsys.readouterr().out
    assert code == 0, out
    data = json.loads(out)
    assert data["remote"] == {"decision": "allowed", "agrees": True,
                              "matched": ["PolicyInputList.1:1:40"], "missing_context": []}
