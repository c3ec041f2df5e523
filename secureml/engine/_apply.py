"""Reading the account into a :class:`Plan` and carrying a plan out.

Reads of independent resources run concurrently; changes run concurrently too,
each as soon as the changes of the resources it depends on are done, in a
bounded thread pool (IAM and Identity Center throttle hard; the retry policy
absorbs what throttling remains). Deletes of resources no longer in the
blueprint run last, in reverse dependency order.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from graphlib import CycleError
from operator import attrgetter
from typing import Any

import attrs
import cattrs
from botocore.exceptions import BotoCoreError, ClientError
from cattrs.gen import override

from secureml._unstructure import FIELD, Layout, view_hook
from secureml.aws import AwsContext, error_code, parallel_map
from secureml.engine._graph import dependency_order, sorter
from secureml.engine._plan import PRUNE_HINT, Action, Change, Plan, plan_converter
from secureml.engine._registry import resource_kinds
from secureml.errors import (
    AWSCallError,
    ConvergenceError,
    Failure,
    NotFoundError,
    Problem,
    SecureMLError,
    ValidationError,
)
from secureml.policy import Finding
from secureml.resources import Observed, Resource

__all__ = [
    "ApplyResult",
    "ProgressCallback",
    "apply_plan",
    "build_plan",
    "dependency_order",
]

log = logging.getLogger("secureml.engine")

_ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)



@attrs.frozen
class _Assessed:
    resource: Resource
    desired: dict[str, Any]
    observed: Observed | None


def _assess(ctx: AwsContext, resource: Resource, desired: dict[str, Any]) -> _Assessed:
    try:
        observed = resource.read(ctx)
    except ClientError as exc:
        raise ctx.wrap_error(resource.describe(), None, exc, during="reading it") from exc
    return _Assessed(resource, desired, observed)


def _change_for(a: _Assessed, blueprint: str, ctx: AwsContext) -> Change:
    r = a.resource
    # Only kinds that judge ARNs by account ask for it (no STS call for the others).
    in_account = type(r).lint_in is not Resource.lint_in
    findings = tuple(r.lint_in(ctx.account_id, ctx.region) if in_account else r.lint())
    if a.observed is None:
        return Change("create", r, None, a.desired, findings=findings)
    if not r.owned_by(a.observed, blueprint) and not r.adopt:
        raise r.ownership_error(a.observed, blueprint)
    action: Action = "no-op" if a.observed.state == a.desired else "update"
    if action == "update":
        reason = r.replacement(a.observed.state, a.desired)
        if reason:
            findings += (Finding.of("SM030", f"{r.describe()}: {reason}"),)
    return Change(
        action, r, a.observed.state, a.desired, observed=a.observed, findings=findings
    )


def build_plan(
    blueprint: str,
    resources: Sequence[Resource],
    ctx: AwsContext,
    *,
    prune: bool,
    max_workers: int,
) -> Plan:
    """Read the account and compare it with ``resources`` (read calls only)."""
    ordered = dependency_order(resources)
    # Desired states first: they may still find problems (packing against the real
    # account id), and those are reported together before any resource is read.
    desired: list[dict[str, Any]] = []
    problems: list[Problem] = []
    index = {r.key: i for i, r in enumerate(resources)}
    for r in ordered:
        try:
            desired.append(r.desired(ctx))
        except ValidationError as exc:
            problems.extend(exc.within(r.key, "resources", index[r.key]))
    if problems:
        raise ValidationError(problems)
    for cls in resource_kinds().values():
        cls.prepare(ctx, resources)
    # Looking for orphans is independent of reading the blueprint's resources: both at once.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="secureml-discover") as side:
        orphans_future = side.submit(_orphans, blueprint, resources, ctx, prune, max_workers)
        assessed = parallel_map(
            lambda pair: _assess(ctx, pair[0], pair[1]),
            list(zip(ordered, desired, strict=True)),
            max_workers,
            thread_name_prefix="secureml-read",
        )
        orphans, warnings = orphans_future.result()
    changes = [_change_for(a, blueprint, ctx) for a in assessed]
    changes.extend(orphans)
    for change in changes:
        log.debug("plan %s: %s", change.key, change.action)
    return Plan(
        blueprint=blueprint,
        changes=changes,
        prune=prune,
        account_id=_account(ctx),
        region=ctx.region,
        warnings=tuple(warnings),
    )


def _account(ctx: AwsContext) -> str | None:
    try:
        return ctx.account_id
    except (ClientError, SecureMLError):  # a plan of resources that never needed it
        return None


def _orphans(
    blueprint: str,
    resources: Sequence[Resource],
    ctx: AwsContext,
    prune: bool,
    max_workers: int,
) -> tuple[list[Change], list[str]]:
    warnings: list[str] = []
    candidates: dict[str, Resource] = {}
    keys = {r.key for r in resources}

    def discover(item: tuple[str, type[Resource]]) -> list[Resource] | str:
        kind, cls = item
        try:
            return list(cls.discover_for(ctx, blueprint, resources))
        except (ClientError, BotoCoreError, AWSCallError, NotFoundError) as exc:
            # Discovery only finds orphans; without prune they are only shown, so a
            # kind that cannot be listed (no permission, service not set up in the
            # account or region) must not stop the plan of everything else.
            if prune:
                if isinstance(exc, ClientError):
                    raise ctx.wrap_error(
                        f"{kind} resources", None, exc,
                        during="looking for resources no longer in the blueprint",
                    ) from exc
                raise
            reason = error_code(exc) or type(exc).__name__
            log.warning("could not look for %s resources: %s", kind, exc)
            hint = (
                "apply(prune=True) needs that permission"
                if reason in _ACCESS_DENIED
                else "apply(prune=True) needs this listing to work"
            )
            return (
                f"could not look for {kind} resources no longer in the blueprint "
                f"({reason}), so none are shown; {hint}"
            )

    # Kinds are listed concurrently: each is a few independent listing calls.
    kinds = list(resource_kinds().items())
    for found in parallel_map(discover, kinds, max_workers, thread_name_prefix="secureml-read"):
        if isinstance(found, str):
            warnings.append(found)
            continue
        for r in found:
            if r.key not in keys:
                candidates.setdefault(r.key, r)

    def read(r: Resource) -> Change | None:
        try:
            observed = r.read(ctx)
        except ClientError as exc:
            raise ctx.wrap_error(r.describe(), None, exc, during="reading it") from exc
        if observed is None or not r.owned_by(observed, blueprint):
            return None
        return Change("delete", r, observed.state, None, orphan=True, observed=observed)

    found_changes = parallel_map(
        read, list(candidates.values()), max_workers, thread_name_prefix="secureml-read"
    )
    orphan_changes = [c for c in found_changes if c is not None]
    # Deletes run dependants first: reverse of the dependency order among the orphans.
    order = dependency_order([c.resource for c in orphan_changes])
    rank = {r.key: i for i, r in enumerate(reversed(order))}
    orphan_changes.sort(key=lambda c: rank[c.key])
    return orphan_changes, warnings


@attrs.frozen
class ApplyResult:
    """What :meth:`Blueprint.apply <secureml.Blueprint.apply>` did.

    ``plan`` is the plan it carried out (made fresh by ``apply``); ``applied``
    the changes carried out, in the order they finished.
    """

    plan: Plan
    applied: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        """Whether anything was changed."""
        return bool(self.applied)

    @property
    def kept(self) -> list[Change]:
        """Resources no longer in the blueprint left in place (``prune`` was false)."""
        return self.plan.kept

    def __str__(self) -> str:
        return self.text()

    def text(self, *, prune_hint: str = PRUNE_HINT) -> str:
        """What was done, one line per change (``str(result)``); ``prune_hint``
        says how to delete what was kept."""
        lines = [
            f"Applied blueprint {self.plan.blueprint!r}: {len(self.applied)} change(s) made"
        ]
        lines.extend(f"{c.action} {c.label}" for c in self.applied)
        if self.kept:
            lines.append(
                f"{len(self.kept)} resource(s) no longer in the blueprint kept "
                f"({prune_hint}): " + ", ".join(c.key for c in self.kept)
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the plan and the keys of the changes applied."""
        data: dict[str, Any] = _converter().unstructure(self)
        return data


