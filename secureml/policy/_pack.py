"""Packing statements into as few size-limited policy documents as possible."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import attrs

from secureml.errors import PolicyTooLargeError, ValidationError
from secureml.policy._document import PolicyDocument, Statement, merge_statements, policy_size
from secureml.policy._limits import LIMITS

__all__ = ["pack_statements"]

_EMPTY = PolicyDocument()
_OVERHEAD = _EMPTY.size  # {"Version":...,"Statement":[]}


def _stmt_size(stmt: Statement) -> int:
    return policy_size(json.dumps(stmt.to_dict(), separators=(",", ":")))


def _split(stmt: Statement, budget: int) -> list[Statement]:
    """Split a statement larger than ``budget`` into several with the same
    effect and conditions that together grant (or deny) exactly what it did.

    An ``Action`` list and a ``Resource`` list are unions, so either can be
    halved; ``NotAction``/``NotResource`` lists and conditions are not (halving
    them would widen the statement), so those never split.
    """
    size = _stmt_size(stmt)
    if size <= budget:
        return [stmt]
    # Halve whichever splittable list is longer (in characters): fewer pieces.
    candidates = []
    if len(stmt.actions) > 1:
        candidates.append((sum(map(len, stmt.actions)), "actions"))
    if len(stmt.resources) > 1:
        candidates.append((sum(map(len, stmt.resources)), "resources"))
    if not candidates:
        raise PolicyTooLargeError(
            f"a statement of {size} characters cannot fit in a policy of "
            f"{budget + _OVERHEAD} characters and cannot be split without changing its meaning "
            f"(its Action and Resource lists have one entry each, or it uses NotAction/"
            f"NotResource): {stmt.to_dict()}",
            sizes=[size],
            limit=budget + _OVERHEAD,
        )
    if max(candidates)[1] == "actions":
        half = len(stmt.actions) // 2
        first = attrs.evolve(stmt, actions=stmt.actions[:half])
        second = attrs.evolve(stmt, actions=stmt.actions[half:])
    else:
        half = len(stmt.resources) // 2
        first = attrs.evolve(stmt, resources=stmt.resources[:half])
        second = attrs.evolve(stmt, resources=stmt.resources[half:])
    return _split(first, budget) + _split(second, budget)


def pack_statements(
    statements: Iterable[Statement],
    *,
    max_chars: int = LIMITS["managed policy"].max_chars,
    max_documents: int | None = None,
    what: str = "policy",
) -> list[PolicyDocument]:
    """Pack statements into the fewest documents of at most ``max_chars`` each.

    Statements with the same scope are merged first; a statement too large on
    its own has its ``Action`` or ``Resource`` list split (never a ``NotAction``
    or ``NotResource`` list, never a condition), so the documents together
    grant exactly what the statements did. Packing is
    first-fit decreasing, deterministic for a given input. With
    ``max_documents``, more documents than that raise
    :class:`~secureml.errors.PolicyTooLargeError` with the sizes.

    >>> docs = pack_statements([Statement(actions="s3:GetObject", resources="*")])
    >>> len(docs), docs[0].size <= 6144
    (1, True)
    """
    if max_chars <= _OVERHEAD:
        raise ValidationError(
            f"max_chars: {max_chars} is too small; an empty policy alone takes {_OVERHEAD}"
        )
    budget = max_chars - _OVERHEAD
    pieces: list[Statement] = []
    for stmt in merge_statements(statements):
        parts = _split(stmt, budget)
        if stmt.sid is not None and len(parts) > 1:
            # IAM refuses a document with a repeated Sid; number the parts.
            parts = [attrs.evolve(p, sid=f"{stmt.sid}{i}") for i, p in enumerate(parts, 1)]
        pieces.extend(parts)
    sized = sorted(((_stmt_size(s), s.sort_key(), s) for s in pieces), key=lambda t: (-t[0], t[1]))
    bins: list[tuple[int, list[Statement]]] = []
    for size, _, stmt in sized:
        for i, (used, members) in enumerate(bins):
            # one comma joins a statement to the ones before it
            if used + 1 + size <= budget:
                members.append(stmt)
                bins[i] = (used + 1 + size, members)
                break
        else:
            bins.append((size, [stmt]))
    docs = [PolicyDocument(members) for _, members in bins]
    if max_documents is not None and len(docs) > max_documents:
        sizes = [d.size for d in docs]
        raise PolicyTooLargeError(
            f"{what} needs {len(docs)} policies of at most {max_chars} characters "
            f"(sizes {sizes}, {sum(sizes)} characters in all) but at most {max_documents} "
            "can be attached; remove activities, narrow their inputs, or split the persona",
            sizes=sizes,
            limit=max_chars,
        )
    return docs


def total_size(docs: Sequence[PolicyDocument]) -> int:
    """Characters of all documents together, as IAM counts them."""
    return sum(d.size for d in docs)
