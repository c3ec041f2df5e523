"""How often a Data Scientist's activity tree is built, from construction to an
applied role and permission set (moto, no network).

Each build walks every activity's statements, merges and compacts them; the
resources keep what they derive (``resources._base.Memo``), so the count should
stay at one per account/region/partition a resource needs: 3 for the role
(validation with a placeholder account, the real account, findings) and 1 for
the permission set, and 0 more for apply.

Run: ``PYTHONPATH=. python benchmarks/bench_persona_walk.py``
"""

from __future__ import annotations

import collections
from typing import Any

import secureml as sm
from secureml import personas
from secureml.testing import mock_session


def main() -> None:
    builds: collections.Counter[str] = collections.Counter()
    original = personas.Persona.statements

    def counted(self: personas.Persona, *args: Any, **kwargs: Any) -> Any:
        builds["activity tree"] += 1
        return original(self, *args, **kwargs)

    personas.Persona.statements = counted  # type: ignore[method-assign]
    try:
        stages: list[tuple[str, int]] = []
        ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
        role = ds.role()
        stages.append(("persona.role()", builds["activity tree"]))
        ps = ds.permission_set(session_duration="PT8H")
        stages.append(("persona.permission_set()", builds["activity tree"]))
        bp = sm.Blueprint("walk", [role, ps])
        with mock_session() as session:
            bp.plan(session)
            stages.append(("blueprint.plan()", builds["activity tree"]))
            bp.apply(session)
            stages.append(("blueprint.apply() (plans again)", builds["activity tree"]))
    finally:
        personas.Persona.statements = original  # type: ignore[method-assign]
    print("activity tree builds, cumulative:")
    for stage, count in stages:
        print(f"  {stage:34} {count}")


if __name__ == "__main__":
    main()
