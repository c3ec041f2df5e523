"""Retry rules, as named tenacity values in one module.

botocore's own retries are turned off for secureml's clients (``max_attempts``
1) so that every retry is decided here, with an injectable ``sleep`` that lets
tests run the rules in milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs
import tenacity
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

__all__ = [
    "EVENTUAL_CONSISTENCY_CODES",
    "RETRYABLE_CODES",
    "THROTTLING_CODES",
    "Polled",
    "RetryPolicy",
    "error_code",
    "is_retryable",
]

log = logging.getLogger("secureml.aws.retry")

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "Rate exceeded",
        "RequestThrottled",
        "PriorRequestNotComplete",
        "LimitExceededException",  # sso-admin uses it for rate, not only quota
    }
)
"""Error codes AWS uses for throttling."""

RETRYABLE_CODES = THROTTLING_CODES | frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceFailure",
        "ConflictException",  # Identity Center: another operation on the same object
        "ConcurrentModification",
        "ConcurrentModificationException",
        "OperationAbortedException",  # S3: a conflicting operation on the bucket
    }
)
"""Error codes that are always worth another try."""

EVENTUAL_CONSISTENCY_CODES = frozenset(
    {
        "NoSuchEntity",  # IAM: a role or policy just created, not yet visible everywhere
        "MalformedPolicyDocument",  # a principal/role ARN just created, not yet resolvable
        "InvalidParameterValue",
        "InsufficientS3BucketPolicyException",  # CloudTrail: bucket policy not yet visible
        "InvalidS3BucketNameException",
    }
)
"""Codes retried only after a write to the same resource (see ``RetryPolicy.call``)."""


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError``, else ``None``."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


# What botocore's own standard mode retries: no connection, connection closed,
# connect and read timeouts, a response cut short.
_NETWORK_ERRORS = (BotocoreConnectionError, HTTPClientError)


def is_retryable(exc: BaseException) -> bool:
    """Throttling (by code or HTTP 429), 5xx, request timeouts, conflicts and
    network errors (no connection, connection closed, timeouts)."""
    if isinstance(exc, _NETWORK_ERRORS):
        return True
    if isinstance(exc, ClientError):
        if error_code(exc) in RETRYABLE_CODES:
            return True
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return isinstance(status, int) and (status >= 500 or status == 429)
    return False


class _OutOfTime(tenacity.stop.stop_base):
    """Stop before a wait that would end past ``max_delay`` after the first try.

    The waits asked of ``sleep`` count even when it returns at once (tests, or a
    sleep cut short), so the bound does not rest on the clock alone."""

    def __init__(self, max_delay: float) -> None:
        self.max_delay = max_delay

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        elapsed = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return elapsed + retry_state.upcoming_sleep > self.max_delay


@attrs.frozen
class RetryPolicy:
    """How secureml retries AWS calls.

    Jittered exponential backoff from ``initial`` seconds up to ``maximum`` a
    wait, for at most ``max_attempts`` tries and ``max_delay`` seconds in all:
    no wait starts that would end past ``max_delay`` after the first try, so a
    call takes at most ``max_delay`` plus one try. Time counts both the clock
    and the waits asked of ``sleep``, which is injectable: tests pass a
    recorder, never really sleep, and still see the bound.

    >>> calls = []
    >>> policy = RetryPolicy(sleep=calls.append)
    >>> policy.call(lambda: 42)
    42
    """

    initial: float = 0.5
    maximum: float = 20.0
    max_attempts: int = 8
    max_delay: float = 120.0
    sleep: Callable[[float], None] = attrs.field(default=tenacity.nap.sleep, eq=False)

    def _retrying(
        self, extra_codes: frozenset[str], give_up: Callable[[BaseException], bool] | None,
        description: str,
    ) -> tenacity.Retrying:
        def retryable(exc: BaseException) -> bool:
            if give_up is not None and give_up(exc):
                return False
            return is_retryable(exc) or error_code(exc) in extra_codes

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info(
                "%s: retry %d after %s (%s)",
                description,
                state.attempt_number,
                error_code(exc) if exc else None,
                exc,
            )

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(retryable),
            wait=tenacity.wait_random_exponential(multiplier=self.initial, max=self.maximum),
            stop=tenacity.stop_after_attempt(self.max_attempts) | _OutOfTime(self.max_delay),
            sleep=self.sleep,
            reraise=True,
            before_sleep=before_sleep,
        )

    def call(
        self,
        fn: Callable[[], T],
        *,
        extra_codes: frozenset[str] = frozenset(),
        give_up: Callable[[BaseException], bool] | None = None,
        description: str = "AWS call",
    ) -> T:
        """Call ``fn``, retrying retryable errors and also ``extra_codes`` (for
        instance :data:`EVENTUAL_CONSISTENCY_CODES` right after a create), but never
        an error ``give_up`` accepts (a conflict that is final, not transient)."""
        result: Any = self._retrying(extra_codes, give_up, description)(fn)
        return result  # type: ignore[no-any-return]

    def call_attempts(
        self,
        fn: Callable[[int], T],
        *,
        extra_codes: frozenset[str] = frozenset(),
        description: str = "AWS call",
    ) -> T:
        """Like :meth:`call`, giving ``fn`` the attempt number (1 for the first try),
        for calls whose retry must first look whether a lost try was carried out.

        >>> RetryPolicy(sleep=lambda s: None).call_attempts(lambda attempt: attempt)
        1
        """
        results: list[T] = []
        for attempt in self._retrying(extra_codes, None, description):
            with attempt:
                results.append(fn(attempt.retry_state.attempt_number))
        return results[-1]

    def poll(
        self,
        fn: Callable[[], T],
        *,
        until: Callable[[T], bool],
        timeout: float,
        initial: float,
        maximum: float,
    ) -> Polled[T]:
        """Call ``fn`` until ``until(result)``, waiting ``initial`` seconds after the
        first call and twice as long each time up to ``maximum``; no wait starts that
        would end past ``timeout`` (the waits asked of ``sleep`` count, as for retries).
        Returns the last result (``until`` may still be false: out of time) and the
        seconds waited; errors of ``fn`` propagate (``fn`` retries its own calls).

        >>> waits = []
        >>> results = iter(["IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"])
        >>> polled = RetryPolicy(sleep=waits.append).poll(
        ...     lambda: next(results), until=lambda s: s != "IN_PROGRESS",
        ...     timeout=60, initial=1, maximum=5)
        >>> polled.result, polled.waited, waits
        ('SUCCEEDED', 3.0, [1.0, 2.0])
        """
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(lambda result: not until(result)),
            wait=tenacity.wait_exponential(multiplier=initial, max=maximum),
            stop=_OutOfTime(timeout),
            sleep=self.sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        result: T = retrying(fn)
        return Polled(result, float(retrying.statistics.get("idle_for", 0.0)))


@attrs.frozen
class Polled(Generic[T]):
    """What :meth:`RetryPolicy.poll` ended with: the last result and the seconds waited."""

    result: T
    waited: float
