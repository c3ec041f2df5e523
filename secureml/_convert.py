"""attrs converters shared by the value classes (personas, settings, resources)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

__all__ = ["duration_text", "frozen_tags", "string_tuple"]

def duration_text(value: Any) -> Any:
    """A session duration as ISO-8601 text: hours (``8``, ``1.5``) and
    ``timedelta`` values become ``PT#H#M#S``; text (and anything else, for the
    class's validation to report) is kept as given.

    >>> duration_text(8), duration_text(1.5), duration_text(timedelta(minutes=90))
    ('PT8H', 'PT1H30M', 'PT1H30M')
    >>> duration_text("PT4H")
    'PT4H'
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = value * 3600
    else:
        return value
    if seconds <= 0 or seconds != int(seconds):
        return value  # not a whole number of seconds: validation says what is allowed
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"),
                                                       (secs, "S")) if n)


def string_tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """A str or an iterable of str as a tuple, duplicates dropped, order kept.

    Entries are not checked here: the class's validation reports bad ones with
    the field's name.

    >>> string_tuple("a"), string_tuple(["b", "a", "b"]), string_tuple(None)
    (('a',), ('b', 'a'), ())
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(dict.fromkeys(value))


def frozen_tags(value: Mapping[str, str] | None) -> Mapping[str, str]:
    """Tags as a read-only mapping sorted by key (a frozen value holds no dict).

    >>> dict(frozen_tags({"team": "a", "cost": "ml"}))
    {'cost': 'ml', 'team': 'a'}
    """
    return MappingProxyType(dict(sorted((value or {}).items())))
