"""sm.Scope (issue 11, point 1): a persona confined to its team's SageMaker
resources by name prefix, by tags (PrincipalTag included), or both; what
cannot be scoped is reported (SM043)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import secureml as sm
from secureml import _scoping
from secureml.activities._sagemaker_tables import resource_patterns
from secureml.errors import ValidationError
from secureml.policy import Statement

ACCOUNT = "111122223333"
REGION = "us-east-1"
SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
NET = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS = sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=KEY)
RAILS = sm.Guardrails(
    network_isolation=True, inter_container_traffic_encryption=True, instance_types=["ml.m5.*"]
)
BY_NAME = sm.Scope(name_prefix="team-a-")
BY_TAG = sm.Scope(tags={"team": "team-a"})
BY_PRINCIPAL = sm.Scope(tags={"team": sm.PrincipalTag("team")})
BOTH = sm.Scope(name_prefix="team-a-", tags={"team": "team-a"})


def _ds(scope: sm.Scope | None, **kwargs: Any) -> sm.Persona:
    return sm.DataScientist(
        "team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"], scope=scope, **kwargs
    )


def _mlops(scope: sm.Scope | None, **kwargs: Any) -> sm.Persona:
    return sm.MLOps("team-a-mlops", pass_roles=["team-a-serving"], scope=scope, **kwargs)


def _grants(persona: sm.Persona, action: str) -> list[Statement]:
    return [s for s in persona.statements(ACCOUNT, REGION) if f"sagemaker:{action}" in s.actions]


def _own(action: str, resources: tuple[str, ...]) -> tuple[str, ...]:
    """The resources of ``action``'s own types (compaction puts others beside them)."""
    segments = {p.split("/")[0] for p in resource_patterns(action)} or {"*"}
    return tuple(r for r in resources if r == "*" or r[len(SM):].split("/")[0] in segments)


def _resources(persona: sm.Persona, action: str) -> set[str]:
    return {r for s in _grants(persona, action) for r in _own(action, s.resources)}


def _conditions(stmt: Statement) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {c.key: (c.operator, c.values) for c in stmt.conditions}


# -- name prefix ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("CreateTrainingJob", "training-job/team-a-*"),
        ("StopTrainingJob", "training-job/team-a-*"),
        ("DescribeProcessingJob", "processing-job/team-a-*"),
        ("UpdateModelPackage", "model-package/team-a-*"),
        ("CreateSpace", "space/*/team-a-*"),
        ("DeleteApp", "app/*/team-a-*/*/*"),
        ("DescribeUserProfile", "user-profile/*/team-a-*"),
    ],
)
def test_name_prefix_goes_into_every_arn(action: str, expected: str) -> None:
    assert SM + expected in _resources(_ds(BY_NAME), action)
    assert not any(r.endswith(expected.replace("team-a-*", "*")) and "team-a" not in r
                   for r in _resources(_ds(BY_NAME), action))


def test_name_prefix_on_mlops_endpoints_and_pipelines() -> None:
    mlops = _mlops(BY_NAME)
    assert _resources(mlops, "UpdateEndpoint") == {
        SM + "endpoint/team-a-*", SM + "endpoint-config/team-a-*"
    }
    assert _resources(mlops, "DeleteEndpoint") == {SM + "endpoint/team-a-*"}
    assert _resources(mlops, "StartPipelineExecution") == {SM + "pipeline/team-a-*"}


def test_list_and_search_actions_stay_as_they_are() -> None:
    for action in ("ListTrainingJobs", "Search", "ListModelPackages"):
        assert _resources(_ds(BOTH), action) == {"*"}, action


def test_other_services_are_left_alone() -> None:
    def others(persona: sm.Persona) -> set[Statement]:
        return {
            s for s in persona.statements(ACCOUNT, REGION)
            if not s.actions[0].startswith("sagemaker")
        }

    plain, scoped = others(_ds(None)), others(_ds(BOTH))
    assert plain == scoped


