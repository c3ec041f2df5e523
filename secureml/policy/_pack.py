"""Packing statements into as few size-limited policy documents as possible."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from secureml.errors import PolicyTooLargeError
from secureml.policy._document import PolicyDocument, Statement, merge_statements, policy_size
from secureml.policy._limits import LIMITS

__all__ = ["pack_statements"]

_EMPTY = PolicyDocument()
_OVERHEAD = _EMPTY.size  # {"Version":...,"Statement":[]}


def _stmt_size(stmt: Statement) -> int:
    return policy_size(json.dumps(stmt.to_dict(), separators=(",", ":")))


def _split(stmt: Statement, budget: int) -> list[Statement]:
    """Split an ``Action`` statement that is larger than ``budget`` into several
    with the same scope; together they grant exactly what it granted."""
    if _stmt_size(stmt) <= budget:
        return [stmt]
    if stmt.not_actions or len(stmt.actions) < 2:
        raise PolicyTooLargeError(
            f"a statement of {_stmt_size(stmt)} characters cannot fit in a policy of "
            f"{budget + _OVERHEAD} characters and cannot be split without changing its meaning: "
            f"{stmt.to_dict()}",
            sizes=[_stmt_size(stmt)],
            limit=budget + _OVERHEAD,
        )
    half = len(stmt.actions) // 2
    return _split(stmt.with_actions(stmt.actions[:half]), budget) + _split(
        stmt.with_actions(stmt.actions[half:]), budget
    )


def pack_statements(
    statements: Iterable[Statement],
    *,
    max_chars: int = LIMITS["managed policy"].max_chars,
    max_documents: int | None = None,
    what: str = "policy",
) -> list[PolicyDocument]:
    """Pack statements into the fewest documents of at most ``max_chars`` each.

    Statements with the same scope are merged first; a statement too large on
    its own has its action list split (never a ``NotAction`` list). Packing is
    first-fit decreasing, deterministic for a given input. With
    ``max_documents``, more documents than that raise
    :class:`~secureml.errors.PolicyTooLargeError` with the sizes.

    >>> docs = pack_statements([Statement(actions="s3:GetObject", resources="*")])
    >>> len(docs), docs[0].size <= 6144
    (1, True)
    """
    budget = max_chars - _OVERHEAD
    pieces: list[Statement] = []
    for stmt in merge_statements(statements):
        pieces.extend(_split(stmt, budget))
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