def _briefly(changes: Sequence[Change]) -> list[dict[str, str]]:
    return [{"action": c.action, "key": c.key} for c in changes]


@functools.cache
def _converter() -> cattrs.Converter:
    # The plans' converter, with apply results: each change applied by its action
    # and key, each resource kept by its key, then the whole plan.
    conv = plan_converter().copy()
    result: Layout = {
        "blueprint": lambda r: r.plan.blueprint,
        "changed": attrgetter("changed"),
        "applied": FIELD,
        "kept": lambda r: [c.key for c in r.kept],
        "plan": FIELD,
    }
    conv.register_unstructure_hook(
        ApplyResult,
        view_hook(conv, ApplyResult, result, applied=override(unstruct_hook=_briefly)),
    )
    return conv


_DOING = {"create": "creating it", "update": "updating it", "delete": "deleting it"}


def _carry_out(ctx: AwsContext, change: Change) -> None:
    r = change.resource
    log.info("%s %s", change.action, r.describe())
    try:
        if change.action == "create":
            assert change.after is not None
            r.create(ctx, change.after)
        elif change.action == "update":
            assert change.after is not None
            assert change.observed is not None
            r.update(ctx, change.observed, change.after)
        elif change.action == "delete":
            assert change.observed is not None
            r.delete(ctx, change.observed)
    except ClientError as exc:
        raise ctx.wrap_error(
            r.describe(), None, exc, during=_DOING[change.action]
        ) from exc


