"""Personas: named sets of ML activities with their inputs and guard-rails.

A :class:`Persona` is a frozen value; the builders :func:`DataScientist`,
:func:`MLOps` and :func:`Compute` return one with Role Manager's default
activities. ``with_*``/``without_*`` return a new persona; nothing mutates.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, Unpack

import attrs

from secureml import activities as _act
from secureml._convert import as_items, describe, duration_text, frozen_tags, string_tuple
from secureml._describe import describe_persona, persona_facts
from secureml._display import Facts, Readable
from secureml._scoping import SHARED_TYPES, apply_scope
from secureml._validation import (
    Checked,
    Placeholder,
    check_account_id,
    check_arn,
    check_bucket_name,
    check_ecr_repository,
    check_glue_database,
    check_iam_name,
    check_pass_role,
    check_region,
    check_same_account,
    check_session_duration,
    check_workgroup,
    checker,
    of_type,
    partition_regions,
    problem,
    refuse,
)
from secureml.activities import Activity, ActivityContext, PersonaKind, compact_statements
from secureml.errors import Problem, ValidationError
from secureml.policy import (
    LIMITS,
    MANAGED_POLICIES_PER_ROLE,
    PERSONA_KINDS,
    ROLE_NAME_MAX,
    Condition,
    ContextValue,
    Evaluation,
    Finding,
    PolicyDocument,
    Statement,
    evaluate,
    pack_statements,
)
from secureml.settings import EncryptionSettings, Guardrails, NetworkSettings, Scope

if TYPE_CHECKING:
    from secureml.resources import PermissionSet, Role
    from secureml.workflows import CheckReport

__all__ = [
    "PERSONA_BUILDERS",
    "SHARED_TYPES",
    "Compute",
    "DataScientist",
    "Inference",
    "KindBuilder",
    "MLOps",
    "Persona",
    "PersonaOptions",
    "sagemaker_trust_policy",
]

_SAGEMAKER = "sagemaker.amazonaws.com"
_NETWORK = "a secureml.NetworkSettings(subnets=[...], security_groups=[...]) or None"
_ENCRYPTION = "a secureml.EncryptionSettings(volume_kms_key=..., output_kms_key=...) or None"
_GUARDRAILS = "a secureml.Guardrails(...) or None"



def _role_reference(value: object) -> str | None:
    """``/path/name`` (or the name, at the root path) of an IAM role resource such as
    ``persona.role(path="/ml/")``; ``None`` for anything else. Duck-typed: personas
    do not import resources."""
    if getattr(value, "kind", None) != "iam-role":
        return None
    name, path = getattr(value, "name", None), getattr(value, "path", None)
    if not isinstance(name, str) or not isinstance(path, str):
        return None
    return name if path == "/" else f"{path}{name}"


def _pass_roles(value: Iterable[object] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, Persona)) or _role_reference(value) is not None:
        value = [value]
    items = as_items(value, "pass_roles", "roles")
    out: list[str] = []
    for i, v in enumerate(items):
        ref = v.name if isinstance(v, Persona) else v if isinstance(v, str) else _role_reference(v)
        if ref is None:
            raise ValidationError(
                problem(
                    "pass_roles",
                    v,
                    f"{describe(v)} is not a role; give personas, role resources "
                    "(persona.role(path='/ml/') for a role with a path), role names, "
                    "'/path/name' or role ARNs",
                    i,
                )
            )
        out.append(ref)
    return tuple(dict.fromkeys(out))


def _role_personas(value: object) -> tuple[Persona, ...]:
    # The personas among pass_roles; whatever else was given, _pass_roles reports.
    if isinstance(value, Persona):
        return (value,)
    if value is None or isinstance(value, str) or not isinstance(value, Iterable):
        return ()
    return tuple(v for v in value if isinstance(v, Persona))



ActivityLike: TypeAlias = "Activity | type[Activity] | str"
"""An activity instance, an activity class or a Role Manager name."""


def _activities(value: Iterable[ActivityLike]) -> tuple[Activity, ...]:
    # One instance per activity class: a later one replaces an earlier one.
    if isinstance(value, str | Activity) or (
        isinstance(value, type) and issubclass(value, Activity)
    ):
        value = [value]
    by_class: dict[type[Activity], Activity] = {}
    problems: list[str | Problem] = []
    for a in as_items(value, "activities", "activities (e.g. [activities.ManageMLJobs()])"):
        try:
            activity = _act.as_activity(a)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        by_class[type(activity)] = activity
    if problems:
        raise ValidationError(problems)
    return tuple(by_class.values())


def sagemaker_trust_policy(account_id: str | None = None) -> PolicyDocument:
    """SageMaker may assume the role, from ``account_id`` only when it is known (the
    confused-deputy guard AWS recommends): the trust policy of every persona role.

    >>> sagemaker_trust_policy("111122223333").statements[0].principals
    (('Service', ('sagemaker.amazonaws.com',)),)
    """
    conditions = (
        [Condition("StringEquals", "aws:SourceAccount", [account_id])] if account_id else []
    )
    return PolicyDocument(
        [Statement(actions="sts:AssumeRole", principals={"Service": _SAGEMAKER},
                   conditions=conditions)]
    )


@attrs.frozen
class Persona(Checked, Readable):
    """A named, immutable set of ML activities with inputs and guard-rails.

    Build one with :func:`DataScientist`, :func:`MLOps` or :func:`Compute`.
    The persona's name is exactly the name of its IAM role and permission set
    unless those are given another.

    >>> import secureml as sm
    >>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"],
    ...                       pass_roles=["team-a-compute"])
    >>> ds.name, ds.kind
    ('team-a-ds', 'DataScientist')
    >>> "Manage ML Jobs" in [a.name for a in ds.activities]
    True
    """

    name: str = attrs.field(validator=of_type(str, allowed="text (the persona's name)"))
    kind: PersonaKind
    activities: tuple[Activity, ...] = attrs.field(converter=_activities)
    """The persona's activities; instances, classes and Role Manager names are accepted."""
    buckets: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    ecr_repositories: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    pass_roles: tuple[str, ...] = attrs.field(default=(), converter=_pass_roles)
    network: NetworkSettings | None = attrs.field(
        default=None, validator=of_type(NetworkSettings, type(None), allowed=_NETWORK)
    )
    encryption: EncryptionSettings | None = attrs.field(
        default=None, validator=of_type(EncryptionSettings, type(None), allowed=_ENCRYPTION)
    )
    guardrails: Guardrails | None = attrs.field(
        default=None, validator=of_type(Guardrails, type(None), allowed=_GUARDRAILS)
    )
    managed_policies: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    permissions_boundary: str | None = attrs.field(
        default=None, validator=of_type(str, type(None), allowed="a policy ARN or None")
    )
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags, hash=False)
    description: str | None = attrs.field(
        default=None, validator=of_type(str, type(None), allowed="text or None")
    )
    max_session_duration: str = attrs.field(
        default="PT1H",
        converter=duration_text,
        validator=of_type(
            str, allowed="an ISO-8601 duration like 'PT8H', hours (8) or a timedelta"
        ),
    )
    """``"PT8H"``, hours (``8``) or a ``timedelta``; kept as ISO-8601 text."""
    workgroups: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    """Athena workgroups for Query Athena Workgroups (unless the activity names its own)."""
    glue_databases: tuple[str, ...] = attrs.field(default=(), converter=string_tuple)
    """Glue databases for Manage AWS Glue Tables (unless the activity names its own)."""
    scope: Scope | None = None
    """The team this persona is confined to in a shared account (see :class:`~secureml.Scope`)."""
    role_personas: tuple[Persona, ...] = attrs.field(
        default=(), converter=_role_personas, eq=False, repr=False, hash=False
    )
    """The personas among ``pass_roles`` (lint follows them: SM044)."""

    # -- reading it ------------------------------------------------------------

    def describe(self) -> str:
        """What the persona can do, on what, under which guard-rails, and what it
        cannot, in plain words.

        >>> import secureml as sm
        >>> print(sm.MLOps("ops", pass_roles=["c"]).describe().splitlines()[0])
        ops (MLOps persona) can:
        """
        return describe_persona(self)

    def _display_title(self) -> str:
        return f"{self.kind} persona {self.name!r}"

    def _display_facts(self) -> Facts:
        return persona_facts(self)

    # -- validation ------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Every problem with this persona's input (empty when valid), each with the
        path of the field it concerns (``("buckets", 0)``, ``("activities", 2, "workgroups")``)."""
        where = f"persona {self.name!r}"
        problems: list[Problem] = []

        check = checker(where, problems)

        check(check_iam_name, self.name, "name", max_len=ROLE_NAME_MAX)
        if self.kind not in PERSONA_KINDS:
            problems.append(
                Problem(
                    "kind",
                    self.kind,
                    f"{where}: kind {self.kind!r} is not one of {list(PERSONA_KINDS)}",
                )
            )
        for i, b in enumerate(self.buckets):
            check(check_bucket_name, b, "buckets", at=i)
        for i, r in enumerate(self.ecr_repositories):
            check(check_ecr_repository, r, "ecr_repositories", at=i)
        for i, g in enumerate(self.workgroups):
            check(check_workgroup, g, "workgroups", at=i)
        for i, d in enumerate(self.glue_databases):
            check(check_glue_database, d, "glue_databases", at=i)
        for i, r in enumerate(self.pass_roles):
            check(check_pass_role, r, "pass_roles", at=i)
        for i, p in enumerate(self.managed_policies):
            check(check_arn, p, "managed_policies", service="iam", at=i)
        if self.permissions_boundary is not None:
            check(check_arn, self.permissions_boundary, "permissions_boundary", service="iam")
        check(check_session_duration, self.max_session_duration, "max_session_duration")
        if len(self.managed_policies) >= MANAGED_POLICIES_PER_ROLE:
            problems.append(
                Problem(
                    "managed_policies",
                    self.managed_policies,
                    f"{where}: {len(self.managed_policies)} managed policies leave no room for the "
                    f"persona's own policy (a role takes at most {MANAGED_POLICIES_PER_ROLE})",
                )
            )
        ctx = self.context()
        for j, activity in enumerate(self.activities):
            problems.extend(p.within(where, "activities", j) for p in activity.missing_inputs(ctx))
        if self.kind == "MLOps":
            problems.extend(
                Problem(
                    ("activities", j),
                    a.name,
                    f"{where}: MLOps personas have no S3 data access, so activity {a.name!r} is "
                    "not allowed; give data access to a DataScientist or Compute persona",
                )
                for j, a in enumerate(self.activities)
                if a.data_access
            )
        return problems

    # -- building policies -----------------------------------------------------

    def context(
        self, account_id: str | None = None, region: str | None = None, partition: str = "aws"
    ) -> ActivityContext:
        """The context this persona gives its activities."""
        return ActivityContext(
            persona=self.name,
            kind=self.kind,
            account_id=account_id,
            region=region,
            partition=partition,
            buckets=self.buckets,
            ecr_repositories=self.ecr_repositories,
            pass_roles=self.pass_roles,
            workgroups=self.workgroups,
            glue_databases=self.glue_databases,
            network=self.network,
            encryption=self.encryption,
            guardrails=self.guardrails,
        )

    def statements(
        self, account_id: str | None = None, region: str | None = None, partition: str = "aws"
    ) -> tuple[Statement, ...]:
        """Every statement of every activity, in canonical form: statements that
        differ only in actions merged, and SageMaker statements with the same
        conditions sharing one statement wherever that grants exactly the same
        (see :func:`~secureml.activities._guardrails.compact_statements`)."""
        self._check_context(account_id, region, partition)
        ctx = self.context(account_id, region, partition)
        granted = [s for a in self.activities for s in a.statements(ctx)]
        if self.scope is not None:
            granted, _ = apply_scope(self.scope, ctx, granted)
        return compact_statements(ctx, granted)

    def _check_context(self, account_id: str | None, region: str | None, partition: str) -> None:
        """The account, region and partition a policy is built for, and the ARNs given
        that must be in them: a pass role only in this account, every ARN in this
        partition (an ARN of another never matches a request)."""
        if not isinstance(partition, str) or (
            partition not in partition_regions() and not isinstance(partition, Placeholder)
        ):
            raise refuse(
                "partition", partition, f"{partition!r} is not an AWS partition; allowed are "
                f"{sorted(partition_regions())}"
            )
        if account_id is not None:
            check_account_id(account_id)
        if region is not None:
            check_region(region, partition=partition)
        where = f"persona {self.name!r}"
        problems: list[Problem] = []
        keys = self.encryption.keys if self.encryption else ()
        given: list[tuple[tuple[str | int, ...], str, tuple[str, ...], bool]] = [
            (("pass_roles",), "pass_roles", self.pass_roles, True),
            *(
                (("activities", j, "pass_roles"), f"{type(a).__name__}.pass_roles",
                 getattr(a, "pass_roles", ()), True)
                for j, a in enumerate(self.activities)
            ),
            (("encryption",), "encryption", keys, False),
            (("ecr_repositories",), "ecr_repositories", self.ecr_repositories, False),
        ]
        for path, label, values, same_account in given:
            for i, value in enumerate(values):
                try:
                    check_same_account(
                        value, label, account_id=account_id, partition=partition,
                        same_account=same_account,
                    )
                except ValidationError as exc:
                    problems += [
                        attrs.evolve(p.within(where), path=(*path, i)) for p in exc.problems
                    ]
        if problems:
            raise ValidationError(problems)

    def policy_document(
        self, account_id: str | None = None, region: str | None = None, partition: str = "aws"
    ) -> PolicyDocument:
        """All of the persona's permissions as one document (possibly over a size limit;
        :meth:`policy_documents` packs it)."""
        return PolicyDocument(self.statements(account_id, region, partition))

    def policy_documents(
        self,
        account_id: str | None = None,
        region: str | None = None,
        partition: str = "aws",
        *,
        max_documents: int | None = None,
    ) -> list[PolicyDocument]:
        """The persona's permissions packed into the fewest managed policies of at
        most 6,144 characters each.

        Raises :class:`~secureml.errors.PolicyTooLargeError` when they need more
        policies than a role can take beside its AWS managed policies.
        """
        if max_documents is None:
            max_documents = MANAGED_POLICIES_PER_ROLE - len(self.managed_policies)
        return pack_statements(
            self.statements(account_id, region, partition),
            max_chars=LIMITS["managed policy"].max_chars,
            max_documents=max_documents,
            what=f"persona {self.name!r}",
        )

    def evaluate(
        self,
        action: str,
        resource: str,
        context: Mapping[str, ContextValue] | None = None,
        *,
        account_id: str,
        region: str,
        strict: bool = False,
        remote: Any = False,
    ) -> Evaluation:
        """Would this persona's own policies (as :meth:`policy_documents` packs
        them) allow the request? See :func:`secureml.policy.evaluate`. AWS managed
        policies and the permissions boundary, whose text secureml does not hold,
        take no part. ``remote`` asks IAM's ``SimulateCustomPolicy`` too (see
        :func:`secureml.policy.evaluate`).

        >>> import secureml as sm
        >>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["c"])
        >>> ds.evaluate("s3:GetObject", "arn:aws:s3:::team-a-data/x.csv",
        ...             account_id="111122223333", region="us-east-1").allowed
        True
        """
        documents = _packed_documents(self, account_id, region)
        # Keys every such request carries in the persona's own account, unless given:
        # the caller's account, and for S3 the bucket owner's (the persona's buckets
        # are its account's; give s3:ResourceAccount to ask about another's).
        given = {k.lower() for k in (context or {})}
        defaults: dict[str, ContextValue] = {}
        if "aws:principalaccount" not in given:
            defaults["aws:PrincipalAccount"] = account_id
        if action.lower().startswith("s3:") and "s3:resourceaccount" not in given:
            defaults["s3:ResourceAccount"] = account_id
        return evaluate(documents, action, resource, {**defaults, **(context or {})},
                        strict=strict, remote=remote)

    def trust_policy(self, account_id: str | None = None) -> PolicyDocument:
        """Who may assume the persona's role: SageMaker, restricted to
        ``aws:SourceAccount`` when the account is known (the confused-deputy
        guard AWS recommends); see :func:`sagemaker_trust_policy`."""
        return sagemaker_trust_policy(account_id)

    def scope_findings(self) -> list[Finding]:
        """SM043 for every action the persona's scope cannot confine (with why)."""
        if self.scope is None:
            return []
        ctx = self.context()
        _, findings = apply_scope(
            self.scope, ctx, [s for a in self.activities for s in a.statements(ctx)]
        )
        return findings

    def lint(self, account_id: str | None = None, region: str | None = None) -> list[Finding]:
        """Findings about this persona's policies (see :data:`secureml.FINDING_CODES`)."""
        # The linter imports Persona: importing it here avoids the cycle.
        from secureml.policy import lint_persona  # noqa: PLC0415

        return lint_persona(self, account_id=account_id, region=region)

    def check(
        self, account_id: str | None = None, region: str | None = None, *, explain: bool = True
    ) -> CheckReport:
        """Prove the persona works and its guard-rails hold: every workflow its
        activities enable (:data:`secureml.workflows.WORKFLOWS`) is evaluated
        against its packed policies and must be allowed, and every guard-rail
        violation of those requests (no VPC, a foreign subnet or key, another
        account, region, role or bucket...) must be refused.

        With ``account_id``/``region`` the policies are scoped to them (and the
        other-account/region violations checked); without, they are built with
        wildcards and the requests use an example account in ``us-east-1``.
        AWS managed policies and the permissions boundary are not evaluated.

        >>> import secureml as sm
        >>> c = sm.Compute("team-a-compute", buckets=["team-a-data"])
        >>> c.check(account_id="111122223333", region="us-east-1").passed
        True
        """
        # Workflows sit above personas: imported when called.
        from secureml.workflows import check  # noqa: PLC0415

        return check(self, account_id=account_id, region=region, explain=explain)

    # -- deriving personas -------------------------------------------------------

    def with_activities(self, *activities: ActivityLike) -> Persona:
        """A persona with these activities added (replacing any of the same class),
        given as instances, classes or Role Manager names (a class or a name adds
        the activity with the persona's inputs).

        >>> import secureml as sm
        >>> ops = sm.MLOps("ops", pass_roles=["c"]).without_activities("Manage Endpoints")
        >>> [a.name for a in ops.with_activities("Manage Endpoints").activities][-1]
        'Manage Endpoints'
        """
        return attrs.evolve(self, activities=(*self.activities, *activities))

    def without_activities(self, *activities: ActivityLike) -> Persona:
        """A persona without these activities, given by class, instance or name.

        Naming an activity the persona does not have is an error, so a typo
        never leaves a permission in place.
        """
        drop: set[type[Activity]] = set()
        for item in activities:
            cls = _act.as_activity_class(item)
            if not any(type(a) is cls for a in self.activities):
                have = [a.name for a in self.activities]
                raise ValidationError(
                    f"persona {self.name!r} has no activity {getattr(cls, 'name', cls)!r}; "
                    f"it has {have}"
                )
            drop.add(cls)
        return attrs.evolve(
            self, activities=tuple(a for a in self.activities if type(a) not in drop)
        )

    def with_managed_policies(self, *arns: str) -> Persona:
        """A persona with these AWS (or customer) managed policy ARNs attached too."""
        return attrs.evolve(self, managed_policies=(*self.managed_policies, *arns))

    def with_permissions_boundary(self, arn: str | None) -> Persona:
        """A persona whose role has this permissions boundary (``None`` removes it)."""
        return attrs.evolve(self, permissions_boundary=arn)

    def with_scope(self, scope: Scope | None) -> Persona:
        """A persona confined to ``scope`` (``None`` removes the scope).

        >>> import secureml as sm
        >>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["c"])
        >>> scoped = ds.with_scope(sm.Scope(name_prefix="team-a-"))
        >>> sorted({r.rsplit(":", 1)[1] for s in scoped.statements("111122223333", "us-east-1")
        ...         for r in s.resources if "training-job" in r})  # pipelines-*: a pipeline's
        ['training-job/pipelines-*', 'training-job/team-a-*']
        """
        return attrs.evolve(self, scope=scope)

    def with_tags(self, **tags: str) -> Persona:
        """A persona with these tags added to its role and permission set."""
        return attrs.evolve(self, tags={**self.tags, **tags})

    def with_settings(
        self,
        *,
        network: NetworkSettings | None = None,
        encryption: EncryptionSettings | None = None,
        guardrails: Guardrails | None = None,
    ) -> Persona:
        """A persona with these guard-rail settings (the ones given replace the persona's)."""
        return attrs.evolve(
            self,
            network=self.network if network is None else network,
            encryption=self.encryption if encryption is None else encryption,
            guardrails=self.guardrails if guardrails is None else guardrails,
        )

    # -- deployable resources ----------------------------------------------------

    def role(
        self,
        name: str | None = None,
        path: str = "/",
        *,
        adopt: bool = False,
    ) -> Role:
        """This persona as an IAM role (a :class:`~secureml.Role` resource for a
        :class:`~secureml.Blueprint`); the role's name defaults to the persona's."""
        # Resources need boto3, which `import secureml` must not load.
        from secureml.resources import Role  # noqa: PLC0415

        return Role.from_persona(self, name=name, path=path, adopt=adopt)

    def permission_set(
        self,
        name: str | None = None,
        session_duration: str | float | timedelta = "PT1H",
        **kwargs: Any,
    ) -> PermissionSet:
        """This persona as an IAM Identity Center permission set (a
        :class:`~secureml.PermissionSet` resource); the name defaults to the persona's.
        ``session_duration`` is ``"PT8H"``, hours (``8``) or a ``timedelta``."""
        from secureml.resources import PermissionSet  # noqa: PLC0415

        return PermissionSet.from_persona(
            self, name=name, session_duration=duration_text(session_duration), **kwargs
        )


