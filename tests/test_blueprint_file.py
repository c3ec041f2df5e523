"""Blueprint files: YAML in, the Python API's objects out, every problem reported
with the file, the path in the document and the line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import attrs
import jsonschema
import pytest
import yaml

import secureml as sm
from secureml import activities as act
from secureml.blueprint_file import (
    BlueprintFile,
    BlueprintFileError,
    FileProblem,
    json_schema,
    load,
    loads,
    schema_text,
)
from secureml.blueprint_file._spec import SPEC_CLASSES, BlueprintSpec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ml-platform.yaml"
SCHEMA = ROOT / "schema" / "blueprint.schema.json"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _load(text: str) -> BlueprintFile:
    return loads(textwrap.dedent(text), source="bp.yaml", name="bp")


def _issues(text: str) -> list[FileProblem]:
    with pytest.raises(BlueprintFileError) as info:
        _load(text)
    assert isinstance(info.value, sm.ValidationError)
    assert tuple(map(str, info.value.problems)) == tuple(str(i) for i in info.value.issues)
    return list(info.value.issues)


def _one(text: str) -> FileProblem:
    issues = _issues(text)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


# -- the example -------------------------------------------------------------------------------


def test_example_loads_into_personas_and_resources() -> None:
    bf = load(EXAMPLE)

    assert bf.name == "ml-platform"
    assert bf.region == "us-east-1"
    assert list(bf.personas) == [
        "team-a-compute", "team-a-serving", "team-a-ds", "team-a-mlops",
        "team-b-compute", "team-b-serving", "team-b-ds", "team-b-mlops",
        "ml-studio-users",
    ]
    assert {p.kind for p in bf.personas.values()} == {
        "Compute", "Inference", "DataScientist", "MLOps"
    }
    # every team's persona is confined to the team; the workforce's by its own tag
    for name, persona in bf.personas.items():
        team = name[:6]
        if name.endswith("serving"):
            assert persona.scope is None  # no SageMaker API at all
        elif name == "ml-studio-users":
            assert persona.scope == sm.Scope(tags={"team": sm.PrincipalTag("team")})
        else:
            assert persona.scope == sm.Scope(name_prefix=f"{team}-", tags={"team": team})
    kinds = [r.kind for r in bf.resources]
    assert kinds.count("iam-role") == 8
    assert kinds.count("sso-permission-set") == 1
    assert kinds.count("sso-group-assignment") == 4
    assert kinds.count("s3-public-access-block") == 4  # every persona bucket, once
    assert kinds.count("s3-account-public-access-block") == 1
    assert kinds.count("cloudtrail-audit-trail") == 1
    # the workforce's team tag: each user's department, by Identity Center's ABAC
    abac = bf.blueprint["sso-access-control-attributes/identity-center"]
    assert dict(abac.attributes) == {"team": ("${path:enterprise.department}",)}
    assert isinstance(bf.blueprint, sm.Blueprint)
    assert bf.blueprint.region == "us-east-1"


def test_example_settings_reach_every_persona_and_overrides_replace_them() -> None:
    bf = load(EXAMPLE)
    net = sm.NetworkSettings(
        subnets=["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        security_groups=["sg-0123456789abcdef0"],
    )
    for persona in bf.personas.values():
        assert persona.network == net
        assert persona.encryption == sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=KEY)
    assert bf.personas["team-a-ds"].guardrails is None
    assert bf.personas["team-b-ds"].guardrails == sm.Guardrails(
        inter_container_traffic_encryption=True,
        instance_types=["ml.t3.*", "ml.m5.*", "ml.g5.*"],
    )


def test_a_persona_from_a_file_equals_the_one_built_in_python() -> None:
    bf = _load(
        f"""
        settings:
          network: {{subnets: [subnet-0abc1234], security_groups: [sg-0abc1234]}}
          encryption: {{volume_kms_key: "{KEY}"}}
        personas:
          - name: team-a-compute
            kind: Compute
            buckets: [team-a-data]
            ecr_repositories: ["team-a/*"]
            role: {{}}
          - name: team-a-ds
            kind: DataScientist
            buckets: [team-a-data]
            pass_roles: [team-a-compute]
            add_activities:
              - {{activity: Query Athena Workgroups, workgroups: [primary]}}
            remove_activities: [Manage Experiments]
            managed_policies: [arn:aws:iam::aws:policy/AmazonSageMakerCanvasFullAccess]
            tags: {{team: a}}
            description: Team A
            max_session_duration: PT4H
        """
    )
    net = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
    kms = sm.EncryptionSettings(volume_kms_key=KEY)
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"],
                         ecr_repositories=["team-a/*"], network=net, encryption=kms)
    ds = (
        sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute],
                         network=net, encryption=kms, tags={"team": "a"},
                         description="Team A", max_session_duration="PT4H")
        .without_activities(act.ManageExperiments)
        .with_activities(act.QueryAthenaWorkgroups(workgroups=["primary"]))
        .with_managed_policies("arn:aws:iam::aws:policy/AmazonSageMakerCanvasFullAccess")
    )
    assert bf.personas["team-a-compute"] == compute
    assert bf.personas["team-a-ds"] == ds
    assert bf.personas["team-a-ds"].policy_document("123456789012", "us-east-1") == (
        ds.policy_document("123456789012", "us-east-1")
    )
    assert [r.key for r in bf.resources] == ["iam-role/team-a-compute"]


def test_pass_roles_follow_a_renamed_role_and_null_opts_out_of_settings() -> None:
    bf = _load(
        """
        settings:
          network: {subnets: [subnet-0abc1234], security_groups: [sg-0abc1234]}
        personas:
          - {name: c, kind: Compute, buckets: [x-data], role: {name: ml-exec, path: /ml/}}
          - {name: d, kind: DataScientist, buckets: [x-data], pass_roles: [c], network: null}
        """
    )
    # The role has a path, so PassRole names it with the path (its real ARN).
    assert bf.personas["d"].pass_roles == ("/ml/ml-exec",)
    doc = bf.personas["d"].policy_document("123456789012", "us-east-1")
    assert "arn:aws:iam::123456789012:role/ml/ml-exec" in doc.to_json()
    assert bf.personas["d"].network is None
    assert bf.personas["c"].network is not None
    role = bf.blueprint["iam-role/ml-exec"]
    assert role.name == "ml-exec"


def test_blueprint_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "team-platform.yaml"
    path.write_text("personas: [{name: c, kind: Compute, buckets: [x-data], role: {}}]\n")
    assert load(path).name == "team-platform"

    bad = tmp_path / "my blueprint.yaml"
    bad.write_text("personas: []\n")
    with pytest.raises(BlueprintFileError, match=r"'my blueprint' \(taken from the file's name"):
        load(bad)


def test_assignments_public_access_and_trail_become_resources() -> None:
    bf = _load(
        """
        blueprint: platform
        region: eu-west-1
        identity_center: {region: eu-west-1}
        personas:
          - name: ds
            kind: DataScientist
            buckets: [x-data]
            pass_roles: [arn:aws:iam::123456789012:role/exec]
            permission_set: {name: DataScience, session_duration: PT8H, relay_state: "https://x.ex"}
        assignments:
          - {group: DataScientists, permission_set: ds, accounts: [123456789012, "111122223333"]}
          - {user: jdoe, permission_set: DataScience, organizational_units: [ou-ab12-34cd56ef]}
        public_access_block: {buckets: [shared-data], persona_buckets: true}
        audit_trail:
          name: audit
          bucket: audit-logs-123456789012
          persona_bucket_data_events: true
          object_lock: {days: 365}
        """
    )
    assert bf.name == "platform"
    keys = [r.key for r in bf.resources]
    assert keys == [
        "sso-permission-set/DataScience",
        "sso-group-assignment/DataScientists:DataScience",
        "sso-user-assignment/jdoe:DataScience",
        "s3-public-access-block/shared-data",
        "s3-public-access-block/x-data",
        "cloudtrail-audit-trail/audit",
    ]
    group = bf.blueprint["sso-group-assignment/DataScientists:DataScience"]
    assert group.accounts == ("123456789012", "111122223333")  # a 12-digit number is accepted
    trail = bf.blueprint["cloudtrail-audit-trail/audit"]
    assert trail.data_event_buckets == ("x-data",)
    assert trail.object_lock == sm.ObjectLock(days=365)
    assert bf.lines["ds"] == 6
    assert bf.lines["sso-permission-set/DataScience"] == 10


# -- problems ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("personas:\n  - name: x\n   kind: [Compute\n", 3, 4,
         "YAML syntax error: this line is indented differently from the lines above it in "
         "the same block: align it with its neighbours (YAML: while parsing a block "
         "collection (which began at line 2, column 3): expected <block end>, but found "
         "'<block mapping start>')"),
        ("personas:\n  - {name: x, kind: Compute, buckets: [x-data]\n  - {name: y}\n", 3, 3,
         "YAML syntax error: a {mapping} is not closed with '}' or its entries are not "
         "separated by ',' (YAML: while parsing a flow mapping (which began at line 2, "
         "column 5): expected ',' or '}', but got '-')"),
        ("personas:\n  - name: x\n\tkind: Compute\n", 3, 1,
         "YAML syntax error: a tab character: indent with spaces only (YAML: while scanning "
         "for the next token: found character '\\t' that cannot start any token; indent with "
         "spaces, YAML does not allow tabs)"),
        ("blueprint: a\n---\nblueprint: b\n", 2, 1,
         "YAML syntax error: expected a single document in the stream (which began at line "
         "1, column 1): but found another document"),
    ],
)
def test_syntax_error_names_file_line_and_column(
    text: str, line: int, column: int, message: str
) -> None:
    issue = _one(text)
    assert (issue.file, issue.path, issue.line, issue.column) == ("bp.yaml", "", line, column)
    assert issue.message == message
    assert str(issue) == f"bp.yaml:{line}:{column}: {message}"


def test_unknown_key_points_at_the_key_and_suggests_the_right_one() -> None:
    issue = _one(
        """
        personas:
          - name: ds
            kind: DataScientist
            buckets: [x-data]
            pass_role: [c]
        """
    )
    assert issue.path == "personas[0].pass_role"
    assert issue.line == 6
    assert issue.column == 5
    assert "unknown key 'pass_role' in a persona; did you mean 'pass_roles'?" in issue.message
    assert "(allowed: activities, add_activities, buckets," in issue.message


def test_unknown_activity_input_lists_the_activitys_inputs() -> None:
    issue = _one(
        """
        personas:
          - name: ds
            kind: DataScientist
            buckets: [x-data]
            pass_roles: [arn:aws:iam::123456789012:role/exec]
            add_activities:
              - {activity: Query Athena Workgroups, workgroup: [primary]}
        """
    )
    assert issue.path == "personas[0].add_activities[0].workgroup"
    assert issue.line == 8
    assert "did you mean 'workgroups'? (allowed: workgroups)" in issue.message


@pytest.mark.parametrize(
    ("snippet", "path", "message"),
    [
        ("buckets: team-a-data", "personas[0].buckets",
         "expected a list, got 'team-a-data': [team-a-data]"),
        ("buckets: [x-data]\n    tags: {team: 1}", "personas[0].tags.team",
         "expected text, got 1 (a number) (quote it to make it text)"),
        ("buckets: [x-data]\n    role: {adopt: 'no'}", "personas[0].role.adopt",
         "expected true or false, got 'no'"),
        ("buckets: [x-data]\n    description: yes", "personas[0].description",
         "YAML reads yes/no/on/off/true/false as booleans: quote the text"),
        ("buckets: [x-data]\n    role: admin", "personas[0].role",
         "expected a mapping (keys: name, path, adopt), got 'admin'"),
    ],
)
def test_wrong_types_say_what_was_given_and_what_is_expected(
    snippet: str, path: str, message: str
) -> None:
    issue = _one(f"personas:\n  - name: c\n    kind: Compute\n    {snippet}\n")
    assert issue.path == path
    assert message in issue.message


def test_wrong_kind_lists_the_kinds() -> None:
    # The rest of the persona is then checked as the closest kind (a DataScientist
    # without pass_roles): issue 12, every problem in one run.
    issues = _issues("personas:\n  - {name: x, kind: DataScientists}\n")
    [issue] = [i for i in issues if i.path == "personas[0].kind"]
    assert {i.path for i in issues if i is not issue} == {"personas[0]"}
    assert issue.message == (
        "'DataScientists' is not one of: DataScientist, MLOps, Compute, Inference "
        "(did you mean DataScientist?)"
    )


def test_missing_input_points_at_the_activity_that_needs_it() -> None:
    issue = _one(
        """
        personas:
          - name: ds
            kind: DataScientist
            buckets: [x-data]
            pass_roles: [arn:aws:iam::123456789012:role/exec]
            add_activities: [Query Athena Workgroups]
        """
    )
    assert issue.path == "personas[0].add_activities[0]"
    assert issue.line == 7
    assert "activity 'Query Athena Workgroups' needs workgroups" in issue.message


def test_missing_persona_input_points_at_the_persona() -> None:
    issue = _one(
        "personas:\n"
        "  - {name: ds, kind: DataScientist, pass_roles: [arn:aws:iam::123456789012:role/x]}\n"
    )
    assert issue.path == "personas[0]"
    assert "activity 'S3 Bucket Access' needs buckets" in issue.message


def test_unknown_persona_in_pass_roles() -> None:
    issue = _one(
        """
        personas:
          - {name: team-a-compute, kind: Compute, buckets: [x-data], role: {}}
          - {name: ds, kind: DataScientist, buckets: [x-data], pass_roles: [team-a-comptue]}
        """
    )
    assert issue.path == "personas[1].pass_roles[0]"
    assert issue.line == 4
    assert issue.message.startswith(
        "unknown persona 'team-a-comptue': pass_roles takes names of personas in this file "
        "(here: ds, team-a-compute) or role ARNs"
    )


def test_pass_roles_to_a_persona_without_a_role() -> None:
    issue = _one(
        """
        personas:
          - {name: c, kind: Compute, buckets: [x-data]}
          - {name: ds, kind: DataScientist, buckets: [x-data], pass_roles: [c]}
        """
    )
    assert issue.path == "personas[1].pass_roles[0]"
    assert "persona 'c' is not deployed as a role by this file (add `role: {}`" in issue.message


def test_unknown_permission_set_in_an_assignment() -> None:
    issue = _one(
        """
        personas:
          - {name: ds, kind: DataScientist, buckets: [x-data],
             pass_roles: [arn:aws:iam::123456789012:role/x], permission_set: {}}
        assignments:
          - {group: g, permission_set: dss, accounts: ["123456789012"]}
        """
    )
    assert issue.path == "assignments[0].permission_set"
    assert issue.line == 6
    assert "unknown permission set 'dss': name a persona of this file that has " in issue.message
    assert "(here: ds)" in issue.message


def test_unknown_activity_suggests_the_nearest_name() -> None:
    issue = _one(
        """
        personas:
          - {name: m, kind: MLOps, pass_roles: [arn:aws:iam::123456789012:role/x],
             remove_activities: [Manage Endpoints], add_activities: [Manage Glue Tables]}
        """
    )
    assert issue.path == "personas[0].add_activities[0]"
    assert "unknown activity 'Manage Glue Tables' (did you mean 'Manage AWS Glue Tables'?)" in (
        issue.message
    )


def test_removing_an_activity_the_persona_lacks() -> None:
    issue = _one(
        "personas:\n  - {name: m, kind: MLOps, pass_roles: [arn:aws:iam::123456789012:role/x],\n"
        "     remove_activities: [S3 Bucket Access]}\n"
    )
    assert issue.path == "personas[0].remove_activities[0]"
    assert "persona 'm' has no activity 'S3 Bucket Access' to remove; it has: " in issue.message


def test_kind_specific_inputs() -> None:
    issues = _issues(
        """
        personas:
          - {name: m, kind: MLOps, buckets: [x-data], workgroups: [wg],
             pass_roles: [arn:aws:iam::123456789012:role/x]}
          - {name: d, kind: DataScientist, buckets: [x-data], ecr_repositories: [r/x],
             pass_roles: [arn:aws:iam::123456789012:role/x]}
        """
    )
    assert [(i.path, i.message) for i in issues] == [
        ("personas[0].buckets", "kind MLOps: MLOps personas have no data access; give "
         "buckets to a DataScientist or Compute persona"),
        ("personas[0].workgroups", "kind MLOps: MLOps personas have no data access; give "
         "workgroups to a DataScientist or Compute persona"),
        ("personas[1].ecr_repositories", "kind DataScientist: only Compute and Inference "
         "personas take ecr_repositories"),
    ]


def test_persona_level_inputs_feed_the_activities_added() -> None:
    # A pipeline's role passing itself to its steps' jobs; Athena and Glue inputs given
    # once on the persona, as the Python API takes them.
    bf = _load(
        """
        personas:
          - name: pipeline
            kind: Compute
            buckets: [lake-data]
            pass_roles: [pipeline]
            workgroups: [etl]
            glue_databases: [features]
            add_activities: [Manage Pipelines, Query Athena Workgroups, Manage AWS Glue Tables]
            role: {}
        """
    )
    persona = bf.personas["pipeline"]
    assert persona == sm.Compute(
        "pipeline", buckets=["lake-data"], pass_roles=["pipeline"], workgroups=["etl"],
        glue_databases=["features"],
    ).with_activities(act.ManagePipelines(), act.QueryAthenaWorkgroups(), act.ManageGlueTables())
    policy = persona.policy_document("123456789012", "us-east-1").to_json()
    assert "arn:aws:iam::123456789012:role/pipeline" in policy
    assert "arn:aws:athena:us-east-1:123456789012:workgroup/etl" in policy
    assert "arn:aws:glue:us-east-1:123456789012:database/features" in policy


def test_python_api_errors_go_down_to_the_bad_item() -> None:
    issues = _issues(
        """
        settings:
          network: {subnets: [subnet-0abc1234, subnet-1], security_groups: [sg-0abc1234]}
        personas:
          - {name: c, kind: Compute, buckets: [ok-data, Bad_Bucket], max_session_duration: PT13H}
        """
    )
    by_path = {i.path: i for i in issues}
    assert set(by_path) == {
        "settings.network.subnets[1]",
        "personas[0].buckets[1]",
        "personas[0].max_session_duration",
    }
    subnet = by_path["settings.network.subnets[1]"].message
    assert subnet.startswith("'subnet-1' is not a subnet id")
    assert by_path["settings.network.subnets[1]"].line == 3
    bucket = by_path["personas[0].buckets[1]"].message
    assert "'Bad_Bucket' is not a valid S3 bucket name" in bucket
    duration = by_path["personas[0].max_session_duration"].message
    assert "'PT13H'" in duration
    assert "PT1H to PT12H" in duration


def test_several_problems_are_reported_at_once_sorted_by_line() -> None:
    issues = _issues(
        """
        blueprint: ok
        colour: blue
        personas:
          - {name: c, kind: Compute, buckets: nope}
          - {kind: MLOps}
        assignments:
          - {group: g, permission_set: c, accounts: [12345]}
        """
    )
    assert [(i.line, i.path) for i in issues] == [
        (3, "colour"),
        (5, "personas[0].buckets"),
        (6, "personas[1].name"),
        (8, "assignments[0].accounts[0]"),
    ]
    assert "required key 'name' is missing" in issues[2].message
    assert "(a number with a leading zero loses it in YAML: quote account ids)" in (
        issues[3].message
    )
    text = str(BlueprintFileError("bp.yaml", issues))
    assert text.startswith("4 problems:\n- bp.yaml:3:1: colour: unknown key 'colour'")


def test_duplicates_are_refused() -> None:
    issues = _issues(
        """
        personas:
          - {name: c, kind: Compute, buckets: [x-data], buckets: [y-data]}
          - {name: c, kind: Compute, buckets: [x-data]}
        """
    )
    messages = {i.path: i.message for i in issues}
    assert "duplicate key 'buckets'" in messages["personas[0].buckets"]
    assert "duplicate persona name 'c' (also personas[0])" in messages["personas[1].name"]


def test_an_assignment_names_one_principal_and_some_target() -> None:
    issues = _issues(
        """
        personas:
          - {name: ds, kind: DataScientist, buckets: [x-data],
             pass_roles: [arn:aws:iam::123456789012:role/x], permission_set: {}}
        assignments:
          - {group: g, user: u, permission_set: ds, accounts: ["123456789012"]}
          - {group: g, permission_set: ds}
        """
    )
    assert [(i.path, i.message.split(";")[0]) for i in issues] == [
        ("assignments[0]", "an assignment names exactly one of group (a group's display name) "
         "or user (a user name)"),
        ("assignments[1]", "an assignment needs accounts (12-digit ids) or organizational_units "
         "(ou-... or r-...), or both"),
    ]


_NOT_A_MAPPING = "a blueprint file is a YAML mapping (personas:, assignments:, ...)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"{_NOT_A_MAPPING}; got an empty file"),
        ("- a\n", f"{_NOT_A_MAPPING}; got a list"),
        ("region: moon\n", "'moon' is not an AWS region name (like us-east-1)"),
        ("version: 2\n", "2 (a number) is not one of: 1"),
    ],
)
def test_whole_file_problems(text: str, message: str) -> None:
    assert _one(text).message == message


def test_resource_validation_is_filed_under_its_persona() -> None:
    issue = _one(
        "personas:\n  - {name: c, kind: Compute, buckets: [x-data], role: {path: no-slash}}\n"
    )
    assert issue.path.startswith("personas[0].role")
    assert "no-slash" in issue.message


# -- JSON Schema -------------------------------------------------------------------------------


def test_published_schema_is_the_generated_one() -> None:
    assert SCHEMA.read_text() == schema_text(), (
        "schema/blueprint.schema.json is stale: regenerate it with "
        "`python -m secureml schema > schema/blueprint.schema.json`"
    )


def test_examples_validate_against_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    assert examples
    for path in examples:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], path


@pytest.mark.parametrize(
    "document",
    [
        {"personas": [{"name": "x", "kind": "Admin"}]},
        {"personas": [{"name": "x", "kind": "Compute", "colour": "red"}]},
        {"personas": [{"name": "x", "kind": "MLOps", "buckets": ["x-data"]}]},
        {"personas": [{"name": "x", "kind": "DataScientist",
                       "add_activities": [{"activity": "Query Athena Workgroups",
                                           "workgroup": ["w"]}]}]},
        {"assignments": [{"permission_set": "p", "accounts": ["1"]}]},
        {"assignments": [{"group": "g", "permission_set": "p"}]},
        {"assignments": [{"user": "u", "permission_set": "p", "accounts": []}]},
        {"personas": [{"name": "x", "kind": "MLOps", "glue_databases": ["y"]}]},
        {"audit_trail": {"name": "t"}},
        {"access_control_attributes": {"attributes": {}}},
        {"access_control_attributes": {"team": "${path:enterprise.department}"}},
        {"access_control_attributes": {"attributes": {"team": ["${path:title}"]}}},
    ],
)
def test_schema_refuses_what_the_loader_refuses(document: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    assert list(validator.iter_errors(document))
    with pytest.raises(BlueprintFileError):
        loads(yaml.safe_dump(document), name="bp")


@pytest.mark.parametrize(
    "document",
    [
        # An empty list is no input, for the loader and the schema alike.
        {"personas": [{"name": "x", "kind": "MLOps", "buckets": [], "ecr_repositories": [],
                       "pass_roles": ["arn:aws:iam::123456789012:role/r"]}]},
        {"personas": [{"name": "x", "kind": "Compute", "buckets": ["x-data"],
                       "pass_roles": []}]},
        {"assignments": [], "public_access_block": {"account": True}},
        {"access_control_attributes": {"attributes": {"team": "${path:enterprise.department}"}}},
    ],
)
def test_schema_accepts_what_the_loader_accepts(document: dict[str, object]) -> None:
    jsonschema.Draft202012Validator(json_schema()).validate(document)
    loads(yaml.safe_dump(document), name="bp")


def test_schema_documents_every_key_and_every_activity() -> None:
    schema = json_schema()
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key} has no description"
    names = schema["$defs"]["Activity"]["anyOf"][0]["enum"]
    assert {cls.name for cls in act.ALL} <= set(names)


# -- staying light -----------------------------------------------------------------------------


def test_import_secureml_loads_neither_yaml_nor_cattrs() -> None:
    code = (
        "import sys, secureml; "
        "print(sorted(m for m in ('yaml', 'cattrs', 'boto3', 'moto') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_after_unknown_keys_the_rest_is_still_checked() -> None:
    issues = _issues(
        """
        personas:
          - name: ds
            kind: DataScientist
            buckets: [x-data]
            pass_role: [c]
            permission_set: {}
        assignments:
          - {group: g, permission_set: dss, accounts: ["123456789012"]}
        """
    )
    # The misspelt pass_role is reported once: not again as "Manage ML Jobs needs pass_roles".
    assert [i.path for i in issues] == ["personas[0].pass_role", "assignments[0].permission_set"]


def test_after_a_wrong_type_the_rest_is_still_checked() -> None:
    # Issue 12: one run reports every problem of the file (it used to stop here).
    issues = _issues(
        """
        personas:
          - {name: c, kind: Compute, buckets: x-data, role: {}}
          - {name: d, kind: DataScientist, buckets: [x-data], pass_roles: [nobody]}
        """
    )
    assert [i.path for i in issues] == ["personas[0].buckets", "personas[1].pass_roles[0]"]


def test_a_region_given_at_load_replaces_the_files() -> None:
    text = (
        "region: us-east-1\n"
        "personas:\n"
        "  - {name: ds, kind: DataScientist, buckets: [x-data],\n"
        "     pass_roles: [arn:aws:iam::123456789012:role/x], permission_set: {}}\n"
    )
    bf = loads(text, name="bp", region="eu-west-1")
    assert bf.region == "eu-west-1"
    assert bf.blueprint.region == "eu-west-1"
    document = bf.blueprint["sso-permission-set/ds"].policy_document()
    assert document is not None
    policy = document.to_json()
    assert "arn:aws:sagemaker:eu-west-1:" in policy
    assert "us-east-1" not in policy


# -- everything the Python API offers ----------------------------------------------------------

BOUNDARY = "arn:aws:iam::123456789012:policy/ml-boundary"
INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
FULL = f"""
version: 1
blueprint: full
region: eu-west-1
identity_center: {{instance_arn: "{INSTANCE}", identity_store_id: d-1234567890, region: eu-west-1}}
settings:
  network: {{subnets: [subnet-0abc1234], security_groups: [sg-0abc1234]}}
  encryption: {{volume_kms_key: "{KEY}", output_kms_key: "{KEY}"}}
  guardrails: {{network_isolation: true, inter_container_traffic_encryption: true,
               instance_types: ["ml.m5.*"]}}
  scope: {{principal_tags: {{team: team}}}}
