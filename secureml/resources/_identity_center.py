"""IAM Identity Center: personas as permission sets, assigned to groups and users.

Three resource kinds:

- :class:`PermissionSet` (``sso-permission-set``): a permission set with the
  persona's policy inline, AWS managed policies, customer managed policy
  references, a permissions boundary, session duration, relay state and tags.
- :class:`GroupAssignment` (``sso-group-assignment``) and
  :class:`UserAssignment` (``sso-user-assignment``): one principal given one
  permission set in a set of accounts (and organizational units).

The Identity Center instance is found with ``ListInstances`` (once per run) or
given with :class:`IdentityCenter` on each resource. Reads are cached per run
(per :class:`~secureml.aws.AwsContext`), so a blueprint with many assignments
pays for each listing once. See ``docs/identity_center.rst``.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast

import attrs
from botocore.exceptions import ClientError

from secureml._convert import frozen_tags, string_tuple
from secureml._validation import (
    check_account_id,
    check_arn,
    check_iam_name,
    check_region,
    check_session_duration,
    of_type,
    parse_duration_hours,
)
from secureml.aws import AwsContext, error_code
from secureml.errors import (
    AWSCallError,
    NotFoundError,
    OwnershipError,
    PolicyTooLargeError,
    Problem,
    ValidationError,
)
from secureml.policy import LIMITS, MANAGED_POLICIES_PER_PERMISSION_SET, PolicyDocument
from secureml.policy._findings import Finding
from secureml.policy._lint import lint
from secureml.resources._base import OWNER_TAG, Observed, Resource, State
from secureml.resources._sso_async import (
    WAIT_TIMEOUT,
    AssignmentOp,
    limit_rate,
    provision_permission_set,
    run_assignment_ops,
)

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = [
    "GroupAssignment",
    "IdentityCenter",
    "PermissionSet",
    "UserAssignment",
]

log = logging.getLogger("secureml.resources.identity_center")

T = TypeVar("T")
R = TypeVar("R")

_READ_WORKERS = 8
"""Listings of one run made at once (per permission set, per provisioned account).
Identity Center's rate limit, not this number, bounds the pace (``_sso_async.limit_rate``);
a few threads are enough to keep a 20 requests/s budget busy at real-world latency."""

_PS_NAME_MAX = 32
_DESCRIPTION_MAX = 700
_RELAY_STATE_MAX = 240
_TAGS_MAX = 50
_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")
_RELAY_STATE = re.compile(r"""^[a-zA-Z0-9&$@#\\/%?=~\-_'"|!:,.;*+\[\]\ (){}]+$""")
_POLICY_PATH = re.compile(r"^/(?:[A-Za-z0-9.,+@=_-]+/)*$")
_INSTANCE_ARN = re.compile(
    r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$"
)
_IDENTITY_STORE = re.compile(
    r"^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_PRINCIPAL_ID = re.compile(
    r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$"
)
_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$|^r-[0-9a-z]{4,32}$")
_NOT_FOUND = frozenset({"ResourceNotFoundException"})
_NO_PARENT = frozenset({"ParentNotFoundException", "AWSOrganizationsNotInUseException"})
_NO_ACCESS = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "ValidationException"}
)


# -- the Identity Center instance ------------------------------------------------------------


@attrs.frozen
class IdentityCenter:
    """Which IAM Identity Center instance a resource uses.

    Leave everything out (the default on every resource) to discover the
    instance with ``ListInstances`` in the blueprint's region: the one
    instance there is used. Give ``instance_arn`` (and ``identity_store_id``,
    which saves the lookup) when the account sees several instances, and
    ``region`` when Identity Center lives in another region than the rest of
    the blueprint. Pass the same value to every Identity Center resource of a
    blueprint.

    >>> ic = IdentityCenter(region="eu-west-1")
    >>> ic.region
    'eu-west-1'
    """

    instance_arn: str | None = None
    identity_store_id: str | None = None
    region: str | None = None

    def problems(self) -> list[str]:
        """Problems with the values given (empty when valid)."""
        problems: list[str] = []
        if self.region is not None:
            problems.extend(
                f"identity_center.{p}" for p in _problems(lambda: check_region(self.region))
            )
        if self.instance_arn is not None and not (
            isinstance(self.instance_arn, str) and _INSTANCE_ARN.match(self.instance_arn)
        ):
            problems.append(
                f"identity_center.instance_arn: {self.instance_arn!r} is not an Identity Center "
                "instance ARN (arn:aws:sso:::instance/ssoins-0123456789abcdef)"
            )
        if self.identity_store_id is not None:
            if self.instance_arn is None:
                problems.append(
                    "identity_center.identity_store_id: give instance_arn too (the identity "
                    "store alone does not name the instance)"
                )
            if not (
                isinstance(self.identity_store_id, str)
                and _IDENTITY_STORE.match(self.identity_store_id)
            ):
                problems.append(
                    f"identity_center.identity_store_id: {self.identity_store_id!r} is not an "
                    "identity store id (d-0123456789)"
                )
        return problems


