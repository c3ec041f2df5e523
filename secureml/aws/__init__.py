"""The AWS layer: the per-run context (session, clients, paginators), retry rules and
concurrent reads."""

from secureml.aws._context import AwsContext, SessionLike, resolve_session
from secureml.aws._parallel import parallel_map
from secureml.aws._retry import (
    EVENTUAL_CONSISTENCY_CODES,
    RETRYABLE_CODES,
    THROTTLING_CODES,
    Polled,
    RetryPolicy,
    error_code,
    is_retryable,
)
from secureml.aws._simulate import ContextEntry, SimulationResult, simulate_custom_policy

__all__ = [
    "EVENTUAL_CONSISTENCY_CODES",
    "RETRYABLE_CODES",
    "THROTTLING_CODES",
    "AwsContext",
    "ContextEntry",
    "Polled",
    "RetryPolicy",
    "SessionLike",
    "SimulationResult",
    "error_code",
    "is_retryable",
    "parallel_map",
    "resolve_session",
    "simulate_custom_policy",
]
