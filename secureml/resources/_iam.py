"""IAM resources: :class:`Role` (a persona's role with its own managed policies)
and :class:`ManagedPolicy` (a customer managed policy on its own).

How a role's policies are modelled
----------------------------------
A persona's statements are packed into customer managed policies whose number
depends on the account id and region (they appear in the ARNs, and so in the
sizes). They are therefore part of the :class:`Role` resource, not separate
resources: the role's state holds them as ``policies`` (name -> document),
and its create, update and delete order the calls (policies created before they
are attached, detached before they are deleted). A :class:`ManagedPolicy` that
the role attaches is a resource of its own and a dependency of the role.

Names and paths
---------------
A role's own policies are named ``<role>-policy-<n>`` (n from 1) and live under
the IAM path ``/secureml/<blueprint>/role/<role>/``; a :class:`ManagedPolicy`
without an explicit path lives under ``/secureml/<blueprint>/``. The path makes
discovery cheap: one paginated ``ListPolicies`` with that path prefix finds
every policy of a blueprint (``ListPolicies`` returns no tags). Roles keep the
path the caller gives; owned roles are found, tags included, by one paginated
``GetAccountAuthorizationDetails`` (roles only), since ``ListRoles`` returns no
tags either.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from botocore.exceptions import ClientError

from secureml._convert import as_items, frozen_tags
from secureml._validation import adopt_flag, check_iam_name, checker, of_type
from secureml.aws import EVENTUAL_CONSISTENCY_CODES, error_code
from secureml.errors import OwnershipError, Problem, RefusalError
from secureml.personas import sagemaker_trust_policy
from secureml.policy import (
    LIMITS,
    PolicyDocument,
)
from secureml.resources._base import OWNER_TAG, Claim, Observed, Resource, State, tag_problems
from secureml.resources._iam_snapshot import note_demand, snapshot, untouched
from secureml.resources._kinds import register_kind

if TYPE_CHECKING:
    from secureml.aws import AwsContext

__all__ = [
    "IAM_DESCRIPTION",
    "JUST_CREATED",
    "MAX_POLICY_VERSIONS",
    "NEW_PRINCIPAL",
    "PLACEHOLDER_ACCOUNT",
    "PLACEHOLDER_REGION",
    "ManagedPolicy",
    "already_exists",
    "as_iam_stores",
    "aws_principals",
    "blueprint_policies",
    "blueprint_policy_path",
    "check_own_policy",
    "default_document",
    "delete_policy",
    "ensure_policy",
    "forget_policies",
    "get_or_none",
    "ignore_missing",
    "path_problems",
    "policy_arn",
    "policy_prefixes",
    "role_policy_path",
    "sagemaker_trust_policy",
    "set_document",
    "tag_dict",
    "tag_list",
    "to_documents",
    "to_json",
    "to_optional_document",
    "update_tags",
]

log = logging.getLogger("secureml.resources.iam")

MAX_POLICY_VERSIONS = 5
"""IAM keeps at most five versions of a managed policy."""

_PATH = re.compile(r"^(/|/[\x21-\x7e]+/)$")
IAM_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")
# Retried right after a create: the new role or policy may not be visible yet.
JUST_CREATED = frozenset({"NoSuchEntity"}) & EVENTUAL_CONSISTENCY_CODES
# A trust policy naming a principal created moments ago is refused until IAM sees it.
NEW_PRINCIPAL = frozenset({"MalformedPolicyDocument"}) & EVENTUAL_CONSISTENCY_CODES
# Placeholders for validating sizes before the account is known (the longest region
# name makes the estimate err on the side of more policies).
PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_REGION = "ap-southeast-2"



def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_dict(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or ()}


def _document(value: PolicyDocument | Mapping[str, Any] | str) -> PolicyDocument:
    return value if isinstance(value, PolicyDocument) else PolicyDocument.from_json(value)


def to_documents(value: Iterable[PolicyDocument | Mapping[str, Any] | str]) -> tuple[
    PolicyDocument, ...
]:
    if isinstance(value, PolicyDocument | Mapping | str):
        return (_document(value),)
    return tuple(_document(v) for v in as_items(value, "policies", "PolicyDocuments"))


def to_optional_document(value: PolicyDocument | Mapping[str, Any] | str | None) -> (
    PolicyDocument | None
):
    return None if value is None else _document(value)


def _canonical(value: Any) -> dict[str, Any]:
    return PolicyDocument.from_json(value).to_dict()


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _missing(exc: ClientError) -> bool:
    return error_code(exc) == "NoSuchEntity"


def already_exists(exc: ClientError) -> bool:
    return error_code(exc) == "EntityAlreadyExists"


def path_problems(path: str, where: str) -> list[Problem]:
    if not isinstance(path, str) or len(path) > 512 or not _PATH.match(path):
        return [Problem("path", path, (
            f"{where}: path {path!r} is not an IAM path: '/' or '/segments/' of printable "
            "ASCII without spaces, starting and ending with '/', at most 512 characters"
        ))]
    return []


def blueprint_policy_path(blueprint: str) -> str:
    """The IAM path of the policies a blueprint owns: ``/secureml/<blueprint>/``."""
    return f"/secureml/{blueprint}/"


def role_policy_path(blueprint: str, role: str) -> str:
    """The IAM path of a role's own policies: ``/secureml/<blueprint>/role/<role>/``."""
    return f"{blueprint_policy_path(blueprint)}role/{role}/"


