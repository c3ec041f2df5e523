"""SageMaker Python SDK defaults from a persona: the file validates against the
SDK's published schema, and jobs built with its defaults satisfy the persona's
guard-rails (while jobs without them do not)."""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import secureml as sm
from secureml.cli import main
from secureml.integrations.sagemaker import sdk_config, sdk_config_yaml

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OUT_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/5678abcd-12ab-34cd-56ef-1234567890ab"
NET = sm.NetworkSettings(subnets=["subnet-0abc1234", "subnet-0def5678"],
                         security_groups=["sg-0abc1234"])
GUARDED = sm.DataScientist(
    "team-a-ds", buckets=["team-a-data", "team-a-scratch"], pass_roles=["team-a-compute"],
    network=NET, encryption=sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=OUT_KEY),
    guardrails=sm.Guardrails(network_isolation=True, inter_container_traffic_encryption=True),
)
PLAIN = sm.DataScientist("plain-ds", buckets=["plain-data"], pass_roles=["plain-compute"])

# -- the SDK's schema -------------------------------------------------------------------------
# Written from SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA in aws/sagemaker-python-sdk v2.257.6,
# src/sagemaker/config/config_schema.py (the sagemaker-core 3.x copy has the same entries):
# every key this file can contain, with the SDK's patterns and limits; objects refuse keys
# the SDK does not know, as the SDK's schema does (additionalProperties: false).


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": props}


_KMS = {"type": "string", "maxLength": 2048}
_ROLE = {"type": "string", "pattern": r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$",
         "minLength": 20, "maxLength": 2048}
_VPC = _obj(
    SecurityGroupIds={"type": "array", "minItems": 1, "maxItems": 5,
                      "items": {"type": "string", "pattern": "[-0-9a-zA-Z]+", "maxLength": 32}},
    Subnets={"type": "array", "minItems": 1, "maxItems": 16,
             "items": {"type": "string", "pattern": "[-0-9a-zA-Z]+", "maxLength": 32}},
)
_TAGS = {"type": "array", "minItems": 0, "maxItems": 50, "items": {
    "type": "object", "additionalProperties": False, "required": ["Key", "Value"],
    "properties": {
        "Key": {"type": "string", "pattern": r"^[\w\s\d_.:/=+\-@]*$", "minLength": 1,
                "maxLength": 128},
        "Value": {"type": "string", "pattern": r"^[\w\s\d_.:/=+\-@]*$", "maxLength": 256},
    },
}}
_BOOL = {"type": "boolean"}
_SECURITY = _obj(EnableInterContainerTrafficEncryption=_BOOL, VolumeKmsKeyId=_KMS, VpcConfig=_VPC)
_NETWORK = _obj(EnableInterContainerTrafficEncryption=_BOOL, EnableNetworkIsolation=_BOOL,
                VpcConfig=_VPC)
SDK_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_obj(
        SchemaVersion={"type": "string", "enum": ["1.0"]},
        SageMaker=_obj(
            PythonSDK=_obj(Modules=_obj(
                Session=_obj(DefaultS3Bucket={
                    "type": "string", "pattern": r"^[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]$",
                    "minLength": 3, "maxLength": 63,
                }),
                RemoteFunction=_obj(
                    EnableInterContainerTrafficEncryption=_BOOL, RoleArn=_ROLE,
                    S3KmsKeyId=_KMS, Tags=_TAGS, VolumeKmsKeyId=_KMS, VpcConfig=_VPC,
                ),
                NotebookJob=_obj(RoleArn=_ROLE, S3KmsKeyId=_KMS, VolumeKmsKeyId=_KMS,
                                 VpcConfig=_VPC),
            )),
            TrainingJob=_obj(
                EnableInterContainerTrafficEncryption=_BOOL, EnableNetworkIsolation=_BOOL,
                OutputDataConfig=_obj(KmsKeyId=_KMS), ResourceConfig=_obj(VolumeKmsKeyId=_KMS),
                RoleArn=_ROLE, VpcConfig=_VPC, Tags=_TAGS,
            ),
            ProcessingJob=_obj(
                NetworkConfig=_NETWORK, ProcessingOutputConfig=_obj(KmsKeyId=_KMS),
                ProcessingResources=_obj(ClusterConfig=_obj(VolumeKmsKeyId=_KMS)),
                RoleArn=_ROLE, Tags=_TAGS,
            ),
            TransformJob=_obj(
                DataCaptureConfig=_obj(KmsKeyId=_KMS), TransformOutput=_obj(KmsKeyId=_KMS),
                TransformResources=_obj(VolumeKmsKeyId=_KMS), Tags=_TAGS,
            ),
            Model=_obj(EnableNetworkIsolation=_BOOL, ExecutionRoleArn=_ROLE, VpcConfig=_VPC,
                       Tags=_TAGS),
            EndpointConfig=_obj(
                AsyncInferenceConfig=_obj(OutputConfig=_obj(KmsKeyId=_KMS)),
                DataCaptureConfig=_obj(KmsKeyId=_KMS), KmsKeyId=_KMS, Tags=_TAGS,
            ),
            Pipeline=_obj(RoleArn=_ROLE, Tags=_TAGS),
            AutoMLJob=_obj(
                AutoMLJobConfig=_obj(SecurityConfig=_SECURITY),
                OutputDataConfig=_obj(KmsKeyId=_KMS), RoleArn=_ROLE, Tags=_TAGS,
            ),
            AutoMLJobV2=_obj(SecurityConfig=_SECURITY, OutputDataConfig=_obj(KmsKeyId=_KMS),
                             RoleArn=_ROLE, Tags=_TAGS),
            MonitoringSchedule=_obj(
                MonitoringScheduleConfig=_obj(MonitoringJobDefinition=_obj(
                    MonitoringOutputConfig=_obj(KmsKeyId=_KMS),
                    MonitoringResources=_obj(ClusterConfig=_obj(VolumeKmsKeyId=_KMS)),
                    NetworkConfig=_NETWORK, RoleArn=_ROLE,
                )),
                Tags=_TAGS,
            ),
        ),
    ),
    "required": ["SchemaVersion"],
}


