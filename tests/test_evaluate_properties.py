"""Properties of the evaluator (hypothesis).

- Adding an Allow statement never turns an allowed request into a denied one.
- Adding a Deny statement never turns a denied request into an allowed one.
- Packing a persona's statements into managed policies never changes a decision,
  whatever the persona's settings and however small the policies.
"""

from __future__ import annotations

import re
from typing import Any

from _cases import ACCOUNT, ENCRYPTIONS, GUARDRAILS, NETWORK, REGION, full_personas
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secureml.policy import PolicyDocument, Statement, catalog, evaluate, pack_statements

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACTIONS = [
    "s3:GetObject", "s3:PutObject", "s3:ListBucket", "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob", "iam:PassRole", "logs:GetLogEvents",
]
ACTION_PATTERNS = [*ACTIONS, "s3:*", "s3:Get*", "sagemaker:*TrainingJob", "*", "iam:Pass?ole"]
RESOURCES = [
    "arn:aws:s3:::data", "arn:aws:s3:::data/x.csv", "arn:aws:s3:::other/ana/y",
    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/t1",
    f"arn:aws:iam::{ACCOUNT}:role/compute",
    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:t1",
]
RESOURCE_PATTERNS = [
    *RESOURCES, "*", "arn:aws:s3:::data/*", "arn:aws:s3:::*/${aws:username}/*",
    "arn:aws:sagemaker:*:*:training-job/*", "arn:aws:iam::*:role/*", "arn:aws:logs:*",
    "arn:aws:s3:::${aws:PrincipalTag/team, 'data'}",
]
CONDITIONS: list[tuple[str, str, list[str]]] = [
    ("StringEquals", "aws:RequestedRegion", [REGION]),
    ("StringNotEquals", "aws:RequestedRegion", ["eu-west-1"]),
    ("StringEqualsIfExists", "aws:PrincipalTag/team", ["a"]),
    ("ForAllValues:StringEquals", "sagemaker:VpcSubnets", ["subnet-1", "subnet-2"]),
    ("ForAnyValue:StringLike", "aws:TagKeys", ["team*"]),
    ("Null", "sagemaker:VpcSubnets", ["false"]),
    ("Null", "aws:TagKeys", ["true"]),
    ("Bool", "aws:SecureTransport", ["true"]),
    ("NumericLessThan", "s3:max-keys", ["10"]),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8"]),
    ("NotIpAddress", "aws:SourceIp", ["10.1.0.0/16"]),
    ("ArnLike", "aws:SourceArn", ["arn:aws:sagemaker:*"]),
    ("StringEquals", "aws:ResourceTag/team", ["${aws:PrincipalTag/team}"]),
    ("DateLessThan", "aws:CurrentTime", ["2030-01-01T00:00:00Z"]),
]
CONTEXT_VALUES: dict[str, list[Any]] = {
    "aws:RequestedRegion": [REGION, "eu-west-1"],
    "aws:PrincipalTag/team": ["a", "b"],
    "aws:ResourceTag/team": ["a", "b"],
    "sagemaker:VpcSubnets": [["subnet-1"], ["subnet-1", "subnet-9"], []],
    "aws:TagKeys": [["team"], ["cost"], []],
    "aws:SecureTransport": [True, False],
    "s3:max-keys": ["5", "50"],
    "aws:SourceIp": ["10.1.2.3", "10.9.9.9", "192.0.2.1"],
    "aws:SourceArn": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/t1",
                      f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"],
    "aws:CurrentTime": ["2026-11-30T12:00:00Z", "2031-01-01T00:00:00Z"],
    "aws:username": ["ana"],
}


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> Statement:
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3))
    conds = draw(st.lists(st.sampled_from(CONDITIONS), max_size=3, unique_by=lambda c: c[:2]))
    return Statement(
        effect=effect or draw(st.sampled_from(["Allow", "Deny"])),
        **{("not_actions" if draw(st.booleans()) and len(actions) == 1 else "actions"): actions},
        **{("not_resources" if draw(st.integers(0, 4)) == 0 else "resources"): resources},
        conditions={op: {key: values} for op, key, values in conds},
    )


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(CONTEXT_VALUES)), unique=True, max_size=6))
    return {k: draw(st.sampled_from(CONTEXT_VALUES[k])) for k in keys}


def _decide(stmts: list[Statement], action: str, resource: str, ctx: dict[str, Any]) -> str:
    return evaluate(PolicyDocument(stmts), action, resource, ctx).decision


@SETTINGS
@given(st.lists(statements(), max_size=5), statements(effect="Allow"),
       st.sampled_from(ACTIONS), st.sampled_from(RESOURCES), contexts())
def test_adding_an_allow_never_denies(
    stmts: list[Statement], extra: Statement, action: str, resource: str, ctx: dict[str, Any]
) -> None:
    before = _decide(stmts, action, resource, ctx)
    after = _decide([*stmts, extra], action, resource, ctx)
    if before == "allowed":
        assert after == "allowed"
    if before == "explicit_deny":
        assert after == "explicit_deny"


@SETTINGS
@given(st.lists(statements(), max_size=5), statements(effect="Deny"),
       st.sampled_from(ACTIONS), st.sampled_from(RESOURCES), contexts())
