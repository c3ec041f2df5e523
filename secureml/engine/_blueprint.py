"""The :class:`Blueprint`: a named set of resources, planned and applied as one."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from secureml._convert import as_items
from secureml._validation import BLUEPRINT_NAME, BLUEPRINT_NAME_RULE, Checked, check_region
from secureml.engine._apply import ApplyResult, ProgressCallback, apply_plan, build_plan
from secureml.engine._graph import find_cycle
from secureml.engine._plan import Plan
from secureml.errors import PlanChangedError, Problem, ValidationError
from secureml.resources import Claim, GroupAssignment, PermissionSet, Resource, UserAssignment

if TYPE_CHECKING:
    from secureml.aws import AwsContext, RetryPolicy, SessionLike
    from secureml.export import CloudFormationExport, DeployResult

__all__ = ["BLUEPRINT_NAME", "Blueprint"]

log = logging.getLogger("secureml.engine")



def _resources(value: Iterable[Any]) -> tuple[Any, ...]:
    items = (value,) if isinstance(value, Resource) else as_items(
        value, "resources", "resources (persona.role(), sm.AuditTrail(...), ...)"
    )
    # The parts a resource brings along (a large permission set's policies) join the
    # blueprint; a resource of the same key given as well is kept, so a different one
    # shows as a duplicate key.
    out = list(items)
    for r in items:
        if isinstance(r, Resource):
            out.extend(p for p in r.parts() if p not in out)
    return tuple(out)


def _own_problems(resource: Resource, index: int) -> list[Problem]:
    """A resource's own problems, seen from the blueprint."""
    try:
        found = list(resource.problems())
    except ValidationError as exc:  # a resource that raises instead of returning
        found = list(exc.problems)
    return [Problem.of(p).within(resource.key, "resources", index) for p in found]


@attrs.frozen
class Blueprint(Checked):
    """A named set of resources deployed as one: :meth:`plan` shows what would
    change, :meth:`apply` converges the account to it.

    The whole blueprint is validated when it is built (duplicate keys,
    dependencies on resources it does not contain, conflicts, the name; each
    resource was checked when it was made); every problem is reported in one
    :class:`~secureml.errors.ValidationError`, before any AWS call. A blueprint
    and its resources are frozen, so :meth:`plan` and :meth:`apply` need no
    second check.

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
    max_workers: int = attrs.field(default=10, kw_only=True)
    retry: RetryPolicy | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

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
                f"blueprint name {self.name!r} is not allowed: {BLUEPRINT_NAME_RULE} (it "
                "becomes the value of the secureml:blueprint tag and part of IAM paths)",
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
        valid: list[tuple[int, Resource]] = []
        for i, r in good:
            # A resource was checked when it was made (Resource.__attrs_post_init__); asked
            # again (cheap: what it derives is memoised) for a kind whose __init__ is its own.
            own = _own_problems(r, i)
            problems.extend(own)
            if not own:
                valid.append((i, r))
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
        cycle = find_cycle([r for _, r in good])
        if cycle:
            problems.append(Problem((), cycle, "dependency cycle: " + " -> ".join(cycle)))
        if isinstance(self.name, str):
            # Only resources with valid input can say what they manage.
            problems.extend(_conflicts(valid, self.name))
        return problems

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
        ctx = self.context(session)
        _check_split_permission_sets(self.resources, ctx)
        plan = build_plan(
            self.name, self.resources, ctx, prune=prune, max_workers=self.max_workers
        )
        if expected is not None:
            _check_expected(self.name, expected, plan)
        if plan.is_empty:
            log.info("blueprint %r: nothing to change", self.name)
            return ApplyResult(plan=plan, applied=())
        return apply_plan(plan, ctx, max_workers=self.max_workers, on_change=on_change)

    # -- many accounts (secureml.export sits above the engine: imported when used) --------

    def to_cloudformation(self, **kwargs: Any) -> CloudFormationExport:
        """The blueprint as CloudFormation templates for many accounts: see
        :func:`secureml.export.to_cloudformation` for the arguments."""
        from secureml.export import to_cloudformation  # noqa: PLC0415

        return to_cloudformation(self, **kwargs)

    def deploy(
        self, session: SessionLike = None, *, targets: Iterable[str], **kwargs: Any
    ) -> DeployResult:
        """Plan and deploy the templates of :meth:`to_cloudformation` to the target OUs
        (a service-managed StackSet and the Identity Center stacks): see
        :func:`secureml.export.deploy` for the arguments."""
        from secureml.export import deploy  # noqa: PLC0415

        return deploy(self, session=session, targets=targets, **kwargs)


def _check_split_permission_sets(resources: Iterable[Resource], ctx: AwsContext) -> None:
    """A permission set whose policy is split into customer managed policies needs them
    in every account it is assigned in; apply() creates them in its own account only, so
    it refuses (before any change) when an assignment targets another account or an OU."""
    resources = list(resources)
    problems: list[str] = []
    for ps in resources:
        if not isinstance(ps, PermissionSet) or not ps.split_documents():
            continue
        targets: set[str] = set()
        ous: set[str] = set()
        for a in resources:
            if isinstance(a, GroupAssignment | UserAssignment) and a.permission_set == ps.name:
                targets.update(a.accounts)
                ous.update(a.organizational_units)
        # Decided from the blueprint alone when it can be: no STS call for an OU target.
        if not ous and len(targets) <= 1:
            home = ctx.account_id
            if targets <= {home}:
                continue
            reach = f"only this account ({home})"
        else:
            reach = "one account"
        problems.append(
            f"{ps.key}: its policy is over the 10,240 characters a permission set holds "
            "inline, so it references customer managed policies "
            f"({', '.join(p.name for p in ps.split_policies())}) that must exist in every "
            f"account it is assigned in; apply() reaches {reach}, and its assignments "
            "target "
            + ", ".join([*(f"account {a}" for a in sorted(targets)),
                         *(f"OU {o}" for o in sorted(ous))])
            + ". Deploy the blueprint to the accounts with `secureml deploy` "
            "(Blueprint.deploy), which creates the policies in every target account through "
            "a StackSet, or assign the permission set in this account only"
        )
    if problems:
        raise ValidationError(problems)


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


def _conflicts(resources: list[tuple[int, Resource]], blueprint: str) -> list[Problem]:
    """Two resources that manage one AWS object would undo each other on every apply."""
    claimed: list[tuple[int, Resource, Claim]] = []
    for i, r in resources:
        try:
            claimed.extend((i, r, c) for c in r.claims(blueprint))
        except ValidationError:  # bad input: reported by the resource's own validation
            continue
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for n, (_i, a, ca) in enumerate(claimed):
        for j, b, cb in claimed[n + 1:]:
            if a is b or a.key == b.key or (a.key, b.key) in seen or not ca.overlaps(cb):
                continue
            seen.add((a.key, b.key))
            what = ca.what if ca.prefix or not cb.prefix else cb.what
            problems.append(Problem(
                ("resources", j),
                b.key,
                f"{a.key} and {b.key} both manage {what}: each apply would undo the "
                "other's change and the plan would never settle; keep one, or give one "
                "another name, bucket or path",
            ))
    return problems


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
