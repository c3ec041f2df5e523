"""Independent AWS reads on a few threads at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["parallel_map"]

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    max_workers: int,
    *,
    thread_name_prefix: str = "secureml",
) -> list[R]:
    """``[fn(item) for item in items]``, in that order, on up to ``max_workers``
    threads (one thread per item at most; none for one item or ``max_workers``
    1). The first exception an item raised is raised again.

    boto3 clients are thread-safe, so independent reads of one
    :class:`~secureml.aws.AwsContext` can overlap; AWS's rate limits, paced by
    the retry policy (and Identity Center's rate limiter), bound the pace.

    >>> parallel_map(lambda n: n * n, [1, 2, 3], max_workers=2)
    [1, 4, 9]
    """
    if max_workers <= 1 or len(items) <= 1:
        return [fn(i) for i in items]
    workers = min(max_workers, len(items))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name_prefix) as pool:
        return list(pool.map(fn, items))
