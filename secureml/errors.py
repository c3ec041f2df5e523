"""The secureml exception hierarchy.

Every error secureml raises on purpose is a :class:`SecureMLError`. Where a
builtin fits, the error subclasses it too, so callers that already catch
``ValueError`` or ``LookupError`` keep working (the pattern attrs uses for
``FrozenError(AttributeError)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import attrs

__all__ = [
    "AWSCallError",
    "ConvergenceError",
    "CredentialsError",
    "DeployError",
    "Failure",
    "NotFoundError",
    "OwnershipError",
    "PlanChangedError",
    "PolicyTooLargeError",
    "Problem",
    "ProvisioningError",
    "RefusalError",
    "SecureMLError",
    "ValidationError",
]


class SecureMLError(Exception):
    """Base class of every error secureml raises on purpose."""


PathPart = str | int
"""One step of a field path: an attribute or key name, or a list index."""


def _path(value: Sequence[PathPart] | PathPart) -> tuple[PathPart, ...]:
    return (value,) if isinstance(value, (str, int)) else tuple(value)


@attrs.frozen
class Problem:
    """One problem with an input, as data (the way parliament reports findings).

    ``path`` is where the bad value sits, from the object that refused it, as
    field names and list indices (``("buckets", 0)``,
    ``("encryption", "output_kms_key")``, ``("resources", 2, "bucket")``);
    ``value`` is the value refused (``None`` when a value is missing);
    ``message`` says what was wrong, what is allowed and how to fix it, and is
    what ``str()`` gives. Nobody needs to parse the message to learn where.
    ``detail`` is the message without its field label (``"'Bad' is not a valid
    S3 bucket name"`` for the message ``"buckets: 'Bad' is not ..."``), for a
    reader that shows the path already (a blueprint file's ``file:line:col``);
    it is the message when there is no label.

    >>> p = Problem(("buckets", 0), "Bad", "buckets: 'Bad' is not a valid S3 bucket name")
    >>> p.path, p.value
    (('buckets', 0), 'Bad')
    >>> str(p.within("persona 'x'"))
    "persona 'x': buckets: 'Bad' is not a valid S3 bucket name"
    >>> Problem(("buckets", 0), "Bad", "buckets: 'Bad' is bad", detail="'Bad' is bad").detail
    "'Bad' is bad"
    """

    path: tuple[PathPart, ...] = attrs.field(converter=_path)
    value: Any = attrs.field(hash=False)  # may be unhashable (a list): not in the hash
    message: str
    detail: str = attrs.field(
        default=attrs.Factory(lambda self: self.message, takes_self=True), kw_only=True
    )

    def __str__(self) -> str:
        return self.message

    @property
    def field(self) -> str:
        """The path's field names joined by dots, without list indices
        (``"encryption.output_kms_key"``, ``"buckets"``)."""
        return ".".join(p for p in self.path if isinstance(p, str))

    def within(self, where: str = "", *path: PathPart) -> Problem:
        """This problem seen from an enclosing object: ``where`` prefixes the
        message (``"persona 'x'"``) and ``path`` the field path."""
        if not where:
            return Problem((*path, *self.path), self.value, self.message, detail=self.detail)
        return Problem(
            (*path, *self.path),
            self.value,
            f"{where}: {self.message}",
            detail=f"{where}: {self.detail}",
        )

    @classmethod
    def of(cls, problem: Problem | str) -> Problem:
        """``problem`` as a :class:`Problem` (text becomes a problem with no path)."""
        return problem if isinstance(problem, Problem) else cls((), None, str(problem))


class ValidationError(SecureMLError, ValueError):
    """Input that secureml refuses before any AWS call.

    ``problems`` lists every problem found as :class:`Problem` values (a
    blueprint is validated whole, so several can be reported at once);
    ``str()`` joins their messages, one per line. It takes problems or text.

    >>> err = ValidationError(["persona 'x': bad", Problem(("kind",), "Admin", "worse")])
    >>> [str(p) for p in err.problems]
    ["persona 'x': bad", 'worse']
    >>> err.problems[1].path, err.problems[1].value
    (('kind',), 'Admin')
    >>> print(err)
    2 problems:
    - persona 'x': bad
    - worse
    """

    def __init__(self, problems: str | Problem | Sequence[str | Problem]) -> None:
        items = [problems] if isinstance(problems, (str, Problem)) else list(problems)
        self.problems: tuple[Problem, ...] = tuple(Problem.of(p) for p in items)
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(
                f"- {p}" for p in self.problems
            )
        super().__init__(message)

    def within(self, where: str = "", *path: PathPart) -> tuple[Problem, ...]:
        """Every problem seen from an enclosing object (see :meth:`Problem.within`)."""
        return tuple(p.within(where, *path) for p in self.problems)


class PolicyTooLargeError(ValidationError):
    """Policies that cannot fit in the IAM quotas, with the sizes that did not fit."""

    def __init__(self, message: str, *, sizes: Sequence[int] = (), limit: int = 0) -> None:
        self.sizes: tuple[int, ...] = tuple(sizes)
        self.limit = limit
        super().__init__(message)


ADOPT_HINT = "Pass adopt=True on the resource to take it over, or choose another name."
"""What to do about a resource this blueprint does not own (:class:`OwnershipError`)."""


class OwnershipError(SecureMLError):
    """A change secureml refuses because of what this blueprint does not own.

    Raised as is, a resource of the same name exists but is not owned by this
    blueprint: secureml never changes or deletes such a resource unless it is
    told to adopt it (``adopt=True`` on the resource), which ``hint`` says.
    Refusals that adopting would not lift are :class:`RefusalError`. Nothing was
    changed either way.

    ``resource`` is what was refused, ``detail`` why and ``hint`` what to do.

    >>> err = OwnershipError("IAM role x", "its secureml:blueprint tag is None")
    >>> err.hint == ADOPT_HINT
    True
    """

    def __init__(self, resource: str, detail: str) -> None:
        self.resource = resource
        self.detail = detail
        self.hint = ADOPT_HINT
        super().__init__(
            f"{resource} exists but is not owned by this blueprint ({detail}); "
            f"secureml will not change it. {self.hint}"
        )

    def to_dict(self) -> dict[str, Any]:
        """``resource``, ``detail`` and ``hint``, JSON-ready."""
        return {"resource": self.resource, "detail": self.detail, "hint": self.hint}


class RefusalError(OwnershipError):
    """A change secureml refuses, and adopting would not lift the refusal: deleting
    a permission set that is still assigned, a managed policy still attached to
    a role, user or group this blueprint does not own, or using a permission-set
    name that several permission sets share. Nothing was changed.

    ``operation`` is the AWS call secureml did not make (``DeletePermissionSet``),
    ``detail`` what stands in the way and ``hint`` what to do; no AWS call failed
    (that is :class:`AWSCallError`).

    >>> err = RefusalError("ps", "DeletePermissionSet", "still assigned", "unassign it")
    >>> print(err)
    ps: DeletePermissionSet refused: still assigned; unassign it
    >>> isinstance(err, OwnershipError), err.operation
    (True, 'DeletePermissionSet')
    """

    def __init__(self, resource: str, operation: str, detail: str, hint: str) -> None:
        self.resource = resource
        self.operation = operation
        self.detail = detail
        self.hint = hint
        # Not OwnershipError's message: it would advise adopt=True, which does not help.
        SecureMLError.__init__(self, f"{resource}: {operation} refused: {detail}; {hint}")

    def to_dict(self) -> dict[str, Any]:
        """``resource``, ``detail``, ``hint`` and ``operation``, JSON-ready."""
        return {**super().to_dict(), "operation": self.operation}


NO_CREDENTIALS_HINT = (
    "no AWS credentials found: set AWS_PROFILE (--profile on the command line) or "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, sign in with `aws sso login`, or try it "
    "without an account: secureml.testing.mock_session(blueprint) in Python, --local on "
    "the command line"
)
"""What to do when botocore finds no credentials: one line, for Python and the CLI."""


class CredentialsError(SecureMLError):
    """botocore found no AWS credentials (the message says where they come from
    and how to work without an account)."""

    def __init__(self, message: str = NO_CREDENTIALS_HINT) -> None:
        super().__init__(message)


class NotFoundError(SecureMLError, LookupError):
    """Something the blueprint refers to does not exist in AWS (a group, a user,
    an Identity Center instance)."""


class AWSCallError(SecureMLError):
    """An AWS call failed in a way secureml cannot retry or repair.

    ``operation`` is the API name (``CreateRole``), ``code`` AWS's error code
    (``AccessDenied``; ``None`` when the call got no answer), ``resource`` the
    blueprint resource it was made for and ``detail`` what AWS said; the
    original botocore exception is chained as ``__cause__``.

    >>> err = AWSCallError("IAM role x", "CreateRole", "AccessDenied: no", code="AccessDenied")
    >>> err.code, err.operation
    ('AccessDenied', 'CreateRole')
    """

    def __init__(
        self, resource: str, operation: str, message: str, *, code: str | None = None
    ) -> None:
        self.resource = resource
        self.operation = operation
        self.code = code
        self.detail = message
        super().__init__(f"{resource}: {operation} failed: {message}")

    def to_dict(self) -> dict[str, Any]:
        """``resource``, ``operation``, ``code`` and ``detail``, JSON-ready."""
        return {
            "resource": self.resource,
            "operation": self.operation,
            "code": self.code,
            "detail": self.detail,
        }


class ProvisioningError(SecureMLError):
    """An asynchronous Identity Center operation ended in FAILED.

    ``reason`` is AWS's failure reason, ``target`` what it concerned.
    """

    def __init__(self, operation: str, target: str, reason: str) -> None:
        self.operation = operation
        self.target = target
        self.reason = reason
        super().__init__(f"{operation} for {target} FAILED: {reason}")


class DeployError(SecureMLError):
    """A CloudFormation StackSet operation or stack of ``deploy`` did not finish well.

    ``failures`` lists the stack instances that failed, one per account and region
    (:class:`secureml.export.AccountFailure`: account, region, status and AWS's
    reason), also one per line in the message; empty for a stack.
    """

    def __init__(self, message: str, failures: Sequence[object] = ()) -> None:
        self.failures = tuple(failures)
        super().__init__("\n".join([message, *(f"- {f}" for f in self.failures)]))
@dataclass(frozen=True)
class Failure:
    """One change that failed during an apply: the resource (its key), the
    change's action, the AWS operation and error code when AWS refused
    (``None`` otherwise), the message and the class of the error (``error``:
    ``AWSCallError`` for a failed call, ``RefusalError`` or ``OwnershipError``
    for a change secureml refused, ...)."""

    resource: str
    action: str
    operation: str | None
    code: str | None
    message: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields, JSON-ready."""
        return asdict(self)


class ConvergenceError(SecureMLError):
    """``apply()`` stopped before the blueprint converged.

    ``applied`` lists the changes that were carried out before the failure, so
    a caller knows what is already done; ``failed`` the :class:`Failure` of
    each change that failed; ``not_attempted`` the changes never started. The
    next ``apply()`` resumes.
    """

    def __init__(
        self,
        message: str,
        *,
        applied: Sequence[Any] = (),
        failed: Sequence[Failure] = (),
        not_attempted: Sequence[Any] = (),
    ) -> None:
        self.applied = tuple(applied)
        self.failed = tuple(failed)
        self.not_attempted = tuple(not_attempted)
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        """``applied`` and ``not_attempted`` (``{"action", "key"}`` each) and
        ``failed`` (:meth:`Failure.to_dict` each), JSON-ready."""

        def brief(change: Any) -> dict[str, Any]:
            key = getattr(change, "key", change)
            return {"action": getattr(change, "action", None), "key": key}

        return {
            "applied": [brief(c) for c in self.applied],
            "failed": [f.to_dict() for f in self.failed],
            "not_attempted": [brief(c) for c in self.not_attempted],
        }


class PlanChangedError(SecureMLError):
    """``apply(expected=plan)`` found that the account no longer matches the
    reviewed plan: the changes it would make now differ from the ones approved.
    Nothing was changed; plan again and review.

    ``added`` and ``removed`` list the changes (``"action key"``) that differ.
    """

    def __init__(self, blueprint: str, added: Sequence[str], removed: Sequence[str]) -> None:
        self.added = tuple(added)
        self.removed = tuple(removed)
        parts = []
        if self.added:
            parts.append("now also: " + ", ".join(self.added))
        if self.removed:
            parts.append("no longer: " + ", ".join(self.removed))
        super().__init__(
            f"blueprint {blueprint!r}: the account changed since the plan was reviewed "
            f"({'; '.join(parts)}); nothing was changed. Plan again and review the new plan."
        )