def test_what_a_name_cannot_scope_is_sm043_with_the_reason() -> None:
    findings = [f for f in _ds(BY_NAME).lint(ACCOUNT, REGION) if f.code == "SM043"]
    [artifacts] = [f for f in findings if "on artifact unscoped" in f.message]
    assert "artifact ARNs carry an id, not a name" in artifacts.message
    assert "sagemaker:CreateArtifact" in artifacts.message
    # the jobs SageMaker Pipelines starts are named pipelines-<execution>-<step>
    [jobs] = [f for f in findings if "on training-job unscoped" in f.message]
    assert "pipelines-<execution>-<step>, which no prefix can scope; add tags" in jobs.message
    assert SM + "training-job/pipelines-*" in _resources(_ds(BY_NAME), "StopTrainingJob")
    # tags can: with both, nothing is left
    assert [f.code for f in _ds(BOTH).lint(ACCOUNT, REGION)] == []
    assert [f.code for f in _ds(BY_TAG).lint(ACCOUNT, REGION)] == []


def test_shared_resource_types_are_left_alone_by_design() -> None:
    assert _resources(_ds(BOTH), "DescribeDomain") == {SM + "domain/*"}
    [stmt] = _grants(_ds(BOTH), "DescribeDomain")
    assert "aws:ResourceTag/team" not in _conditions(stmt)
    # capacity bought for the account: used only by a job that names it
    assert {SM + "training-plan/*", SM + "reserved-capacity/*"} <= _resources(
        _ds(BOTH), "CreateTrainingJob"
    )


# -- tags -----------------------------------------------------------------------------------


def test_creates_must_carry_the_tags() -> None:
    for action in ("CreateTrainingJob", "CreateModel", "CreateExperiment"):
        for stmt in _grants(_ds(BY_TAG), action):
            if any("training-plan" in r or "reserved-capacity" in r for r in stmt.resources):
                continue
            conds = _conditions(stmt)
            assert conds["aws:RequestTag/team"] == ("StringEquals", ("team-a",)), action
            assert conds["aws:TagKeys"] == ("ForAnyValue:StringEquals", ("team",)), action
            assert "aws:ResourceTag/team" not in conds


def test_tagging_on_create_carries_the_tags_too() -> None:
    [add_tags] = _grants(_ds(BY_TAG), "AddTags")
    conds = _conditions(add_tags)
    assert conds["sagemaker:TaggingAction"] == ("Null", ("false",))
    assert conds["aws:RequestTag/team"] == ("StringEquals", ("team-a",))


def test_actions_on_existing_resources_require_the_tags() -> None:
    for action in ("DescribeTrainingJob", "StopTrainingJob", "DeleteModel", "UpdateModelPackage"):
        for stmt in _grants(_ds(BY_TAG), action):
            conds = _conditions(stmt)
            assert conds["aws:ResourceTag/team"] == ("StringEquals", ("team-a",)), action
            assert "aws:RequestTag/team" not in conds


def test_a_create_on_an_existing_resource_splits_by_resource_type() -> None:
    # CreateEndpoint creates the endpoint (request tags) from an existing config
    # (resource tags); IAM authorizes each resource on its own.
    by_resource = {
        r: _conditions(s)
        for s in _grants(_mlops(BY_TAG), "CreateEndpoint")
        for r in _own("CreateEndpoint", s.resources)
    }
    assert set(by_resource) == {SM + "endpoint/*", SM + "endpoint-config/*"}
    assert by_resource[SM + "endpoint/*"]["aws:RequestTag/team"] == ("StringEquals", ("team-a",))
    assert by_resource[SM + "endpoint-config/*"]["aws:ResourceTag/team"] == (
        "StringEquals", ("team-a",)
    )


def test_principal_tag_becomes_the_policy_variable() -> None:
    [stmt] = _grants(_ds(BY_PRINCIPAL), "DescribeTrainingJob")
    assert _conditions(stmt)["aws:ResourceTag/team"] == (
        "StringEquals", ("${aws:PrincipalTag/team}",)
    )