def policy_arn(ctx: AwsContext, path: str, name: str) -> str:
    """The ARN of the customer managed policy ``name`` at ``path`` in ``ctx``'s account."""
    return f"arn:{ctx.partition}:iam::{ctx.account_id}:policy{path}{name}"


def blueprint_policies(ctx: AwsContext) -> list[dict[str, Any]]:
    """Every customer managed policy under the blueprint's path: one paginated
    listing shared by every role and policy of a plan."""
    prefix = blueprint_policy_path(ctx.blueprint)
    snap = snapshot(ctx)
    if snap is not None and untouched(ctx, prefixes=policy_prefixes(ctx, prefix)):
        return snap.policies_under(prefix)

    def load() -> list[dict[str, Any]]:
        return list(
            ctx.paginate(
                "iam", "list_policies", "Policies", Scope="Local", PathPrefix=prefix,
                MaxItems=1000,
            )
        )

    result: list[dict[str, Any]] = ctx.cached(f"iam:policies:{prefix}", load)
    return result


def forget_policies(ctx: AwsContext) -> None:
    ctx.forget(f"iam:policies:{blueprint_policy_path(ctx.blueprint)}")


def policy_prefixes(ctx: AwsContext, path: str) -> tuple[str, str]:
    """What a write under IAM path ``path`` names: the path, or an ARN under it."""
    return path, policy_arn(ctx, path, "")


def default_document(ctx: AwsContext, arn: str, version: str, where: str) -> dict[str, Any]:
    """The default version's document of policy ``arn``: from the plan's IAM snapshot
    when it has it (and nothing wrote the policy since), else GetPolicyVersion."""
    snap = snapshot(ctx)
    if snap is not None and untouched(ctx, arn):
        policy = snap.policies.get(arn)
        if policy is not None and policy.get("DefaultVersionId") == version:
            document = snap.default_document(arn)
            if document is not None:
                return _canonical(document)
    out = ctx.call("iam", "get_policy_version", resource=where, PolicyArn=arn, VersionId=version)
    return _canonical(out["PolicyVersion"]["Document"])


def _version_number(version_id: str) -> int:
    # "v10" after "v9": versions created within one second tie on CreateDate.
    digits = version_id.lstrip("v")
    return int(digits) if digits.isdigit() else 0


def set_document(ctx: AwsContext, arn: str, document: Mapping[str, Any], where: str) -> None:
    """Make ``document`` the policy's default version, deleting the oldest
    non-default version first when the five-version cap is reached.

    Creating a version is not idempotent: a retry after a lost answer (a network
    error once AWS had carried it out) would add a second version, and at the cap
    fail with ``LimitExceeded``. So a retry first looks whether the default
    version already holds ``document`` and then stops."""
    versions = list(ctx.paginate("iam", "list_policy_versions", "Versions", PolicyArn=arn))
    if len(versions) >= MAX_POLICY_VERSIONS:
        old = sorted(
            (v for v in versions if not v.get("IsDefaultVersion")),
            key=lambda v: (v.get("CreateDate") or 0, _version_number(v["VersionId"])),
        )
        if old:
            log.info("%s: deleting oldest policy version %s of %s", where, old[0]["VersionId"], arn)
            ignore_missing(
                ctx, "delete_policy_version", where, PolicyArn=arn, VersionId=old[0]["VersionId"]
            )
    body = to_json(document)

    def create_version(attempt: int) -> None:
        if attempt > 1:
            policy = ctx.call("iam", "get_policy", resource=where, PolicyArn=arn)["Policy"]
            if default_document(ctx, arn, policy["DefaultVersionId"], where) == dict(document):
                log.info("%s: the lost CreatePolicyVersion of %s was carried out", where, arn)
                return
        ctx.note_write("iam", PolicyArn=arn)
        ctx.client("iam").create_policy_version(
            PolicyArn=arn, PolicyDocument=body, SetAsDefault=True
        )

    ctx.retry.call_attempts(create_version, description=f"{where} create_policy_version")