@pytest.mark.parametrize("persona", [GUARDED, PLAIN], ids=["guarded", "plain"])
def test_the_file_validates_against_the_sdks_schema(persona: sm.Persona) -> None:
    role = persona.pass_roles[0]
    config = sdk_config(persona, role=role, account_id=ACCOUNT)

    jsonschema.validate(config, SDK_SCHEMA)
    assert yaml.safe_load(sdk_config_yaml(config, persona=persona.name)) == config


def test_the_schema_check_can_fail() -> None:
    config = sdk_config(GUARDED, role="team-a-compute", account_id=ACCOUNT)
    config["SageMaker"]["TrainingJob"]["VolumeKmsKeyId"] = KEY  # not where the SDK reads it

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, SDK_SCHEMA)


def test_the_defaults_carry_every_guard_rail_and_the_bucket() -> None:
    sagemaker = sdk_config(GUARDED, role="team-a-compute", account_id=ACCOUNT)["SageMaker"]

    training = sagemaker["TrainingJob"]
    assert training["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/team-a-compute"
    assert training["VpcConfig"] == {"SecurityGroupIds": ["sg-0abc1234"],
                                     "Subnets": ["subnet-0abc1234", "subnet-0def5678"]}
    assert training["ResourceConfig"] == {"VolumeKmsKeyId": KEY}
    assert training["OutputDataConfig"] == {"KmsKeyId": OUT_KEY}
    assert training["EnableNetworkIsolation"] is True
    assert training["EnableInterContainerTrafficEncryption"] is True
    assert sagemaker["EndpointConfig"]["KmsKeyId"] == KEY
    assert sagemaker["Pipeline"] == {"RoleArn": training["RoleArn"]}
    assert sagemaker["AutoMLJobV2"]["SecurityConfig"]["VpcConfig"] == training["VpcConfig"]
    assert sagemaker["PythonSDK"]["Modules"]["Session"] == {"DefaultS3Bucket": "team-a-data"}
    plain = sdk_config(PLAIN, role="plain-compute", account_id=ACCOUNT)["SageMaker"]
    assert set(plain["TrainingJob"]) == {"RoleArn"}


def test_the_default_bucket_must_be_one_of_the_personas() -> None:
    config = sdk_config(GUARDED, role="team-a-compute", account_id=ACCOUNT,
                        default_bucket="team-a-scratch")
    assert config["SageMaker"]["PythonSDK"]["Modules"]["Session"]["DefaultS3Bucket"] == (
        "team-a-scratch"
    )
    with pytest.raises(sm.ValidationError, match="not one of persona 'team-a-ds'"):
        sdk_config(GUARDED, role="team-a-compute", account_id=ACCOUNT, default_bucket="other")


def test_a_role_the_persona_may_not_pass_is_refused() -> None:
    with pytest.raises(sm.ValidationError, match="may not pass"):
        sdk_config(GUARDED, role="someone-else", account_id=ACCOUNT)


# -- jobs built with the defaults, against the persona's policy --------------------------------


def _dig(config: dict[str, Any], *path: str) -> Any:
    for key in path:
        config = config.get(key, {})
    return config or None


def _training_request(sagemaker: dict[str, Any]) -> dict[str, Any]:
    """The condition keys of a CreateTrainingJob the SDK builds from the defaults
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html)."""
    job = sagemaker.get("TrainingJob", {})
    return {
        "sagemaker:VpcSubnets": _dig(job, "VpcConfig", "Subnets"),
        "sagemaker:VpcSecurityGroupIds": _dig(job, "VpcConfig", "SecurityGroupIds"),
        "sagemaker:VolumeKmsKeyArn": _dig(job, "ResourceConfig", "VolumeKmsKeyId"),
        "sagemaker:OutputKmsKeyArn": _dig(job, "OutputDataConfig", "KmsKeyId"),
        "sagemaker:NetworkIsolation": job.get("EnableNetworkIsolation"),
        "sagemaker:InterContainerTrafficEncryption": job.get(
            "EnableInterContainerTrafficEncryption"
        ),
    }


def _model_request(sagemaker: dict[str, Any]) -> dict[str, Any]:
    model = sagemaker.get("Model", {})
    return {
        "sagemaker:VpcSubnets": _dig(model, "VpcConfig", "Subnets"),
        "sagemaker:VpcSecurityGroupIds": _dig(model, "VpcConfig", "SecurityGroupIds"),
        "sagemaker:NetworkIsolation": model.get("EnableNetworkIsolation"),
    }


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _holds(operator: str, key: str, wanted: tuple[str, ...], request: dict[str, Any]) -> bool:
    """The IAM condition operators a persona's SageMaker statements use."""
    have = _values(request.get(key))
    if operator == "Null":
        return (not have) == (wanted[0] == "true")
    if operator.startswith("ForAllValues:"):
        return all(_holds(operator.split(":", 1)[1], key, wanted, {key: v}) for v in have)
    if not have:
        return False
    if operator in ("StringEquals", "ArnEquals", "Bool"):
        return any(v in wanted for v in have)
    if operator in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(v, w) for v in have for w in wanted)
    raise AssertionError(f"operator {operator} not handled by this test")


