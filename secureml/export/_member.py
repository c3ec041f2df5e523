"""The member template: what every workload account gets through the StackSet.

Persona roles (``AWS::IAM::Role``) with their packed customer managed policies
(``AWS::IAM::ManagedPolicy``), the blueprint's own managed policies (including
those a large permission set references), and the audit trail with its hardened
bucket and bucket policy. Every value comes from the resource's ``desired()``
state (see :mod:`secureml.export._render`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from secureml.errors import ValidationError
from secureml.export._cfn import LogicalIds, cfn_tags
from secureml.export._render import Tokens, sub
from secureml.resources import (
    OWNER_TAG,
    AuditTrail,
    ManagedPolicy,
    Resource,
    Role,
    State,
)

__all__ = ["member_resources"]

_ACCOUNT_IN_NAME = re.compile(r"(?<!\d)\d{12}(?!\d)")


def member_resources(
    blueprint: str,
    resources: Sequence[Resource],
    states: Mapping[str, State],
    tokens: Tokens,
    ids: LogicalIds,
) -> dict[str, Any]:
    """The member template's ``Resources`` section (empty when nothing is for members)."""
    out: dict[str, Any] = {}
    policy_refs: dict[str, str] = {}  # tokenised ARN -> logical id
    for r in resources:
        if isinstance(r, ManagedPolicy):
            state = states[r.key]
            logical = ids.make("Policy", r.name)
            props: dict[str, Any] = {
                "ManagedPolicyName": state["name"],
                "Path": state["path"],
                "PolicyDocument": sub(state["document"], tokens),
            }
            if r.description:
                props["Description"] = r.description
            out[logical] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": props}
            policy_refs[_arn(tokens, state["path"], state["name"])] = logical
    for r in resources:
        if isinstance(r, Role):
            out.update(_role(r, states[r.key], tokens, ids, policy_refs))
    for r in resources:
        if isinstance(r, AuditTrail):
            out.update(_trail(blueprint, r, states[r.key], tokens, ids))
    return out


def _arn(tokens: Tokens, path: str, name: str) -> str:
    return f"arn:{tokens.partition}:iam::{tokens.account}:policy{path}{name}"


def _role(
    role: Role,
    state: State,
    tokens: Tokens,
    ids: LogicalIds,
    policy_refs: Mapping[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    own: dict[str, str] = {}
    for name, document in state["policies"].items():
        arn = next(a for a in state["attached_policies"] if a.endswith(f"/{name}"))
        path = arn.split(":policy", 1)[1][: -len(name)]
        logical = ids.make("Policy", name)
        own[arn] = logical
        out[logical] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": name,
                "Path": path,
                "Description": role.own_policy_description(name),
                "PolicyDocument": sub(document, tokens),
            },
        }
    refs = {**policy_refs, **own}
    props: dict[str, Any] = {
        "RoleName": state["name"],
        "Path": state["path"],
        "AssumeRolePolicyDocument": sub(state["trust_policy"], tokens),
        "MaxSessionDuration": state["max_session_duration"],
        "ManagedPolicyArns": [
            {"Ref": refs[a]} if a in refs else sub(a, tokens) for a in state["attached_policies"]
        ],
        "Tags": cfn_tags(state["tags"]),
    }
    if state["description"]:
        props["Description"] = state["description"]
    if state["permissions_boundary"]:
        props["PermissionsBoundary"] = sub(state["permissions_boundary"], tokens)
    out[ids.make("Role", role.name)] = {"Type": "AWS::IAM::Role", "Properties": props}
    return out


def _per_account_bucket(trail: AuditTrail, tokens: Tokens) -> str:
    """The bucket name with its account id replaced by the account token: bucket names
    are global, so each account's stack needs its own."""
    if not _ACCOUNT_IN_NAME.search(trail.bucket):
        raise ValidationError(
            f"AuditTrail({trail.name!r}): bucket {trail.bucket!r} has one fixed name, but S3 "
            "bucket names are global, so a StackSet could create it in one account only. Put "
            "a 12-digit account id in the name (ml-audit-logs-111122223333): the export "
            "writes ${AWS::AccountId} in its place, giving each account its own bucket"
        )
    return _ACCOUNT_IN_NAME.sub(tokens.account, trail.bucket, count=1)


