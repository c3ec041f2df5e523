"""``deploy``: the exported templates onto AWS's own multi-account engine.

The member template becomes a service-managed StackSet (targets by OU, automatic
deployment to accounts that join them, ``CAPABILITY_NAMED_IAM``, failure
tolerance and concurrency as options); the Identity Center and organization
templates become stacks in the session's (management or delegated-administrator)
account, after the StackSet. :func:`plan_deploy` reads only; :func:`deploy` plans,
then makes only the changes the plan lists, so a second deploy changes nothing.
StackSet operations and stacks are polled with :meth:`RetryPolicy.poll
<secureml.aws.RetryPolicy.poll>` (tenacity), with a bounded total wait and the
blueprint's injectable ``sleep``.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from botocore.exceptions import ClientError

from secureml._validation import problem
from secureml.aws import AwsContext, error_code
from secureml.errors import AWSCallError, DeployError, Problem, ValidationError
from secureml.export._cfn import Template, cfn_tags
from secureml.export._export import CloudFormationExport, to_cloudformation
from secureml.resources import OWNER_TAG

if TYPE_CHECKING:
    from secureml.aws import SessionLike
    from secureml.engine import Blueprint

__all__ = [
    "AccountFailure",
    "DeployError",
    "DeployPlan",
    "DeployResult",
    "StackChange",
    "deploy",
    "plan_deploy",
]

log = logging.getLogger("secureml.export.deploy")

_RUNNING = frozenset({"RUNNING", "QUEUED", "STOPPING"})
_STACK_DONE_OK = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
_DELETE_FIRST = frozenset({"ROLLBACK_COMPLETE"})
"""Stack statuses AWS never updates from: a creation that failed and was rolled back
leaves an empty stack that can only be deleted (StackSets have no such status: their
stack instances are retried by the next operation)."""
POLL_INITIAL = 5.0
POLL_MAXIMUM = 60.0
WAIT_TIMEOUT = 3600.0
"""Seconds a deploy waits for one StackSet operation or stack before giving up."""


@attrs.frozen
class AccountFailure:
    """One stack instance that did not deploy: account, region, status and AWS's reason."""

    account: str
    region: str
    status: str
    reason: str

    def __str__(self) -> str:
        return f"{self.account} {self.region}: {self.status}: {self.reason}"


@attrs.frozen
class StackChange:
    """What a deploy does to one StackSet or stack.

    ``action`` is ``create``, ``update`` or ``no-op``; ``diff`` the template diff
    (unified, empty when unchanged); for the StackSet ``add`` and ``remove`` are the
    (OU, region) targets gained and dropped, and ``instances`` the stack instances
    there now (account, region, status).
    """

    template: Template
    kind: str  # "stack-set" | "stack"
    action: str
    diff: str = ""
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[tuple[str, str], ...] = ()
    instances: tuple[tuple[str, str, str], ...] = ()
    replaces: str = ""
    """For a stack created anew: the status of the stack of that name deleted first
    (``ROLLBACK_COMPLETE``: its creation failed, and AWS updates no such stack)."""

    @property
    def is_empty(self) -> bool:
        """Nothing to do here."""
        return self.action == "no-op" and not self.add and not self.remove


@attrs.frozen
class DeployPlan:
    """The changes a deploy would make, in order (StackSet first)."""

    blueprint: str
    changes: tuple[StackChange, ...]
    export: CloudFormationExport = attrs.field(repr=False)

    @property
    def is_empty(self) -> bool:
        """Whether the deploy would change nothing."""
        return all(c.is_empty for c in self.changes)

    def __str__(self) -> str:
        lines = [f"deploy plan for blueprint {self.blueprint}:"]
        for c in self.changes:
            what = "StackSet" if c.kind == "stack-set" else "stack"
            lines.append(f"  {c.action:7} {what} {c.template.stack} ({c.template.name})")
            if c.replaces:
                lines.append(f"          - the stack in {c.replaces} (a creation that failed "
                             "and rolled back) is deleted first")
            lines.extend(f"          + stack instances in {ou} {region}" for ou, region in c.add)
            lines.extend(
                f"          - stack instances in {ou} {region}" for ou, region in c.remove
            )
            if c.instances:
                counts: dict[str, int] = {}
                for _, _, status in c.instances:
                    counts[status] = counts.get(status, 0) + 1
                lines.append("          instances now: " + ", ".join(
                    f"{n} {s}" for s, n in sorted(counts.items())))
            if c.diff:
                lines.extend("          " + d for d in c.diff.splitlines())
        if self.is_empty:
            lines.append("  nothing to change")
        lines.extend(f"  note: {n}" for n in self.export.notes)
        return "\n".join(lines)