@functools.lru_cache(maxsize=64)
def _packed_documents(
    persona: Persona, account_id: str, region: str
) -> tuple[PolicyDocument, ...]:
    # Packing takes tens of milliseconds and a check evaluates hundreds of
    # requests per persona; personas are immutable, so the result is reusable.
    return tuple(persona.policy_documents(account_id, region))


class PersonaOptions(TypedDict, total=False):
    """The keyword arguments every persona builder takes beside its name and data
    inputs (one typed signature for :func:`DataScientist`, :func:`MLOps` and
    :func:`Compute`; a key left out keeps :class:`Persona`'s default).

    ``pass_roles`` (personas or role names/ARNs) are the execution roles the
    persona may pass to SageMaker; ``activities`` replaces the kind's defaults;
    ``scope`` confines it to its team's SageMaker resources (:class:`~secureml.Scope`).
    """

    pass_roles: Iterable[Persona | str]
    activities: Iterable[ActivityLike] | None
    network: NetworkSettings | None
    encryption: EncryptionSettings | None
    guardrails: Guardrails | None
    scope: Scope | None
    managed_policies: Iterable[str]
    permissions_boundary: str | None
    tags: Mapping[str, str] | None
    description: str | None
    max_session_duration: str | float | timedelta


_OPTIONS = frozenset(PersonaOptions.__annotations__)


