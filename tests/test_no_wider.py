"""No grant wider than its persona (issue 11, point 3): Studio apps and spaces
only for the user's own profile, custom images out of Run Studio Applications,
model approval only in MLOps, S3 inside the account, a serving persona."""

from __future__ import annotations

import secureml as sm
from secureml import activities as act
from secureml.policy import Statement

ACCOUNT = "111122223333"
REGION = "us-east-1"
OWN = (
    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/"
    "${sagemaker:DomainId}/${sagemaker:UserProfileName}"
)


def _granting(persona: sm.Persona, action: str, account: str | None = ACCOUNT) -> list[Statement]:
    return [
        s for s in persona.statements(account, REGION if account else None)
        if f"sagemaker:{action}" in s.actions or action in s.actions
    ]


def _ds() -> sm.Persona:
    return sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])


def test_studio_apps_only_in_own_spaces_or_without_an_owner() -> None:
    for action in ("CreateApp", "DeleteApp"):
        conditions = sorted(
            tuple(sorted((c.operator, c.key, c.values) for c in s.conditions))
            for s in _granting(_ds(), action)
        )
        assert conditions == [
            (("ArnLike", "sagemaker:OwnerUserProfileArn", (OWN,)),
             ("StringEquals", "sagemaker:SpaceSharingType", ("Private", "Shared"))),
            (("Null", "sagemaker:OwnerUserProfileArn", ("true",)),),
        ], action


def test_spaces_only_with_the_callers_own_profile_as_owner() -> None:
    for action in ("CreateSpace", "UpdateSpace", "DeleteSpace"):
        [stmt] = _granting(_ds(), action)
        assert {(c.operator, c.key, c.values) for c in stmt.conditions} == {
            ("ArnLike", "sagemaker:OwnerUserProfileArn", (OWN,)),
            ("StringEquals", "sagemaker:SpaceSharingType", ("Private", "Shared")),
        }


def test_instance_type_guardrail_stays_on_owned_apps_and_spaces() -> None:
    rails = sm.Guardrails(instance_types=["ml.t3.*"])
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["c"], guardrails=rails)
    for stmt in _granting(ds, "CreateApp") + _granting(ds, "CreateSpace"):
        assert "sagemaker:InstanceTypes" in stmt.condition_keys


def test_app_image_configs_are_only_read_by_studio_users() -> None:
    for action in ("CreateAppImageConfig", "UpdateAppImageConfig", "DeleteAppImageConfig"):
        assert _granting(_ds(), action) == []
    assert _granting(_ds(), "DescribeAppImageConfig")
    admin = _ds().with_activities(act.ManageStudioAppImages())
    assert _granting(admin, "UpdateAppImageConfig")
    assert act.ManageStudioAppImages not in act.DATA_SCIENTIST_DEFAULTS + act.MLOPS_DEFAULTS
    [finding] = [f for f in admin.lint() if f.code == "SM040"]
    assert "Manage Studio App Images rewrites the app image configs" in finding.message
    assert act.by_name("Manage Studio App Images") is act.ManageStudioAppImages


def test_data_scientists_register_versions_only_pending_approval() -> None:
    [create] = _granting(_ds(), "CreateModelPackage")
    assert [(c.operator, c.key, c.values) for c in create.conditions] == [
        ("StringEqualsIfExists", "sagemaker:ModelApprovalStatus", ("PendingManualApproval",))
    ]
    [update] = _granting(_ds(), "UpdateModelPackage")
    assert [(c.operator, c.key, c.values) for c in update.conditions] == [
        ("StringEqualsIfExists", "sagemaker:ModelApprovalStatus", ("PendingManualApproval",))
    ]


def test_approval_belongs_to_mlops() -> None:
    mlops = sm.MLOps("team-a-mlops", pass_roles=["team-a-serving"])
    for action in ("CreateModelPackage", "UpdateModelPackage"):
        assert all(not s.conditions for s in _granting(mlops, action)), action
    approver = _ds().with_activities(act.ManageModels(approve=True))
    assert all(not s.conditions for s in _granting(approver, "UpdateModelPackage"))
    refused = sm.MLOps("m", pass_roles=["r"]).with_activities(act.ManageModels(approve=False))
    assert all(s.conditions for s in _granting(refused, "UpdateModelPackage"))


def test_s3_stays_in_the_account() -> None:
    full = _ds().with_activities(act.S3FullAccess())
    for account, expected in ((ACCOUNT, ACCOUNT), (None, "${aws:PrincipalAccount}")):
        s3 = [s for s in full.statements(account, None) if s.actions[0].startswith("s3:")]
        assert s3
        for stmt in s3:
            assert [(c.operator, c.key, c.values) for c in stmt.conditions] == [
                ("StringEquals", "s3:ResourceAccount", (expected,))
            ]


def test_the_inference_persona_serves_and_does_nothing_else() -> None:
    serving = sm.Inference(
        "team-a-serving", model_buckets=["team-a-models"], ecr_repositories=["team-a/*"]
    )
    actions = {a for s in serving.statements(ACCOUNT, REGION) for a in s.actions}
    assert actions == {
        "s3:GetObject", "s3:ListBucket",
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "cloudwatch:PutMetricData",
    }
    assert serving.lint(ACCOUNT, REGION) == []
    assert serving.kind == "Inference"
    assert serving.trust_policy(ACCOUNT).statements[0].principals == (
        ("Service", ("sagemaker.amazonaws.com",)),
    )


def test_inference_with_kms_only_decrypts() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    serving = sm.Inference(
        "s", model_buckets=["team-a-models"], encryption=sm.EncryptionSettings(output_kms_key=key)
    )
    kms = {a for s in serving.statements(ACCOUNT, REGION) for a in s.actions if a.startswith("kms")}
    assert kms == {"kms:Decrypt"}


def test_mlops_passing_the_serving_role_has_no_pass_path_finding() -> None:
    serving = sm.Inference("team-a-serving", model_buckets=["team-a-models"])
    mlops = sm.MLOps("team-a-mlops", pass_roles=[serving])

    assert mlops.lint(ACCOUNT, REGION) == []
