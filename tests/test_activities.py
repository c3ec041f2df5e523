"""The ML activities: names, inputs, scoping and guard-rails (issue 2, points 7-9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _cases import ACCOUNT, ENCRYPTION, GUARDRAILS, NETWORK, REGION, every_activity

import secureml as sm
from secureml import activities as act
from secureml.activities import Activity, ActivityContext
from secureml.activities._guardrails import LOCAL_STORAGE_ACTIONS, compact_statements
from secureml.activities._sagemaker_tables import (
    SAGEMAKER_ACTIONS,
    created_resource,
    guardrail_keys,
    resource_patterns,
)
from secureml.policy import (
    OPTIONAL_GUARDRAIL_KEYS,
    STAR_RESOURCE_ACTIONS,
    VPC_OPTIONAL_ACTIONS,
    Condition,
    Statement,
)

ROLE_MANAGER_NAMES = [
    "Access Required AWS Services",
    "Run Studio Applications",
    "Manage ML Jobs",
    "Manage Models",
    "Manage Endpoints",
    "Manage Pipelines",
    "Manage Experiments",
    "Search and Visualize Experiments",
    "Manage Model Monitoring",
    "S3 Full Access",
    "S3 Bucket Access",
    "Query Athena Workgroups",
    "Manage AWS Glue Tables",
]


def ctx(**kwargs: object) -> ActivityContext:
    base: dict[str, object] = {
        "persona": "team-a-ds",
        "kind": "DataScientist",
        "account_id": ACCOUNT,
        "region": REGION,
        "buckets": ("team-a-data",),
        "ecr_repositories": ("team-a/*",),
        "pass_roles": ("team-a-compute",),
    }
    base.update(kwargs)
    return ActivityContext(**base)  # type: ignore[arg-type]


def statements(activity: Activity, **kwargs: object) -> list[Statement]:
    return list(activity.statements(ctx(**kwargs)))


def everything(**kwargs: object) -> list[Statement]:
    return [s for a in every_activity("DataScientist") for s in statements(a, **kwargs)]


# -- names ---------------------------------------------------------------------


def test_all_lists_the_13_role_manager_activities_in_order() -> None:
    assert [cls.name for cls in act.BASELINE] == ROLE_MANAGER_NAMES
    assert len({cls.__name__ for cls in act.BASELINE}) == 13
    assert set(act.BASELINE) < set(act.ALL)


@pytest.mark.parametrize("cls", act.ALL, ids=lambda c: c.__name__)
def test_by_name_finds_each_activity_by_either_name(cls: type[Activity]) -> None:
    assert act.by_name(cls.name) is cls
    assert act.by_name(cls.name.upper()) is cls
    assert act.by_name(cls.__name__) is cls


def test_by_name_rejects_unknown_names_listing_the_known_ones() -> None:
    with pytest.raises(sm.ValidationError, match="Manage ML Jobs"):
        act.by_name("Manage ML Job")


def test_activity_classes_are_exported_from_secureml_activities() -> None:
    for cls in act.ALL:
        assert getattr(act, cls.__name__) is cls
        assert cls.__name__ in act.__all__


# -- determinism ------------------------------------------------------------------


@pytest.mark.parametrize("activity", every_activity("DataScientist"), ids=lambda a: a.name)
def test_statements_are_deterministic_and_nonempty(activity: Activity) -> None:
    settings = {"network": NETWORK, "encryption": ENCRYPTION, "guardrails": GUARDRAILS}
    first = statements(activity, **settings)
    assert first
    assert first == statements(activity, **settings)
    assert sm.PolicyDocument(first).to_json() == sm.PolicyDocument(reversed(first)).to_json()


def test_activities_are_frozen_values() -> None:
    a = act.QueryAthenaWorkgroups(workgroups=["primary"])
    assert a == act.QueryAthenaWorkgroups(workgroups=("primary", "primary"))
    assert hash(a) == hash(act.QueryAthenaWorkgroups(workgroups="primary"))
    with pytest.raises(AttributeError):
        a.workgroups = ("other",)  # type: ignore[misc]


# -- scoping (point 8) ------------------------------------------------------------------


def test_sagemaker_resources_are_in_the_account_and_region() -> None:
    for stmt in everything():
        for action in stmt.actions:
            if not action.startswith("sagemaker:"):
                continue
            for resource in stmt.resources:
                assert resource == "*" or resource.startswith(
                    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
                ), stmt.to_dict()
                assert not resource.startswith("arn:aws:sagemaker:*:*:*"), stmt.to_dict()


def test_sagemaker_resources_are_wildcards_only_where_unknown() -> None:
    stmts = everything(account_id=None, region=None)
    resources = {r for s in stmts for r in s.resources if "sagemaker" in r}
    assert "arn:aws:sagemaker:*:*:training-job/*" in resources
    assert not any(r.endswith(":*/*") for r in resources), "never any resource type"


def test_each_action_gets_its_own_resource_types() -> None:
    by_action = {a: s.resources for s in statements(act.ManageMLJobs()) for a in s.actions}
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    assert by_action["sagemaker:DescribeTrainingJob"] == (f"{arn}:training-job/*",)
    assert by_action["sagemaker:StopProcessingJob"] == (f"{arn}:processing-job/*",)
    assert by_action["sagemaker:ListTrainingJobs"] == ("*",)
    assert f"{arn}:training-job/*" in by_action["sagemaker:CreateTrainingJob"]


def test_pass_role_names_the_roles_and_sagemaker_only() -> None:
    roles = ["team-a-compute", "arn:aws:iam::444455556666:role/path/other"]
    stmts = [
        s for s in statements(act.ManageMLJobs(pass_roles=roles)) if "iam:PassRole" in s.actions
    ]
    assert len(stmts) == 1
    (stmt,) = stmts
    assert stmt.actions == ("iam:PassRole",)
    assert set(stmt.resources) == {
        f"arn:aws:iam::{ACCOUNT}:role/team-a-compute",
        "arn:aws:iam::444455556666:role/path/other",
    }
    assert stmt.to_dict()["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


@pytest.mark.parametrize(
    "cls", [act.ManageMLJobs, act.ManageModels, act.ManagePipelines, act.ManageModelMonitoring]
)
def test_activity_inputs_take_precedence_over_the_personas(cls: type[Activity]) -> None:
    own = cls(pass_roles=["own-role"])  # type: ignore[call-arg]
    (stmt,) = [s for s in statements(own) if "iam:PassRole" in s.actions]
    assert stmt.resources == (f"arn:aws:iam::{ACCOUNT}:role/own-role",)


def test_resource_star_only_for_actions_without_resource_types() -> None:
    stmts = everything(network=NETWORK)
    granted = {a for s in stmts for a in s.actions}
    star = {a for s in stmts for a in s.actions if "*" in s.resources}
    without_types = {f"sagemaker:{a}" for a in SAGEMAKER_ACTIONS if not resource_patterns(a)}
    assert star == {
        "athena:ListDataCatalogs",
        "cloudwatch:PutMetricData",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ecr:GetAuthorizationToken",
        *(without_types & granted),
        *STAR_RESOURCE_ACTIONS,
    }
    assert "sagemaker:ListTrainingJobs" in star


def test_list_model_packages_is_on_star_as_aws_managed_policies_grant_it() -> None:
    """An unfiltered ListModelPackages names no model package, and a filtered one
    is authorized against the group, which the reference does not list for it."""
    # (cloudwatch:PutMetricData joined it when the 2026 reference gave it an optional
    # dataset type; test_catalogue checks every generated grant against the reference.)
    assert set(STAR_RESOURCE_ACTIONS) == {"sagemaker:ListModelPackages", "cloudwatch:PutMetricData"}
    models = statements(act.ManageModels())
    [stmt] = [s for s in models if "sagemaker:ListModelPackages" in s.actions]
    assert stmt.resources == ("*",)
    assert "group" in STAR_RESOURCE_ACTIONS["sagemaker:ListModelPackages"]


# -- network settings (point 9) --------------------------------------------------------


VPC_ACTIONS = {f"sagemaker:{a}" for a in SAGEMAKER_ACTIONS if "VpcSubnets" in guardrail_keys(a)}


def test_every_create_action_that_takes_a_vpc_requires_the_personas() -> None:
    stmts = everything(network=NETWORK)
    seen = set()
    for stmt in stmts:
        conds = stmt.to_dict().get("Condition", {})
        vpc_actions = VPC_ACTIONS & set(stmt.actions)
        if vpc_actions:
            seen |= vpc_actions
            assert conds["ForAllValues:StringEquals"] == {
                "sagemaker:VpcSubnets": sorted(NETWORK.subnets),
                "sagemaker:VpcSecurityGroupIds": NETWORK.security_groups[0],
            }
            if vpc_actions <= VPC_OPTIONAL_ACTIONS:
                # The VPC must be ours when given, but may be absent (it is the model's).
                assert "Null" not in conds, stmt.to_dict()
            else:
                assert not vpc_actions & VPC_OPTIONAL_ACTIONS, stmt.to_dict()
                assert conds["Null"] == {
                    "sagemaker:VpcSubnets": "false",
                    "sagemaker:VpcSecurityGroupIds": "false",
                }
        else:
            assert "sagemaker:VpcSubnets" not in stmt.condition_keys, stmt.to_dict()
    assert seen == VPC_ACTIONS
    assert "sagemaker:CreateTrainingJob" in seen
    assert "sagemaker:CreateModel" in seen
    assert "sagemaker:CreateTransformJob" not in seen, "it takes no VPC; the model carries it"


def test_endpoint_configs_need_no_vpc_of_their_own_but_models_do() -> None:
    """A classic endpoint config takes its VPC from the model: requiring VpcConfig on
    CreateEndpointConfig would refuse every classic real-time endpoint."""
    assert {"sagemaker:CreateEndpointConfig"} == VPC_OPTIONAL_ACTIONS
    stmts = everything(network=NETWORK)
    [config] = [s for s in stmts if "sagemaker:CreateEndpointConfig" in s.actions]
    # Manage Models and Run Pipeline Steps both create models.
    models = [s for s in stmts if "sagemaker:CreateModel" in s.actions]
    assert len(models) == 2
    assert "Null" not in config.to_dict()["Condition"]
    assert "ForAllValues:StringEquals" in config.to_dict()["Condition"]
    for model in models:
        assert model.to_dict()["Condition"]["Null"] == {
            "sagemaker:VpcSubnets": "false",
            "sagemaker:VpcSecurityGroupIds": "false",
        }


def test_without_network_there_are_no_vpc_conditions_or_eni_actions() -> None:
    stmts = everything()
    assert not any("sagemaker:VpcSubnets" in s.condition_keys for s in stmts)
    assert not any(a.startswith("ec2:") for s in stmts for a in s.actions)


def test_compute_with_network_may_manage_enis_in_its_subnets() -> None:
    stmts = statements(act.AccessRequiredAWSServices(), network=NETWORK, kind="Compute")
    by_action = {a: s for s in stmts for a in s.actions}
    for action in (
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
    ):
        assert action in by_action
    create = by_action["ec2:CreateNetworkInterface"].resources
    assert f"arn:aws:ec2:{REGION}:*:subnet/{NETWORK.subnets[0]}" in create
    assert f"arn:aws:ec2:{REGION}:*:security-group/{NETWORK.security_groups[0]}" in create
    assert f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/*" in create


# -- encryption settings (point 9) --------------------------------------------------------


def test_kms_conditions_on_actions_that_support_them() -> None:
    by_action = {
        a: s.to_dict().get("Condition", {})
        for s in everything(encryption=ENCRYPTION)
        for a in s.actions
        # the narrow local-storage grant (no volume key) is tested on its own
        if "sagemaker:VolumeKmsKeyArn" not in s.to_dict().get("Condition", {}).get("Null", {})
    }
    # The current ARN-typed keys (AWS deprecated sagemaker:VolumeKmsKey/OutputKmsKey),
    # compared as ARNs.
    jobs = by_action["sagemaker:CreateTrainingJob"]["ArnEquals"]
    assert jobs == {
        "sagemaker:VolumeKmsKeyArn": ENCRYPTION.volume_kms_key,
        "sagemaker:OutputKmsKeyArn": ENCRYPTION.output_kms_key,
    }
    assert by_action["sagemaker:CreateEndpointConfig"]["ArnEquals"] == {
        "sagemaker:VolumeKmsKeyArn": ENCRYPTION.volume_kms_key
    }
    assert "ArnEquals" not in by_action["sagemaker:CreateModel"]


def test_kms_grants_are_on_key_arns_for_aws_resources_through_sagemaker() -> None:
    stmts = sm.PolicyDocument(everything(encryption=ENCRYPTION)).statements
    kms = [s for s in stmts if any(a.startswith("kms:") for a in s.actions)]
    assert kms
    for stmt in kms:
        for resource in stmt.resources:
            assert resource.startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/"), resource
    (grant,) = [s for s in kms if "kms:CreateGrant" in s.actions]
    assert grant.resources == (ENCRYPTION.volume_kms_key,)
    assert grant.to_dict()["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringLike": {"kms:ViaService": f"sagemaker.{REGION}.amazonaws.com"},
    }
    # read and write (the data activities); read only (Serve Models' artifacts)
    for data in [s for s in kms if "kms:Decrypt" in s.actions]:
        assert data.resources == (ENCRYPTION.output_kms_key,)
        assert data.to_dict()["Condition"] == {
            "StringLike": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
        }
    assert sorted(s.actions for s in kms if "kms:Decrypt" in s.actions) == [
        ("kms:Decrypt",), ("kms:Decrypt", "kms:GenerateDataKey")
    ]


def test_one_key_brings_only_its_own_conditions() -> None:
    volume_only = sm.EncryptionSettings(volume_kms_key=ENCRYPTION.volume_kms_key)
    stmts = everything(encryption=volume_only)
    keys = {k for s in stmts for k in s.condition_keys}
    assert "sagemaker:VolumeKmsKeyArn" in keys
    assert "sagemaker:OutputKmsKeyArn" not in keys
    assert not any("kms:Decrypt" in s.actions for s in stmts)


def test_kms_via_service_region_is_a_wildcard_when_unknown() -> None:
    stmts = everything(encryption=ENCRYPTION, region=None)
    vias = {v for s in stmts for c in s.conditions if c.key == "kms:ViaService" for v in c.values}
    assert vias == {"sagemaker.*.amazonaws.com", "s3.*.amazonaws.com"}


# -- guard-rails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rails", "operator", "key", "values"),
    [
        (sm.Guardrails(network_isolation=True), "Bool", "sagemaker:NetworkIsolation", "true"),
        (
            sm.Guardrails(inter_container_traffic_encryption=True),
            "Bool",
            "sagemaker:InterContainerTrafficEncryption",
            "true",
        ),
        (
            sm.Guardrails(instance_types=["ml.m5.*"]),
            "ForAllValues:StringLike",
            "sagemaker:InstanceTypes",
            "ml.m5.*",
        ),
    ],
)
def test_guardrail_goes_on_exactly_the_actions_that_support_it(
    rails: sm.Guardrails, operator: str, key: str, values: str
) -> None:
    supporting = {
        f"sagemaker:{a}"
        for a in SAGEMAKER_ACTIONS
        if key.split(":")[1] in guardrail_keys(a)
        and (f"sagemaker:{a}", key) not in OPTIONAL_GUARDRAIL_KEYS
    }
    seen = set()
    for stmt in everything(guardrails=rails):
        if key in stmt.condition_keys:
            assert set(stmt.actions) <= supporting, stmt.to_dict()
            expected: str | list[str] = values
            if stmt.actions == ("sagemaker:CreateApp",) and key == "sagemaker:InstanceTypes":
                expected = [values, "system"]  # see the Studio Classic test below
            assert stmt.to_dict()["Condition"][operator][key] == expected
            seen |= set(stmt.actions)
        else:
            assert not set(stmt.actions) & supporting, stmt.to_dict()
    assert seen
    assert seen == supporting & {a for s in everything() for a in s.actions}


def test_no_guardrails_no_guardrail_keys() -> None:
    keys = {k for s in everything() for k in s.condition_keys}
    assert not keys & {
        "sagemaker:NetworkIsolation",
        "sagemaker:InterContainerTrafficEncryption",
        "sagemaker:InstanceTypes",
    }


# -- what real clients call ----------------------------------------------------------------


@pytest.mark.parametrize(
    "activity",
    [a for a in every_activity("DataScientist") if a.name != "Access Required AWS Services"],
    ids=lambda a: a.name,
)
def test_create_calls_may_tag_what_they_create_and_nothing_else(activity: Activity) -> None:
    """Studio and the SageMaker SDK tag what they create (Studio adds
    sagemaker:domain-arn); a create call with tags is also authorized for
    sagemaker:AddTags, so without it every such call is denied."""
    stmts = statements(activity)
    creates = {
        a.partition(":")[2]
        for s in stmts
        for a in s.actions
        if a.startswith("sagemaker:Create")
    }
    tagging = [
        s for s in stmts if "sagemaker:AddTags" in s.actions and s.conditions
    ]  # Manage Pipelines also tags existing pipelines (upsert): checked on its own
    if not creates:
        assert tagging == []
        return
    [tag] = tagging
    assert tag.actions == ("sagemaker:AddTags",)
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    assert set(tag.resources) == {f"{arn}:{created_resource(c)}" for c in creates}
    # Only during a create call: a direct AddTags call has no TaggingAction.
    assert tag.conditions == (Condition("Null", "sagemaker:TaggingAction", "false"),)


def test_created_resource_names_types_the_create_and_addtags_use() -> None:
    creates = {a for a in SAGEMAKER_ACTIONS if a.startswith("Create")}
    for action in creates:
        pattern = created_resource(action)
        assert pattern is not None, action
        assert pattern in resource_patterns(action), action
        assert pattern in resource_patterns("AddTags"), action
    assert created_resource("DescribeTrainingJob") is None
    assert created_resource("CreateTrainingJob") == "training-job/*"  # not its capacity
    granted_creates = {
        a.partition(":")[2]
        for s in everything()
        for a in s.actions
        if a.startswith("sagemaker:Create")
    }
    assert granted_creates <= creates


def test_studio_applications_include_spaces() -> None:
    """Studio runs JupyterLab and Code Editor apps in spaces (CreateApp takes a
    SpaceName there), which Role Manager's template predates."""
    by_action = {a: s for s in statements(act.RunStudioApplications()) for a in s.actions}
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    for action in ("CreateSpace", "UpdateSpace", "DeleteSpace", "DescribeSpace"):
        assert f"{arn}:space/*" in by_action[f"sagemaker:{action}"].resources
    assert by_action["sagemaker:ListSpaces"].resources == ("*",)
    rails = sm.Guardrails(instance_types=["ml.t3.*"])
    guarded = {
        a for s in statements(act.RunStudioApplications(), guardrails=rails)
        if "sagemaker:InstanceTypes" in s.condition_keys for a in s.actions
    }
    assert guarded == {"sagemaker:CreateApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace"}