def _run_graph(
    changes: Sequence[Change],
    waits_for: Mapping[str, Iterable[str]],
    fn: Callable[[Change], None],
    max_workers: int,
    done: list[Change],
    *,
    report: Callable[[Change], None],
) -> list[tuple[Change, BaseException]]:
    """Run ``fn`` on every change once the changes it waits for are done.

    On the first failure nothing new starts; changes already running finish.
    Returns every failed change with its exception (empty when all succeeded).
    """
    by_key = {c.key: c for c in changes}
    index = {key: i for i, key in enumerate(by_key)}
    try:
        ts = sorter({c.key: waits_for.get(c.key, ()) for c in changes})
    except CycleError as cycle:  # pragma: no cover - validation rejects cycles
        raise ConvergenceError(
            "dependency cycle among " + ", ".join(cycle.args[1]), applied=done
        ) from cycle
    failures: list[tuple[Change, BaseException]] = []
    with ThreadPoolExecutor(
        max_workers=max(1, max_workers), thread_name_prefix="secureml-apply"
    ) as pool:
        running: dict[Future[None], Change] = {}
        while True:
            if not failures:
                for key in sorted(ts.get_ready(), key=index.__getitem__):
                    running[pool.submit(fn, by_key[key])] = by_key[key]
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=lambda f: running[f].key):
                change = running.pop(fut)
                exc = fut.exception()
                if exc is not None:
                    failures.append((change, exc))
                    continue
                done.append(change)
                report(change)
                ts.done(change.key)
    return failures


ProgressCallback = Callable[[Change, int, int], None]
"""Called after each change is carried out with the change, how many are done
and how many there are in all (from the thread that called apply, one call at a
time, so it needs no lock)."""


def apply_plan(
    plan: Plan,
    ctx: AwsContext,
    *,
    max_workers: int,
    on_change: ProgressCallback | None = None,
) -> ApplyResult:
    """Carry out ``plan.pending``: creates and updates in dependency order, then the
    deletes in reverse. Raises :class:`~secureml.errors.ConvergenceError` (with the
    changes already made) at the first failure."""
    pending = plan.pending
    done: list[Change] = []
    total = len(pending)

    def carry_out(change: Change) -> None:
        _carry_out(ctx, change)

    def report(change: Change) -> None:
        if on_change is not None:
            on_change(change, len(done), total)

    forward = [c for c in pending if c.action != "delete"]
    deletes = [c for c in pending if c.action == "delete"]
    waits = {c.key: set(c.resource.dependencies()) for c in forward}
    # A delete waits for the deletes of the resources that depend on it.
    reverse: dict[str, set[str]] = {c.key: set() for c in deletes}
    for c in deletes:
        for dep in c.resource.dependencies():
            if dep in reverse:
                reverse[dep].add(c.key)
    failures = _run_graph(forward, waits, carry_out, max_workers, done, report=report)
    if not failures:
        failures = _run_graph(deletes, reverse, carry_out, max_workers, done, report=report)
    if failures:
        change, exc = failures[0]
        settled = {id(c) for c in done} | {id(c) for c, _ in failures}
        not_done = [c for c in pending if id(c) not in settled]
        message = (
            f"blueprint {plan.blueprint!r}: {change.action} {change.resource.describe()} failed: "
            f"{exc}. {len(done)} change(s) were made before it"
            + "".join(
                f"; {c.action} {c.resource.describe()} failed too: {e}" for c, e in failures[1:]
            )
            + (f"; not attempted: {', '.join(c.key for c in not_done)}" if not_done else "")
            + ". Run apply again to finish: it re-reads the account and resumes."
        )
        raise ConvergenceError(
            message,
            applied=done,
            failed=[_failure(c, e) for c, e in failures],
            not_attempted=not_done,
        ) from exc
    return ApplyResult(plan=plan, applied=tuple(done))


def _failure(change: Change, exc: BaseException) -> Failure:
    return Failure(
        resource=change.key,
        action=change.action,
        operation=getattr(exc, "operation", None),
        code=getattr(exc, "code", None) or error_code(exc),
        message=str(exc),
        error=type(exc).__name__,
    )
