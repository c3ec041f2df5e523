"""Property tests: the canonical form round-trips, and packing never exceeds a limit, loses a
permission or widens one."""

from __future__ import annotations

import json
import string
import urllib.parse
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from secureml import LIMITS, Condition, PolicyDocument, PolicyTooLargeError, Statement
from secureml.policy import merge_statements, pack_statements

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SERVICES = ("s3", "sagemaker", "iam", "kms", "ecr", "logs")
_NAME = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=14)

actions = st.one_of(
    st.sampled_from(
        ["*", "s3:GetObject", "s3:*", "sagemaker:Describe*", "iam:PassRole", "kms:CreateGrant"]
    ),
    st.builds(lambda svc, name: f"{svc}:{name}", st.sampled_from(_SERVICES), _NAME),
)
resources = st.one_of(
    st.sampled_from(["*", "arn:aws:s3:::team-a-data", "arn:aws:s3:::team-a-data/*"]),
    st.builds(lambda name: f"arn:aws:sagemaker:us-east-1:111122223333:training-job/{name}", _NAME),
)
# Condition values may hold anything JSON and URL-encoding must survive:
# quotes, percent signs, plus signs, spaces, non-ASCII.
values = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from(["100%", "a+b", "a b", '"q"', "é", "\\", "%7B"]),
)
conditions = st.lists(
    st.builds(
        Condition,
        st.sampled_from(
            ["StringEquals", "StringLike", "ForAllValues:StringEquals", "Null", "Bool"]
        ),
        st.sampled_from(["aws:SourceAccount", "sagemaker:VpcSubnets", "aws:PrincipalTag/team"]),
        st.lists(values, min_size=1, max_size=3),
    ),
    max_size=3,
)


@st.composite
def statements(
    draw: st.DrawFn, *, allow_principals: bool = True, max_actions: int = 12, max_resources: int = 6
) -> Statement:
    negated_actions = draw(st.booleans()) and draw(st.booleans())  # about 1 in 4
    negated_resources = draw(st.booleans()) and draw(st.booleans())
    acts = draw(st.lists(actions, min_size=1, max_size=max_actions))
    res = draw(st.lists(resources, min_size=1, max_size=max_resources))
    principals: Any = None
    if allow_principals and draw(st.booleans()) and draw(st.booleans()):
        principals = draw(
            st.one_of(
                st.just("*"),
                st.dictionaries(
                    st.sampled_from(["AWS", "Service", "Federated"]),
                    st.lists(_NAME, min_size=1, max_size=3),
                    min_size=1,
                ),
            )
        )
    return Statement(
        effect=draw(st.sampled_from(["Allow", "Deny"])),
        actions=() if negated_actions else acts,
        not_actions=acts if negated_actions else (),
        resources=() if negated_resources else res,
        not_resources=res if negated_resources else (),
        conditions=draw(conditions),
        principals=principals,
    )


@st.composite
def documents(draw: st.DrawFn) -> PolicyDocument:
    stmts = draw(st.lists(statements(), max_size=6))
    # Sids must be unique within a policy: number the ones that get one.
    with_sid = [
        attrs.evolve(s, sid=f"S{i}") if draw(st.booleans()) else s for i, s in enumerate(stmts)
    ]
    return PolicyDocument(with_sid, id=draw(st.none() | _NAME))


# -- canonical round trip -------------------------------------------------------------------


@SETTINGS
@given(documents())
def test_round_trip_through_json(doc: PolicyDocument) -> None:
    assert PolicyDocument.from_json(doc.to_json()) == doc
    assert PolicyDocument.from_json(doc.to_json(indent=2)) == doc
    assert PolicyDocument.from_dict(json.loads(doc.to_json())) == doc


@SETTINGS
@given(documents())
def test_round_trip_through_url_encoding(doc: PolicyDocument) -> None:
    # IAM's API returns documents URL-encoded (RFC 3986).
    encoded = urllib.parse.quote(doc.to_json(indent=4), safe="")
    assert PolicyDocument.from_json(encoded) == doc


