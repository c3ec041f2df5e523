"""Personas: builders, immutable derivation, policies, trust and validation
(issue 2, points 10 and 11)."""

from __future__ import annotations

import json

import attrs
import pytest
from _cases import ACCOUNT, ENCRYPTION, GUARDRAILS, NETWORK, REGION, full_personas

import secureml as sm
from secureml import activities as act
from secureml.policy import LIMITS


@pytest.fixture
def compute() -> sm.Persona:
    return sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"])


@pytest.fixture
def ds(compute: sm.Persona) -> sm.Persona:
    return sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute])


@pytest.fixture
def mlops(compute: sm.Persona) -> sm.Persona:
    return sm.MLOps("team-a-mlops", pass_roles=[compute])


def names(persona: sm.Persona) -> list[str]:
    return [a.name for a in persona.activities]


# -- builders ---------------------------------------------------------------------------


def test_builders_use_role_managers_defaults(
    ds: sm.Persona, mlops: sm.Persona, compute: sm.Persona
) -> None:
    assert names(ds) == [
        "Run Studio Applications",
        "Manage ML Jobs",
        "Manage Models",
        "Manage Experiments",
        "Search and Visualize Experiments",
        "S3 Bucket Access",
    ]
    assert names(mlops) == [
        "Run Studio Applications",
        "Manage Models",
        "Manage Endpoints",
        "Manage Pipelines",
        "Search and Visualize Experiments",
    ]
    assert names(compute) == ["Access Required AWS Services"]
    assert (ds.kind, mlops.kind, compute.kind) == ("DataScientist", "MLOps", "Compute")


def test_pass_roles_take_personas_by_name(ds: sm.Persona, compute: sm.Persona) -> None:
    assert ds.pass_roles == ("team-a-compute",)
    (stmt,) = [s for s in ds.statements(ACCOUNT) if "iam:PassRole" in s.actions]
    assert stmt.resources == (f"arn:aws:iam::{ACCOUNT}:role/{compute.name}",)


def test_explicit_activities_replace_the_defaults() -> None:
    p = sm.DataScientist("ds", activities=[act.SearchAndVisualizeExperiments()])
    assert names(p) == ["Search and Visualize Experiments"]


# -- immutability and derivation ------------------------------------------------------------


def test_personas_are_frozen(ds: sm.Persona) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]


def test_with_activities_returns_a_new_persona(ds: sm.Persona) -> None:
    before = ds.activities
    ds2 = ds.with_activities(act.QueryAthenaWorkgroups(workgroups=["primary"]))
    assert ds.activities == before
    assert names(ds2)[-1] == "Query Athena Workgroups"
    assert len(ds2.activities) == len(before) + 1
    assert any("athena:StartQueryExecution" in s.actions for s in ds2.statements())
    assert not any("athena:StartQueryExecution" in s.actions for s in ds.statements())


def test_with_activities_replaces_one_of_the_same_class(ds: sm.Persona) -> None:
    ds2 = ds.with_activities(act.S3BucketAccess(buckets=["other-bucket"], sdk_default_bucket=False))
    assert names(ds2).count("S3 Bucket Access") == 1
    resources = {r for s in ds2.statements() for r in s.resources if r.startswith("arn:aws:s3")}
    assert resources == {"arn:aws:s3:::other-bucket", "arn:aws:s3:::other-bucket/*"}


@pytest.mark.parametrize(
    "which",
    [act.ManageExperiments, "Manage Experiments", "manage experiments", "ManageExperiments"],
)
def test_without_activities_by_class_or_name(ds: sm.Persona, which: object) -> None:
    ds2 = ds.without_activities(which)  # type: ignore[arg-type]
    assert "Manage Experiments" not in names(ds2)
    assert "Manage Experiments" in names(ds)
    assert "sagemaker:CreateExperiment" not in ds2.policy_document().actions
    assert "sagemaker:CreateExperiment" in ds.policy_document().actions