personas:
  - name: exec
    kind: Compute
    description: Jobs of the platform
    buckets: [full-data]
    ecr_repositories: ["team/*"]
    pass_roles: [exec]
    workgroups: [etl]
    glue_databases: [features]
    activities:
      - Access Required AWS Services
      - {{activity: S3 Bucket Access, buckets: [full-data]}}
      - Query Athena Workgroups
      - Manage AWS Glue Tables
      - Manage Pipelines
    remove_activities: [S3 Bucket Access]
    managed_policies: [arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess]
    permissions_boundary: "{BOUNDARY}"
    tags: {{team: platform}}
    max_session_duration: PT2H
    scope: {{name_prefix: ops-, tags: {{team: platform}}}}
    role: {{name: ml-exec, path: /ml/, adopt: true}}
  - name: serving
    kind: Inference
    model_buckets: [full-models]
  - name: ops
    kind: MLOps
    pass_roles: [exec]
    add_activities: [{{activity: Manage Model Monitoring, pass_roles: [exec]}}]
    network: null
    encryption: null
    guardrails: {{instance_types: ["ml.c5.*"]}}
    scope: null
    permission_set:
      name: PlatformOps
      session_duration: PT8H
      description: Platform operators
      relay_state: https://console.aws.amazon.com/sagemaker/
      managed_policies: ["arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"]
      customer_managed_policies: [ml/ops-extra]
      permissions_boundary: "{BOUNDARY}"
      tags: {{access: ops}}
      adopt: true
