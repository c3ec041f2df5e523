"""PolicyDocument, Statement and Condition: one canonical form, whatever shape AWS returns."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import attrs
import pytest

from secureml import Condition, PolicyDocument, Statement, ValidationError
from secureml.policy import VERSION, merge_statements, policy_size

BUCKET = "arn:aws:s3:::team-a-data"
OBJECTS = "arn:aws:s3:::team-a-data/*"
ROLE = "arn:aws:iam::111122223333:role/team-a-compute"


def ds_policy() -> PolicyDocument:
    """A small but complete policy: conditions, lists, a one-item list."""
    return PolicyDocument(
        [
            Statement(actions=["s3:PutObject", "s3:GetObject"], resources=OBJECTS),
            Statement(actions="s3:ListBucket", resources=BUCKET),
            Statement(
                actions="iam:PassRole",
                resources=ROLE,
                conditions=[
                    Condition("StringEquals", "iam:PassedToService", "sagemaker.amazonaws.com")
                ],
            ),
            Statement(
                actions=["sagemaker:CreateTrainingJob"],
                resources="arn:aws:sagemaker:us-east-1:111122223333:training-job/*",
                conditions={
                    "ForAllValues:StringEquals": {
                        "sagemaker:VpcSubnets": ["subnet-0abc1234", "subnet-0def5678"],
                        "sagemaker:VpcSecurityGroupIds": ["sg-0abc1234"],
                    },
                    "Null": {
                        "sagemaker:VpcSubnets": "false",
                        "sagemaker:VpcSecurityGroupIds": False,
                    },
                },
            ),
        ]
    )


# -- canonical form -----------------------------------------------------------------------------


def test_actions_and_resources_are_deduplicated_and_sorted() -> None:
    s = Statement(
        actions=["s3:PutObject", "s3:GetObject", "s3:PutObject"],
        resources=[OBJECTS, BUCKET, OBJECTS],
    )
    assert s.actions == ("s3:GetObject", "s3:PutObject")
    assert s.resources == (BUCKET, OBJECTS)


def test_one_item_lists_are_collapsed_as_aws_returns_them() -> None:
    d = Statement(actions=["s3:GetObject"], resources=[OBJECTS]).to_dict()
    assert d == {"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}
    d2 = Statement(actions=["s3:GetObject", "s3:PutObject"], resources=OBJECTS).to_dict()
    assert d2["Action"] == ["s3:GetObject", "s3:PutObject"]


def test_statement_order_and_duplicates_do_not_matter() -> None:
    a = Statement(actions="s3:GetObject", resources=OBJECTS)
    b = Statement(actions="s3:ListBucket", resources=BUCKET)
    assert PolicyDocument([a, b, a]) == PolicyDocument([b, a])
    assert len(PolicyDocument([a, b, a])) == 2


def test_condition_values_are_strings_and_bool_spellings_compare_equal() -> None:
    written = Statement(
        actions="kms:CreateGrant",
        resources="*",
        conditions={"Bool": {"kms:GrantIsForAWSResource": True}},
    )
    read_back = Statement.from_dict(
        {
            "Effect": "Allow",
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        }
    )
    assert written == read_back
    assert written.to_dict()["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_numbers_in_conditions_become_strings() -> None:
    c = Condition("NumericLessThan", "aws:MultiFactorAuthAge", 3600)
    assert c.values == ("3600",)


def test_conditions_on_the_same_operator_and_key_merge() -> None:
    s = Statement(
        actions="s3:GetObject",
        resources=OBJECTS,
        conditions=[
            Condition("StringEquals", "aws:SourceVpce", ["vpce-2"]),
            Condition("StringEquals", "aws:SourceVpce", ["vpce-1", "vpce-2"]),
        ],
    )
    assert s.conditions == (Condition("StringEquals", "aws:SourceVpce", ["vpce-1", "vpce-2"]),)


def test_conditions_given_as_mapping_or_as_values_are_equal() -> None:
    by_mapping = Statement(
        actions="s3:GetObject",
        resources=OBJECTS,
        conditions={"StringEquals": {"aws:SourceAccount": "111122223333"}},
    )
    by_value = Statement(
        actions="s3:GetObject",
        resources=OBJECTS,
        conditions=[Condition("StringEquals", "aws:SourceAccount", ["111122223333"])],
    )
    assert by_mapping == by_value
    assert by_mapping.condition_keys == ("aws:SourceAccount",)


# -- reading what AWS returns ---------------------------------------------------------------


def test_round_trip_through_json_and_dict() -> None:
    doc = ds_policy()
    assert PolicyDocument.from_json(doc.to_json()) == doc
    assert PolicyDocument.from_json(doc.to_json(indent=2)) == doc
    assert PolicyDocument.from_dict(doc.to_dict()) == doc
    assert PolicyDocument.from_json(doc.to_json().encode()) == doc


def test_url_encoded_string_as_iam_returns_it() -> None:
    doc = ds_policy()
    encoded = urllib.parse.quote(doc.to_json(indent=4), safe="")
    assert encoded.startswith("%7B")
    assert PolicyDocument.from_json(encoded) == doc


def test_decoded_dict_as_boto3_returns_it() -> None:
    # boto3 decodes IAM's policy documents into dicts, one-item lists collapsed.
    aws = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
    }
    ours = PolicyDocument(
        [Statement(actions="sts:AssumeRole", principals={"Service": ["sagemaker.amazonaws.com"]})]
    )
    assert PolicyDocument.from_json(aws) == ours
    assert PolicyDocument.from_dict(aws) == ours


def test_expanded_lists_from_aws_parse_equal_to_collapsed_ones() -> None:
    expanded: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": [ROLE],
                "Condition": {"StringEquals": {"iam:PassedToService": ["sagemaker.amazonaws.com"]}},
            }
        ],
    }
    collapsed = json.loads(json.dumps(expanded))
    stmt = collapsed["Statement"][0]
    stmt["Action"], stmt["Resource"] = "iam:PassRole", ROLE
    stmt["Condition"]["StringEquals"]["iam:PassedToService"] = "sagemaker.amazonaws.com"
    assert PolicyDocument.from_dict(expanded) == PolicyDocument.from_dict(collapsed)
    # and what we write back is the collapsed form
    assert PolicyDocument.from_dict(expanded).to_dict() == collapsed


def test_statement_as_single_dict_equals_list_of_one() -> None:
    stmt = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}
    single = PolicyDocument.from_dict({"Version": VERSION, "Statement": stmt})
    listed = PolicyDocument.from_dict({"Version": VERSION, "Statement": [stmt]})
    assert single == listed
    assert single.to_dict()["Statement"] == [stmt]


def test_to_dict_key_order_and_json_is_compact() -> None:
    doc = PolicyDocument(
        [Statement(sid="Read", actions="s3:GetObject", resources=OBJECTS)], id="team-a"
    )
    assert list(doc.to_dict()) == ["Version", "Id", "Statement"]
    assert list(doc.statements[0].to_dict()) == ["Sid", "Effect", "Action", "Resource"]
    assert " " not in doc.to_json()
    assert doc.size == len(doc.to_json())


# -- NotAction, NotResource, Principal ----------------------------------------------------


def test_not_action_and_not_resource_round_trip() -> None:
    data = {
        "Effect": "Deny",
        "NotAction": ["iam:GetRole", "iam:ListRoles"],
        "NotResource": "arn:aws:iam::111122223333:role/admin",
    }
    s = Statement.from_dict(data)
    assert s.not_actions == ("iam:GetRole", "iam:ListRoles")
    assert s.not_resources == ("arn:aws:iam::111122223333:role/admin",)
    assert s.actions == ()
    assert s.resources == ()
    assert s.to_dict() == data


def test_principal_star_and_mappings() -> None:
    star = Statement.from_dict(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": OBJECTS}
    )
    assert star.to_dict()["Principal"] == "*"
    many = Statement(
        actions="sts:AssumeRole",
        principals={
            "AWS": [ROLE, "arn:aws:iam::111122223333:root"],
            "Service": "sagemaker.amazonaws.com",
        },
    )
    assert many.to_dict()["Principal"] == {
        "AWS": [ROLE, "arn:aws:iam::111122223333:root"],
        "Service": "sagemaker.amazonaws.com",
    }
    assert Statement.from_dict(many.to_dict()) == many


def test_principal_only_statement_needs_no_resource() -> None:
    trust = Statement(actions="sts:AssumeRole", principals={"Service": "sagemaker.amazonaws.com"})
    assert "Resource" not in trust.to_dict()


# -- merging and size -------------------------------------------------------------------------


def test_merge_statements_that_differ_only_in_actions() -> None:
    a = Statement(actions="s3:GetObject", resources=OBJECTS)
    b = Statement(actions="s3:PutObject", resources=OBJECTS)
    other = Statement(actions="s3:ListBucket", resources=BUCKET)
    merged = merge_statements([a, b, other])
    assert set(merged) == {
        Statement(actions=["s3:GetObject", "s3:PutObject"], resources=OBJECTS),
        other,
    }
    assert len(merged) == 2


def test_merge_keeps_statements_with_other_conditions_apart() -> None:
    a = Statement(actions="s3:GetObject", resources=OBJECTS)
    b = Statement(
        actions="s3:PutObject",
        resources=OBJECTS,
        conditions={"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    )
    assert len(merge_statements([a, b])) == 2


def test_merge_never_unions_not_action_lists() -> None:
    # Allow all-but-A plus Allow all-but-B is Allow everything; a union would narrow it.
    a = Statement(effect="Deny", not_actions="iam:GetRole", resources="*")
    b = Statement(effect="Deny", not_actions="iam:ListRoles", resources="*")
    assert set(merge_statements([a, b])) == {a, b}


def test_policy_size_counts_characters_without_whitespace() -> None:
    assert policy_size('{ "Version" :\n\t"2012-10-17" }') == 24
    doc = ds_policy()
    assert doc.size == policy_size(doc.to_json(indent=4)) == len(doc.to_json())


def test_values_are_frozen() -> None:
    s = Statement(actions="s3:GetObject", resources=OBJECTS)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        s.actions = ("s3:*",)  # type: ignore[misc]


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"resources": "*"}, "exactly one of actions or not_actions"),
        (
            {"actions": "s3:GetObject", "not_actions": "s3:PutObject", "resources": "*"},
            "exactly one",
        ),
        ({"actions": "s3:GetObject", "resources": "*", "not_resources": OBJECTS}, "not both"),
        ({"actions": "s3:GetObject"}, "needs resources"),
        ({"actions": "s3:GetObject", "resources": "*", "effect": "allow"}, "'Allow' and 'Deny'"),
        ({"actions": "GetObject", "resources": "*"}, "not IAM actions"),
        ({"actions": ["s3:GetObject", ""], "resources": "*"}, "non-empty string"),
        ({"actions": "s3:GetObject", "resources": 5}, "not a string or a list of strings"),
    ],
)
def test_invalid_statements_name_the_problem(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Statement(**kwargs)


def test_invalid_principal() -> None:
    with pytest.raises(ValidationError, match="a principal is '\\*' or a mapping"):
        Statement(actions="sts:AssumeRole", principals="sagemaker.amazonaws.com")


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        (lambda: Condition("", "aws:SourceAccount", "1"), "non-empty strings"),
        (lambda: Condition("StringEquals", "aws:SourceAccount", []), "at least one value"),
        (lambda: Condition("StringEquals", "aws:SourceAccount", [{"a": 1}]), "not allowed"),
    ],
)
def test_invalid_conditions(condition: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        condition()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (
            '{"Version": "2012-10-17", "Statement": [], "Extra": 1}',
            "unsupported keys \\['Extra'\\]",
        ),
        ('{"Version": "2020-01-01", "Statement": []}', "Version: '2020-01-01' is not allowed"),
        ('{"Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}', "Effect is missing"),
        (
            '{"Statement": [{"Effect": "Allow", "NotPrincipal": "*", "Action": "s3:GetObject"}]}',
            "unsupported keys \\['NotPrincipal'\\]",
        ),
        ('{"Statement": ["s3:GetObject"]}', "a statement is a JSON object"),
        ('{"Statement": "s3:GetObject"}', "it is a statement or a list of them"),
        (
            '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", '
            '"Condition": {"Bool": "true"}}]}',
            "expected a mapping of keys to values",
        ),
    ],
)
def test_invalid_documents_raise_validation_error(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        PolicyDocument.from_json(text)


def test_repeated_sid_is_refused() -> None:
    with pytest.raises(ValidationError, match="Sid \\['Read'\\] used by more than one"):
        PolicyDocument(
            [
                Statement(sid="Read", actions="s3:GetObject", resources=OBJECTS),
                Statement(sid="Read", actions="s3:ListBucket", resources=BUCKET),
            ]
        )


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="needs resources"):
        Statement(actions="s3:GetObject")


def test_document_takes_statement_dicts_and_a_single_statement() -> None:
    stmt = Statement(actions="s3:GetObject", resources=OBJECTS)
    assert PolicyDocument(stmt) == PolicyDocument([stmt.to_dict()]) == PolicyDocument([stmt])
    with pytest.raises(ValidationError, match="is not a Statement"):
        PolicyDocument(["s3:GetObject"])  # type: ignore[list-item]


def test_a_document_without_version_is_the_legacy_language_not_ours() -> None:
    """IAM reads a policy without Version as 2008-10-17 (no policy variables): a stored
    policy stripped of its Version is drift, not equal to the one secureml wrote."""
    stmt = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    stripped = PolicyDocument.from_dict({"Statement": [stmt]})
    ours = PolicyDocument.from_dict({"Version": "2012-10-17", "Statement": [stmt]})

    assert stripped.version == "2008-10-17"
    assert stripped != ours
