"""The Activity base class and the context a persona gives its activities."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import ClassVar, Literal, TypeAlias

import attrs

from secureml._display import Facts, Readable
from secureml._validation import Checked
from secureml.errors import Problem
from secureml.policy import PersonaKind, Statement
from secureml.settings import EncryptionSettings, Guardrails, NetworkSettings

__all__ = ["Activity", "ActivityContext", "Input", "PersonaKind"]

Input: TypeAlias = Literal[
    "buckets", "ecr_repositories", "pass_roles", "workgroups", "glue_databases"
]


@attrs.frozen
class ActivityContext:
    """What a persona tells its activities: who it is, where it runs (account
    and region when known, else wildcards), its inputs and its guard-rails.

    >>> ctx = ActivityContext(persona="ds", kind="DataScientist", account_id="111122223333",
    ...                       region="us-east-1")
    >>> ctx.arn("sagemaker", "training-job/*")
    'arn:aws:sagemaker:us-east-1:111122223333:training-job/*'
    """

    persona: str
    kind: PersonaKind
    account_id: str | None = None
    region: str | None = None
    partition: str = "aws"
    buckets: tuple[str, ...] = ()
    ecr_repositories: tuple[str, ...] = ()
    pass_roles: tuple[str, ...] = ()
    workgroups: tuple[str, ...] = ()
    glue_databases: tuple[str, ...] = ()
    network: NetworkSettings | None = None
    encryption: EncryptionSettings | None = None
    guardrails: Guardrails | None = None

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in this context's partition, region and account (``*`` when unknown)."""
        region = (self.region or "*") if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id or '*'}:{resource}"

    def bucket_arns(self, buckets: tuple[str, ...]) -> tuple[str, ...]:
        """``arn:aws:s3:::bucket`` for each bucket."""
        return tuple(f"arn:{self.partition}:s3:::{b}" for b in buckets)

    def object_arns(self, buckets: tuple[str, ...]) -> tuple[str, ...]:
        """``arn:aws:s3:::bucket/*`` for each bucket."""
        return tuple(f"arn:{self.partition}:s3:::{b}/*" for b in buckets)

    def role_arns(self, roles: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The roles this persona may pass (or ``roles``), as ARNs; names (and
        ``/path/name``) become ARNs in this account, with the role's path."""
        return tuple(
            r
            if r.startswith("arn:")
            else f"arn:{self.partition}:iam::{self.account_id or '*'}:role/{r.lstrip('/')}"
            for r in (self.pass_roles if roles is None else roles)
        )


@attrs.frozen
class Activity(Checked, Readable, abc.ABC):
    """One ML activity: a named unit of permissions that yields IAM statements
    for a persona's context.

    Subclasses set ``name`` (the Role Manager name), ``requires`` (the persona
    inputs they cannot do without, unless the activity has its own) and
    implement :meth:`statements`. Inputs are checked when the activity is made
    (their converters refuse bad values); :meth:`problems` lists what else a
    subclass finds.
    """

    name: ClassVar[str]
    """The Role Manager name, e.g. ``"Manage ML Jobs"``."""

    requires: ClassVar[frozenset[Input]] = frozenset()
    """Persona inputs this activity needs (checked when the persona is built)."""

    data_access: ClassVar[bool] = False
    """Whether the activity reads or writes S3 data (never in an MLOps persona)."""

    def _display_title(self) -> str:
        return f"activity {self.name!r} ({type(self).__name__})"

    def _display_facts(self) -> Facts:
        from secureml._describe import activity_facts  # noqa: PLC0415 - imports activities

        return activity_facts(self)
    widens: ClassVar[str | None] = None
    """Why the activity grants more than a persona's named resources (lint
    reports it as SM040 in every plan), or ``None``."""

    workflows: ClassVar[tuple[str, ...]] = ()
    """Names of the workflows (:data:`secureml.workflows.WORKFLOWS`) this activity
    enables: ``persona.check()`` proves each is allowed."""

    @abc.abstractmethod
    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        """The statements this activity grants in ``ctx``."""

    def missing_inputs(self, ctx: ActivityContext) -> list[Problem]:
        """Problems with this activity's inputs in ``ctx`` (empty when it can be built):
        each has the missing input's name as its path and ``None`` as its value."""
        return [
            Problem(
                (field,),
                None,
                f"activity {self.name!r} needs {field} (give {field}=[...] to the persona"
                f"{' or the activity' if hasattr(self, field) else ''})",
            )
            for field in sorted(self.requires)
            if not (getattr(self, field, None) or getattr(ctx, field, None))
        ]
