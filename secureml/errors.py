"""The secureml exception hierarchy.

Every error secureml raises on purpose is a :class:`SecureMLError`. Where a
builtin fits, the error subclasses it too, so callers that already catch
``ValueError`` or ``LookupError`` keep working (the pattern attrs uses for
``FrozenError(AttributeError)``).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AWSCallError",
    "ConvergenceError",
    "CredentialsError",
    "NotFoundError",
    "OwnershipError",
    "PlanChangedError",
    "PolicyTooLargeError",
    "ProvisioningError",
    "SecureMLError",
    "ValidationError",
]


class SecureMLError(Exception):
    """Base class of every error secureml raises on purpose."""


class ValidationError(SecureMLError, ValueError):
    """Input that secureml refuses before any AWS call.

    ``problems`` lists every problem found (a blueprint is validated whole, so
    several can be reported at once); ``str()`` joins them, one per line.

    >>> err = ValidationError(["persona 'x': bad", "persona 'y': worse"])
    >>> err.problems
    ("persona 'x': bad", "persona 'y': worse")
    >>> print(err)
    2 problems:
    - persona 'x': bad
    - persona 'y': worse
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(
                f"- {p}" for p in self.problems
            )
        super().__init__(message)


class PolicyTooLargeError(ValidationError):
    """Policies that cannot fit in the IAM quotas, with the sizes that did not fit."""

    def __init__(self, message: str, *, sizes: Sequence[int] = (), limit: int = 0) -> None:
        self.sizes: tuple[int, ...] = tuple(sizes)
        self.limit = limit
        super().__init__(message)


class OwnershipError(SecureMLError):
    """A resource of the same name exists but is not owned by this blueprint.

    secureml never changes or deletes such a resource unless it is told to
    adopt it (``adopt=True`` on the resource).
    """

    def __init__(self, resource: str, detail: str) -> None:
        self.resource = resource
        super().__init__(
            f"{resource} exists but is not owned by this blueprint ({detail}); "
            "secureml will not change it. Pass adopt=True on the resource to take it over, "
            "or choose another name."
        )


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

    ``operation`` is the API name and ``resource`` the blueprint resource it
    was made for; the original botocore exception is chained as ``__cause__``.
    """

    def __init__(self, resource: str, operation: str, message: str) -> None:
        self.resource = resource
        self.operation = operation
        super().__init__(f"{resource}: {operation} failed: {message}")


class ProvisioningError(SecureMLError):
    """An asynchronous Identity Center operation ended in FAILED.

    ``reason`` is AWS's failure reason, ``target`` what it concerned.
    """

    def __init__(self, operation: str, target: str, reason: str) -> None:
        self.operation = operation
        self.target = target
        self.reason = reason
        super().__init__(f"{operation} for {target} FAILED: {reason}")


class ConvergenceError(SecureMLError):
    """``apply()`` stopped before the blueprint converged.

    ``applied`` lists the changes that were carried out before the failure, so
    a caller knows what is already done; the next ``apply()`` resumes.
    """

    def __init__(self, message: str, *, applied: Sequence[object] = ()) -> None:
        self.applied = tuple(applied)
        super().__init__(message)


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