@attrs.frozen
class _Instance:
    arn: str
    identity_store_id: str
    region: str


def _list_instances(ctx: AwsContext) -> list[dict[str, Any]]:
    # Held while listing, so resources read in parallel list the instances once.
    lock = cast(threading.Lock, ctx.cached("sso:instances-lock", threading.Lock))
    with lock:
        return cast(
            list[dict[str, Any]],
            ctx.cached(
                "sso:instances",
                lambda: [
                    i
                    for i in ctx.paginate("sso-admin", "list_instances", "Instances")
                    if i.get("Status", "ACTIVE") == "ACTIVE"
                ],
            ),
        )


def _resolve_instance(ctx: AwsContext, ic: IdentityCenter) -> _Instance:
    """The instance ``ic`` names, or the one instance of the region (cached per context)."""
    region = ctx.region or "us-east-1"
    if ic.instance_arn and ic.identity_store_id:
        return _Instance(ic.instance_arn, ic.identity_store_id, region)
    instances = _list_instances(ctx)
    if ic.instance_arn:
        for i in instances:
            if i["InstanceArn"] == ic.instance_arn:
                return _Instance(i["InstanceArn"], i["IdentityStoreId"], region)
        raise NotFoundError(
            f"IAM Identity Center instance {ic.instance_arn!r} not found in region {region} of "
            f"account {ctx.account_id} (ListInstances returned "
            f"{[i['InstanceArn'] for i in instances] or 'none'}); check instance_arn and region"
        )
    if not instances:
        raise NotFoundError(
            f"no IAM Identity Center instance in region {region} of account {ctx.account_id}, "
            "which this blueprint's permission sets and assignments need. Enable IAM Identity "
            "Center (in the organization's management account or its delegated administrator), "
            "or pass identity_center=IdentityCenter(region=...) if it lives in another region"
        )
    if len(instances) > 1:
        raise ValidationError(
            f"identity_center: {len(instances)} IAM Identity Center instances in region {region} "
            f"({[i['InstanceArn'] for i in instances]}); say which one with "
            "identity_center=IdentityCenter(instance_arn=...)"
        )
    only = instances[0]
    return _Instance(only["InstanceArn"], only["IdentityStoreId"], region)


# -- per-run directory of the instance: permission sets, principals, assignments -----------


@attrs.frozen
class _PermissionSetInfo:
    name: str
    arn: str
    described: Mapping[str, Any]


