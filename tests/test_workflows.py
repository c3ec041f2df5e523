"""The workflow library and the proof (issue 9, points 3-5).

Every persona, under all 16 combinations of network, encryption, guard-rails
and account scoping, allows every workflow of its activities and refuses every
guard-rail violation; each defect the issue lists is proved by the workflow
that finds it (the workflow is refused when the fix is taken out again).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

import attrs
import pytest
from _cases import (
    ACCOUNT,
    ENCRYPTION,
    GUARDRAILS,
    NETWORK,
    REGION,
    default_personas,
    full_personas,
)

import secureml as sm
from secureml import activities as act
from secureml import workflows as wf
from secureml.cli import main
from secureml.policy import Condition, PolicyDocument, evaluate

EVERYTHING = wf.WorkflowSettings(
    role=f"arn:aws:iam::{ACCOUNT}:role/team-a-compute",
    own_role=f"arn:aws:iam::{ACCOUNT}:role/team-a-compute",
    buckets=("team-a-data",),
    ecr_repositories=("team-a/*",),
    workgroups=("primary",),
    glue_databases=("team_a",),
    network=NETWORK,
    encryption=ENCRYPTION,
    guardrails=GUARDRAILS,
    gpu_instance_type="ml.g5.xlarge",
)


# -- the library ---------------------------------------------------------------------------------


def test_the_issue_lists_workflows_that_exist() -> None:
    wanted = {
        "train", "train-model-trainer", "train-gpu-local-storage", "process", "tune",
        "batch-transform", "automl-v2", "register-model", "approve-and-deploy-realtime",
        "deploy-serverless", "deploy-async", "invoke-endpoint", "pipeline", "pipeline-role",
        "model-monitor", "experiments-run", "studio-jupyterlab", "studio-code-editor",
        "athena-awswrangler", "glue-tables", "feature-store-offline", "sdk-default-bucket",
        "compute-job-runtime",
    }
    assert wanted <= set(wf.WORKFLOWS)


@pytest.mark.parametrize("name", list(wf.WORKFLOWS))
def test_every_request_is_one_the_catalogue_knows(name: str) -> None:
    """Actions exist, resource ARNs are of the action's resource types and every
    condition key is one the action takes (strict evaluation raises otherwise)."""
    workflow = wf.build(name, EVERYTHING)
    assert workflow is not None
    assert workflow.requests
    for request in workflow.requests:
        evaluate([], request.action, request.resource, request.context_dict(), strict=True)
        assert request.call, request


def test_every_activity_declares_known_workflows_and_every_workflow_has_one() -> None:
    declared = [w for cls in act.ALL for w in cls.workflows]
    assert set(declared) <= set(wf.WORKFLOWS)
    assert set(wf.WORKFLOWS) == set(declared)


def test_requests_carry_the_guardrail_keys_the_sdk_sends() -> None:
    train = wf.build("train", EVERYTHING)
    assert train is not None
    [create] = [r for r in train.requests if r.action == "sagemaker:CreateTrainingJob"]
    assert dict(create.context) == {
        "sagemaker:InstanceTypes": ("ml.m5.xlarge",),
        "sagemaker:InterContainerTrafficEncryption": True,
        "sagemaker:NetworkIsolation": True,
        "sagemaker:OutputKmsKeyArn": ENCRYPTION.output_kms_key,
        "sagemaker:VolumeKmsKeyArn": ENCRYPTION.volume_kms_key,
        "sagemaker:VpcSecurityGroupIds": NETWORK.security_groups,
        "sagemaker:VpcSubnets": NETWORK.subnets,
    }
    # fit() streams the logs: the two calls that were refused.
    actions = [r.action for r in train.requests]
    assert actions.index("logs:DescribeLogStreams") < actions.index("logs:GetLogEvents")


def test_gpu_training_carries_no_volume_key_and_only_where_allowed() -> None:
    gpu = wf.build("train-gpu-local-storage", EVERYTHING)
    assert gpu is not None
    [create] = [r for r in gpu.requests if r.action == "sagemaker:CreateTrainingJob"]
    assert create.context["sagemaker:InstanceTypes"] == ("ml.g5.xlarge",)
    assert "sagemaker:VolumeKmsKeyArn" not in create.context
    cpu_only = attrs.evolve(EVERYTHING, gpu_instance_type=None)
    assert wf.build("train-gpu-local-storage", cpu_only) is None


def test_settings_for_a_persona_pick_allowed_instance_types() -> None:
    ds = sm.DataScientist(
        "ds", buckets=["team-a-data"], pass_roles=["c"],
        guardrails=sm.Guardrails(instance_types=["ml.c5.*", "ml.p4d.*"]),
    )
    s = wf.WorkflowSettings.for_persona(ds, account_id=ACCOUNT, region=REGION)
    assert s.instance_type == "ml.c5.xlarge"
    assert s.gpu_instance_type == "ml.p4d.24xlarge"
    assert s.role == f"arn:aws:iam::{ACCOUNT}:role/c"
    assert s.default_bucket == f"sagemaker-{REGION}-{ACCOUNT}"


def test_unknown_workflow_names_the_known_ones() -> None:
    with pytest.raises(sm.ValidationError, match="known workflows are"):
        wf.build("trian")


# -- the proof: 3 personas x 16 combinations ---------------------------------------------------

COMBINATIONS = list(itertools.product((None, NETWORK), (None, ENCRYPTION), (None, GUARDRAILS),
                                      (False, True)))


def _id(combo: tuple[Any, ...]) -> str:
    net, enc, rails, scoped = combo
    return (f"net={'y' if net else 'n'}-kms={'y' if enc else 'n'}-rails={'y' if rails else 'n'}"
            f"-{'account' if scoped else 'no-account'}")


def _check(persona: sm.Persona, scoped: bool) -> wf.CheckReport:
    return persona.check(ACCOUNT if scoped else None, REGION if scoped else None)


@pytest.mark.parametrize("combo", COMBINATIONS, ids=_id)
def test_every_persona_allows_its_workflows_and_refuses_every_violation(
    combo: tuple[Any, ...],
) -> None:
    net, enc, rails, scoped = combo
    for persona in full_personas(net, enc, rails):
        report = _check(persona, scoped)
        assert report.passed, str(report)
        assert report.workflows, persona.name
        checked = {r.violation.split(":")[0] for r in report.results if r.violation}
        expected = {"pass roles"} if persona.kind != "Compute" else set()
        if persona.kind != "MLOps" and not any(
            isinstance(a, act.S3FullAccess) for a in persona.activities
        ):
            expected.add("buckets")
        if net is not None:
            expected.add("network")
        if enc is not None:
            expected.add("encryption")
        if rails is not None and persona.kind != "Compute":
            expected |= {"instance types", "network isolation"}
        if scoped:
            expected |= {"account", "region"}
        assert expected <= checked, (persona.name, checked)


@pytest.mark.parametrize("combo", COMBINATIONS, ids=_id)
def test_role_manager_default_personas_pass_too(combo: tuple[Any, ...]) -> None:
    net, enc, rails, scoped = combo
    for base in default_personas(net, enc):
        persona = base.with_settings(guardrails=rails)
        report = _check(persona, scoped)
        assert report.passed, str(report)
        checked = {r.violation.split(":")[0] for r in report.results if r.violation}
        if persona.kind != "MLOps":
            assert "buckets" in checked, persona.name


def test_the_proof_can_fail_violations_built_for_guardrails_the_policy_lacks() -> None:
    """The same persona without its network and key settings lets the violations
    through: the check sees the difference."""
    [ds, *_] = full_personas(NETWORK, ENCRYPTION, GUARDRAILS)
    loose = attrs.evolve(ds, network=None, encryption=None, guardrails=None)
    report = wf.check(ds, account_id=ACCOUNT, region=REGION,
                      documents=loose.policy_documents(ACCOUNT, REGION))
    allowed = {r.violation for r in report.allowed_violations}
    assert {"network: no VPC", "encryption: no volume key",
            "instance types: an instance type not allowed"} <= allowed
    assert not report.passed


# -- each defect of the issue, proved by its workflow ------------------------------------------


def _without(docs: Iterable[PolicyDocument], *actions: str) -> list[PolicyDocument]:
    out = []
    for doc in docs:
        stmts = []
        for s in doc.statements:
            kept = [a for a in s.actions if a not in actions]
            if kept:
                stmts.append(attrs.evolve(s, actions=kept))
        out.append(PolicyDocument(stmts))
    return out


def _without_statements(docs: Iterable[PolicyDocument], drop: Any) -> list[PolicyDocument]:
    return [PolicyDocument([s for s in d.statements if not drop(s)]) for d in docs]


def _refused(persona: sm.Persona, docs: list[PolicyDocument]) -> set[str]:
    report = wf.check(persona, account_id=ACCOUNT, region=REGION, documents=docs)
    return set(report.refused_workflows)


DEFECTS = [
    ("DataScientist", "train", ("logs:DescribeLogStreams",)),
    ("DataScientist", "process", ("logs:GetLogEvents",)),
    ("DataScientist", "batch-transform", ("logs:GetLogEvents",)),
    ("MLOps", "model-monitor", ("sagemaker:CreateDataQualityJobDefinition",)),
    ("DataScientist", "experiments-run", ("sagemaker:BatchPutMetrics",)),
    ("DataScientist", "automl-v2", ("sagemaker:CreateAutoMLJobV2",)),
    ("MLOps", "pipeline", ("sagemaker:ListTags",)),
    ("DataScientist", "athena-awswrangler", ("athena:GetWorkGroup",)),
    ("DataScientist", "athena-awswrangler", ("glue:GetTable",)),
    ("DataScientist", "athena-awswrangler", ("s3:GetBucketLocation",)),
    ("Compute", "feature-store-offline", ("s3:PutObjectAcl",)),
    ("Compute", "compute-job-runtime", ("s3:GetBucketLocation",)),
    ("MLOps", "invoke-endpoint", ("sagemaker:InvokeEndpoint",)),
    ("Compute", "pipeline-role", ("sagemaker:CreateTrainingJob",)),
]


@pytest.mark.parametrize(("kind", "workflow", "actions"), DEFECTS,
                         ids=[f"{w}-{a[0]}" for _, w, a in DEFECTS])
def test_each_fix_is_proved_by_its_workflow(kind: str, workflow: str, actions: tuple[str]) -> None:
    persona = next(p for p in full_personas(NETWORK, ENCRYPTION) if p.kind == kind)
    docs = persona.policy_documents(ACCOUNT, REGION)
    assert workflow not in _refused(persona, docs)
    assert workflow in _refused(persona, _without(docs, *actions))


def test_gpu_training_under_kms_needs_the_local_storage_grant() -> None:
    [ds, *_] = full_personas(NETWORK, ENCRYPTION)
    docs = ds.policy_documents(ACCOUNT, REGION)
    narrow = _without_statements(
        docs, lambda s: Condition("Null", "sagemaker:VolumeKmsKeyArn", "true") in s.conditions
    )
    assert "train-gpu-local-storage" in _refused(ds, narrow)
    assert "train" not in _refused(ds, narrow)


def test_serverless_endpoint_under_kms_needs_no_volume_key() -> None:
    _, mlops, _ = full_personas(NETWORK, ENCRYPTION)
    docs = _without_statements(
        mlops.policy_documents(ACCOUNT, REGION),
        lambda s: Condition("Null", "sagemaker:VolumeKmsKeyArn", "true") in s.conditions,
    )
    assert "deploy-serverless" in _refused(mlops, docs)


def test_endpoint_config_without_network_isolation_the_sdk_never_sends() -> None:
    """Requiring sagemaker:NetworkIsolation on CreateEndpointConfig (as before)
    refuses every deploy(): the SDK never sends it there."""
    _, mlops, _ = full_personas(guardrails=sm.Guardrails(network_isolation=True))
    docs = mlops.policy_documents(ACCOUNT, REGION)
    isolation = Condition("Bool", "sagemaker:NetworkIsolation", "true")
    config = "sagemaker:CreateEndpointConfig"
    strict = [
        PolicyDocument([
            *_without([d], config)[0].statements,
            *(
                attrs.evolve(s, actions=[config], conditions=(*s.conditions, isolation))
                for s in d.statements
                if config in s.actions
            ),
        ])
        for d in docs
    ]
    assert "approve-and-deploy-realtime" not in _refused(mlops, docs)
    assert "approve-and-deploy-realtime" in _refused(mlops, strict)


def test_sdk_default_bucket_is_granted_and_can_be_turned_off() -> None:
    ds = sm.DataScientist("ds", buckets=["team-a-data"], pass_roles=["c"])
    assert ds.check(ACCOUNT, REGION).workflows["sdk-default-bucket"]
    off = ds.with_activities(act.S3BucketAccess(sdk_default_bucket=False))
    report = off.check(ACCOUNT, REGION)
    assert set(report.refused_workflows) >= {"sdk-default-bucket", "train"}
    # Without an account: the caller's own default bucket, never another account's.
    loose = ds.check()
    assert loose.passed
    other = evaluate(
        ds.policy_documents(), "s3:GetObject", "arn:aws:s3:::sagemaker-us-east-1-444455556666/k",
        {"aws:PrincipalAccount": ACCOUNT},
    )
    assert not other.allowed


def test_compute_as_a_pipeline_role_needs_run_pipeline_steps() -> None:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"])
    steps = compute.with_activities(act.RunPipelineSteps())
    report = steps.check(ACCOUNT, REGION)
    assert report.workflows["pipeline-role"], str(report)
    # It passes itself, and no other role.
    assert any(r.violation == "pass roles: another role to pass" for r in report.results)
    settings = wf.WorkflowSettings.for_persona(compute, account_id=ACCOUNT, region=REGION)
    pipeline_role = wf.build("pipeline-role", settings)
    assert pipeline_role is not None
    plain = wf.check(compute, account_id=ACCOUNT, region=REGION)
    assert "pipeline-role" not in plain.workflows
    denied = [
        r for r in pipeline_role.requests
        if not evaluate(compute.policy_documents(ACCOUNT, REGION), r.action, r.resource,
                        r.context_dict()).allowed
    ]
    assert denied


def test_pass_role_to_a_role_with_a_path() -> None:
    """pass_roles given as an ARN with a path (role: {path: /ml/}) are passed
    as that ARN."""
    [ds, *_] = full_personas()
    docs = ds.policy_documents(ACCOUNT, REGION)
    pipelines = f"arn:aws:iam::{ACCOUNT}:role/ml/team-a-pipelines"
    ok = evaluate(
        docs, "iam:PassRole", pipelines, {"iam:PassedToService": "sagemaker.amazonaws.com"}
    )
    assert ok.allowed, ok.explain()


# -- the report and the CLI ----------------------------------------------------------------------


def _failing_persona() -> sm.Persona:
    return sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["c"],
                            network=NETWORK, encryption=ENCRYPTION)


def test_report_explains_each_failure() -> None:
    ds = _failing_persona()
    docs = _without(ds.policy_documents(ACCOUNT, REGION), "logs:GetLogEvents")
    report = wf.check(ds, account_id=ACCOUNT, region=REGION, documents=docs)
    assert not report.passed
    failure = next(r for r in report.failures if r.workflow == "train")
    assert failure.request.action == "logs:GetLogEvents"
    assert failure.decision == "implicit_deny"
    assert failure.explanation
    text = str(report)
    assert "FAIL train" in text
    assert "train step" in text
    assert "logs:GetLogEvents" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False
    assert data["workflows"]["train"] is False
    assert {f["action"] for f in data["failures"]} == {"logs:GetLogEvents"}


def test_report_of_a_passing_persona_reads_well() -> None:
    report = _failing_persona().check(ACCOUNT, REGION)
    text = str(report)
    assert text.startswith("persona team-a-ds (account 111122223333, region us-east-1): PASS")
    assert "  ok   train" in text
    assert report.failures == ()


def test_cli_check_passes_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "examples/ml-platform.yaml"]) == 0
    out = capsys.readouterr().out
    assert "9 persona(s), all workflows allowed" in out
    assert main(["check", "examples/ml-platform.yaml", "-o", "json", "--persona",
                 "team-a-mlops"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True
    assert [p["persona"] for p in data["personas"]] == ["team-a-mlops"]


def test_cli_check_exits_2_when_a_workflow_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bogus(s: wf.WorkflowSettings) -> wf.Workflow:
        return wf.Workflow("bogus", "delete a bucket", [
            wf.Request("s3:DeleteBucket", s.s3(s.data_bucket), call="nobody grants this"),
        ])

    import secureml.workflows._check as check_module

    monkeypatch.setattr(check_module, "WORKFLOWS", {**wf.WORKFLOWS, "bogus": bogus})
    monkeypatch.setattr(act.S3BucketAccess, "workflows", ("s3-data", "bogus"))
    assert main(["check", "examples/ml-platform.yaml", "-o", "json"]) == 2
    data = json.loads(capsys.readouterr().out)
    ds = next(p for p in data["personas"] if p["persona"] == "team-a-ds")
    assert ds["workflows"]["bogus"] is False
    assert ds["failures"][0]["action"] == "s3:DeleteBucket"


def test_cli_check_unknown_persona_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "examples/ml-platform.yaml", "--persona", "nobody"]) == 1
    assert "no persona 'nobody'" in capsys.readouterr().err


def test_workflows_import_no_boto3() -> None:
    import subprocess
    import sys

    code = "import sys, secureml.workflows; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_docs_tables_are_generated_from_the_library() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "scripts/gen_workflow_docs.py", "--check"],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr
