"""Which resource kinds exist, so that pruning finds every kind without engine changes.

A kind registers by being a concrete subclass of
:class:`~secureml.resources.Resource` that has been imported; importing
:mod:`secureml.resources` imports every kind secureml ships. Third-party kinds
register the same way (subclass and import).
"""

from __future__ import annotations

import importlib
import inspect

from secureml.resources import Resource

__all__ = ["resource_kinds"]


def _subclasses(cls: type[Resource]) -> list[type[Resource]]:
    found: list[type[Resource]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def resource_kinds() -> dict[str, type[Resource]]:
    """Every registered resource kind, by ``kind`` name, in a stable order.

    Abstract classes and classes without a ``kind`` are skipped; when two
    classes claim one ``kind`` the first defined wins (subclasses that only
    refine behaviour keep their parent's discovery).
    """
    importlib.import_module("secureml.resources")
    kinds: dict[str, type[Resource]] = {}
    for sub in _subclasses(Resource):  # type: ignore[type-abstract]
        kind = getattr(sub, "kind", None)
        if not isinstance(kind, str) or inspect.isabstract(sub):
            continue
        kinds.setdefault(kind, sub)
    return dict(sorted(kinds.items()))