@attrs.define
class _Directory:
    """What one run has read about one instance, shared by every resource of the run.

    Thread-safe: the engine may apply independent resources concurrently.
    """

    ctx: AwsContext
    instance: _Instance
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

    def _forget(self, key: Any) -> None:
        with self._lock:
            self._values.pop(key, None)

    @staticmethod
    def _map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on a few threads (the rate limiter paces the calls)."""
        if len(items) <= 1:
            return [fn(i) for i in items]
        workers = min(_READ_WORKERS, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secureml-sso") as pool:
            return list(pool.map(fn, items))

    # permission sets

    def permission_set_arns(self) -> list[str]:
        """Every permission set ARN of the instance (one paginated listing per run)."""
        return list(self._once("permission-set-arns", lambda: list(self.ctx.paginate(
            "sso-admin", "list_permission_sets", "PermissionSets",
            InstanceArn=self.instance.arn,
        ))))

    def _describe(self, arn: str) -> _PermissionSetInfo:
        described = self.ctx.call(
            "sso-admin", "describe_permission_set",
            InstanceArn=self.instance.arn, PermissionSetArn=arn,
        )["PermissionSet"]
        return _PermissionSetInfo(described["Name"], arn, MappingProxyType(described))

    def permission_sets(self) -> dict[str, list[_PermissionSetInfo]]:
        """Every permission set of the instance by name (AWS keeps names unique;
        a list so that a duplicate, which only emulators allow, is reported).
        AWS has no lookup by name, so each permission set is described once."""

        def load() -> dict[str, list[_PermissionSetInfo]]:
            by_name: dict[str, list[_PermissionSetInfo]] = {}
            for info in self._map(self._describe, self.permission_set_arns()):
                by_name.setdefault(info.name, []).append(info)
            return by_name

        return self._once("permission-sets", load)

    def permission_set(self, name: str) -> _PermissionSetInfo | None:
        found = self.permission_sets().get(name, [])
        if len(found) > 1:
            raise AWSCallError(
                f"sso-permission-set/{name}",
                "ListPermissionSets",
                f"{len(found)} permission sets are named {name!r} in {self.instance.arn} "
                f"({[f.arn for f in found]}); delete the extra ones so the name is unique again",
            )
        return found[0] if found else None

    def remember_permission_set(self, info: _PermissionSetInfo | None, name: str) -> None:
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

    def owned_permission_sets(self, blueprint: str) -> list[_PermissionSetInfo]:
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
        what = "group" if principal_type == "GROUP" else "user"

        def load() -> str:
            try:
                if _PRINCIPAL_ID.match(reference):
                    op = "describe_group" if principal_type == "GROUP" else "describe_user"
                    key = "GroupId" if principal_type == "GROUP" else "UserId"
                    ids: dict[str, Any] = {key: reference}
                    self.ctx.call("identitystore", op, IdentityStoreId=store, **ids)
                    return reference
                attribute = "DisplayName" if principal_type == "GROUP" else "UserName"
                op = "get_group_id" if principal_type == "GROUP" else "get_user_id"
                key = "GroupId" if principal_type == "GROUP" else "UserId"
                found = self.ctx.call(
                    "identitystore", op, IdentityStoreId=store,
                    AlternateIdentifier={
                        "UniqueAttribute": {"AttributePath": attribute, "AttributeValue": reference}
                    },
                )
                principal_id = str(found[key])
                # Discovery names the principals it finds: this one needs no DescribeGroup.
                with self._lock:
                    self._values.setdefault(
                        ("principal-name", principal_type, principal_id), reference
                    )
                return principal_id
            except ClientError as exc:
                if error_code(exc) in _NOT_FOUND:
                    attribute_name = "display name" if what == "group" else "user name"
                    by = "id" if _PRINCIPAL_ID.match(reference) else attribute_name
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

        def load() -> str:
            store = self.instance.identity_store_id
            try:
                if principal_type == "GROUP":
                    return str(
                        self.ctx.call(
                            "identitystore", "describe_group",
                            IdentityStoreId=store, GroupId=principal_id,
                        ).get("DisplayName") or principal_id
                    )
                return str(
                    self.ctx.call(
                        "identitystore", "describe_user", IdentityStoreId=store, UserId=principal_id
                    ).get("UserName") or principal_id
                )
            except ClientError as exc:
                if error_code(exc) in _NOT_FOUND:
                    return principal_id  # deleted from the store: the assignment is an orphan
                raise

        if (principal_type, principal_id) in _id_references(self.ctx):
            return principal_id  # the blueprint names it by id: discovery must use that key
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


def _directory(ctx: AwsContext, ic: IdentityCenter) -> _Directory:
    rctx = ctx.for_region(ic.region)
    limit_rate(rctx)
    instance = _resolve_instance(rctx, ic)
    return cast(
        _Directory,
        rctx.cached(f"sso:directory:{instance.arn}", lambda: _Directory(rctx, instance)),
    )


def _try_directories(ctx: AwsContext) -> list[_Directory]:
    """Directories of every instance discovery should look at, without raising when
    Identity Center is not set up or not readable (discovery runs on every plan)."""
    directories: dict[str, _Directory] = {}
    configs = set(cast(set[IdentityCenter], ctx.cached("sso:configs", set)))
    configs.add(IdentityCenter())
    for ic in configs:
        try:
            d = _directory(ctx, ic)
        except (NotFoundError, ValidationError):
            continue
        except ClientError as exc:
            if error_code(exc) in _NO_ACCESS:
                log.debug("Identity Center not readable in %s: %s", ic.region or ctx.region, exc)
                continue
            raise
        directories.setdefault(d.instance.arn, d)
    return list(directories.values())


def _register(ctx: AwsContext, ic: IdentityCenter) -> None:
    # Discovery also looks at instances that resources were configured with.
    configs = cast(set[IdentityCenter], ctx.cached("sso:configs", set))
    configs.add(ic)


def _wanted_assignments(ctx: AwsContext) -> dict[str, _Assignment]:
    """The blueprint's assignments by key, recorded by ``desired()`` like
    :func:`_id_references`, so discovery can tell accounts removed from an assignment
    that is still in the blueprint."""
    return cast("dict[str, _Assignment]", ctx.cached("sso:wanted-assignments", dict))


def _id_references(ctx: AwsContext) -> set[tuple[str, str]]:
    """(principal type, id) of the principals the blueprint names by id rather than
    by name, recorded by ``desired()`` (which the engine calls for every resource
    before it discovers), so discovered assignments get the blueprint's keys."""
    return cast(set[tuple[str, str]], ctx.cached("sso:id-references", set))


