"""``secureml explain``: exit 0 allowed, 2 denied, 1 error; text and JSON.

Offline: the persona's policies are built from the file and evaluated
locally, so no AWS (nor emulator) is involved.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from secureml.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "ml-platform.yaml")
ACCOUNT = "123456789012"
# team A's jobs are named team-a-* and tagged team=team-a (the example's scope)
JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/team-a-t1"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GUARDED = [
    "--context", "sagemaker:VpcSubnets=subnet-0a1b2c3d4e5f60718",
    "--context", "sagemaker:VpcSecurityGroupIds=sg-0123456789abcdef0",
    "--context", f"sagemaker:VolumeKmsKeyArn={KEY}",
    "--context", f"sagemaker:OutputKmsKeyArn={KEY}",
    "--context", "aws:RequestTag/team=team-a",
    "--context", "aws:TagKeys=team",
]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _explain(*extra: str) -> list[str]:
    return ["explain", EXAMPLE, "--persona", "team-a-ds", *extra]


def test_allowed_exits_0_and_names_the_deciding_statement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(
        capsys, *_explain("--action", "s3:GetObject", "--resource",
                          "arn:aws:s3:::team-a-data/train.csv", "--account-id", ACCOUNT),
    )
    assert code == 0, out
    assert "ALLOWED" in out
    assert "decided by identity policy" in out


def test_denied_exits_2_and_says_which_condition_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No subnets in the request: the VPC guard-rail refuses it, and says so.
    code, out, _ = _run(
        capsys, *_explain("--action", "sagemaker:CreateTrainingJob", "--resource", JOB),
    )
    assert code == 2, out
    assert "DENIED" in out
    assert "sagemaker:VpcSubnets" in out
    assert "would apply, but a condition failed" in out


def test_a_guarded_request_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        *_explain("--action", "sagemaker:CreateTrainingJob", "--resource", JOB, *GUARDED),
    )
    assert code == 0, out


def test_the_deprecated_kms_keys_are_reported_not_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = [g.replace("KmsKeyArn=", "KmsKey=") for g in GUARDED]
    code, out, _ = _run(
        capsys,
        *_explain("--action", "sagemaker:CreateTrainingJob", "--resource", JOB, *old),
    )
    assert code == 2, out
    assert "sagemaker:VolumeKmsKey is deprecated" in out
    assert "sagemaker:VolumeKmsKeyArn instead" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        *_explain("--action", "sagemaker:CreateTrainingJob", "--resource", JOB, "-o", "json",
                  "--context", "sagemaker:VpcSubnets=subnet-0a1b2c3d4e5f60718"),
    )
    assert code == 2
    data = json.loads(out)
    assert data["decision"] == "implicit_deny"
    assert data["allowed"] is False
    assert data["persona"] == "team-a-ds"
    assert data["account_id"] == ACCOUNT  # taken from the resource's ARN
    failed = {c["key"] for m in data["near_misses"] for c in m["conditions"] if not c["passed"]}
    assert "sagemaker:VpcSecurityGroupIds" in failed
    assert "sagemaker:VpcSubnets" not in failed


def test_unknown_persona_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        capsys, "explain", EXAMPLE, "--persona", "nobody", "--action", "s3:GetObject",
        "--resource", "arn:aws:s3:::team-a-data/x",
    )
    assert code == 1
    assert "no persona 'nobody'" in err
    assert "team-a-ds" in err


def test_strict_makes_an_odd_request_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = _explain("--action", "sagemaker:CreateTrainingJobs", "--resource", JOB)
    code, out, _ = _run(capsys, *argv)
    assert code == 2
    assert "warning: sagemaker:CreateTrainingJobs is not an action of sagemaker" in out
    code, _, err = _run(capsys, *argv, "--strict")
    assert code == 1
    assert "CreateTrainingJobs" in err


def test_bad_context_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        capsys, *_explain("--action", "s3:GetObject", "--resource", "arn:aws:s3:::team-a-data/x",
                          "--account-id", ACCOUNT, "--context", "no-equals-sign"),
    )
    assert code == 1
    assert "KEY=VALUE" in err


def test_account_needed_when_the_resource_has_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(textwrap.dedent("""
        personas:
          - {name: c1, kind: Compute, buckets: [c1-data], role: {}}
    """))
    argv = ["explain", str(path), "--persona", "c1", "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::c1-data/x"]
    code, _, err = _run(capsys, *argv)
    assert code == 1
    assert "--account-id and --region" in err
    code, out, _ = _run(capsys, *argv, "--account-id", ACCOUNT, "--region", "eu-west-1")
    assert code == 0, out
