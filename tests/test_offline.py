"""Offline from the first line: ``mock_session(blueprint)`` seeds what a blueprint
expects to exist (one implementation with the CLI's ``--local``), and without
credentials the Python API says what to do in one line."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

import secureml as sm
from secureml.cli import _local
from secureml.testing import CallRecorder, mock_session


def _blueprint() -> sm.Blueprint:
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
    return sm.Blueprint("offline", [
        ds.role(),
        ds.permission_set(),
        sm.GroupAssignment(group="DataScientists", permission_set="team-a-ds",
                           accounts=["111122223333"]),
        sm.UserAssignment(user="alice", permission_set="ReadOnly", accounts=["111122223333"]),
        sm.BucketPublicAccessBlock("team-b-data"),
    ])


def test_mock_session_with_a_blueprint_seeds_what_it_refers_to() -> None:
    bp = _blueprint()
    with mock_session(bp) as session:
        buckets = {b["Name"] for b in session.client("s3").list_buckets()["Buckets"]}
        [instance] = session.client("sso-admin").list_instances()["Instances"]
        ids = session.client("identitystore")
        store = instance["IdentityStoreId"]
        groups = [g["DisplayName"] for g in ids.list_groups(IdentityStoreId=store)["Groups"]]
        users = [u["UserName"] for u in ids.list_users(IdentityStoreId=store)["Users"]]
        sets = session.client("sso-admin").list_permission_sets(
            InstanceArn=instance["InstanceArn"]
        )["PermissionSets"]

        result = bp.apply(session)

        assert bp.plan(session).is_empty
    assert buckets == {"team-a-data", "team-b-data"}
    assert groups == ["DataScientists"]
    assert users == ["alice"]
    assert len(sets) == 1  # ReadOnly, named by an assignment and not defined here
    assert len(result.applied) == 5


def test_mock_session_without_a_blueprint_seeds_nothing() -> None:
    with mock_session() as session:
        assert session.client("s3").list_buckets()["Buckets"] == []


def test_the_cli_seeds_through_the_same_implementation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    import secureml._seed as seed_module

    real = seed_module.seed

    def spy(session: boto3.Session, blueprint: object, region: str) -> list[str]:
        seen.append(blueprint)
        return real(session, blueprint, region)

    monkeypatch.setattr(seed_module, "seed", spy)
    path = tmp_path / "bp.yaml"
    path.write_text(
        "blueprint: seeded\npersonas:\n"
        "  - {name: c1, kind: Compute, buckets: [c1-data], role: {}}\n"
    )
    from secureml.blueprint_file import load

    bf = load(str(path))
    with mock_session() as session:
        created = _local.seed(session, bf, "us-east-1")
    assert seen == [bf]
    assert created == ["bucket c1-data"]


def test_seeding_twice_creates_nothing_more() -> None:
    bp = _blueprint()
    with mock_session(bp) as session:
        calls = CallRecorder.attach(session)
        from secureml._seed import seed

        assert seed(session, bp, "us-east-1") == []
    assert not [c for c in calls.mutating if c.operation.startswith("Create")]


def test_no_credentials_is_one_secureml_error_with_the_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    ds = sm.Compute("c1", buckets=["c1-data"])
    bp = sm.Blueprint("nocreds", [ds.role()])

    with pytest.raises(sm.CredentialsError) as caught:
        bp.plan(session=boto3.Session(region_name="us-east-1"))

    message = str(caught.value)
    assert "\n" not in message
    assert "mock_session" in message
    assert "--local" in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
