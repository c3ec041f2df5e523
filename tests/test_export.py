"""CloudFormation export (``Blueprint.to_cloudformation``): every template passes
cfn-lint; the resources, properties, DependsOn and tags are those ``apply()`` sets;
pseudo-parameters stand for the account, region and partition; the limits (51,200
bytes inline, 500 resources a stack) and the split of assignments are tested at
their boundaries; and a round trip through moto proves that the policies a stack
creates from the member template are the ones ``apply()`` writes.

moto creates IAM roles, managed policies and S3 buckets from a template (not bucket
policies or trails, which the structural tests cover).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint

import secureml as sm
from secureml.errors import ValidationError
from secureml.export import (
    MAX_INLINE_TEMPLATE_BYTES,
    MAX_RESOURCES_PER_STACK,
    CloudFormationExport,
    Template,
    resolve_tokens,
)
from secureml.resources import OWNER_TAG
from secureml.testing import CallRecorder

BP = "ml-platform"
REGION = "us-east-1"
A1, A2 = "111122223333", "444455556666"
OU = "ou-ab12-cd34ef56"


def lint_clean(t: Template) -> None:
    matches = lint(t.text, config=ManualArgs(regions=[REGION]))
    assert [(m.rule.id, m.message) for m in matches] == [], t.name


def personas() -> tuple[sm.Persona, sm.Persona]:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute],
                          tags={"team": "a"})
    return compute, ds


def full_blueprint(**trail: Any) -> sm.Blueprint:
    compute, ds = personas()
    return sm.Blueprint(BP, [
        compute.role(), ds.role(),
        ds.permission_set(session_duration="PT8H"),
        sm.GroupAssignment(group="DataScientists", permission_set="team-a-ds",
                           accounts=[A1, A2]),
        sm.BucketPublicAccessBlock("team-a-data"),
        sm.AccountPublicAccessBlock(),
        sm.AuditTrail("ml-audit", bucket="ml-audit-logs-111122223333", **trail),
    ], region=REGION)


@pytest.fixture(scope="module")
def export() -> CloudFormationExport:
    return full_blueprint(
        lifecycle=sm.Lifecycle(expiration_days=2555, transition_days=90),
        object_lock=sm.ObjectLock(days=365),
    ).to_cloudformation()


def resources(t: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in t.body["Resources"].items() if v["Type"] == kind}


# -- cfn-lint ---------------------------------------------------------------------------------


def test_every_exported_template_passes_cfn_lint(export: CloudFormationExport) -> None:
    assert export.names() == ["member", "identity-center", "organization"]
    for t in export.templates:
        lint_clean(t)


def test_cfn_lint_would_catch_a_broken_template(export: CloudFormationExport) -> None:
    body = json.loads(export["member"].text)
    role = next(iter(resources(export["member"], "AWS::IAM::Role")))
    body["Resources"][role]["Properties"]["MaxSessionDuration"] = 99
    matches = lint(json.dumps(body), config=ManualArgs(regions=[REGION]))
    assert matches  # so the test above can fail


# -- the member template ------------------------------------------------------------------------


def test_member_roles_and_policies_are_the_desired_state(export: CloudFormationExport) -> None:
    member = export["member"]
    roles = resources(member, "AWS::IAM::Role")
    assert sorted(r["Properties"]["RoleName"] for r in roles.values()) == [
        "team-a-compute", "team-a-ds"]
    ds = roles["RoleTeamADs"]["Properties"]
    assert ds["Path"] == "/"
    assert ds["MaxSessionDuration"] == 3600
    assert {"Key": OWNER_TAG, "Value": BP} in ds["Tags"]
    assert {"Key": "team", "Value": "a"} in ds["Tags"]
    # Own policies by Ref (their ARNs), in the role's policy path, named as apply() names them.
    policies = resources(member, "AWS::IAM::ManagedPolicy")
    refs = [a["Ref"] for a in ds["ManagedPolicyArns"]]
    # As many as the persona packs into (apply() packs the same; see the round trip).
    assert refs == [f"PolicyTeamADsPolicy{i}" for i in range(1, len(refs) + 1)]
    own = policies["PolicyTeamADsPolicy1"]["Properties"]
    assert own["ManagedPolicyName"] == "team-a-ds-policy-1"
    assert own["Path"] == f"/secureml/{BP}/role/team-a-ds/"
    assert own["Description"] == "secureml: part 1 of role team-a-ds"
    # The confused-deputy guard uses the deploying account.
    condition = ds["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert condition == {"StringEquals": {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}}


def test_pseudo_parameters_stand_for_account_region_and_partition(
    export: CloudFormationExport,
) -> None:
    text = export["member"].text
    assert "${AWS::AccountId}" in text
    assert "${AWS::Region}" in text
    assert "${AWS::Partition}" in text
    assert REGION not in text  # nothing hard-coded for the region
    assert "arn:aws:" not in text.replace("arn:aws:iam::aws:policy", "")
    for token in ("740211693058", "519384026617"):  # the export's placeholders
        assert token not in text


def test_audit_trail_bucket_and_policy(export: CloudFormationExport) -> None:
    member = export["member"]
    (bucket_id, bucket), = resources(member, "AWS::S3::Bucket").items()
    (policy_id, policy), = resources(member, "AWS::S3::BucketPolicy").items()
    (_, trail), = resources(member, "AWS::CloudTrail::Trail").items()
    # The trail waits for the bucket policy: CloudTrail checks it on CreateTrail.
    assert trail["DependsOn"] == [policy_id]
    assert trail["Properties"]["S3BucketName"] == {"Ref": bucket_id}
    assert trail["Properties"]["IsLogging"] is True
    assert trail["Properties"]["IsMultiRegionTrail"] is True
    assert trail["Properties"]["EnableLogFileValidation"] is True
    assert {"Key": OWNER_TAG, "Value": BP} in trail["Properties"]["Tags"]
    # Audit logs are evidence: the bucket outlives the stack.
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["BucketName"] == {"Fn::Sub": "ml-audit-logs-${AWS::AccountId}"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"],
        True)
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "GOVERNANCE", "Days": 365}
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 2555
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    sids = [s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert sorted(sids) == ["AWSCloudTrailAclCheck", "AWSCloudTrailWrite", "DenyInsecureTransport"]


def test_audit_bucket_policy_resolves_to_what_apply_writes(export: CloudFormationExport) -> None:
    trail = sm.AuditTrail("ml-audit", bucket=f"ml-audit-logs-{A2}")
    want = trail.bucket_policy(
        A2, f"arn:aws:cloudtrail:{REGION}:{A2}:trail/ml-audit").to_dict()
    (_, policy), = resources(export["member"], "AWS::S3::BucketPolicy").items()
    got = resolve_tokens(policy["Properties"]["PolicyDocument"], account=A2, region=REGION,
                         partition="aws")
    assert got == want


def test_an_audit_bucket_of_one_fixed_name_is_refused() -> None:
    bp = sm.Blueprint(BP, [sm.AuditTrail("ml-audit", bucket="ml-audit-logs")], region=REGION)
    with pytest.raises(ValidationError, match=r"global.*\$\{AWS::AccountId\}"):
        bp.to_cloudformation()


def test_bucket_block_public_access_is_not_exported_and_said_so(
    export: CloudFormationExport,
) -> None:
    assert not resources(export["member"], "AWS::S3::Bucket").keys() - {
        "AuditBucketMlAudit"}  # the one bucket the stack owns
    note = next(n for n in export.notes if n.startswith("not exported"))
    assert "team-a-data" in note
    assert "AWS::S3::Bucket" in note


def test_a_value_containing_a_placeholder_is_refused() -> None:
    ds = sm.DataScientist("ds", buckets=["data-740211693058"], pass_roles=["c"])
    with pytest.raises(ValidationError, match="placeholders"):
        sm.Blueprint(BP, [ds.role()]).to_cloudformation()


def test_export_makes_no_aws_call(calls: CallRecorder) -> None:
    full_blueprint().to_cloudformation()
    assert calls.calls == []


# -- Identity Center and organization templates ----------------------------------------------


def test_identity_center_permission_set_and_one_assignment_per_account(
    export: CloudFormationExport,
) -> None:
    ic = export["identity-center"]
    (ps_id, ps), = resources(ic, "AWS::SSO::PermissionSet").items()
    props = ps["Properties"]
    assert props["Name"] == "team-a-ds"
    assert props["SessionDuration"] == "PT8H"
    assert props["InstanceArn"] == {"Ref": "InstanceArn"}
    assert {"Key": OWNER_TAG, "Value": BP} in props["Tags"]
    # The inline policy is the permission set's own (wildcard accounts), as apply() sends it.
    _, ds = personas()
    want = ds.permission_set(session_duration="PT8H").policy_document()
    assert want is not None
    assert resolve_tokens(props["InlinePolicy"], account=A1, region=REGION,
                          partition="aws") == want.to_dict()
    assignments = resources(ic, "AWS::SSO::Assignment")
    assert sorted(a["Properties"]["TargetId"] for a in assignments.values()) == [A1, A2]
    for a in assignments.values():
        assert a["Properties"]["PermissionSetArn"] == {"Fn::GetAtt": [ps_id, "PermissionSetArn"]}
        assert a["Properties"]["PrincipalId"] == {"Ref": "GroupIdDataScientists"}
        assert a["Properties"]["PrincipalType"] == "GROUP"
    assert set(ic.body["Parameters"]) == {"InstanceArn", "GroupIdDataScientists"}


def test_access_control_attributes_go_into_the_identity_center_template() -> None:
    _, ds = personas()
    attributes = sm.AccessControlAttributes({"team": "${path:enterprise.department}",
                                             "cost-center": "${path:enterprise.costCenter}"})
    for items in ([attributes], [ds.permission_set(), attributes]):
        ic = sm.Blueprint(BP, items, region=REGION).to_cloudformation()["identity-center"]
        lint_clean(ic)
        (_, config), = resources(
            ic, "AWS::SSO::InstanceAccessControlAttributeConfiguration").items()
        assert config["Properties"] == {
            "InstanceArn": {"Ref": "InstanceArn"},
            "AccessControlAttributes": [
                {"Key": "cost-center", "Value": {"Source": ["${path:enterprise.costCenter}"]}},
                {"Key": "team", "Value": {"Source": ["${path:enterprise.department}"]}},
            ],
        }


def test_group_ids_resolved_with_a_session(session: boto3.Session) -> None:
    from secureml._moto_sso import moto_identity_center

    with moto_identity_center():
        instance = session.client("sso-admin").list_instances()["Instances"][0]
        group = session.client("identitystore").create_group(
            IdentityStoreId=instance["IdentityStoreId"], DisplayName="DataScientists")["GroupId"]
        export = full_blueprint().to_cloudformation(session=session, resolve=True)
    ic = export["identity-center"]
    assert "Parameters" not in ic.body
    for a in resources(ic, "AWS::SSO::Assignment").values():
        assert a["Properties"]["PrincipalId"] == group
        assert a["Properties"]["InstanceArn"] == instance["InstanceArn"]
    lint_clean(ic)


def test_organizational_units_need_a_session_to_become_accounts() -> None:
    _, ds = personas()
    bp = sm.Blueprint(BP, [ds.permission_set(), sm.GroupAssignment(
        group="DataScientists", permission_set="team-a-ds", organizational_units=[OU])])
    with pytest.raises(ValidationError, match=f"{OU}.*session"):
        bp.to_cloudformation()


def test_account_block_public_access_is_an_organizations_s3_policy(
    export: CloudFormationExport,
) -> None:
    org = export["organization"]
    (_, policy), = org.body["Resources"].items()
    assert policy["Type"] == "AWS::Organizations::Policy"
    assert policy["Properties"]["Type"] == "S3_POLICY"
    assert policy["Properties"]["Content"] == {
        "s3_attributes": {"public_access_block_configuration": {"@@assign": "all"}}}
    assert policy["Properties"]["TargetIds"] == {"Ref": "TargetIds"}
    assert any("S3_POLICY" in n for n in export.notes)
    with_targets = full_blueprint().to_cloudformation(targets=[OU])
    (_, policy), = with_targets["organization"].body["Resources"].items()
    assert policy["Properties"]["TargetIds"] == [OU]


def test_account_block_public_access_with_a_setting_off_is_refused() -> None:
    bp = sm.Blueprint(BP, [sm.AccountPublicAccessBlock(block_public_policy=False)])
    with pytest.raises(ValidationError, match="all four"):
        bp.to_cloudformation()


# -- permission sets of any size ------------------------------------------------------------


def big_persona() -> sm.Persona:
    buckets = [f"team-a-bucket-with-a-long-name-{i:03d}" for i in range(150)]
    return sm.DataScientist("big-ds", buckets=buckets, pass_roles=["team-a-compute"])


def test_a_large_permission_set_references_policies_the_member_template_creates() -> None:
    ps = big_persona().permission_set()
    bp = sm.Blueprint(BP, [ps, sm.GroupAssignment(group="g", permission_set="big-ds",
                                                  accounts=[A1])])
    parts = ps.split_policies()
    assert [r.key for r in bp][-len(parts):] == [p.key for p in parts]
    export = bp.to_cloudformation()
    member_policies = {
        p["Properties"]["ManagedPolicyName"]: p["Properties"]
        for p in resources(export["member"], "AWS::IAM::ManagedPolicy").values()
    }
    assert sorted(member_policies) == sorted(p.name for p in parts)
    assert {p["Path"] for p in member_policies.values()} == {f"/secureml/{BP}/"}
    (_, ic_ps), = resources(export["identity-center"], "AWS::SSO::PermissionSet").items()
    assert "InlinePolicy" not in ic_ps["Properties"]
    assert ic_ps["Properties"]["CustomerManagedPolicyReferences"] == [
        {"Name": p.name, "Path": f"/secureml/{BP}/"} for p in parts]
    for t in export.templates:
        lint_clean(t)


# -- limits and the split -------------------------------------------------------------------


def sized(n: int) -> Template:
    """A template whose compact JSON is exactly ``n`` bytes."""
    body: dict[str, Any] = {"Description": "", "Resources": {}}
    body["Description"] = "x" * (n - len(json.dumps(body, separators=(",", ":"))))
    t = Template("member", "s", "t", body)
    assert t.size == n
    return t


def test_inline_template_limit_at_its_boundary() -> None:
    assert not sized(MAX_INLINE_TEMPLATE_BYTES).needs_upload
    assert sized(MAX_INLINE_TEMPLATE_BYTES).check() == []
    over = sized(MAX_INLINE_TEMPLATE_BYTES + 1)
    assert over.needs_upload
    (note,) = over.check()
    assert "51,200" in note
    assert "S3" in note


def test_resources_per_stack_at_the_boundary() -> None:
    def with_resources(n: int) -> Template:
        return Template("member", "s", "t", {"Resources": {
            f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(n)}})

    assert with_resources(MAX_RESOURCES_PER_STACK).check() == []
    with pytest.raises(ValidationError, match="501 resources; a stack takes at most 500"):
        with_resources(MAX_RESOURCES_PER_STACK + 1).check()


def assignment_blueprint(accounts: list[str]) -> sm.Blueprint:
    _, ds = personas()
    return sm.Blueprint(BP, [
        ds.permission_set(),
        sm.GroupAssignment(group="DataScientists", permission_set="team-a-ds",
                           accounts=accounts),
    ])


def accounts(n: int) -> list[str]:
    return [str(100000000000 + i) for i in range(n)]


def test_assignments_fill_one_stack_up_to_500_resources() -> None:
    export = assignment_blueprint(accounts(MAX_RESOURCES_PER_STACK - 1)).to_cloudformation()
    assert export.names() == ["identity-center"]
    assert export["identity-center"].resource_count == MAX_RESOURCES_PER_STACK


def test_assignments_past_500_resources_split_into_a_second_stack() -> None:
    export = assignment_blueprint(accounts(MAX_RESOURCES_PER_STACK)).to_cloudformation()
    first, second = export.identity_center
    assert (first.resource_count, second.resource_count) == (MAX_RESOURCES_PER_STACK, 1)
    assert second.name == "identity-center-2"
    assert second.stack == f"secureml-{BP}-identity-center-2"
    (only,) = second.body["Resources"].values()
    assert only["Properties"]["TargetId"] == accounts(MAX_RESOURCES_PER_STACK)[-1]
    assert only["Properties"]["PermissionSetArn"] == {
        "Fn::ImportValue": {"Fn::Sub": "${IdentityCenterStack}-PermissionSetTeamADsArn"}}
    assert second.body["Parameters"]["IdentityCenterStack"]["Default"] == first.stack
    assert "PermissionSetTeamADsArn" in first.body["Outputs"]
    assert any("2 Identity Center stacks" in n for n in export.notes)
    lint_clean(second)


def test_the_split_is_deterministic_whatever_the_input_order() -> None:
    ids = accounts(1200)
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    one = assignment_blueprint(ids).to_cloudformation()
    two = assignment_blueprint(shuffled).to_cloudformation()
    assert [t.text for t in one.templates] == [t.text for t in two.templates]
    assert [t.resource_count for t in one.identity_center] == [500, 500, 201]


# -- files and the command line ----------------------------------------------------------------


def test_write_puts_templates_and_a_manifest_in_order(
    export: CloudFormationExport, tmp_path: Path,
) -> None:
    written = export.write(tmp_path / "out")
    assert [p.name for p in written] == [
        "member.template.json", "identity-center.template.json",
        "organization.template.json", "manifest.json"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [o["stack"] for o in manifest["order"]] == [t.stack for t in export.templates]
    assert json.loads(written[0].read_text()) == json.loads(export["member"].text)


def test_cli_export_cloudformation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from secureml.cli import main

    code = main(["export", "cloudformation", "examples/ml-platform.yaml",
                 "--out", str(tmp_path), "--targets", OU])
    assert code == 0
    out, err = capsys.readouterr()
    assert "member.template.json" in out
    assert "S3_POLICY" in err
    for name in ("member", "identity-center", "organization"):
        t = json.loads((tmp_path / f"{name}.template.json").read_text())
        assert t["AWSTemplateFormatVersion"] == "2010-09-09"


# -- round trip: what a stack creates is what apply() writes ------------------------------------


def assume(session: boto3.Session, account: str) -> boto3.Session:
    """A session in another moto account (moto keys accounts by assumed-role credentials)."""
    creds = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="tests")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION)


def own_policies(session: boto3.Session) -> dict[str, tuple[str, dict[str, Any]]]:
    iam = session.client("iam")
    out = {}
    for p in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])
        document = version["PolicyVersion"]["Document"]
        if isinstance(document, str):
            document = json.loads(document)
        out[p["PolicyName"]] = (p["Path"], document)
    return out


@pytest.fixture
def two_accounts(session: boto3.Session) -> tuple[boto3.Session, boto3.Session]:
    return assume(session, A1), assume(session, A2)


@pytest.mark.filterwarnings("ignore::UserWarning")  # moto: no BucketPolicy/Trail via CFN
def test_round_trip_exported_policies_equal_what_apply_writes(
    two_accounts: tuple[boto3.Session, boto3.Session],
) -> None:
    applied, stacked = two_accounts
    compute, ds = personas()
    bp = sm.Blueprint(BP, [compute.role(), ds.role()], region=REGION)
    bp.apply(session=applied)
    export = bp.to_cloudformation(regions=[REGION])
    stacked.client("cloudformation").create_stack(
        StackName="member", TemplateBody=export["member"].compact,
        Capabilities=["CAPABILITY_NAMED_IAM"])
    by_apply = own_policies(applied)
    by_stack = own_policies(stacked)
    assert sorted(by_stack) == sorted(by_apply)
    assert {"team-a-compute-policy-1", "team-a-ds-policy-1"} <= set(by_stack)
    for name, (path, document) in by_apply.items():
        got_path, got = by_stack[name]
        assert got_path == path
        assert json.loads(json.dumps(got).replace(A2, A1)) == document
    iam_a, iam_s = applied.client("iam"), stacked.client("iam")
    for role in ("team-a-compute", "team-a-ds"):
        trust_a = iam_a.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        trust_s = iam_s.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        assert json.loads(json.dumps(trust_s).replace(A2, A1)) == trust_a
    # moto's CloudFormation does not attach a role's ManagedPolicyArns: check the
    # template's references against the policies apply() attached instead.
    member = export["member"].body["Resources"]
    for role in ("team-a-compute", "team-a-ds"):
        refs = next(r["Properties"]["ManagedPolicyArns"] for r in member.values()
                    if r["Properties"].get("RoleName") == role)
        named = sorted(member[ref["Ref"]]["Properties"]["ManagedPolicyName"] for ref in refs)
        attached = sorted(p["PolicyName"] for p in iam_a.list_attached_role_policies(
            RoleName=role)["AttachedPolicies"])
        assert named == attached
        assert named == [f"{role}-policy-{i}" for i in range(1, len(named) + 1)]


def test_the_docs_worked_example_loads_and_needs_resolve_for_its_ous() -> None:
    from secureml.blueprint_file import loads

    page = (Path(__file__).resolve().parent.parent / "docs" / "many-accounts.rst").read_text()
    block = page.split(".. code-block:: yaml\n", 1)[1].split("\n.. ", 1)[0]
    text = "\n".join(line[3:] for line in block.splitlines())
    bp = loads(text).blueprint
    with pytest.raises(ValidationError, match=r"ou-ab12-mldev001.*session"):
        bp.to_cloudformation()
    export = loads(text.replace(
        "organizational_units: [ou-ab12-mldev001, ou-ab12-mlstg001]",
        f"accounts: ['{A1}', '{A2}']")).blueprint.to_cloudformation(targets=[OU])
    assert export.names() == ["member", "identity-center", "organization"]
    for t in export.templates:
        lint_clean(t)