def ensure_policy(
    ctx: AwsContext,
    *,
    name: str,
    path: str,
    document: Mapping[str, Any],
    tags: Mapping[str, str],
    description: str | None,
    where: str,
    adopt: bool = False,
) -> str:
    """Create the policy, or, when it already exists (a retry, or an apply that
    died after creating it), check it is ours and bring its document up to date."""
    kwargs: dict[str, Any] = {
        "PolicyName": name,
        "Path": path,
        "PolicyDocument": to_json(document),
        "Tags": tag_list(tags),
    }
    if description:
        kwargs["Description"] = description
    try:
        return str(ctx.call("iam", "create_policy", resource=where, **kwargs)["Policy"]["Arn"])
    except ClientError as exc:
        if not already_exists(exc):
            raise
    arn = policy_arn(ctx, path, name)
    try:
        policy = ctx.call("iam", "get_policy", resource=where, PolicyArn=arn)["Policy"]
    except ClientError as exc:
        if _missing(exc):
            raise RefusalError(
                f"IAM policy {name}",
                "CreatePolicy",
                f"a policy of that name exists outside the path {path} (IAM policy names are "
                "unique in an account, whatever their path)",
                "choose another name for this policy, or rename or delete the other one",
            ) from exc
        raise
    owner = tag_dict(policy.get("Tags")).get(OWNER_TAG)
    if owner != ctx.blueprint and not adopt:
        raise OwnershipError(f"IAM policy {name}", f"its {OWNER_TAG} tag is {owner!r}")
    if default_document(ctx, arn, policy["DefaultVersionId"], where) != dict(document):
        set_document(ctx, arn, document, where)
    return arn


def delete_policy(ctx: AwsContext, arn: str, where: str) -> None:
    """Detach the policy from this blueprint's roles, delete its old versions, then
    the policy.

    A role, user or group this blueprint does not own that still has the policy
    attached stops the delete before any change (:class:`~secureml.RefusalError`):
    detaching it there would change a resource that is not ours, behind the plan's
    back (the plan shows only the policy's delete)."""
    try:
        attached: dict[str, list[str]] = {}
        for kind, key in (
            ("PolicyRoles", "RoleName"),
            ("PolicyUsers", "UserName"),
            ("PolicyGroups", "GroupName"),
        ):
            attached[kind] = sorted(
                e[key] for e in ctx.paginate("iam", "list_entities_for_policy", kind,
                                             PolicyArn=arn)
            )
        foreign = [f"user {u}" for u in attached["PolicyUsers"]]
        foreign += [f"group {g}" for g in attached["PolicyGroups"]]
        ours: list[str] = []
        for role in attached["PolicyRoles"]:
            found = get_or_none(ctx, "get_role", where, "Role", RoleName=role)
            if found is None:
                continue
            if tag_dict(found.get("Tags")).get(OWNER_TAG) == ctx.blueprint:
                ours.append(role)
            else:
                foreign.append(f"role {role}")
        if foreign:
            raise RefusalError(
                where,
                "DeletePolicy",
                f"{arn} is still attached to {', '.join(sorted(foreign))}, which this "
                "blueprint does not own and secureml will not change",
                "detach it there first, then apply again",
            )
        for role in ours:
            ignore_missing(ctx, "detach_role_policy", where, PolicyArn=arn, RoleName=role)
        for version in ctx.paginate("iam", "list_policy_versions", "Versions", PolicyArn=arn):
            if not version.get("IsDefaultVersion"):
                ignore_missing(
                    ctx, "delete_policy_version", where, PolicyArn=arn,
                    VersionId=version["VersionId"],
                )
    except ClientError as exc:
        if _missing(exc):
            return
        raise
    ignore_missing(ctx, "delete_policy", where, PolicyArn=arn)


