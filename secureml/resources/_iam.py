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
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from botocore.exceptions import ClientError

from secureml._convert import frozen_tags
from secureml._validation import check_arn, check_iam_name, checker, parse_duration_hours
from secureml.aws import EVENTUAL_CONSISTENCY_CODES, error_code
from secureml.errors import AWSCallError, OwnershipError, ValidationError
from secureml.policy import (
    LIMITS,
    MANAGED_POLICIES_PER_ROLE,
    Condition,
    PolicyDocument,
    Statement,
)
from secureml.policy._findings import Finding
from secureml.policy._lint import lint, lint_managed_policies
from secureml.resources._base import OWNER_TAG, Observed, Resource, State

if TYPE_CHECKING:
    from secureml.aws import AwsContext
    from secureml.personas import Persona

__all__ = ["ManagedPolicy", "Role"]

log = logging.getLogger("secureml.resources.iam")

MAX_POLICY_VERSIONS = 5
"""IAM keeps at most five versions of a managed policy."""

_PATH = re.compile(r"^(/|/[\x21-\x7e]+/)$")
_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")
_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
_MAX_TAGS = 50
# Retried right after a create: the new role or policy may not be visible yet.
_JUST_CREATED = frozenset({"NoSuchEntity"}) & EVENTUAL_CONSISTENCY_CODES
# A trust policy naming a principal created moments ago is refused until IAM sees it.
_NEW_PRINCIPAL = frozenset({"MalformedPolicyDocument"}) & EVENTUAL_CONSISTENCY_CODES
_SAGEMAKER = "sagemaker.amazonaws.com"
# Placeholders for validating sizes before the account is known (the longest region
# name makes the estimate err on the side of more policies).
_PLACEHOLDER_ACCOUNT = "123456789012"
_PLACEHOLDER_REGION = "ap-southeast-2"



def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _tag_dict(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or ()}


def _document(value: PolicyDocument | Mapping[str, Any] | str) -> PolicyDocument:
    return value if isinstance(value, PolicyDocument) else PolicyDocument.from_json(value)


def _documents(value: Iterable[PolicyDocument | Mapping[str, Any] | str]) -> tuple[
    PolicyDocument, ...
]:
    if isinstance(value, PolicyDocument | Mapping | str):
        return (_document(value),)
    return tuple(_document(v) for v in value)


def _optional_document(value: PolicyDocument | Mapping[str, Any] | str | None) -> (
    PolicyDocument | None
):
    return None if value is None else _document(value)


def _canonical(value: Any) -> dict[str, Any]:
    return PolicyDocument.from_json(value).to_dict()


def _json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _missing(exc: ClientError) -> bool:
    return error_code(exc) == "NoSuchEntity"


def _exists(exc: ClientError) -> bool:
    return error_code(exc) == "EntityAlreadyExists"


def _tag_problems(tags: Mapping[str, str], where: str, reserved: int = 1) -> list[str]:
    problems = []
    if len(tags) + reserved > _MAX_TAGS:
        problems.append(
            f"{where}: {len(tags)} tags; at most {_MAX_TAGS - reserved} are allowed "
            f"(IAM allows {_MAX_TAGS} and secureml adds {OWNER_TAG})"
        )
    for key, value in tags.items():
        if key == OWNER_TAG:
            problems.append(f"{where}: tag {OWNER_TAG!r} is set by secureml; remove it")
        elif not isinstance(key, str) or not _TAG_KEY.match(key) or key.lower().startswith("aws:"):
            problems.append(
                f"{where}: tag key {key!r} is not allowed: 1-128 letters, digits, spaces and "
                "_ . : / = + - @, not starting with 'aws:'"
            )
        if not isinstance(value, str) or not _TAG_VALUE.match(value):
            problems.append(
                f"{where}: tag {key!r} value {value!r} is not allowed: 0-256 letters, digits, "
                "spaces and _ . : / = + - @"
            )
    return problems