def test_without_an_activity_the_persona_lacks_is_an_error(mlops: sm.Persona) -> None:
    with pytest.raises(sm.ValidationError, match="has no activity 'Manage ML Jobs'"):
        mlops.without_activities(act.ManageMLJobs)
    with pytest.raises(sm.ValidationError, match="unknown activity"):
        mlops.without_activities("Manage Everything")


def test_with_managed_policies_boundary_tags(ds: sm.Persona) -> None:
    canvas = "arn:aws:iam::aws:policy/AmazonSageMakerCanvasFullAccess"
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/ml-boundary"
    ds2 = (
        ds.with_managed_policies(canvas)
        .with_permissions_boundary(boundary)
        .with_tags(team="a")
        .with_tags(cost="ml")
    )
    assert ds2.managed_policies == (canvas,)
    assert ds2.permissions_boundary == boundary
    assert dict(ds2.tags) == {"cost": "ml", "team": "a"}
    assert (ds.managed_policies, ds.permissions_boundary, dict(ds.tags)) == ((), None, {})
    assert ds2.with_permissions_boundary(None).permissions_boundary is None


def test_with_settings_adds_guardrails(ds: sm.Persona) -> None:
    secured = ds.with_settings(network=NETWORK, encryption=ENCRYPTION)
    assert ds.network is None
    assert secured.network == NETWORK
    assert "sagemaker:VpcSubnets" in secured.policy_document().to_json()


def test_description_and_session_duration_are_kept() -> None:
    p = sm.Compute(
        "c", buckets=["b-data"], description="jobs of team a", max_session_duration="PT12H"
    )
    assert (p.description, p.max_session_duration) == ("jobs of team a", "PT12H")


# -- MLOps has no data access ------------------------------------------------------------------


def test_mlops_has_no_s3_data_access(mlops: sm.Persona) -> None:
    for settings in ({}, {"network": NETWORK, "encryption": ENCRYPTION}):
        actions = mlops.with_settings(**settings).policy_document(ACCOUNT, REGION).actions  # type: ignore[arg-type]
        assert not {a for a in actions if a.startswith(("s3:", "athena:", "glue:"))}


@pytest.mark.parametrize("cls", [c for c in act.ALL if c.data_access], ids=lambda c: c.__name__)
def test_mlops_rejects_data_activities(mlops: sm.Persona, cls: type[act.Activity]) -> None:
    activity = (
        cls(workgroups=["primary"])
        if cls is act.QueryAthenaWorkgroups
        else cls(glue_databases=["db"], buckets=["b-data"])
        if cls is act.ManageGlueTables
        else cls(buckets=["b-data"])  # type: ignore[call-arg]
        if "buckets" in attrs.fields_dict(cls)
        else cls()
    )
    with pytest.raises(sm.ValidationError, match="MLOps personas have no S3 data access"):
        mlops.with_activities(activity)
    with pytest.raises(sm.ValidationError, match=cls.name):
        sm.MLOps("m", pass_roles=["r"], activities=[activity])


# -- policies -----------------------------------------------------------------------------------


def test_statements_are_merged(ds: sm.Persona) -> None:
    stmts = ds.statements(ACCOUNT, REGION)
    scopes = [s.scope() for s in stmts]
    assert len(scopes) == len(set(scopes)), "statements with one scope merge into one"


def test_policy_document_is_canonical_json(ds: sm.Persona) -> None:
    doc = ds.policy_document(ACCOUNT, REGION)
    assert sm.PolicyDocument.from_json(doc.to_json()) == doc
    assert json.loads(doc.to_json())["Version"] == "2012-10-17"
    assert doc == ds.policy_document(ACCOUNT, REGION)


