"""Golden files: the canonical policy of each default persona (issue 2, point 14).

Each default persona (Role Manager's default activities, as in the design),
with and without VPC/KMS settings, for account 111122223333 in us-east-1 and
for an unknown account and region, is stored under ``tests/golden/`` as
canonical JSON (statements sorted, indent 2) and compared here. The docs
include the same files.

After an intended change to the policies, regenerate them and review the diff::

    SECUREML_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _cases import ACCOUNT, ENCRYPTION, NETWORK, REGION, default_personas

from secureml import PolicyDocument

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SECUREML_UPDATE_GOLDEN") == "1"
_SLUG = {"DataScientist": "data-scientist", "MLOps": "mlops", "Compute": "compute"}


def _cases() -> list[tuple[str, PolicyDocument]]:
    cases = []
    for secured in (False, True):
        personas = default_personas(NETWORK, ENCRYPTION) if secured else default_personas()
        for persona in personas:
            for known in (True, False):
                name = _SLUG[persona.kind] + ("-vpc-kms" if secured else "")
                name += "" if known else "-no-account"
                where = (ACCOUNT, REGION) if known else (None, None)
                cases.append((f"{name}.json", persona.policy_document(*where)))
    return cases


CASES = _cases()


def _text(doc: PolicyDocument) -> str:
    return doc.to_json(indent=2) + "\n"


@pytest.mark.parametrize(("name", "doc"), CASES, ids=[c[0] for c in CASES])
def test_policy_matches_golden_file(name: str, doc: PolicyDocument) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(_text(doc))
    assert path.exists(), f"{path} is missing; run SECUREML_UPDATE_GOLDEN=1 pytest {__file__}"
    stored = path.read_text()
    assert stored == _text(doc), (
        f"{name} differs from the persona's policy; if the change is intended, run "
        "SECUREML_UPDATE_GOLDEN=1 pytest tests/test_golden.py and review the diff"
    )
    # The stored file is canonical: it reads back to the same document.
    assert PolicyDocument.from_json(stored) == doc


def test_no_stale_golden_files() -> None:
    expected = {name for name, _ in CASES}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected


def test_golden_files_differ_where_they_should() -> None:
    docs = dict(CASES)
    plain, secured = docs["data-scientist.json"], docs["data-scientist-vpc-kms.json"]
    assert plain != secured
    assert "sagemaker:VpcSubnets" in secured.to_json()
    assert "sagemaker:VpcSubnets" not in plain.to_json()
    assert f":{ACCOUNT}:" in plain.to_json()
    assert f":{ACCOUNT}:" not in docs["data-scientist-no-account.json"].to_json()
