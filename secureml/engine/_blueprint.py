"""The :class:`Blueprint`: a named set of resources, planned and applied as one."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from secureml._validation import BLUEPRINT_NAME
from secureml.engine._apply import ApplyResult, ProgressCallback, apply_plan, build_plan
from secureml.engine._graph import find_cycle
from secureml.engine._plan import Plan
from secureml.errors import PlanChangedError, ValidationError
from secureml.resources import Resource

if TYPE_CHECKING:
    from secureml.aws import AwsContext, RetryPolicy, SessionLike

__all__ = ["BLUEPRINT_NAME", "Blueprint"]

log = logging.getLogger("secureml.engine")



def _resources(value: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(value, Resource):
        return (value,)
    return tuple(value)


@attrs.frozen
class Blueprint:
    """A named set of resources deployed as one: :meth:`plan` shows what would
    change, :meth:`apply` converges the account to it.

    The whole blueprint is validated when it is built (each resource's own
    input, duplicate keys, dependencies on resources it does not contain, the
    name); every problem is reported in one
    :class:`~secureml.errors.ValidationError`, before any AWS call.

    ``max_workers`` bounds how many resources are read or changed at once;
    ``region`` overrides the session's; ``retry`` replaces the default
    :class:`~secureml.aws.RetryPolicy` (tests inject one that never sleeps).

    >>> import secureml as sm
    >>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"],
    ...                       pass_roles=["team-a-compute"])
    >>> bp = sm.Blueprint("ml-platform", [ds.role()])
    >>> [r.key for r in bp]
    ['iam-role/team-a-ds']
    """

    name: str
    resources: tuple[Resource, ...] = attrs.field(converter=_resources)
    region: str | None = attrs.field(default=None, kw_only=True)
    max_workers: int = attrs.field(default=4, kw_only=True)
    retry: RetryPolicy | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValidationError(problems)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def __getitem__(self, key: str) -> Resource:
        for r in self.resources:
            if r.key == key:
                return r
        raise KeyError(f"blueprint {self.name!r} has no resource {key!r}; it has {self.keys()}")

    def keys(self) -> list[str]:
        """The keys (``kind/name``) of the blueprint's resources, in order."""
        return [r.key for r in self.resources]

    # -- validation ------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Every problem with the blueprint, found without AWS (empty when valid)."""
        problems: list[str] = []
        if not isinstance(self.name, str) or not BLUEPRINT_NAME.match(self.name):
            problems.append(
                f"blueprint name {self.name!r} is not allowed: 1-64 characters of letters, "
                "digits, '.', '_' and '-', starting with a letter or digit (it becomes the "
                "value of the secureml:blueprint tag and part of IAM paths)"
            )
        if not isinstance(self.max_workers, int) or self.max_workers < 1:
            problems.append(f"max_workers: {self.max_workers!r} must be a positive integer")
        good: list[Resource] = []
        for i, r in enumerate(self.resources):
            if isinstance(r, Resource):
                good.append(r)
                continue
            hint = ""
            if type(r).__name__ == "Persona":
                hint = "; deploy a persona with persona.role() or persona.permission_set()"
            problems.append(
                f"resources[{i}]: {r!r} is a {type(r).__name__}, not a resource{hint}"
            )
        for key, n in sorted(Counter(r.key for r in good).items()):
            if n > 1:
                problems.append(
                    f"resource {key!r} appears {n} times; each resource (kind/name) must be "
                    "unique in a blueprint"
                )
        keys = {r.key for r in good}
        for r in good:
            try:
                problems.extend(f"{r.key}: {p}" for p in r.validate())
            except ValidationError as exc:  # a resource that raises instead of returning
                problems.extend(f"{r.key}: {p}" for p in exc.problems)
            external = set(r.external_dependencies())
            for dep in r.dependencies():
                if dep not in keys and dep not in external:
                    problems.append(
                        f"{r.key}: depends on {dep!r}, which is not in the blueprint; add it "
                        f"(blueprint resources: {sorted(keys)})"
                    )
        cycle = find_cycle(good)
        if cycle:
            problems.append("dependency cycle: " + " -> ".join(cycle))
        return problems

    def validate(self) -> None:
        """Raise :class:`~secureml.errors.ValidationError` listing every problem."""
        problems = self.problems()
        if problems:
            raise ValidationError(problems)

    # -- AWS -----------------------------------------------------------------------------

    def context(self, session: SessionLike = None) -> AwsContext:
        """A fresh :class:`~secureml.aws.AwsContext` for one plan or apply."""
        # boto3 loads only when a blueprint talks to AWS.
        from secureml.aws import AwsContext, RetryPolicy, resolve_session  # noqa: PLC0415

        return AwsContext(
            session=resolve_session(session),
            blueprint=self.name,
            retry=self.retry if self.retry is not None else RetryPolicy(),
            region=self.region,
        )

    def plan(self, session: SessionLike = None, *, prune: bool = False) -> Plan:
        """What :meth:`apply` would change, making read calls only.

        ``session`` is a ``boto3.Session``, a callable returning one, or ``None``
        (a default session). With ``prune`` the plan's deletes of resources no
        longer in the blueprint count as pending (they are listed either way).

        Raises :class:`~secureml.errors.OwnershipError` when a resource of the
        same name exists and is not this blueprint's (unless it says ``adopt``).
        """
        self.validate()
        return build_plan(
            self.name, self.resources, self.context(session), prune=prune,
            max_workers=self.max_workers,
        )

    def apply(
        self,
        session: SessionLike = None,
        *,
        prune: bool = False,
        expected: Plan | None = None,
        on_change: ProgressCallback | None = None,
    ) -> ApplyResult:
        """Converge the account to the blueprint and return what was done.

        Always plans afresh first (the account may have changed since any earlier
        plan), then carries out the changes: independent resources concurrently,
        each after the resources it depends on, deletes in reverse order. Resources
        owned by the blueprint but no longer in it are deleted only with ``prune``.

        ``expected`` is a plan a person or a pipeline reviewed: when the fresh plan
        would make other changes (another action, another resource, another
        desired state), :class:`~secureml.errors.PlanChangedError` is raised before
        anything is changed. ``on_change(change, done, total)`` is called after
        each change, for progress reports.

        Safe to re-run: a second apply makes no mutating call; an apply that died
        part-way is finished by the next one. On a failure raises
        :class:`~secureml.errors.ConvergenceError` whose ``applied`` lists the
        changes already made.
        """
        self.validate()
        ctx = self.context(session)
        plan = build_plan(
            self.name, self.resources, ctx, prune=prune, max_workers=self.max_workers
        )
        if expected is not None:
            _check_expected(self.name, expected, plan)
        if plan.is_empty:
            log.info("blueprint %r: nothing to change", self.name)
            return ApplyResult(plan=plan, applied=())
        return apply_plan(plan, ctx, max_workers=self.max_workers, on_change=on_change)


def _pending_signature(plan: Plan) -> dict[str, str]:
    return {
        f"{c.action} {c.key}": json.dumps([c.before, c.after], sort_keys=True, default=str)
        for c in plan.pending
    }


def _check_expected(blueprint: str, expected: Plan, fresh: Plan) -> None:
    # A plan reviewed for another blueprint, account or region approves nothing here,
    # even when its changes read the same (a fresh account, names without account ids).
    for what, want_where, have_where in (
        ("blueprint", expected.blueprint, fresh.blueprint),
        ("account", expected.account_id, fresh.account_id),
        ("region", expected.region, fresh.region),
    ):
        if want_where != have_where:
            raise PlanChangedError(
                blueprint, [f"{what} {have_where}"], [f"{what} {want_where}"]
            )
    want, have = _pending_signature(expected), _pending_signature(fresh)
    if want != have:
        added = sorted(k for k in have if want.get(k) != have[k])
        removed = sorted(k for k in want if k not in have)
        raise PlanChangedError(blueprint, added, removed)