def test_adding_a_deny_never_allows(
    stmts: list[Statement], extra: Statement, action: str, resource: str, ctx: dict[str, Any]
) -> None:
    before = _decide(stmts, action, resource, ctx)
    after = _decide([*stmts, extra], action, resource, ctx)
    if before != "allowed":
        assert after != "allowed"
    if after == "allowed":
        assert before == "allowed"


@SETTINGS
@given(st.lists(statements(), max_size=5), st.sampled_from(ACTIONS),
       st.sampled_from(RESOURCES), contexts())
def test_a_boundary_never_widens(
    stmts: list[Statement], action: str, resource: str, ctx: dict[str, Any]
) -> None:
    doc = PolicyDocument(stmts)
    alone = evaluate(doc, action, resource, ctx)
    bounded = evaluate(doc, action, resource, ctx, boundary=doc)
    assert bounded.decision == alone.decision
    everything = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert evaluate(doc, action, resource, ctx, boundary=everything).decision == alone.decision
    assert not evaluate(everything, action, resource, ctx, boundary=doc).allowed or alone.allowed


# -- packing a persona never changes a decision -------------------------------------------------

PERSONAS = [
    p
    for net in (None, NETWORK)
    for enc in (ENCRYPTIONS[0], ENCRYPTIONS[1], ENCRYPTIONS[2])
    for rails in (None, GUARDRAILS)
    for p in full_personas(network=net, encryption=enc, guardrails=rails)
]
FOREIGN_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"


def _instantiate(pattern: str, filler: str) -> str:
    return "*" if pattern == "*" else re.sub(r"[*?]", filler, pattern)


@st.composite
def persona_requests(draw: st.DrawFn) -> tuple[Any, str, str, dict[str, Any]]:
    """A persona and a request aimed at one of its statements (so most requests come
    near a grant), with guard-rail keys set to the persona's values or foreign ones."""
    persona = draw(st.sampled_from(PERSONAS))
    stmts = persona.statements(ACCOUNT, REGION)
    stmt = draw(st.sampled_from(stmts))
    pattern = draw(st.sampled_from(stmt.actions or ("s3:GetObject",)))
    names = catalog.expand(pattern) or (pattern,)
    action = draw(st.sampled_from(names))
    resource = _instantiate(draw(st.sampled_from(stmt.resources or ("*",))),
                            draw(st.sampled_from(["x", "a/b", "1"])))
    ctx: dict[str, Any] = {}
    for cond in stmt.conditions:
        if draw(st.integers(0, 3)) == 0:
            continue  # the key is missing
        values = list(cond.values)
        if cond.operator == "Null":
            values = ["x"]
        foreign = {"sagemaker:volumekmskeyarn": FOREIGN_KEY,
                   "sagemaker:outputkmskeyarn": FOREIGN_KEY}.get(cond.key.lower(), "other")
        value = draw(st.sampled_from([*values, foreign]))
        value = _instantiate(value, "x")
        multi = cond.operator.startswith("For") or cond.key.lower().startswith(
            ("sagemaker:vpc", "sagemaker:instancetypes", "aws:tagkeys"))
        ctx[cond.key] = [value] if multi else value
    return persona, action, resource, ctx


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persona_requests(), st.sampled_from([None, 1500, 3000]))
def test_packing_never_changes_a_decision(
    request: tuple[Any, str, str, dict[str, Any]], max_chars: int | None
) -> None:
    persona, action, resource, ctx = request
    # Persona.evaluate fills in the keys every request of the persona carries in its
    # own account (documented there); the raw evaluations get the same context.
    given = {k.lower() for k in ctx}
    own: dict[str, Any] = {}
    if "aws:principalaccount" not in given:
        own["aws:PrincipalAccount"] = ACCOUNT
    if action.lower().startswith("s3:") and "s3:resourceaccount" not in given:
        own["s3:ResourceAccount"] = ACCOUNT
    full = {**own, **ctx}
    whole = evaluate(persona.policy_document(ACCOUNT, REGION), action, resource, full)
    if max_chars is None:
        packed = persona.policy_documents(ACCOUNT, REGION)
    else:
        packed = pack_statements(persona.statements(ACCOUNT, REGION), max_chars=max_chars)
    split = evaluate(packed, action, resource, full)
    assert split.decision == whole.decision, (whole.explain(), split.explain())
    via_persona = persona.evaluate(action, resource, ctx, account_id=ACCOUNT, region=REGION)
    assert via_persona.decision == whole.decision


def test_the_persona_requests_reach_both_verdicts() -> None:
    # The packing property is only worth something if its requests are sometimes
    # allowed and sometimes denied.
    seen: set[str] = set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(persona_requests())
    def collect(request: tuple[Any, str, str, dict[str, Any]]) -> None:
        persona, action, resource, ctx = request
        seen.add(evaluate(persona.policy_document(ACCOUNT, REGION), action, resource,
                          ctx).decision)

    collect()
    assert {"allowed", "implicit_deny"} <= seen


def test_the_statement_strategy_reaches_every_verdict() -> None:
    seen: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None)
    @given(st.lists(statements(), min_size=1, max_size=4), st.sampled_from(ACTIONS),
           st.sampled_from(RESOURCES), contexts())
    def collect(stmts: list[Statement], action: str, resource: str, ctx: dict[str, Any]) -> None:
        seen.add(_decide(stmts, action, resource, ctx))

    collect()
    assert seen == {"allowed", "explicit_deny", "implicit_deny"}
