"""attrs converters shared by the value classes (personas, settings, resources).

Each converter checks the shape it takes at the public boundary and raises
:class:`~secureml.ValidationError` naming the field, the value and what is
allowed (never ``TypeError``): ``buckets=5`` or ``tags=[("a", "b")]`` is a
mistake to explain, not a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from secureml.errors import Problem, ValidationError

__all__ = ["as_items", "describe", "duration_text", "frozen_tags", "string_tuple"]


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
    if not math.isfinite(seconds) or seconds <= 0 or seconds != int(seconds):
        return value  # not a whole number of seconds: validation says what is allowed
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"),
                                                       (secs, "S")) if n)


_SHOWN = 80


def describe(value: object) -> str:
    """A short, safe description of a value for a message: its repr, cut at 80
    characters, with the type when that is not plain from the repr.

    >>> describe(5), describe("x" * 100)[-12:], describe(b"ab")
    ('5 (an int)', 'x... (a str)', "b'ab' (bytes)")
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    try:
        shown = repr(value)
    except Exception:  # a user object whose __repr__ fails still gets a message
        shown = f"<{type(value).__name__} object>"
    if len(shown) > _SHOWN:
        shown = shown[: _SHOWN - 3] + "..."
    kind = type(value).__name__
    if isinstance(value, str) and len(repr(value)) <= _SHOWN:
        return shown
    if isinstance(value, bytes):
        return f"{shown} (bytes)"
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"{shown} ({article} {kind})"


def as_items(value: object, field: str, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple of items, or a :class:`~secureml.ValidationError` when it is
    not a list-like (a number, None, a mapping, bytes).

    >>> as_items(["a"], "buckets", "bucket names")
    ('a',)
    """
    if isinstance(value, (Mapping, bytes, bytearray, str)) or not isinstance(value, Iterable):
        raise ValidationError(
            Problem(
                (field,),
                value,
                f"{field}: {describe(value)} is not a list of {what}; give a list, "
                f"e.g. {field}=[...]",
            )
        )
    try:
        return tuple(value)
    except ValidationError:
        raise
    except Exception as exc:  # a generator that fails: say so, in our terms
        raise ValidationError(
            Problem((field,), value, f"{field}: could not read the items ({exc})")
        ) from None


def string_tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """A str or an iterable of str as a tuple, duplicates dropped, order kept.

    Entries are not checked here: the class's validation reports bad ones with
    the field's name. So that it can, a value that is not a list (a number, a
    mapping, bytes) becomes a one-item tuple holding it, never a ``TypeError``.

    >>> string_tuple("a"), string_tuple(["b", "a", "b"]), string_tuple(None), string_tuple(5)
    (('a',), ('b', 'a'), (), (5,))
    """
    if value is None:
        return ()
    if isinstance(value, (str, Mapping, bytes, bytearray)) or not isinstance(value, Iterable):
        return (value,)  # type: ignore[return-value]
    try:
        items = tuple(value)
    except Exception:  # an iterable that fails: checked (and refused) as one value
        return (value,)  # type: ignore[return-value]
    out: list[Any] = []
    for item in items:
        if not any(item is o or (_hashable(item) and _hashable(o) and item == o) for o in out):
            out.append(item)
    return tuple(out)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def frozen_tags(value: Mapping[str, str] | None) -> Mapping[str, str]:
    """Tags as a read-only mapping sorted by key (a frozen value holds no dict);
    keys and values must be text.

    >>> dict(frozen_tags({"team": "a", "cost": "ml"}))
    {'cost': 'ml', 'team': 'a'}
    """
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError(
            Problem(
                ("tags",),
                value,
                f"tags: {describe(value)} is not a mapping of tag keys to values; give a dict, "
                "e.g. {'team': 'a'}",
            )
        )
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise ValidationError(
                Problem(
                    ("tags", key if isinstance(key, str) else describe(key)),
                    item,
                    f"tags: {describe(key)}: {describe(item)} is not a tag; keys and values "
                    "are text",
                )
            )
    return MappingProxyType(dict(sorted(value.items())))