@pytest.mark.parametrize("persona", full_personas(NETWORK, ENCRYPTION, GUARDRAILS), ids=str)
def test_policy_documents_pack_each_under_the_managed_policy_limit(persona: sm.Persona) -> None:
    docs = persona.policy_documents(ACCOUNT, REGION)
    assert len(docs) > 1, "every activity with every guard-rail needs more than one policy"
    limit = LIMITS["managed policy"].max_chars
    assert all(d.size <= limit for d in docs), [d.size for d in docs]
    whole = persona.policy_document(ACCOUNT, REGION)
    assert frozenset().union(*(d.actions for d in docs)) == whole.actions
    # Packing never changes a statement's scope: every packed statement is (part of) one
    # of the persona's statements.
    scopes = {s.scope(): set(s.actions) for s in whole.statements}
    for doc in docs:
        for stmt in doc.statements:
            assert set(stmt.actions) <= scopes[stmt.scope()]


def test_too_many_managed_policies_leave_no_room() -> None:
    big = full_personas(NETWORK, ENCRYPTION, GUARDRAILS)[0]
    crowded = big.with_managed_policies(*(f"arn:aws:iam::aws:policy/Policy{i}" for i in range(9)))
    with pytest.raises(sm.PolicyTooLargeError) as info:
        crowded.policy_documents(ACCOUNT, REGION)
    assert info.value.limit == 6144
    assert len(info.value.sizes) > 1
    with pytest.raises(sm.ValidationError, match="leave no room"):
        big.with_managed_policies(*(f"arn:aws:iam::aws:policy/P{i}" for i in range(10)))


def test_unknown_account_gives_wildcards(ds: sm.Persona) -> None:
    text = ds.policy_document().to_json()
    assert "arn:aws:sagemaker:*:*:training-job/*" in text
    assert "arn:aws:iam::*:role/team-a-compute" in text


def test_bad_account_id_is_refused(ds: sm.Persona) -> None:
    with pytest.raises(sm.ValidationError, match="account_id: '1234' is not an AWS account id"):
        ds.policy_document("1234")


# -- trust policy ------------------------------------------------------------------------------


def test_trust_policy_with_source_account(ds: sm.Persona) -> None:
    assert ds.trust_policy(ACCOUNT).to_dict() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }
    assert ds.trust_policy(ACCOUNT).size <= LIMITS["trust policy"].max_chars


def test_trust_policy_without_account_has_no_condition(ds: sm.Persona) -> None:
    (stmt,) = ds.trust_policy().statements
    assert stmt.conditions == ()
    assert stmt.principals == (("Service", ("sagemaker.amazonaws.com",)),)