assignments:
  - {{group: ops-team, permission_set: ops, accounts: ["123456789012"],
     organizational_units: [ou-ab12-34cd56ef]}}
  - {{user: jdoe, permission_set: PlatformOps, organizational_units: [r-ab12]}}
access_control_attributes:
  attributes:
    team: ${{path:enterprise.department}}
    cost-center: "${{path:enterprise.costCenter}}"
  adopt: true
public_access_block:
  account: true
  buckets: [shared-data]
  persona_buckets: true
  block_public_acls: true
  ignore_public_acls: true
  block_public_policy: false
  restrict_public_buckets: true
  bucket_settings:
    - bucket: public-site
      block_public_acls: false
      ignore_public_acls: false
      block_public_policy: false
      restrict_public_buckets: false
audit_trail:
  name: full-audit
  bucket: full-audit-logs-123456789012
  kms_key_arn: "{KEY}"
  data_event_buckets: [shared-data]
  persona_bucket_data_events: true
  sagemaker_data_events: [AWS::SageMaker::Endpoint]
  lifecycle: {{expiration_days: 2555, transition_days: 90, storage_class: DEEP_ARCHIVE}}
  object_lock: {{days: 365, mode: COMPLIANCE}}
  tags: {{purpose: audit}}
  adopt: true
