"""Personas as IAM Identity Center permission sets (``sso-permission-set``)."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from botocore.exceptions import ClientError

from secureml._convert import frozen_tags, string_tuple
from secureml._validation import (
    adopt_flag,
    check_arn,
    check_iam_name,
    check_region,
    check_session_duration,
    checker,
    of_type,
    problem,
)
from secureml.aws import AwsContext, error_code
from secureml.errors import (
    AWSCallError,
    OwnershipError,
    PolicyTooLargeError,
    Problem,
    RefusalError,
    ValidationError,
)
from secureml.policy import (
    LIMITS,
    MANAGED_POLICIES_PER_PERMISSION_SET,
    PERMISSION_SET_NAME_MAX,
    Finding,
    PolicyDocument,
    lint,
    lint_managed_policies,
    lint_persona,
    pack_statements,
)
from secureml.resources._base import (
    OWNER_TAG,
    Memo,
    Observed,
    Resource,
    State,
    tag_problems,
)
from secureml.resources._iam import ManagedPolicy, blueprint_policy_path
from secureml.resources._kinds import register_kind
from secureml.resources.identity_center._directory import (
    NOT_FOUND,
    Directory,
    PermissionSetInfo,
    configured,
    directories,
)
from secureml.resources.identity_center._instance import IdentityCenter
from secureml.resources.identity_center._operations import (
    WAIT_TIMEOUT,
    provision_permission_set,
)
from secureml.resources.identity_center._values import (
    canonical_duration,
    is_aws_managed,
    policy_reference,
    read_call,
)

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = ["PermissionSet"]

log = logging.getLogger("secureml.resources.identity_center")

_DESCRIPTION_MAX = 700
_RELAY_STATE_MAX = 240
_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")
_RELAY_STATE = re.compile(r"""^[a-zA-Z0-9&$@#\\/%?=~\-_'"|!:,.;*+\[\]\ (){}]+$""")


_SIZE_PATH = ("inline_policy", "size")
"""The path of the one problem that is a policy over the permission set size limits."""


def _name_taken(exc: BaseException) -> bool:
    """CreatePermissionSet's answer when the name is taken (final, unlike the
    ConflictException of a busy instance, which is retried)."""
    if not isinstance(exc, ClientError) or error_code(exc) != "ConflictException":
        return False
    return "already exists" in str(exc.response.get("Error", {}).get("Message", ""))


@register_kind
@attrs.frozen(kw_only=True)
class PermissionSet(Resource):
    """An IAM Identity Center permission set.

    Usually made from a persona with :meth:`secureml.Persona.permission_set`,
    which puts the persona's policy inline; on its own, give ``inline_policy``
    as a :class:`~secureml.PolicyDocument` (or none and only managed policies).

    Permission sets are account-agnostic: one is provisioned to every account
    it is assigned in, so a persona's policy is built with wildcard accounts
    (``region=None``, the default, also keeps every region).

    >>> import secureml as sm
    >>> ps = PermissionSet(name="ReadOnly",
    ...                    managed_policies=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    ...                    session_duration="PT4H")
    >>> ps.key
    'sso-permission-set/ReadOnly'
    >>> ps.problems()
    []
    """

    kind: ClassVar[str] = "sso-permission-set"
    wait_timeout: ClassVar[float] = WAIT_TIMEOUT
    """Seconds to wait for a provisioning request before giving up (see ``_sso_async``)."""

    _name: str = attrs.field(alias="name")
    description: str | None = attrs.field(
        default=None, validator=of_type(str, type(None), allowed="text or None")
    )
    """1-700 characters; ``None``: ``secureml permission set NAME`` (AWS cannot remove a
    description, so there is always one, and a plan settles on it)."""
    session_duration: str = "PT1H"
    inline_policy: PolicyDocument | None = None
    managed_policies: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    customer_managed_policies: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    permissions_boundary: str | None = None
    relay_state: str | None = attrs.field(
        default=None, validator=of_type(str, type(None), allowed="text or None")
    )
    """The URL users land on after signing in. ``None`` leaves the permission set's
    relay state as it is and out of plans: AWS can change a relay state but never
    remove one, so asking for none could never converge."""
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags, hash=False)
    identity_center: IdentityCenter = attrs.field(factory=IdentityCenter)
    _adopt: bool = attrs.field(default=False, alias="adopt", validator=adopt_flag)
    persona: Persona | None = None
    """The persona whose policy is the inline policy (set by :meth:`from_persona`)."""
    region: str | None = None
    """With a persona: the region its policy is scoped to (``None``: every region)."""
    _memo: Memo = attrs.field(factory=Memo, init=False, eq=False, hash=False, repr=False)
    """The persona's document and findings, built once per partition."""

    @property
    def name(self) -> str:
        """The permission set's name (1-32 characters)."""
        return self._name

    @property
    def adopt(self) -> bool:
        """Whether to take over an existing permission set not tagged for this blueprint."""
        return self._adopt

    @classmethod
    def from_persona(
        cls,
        persona: Persona,
        *,
        name: str | None = None,
        session_duration: str = "PT1H",
        region: str | None = None,
        description: str | None = None,
        managed_policies: Iterable[str] = (),
        customer_managed_policies: Iterable[str] = (),
        permissions_boundary: str | None = None,
        relay_state: str | None = None,
        tags: Mapping[str, str] | None = None,
        identity_center: IdentityCenter | None = None,
        adopt: bool = False,
    ) -> PermissionSet:
        """The persona as a permission set: its policy inline (with wildcard accounts,
        and wildcard regions unless ``region`` is given), its managed policies (AWS
        managed ones attached, customer managed ones referenced by name and path), its
        permissions boundary and tags, plus whatever is given here.

        A policy over the 10,240 non-whitespace characters an inline policy may have
        is referenced as customer managed policies instead (:meth:`split_policies`).
        Raises :class:`~secureml.errors.PolicyTooLargeError` when even those would be
        more than the 20 policies a permission set takes.
        """
        aws_managed = [p for p in persona.managed_policies if is_aws_managed(p)]
        customer = [p for p in persona.managed_policies if not is_aws_managed(p)]
        return cls(
            name=name or persona.name,
            description=description
            or persona.description
            or f"secureml {persona.kind} persona {persona.name}",
            session_duration=session_duration,
            managed_policies=(*aws_managed, *managed_policies),
            customer_managed_policies=(*customer, *customer_managed_policies),
            permissions_boundary=permissions_boundary or persona.permissions_boundary,
            relay_state=relay_state,
            tags={**persona.tags, **(tags or {})},
            identity_center=identity_center or IdentityCenter(),
            adopt=adopt,
            persona=persona,
            region=region,
        )

    def lint(self) -> list[Finding]:
        """The persona's findings (or those of ``inline_policy``), and SM042 for
        broad AWS managed policies attached."""
        persona = self.persona
        if persona is not None:
            findings = list(self._memo.get("lint", lambda: tuple(lint_persona(
                persona, region=self.region, document=self._persona_document("aws")
            ))))
            extra = [p for p in self.managed_policies if p not in persona.managed_policies]
        else:
            findings = lint(self.inline_policy) if self.inline_policy is not None else []
            extra = list(self.managed_policies)
        return findings + lint_managed_policies(extra, self.describe())

    def _persona_document(self, partition: str) -> PolicyDocument:
        persona = self.persona
        assert persona is not None
        return self._memo.get(
            ("document", partition),
            lambda: persona.policy_document(
                account_id=None, region=self.region, partition=partition
            ),
        )

    def policy_document(self, partition: str = "aws") -> PolicyDocument | None:
        """The inline policy: the persona's (wildcard accounts; built once per
        partition) or ``inline_policy``."""
        if self.persona is not None:
            document = self._persona_document(partition)
            return document if document.statements else None
        return self.inline_policy

    # -- validation ---------------------------------------------------------------------------

    def __attrs_post_init__(self) -> None:
        """Refuse the new permission set if it has :meth:`problems`: a policy that is
        only too large is a :class:`~secureml.errors.PolicyTooLargeError`."""
        problems = self.problems()
        if not problems:
            return
        size = [p for p in problems if p.path == _SIZE_PATH]
        document = self.policy_document() if size else None
        if len(size) == len(problems) and document is not None:
            raise PolicyTooLargeError(
                str(size[0]),
                sizes=[document.size],
                limit=LIMITS["permission set inline"].max_chars,
            )
        raise ValidationError(problems)

    def problems(self) -> list[Problem]:
        """Every problem with this permission set's input (empty when valid)."""
        where = f"permission set {self._name!r}"
        problems = super().problems()
        check = checker(where, problems)

        check(check_iam_name, self._name, "name", max_len=PERMISSION_SET_NAME_MAX)
        check(check_session_duration, self.session_duration)
        if self.description is not None and (
            not 1 <= len(self.description) <= _DESCRIPTION_MAX
            or not _DESCRIPTION.match(self.description)
        ):
            problems.append(Problem(
                "description", self.description,
                f"{where}: description ({len(self.description)} characters) must be 1-"
                f"{_DESCRIPTION_MAX} printable Latin-1 characters",
            ))
        if self.relay_state is not None and (
            not 1 <= len(self.relay_state) <= _RELAY_STATE_MAX
            or not _RELAY_STATE.match(self.relay_state)
        ):
            problems.append(Problem(
                "relay_state", self.relay_state,
                f"{where}: relay_state {self.relay_state!r} must be a URL of 1-{_RELAY_STATE_MAX} "
                "characters",
            ))
        for i, arn in enumerate(self.managed_policies):
            before = len(problems)
            check(check_arn, arn, "managed_policies", service="iam", at=i)
            if len(problems) == before and not is_aws_managed(arn):
                problems.append(problem(
                    "managed_policies", arn,
                    f"{arn!r} is not an AWS managed policy ARN (arn:aws:iam::aws:policy/...); "
                    "give customer managed policies in customer_managed_policies (by name or "
                    "path/name)", i,
                ).within(where))
        for i, ref in enumerate(self.customer_managed_policies):
            check(policy_reference, ref, "customer_managed_policies", at=i)
        attached = len(self.managed_policies) + len(self.customer_managed_policies)
        if attached > MANAGED_POLICIES_PER_PERMISSION_SET:
            problems.append(Problem(
                "managed_policies", attached,
                f"{where}: {attached} managed policies and customer managed policy references; "
                f"a permission set takes at most {MANAGED_POLICIES_PER_PERMISSION_SET} together",
            ))
        if self.permissions_boundary is not None:
            check(self._boundary)
        problems.extend(tag_problems(self.tags, where))
        if self.persona is not None and self.inline_policy is not None:
            problems.append(Problem(
                "inline_policy", self.inline_policy,
                f"{where}: give either a persona or inline_policy, not both (the persona's policy "
                "is the inline policy)",
            ))
        elif self.inline_policy is not None and not isinstance(self.inline_policy, PolicyDocument):
            problems.append(Problem(
                "inline_policy", self.inline_policy,
                f"{where}: inline_policy must be a secureml.PolicyDocument "
                "(PolicyDocument.from_json(...) reads JSON), not "
                f"{type(self.inline_policy).__name__}",
            ))
        else:
            document = self.policy_document()
            if document is not None:
                problems.extend(p.within(where) for p in self._size_problems(document))
        if self.region is not None and self.persona is None:
            problems.append(Problem(
                "region", self.region,
                f"{where}: region only applies to a permission set made from a persona",
            ))
        elif self.region is not None:
            check(check_region, self.region)
        problems.extend(p.within(where) for p in self.identity_center.problems())
        return problems

    def _size_problems(self, document: PolicyDocument, partition: str = "aws") -> list[Problem]:
        try:
            self.split_documents(partition)
        except PolicyTooLargeError as exc:
            source = f"persona {self.persona.name!r}'s policy" if self.persona else "inline_policy"
            limit = LIMITS["permission set inline"].max_chars
            return [Problem(
                _SIZE_PATH,
                document.size,
                f"{source} is {document.size:,} non-whitespace characters, over the {limit:,} "
                "a permission set's inline policy may have, and packed into customer managed "
                f"policies it needs more than the {MANAGED_POLICIES_PER_PERMISSION_SET} "
                "managed policies and customer managed policy references a permission set "
                f"takes ({exc}). Give the persona fewer activities or managed policies",
            )]
        return []

    # -- permission sets of any size ----------------------------------------------------------

    def split_documents(self, partition: str = "aws") -> list[PolicyDocument]:
        """The inline policy packed into customer managed policies (6,144 characters
        each) when it is over the 10,240 an inline policy may have; else ``[]``.

        The permission set then references them by name and path (see
        :meth:`split_policies`) instead of holding the policy inline; they must exist in
        every account it is assigned in. Raises
        :class:`~secureml.errors.PolicyTooLargeError` when they would pass the 20 managed
        policies and references a permission set takes."""
        document = self.policy_document(partition)
        if (
            not isinstance(document, PolicyDocument)  # None, or bad input problems() reports
            or document.size <= LIMITS["permission set inline"].max_chars
        ):
            return []
        room = (MANAGED_POLICIES_PER_PERMISSION_SET - len(self.managed_policies)
                - len(self.customer_managed_policies))
        return pack_statements(
            document.statements, max_chars=LIMITS["managed policy"].max_chars,
            max_documents=max(room, 0), what=f"permission set {self._name!r}",
        )

    def split_policies(self) -> tuple[ManagedPolicy, ...]:
        """The customer managed policies of :meth:`split_documents`, as resources of the
        blueprint (``NAME-sso-policy-N`` under ``/secureml/<blueprint>/``): a
        :class:`~secureml.Blueprint` adds them itself, ``apply()`` creates them in its
        account and the CloudFormation export in every member account."""
        return tuple(
            ManagedPolicy(
                self.split_policy_name(i), doc,
                description=f"secureml: part {i} of permission set {self._name}",
                tags={"secureml:permission-set": self._name},
            )
            for i, doc in enumerate(self.split_documents(), start=1)
        )

    def split_policy_name(self, index: int) -> str:
        """The name of the ``index``-th (from 1) customer managed policy of a split policy."""
        return f"{self._name}-sso-policy-{index}"

    def parts(self) -> tuple[Resource, ...]:
        """The customer managed policies a split policy needs (see :meth:`split_policies`)."""
        return self.split_policies()

    def dependencies(self) -> Iterable[str]:
        """The customer managed policies a split policy needs, created first."""
        return tuple(p.key for p in self.split_policies())

    def _boundary(self) -> dict[str, Any] | None:
        value = self.permissions_boundary
        if value is None:
            return None
        if value.startswith("arn:") and is_aws_managed(value):
            check_arn(value, "permissions_boundary", service="iam")
            return {"managed_policy_arn": value}
        return {"customer_managed_policy": policy_reference(value, "permissions_boundary")}

    # -- desired state ------------------------------------------------------------------------

    def desired(self, ctx: AwsContext) -> State:
        """The permission set as it should be, in the shape :meth:`read` returns."""
        document = self.policy_document(ctx.partition)
        if document is not None:
            # Checked again here: another partition's ARNs are longer than problems()'s.
            problems = self._size_problems(document, ctx.partition)
            if problems:
                raise PolicyTooLargeError(
                    f"{self.key}: {problems[0].message}",
                    sizes=[document.size],
                    limit=LIMITS["permission set inline"].max_chars,
                )
        split = [
            {"name": self.split_policy_name(i), "path": blueprint_policy_path(ctx.blueprint)}
            for i in range(1, len(self.split_documents(ctx.partition)) + 1)
        ]
        if split:
            document = None
        return {
            "name": self._name,
            "description": self.description or f"secureml permission set {self._name}",
            "session_duration": canonical_duration(self.session_duration),
            "relay_state": self.relay_state,
            "inline_policy": document.to_dict() if document else None,
            "managed_policies": sorted(self.managed_policies),
            "customer_managed_policies": sorted(
                [*(policy_reference(r, "customer_managed_policies") for r in
                   self.customer_managed_policies), *split],
                key=lambda r: (r["path"], r["name"]),
            ),
            "permissions_boundary": self._boundary(),
            "tags": dict(sorted({**self.tags, OWNER_TAG: ctx.blueprint}.items())),
        }

    # -- reading ------------------------------------------------------------------------------

    def _dir(self, ctx: AwsContext) -> Directory:
        return directories(ctx).directory(self.identity_center)

    def read(self, ctx: AwsContext) -> Observed | None:
        """The permission set in AWS (found by name), or ``None``."""
        d = self._dir(ctx)
        info = d.permission_set(self._name)
        if info is None:
            return None
        return self._read(d, info)

    def _read(self, d: Directory, info: PermissionSetInfo) -> Observed:
        ctx, inst, arn, key = d.ctx, d.instance.arn, info.arn, self.key
        common: dict[str, Any] = {"InstanceArn": inst, "PermissionSetArn": arn}
        inline_text = read_call(ctx, key, "get_inline_policy_for_permission_set", **common).get(
            "InlinePolicy"
        )
        managed = sorted(
            p["Arn"]
            for p in ctx.paginate(
                "sso-admin", "list_managed_policies_in_permission_set",
                "AttachedManagedPolicies", **common,
            )
        )
        customer = sorted(
            (
                {"name": r["Name"], "path": r.get("Path") or "/"}
                for r in ctx.paginate(
                    "sso-admin", "list_customer_managed_policy_references_in_permission_set",
                    "CustomerManagedPolicyReferences", **common,
                )
            ),
            key=lambda r: (r["path"], r["name"]),
        )
        boundary: dict[str, Any] | None = None
        try:
            raw = ctx.call(
                "sso-admin", "get_permissions_boundary_for_permission_set", resource=key, **common
            ).get("PermissionsBoundary") or {}
        except ClientError as exc:
            if error_code(exc) not in NOT_FOUND:
                raise ctx.wrap_error(key, "GetPermissionsBoundaryForPermissionSet", exc) from exc
            raw = {}
        if raw.get("ManagedPolicyArn"):
            boundary = {"managed_policy_arn": raw["ManagedPolicyArn"]}
        elif raw.get("CustomerManagedPolicyReference"):
            ref = raw["CustomerManagedPolicyReference"]
            boundary = {
                "customer_managed_policy": {"name": ref["Name"], "path": ref.get("Path") or "/"}
            }
        tags = d.tags(arn)
        described = info.described
        state: State = {
            "name": info.name,
            "description": described.get("Description") or None,
            "session_duration": canonical_duration(described.get("SessionDuration") or "PT1H"),
            # No relay state asked for: whatever is there stays and is not compared
            # (UpdatePermissionSet can set a relay state but never remove one).
            "relay_state": (described.get("RelayState") or None)
            if self.relay_state is not None
            else None,
            "inline_policy": PolicyDocument.from_json(inline_text).to_dict()
            if inline_text
            else None,
            "managed_policies": managed,
            "customer_managed_policies": customer,
            "permissions_boundary": boundary,
            "tags": dict(sorted(tags.items())),
        }
        return Observed(
            state=state,
            owner=tags.get(OWNER_TAG),
            extra={"arn": arn, "instance_arn": inst},
        )

    # -- changing -----------------------------------------------------------------------------

    def create(self, ctx: AwsContext, desired: State) -> None:
        """Create the permission set (tagged), then attach its policies. An existing one of
        the same name (a retry after a crash) is updated instead, if it is ours."""
        d = self._dir(ctx)
        existing = d.permission_set(self._name)
        if existing is None:
            existing = self._create(d, desired)
            if existing is None:  # another run created it meanwhile
                existing = d.permission_set(self._name)
        if existing is None:
            raise AWSCallError(self.key, "CreatePermissionSet", "created but not found again")
        observed = self._read(d, existing)
        if observed.owner != ctx.blueprint and not self._adopt:
            raise OwnershipError(self.key, f"its {OWNER_TAG} tag is {observed.owner!r}")
        # provision=True: after a crash the half-made permission set may be assigned already.
        self._converge(d, observed, desired, provision=True)

    def _create(self, d: Directory, desired: State) -> PermissionSetInfo | None:
        ctx = d.ctx
        params: dict[str, Any] = {
            "InstanceArn": d.instance.arn,
            "Name": self._name,
            "SessionDuration": desired["session_duration"],
            "Tags": [{"Key": k, "Value": v} for k, v in desired["tags"].items()],
        }
        if desired["description"]:
            params["Description"] = desired["description"]
        if desired["relay_state"]:
            params["RelayState"] = desired["relay_state"]

        try:
            created = ctx.retry.call(
                functools.partial(ctx.client("sso-admin").create_permission_set, **params),
                # A name conflict is final, unlike the ConflictException of a busy instance.
                give_up=_name_taken,
                description=f"{self.key} CreatePermissionSet",
            )
        except ClientError as exc:
            if _name_taken(exc):
                log.info("%s: already exists (an earlier run created it); reading it", self.key)
                d.forget_permission_sets()
                return None
            raise ctx.wrap_error(self.key, "CreatePermissionSet", exc) from exc
        described = created["PermissionSet"]
        info = PermissionSetInfo(
            self._name, described["PermissionSetArn"], MappingProxyType(described)
        )
        d.remember_permission_set(info, self._name)
        d.set_tags(info.arn, desired["tags"])
        log.info("%s: created %s", self.key, info.arn)
        return info

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Bring the permission set to ``desired`` and re-provision it to every account
        it is provisioned to (policies do not reach accounts otherwise)."""
        if observed.owner != ctx.blueprint and not self._adopt:
            raise OwnershipError(self.key, f"its {OWNER_TAG} tag is {observed.owner!r}")
        self._converge(self._dir(ctx), observed, desired, provision=True)

    def _converge(self, d: Directory, observed: Observed, desired: State, *,
                  provision: bool) -> None:
        ctx, key = d.ctx, self.key
        before = observed.state
        arn = observed.extra["arn"]
        common: dict[str, Any] = {"InstanceArn": d.instance.arn, "PermissionSetArn": arn}

        def call(operation: str, **kwargs: Any) -> None:
            try:
                ctx.call("sso-admin", operation, resource=key, **common, **kwargs)
            except ClientError as exc:
                raise ctx.wrap_error(key, operation, exc) from exc

        changed = self._converge_settings(call, before, desired)
        changed |= self._converge_policies(call, before, desired)
        self._converge_tags(d, arn, before.get("tags", {}), desired["tags"])
        if changed:
            # Describe data (description, duration) cached in the index is now stale.
            d.remember_permission_set(
                PermissionSetInfo(
                    self._name,
                    arn,
                    MappingProxyType(
                        {
                            "Name": self._name,
                            "PermissionSetArn": arn,
                            "Description": desired["description"] or before.get("description"),
                            "SessionDuration": desired["session_duration"],
                            "RelayState": desired["relay_state"] or before.get("relay_state"),
                        }
                    ),
                ),
                self._name,
            )
            d.set_tags(arn, desired["tags"])
        if changed and provision:
            accounts = d.provisioned_accounts(arn)
            if accounts:
                log.info("%s: re-provisioning to %d account(s)", key, len(accounts))
                provision_permission_set(
                    ctx, d.instance.arn, arn,
                    target=f"permission set {self._name!r} ({len(accounts)} provisioned accounts)",
                    resource=key, timeout=self.wait_timeout,
                )

    def _converge_settings(self, call: Callable[..., None], before: State,
                           desired: State) -> bool:
        basics = ("description", "session_duration", "relay_state")
        if all(before.get(k) == desired[k] for k in basics):
            return False
        # The description is always set (desired() has a default) and a relay state left
        # out is not compared (read()), so this call reaches the desired state.
        params: dict[str, Any] = {
            "SessionDuration": desired["session_duration"],
            "Description": desired["description"],
        }
        if desired["relay_state"]:
            params["RelayState"] = desired["relay_state"]
        call("update_permission_set", **params)
        return True

    def _converge_policies(self, call: Callable[..., None], before: State,
                           desired: State) -> bool:
        changed = False
        if before.get("inline_policy") != desired["inline_policy"]:
            if desired["inline_policy"] is None:
                call("delete_inline_policy_from_permission_set")
            else:
                document = PolicyDocument.from_dict(desired["inline_policy"])
                call("put_inline_policy_to_permission_set", InlinePolicy=document.to_json())
            changed = True
        have, want = set(before.get("managed_policies", [])), set(desired["managed_policies"])
        for arn in sorted(have - want):
            call("detach_managed_policy_from_permission_set", ManagedPolicyArn=arn)
        for arn in sorted(want - have):
            call("attach_managed_policy_to_permission_set", ManagedPolicyArn=arn)
        changed |= have != want

        def refs(state: Mapping[str, Any]) -> set[tuple[str, str]]:
            return {(r["name"], r["path"]) for r in state.get("customer_managed_policies", [])}

        have_c, want_c = refs(before), refs(desired)
        for n, p in sorted(have_c - want_c):
            call(
                "detach_customer_managed_policy_reference_from_permission_set",
                CustomerManagedPolicyReference={"Name": n, "Path": p},
            )
        for n, p in sorted(want_c - have_c):
            call(
                "attach_customer_managed_policy_reference_to_permission_set",
                CustomerManagedPolicyReference={"Name": n, "Path": p},
            )
        changed |= have_c != want_c
        if before.get("permissions_boundary") != desired["permissions_boundary"]:
            boundary = desired["permissions_boundary"]
            if boundary is None:
                call("delete_permissions_boundary_from_permission_set")
            elif "managed_policy_arn" in boundary:
                call(
                    "put_permissions_boundary_to_permission_set",
                    PermissionsBoundary={"ManagedPolicyArn": boundary["managed_policy_arn"]},
                )
            else:
                ref = boundary["customer_managed_policy"]
                call(
                    "put_permissions_boundary_to_permission_set",
                    PermissionsBoundary={
                        "CustomerManagedPolicyReference": {"Name": ref["name"], "Path": ref["path"]}
                    },
                )
            changed = True
        return changed

    def _converge_tags(self, d: Directory, arn: str, have: Mapping[str, str],
                       want: Mapping[str, str]) -> None:
        ctx, key = d.ctx, self.key
        remove = sorted(k for k in have if k not in want)
        add = {k: v for k, v in want.items() if have.get(k) != v}
        try:
            if remove:
                ctx.call("sso-admin", "untag_resource", resource=key,
                         InstanceArn=d.instance.arn, ResourceArn=arn, TagKeys=remove)
            if add:
                ctx.call("sso-admin", "tag_resource", resource=key,
                         InstanceArn=d.instance.arn, ResourceArn=arn,
                         Tags=[{"Key": k, "Value": v} for k, v in sorted(add.items())])
        except ClientError as exc:
            raise ctx.wrap_error(key, "TagResource", exc) from exc
        if remove or add:
            d.set_tags(arn, want)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the permission set. Its assignments must be gone first (the engine
        deletes this blueprint's assignments before it); any left are named in the error."""
        d = self._dir(ctx)
        arn = observed.extra["arn"]
        left = [
            f"{ptype.lower()} {pid} in {account}"
            for account in d.provisioned_accounts(arn)
            for ptype, pid in sorted(
                (a["PrincipalType"], a["PrincipalId"])
                for a in ctx.paginate(
                    "sso-admin", "list_account_assignments", "AccountAssignments",
                    InstanceArn=d.instance.arn, AccountId=account, PermissionSetArn=arn,
                )
            )
        ]
        if left:
            raise RefusalError(
                self.key,
                "DeletePermissionSet",
                f"still assigned ({', '.join(left[:5])}{', ...' if len(left) > 5 else ''})",
                "remove those assignments first (apply with prune=True deletes the ones this "
                "blueprint made)",
            )
        try:
            ctx.call("sso-admin", "delete_permission_set", resource=self.key,
                     InstanceArn=d.instance.arn, PermissionSetArn=arn)
        except ClientError as exc:
            if error_code(exc) not in NOT_FOUND:
                raise ctx.wrap_error(self.key, "DeletePermissionSet", exc) from exc
        d.remember_permission_set(None, self._name)
        log.info("%s: deleted %s", self.key, arn)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterable[Resource]:
        """Permission sets tagged for ``blueprint`` in the default instance."""
        return cls.discover_for(ctx, blueprint, ())

    @classmethod
    def discover_for(
        cls, ctx: AwsContext, blueprint: str, resources: Sequence[Resource]
    ) -> Iterable[Resource]:
        """Permission sets tagged for ``blueprint`` in the default instance and in those
        the blueprint's ``resources`` are configured with."""
        found: list[Resource] = []
        for d in directories(ctx).readable(configured(resources)):
            ic = IdentityCenter.of_instance(d.instance)
            found.extend(
                cls(name=info.name, identity_center=ic)
                for info in d.owned_permission_sets(blueprint)
            )
        return found

    def describe(self) -> str:
        """``sso-permission-set/NAME`` (and the persona it comes from)."""
        return self.key + (f" (persona {self.persona.name})" if self.persona else "")