def _path_problems(path: str, where: str) -> list[str]:
    if not isinstance(path, str) or len(path) > 512 or not _PATH.match(path):
        return [
            f"{where}: path {path!r} is not an IAM path: '/' or '/segments/' of printable "
            "ASCII without spaces, starting and ending with '/', at most 512 characters"
        ]
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


def _blueprint_policies(ctx: AwsContext) -> list[dict[str, Any]]:
    """Every customer managed policy under the blueprint's path: one paginated
    listing shared by every role and policy of a plan."""
    prefix = blueprint_policy_path(ctx.blueprint)

    def load() -> list[dict[str, Any]]:
        return list(
            ctx.paginate(
                "iam", "list_policies", "Policies", Scope="Local", PathPrefix=prefix,
                MaxItems=1000,
            )
        )

    result: list[dict[str, Any]] = ctx.cached(f"iam:policies:{prefix}", load)
    return result


def _forget_policies(ctx: AwsContext) -> None:
    ctx.forget(f"iam:policies:{blueprint_policy_path(ctx.blueprint)}")


def _default_document(ctx: AwsContext, arn: str, version: str, where: str) -> dict[str, Any]:
    out = ctx.call("iam", "get_policy_version", resource=where, PolicyArn=arn, VersionId=version)
    return _canonical(out["PolicyVersion"]["Document"])


def _version_number(version_id: str) -> int:
    # "v10" after "v9": versions created within one second tie on CreateDate.
    digits = version_id.lstrip("v")
    return int(digits) if digits.isdigit() else 0


def _set_document(ctx: AwsContext, arn: str, document: Mapping[str, Any], where: str) -> None:
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
            _ignore_missing(
                ctx, "delete_policy_version", where, PolicyArn=arn, VersionId=old[0]["VersionId"]
            )
    body = _json(document)
    tries = 0

    def create_version() -> None:
        nonlocal tries
        tries += 1
        if tries > 1:
            policy = ctx.call("iam", "get_policy", resource=where, PolicyArn=arn)["Policy"]
            if _default_document(ctx, arn, policy["DefaultVersionId"], where) == dict(document):
                log.info("%s: the lost CreatePolicyVersion of %s was carried out", where, arn)
                return
        ctx.client("iam").create_policy_version(
            PolicyArn=arn, PolicyDocument=body, SetAsDefault=True
        )

    ctx.retry.call(create_version, description=f"{where} create_policy_version")


def _ensure_policy(
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
        "PolicyDocument": _json(document),
        "Tags": _tag_list(tags),
    }
    if description:
        kwargs["Description"] = description
    try:
        return str(ctx.call("iam", "create_policy", resource=where, **kwargs)["Policy"]["Arn"])
    except ClientError as exc:
        if not _exists(exc):
            raise
    arn = policy_arn(ctx, path, name)
    try:
        policy = ctx.call("iam", "get_policy", resource=where, PolicyArn=arn)["Policy"]
    except ClientError as exc:
        if _missing(exc):
            raise OwnershipError(
                f"IAM policy {name}", f"a policy of that name exists outside the path {path}"
            ) from exc
        raise
    owner = _tag_dict(policy.get("Tags")).get(OWNER_TAG)
    if owner != ctx.blueprint and not adopt:
        raise OwnershipError(f"IAM policy {name}", f"its {OWNER_TAG} tag is {owner!r}")
    if _default_document(ctx, arn, policy["DefaultVersionId"], where) != dict(document):
        _set_document(ctx, arn, document, where)
    return arn