"""


def _keys_used(value: object, cls: type) -> set[tuple[str, str]]:
    """The (spec class, key) pairs ``value`` (parsed YAML for ``cls``) writes."""
    used: set[tuple[str, str]] = set()
    if not isinstance(value, dict):
        return used
    hints = typing.get_type_hints(cls)
    for key, item in value.items():
        used.add((cls.__name__, key))
        for tp in (hints[key], *typing.get_args(hints[key])):
            for inner in (tp, *typing.get_args(tp)):
                if isinstance(inner, type) and attrs.has(inner) and inner in SPEC_CLASSES:
                    for element in item if isinstance(item, list) else [item]:
                        used |= _keys_used(element, inner)
    return used


def test_the_full_example_uses_every_key_of_the_format() -> None:
    """FULL must write every key there is, so the next test covers them all."""
    every = {(cls.__name__, f.name) for cls in SPEC_CLASSES for f in attrs.fields(cls)}
    assert every - _keys_used(yaml.safe_load(FULL), BlueprintSpec) == set()


def test_every_key_reaches_the_python_objects() -> None:  # noqa: PLR0915 - one key per line
    jsonschema.Draft202012Validator(json_schema()).validate(yaml.safe_load(FULL))
    bf = _load(FULL)
    ic = sm.IdentityCenter(INSTANCE, "d-1234567890", "eu-west-1")
    net = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])

    assert bf.personas["serving"].scope == sm.Scope(tags={"team": sm.PrincipalTag("team")})
    assert bf.personas["exec"].scope == sm.Scope(name_prefix="ops-", tags={"team": "platform"})
    assert bf.personas["ops"].scope is None
    serving = bf.personas["serving"]
    assert (serving.kind, serving.buckets) == ("Inference", ("full-models",))
    exec_ = bf.personas["exec"]
    assert [a.name for a in exec_.activities] == [
        "Access Required AWS Services", "Query Athena Workgroups", "Manage AWS Glue Tables",
        "Manage Pipelines",
    ]
    assert (exec_.pass_roles, exec_.workgroups, exec_.glue_databases) == (
        ("/ml/ml-exec",), ("etl",), ("features",)
    )
    assert exec_.network == net
    assert exec_.encryption == sm.EncryptionSettings(volume_kms_key=KEY, output_kms_key=KEY)
    assert exec_.guardrails == sm.Guardrails(
        network_isolation=True, inter_container_traffic_encryption=True,
        instance_types=["ml.m5.*"],
    )
    assert exec_.ecr_repositories == ("team/*",)
    role = bf.blueprint["iam-role/ml-exec"]
    assert (role.path, role.adopt, role.permissions_boundary) == ("/ml/", True, BOUNDARY)
    assert role.description == "Jobs of the platform"
    assert role.max_session_duration == "PT2H"
    assert role.tags["team"] == "platform"
    assert "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess" in {
        getattr(m, "arn", m) for m in role.managed_policies
    }

    ops = bf.personas["ops"]
    assert (ops.network, ops.encryption) == (None, None)
    assert ops.guardrails == sm.Guardrails(instance_types=["ml.c5.*"])
    assert ops.pass_roles == ("/ml/ml-exec",)
    ps = bf.blueprint["sso-permission-set/PlatformOps"]
    assert (ps.session_duration, ps.description, ps.adopt) == (
        "PT8H", "Platform operators", True
    )
    assert ps.relay_state == "https://console.aws.amazon.com/sagemaker/"
    assert ps.managed_policies[-1] == "arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"
    assert ps.customer_managed_policies[-1] == "ml/ops-extra"
    assert ps.permissions_boundary == BOUNDARY
    assert ps.tags["access"] == "ops"
    assert ps.identity_center == ic
    assert ps.region == "eu-west-1"

    group = bf.blueprint["sso-group-assignment/ops-team:PlatformOps"]
    assert (group.accounts, group.organizational_units) == (
        ("123456789012",), ("ou-ab12-34cd56ef",)
    )
    assert group.identity_center == ic
    user = bf.blueprint["sso-user-assignment/jdoe:PlatformOps"]
    assert (user.accounts, user.organizational_units) == ((), ("r-ab12",))

    abac = bf.blueprint["sso-access-control-attributes/identity-center"]
    assert dict(abac.attributes) == {
        "cost-center": ("${path:enterprise.costCenter}",),
        "team": ("${path:enterprise.department}",),
    }
    assert (abac.adopt, abac.identity_center) == (True, ic)

    settings = (True, True, False, True)
    for key in ("s3-public-access-block/shared-data", "s3-public-access-block/full-data",
                "s3-account-public-access-block/current-account"):
        block = bf.blueprint[key]
        assert (block.block_public_acls, block.ignore_public_acls, block.block_public_policy,
                block.restrict_public_buckets) == settings, key
    own = bf.blueprint["s3-public-access-block/public-site"]
    assert (own.block_public_acls, own.ignore_public_acls, own.block_public_policy,
            own.restrict_public_buckets) == (False, False, False, False)

    trail = bf.blueprint["cloudtrail-audit-trail/full-audit"]
    assert trail.bucket == "full-audit-logs-123456789012"
    assert trail.kms_key_arn == KEY
    assert set(trail.data_event_buckets) == {"shared-data", "full-data", "full-models"}
    assert trail.sagemaker_data_events == ("AWS::SageMaker::Endpoint",)
    assert trail.lifecycle == sm.Lifecycle(2555, 90, "DEEP_ARCHIVE")
    assert trail.object_lock == sm.ObjectLock(365, "COMPLIANCE")
    assert trail.tags["purpose"] == "audit"
    assert trail.adopt is True



def test_a_bucket_can_have_settings_of_its_own_and_inherits_the_rest() -> None:
    bf = _load("""