def _allowed(persona: sm.Persona, action: str, resource: str, request: dict[str, Any]) -> bool:
    doc = persona.policy_document(account_id=ACCOUNT, region="us-east-1")
    def matches(s: sm.Statement) -> bool:
        return any(fnmatch.fnmatchcase(action, a) for a in s.actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in s.resources
        ) and all(_holds(c.operator, c.key, c.values, request) for c in s.conditions)
    if any(matches(s) for s in doc.statements if s.effect == "Deny"):
        return False
    return any(matches(s) for s in doc.statements if s.effect == "Allow")


TRAINING = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/my-job"
MODEL = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/my-model"


def test_a_job_built_with_the_defaults_satisfies_the_guard_rails() -> None:
    sagemaker = sdk_config(GUARDED, role="team-a-compute", account_id=ACCOUNT)["SageMaker"]

    assert _allowed(GUARDED, "sagemaker:CreateTrainingJob", TRAINING, _training_request(sagemaker))
    assert _allowed(GUARDED, "sagemaker:CreateModel", MODEL, _model_request(sagemaker))
    # The same job without the defaults is refused by the same policy: the check can fail.
    assert not _allowed(GUARDED, "sagemaker:CreateTrainingJob", TRAINING, _training_request({}))
    assert not _allowed(GUARDED, "sagemaker:CreateModel", MODEL, _model_request({}))


# -- the command and the optional extra --------------------------------------------------------


def test_the_command_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(
        "personas:\n"
        "  - {name: team-a-compute, kind: Compute, buckets: [team-a-data], role: {}}\n"
        "  - {name: team-a-ds, kind: DataScientist, buckets: [team-a-data],\n"
        "     pass_roles: [team-a-compute]}\n"
    )
    target = tmp_path / "home" / ".config" / "sagemaker" / "config.yaml"

    code = main(["sagemaker-config", str(blueprint), "--persona", "team-a-ds",
                 "--account-id", ACCOUNT, "--out", str(target)])

    assert code == 0
    written = yaml.safe_load(target.read_text())
    jsonschema.validate(written, SDK_SCHEMA)
    assert written["SageMaker"]["Pipeline"]["RoleArn"] == (
        f"arn:aws:iam::{ACCOUNT}:role/team-a-compute"
    )
    assert f"wrote the SageMaker Python SDK defaults for team-a-ds to {target}" in (
        capsys.readouterr().err
    )
    assert main(["sagemaker-config", str(blueprint), "--persona", "nobody"]) == 1


def test_the_sagemaker_package_is_never_imported() -> None:
    sdk_config(PLAIN, role="plain-compute", account_id=ACCOUNT)
    assert "sagemaker" not in sys.modules