# -- value helpers -----------------------------------------------------------------------------


def _canonical_duration(value: str | int | None) -> str | None:
    """``PT8H``, ``PT480M`` and 28800 (seconds, as emulators return it) -> ``PT8H``."""
    if value is None:
        return None
    if isinstance(value, int):
        minutes = round(value / 60)
    else:
        minutes = round(parse_duration_hours(value) * 60)
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def _policy_reference(value: str, field: str) -> dict[str, str]:
    """A customer managed policy reference from ``name``, ``path/name``, ``/path/name/..``
    or an IAM policy ARN of any account (permission sets refer by name and path only)."""
    text = value
    if isinstance(value, str) and value.startswith("arn:"):
        check_arn(value, field, service="iam")
        resource = value.split(":", 5)[5]
        if not resource.startswith("policy/"):
            raise ValidationError(f"{field}: {value!r} is not an IAM policy ARN")
        text = resource[len("policy"):]
    if not isinstance(text, str) or not text.strip("/"):
        raise ValidationError(
            f"{field}: {value!r} is not a customer managed policy reference; give the policy's "
            "name, 'path/name' or its ARN"
        )
    path, _, name = ("/" + text.lstrip("/")).rpartition("/")
    path = path + "/"
    check_iam_name(name, field, max_len=128)
    if not _POLICY_PATH.match(path) or len(path) > 512:
        raise ValidationError(
            f"{field}: path {path!r} of {value!r} is not an IAM path ('/' or '/team/ml/')"
        )
    return {"name": name, "path": path}


def _is_aws_managed(arn: str) -> bool:
    return bool(re.match(r"^arn:aws(-[a-z]+)*:iam::aws:policy/", arn))




_SIZE_PATH = ("inline_policy", "size")
"""The path of the one problem that is a policy over the inline size limit."""


def _problems(fn: Callable[[], object]) -> list[Problem | str]:
    try:
        fn()
    except ValidationError as exc:
        return list(exc.problems)
    return []