blueprint: bpa
public_access_block:
  buckets: [data-a]
  block_public_policy: false
  bucket_settings:
    - {bucket: data-a, block_public_acls: false}
    - {bucket: site-b, block_public_policy: true}
""")

    a = bf.blueprint["s3-public-access-block/data-a"]
    b = bf.blueprint["s3-public-access-block/site-b"]
    assert (a.block_public_acls, a.ignore_public_acls, a.block_public_policy,
            a.restrict_public_buckets) == (False, True, False, True)
    assert (b.block_public_acls, b.ignore_public_acls, b.block_public_policy,
            b.restrict_public_buckets) == (True, True, True, True)
    assert [r.key for r in bf.blueprint.resources] == [
        "s3-public-access-block/data-a", "s3-public-access-block/site-b"
    ]


def test_a_bad_bucket_in_bucket_settings_points_at_its_entry() -> None:
    with pytest.raises(BlueprintFileError) as info:
        _load("""
blueprint: bpa
public_access_block:
  bucket_settings:
    - {bucket: Not_A_Bucket}
    - {bucket: fine-bucket, block_public_acl: false}
""")
    text = str(info.value)
    assert "public_access_block.bucket_settings[0].bucket: 'Not_A_Bucket'" in text
    assert "Not_A_Bucket" in text
    assert "public_access_block.bucket_settings[1]" in text
    assert "block_public_acl" in text


# -- access_control_attributes -----------------------------------------------------------------


def test_access_control_attributes_load_into_the_python_resource() -> None:
    bf = _load("""