def _build(
    kind: PersonaKind, name: str, options: PersonaOptions, **inputs: Iterable[str]
) -> Persona:
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:  # what a signature written out would have refused
        raise TypeError(f"{kind}() got an unexpected keyword argument {unknown[0]!r}")
    given: dict[str, Any] = {**inputs, **options}
    activities = given.pop("activities", None)
    acts = (
        _activities(activities) if activities is not None
        else tuple(cls() for cls in PERSONA_BUILDERS[kind].defaults)
    )
    roles = given.get("pass_roles")
    if isinstance(roles, Iterable) and not isinstance(roles, str | Persona):
        given["pass_roles"] = roles = list(roles)  # read twice: names and personas
    given["role_personas"] = roles
    return Persona(name=name, kind=kind, activities=acts, **given)


def DataScientist(  # noqa: N802 - a builder that reads like a class, as in the design
    name: str,
    *,
    buckets: Iterable[str] = (),
    workgroups: Iterable[str] = (),
    glue_databases: Iterable[str] = (),
    **options: Unpack[PersonaOptions],
) -> Persona:
    """A Data Scientist persona with Role Manager's defaults: Run Studio
    Applications, Manage ML Jobs, Manage Models, Manage Experiments, Search and
    Visualize Experiments, S3 Bucket Access (on ``buckets``).

    ``workgroups`` and ``glue_databases`` feed Query Athena Workgroups and
    Manage AWS Glue Tables when added; ``options`` are the
    :class:`PersonaOptions` every builder takes (``pass_roles``, ``activities``,
    ``network``, ``encryption``, ``guardrails``, ``managed_policies``,
    ``permissions_boundary``, ``tags``, ``description``, ``max_session_duration``,
    ``scope``).
    """
    return _build(
        "DataScientist", name, options,
        buckets=buckets, workgroups=workgroups, glue_databases=glue_databases,
    )


