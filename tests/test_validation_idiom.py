"""One validation idiom (issue 10): every public class is checked when it is made,
and ``problems()`` is the one name for the problems of an object."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import attrs
import pytest

import secureml as sm
from secureml import activities as act
from secureml._validation import Checked
from secureml.errors import Problem, ValidationError
from secureml.personas import PERSONA_BUILDERS
from secureml.policy import PERSONA_KINDS
from secureml.testing import CallRecorder

DOC = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::d")])

# One invalid construction per public resource kind (and the values they take), and the
# path of the problem it must report: the field that is wrong.
INVALID: list[tuple[str, Callable[[], object], tuple[str | int, ...]]] = [
    ("Role", lambda: sm.Role("bad name"), ("name",)),
    ("Role path", lambda: sm.Role("r", policies=[DOC], path="no-slash"), ("path",)),
    ("ManagedPolicy", lambda: sm.ManagedPolicy("p", sm.PolicyDocument()), ("document",)),
    ("PermissionSet", lambda: sm.PermissionSet(name="x" * 33), ("name",)),
    (
        "PermissionSet session",
        lambda: sm.PermissionSet(name="ok", session_duration="PT13H"),
        ("session_duration",),
    ),
    (
        "GroupAssignment",
        lambda: sm.GroupAssignment(group="g", permission_set="ps", accounts=["12345"]),
        ("accounts", 0),
    ),
    (
        "UserAssignment",
        lambda: sm.UserAssignment(
            user="u", permission_set="ps", accounts=["111122223333"],
            organizational_units=["team-a"],
        ),
        ("organizational_units", 0),
    ),
    (
        "AccessControlAttributes",
        lambda: sm.AccessControlAttributes({"aws:team": "${path:enterprise.department}"}),
        ("attributes", "aws:team"),
    ),
    ("BucketPublicAccessBlock", lambda: sm.BucketPublicAccessBlock("Bad_Bucket"), ("bucket",)),
    (
        "BucketPublicAccessBlock setting",
        lambda: sm.BucketPublicAccessBlock("ok-data", block_public_acls="no"),  # type: ignore[arg-type]
        ("block_public_acls",),
    ),
    (
        "AccountPublicAccessBlock",
        lambda: sm.AccountPublicAccessBlock("12345"),
        ("account_id",),
    ),
    ("AuditTrail", lambda: sm.AuditTrail("ab", bucket="ml-audit-logs"), ("name",)),
    ("AuditTrail bucket", lambda: sm.AuditTrail("audit", bucket="B"), ("bucket",)),
    (
        "AuditTrail tag",  # the one tag rule every kind shares (a value over 256 characters)
        lambda: sm.AuditTrail("audit", bucket="ml-audit-logs", tags={"team": "x" * 257}),
        ("tags", "team"),
    ),
    (
        "Role tag",
        lambda: sm.Role("r", policies=[DOC], tags={"aws:team": "a"}),
        ("tags", "aws:team"),
    ),
    ("Lifecycle", lambda: sm.Lifecycle(expiration_days=0), ("expiration_days",)),
    ("ObjectLock", lambda: sm.ObjectLock(days=0), ("days",)),
    (
        "IdentityCenter",
        lambda: sm.IdentityCenter(instance_arn="arn:aws:sso:::instance/nope"),
        ("identity_center", "instance_arn"),
    ),
    ("Scope", lambda: sm.Scope(name_prefix="Team A"), ("scope", "name_prefix")),
    ("PrincipalTag", lambda: sm.PrincipalTag("aws:team"), ("key",)),
    ("Statement", lambda: sm.Statement(actions="s3:ListBucket", effect="Maybe"), ("effect",)),
]


@pytest.mark.parametrize(("what", "make", "path"), INVALID, ids=[w for w, _, _ in INVALID])
def test_an_invalid_object_is_refused_on_the_line_that_makes_it(
    calls: CallRecorder, what: str, make: Callable[[], object], path: tuple[str | int, ...]
) -> None:
    with pytest.raises(ValidationError) as err:
        make()
    assert path in [p.path for p in err.value.problems], err.value.problems
    assert all(isinstance(p, Problem) for p in err.value.problems)
    assert calls.calls == []


# Classes whose instances are answers (plans, findings, reports), not input to check.
ANSWERS = {
    "ApplyResult", "Change", "Evaluation", "Finding", "FindingCode", "Limit", "Plan",
    "Problem", "PublicAccessReport",
}


def _input_classes() -> list[type[Any]]:
    classes = [getattr(sm, n) for n in sm.__all__]
    classes += list(act.ALL)
    return [
        c for c in classes
        if inspect.isclass(c) and attrs.has(c) and c.__name__ not in ANSWERS
    ]


def test_every_public_class_that_takes_input_has_problems_with_one_signature() -> None:
    found = _input_classes()
    assert {c.__name__ for c in found} >= {
        "Blueprint", "Persona", "Role", "PermissionSet", "AuditTrail", "NetworkSettings",
        "PolicyDocument", "Statement", "Condition", "Scope", "ManageMLJobs",
    }
    for cls in found:
        assert issubclass(cls, Checked), cls  # checked when made
        method = cls.problems
        params = list(inspect.signature(method).parameters)
        assert params == ["self"], (cls, params)
        hints = typing.get_type_hints(method)
        assert hints["return"] == list[Problem], (cls, hints)


def test_no_public_class_keeps_another_name_for_its_problems() -> None:
    for name in sm.__all__:
        obj = getattr(sm, name)
        if inspect.isclass(obj):
            assert not hasattr(obj, "validate"), name
            assert not hasattr(obj, "_problems"), name


def test_a_valid_object_has_no_problems() -> None:
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
    objects = [
        ds, ds.role(), ds.permission_set(), sm.AuditTrail("audit", bucket="ml-audit-logs"),
        sm.BucketPublicAccessBlock("team-a-data"), sm.Blueprint("bp", [ds.role()]), DOC,
    ]
    assert [o.problems() for o in objects] == [[] for _ in objects]


def test_each_persona_kind_has_one_builder_entry() -> None:
    # The blueprint file reads these; the builders' signatures are the source.
    assert tuple(PERSONA_BUILDERS) == PERSONA_KINDS
    for kind, info in PERSONA_BUILDERS.items():
        assert info.builder.__name__ == kind
        assert not set(info.inputs) & set(info.refused), kind
    assert PERSONA_BUILDERS["Compute"].inputs == (
        "buckets", "ecr_repositories", "workgroups", "glue_databases"
    )
    assert PERSONA_BUILDERS["MLOps"].inputs == ()
