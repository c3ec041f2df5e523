"""The management-account templates: Identity Center (permission sets and account
assignments, split across stacks at 500 resources) and the organization's S3 policy
for account-level Block Public Access."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from secureml.errors import ValidationError
from secureml.export._cfn import MAX_RESOURCES_PER_STACK, LogicalIds, cfn_tags
from secureml.export._render import Tokens, sub
from secureml.resources import (
    INSTANCE_ARN,
    OWNER_TAG,
    PRINCIPAL_ID,
    AccessControlAttributes,
    AccountPublicAccessBlock,
    GroupAssignment,
    PermissionSet,
    Resource,
    State,
    UserAssignment,
)

if TYPE_CHECKING:
    from secureml.aws import AwsContext

__all__ = ["AssignmentRow", "Resolver", "identity_center_stacks", "organization_resources"]

S3_POLICY_CONTENT = {"s3_attributes": {"public_access_block_configuration": {"@@assign": "all"}}}
"""The Organizations S3 policy turning on all four Block Public Access settings."""


@attrs.frozen
class AssignmentRow:
    """One ``AWS::SSO::Assignment``: a principal, a permission set, an account."""

    principal_type: str
    principal: str
    permission_set: str
    account: str

    def sort_key(self) -> tuple[str, str, str, str]:
        """Assignments are split across stacks in this order (stable across exports)."""
        return (self.permission_set, self.principal_type, self.principal, self.account)


@attrs.define
class Resolver:
    """Looks up at export time what only AWS knows (with a session), or declares a
    template parameter for it (without one)."""

    ctx: AwsContext | None
    instance_arn: str | None = None
    _cache: dict[tuple[str, str], str] = attrs.field(factory=dict)

    def instance(self) -> str | None:
        """The Identity Center instance ARN, or ``None`` (a parameter) without a session."""
        if self.instance_arn is None and self.ctx is not None:
            instances = list(self.ctx.paginate("sso-admin", "list_instances", "Instances"))
            if len(instances) != 1:
                raise ValidationError(
                    f"the session sees {len(instances)} IAM Identity Center instances in "
                    f"{self.ctx.region}; give identity_center=IdentityCenter(instance_arn=...) on "
                    "the permission sets and assignments"
                )
            self.instance_arn = instances[0]["InstanceArn"]
            self._cache[("store", "")] = instances[0]["IdentityStoreId"]
        return self.instance_arn

    def principal_id(self, principal_type: str, principal: str) -> str | None:
        """The group's or user's id: as given when it is an id, looked up by display name
        or user name with a session, else ``None`` (a parameter)."""
        if PRINCIPAL_ID.match(principal):
            return principal
        if self.ctx is None:
            return None
        key = (principal_type, principal)
        if key not in self._cache:
            store = self._store()
            if principal_type == "GROUP":
                found = self.ctx.call(
                    "identitystore", "get_group_id", IdentityStoreId=store,
                    AlternateIdentifier={"UniqueAttribute": {
                        "AttributePath": "displayName", "AttributeValue": principal}},
                )["GroupId"]
            else:
                found = self.ctx.call(
                    "identitystore", "get_user_id", IdentityStoreId=store,
                    AlternateIdentifier={"UniqueAttribute": {
                        "AttributePath": "userName", "AttributeValue": principal}},
                )["UserId"]
            self._cache[key] = str(found)
        return self._cache[key]

    def _store(self) -> str:
        if ("store", "") not in self._cache:
            assert self.ctx is not None
            for inst in self.ctx.paginate("sso-admin", "list_instances", "Instances"):
                if inst["InstanceArn"] == self.instance():
                    self._cache[("store", "")] = inst["IdentityStoreId"]
        return self._cache[("store", "")]

    def ou_accounts(self, ou: str, where: str) -> list[str]:
        """The ACTIVE accounts directly in an OU (as ``apply()`` expands it)."""
        if self.ctx is None:
            raise ValidationError(
                f"{where}: organizational unit {ou} can be exported only with a session that "
                "can list its accounts (AWS::SSO::Assignment targets accounts); pass session= "
                "or list the accounts"
            )
        return sorted(
            a["Id"]
            for a in self.ctx.paginate("organizations", "list_accounts_for_parent", "Accounts",
                                       ParentId=ou)
            if a.get("Status", "ACTIVE") == "ACTIVE"
        )


def _rows(
    resources: Sequence[Resource], states: Mapping[str, State], resolver: Resolver
) -> list[AssignmentRow]:
    rows: set[AssignmentRow] = set()
    for r in resources:
        if not isinstance(r, GroupAssignment | UserAssignment):
            continue
        state = states[r.key]
        accounts = set(state["accounts"])
        for ou in state["organizational_units"]:
            accounts.update(resolver.ou_accounts(ou, r.key))
        rows.update(
            AssignmentRow(state["principal_type"], state["principal"], state["permission_set"], a)
            for a in accounts
        )
    return sorted(rows, key=AssignmentRow.sort_key)


def _permission_set(state: State, instance: Any, tokens: Tokens) -> dict[str, Any]:
    props: dict[str, Any] = {
        "InstanceArn": instance,
        "Name": state["name"],
        "Description": state["description"],
        "SessionDuration": state["session_duration"],
        "Tags": cfn_tags(state["tags"]),
    }
    if state["relay_state"]:
        props["RelayStateType"] = state["relay_state"]
    if state["inline_policy"]:
        props["InlinePolicy"] = sub(state["inline_policy"], tokens)
    if state["managed_policies"]:
        props["ManagedPolicies"] = list(state["managed_policies"])
    if state["customer_managed_policies"]:
        props["CustomerManagedPolicyReferences"] = [
            {"Name": r["name"], "Path": r["path"]} for r in state["customer_managed_policies"]
        ]
    boundary = state["permissions_boundary"]
    if boundary and "managed_policy_arn" in boundary:
        props["PermissionsBoundary"] = {"ManagedPolicyArn": boundary["managed_policy_arn"]}
    elif boundary:
        ref = boundary["customer_managed_policy"]
        props["PermissionsBoundary"] = {
            "CustomerManagedPolicyReference": {"Name": ref["name"], "Path": ref["path"]}
        }
    return {"Type": "AWS::SSO::PermissionSet", "Properties": props}


@attrs.define
class _Stack:
    """One Identity Center stack being built: its resources and the parameters they use."""

    resources: dict[str, Any] = attrs.field(factory=dict)
    parameters: dict[str, Any] = attrs.field(factory=dict)
    outputs: dict[str, Any] = attrs.field(factory=dict)


def identity_center_stacks(
    resources: Sequence[Resource],
    states: Mapping[str, State],
    tokens: Tokens,
    resolver: Resolver,
    *,
    first_stack: str,
    max_resources: int = MAX_RESOURCES_PER_STACK,
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(resources, parameters, outputs) of each Identity Center stack, first one first.

    The first holds every permission set and as many assignments as fit in
    ``max_resources``; the rest hold assignments only, ``max_resources`` each, in
    :meth:`AssignmentRow.sort_key` order, and import the permission sets' ARNs
    from the first stack's outputs."""
    sets = [r for r in resources if isinstance(r, PermissionSet)]
    abac = [r for r in resources if isinstance(r, AccessControlAttributes)]
    rows = _rows(resources, states, resolver)
    if not sets and not rows and not abac:
        return []
    if len(sets) + len(abac) > max_resources:
        raise ValidationError(
            f"{len(sets)} permission sets do not fit in one stack of {max_resources} resources"
        )
    ids = LogicalIds()
    ps_ids = {r.name: ids.make("PermissionSet", r.name) for r in sets}
    stacks = [_Stack()]
    first = stacks[0]

    def instance(stack: _Stack) -> Any:
        arn = resolver.instance()
        if arn is not None:
            return arn
        stack.parameters["InstanceArn"] = {
            "Type": "String",
            "Description": "The IAM Identity Center instance ARN (sso-admin list-instances)",
            "AllowedPattern": INSTANCE_ARN.pattern,
        }
        return {"Ref": "InstanceArn"}

    for r in sets:
        logical = ps_ids[r.name]
        first.resources[logical] = _permission_set(states[r.key], instance(first), tokens)
        first.outputs[f"{logical}Arn"] = {
            "Description": f"ARN of permission set {r.name}",
            "Value": {"Fn::GetAtt": [logical, "PermissionSetArn"]},
            "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{logical}Arn"}},
        }
    for config in abac:  # one per instance: the blueprint has at most one
        first.resources[ids.make("AccessControlAttributes", "instance")] = {
            "Type": "AWS::SSO::InstanceAccessControlAttributeConfiguration",
            "Properties": {
                "InstanceArn": instance(first),
                "AccessControlAttributes": [
                    {"Key": key, "Value": {"Source": list(sources)}}
                    for key, sources in sorted(states[config.key]["attributes"].items())
                ],
            },
        }
    room = max_resources - len(first.resources)
    chunks = [rows[:room]] + [
        rows[i:i + max_resources] for i in range(room, len(rows), max_resources)
    ]
    for index, chunk in enumerate(chunks):
        if index > 0:
            stacks.append(_Stack())
        stack = stacks[-1]
        for row in chunk:
            stack.resources[ids.make(
                "Assignment", f"{row.principal}-{row.permission_set}-{row.account}"
            )] = {
                "Type": "AWS::SSO::Assignment",
                "Properties": {
                    "InstanceArn": instance(stack),
                    "PermissionSetArn": _ps_arn(stack, index, row, ps_ids, first_stack),
                    "PrincipalId": _principal(stack, row, resolver, ids),
                    "PrincipalType": row.principal_type,
                    "TargetId": row.account,
                    "TargetType": "AWS_ACCOUNT",
                },
            }
    return [(s.resources, s.parameters, s.outputs) for s in stacks if s.resources]


