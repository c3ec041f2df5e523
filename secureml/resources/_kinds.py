"""The registry of resource kinds: a kind joins it by declaration.

The engine looks for resources a blueprint no longer lists (pruning) in every
registered kind, so a kind must be findable without a blueprint that uses it.
It registers by decorating its class with :func:`register_kind`, outside the
attrs decorator, so that the registry holds the final class (attrs replaces a
slotted class by a new one; the replaced class must never be instantiated, and
``Resource.__subclasses__()`` still lists it until the garbage collector runs).
"""

from __future__ import annotations

import inspect
import threading
from typing import TypeVar

from secureml.errors import ValidationError
from secureml.resources._base import Resource

__all__ = ["register_kind", "registered_kinds"]

R = TypeVar("R", bound=type[Resource])

# Class registry, like the codecs registry: filled by class declarations at
# import time, never by a plan or an apply, so it carries no run state.
_KINDS: dict[str, type[Resource]] = {}
_LOCK = threading.Lock()


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_kind(cls: R) -> R:
    """Register a concrete :class:`~secureml.resources.Resource` class as a kind, so
    that ``plan(prune=...)`` finds its orphans through its ``discover``; returns the
    class, so it is used as a class decorator, the outermost one:

    >>> from typing import ClassVar
    >>> import attrs
    >>> from secureml.resources import Resource, register_kind
    >>> @register_kind
    ... @attrs.frozen
    ... class Widget(Resource):
    ...     kind: ClassVar[str] = "example-widget"
    ...     name: str
    ...     def desired(self, ctx): return {}
    ...     def read(self, ctx): return None
    ...     def create(self, ctx, desired): pass
    ...     def update(self, ctx, observed, desired): pass
    ...     def delete(self, ctx, observed): pass
    >>> from secureml.engine import resource_kinds
    >>> resource_kinds()["example-widget"] is Widget
    True

    Registering a class of the same module and name again replaces it (a notebook
    cell run twice); another class claiming a registered ``kind`` is a
    :class:`~secureml.errors.ValidationError`, as is an abstract class or one
    without a ``kind``. A subclass that only refines a kind is not registered and
    leaves its parent's discovery in place.
    """
    if not (isinstance(cls, type) and issubclass(cls, Resource)):
        raise ValidationError(
            f"register_kind: {cls!r} is not a subclass of secureml.resources.Resource; "
            "only resource classes can be registered as kinds"
        )
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or not kind:
        raise ValidationError(
            f"register_kind: {_qualified(cls)} has no kind; set a class attribute "
            "kind: ClassVar[str] = '<service>-<thing>'"
        )
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise ValidationError(
            f"register_kind: {_qualified(cls)} is abstract (it does not implement {missing}); "
            "register only concrete kinds"
        )
    with _LOCK:
        known = _KINDS.get(kind)
        if known is not None and _qualified(known) != _qualified(cls):
            raise ValidationError(
                f"register_kind: kind {kind!r} is already registered by {_qualified(known)}; "
                f"{_qualified(cls)} must use another kind name"
            )
        _KINDS[kind] = cls
    return cls


def registered_kinds() -> dict[str, type[Resource]]:
    """Every registered kind, by ``kind`` name, sorted by name (a copy)."""
    with _LOCK:
        return dict(sorted(_KINDS.items()))
