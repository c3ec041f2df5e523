"""The :class:`Blueprint`: a named set of resources, planned and applied as one."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from secureml._convert import as_items
from secureml._validation import check_region
from secureml.engine._apply import ApplyResult, ProgressCallback, apply_plan, build_plan
from secureml.engine._plan import Plan
from secureml.errors import PlanChangedError, Problem, ValidationError
from secureml.resources import Resource

if TYPE_CHECKING:
    from secureml.aws import AwsContext, RetryPolicy, SessionLike

__all__ = ["BLUEPRINT_NAME", "Blueprint"]

log = logging.getLogger("secureml.engine")

BLUEPRINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""Blueprint names: they become a tag value and part of IAM paths, so 1-64 letters,
digits, ``.``, ``_`` and ``-``, starting with a letter or digit."""


def _resources(value: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(value, Resource):
        return (value,)
    return as_items(value, "resources", "resources (persona.role(), sm.AuditTrail(...), ...)")


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

    def problems(self) -> list[Problem]:
        """Every problem with the blueprint, found without AWS (empty when valid); a
        resource's problems have paths starting ``("resources", INDEX)``."""
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not BLUEPRINT_NAME.match(self.name):
            problems.append(Problem(
                "name",
                self.name,
                f"blueprint name {self.name!r} is not allowed: 1-64 characters of letters, "
                "digits, '.', '_' and '-', starting with a letter or digit (it becomes the "
                "value of the secureml:blueprint tag and part of IAM paths)",
            ))
        if self.region is not None:
            try:
                check_region(self.region)
            except ValidationError as exc:
                problems.extend(exc.problems)
        if (
            not isinstance(self.max_workers, int)
            or isinstance(self.max_workers, bool)
            or self.max_workers < 1
        ):
            problems.append(Problem(
                "max_workers",
                self.max_workers,
                f"max_workers: {self.max_workers!r} must be a positive integer",
            ))
        good: list[tuple[int, Resource]] = []
        for i, r in enumerate(self.resources):
            if isinstance(r, Resource):
                good.append((i, r))
                continue
            hint = ""
            if type(r).__name__ == "Persona":
                hint = "; deploy a persona with persona.role() or persona.permission_set()"
            problems.append(Problem(
                ("resources", i),
                r,
                f"resources[{i}]: {r!r} is a {type(r).__name__}, not a resource{hint}",
            ))
        first: dict[str, int] = {}
        for i, r in good:
            first.setdefault(r.key, i)
        for key, n in sorted(Counter(r.key for _, r in good).items()):
            if n > 1:
                problems.append(Problem(
                    ("resources", first[key]),
                    key,
                    f"resource {key!r} appears {n} times; each resource (kind/name) must be "
                    "unique in a blueprint",
                ))
        keys = {r.key for _, r in good}
        for i, r in good:
            try:
                problems.extend(Problem.of(p).within(r.key, "resources", i) for p in r.validate())
            except ValidationError as exc:  # a resource that raises instead of returning
                problems.extend(exc.within(r.key, "resources", i))
            external = set(r.external_dependencies())
            for dep in r.dependencies():
                if dep not in keys and dep not in external:
                    problems.append(Problem(
                        ("resources", i),
                        dep,
                        f"{r.key}: depends on {dep!r}, which is not in the blueprint; add it "
                        f"(blueprint resources: {sorted(keys)})",
                    ))
        problems.extend(_pass_role_paths(good))
        cycle = _find_cycle([r for _, r in good])
        if cycle:
            problems.append(Problem((), cycle, "dependency cycle: " + " -> ".join(cycle)))
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
        expected: Plan | Mapping[str, Any] | None = None,
        on_change: ProgressCallback | None = None,
    ) -> ApplyResult:
        """Converge the account to the blueprint and return what was done.

        Always plans afresh first (the account may have changed since any earlier
        plan), then carries out the changes: independent resources concurrently,
        each after the resources it depends on, deletes in reverse order. Resources
        owned by the blueprint but no longer in it are deleted only with ``prune``.

        ``expected`` is a plan a person or a pipeline reviewed (a :class:`Plan`,
        or its :meth:`~Plan.to_dict` as saved by ``secureml plan --out``): when the
        fresh plan would make other changes (another action, another resource,
        another desired state), :class:`~secureml.errors.PlanChangedError` is raised
        before anything is changed. ``on_change(change, done, total)`` is called after
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


def _signature(action: str, key: str, before: Any, after: Any) -> tuple[str, str]:
    return f"{action} {key}", json.dumps([before, after], sort_keys=True, default=str)


def _pending_signature(plan: Plan | Mapping[str, Any]) -> dict[str, str]:
    if isinstance(plan, Plan):
        return dict(_signature(c.action, c.key, c.before, c.after) for c in plan.pending)
    prune = bool(plan.get("prune"))
    return dict(
        _signature(c["action"], c["key"], c.get("before"), c.get("after"))
        for c in plan.get("changes", ())
        if c["action"] != "no-op" and (prune or not c.get("orphan"))
    )


@attrs.frozen
class _Where:
    blueprint: str | None
    account_id: str | None
    region: str | None


def _where(plan: Plan | Mapping[str, Any]) -> _Where:
    if isinstance(plan, Plan):
        return _Where(plan.blueprint, plan.account_id, plan.region)
    return _Where(plan.get("blueprint"), plan.get("account_id"), plan.get("region"))


def _check_expected(blueprint: str, expected: Plan | Mapping[str, Any], fresh: Plan) -> None:
    # A plan reviewed for another blueprint, account or region approves nothing here,
    # even when its changes read the same (a fresh account, names without account ids).
    want_at = _where(expected)
    for what, want_where, have_where in (
        ("blueprint", want_at.blueprint, fresh.blueprint),
        ("account", want_at.account_id, fresh.account_id),
        ("region", want_at.region, fresh.region),
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


def _find_cycle(resources: list[Resource]) -> list[str]:
    graph = {r.key: list(r.dependencies()) for r in resources}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(key: str) -> list[str]:
        state[key] = 1
        stack.append(key)
        for dep in graph.get(key, ()):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[key] = 2
        return []

    for key in graph:
        if key not in state:
            found = visit(key)
            if found:
                return found
    return []


def _pass_role_paths(resources: list[tuple[int, Resource]]) -> Iterator[Problem]:
    """A persona that passes a role of this blueprint by its bare name while the role
    has a path: the ARN in the policy (``role/NAME``) would not be the role's
    (``role/PATH/NAME``), so PassRole would fail; say how to name it."""
    paths = {
        getattr(r, "name", ""): getattr(r, "path", "/")
        for _, r in resources
        if r.kind == "iam-role"
        and isinstance(getattr(r, "name", None), str)
        and isinstance(getattr(r, "path", None), str)
        and getattr(r, "path", "/") != "/"
    }
    if not paths:
        return
    for i, r in resources:
        persona = getattr(r, "persona", None)
        if persona is None:
            continue
        refs = {*persona.pass_roles}
        for activity in persona.activities:
            refs.update(getattr(activity, "pass_roles", ()))
        for ref in sorted(refs):
            if ref in paths:
                yield Problem(
                    ("resources", i),
                    ref,
                    f"{r.key}: persona {persona.name!r} passes role {ref!r}, but this "
                    f"blueprint's role {ref!r} has path {paths[ref]!r}, so its ARN is "
                    f"role{paths[ref]}{ref}; give pass_roles=[persona.role(path="
                    f"{paths[ref]!r})] or {paths[ref] + ref!r}",
                )
