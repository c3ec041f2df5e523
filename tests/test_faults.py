"""Invariant 2, converges after faults: for every mutating call of an apply,
an apply where that call fails, then a clean apply; the account must end
exactly as after a fault-free apply, nothing duplicated (policy versions
included) and nothing orphaned.

Two applies are put through it: a fresh apply of the three personas, and an
update of that account to an edited blueprint with ``prune`` (a new policy
version, one at the five-version cap, tags, attachments added and removed, a
role pruned with its policy).

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


SHARED_DOC = sm.PolicyDocument(
    [sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::team-a-data")]
)


def blueprint(*, edited: bool = False) -> sm.Blueprint:
    """The three personas and a shared policy; ``edited``: the update applied to them."""
    buckets = ["team-a-data", "team-a-more"] if edited else ["team-a-data"]
    compute = sm.Compute("team-a-compute", buckets=buckets, ecr_repositories=["team-a/*"])
    shared = sm.ManagedPolicy(
        "shared-list",
        sm.PolicyDocument(
            [sm.Statement(actions=["s3:GetBucketLocation", "s3:ListBucket"],
                          resources="arn:aws:s3:::team-a-data")]
        ) if edited else SHARED_DOC,
    )
    if edited:
        # New tag value, the extra policy swapped for the shared one, MLOps removed.
        ds = sm.DataScientist(
            "team-a-ds", buckets=["team-a-data"], pass_roles=[compute], tags={"team": "b"}
        )
        ds_role = attrs.evolve(ds.role(), managed_policies=[shared])
        resources = [compute.role(), ds_role, shared]
    else:
        ds = sm.DataScientist(
            "team-a-ds", buckets=["team-a-data"], pass_roles=[compute], tags={"team": "a"}
        ).with_managed_policies(EXTRA)
        mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])
        resources = [
            compute.role(), ds.role(), attrs.evolve(mlops.role(), managed_policies=[shared]),
            shared,
        ]
    return sm.Blueprint(
        "ml-platform",
        resources,
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


def prepare_update(session: boto3.Session) -> None:
    """The account the update starts from: the fault-free apply of the first
    blueprint, with the shared policy at IAM's five versions (four old ones)."""
    prepare(session)
    blueprint().apply(session)
    iam = session.client("iam")
    arn = "arn:aws:iam::123456789012:policy/secureml/ml-platform/shared-list"
    for i in range(4):
        old = sm.PolicyDocument(
            [sm.Statement(actions="s3:ListBucket", resources=f"arn:aws:s3:::old-{i}")]
        )
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=old.to_json())


# name -> (prepare the account, the blueprint applied under faults, prune)
SCENARIOS = {
    "fresh": (prepare, blueprint(), False),
    "update": (prepare_update, blueprint(edited=True), True),
}


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


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def reference(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], list[str]]:
    """The fault-free apply: the account it leaves, and its mutating calls in order."""
    name = request.param
    setup, bp, prune = SCENARIOS[name]
    with mock_session() as session:
        setup(session)
        calls = CallRecorder.attach(session)
        bp.apply(session, prune=prune)
        mutating = [f"{c.service}:{c.operation}" for c in calls.mutating]
        dump = iam_dump(session)
        # The reference is itself converged: a second apply changes nothing.
        assert bp.plan(session, prune=prune).is_empty
    # Outside the mock: each test run below needs a fresh backend of its own.
    return name, dump, mutating


def test_the_reference_apply_makes_the_expected_calls(
    reference: tuple[str, dict[str, Any], list[str]],
) -> None:
    name, dump, mutating = reference
    assert all(op.startswith("iam:") for op in mutating)
    if name == "fresh":
        assert sorted(dump["roles"]) == ["team-a-compute", "team-a-ds", "team-a-mlops"]
        assert mutating.count("iam:CreateRole") == 3
        # Every own policy and the shared one created, each attached, plus the existing one.
        assert mutating.count("iam:AttachRolePolicy") == mutating.count("iam:CreatePolicy") + 1
        return
    assert sorted(dump["roles"]) == ["team-a-compute", "team-a-ds"]
    assert sorted(mutating) == sorted(
        [
            "iam:CreatePolicyVersion",  # team-a-compute-policy-1: one more bucket
            "iam:DeletePolicyVersion",  # shared-list at the cap: the oldest goes first
            "iam:CreatePolicyVersion",  # shared-list
            "iam:TagRole",  # team-a-ds: team=b
            "iam:AttachRolePolicy",  # team-a-ds: shared-list
            "iam:DetachRolePolicy",  # team-a-ds: team-extra
            "iam:DetachRolePolicy",  # team-a-mlops pruned: its own policy
            "iam:DetachRolePolicy",  # and shared-list
            "iam:DeletePolicy",  # team-a-mlops-policy-1
            "iam:DeleteRole",  # team-a-mlops
        ]
    )
    shared = dump["policies"]["arn:aws:iam::123456789012:policy/secureml/ml-platform/shared-list"]
    assert shared["versions"] == 5
    assert shared["attached_to"] == ["team-a-ds"]
    compute = "arn:aws:iam::123456789012:policy/secureml/ml-platform/role/team-a-compute/"
    assert dump["policies"][compute + "team-a-compute-policy-1"]["versions"] == 2


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
    mode: str, reference: tuple[str, dict[str, Any], list[str]]
) -> None:
    name, expected, mutating = reference
    setup, bp, prune = SCENARIOS[name]
    assert len(mutating) >= 10
    for target in range(1, len(mutating) + 1):
        with mock_session() as session:
            setup(session)
            before, after, fired = _fault_hook(mode, target)
            session.events.register("before-call.*.*", before)
            session.events.register("after-call.*.*", after)
            if mode == "retried":
                # The same apply sends the call again and must finish the job.
                bp.apply(session, prune=prune)
            else:
                with pytest.raises(sm.ConvergenceError) as err:
                    bp.apply(session, prune=prune)
                assert isinstance(err.value.__cause__, CrashError)
                bp.apply(session, prune=prune)
            assert fired == [mutating[target - 1].split(":")[1]], (mode, target, fired)
            assert iam_dump(session) == expected, f"{mode} fault at call {target} ({fired})"
            # Equal to the reference, which a re-apply leaves alone (checked above).