def MLOps(  # noqa: N802
    name: str,
    **options: Unpack[PersonaOptions],
) -> Persona:
    """An MLOps persona with Role Manager's defaults: Run Studio Applications,
    Manage Models, Manage Endpoints, Manage Pipelines, Search and Visualize
    Experiments. It has no S3 data access (an S3 activity is an error);
    ``options`` are the :class:`PersonaOptions` every builder takes."""
    return _build("MLOps", name, options)


def Compute(  # noqa: N802
    name: str,
    *,
    buckets: Iterable[str] = (),
    ecr_repositories: Iterable[str] = (),
    workgroups: Iterable[str] = (),
    glue_databases: Iterable[str] = (),
    **options: Unpack[PersonaOptions],
) -> Persona:
    """A SageMaker Compute persona (the execution role of jobs, models and
    endpoints) with Role Manager's default: Access Required AWS Services, on
    ``buckets`` and ``ecr_repositories``.

    The default activity passes no role. ``pass_roles`` (one of the
    :class:`PersonaOptions` every builder takes) serves activities added for a
    role that starts SageMaker work itself (a pipeline's role passing itself to
    its steps' jobs with Manage ML Jobs or Manage Pipelines); ``workgroups`` and
    ``glue_databases`` serve Query Athena Workgroups and Manage AWS Glue Tables.
    """
    return _build(
        "Compute", name, options, buckets=buckets, ecr_repositories=ecr_repositories,
        workgroups=workgroups, glue_databases=glue_databases,
    )