def test_sagemaker_resource_tag_where_the_catalogue_lists_only_that(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    only_sagemaker = ("sagemaker:ResourceTag/${TagKey}",)
    monkeypatch.setattr(_scoping.catalog, "condition_keys", lambda action: only_sagemaker)

    conds = _scoping._tag_conditions("sagemaker:DescribeModel", False, {"team": "team-a"})
    assert conds == [sm.Condition("StringEquals", "sagemaker:ResourceTag/team", "team-a")]
    # and a create whose action takes no request tag cannot be scoped by tags
    assert _scoping._tag_conditions("sagemaker:CreateModel", True, {"team": "team-a"}) is None


def test_guardrails_stay_beside_the_scope() -> None:
    ds = _ds(BOTH, network=NET, encryption=KMS, guardrails=RAILS)
    for stmt in _grants(ds, "CreateTrainingJob"):
        if SM + "training-job/team-a-*" in stmt.resources:
            keys = set(_conditions(stmt))
            assert {"sagemaker:VpcSubnets", "sagemaker:InstanceTypes",
                    "aws:RequestTag/team"} <= keys


def test_both_together_name_and_tags() -> None:
    [stmt] = _grants(_ds(BOTH), "DescribeTrainingJob")
    # (and pipelines-*: SageMaker Pipelines' names for its steps' jobs, confined by the tags)
    assert set(_own("DescribeTrainingJob", stmt.resources)) == {
        SM + "training-job/team-a-*", SM + "training-job/pipelines-*"
    }
    assert _conditions(stmt)["aws:ResourceTag/team"] == ("StringEquals", ("team-a",))


def test_the_compute_persona_of_a_scoped_team_gets_the_same_scope() -> None:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"], scope=BOTH)
    [stmt] = _grants(compute, "BatchPutMetrics")
    assert set(_own("BatchPutMetrics", stmt.resources)) == {
        SM + "experiment-trial-component/team-a-*", SM + "training-job/team-a-*",
        SM + "experiment-trial-component/pipelines-*", SM + "training-job/pipelines-*",
    }
    assert _conditions(stmt)["aws:ResourceTag/team"] == ("StringEquals", ("team-a",))
    pipeline_role = compute.with_activities(
        sm.activities.ManagePipelines(pass_roles=["team-a-compute"])
    )
    [create] = _grants(pipeline_role, "CreatePipeline")
    assert _conditions(create)["aws:RequestTag/team"] == ("StringEquals", ("team-a",))


@pytest.mark.parametrize(
    ("network", "encryption", "guardrails"),
    list(itertools.product((None, NET), (None, KMS), (None, RAILS))),
)
def test_scoped_personas_fit_their_roles_and_lint_clean(
    network: Any, encryption: Any, guardrails: Any
) -> None:
    settings = {"network": network, "encryption": encryption, "guardrails": guardrails}
    for scope in (BY_TAG, BY_PRINCIPAL, BOTH):
        for persona in (_ds(scope, **settings), _mlops(scope, **settings)):
            assert persona.policy_documents(ACCOUNT, REGION)  # packs into <= 10 policies
            assert persona.lint(ACCOUNT, REGION) == [], (scope, persona.name)


def test_with_scope_and_without() -> None:
    ds = _ds(None)
    assert ds.with_scope(BY_NAME).scope == BY_NAME
    assert ds.with_scope(BY_NAME).with_scope(None).statements() == ds.statements()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give name_prefix, tags or both"),
        ({"name_prefix": "Team-A-"}, "scope.name_prefix: 'Team-A-' is not allowed"),
        ({"name_prefix": "team-*"}, "scope.name_prefix: 'team-\\*' is not allowed"),
        ({"tags": {"team": "team-*"}}, "scope.tags\\['team'\\]: 'team-\\*' is not allowed"),
        ({"tags": {"team": "${aws:username}"}}, "no wildcard or policy variable"),
        ({"tags": {"aws:team": "a"}}, "key 'aws:team' is not allowed"),
    ],
)
def test_a_bad_scope_says_what_is_allowed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sm.Scope(**kwargs)


def test_a_bad_principal_tag() -> None:
    with pytest.raises(ValidationError, match="PrincipalTag: 'aws:x' is not a tag key"):
        sm.PrincipalTag("aws:x")
