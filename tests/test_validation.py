"""Bad input raises ValidationError naming the field, the bad value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

import secureml as sm
from secureml import SecureMLError, ValidationError
from secureml._validation import (
    check_account_id,
    check_arn,
    check_bucket_name,
    check_ecr_repository,
    check_iam_name,
    check_session_duration,
    check_unique,
    parse_duration_hours,
    parse_duration_seconds,
)


def message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, SecureMLError)
    assert isinstance(info.value, ValueError)
    return str(info.value)


# -- account ids ----------------------------------------------------------------------------


def test_account_id_ok() -> None:
    assert check_account_id("012345678901") == "012345678901"


@pytest.mark.parametrize(
    "bad", ["12345678901", "1234567890123", "11112222333a", "", " 111122223333"]
)
def test_account_id_bad(bad: str) -> None:
    msg = message(check_account_id, bad, "blueprint.accounts")
    assert msg.startswith(f"blueprint.accounts: {bad!r}")
    assert "12 digits" in msg


def test_account_id_given_as_int_gets_a_hint() -> None:
    msg = message(check_account_id, 12345678901, "account_id")
    assert "12345678901" in msg
    assert "leading zeros" in msg


# -- ARNs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AmazonSageMakerCanvasFullAccess",
        "arn:aws:iam::111122223333:role/team-a",
        "arn:aws-cn:kms:cn-north-1:111122223333:key/abc",
        "arn:aws-us-gov:s3:::bucket",
        "arn:aws-iso-b:iam::111122223333:role/x",
    ],
)
def test_arn_ok(arn: str) -> None:
    assert check_arn(arn, "arn") == arn


@pytest.mark.parametrize(
    "bad",
    [
        "team-a",
        "arn:aws:iam::1111:role/x",
        "arn:aws:iam::111122223333:",
        "arn:aws:iam::111122223333:role/has space",
        "arn:azure:iam::111122223333:role/x",
    ],
)
def test_arn_bad(bad: str) -> None:
    msg = message(check_arn, bad, "managed_policies", service="iam")
    assert msg.startswith(f"managed_policies: {bad!r} is not an ARN")
    assert "arn:PARTITION:iam:REGION:ACCOUNT:RESOURCE" in msg


def test_arn_of_the_wrong_service() -> None:
    msg = message(check_arn, "arn:aws:s3:::bucket", "permissions_boundary", service="iam")
    assert "permissions_boundary: 'arn:aws:s3:::bucket'" in msg
    assert "only iam ARNs are allowed" in msg


# -- bucket names ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["abc", "team-a-data", "team.a.data", "a" * 63, "1bucket9"])
def test_bucket_ok(name: str) -> None:
    assert check_bucket_name(name) == name


@pytest.mark.parametrize(
    "bad",
    [
        "ab",
        "a" * 64,
        "Team-A",
        "team_a",
        "-team",
        "team-",
        "team..a",
        "192.168.1.1",
        "xn--team",
        "sthree-team",
        "amzn-s3-demo-bucket",
        "team-s3alias",
        "team--ol-s3",
        "team.mrap",
        "team--x-s3",
        "team--table-s3",
        "arn:aws:s3:::team",
        "s3://team",
    ],
)
def test_bucket_bad(bad: str) -> None:
    msg = message(check_bucket_name, bad, "buckets")
    assert msg.startswith(f"buckets: {bad!r} is not a valid S3 bucket name")
    assert "3-63 characters" in msg


# -- ECR repositories -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "team-a/trainer",
        "team-a/*",
        "ab",
        "a.b_c-d/e",
        "arn:aws:ecr:us-east-1:111122223333:repository/x",
    ],
)
def test_ecr_ok(name: str) -> None:
    assert check_ecr_repository(name) == name


@pytest.mark.parametrize(
    "bad", ["a", "Team/trainer", "team//trainer", "/team", "team/", "team a", "x" * 257, "team--a_"]
)
def test_ecr_bad(bad: str) -> None:
    msg = message(check_ecr_repository, bad)
    assert msg.startswith(f"ecr_repositories: {bad!r} is not an ECR repository name")
    assert "2-256 characters" in msg


def test_ecr_arn_of_another_service() -> None:
    assert "only ecr ARNs" in message(check_ecr_repository, "arn:aws:s3:::bucket")


# -- IAM names ------------------------------------------------------------------------------


def test_role_name_of_64_is_fine_65_is_not() -> None:
    assert check_iam_name("r" * 64, "name") == "r" * 64
    msg = message(check_iam_name, "r" * 65, "name")
    assert "(65 characters)" in msg
    assert "1-64 characters" in msg


@pytest.mark.parametrize("bad", ["", "team a", "team/a", "équipe", "team:a"])
def test_iam_name_bad_characters(bad: str) -> None:
    msg = message(check_iam_name, bad, "pass_roles")
    assert msg.startswith(f"pass_roles: {bad!r}")
    assert "+=,.@_-" in msg


def test_persona_name_too_long_names_the_persona() -> None:
    name = "team-a-" + "x" * 60
    msg = message(sm.MLOps, name)
    assert f"persona {name!r}: name: {name!r} (67 characters)" in msg


# -- session durations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hours"),
    [("PT1H", 1), ("PT12H", 12), ("PT1H30M", 1.5), ("PT90M", 1.5), ("PT3600S", 1)],
)
def test_durations_ok(value: str, hours: float) -> None:
    assert check_session_duration(value) == value
    assert parse_duration_hours(value) == hours
    assert parse_duration_seconds(value) == hours * 3600


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("PT0H", "0 hours"),
        ("PT59M", "0.983333 hours"),
        ("PT13H", "13 hours"),
        ("PT12H1M", "12.0167 hours"),
    ],
)
def test_durations_out_of_range(value: str, shown: str) -> None:
    msg = message(check_session_duration, value, "max_session_duration")
    assert msg.startswith(f"max_session_duration: {value!r} ({shown})")
    assert "PT1H to PT12H" in msg


@pytest.mark.parametrize("bad", ["8h", "PT", "P1D", "PT8h", "", "8"])
def test_durations_malformed(bad: str) -> None:
    msg = message(check_session_duration, bad, "session_duration")
    assert msg.startswith(f"session_duration: {bad!r} is not an ISO-8601 duration")
    assert "'PT8H'" in msg


def test_persona_session_duration() -> None:
    msg = message(sm.MLOps, "team-a-mlops", max_session_duration="PT13H")
    assert "max_session_duration: 'PT13H'" in msg


# -- network and other settings -------------------------------------------------------------


def test_subnets_without_security_groups() -> None:
    msg = message(sm.NetworkSettings, subnets=["subnet-0abc1234"])
    assert "subnets and security_groups go together" in msg
    assert "subnet-0abc1234" in msg
    assert "security_groups=[]" in msg


def test_security_groups_without_subnets() -> None:
    msg = message(sm.NetworkSettings, subnets=None, security_groups=["sg-0abc1234"])
    assert "subnets=[]" in msg


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"subnets": ["subnet-xyz"], "security_groups": ["sg-0abc1234"]},
         "network.subnets: 'subnet-xyz' is not a subnet id"),
        ({"subnets": ["subnet-0abc123"], "security_groups": ["sg-0abc1234"]}, "8 or 17"),
        ({"subnets": ["subnet-0abc1234"], "security_groups": ["sg-0ABC1234"]},
         "network.security_groups: 'sg-0ABC1234' is not a security group id"),
        ({"subnets": ["subnet-0abc1234"], "security_groups": [42]}, "42 is not a security group"),
        ({"subnets": [f"subnet-{i:08x}" for i in range(17)], "security_groups": ["sg-0abc1234"]},
         "17 given; SageMaker allows at most 16"),
        ({"subnets": ["subnet-0abc1234"], "security_groups": [f"sg-{i:08x}" for i in range(6)]},
         "6 given; SageMaker allows at most 5"),
    ],
)  # fmt: skip
def test_network_ids(kwargs: dict[str, Any], fragment: str) -> None:
    assert fragment in message(sm.NetworkSettings, **kwargs)


def test_network_17_hex_ids_are_fine() -> None:
    net = sm.NetworkSettings(
        subnets="subnet-0a1b2c3d4e5f60718", security_groups=("sg-0a1b2c3d4e5f60718",)
    )
    assert net.subnets == ("subnet-0a1b2c3d4e5f60718",)


def test_encryption_settings() -> None:
    assert "give volume_kms_key, output_kms_key or both" in message(sm.EncryptionSettings)
    alias = "arn:aws:kms:us-east-1:111122223333:alias/ml"
    msg = message(sm.EncryptionSettings, volume_kms_key=alias)
    assert f"encryption.volume_kms_key: {alias!r} must be a key ARN" in msg
    msg = message(sm.EncryptionSettings, output_kms_key="1234abcd-12ab")
    assert "encryption.output_kms_key: '1234abcd-12ab' is not an ARN" in msg


def test_guardrails() -> None:
    msg = message(sm.Guardrails, instance_types=["m5.xlarge", "ml.g5.*"])
    assert "guardrails.instance_types: ['m5.xlarge'] are not SageMaker instance types" in msg
    msg = message(sm.Guardrails, network_isolation="yes")
    assert "guardrails.network_isolation: 'yes' is not allowed; give True or False" in msg


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ValidationError) as info:
        sm.NetworkSettings(subnets=["bad-1"], security_groups=["bad-2"])
    assert len(info.value.problems) == 2
    assert str(info.value).startswith("2 problems:")


def test_unique() -> None:
    check_unique(["a", "b"], "persona names")
    msg = message(check_unique, ["a", "b", "a", "c", "c"], "persona names")
    assert msg == "duplicate persona names: ['a', 'c']; each must be unique"
