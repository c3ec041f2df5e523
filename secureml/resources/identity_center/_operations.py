"""Identity Center's asynchronous operations, carried to the end.

``CreateAccountAssignment``, ``DeleteAccountAssignment`` and
``ProvisionPermissionSet`` return a request id and an ``IN_PROGRESS`` status;
the work is done when a ``Describe...Status`` call says ``SUCCEEDED`` (or
``FAILED``, with a reason). botocore has no waiters for sso-admin, so this
module polls with :meth:`RetryPolicy.poll <secureml.aws.RetryPolicy.poll>`
(tenacity: the context's injectable sleep and a bounded total wait).

Assignment operations run in a sliding window of at most
:data:`MAX_IN_FLIGHT` requests (AWS processes at most 10
``CreateAccountAssignment`` calls at a time per instance): a new request is
sent as soon as an earlier one finishes, without threads.

Identity Center throttles all its APIs together at about 20 requests per
second; :func:`limit_rate` puts every ``sso-admin`` request of a run (reads,
writes, polls, retries, from any thread) through one :class:`RateLimiter` at
:data:`REQUESTS_PER_SECOND`, so reads made in parallel stay under the quota
instead of being throttled and retried.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from secureml.errors import AWSCallError, ProvisioningError

if TYPE_CHECKING:
    from secureml.aws import AwsContext, Polled

__all__ = [
    "BURST",
    "MAX_IN_FLIGHT",
    "POLL_INITIAL",
    "POLL_MAXIMUM",
    "REQUESTS_PER_SECOND",
    "WAIT_TIMEOUT",
    "AssignmentOp",
    "RateLimiter",
    "limit_rate",
    "provision_permission_set",
    "run_assignment_ops",
]

log = logging.getLogger("secureml.resources.identity_center")

MAX_IN_FLIGHT = 10
"""Assignment requests in flight at once (the Identity Center limit for creations)."""

POLL_INITIAL = 1.0
"""Seconds before the first status poll; the interval doubles up to :data:`POLL_MAXIMUM`."""

POLL_MAXIMUM = 5.0
"""Longest pause between two rounds of status polls."""

WAIT_TIMEOUT = 900.0
"""Seconds of waiting (the sum of the pauses) after which an operation still in
progress is reported as an error; the next ``apply()`` picks it up again."""

REQUESTS_PER_SECOND = 20.0
"""Identity Center's collective throttle: its APIs together take about 20
requests per second (an AWS quota that cannot be raised)."""

BURST = 10
"""Requests that may go at once before the rate applies (AWS's bucket allows bursts
too; staying below it leaves room for other callers of the same instance)."""

_DONE = frozenset({"SUCCEEDED", "FAILED"})


@attrs.define
class RateLimiter:
    """A token bucket shared by every thread of a run.

    :meth:`acquire` reserves the next free slot under a lock and then waits
    for it outside the lock (GCRA: a "theoretical arrival time" moves on by
    ``1 / rate`` per request; up to ``burst`` requests may be early). The
    wait goes through ``sleep``, which tests replace with one that returns at
    once, so they never really wait.

    >>> waits = []
    >>> limiter = RateLimiter(rate=10.0, burst=2, sleep=waits.append, clock=lambda: 0.0)
    >>> [round(limiter.acquire(), 2) for _ in range(4)]
    [0.0, 0.0, 0.1, 0.2]
    """

    rate: float
    burst: int = 1
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _tat: float = attrs.field(default=float("-inf"), init=False, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def acquire(self) -> float:
        """Wait until one more request may be sent; return the seconds waited."""
        interval = 1.0 / self.rate
        with self._lock:
            now = self.clock()
            start = max(self._tat, now)
            wait = start - (self.burst - 1) * interval - now
            self._tat = start + interval
        if wait > 0:
            self.sleep(wait)
            return wait
        return 0.0


def limit_rate(ctx: AwsContext, service: str = "sso-admin") -> RateLimiter:
    """Put every request of ``ctx``'s ``service`` client through one
    :class:`RateLimiter` at :data:`REQUESTS_PER_SECOND` (installed once per
    context and region; the wait uses the context's retry ``sleep``)."""

    def install() -> RateLimiter:
        limiter = RateLimiter(REQUESTS_PER_SECOND, BURST, sleep=ctx.retry.sleep)

        def before_call(**_: Any) -> None:
            # Must return None: a value returned here would be taken as the response.
            limiter.acquire()

        # before-call fires once per attempt, so retries are paced as well.
        ctx.client(service).meta.events.register(f"before-call.{service}", before_call)
        return limiter

    limiter: RateLimiter = ctx.cached(f"secureml.rate-limit:{service}", install)
    return limiter


@attrs.frozen
class AssignmentOp:
    """One account assignment to create or delete."""

    account: str
    principal_type: Literal["GROUP", "USER"]
    principal_id: str
    permission_set_arn: str
    target: str
    """What it concerns, for messages: ``group 'X' -> permission set 'Y' in account Z``."""

    def params(self, instance_arn: str) -> dict[str, Any]:
        """The request parameters of Create/DeleteAccountAssignment."""
        return {
            "InstanceArn": instance_arn,
            "TargetId": self.account,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": self.permission_set_arn,
            "PrincipalType": self.principal_type,
            "PrincipalId": self.principal_id,
        }


def _out_of_time(operation: str, resource: str, what: str, waited: float,
                 timeout: float) -> AWSCallError:
    return AWSCallError(
        resource,
        operation,
        f"{what} still IN_PROGRESS after waiting {waited:.0f}s "
        f"(limit {timeout:.0f}s); AWS keeps working on it and the next apply "
        "resumes from what it finds",
    )


def run_assignment_ops(
    ctx: AwsContext,
    instance_arn: str,
    ops: Sequence[AssignmentOp],
    *,
    delete: bool,
    resource: str,
    max_in_flight: int = MAX_IN_FLIGHT,
    timeout: float = WAIT_TIMEOUT,
) -> list[AssignmentOp]:
    """Create (or delete) every assignment in ``ops`` and wait for each to finish.

    At most ``max_in_flight`` requests are outstanding at once. When one ends
    in ``FAILED`` no new request is sent, the ones in flight are waited for (so
    the account is in a known state), and :class:`~secureml.errors.ProvisioningError`
    is raised with AWS's failure reason and the assignment concerned. Returns
    the operations that succeeded, in the order they finished.
    """
    verb = "Deletion" if delete else "Creation"
    operation = "DeleteAccountAssignment" if delete else "CreateAccountAssignment"
    start = "delete_account_assignment" if delete else "create_account_assignment"
    describe = f"describe_account_assignment_{verb.lower()}_status"
    status_key = f"AccountAssignment{verb}Status"
    id_param = f"AccountAssignment{verb}RequestId"
    queue = list(ops)
    queue.reverse()  # pop() from the end keeps the caller's order
    pending: dict[str, AssignmentOp] = {}
    done: list[AssignmentOp] = []
    failures: list[tuple[AssignmentOp, str]] = []
    waited = 0.0

    def settle(op: AssignmentOp, status: dict[str, Any]) -> bool:
        state = status.get("Status")
        if state == "SUCCEEDED":
            log.info("%s: %s succeeded", operation, op.target)
            done.append(op)
            return True
        if state == "FAILED":
            reason = str(status.get("FailureReason") or "no reason given")
            log.warning("%s: %s FAILED: %s", operation, op.target, reason)
            failures.append((op, reason))
            return True
        return False

    def poll_round() -> int:
        """One status call per pending request; how many finished."""
        finished = [
            request_id
            for request_id, op in list(pending.items())
            if settle(
                op,
                ctx.call(
                    "sso-admin",
                    describe,
                    resource=resource,
                    InstanceArn=instance_arn,
                    **cast(dict[str, Any], {id_param: request_id}),
                )[status_key],
            )
        ]
        for request_id in finished:
            del pending[request_id]
        return len(finished)

    def keep_polling(finished: int) -> bool:
        # A finished request frees a slot: send the next ones before polling again.
        return bool(pending) and (not finished or not queue)

    while queue or pending:
        while queue and not failures and len(pending) < max_in_flight:
            op = queue.pop()
            status = ctx.call("sso-admin", start, resource=resource, **op.params(instance_arn))[
                status_key
            ]
            if not settle(op, status):
                pending[str(status["RequestId"])] = op
        if failures:
            queue.clear()
        if not pending:
            continue
        # Polled at once, then after growing pauses until one finishes; each wave of
        # progress starts the pauses again, and all of them count against ``timeout``.
        first = next(iter(pending.values()))
        polled = ctx.retry.poll(
            poll_round, until=lambda finished: not keep_polling(finished),
            timeout=timeout - waited, initial=POLL_INITIAL, maximum=POLL_MAXIMUM,
        )
        waited += polled.waited
        if keep_polling(polled.result):
            raise _out_of_time(
                operation, resource, f"{len(pending)} request(s), e.g. {first.target},",
                waited, timeout,
            )
    if failures:
        op, reason = failures[0]
        more = f" (and {len(failures) - 1} more failed)" if len(failures) > 1 else ""
        raise ProvisioningError(operation, op.target + more, reason)
    return done


def _provisioning(
    ctx: AwsContext, instance_arn: str, resource: str, started: dict[str, Any], timeout: float
) -> Polled[dict[str, Any]]:
    """A provisioning request followed to its end (or ``timeout``): its first answer,
    then its status after growing pauses."""

    def describe() -> dict[str, Any]:
        return cast(dict[str, Any], ctx.call(
            "sso-admin",
            "describe_permission_set_provisioning_status",
            resource=resource,
            InstanceArn=instance_arn,
            ProvisionPermissionSetRequestId=started["RequestId"],
        )["PermissionSetProvisioningStatus"])

    statuses = itertools.chain([started], iter(describe, None))
    return ctx.retry.poll(
        lambda: next(statuses), until=lambda s: s.get("Status") in _DONE,
        timeout=timeout, initial=POLL_INITIAL, maximum=POLL_MAXIMUM,
    )


def provision_permission_set(
    ctx: AwsContext,
    instance_arn: str,
    permission_set_arn: str,
    *,
    target: str,
    resource: str,
    accounts: Iterable[str] | None = None,
    timeout: float = WAIT_TIMEOUT,
) -> None:
    """Push a permission set's latest version to the accounts it is provisioned to.

    With ``accounts=None`` one ``ALL_PROVISIONED_ACCOUNTS`` request covers
    them all; otherwise one request per account. Each request is polled until
    it ends; ``FAILED`` raises :class:`~secureml.errors.ProvisioningError`.
    """
    requests: list[dict[str, Any]] = []
    if accounts is None:
        requests.append({"TargetType": "ALL_PROVISIONED_ACCOUNTS"})
    else:
        requests.extend({"TargetType": "AWS_ACCOUNT", "TargetId": a} for a in accounts)
    waited = 0.0
    for extra in requests:
        where = f"{target} in account {extra['TargetId']}" if "TargetId" in extra else target
        started = ctx.call(
            "sso-admin",
            "provision_permission_set",
            resource=resource,
            InstanceArn=instance_arn,
            PermissionSetArn=permission_set_arn,
            **extra,
        )["PermissionSetProvisioningStatus"]
        polled = _provisioning(ctx, instance_arn, resource, started, timeout - waited)
        waited += polled.waited
        status = polled.result
        if status.get("Status") not in _DONE:
            raise _out_of_time("ProvisionPermissionSet", resource, where, waited, timeout)
        if status["Status"] == "FAILED":
            reason = str(status.get("FailureReason") or "no reason given")
            raise ProvisioningError("ProvisionPermissionSet", where, reason)
        log.info("ProvisionPermissionSet: %s succeeded", where)
