"""One read of IAM per plan, shared by every role and policy of the blueprint.

``GetAccountAuthorizationDetails`` (filters ``Role`` and ``LocalManagedPolicy``,
paginated) returns every role with its trust policy, path, boundary, tags,
attached and inline policies, and every customer managed policy with the
documents of all its versions. ``ListRoles`` adds the two role fields it lacks
(description and maximum session duration). With both in hand, a role's read
costs no call of its own; discovery (roles tagged for the blueprint) reads the
same listing.

Where the snapshot cannot answer, reads ask IAM directly:

- a managed policy's tags (``ManagedPolicyDetail`` carries none): a
  :class:`~secureml.ManagedPolicy` still reads them with ``GetPolicy``, and a
  role's own policies are checked for the owner tag before any write, as without
  a snapshot;
- anything a write of the same context named (a role, a policy ARN, a path):
  :meth:`secureml.aws.AwsContext.written` tells, so a read after a write (an
  apply finishing a create whose answer was lost) is never answered from before it.

Whether to take a snapshot at all is a cost model, decided once per plan (one
``GetAccountSummary`` call when the blueprint has IAM resources): the snapshot
costs the pages of the account's roles and policies, the direct reads cost four
calls per role and one per managed policy. The smaller wins; see
:func:`snapshot_cost` and :func:`direct_cost`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from botocore.exceptions import ClientError

from secureml.aws import error_code

if TYPE_CHECKING:
    from secureml.aws import AwsContext
    from secureml.resources._base import Resource

__all__ = [
    "GAAD_PAGE",
    "IamSnapshot",
    "direct_cost",
    "note_demand",
    "role_details",
    "snapshot",
    "snapshot_cost",
]

log = logging.getLogger("secureml.resources.iam")

GAAD_PAGE = 1000
"""Entries asked for per ``GetAccountAuthorizationDetails`` or ``ListRoles`` page
(``MaxItems``; IAM's maximum). IAM may return fewer, so page counts are estimates."""

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_DEMAND = "iam:snapshot:demand"
_SNAPSHOT = "iam:snapshot"
_ROLES_ONLY = "iam:gaad:roles"

# Direct reads: GetRole, ListAttachedRolePolicies, ListRolePolicies, and
# GetPolicyVersion for its (usually one) own policy; GetPolicyVersion for a policy.
_DIRECT_CALLS_PER_ROLE = 4
_DIRECT_CALLS_PER_POLICY = 1


@attrs.frozen
class Demand:
    """What the blueprint will read from IAM: its roles and managed policies."""

    roles: int
    policies: int


def direct_cost(demand: Demand) -> int:
    """Read calls of the blueprint's roles and policies without a snapshot.

    >>> direct_cost(Demand(roles=30, policies=2))
    122
    """
    return _DIRECT_CALLS_PER_ROLE * demand.roles + _DIRECT_CALLS_PER_POLICY * demand.policies


def snapshot_cost(account_roles: int, account_policies: int) -> int:
    """Extra read calls of a snapshot, beyond the roles-only listing discovery makes
    anyway: the combined listing's pages and ``ListRoles``' pages, less the
    roles-only pages it replaces.

    >>> snapshot_cost(1500, 40)  # 2 combined pages + 2 ListRoles pages - 2 roles-only pages
    2
    """
    both = math.ceil((account_roles + account_policies) / GAAD_PAGE) or 1
    roles_only = math.ceil(account_roles / GAAD_PAGE) or 1
    list_roles = math.ceil(account_roles / GAAD_PAGE) or 1
    return both + list_roles - roles_only


def note_demand(ctx: AwsContext, resources: Sequence[Resource]) -> None:
    """Record how many roles and managed policies the plan will read (no AWS call)."""
    from secureml.resources._iam import ManagedPolicy  # noqa: PLC0415 - cycle
    from secureml.resources._role import Role  # noqa: PLC0415 - cycle

    demand = Demand(
        roles=sum(isinstance(r, Role) for r in resources),
        policies=sum(isinstance(r, ManagedPolicy) for r in resources),
    )
    ctx.cached(_DEMAND, lambda: demand)


@attrs.frozen
class IamSnapshot:
    """IAM's roles and customer managed policies as one plan found them.

    ``roles`` maps a role name to its ``RoleDetail`` (with ``Description`` and
    ``MaxSessionDuration`` from ``ListRoles``); ``policies`` maps a policy ARN to
    its ``ManagedPolicyDetail`` (with ``PolicyName``).
    """

    roles: Mapping[str, Mapping[str, Any]]
    policies: Mapping[str, Mapping[str, Any]]

    def policies_under(self, path: str) -> list[dict[str, Any]]:
        """Policies whose path starts with ``path``, in the shape ``ListPolicies`` gives."""
        return [
            {
                "PolicyName": p["PolicyName"],
                "Arn": arn,
                "Path": p["Path"],
                "DefaultVersionId": p["DefaultVersionId"],
            }
            for arn, p in sorted(self.policies.items())
            if str(p["Path"]).startswith(path)
        ]

    def default_document(self, arn: str) -> Any:
        """The default version's document of policy ``arn`` (``None`` when unknown)."""
        policy = self.policies.get(arn)
        if policy is None:
            return None
        for version in policy.get("PolicyVersionList", ()):
            if version.get("IsDefaultVersion") or version.get("VersionId") == policy.get(
                "DefaultVersionId"
            ):
                return version.get("Document")
        return None


def _load(ctx: AwsContext) -> IamSnapshot:
    roles: dict[str, dict[str, Any]] = {}
    policies: dict[str, dict[str, Any]] = {}
    for page in _gaad_pages(ctx, ["Role", "LocalManagedPolicy"]):
        for role in page.get("RoleDetailList", ()):
            roles[role["RoleName"]] = dict(role)
        for policy in page.get("Policies", ()):
            # PolicyName is in IAM's answer; moto leaves it out, the ARN ends with it.
            name = policy.get("PolicyName") or str(policy["Arn"]).rsplit("/", 1)[-1]
            policies[policy["Arn"]] = {**policy, "PolicyName": name}
    for role in ctx.paginate("iam", "list_roles", "Roles", MaxItems=GAAD_PAGE):
        detail = roles.get(role["RoleName"])
        if detail is not None:
            detail["Description"] = role.get("Description")
            detail["MaxSessionDuration"] = role.get("MaxSessionDuration")
    return IamSnapshot(roles=roles, policies=policies)


def _gaad_pages(ctx: AwsContext, kinds: list[str]) -> Iterable[dict[str, Any]]:
    # Several result keys per page: page by hand (Marker/IsTruncated), each page retried.
    marker: str | None = None
    while True:
        extra: dict[str, Any] = {"Marker": marker} if marker else {}
        page = ctx.call(
            "iam", "get_account_authorization_details", Filter=kinds, MaxItems=GAAD_PAGE,
            **extra,
        )
        yield page
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return


def _worth_it(ctx: AwsContext) -> bool:
    demand: Demand | None = ctx.cached(_DEMAND, lambda: None)
    if demand is None or demand.roles + demand.policies == 0:
        return False
    summary = ctx.call("iam", "get_account_summary")["SummaryMap"]
    extra = snapshot_cost(int(summary.get("Roles", 0)), int(summary.get("Policies", 0)))
    direct = direct_cost(demand)
    log.debug("IAM reads: snapshot %d calls, direct %d calls", extra, direct)
    return extra < direct


def snapshot(ctx: AwsContext) -> IamSnapshot | None:
    """The plan's IAM snapshot, or ``None`` when direct reads are cheaper, when the
    blueprint's demand was never noted, or when the caller may not read IAM in bulk
    (``GetAccountSummary`` or ``GetAccountAuthorizationDetails`` denied, as they
    often are for pipeline roles: reads then ask per resource, as they did before).
    Loaded once per context, on first use."""

    def load() -> IamSnapshot | None:
        try:
            return _load(ctx) if _worth_it(ctx) else None
        except ClientError as exc:
            if error_code(exc) not in _DENIED:
                raise
            log.info("IAM snapshot not taken (%s): reading each resource", error_code(exc))
            return None

    found: IamSnapshot | None = ctx.cached(_SNAPSHOT, load)
    return found


def role_details(ctx: AwsContext) -> list[Mapping[str, Any]]:
    """Every role of the account with its tags (for discovery): the snapshot's when
    there is one, otherwise one roles-only listing."""
    snap = snapshot(ctx)
    if snap is not None:
        return list(snap.roles.values())

    def load() -> list[Mapping[str, Any]]:
        return [
            role
            for page in _gaad_pages(ctx, ["Role"])
            for role in page.get("RoleDetailList", ())
        ]

    roles: list[Mapping[str, Any]] = ctx.cached(_ROLES_ONLY, load)
    return roles


def untouched(ctx: AwsContext, *names: str, prefixes: Iterable[str] = ()) -> bool:
    """Whether no write of this context named any of ``names`` or anything under
    ``prefixes`` (policy ARNs or paths): only then may the snapshot answer."""
    written = ctx.written("iam")
    if not written:
        return True
    if any(n in written for n in names):
        return False
    starts = tuple(prefixes)
    return not (starts and any(w.startswith(starts) for w in written))