def Inference(  # noqa: N802
    name: str,
    *,
    model_buckets: Iterable[str] = (),
    ecr_repositories: Iterable[str] = (),
    **options: Unpack[PersonaOptions],
) -> Persona:
    """A serving persona: the execution role of SageMaker models and endpoints,
    with Serve Models only: read model artifacts in ``model_buckets``, pull
    images from ``ecr_repositories``, write the endpoint's logs and metrics;
    nothing else (no training data, no SageMaker API, no role to pass).

    MLOps passes it to ``CreateModel`` in place of a Compute role, so a
    deployed model never runs with access to training data. ``options`` are
    the :class:`PersonaOptions` every builder takes.

    >>> import secureml as sm
    >>> serving = sm.Inference("team-a-serving", model_buckets=["team-a-models"])
    >>> [a.name for a in serving.activities], serving.buckets
    (['Serve Models'], ('team-a-models',))
    """
    return _build(
        "Inference", name, options, buckets=model_buckets, ecr_repositories=ecr_repositories,
    )


@attrs.frozen
class KindBuilder:
    """What one persona kind is built from: its builder, its default activities, the
    data inputs the builder takes (read from its signature) and those it refuses, with
    why. :data:`PERSONA_BUILDERS` is the one home of these facts (the blueprint file
    reads them)."""

    builder: Callable[..., Persona]
    defaults: tuple[type[Activity], ...]
    refused: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The builder's own keyword inputs (``buckets``...), beside :class:`PersonaOptions`."""
        params = inspect.signature(self.builder).parameters.values()
        return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