# -- compact statements -----------------------------------------------------------------------


def _arn(pattern: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{pattern}"


def test_compaction_merges_statements_with_the_same_conditions() -> None:
    c = ctx()
    rail = [Condition("Bool", "sagemaker:NetworkIsolation", "true")]
    stmts = [
        Statement(actions="sagemaker:DescribeModel", resources=_arn("model/*")),
        Statement(actions="sagemaker:DescribeTrainingJob", resources=_arn("training-job/*")),
        Statement(actions="sagemaker:CreateModel", resources=_arn("model/*"), conditions=rail),
        Statement(
            actions="sagemaker:CreateProcessingJob",
            resources=_arn("processing-job/*"),
            conditions=rail,
        ),
    ]
    out = compact_statements(c, stmts)
    assert len(out) == 2
    plain = next(s for s in out if not s.conditions)
    assert plain.actions == ("sagemaker:DescribeModel", "sagemaker:DescribeTrainingJob")
    assert set(plain.resources) == {_arn("model/*"), _arn("training-job/*")}


def test_compaction_never_gives_an_action_a_resource_of_its_own_types() -> None:
    c = ctx()
    # AddTags may act on models: merging would let it tag every training job.
    stmts = [
        Statement(actions="sagemaker:AddTags", resources=_arn("model/*")),
        Statement(actions="sagemaker:DescribeTrainingJob", resources=_arn("training-job/*")),
    ]
    assert compact_statements(c, stmts) == sm.PolicyDocument(stmts).statements


@pytest.mark.parametrize(
    "other",
    [
        Statement(actions="sagemaker:ListModels", resources="*"),
        Statement(
            actions="sagemaker:DescribeModel",
            resources=f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model/team-a-*",
        ),
        Statement(actions="s3:GetObject", resources="arn:aws:s3:::b/*"),
        Statement(actions="sagemaker:DescribeModel", resources=_arn("model/*"), sid="Keep"),
        Statement(actions="sagemaker:DescribeModel", resources=_arn("model/*"), effect="Deny"),
    ],
    ids=["star", "other-region", "other-service", "sid", "deny"],
)
def test_compaction_leaves_other_statements_alone(other: Statement) -> None:
    base = Statement(actions="sagemaker:DescribeTrainingJob", resources=_arn("training-job/*"))
    assert set(compact_statements(ctx(), [base, other])) == {base, other}


def test_compaction_merges_named_arns_of_a_scope_exactly() -> None:
    # A scope's ARNs (model/team-a-*) are resource-type ARNs too: merged, each
    # action still matches only its own type's ARNs, which it had.
    base = Statement(actions="sagemaker:DescribeTrainingJob", resources=_arn("training-job/*"))
    named = Statement(actions="sagemaker:DescribeModel", resources=_arn("model/team-a-*"))
    [merged] = compact_statements(ctx(), [base, named])
    assert set(merged.actions) == {"sagemaker:DescribeTrainingJob", "sagemaker:DescribeModel"}
    assert set(merged.resources) == {_arn("training-job/*"), _arn("model/team-a-*")}
    # but never when an action would gain an ARN of its own type
    wide = Statement(actions="sagemaker:DescribeModel", resources=_arn("model/*"))
    both = Statement(actions="sagemaker:DeleteModel", resources=_arn("model/team-a-*"))
    assert len(compact_statements(ctx(), [wide, both])) == 2


# -- the other activities ---------------------------------------------------------------------


def test_s3_bucket_access_on_the_named_buckets_only() -> None:
    stmts = statements(act.S3BucketAccess(buckets=["b-one", "b-two"], sdk_default_bucket=False))
    assert {r for s in stmts for r in s.resources} == {
        "arn:aws:s3:::b-one",
        "arn:aws:s3:::b-two",
        "arn:aws:s3:::b-one/*",
        "arn:aws:s3:::b-two/*",
    }


def test_s3_bucket_access_adds_the_sdk_default_bucket_of_its_own_account() -> None:
    default = f"arn:aws:s3:::sagemaker-{REGION}-{ACCOUNT}"
    stmts = statements(act.S3BucketAccess(buckets=["b-one"]))
    assert {r for s in stmts for r in s.resources} == {
        "arn:aws:s3:::b-one", "arn:aws:s3:::b-one/*", default, f"{default}/*"
    }
    # Without an account: the caller's own, never any account's sagemaker-* bucket.
    ctx = ActivityContext(persona="p", kind="DataScientist")
    wild = {r for s in act.S3BucketAccess(buckets=["b-one"]).statements(ctx) for r in s.resources}
    assert "arn:aws:s3:::sagemaker-*-${aws:PrincipalAccount}" in wild
    assert not any(r.startswith("arn:aws:s3:::sagemaker-*-*") for r in wild)


def test_s3_full_access_splits_bucket_and_object_actions() -> None:
    by_action = {a: s.resources for s in statements(act.S3FullAccess()) for a in s.actions}
    assert by_action == {
        "s3:ListBucket": ("arn:aws:s3:::*",),
        "s3:GetObject": ("arn:aws:s3:::*/*",),
        "s3:PutObject": ("arn:aws:s3:::*/*",),
        "s3:DeleteObject": ("arn:aws:s3:::*/*",),
    }


def test_athena_on_the_named_workgroups() -> None:
    stmts = statements(act.QueryAthenaWorkgroups(workgroups=["primary", "adhoc"]))
    (query,) = [s for s in stmts if "athena:StartQueryExecution" in s.actions]
    assert set(query.resources) == {
        f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary",
        f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/adhoc",
    }


def test_athena_workgroups_may_come_from_the_context() -> None:
    activity = act.QueryAthenaWorkgroups()
    assert activity.missing_inputs(ctx()) != []
    assert activity.missing_inputs(ctx(workgroups=("primary",))) == []


def test_glue_bucket_level_actions_are_on_buckets() -> None:
    stmts = statements(act.ManageGlueTables(glue_databases=["team_a"]))
    by_action = {a: s for s in stmts for a in s.actions}
    assert by_action["s3:GetBucketAcl"].resources == ("arn:aws:s3:::team-a-data",)
    assert "s3:PutBucketAcl" not in by_action, "dead: the offline store sets object ACLs"
    acl = by_action["s3:PutObjectAcl"]
    assert acl.resources == ("arn:aws:s3:::team-a-data/*",)
    assert acl.conditions == (
        Condition("StringEquals", "s3:x-amz-acl", "bucket-owner-full-control"),
    )
    assert by_action["s3:GetObject"].resources == ("arn:aws:s3:::team-a-data/*",)
    search = by_action["glue:SearchTables"].resources
    assert f"arn:aws:glue:{REGION}:{ACCOUNT}:table/team_a/*" in search
    assert not any("table/*/*" in r for r in search)


def test_data_access_flags() -> None:
    data = {cls.name for cls in act.ALL if cls.data_access}
    assert data == {
        "Access Required AWS Services",
        "S3 Full Access",
        "S3 Bucket Access",
        "Query Athena Workgroups",
        "Manage AWS Glue Tables",
    }


# -- inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "missing"),
    [
        (act.S3BucketAccess(), "buckets"),
        (act.AccessRequiredAWSServices(), "buckets"),
        (act.ManageMLJobs(), "pass_roles"),
        (act.ManageModels(), "pass_roles"),
        (act.ManagePipelines(), "pass_roles"),
        (act.ManageModelMonitoring(), "pass_roles"),
        (act.QueryAthenaWorkgroups(), "workgroups"),
        (act.ManageGlueTables(), "glue_databases"),
    ],
    ids=lambda x: getattr(x, "name", x),
)
def test_missing_inputs_are_reported(activity: Activity, missing: str) -> None:
    empty = ActivityContext(persona="p", kind="DataScientist")
    problems = activity.missing_inputs(empty)
    assert any(
        p.path == (missing,) and p.value is None and activity.name in str(p) for p in problems
    ), problems


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: act.S3BucketAccess(buckets=["Bad_Bucket"]), "S3BucketAccess.buckets"),
        (lambda: act.ManageMLJobs(pass_roles=["x" * 65]), "ManageMLJobs.pass_roles"),
        (
            lambda: act.ManageModels(pass_roles=["arn:aws:s3:::not-a-role"]),
            "ManageModels.pass_roles",
        ),
        (
            lambda: act.AccessRequiredAWSServices(ecr_repositories=["Team A"]),
            "AccessRequiredAWSServices.ecr_repositories",
        ),
        (lambda: act.QueryAthenaWorkgroups(workgroups=["no spaces"]), "workgroups"),
        (lambda: act.ManageGlueTables(glue_databases=["bad/db"]), "glue_databases"),
    ],
)
def test_bad_activity_inputs_name_the_field(build: object, field: str) -> None:
    with pytest.raises(sm.ValidationError, match=field) as info:
        build()  # type: ignore[operator]
    assert isinstance(info.value, ValueError)


