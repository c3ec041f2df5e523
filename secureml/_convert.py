"""attrs converters shared by the value classes (personas, settings, resources)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["frozen_tags", "string_tuple"]


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
