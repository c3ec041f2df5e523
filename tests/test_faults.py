"""Invariant 2, converges after faults: for every mutating call of a fresh apply
of the three personas, an apply where that call fails, then a clean apply; the
account must end exactly as after a fault-free apply, nothing duplicated and
nothing orphaned.

Three kinds of fault, injected through botocore's event hooks:

- ``before``: the call raises before it is sent (``before-call``): AWS never saw it;
- ``lost``: the call was carried out but the process dies before the answer
  arrives (``after-call`` raises an error nobody retries);
- ``retried``: the answer is lost to a network error (``after-call`` raises
  ``ConnectionClosedError``) and the retry policy sends the call again, so the
  same apply must cope with a create that already happened.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import boto3
import pytest
from botocore.exceptions import ConnectionClosedError

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.resources._iam import _canonical
from secureml.testing import READ_PREFIXES, CallRecorder, mock_session

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
EXTRA = "arn:aws:iam::123456789012:policy/team-extra"


class CrashError(Exception):
    """The process dies here."""


def blueprint() -> sm.Blueprint:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
    ds = sm.DataScientist(
        "team-a-ds", buckets=["team-a-data"], pass_roles=[compute], tags={"team": "a"}
    ).with_managed_policies(EXTRA)
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])
    shared = sm.ManagedPolicy(
        "shared-list",
        sm.PolicyDocument(
            [sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::team-a-data")]
        ),
    )
    return sm.Blueprint(
        "ml-platform",
        [compute.role(), ds.role(), attrs.evolve(mlops.role(), managed_policies=[shared]), shared],
        retry=NO_SLEEP,
        max_workers=1,  # one order of calls, so "the k-th mutating call" is well defined
    )


def prepare(session: boto3.Session) -> None:
    session.client("iam").create_policy(
        PolicyName="team-extra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sagemaker:ListApps", "Resource": "*"}],
            }
        ),
    )


def iam_dump(session: boto3.Session) -> dict[str, Any]:
    """Everything about the account's IAM roles and customer managed policies that an
    apply could have touched, without ids and dates."""
    iam = session.client("iam")
    roles: dict[str, Any] = {}
    for page in iam.get_paginator("list_roles").paginate():
        for listed in page["Roles"]:
            name = listed["RoleName"]
            role = iam.get_role(RoleName=name)["Role"]
            roles[name] = {
                "path": role["Path"],
                "trust": _canonical(role["AssumeRolePolicyDocument"]),
                "description": role.get("Description"),
                "max_session_duration": role.get("MaxSessionDuration"),
                "boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
                "tags": sorted((t["Key"], t["Value"]) for t in role.get("Tags", [])),
                "attached": sorted(
                    p["PolicyArn"]
                    for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
                ),
                "inline": sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]),
            }
    policies: dict[str, Any] = {}
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for p in page["Policies"]:
            versions = iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]
            default = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])
            policies[p["Arn"]] = {
                "versions": len(versions),
                "document": _canonical(default["PolicyVersion"]["Document"]),
                # Not AttachmentCount: moto counts a repeated (idempotent) attach twice.
                "attached_to": sorted(
                    r["RoleName"]
                    for r in iam.list_entities_for_policy(PolicyArn=p["Arn"])["PolicyRoles"]
                ),
                "tags": sorted(
                    (t["Key"], t["Value"]) for t in iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"]
                ),
            }
    return {"roles": roles, "policies": policies}


def _is_mutating(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


@pytest.fixture(scope="module")
def reference() -> tuple[dict[str, Any], list[str]]:
    """The fault-free apply: the account it leaves, and its mutating calls in order."""
    with mock_session() as session:
        prepare(session)
        calls = CallRecorder.attach(session)
        blueprint().apply(session)
        mutating = [f"{c.service}:{c.operation}" for c in calls.mutating]
        dump = iam_dump(session)
    # Outside the mock: each test run below needs a fresh backend of its own.
    return dump, mutating


def test_the_reference_apply_makes_the_expected_calls(
    reference: tuple[dict[str, Any], list[str]],
) -> None:
    dump, mutating = reference
    assert sorted(dump["roles"]) == ["team-a-compute", "team-a-ds", "team-a-mlops"]
    assert mutating.count("iam:CreateRole") == 3
    # Every own policy and the shared one created, each attached, plus the existing one.
    assert mutating.count("iam:AttachRolePolicy") == mutating.count("iam:CreatePolicy") + 1
    assert all(op.startswith("iam:") for op in mutating)


def _fault_hook(mode: str, target: int) -> tuple[Any, Any, list[str]]:
    count = [0]
    fired: list[str] = []

    def before(model: Any, **_: Any) -> None:
        if not _is_mutating(model.name):
            return
        count[0] += 1
        if count[0] == target and mode == "before":
            fired.append(model.name)
            raise CrashError(f"crash before sending {model.name}")

    def after(model: Any, **_: Any) -> None:
        if not _is_mutating(model.name) or count[0] != target or fired:
            return
        fired.append(model.name)
        if mode == "lost":
            raise CrashError(f"crash after {model.name} was carried out")
        raise ConnectionClosedError(endpoint_url="https://iam.amazonaws.com")

    return before, after, fired


@pytest.mark.parametrize("mode", ["before", "lost", "retried"])
def test_every_mutating_call_can_fail_and_the_next_apply_converges(
    mode: str, reference: tuple[dict[str, Any], list[str]]
) -> None:
    expected, mutating = reference
    assert len(mutating) >= 10
    for target in range(1, len(mutating) + 1):
        with mock_session() as session:
            prepare(session)
            before, after, fired = _fault_hook(mode, target)
            session.events.register("before-call.*.*", before)
            session.events.register("after-call.*.*", after)
            if mode == "retried":
                # The same apply sends the call again and must finish the job.
                blueprint().apply(session)
            else:
                with pytest.raises(sm.ConvergenceError) as err:
                    blueprint().apply(session)
                assert isinstance(err.value.__cause__, CrashError)
                blueprint().apply(session)
            assert fired == [mutating[target - 1].split(":")[1]], (mode, target, fired)
            assert iam_dump(session) == expected, f"{mode} fault at call {target} ({fired})"
            # Equal to the reference, which a re-apply leaves alone (test_iam proves it).
