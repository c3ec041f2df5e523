"""What one run reads about an Identity Center instance, once.

A :class:`Directory` holds the permission sets, tags, principals, assignments and
organizational-unit accounts of one instance as read during one plan or apply, shared
by every resource of the run (thread-safe), and kept true after the run's own writes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar, cast

import attrs
from botocore.exceptions import ClientError

from secureml.aws import AwsContext, error_code, parallel_map
from secureml.errors import NotFoundError, RefusalError, ValidationError
from secureml.resources._base import OWNER_TAG
from secureml.resources.identity_center._instance import (
    IdentityCenter,
    Instance,
    resolve_instance,
)
from secureml.resources.identity_center._operations import limit_rate

__all__ = [
    "NOT_FOUND",
    "PRINCIPAL_ID",
    "Directories",
    "Directory",
    "PermissionSetInfo",
    "configured",
    "directories",
]

log = logging.getLogger("secureml.resources.identity_center")

T = TypeVar("T")
R = TypeVar("R")

_READ_WORKERS = 8
"""Listings of one run made at once (per permission set, per provisioned account).
Identity Center's rate limit, not this number, bounds the pace (``_sso_async.limit_rate``);
a few threads are enough to keep a 20 requests/s budget busy at real-world latency."""

PRINCIPAL_ID = re.compile(
    r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$"
)
"""An Identity Center user or group id, as AWS's API patterns it (a GUID, optionally
after 10 hex digits and a dash); any other principal reference is a name."""
NOT_FOUND = frozenset({"ResourceNotFoundException"})
_NO_PARENT = frozenset({"ParentNotFoundException", "AWSOrganizationsNotInUseException"})
_NO_ACCESS = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "ValidationException"}
)



@attrs.frozen
class _PrincipalKind:
    """How the identity store names one type of principal."""

    word: str  # in messages
    describe: str  # the operation reading one by id
    lookup: str  # the operation finding one's id by name
    id_key: str  # the id's field in requests and answers
    name_attribute: str  # the unique attribute it is named by
    name_words: str  # that attribute in messages


_PRINCIPALS: Mapping[str, _PrincipalKind] = MappingProxyType({
    "GROUP": _PrincipalKind(
        "group", "describe_group", "get_group_id", "GroupId", "DisplayName", "display name"
    ),
    "USER": _PrincipalKind(
        "user", "describe_user", "get_user_id", "UserId", "UserName", "user name"
    ),
})


@attrs.frozen
class PermissionSetInfo:
    name: str
    arn: str
    described: Mapping[str, Any]


@attrs.define
class Directory:
    """What one run has read about one instance, shared by every resource of the run.

    Thread-safe: the engine may apply independent resources concurrently.
    """

    ctx: AwsContext
    instance: Instance
    _lock: threading.RLock = attrs.field(factory=threading.RLock)
    _values: dict[Any, Any] = attrs.field(factory=dict)
    _loading: dict[Any, threading.Lock] = attrs.field(factory=dict)

    def _once(self, key: Any, factory: Callable[[], T]) -> T:
        # One lock per key: resources read in parallel wait for one listing
        # instead of each making it.
        with self._lock:
            if key in self._values:
                return cast(T, self._values[key])
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            with self._lock:
                if key in self._values:
                    return cast(T, self._values[key])
            value = factory()
            with self._lock:
                return cast(T, self._values.setdefault(key, value))

    def forget_permission_sets(self) -> None:
        """Drop the permission set listing (another run changed it): the next call reads again."""
        with self._lock:
            self._values.pop("permission-sets", None)
            self._values.pop("permission-set-arns", None)

    @staticmethod
    def _map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on a few threads (the rate limiter paces the calls)."""
        return parallel_map(fn, items, _READ_WORKERS, thread_name_prefix="secureml-sso")

    # permission sets

    def permission_set_arns(self) -> list[str]:
        """Every permission set ARN of the instance (one paginated listing per run)."""
        return list(self._once("permission-set-arns", lambda: list(self.ctx.paginate(
            "sso-admin", "list_permission_sets", "PermissionSets",
            InstanceArn=self.instance.arn,
        ))))

    def _describe(self, arn: str) -> PermissionSetInfo:
        described = self.ctx.call(
            "sso-admin", "describe_permission_set",
            InstanceArn=self.instance.arn, PermissionSetArn=arn,
        )["PermissionSet"]
        return PermissionSetInfo(described["Name"], arn, MappingProxyType(described))

    def permission_sets(self) -> dict[str, list[PermissionSetInfo]]:
        """Every permission set of the instance by name (AWS keeps names unique;
        a list so that a duplicate, which only emulators allow, is reported).
        AWS has no lookup by name, so each permission set is described once."""

        def load() -> dict[str, list[PermissionSetInfo]]:
            by_name: dict[str, list[PermissionSetInfo]] = {}
            for info in self._map(self._describe, self.permission_set_arns()):
                by_name.setdefault(info.name, []).append(info)
            return by_name

        return self._once("permission-sets", load)

    def permission_set(self, name: str) -> PermissionSetInfo | None:
        found = self.permission_sets().get(name, [])
        if len(found) > 1:
            raise RefusalError(
                f"sso-permission-set/{name}",
                "ListPermissionSets",
                f"{len(found)} permission sets are named {name!r} in {self.instance.arn} "
                f"({[f.arn for f in found]}), so secureml cannot tell which is meant",
                "delete the extra ones so the name is unique again",
            )
        return found[0] if found else None

    def remember_permission_set(self, info: PermissionSetInfo | None, name: str) -> None:
        """Keep the index true after a create, update or delete (if it was read at all)."""
        with self._lock:
            index = self._values.get("permission-sets")
            if index is not None:
                old = {i.arn for i in index.get(name, [])}
                index[name] = [info] if info else []
                arns = self._values.get("permission-set-arns")
                if arns is not None:
                    kept = [a for a in arns if a not in old]
                    self._values["permission-set-arns"] = kept + ([info.arn] if info else [])

    def tags(self, arn: str) -> dict[str, str]:
        def load() -> dict[str, str]:
            return {
                t["Key"]: t.get("Value", "")
                for t in self.ctx.paginate(
                    "sso-admin", "list_tags_for_resource", "Tags",
                    InstanceArn=self.instance.arn, ResourceArn=arn,
                )
            }

        return dict(self._once(("tags", arn), load))

    def set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        with self._lock:
            self._values[("tags", arn)] = dict(tags)

    def owned_permission_sets(self, blueprint: str) -> list[PermissionSetInfo]:
        """Permission sets tagged for ``blueprint``: one tag listing per permission
        set (several at once), then a description of the owned ones only, unless
        this run has described every permission set already (a blueprint with
        permission sets of its own does, to find them by name)."""
        arns = self.permission_set_arns()
        tags = self._map(self.tags, arns)
        owned = [arn for arn, t in zip(arns, tags, strict=True) if t.get(OWNER_TAG) == blueprint]
        with self._lock:
            index = self._values.get("permission-sets")
        if index is not None:
            return [info for found in index.values() for info in found if info.arn in owned]
        return self._map(self._describe, owned)

    # principals

    def principal_id(self, principal_type: str, reference: str) -> str:
        """The id of a group (by display name or id) or user (by user name or id)."""
        store = self.instance.identity_store_id
        kind = _PRINCIPALS[principal_type]
        what = kind.word

        def load() -> str:
            try:
                if PRINCIPAL_ID.match(reference):
                    ids: dict[str, Any] = {kind.id_key: reference}
                    self.ctx.call("identitystore", kind.describe, IdentityStoreId=store, **ids)
                    return reference
                found = self.ctx.call(
                    "identitystore", kind.lookup, IdentityStoreId=store,
                    AlternateIdentifier={"UniqueAttribute": {
                        "AttributePath": kind.name_attribute, "AttributeValue": reference,
                    }},
                )
                principal_id = str(found[kind.id_key])
                # Discovery names the principals it finds: this one needs no DescribeGroup.
                with self._lock:
                    self._values.setdefault(
                        ("principal-name", principal_type, principal_id), reference
                    )
                return principal_id
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND:
                    by = "id" if PRINCIPAL_ID.match(reference) else kind.name_words
                    raise NotFoundError(
                        f"{what} {reference!r} (by {by}) not found in identity store {store} of "
                        f"IAM Identity Center instance {self.instance.arn}; {what} names are "
                        "case sensitive and must exist in the identity store (synced from the "
                        "external identity provider) before they can be assigned"
                    ) from exc
                raise

        return self._once(("principal", principal_type, reference), load)

    def principal_name(self, principal_type: str, principal_id: str) -> str:
        """A group's display name or a user's user name (for discovered assignments)."""

        kind = _PRINCIPALS[principal_type]

        def load() -> str:
            ids: dict[str, Any] = {kind.id_key: principal_id}
            try:
                return str(self.ctx.call(
                    "identitystore", kind.describe,
                    IdentityStoreId=self.instance.identity_store_id, **ids,
                ).get(kind.name_attribute) or principal_id)
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND:
                    return principal_id  # deleted from the store: the assignment is an orphan
                raise

        return self._once(("principal-name", principal_type, principal_id), load)

    # assignments

    def assignments_for(self, principal_type: str, principal_id: str) -> dict[str, set[str]]:
        """Permission set ARN -> accounts, for one principal (one paginated listing)."""

        def load() -> dict[str, set[str]]:
            out: dict[str, set[str]] = {}
            for a in self.ctx.paginate(
                "sso-admin", "list_account_assignments_for_principal", "AccountAssignments",
                InstanceArn=self.instance.arn, PrincipalId=principal_id,
                PrincipalType=principal_type, MaxResults=100,
            ):
                out.setdefault(a["PermissionSetArn"], set()).add(a["AccountId"])
            return out

        return self._once(("assignments", principal_type, principal_id), load)

    def record(self, principal_type: str, principal_id: str, ps_arn: str,
               accounts: Iterable[str], *, added: bool) -> None:
        """Keep the cached listings true after assignments were created or deleted."""
        accounts = set(accounts)
        with self._lock:
            by_ps = self._values.get(("assignments", principal_type, principal_id))
            if by_ps is not None:
                current = by_ps.setdefault(ps_arn, set())
                current |= accounts if added else set()
                current -= set() if added else accounts
            scan = self._values.get(("scan", ps_arn))
            if scan is not None:
                for account in accounts:
                    principals = scan.setdefault(account, set())
                    if added:
                        principals.add((principal_type, principal_id))
                    else:
                        principals.discard((principal_type, principal_id))

    def provisioned_accounts(self, ps_arn: str) -> list[str]:
        """Accounts a permission set is provisioned to (uncached: it changes as we work)."""
        return sorted(
            self.ctx.paginate(
                "sso-admin", "list_accounts_for_provisioned_permission_set", "AccountIds",
                InstanceArn=self.instance.arn, PermissionSetArn=ps_arn, MaxResults=100,
            )
        )

    def _principals_in(self, ps_arn: str, account: str) -> set[tuple[str, str]]:
        return {
            (a["PrincipalType"], a["PrincipalId"])
            for a in self.ctx.paginate(
                "sso-admin", "list_account_assignments", "AccountAssignments",
                InstanceArn=self.instance.arn, AccountId=account,
                PermissionSetArn=ps_arn, MaxResults=100,
            )
        }

    def scans(self, ps_arns: Sequence[str]) -> dict[str, dict[str, set[tuple[str, str]]]]:
        """Per permission set: account -> principals, for every account it is provisioned
        to. One listing of the accounts per permission set, then one paginated listing per
        (permission set, account): all of them a few at a time, at Identity Center's rate."""

        def load() -> dict[str, dict[str, set[tuple[str, str]]]]:
            provisioned = self._map(self.provisioned_accounts, list(ps_arns))
            pairs = [
                (arn, account)
                for arn, accounts in zip(ps_arns, provisioned, strict=True)
                for account in accounts
            ]
            listed = self._map(lambda pair: self._principals_in(*pair), pairs)
            out: dict[str, dict[str, set[tuple[str, str]]]] = {arn: {} for arn in ps_arns}
            for (arn, account), principals in zip(pairs, listed, strict=True):
                out[arn][account] = principals
            with self._lock:
                # Kept per permission set so that record() keeps them true after changes.
                return {
                    arn: self._values.setdefault(("scan", arn), by_account)
                    for arn, by_account in out.items()
                }

        return self._once(("scans", tuple(ps_arns)), load)

    # organizations

    def ou_accounts(self, ou: str) -> list[str]:
        """The ACTIVE accounts directly in an organizational unit (or root)."""

        def load() -> list[str]:
            try:
                return sorted(
                    a["Id"]
                    for a in self.ctx.paginate(
                        "organizations", "list_accounts_for_parent", "Accounts", ParentId=ou
                    )
                    if a.get("Status", "ACTIVE") == "ACTIVE"
                    and a.get("State", "ACTIVE") == "ACTIVE"
                )
            except ClientError as exc:
                if error_code(exc) in _NO_PARENT:
                    raise NotFoundError(
                        f"organizational unit {ou!r} not found in the organization of account "
                        f"{self.ctx.account_id} ({error_code(exc)})"
                    ) from exc
                raise

        return list(self._once(("ou-accounts", ou), load))


