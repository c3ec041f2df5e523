"""Dependency order, cycles and "what is ready now", with :mod:`graphlib`.

Resources name the keys they depend on (:meth:`Resource.dependencies
<secureml.resources.Resource.dependencies>`); dependencies outside the set at
hand are ignored (they exist already, or validation reports them).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secureml.resources import Resource

__all__ = ["dependency_order", "find_cycle", "sorter"]


def sorter(waits_for: Mapping[str, Iterable[str]]) -> TopologicalSorter[str]:
    """A prepared :class:`graphlib.TopologicalSorter` of ``waits_for`` (key -> keys it
    waits for; keys outside the mapping are dropped). Raises :class:`graphlib.CycleError`."""
    ts: TopologicalSorter[str] = TopologicalSorter()
    for key, deps in waits_for.items():
        ts.add(key, *(d for d in deps if d in waits_for))
    ts.prepare()
    return ts


def _graph(resources: Sequence[Resource]) -> dict[str, list[str]]:
    return {r.key: list(r.dependencies()) for r in resources}


def dependency_order(resources: Sequence[Resource]) -> list[Resource]:
    """``resources`` ordered so that each comes after those it depends on, otherwise
    keeping the given order: of the resources ready at each step, the one given first
    comes first (dependencies outside ``resources`` are ignored; a cycle, which
    validation reports, leaves its members in the given order at the end)."""
    by_key = {r.key: r for r in resources}
    index = {key: i for i, key in enumerate(by_key)}
    try:
        ts = sorter(_graph(resources))
    except CycleError:
        return list(resources)
    ready: list[int] = []
    out: list[Resource] = []
    while ts.is_active():
        for key in ts.get_ready():
            heapq.heappush(ready, index[key])
        key = list(by_key)[heapq.heappop(ready)]
        out.append(by_key[key])
        ts.done(key)
    return out


def find_cycle(resources: Sequence[Resource]) -> list[str]:
    """A dependency cycle among ``resources`` as keys, each depending on the next and
    starting and ending with the first one given (empty when there is none)."""
    try:
        sorter(_graph(resources))
    except CycleError as exc:
        # graphlib lists a cycle from dependant to dependency reversed: turn it round.
        cycle = list(reversed(exc.args[1]))[:-1]
        order = [r.key for r in resources]
        start = min(range(len(cycle)), key=lambda i: order.index(cycle[i]))
        cycle = cycle[start:] + cycle[:start]
        return [*cycle, cycle[0]]
    return []