def _ps_arn(stack: _Stack, index: int, row: AssignmentRow, ps_ids: Mapping[str, str],
            first_stack: str) -> Any:
    logical = ps_ids.get(row.permission_set)
    if logical is None:  # a permission set made elsewhere
        name = LogicalIds().make("PermissionSetArn", row.permission_set)
        stack.parameters[name] = {
            "Type": "String",
            "Description": f"ARN of permission set {row.permission_set} (not in the blueprint)",
        }
        return {"Ref": name}
    if index == 0:
        return {"Fn::GetAtt": [logical, "PermissionSetArn"]}
    stack.parameters["IdentityCenterStack"] = {
        "Type": "String",
        "Default": first_stack,
        "Description": "The stack that holds the permission sets (the first Identity Center "
                       "template)",
    }
    return {"Fn::ImportValue": {"Fn::Sub": f"${{IdentityCenterStack}}-{logical}Arn"}}


def _principal(stack: _Stack, row: AssignmentRow, resolver: Resolver, ids: LogicalIds) -> Any:
    found = resolver.principal_id(row.principal_type, row.principal)
    if found is not None:
        return found
    what = "Group" if row.principal_type == "GROUP" else "User"
    name = LogicalIds().make(f"{what}Id", row.principal)
    stack.parameters[name] = {
        "Type": "String",
        "Description": f"Identity store id of {what.lower()} {row.principal} "
                       f"(identitystore get-{what.lower()}-id)",
        "AllowedPattern": PRINCIPAL_ID.pattern,
    }
    return {"Ref": name}


