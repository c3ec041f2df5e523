"""Job settings for the SageMaker Python SDK match the persona's guard-rails."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import secureml as sm
from secureml.integrations.sagemaker import check_instance_type, job_settings

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OUT = "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"
NET = sm.NetworkSettings(subnets=["subnet-0abc1234", "subnet-0def5678"],
                         security_groups=["sg-0abc1234"])


def _ds(**kwargs: Any) -> sm.Persona:
    return sm.DataScientist("team-a-ds", buckets=["team-a-data"],
                            pass_roles=["team-a-compute"], **kwargs)


def test_every_guard_rail_becomes_the_sdk_argument_that_satisfies_its_condition() -> None:
    ds = _ds(
        network=NET,
        encryption=sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=OUT),
        guardrails=sm.Guardrails(network_isolation=True, inter_container_traffic_encryption=True),
    )

    settings = job_settings(ds, role="team-a-compute", account_id="111122223333")

    assert settings == {
        "role": "arn:aws:iam::111122223333:role/team-a-compute",
        "subnets": ["subnet-0abc1234", "subnet-0def5678"],
        "security_group_ids": ["sg-0abc1234"],
        "volume_kms_key": KEY,
        "output_kms_key": OUT,
        "enable_network_isolation": True,
        "encrypt_inter_container_traffic": True,
    }
    # The values are exactly those the persona's CreateTrainingJob condition requires.
    # (The other CreateTrainingJob statement is the local-storage one, with no volume key.)
    [train] = [s for s in ds.statements("111122223333", "us-east-1")
               if "sagemaker:CreateTrainingJob" in s.actions
               and "sagemaker:VolumeKmsKeyArn" in s.condition_keys
               and ("Null", "sagemaker:VolumeKmsKeyArn") not in {
                   (c.operator, c.key) for c in s.conditions}]
    conds = {c.key: c.values for c in train.conditions if c.operator != "Null"}
    assert set(conds["sagemaker:VpcSubnets"]) == set(settings["subnets"])
    assert conds["sagemaker:VolumeKmsKeyArn"] == (KEY,)
    assert conds["sagemaker:OutputKmsKeyArn"] == (OUT,)


def test_without_guard_rails_only_the_role_is_set() -> None:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["a/*"])
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute])

    assert job_settings(ds, role=compute, account_id="111122223333") == {
        "role": "arn:aws:iam::111122223333:role/team-a-compute"
    }


def test_a_role_the_persona_may_not_pass_is_refused() -> None:
    with pytest.raises(sm.ValidationError, match=r"may not pass .*other-role.*team-a-compute"):
        job_settings(_ds(), role="other-role", account_id="111122223333")


def test_a_role_name_needs_the_account_and_an_arn_does_not() -> None:
    with pytest.raises(sm.ValidationError, match="give account_id"):
        job_settings(_ds(), role="team-a-compute")
    arn = "arn:aws:iam::111122223333:role/team-a-compute"
    assert job_settings(_ds(), role=arn)["role"] == arn


def test_instance_types_outside_the_guard_rail_are_refused() -> None:
    ds = _ds(guardrails=sm.Guardrails(instance_types=["ml.m5.*", "ml.g5.xlarge"]))

    assert check_instance_type(ds, "ml.g5.xlarge") == "ml.g5.xlarge"
    assert check_instance_type(_ds(), "ml.p4d.24xlarge") == "ml.p4d.24xlarge"
    with pytest.raises(sm.ValidationError, match=r"ml\.p4d\.24xlarge.*allowed are"):
        check_instance_type(ds, "ml.p4d.24xlarge")


def test_the_integration_never_imports_the_sagemaker_package() -> None:
    code = (
        "import sys; from secureml.integrations.sagemaker import job_settings; "
        "assert 'sagemaker' not in sys.modules and 'boto3' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
