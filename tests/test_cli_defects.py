"""Small CLI defects, each with the test that would have caught it."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "ml-platform.yaml")


def test_a_reader_that_goes_away_is_no_traceback() -> None:
    # `secureml policies FILE -o json | head`: the reader closes the pipe early.
    proc = subprocess.Popen(
        [sys.executable, "-m", "secureml", "policies", EXAMPLE, "-o", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # before the command has written a byte
    _, err = proc.communicate(timeout=120)

    assert b"Traceback" not in err
    assert b"Broken pipe" not in err
    assert proc.returncode == 1


def test_the_retry_log_says_what_failed_and_how_long_it_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[BaseException] = [EndpointConnectionError(endpoint_url="https://dead.invalid")]
    waits: list[float] = []

    def call() -> str:
        if failures:
            raise failures.pop()
        return "ok"

    with caplog.at_level(logging.INFO, logger="secureml.aws.retry"):
        assert RetryPolicy(sleep=waits.append).call(call, description="IAM role c GetRole") == "ok"

    [retry] = [r for r in caplog.records if r.levelno == logging.INFO]
    assert f"retry 1 in {waits[0]:.1f}s after EndpointConnectionError" in retry.getMessage()
    assert "None" not in retry.getMessage()
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage() == (
        "no answer from https://dead.invalid for IAM role c GetRole "
        "(EndpointConnectionError); retrying for up to 120s, Ctrl-C to stop"
    )


def test_warnings_carry_the_secureml_prefix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(cls: Any, ctx: Any, blueprint: str) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListRoles")

    monkeypatch.setattr(sm.Role, "discover", classmethod(denied))
    path = tmp_path / "bp.yaml"
    path.write_text("blueprint: w\npersonas:\n  - {name: c1, kind: Compute, buckets: [c1-data], "
                    "role: {}}\n")

    code = main(["plan", str(path), "--local"])

    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if "could not look for iam-role" in line]
    assert lines
    assert all(line.startswith("secureml: warning: ") for line in lines)


def test_a_bad_kms_key_is_explained_with_a_kms_example() -> None:
    with pytest.raises(sm.ValidationError) as caught:
        sm.EncryptionSettings(volume_kms_key="my-key")

    message = str(caught.value)
    assert "e.g. 'arn:aws:kms:us-east-1:111122223333:key/" in message
    assert ":role/" not in message


@pytest.mark.parametrize(
    ("given", "stored"),
    [(8, "PT8H"), (1.5, "PT1H30M"), (timedelta(hours=2), "PT2H"), ("PT4H", "PT4H")],
)
def test_session_durations_in_hours_or_as_timedelta(given: Any, stored: str) -> None:
    compute = sm.Compute("c", buckets=["c-data"], max_session_duration=given)

    assert compute.max_session_duration == stored
    assert compute.role().max_session_duration == stored
    assert compute.permission_set(session_duration=given).session_duration == stored


def test_a_session_duration_out_of_range_says_the_range_in_hours() -> None:
    with pytest.raises(sm.ValidationError, match=r"'PT13H' \(13 hours\) is outside"):
        sm.Compute("c", buckets=["c-data"], max_session_duration=13)