def organization_resources(
    blueprint: str, resources: Sequence[Resource], states: Mapping[str, State],
    targets: Sequence[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(resources, parameters) of the organization template: an ``S3_POLICY`` for the
    target OUs when the blueprint has an :class:`~secureml.AccountPublicAccessBlock`."""
    blocks = [r for r in resources if isinstance(r, AccountPublicAccessBlock)]
    if not blocks:
        return {}, {}
    for r in blocks:
        if not all(states[r.key].values()):
            off = sorted(k for k, v in states[r.key].items() if not v)
            raise ValidationError(
                f"{r.key}: {', '.join(off)} turned off cannot be exported: an Organizations "
                "S3 policy sets all four Block Public Access settings or none. Keep all four "
                "on, or leave account-level Block Public Access out of the blueprint you export"
            )
    parameters: dict[str, Any] = {}
    target_ids: Any = list(targets)
    if not targets:
        parameters["TargetIds"] = {
            "Type": "CommaDelimitedList",
            "Description": "The OUs (ou-...) or root (r-...) the S3 policy is attached to",
        }
        target_ids = {"Ref": "TargetIds"}
    policy: dict[str, Any] = {
        "Type": "AWS::Organizations::Policy",
        "Properties": {
            "Name": f"{blueprint}-s3-block-public-access",
            "Description": "secureml: S3 Block Public Access, all four settings, in every "
                           f"account of the target OUs (blueprint {blueprint})",
            "Type": "S3_POLICY",
            "Content": S3_POLICY_CONTENT,
            "TargetIds": target_ids,
            "Tags": cfn_tags({OWNER_TAG: blueprint}),
        },
    }
    return {LogicalIds().make("S3BlockPublicAccessPolicy", blueprint): policy}, parameters

