"""Invariant 2, converges after faults: for every mutating call of an apply,
an apply where that call fails, then a clean apply; the account must end
exactly as after a fault-free apply, nothing duplicated (policy versions,
permission sets, assignments and trails included) and nothing orphaned, and
the apply after that makes no mutating call.

Two applies are put through it: a fresh apply of a blueprint with a resource
of every kind (roles, a managed policy, a permission set, a group and a user
assignment, a bucket and the account Block Public Access, an audit trail with
its bucket), and an update of an IAM account to an edited blueprint with
``prune`` (a new policy version, one at the five-version cap, tags,
attachments added and removed, a role pruned with its policy).

Three kinds of fault, injected through botocore's event hooks:

- ``before``: the call raises before it is sent (``before-call``): AWS never saw it;
- ``lost``: the call was carried out but the process dies before the answer
  arrives (``after-call`` raises an error nobody retries);
- ``retried``: the answer is lost to a network error (``after-call`` raises
  ``ConnectionClosedError``) and the retry policy sends the call again, so the
  same apply must cope with a create that already happened (moto answers a
  repeated create as AWS does: see ``test_repeated_creates.py``).
"""

from __future__ import annotations

import json
from typing import Any

import _every_kind as every_kind_account
import attrs
import boto3
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.resources._iam import _canonical
from secureml.testing import READ_PREFIXES, CallRecorder, RecordedCall, mock_session

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
    "every-kind": (every_kind_account.prepare, every_kind_account.every_kind(max_workers=1),
                   False),
    "every-kind-update": (every_kind_account.prepare_update,
                          every_kind_account.every_kind(edited=True, max_workers=1), True),
    "iam-update": (prepare_update, blueprint(edited=True), True),
}
KINDS = sorted(every_kind_account.resources())
MODES = ("before", "lost", "retried")


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


def _tags(items: Any) -> list[tuple[str, str]]:
    return sorted((t["Key"], t.get("Value", "")) for t in items or [])


def sso_dump(session: boto3.Session) -> dict[str, Any]:
    """Every permission set of the instance (by name, duplicates counted) and its
    assignments to the account."""
    sso, ids = session.client("sso-admin"), session.client("identitystore")
    found = sso.list_instances()["Instances"][0]
    instance, store = found["InstanceArn"], found["IdentityStoreId"]
    # Principal ids are random in each emulated account: compare by name.
    names = {g["GroupId"]: g["DisplayName"]
             for g in ids.list_groups(IdentityStoreId=store)["Groups"]}
    names.update({u["UserId"]: u["UserName"]
                  for u in ids.list_users(IdentityStoreId=store)["Users"]})
    sets: dict[str, list[Any]] = {}
    for arn in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]:
        ps = sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)
        common = {"InstanceArn": instance, "PermissionSetArn": arn}
        sets.setdefault(ps["PermissionSet"]["Name"], []).append({
            "duration": ps["PermissionSet"].get("SessionDuration"),
            "description": ps["PermissionSet"].get("Description"),
            "tags": _tags(sso.list_tags_for_resource(InstanceArn=instance,
                                                     ResourceArn=arn)["Tags"]),
            "inline": _canonical(sso.get_inline_policy_for_permission_set(**common)
                                 .get("InlinePolicy") or "{}"),
            "managed": sorted(p["Arn"] for p in sso.list_managed_policies_in_permission_set(
                **common)["AttachedManagedPolicies"]),
            "accounts": sorted(sso.list_accounts_for_provisioned_permission_set(
                **common)["AccountIds"]),
            "assigned": sorted(
                (a["PrincipalType"], names.get(a["PrincipalId"], a["PrincipalId"]))
                for a in sso.list_account_assignments(
                    InstanceArn=instance, AccountId=every_kind_account.ACCOUNT,
                    PermissionSetArn=arn)["AccountAssignments"]
            ),
        })
    return sets


