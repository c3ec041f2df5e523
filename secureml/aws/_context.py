"""The per-run AWS context: one caller-supplied session, lazily created clients,
retrying calls and paginators, the caller's account and region."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.loaders import create_loader
from botocore.paginate import Paginator, PaginatorModel

from secureml.aws._retry import RetryPolicy, error_code
from secureml.errors import AWSCallError, CredentialsError, ValidationError

if TYPE_CHECKING:
    import boto3

__all__ = ["AwsContext", "SessionLike"]

log = logging.getLogger("secureml.aws")

SessionLike: TypeAlias = "boto3.Session | Callable[[], boto3.Session] | None"
"""What every ``session=`` parameter takes: a session, a callable returning one, or
``None`` for a new default session."""

# botocore's own retries off: every retry is RetryPolicy's (secureml.aws._retry).
# snake_case operations that only read; every other operation is a write for
# note_write (the same rule as secureml.testing.READ_PREFIXES).
_READ_OPERATIONS = ("get_", "list_", "describe_", "search_", "lookup_", "head_", "simulate_")
# Parameters whose values name what a write changes (RoleName, PolicyArn, Path, ...).
_IDENTIFYING_PARAMS = ("Name", "Arn", "Path")

_CLIENT_CONFIG = Config(
    retries={"max_attempts": 1, "mode": "standard"}, user_agent_extra="secureml"
)


def resolve_session(session: SessionLike) -> boto3.Session:
    """A ``boto3.Session``, a callable returning one, or ``None`` for a new default session."""
    import boto3  # noqa: PLC0415 - boto3 loads only when AWS is used

    if session is None:
        return boto3.Session()
    if callable(session) and not isinstance(session, boto3.Session):
        session = session()
    if not isinstance(session, boto3.Session):
        raise ValidationError(
            f"session: expected a boto3.Session, a callable returning one, or None; "
            f"got {type(session).__name__}"
        )
    return session


@attrs.define
class AwsContext:
    """Everything a resource needs to talk to AWS during one plan or apply.

    Clients are created lazily, once per service, under a lock (boto3 clients
    are thread-safe, creating them from one session is not). ``call`` retries
    per the :class:`~secureml.aws.RetryPolicy`; ``paginate`` follows every
    continuation token with botocore's paginator, retrying page by page.
    ``account_id`` is read once from STS when first needed.
    """

    session: boto3.Session
    blueprint: str
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    region: str | None = None
    _clients: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)
    _key_locks: dict[str, threading.Lock] = attrs.field(factory=dict, init=False, repr=False)
    _home: AwsContext | None = attrs.field(default=None, init=False, repr=False)
    _written: dict[str, set[str]] = attrs.field(factory=dict, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.region is None:
            self.region = self.session.region_name or "us-east-1"

    def client(self, service: str) -> Any:
        """The client for ``service`` (created once, in this context's region)."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self.region,
                    config=_CLIENT_CONFIG,
                )
                self._clients[service] = client
            return client

    def call(
        self,
        service: str,
        operation: str,
        *,
        resource: str = "",
        extra_codes: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Call ``operation`` (snake_case) on ``service`` with retries.

        Errors that are not retried, or still fail after the retries, propagate
        as botocore ``ClientError`` so callers can test the code; use
        :meth:`wrap_error` to turn one into an :class:`~secureml.errors.AWSCallError`.
        """
        method = getattr(self.client(service), operation)
        if not operation.startswith(_READ_OPERATIONS):
            self.note_write(service, **kwargs)
        try:
            result: dict[str, Any] = self.retry.call(
                functools.partial(method, **kwargs),
                extra_codes=extra_codes,
                description=f"{resource or service} {operation}",
            )
        except NoCredentialsError:
            # botocore's chain of tried providers says nothing about what to do.
            raise CredentialsError() from None
        return result

    def paginate(
        self, service: str, operation: str, result_key: str, **kwargs: Any
    ) -> Iterator[Any]:
        """Yield every item under ``result_key`` across all pages of ``operation``
        (snake_case).

        botocore's paginator (:class:`botocore.paginate.Paginator`, with the
        operation's paginator model) follows the continuation tokens and takes
        its ``PaginationConfig`` (``PageSize``, ``MaxItems``, ``StartingToken``);
        each page is requested through :meth:`call`, so a throttled page is
        retried on its own, by the :class:`~secureml.aws.RetryPolicy`, and the
        listing goes on from there.
        """
        # Not client.get_paginator(): its pages call the client directly, and
        # botocore's own retries, which would then be the only ones, are off for
        # secureml's clients (see _CLIENT_CONFIG).
        client = self.client(service)
        api_name = client.meta.method_to_api_mapping.get(operation, operation)
        paginator: Paginator[dict[str, Any]] = Paginator(
            # botocore-stubs type the method as str; botocore calls it with the page's kwargs.
            functools.partial(self.call, service, operation),  # type: ignore[arg-type]
            self._paginator_config(service, operation) or {
                "input_token": "NextToken", "output_token": "NextToken", "result_key": result_key,
            },
            client.meta.service_model.operation_model(api_name),
        )
        for page in paginator.paginate(**kwargs):
            yield from page.get(result_key, [])

    def _paginator_config(self, service: str, operation: str) -> dict[str, Any]:
        """botocore's paginator model for ``operation`` (read through botocore's
        public loader; ``{}`` when the client has no paginator for it)."""

        def load() -> dict[str, Any]:
            client = self.client(service)
            if not client.can_paginate(operation):
                return {}
            model = client.meta.service_model
            paginators = PaginatorModel(
                self.cached("botocore-loader", create_loader).load_service_model(
                    model.service_name, "paginators-1", model.api_version
                )
            )
            api_name = client.meta.method_to_api_mapping.get(operation, operation)
            return dict(paginators.get_paginator(api_name))

        return dict(self.cached(f"paginator:{service}:{operation}", load))

    @property
    def account_id(self) -> str:
        """The caller's account id (one STS call, cached)."""
        def load() -> str:
            if self._home is not None:  # a regional context: the same caller
                return self._home.account_id
            return str(self.call("sts", "get_caller_identity")["Account"])

        account: str = self.cached("account_id", load)
        return account

    def for_region(self, region: str | None) -> AwsContext:
        """A context like this one for another region (S3 bucket calls go to the
        bucket's region, Identity Center calls to its home region); created once
        per region and sharing this context's session, retry policy and account id."""
        if not region or region == self.region:
            return self
        if self._home is not None:  # one regional context per region, kept by the first
            return self._home.for_region(region)

        def make() -> AwsContext:
            other = AwsContext(self.session, self.blueprint, retry=self.retry, region=region)
            # The caller is the same in every region: no second STS call (which
            # would also fail in a region whose STS endpoint is not enabled).
            other._home = self._home or self
            return other

        regional: AwsContext = self.cached(f"secureml.regional-context:{region}", make)
        return regional

    @property
    def partition(self) -> str:
        """The partition of this context's region (``aws``, ``aws-cn``, ``aws-us-gov``)."""
        return self.session.get_partition_for_region(self.region or "us-east-1")

    def cached(self, key: str, factory: Callable[[], Any]) -> Any:
        """A value computed once per context (instance lookups, account id, listings
        shared by several resources). Concurrent callers of the same key wait for
        the first one, so the calls behind it are made once."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = factory()
            with self._lock:
                self._cache[key] = value
            return value

    def forget(self, prefix: str) -> None:
        """Drop cached values whose key starts with ``prefix`` (after a write made them stale)."""
        with self._lock:
            for key in [k for k in self._cache if k.startswith(prefix)]:
                del self._cache[key]

    def note_write(self, service: str, **params: Any) -> None:
        """Record that a call which may change ``service`` is about to be made with
        ``params``. :meth:`call` does it for every operation that is not a read;
        code that calls a client directly calls it itself. Snapshots read in bulk
        for a plan (see :meth:`written`) stop answering for what was written, so a
        read after a write in the same context always asks AWS.

        It is noted before the call is sent: a call that fails or whose answer is
        lost may still have been carried out."""
        names = {
            str(value)
            for key, value in params.items()
            if isinstance(value, str) and key.endswith(_IDENTIFYING_PARAMS)
        }
        root = self._home or self
        with root._lock:
            root._written.setdefault(service, set()).update(names)

    def written(self, service: str) -> frozenset[str]:
        """The names, ARNs and paths that write calls through this context (and its
        regional contexts) have named for ``service`` so far."""
        root = self._home or self
        with root._lock:
            return frozenset(root._written.get(service, ()))

    @staticmethod
    def wrap_error(
        resource: str,
        operation: str | None,
        exc: ClientError,
        *,
        during: str = "",
        hint: str = "",
    ) -> AWSCallError:
        """An :class:`~secureml.errors.AWSCallError` for a failed call (chain it with
        ``from``): the one place a botocore ``ClientError`` becomes a secureml error.

        ``operation`` is the API name; ``None`` takes the one botocore reports
        (``CreateRole``). ``during`` says what secureml was doing (``create``),
        ``hint`` what the failure means here and what to do.
        """
        message = exc.response.get("Error", {}).get("Message", str(exc))
        api = operation or getattr(exc, "operation_name", None) or "AWS call"
        text = f"{error_code(exc)}: {message}"
        if during:
            text += f" (while {during})"
        if hint:
            text += f"; {hint}"
        return AWSCallError(resource, api, text, code=error_code(exc))