def _trail(
    blueprint: str, trail: AuditTrail, state: State, tokens: Tokens, ids: LogicalIds
) -> dict[str, Any]:
    bucket_name = _per_account_bucket(trail, tokens)
    # Every mention of the bucket (its ARNs in the policy and selectors) follows the name.
    state = json.loads(json.dumps(state).replace(trail.bucket, bucket_name))
    bucket_state, trail_state = state["bucket"], state["trail"]
    bucket_id = ids.make("AuditBucket", trail.name)
    policy_id = ids.make("AuditBucketPolicy", trail.name)
    trail_id = ids.make("AuditTrail", trail.name)
    encryption = bucket_state["Encryption"]
    default: dict[str, Any] = {"SSEAlgorithm": encryption["SSEAlgorithm"]}
    if encryption.get("KMSMasterKeyID"):
        default["KMSMasterKeyID"] = encryption["KMSMasterKeyID"]
    rule: dict[str, Any] = {"ServerSideEncryptionByDefault": default}
    if encryption.get("BucketKeyEnabled"):
        rule["BucketKeyEnabled"] = True
    bucket: dict[str, Any] = {
        "BucketName": sub(bucket_name, tokens),
        "PublicAccessBlockConfiguration": dict(bucket_state["PublicAccessBlock"]),
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [rule]},
        "VersioningConfiguration": {"Status": bucket_state["Versioning"]},
        "Tags": cfn_tags(bucket_state["Tags"]),
    }
    if trail.object_lock is not None:
        lock = bucket_state["ObjectLock"]
        bucket["ObjectLockEnabled"] = True
        bucket["ObjectLockConfiguration"] = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": lock["Mode"], "Days": lock["Days"]}},
        }
    if trail.lifecycle is not None:
        bucket["LifecycleConfiguration"] = {"Rules": [_lifecycle_rule(trail.lifecycle.rule())]}
    trail_props: dict[str, Any] = {
        "TrailName": trail.name,
        "S3BucketName": {"Ref": bucket_id},
        "IsLogging": trail_state["IsLogging"],
        "IsMultiRegionTrail": trail_state["IsMultiRegionTrail"],
        "IncludeGlobalServiceEvents": trail_state["IncludeGlobalServiceEvents"],
        "EnableLogFileValidation": trail_state["LogFileValidationEnabled"],
        "AdvancedEventSelectors": sub(trail_state["AdvancedEventSelectors"], tokens),
        "Tags": cfn_tags(trail_state["Tags"]),
    }
    if trail_state["KmsKeyId"]:
        trail_props["KMSKeyId"] = trail_state["KmsKeyId"]
    if OWNER_TAG not in trail_state["Tags"]:  # desired() always tags; a guard for the future
        raise ValidationError(f"{trail.key}: the trail's state has no {OWNER_TAG} tag")
    return {
        # Audit logs are evidence: deleting the stack keeps the bucket, as a prune does.
        bucket_id: {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": bucket,
        },
        policy_id: {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": bucket_id},
                "PolicyDocument": sub(bucket_state["Policy"], tokens),
            },
        },
        # CloudTrail checks the bucket policy when the trail is created.
        trail_id: {
            "Type": "AWS::CloudTrail::Trail",
            "DependsOn": [policy_id],
            "Properties": trail_props,
        },
    }


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The S3 API's lifecycle rule as CloudFormation spells it."""
    out: dict[str, Any] = {"Id": rule["ID"], "Status": rule["Status"], "Prefix": ""}
    if "Expiration" in rule:
        out["ExpirationInDays"] = rule["Expiration"]["Days"]
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        }
    if "Transitions" in rule:
        out["Transitions"] = [
            {"TransitionInDays": t["Days"], "StorageClass": t["StorageClass"]}
            for t in rule["Transitions"]
        ]
        out["NoncurrentVersionTransitions"] = [
            {"TransitionInDays": t["NoncurrentDays"], "StorageClass": t["StorageClass"]}
            for t in rule["NoncurrentVersionTransitions"]
        ]
    return out
