"""The resource protocol every deployable thing implements.

The engine knows nothing about IAM, Identity Center, S3 or CloudTrail: it asks
each :class:`Resource` for its desired state, reads the current state, compares
the two as plain JSON-ready dicts, and asks the resource to carry out one
change. New resource kinds plug in by subclassing :class:`Resource`.

States are canonical dicts: policies as ``PolicyDocument.to_dict()``, lists
sorted where order does not matter, so ``desired == observed`` exactly when
nothing needs doing.
"""

from __future__ import annotations

import abc
import re
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import attrs

from secureml._display import Facts, Readable
from secureml._validation import Checked
from secureml.errors import OwnershipError, Problem
from secureml.policy import Finding

if TYPE_CHECKING:
    from secureml.aws import AwsContext

__all__ = [
    "MAX_TAGS",
    "OWNER_TAG",
    "TAG_KEY",
    "TAG_VALUE",
    "Claim",
    "Memo",
    "Observed",
    "Resource",
    "State",
    "tag_problems",
]

OWNER_TAG = "secureml:blueprint"
"""The tag every resource secureml creates carries, with the blueprint's name."""

State = dict[str, Any]

T = TypeVar("T")


@attrs.define
class Memo:
    """What a resource derives from its own input (a persona's documents, its
    findings), computed once per key and kept for the resource's life.

    A frozen resource holds one in a field that takes no part in equality, so
    validating, planning and applying it build a persona's documents once per
    account, region and partition. Two threads asking at once may both compute
    a value; one is kept, and both are the same.

    >>> memo = Memo()
    >>> memo.get("x", lambda: [1]) is memo.get("x", lambda: [2])
    True
    """

    _values: dict[Hashable, Any] = attrs.field(factory=dict)

    def get(self, key: Hashable, factory: Callable[[], T]) -> T:
        """The value for ``key``, made by ``factory`` the first time."""
        if key not in self._values:
            self._values.setdefault(key, factory())
        return cast(T, self._values[key])

TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")
TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
MAX_TAGS = 50
"""Tags a resource may carry (IAM, Identity Center and S3 allow 50), the owner tag included."""


def tag_problems(tags: Mapping[str, str], where: str, reserved: int = 1) -> list[Problem]:
    """Problems with the tags a user gives a resource (the rules IAM, Identity Center
    and S3 share: at most :data:`MAX_TAGS` with the owner tag, which the user may not
    give; keys of 1-128 and values of 0-256 letters, digits, spaces and ``_ . : / = + - @``;
    no key starting with ``aws:``), at the path ``("tags",)`` or ``("tags", KEY)``."""
    problems = []
    if len(tags) + reserved > MAX_TAGS:
        problems.append(Problem("tags", len(tags), (
            f"{len(tags)} tags; at most {MAX_TAGS - reserved} are allowed "
            f"(AWS allows {MAX_TAGS} and secureml adds {OWNER_TAG})"
        )))
    for key, value in tags.items():
        if key == OWNER_TAG:
            problems.append(Problem(
                ("tags", key), key, f"tag {OWNER_TAG!r} is set by secureml; remove it"
            ))
        elif not isinstance(key, str) or not TAG_KEY.match(key) or key.lower().startswith("aws:"):
            problems.append(Problem(("tags", str(key)), key, (
                f"tag key {key!r} is not allowed: 1-128 letters, digits, spaces and "
                "_ . : / = + - @, not starting with 'aws:'"
            )))
        if not isinstance(value, str) or not TAG_VALUE.match(value):
            problems.append(Problem(("tags", str(key)), value, (
                f"tag {key!r} value {value!r} is not allowed: 0-256 letters, digits, "
                "spaces and _ . : / = + - @"
            )))
    return [p.within(where) for p in problems]


