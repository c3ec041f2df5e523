"""JSON-ready views of secureml's values, made by cattrs.

:func:`json_converter` is the one set of rules (tuples become lists, enums
their values); :func:`view_hook` lays out one class's view: the attrs fields
cattrs unstructures, beside values the class computes (properties), in the
order the view shows them. Each value's module registers its hooks on a
converter of its own, so no module changes another's.

cattrs is imported here, and this module only by ``engine`` and ``resources``:
``import secureml`` does not load it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, TypeAlias

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

__all__ = ["FIELD", "Layout", "as_is", "json_converter", "view_hook"]


def json_converter() -> cattrs.Converter:
    """A new converter that unstructures to what ``json.dumps`` takes: attrs
    classes as dicts, tuples as lists, enums as their values.

    >>> class Level(enum.StrEnum):
    ...     HIGH = "high"
    >>> json_converter().unstructure({"levels": (Level.HIGH,)})
    {'levels': ['high']}
    >>> type(json_converter().unstructure(Level.HIGH))
    <class 'str'>
    """
    converter = cattrs.Converter(unstruct_collection_overrides={tuple: list})
    # cattrs takes a StrEnum (Severity) for the str it also is and keeps it.
    converter.register_unstructure_hook(enum.StrEnum, attrgetter("value"))
    return converter


def as_is(value: Any) -> Any:
    """A hook that keeps a value as it is (a state that is JSON-ready already)."""
    return value


FIELD = None
"""In a :func:`view_hook` layout: the entry is the attrs field of that name."""

Layout: TypeAlias = Mapping[str, Callable[[Any], Any] | None]
"""A view's keys in order, each :data:`FIELD` or a function of the value."""


def view_hook(
    converter: cattrs.Converter,
    cls: type,
    layout: Layout,
    **fields: Any,
) -> Callable[[Any], dict[str, Any]]:
    """An unstructure hook for the attrs class ``cls``: a dict whose keys are
    ``layout``'s, in its order. An entry of :data:`FIELD` (``None``) is the attrs
    field of that name as cattrs unstructures it (``fields`` holds cattrs
    ``override(...)`` for any of them); any other entry is a function of the
    value (a property, a count), unstructured by ``converter``. Fields not in
    ``layout`` are left out.

    >>> @attrs.frozen
    ... class Pair:
    ...     left: tuple[int, ...]
    ...     right: int
    ...     @property
    ...     def total(self) -> int:
    ...         return sum(self.left) + self.right
    >>> c = json_converter()
    >>> view = view_hook(c, Pair, {"total": lambda p: p.total, "left": FIELD})
    >>> view(Pair((1, 2), 3))
    {'total': 6, 'left': [1, 2]}
    """
    overrides: dict[str, Any] = {
        a.name: override(omit=True) for a in attrs.fields(cls) if a.name not in layout
    }
    overrides.update(fields)
    unstructure_fields: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
        cls, converter, **overrides
    )

    def hook(value: Any) -> dict[str, Any]:
        data = unstructure_fields(value)
        return {
            key: data[key] if get is FIELD else converter.unstructure(get(value))
            for key, get in layout.items()
        }

    return hook