def test_import_secureml_does_not_import_boto3() -> None:
    code = (
        "import secureml, sys; "
        "secureml.DataScientist('ds', buckets=['b-data'], pass_roles=['r']).policy_documents(); "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith(('boto', 'moto')))"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_studio_classic_can_start_under_an_instance_type_guard_rail() -> None:
    """JupyterServer apps only run on the 'system' instance type: CreateApp allows it
    beside the persona's types, and no other action does."""
    persona = sm.MLOps(
        "ops", pass_roles=["compute"], guardrails=sm.Guardrails(instance_types=["ml.m5.*"])
    )
    create_app_seen = False
    for stmt in persona.statements():
        values = {c.values for c in stmt.conditions if c.key == "sagemaker:InstanceTypes"}
        if not values:
            continue
        if "sagemaker:CreateApp" in stmt.actions:
            create_app_seen = True
            assert stmt.actions == ("sagemaker:CreateApp",)
            assert values == {("ml.m5.*", "system")}
        else:
            assert values == {("ml.m5.*",)}, stmt.to_dict()
    assert create_app_seen


def test_no_volume_key_only_on_local_storage_instance_types_or_serverless() -> None:
    """AWS refuses a volume key on instance types with local NVMe storage: under a
    volume-key guard-rail those (and a serverless endpoint, with no instance) may go
    without one, keeping every other guard-rail; nothing else may."""
    rails = sm.Guardrails(network_isolation=True, instance_types=["ml.m5.*", "ml.g5.*"])
    stmts = everything(encryption=ENCRYPTION, network=NETWORK, guardrails=rails)
    narrow = [
        s for s in stmts
        if s.to_dict().get("Condition", {}).get("Null", {}).get("sagemaker:VolumeKmsKeyArn")
        == "true"
    ]
    assert {a for s in narrow for a in s.actions} == {
        f"sagemaker:{a}" for a in LOCAL_STORAGE_ACTIONS
    }
    for stmt in narrow:
        cond = stmt.to_dict()["Condition"]
        # within the instance-type guard-rail: only its local-storage family
        assert cond["ForAllValues:StringLike"] == {"sagemaker:InstanceTypes": "ml.g5.*"}
        assert "ArnEquals" not in cond or "sagemaker:VolumeKmsKeyArn" not in cond["ArnEquals"]
        if stmt.actions != ("sagemaker:CreateTransformJob",):
            assert "sagemaker:VpcSubnets" in cond["ForAllValues:StringEquals"]
    # Without a local-storage family among the allowed types: no narrow grant at all.
    cpu_only = sm.Guardrails(instance_types=["ml.m5.*"])
    assert not [
        s for s in everything(encryption=ENCRYPTION, guardrails=cpu_only)
        if "sagemaker:VolumeKmsKeyArn" in s.to_dict().get("Condition", {}).get("Null", {})
    ]
