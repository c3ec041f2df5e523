"""The ``secureml`` command: every command and exit code, in-process through
``main(argv)`` and, for a few, as a real subprocess.

AWS is moto's server running in this process (``secureml.cli._local``): the
commands talk to it over HTTP exactly as they would to AWS, with throw-away
credentials; nothing reaches the network.
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import shlex
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import secureml
from secureml.cli import _local, main
from secureml.cli import _parser as cli_parser
from secureml.cli._session import make_session

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "ml-platform.yaml")
SCHEMA = ROOT / "schema" / "blueprint.schema.json"

README = ROOT / "README.md"

TWO_ROLES = """
blueprint: cli-test
region: us-east-1
personas:
  - {name: c1, kind: Compute, buckets: [c1-data], role: {}}
  - {name: c2, kind: Compute, buckets: [c2-data], role: {}}
"""
ONE_ROLE = """
blueprint: cli-test
region: us-east-1
personas:
  - {name: c1, kind: Compute, buckets: [c1-data], role: {}}
"""
BAD = """
personas:
  - name: ds
    kind: DataScientist
    buckets: [x-data]
    pass_roles: [nobody]
    colour: red
"""


class _Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """One moto server for the module; tests that need it empty reset it."""
    with _local.emulator() as url:
        yield url


@pytest.fixture
def fresh(emulator: str) -> str:
    """The emulator, emptied."""
    _local.reset(emulator)
    return emulator


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def _file(tmp_path: Path, text: str, name: str = "bp.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- no AWS needed -----------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"secureml {secureml.__version__}"


@pytest.mark.parametrize("argv", [[], ["plan"], ["plan", "x.yaml", "--output", "xml"], ["frob"]])
def test_usage_errors_exit_1_not_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 1  # argparse's own 2 would read as "changes present"
    assert "usage: secureml" in err


def test_unreadable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, "lint", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert out == ""
    assert f"secureml: error: cannot read {tmp_path / 'nope.yaml'}: No such file" in err


def test_bad_file_lists_every_problem_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _file(tmp_path, BAD)
    code, out, err = _run(capsys, "plan", path)  # fails before any AWS call: no credentials
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == f"secureml: error: {path}: 2 problems"
    assert lines[1].startswith(
        f"  {path}:6:18: personas[0].pass_roles[0]: unknown persona 'nobody'"
    )
    assert lines[2].startswith(f"  {path}:7:5: personas[0].colour: unknown key 'colour'")


def test_bad_file_as_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _file(tmp_path, BAD)
    code, out, _ = _run(capsys, "lint", path, "--output", "json")
    assert code == 1
    errors = json.loads(out)["errors"]
    assert [(e["path"], e["line"], e["column"]) for e in errors] == [
        ("personas[0].pass_roles[0]", 6, 18),
        ("personas[0].colour", 7, 5),
    ]
    assert all(e["file"] == path for e in errors)
    assert all(e["type"] == "BlueprintFileError" for e in errors)
    assert set(errors[1]) == {"type", "file", "path", "line", "column", "message"}


def test_syntax_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _file(tmp_path, "personas: [\n")
    code, _, err = _run(capsys, "policies", path)
    assert code == 1
    assert f"  {path}:2:1: YAML syntax error:" in err


def test_policies_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "policies", EXAMPLE, "--persona", "team-a-compute")
    assert code == 0
    # Two documents: the example's Compute personas also run pipeline steps.
    assert out.startswith("# team-a-compute (Compute): 2 policy document(s), ")
    assert '"Version": "2012-10-17"' in out

    code, out, _ = _run(
        capsys, "policies", EXAMPLE, "-o", "json", "--persona", "team-a-ds",
        "--persona", "team-b-mlops", "--account-id", "123456789012",
    )
    assert code == 0
    data = json.loads(out)
    assert data["blueprint"] == "ml-platform"
    assert list(data["personas"]) == ["team-a-ds", "team-b-mlops"]
    ds = data["personas"]["team-a-ds"]
    assert ds["kind"] == "DataScientist"
    assert "arn:aws:iam::123456789012:role/team-a-compute" in json.dumps(ds["policies"])
    assert ds["trust_policy"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }


def test_policies_of_an_unknown_persona(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "policies", EXAMPLE, "--persona", "team-c-ds")
    assert code == 1
    assert out == ""
    assert "--persona: no persona 'team-c-ds' in" in err
    assert "it has: team-a-compute, team-a-serving, team-a-ds," in err


def test_lint_passes_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "lint", EXAMPLE)
    assert code == 0
    # MLOps passes the Compute role (data access) to pipelines and monitoring: a
    # note (SM044) for each MLOps persona and its role, nothing else
    assert out.strip().endswith(
        "9 persona(s), 20 resource(s): 0 error(s), 0 warning(s), 4 note(s)"
    )
    assert out.count("info SM044:") == 4


def test_lint_warnings_fail_only_with_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _file(
        tmp_path,
        """
        personas: [{name: c, kind: Compute, buckets: [site-data], role: {}}]
        public_access_block: {persona_buckets: true, block_public_policy: false}
        """,
    )
    code, out, _ = _run(capsys, "lint", path)
    assert code == 0
    assert (
        f"{path}:3: s3-public-access-block/site-data: warning SM020: bucket 'site-data': "
        "BlockPublicPolicy is turned off"
    ) in out
    code, out, _ = _run(capsys, "lint", path, "--strict", "-o", "json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert [(f["code"], f["severity"], f["line"]) for f in data["findings"]] == [
        ("SM020", "warning", 3)
    ]


def test_schema_prints_the_published_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "schema")
    assert code == 0
    assert out == SCHEMA.read_text()


def test_missing_moto_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # import fails as if not installed
    code, _, err = _run(capsys, "plan", _file(tmp_path, ONE_ROLE), "--local")
    assert code == 1
    assert "pip install 'secureml[local]'" in err


def test_no_credentials(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = _run(capsys, "plan", _file(tmp_path, ONE_ROLE))
    assert code == 1
    assert "no AWS credentials found" in err
    assert "--local" in err

    code, out, err = _run(capsys, "plan", _file(tmp_path, ONE_ROLE), "-o", "json")
    assert code == 1
    errors = json.loads(out)["errors"]  # machines get every error as JSON on stdout
    assert [e["type"] for e in errors] == ["CredentialsError"]
    assert errors[0]["message"].startswith("no AWS credentials found")
    assert "secureml: error: no AWS credentials found" in err


def test_unknown_profile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "plan", _file(tmp_path, ONE_ROLE), "--profile", "nope")
    assert code == 1
    assert "The config profile (nope) could not be found" in err


# -- plan and apply against the emulator --------------------------------------------------------


def test_plan_exits_2_with_changes_then_0_once_applied(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fresh: str
) -> None:
    path = _file(tmp_path, TWO_ROLES)
    local = ["--local", "--endpoint-url", fresh]

    code, out, _ = _run(capsys, "plan", path, *local)
    assert code == 2
    assert out.startswith("Plan for blueprint 'cli-test' (123456789012, us-east-1)")
    assert "+ create IAM role c1" in out
    assert out.rstrip().endswith("2 to create, 0 to update, 0 to delete, 0 unchanged")

    code, out, err = _run(capsys, "apply", path, *local, "--yes")
    assert code == 0
    assert "Applied blueprint 'cli-test': 2 change(s) made" in out
    assert "secureml: [1/2] create IAM role c" in err  # progress, on stderr
    assert "secureml: [2/2] create IAM role c" in err

    code, out, _ = _run(capsys, "plan", path, *local)
    assert code == 0
    assert "0 to create, 0 to update, 0 to delete, 2 unchanged" in out

    code, out, _ = _run(capsys, "apply", path, *local)
    assert code == 0
    assert "No changes: blueprint 'cli-test' is up to date." in out


def test_plan_and_apply_as_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fresh: str
) -> None:
    path = _file(tmp_path, ONE_ROLE)
    local = ["--local", "--endpoint-url", fresh, "--output", "json"]

    code, out, _ = _run(capsys, "plan", path, *local)
    assert code == 2
    plan = json.loads(out)
    assert plan["is_empty"] is False
    assert plan["account_id"] == "123456789012"
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("create", "iam-role/c1")]

    code, out, _ = _run(capsys, "apply", path, *local, "--yes")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"blueprint", "changed", "applied", "kept", "plan", "converged"}
    assert result["changed"] is True
    assert result["applied"] == [{"action": "create", "key": "iam-role/c1"}]
    assert result["converged"] is True

    code, out, _ = _run(capsys, "apply", path, *local)  # nothing to do: the same shape
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"blueprint", "changed", "applied", "kept", "plan"}
    assert (result["changed"], result["applied"], result["kept"]) == (False, [], [])
    assert result["plan"]["summary"] == {
        "create": 0, "update": 0, "delete": 0, "unchanged": 1, "kept": 0,
    }


def test_deletes_need_consent(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = ["--local", "--endpoint-url", fresh]
    assert main(["apply", _file(tmp_path, TWO_ROLES, "two.yaml"), *local, "--yes"]) == 0
    one = _file(tmp_path, ONE_ROLE, "one.yaml")
    capsys.readouterr()

    # Without --prune the role left out is kept, and said so.
    code, out, _ = _run(capsys, "apply", one, *local)
    assert code == 0
    assert "No changes" in out
    assert "1 no longer in the blueprint, kept" in out

    code, out, _ = _run(capsys, "plan", one, "--prune", *local)
    assert code == 2
    assert "- delete IAM role c2 (no longer in the blueprint)" in out

    # No terminal to ask on and no --yes: refuse.
    code, _, err = _run(capsys, "apply", one, "--prune", *local)
    assert code == 1
    assert (
        "secureml: error: this apply would make 1 change(s) and delete 1 resource(s) "
        "(iam-role/c2) and there is no terminal to ask for confirmation; nothing was "
        "changed. Review the plan and run again with --yes"
    ) in err

    # The same refusal for machines: JSON on stdout, the text still on stderr.
    code, out, err = _run(capsys, "apply", one, "--prune", *local, "-o", "json")
    assert code == 1
    assert json.loads(out) == {"errors": [{
        "type": "ChangeNotConfirmed",
        "message": "this apply would make 1 change(s) and delete 1 resource(s) "
        "(iam-role/c2) and there is no terminal to ask for confirmation; nothing was "
        "changed. Review the plan and run again with --yes",
    }]}
    assert "secureml: error: this apply would make" in err

    monkeypatch.setattr(sys, "stdin", _Tty("no\n"))
    code, _, err = _run(capsys, "apply", one, "--prune", *local)
    assert code == 1
    assert (
        "Apply 1 change(s), deleting 1 resource(s) (iam-role/c2)? Type 'yes' to continue: "
    ) in err
    assert "cancelled; nothing was changed" in err
    assert main(["plan", one, "--prune", *local]) == 2  # c2 is still there

    monkeypatch.setattr(sys, "stdin", _Tty("yes\n"))
    code, out, _ = _run(capsys, "apply", one, "--prune", *local)
    assert code == 0
    assert "delete IAM role c2" in out

    assert main(["plan", one, "--prune", *local]) == 0


def test_yes_allows_deletes_without_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fresh: str
) -> None:
    local = ["--local", "--endpoint-url", fresh]
    assert main(["apply", _file(tmp_path, TWO_ROLES, "two.yaml"), *local, "--yes"]) == 0
    code, out, _ = _run(capsys, "apply", _file(tmp_path, ONE_ROLE), "--prune", "--yes", *local)
    assert code == 0
    assert "Applied blueprint 'cli-test': 1 change(s) made\ndelete IAM role c2" in out


class _ChangedWhileAsking(_Tty):
    """A terminal whose user answers 'yes', but only after someone else has changed
    the account (here: role c1's maximum session) while the prompt was up."""

    def __init__(self, endpoint: str) -> None:
        super().__init__("yes\n")
        self.endpoint = endpoint

    def readline(self, size: int | None = -1) -> str:
        iam = make_session(
            region="us-east-1", endpoint_url=self.endpoint, fake_credentials=True
        ).client("iam")
        iam.update_role(RoleName="c1", MaxSessionDuration=7200)
        return super().readline()


@pytest.mark.parametrize("output", ["text", "json"])
def test_an_account_changed_after_the_plan_was_shown_is_not_applied(
    output: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = ["--local", "--endpoint-url", fresh]
    assert main(["apply", _file(tmp_path, TWO_ROLES, "two.yaml"), *local, "--yes"]) == 0
    one = _file(tmp_path, ONE_ROLE, "one.yaml")
    capsys.readouterr()

    monkeypatch.setattr(sys, "stdin", _ChangedWhileAsking(fresh))
    code, out, err = _run(capsys, "apply", one, "--prune", *local, "-o", output)

    assert code == 1
    message = (
        "the account changed after the plan above was made (now also: update iam-role/c1); "
        "nothing was changed. Run the same command again to see the new plan and review it"
    )
    assert f"secureml: error: {message}" in err
    assert "[1/" not in err  # no change was carried out
    if output == "json":
        assert json.loads(out) == {"errors": [{
            "type": "PlanChangedError", "message": message,
            "added": ["update iam-role/c1"], "removed": [],
        }]}
    # The delete that was confirmed against the old plan did not happen.
    code, out, _ = _run(capsys, "plan", one, "--prune", *local)
    assert code == 2
    assert "- delete IAM role c2 (no longer in the blueprint)" in out
    assert "~ update IAM role c1" in out


def test_local_seeds_what_the_blueprint_expects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fresh: str
) -> None:
    path = _file(
        tmp_path,
        """
        personas:
          - {name: ds, kind: DataScientist, buckets: [ds-data],
             pass_roles: ["arn:aws:iam::123456789012:role/x"], permission_set: {}}
        assignments:
          - {group: Scientists, permission_set: ds, accounts: ["123456789012"]}
          - {user: jdoe, permission_set: ds, accounts: ["123456789012"]}
        public_access_block: {persona_buckets: true}
        """,
    )
    code, out, err = _run(capsys, "apply", path, "--local", "--endpoint-url", fresh, "--yes")
    assert code == 0, err
    assert (
        "local mode: created what the blueprint expects to exist: identity store group "
        "Scientists, identity store user jdoe, bucket ds-data"
    ) in err
    assert "create user assignment jdoe:ds" in out


def test_embedded_local_run_is_fresh_and_converges(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _file(tmp_path, ONE_ROLE)
    for _ in range(2):  # each --local run starts from nothing
        code, out, err = _run(capsys, "apply", path, "--local", "--yes")
        assert code == 0, err
        assert "Applied blueprint 'cli-test': 1 change(s) made" in out
        assert out.rstrip().endswith("Planned again: no changes, a second apply would do nothing.")
        assert "local mode: a fresh AWS emulator (moto) at http://127.0.0.1:" in err


def test_aws_endpoint_url_from_the_environment(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", fresh)  # botocore honours it natively
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = _file(tmp_path, ONE_ROLE)
    assert main(["apply", path, "--yes"]) == 0
    code, out, _ = _run(capsys, "plan", path)
    assert code == 0
    assert out.startswith("Plan for blueprint 'cli-test' (123456789012, us-east-1)")


def test_profile_and_region_like_the_aws_cli(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile emulator]\n"
        "region = eu-west-1\n"
        "aws_access_key_id = testing\n"
        "aws_secret_access_key = testing\n"
        f"endpoint_url = {fresh}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)  # the environment beats the profile
    monkeypatch.delenv("AWS_REGION", raising=False)
    no_region = _file(tmp_path, "personas: [{name: c, kind: Compute, buckets: [d-1], role: {}}]")

    code, out, err = _run(capsys, "plan", no_region, "--profile", "emulator")
    assert code == 2, err
    assert out.startswith("Plan for blueprint 'bp' (123456789012, eu-west-1)")  # the profile's

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    code, out, _ = _run(capsys, "plan", no_region, "--profile", "emulator")
    assert out.startswith("Plan for blueprint 'bp' (123456789012, ap-south-1)")  # the environment

    code, out, _ = _run(capsys, "plan", _file(tmp_path, ONE_ROLE), "--profile", "emulator")
    assert out.startswith("Plan for blueprint 'cli-test' (123456789012, us-east-1)")  # the file's

    code, out, _ = _run(
        capsys, "plan", _file(tmp_path, ONE_ROLE), "--profile", "emulator",
        "--region", "eu-west-2",
    )
    assert out.startswith("Plan for blueprint 'cli-test' (123456789012, eu-west-2)")  # the flag's


@pytest.mark.parametrize(
    ("stdout", "env", "flags", "coloured"),
    [
        (_Tty, {}, [], True),
        (_Tty, {"NO_COLOR": "1"}, [], False),
        (_Tty, {"NO_COLOR": ""}, [], True),  # no-color.org: set and not empty
        (_Tty, {}, ["--no-color"], False),
        (io.StringIO, {}, [], False),
    ],
)
def test_colour_only_on_a_terminal(
    *,
    stdout: type[io.StringIO],
    env: dict[str, str],
    flags: list[str],
    coloured: bool,
    tmp_path: Path,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = stdout()
    monkeypatch.setattr(sys, "stdout", stream)
    code = main(["plan", _file(tmp_path, ONE_ROLE), "--local", "--endpoint-url", fresh, *flags])
    assert code == 2
    assert ("\x1b[32m+ create IAM role c1\x1b[0m" in stream.getvalue()) is coloured
    assert ("\x1b[" in stream.getvalue()) is coloured


# -- as a real command ---------------------------------------------------------------------------


def _command(line: str) -> list[str]:
    """``line`` as argv: the installed ``secureml`` script when there is one, else
    ``python -m secureml`` (the same entry point, before ``pip install``)."""
    argv = shlex.split(line)
    if argv[0] == "secureml" and shutil.which("secureml") is None:
        argv = [sys.executable, "-m", "secureml", *argv[1:]]
    return argv


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _readme_commands() -> list[str]:
    """The shell commands of the README's ```bash blocks, in order."""
    return re.findall(r"```bash\n(.*?)\n```", README.read_text(), re.S)


def test_readme_first_command() -> None:
    # The first command exactly as the README writes it: a fresh venv, the install,
    # then the run, which is what this test executes (the venv and install are this
    # test run's own; .ci/run and a clean clone check those).
    first = _readme_commands()[0]
    steps = [step.strip() for step in first.split("&&")]
    assert steps[:3] == [
        "python3 -m venv .venv", ". .venv/bin/activate", "pip install -e '.[local]'"
    ]
    assert len(steps) == 4
    assert steps[3].startswith("secureml ")
    done = subprocess.run(
        _command(steps[3]), cwd=ROOT, env=_env(), capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Applied blueprint 'ml-platform': 20 change(s) made" in done.stdout
    assert "Planned again: no changes, a second apply would do nothing." in done.stdout
    assert "secureml: [20/20] create " in done.stderr  # progress, one line per change


def test_readme_tour_commands_are_real(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tour's `secureml` lines parse and work offline where they can."""
    monkeypatch.chdir(ROOT)
    tour = [
        line.split("#")[0].strip()
        for block in _readme_commands()[2:]
        for line in block.splitlines()
        if line.startswith("secureml ")
    ]
    assert len(tour) == 5
    for line in tour:
        argv = shlex.split(line)[1:]
        if argv[0] in ("policies", "lint", "check"):
            code, out, _ = _run(capsys, *argv)
            assert code == 0, line
            assert out
        else:  # plan and apply need AWS: check that they parse
            args = cli_parser().parse_args(argv)
            assert args.file == "examples/ml-platform.yaml"


def test_subprocess_exit_codes(tmp_path: Path) -> None:
    def run(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _command(line), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
            check=False,
        )

    version = run("secureml --version")
    assert (version.returncode, version.stdout.strip()) == (0, f"secureml {secureml.__version__}")
    assert run("secureml lint examples/ml-platform.yaml").returncode == 0
    assert run("secureml plan examples/ml-platform.yaml --local").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    failed = run(f"secureml lint {bad}")
    assert failed.returncode == 1
    assert "unknown persona 'nobody'" in failed.stderr


def _announcement(proc: subprocess.Popen[str], timeout: float = 60.0) -> dict[str, Any]:
    """The JSON that ``local serve -o json`` prints once it listens, read in a thread
    so that a server that never announces fails the test instead of hanging it."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    text = ""
    deadline = time.monotonic() + timeout
    while not text.endswith("\n}\n"):  # json.dumps(indent=2) closes at column 0
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"local serve announced nothing within {timeout:.0f}s")
        if line is None:
            pytest.fail(f"local serve ended without announcing: {text!r}")
        text += line
    announced: dict[str, Any] = json.loads(text)
    return announced


def test_local_serve_shares_state_between_commands(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = subprocess.Popen(
        _command(f"secureml local serve --port 0 --output json --seed {EXAMPLE}"),
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        url = _announcement(proc)["endpoint_url"]
        assert url.startswith("http://127.0.0.1:")

        # The serve seeded the groups and buckets; --local signs with throw-away keys.
        local = ["--local", "--endpoint-url", url]
        code, out, _ = _run(capsys, "plan", EXAMPLE, *local)
        assert code == 2
        assert "20 to create, 0 to update, 0 to delete, 0 unchanged" in out
        assert main(["apply", EXAMPLE, *local, "--yes"]) == 0

        # What `local serve` tells any AWS tool to export: no flag at all.
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        code, out, _ = _run(capsys, "plan", EXAMPLE)
        assert code == 0  # the second command sees what the first one made
        assert "0 to create, 0 to update, 0 to delete, 20 unchanged" in out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode is not None


def test_local_serve_on_a_taken_port_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = _run(capsys, "local", "serve", "--port", str(port))
    assert code == 1
    assert out == ""
    assert (
        f"secureml: error: --port {port}: 127.0.0.1:{port} is not available (Address already "
        "in use); give another port, or --port 0 for any free one"
    ) in err


def test_local_serve_refuses_a_port_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "local", "serve", "--port", "70000")
    assert code == 1
    assert "argument --port: '70000' is not a port: a number from 0 to 65535" in err


# -- deploy (StackSets) -----------------------------------------------------------------------


def test_deploy_shows_the_plan_asks_and_a_second_deploy_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _file(tmp_path, ONE_ROLE)
    deploy = ["deploy", path, "--targets", "ou-ab12-cd34ef56", "--local", "--endpoint-url", fresh]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal: refused, not asked

    code, out, err = _run(capsys, *deploy)
    assert code == 1
    assert "create  StackSet secureml-cli-test (member)" in out
    assert "+ stack instances in ou-ab12-cd34ef56 us-east-1" in out
    assert "no terminal" in err

    code, out, _ = _run(capsys, *deploy, "--yes", "--max-concurrent-percentage", "50")
    assert code == 0
    assert "CreateStackInstances" in out
    assert "SUCCEEDED" in out

    code, out, _ = _run(capsys, *deploy)
    assert code == 0
    assert "nothing to change" in out
    assert "No changes: blueprint 'cli-test' is deployed." in out
