"""IAM roles and managed policies through a blueprint, on moto: what apply creates,
idempotency, drift, policy versions, repacking, ownership, adoption and pruning."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.errors import ConvergenceError, OwnershipError, ValidationError
from secureml.resources import OWNER_TAG
from secureml.resources._iam import MAX_POLICY_VERSIONS, _canonical, sagemaker_trust_policy
from secureml.testing import CallRecorder

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
ACCOUNT = "123456789012"
# moto loads no AWS managed policy by default, so the "existing" managed policies a
# persona attaches are customer managed ones made in the account beforehand.
CANVAS = f"arn:aws:iam::{ACCOUNT}:policy/team-canvas"
ADMIN = f"arn:aws:iam::{ACCOUNT}:policy/admin-like"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/boundary"


@pytest.fixture(autouse=True)
def existing_policies(session: boto3.Session) -> None:
    iam = session.client("iam")
    for name, action in (
        ("team-canvas", "sagemaker:CreateApp"),
        ("admin-like", "*"),
        ("boundary", "sagemaker:*"),
    ):
        iam.create_policy(
            PolicyName=name,
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
                }
            ),
        )


def personas() -> tuple[sm.Persona, sm.Persona, sm.Persona]:
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"], ecr_repositories=["team-a/*"])
    ds = sm.DataScientist(
        "team-a-ds",
        buckets=["team-a-data"],
        pass_roles=[compute],
        tags={"team": "a"},
        max_session_duration="PT8H",
    ).with_managed_policies(CANVAS)
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute], permissions_boundary=BOUNDARY)
    return compute, ds, mlops


def blueprint(*resources: sm.resources.Resource, name: str = "ml-platform") -> sm.Blueprint:
    return sm.Blueprint(name, list(resources), retry=NO_SLEEP)


def three() -> sm.Blueprint:
    return blueprint(*(p.role() for p in personas()))


def policy_path(role: str, bp: str = "ml-platform") -> str:
    return f"/secureml/{bp}/role/{role}/"


def own_policies(iam: Any, role: str, bp: str = "ml-platform") -> dict[str, Any]:
    pages = iam.get_paginator("list_policies").paginate(
        Scope="Local", PathPrefix=policy_path(role, bp)
    )
    return {p["PolicyName"]: p for page in pages for p in page["Policies"]}


def default_doc(iam: Any, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return _canonical(
        iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    )


def attached(iam: Any, role: str) -> list[str]:
    return sorted(
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    )


# -- creating ---------------------------------------------------------------------------


def test_apply_creates_roles_with_everything_the_persona_says(session: boto3.Session) -> None:
    _compute, ds, _mlops = personas()
    three().apply(session)
    iam = session.client("iam")

    role = iam.get_role(RoleName="team-a-ds")["Role"]
    tags = {t["Key"]: t["Value"] for t in role["Tags"]}
    assert tags == {"team": "a", OWNER_TAG: "ml-platform"}
    assert role["Path"] == "/"
    assert role["MaxSessionDuration"] == 8 * 3600
    assert role["Description"] == "secureml DataScientist persona team-a-ds"
    assert _canonical(role["AssumeRolePolicyDocument"]) == ds.trust_policy(ACCOUNT).to_dict()

    docs = ds.policy_documents(ACCOUNT, "us-east-1", max_documents=9)
    policies = own_policies(iam, "team-a-ds")
    assert sorted(policies) == [f"team-a-ds-policy-{i}" for i in range(1, len(docs) + 1)]
    for i, doc in enumerate(docs, start=1):
        assert default_doc(iam, policies[f"team-a-ds-policy-{i}"]["Arn"]) == doc.to_dict()
        ptags = iam.list_policy_tags(PolicyArn=policies[f"team-a-ds-policy-{i}"]["Arn"])["Tags"]
        assert {"Key": OWNER_TAG, "Value": "ml-platform"} in ptags
    assert attached(iam, "team-a-ds") == sorted([CANVAS, *(p["Arn"] for p in policies.values())])

    mrole = iam.get_role(RoleName="team-a-mlops")["Role"]
    assert mrole["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert iam.list_role_policies(RoleName="team-a-compute")["PolicyNames"] == []


def test_three_personas_applied_twice_second_apply_makes_no_mutating_call(
    session: boto3.Session, calls: CallRecorder
) -> None:
    bp = three()
    first = bp.apply(session)
    assert [c.action for c in first.applied] == ["create"] * 3
    assert calls.mutating, "the first apply must have written"
    calls.clear()
    second = bp.apply(session)
    assert calls.mutating == []
    assert not second.changed
    calls.clear()
    plan = bp.plan(session)
    assert plan.is_empty
    assert [c.action for c in plan.changes] == ["no-op"] * 3
    assert calls.mutating == []


def test_plan_never_writes(session: boto3.Session, calls: CallRecorder) -> None:
    plan = three().plan(session)
    assert [c.action for c in plan.changes] == ["create"] * 3
    assert calls.mutating == []
    assert session.client("iam").list_roles()["Roles"] == []


# -- drift --------------------------------------------------------------------------------


def _only_change(plan: sm.Plan) -> sm.Change:
    pending = plan.pending
    assert len(pending) == 1, [str(c) for c in pending]
    return pending[0]


def test_drift_in_a_policy_is_shown_statement_by_statement_and_repaired(
    session: boto3.Session,
) -> None:
    bp = three()
    bp.apply(session)
    iam = session.client("iam")
    arn = own_policies(iam, "team-a-compute")["team-a-compute-policy-1"]["Arn"]
    doc = default_doc(iam, arn)
    widened = {
        **doc,
        "Statement": [*doc["Statement"], {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(widened), SetAsDefault=True)

    change = _only_change(bp.plan(session))
    assert change.key == "iam-role/team-a-compute"
    lines = change.diff()
    assert lines == [
        "policies.team-a-compute-policy-1: policy, 1 statement removed",
        "  ±  Effect  Actions  Resources  Conditions",
        "  -  Allow   s3:*     *",
    ]
    bp.apply(session)
    assert default_doc(iam, arn) == doc
    assert bp.plan(session).is_empty


def test_drift_in_trust_attachments_tags_and_inline_policies_is_repaired(
    session: boto3.Session,
) -> None:
    bp = three()
    bp.apply(session)
    iam = session.client("iam")
    role = "team-a-mlops"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN)
    iam.untag_role(RoleName=role, TagKeys=[OWNER_TAG])
    iam.tag_role(
        RoleName=role, Tags=[{"Key": OWNER_TAG, "Value": "ml-platform"}, {"Key": "x", "Value": "y"}]
    )
    iam.put_role_policy(
        RoleName=role,
        PolicyName="sneaky",
        PolicyDocument=json.dumps(
            trust | {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )

    change = _only_change(bp.plan(session))
    text = "\n".join(change.diff())
    assert f'attached_policies:\n  - "{ADMIN}"' in text
    assert "trust_policy: policy, 1 statement added, 1 removed" in text
    assert 'Principal: {"AWS": "arn:aws:iam::' in text
    assert '- tags.x: "y"' in text
    assert '- "sneaky"' in text

    bp.apply(session)
    assert ADMIN not in attached(iam, role)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    assert {t["Key"] for t in iam.get_role(RoleName=role)["Role"]["Tags"]} == {OWNER_TAG}
    assert bp.plan(session).is_empty


def test_a_removed_owner_tag_is_an_ownership_problem_not_silently_retagged(
    session: boto3.Session,
) -> None:
    bp = three()
    bp.apply(session)
    session.client("iam").untag_role(RoleName="team-a-ds", TagKeys=[OWNER_TAG])
    with pytest.raises(OwnershipError, match="IAM role team-a-ds"):
        bp.plan(session)


def test_a_removed_tag_is_put_back(session: boto3.Session) -> None:
    bp = three()
    bp.apply(session)
    iam = session.client("iam")
    iam.untag_role(RoleName="team-a-ds", TagKeys=["team"])
    change = _only_change(bp.plan(session))
    assert change.diff() == ['+ tags.team: "a"']
    bp.apply(session)
    assert {"Key": "team", "Value": "a"} in iam.get_role(RoleName="team-a-ds")["Role"]["Tags"]


def _as_iam_returns(document: Any) -> str:
    """What IAM does to a trust policy it stores: an account id given as an AWS
    principal becomes the account's root ARN, and a one-item list a string
    (URL-encoded, as on the wire: botocore decodes it after this hook)."""
    doc = json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document
    for statement in doc["Statement"]:
        for kind, given in statement.get("Principal", {}).items():
            ids = [given] if isinstance(given, str) else given
            if kind == "AWS":
                ids = [f"arn:aws:iam::{i}:root" if i.isdigit() else i for i in ids]
            statement["Principal"][kind] = ids[0] if len(ids) == 1 else ids
    return urllib.parse.quote(json.dumps(doc))


def test_a_trust_policy_iam_rewrites_into_an_equal_form_shows_no_change(
    session: boto3.Session,
) -> None:
    # moto stores what it is given; make GetRole answer in the form IAM stores.
    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        if "Role" in parsed:
            parsed["Role"]["AssumeRolePolicyDocument"] = _as_iam_returns(
                parsed["Role"]["AssumeRolePolicyDocument"]
            )

    session.events.register("after-call.iam.GetRole", rewrite)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "AWS": ["111122223333", "arn:aws:iam::444455556666:role/ci"],
                    "Service": ["sagemaker.amazonaws.com"],
                },
                "Action": "sts:AssumeRole",
            }
        ],
    }
    doc = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::b")])
    bp = blueprint(sm.Role("assumed", policies=[doc], trust_policy=trust))
    plan = bp.plan(session)
    assert plan.changes[0].after is not None
    assert plan.changes[0].after["trust_policy"]["Statement"][0]["Principal"] == {
        "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/ci"],
        "Service": "sagemaker.amazonaws.com",
    }
    bp.apply(session)
    assert bp.plan(session).is_empty
    # The same when IAM holds the document exactly as first written (an emulator, or
    # a role made by other tools with the account id).
    session.events.unregister("after-call.iam.GetRole", rewrite)
    session.client("iam").update_assume_role_policy(
        RoleName="assumed", PolicyDocument=json.dumps(trust)
    )
    assert bp.plan(session).is_empty


def test_url_encoded_documents_compare_equal_so_no_phantom_diff() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"}
        ],
    }
    encoded = urllib.parse.quote(json.dumps(doc, indent=2))
    assert _canonical(encoded) == _canonical(doc) == _canonical(json.dumps(doc))


# -- updates: versions, repacking, fields ---------------------------------------------------


def test_policy_updates_make_a_new_default_version_within_the_cap(
    session: boto3.Session, calls: CallRecorder
) -> None:
    iam = session.client("iam")
    buckets = [f"bucket-{i}" for i in range(8)]
    for i in range(1, 8):
        compute = sm.Compute("c", buckets=buckets[:i])
        blueprint(compute.role()).apply(session)
    arn = own_policies(iam, "c")["c-policy-1"]["Arn"]
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == MAX_POLICY_VERSIONS
    default = [v for v in versions if v["IsDefaultVersion"]]
    assert len(default) == 1
    assert (
        default_doc(iam, arn)
        == sm.Compute("c", buckets=buckets[:7])
        .policy_documents(ACCOUNT, "us-east-1", max_documents=10)[0]
        .to_dict()
    )
    ops = calls.operations()
    assert ops.count("iam:CreatePolicyVersion") == 6
    assert ops.count("iam:DeletePolicyVersion") == 2  # at the 5th and 6th update


def test_a_role_that_packs_differently_converges(session: boto3.Session) -> None:
    iam = session.client("iam")
    many = [f"team-bucket-with-a-long-name-{i:03d}" for i in range(120)]
    big = sm.Compute("c", buckets=many, ecr_repositories=["team-a/*"])
    small = sm.Compute("c", buckets=many[:2], ecr_repositories=["team-a/*"])
    n_big = len(big.policy_documents(ACCOUNT, "us-east-1", max_documents=10))
    assert n_big >= 2, "the test needs a persona that packs into several policies"

    blueprint(small.role()).apply(session)
    assert sorted(own_policies(iam, "c")) == ["c-policy-1"]
    blueprint(big.role()).apply(session)
    assert len(own_policies(iam, "c")) == n_big
    assert len(attached(iam, "c")) == n_big
    result = blueprint(small.role()).apply(session)
    assert [c.action for c in result.applied] == ["update"]
    assert sorted(own_policies(iam, "c")) == ["c-policy-1"]
    assert attached(iam, "c") == [own_policies(iam, "c")["c-policy-1"]["Arn"]]
    assert blueprint(small.role()).plan(session).is_empty


def test_description_duration_boundary_and_managed_policies_update_in_place(
    session: boto3.Session,
) -> None:
    iam = session.client("iam")
    compute = sm.Compute("c", buckets=["b-data"])
    blueprint(compute.role()).apply(session)
    role_id = iam.get_role(RoleName="c")["Role"]["RoleId"]
    changed = sm.Compute(
        "c",
        buckets=["b-data"],
        description="new words",
        max_session_duration="PT2H",
        permissions_boundary=BOUNDARY,
        managed_policies=[CANVAS],
    )
    change = _only_change(blueprint(changed.role()).plan(session))
    text = "\n".join(change.diff())
    assert 'description: "secureml Compute persona c" -> "new words"' in text
    assert "max_session_duration: 3600 -> 7200" in text
    assert f'permissions_boundary: null -> "{BOUNDARY}"' in text
    blueprint(changed.role()).apply(session)
    role = iam.get_role(RoleName="c")["Role"]
    assert role["RoleId"] == role_id
    assert role["Description"] == "new words"
    assert role["MaxSessionDuration"] == 7200
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert CANVAS in attached(iam, "c")
    blueprint(compute.role()).apply(session)
    role = iam.get_role(RoleName="c")["Role"]
    assert "PermissionsBoundary" not in role
    assert CANVAS not in attached(iam, "c")
    assert blueprint(compute.role()).plan(session).is_empty


def test_swapping_a_managed_policy_at_the_quota_of_ten_detaches_first(
    session: boto3.Session, calls: CallRecorder
) -> None:
    # moto does not enforce IAM's quota of 10 managed policies per role: answer as IAM.
    def quota(params: dict[str, Any], **_: Any) -> Any:
        role = params["body"]["RoleName"]
        listed = session.client("iam").list_attached_role_policies(RoleName=role)
        if len(listed["AttachedPolicies"]) >= 10:
            return AWSResponse("https://iam.amazonaws.com", 409, {}, None), {
                "Error": {"Code": "LimitExceeded", "Message": "Cannot exceed quota for "
                          "PoliciesPerRole: 10"},
                "ResponseMetadata": {"HTTPStatusCode": 409},
            }
        return None

    session.events.register("before-call.iam.AttachRolePolicy", quota)
    docs = [
        sm.PolicyDocument([sm.Statement(actions="s3:ListBucket", resources=f"arn:aws:s3:::b{i}")])
        for i in range(9)
    ]
    blueprint(sm.Role("full", policies=docs, managed_policies=[CANVAS])).apply(session)
    iam = session.client("iam")
    assert len(attached(iam, "full")) == 10
    calls.clear()

    bp = blueprint(sm.Role("full", policies=docs, managed_policies=[ADMIN]))
    bp.apply(session)

    assert ADMIN in attached(iam, "full")
    assert CANVAS not in attached(iam, "full")
    assert [c.operation for c in calls.mutating] == ["DetachRolePolicy", "AttachRolePolicy"]
    assert bp.plan(session).is_empty


def test_a_new_path_replaces_the_role(session: boto3.Session) -> None:
    iam = session.client("iam")
    compute = sm.Compute("c", buckets=["b-data"])
    blueprint(compute.role()).apply(session)
    blueprint(compute.role(path="/ml/")).apply(session)
    assert iam.get_role(RoleName="c")["Role"]["Path"] == "/ml/"
    assert blueprint(compute.role(path="/ml/")).plan(session).is_empty
    assert len(own_policies(iam, "c")) == 1


# -- ManagedPolicy ----------------------------------------------------------------------------


def _doc(action: str) -> sm.PolicyDocument:
    return sm.PolicyDocument([sm.Statement(actions=action, resources="arn:aws:s3:::b-data")])


def test_a_managed_policy_is_created_before_the_role_that_attaches_it(
    session: boto3.Session, calls: CallRecorder
) -> None:
    policy = sm.ManagedPolicy("shared-read", _doc("s3:ListBucket"), tags={"k": "v"})
    role = sm.Role("plain", policies=[_doc("s3:GetBucketLocation")], managed_policies=[policy])
    bp = blueprint(role, policy)  # the role first: the engine reorders
    assert list(role.dependencies()) == ["iam-policy/shared-read"]
    bp.apply(session)
    ops = [op for op in calls.operations() if op in ("iam:CreatePolicy", "iam:CreateRole")]
    assert ops[0] == "iam:CreatePolicy"
    iam = session.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/secureml/ml-platform/shared-read"
    assert arn in attached(iam, "plain")
    assert bp.plan(session).is_empty
    # An edited document becomes a new default version, in place.
    bp2 = blueprint(
        sm.Role(
            "plain",
            policies=[_doc("s3:GetBucketLocation")],
            managed_policies=[
                sm.ManagedPolicy("shared-read", _doc("s3:GetObject"), tags={"k": "v"})
            ],
        ),
        sm.ManagedPolicy("shared-read", _doc("s3:GetObject"), tags={"k": "v"}),
    )
    change = _only_change(bp2.plan(session))
    assert change.key == "iam-policy/shared-read"
    bp2.apply(session)
    assert default_doc(iam, arn) == _doc("s3:GetObject").to_dict()


def test_a_role_cannot_attach_a_managed_policy_missing_from_the_blueprint(
    calls: CallRecorder,
) -> None:
    policy = sm.ManagedPolicy("shared-read", _doc("s3:ListBucket"))
    with pytest.raises(ValidationError, match="depends on 'iam-policy/shared-read'"):
        blueprint(sm.Role("plain", policies=[_doc("s3:ListBucket")], managed_policies=[policy]))
    assert calls.calls == []


# -- ownership, adopt, prune -------------------------------------------------------------------


def _foreign_role(
    session: boto3.Session, name: str, tags: list[dict[str, str]] | None = None
) -> None:
    session.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=sagemaker_trust_policy(ACCOUNT).to_json(),
        Tags=tags or [],
    )


def test_an_untagged_role_of_the_same_name_is_never_changed(
    session: boto3.Session, calls: CallRecorder
) -> None:
    _foreign_role(session, "team-a-ds")
    calls.clear()
    with pytest.raises(OwnershipError) as err:
        three().apply(session)
    assert err.value.resource == "IAM role team-a-ds"
    assert "adopt=True" in str(err.value)
    assert calls.mutating == []


def test_a_role_of_another_blueprint_is_never_changed(session: boto3.Session) -> None:
    _foreign_role(session, "team-a-ds", [{"Key": OWNER_TAG, "Value": "other"}])
    with pytest.raises(OwnershipError, match="'other'"):
        three().plan(session)


def test_adopt_takes_over_an_existing_role(session: boto3.Session) -> None:
    _foreign_role(session, "c")
    iam = session.client("iam")
    iam.attach_role_policy(RoleName="c", PolicyArn=ADMIN)
    compute = sm.Compute("c", buckets=["b-data"])
    bp = blueprint(compute.role(adopt=True))
    plan = bp.plan(session)
    assert [c.action for c in plan.changes] == ["update"]
    bp.apply(session)
    tags = {t["Key"]: t["Value"] for t in iam.get_role(RoleName="c")["Role"]["Tags"]}
    assert tags[OWNER_TAG] == "ml-platform"
    assert ADMIN not in attached(iam, "c")
    assert blueprint(compute.role()).plan(session).is_empty


def test_prune_deletes_removed_roles_and_their_policies_only_when_asked(
    session: boto3.Session, calls: CallRecorder
) -> None:
    compute, _ds, mlops = personas()
    three().apply(session)
    blueprint(sm.Compute("other-team", buckets=["b-data"]).role(), name="other").apply(session)
    _foreign_role(session, "untagged")
    smaller = blueprint(compute.role(), mlops.role())

    plan = smaller.plan(session)
    orphans = [c for c in plan.changes if c.orphan]
    assert [(c.action, c.key) for c in orphans] == [("delete", "iam-role/team-a-ds")]
    assert plan.is_empty
    calls.clear()
    smaller.apply(session)
    assert calls.mutating == []

    result = smaller.apply(session, prune=True)
    assert [(c.action, c.key) for c in result.applied] == [("delete", "iam-role/team-a-ds")]
    iam = session.client("iam")
    names = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    assert names == ["other-team", "team-a-compute", "team-a-mlops", "untagged"]
    assert own_policies(iam, "team-a-ds") == {}
    assert smaller.plan(session, prune=True).is_empty


def test_prune_deletes_a_removed_managed_policy_after_detaching_it(session: boto3.Session) -> None:
    policy = sm.ManagedPolicy("shared-read", _doc("s3:ListBucket"))
    blueprint(
        sm.Role("plain", policies=[_doc("s3:GetObject")], managed_policies=[policy]), policy
    ).apply(session)
    bp = blueprint(sm.Role("plain", policies=[_doc("s3:GetObject")]))
    plan = bp.plan(session, prune=True)
    assert [(c.action, c.key, c.orphan) for c in plan.pending] == [
        ("update", "iam-role/plain", False),
        ("delete", "iam-policy/shared-read", True),
    ]
    bp.apply(session, prune=True)
    iam = session.client("iam")
    assert (
        iam.list_policies(Scope="Local", PathPrefix="/secureml/ml-platform/shared")["Policies"]
        == []
    )
    assert bp.plan(session, prune=True).is_empty


def test_prune_never_detaches_a_policy_from_a_role_or_user_it_does_not_own(
    session: boto3.Session,
) -> None:
    """Another team attached the blueprint's policy to their own role and user: pruning
    the policy must not strip it from them (that changes resources not ours)."""
    policy = sm.ManagedPolicy("shared-read", _doc("s3:ListBucket"))
    blueprint(policy).apply(session)
    iam = session.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/secureml/ml-platform/shared-read"
    _foreign_role(session, "their-role")
    iam.attach_role_policy(RoleName="their-role", PolicyArn=arn)
    iam.create_user(UserName="their-user")
    iam.attach_user_policy(UserName="their-user", PolicyArn=arn)
    bp = blueprint(sm.Role("plain", policies=[_doc("s3:GetObject")]))
    with pytest.raises(ConvergenceError, match="role their-role, user their-user"):
        bp.apply(session, prune=True)
    assert attached(iam, "their-role") == [arn]
    assert [p["PolicyArn"] for p in
            iam.list_attached_user_policies(UserName="their-user")["AttachedPolicies"]] == [arn]
    assert iam.get_policy(PolicyArn=arn)
    # Once they detach it themselves, the prune finishes.
    iam.detach_role_policy(RoleName="their-role", PolicyArn=arn)
    iam.detach_user_policy(UserName="their-user", PolicyArn=arn)
    bp.apply(session, prune=True)
    assert bp.plan(session, prune=True).is_empty


def test_an_untagged_policy_at_a_roles_policy_path_is_never_deleted(
    session: boto3.Session,
) -> None:
    """A role's own policies are found by path; one put there by someone else (no owner
    tag) shows in the plan but is neither deleted by an update nor by a prune."""
    role = sm.Role("plain", policies=[_doc("s3:GetObject")])
    blueprint(role).apply(session)
    iam = session.client("iam")
    stray = iam.create_policy(
        PolicyName="stray", Path=policy_path("plain"),
        PolicyDocument=_doc("s3:ListBucket").to_json(),
    )["Policy"]["Arn"]
    plan = blueprint(role).plan(session)
    assert [c.action for c in plan.changes] == ["update"]
    assert any("stray" in line for line in plan.changes[0].diff())
    with pytest.raises(ConvergenceError, match="stray"):
        blueprint(role).apply(session)
    with pytest.raises(ConvergenceError, match="stray"):
        blueprint(sm.Role("other", policies=[_doc("s3:GetObject")])).apply(session, prune=True)
    assert iam.get_policy(PolicyArn=stray)
    assert attached(iam, "plain") == [
        f"arn:aws:iam::{ACCOUNT}:policy{policy_path('plain')}plain-policy-1"
    ]


# -- validation ---------------------------------------------------------------------------------


def test_bad_role_input_is_reported_before_any_call(calls: CallRecorder) -> None:
    # Each is refused on the line that makes it, with every problem and its field.
    with pytest.raises(ValidationError) as err:
        sm.Role(
            "x" * 65,
            policies=[_doc("s3:GetObject")],
            path="no-slash",
            max_session_duration="PT13H",
            tags={OWNER_TAG: "x", "aws:thing": "y"},
            managed_policies=["not-an-arn"],
        )
    with pytest.raises(ValidationError) as policy_err:
        sm.ManagedPolicy("p", sm.PolicyDocument())
    text = str(err.value) + str(policy_err.value)
    for fragment in (
        "1-64 characters",
        "path 'no-slash'",
        "PT13H",
        "is set by secureml",
        "'aws:thing'",
        "not-an-arn",
        "no statement",
    ):
        assert fragment in text, fragment
    assert {p.path for p in err.value.problems} == {
        ("name",), ("path",), ("max_session_duration",), ("tags", OWNER_TAG),
        ("tags", "aws:thing"), ("managed_policies", 0),
    }
    assert [p.path for p in policy_err.value.problems] == [("document",)]
    assert calls.calls == []


def test_too_many_managed_policies_is_a_validation_error() -> None:
    arns = [f"arn:aws:iam::aws:policy/P{i}" for i in range(10)]
    with pytest.raises(ValidationError, match="a role takes at most 10"):
        blueprint(sm.Role("r", policies=[_doc("s3:GetObject")], managed_policies=arns))