@attrs.frozen
class Observed:
    """What ``Resource.read`` found in AWS.

    ``state`` has the same shape as ``Resource.desired`` so the two compare;
    ``owner`` is the value of the :data:`OWNER_TAG` tag (``None`` when absent);
    ``extra`` carries whatever the resource needs to update or delete it later
    (ARNs, version ids), and takes no part in comparisons.
    """

    state: State
    owner: str | None
    extra: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Claim:
    """An AWS object a resource manages, for finding conflicts inside a blueprint.

    ``target`` identifies the object (``"s3:bucket-policy:logs-b"``); with
    ``prefix`` the resource manages every object whose target starts with it
    (a role's own policy path). ``what`` names it for people. Two resources of
    one blueprint that claim the same target, or one a target under the other's
    prefix, would undo each other's changes on every apply: the blueprint is a
    :class:`~secureml.errors.ValidationError` before any call.
    """

    target: str
    what: str
    prefix: bool = False

    def overlaps(self, other: Claim) -> bool:
        """Whether the two claims cover a common object."""
        if self.prefix and other.target.startswith(self.target):
            return True
        if other.prefix and self.target.startswith(other.target):
            return True
        return self.target == other.target


class Resource(Checked, Readable, abc.ABC):
    """Base class of everything a :class:`~secureml.Blueprint` deploys.

    Subclasses are attrs classes that set ``kind`` and implement the abstract
    methods. ``key`` (``kind/name``) is unique within a blueprint.

    A resource is checked when it is made: the attrs ``__init__`` of a subclass
    calls ``__attrs_post_init__`` (inherited), which raises
    :class:`~secureml.errors.ValidationError` with every :meth:`problems` of the
    new object, so a mistake surfaces on the line that made it, before any AWS
    call. A subclass that defines its own ``__attrs_post_init__`` calls
    ``super().__attrs_post_init__()`` at its end; a kind whose ``__init__`` is
    not attrs' is checked by the :class:`~secureml.Blueprint` that holds it.
    """


    kind: ClassVar[str]
    """Short type name used in keys and plans, e.g. ``"iam-role"``."""

    taggable: ClassVar[bool] = True
    """Whether the resource carries the owner tag. Untaggable resources (account
    assignments, public access blocks) are owned through ``owned_by``."""

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The resource's name within its kind."""

    @property
    def key(self) -> str:
        """``kind/name``: unique within a blueprint."""
        return f"{self.kind}/{self.name}"

    @property
    def adopt(self) -> bool:
        """Whether to take over an existing resource not tagged for this blueprint."""
        return False

    def dependencies(self) -> Iterable[str]:
        """Keys of the blueprint's resources that must exist before this one (and
        be deleted after it). A key missing from the blueprint is a validation error
        unless the resource also lists it in :meth:`external_dependencies`."""
        return ()

    def parts(self) -> Iterable[Resource]:
        """Resources this one brings along, which a :class:`~secureml.Blueprint` adds
        after it (a large permission set's customer managed policies)."""
        return ()

    def external_dependencies(self) -> Iterable[str]:
        """Keys this resource may depend on that are allowed to be absent from the
        blueprint (because they already exist in AWS)."""
        return ()

    def problems(self) -> list[Problem]:
        """The problems of this resource's own input, found without AWS (empty when
        valid), each with the ``path`` of the field it concerns. A subclass extends
        the list its base returns; the constructor raises them (see the class).

        A kind written for an earlier secureml that defines ``validate()`` instead
        still has its problems found (with a :class:`DeprecationWarning`)."""
        legacy = getattr(self, "validate", None)
        if not callable(legacy):
            return []
        warnings.warn(
            f"{type(self).__name__}.validate() is deprecated: rename it problems() and "
            "return secureml.errors.Problem values (see the Resource class)",
            DeprecationWarning,
            stacklevel=2,
        )
        return [Problem.of(p) for p in legacy()]

    def claims(self, blueprint: str) -> Iterable[Claim]:
        """The AWS objects this resource manages in ``blueprint`` (see :class:`Claim`);
        the blueprint refuses two resources whose claims overlap. By default none
        beyond the key, which is unique in a blueprint anyway."""
        return ()

    @abc.abstractmethod
    def desired(self, ctx: AwsContext) -> State:
        """The state this resource should have (may read the account id/region from ``ctx``,
        but makes no other call)."""

    @abc.abstractmethod
    def read(self, ctx: AwsContext) -> Observed | None:
        """The current state in AWS, or ``None`` when it does not exist. Read calls only."""

    @abc.abstractmethod
    def create(self, ctx: AwsContext, desired: State) -> None:
        """Create the resource with the owner tag. Must be safe to call again after
        a failure part-way (the engine re-reads first, but a crash may leave pieces)."""

    @abc.abstractmethod
    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Bring an existing resource from ``observed`` to ``desired`` (including the
        owner tag when adopting)."""

    @abc.abstractmethod
    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the resource and everything secureml attached to it."""

    def owned_by(self, observed: Observed, blueprint: str) -> bool:
        """Whether ``observed`` belongs to ``blueprint`` (by default: its owner tag)."""
        return observed.owner == blueprint

    def ownership_error(self, observed: Observed, blueprint: str) -> OwnershipError:
        """The error the plan raises when ``observed`` is not ``blueprint``'s and the
        resource does not adopt it; a kind made of several AWS objects names the one
        that is not ours."""
        detail = (
            f"it has no {OWNER_TAG} tag"
            if observed.owner is None
            else f"its {OWNER_TAG} tag is {observed.owner!r}, not {blueprint!r}"
        )
        return OwnershipError(self.describe(), detail)

    @classmethod
    def prepare(cls, ctx: AwsContext, resources: Sequence[Resource]) -> None:
        """Called once per plan for every registered kind, before any ``read`` or
        ``discover``, with all the blueprint's resources (of every kind). A kind
        whose service offers a bulk read records here what the plan will need, so
        its reads can share one snapshot (IAM does, see
        the IAM snapshot in ``secureml.resources``). Makes no AWS call; the default
        does nothing."""
        return

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterable[Resource]:
        """Resources of this kind that may be owned by ``blueprint``, as resource
        objects whose ``read``, ``owned_by`` and ``delete`` work (for pruning).

        Candidates are enough: the engine skips keys that are in the blueprint,
        calls ``read`` on the others and keeps only those ``owned_by(blueprint)``,
        so a kind whose listing call returns no tags may return every plausible
        one (and a kind whose listing returns tags may filter them itself to save
        the reads). Use ``ctx.paginate`` for every listing. The engine calls this
        for every registered kind (every imported concrete subclass of
        :class:`Resource`) on every plan, so it must be cheap and must return
        nothing, without raising, when the service is not set up in the account.
        The default finds nothing; every kind that creates things overrides it."""
        return ()

    @classmethod
    def discover_for(
        cls, ctx: AwsContext, blueprint: str, resources: Sequence[Resource]
    ) -> Iterable[Resource]:
        """:meth:`discover`, knowing the blueprint's own ``resources`` (of every kind).

        The engine calls this one. Override it instead of :meth:`discover` when what
        to look for depends on the blueprint's content (an Identity Center instance
        configured on a resource, the targets of an assignment still in the blueprint),
        so that no other method has to record it on the side. The default calls
        :meth:`discover`."""
        return cls.discover(ctx, blueprint)

    def lint(self) -> list[Finding]:
        """Findings about this resource's desired state (made without AWS): a
        permission broader than asked for, a guard-rail turned off. The engine
        puts them in every plan, next to the resource's change, so nothing is
        widened silently."""
        return []

    def lint_in(self, account_id: str | None, region: str | None) -> list[Finding]:
        """:meth:`lint` for the account and region a plan is made in, which lets
        a kind report ARNs of another account or region (SM041); the engine
        calls this one. The default is :meth:`lint`."""
        return self.lint()

    def replacement(self, before: State, after: State) -> str | None:
        """Why going from ``before`` to ``after`` deletes and re-creates the resource
        (a setting AWS cannot change in place), or ``None`` for an update in place.
        The plan shows the reason as finding SM030 so nobody is surprised."""
        return None

    def describe(self) -> str:
        """A one-line human description for plans (defaults to the key)."""
        return self.key

    def _display_title(self) -> str:
        return self.describe()

    def _display_facts(self) -> Facts:
        from secureml.resources._facts import resource_facts  # noqa: PLC0415

        return resource_facts(self)
