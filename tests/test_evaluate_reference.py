"""The evaluator against the documented examples of the IAM policy reference.

Each test takes its policy from an AWS documentation page (cited in its
docstring) and checks the evaluator reaches the verdict the page gives for
each request. Where a page gives a table of requests and results, every row
is a case.
"""

from __future__ import annotations

from typing import Any

import pytest

from secureml.policy import evaluate

ACCOUNT = "111122223333"



def _policy(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def _allowed(policy: Any, action: str, resource: str, context: dict[str, Any] | None = None,
             **kw: Any) -> bool:
    return evaluate(policy, action, resource, context, **kw).allowed


# -- condition operators ------------------------------------------------------------------------

INSTANCE = "arn:aws:ec2:us-east-1:111122223333:instance"
ACCESS_KEYS = _policy({
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": f"arn:aws:iam::{ACCOUNT}:user/*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
})
USER = f"arn:aws:iam::{ACCOUNT}:user/ana"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"aws:PrincipalTag/job-category": "iamuser-admin"}, True),
        ({"aws:PrincipalTag/job-category": "dev-ops"}, False),
        ({"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"}, False),  # case-sensitive
        ({}, False),  # key missing: the values do not match
    ],
)
def test_string_equals_principal_tag(context: dict[str, Any], expected: bool) -> None:
    """The String condition operators example (aws:PrincipalTag/job-category):
    without the tag in the request context the condition is false.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    assert _allowed(ACCESS_KEYS, "iam:CreateAccessKey", USER, context) is expected


def test_string_like_with_a_policy_variable() -> None:
    """StringLike on s3:prefix with ["", "home/", "home/${aws:username}/"]: the user
    lists the bucket root, home/ and their own folder, nobody else's.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
        "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}},
    })
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    for prefix, expected in [("", True), ("home/", True), ("home/ana/", True),
                             ("home/bob/", False), ("home/ana/x/", False)]:
        context = {"s3:prefix": prefix, "aws:username": "ana"}
        assert _allowed(policy, "s3:ListBucket", bucket, context) is expected, prefix


@pytest.mark.parametrize(("value", "expected"), [("10", True), ("3", True), ("11", False),
                                                 ("ten", False), (None, False)])
def test_numeric_less_than_equals(value: str | None, expected: bool) -> None:
    """NumericLessThanEquals on s3:max-keys 10: at most ten keys per request.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
        "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}},
    })
    context = {} if value is None else {"s3:max-keys": value}
    assert _allowed(policy, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket", context) is (
        expected
    )


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        ("2020-01-01T00:00:02Z", True),
        ("2019-12-31T23:59:59Z", False),
        ("2020-01-01T00:00:01Z", False),  # greater than, not equal
        ("1893456000", True),  # epoch seconds (2030)
        (None, False),  # not temporary credentials: no aws:TokenIssueTime
    ],
)
def test_date_greater_than_token_issue_time(issued: str | None, expected: bool) -> None:
    """DateGreaterThan on aws:TokenIssueTime "2020-01-01T00:00:01Z" (dates in ISO 8601
    or epoch seconds).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "iam:*AccessKey*",
        "Resource": f"arn:aws:iam::{ACCOUNT}:user/*",
        "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
    })
    context = {} if issued is None else {"aws:TokenIssueTime": issued}
    assert _allowed(policy, "iam:CreateAccessKey", USER, context) is expected


@pytest.mark.parametrize(("secure", "expected"), [(True, "allowed"), ("true", "allowed"),
                                                  (False, "explicit_deny"),
                                                  (None, "allowed")])
def test_bool_secure_transport_deny(secure: Any, expected: str) -> None:
    """Bool on aws:SecureTransport "false" in a Deny: plain HTTP is refused; a request
    without the key is not (Bool is false for a missing key).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )
    context = {} if secure is None else {"aws:SecureTransport": secure}
    e = evaluate(policy, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/x", context)
    assert e.decision == expected


def test_binary_equals() -> None:
    """BinaryEquals compares base-64 encoded values byte for byte.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"BinaryEquals": {"s3:x-amz-content-sha256": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
    })
    obj = "arn:aws:s3:::b/x"
    good = {"s3:x-amz-content-sha256": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}
    bad = {"s3:x-amz-content-sha256": "T3RoZXJWYWx1ZQ=="}
    assert _allowed(policy, "s3:GetObject", obj, good)
    assert not _allowed(policy, "s3:GetObject", obj, bad)


@pytest.mark.parametrize(
    ("source", "expected"),
    [("203.0.113.7", True), ("203.0.114.7", False), ("2001:DB8:1234:5678::9", True),
     ("2001:db8:1234:5679::9", False), ("not-an-ip", False), (None, False)],
)
def test_ip_address(source: str | None, expected: bool) -> None:
    """IpAddress on aws:SourceIp with an IPv4 and an IPv6 CIDR range.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "iam:*AccessKey*",
        "Resource": f"arn:aws:iam::{ACCOUNT}:user/*",
        "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
    })
    context = {} if source is None else {"aws:SourceIp": source}
    assert _allowed(policy, "iam:CreateAccessKey", USER, context) is expected


def test_not_ip_address_with_a_missing_key_is_true() -> None:
    """NotIpAddress is a negated operator: a request without aws:SourceIp satisfies it
    (the Important box: a key absent from the context makes a negated condition true).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    deny = _policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}},
    )
    obj = "arn:aws:s3:::b/x"
    assert _allowed(deny, "s3:GetObject", obj, {"aws:SourceIp": "192.0.2.10"})
    assert not _allowed(deny, "s3:GetObject", obj, {"aws:SourceIp": "198.51.100.1"})
    assert evaluate(deny, "s3:GetObject", obj).decision == "explicit_deny"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"arn:aws:sns:us-east-1:{ACCOUNT}:topic-id", True),
        (f"arn:aws:sns:us-east-1:{ACCOUNT}:other-topic", False),
        ("arn:aws:sns:us-east-1:444455556666:topic-id", False),
        (None, False),
    ],
)
def test_arn_equals_source_arn(source: str | None, expected: bool) -> None:
    """ArnEquals on aws:SourceArn (the SQS queue that takes messages from one SNS topic).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "sqs:SendMessage",
        "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
        "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic-id"}},
    })
    context = {} if source is None else {"aws:SourceArn": source}
    assert _allowed(policy, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
                    context) is expected


def test_arn_like_matches_each_part_and_arn_not_like_holds_for_a_missing_key() -> None:
    """ArnLike: each of the six colon-delimited parts is matched separately, with * and ?;
    ArnNotLike with the key absent is true.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    like = _policy({
        "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}},
    })
    obj = "arn:aws:s3:::logs/x"
    ok = {"aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"}
    other_account = {"aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:444455556666:trail/main"}
    assert _allowed(like, "s3:PutObject", obj, ok)
    assert not _allowed(like, "s3:PutObject", obj, other_account)
    not_like = _policy({
        "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/*"}},
    })
    assert _allowed(not_like, "s3:PutObject", obj)
    assert not _allowed(not_like, "s3:PutObject", obj, ok)


@pytest.mark.parametrize(
    ("resource", "context", "expected"),
    [
        (f"{INSTANCE}/i-1", {"ec2:InstanceType": "t2.micro"}, True),
        (f"{INSTANCE}/i-1", {"ec2:InstanceType": "m5.large"}, False),
        # resources of the same request that have no instance type: the key is absent
        ("arn:aws:ec2:us-east-1:111122223333:volume/vol-1", {}, True),
    ],
)
def test_if_exists(resource: str, context: dict[str, Any], expected: bool) -> None:
    """StringLikeIfExists on ec2:InstanceType ["t1.*", "t2.*", "m3.*"]: checked where the
    key exists, true where it does not.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
        "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
    })
    assert _allowed(policy, "ec2:RunInstances", resource, context) is expected


def test_null_checks_whether_the_key_exists() -> None:
    """Null on aws:TokenIssueTime: "true" holds when the key is absent (long-term
    credentials), "false" when present.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    def policy(value: str) -> dict[str, Any]:
        return _policy({"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*",
                        "Condition": {"Null": {"aws:TokenIssueTime": value}}})
    temporary = {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}
    assert _allowed(policy("true"), "ec2:DescribeInstances", "*")
    assert not _allowed(policy("true"), "ec2:DescribeInstances", "*", temporary)
    assert _allowed(policy("false"), "ec2:DescribeInstances", "*", temporary)
    assert not _allowed(policy("false"), "ec2:DescribeInstances", "*")


def test_condition_keys_are_case_insensitive_values_are_not() -> None:
    """Condition key names are not case-sensitive; StringEquals values are.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"AWS:REQUESTEDREGION": "us-east-1"}},
    })
    obj = "arn:aws:s3:::b/x"
    assert _allowed(policy, "s3:GetObject", obj, {"aws:requestedregion": "us-east-1"})
    assert not _allowed(policy, "s3:GetObject", obj, {"aws:RequestedRegion": "US-EAST-1"})


# -- several keys and values; multivalued keys ----------------------------------------------------


def test_and_across_operators_and_keys_or_across_values_nor_for_negations() -> None:
    """Operators AND, keys of one operator AND, values of one key OR; for a negated
    operator the values are NOR-ed.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
    """
    policy = _policy({
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {
            "StringEquals": {
                "aws:PrincipalTag/team": ["a", "b"], "aws:RequestedRegion": "eu-west-1"
            },
            "StringNotEquals": {"aws:PrincipalTag/level": ["intern", "guest"]},
        },
    })
    obj = "arn:aws:s3:::b/x"
    base = {"aws:PrincipalTag/team": "b", "aws:RequestedRegion": "eu-west-1",
            "aws:PrincipalTag/level": "senior"}
    assert _allowed(policy, "s3:GetObject", obj, base)
    assert not _allowed(policy, "s3:GetObject", obj, {**base, "aws:PrincipalTag/team": "c"})
    assert not _allowed(policy, "s3:GetObject", obj, {**base, "aws:RequestedRegion": "us-east-1"})
    assert not _allowed(policy, "s3:GetObject", obj, {**base, "aws:PrincipalTag/level": "guest"})
    assert not _allowed(policy, "s3:GetObject", obj, {**base, "aws:PrincipalTag/level": "intern"})


TAGGING = "arn:aws:iam::111122223333:user/ana"


@pytest.mark.parametrize(
    ("tag_keys", "denied"),
    [
        (["key1:legal"], False),
        (["key1:hr", "key1:personnel"], False),
        (["key2:audit"], True),
        (None, True),  # no aws:TagKeys in the request: ForAllValues is true
    ],
)
def test_deny_for_all_values_string_not_like(tag_keys: list[str] | None, denied: bool) -> None:
    """Deny iam:Tag*/iam:UnTag* with ForAllValues:StringNotLike aws:TagKeys "key1*":
    the table of the page, row by row.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
    """
    policy = _policy(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"],
         "Resource": ["*"], "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}},
    )
    context = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    decision = evaluate(policy, "iam:TagUser", TAGGING, context).decision
    assert decision == ("explicit_deny" if denied else "allowed")


@pytest.mark.parametrize(
    ("tag_keys", "denied"),
    [
        (["key1:a"], True),
        (["key1:a", "key3:b"], True),
        (["key1:a", "key4:b"], False),  # one value outside the set: ForAllValues is false
        ([], False),  # empty set: Null "false" fails (no value), so no deny
        (None, False),  # missing: Null "false" fails
    ],
)
def test_null_false_guards_for_all_values(tag_keys: list[str] | None, denied: bool) -> None:
    """Deny with "Null": {"aws:TagKeys": "false"} beside ForAllValues:StringLike
    [key1*, key2*, key3*]: the Null check keeps a missing or empty key from matching.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
    """
    policy = _policy(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"],
         "Resource": ["*"], "Condition": {
             "Null": {"aws:TagKeys": "false"},
             "ForAllValues:StringLike": {"aws:TagKeys": ["key1*", "key2*", "key3*"]}}},
    )
    context = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    decision = evaluate(policy, "iam:TagUser", TAGGING, context).decision
    assert decision == ("explicit_deny" if denied else "allowed")


@pytest.mark.parametrize(
    ("tag_keys", "denied"),
    [
        (["webserver"], True),
        (["environment", "webserver", "test"], True),
        (["test"], False),
        ([], False),  # empty set: ForAnyValue is false
        (None, False),  # missing: ForAnyValue is false
    ],
)
def test_deny_for_any_value(tag_keys: list[str] | None, denied: bool) -> None:
    """Deny ec2:CreateSnapshot(s) when ForAnyValue:StringEquals aws:TagKeys is
    environment or webserver.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
    """
    policy = _policy(
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["ec2:CreateSnapshot", "ec2:CreateSnapshots"],
         "Resource": "arn:aws:ec2:us-west-2::snapshot/*",
         "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "webserver"]}}},
    )
    context = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    decision = evaluate(
        policy, "ec2:CreateSnapshot", "arn:aws:ec2:us-west-2::snapshot/snap-1", context
    ).decision
    assert decision == ("explicit_deny" if denied else "allowed")


def test_allow_for_all_values_alone_grants_a_request_without_the_key() -> None:
    """ForAllValues in an Allow: the request with no tags at all is allowed too, which is
    why the page recommends a Null check (secureml pairs its VPC conditions with one).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
    """
    policy = _policy({"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*",
                      "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}})
    assert _allowed(policy, "iam:TagUser", TAGGING, {"aws:TagKeys": ["team"]})
    assert not _allowed(policy, "iam:TagUser", TAGGING, {"aws:TagKeys": ["team", "cost"]})
    assert _allowed(policy, "iam:TagUser", TAGGING)
    assert _allowed(policy, "iam:TagUser", TAGGING, {"aws:TagKeys": []})


# -- policy variables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "username", "expected"),
    [
        ("arn:aws:s3:::amzn-s3-demo-bucket/ana/report.csv", "ana", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/bob/report.csv", "ana", False),
        ("arn:aws:s3:::amzn-s3-demo-bucket/ana/report.csv", None, False),
    ],
)
def test_username_in_a_resource(resource: str, username: str | None, expected: bool) -> None:
    """${aws:username} in a Resource: each user reaches only their own folder; with no
    user name in the request the variable cannot be resolved and nothing matches.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    """
    policy = _policy({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                      "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*"]})
    context = {} if username is None else {"aws:username": username}
    assert _allowed(policy, "s3:GetObject", resource, context) is expected


def test_variables_need_the_2012_version() -> None:
    """Policy variables exist only in Version 2012-10-17; in a document without it
    ${aws:username} is plain text.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    """
    stmt = {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*"}
    context = {"aws:username": "ana"}
    obj = "arn:aws:s3:::amzn-s3-demo-bucket/ana/x"
    literal = "arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/x"
    assert _allowed(_policy(stmt), "s3:GetObject", obj, context)
    legacy = {"Statement": [stmt]}  # no Version: the 2008-10-17 language
    assert not _allowed(legacy, "s3:GetObject", obj, context)
    assert _allowed(legacy, "s3:GetObject", literal, context)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/anything", False),
        ("arn:aws:s3:::amzn-s3-demo-bucket/a?$", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/ab$", False),
    ],
)
def test_special_characters(resource: str, expected: bool) -> None:
    """${*}, ${?} and ${$} stand for a literal *, ? and $, not wildcards.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    """
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": [
        "arn:aws:s3:::amzn-s3-demo-bucket/${*}", "arn:aws:s3:::amzn-s3-demo-bucket/a${?}${$}"]})
    assert _allowed(policy, "s3:GetObject", resource) is expected


@pytest.mark.parametrize(
    ("team", "resource", "expected"),
    [
        ("red", "arn:aws:s3:::amzn-s3-demo-bucket/red/x", True),
        (None, "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x", True),
        ("red", "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x", False),
        (None, "arn:aws:s3:::amzn-s3-demo-bucket/red/x", False),
    ],
)
def test_default_values(team: str | None, resource: str, expected: bool) -> None:
    """A variable with a default: ${aws:PrincipalTag/team, 'company-wide'} is the tag's
    value, or 'company-wide' when the principal has no such tag.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    """
    pattern = "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern})
    context = {} if team is None else {"aws:PrincipalTag/team": team}
    assert _allowed(policy, "s3:GetObject", resource, context) is expected


def test_variable_in_a_condition_for_attribute_based_access() -> None:
    """A principal tag compared with a resource tag through a variable in the condition
    value ("aws:ResourceTag/project": "${aws:PrincipalTag/project}"); a variable that
    cannot be resolved invalidates the statement, even under a negated operator.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    """
    policy = _policy({"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
                      "Condition": {"StringEquals": {
                          "aws:ResourceTag/project": "${aws:PrincipalTag/project}"}}})
    inst = "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
    same = {"aws:PrincipalTag/project": "blue", "aws:ResourceTag/project": "blue"}
    other = {"aws:PrincipalTag/project": "blue", "aws:ResourceTag/project": "green"}
    assert _allowed(policy, "ec2:StartInstances", inst, same)
    assert not _allowed(policy, "ec2:StartInstances", inst, other)
    negated = _policy({"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
                       "Condition": {"StringNotEquals": {
                           "aws:ResourceTag/project": "${aws:PrincipalTag/project}"}}})
    untagged = {"aws:ResourceTag/project": "green"}
    assert _allowed(negated, "ec2:StartInstances", inst, other)
    e = evaluate(negated, "ec2:StartInstances", inst, untagged)
    assert not e.allowed
    assert "has no value in the request" in e.explain()


# -- resources, NotAction, NotResource ------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/1/tests/object.jpg", False),
    ],
)
def test_resource_wildcard_spans_slashes(resource: str, expected: bool) -> None:
    """A * in the resource part spans /: "amzn-s3-demo-bucket/*/test/*".
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    """
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject",
                      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"})
    assert _allowed(policy, "s3:GetObject", resource) is expected


def test_resource_names_are_case_sensitive() -> None:
    """In the Resource element the IAM user name is case sensitive (user/Bob).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    """
    policy = _policy({"Effect": "Allow", "Action": "iam:GetUser",
                      "Resource": f"arn:aws:iam::{ACCOUNT}:user/Bob"})
    assert _allowed(policy, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/Bob")
    assert not _allowed(policy, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/bob")
    assert _allowed(policy, "IAM:getuser", f"arn:aws:iam::{ACCOUNT}:user/Bob")


def test_resource_paths_and_segments() -> None:
    """user/accounting/* covers the users of the /accounting/ path; a * ending an ARN
    segment may expand past its colons, one inside a segment may not.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    """
    policy = _policy({"Effect": "Allow", "Action": "iam:GetUser",
                      "Resource": f"arn:aws:iam::{ACCOUNT}:user/accounting/*"})
    assert _allowed(policy, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/accounting/ana")
    assert not _allowed(policy, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/ana")
    trailing = _policy({"Effect": "Allow", "Action": "logs:GetLogEvents",
                        "Resource": "arn:aws:logs:us-east-1:*"})
    stream = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:t"
    assert _allowed(trailing, "logs:GetLogEvents", stream)
    inner = _policy({"Effect": "Allow", "Action": "logs:GetLogEvents",
                     "Resource": "arn:aws:logs:us-*-1:log-group:*"})
    assert not _allowed(inner, "logs:GetLogEvents", stream)


def test_not_action_allow_is_limited_by_its_resource() -> None:
    """Allow NotAction s3:DeleteBucket on arn:aws:s3:::*: every S3 action but DeleteBucket,
    and nothing outside S3 (the resource element limits it).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    """
    policy = _policy({"Effect": "Allow", "NotAction": "s3:DeleteBucket",
                      "Resource": "arn:aws:s3:::*"})
    assert _allowed(policy, "s3:GetObject", "arn:aws:s3:::b/x")
    assert _allowed(policy, "s3:CreateBucket", "arn:aws:s3:::b")
    assert not _allowed(policy, "s3:DeleteBucket", "arn:aws:s3:::b")
    assert not _allowed(policy, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x")


@pytest.mark.parametrize(
    ("action", "mfa", "expected"),
    [
        ("s3:GetObject", None, "explicit_deny"),  # BoolIfExists: no key -> true -> deny
        ("s3:GetObject", False, "explicit_deny"),
        ("s3:GetObject", True, "allowed"),
        ("iam:ChangePassword", None, "allowed"),  # IAM actions are outside the NotAction deny
    ],
)
def test_not_action_deny_without_mfa(action: str, mfa: bool | None, expected: str) -> None:
    """Deny NotAction iam:* on * with BoolIfExists aws:MultiFactorAuthPresent false:
    everything but IAM is refused without MFA.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    """
    policy = _policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny", "NotAction": "iam:*",
         "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    )
    context = {} if mfa is None else {"aws:MultiFactorAuthPresent": mfa}
    resource = "arn:aws:s3:::b/x" if action.startswith("s3") else f"arn:aws:iam::{ACCOUNT}:user/x"
    assert evaluate(policy, action, resource, context).decision == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:s3:::HRBucket/Payroll", "allowed"),
        ("arn:aws:s3:::HRBucket/Payroll/2026.csv", "allowed"),
        ("arn:aws:s3:::HRBucket/Benefits/x.csv", "explicit_deny"),
        ("arn:aws:s3:::OtherBucket", "explicit_deny"),
    ],
)
def test_not_resource_deny(resource: str, expected: str) -> None:
    """Deny s3:* with NotResource HRBucket/Payroll and HRBucket/Payroll/*: every other S3
    resource is refused (the deny grants nothing itself; an Allow s3:* does).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
    """
    policy = _policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*",
         "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]},
    )
    assert evaluate(policy, "s3:GetObject", resource).decision == expected
    alone = _policy(policy["Statement"][1])
    assert evaluate(alone, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll").decision == (
        "implicit_deny"
    )


# -- evaluation logic and permissions boundaries --------------------------------------------------


def test_explicit_deny_overrides_and_default_is_deny() -> None:
    """An explicit deny in any policy overrides any allow; without an allow the request
    is implicitly denied.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    allow = _policy({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    deny = _policy({"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"})
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Books"
    assert evaluate([allow, deny], "dynamodb:DeleteTable", table).decision == "explicit_deny"
    assert evaluate([allow, deny], "dynamodb:GetItem", table).decision == "allowed"
    assert evaluate([deny], "dynamodb:GetItem", table).decision == "implicit_deny"


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", "implicit_deny"),
        ("s3:GetObject", "arn:aws:s3:::b/x", "implicit_deny"),  # boundary yes, identity no
        ("ec2:DescribeInstances", "*", "allowed"),
    ],
)
def test_boundary_limits_the_identity_policy(action: str, resource: str, expected: str) -> None:
    """A boundary allowing s3:*, cloudwatch:* and ec2:* with an identity policy allowing
    iam:CreateUser: the user cannot create users (the boundary does not allow it), nor
    read S3 (the identity policy does not); only what both allow is allowed.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    """
    boundary = _policy({"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"],
                        "Resource": "*"})
    identity = _policy({"Effect": "Allow", "Action": ["iam:CreateUser", "ec2:Describe*"],
                        "Resource": "*"})
    assert evaluate(identity, action, resource, boundary=boundary).decision == expected
    # without the boundary, the identity policy alone decides
    assert evaluate(identity, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x").allowed


def test_a_deny_in_the_boundary_is_an_explicit_deny() -> None:
    """An explicit deny in a permissions boundary overrides allows in both.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    """
    boundary = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"},
                       {"Effect": "Deny", "Action": "iam:DeleteUserPermissionsBoundary",
                        "Resource": "*"})
    identity = _policy({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    e = evaluate(identity, "iam:DeleteUserPermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:user/x",
                 boundary=boundary)
    assert e.decision == "explicit_deny"
    assert [s.source for s in e.deciding_statements] == ["boundary"]