identity_center: {instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef",
                  identity_store_id: d-1234567890}
access_control_attributes:
  attributes:
    team: ${path:enterprise.department}
""")

    ic = sm.IdentityCenter("arn:aws:sso:::instance/ssoins-1234567890abcdef", "d-1234567890")
    assert list(bf.blueprint) == [
        sm.AccessControlAttributes({"team": "${path:enterprise.department}"}, identity_center=ic)
    ]
    assert bf.lines == {"sso-access-control-attributes/identity-center": 5}


def test_a_bad_attribute_is_reported_with_its_line() -> None:
    issues = _issues("""
access_control_attributes:
  attributes:
    aws:team: ${path:enterprise.department}
    cost-center: ""
""")

    # Each at the attribute's own line once resources check their input when built,
    # until then at the block's first line (3): never without a line and column.
    bad_key, no_source = issues
    assert bad_key.path.startswith("access_control_attributes")
    assert (bad_key.line, bool(bad_key.column)) in ((3, True), (4, True))
    assert "key 'aws:team' is not a tag key AWS accepts" in bad_key.message
    assert (no_source.line, bool(no_source.column)) in ((3, True), (5, True))
    assert "'cost-center'" in no_source.message
    assert "give exactly one source" in no_source.message


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("access_control_attributes: {team: x}\n", "access_control_attributes.team",
         "unknown key 'team' in access_control_attributes (allowed: adopt, attributes)"),
        ("access_control_attributes:\n  attributes: {team: [a, b]}\n",
         "access_control_attributes.attributes.team", "expected text, got a list"),
        ("access_control_attributes:\n  attributes: {team: x}\n  adpot: true\n",
         "access_control_attributes.adpot", "did you mean 'adopt'?"),
    ],
)
def test_a_misshapen_access_control_attributes_key_is_located(
    text: str, where: str, message: str
) -> None:
    issues = _issues(text)
    found = [i for i in issues if i.path == where]
    assert found, [str(i) for i in issues]
    assert message in found[0].message
    assert found[0].line is not None
    assert found[0].column is not None
