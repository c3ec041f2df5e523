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
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import secureml
from secureml.cli import _local, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "ml-platform.yaml")
SCHEMA = ROOT / "schema" / "blueprint.schema.json"

# The README's first command, after `pip install -e '.[local]'` (keep the two in step).
README_COMMAND = "secureml apply examples/ml-platform.yaml --local --yes"

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


def test_syntax_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _file(tmp_path, "personas: [\n")
    code, _, err = _run(capsys, "policies", path)
    assert code == 1
    assert f"  {path}:2:1: YAML syntax error:" in err


def test_policies_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "policies", EXAMPLE, "--persona", "team-a-compute")
    assert code == 0
    assert out.startswith("# team-a-compute (Compute): 1 policy document(s), ")
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
    assert "it has: team-a-compute, team-a-ds," in err


def test_lint_passes_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "lint", EXAMPLE)
    assert code == 0
    assert out.strip().endswith(
        "6 persona(s), 16 resource(s): 0 error(s), 0 warning(s), 0 note(s)"
    )


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

    code, out, err = _run(capsys, "apply", path, *local)
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

    code, out, _ = _run(capsys, "apply", path, *local)
    assert code == 0
    result = json.loads(out)
    assert result["changed"] is True
    assert result["applied"] == [{"action": "create", "key": "iam-role/c1"}]


def test_deletes_need_consent(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = ["--local", "--endpoint-url", fresh]
    assert main(["apply", _file(tmp_path, TWO_ROLES, "two.yaml"), *local]) == 0
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
    assert "would delete 1 resource(s) and there is no terminal to ask" in err
    assert "--yes" in err

    monkeypatch.setattr(sys, "stdin", _Tty("no\n"))
    code, _, err = _run(capsys, "apply", one, "--prune", *local)
    assert code == 1
    assert "Delete 1 resource(s) listed above? Type 'yes' to continue: " in err
    assert "apply cancelled; nothing was changed" in err

    monkeypatch.setattr(sys, "stdin", _Tty("yes\n"))
    code, out, _ = _run(capsys, "apply", one, "--prune", *local)
    assert code == 0
    assert "delete IAM role c2" in out

    assert main(["plan", one, "--prune", *local]) == 0


def test_yes_allows_deletes_without_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fresh: str
) -> None:
    local = ["--local", "--endpoint-url", fresh]
    assert main(["apply", _file(tmp_path, TWO_ROLES, "two.yaml"), *local]) == 0
    code, out, _ = _run(capsys, "apply", _file(tmp_path, ONE_ROLE), "--prune", "--yes", *local)
    assert code == 0
    assert "Applied blueprint 'cli-test': 1 change(s) made\ndelete IAM role c2" in out


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
    code, out, err = _run(capsys, "apply", path, "--local", "--endpoint-url", fresh)
    assert code == 0, err
    assert (
        "local mode: created what the blueprint expects to exist: identity store group "
        "Scientists, identity store user jdoe, bucket ds-data"
    ) in err
    assert "create sso-user-assignment/jdoe:ds" in out


def test_embedded_local_run_is_fresh_and_converges(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _file(tmp_path, ONE_ROLE)
    for _ in range(2):  # each --local run starts from nothing
        code, out, err = _run(capsys, "apply", path, "--local")
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
    assert main(["apply", path]) == 0
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


def test_readme_first_command(tmp_path: Path) -> None:
    done = subprocess.run(
        _command(README_COMMAND), cwd=ROOT, env=_env(), capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Applied blueprint 'ml-platform': 16 change(s) made" in done.stdout
    assert "Planned again: no changes, a second apply would do nothing." in done.stdout


def test_subprocess_exit_codes(tmp_path: Path) -> None:
    def run(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _command(line), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
            check=False,
        )

    assert run("secureml --version").stdout.strip() == f"secureml {secureml.__version__}"
    assert run("secureml plan examples/ml-platform.yaml --local").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    failed = run(f"secureml lint {bad}")
    assert failed.returncode == 1
    assert "unknown persona 'nobody'" in failed.stderr


def test_local_serve_shares_state_between_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    proc = subprocess.Popen(
        _command(f"secureml local serve --port 0 --output json --seed {EXAMPLE}"),
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        text = ""
        for line in proc.stdout:  # the JSON announcement ends with a closing brace
            text += line
            if line.startswith("}"):
                break
        url = json.loads(text)["endpoint_url"]
        assert url.startswith("http://127.0.0.1:")

        # The serve seeded the groups and buckets; plain endpoint + fake keys is enough.
        local = ["--local", "--endpoint-url", url]
        assert main(["apply", EXAMPLE, *local]) == 0
        code, out, _ = _run(capsys, "plan", EXAMPLE, *local)
        assert code == 0  # the second command sees what the first one made
        assert "0 to create, 0 to update, 0 to delete, 16 unchanged" in out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
