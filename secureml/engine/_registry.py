"""Which resource kinds exist, so that pruning finds every kind without engine changes.

A kind registers by declaration: its class is decorated with
:func:`secureml.resources.register_kind` (outside the attrs decorator).
Importing :mod:`secureml.resources` registers every kind secureml ships;
third-party kinds register the same way, when their module is imported.
"""

from __future__ import annotations

import importlib

from secureml.resources import Resource, registered_kinds

__all__ = ["resource_kinds"]


def resource_kinds() -> dict[str, type[Resource]]:
    """Every registered resource kind, by ``kind`` name, sorted by name.

    The registry is filled by :func:`~secureml.resources.register_kind`, never
    by walking ``Resource.__subclasses__()``: that list still holds the classes
    attrs replaced until the garbage collector runs, and one of those cannot
    be instantiated.
    """
    importlib.import_module("secureml.resources")
    return registered_kinds()
