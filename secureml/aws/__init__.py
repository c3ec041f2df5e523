"""The AWS layer: the per-run context (session, clients, paginators) and retry rules."""

from secureml.aws._context import AwsContext, SessionLike, resolve_session
from secureml.aws._retry import (
    EVENTUAL_CONSISTENCY_CODES,
    RETRYABLE_CODES,
    THROTTLING_CODES,
    Polled,
    RetryPolicy,
    error_code,
    is_retryable,
)

__all__ = [
    "EVENTUAL_CONSISTENCY_CODES",
    "RETRYABLE_CODES",
    "THROTTLING_CODES",
    "AwsContext",
    "Polled",
    "RetryPolicy",
    "SessionLike",
    "error_code",
    "is_retryable",
    "resolve_session",
]
