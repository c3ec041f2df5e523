"""Checking the rest of a file after a value that cannot be read.

A blueprint file is read in two steps: its shape (types, known keys, enums,
activity names) and then what it means (names, references, sizes). A mistake
in the shape used to stop the second step, so a file with nine mistakes took
three runs to see them all. Here a value that cannot be read is set aside (a
misspelt choice such as a persona's kind read as the closest known one,
anything else removed with the key that holds it) and the shape read again, so the second step
still runs over everything else; problems that only follow from what was set
aside ("required key missing") are not reported twice.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from secureml.blueprint_file._convert import Problem
from secureml.blueprint_file._yaml import Path

__all__ = ["recover"]

_ROUNDS = 8


def _holder(data: Any, path: Path) -> Path | None:
    """The path of the mapping key that holds the value at ``path``: the key
    itself, or for a list item the key of the list (never a list index, which
    would shift the items after it)."""
    node = data
    last_key: Path | None = None
    for i, part in enumerate(path):
        if isinstance(part, str) and isinstance(node, dict):
            last_key = path[: i + 1]
            node = node.get(part)
        elif isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        else:
            break
    return last_key


def _get(data: Any, path: Path) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def _set(data: Any, path: Path, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _pop(data: Any, path: Path) -> None:
    parent = _get(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def recover(
    data: Any,
    found: list[Problem],
    structure: Callable[[Any], tuple[Any, list[Problem]]],
) -> tuple[Any, Any, list[Problem], list[Path]]:
    """Read the shape of ``data`` again without the values ``found`` refused.

    Returns the structured spec (``None`` when even that fails), the data it
    was read from, the new problems found on the way (not those that only follow
    from a value set aside) and the paths whose missing values are explained by
    a problem already reported.
    """
    data = copy.deepcopy(data)
    more: list[Problem] = []
    set_aside: list[Path] = []
    spec = None
    pending = list(found)
    for _ in range(_ROUNDS):
        changed = False
        for problem in pending:
            path = problem.path
            # A misspelt choice (a kind) is read as the closest one, so the rest of its
            # item is still checked; a misspelt name elsewhere is only set aside.
            guess = problem.guess
            try:
                current = _get(data, path) if path else None
            except (KeyError, IndexError, TypeError):
                current = None
            if guess and isinstance(current, str) and path:
                _set(data, path, guess)  # checked as if the closest choice
                changed = True
                continue
            holder = _holder(data, path)
            if holder is not None:
                _pop(data, holder)
                set_aside.append(holder)
                changed = True
        if not changed:
            break
        spec, again = structure(data)
        pending = [p for p in again if not _follows(p, set_aside)]
        more.extend(pending)
        if spec is not None:
            break
    return spec, data, more, [p[:-1] for p in set_aside]


def _follows(problem: Problem, set_aside: list[Path]) -> bool:
    """Whether ``problem`` only says that a value set aside is missing."""
    path = problem.path
    return any(path[: len(p)] == p for p in set_aside) or (
        problem.missing and any(p[: len(path)] == path for p in set_aside)
    )