@attrs.frozen
class DeployResult:
    """What a deploy did: its plan and the operations it ran (name, id, status)."""

    plan: DeployPlan
    operations: tuple[tuple[str, str, str], ...] = ()


@attrs.frozen
class _Options:
    targets: tuple[str, ...]
    regions: tuple[str, ...]
    failure_tolerance_count: int | None = None
    failure_tolerance_percentage: int | None = None
    max_concurrent_count: int | None = None
    max_concurrent_percentage: int | None = None
    template_bucket: str | None = None
    timeout: float = WAIT_TIMEOUT
    delegated_admin: bool = False

    def call_as(self) -> dict[str, Any]:
        """``CallAs`` for the StackSet calls: only from a delegated administrator."""
        return {"CallAs": "DELEGATED_ADMIN"} if self.delegated_admin else {}

    def preferences(self) -> dict[str, Any]:
        prefs: dict[str, Any] = {"RegionConcurrencyType": "SEQUENTIAL"}
        for key, value in (
            ("FailureToleranceCount", self.failure_tolerance_count),
            ("FailureTolerancePercentage", self.failure_tolerance_percentage),
            ("MaxConcurrentCount", self.max_concurrent_count),
            ("MaxConcurrentPercentage", self.max_concurrent_percentage),
        ):
            if value is not None:
                prefs[key] = value
        return prefs

    def problems(self) -> list[Problem]:
        """The deploy options' problems, each at the argument it concerns."""
        problems = []
        if not self.targets:
            problems.append(problem(
                "targets", [], "give at least one OU id (ou-ab12-cd34ef56) or root id"
            ))
        if len(self.regions) != 1:
            problems.append(problem(
                "regions", list(self.regions),
                f"{list(self.regions)}: the member template holds account-wide "
                "resources (IAM roles and policies, a multi-region audit trail), so it is "
                "deployed to exactly one region per account; give one region",
            ))
        pairs = (
            ("failure_tolerance_count", self.failure_tolerance_count,
             "failure_tolerance_percentage", self.failure_tolerance_percentage),
            ("max_concurrent_count", self.max_concurrent_count,
             "max_concurrent_percentage", self.max_concurrent_percentage),
        )
        for a, va, b, vb in pairs:
            if va is not None and vb is not None:
                problems.append(Problem(b, vb, f"give {a} or {b}, not both"))
        for name, value, low, high in (
            ("failure_tolerance_count", self.failure_tolerance_count, 0, 10**6),
            ("failure_tolerance_percentage", self.failure_tolerance_percentage, 0, 100),
            ("max_concurrent_count", self.max_concurrent_count, 1, 10**6),
            ("max_concurrent_percentage", self.max_concurrent_percentage, 1, 100),
        ):
            if value is not None and not low <= value <= high:
                problems.append(problem(name, value, f"{value} is outside {low}-{high}"))
        return problems


