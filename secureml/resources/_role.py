"""The IAM role resource: :class:`Role` (a persona's role with its own managed policies).

See :mod:`secureml.resources._iam` for how a role's policies are modelled, named and
found; this module holds the role itself, built on that module's IAM plumbing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from botocore.exceptions import ClientError

from secureml._convert import as_items, describe, duration_text, frozen_tags
from secureml._validation import (
    adopt_flag,
    check_arn,
    check_iam_name,
    checker,
    of_type,
    parse_duration_hours,
)
from secureml.errors import OwnershipError, Problem, ValidationError
from secureml.policy import (
    LIMITS,
    MANAGED_POLICIES_PER_ROLE,
    ROLE_NAME_MAX,
    Finding,
    PolicyDocument,
    lint,
    lint_managed_policies,
)
from secureml.resources._base import (
    OWNER_TAG,
    Claim,
    Memo,
    Observed,
    Resource,
    State,
    tag_problems,
)
from secureml.resources._iam import (
    IAM_DESCRIPTION,
    JUST_CREATED,
    NEW_PRINCIPAL,
    PLACEHOLDER_ACCOUNT,
    PLACEHOLDER_REGION,
    ManagedPolicy,
    already_exists,
    as_iam_stores,
    aws_principals,
    blueprint_policies,
    check_own_policy,
    default_document,
    delete_policy,
    ensure_policy,
    forget_policies,
    get_or_none,
    ignore_missing,
    path_problems,
    policy_arn,
    policy_prefixes,
    role_policy_path,
    sagemaker_trust_policy,
    set_document,
    tag_dict,
    tag_list,
    to_documents,
    to_json,
    to_optional_document,
    update_tags,
)
from secureml.resources._iam_snapshot import note_demand, role_details, snapshot, untouched
from secureml.resources._kinds import register_kind

if TYPE_CHECKING:
    from secureml.aws import AwsContext
    from secureml.personas import Persona

__all__ = ["Role"]

log = logging.getLogger("secureml.resources.iam")


# -- Role --------------------------------------------------------------------------------


def _managed(value: Iterable[str | ManagedPolicy] | str | ManagedPolicy) -> tuple[
    str | ManagedPolicy, ...
]:
    if isinstance(value, str | ManagedPolicy):
        return (value,)
    return tuple(
        dict.fromkeys(
            v if isinstance(v, str | ManagedPolicy) else _not_a_policy(v)
            for v in as_items(value, "managed_policies", "policy ARNs or ManagedPolicy resources")
        )
    )


def _not_a_policy(value: object) -> str:
    raise ValidationError(
        f"managed_policies: {describe(value)} is not a policy; give policy ARNs "
        "('arn:aws:iam::aws:policy/ReadOnlyAccess') or ManagedPolicy resources"
    )


@register_kind
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
    policies: tuple[PolicyDocument, ...] = attrs.field(default=(), converter=to_documents)
    trust_policy: PolicyDocument | None = attrs.field(default=None, converter=to_optional_document)
    persona: Persona | None = attrs.field(default=None, repr=False)
    managed_policies: tuple[str | ManagedPolicy, ...] = attrs.field(
        default=(), converter=_managed
    )
    permissions_boundary: str | None = None
    path: str = "/"
    description: str | None = attrs.field(
        default=None, validator=of_type(str, type(None), allowed="text or None")
    )
    max_session_duration: str = attrs.field(default="PT1H", converter=duration_text)
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags, hash=False)
    adopt: bool = attrs.field(default=False, validator=adopt_flag)
    _memo: Memo = attrs.field(factory=Memo, init=False, eq=False, hash=False, repr=False)
    """The persona's documents and findings, built once per account and region."""

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

    def claims(self, blueprint: str) -> Iterator[Claim]:
        """The role, and every policy under its own policy path."""
        yield Claim(f"iam:role:{self.name}", f"the IAM role {self.name}")
        path = role_policy_path(blueprint, self.name)
        yield Claim(f"iam:policy:{path}", f"the policy path {path} (the role {self.name}'s "
                    "own policies, which it rewrites and deletes)", prefix=True)
        own = self.policy_name(1)[:-1]
        yield Claim(f"iam:policy-name:{own.lower()}", f"the policy names {own}N (the role "
                    f"{self.name}'s own policies)", prefix=True)

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
        persona = self.persona
        if persona is not None:
            findings = list(self._memo.get(
                ("lint", account_id, region),
                lambda: tuple(persona.lint(account_id=account_id, region=region)),
            ))
            extra = [p for p in self._managed_arns() if p not in persona.managed_policies]
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

    def own_policy_description(self, policy_name: str) -> str:
        """The description of one of the role's own policies (set when it is created)."""
        return f"secureml: part {policy_name.rsplit('-', 1)[-1]} of role {self.name}"

    def documents(
        self, account_id: str | None, region: str | None, partition: str = "aws"
    ) -> list[PolicyDocument]:
        """The role's own policies, packed for this account and region (a persona's
        are built once per account, region and partition)."""
        persona = self.persona
        if persona is None:
            return list(self.policies)
        return list(self._memo.get(
            ("documents", account_id, region, partition),
            lambda: tuple(persona.policy_documents(
                account_id, region, partition,
                max_documents=MANAGED_POLICIES_PER_ROLE - len(self.managed_policies),
            )),
        ))

    def trust(self, account_id: str | None, partition: str = "aws") -> PolicyDocument:
        """The trust policy for this account, as IAM stores it (an account id
        given as an ``AWS`` principal becomes the account's root ARN)."""
        if self.trust_policy is not None:
            return as_iam_stores(self.trust_policy, partition)
        return sagemaker_trust_policy(account_id)

    def _session_seconds(self) -> int:
        return round(parse_duration_hours(self.max_session_duration) * 3600)

    # -- the protocol -----------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Name, path, description, session duration, ARNs, tags, and whether the
        policies fit (at most 10 per role, each within 6,144 characters)."""
        where = f"IAM role {self.name!r}"
        problems = super().problems()

        check = checker(where, problems)

        check(check_iam_name, self.name, "name", max_len=ROLE_NAME_MAX)
        problems.extend(path_problems(self.path, where))
        if self.description is not None and (
            len(self.description) > 1000 or not IAM_DESCRIPTION.match(self.description)
        ):
            problems.append(Problem(
                "description", self.description,
                f"{where}: description must be at most 1000 printable characters "
                f"(got {len(self.description)})",
            ))
        try:
            hours = parse_duration_hours(self.max_session_duration)
            if not 1 <= hours <= 12 or (hours * 3600) % 1:
                problems.append(Problem(
                    "max_session_duration", self.max_session_duration,
                    f"{where}: max_session_duration {self.max_session_duration!r} is outside "
                    "PT1H to PT12H",
                ))
        except ValidationError as exc:
            problems.extend(
                attrs.evolve(p.within(f"{where}: max_session_duration"),
                             path=("max_session_duration",))
                for p in exc.problems
            )
        if self.permissions_boundary is not None:
            check(check_arn, self.permissions_boundary, "permissions_boundary", service="iam")
        for i, p in enumerate(self.managed_policies):
            if isinstance(p, str):
                check(check_arn, p, "managed_policies", service="iam", at=i)
        problems.extend(tag_problems(self.tags, where))
        limit = LIMITS["managed policy"].max_chars
        for i, doc in enumerate(self.policies):
            if not doc.statements:
                problems.append(Problem(
                    ("policies", i), None, f"{where}: policies[{i}] has no statement"
                ))
            if doc.size > limit:
                problems.append(Problem(
                    ("policies", i), doc.size,
                    f"{where}: policies[{i}] is {doc.size} characters; a managed policy takes "
                    f"at most {limit} (whitespace not counted)",
                ))
        try:
            docs = self.documents(PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION)
        except ValidationError as exc:
            problems.extend(p.within(where, "persona") for p in exc.problems)
        else:
            total = len(docs) + len(self.managed_policies)
            if total > MANAGED_POLICIES_PER_ROLE:
                problems.append(Problem(
                    "managed_policies", total,
                    f"{where}: {len(docs)} own policies and {len(self.managed_policies)} managed "
                    f"policies make {total}; a role takes at most {MANAGED_POLICIES_PER_ROLE}",
                ))
        trust = self.trust(PLACEHOLDER_ACCOUNT)
        trust_limit = LIMITS["trust policy"].max_chars
        if trust.size > trust_limit:
            problems.append(Problem(
                "trust_policy", trust.size,
                f"{where}: trust policy is {trust.size} characters; at most {trust_limit}",
            ))
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
        """From the plan's IAM snapshot when there is one (no call of its own),
        otherwise GetRole; then, for a role this blueprint owns (or adopts),
        ListAttachedRolePolicies, ListRolePolicies and the documents of its own
        policies (found by the blueprint's policy listing)."""
        where = self.describe()
        path = role_policy_path(ctx.blueprint, self.name)
        snap = snapshot(ctx)
        from_snapshot = snap is not None and untouched(
            ctx, self.name, prefixes=policy_prefixes(ctx, path)
        )
        role: Mapping[str, Any] | None = None
        if snap is not None and from_snapshot:
            role = snap.roles.get(self.name)
            if role is None:
                return None
            # ListRoles had not seen it yet (created between the two listings): ask.
            from_snapshot = "MaxSessionDuration" in role
        if not from_snapshot:
            role = get_or_none(ctx, "get_role", where, "Role", RoleName=self.name)
        if role is None:
            return None
        tags = tag_dict(role.get("Tags"))
        owner = tags.get(OWNER_TAG)
        boundary = role.get("PermissionsBoundary") or {}
        state: State = {
            "name": role["RoleName"],
            "path": role["Path"],
            "description": role.get("Description") or None,
            "max_session_duration": int(role.get("MaxSessionDuration", 3600)),
            "permissions_boundary": boundary.get("PermissionsBoundaryArn"),
            "trust_policy": as_iam_stores(
                PolicyDocument.from_json(role["AssumeRolePolicyDocument"]), ctx.partition
            ).to_dict(),
            "tags": tags,
        }
        extra: dict[str, Any] = {"arn": role["Arn"]}
        if owner != ctx.blueprint and not self.adopt:
            return Observed(state=state, owner=owner, extra=extra)
        if from_snapshot:
            attached = sorted(p["PolicyArn"] for p in role.get("AttachedManagedPolicies", ()))
            inline = sorted(p["PolicyName"] for p in role.get("RolePolicyList", ()))
        else:
            attached = sorted(
                p["PolicyArn"]
                for p in ctx.paginate(
                    "iam", "list_attached_role_policies", "AttachedPolicies", RoleName=self.name
                )
            )
            inline = sorted(
                ctx.paginate("iam", "list_role_policies", "PolicyNames", RoleName=self.name)
            )
        own: dict[str, dict[str, Any]] = {}
        arns: dict[str, str] = {}
        for policy in blueprint_policies(ctx):
            if policy["Path"] == path:
                own[policy["PolicyName"]] = default_document(
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
            "AssumeRolePolicyDocument": to_json(desired["trust_policy"]),
            "MaxSessionDuration": desired["max_session_duration"],
            "Tags": tag_list(desired["tags"]),
        }
        if desired["description"]:
            kwargs["Description"] = desired["description"]
        if desired["permissions_boundary"]:
            kwargs["PermissionsBoundary"] = desired["permissions_boundary"]
        codes = (
            NEW_PRINCIPAL
            if aws_principals(PolicyDocument.from_dict(desired["trust_policy"]))
            else frozenset()
        )
        try:
            ctx.call("iam", "create_role", resource=where, extra_codes=codes, **kwargs)
        except ClientError as exc:
            if not already_exists(exc):
                raise
            log.info("%s already exists: reading it again to finish it", where)
            forget_policies(ctx)
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
            check_own_policy(ctx, arns.get(name) or policy_arn(ctx, path, name), where)
        for name, doc in desired["policies"].items():
            if name not in have:
                ensure_policy(
                    ctx, name=name, path=path, document=doc,
                    tags={OWNER_TAG: ctx.blueprint, "secureml:role": self.name},
                    description=self.own_policy_description(name),
                    where=where,
                )
            elif have[name] != doc:
                set_document(ctx, arns.get(name) or policy_arn(ctx, path, name), doc, where)
        attached = set(before.get("attached_policies", ()))
        new_own = {policy_arn(ctx, path, n) for n in desired["policies"] if n not in have}
        missing = [arn for arn in desired["attached_policies"] if arn not in attached]
        extra = sorted(attached - set(desired["attached_policies"]))
        # IAM refuses an attachment past the role's quota (LimitExceeded): when adding
        # first would go over it, remove first (what is removed is not kept anyway).
        detach_first = len(attached) + len(missing) > MANAGED_POLICIES_PER_ROLE
        for arn in extra if detach_first else ():
            ignore_missing(ctx, "detach_role_policy", where, RoleName=self.name, PolicyArn=arn)
        for arn in missing:
            # NoSuchEntity right after a create: the role or policy is not visible
            # yet. Otherwise (a mistyped ARN) it fails at once.
            codes = JUST_CREATED if just_created or arn in new_own else frozenset()
            ctx.call(
                "iam", "attach_role_policy", resource=where, extra_codes=codes,
                RoleName=self.name, PolicyArn=arn,
            )
        for arn in () if detach_first else extra:
            ignore_missing(ctx, "detach_role_policy", where, RoleName=self.name, PolicyArn=arn)
        for name in sorted(set(have) - set(desired["policies"])):
            delete_policy(ctx, arns.get(name) or policy_arn(ctx, path, name), where)

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
                NEW_PRINCIPAL
                if aws_principals(PolicyDocument.from_dict(desired["trust_policy"]))
                else frozenset()
            )
            ctx.call(
                "iam", "update_assume_role_policy", resource=where, extra_codes=codes,
                RoleName=self.name, PolicyDocument=to_json(desired["trust_policy"]),
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
        update_tags(
            ctx, before.get("tags", {}), desired["tags"], tag="tag_role", untag="untag_role",
            where=where, RoleName=self.name,
        )
        for name in before.get("inline_policies", ()):
            ignore_missing(ctx, "delete_role_policy", where, RoleName=self.name, PolicyName=name)
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
            check_own_policy(ctx, arn, where)
        for arn in state.get("attached_policies", ()):
            ignore_missing(ctx, "detach_role_policy", where, RoleName=self.name, PolicyArn=arn)
        for name in state.get("inline_policies", ()):
            ignore_missing(ctx, "delete_role_policy", where, RoleName=self.name, PolicyName=name)
        for arn in own:
            delete_policy(ctx, arn, where)
        ignore_missing(ctx, "delete_role", where, RoleName=self.name)

    @classmethod
    def prepare(cls, ctx: AwsContext, resources: Sequence[Resource]) -> None:
        """Note the blueprint's IAM reads for the plan's snapshot (no AWS call)."""
        note_demand(ctx, resources)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[Role]:
        """Roles tagged for ``blueprint``: ``GetAccountAuthorizationDetails`` (1,000 a
        page) is the one listing that returns roles with their tags; the plan's IAM
        snapshot when it has one, otherwise a roles-only listing."""
        for role in role_details(ctx):
            if tag_dict(role.get("Tags")).get(OWNER_TAG) == blueprint:
                yield cls(name=role["RoleName"], path=role["Path"])