@attrs.define
class Directories:
    """Every Identity Center instance one run looks at, and its :class:`Directory`.

    One object per run (:func:`directories`): ``ListInstances`` is called once per
    region, and each instance gets one directory, whichever resource asks first.
    """

    ctx: AwsContext
    _lock: threading.RLock = attrs.field(factory=threading.RLock)
    _instances: dict[str | None, list[dict[str, Any]]] = attrs.field(factory=dict)
    _by_arn: dict[str, Directory] = attrs.field(factory=dict)

    def _list_instances(self, rctx: AwsContext) -> list[dict[str, Any]]:
        # Held while listing, so resources read in parallel list the instances once.
        with self._lock:
            if rctx.region not in self._instances:
                self._instances[rctx.region] = [
                    i
                    for i in rctx.paginate("sso-admin", "list_instances", "Instances")
                    if i.get("Status", "ACTIVE") == "ACTIVE"
                ]
            return self._instances[rctx.region]

    def directory(self, ic: IdentityCenter) -> Directory:
        """The directory of the instance ``ic`` names (or of the region's one instance)."""
        rctx = self.ctx.for_region(ic.region)
        limit_rate(rctx)
        instance = resolve_instance(rctx, ic, lambda: self._list_instances(rctx))
        with self._lock:
            return self._by_arn.setdefault(instance.arn, Directory(rctx, instance))

    def readable(self, configs: Iterable[IdentityCenter]) -> list[Directory]:
        """Directories of the instances ``configs`` name and of the default one, without
        raising when Identity Center is not set up or not readable (discovery runs on
        every plan)."""
        found: dict[str, Directory] = {}
        for ic in {*configs, IdentityCenter()}:
            try:
                d = self.directory(ic)
            except (NotFoundError, ValidationError):
                continue
            except ClientError as exc:
                if error_code(exc) in _NO_ACCESS:
                    log.debug(
                        "Identity Center not readable in %s: %s", ic.region or self.ctx.region, exc
                    )
                    continue
                raise
            found.setdefault(d.instance.arn, d)
        return list(found.values())


def configured(resources: Iterable[object]) -> set[IdentityCenter]:
    """The instances a blueprint's resources are configured with (discovery looks at
    them as well as at the default one)."""
    return {
        ic
        for r in resources
        if isinstance(ic := getattr(r, "identity_center", None), IdentityCenter)
    }


def directories(ctx: AwsContext) -> Directories:
    """The run's :class:`Directories` (one per context)."""
    return cast(Directories, ctx.cached("secureml.identity-center", lambda: Directories(ctx)))
