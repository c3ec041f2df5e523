"""Permission sets given to groups and users in accounts (``sso-group-assignment``,
``sso-user-assignment``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Literal

import attrs
from botocore.exceptions import ClientError

from secureml._convert import string_tuple
from secureml._validation import check_account_id, check_iam_name, checker
from secureml.aws import AwsContext
from secureml.errors import NotFoundError, Problem
from secureml.policy import PERMISSION_SET_NAME_MAX
from secureml.resources._base import OWNER_TAG, Observed, Resource, State
from secureml.resources._kinds import register_kind
from secureml.resources.identity_center._directory import (
    PRINCIPAL_ID,
    Directory,
    configured,
    directories,
)
from secureml.resources.identity_center._instance import IdentityCenter
from secureml.resources.identity_center._operations import (
    WAIT_TIMEOUT,
    AssignmentOp,
    run_assignment_ops,
)
from secureml.resources.identity_center._permission_set import PermissionSet

__all__ = ["Assignment", "GroupAssignment", "UserAssignment"]

_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$|^r-[0-9a-z]{4,32}$")


def _ps_name(value: str | PermissionSet) -> str:
    return value.name if isinstance(value, PermissionSet) else value


@attrs.frozen(kw_only=True)
class Assignment(Resource):
    """One principal given one permission set in a set of accounts.

    State: ``accounts`` (explicit 12-digit ids) and ``organizational_units``
    (an OU counts as done when all its ACTIVE accounts have the assignment).
    Applying only ever adds the missing targets. Accounts that hold the
    assignment beyond the targets, when the permission set belongs to this
    blueprint, are found by discovery as a separate resource (key
    ``PRINCIPAL:PERMISSION_SET#removed-accounts``) that the plan lists as a
    delete of a resource no longer in the blueprint: removed only with
    ``prune=True``. With a permission set managed elsewhere nothing is ever
    removed.
    """

    principal_type: ClassVar[Literal["GROUP", "USER"]]
    taggable: ClassVar[bool] = False
    wait_timeout: ClassVar[float] = WAIT_TIMEOUT

    principal: str
    _permission_set: str | PermissionSet = attrs.field(alias="permission_set")
    accounts: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    organizational_units: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    _identity_center: IdentityCenter | None = attrs.field(default=None, alias="identity_center")
    _removed_only: bool = attrs.field(default=False, alias="_removed_only", repr=False)
    """Set by discovery only: this object stands for the accounts beyond the targets."""

    @property
    def permission_set(self) -> str:
        """The permission set's name."""
        return _ps_name(self._permission_set)

    @property
    def identity_center(self) -> IdentityCenter:
        """The instance: as given, else the permission set object's, else discovered."""
        if self._identity_center is not None:
            return self._identity_center
        if isinstance(self._permission_set, PermissionSet):
            return self._permission_set.identity_center
        return IdentityCenter()

    @property
    def name(self) -> str:
        """``PRINCIPAL:PERMISSION_SET`` (a permission set name never contains ``:``
        or ``#``, so the discovered ``...#removed-accounts`` never clashes with it)."""
        base = f"{self.principal}:{self.permission_set}"
        return f"{base}#removed-accounts" if self._removed_only else base

    def describe(self) -> str:
        """The key, and for removed accounts what they are."""
        if self._removed_only:
            return f"{self.key} (accounts beyond the blueprint's assignment)"
        return self.key

    def dependencies(self) -> Iterable[str]:
        """The permission set, so it is created first and deleted last."""
        return (f"{PermissionSet.kind}/{self.permission_set}",)

    def external_dependencies(self) -> Iterable[str]:
        """The permission set may exist already, outside the blueprint."""
        return self.dependencies()

    def problems(self) -> list[Problem]:
        """Problems with the principal, permission set name, accounts and OUs."""
        where = f"{self.kind} {self.name!r}"
        what = "group" if self.principal_type == "GROUP" else "user"
        problems = super().problems()
        if not isinstance(self.principal, str) or not 1 <= len(self.principal) <= 1024:
            problems.append(Problem(
                what, self.principal,
                f"{where}: {what} must be a {what} name or id (1-1024 characters)",
            ))
        check = checker(f"{where}: permission_set", problems)
        before = len(problems)
        check(check_iam_name, self.permission_set, "name", max_len=PERMISSION_SET_NAME_MAX)
        problems[before:] = [
            attrs.evolve(p, path=("permission_set",)) for p in problems[before:]
        ]
        check = checker(where, problems)
        for i, account in enumerate(self.accounts):
            check(check_account_id, account, "accounts", at=i)
        for i, ou in enumerate(self.organizational_units):
            if not isinstance(ou, str) or not _OU_ID.match(ou):
                problems.append(Problem(
                    ("organizational_units", i), ou,
                    f"{where}: organizational_units: {ou!r} is not an organizational unit id "
                    "(ou-ab12-cd34ef56) or root id (r-ab12)",
                    detail=f"{where}: {ou!r} is not an organizational unit id "
                    "(ou-ab12-cd34ef56) or root id (r-ab12)",
                ))
        if not self.accounts and not self.organizational_units:
            problems.append(Problem(
                "accounts", None,
                f"{where}: give at least one of accounts=[...] or organizational_units",
            ))
        problems.extend(p.within(where) for p in self.identity_center.problems())
        return problems

    def desired(self, ctx: AwsContext) -> State:
        """The targets as given (organizational units are expanded when applying)."""
        return {
            "principal_type": self.principal_type,
            "principal": self.principal,
            "permission_set": self.permission_set,
            "accounts": sorted(self.accounts),
            "organizational_units": sorted(self.organizational_units),
        }

    def _dir(self, ctx: AwsContext) -> Directory:
        return directories(ctx).directory(self.identity_center)

    def _targets(self, d: Directory) -> set[str]:
        targets = set(self.accounts)
        for ou in self.organizational_units:
            targets.update(d.ou_accounts(ou))
        return targets

    @classmethod
    def _principal_arg(cls) -> str:
        """The argument that names the principal (``group``, ``user``): the alias of
        the subclass's ``principal`` field."""
        return str(attrs.fields(cls).principal.alias)

    def _describe_target(self, account: str) -> str:
        return (
            f"{self._principal_arg()} {self.principal!r} -> permission set "
            f"{self.permission_set!r} in account {account}"
        )

    def read(self, ctx: AwsContext) -> Observed | None:
        """Which targets have the assignment (per-principal listing, shared across resources)."""
        d = self._dir(ctx)
        pid = d.principal_id(self.principal_type, self.principal)
        ps = d.permission_set(self.permission_set)
        if ps is None:
            return None
        assigned = set(d.assignments_for(self.principal_type, pid).get(ps.arn, set()))
        if self._removed_only:
            # Only ever beyond the targets of this blueprint's own permission set.
            if d.tags(ps.arn).get(OWNER_TAG) != ctx.blueprint:
                return None
            assigned -= self._targets(d)
            accounts, ous = assigned, []
        else:
            ous = sorted(
                ou for ou in self.organizational_units if set(d.ou_accounts(ou)) <= assigned
            )
            accounts = set(self.accounts) & assigned
        if not accounts and not ous:
            return None
        return Observed(
            state={
                "principal_type": self.principal_type,
                "principal": self.principal,
                "permission_set": self.permission_set,
                "accounts": sorted(accounts),
                "organizational_units": ous,
            },
            owner=ctx.blueprint,
            extra={
                "principal_id": pid,
                "permission_set_arn": ps.arn,
                "assigned": sorted(assigned),
            },
        )

    def owned_by(self, observed: Observed, blueprint: str) -> bool:
        """Assignments carry no tags: they are this blueprint's to manage when it lists
        them, and discovery only offers those of its own permission sets."""
        return True

    def create(self, ctx: AwsContext, desired: State) -> None:
        """Assign every target account that lacks the assignment."""
        d = self._dir(ctx)
        observed = self.read(ctx)
        self._converge(d, observed)

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Add the missing accounts (removing others is a delete, shown and gated by prune)."""
        self._converge(self._dir(ctx), observed)

    def _converge(self, d: Directory, observed: Observed | None) -> None:
        pid = d.principal_id(self.principal_type, self.principal)
        ps = d.permission_set(self.permission_set)
        if ps is None:
            raise NotFoundError(
                f"{self.key}: permission set {self.permission_set!r} not found in IAM Identity "
                f"Center instance {d.instance.arn}; add it to the blueprint or create it first"
            )
        assigned = set(observed.extra["assigned"]) if observed else set(
            d.assignments_for(self.principal_type, pid).get(ps.arn, set())
        )
        self._run(d, pid, ps.arn, sorted(self._targets(d) - assigned), delete=False)

    def _run(self, d: Directory, pid: str, ps_arn: str, accounts: list[str], *,
             delete: bool) -> None:
        if not accounts:
            return
        ops = [
            AssignmentOp(a, self.principal_type, pid, ps_arn, self._describe_target(a))
            for a in accounts
        ]
        done: list[AssignmentOp] = []
        try:
            done = run_assignment_ops(
                d.ctx, d.instance.arn, ops, delete=delete, resource=self.key,
                timeout=self.wait_timeout,
            )
        except ClientError as exc:
            operation = "DeleteAccountAssignment" if delete else "CreateAccountAssignment"
            raise d.ctx.wrap_error(self.key, operation, exc) from exc
        finally:
            # Record what finished even when a later one failed, so a re-read is right.
            d.record(self.principal_type, pid, ps_arn, [o.account for o in done], added=not delete)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Remove the assignment from every account that has it (for removed accounts:
        from those accounts only)."""
        d = self._dir(ctx)
        self._run(
            d,
            observed.extra["principal_id"],
            observed.extra["permission_set_arn"],
            list(observed.extra["assigned"]),
            delete=True,
        )

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterable[Resource]:
        """Assignments of this kind to permission sets tagged for ``blueprint`` in the
        default instance, as if the blueprint held no assignment (see :meth:`discover_for`)."""
        return cls.discover_for(ctx, blueprint, ())

    @classmethod
    def discover_for(
        cls, ctx: AwsContext, blueprint: str, resources: Sequence[Resource]
    ) -> Iterable[Resource]:
        """Assignments of this kind's principals to permission sets tagged for
        ``blueprint``: per permission set, the accounts it is provisioned to, then one
        listing per (permission set, account), a few at a time.

        A principal and permission set the blueprint no longer pairs is offered whole;
        one it still pairs is offered as its ``#removed-accounts`` resource, which
        reads as the accounts beyond the blueprint's targets (if any). Principals the
        blueprint names by id keep the id, so the keys match the blueprint's."""
        found: list[Resource] = []
        wanted = {r.key: r for r in resources if isinstance(r, cls)}
        by_id = {
            (r.principal_type, r.principal)
            for r in resources
            if isinstance(r, Assignment) and PRINCIPAL_ID.match(r.principal)
        }
        for d in directories(ctx).readable(configured(resources)):
            ic = IdentityCenter.of_instance(d.instance)
            owned = d.owned_permission_sets(blueprint)
            scans = d.scans([info.arn for info in owned])
            for info in owned:
                by_principal: dict[str, set[str]] = {}
                for account, principals in scans[info.arn].items():
                    for ptype, pid in principals:
                        if ptype == cls.principal_type:
                            by_principal.setdefault(pid, set()).add(account)
                for pid, accounts in sorted(by_principal.items()):
                    name = (
                        pid
                        if (cls.principal_type, pid) in by_id
                        else d.principal_name(cls.principal_type, pid)
                    )
                    named: dict[str, Any] = {cls._principal_arg(): name}
                    candidate = cls(
                        **named,
                        permission_set=info.name,
                        accounts=sorted(accounts),
                        identity_center=ic,
                    )
                    mine = wanted.get(candidate.key)
                    if mine is not None:
                        principal: dict[str, Any] = {cls._principal_arg(): mine.principal}
                        candidate = cls(
                            **principal,
                            permission_set=mine.permission_set,
                            accounts=mine.accounts,
                            organizational_units=mine.organizational_units,
                            identity_center=ic,
                            _removed_only=True,
                        )
                    found.append(candidate)
        return found


@register_kind
@attrs.frozen(kw_only=True)
class GroupAssignment(Assignment):
    """A group of the identity store given a permission set in accounts.

    ``group`` is the group's display name (looked up with ``GetGroupId``) or
    its id. ``permission_set`` is a name or a :class:`PermissionSet` of the
    blueprint. ``accounts`` are 12-digit account ids; ``organizational_units``
    (``ou-...`` or a root ``r-...``) add the ACTIVE accounts directly in them.

    >>> a = GroupAssignment(group="DataScientists", permission_set="team-a-ds",
    ...                     accounts=["111122223333"])
    >>> a.key, list(a.dependencies())
    ('sso-group-assignment/DataScientists:team-a-ds', ['sso-permission-set/team-a-ds'])
    """

    kind: ClassVar[str] = "sso-group-assignment"
    principal_type: ClassVar[Literal["GROUP", "USER"]] = "GROUP"

    principal: str = attrs.field(alias="group")

    @property
    def group(self) -> str:
        """The group's display name or id, as given."""
        return self.principal


@register_kind
@attrs.frozen(kw_only=True)
class UserAssignment(Assignment):
    """One user of the identity store (by user name, or id) given a permission set
    in accounts. Prefer :class:`GroupAssignment`: access follows group membership.

    >>> UserAssignment(user="jdoe", permission_set="team-a-ds", accounts=["111122223333"]).key
    'sso-user-assignment/jdoe:team-a-ds'
    """

    kind: ClassVar[str] = "sso-user-assignment"
    principal_type: ClassVar[Literal["GROUP", "USER"]] = "USER"

    principal: str = attrs.field(alias="user")

    @property
    def user(self) -> str:
        """The user's user name or id, as given."""
        return self.principal