_DATA = "MLOps personas have no data access; give {} to a DataScientist or Compute persona"
_ECR = "only Compute and Inference personas take ecr_repositories"
_MODELS = "only Inference personas take model_buckets (the buckets they read models from)"
_SERVING = "Inference personas only serve models: {}"

PERSONA_BUILDERS: Mapping[PersonaKind, KindBuilder] = MappingProxyType({
    "DataScientist": KindBuilder(DataScientist, _act.DATA_SCIENTIST_DEFAULTS, {
        "ecr_repositories": _ECR, "model_buckets": _MODELS,
    }),
    "MLOps": KindBuilder(MLOps, _act.MLOPS_DEFAULTS, {
        "buckets": _DATA.format("buckets"), "ecr_repositories": _ECR,
        "workgroups": _DATA.format("workgroups"),
        "glue_databases": _DATA.format("glue_databases"), "model_buckets": _MODELS,
    }),
    "Compute": KindBuilder(Compute, _act.COMPUTE_DEFAULTS, {"model_buckets": _MODELS}),
    "Inference": KindBuilder(Inference, _act.INFERENCE_DEFAULTS, {
        "buckets": _SERVING.format("give the buckets of model artifacts as model_buckets"),
        "pass_roles": _SERVING.format("they pass no role"),
        "workgroups": _SERVING.format("no Athena"), "glue_databases": _SERVING.format("no Glue"),
    }),
})
"""Every persona kind (:data:`~secureml.policy.PERSONA_KINDS`) and what it is built from."""