# -- lint ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", full_personas(NETWORK, ENCRYPTION, GUARDRAILS), ids=str)
def test_personas_lint_clean(persona: sm.Persona) -> None:
    # S3 Full Access names no bucket, Manage Studio App Images rewrites other users'
    # images: reported (SM040) in every persona that has them
    expected = ["SM040"] * sum(1 for a in persona.activities if a.widens)
    assert [f.code for f in persona.lint(ACCOUNT, REGION)] == expected
    assert [f.code for f in persona.lint()] == expected


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: sm.Compute("x" * 65, buckets=["b-data"]), r"name: 'x{65}' \(65 characters\)"),
        (
            lambda: sm.DataScientist("ds", buckets=["b-data"], pass_roles=["r" * 65]),
            "pass_roles",
        ),
        (lambda: sm.Compute("c", buckets=["B_Data"]), "buckets: 'B_Data' is not a valid S3"),
        (lambda: sm.Compute("c", buckets=["s3://b-data"]), "not an ARN or s3:// URL"),
        (
            lambda: sm.Compute("c", buckets=["b-data"], ecr_repositories=["Team A"]),
            "ecr_repositories: 'Team A' is not an ECR repository name",
        ),
        (
            lambda: sm.Compute("c", buckets=["b-data"], max_session_duration="PT13H"),
            "outside the allowed range, PT1H to PT12H",
        ),
        (
            lambda: sm.Compute("c", buckets=["b-data"], max_session_duration="PT30M"),
            "outside the allowed range, PT1H to PT12H",
        ),
        (
            lambda: sm.Compute("c", buckets=["b-data"], max_session_duration="8h"),
            "not an ISO-8601 duration",
        ),
        (
            lambda: sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=[]),
            "subnets and security_groups go together",
        ),
        (
            lambda: sm.EncryptionSettings(volume_kms_key="1234abcd-12ab-34cd-56ef-1234567890ab"),
            "is not an ARN",
        ),
        (
            lambda: sm.EncryptionSettings(
                volume_kms_key="arn:aws:kms:us-east-1:111122223333:alias/x"
            ),
            "must be a key ARN",
        ),
        (
            lambda: sm.Compute("c", buckets=["b-data"], permissions_boundary="ml-boundary"),
            "permissions_boundary: 'ml-boundary' is not an ARN",
        ),
        (lambda: sm.DataScientist("ds", pass_roles=["r"]), "'S3 Bucket Access' needs buckets"),
        (lambda: sm.DataScientist("ds", buckets=["b-data"]), "'Manage ML Jobs' needs pass_roles"),
        (lambda: sm.MLOps("m"), "'Manage Pipelines' needs pass_roles"),
        (lambda: sm.Compute("c"), "'Access Required AWS Services' needs buckets"),
        (
            lambda: sm.DataScientist("ds", buckets=["b"], pass_roles=["r"], workgroups=["a b"]),
            "workgroups: 'a b' is not an Athena workgroup name",
        ),
        (
            lambda: sm.Compute("c", buckets=["b-data"], glue_databases=["db.x"]),
            "glue_databases: 'db.x' is not a Glue database name",
        ),
        (
            lambda: sm.Compute(
                "c", buckets=["b-data"], activities=[act.ManagePipelines()]
            ),
            r"'Manage Pipelines' needs pass_roles \(give pass_roles=\[...\] to the persona",
        ),
    ],
)
def test_bad_input_raises_validation_error(build: object, message: str) -> None:
    with pytest.raises(sm.ValidationError, match=message) as info:
        build()  # type: ignore[operator]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, sm.SecureMLError)


def test_persona_inputs_the_activities_ask_for_are_persona_fields() -> None:
    """An activity missing an input says "give it to the persona": every persona
    that may have the activity takes it."""
    ds = sm.DataScientist(
        "ds",
        buckets=["team-a-data"],
        pass_roles=["team-a-compute"],
        workgroups=["primary"],
        glue_databases=["team_a"],
    ).with_activities(act.QueryAthenaWorkgroups(), act.ManageGlueTables())
    doc = ds.policy_document(ACCOUNT, REGION).to_json()
    assert f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary" in doc
    assert f"arn:aws:glue:{REGION}:{ACCOUNT}:database/team_a" in doc
    pipeline_role = sm.Compute(
        "team-a-pipelines",
        buckets=["team-a-data"],
        pass_roles=["team-a-pipelines"],
        activities=[act.AccessRequiredAWSServices(), act.ManagePipelines()],
    )
    passes = [s for s in pipeline_role.statements(ACCOUNT) if "iam:PassRole" in s.actions]
    assert [s.resources for s in passes] == [(f"arn:aws:iam::{ACCOUNT}:role/team-a-pipelines",)]
    # An activity's own input still wins over the persona's.
    own = ds.with_activities(act.QueryAthenaWorkgroups(workgroups=["adhoc"]))
    assert "workgroup/primary" not in own.policy_document(ACCOUNT, REGION).to_json()


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(sm.ValidationError) as info:
        sm.DataScientist("d" * 70, buckets=["Bad"], max_session_duration="PT24H")
    problems = info.value.problems
    assert len(problems) >= 4, problems  # name, bucket, duration, pass_roles
    assert all(str(p).startswith(f"persona '{'d' * 70}'") for p in problems)
    assert {p.path for p in problems} >= {("name",), ("buckets", 0), ("max_session_duration",)}


def test_a_persona_with_only_subnets_cannot_be_built() -> None:
    with pytest.raises(sm.ValidationError, match="security_groups"):
        sm.Compute(
            "c",
            buckets=["b-data"],
            network=sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=()),
        )
