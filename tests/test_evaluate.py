"""The local evaluator: decisions, explanations and the catalogue's checks.

The examples of the IAM policy reference are in test_evaluate_reference.py;
the properties (adding an Allow never denies...) in test_evaluate_properties.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import secureml as sm
from secureml.errors import ValidationError
from secureml.policy import Evaluation, PolicyDocument, Statement, evaluate

BUCKET = "arn:aws:s3:::team-a-data"
JOB = "arn:aws:sagemaker:us-east-1:111122223333:training-job/t1"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


Strs = str | list[str]


def _allow(action: Strs, resource: Strs = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: Strs, resource: Strs = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# -- decisions ----------------------------------------------------------------------------------


def test_allowed_explicit_and_implicit_deny() -> None:
    doc = _doc(_allow("s3:*", f"{BUCKET}/*"), _deny("s3:DeleteObject", f"{BUCKET}/*"))
    assert evaluate(doc, "s3:GetObject", f"{BUCKET}/x").decision == "allowed"
    assert evaluate(doc, "s3:DeleteObject", f"{BUCKET}/x").decision == "explicit_deny"
    assert evaluate(doc, "s3:GetObject", "arn:aws:s3:::other/x").decision == "implicit_deny"
    assert evaluate([], "s3:GetObject", f"{BUCKET}/x").decision == "implicit_deny"


def test_documents_in_every_form() -> None:
    doc = _doc(_allow("s3:GetObject", f"{BUCKET}/*"))
    forms: list[Any] = [
        doc, json.dumps(doc), PolicyDocument.from_json(doc),
        [doc], (PolicyDocument.from_json(doc),), [json.dumps(doc)],
    ]
    for form in forms:
        assert evaluate(form, "s3:GetObject", f"{BUCKET}/x").allowed, form
    with pytest.raises(ValidationError, match="not a policy document"):
        evaluate([42], "s3:GetObject", f"{BUCKET}/x")  # type: ignore[list-item]


def test_deny_in_another_document_wins() -> None:
    docs = [_doc(_allow("s3:GetObject", f"{BUCKET}/*")), _doc(_deny("s3:*", "*"))]
    e = evaluate(docs, "s3:GetObject", f"{BUCKET}/x")
    assert e.decision == "explicit_deny"
    assert [(s.document, s.index) for s in e.deciding_statements] == [(1, 0)]


def test_actions_ignore_case_arns_do_not() -> None:
    doc = _doc(_allow("S3:getobject", f"{BUCKET}/Data/*"))
    assert evaluate(doc, "s3:GetObject", f"{BUCKET}/Data/x").allowed
    assert not evaluate(doc, "s3:GetObject", f"{BUCKET}/data/x").allowed


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::team-?-data/*", f"{BUCKET}/x", True),
        ("arn:aws:s3:::team-??-data/*", f"{BUCKET}/x", False),
        ("arn:aws:sagemaker:*:111122223333:training-job/*", JOB, True),
        ("arn:aws:sagemaker:us-east-?:*:training-job/t?", JOB, True),
        ("arn:aws:sagemaker:us-east-1:111122223333:training-job/t", JOB, False),
        ("arn:aws:sagemaker:us-east-1:111122223333:*", JOB, True),
        ("arn:aws:sagemaker:us-east-1:*:model/*", JOB, False),
        # a "*" inside a part stays inside it ...
        ("arn:aws:sagemaker:us-*1:training-job/t1", JOB, False),
        # ... a "*" ending a part may run past its colons (IAM reference, Resource element)
        ("arn:aws:sagemaker:*", JOB, True),
        ("arn:aws:logs:*:*:log-group:/aws/sagemaker/*", "arn:aws:logs:us-east-1:1:"
         "log-group:/aws/sagemaker/TrainingJobs:log-stream:t1/algo-1", True),
        ("*", JOB, True),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, expected: bool) -> None:
    doc = _doc(_allow("sagemaker:*", pattern), _allow("s3:*", pattern), _allow("logs:*", pattern))
    action = {"s3": "s3:GetObject", "sagemaker": "sagemaker:DescribeTrainingJob"}.get(
        resource.split(":")[2], "logs:GetLogEvents"
    )
    assert evaluate(doc, action, resource).allowed is expected


def test_not_action_and_not_resource() -> None:
    doc = _doc(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, f"{BUCKET}/*"]},
    )
    assert evaluate(doc, "s3:GetObject", f"{BUCKET}/x").allowed
    assert evaluate(doc, "s3:GetObject", "arn:aws:s3:::other/x").decision == "explicit_deny"
    assert evaluate(doc, "iam:CreateUser", "arn:aws:iam::111122223333:user/x").decision == (
        "implicit_deny"
    )


def test_boundary_is_an_intersection() -> None:
    identity = _doc(_allow(["s3:GetObject", "s3:PutObject"], f"{BUCKET}/*"))
    boundary = _doc(_allow(["s3:GetObject", "sagemaker:*"], "*"))
    get = evaluate(identity, "s3:GetObject", f"{BUCKET}/x", boundary=boundary)
    put = evaluate(identity, "s3:PutObject", f"{BUCKET}/x", boundary=boundary)
    job = evaluate(identity, "sagemaker:DescribeTrainingJob", JOB, boundary=boundary)
    assert get.allowed
    assert {s.source for s in get.deciding_statements} == {"identity", "boundary"}
    assert put.decision == "implicit_deny"
    assert "the permissions boundary does not" in put.explain()
    assert job.decision == "implicit_deny"
    assert "no identity policy does" in job.explain()
    denying = _doc(_allow("*", "*"), _deny("s3:GetObject", "*"))
    assert evaluate(identity, "s3:GetObject", f"{BUCKET}/x", boundary=denying).decision == (
        "explicit_deny"
    )


# -- explanations -------------------------------------------------------------------------------


def test_explain_names_the_failed_condition_and_why() -> None:
    doc = _doc(
        _allow("sagemaker:CreateTrainingJob", "*", Sid="InVpc",
               Condition={"StringEquals": {"sagemaker:VpcSubnets": ["subnet-1", "subnet-2"]}}),
    )
    missing = evaluate(doc, "sagemaker:CreateTrainingJob", JOB)
    assert missing.decision == "implicit_deny"
    (stmt, cond), = missing.failed_conditions
    assert stmt.statement.sid == "InVpc"
    assert cond.missing
    text = missing.explain()
    assert 'statement 1 (Sid "InVpc")' in text
    assert "sagemaker:VpcSubnets is missing from the request" in text
    wrong = evaluate(doc, "sagemaker:CreateTrainingJob", JOB, {"sagemaker:VpcSubnets": "subnet-9"})
    (_, cond), = wrong.failed_conditions
    assert not cond.missing
    assert cond.unmatched == ("subnet-9",)
    assert "'subnet-9' does not satisfy StringEquals" in wrong.explain()


def test_explain_of_an_allow_and_of_nothing() -> None:
    doc = _doc(_allow("s3:GetObject", f"{BUCKET}/*", Sid="Read"))
    assert 'decided by identity policy 1, statement 1 (Sid "Read")' in evaluate(
        doc, "s3:GetObject", f"{BUCKET}/x"
    ).explain()
    assert "no statement names this action" in evaluate(
        doc, "s3:PutObject", f"{BUCKET}/x"
    ).explain()


def test_to_dict_is_json() -> None:
    secure = {"Bool": {"aws:SecureTransport": True}}
    doc = _doc(_allow("s3:GetObject", f"{BUCKET}/*", Condition=secure))
    data = evaluate(doc, "s3:GetObject", f"{BUCKET}/x", {"aws:SecureTransport": False}).to_dict()
    json.dumps(data)
    assert data["decision"] == "implicit_deny"
    assert data["near_misses"][0]["conditions"][0]["passed"] is False


# -- the request against the catalogue --------------------------------------------------------


def test_unknown_action_is_a_warning_or_an_error() -> None:
    doc = _doc(_allow("sagemaker:*"))
    e = evaluate(doc, "sagemaker:CreateTrainingJobs", JOB)
    assert any("not an action of sagemaker" in w for w in e.warnings)
    with pytest.raises(ValidationError, match="CreateTrainingJobs"):
        evaluate(doc, "sagemaker:CreateTrainingJobs", JOB, strict=True)


def test_resource_of_the_wrong_type_is_reported() -> None:
    doc = _doc(_allow("sagemaker:*"))
    e = evaluate(doc, "sagemaker:CreateTrainingJob",
                 "arn:aws:sagemaker:us-east-1:111122223333:model/m")
    assert any("is not a resource sagemaker:CreateTrainingJob is authorized against" in w
               for w in e.warnings)
    assert any("carries the resource's ARN" in w
               for w in evaluate(doc, "sagemaker:CreateTrainingJob", "*").warnings)
    assert any("supports no resource-level permission" in w
               for w in evaluate(doc, "sagemaker:ListTrainingJobs", JOB).warnings)
    assert evaluate(doc, "sagemaker:ListTrainingJobs", "*").warnings == ()
    assert evaluate(doc, "sagemaker:CreateTrainingJob", JOB).warnings == ()


def test_context_key_the_action_does_not_take_is_reported() -> None:
    doc = _doc(_allow("sagemaker:*"))
    e = evaluate(doc, "sagemaker:DescribeTrainingJob", JOB, {"sagemaker:VpcSubnets": ["s"]})
    assert any("sagemaker:VpcSubnets is not one sagemaker:DescribeTrainingJob takes" in w
               for w in e.warnings)
    # global keys are taken by every action; tag keys only where the reference lists them
    assert evaluate(doc, "sagemaker:DescribeTrainingJob", JOB, {"aws:SourceIp": "10.0.0.1",
                    "aws:ResourceTag/team": "a"}).warnings == ()
    assert evaluate(doc, "sagemaker:DescribeTrainingJob", JOB,
                    {"aws:RequestTag/team": "a"}).warnings != ()


def test_service_outside_the_catalogue_is_said_to_be_unchecked() -> None:
    e = evaluate(_doc(_allow("example:*")), "example:DoThing", "*")
    assert e.allowed
    assert any("does not cover the service 'example'" in w for w in e.warnings)


@pytest.mark.parametrize("action", ["s3:*", "s3", "*", "s3:Get?bject"])
def test_request_action_has_no_wildcard(action: str) -> None:
    with pytest.raises(ValidationError, match="a request names one action"):
        evaluate(_doc(_allow("s3:*")), action, "*")


def test_bad_context_value() -> None:
    with pytest.raises(ValidationError, match="not a string, bool, number"):
        evaluate(_doc(_allow("s3:*")), "s3:GetObject", f"{BUCKET}/x", {"k": {"a": 1}})  # type: ignore[dict-item]


# -- personas -----------------------------------------------------------------------------------


def test_persona_evaluate_uses_its_own_packed_documents() -> None:
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
    where = {"account_id": "111122223333", "region": "us-east-1"}
    e = ds.evaluate("s3:GetObject", f"{BUCKET}/x.csv", **where)
    assert isinstance(e, Evaluation)
    assert e.allowed
    assert not ds.evaluate("s3:GetObject", "arn:aws:s3:::team-b-data/x.csv", **where).allowed
    passed = ds.evaluate(
        "iam:PassRole", "arn:aws:iam::111122223333:role/team-a-compute",
        {"iam:PassedToService": "sagemaker.amazonaws.com"}, **where,
    )
    assert passed.allowed, passed.explain()
    elsewhere = ds.evaluate(
        "iam:PassRole", "arn:aws:iam::111122223333:role/team-a-compute",
        {"iam:PassedToService": "ec2.amazonaws.com"}, **where,
    )
    assert not elsewhere.allowed
    assert "iam:PassedToService" in elsewhere.explain()


def test_statement_values_work_too() -> None:
    doc = PolicyDocument([Statement(actions="s3:GetObject", resources=f"{BUCKET}/*")])
    assert evaluate(doc, "s3:GetObject", f"{BUCKET}/x").allowed