def _delete_policy(ctx: AwsContext, arn: str, where: str) -> None:
    """Detach the policy from this blueprint's roles, delete its old versions, then
    the policy.

    A role, user or group this blueprint does not own that still has the policy
    attached stops the delete before any change (:class:`AWSCallError`):
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
            found = _get_or_none(ctx, "get_role", where, "Role", RoleName=role)
            if found is None:
                continue
            if _tag_dict(found.get("Tags")).get(OWNER_TAG) == ctx.blueprint:
                ours.append(role)
            else:
                foreign.append(f"role {role}")
        if foreign:
            raise AWSCallError(
                where,
                "DeletePolicy",
                f"{arn} is still attached to {', '.join(sorted(foreign))}, which this "
                "blueprint does not own and secureml will not change; detach it there "
                "first, then apply again",
            )
        for role in ours:
            _ignore_missing(ctx, "detach_role_policy", where, PolicyArn=arn, RoleName=role)
        for version in ctx.paginate("iam", "list_policy_versions", "Versions", PolicyArn=arn):
            if not version.get("IsDefaultVersion"):
                _ignore_missing(
                    ctx, "delete_policy_version", where, PolicyArn=arn,
                    VersionId=version["VersionId"],
                )
    except ClientError as exc:
        if _missing(exc):
            return
        raise
    _ignore_missing(ctx, "delete_policy", where, PolicyArn=arn)


def _check_own_policy(ctx: AwsContext, arn: str, where: str) -> None:
    """Refuse to change or delete a role's own policy unless it carries this blueprint's
    owner tag: own policies are found by their path (``ListPolicies`` returns no tags),
    and a policy someone else put at that path is not ours to rewrite."""
    policy = _get_or_none(ctx, "get_policy", where, "Policy", PolicyArn=arn)
    if policy is None:
        return
    owner = _tag_dict(policy.get("Tags")).get(OWNER_TAG)
    if owner != ctx.blueprint:
        raise OwnershipError(f"IAM policy {arn}", f"its {OWNER_TAG} tag is {owner!r}")


def _get_or_none(
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


def _ignore_missing(ctx: AwsContext, operation: str, where: str, **kwargs: Any) -> None:
    try:
        ctx.call("iam", operation, resource=where, **kwargs)
    except ClientError as exc:
        if not _missing(exc):
            raise


def _update_tags(
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
        ctx.call("iam", tag, resource=where, Tags=_tag_list(changed), **ident)


def sagemaker_trust_policy(account_id: str | None) -> PolicyDocument:
    """SageMaker may assume the role, from ``account_id`` only (the confused-deputy
    guard AWS recommends); the trust policy of every persona role."""
    conditions = (
        [Condition("StringEquals", "aws:SourceAccount", [account_id])] if account_id else []
    )
    return PolicyDocument(
        [Statement(actions="sts:AssumeRole", principals={"Service": _SAGEMAKER},
                   conditions=conditions)]
    )


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _as_iam_stores(doc: PolicyDocument, partition: str) -> PolicyDocument:
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


def _aws_principals(doc: PolicyDocument) -> bool:
    return any(kind == "AWS" for s in doc.statements for kind, _ in s.principals)


# -- ManagedPolicy -----------------------------------------------------------------------


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
    description: str | None = None
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags, hash=False)
    adopt: bool = False

    def effective_path(self, ctx: AwsContext) -> str:
        """The path given, or the blueprint's policy path."""
        return self.path if self.path is not None else blueprint_policy_path(ctx.blueprint)

    def arn(self, ctx: AwsContext) -> str:
        """The policy's ARN in ``ctx``'s account."""
        return policy_arn(ctx, self.effective_path(ctx), self.name)

    def describe(self) -> str:
        """``IAM managed policy <name>``."""
        return f"IAM managed policy {self.name}"

    def validate(self) -> list[str]:
        """Name, path, description, tags and the document's size."""
        where = f"IAM managed policy {self.name!r}"
        problems: list[str] = []
        try:
            check_iam_name(self.name, "name", max_len=128)
        except ValidationError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)
        if self.path is not None:
            problems.extend(_path_problems(self.path, where))
        if self.description is not None and (
            len(self.description) > 1000 or not _DESCRIPTION.match(self.description)
        ):
            problems.append(f"{where}: description must be at most 1000 printable characters")
        problems.extend(_tag_problems(self.tags, where))
        if not self.document.statements:
            problems.append(f"{where}: document has no statement; IAM needs at least one")
        limit = LIMITS["managed policy"].max_chars
        if self.document.size > limit:
            problems.append(
                f"{where}: document is {self.document.size} characters; a managed policy takes "
                f"at most {limit} (whitespace not counted)"
            )
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
        policy = _get_or_none(ctx, "get_policy", self.describe(), "Policy", PolicyArn=arn)
        if policy is None:
            return None
        tags = _tag_dict(policy.get("Tags"))
        owner = tags.get(OWNER_TAG)
        state: State = {"name": policy["PolicyName"], "path": policy["Path"], "tags": tags}
        extra = {"arn": arn, "default_version": policy["DefaultVersionId"]}
        if owner != ctx.blueprint and not self.adopt:
            return Observed(state=state, owner=owner, extra=extra)
        state["document"] = _default_document(
            ctx, arn, policy["DefaultVersionId"], self.describe()
        )
        return Observed(state=state, owner=owner, extra=extra)

    def create(self, ctx: AwsContext, desired: State) -> None:
        """CreatePolicy with the owner tag (or finish one an earlier apply started)."""
        _ensure_policy(
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
            _set_document(ctx, arn, desired["document"], self.describe())
        _update_tags(
            ctx, observed.state.get("tags", {}), desired["tags"], tag="tag_policy",
            untag="untag_policy", where=self.describe(), PolicyArn=arn,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Detach it from every role, user and group, delete old versions, delete it."""
        _delete_policy(ctx, str(observed.extra.get("arn") or self.arn(ctx)), self.describe())

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[ManagedPolicy]:
        """Policies directly under ``/secureml/<blueprint>/`` (one paginated listing)."""
        path = blueprint_policy_path(blueprint)
        for policy in _blueprint_policies(ctx):
            if policy["Path"] == path:
                yield cls(policy["PolicyName"], PolicyDocument(), path=path)


# -- Role --------------------------------------------------------------------------------


def _managed(value: Iterable[str | ManagedPolicy] | str | ManagedPolicy) -> tuple[
    str | ManagedPolicy, ...
]:
    if isinstance(value, str | ManagedPolicy):
        return (value,)
    return tuple(dict.fromkeys(value))


@attrs.frozen
class Role(Resource):
    """An IAM role: trust policy, its own customer managed policies, attached
    managed policies, permissions boundary, tags, path, description and maximum
    session duration.

    Usually made from a persona with :meth:`from_persona` (or
    ``persona.role()``): the persona's statements are packed into as few
    managed policies as fit (``<role>-policy-1``, ``-2``...) and its trust
    policy lets SageMaker assume the role from this account only. On its own,
    give ``policies`` (documents, one managed policy each) and a
    ``trust_policy`` (default: the SageMaker one).

    ``managed_policies`` takes ARNs (AWS managed or existing customer managed
    policies) and :class:`ManagedPolicy` resources of the same blueprint (the
    role then depends on them). ``adopt=True`` takes over an existing role that
    this blueprint does not own; its policies are then replaced by the role's.

    >>> import secureml as sm
    >>> role = sm.MLOps("team-a-mlops", pass_roles=["team-a-compute"]).role()
    >>> role.key, role.path
    ('iam-role/team-a-mlops', '/')
    """

    kind: ClassVar[str] = "iam-role"

    name: str
    policies: tuple[PolicyDocument, ...] = attrs.field(default=(), converter=_documents)
    trust_policy: PolicyDocument | None = attrs.field(default=None, converter=_optional_document)
    persona: Persona | None = attrs.field(default=None, repr=False)
    managed_policies: tuple[str | ManagedPolicy, ...] = attrs.field(
        default=(), converter=_managed
    )
    permissions_boundary: str | None = None
    path: str = "/"
    description: str | None = None
    max_session_duration: str = "PT1H"
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags, hash=False)
    adopt: bool = False

    @classmethod
    def from_persona(
        cls,
        persona: Persona,
        name: str | None = None,
        path: str = "/",
        adopt: bool = False,
    ) -> Role:
        """The persona's role: its name (the persona's by default), statements,
        trust policy, managed policies, permissions boundary, tags, description
        and maximum session duration."""
        return cls(
            name=name or persona.name,
            persona=persona,
            managed_policies=persona.managed_policies,
            permissions_boundary=persona.permissions_boundary,
            path=path,
            description=persona.description
            or f"secureml {persona.kind} persona {persona.name}",
            max_session_duration=persona.max_session_duration,
            tags=persona.tags,
            adopt=adopt,
        )

    # -- derived values ---------------------------------------------------------------

    def describe(self) -> str:
        """``IAM role <name>``."""
        return f"IAM role {self.name}"

    def dependencies(self) -> Iterator[str]:
        """The :class:`ManagedPolicy` resources it attaches."""
        for p in self.managed_policies:
            if isinstance(p, ManagedPolicy):
                yield p.key

    def lint(self) -> list[Finding]:
        """The persona's findings (or those of the role's own policies), and
        SM042 for broad AWS managed policies attached."""
        return self.lint_in(None, None)

    def lint_in(self, account_id: str | None, region: str | None) -> list[Finding]:
        """:meth:`lint` in this account and region (SM041 sees other accounts)."""
        if self.persona is not None:
            findings = self.persona.lint(account_id=account_id, region=region)
            extra = [p for p in self._managed_arns() if p not in self.persona.managed_policies]
        else:
            findings = [
                f for doc in self.policies
                for f in lint(doc, account_id=account_id, region=region)
            ]
            extra = self._managed_arns()
        return findings + lint_managed_policies(extra, self.describe())

    def _managed_arns(self) -> list[str]:
        return [p for p in self.managed_policies if isinstance(p, str)]

    def policy_name(self, index: int) -> str:
        """The name of the role's ``index``-th own policy (from 1)."""
        return f"{self.name}-policy-{index}"

    def documents(
        self, account_id: str | None, region: str | None, partition: str = "aws"
    ) -> list[PolicyDocument]:
        """The role's own policies, packed for this account and region."""
        if self.persona is not None:
            return self.persona.policy_documents(
                account_id, region, partition,
                max_documents=MANAGED_POLICIES_PER_ROLE - len(self.managed_policies),
            )
        return list(self.policies)

    def trust(self, account_id: str | None, partition: str = "aws") -> PolicyDocument:
        """The trust policy for this account, as IAM stores it (an account id
        given as an ``AWS`` principal becomes the account's root ARN)."""
        if self.trust_policy is not None:
            return _as_iam_stores(self.trust_policy, partition)
        if self.persona is not None:
            return self.persona.trust_policy(account_id)
        return sagemaker_trust_policy(account_id)

    def _session_seconds(self) -> int:
        return round(parse_duration_hours(self.max_session_duration) * 3600)

    # -- the protocol -----------------------------------------------------------------

    def validate(self) -> list[str]:
        """Name, path, description, session duration, ARNs, tags, and whether the
        policies fit (at most 10 per role, each within 6,144 characters)."""
        where = f"IAM role {self.name!r}"
        problems: list[str] = []

        check = checker(where, problems)

        check(check_iam_name, self.name, "name", max_len=64)
        problems.extend(_path_problems(self.path, where))
        if self.description is not None and (
            len(self.description) > 1000 or not _DESCRIPTION.match(self.description)
        ):
            problems.append(
                f"{where}: description must be at most 1000 printable characters "
                f"(got {len(self.description)})"
            )
        try:
            hours = parse_duration_hours(self.max_session_duration)
            if not 1 <= hours <= 12 or (hours * 3600) % 1:
                problems.append(
                    f"{where}: max_session_duration {self.max_session_duration!r} is outside "
                    "PT1H to PT12H"
                )
        except ValidationError as exc:
            problems.extend(f"{where}: max_session_duration: {p}" for p in exc.problems)
        if self.permissions_boundary is not None:
            check(check_arn, self.permissions_boundary, "permissions_boundary", service="iam")
        for p in self.managed_policies:
            if isinstance(p, str):
                check(check_arn, p, "managed_policies", service="iam")
        problems.extend(_tag_problems(self.tags, where))
        limit = LIMITS["managed policy"].max_chars
        for i, doc in enumerate(self.policies):
            if not doc.statements:
                problems.append(f"{where}: policies[{i}] has no statement")
            if doc.size > limit:
                problems.append(
                    f"{where}: policies[{i}] is {doc.size} characters; a managed policy takes "
                    f"at most {limit} (whitespace not counted)"
                )
        try:
            docs = self.documents(_PLACEHOLDER_ACCOUNT, _PLACEHOLDER_REGION)
        except ValidationError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)
        else:
            total = len(docs) + len(self.managed_policies)
            if total > MANAGED_POLICIES_PER_ROLE:
                problems.append(
                    f"{where}: {len(docs)} own policies and {len(self.managed_policies)} managed "
                    f"policies make {total}; a role takes at most {MANAGED_POLICIES_PER_ROLE}"
                )
        trust = self.trust(_PLACEHOLDER_ACCOUNT)
        trust_limit = LIMITS["trust policy"].max_chars
        if trust.size > trust_limit:
            problems.append(
                f"{where}: trust policy is {trust.size} characters; at most {trust_limit}"
            )
        return problems

    def _attached(self, ctx: AwsContext, own: Iterable[str]) -> list[str]:
        path = role_policy_path(ctx.blueprint, self.name)
        arns = {policy_arn(ctx, path, name) for name in own}
        for p in self.managed_policies:
            arns.add(p.arn(ctx) if isinstance(p, ManagedPolicy) else p)
        return sorted(arns)

    def desired(self, ctx: AwsContext) -> State:
        """The role's state for ``ctx``'s account (policies packed for it)."""
        account = ctx.account_id
        docs = self.documents(account, ctx.region, ctx.partition)
        own = {self.policy_name(i): d.to_dict() for i, d in enumerate(docs, start=1)}
        return {
            "name": self.name,
            "path": self.path,
            "description": self.description or None,
            "max_session_duration": self._session_seconds(),
            "permissions_boundary": self.permissions_boundary,
            "trust_policy": self.trust(account, ctx.partition).to_dict(),
            "tags": {**self.tags, OWNER_TAG: ctx.blueprint},
            "policies": own,
            "attached_policies": self._attached(ctx, own),
            "inline_policies": [],
        }

    def read(self, ctx: AwsContext) -> Observed | None:
        """GetRole; then, for a role this blueprint owns (or adopts),
        ListAttachedRolePolicies, ListRolePolicies and the documents of its own
        policies (found by the blueprint's policy listing)."""
        where = self.describe()
        role = _get_or_none(ctx, "get_role", where, "Role", RoleName=self.name)
        if role is None:
            return None
        tags = _tag_dict(role.get("Tags"))
        owner = tags.get(OWNER_TAG)
        boundary = role.get("PermissionsBoundary") or {}
        state: State = {
            "name": role["RoleName"],
            "path": role["Path"],
            "description": role.get("Description") or None,
            "max_session_duration": int(role.get("MaxSessionDuration", 3600)),
            "permissions_boundary": boundary.get("PermissionsBoundaryArn"),
            "trust_policy": _as_iam_stores(
                PolicyDocument.from_json(role["AssumeRolePolicyDocument"]), ctx.partition
            ).to_dict(),
            "tags": tags,
        }
        extra: dict[str, Any] = {"arn": role["Arn"]}
        if owner != ctx.blueprint and not self.adopt:
            return Observed(state=state, owner=owner, extra=extra)
        attached = sorted(
            p["PolicyArn"]
            for p in ctx.paginate(
                "iam", "list_attached_role_policies", "AttachedPolicies", RoleName=self.name
            )
        )
        inline = sorted(
            ctx.paginate("iam", "list_role_policies", "PolicyNames", RoleName=self.name)
        )
        path = role_policy_path(ctx.blueprint, self.name)
        own: dict[str, dict[str, Any]] = {}
        arns: dict[str, str] = {}
        for policy in _blueprint_policies(ctx):
            if policy["Path"] == path:
                own[policy["PolicyName"]] = _default_document(
                    ctx, policy["Arn"], policy["DefaultVersionId"], where
                )
                arns[policy["PolicyName"]] = policy["Arn"]
        state.update(policies=own, attached_policies=attached, inline_policies=inline)
        extra["policy_arns"] = arns
        return Observed(state=state, owner=owner, extra=extra)

    def create(self, ctx: AwsContext, desired: State) -> None:
        """CreateRole (tagged), then its policies, then the attachments. If the role
        already exists (a retried call whose answer was lost, an apply that died),
        it is read again and updated instead."""
        where = self.describe()
        kwargs: dict[str, Any] = {
            "RoleName": self.name,
            "Path": desired["path"],
            "AssumeRolePolicyDocument": _json(desired["trust_policy"]),
            "MaxSessionDuration": desired["max_session_duration"],
            "Tags": _tag_list(desired["tags"]),
        }
        if desired["description"]:
            kwargs["Description"] = desired["description"]
        if desired["permissions_boundary"]:
            kwargs["PermissionsBoundary"] = desired["permissions_boundary"]
        codes = (
            _NEW_PRINCIPAL
            if _aws_principals(PolicyDocument.from_dict(desired["trust_policy"]))
            else frozenset()
        )
        try:
            ctx.call("iam", "create_role", resource=where, extra_codes=codes, **kwargs)
        except ClientError as exc:
            if not _exists(exc):
                raise
            log.info("%s already exists: reading it again to finish it", where)
            _forget_policies(ctx)
            observed = self.read(ctx)
            if observed is None:  # deleted in between: let the next apply create it
                raise
            if observed.owner != ctx.blueprint and not self.adopt:
                raise OwnershipError(
                    where, f"its {OWNER_TAG} tag is {observed.owner!r}"
                ) from exc
            self.update(ctx, observed, desired)
            return
        self._sync_policies(ctx, {}, {}, desired, just_created=True)

    def _sync_policies(
        self,
        ctx: AwsContext,
        before: Mapping[str, Any],
        arns: Mapping[str, str],
        desired: State,
        *,
        just_created: bool = False,
    ) -> None:
        """Own policies created or versioned, attachments added, extra
        attachments removed, own policies no longer wanted deleted: in that
        order, so the role never lacks a permission it keeps (extra attachments
        go first only when adding first would pass the role's quota of 10)."""
        where = self.describe()
        path = role_policy_path(ctx.blueprint, self.name)
        have = before.get("policies", {})
        # Before any change: only policies tagged for this blueprint are rewritten or deleted.
        for name in sorted(n for n in have if have[n] != desired["policies"].get(n)):
            _check_own_policy(ctx, arns.get(name) or policy_arn(ctx, path, name), where)
        for name, doc in desired["policies"].items():
            if name not in have:
                _ensure_policy(
                    ctx, name=name, path=path, document=doc,
                    tags={OWNER_TAG: ctx.blueprint, "secureml:role": self.name},
                    description=f"secureml: part {name.rsplit('-', 1)[-1]} of role {self.name}",
                    where=where,
                )
            elif have[name] != doc:
                _set_document(ctx, arns.get(name) or policy_arn(ctx, path, name), doc, where)
        attached = set(before.get("attached_policies", ()))
        new_own = {policy_arn(ctx, path, n) for n in desired["policies"] if n not in have}
        missing = [arn for arn in desired["attached_policies"] if arn not in attached]
        extra = sorted(attached - set(desired["attached_policies"]))
        # IAM refuses an attachment past the role's quota (LimitExceeded): when adding
        # first would go over it, remove first (what is removed is not kept anyway).
        detach_first = len(attached) + len(missing) > MANAGED_POLICIES_PER_ROLE
        for arn in extra if detach_first else ():
            _ignore_missing(ctx, "detach_role_policy", where, RoleName=self.name, PolicyArn=arn)
        for arn in missing:
            # NoSuchEntity right after a create: the role or policy is not visible
            # yet. Otherwise (a mistyped ARN) it fails at once.
            codes = _JUST_CREATED if just_created or arn in new_own else frozenset()
            ctx.call(
                "iam", "attach_role_policy", resource=where, extra_codes=codes,
                RoleName=self.name, PolicyArn=arn,
            )
        for arn in () if detach_first else extra:
            _ignore_missing(ctx, "detach_role_policy", where, RoleName=self.name, PolicyArn=arn)
        for name in sorted(set(have) - set(desired["policies"])):
            _delete_policy(ctx, arns.get(name) or policy_arn(ctx, path, name), where)

    def replacement(self, before: State, after: State) -> str | None:
        """A new path: IAM cannot move a role, so it is deleted and created again."""
        if before.get("path") != after.get("path"):
            return (
                f"path {before.get('path')} -> {after.get('path')}: IAM cannot move a role, so "
                "it is deleted and created again with a new unique id (resource policies "
                "that name the old role stop matching, and sessions of it end)"
            )
        return None

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Each differing field with its own call: trust policy, description and
        session duration, boundary, tags, inline policies removed, then the
        policies (see :meth:`create`). A changed path replaces the role (IAM
        cannot move one)."""
        where = self.describe()
        before = observed.state
        if before["path"] != desired["path"]:
            log.warning("%s: path %s -> %s replaces the role", where, before["path"],
                        desired["path"])
            self.delete(ctx, observed)
            self.create(ctx, desired)
            return
        if before["trust_policy"] != desired["trust_policy"]:
            codes = (
                _NEW_PRINCIPAL
                if _aws_principals(PolicyDocument.from_dict(desired["trust_policy"]))
                else frozenset()
            )
            ctx.call(
                "iam", "update_assume_role_policy", resource=where, extra_codes=codes,
                RoleName=self.name, PolicyDocument=_json(desired["trust_policy"]),
            )
        if (
            before["description"] != desired["description"]
            or before["max_session_duration"] != desired["max_session_duration"]
        ):
            ctx.call(
                "iam", "update_role", resource=where, RoleName=self.name,
                Description=desired["description"] or "",
                MaxSessionDuration=desired["max_session_duration"],
            )
        if before["permissions_boundary"] != desired["permissions_boundary"]:
            if desired["permissions_boundary"]:
                ctx.call(
                    "iam", "put_role_permissions_boundary", resource=where, RoleName=self.name,
                    PermissionsBoundary=desired["permissions_boundary"],
                )
            else:
                ctx.call(
                    "iam", "delete_role_permissions_boundary", resource=where, RoleName=self.name
                )
        _update_tags(
            ctx, before.get("tags", {}), desired["tags"], tag="tag_role", untag="untag_role",
            where=where, RoleName=self.name,
        )
        for name in before.get("inline_policies", ()):
            _ignore_missing(ctx, "delete_role_policy", where, RoleName=self.name, PolicyName=name)
        self._sync_policies(ctx, before, observed.extra.get("policy_arns", {}), desired)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Detach every policy, delete inline and own policies, then the role (last,
        so an interrupted delete leaves a tagged role that the next prune finds)."""
        where = self.describe()
        state = observed.state
        path = role_policy_path(ctx.blueprint, self.name)
        arns = observed.extra.get("policy_arns", {})
        own = [arns.get(n) or policy_arn(ctx, path, n) for n in sorted(state.get("policies", {}))]
        for arn in own:  # before any change: a refused policy leaves the role whole
            _check_own_policy(ctx, arn, where)
        for arn in state.get("attached_policies", ()):
            _ignore_missing(ctx, "detach_role_policy", where, RoleName=self.name, PolicyArn=arn)
        for name in state.get("inline_policies", ()):
            _ignore_missing(ctx, "delete_role_policy", where, RoleName=self.name, PolicyName=name)
        for arn in own:
            _delete_policy(ctx, arn, where)
        _ignore_missing(ctx, "delete_role", where, RoleName=self.name)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[Role]:
        """Roles tagged for ``blueprint``: ``GetAccountAuthorizationDetails`` (roles
        only, 1,000 a page) is the one listing that returns roles with their tags."""
        for role in ctx.paginate(
            "iam", "get_account_authorization_details", "RoleDetailList", Filter=["Role"],
            MaxItems=1000,
        ):
            if _tag_dict(role.get("Tags")).get(OWNER_TAG) == blueprint:
                yield cls(name=role["RoleName"], path=role["Path"])
