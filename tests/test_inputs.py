"""Every input is checked at the public boundary, and no value widens a policy.

Given any value in place of any argument of a public constructor or method
(wrong types, unicode, huge and empty values, None), the call either works or
raises a secureml error: never ``TypeError``, ``AttributeError``, ``KeyError`` or
``UnicodeDecodeError``, and never an AWS call (botocore's one entry point for
API calls fails the test if it is reached). Then the injection cases of issue 15:
names and ARNs that would widen a policy are refused, with the field and value
as data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import botocore.client
import pytest
from _inputs import ACCOUNT, BAD_VALUES, KEY, REGION, TARGETS, Target, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import secureml as sm
from secureml import activities as act


@pytest.fixture(autouse=True)
def no_aws_calls() -> Iterator[mock.MagicMock]:
    """Any AWS API call, by any client, fails the test."""
    with mock.patch.object(
        botocore.client.BaseClient, "_make_api_call", side_effect=AssertionError("AWS call")
    ) as patched:
        yield patched
    assert patched.call_count == 0


def _assert_clean(target: Target, field: str, value: Any) -> None:
    exc = run(target, field, value)
    assert exc is None or isinstance(exc, sm.SecureMLError), (
        f"{target.name}({field}={value!r:.60}) raised {type(exc).__name__}: {exc}"
    )
    if isinstance(exc, sm.ValidationError):
        assert exc.problems
        assert all(isinstance(p, sm.Problem) for p in exc.problems)
        assert "Traceback" not in str(exc)


_FIELDS = [(t, f) for t in TARGETS for f in t.fields() if f != "self"]

_anything = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
        st.sampled_from(BAD_VALUES),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(_FIELDS), value=_anything)
def test_any_value_anywhere_is_refused_cleanly(where: tuple[Target, str], value: Any) -> None:
    target, field = where
    _assert_clean(target, field, value)


@pytest.mark.parametrize(("target", "field"), _FIELDS, ids=[f"{t.name}.{f}" for t, f in _FIELDS])
def test_every_field_refuses_the_usual_mistakes_cleanly(target: Target, field: str) -> None:
    for value in BAD_VALUES:
        _assert_clean(target, field, value)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sm.DataScientist("ds", buckets=5), "buckets"),
        (lambda: sm.DataScientist("ds", buckets=["b-data"], pass_roles=[None]), "pass_roles"),
        (lambda: sm.Compute("c", buckets=["b-data"], network={}), "network"),
        (lambda: sm.Compute("c", buckets=["b-data"], encryption=3), "encryption"),
        (lambda: sm.Compute("c", buckets=["b-data"], tags=[("a", "b")]), "tags"),
        (lambda: sm.Blueprint("bp", [sm.GroupAssignment(
            group="g", permission_set="p", accounts=123456789012)]), None),
        (lambda: sm.Blueprint("x", None), "resources"),
        (lambda: sm.Blueprint("bp", [sm.Role("r", trust_policy=b"\xff")]), None),
        (lambda: sm.Blueprint("x", [], region=2), "region"),
        (lambda: sm.Blueprint("x", [], region="us-east-9"), "region"),
        (lambda: sm.PolicyDocument.from_json(b"\xff\xfe{"), None),
    ],
)
def test_the_crashes_of_issue_15_are_validation_errors(call: Any, field: str | None) -> None:
    with pytest.raises(sm.ValidationError) as info:
        call()
    if field is not None:
        assert field in {p.path[0] for p in info.value.problems if p.path}, info.value.problems


# -- no value widens a policy -------------------------------------------------------------


def _refused(call: Any) -> sm.Problem:
    with pytest.raises(sm.ValidationError) as info:
        call()
    return info.value.problems[0]


@pytest.mark.parametrize(
    "role",
    [
        f"arn:aws:iam::{ACCOUNT}:role/*",
        f"arn:aws:iam::{ACCOUNT}:role/a?",
        f"arn:aws:iam::{ACCOUNT}:role/team-*",
        f"arn:aws:iam::{ACCOUNT}:role/*/x",
        "arn:aws:iam::*:role/x",
        f"arn:aws:iam::{ACCOUNT}:*",
        "*",
        "team-a-*",
        "role-${aws:username}",
        f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}",
        "/ml/*/x",
        "arn:aws:iam::aws:role/x",
        f"arn:aws:iam::{ACCOUNT}:user/x",
    ],
)
def test_pass_roles_take_no_wildcard_or_variable(role: str) -> None:
    problem = _refused(lambda: sm.DataScientist("ds", buckets=["b-data"], pass_roles=[role]))
    assert (problem.path, problem.value) == (("pass_roles", 0), role)
    problem = _refused(lambda: act.ManageMLJobs(pass_roles=[role]))
    assert problem.value == role


@pytest.mark.parametrize(
    "key",
    [
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/a?",
        f"arn:aws:kms:*:{ACCOUNT}:key/1234abcd",
        f"arn:aws:kms:{REGION}:*:key/1234abcd",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:*",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/${{aws:username}}",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/ml",
        "1234abcd-12ab",
    ],
)
def test_kms_keys_are_one_key_arn_everywhere(key: str) -> None:
    problem = _refused(lambda: sm.EncryptionSettings(output_kms_key=key))
    assert (problem.path, problem.value) == (("encryption", "output_kms_key"), key)
    with pytest.raises(sm.ValidationError, match="kms_key_arn"):
        sm.Blueprint("bp", [sm.AuditTrail("ml-audit", bucket="ml-audit-logs", kms_key_arn=key)])


@pytest.mark.parametrize(
    "repository",
    ["*", "**", "*/*", "*/x", "team-*/x", "team-a/a?", "team-a/**", "${aws:username}",
     "arn:aws:ecr:us-east-1:111122223333:repository/*",
     "arn:aws:ecr:*:111122223333:repository/team-a/x",
     "arn:aws:ecr:us-east-1:*:repository/team-a/x"],
)
def test_ecr_repositories_take_only_a_literal_prefix_wildcard(repository: str) -> None:
    problem = _refused(
        lambda: sm.Compute("c", buckets=["b-data"], ecr_repositories=[repository])
    )
    assert (problem.path, problem.value) == (("ecr_repositories", 0), repository)


@pytest.mark.parametrize("database", ["*", "**", "*a", "a*b", "a?", "${aws:username}"])
def test_glue_databases_take_only_a_literal_prefix_wildcard(database: str) -> None:
    problem = _refused(lambda: act.ManageGlueTables(glue_databases=[database]))
    assert problem.value == database


@pytest.mark.parametrize(
    ("field", "value"),
    [("buckets", "*"), ("buckets", "team-*"), ("buckets", "${aws:username}-data"),
     ("workgroups", "*"), ("workgroups", "wg?"), ("workgroups", "${aws:username}")],
)
def test_buckets_and_workgroups_take_no_wildcard(field: str, value: str) -> None:
    problem = _refused(
        lambda: sm.DataScientist("ds", pass_roles=["c"], **{"buckets": ["b-data"], field: [value]})
    )
    assert problem.value == value


@pytest.mark.parametrize("instance", ["*", "ml.*", "ml.*.xlarge", "ml.m5.x?", "ml.${x}.large"])
def test_instance_types_take_only_one_family(instance: str) -> None:
    with pytest.raises(sm.ValidationError, match="instance_types"):
        sm.Guardrails(instance_types=[instance])


def test_documented_prefix_wildcards_stay() -> None:
    compute = sm.Compute("c", buckets=["b-data"], ecr_repositories=["team-a/*"])
    assert compute.ecr_repositories == ("team-a/*",)
    assert sm.Guardrails(instance_types=["ml.m5.*"]).instance_types == ("ml.m5.*",)
    assert act.ManageGlueTables(glue_databases=["team_a_*"]).glue_databases == ("team_a_*",)
    doc = compute.policy_document(ACCOUNT, REGION).to_json()
    assert f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team-a/*" in doc


def test_a_role_in_another_account_or_partition_is_refused_once_the_account_is_known() -> None:
    other = sm.DataScientist(
        "ds", buckets=["b-data"], pass_roles=["arn:aws:iam::999999999999:role/x"]
    )
    problem = _refused(lambda: other.policy_document(ACCOUNT, REGION))
    assert (problem.path, problem.value) == (("pass_roles", 0), "arn:aws:iam::999999999999:role/x")
    china = sm.DataScientist(
        "ds", buckets=["b-data"], pass_roles=[f"arn:aws-cn:iam::{ACCOUNT}:role/x"]
    )
    with pytest.raises(sm.ValidationError, match="partition"):
        china.policy_document(ACCOUNT, REGION)
    with pytest.raises(sm.ValidationError, match="region"):
        china.policy_document(ACCOUNT, "us-east-9")


def _pass_role_resources(persona: sm.Persona) -> list[Any]:
    doc = persona.policy_document(ACCOUNT, REGION)
    return [s.resources for s in doc.statements if "iam:PassRole" in s.actions]


def test_pass_role_names_the_real_arn_of_a_role_with_a_path() -> None:
    compute = sm.Compute("team-a-compute", buckets=["b-data"])
    ds = sm.DataScientist("ds", buckets=["b-data"], pass_roles=[compute.role(path="/ml/")])
    assert ds.pass_roles == ("/ml/team-a-compute",)
    assert _pass_role_resources(ds) == [(f"arn:aws:iam::{ACCOUNT}:role/ml/team-a-compute",)]
    # Passing the persona by name while its role in the blueprint has a path: refused.
    bare = sm.DataScientist("ds", buckets=["b-data"], pass_roles=[compute])
    with pytest.raises(sm.ValidationError, match="has path '/ml/'") as info:
        sm.Blueprint("bp", [compute.role(path="/ml/"), bare.role()])
    assert info.value.problems[0].path == ("resources", 1)


def test_a_blueprint_file_passes_a_role_with_its_path() -> None:
    from secureml.blueprint_file import loads

    bf = loads(
        "personas:\n"
        "  - {name: c, kind: Compute, buckets: [b-data], role: {path: /ml/}}\n"
        "  - {name: d, kind: DataScientist, buckets: [b-data], pass_roles: [c], role: {}}\n"
    )
    assert _pass_role_resources(bf.personas["d"]) == [(f"arn:aws:iam::{ACCOUNT}:role/ml/c",)]


def test_structured_problems_locate_the_bad_value() -> None:
    with pytest.raises(sm.ValidationError) as info:
        sm.DataScientist("ds", buckets=["good-data", "Bad"], pass_roles=["ok", "*"])
    by_path = {p.path: p for p in info.value.problems}
    assert by_path[("buckets", 1)].value == "Bad"
    assert by_path[("pass_roles", 1)].value == "*"
    assert str(by_path[("buckets", 1)]).startswith("persona 'ds': buckets: 'Bad' is not")
    assert KEY  # the shared valid key is a key ARN
    sm.EncryptionSettings(output_kms_key=KEY)


def test_json_errors_carry_the_problem_path_and_value() -> None:
    from secureml.cli import _problem_dict

    with pytest.raises(sm.ValidationError) as info:
        sm.DataScientist("ds", buckets=["good-data", "Bad"], pass_roles=["c"])
    assert _problem_dict(info.value.problems[0]) == {
        "message": str(info.value.problems[0]),
        "path": ["buckets", 1],
        "value": "Bad",
        "detail": info.value.problems[0].detail,  # the message without "buckets: "
    }
    assert "buckets:" not in info.value.problems[0].detail
    with pytest.raises(sm.ValidationError) as info:
        sm.Compute("c", buckets=["b-data"], network={"a": 1})
    assert _problem_dict(info.value.problems[0])["value"] == "{'a': 1} (a dict)"


def test_a_problem_with_an_unhashable_value_can_still_be_collected() -> None:
    problem = sm.Problem(("buckets",), ["a"], "buckets: ['a'] is bad")
    assert {problem} == {sm.Problem(("buckets",), ["a"], "buckets: ['a'] is bad")}
    assert sm.ValidationError([problem, "text too"]).problems[1].path == ()
