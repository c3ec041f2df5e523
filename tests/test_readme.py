"""The README's Python tour runs as written (against moto, with no credentials)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_the_offline_tour_and_the_deploy_tour() -> None:
    blocks = _python_blocks()
    assert len(blocks) == 2
    assert "policy_document(" in blocks[0]
    assert "bp.apply(" in blocks[1]


def test_the_offline_tour_builds_policies_without_aws(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {}
    exec(_python_blocks()[0], namespace)

    printed = capsys.readouterr().out
    assert '"Version": "2012-10-17"' in printed
    assert all(d.size <= 6144 for d in namespace["docs"])
    assert namespace["findings"] == []
    assert "Query Athena Workgroups" in [a.name for a in namespace["ds2"].activities]
    assert "Manage Experiments" not in [a.name for a in namespace["ds2"].activities]


def test_the_deploy_tour_runs_as_written_offline(capsys: pytest.CaptureFixture[str]) -> None:
    # No session fixture, no setup: mock_session(bp) in the block seeds what the
    # tour assumes exists (the DataScientists group, the data bucket).
    namespace: dict[str, Any] = {}
    exec(_python_blocks()[0], namespace)

    exec(_python_blocks()[1], namespace)

    plan, result = namespace["plan"], namespace["result"]
    assert plan.counts()["create"] == 8
    assert "+ create IAM role team-a-ds" in capsys.readouterr().out
    assert len(result.applied) == 8
    assert "boto3.Session()" in _python_blocks()[1]  # the real-account line is shown