def _read_call(ctx: AwsContext, resource: str, operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        return ctx.call("sso-admin", operation, resource=resource, **kwargs)
    except ClientError as exc:
        raise ctx.wrap_error(resource, operation, exc) from exc


# -- PermissionSet ------------------------------------------------------------------------------


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
    >>> ps.validate()
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
    _adopt: bool = attrs.field(default=False, alias="adopt")
    persona: Persona | None = None
    """The persona whose policy is the inline policy (set by :meth:`from_persona`)."""
    region: str | None = None
    """With a persona: the region its policy is scoped to (``None``: every region)."""

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

        Raises :class:`~secureml.errors.PolicyTooLargeError` when the policy is over
        the 10,240 non-whitespace characters an inline policy may have.
        """
        aws_managed = [p for p in persona.managed_policies if _is_aws_managed(p)]
        customer = [p for p in persona.managed_policies if not _is_aws_managed(p)]
        ps = cls(
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
        problems = ps.validate()
        if problems:
            size = [p for p in problems if isinstance(p, Problem) and p.path == _SIZE_PATH]
            document = ps.policy_document()
            if len(size) == len(problems) and document is not None:
                raise PolicyTooLargeError(
                    str(size[0]),
                    sizes=[document.size],
                    limit=LIMITS["permission set inline"].max_chars,
                )
            raise ValidationError(problems)
        return ps

    def lint(self) -> list[Finding]:
        """The persona's findings (or those of ``inline_policy``)."""
        if self.persona is not None:
            return self.persona.lint(region=self.region)
        return lint(self.inline_policy) if self.inline_policy is not None else []

    def policy_document(self, partition: str = "aws") -> PolicyDocument | None:
        """The inline policy: the persona's (wildcard accounts) or ``inline_policy``."""
        if self.persona is not None:
            document = self.persona.policy_document(
                account_id=None, region=self.region, partition=partition
            )
            return document if document.statements else None
        return self.inline_policy

    # -- validation ---------------------------------------------------------------------------

    def validate(self) -> list[Problem | str]:
        """Every problem with this permission set's input (empty when valid)."""
        where = f"permission set {self._name!r}"
        problems: list[Problem | str] = []

        def add(found: list[Problem | str]) -> None:
            problems.extend(Problem.of(p).within(where) for p in found)

        add(_problems(lambda: check_iam_name(self._name, "name", max_len=_PS_NAME_MAX)))
        add(_problems(lambda: check_session_duration(self.session_duration)))
        if self.description is not None and (
            not 1 <= len(self.description) <= _DESCRIPTION_MAX
            or not _DESCRIPTION.match(self.description)
        ):
            problems.append(
                f"{where}: description ({len(self.description)} characters) must be 1-"
                f"{_DESCRIPTION_MAX} printable Latin-1 characters"
            )
        if self.relay_state is not None and (
            not 1 <= len(self.relay_state) <= _RELAY_STATE_MAX
            or not _RELAY_STATE.match(self.relay_state)
        ):
            problems.append(
                f"{where}: relay_state {self.relay_state!r} must be a URL of 1-{_RELAY_STATE_MAX} "
                "characters"
            )
        for arn in self.managed_policies:
            found = _problems(functools.partial(check_arn, arn, "managed_policies", service="iam"))
            if not found and not _is_aws_managed(arn):
                found = [
                    f"managed_policies: {arn!r} is not an AWS managed policy ARN "
                    "(arn:aws:iam::aws:policy/...); give customer managed policies in "
                    "customer_managed_policies (by name or path/name)"
                ]
            add(found)
        for ref in self.customer_managed_policies:
            add(_problems(functools.partial(_policy_reference, ref, "customer_managed_policies")))
        attached = len(self.managed_policies) + len(self.customer_managed_policies)
        if attached > MANAGED_POLICIES_PER_PERMISSION_SET:
            problems.append(
                f"{where}: {attached} managed policies and customer managed policy references; "
                f"a permission set takes at most {MANAGED_POLICIES_PER_PERMISSION_SET} together"
            )
        if self.permissions_boundary is not None:
            add(_problems(self._boundary))
        user_tags = {k: v for k, v in self.tags.items() if k != OWNER_TAG}
        if len(user_tags) + 1 > _TAGS_MAX:
            problems.append(
                f"{where}: {len(user_tags)} tags plus the {OWNER_TAG} tag; at most {_TAGS_MAX}"
            )
        if OWNER_TAG in self.tags:
            problems.append(f"{where}: tag {OWNER_TAG!r} is set by secureml; do not give it")
        for key, value in user_tags.items():
            if not 1 <= len(key) <= 128 or len(value) > 256 or key.lower().startswith("aws:"):
                problems.append(
                    f"{where}: tag {key!r}={value!r}: keys are 1-128 characters not starting with "
                    "'aws:', values at most 256"
                )
        if self.persona is not None and self.inline_policy is not None:
            problems.append(
                f"{where}: give either a persona or inline_policy, not both (the persona's policy "
                "is the inline policy)"
            )
        elif self.inline_policy is not None and not isinstance(self.inline_policy, PolicyDocument):
            problems.append(
                f"{where}: inline_policy must be a secureml.PolicyDocument "
                "(PolicyDocument.from_json(...) reads JSON), not "
                f"{type(self.inline_policy).__name__}"
            )
        else:
            document = self.policy_document()
            if document is not None:
                problems.extend(p.within(where) for p in self._size_problems(document))
        if self.region is not None and self.persona is None:
            problems.append(f"{where}: region only applies to a permission set made from a persona")
        elif self.region is not None:
            add(_problems(lambda: check_region(self.region)))
        problems.extend(f"{where}: {p}" for p in self.identity_center.problems())
        return problems

    def _size_problems(self, document: PolicyDocument) -> list[Problem]:
        limit = LIMITS["permission set inline"].max_chars
        if document.size <= limit:
            return []
        source = f"persona {self.persona.name!r}'s policy" if self.persona else "inline_policy"
        return [Problem(
            _SIZE_PATH,
            document.size,
            f"{source} is {document.size:,} non-whitespace characters, over the {limit:,} a "
            "permission set's inline policy may have. Split it: deploy the persona's policies "
            "as customer managed policies of the same name in every target account (for "
            "instance with persona.role()'s policies or a StackSet) and reference them with "
            "customer_managed_policies=['name', ...] (up to "
            f"{MANAGED_POLICIES_PER_PERMISSION_SET} with managed policies), or give the "
            "persona fewer activities",
        )]

    def _boundary(self) -> dict[str, Any] | None:
        value = self.permissions_boundary
        if value is None:
            return None
        if value.startswith("arn:") and _is_aws_managed(value):
            check_arn(value, "permissions_boundary", service="iam")
            return {"managed_policy_arn": value}
        return {"customer_managed_policy": _policy_reference(value, "permissions_boundary")}

    # -- desired state ------------------------------------------------------------------------

    def desired(self, ctx: AwsContext) -> State:
        """The permission set as it should be, in the shape :meth:`read` returns."""
        _register(ctx, self.identity_center)
        document = self.policy_document(ctx.partition)
        if document is not None:
            # Checked again here: another partition's ARNs are longer than validate()'s.
            problems = self._size_problems(document)
            if problems:
                raise PolicyTooLargeError(
                    f"{self.key}: {problems[0]}",
                    sizes=[document.size],
                    limit=LIMITS["permission set inline"].max_chars,
                )
        return {
            "name": self._name,
            "description": self.description or f"secureml permission set {self._name}",
            "session_duration": _canonical_duration(self.session_duration),
            "relay_state": self.relay_state,
            "inline_policy": document.to_dict() if document else None,
            "managed_policies": sorted(self.managed_policies),
            "customer_managed_policies": sorted(
                (_policy_reference(r, "customer_managed_policies") for r in
                 self.customer_managed_policies),
                key=lambda r: (r["path"], r["name"]),
            ),
            "permissions_boundary": self._boundary(),
            "tags": dict(sorted({**self.tags, OWNER_TAG: ctx.blueprint}.items())),
        }

    # -- reading ------------------------------------------------------------------------------

    def _dir(self, ctx: AwsContext) -> _Directory:
        _register(ctx, self.identity_center)
        return _directory(ctx, self.identity_center)

    def read(self, ctx: AwsContext) -> Observed | None:
        """The permission set in AWS (found by name), or ``None``."""
        d = self._dir(ctx)
        info = d.permission_set(self._name)
        if info is None:
            return None
        return self._read(d, info)

    def _read(self, d: _Directory, info: _PermissionSetInfo) -> Observed:
        ctx, inst, arn, key = d.ctx, d.instance.arn, info.arn, self.key
        common: dict[str, Any] = {"InstanceArn": inst, "PermissionSetArn": arn}
        inline_text = _read_call(ctx, key, "get_inline_policy_for_permission_set", **common).get(
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
            if error_code(exc) not in _NOT_FOUND:
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
            "session_duration": _canonical_duration(described.get("SessionDuration") or "PT1H"),
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

    def _create(self, d: _Directory, desired: State) -> _PermissionSetInfo | None:
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

        class _ExistsError(Exception):
            pass

        def create() -> dict[str, Any]:
            try:
                return cast(dict[str, Any], ctx.client("sso-admin").create_permission_set(**params))
            except ClientError as exc:
                # A name conflict is final, unlike the ConflictException of a busy instance.
                message = str(exc.response.get("Error", {}).get("Message", ""))
                if error_code(exc) == "ConflictException" and "already exists" in message:
                    raise _ExistsError(message) from exc
                raise

        try:
            created = ctx.retry.call(create, description=f"{self.key} CreatePermissionSet")
        except _ExistsError:
            log.info("%s: already exists (an earlier run created it); reading it", self.key)
            d._forget("permission-sets")
            d._forget("permission-set-arns")
            return None
        except ClientError as exc:
            raise ctx.wrap_error(self.key, "CreatePermissionSet", exc) from exc
        described = created["PermissionSet"]
        info = _PermissionSetInfo(
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

    def _converge(self, d: _Directory, observed: Observed, desired: State, *,
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
                _PermissionSetInfo(
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

    def _converge_tags(self, d: _Directory, arn: str, have: Mapping[str, str],
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
            raise AWSCallError(
                self.key,
                "DeletePermissionSet",
                f"still assigned ({', '.join(left[:5])}{', ...' if len(left) > 5 else ''}); "
                "remove those assignments first (apply with prune=True deletes the ones this "
                "blueprint made)",
            )
        try:
            ctx.call("sso-admin", "delete_permission_set", resource=self.key,
                     InstanceArn=d.instance.arn, PermissionSetArn=arn)
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND:
                raise ctx.wrap_error(self.key, "DeletePermissionSet", exc) from exc
        d.remember_permission_set(None, self._name)
        log.info("%s: deleted %s", self.key, arn)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterable[Resource]:
        """Permission sets tagged for ``blueprint`` in the instances this run can see."""
        found: list[Resource] = []
        for d in _try_directories(ctx):
            ic = IdentityCenter(d.instance.arn, d.instance.identity_store_id, d.instance.region)
            found.extend(
                cls(name=info.name, identity_center=ic)
                for info in d.owned_permission_sets(blueprint)
            )
        return found

    def describe(self) -> str:
        """``sso-permission-set/NAME`` (and the persona it comes from)."""
        return self.key + (f" (persona {self.persona.name})" if self.persona else "")


# -- assignments --------------------------------------------------------------------------------


def _ps_name(value: str | PermissionSet) -> str:
    return value.name if isinstance(value, PermissionSet) else value


@attrs.frozen(kw_only=True)
class _Assignment(Resource):
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

    _principal_arg: ClassVar[str]

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

    def validate(self) -> list[str]:
        """Problems with the principal, permission set name, accounts and OUs."""
        where = f"{self.kind} {self.name!r}"
        what = "group" if self.principal_type == "GROUP" else "user"
        problems: list[str] = []
        if not isinstance(self.principal, str) or not 1 <= len(self.principal) <= 1024:
            problems.append(f"{where}: {what} must be a {what} name or id (1-1024 characters)")
        problems.extend(
            f"{where}: permission_set: {p}"
            for p in _problems(lambda: check_iam_name(self.permission_set, "name", max_len=32))
        )
        for account in self.accounts:
            problems.extend(
                f"{where}: {p}"
                for p in _problems(functools.partial(check_account_id, account, "accounts"))
            )
        for ou in self.organizational_units:
            if not isinstance(ou, str) or not _OU_ID.match(ou):
                problems.append(
                    f"{where}: organizational_units: {ou!r} is not an organizational unit id "
                    "(ou-ab12-cd34ef56) or root id (r-ab12)"
                )
        if not self.accounts and not self.organizational_units:
            problems.append(f"{where}: give at least one of accounts=[...] or organizational_units")
        problems.extend(f"{where}: {p}" for p in self.identity_center.problems())
        return problems

    def _note_reference(self, ctx: AwsContext) -> None:
        _register(ctx, self.identity_center)
        if _PRINCIPAL_ID.match(self.principal):
            _id_references(ctx).add((self.principal_type, self.principal))

    def desired(self, ctx: AwsContext) -> State:
        """The targets as given (organizational units are expanded when applying)."""
        self._note_reference(ctx)
        _wanted_assignments(ctx)[self.key] = self
        return {
            "principal_type": self.principal_type,
            "principal": self.principal,
            "permission_set": self.permission_set,
            "accounts": sorted(self.accounts),
            "organizational_units": sorted(self.organizational_units),
        }

    def _dir(self, ctx: AwsContext) -> _Directory:
        _register(ctx, self.identity_center)
        return _directory(ctx, self.identity_center)

    def _targets(self, d: _Directory) -> set[str]:
        targets = set(self.accounts)
        for ou in self.organizational_units:
            targets.update(d.ou_accounts(ou))
        return targets

    def _describe_target(self, account: str) -> str:
        what = "group" if self.principal_type == "GROUP" else "user"
        return (
            f"{what} {self.principal!r} -> permission set {self.permission_set!r} "
            f"in account {account}"
        )

    def read(self, ctx: AwsContext) -> Observed | None:
        """Which targets have the assignment (per-principal listing, shared across resources)."""
        d = self._dir(ctx)
        self._note_reference(ctx)
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

    def _converge(self, d: _Directory, observed: Observed | None) -> None:
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

    def _run(self, d: _Directory, pid: str, ps_arn: str, accounts: list[str], *,
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
        """Assignments of this kind's principals to permission sets tagged for
        ``blueprint``: per permission set, the accounts it is provisioned to, then one
        listing per (permission set, account), a few at a time.

        A principal and permission set the blueprint no longer pairs is offered whole;
        one it still pairs is offered as its ``#removed-accounts`` resource, which
        reads as the accounts beyond the blueprint's targets (if any)."""
        found: list[Resource] = []
        wanted = _wanted_assignments(ctx)
        for d in _try_directories(ctx):
            ic = IdentityCenter(d.instance.arn, d.instance.identity_store_id, d.instance.region)
            owned = d.owned_permission_sets(blueprint)
            scans = d.scans([info.arn for info in owned])
            for info in owned:
                by_principal: dict[str, set[str]] = {}
                for account, principals in scans[info.arn].items():
                    for ptype, pid in principals:
                        if ptype == cls.principal_type:
                            by_principal.setdefault(pid, set()).add(account)
                for pid, accounts in sorted(by_principal.items()):
                    named: dict[str, Any] = {
                        cls._principal_arg: d.principal_name(cls.principal_type, pid)
                    }
                    candidate = cls(
                        **named,
                        permission_set=info.name,
                        accounts=sorted(accounts),
                        identity_center=ic,
                    )
                    mine = wanted.get(candidate.key)
                    if mine is not None:
                        principal: dict[str, Any] = {cls._principal_arg: mine.principal}
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


@attrs.frozen(kw_only=True)
class GroupAssignment(_Assignment):
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
    _principal_arg: ClassVar[str] = "group"

    principal: str = attrs.field(alias="group")

    @property
    def group(self) -> str:
        """The group's display name or id, as given."""
        return self.principal


@attrs.frozen(kw_only=True)
class UserAssignment(_Assignment):
    """One user of the identity store (by user name, or id) given a permission set
    in accounts. Prefer :class:`GroupAssignment`: access follows group membership.

    >>> UserAssignment(user="jdoe", permission_set="team-a-ds", accounts=["111122223333"]).key
    'sso-user-assignment/jdoe:team-a-ds'
    """

    kind: ClassVar[str] = "sso-user-assignment"
    principal_type: ClassVar[Literal["GROUP", "USER"]] = "USER"
    _principal_arg: ClassVar[str] = "user"

    principal: str = attrs.field(alias="user")

    @property
    def user(self) -> str:
        """The user's user name or id, as given."""
        return self.principal