def _same(a: Any, b: Any) -> bool:
    def load(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    return bool(load(a) == load(b))


def _diff(old: Any, new: Template, name: str) -> str:
    if old is None:  # a new stack: its resources, not every line of the template
        return "\n".join(
            f"+ {logical} ({r['Type']})" for logical, r in new.body.get("Resources", {}).items()
        )
    before = json.dumps(json.loads(old) if isinstance(old, str) else old, indent=1).splitlines()
    after = new.text.splitlines()
    return "\n".join(difflib.unified_diff(before, after, f"{name} (deployed)",
                                          f"{name} (blueprint)", lineterm="", n=2))


def _stack_set(ctx: AwsContext, name: str, opts: _Options) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = ctx.call(
            "cloudformation", "describe_stack_set", StackSetName=name, **opts.call_as()
        )["StackSet"]
    except ClientError as exc:
        if error_code(exc) == "StackSetNotFoundException":
            return None
        raise ctx.wrap_error(name, "DescribeStackSet", exc) from exc
    return None if found.get("Status") == "DELETED" else found


def _instances(ctx: AwsContext, name: str, opts: _Options) -> list[dict[str, Any]]:
    return list(ctx.paginate("cloudformation", "list_stack_instances", "Summaries",
                             StackSetName=name, **opts.call_as()))


def _stack(ctx: AwsContext, name: str) -> dict[str, Any] | None:
    """The stack of that name, ``None`` when there is none (or only a deleted one)."""
    try:
        stacks = ctx.call("cloudformation", "describe_stacks", StackName=name)["Stacks"]
    except ClientError as exc:
        if error_code(exc) == "ValidationError":  # "Stack with id ... does not exist"
            return None
        raise ctx.wrap_error(name, "DescribeStacks", exc) from exc
    if not stacks or stacks[0].get("StackStatus") == "DELETE_COMPLETE":
        return None
    found: dict[str, Any] = stacks[0]
    return found


def plan_deploy(
    blueprint: Blueprint,
    *,
    session: SessionLike = None,
    targets: Iterable[str],
    regions: Iterable[str] | None = None,
    resolve: bool = True,
    export: CloudFormationExport | None = None,
    delegated_admin: bool = False,
) -> DeployPlan:
    """What :func:`deploy` would change, making read calls only."""
    ctx = blueprint.context(session)
    targets = tuple(targets)
    region_list = tuple(regions or (blueprint.region or ctx.region or "us-east-1",))
    opts = _Options(targets, region_list, delegated_admin=delegated_admin)
    problems = opts.problems()
    if problems:
        raise ValidationError(problems)
    if export is None:
        export = to_cloudformation(blueprint, session=session, resolve=resolve,
                                   regions=region_list, targets=targets)
    return _plan(blueprint.name, ctx, export, opts)


def _plan(name: str, ctx: AwsContext, export: CloudFormationExport,
          opts: _Options) -> DeployPlan:
    changes: list[StackChange] = []
    for t in export.templates:
        if t.name == "member":
            found = _stack_set(ctx, t.stack, opts)
            want = {(ou, r) for ou in opts.targets for r in opts.regions}
            if found is None:
                changes.append(StackChange(t, "stack-set", "create", _diff(None, t, t.name),
                                           add=tuple(sorted(want))))
                continue
            instances = _instances(ctx, t.stack, opts)
            have_regions = {i["Region"] for i in instances} or set(opts.regions)
            have = {(ou, r) for ou in found.get("OrganizationalUnitIds", [])
                    for r in have_regions}
            same = _same(found.get("TemplateBody"), t.compact)
            auto = found.get("AutoDeployment") or {}
            settings_ok = auto.get("Enabled") is True and "CAPABILITY_NAMED_IAM" in (
                found.get("Capabilities") or ["CAPABILITY_NAMED_IAM"]
            )
            changes.append(StackChange(
                t, "stack-set", "no-op" if same and settings_ok else "update",
                "" if same else _diff(found.get("TemplateBody"), t, t.name),
                add=tuple(sorted(want - have)), remove=tuple(sorted(have - want)),
                instances=tuple(sorted(
                    (i["Account"], i["Region"], i.get("Status", "?")) for i in instances)),
            ))
        else:
            region_ctx = ctx.for_region(t.region)
            stack = _stack(region_ctx, t.stack)
            status = str((stack or {}).get("StackStatus", ""))
            if stack is None or status in _DELETE_FIRST:
                changes.append(StackChange(t, "stack", "create", _diff(None, t, t.name),
                                           replaces=status))
                continue
            old = region_ctx.call("cloudformation", "get_template", StackName=t.stack,
                                  TemplateStage="Original")["TemplateBody"]
            if _same(old, t.compact):
                changes.append(StackChange(t, "stack", "no-op"))
            else:
                changes.append(StackChange(t, "stack", "update", _diff(old, t, t.name)))
    return DeployPlan(name, tuple(changes), export)


def deploy(
    blueprint: Blueprint,
    *,
    session: SessionLike = None,
    targets: Iterable[str],
    regions: Iterable[str] | None = None,
    failure_tolerance_count: int | None = None,
    failure_tolerance_percentage: int | None = None,
    max_concurrent_count: int | None = None,
    max_concurrent_percentage: int | None = None,
    template_bucket: str | None = None,
    resolve: bool = True,
    confirm: Callable[[DeployPlan], bool] | None = None,
    timeout: float = WAIT_TIMEOUT,
    delegated_admin: bool = False,
) -> DeployResult:
    """Plan, then deploy ``blueprint`` to every account of the ``targets`` OUs.

    1. the member template as a service-managed StackSet (auto-deployment on,
       ``CAPABILITY_NAMED_IAM``) with stack instances in ``targets`` and the one
       region of ``regions`` (default: the blueprint's), with the failure tolerance
       and concurrency given; OUs no longer in ``targets`` lose their instances;
    2. after checking that every account the Identity Center assignments target
       has a current stack instance (the customer managed policies the permission
       sets reference live there), the Identity Center stacks, then the
       organization stack, in the session's account.

    ``confirm(plan)`` is called with the plan first; returning ``False`` stops
    before any change. Templates over 51,200 bytes are uploaded to
    ``template_bucket``. ``delegated_admin=True`` makes the StackSet calls as a
    CloudFormation delegated administrator (``CallAs=DELEGATED_ADMIN``), as from a
    Control Tower audit or tooling account. Raises
    :class:`~secureml.errors.DeployError` with a per-account report when
    an operation fails, and :class:`~secureml.errors.AWSCallError` when one does
    not finish within ``timeout`` seconds.
    """
    opts = _Options(
        tuple(targets), (), failure_tolerance_count, failure_tolerance_percentage,
        max_concurrent_count, max_concurrent_percentage, template_bucket, timeout,
        delegated_admin,
    )
    ctx = blueprint.context(session)
    opts = attrs.evolve(opts, regions=tuple(
        regions or (blueprint.region or ctx.region or "us-east-1",)
    ))
    problems = opts.problems()
    if problems:
        raise ValidationError(problems)
    export = to_cloudformation(blueprint, session=session, resolve=resolve,
                               regions=opts.regions, targets=opts.targets)
    big = [t.name for t in export.templates if t.needs_upload]
    if big and not template_bucket:
        raise ValidationError(
            f"templates {big} are over the 51,200 bytes CloudFormation takes inline; give "
            "template_bucket= (--template-bucket) to upload them to S3"
        )
    plan = _plan(blueprint.name, ctx, export, opts)
    if confirm is not None and not confirm(plan):
        return DeployResult(plan)
    if plan.is_empty:
        log.info("deploy of %s: nothing to change", blueprint.name)
        return DeployResult(plan)
    runner = _Runner(ctx, opts, blueprint.name)
    for change in plan.changes:
        if change.kind == "stack-set":
            runner.stack_set(change)
        else:
            if change.template.name.startswith("identity-center"):
                runner.check_member_first(export)
            runner.stack(change)
    return DeployResult(plan, tuple(runner.operations))


@attrs.define
class _Runner:
    ctx: AwsContext
    opts: _Options
    blueprint: str
    operations: list[tuple[str, str, str]] = attrs.field(factory=list)
    _checked: bool = False

    def _body(self, t: Template) -> dict[str, Any]:
        if not t.needs_upload:
            return {"TemplateBody": t.compact}
        bucket = str(self.opts.template_bucket)
        key = f"secureml/{self.blueprint}/{t.name}.template.json"
        self.ctx.call("s3", "put_object", Bucket=bucket, Key=key, Body=t.compact.encode())
        return {"TemplateURL": f"https://{bucket}.s3.amazonaws.com/{key}"}

    def _tags(self) -> list[dict[str, str]]:
        return cfn_tags({OWNER_TAG: self.blueprint})

    def stack_set(self, change: StackChange) -> None:
        t = change.template
        cf = "cloudformation"
        prefs = self.opts.preferences()
        auto = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
        if change.action == "create":
            self.ctx.call(
                cf, "create_stack_set", StackSetName=t.stack, **self.opts.call_as(),
                **self._body(t),
                Description=str(t.body.get("Description", "")),
                PermissionModel="SERVICE_MANAGED", AutoDeployment=auto,
                Capabilities=["CAPABILITY_NAMED_IAM"], Tags=self._tags(),
            )
        elif change.action == "update":
            op = self.ctx.call(
                cf, "update_stack_set", StackSetName=t.stack, **self.opts.call_as(),
                **self._body(t),
                Description=str(t.body.get("Description", "")),
                PermissionModel="SERVICE_MANAGED", AutoDeployment=auto,
                Capabilities=["CAPABILITY_NAMED_IAM"], Tags=self._tags(),
                OperationPreferences=prefs,
            )["OperationId"]
            self._wait_operation(t.stack, op, "UpdateStackSet")
        for region in sorted({r for _, r in change.add}):
            ous = sorted(ou for ou, r in change.add if r == region)
            op = self.ctx.call(
                cf, "create_stack_instances", StackSetName=t.stack, **self.opts.call_as(),
                DeploymentTargets={"OrganizationalUnitIds": ous}, Regions=[region],
                OperationPreferences=prefs,
            )["OperationId"]
            self._wait_operation(t.stack, op, "CreateStackInstances")
        for region in sorted({r for _, r in change.remove}):
            ous = sorted(ou for ou, r in change.remove if r == region)
            op = self.ctx.call(
                cf, "delete_stack_instances", StackSetName=t.stack, **self.opts.call_as(),
                DeploymentTargets={"OrganizationalUnitIds": ous}, Regions=[region],
                RetainStacks=False, OperationPreferences=prefs,
            )["OperationId"]
            self._wait_operation(t.stack, op, "DeleteStackInstances")

    def _poll(self, fn: Callable[[], Any], running: Callable[[Any], bool], what: str,
              operation: str) -> Any:
        timeout = self.opts.timeout
        polled = self.ctx.retry.poll(fn, until=lambda result: not running(result),
                                     timeout=timeout, initial=POLL_INITIAL,
                                     maximum=POLL_MAXIMUM)
        if running(polled.result):
            raise AWSCallError(
                what, operation,
                f"still running after waiting {polled.waited:.0f}s (limit {timeout:.0f}s); "
                "CloudFormation keeps working on it: deploy again later to see it finish",
            )
        return polled.result

    def _wait_operation(self, stack_set: str, operation_id: str, operation: str) -> None:
        def describe() -> dict[str, Any]:
            found: dict[str, Any] = self.ctx.call(
                "cloudformation", "describe_stack_set_operation", StackSetName=stack_set,
                **self.opts.call_as(),
                OperationId=operation_id,
            )["StackSetOperation"]
            return found

        result = self._poll(describe, lambda op: op.get("Status") in _RUNNING,
                            f"StackSet {stack_set}", operation)
        status = str(result.get("Status"))
        self.operations.append((operation, operation_id, status))
        failures = [
            AccountFailure(
                r.get("Account", "?"), r.get("Region", "?"), r.get("Status", "?"),
                r.get("StatusReason") or "no reason given",
            )
            for r in self.ctx.paginate(
                "cloudformation", "list_stack_set_operation_results", "Summaries",
                StackSetName=stack_set, OperationId=operation_id, **self.opts.call_as(),
            )
            if r.get("Status") not in ("SUCCEEDED", "SKIPPED")
        ]
        if status != "SUCCEEDED" or failures:
            reason = result.get("StatusReason") or ""
            raise DeployError(
                f"StackSet {stack_set}: {operation} {operation_id} ended {status}"
                + (f" ({reason})" if reason else "")
                + f"; {len(failures)} stack instance(s) failed:",
                failures,
            )
        log.info("StackSet %s: %s %s SUCCEEDED", stack_set, operation, operation_id)

    def check_member_first(self, export: CloudFormationExport) -> None:
        """Every account an assignment targets has a current member stack instance when a
        permission set references the blueprint's customer managed policies."""
        if self._checked or export.member is None:
            return
        self._checked = True
        needs = _accounts_needing_member(export)
        if not needs:
            return
        current = {
            i["Account"] for i in _instances(self.ctx, export.member.stack, self.opts)
            if i.get("Status") == "CURRENT"
        }
        missing = sorted(needs - current)
        if missing:
            raise DeployError(
                f"the Identity Center stacks reference customer managed policies that the "
                f"member StackSet {export.member.stack} creates, but accounts "
                f"{', '.join(missing)} have no current stack instance of it. Put their OUs in "
                "the targets (or wait for auto-deployment), then deploy again"
            )

    def _delete_failed(self, ctx: AwsContext, name: str) -> None:
        """Delete a stack whose creation failed (it holds no resources), and wait until
        it is gone; a deleted stack is described by its id only."""
        stack = _stack(ctx, name)
        if stack is None or stack.get("StackStatus") not in _DELETE_FIRST:
            return  # gone, or changed since the plan: the create reports what it finds
        stack_id = str(stack.get("StackId") or name)
        ctx.call("cloudformation", "delete_stack", StackName=stack_id)

        def describe() -> dict[str, Any]:
            found: dict[str, Any] = ctx.call(
                "cloudformation", "describe_stacks", StackName=stack_id)["Stacks"][0]
            return found

        result = self._poll(describe, lambda s: s.get("StackStatus") == "DELETE_IN_PROGRESS",
                            f"stack {name}", "DeleteStack")
        status = str(result.get("StackStatus"))
        self.operations.append(("delete failed stack", name, status))
        if status != "DELETE_COMPLETE":
            raise DeployError(
                f"stack {name} was in {stack.get('StackStatus')} (its creation failed) and "
                f"could not be deleted to create it again: it ended {status}: "
                f"{result.get('StackStatusReason') or ''} (see its events: aws cloudformation "
                f"describe-stack-events --stack-name {stack_id})"
            )

    def stack(self, change: StackChange) -> None:
        t = change.template
        if change.action == "no-op":
            return
        caps = ["CAPABILITY_NAMED_IAM"]
        ctx = self.ctx.for_region(t.region)  # Identity Center's home region
        if change.replaces:
            self._delete_failed(ctx, t.stack)
        if change.action == "create":
            ctx.call("cloudformation", "create_stack", StackName=t.stack, **self._body(t),
                     Capabilities=caps, Tags=self._tags())
        else:
            ctx.call("cloudformation", "update_stack", StackName=t.stack, **self._body(t),
                     Capabilities=caps, Tags=self._tags())

        def describe() -> dict[str, Any]:
            found: dict[str, Any] = ctx.call(
                "cloudformation", "describe_stacks", StackName=t.stack)["Stacks"][0]
            return found

        result = self._poll(describe, lambda s: str(s.get("StackStatus")).endswith(
            "_IN_PROGRESS"), f"stack {t.stack}", "CreateStack")
        status = str(result.get("StackStatus"))
        self.operations.append((f"{change.action} stack", t.stack, status))
        if status not in _STACK_DONE_OK:
            raise DeployError(
                f"stack {t.stack} ended {status}: {result.get('StackStatusReason') or ''} "
                "(see its events: aws cloudformation describe-stack-events "
                f"--stack-name {t.stack})"
            )


def _accounts_needing_member(export: CloudFormationExport) -> set[str]:
    """Accounts of assignments whose permission set references customer managed policies."""
    accounts: set[str] = set()
    with_refs = {
        logical
        for t in export.identity_center
        for logical, r in t.body.get("Resources", {}).items()
        if r["Type"] == "AWS::SSO::PermissionSet"
        and r["Properties"].get("CustomerManagedPolicyReferences")
    }
    for t in export.identity_center:
        resources: Mapping[str, Any] = t.body.get("Resources", {})
        for r in resources.values():
            if r["Type"] != "AWS::SSO::Assignment":
                continue
            arn = r["Properties"]["PermissionSetArn"]
            logical = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, Mapping) else None
            imported = json.dumps(arn)  # Fn::ImportValue of "<stack>-<logical>Arn"
            if logical in with_refs or any(f"-{w}Arn" in imported for w in with_refs):
                accounts.add(r["Properties"]["TargetId"])
    return accounts

