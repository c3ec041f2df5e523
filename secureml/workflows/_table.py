"""The persona-by-workflow tables the docs show, generated from the library."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from secureml.workflows._registry import WORKFLOWS

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = ["workflow_table"]


def workflow_table(
    personas: Sequence[Persona],
    *,
    headers: Sequence[str] | None = None,
    account_id: str | None = None,
    region: str | None = None,
    title: str = "Workflows by persona",
) -> str:
    """A reStructuredText ``list-table``: one row per workflow, one column per
    persona (headed by ``headers``, default ``name (kind)``); a cell says
    ``allowed``, ``REFUSED`` (a request denied), ``skipped`` (it also needs an
    activity the persona lacks, or does not apply to its settings) or ``-``
    (none of the persona's activities enables it). The last row counts the
    guard-rail violations refused.

    >>> import secureml as sm
    >>> c = sm.Compute("team-a-compute", buckets=["team-a-data"])
    >>> print(workflow_table([c], headers=["Compute"]).splitlines()[5:8])
    ['   * - ``compute-job-runtime``', '     - allowed', '   * - ``compute-default-bucket``']
    """
    from secureml.workflows._check import check_persona  # noqa: PLC0415

    reports = [check_persona(p, account_id=account_id, region=region, explain=False)
               for p in personas]
    names = list(headers) if headers is not None else [f"{p.name} ({p.kind})" for p in personas]
    rows = [["workflow", *names]]
    for name in WORKFLOWS:
        cells = []
        for report in reports:
            done = report.workflows
            if name in done:
                cells.append("allowed" if done[name] else "REFUSED")
            elif any(w == name for w, _ in report.skipped):
                cells.append("skipped")
            else:
                cells.append("-")
        if any(c != "-" for c in cells):
            rows.append([f"``{name}``", *cells])
    rows.append(
        ["guard-rail violations refused"]
        + [
            f"{sum(1 for r in rep.results if r.violation and r.passed)}"
            f"/{sum(1 for r in rep.results if r.violation)}"
            for rep in reports
        ]
    )
    out = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for row in rows:
        out.append(f"   * - {row[0]}")
        out.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(out) + "\n"
