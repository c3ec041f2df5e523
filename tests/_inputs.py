"""Every public constructor and method that takes input, with a valid call of each,
and wrong values to put in their place: shared by the input fuzz tests and
``benchmarks/bench_inputs.py`` (which counts what is refused cleanly)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

import secureml as sm
from secureml import activities as act

ACCOUNT = "111122223333"
REGION = "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NET = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
ENC = sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=KEY)
DS = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
COMPUTE = sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
DOC = sm.PolicyDocument([sm.Statement(actions="s3:GetObject", resources="arn:aws:s3:::b/*")])


@attrs.frozen
class Target:
    """A public callable, a valid set of keyword arguments for it, and its area."""

    name: str
    area: str
    call: Callable[..., Any]
    kwargs: dict[str, Any]

    def fields(self) -> list[str]:
        return sorted(self.kwargs)


def _method(name: str) -> Callable[..., Any]:
    def call(**kwargs: Any) -> Any:
        target = kwargs.pop("self")
        return getattr(target, name)(**kwargs)

    return call


def _deployed(make: Callable[..., Any]) -> Callable[..., Any]:
    """``make``, then the resource in a blueprint: a resource's input is checked, at
    the latest, when a blueprint is built, before any AWS call."""

    def call(**kwargs: Any) -> Any:
        return sm.Blueprint("bp", [make(**kwargs)])

    return call


def _with_tags(**kwargs: Any) -> Any:
    # Keyword names are always text (Python's rule): only the value can be wrong.
    return kwargs["self"].with_tags(k=kwargs["value"])


def _with_activities(**kwargs: Any) -> Any:
    return kwargs["self"].with_activities(kwargs["activity"])


def _without_activities(**kwargs: Any) -> Any:
    return kwargs["self"].without_activities(kwargs["activity"])


def _with_policies(**kwargs: Any) -> Any:
    return kwargs["self"].with_managed_policies(kwargs["arn"])


TARGETS: tuple[Target, ...] = (
    # personas
    Target("DataScientist", "personas", sm.DataScientist, {
        "name": "team-a-ds", "buckets": ["team-a-data"], "pass_roles": ["team-a-compute"],
        "workgroups": ["primary"], "glue_databases": ["team_a"], "network": NET,
        "encryption": ENC, "guardrails": sm.Guardrails(), "managed_policies": [],
        "permissions_boundary": None, "tags": {"team": "a"}, "description": "d",
        "max_session_duration": "PT1H", "activities": None,
    }),
    Target("MLOps", "personas", sm.MLOps, {
        "name": "team-a-ops", "pass_roles": ["team-a-compute"], "tags": {"team": "a"},
    }),
    Target("Compute", "personas", sm.Compute, {
        "name": "team-a-compute", "buckets": ["team-a-data"], "ecr_repositories": ["team-a/*"],
        "encryption": ENC, "network": NET,
    }),
    Target("Persona.with_tags", "personas", _with_tags, {"self": DS, "value": "v"}),
    Target("Persona.with_activities", "personas", _with_activities, {
        "self": DS, "activity": act.QueryAthenaWorkgroups(workgroups=["primary"]),
    }),
    Target("Persona.without_activities", "personas", _without_activities, {
        "self": DS, "activity": act.ManageExperiments,
    }),
    Target("Persona.with_managed_policies", "personas", _with_policies, {
        "self": DS, "arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    }),
    Target("Persona.with_settings", "personas", _method("with_settings"), {
        "self": DS, "network": NET, "encryption": ENC,
    }),
    Target("Persona.policy_document", "personas", _method("policy_document"), {
        "self": DS, "account_id": ACCOUNT, "region": REGION, "partition": "aws",
    }),
    Target("Persona.role", "personas", _deployed(_method("role")), {
        "self": DS, "name": "team-a-ds", "path": "/ml/", "adopt": False,
    }),
    Target("Persona.permission_set", "personas", _deployed(_method("permission_set")), {
        "self": DS, "name": "team-a-ds", "session_duration": "PT8H",
    }),
    # settings
    Target("NetworkSettings", "settings", sm.NetworkSettings, {
        "subnets": ["subnet-0abc1234"], "security_groups": ["sg-0abc1234"],
    }),
    Target("EncryptionSettings", "settings", sm.EncryptionSettings, {
        "volume_kms_key": KEY, "output_kms_key": KEY,
    }),
    Target("Guardrails", "settings", sm.Guardrails, {
        "network_isolation": True, "inter_container_traffic_encryption": False,
        "instance_types": ["ml.m5.*"],
    }),
    # activities
    Target("AccessRequiredAWSServices", "activities", act.AccessRequiredAWSServices, {
        "buckets": ["team-a-data"], "ecr_repositories": ["team-a/*"],
    }),
    Target("ManageMLJobs", "activities", act.ManageMLJobs, {"pass_roles": ["team-a-compute"]}),
    Target("ManageModels", "activities", act.ManageModels, {"pass_roles": ["team-a-compute"]}),
    Target("ManagePipelines", "activities", act.ManagePipelines, {"pass_roles": ["x-role"]}),
    Target("ManageModelMonitoring", "activities", act.ManageModelMonitoring, {
        "pass_roles": ["team-a-compute"],
    }),
    Target("S3BucketAccess", "activities", act.S3BucketAccess, {"buckets": ["team-a-data"]}),
    Target("QueryAthenaWorkgroups", "activities", act.QueryAthenaWorkgroups, {
        "workgroups": ["primary"],
    }),
    Target("ManageGlueTables", "activities", act.ManageGlueTables, {
        "glue_databases": ["team_a"], "buckets": ["team-a-data"],
    }),
    # policy
    Target("Statement", "policy", sm.Statement, {
        "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"], "effect": "Allow",
        "conditions": (), "sid": None,
    }),
    Target("Condition", "policy", sm.Condition, {
        "operator": "StringEquals", "key": "aws:SourceAccount", "values": [ACCOUNT],
    }),
    Target("PolicyDocument", "policy", sm.PolicyDocument, {
        "statements": [sm.Statement(actions="s3:GetObject", resources="*")],
        "version": "2012-10-17",
    }),
    Target("PolicyDocument.from_json", "policy", sm.PolicyDocument.from_json, {
        "text": DOC.to_json(),
    }),
    Target("PolicyDocument.from_dict", "policy", sm.PolicyDocument.from_dict, {
        "data": DOC.to_dict(),
    }),
    # resources
    Target("Role", "resources", _deployed(sm.Role), {
        "name": "r", "policies": [DOC], "trust_policy": None, "path": "/", "description": "d",
        "max_session_duration": "PT1H", "tags": {"a": "b"}, "adopt": False,
        "managed_policies": [], "permissions_boundary": None,
    }),
    Target("ManagedPolicy", "resources", _deployed(sm.ManagedPolicy), {
        "name": "p", "document": DOC, "path": "/", "description": "d", "tags": {}, "adopt": False,
    }),
    Target("PermissionSet", "resources", _deployed(sm.PermissionSet), {
        "name": "ps", "session_duration": "PT1H", "inline_policy": DOC, "tags": {},
        "managed_policies": [], "relay_state": None, "description": None, "adopt": False,
    }),
    Target("GroupAssignment", "resources", _deployed(sm.GroupAssignment), {
        "group": "DataScientists", "permission_set": "ps", "accounts": [ACCOUNT],
    }),
    Target("UserAssignment", "resources", _deployed(sm.UserAssignment), {
        "user": "alice", "permission_set": "ps", "accounts": [ACCOUNT],
    }),
    Target("IdentityCenter", "resources", lambda **kw: sm.Blueprint("bp", [sm.PermissionSet(
        name="ps", managed_policies=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        identity_center=sm.IdentityCenter(**kw))]), {
        "instance_arn": None, "identity_store_id": None, "region": REGION,
    }),
    Target("BucketPublicAccessBlock", "resources", _deployed(sm.BucketPublicAccessBlock), {
        "bucket": "team-a-data", "block_public_policy": True,
    }),
    Target("AccountPublicAccessBlock", "resources", _deployed(sm.AccountPublicAccessBlock), {
        "account_id": ACCOUNT, "block_public_acls": True,
    }),
    Target("AuditTrail", "resources", _deployed(sm.AuditTrail), {
        "name": "ml-audit", "bucket": "ml-audit-logs", "kms_key_arn": KEY,
        "data_event_buckets": ["team-a-data"], "tags": {}, "adopt": False,
        "lifecycle": None, "object_lock": None,
    }),
    Target("Lifecycle", "resources", sm.Lifecycle, {
        "expiration_days": 365, "transition_days": 30, "storage_class": "GLACIER",
    }),
    Target("ObjectLock", "resources", sm.ObjectLock, {"days": 30, "mode": "GOVERNANCE"}),
    # engine
    Target("Blueprint", "engine", sm.Blueprint, {
        "name": "bp", "resources": [DS.role()], "region": REGION, "max_workers": 2,
    }),
)


BAD_VALUES: tuple[Any, ...] = (
    None, 0, -1, 2**70, 1.5, float("nan"), True, "", " ", "x" * 100_000, "\x00", "é☃𝄞",
    "*", "${aws:username}", b"\xff\xfe", [], [None], [5], [[]], [{}], {}, {"a": 1},
    {1: "a"}, ("a", "b"), [("a", "b")], {"a"}, object(), sm.Statement,
    lambda: None, iter(["team-a-data"]),
)
"""Wrong types, unicode, huge and empty values, None: what a caller may pass by mistake."""


def calls() -> Iterator[tuple[Target, str, Any]]:
    """Every target with each field replaced by each bad value."""
    for target in TARGETS:
        for field in target.fields():
            if field == "self":
                continue
            for value in BAD_VALUES:
                yield target, field, value


def run(target: Target, field: str, value: Any) -> BaseException | None:
    """Call ``target`` with ``field`` set to ``value``; the exception raised, if any."""
    kwargs = {**target.kwargs, field: value}
    try:
        target.call(**kwargs)
    except Exception as exc:
        return exc
    return None