def check_own_policy(ctx: AwsContext, arn: str, where: str) -> None:
    """Refuse to change or delete a role's own policy unless it carries this blueprint's
    owner tag: own policies are found by their path (``ListPolicies`` returns no tags),
    and a policy someone else put at that path is not ours to rewrite."""
    policy = get_or_none(ctx, "get_policy", where, "Policy", PolicyArn=arn)
    if policy is None:
        return
    owner = tag_dict(policy.get("Tags")).get(OWNER_TAG)
    if owner != ctx.blueprint:
        raise OwnershipError(f"IAM policy {arn}", f"its {OWNER_TAG} tag is {owner!r}")


def get_or_none(
    ctx: AwsContext, operation: str, where: str, key: str, **kwargs: Any
) -> dict[str, Any] | None:
    """``response[key]`` of a Get call, or ``None`` when the entity does not exist."""
    try:
        found: dict[str, Any] = ctx.call("iam", operation, resource=where, **kwargs)[key]
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    return found


def ignore_missing(ctx: AwsContext, operation: str, where: str, **kwargs: Any) -> None:
    try:
        ctx.call("iam", operation, resource=where, **kwargs)
    except ClientError as exc:
        if not _missing(exc):
            raise


def update_tags(
    ctx: AwsContext,
    before: Mapping[str, str],
    after: Mapping[str, str],
    *,
    tag: str,
    untag: str,
    where: str,
    **ident: Any,
) -> None:
    removed = sorted(set(before) - set(after))
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if removed:
        ctx.call("iam", untag, resource=where, TagKeys=removed, **ident)
    if changed:
        ctx.call("iam", tag, resource=where, Tags=tag_list(changed), **ident)


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def as_iam_stores(doc: PolicyDocument, partition: str) -> PolicyDocument:
    """A trust policy in the form IAM stores and returns it: an ``AWS`` principal
    given as an account id (``111122223333``) comes back as the account's root
    ARN (``arn:aws:iam::111122223333:root``). Comparing in that form keeps such a
    principal from showing as a change on every plan. (One-item lists, the other
    rewrite, are already canonical in :class:`~secureml.PolicyDocument`.)"""

    def stored(kind: str, ids: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        if kind != "AWS":
            return kind, ids
        return kind, tuple(
            f"arn:{partition}:iam::{i}:root" if _ACCOUNT_ID.match(i) else i for i in ids
        )

    if not any(kind == "AWS" for s in doc.statements for kind, _ in s.principals):
        return doc
    return attrs.evolve(
        doc,
        statements=[
            attrs.evolve(s, principals=[stored(k, ids) for k, ids in s.principals])
            for s in doc.statements
        ],
    )


def aws_principals(doc: PolicyDocument) -> bool:
    return any(kind == "AWS" for s in doc.statements for kind, _ in s.principals)


# -- ManagedPolicy -----------------------------------------------------------------------


@register_kind
@attrs.frozen
class ManagedPolicy(Resource):
    """A customer managed policy on its own, which roles can attach.

    Without ``path`` it lives under ``/secureml/<blueprint>/`` (where pruning
    finds it; with another path, removing it from the blueprint leaves it in
    place). Changing ``document`` creates a new default version, deleting the
    oldest non-default one when IAM's five versions are reached. ``description``
    is set at creation only (IAM cannot change it later).

    >>> import secureml as sm
    >>> doc = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket",
    ...                                       resources="arn:aws:s3:::team-a-data")])
    >>> sm.ManagedPolicy("team-a-list", doc).key
    'iam-policy/team-a-list'
    """

    kind: ClassVar[str] = "iam-policy"

    name: str
    document: PolicyDocument = attrs.field(converter=_document)
    path: str | None = None
    description: str | None = attrs.field(
        default=None, validator=of_type(str, type(None), allowed="text or None")
    )
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags, hash=False)
    adopt: bool = attrs.field(default=False, validator=adopt_flag)
    _discovered: bool = attrs.field(default=False, alias="_discovered", repr=False)
    """Set by discovery only: a policy found in AWS (to prune), whose document is not read."""

    def effective_path(self, ctx: AwsContext) -> str:
        """The path given, or the blueprint's policy path."""
        return self.path if self.path is not None else blueprint_policy_path(ctx.blueprint)

    def claims(self, blueprint: str) -> Iterator[Claim]:
        """The policy, by path and name."""
        path = self.path if self.path is not None else blueprint_policy_path(blueprint)
        yield Claim(f"iam:policy:{path}{self.name}", f"the IAM policy {path}{self.name}")
        # IAM policy names are unique in an account whatever the path, and ignore case.
        yield Claim(f"iam:policy-name:{self.name.lower()}", f"the IAM policy name {self.name}")

    def arn(self, ctx: AwsContext) -> str:
        """The policy's ARN in ``ctx``'s account."""
        return policy_arn(ctx, self.effective_path(ctx), self.name)

    def describe(self) -> str:
        """``IAM managed policy <name>``."""
        return f"IAM managed policy {self.name}"

    def problems(self) -> list[Problem]:
        """Name, path, description, tags and the document's size."""
        where = f"IAM managed policy {self.name!r}"
        problems = super().problems()
        check = checker(where, problems)
        check(check_iam_name, self.name, "name", max_len=128)
        if self.path is not None:
            problems.extend(path_problems(self.path, where))
        if self.description is not None and (
            len(self.description) > 1000 or not IAM_DESCRIPTION.match(self.description)
        ):
            problems.append(Problem(
                "description", self.description,
                f"{where}: description must be at most 1000 printable characters",
            ))
        problems.extend(tag_problems(self.tags, where))
        if not self.document.statements and not self._discovered:
            problems.append(Problem(
                "document", None, f"{where}: document has no statement; IAM needs at least one"
            ))
        limit = LIMITS["managed policy"].max_chars
        if self.document.size > limit:
            problems.append(Problem(
                "document", self.document.size,
                f"{where}: document is {self.document.size} characters; a managed policy takes "
                f"at most {limit} (whitespace not counted)",
            ))
        return problems

    def desired(self, ctx: AwsContext) -> State:
        """Name, path, document and tags (with the owner tag)."""
        return {
            "name": self.name,
            "path": self.effective_path(ctx),
            "document": self.document.to_dict(),
            "tags": {**self.tags, OWNER_TAG: ctx.blueprint},
        }

    def read(self, ctx: AwsContext) -> Observed | None:
        """GetPolicy (tags, default version) and GetPolicyVersion."""
        arn = self.arn(ctx)
        policy = get_or_none(ctx, "get_policy", self.describe(), "Policy", PolicyArn=arn)
        if policy is None:
            return None
        tags = tag_dict(policy.get("Tags"))
        owner = tags.get(OWNER_TAG)
        state: State = {"name": policy["PolicyName"], "path": policy["Path"], "tags": tags}
        extra = {"arn": arn, "default_version": policy["DefaultVersionId"]}
        if owner != ctx.blueprint and not self.adopt:
            return Observed(state=state, owner=owner, extra=extra)
        state["document"] = default_document(
            ctx, arn, policy["DefaultVersionId"], self.describe()
        )
        return Observed(state=state, owner=owner, extra=extra)

    def create(self, ctx: AwsContext, desired: State) -> None:
        """CreatePolicy with the owner tag (or finish one an earlier apply started)."""
        ensure_policy(
            ctx, name=self.name, path=desired["path"], document=desired["document"],
            tags=desired["tags"], description=self.description, where=self.describe(),
            adopt=self.adopt,
        )
        # Its tags may be behind when it already existed.
        observed = self.read(ctx)
        if observed is not None and observed.state.get("tags") != desired["tags"]:
            self.update(ctx, observed, desired)

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """A new default version for a changed document; tags added and removed."""
        arn = str(observed.extra.get("arn") or self.arn(ctx))
        if observed.state.get("document") != desired["document"]:
            set_document(ctx, arn, desired["document"], self.describe())
        update_tags(
            ctx, observed.state.get("tags", {}), desired["tags"], tag="tag_policy",
            untag="untag_policy", where=self.describe(), PolicyArn=arn,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Detach it from every role, user and group, delete old versions, delete it."""
        delete_policy(ctx, str(observed.extra.get("arn") or self.arn(ctx)), self.describe())

    @classmethod
    def prepare(cls, ctx: AwsContext, resources: Sequence[Resource]) -> None:
        """Note the blueprint's IAM reads for the plan's snapshot (no AWS call)."""
        note_demand(ctx, resources)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[ManagedPolicy]:
        """Policies directly under ``/secureml/<blueprint>/`` (one paginated listing)."""
        path = blueprint_policy_path(blueprint)
        for policy in blueprint_policies(ctx):
            if policy["Path"] == path:
                yield cls(policy["PolicyName"], PolicyDocument(), path=path, _discovered=True)
