"""The persona kinds: the Role Manager personas secureml builds (one home for the list)."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

__all__ = ["PERSONA_KINDS", "PersonaKind"]

PersonaKind: TypeAlias = Literal["DataScientist", "MLOps", "Compute", "Inference"]
"""A persona's kind: which Role Manager persona it starts from."""

PERSONA_KINDS: tuple[PersonaKind, ...] = get_args(PersonaKind)
"""Every persona kind, in the order the documentation lists them."""
