"""Properties of the engine over random valid blueprints (hypothesis, few examples
so the file stays fast): any blueprint applies and then plans empty; any edit of
it applies in place (same role ids) and then plans empty."""

from __future__ import annotations

from typing import Any

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import secureml as sm
from secureml import activities as act
from secureml.aws import RetryPolicy
from secureml.testing import CallRecorder, mock_session

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEFAULTS = {
    "DataScientist": act.DATA_SCIENTIST_DEFAULTS,
    "MLOps": act.MLOPS_DEFAULTS,
    "Compute": act.COMPUTE_DEFAULTS,
}
BUILDERS = {"DataScientist": sm.DataScientist, "MLOps": sm.MLOps, "Compute": sm.Compute}
SLOW = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure always reproduces
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def personas(draw: st.DrawFn, name: str) -> sm.Persona:
    kind = draw(st.sampled_from(sorted(BUILDERS)))
    kwargs: dict[str, Any] = {
        "tags": draw(
            st.dictionaries(
                st.sampled_from(["team", "env", "cost"]), st.sampled_from(["a", "b"]), max_size=2
            )
        ),
        "description": draw(st.none() | st.sampled_from(["ML role", "another description"])),
        "max_session_duration": draw(st.sampled_from(["PT1H", "PT4H", "PT12H"])),
    }
    if draw(st.booleans()):
        kwargs["network"] = sm.NetworkSettings(
            subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"]
        )
    if draw(st.booleans()):
        kwargs["encryption"] = sm.EncryptionSettings(volume_kms_key=KMS, output_kms_key=KMS)
    if kind != "MLOps":
        kwargs["buckets"] = draw(
            st.lists(
                st.sampled_from(["data-a", "data-b", "data-c"]), min_size=1, max_size=3, unique=True
            )
        )
    if kind != "Compute":
        kwargs["pass_roles"] = ["exec-role"]
    persona = BUILDERS[kind](name, **kwargs)
    defaults = DEFAULTS[kind]
    drop = draw(st.lists(st.sampled_from(defaults), max_size=len(defaults) - 1, unique=True))
    if drop:
        persona = persona.without_activities(*drop)
    return persona


@st.composite
def blueprints(draw: st.DrawFn) -> list[sm.Persona]:
    n = draw(st.integers(min_value=1, max_value=3))
    return [draw(personas(f"p{i}")) for i in range(n)]


def apply_then_plan(session: boto3.Session, people: list[sm.Persona]) -> None:
    bp = sm.Blueprint("props", [p.role() for p in people], retry=NO_SLEEP)
    bp.apply(session)
    calls = CallRecorder.attach(session)
    assert bp.plan(session).is_empty, str(bp.plan(session))
    assert calls.mutating == []


def role_ids(session: boto3.Session) -> dict[str, str]:
    roles = session.client("iam").list_roles()["Roles"]
    return {r["RoleName"]: r["RoleId"] for r in roles}


@SLOW
@given(people=blueprints())
def test_any_valid_blueprint_applies_and_then_plans_empty(people: list[sm.Persona]) -> None:
    with mock_session() as session:
        apply_then_plan(session, people)
        assert sorted(role_ids(session)) == sorted(p.name for p in people)


@SLOW
@given(first=blueprints(), second=blueprints())
def test_any_edit_applies_in_place(first: list[sm.Persona], second: list[sm.Persona]) -> None:
    with mock_session() as session:
        apply_then_plan(session, first)
        before = role_ids(session)
        apply_then_plan(session, second)
        after = role_ids(session)
        # Roles kept by the edit are the same roles (updated, not replaced); roles the
        # edit dropped stay until a prune.
        for name in set(before) & {p.name for p in second}:
            assert after[name] == before[name], name
        assert set(after) == set(before) | {p.name for p in second}
