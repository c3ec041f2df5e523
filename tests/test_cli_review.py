"""Safe apply from the command line: apply asks before any change and says first
when it grants new access; plan --out / apply --plan carry out exactly a reviewed
plan; kept orphans make plan exit 2 and say --prune; destroy asks, then deletes
everything the blueprint owns."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import ONE_ROLE, TWO_ROLES, _file, _run, _Tty

from secureml.cli import _local, main
from secureml.cli._session import make_session


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with _local.emulator() as url:
        yield url


@pytest.fixture
def local(emulator: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Arguments for a fresh emulator, and no terminal unless a test gives one."""
    _local.reset(emulator)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return ["--local", "--endpoint-url", emulator]


def test_apply_asks_before_creating_and_says_it_grants_access(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _file(tmp_path, ONE_ROLE)

    code, out, err = _run(capsys, "apply", path, *local)  # no terminal, no --yes
    assert code == 1
    assert "this apply would make 1 change(s) and there is no terminal" in err
    assert main(["plan", path, *local]) == 2  # nothing was created

    monkeypatch.setattr(sys, "stdin", _Tty("no\n"))
    code, out, err = _run(capsys, "apply", path, *local)
    assert code == 1
    assert "+ create IAM role c1" in out  # the plan is shown before the question
    grant = err.index("secureml: this change grants new access:\n  IAM role c1: new")
    assert grant < err.index("Apply 1 change(s)? Type 'yes' to continue: ")
    assert "cancelled; nothing was changed" in err

    monkeypatch.setattr(sys, "stdin", _Tty("yes\n"))
    code, out, _ = _run(capsys, "apply", path, *local)
    assert code == 0
    assert "Applied blueprint 'cli-test': 1 change(s) made" in out


def test_a_saved_plan_is_applied_exactly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local: list[str],
) -> None:
    path = _file(tmp_path, TWO_ROLES)
    planfile = str(tmp_path / "reviewed.json")

    code, _, err = _run(capsys, "plan", path, *local, "--out", planfile)
    assert code == 2
    assert f"plan saved to {planfile}" in err
    saved = json.loads(Path(planfile).read_text())
    assert saved["format"] == "secureml-plan/1"
    assert [c["key"] for c in saved["changes"]] == ["iam-role/c1", "iam-role/c2"]

    # No terminal and no --yes: the reviewed plan is the consent.
    code, out, _ = _run(capsys, "apply", path, *local, "--plan", planfile)
    assert code == 0, out
    assert "Applied blueprint 'cli-test': 2 change(s) made" in out
    assert main(["plan", path, *local]) == 0


def test_a_saved_plan_is_refused_when_the_account_moved(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local: list[str], emulator: str,
) -> None:
    path = _file(tmp_path, ONE_ROLE)
    planfile = str(tmp_path / "reviewed.json")
    assert main(["plan", path, *local, "--out", planfile]) == 2
    iam = make_session(region="us-east-1", endpoint_url=emulator, fake_credentials=True)
    iam.client("iam").create_role(  # someone else's apply got there first
        RoleName="c1", AssumeRolePolicyDocument="{}",
        Tags=[{"Key": "secureml:blueprint", "Value": "cli-test"}],
    )
    capsys.readouterr()

    code, out, err = _run(capsys, "apply", path, *local, "--plan", planfile, "-o", "json")

    assert code == 1
    [error] = json.loads(out)["errors"]
    assert error["type"] == "PlanChangedError"
    assert error["removed"] == ["create iam-role/c1"]
    assert error["added"] == ["update iam-role/c1"]
    assert f"no longer matches the reviewed plan {planfile}" in err
    assert f"secureml plan {path} --out {planfile}" in err


def test_a_saved_plan_of_another_blueprint_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local: list[str],
) -> None:
    planfile = tmp_path / "other.json"
    planfile.write_text(json.dumps({"format": "secureml-plan/1", "blueprint": "other"}))

    code, _, err = _run(capsys, "apply", _file(tmp_path, ONE_ROLE), *local, "--plan",
                        str(planfile))

    assert code == 1
    assert "the plan is for blueprint 'other', this file is blueprint 'cli-test'" in err


def test_kept_orphans_make_plan_exit_2_in_cli_terms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local: list[str],
) -> None:
    assert main(["apply", _file(tmp_path, TWO_ROLES, "two.yaml"), *local, "--yes"]) == 0
    capsys.readouterr()

    code, out, _ = _run(capsys, "plan", _file(tmp_path, ONE_ROLE), *local)

    assert code == 2
    assert "1 no longer in the blueprint, kept (run apply --prune to delete them)" in out
    assert "prune=True" not in out


def test_destroy_asks_then_deletes_everything_the_blueprint_owns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _file(tmp_path, TWO_ROLES)
    assert main(["apply", path, *local, "--yes"]) == 0
    capsys.readouterr()

    code, _, err = _run(capsys, "destroy", path, *local)
    assert code == 1
    assert "destroy would delete 2 resource(s) (iam-role/c" in err
    assert "iam-role/c1" in err
    assert "iam-role/c2" in err

    monkeypatch.setattr(sys, "stdin", _Tty("yes\n"))
    code, out, err = _run(capsys, "destroy", path, *local)
    assert code == 0, err
    assert "Destroy blueprint 'cli-test': delete 2 resource(s)" in err
    assert "Applied blueprint 'cli-test': 2 change(s) made" in out

    code, out, _ = _run(capsys, "destroy", path, *local)
    assert code == 0
    assert "Nothing to destroy" in out