def _get(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"]


def s3_dump(session: boto3.Session) -> dict[str, Any]:
    """Every bucket's tags, policy and settings, and the account's Block Public Access."""
    s3 = session.client("s3")
    buckets: dict[str, Any] = {}
    for b in s3.list_buckets()["Buckets"]:
        name = b["Name"]
        policy = _get(s3.get_bucket_policy, Bucket=name)
        tagging = _get(s3.get_bucket_tagging, Bucket=name)
        buckets[name] = {
            "tags": _tags(tagging["TagSet"]) if isinstance(tagging, dict) else tagging,
            "policy": _canonical(policy["Policy"]) if isinstance(policy, dict) else policy,
            "block": (_get(s3.get_public_access_block, Bucket=name) or {}),
            "encryption": _get(s3.get_bucket_encryption, Bucket=name),
            "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
        }
    for value in buckets.values():
        for key in ("block", "encryption"):
            if isinstance(value[key], dict):
                value[key].pop("ResponseMetadata", None)
    account = _get(session.client("s3control").get_public_access_block,
                   AccountId=every_kind_account.ACCOUNT)
    if isinstance(account, dict):
        account.pop("ResponseMetadata", None)
    return {"buckets": buckets, "account-block": account}


def trail_dump(session: boto3.Session) -> dict[str, Any]:
    """Every trail's settings, tags, selectors and logging status."""
    ct = session.client("cloudtrail")
    trails: dict[str, Any] = {}
    for t in ct.list_trails()["Trails"]:
        trail = ct.get_trail(Name=t["TrailARN"])["Trail"]
        trails[t["Name"]] = {
            "bucket": trail["S3BucketName"],
            "multi-region": trail.get("IsMultiRegionTrail"),
            "validation": trail.get("LogFileValidationEnabled"),
            "logging": ct.get_trail_status(Name=t["TrailARN"]).get("IsLogging"),
            "selectors": ct.get_event_selectors(TrailName=t["TrailARN"]).get(
                "AdvancedEventSelectors"),
            "tags": _tags(ct.list_tags(ResourceIdList=[t["TrailARN"]])["ResourceTagList"][0]
                          .get("TagsList")),
        }
    return trails


def abac_dump(session: boto3.Session) -> dict[str, Any]:
    """The instance's attributes for access control (or the error code when there is
    no configuration) and the instance's tags (where their ownership is kept)."""
    sso = session.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    config = _get(sso.describe_instance_access_control_attribute_configuration,
                  InstanceArn=instance)
    if isinstance(config, dict):
        config = config["InstanceAccessControlAttributeConfiguration"]
    tags = sso.list_tags_for_resource(InstanceArn=instance, ResourceArn=instance)["Tags"]
    return {"configuration": config, "instance-tags": _tags(tags)}


def account_dump(session: boto3.Session) -> dict[str, Any]:
    """Everything an apply of any kind could have touched, without ids and dates."""
    return {
        "iam": iam_dump(session),
        "sso": sso_dump(session),
        "abac": abac_dump(session),
        "s3": s3_dump(session),
        "cloudtrail": trail_dump(session),
    }


def kind_of(call: RecordedCall, audit_buckets: set[str]) -> str:
    """Which kind of resource made a mutating call (from its service and parameters)."""
    service, op, params = call.service, call.operation, call.params
    if service == "iam":
        role = params.get("RoleName") or ("/role/" in str(params.get("Path", "")) and "x")
        arn = str(params.get("PolicyArn", ""))
        return "iam-role" if role or "/role/" in arn else "iam-policy"
    if service == "sso-admin":
        # The attributes' configuration, and their ownership tag on the instance itself.
        if "AccessControlAttribute" in op or (
            "ResourceArn" in params and params["ResourceArn"] == params.get("InstanceArn")
        ):
            return "sso-access-control-attributes"
        if op in ("CreateAccountAssignment", "DeleteAccountAssignment"):
            return ("sso-group-assignment" if params.get("PrincipalType") == "GROUP"
                    else "sso-user-assignment")
        return "sso-permission-set"
    if service == "s3control":
        return "s3-account-public-access-block"
    if service == "s3" and params.get("Bucket") not in audit_buckets:
        return "s3-public-access-block"
    return "cloudtrail-audit-trail"


def _is_mutating(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


Reference = tuple[str, dict[str, Any], list[tuple[str, str]]]


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def reference(request: pytest.FixtureRequest) -> Reference:
    """The fault-free apply: the account it leaves, and its mutating calls in order
    (``service:Operation``, kind)."""
    name = request.param
    setup, bp, prune = SCENARIOS[name]
    audit = {r.bucket for r in bp if isinstance(r, sm.AuditTrail)}
    with mock_session() as session:
        setup(session)
        calls = CallRecorder.attach(session)
        bp.apply(session, prune=prune)
        mutating = [(f"{c.service}:{c.operation}", kind_of(c, audit)) for c in calls.mutating]
        dump = account_dump(session)
        # The reference is itself converged: a second apply changes nothing.
        assert bp.plan(session, prune=prune).is_empty
    # Outside the mock: each test run below needs a fresh backend of its own.
    return name, dump, mutating


def test_the_reference_apply_makes_the_expected_calls(reference: Reference) -> None:
    name, dump, calls = reference
    mutating = [op for op, _ in calls]
    if name == "every-kind":
        # Every kind is put through faults.
        assert sorted({kind for _, kind in calls}) == KINDS
        assert sorted(dump["iam"]["roles"]) == ["team-a-compute", "team-a-ds"]
        assert list(dump["sso"]) == ["team-a-ds"]
        assert len(dump["sso"]["team-a-ds"][0]["assigned"]) == 2
        assert list(dump["cloudtrail"]) == ["team-a-audit"]
        assert dump["abac"]["instance-tags"] == [
            ("secureml:access-control-attributes", "team-a-bp")
        ]
        assert dump["s3"]["buckets"]["team-a-audit-logs-123456789012"]["tags"] == [
            ("secureml:blueprint", "team-a-bp")
        ]
        # The log bucket is tagged in its CreateBucket: no separate tagging call.
        assert "s3:PutBucketTagging" not in mutating
        return
    if name == "every-kind-update":
        assert sorted({kind for _, kind in calls}) == sorted(
            set(KINDS) - {"sso-group-assignment"}  # unchanged (its permission set re-provisions)
        )
        for op in ("iam:DeleteRole", "iam:CreatePolicyVersion", "sso-admin:UpdatePermissionSet",
                   "sso-admin:ProvisionPermissionSet", "sso-admin:DeleteAccountAssignment",
                   "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors"):
            assert op in mutating, (op, mutating)
        assert sorted(dump["cloudtrail"]) == ["team-a-audit"]
        # The attributes were pruned, their ownership tag with them.
        assert dump["abac"] == {"configuration": "ResourceNotFoundException",
                                "instance-tags": []}
        return
    assert all(op.startswith("iam:") for op in mutating)
    assert sorted(dump["iam"]["roles"]) == ["team-a-compute", "team-a-ds"]
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
    shared = dump["iam"]["policies"][
        "arn:aws:iam::123456789012:policy/secureml/ml-platform/shared-list"]
    assert shared["versions"] == 5
    assert shared["attached_to"] == ["team-a-ds"]
    compute = "arn:aws:iam::123456789012:policy/secureml/ml-platform/role/team-a-compute/"
    assert dump["iam"]["policies"][compute + "team-a-compute-policy-1"]["versions"] == 2


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


@pytest.mark.parametrize("mode", MODES)
def test_every_mutating_call_can_fail_and_the_next_apply_converges(
    mode: str, reference: Reference
) -> None:
    name, expected, calls = reference
    setup, bp, prune = SCENARIOS[name]
    assert len(calls) >= 10
    for target in range(1, len(calls) + 1):
        where = f"{mode} fault at call {target} ({calls[target - 1]})"
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
                assert isinstance(err.value.__cause__, CrashError), where
                bp.apply(session, prune=prune)
            assert fired == [calls[target - 1][0].split(":")[1]], (where, fired)
            recorder = CallRecorder.attach(session)
            bp.apply(session, prune=prune)
            assert recorder.mutating == [], (where, recorder.operations())
            assert account_dump(session) == expected, where