@SETTINGS
@given(documents(), st.randoms(use_true_random=False))
def test_canonical_form_is_independent_of_order_and_repetition(
    doc: PolicyDocument, rnd: Any
) -> None:
    shuffled = list(doc.statements) + list(doc.statements)
    rnd.shuffle(shuffled)
    assert PolicyDocument(shuffled, id=doc.id) == doc
    assert PolicyDocument(shuffled, id=doc.id).to_json() == doc.to_json()


@SETTINGS
@given(documents())
def test_expanded_lists_parse_equal_to_collapsed_ones(doc: PolicyDocument) -> None:
    # AWS may hand back ["x"] where we wrote "x" (and the reverse).
    def expand(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: expand(v) for k, v in value.items()}
        return [value] if isinstance(value, str) else value

    data = doc.to_dict()
    data["Statement"] = [
        {k: (v if k in ("Effect", "Sid") or v == "*" else expand(v)) for k, v in s.items()}
        for s in data["Statement"]
    ]
    assert PolicyDocument.from_dict(data) == doc


# -- packing --------------------------------------------------------------------------------


def _atoms(stmts: Any) -> set[tuple[object, ...]]:
    """What statements grant or deny, one (effect, action, resource, conditions, principals)
    at a time; a NotAction/NotResource list is one indivisible element."""
    out: set[tuple[object, ...]] = set()
    for s in stmts:
        acts = [("Action", a) for a in s.actions] or [("NotAction", s.not_actions)]
        res = [("Resource", r) for r in s.resources] or [("NotResource", s.not_resources)]
        out.update((s.effect, a, r, s.conditions, s.principals) for a in acts for r in res)
    return out


pack_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
limits = st.sampled_from([700, 1_200, LIMITS["trust policy"].max_chars, 6_144])
# Long Action and Resource lists, so that statements often have to be split.
statement_lists = st.lists(
    statements(allow_principals=False, max_actions=60, max_resources=12), max_size=20
)


@pack_settings
@given(statement_lists, limits)
def test_packing_never_exceeds_loses_or_widens(stmts: list[Statement], limit: int) -> None:
    too_large: PolicyTooLargeError | None = None
    try:
        docs = pack_statements(stmts, max_chars=limit)
    except PolicyTooLargeError as exc:
        too_large, docs = exc, []
    if too_large is not None:
        # Only when a statement's indivisible part cannot fit on its own.
        assert too_large.sizes[0] > limit - PolicyDocument().size
        return
    assert all(d.size <= limit for d in docs)
    packed = [s for d in docs for s in d.statements]
    target(float(len(packed) - len(stmts)), label="statements split")
    assert _atoms(packed) == _atoms(stmts)
    # nothing is widened element-wise either: every packed statement is a part of an input one
    scopes = {(s.effect, s.conditions, s.principals, s.not_actions, s.not_resources) for s in stmts}
    assert {
        (s.effect, s.conditions, s.principals, s.not_actions, s.not_resources) for s in packed
    } <= scopes


@pack_settings
@given(statement_lists)
def test_merging_keeps_exactly_the_same_permissions(stmts: list[Statement]) -> None:
    merged = merge_statements(stmts)
    assert _atoms(merged) == _atoms(stmts)
    assert len(merged) <= len(stmts)


@pack_settings
@given(statement_lists, st.integers(min_value=1, max_value=4))
def test_max_documents_raises_exactly_when_more_are_needed(
    stmts: list[Statement], max_documents: int
) -> None:
    limit = 1_200
    try:
        free = pack_statements(stmts, max_chars=limit)
    except PolicyTooLargeError:
        return
    if len(free) <= max_documents:
        assert pack_statements(stmts, max_chars=limit, max_documents=max_documents) == free
    else:
        with pytest.raises(PolicyTooLargeError) as info:
            pack_statements(stmts, max_chars=limit, max_documents=max_documents)
        assert list(info.value.sizes) == [d.size for d in free]
        assert info.value.limit == limit
