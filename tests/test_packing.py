"""Packing statements into the fewest size-limited policies without changing what they grant."""

from __future__ import annotations

import math

import pytest

from secureml import LIMITS, PolicyDocument, PolicyTooLargeError, Statement, ValidationError
from secureml.policy import pack_statements, total_size

OBJECTS = "arn:aws:s3:::team-a-data/*"


def grants(statements: list[Statement] | tuple[Statement, ...]) -> set[tuple[object, ...]]:
    """Every (effect, action, resource, conditions) a set of Action/Resource statements covers."""
    return {
        (s.effect, a, r, s.conditions) for s in statements for a in s.actions for r in s.resources
    }


def docs_grants(docs: list[PolicyDocument]) -> set[tuple[object, ...]]:
    return grants([s for d in docs for s in d.statements])


def many_statements(n: int, actions_each: int = 6) -> list[Statement]:
    """n statements on distinct resources, each with a few actions (so none merge)."""
    return [
        Statement(
            actions=[f"sagemaker:Describe{kind}Job{i}" for kind in range(actions_each)],
            resources=f"arn:aws:sagemaker:us-east-1:111122223333:training-job/team-{i}-*",
        )
        for i in range(n)
    ]


def test_statements_that_differ_only_in_actions_are_merged() -> None:
    docs = pack_statements(
        [
            Statement(actions="s3:GetObject", resources=OBJECTS),
            Statement(actions="s3:PutObject", resources=OBJECTS),
        ]
    )
    assert docs == [
        PolicyDocument([Statement(actions=["s3:GetObject", "s3:PutObject"], resources=OBJECTS)])
    ]


def test_small_policy_fits_in_one_document() -> None:
    docs = pack_statements(many_statements(5))
    assert len(docs) == 1
    assert docs_grants(docs) == grants(many_statements(5))


def test_every_document_is_within_the_limit_and_packing_is_near_minimal() -> None:
    statements = many_statements(120)
    limit = LIMITS["managed policy"].max_chars
    docs = pack_statements(statements, max_chars=limit)
    assert len(docs) > 1
    assert all(d.size <= limit for d in docs)
    assert docs_grants(docs) == grants(statements)
    # First-fit decreasing of near-equal items: at most one more than the lower bound.
    lower_bound = math.ceil(total_size(docs) / limit)
    assert len(docs) <= lower_bound + 1


def test_packing_is_deterministic_whatever_the_input_order() -> None:
    statements = many_statements(60)
    assert pack_statements(statements) == pack_statements(list(reversed(statements)))


def test_over_large_statement_is_split_by_actions() -> None:
    actions = [f"sagemaker:CreateThing{i:04d}" for i in range(600)]
    big = Statement(actions=actions, resources="arn:aws:sagemaker:*:111122223333:thing/*")
    assert PolicyDocument([big]).size > 6144
    docs = pack_statements([big])
    assert len(docs) > 1
    assert all(d.size <= 6144 for d in docs)
    assert docs_grants(docs) == grants([big])
    # every piece keeps the statement's resource: nothing widened
    assert {s.resources for d in docs for s in d.statements} == {big.resources}


def test_over_large_statement_is_split_by_resources_keeping_conditions() -> None:
    resources = [f"arn:aws:s3:::team-bucket-{i:04d}/*" for i in range(400)]
    big = Statement(
        actions=["s3:GetObject"],
        resources=resources,
        conditions={"StringEquals": {"aws:ResourceAccount": "111122223333"}},
    )
    docs = pack_statements([big])
    assert len(docs) > 1
    pieces = [s for d in docs for s in d.statements]
    assert all(s.conditions == big.conditions for s in pieces)
    assert all(s.actions == big.actions for s in pieces)
    assert docs_grants(docs) == grants([big])


def test_split_statement_with_sid_gets_numbered_sids() -> None:
    actions = [f"sagemaker:CreateThing{i:04d}" for i in range(600)]
    big = Statement(sid="Create", actions=actions, resources="*")
    docs = pack_statements([big], max_chars=2048)
    sids = [s.sid for d in docs for s in d.statements]
    assert len(sids) == len(set(sids)) > 1
    assert all(sid is not None and sid.startswith("Create") for sid in sids)


def test_not_action_statement_is_never_split() -> None:
    huge = Statement(
        effect="Deny",
        not_actions=[f"sagemaker:DescribeThing{i:04d}" for i in range(600)],
        resources="*",
    )
    with pytest.raises(PolicyTooLargeError, match="cannot be split without changing its meaning"):
        pack_statements([huge])


def test_single_action_and_resource_too_large_reports_its_size() -> None:
    stmt = Statement(
        actions="s3:GetObject",
        resources=OBJECTS,
        conditions={"StringEquals": {"aws:PrincipalTag/team": [f"t{i:05d}" for i in range(900)]}},
    )
    with pytest.raises(PolicyTooLargeError) as info:
        pack_statements([stmt])
    assert info.value.limit == 6144
    assert info.value.sizes[0] > 6144


def test_more_documents_than_allowed_raises_with_the_sizes() -> None:
    statements = many_statements(400)
    with pytest.raises(PolicyTooLargeError) as info:
        pack_statements(statements, max_documents=2, what="persona 'team-a-ds'")
    err = info.value
    assert len(err.sizes) > 2
    assert all(size <= 6144 for size in err.sizes)
    assert err.limit == 6144
    message = str(err)
    assert "persona 'team-a-ds'" in message
    assert f"needs {len(err.sizes)} policies" in message
    assert "at most 2" in message
    assert str(sum(err.sizes)) in message


def test_exactly_max_documents_is_fine() -> None:
    statements = many_statements(400)
    n = len(pack_statements(statements))
    assert len(pack_statements(statements, max_documents=n)) == n


def test_other_limits_from_the_table() -> None:
    statements = many_statements(40)
    trust = LIMITS["trust policy"].max_chars
    docs = pack_statements(statements, max_chars=trust)
    assert all(d.size <= trust for d in docs)
    assert len(docs) > len(pack_statements(statements))


def test_limits_table() -> None:
    assert {name: limit.max_chars for name, limit in LIMITS.items()} == {
        "managed policy": 6144,
        "role inline": 10240,
        "permission set inline": 10240,
        "trust policy": 2048,
    }


def test_max_chars_below_an_empty_policy_is_refused() -> None:
    with pytest.raises(ValidationError, match="max_chars: 10 is too small"):
        pack_statements(many_statements(1), max_chars=10)


def test_no_statements_no_documents() -> None:
    assert pack_statements([]) == []
