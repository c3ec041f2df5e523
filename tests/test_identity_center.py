"""Identity Center resources against moto (with the gaps moto leaves filled by
``secureml._moto_sso``): permission sets, group and user assignments,
ownership, discovery for pruning, and how many read calls a large organisation costs.

moto reports every asynchronous status as SUCCEEDED at once and accepts duplicate
permission-set names and assignments; the tests assert that secureml never sends
the duplicate in the first place. IN_PROGRESS/FAILED paths are in
``test_identity_center_stubbed.py``.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any
from unittest import mock

import attrs
import boto3
import pytest

import secureml as sm
from secureml._moto_sso import moto_identity_center
from secureml.aws import AwsContext, RetryPolicy
from secureml.errors import (
    NotFoundError,
    OwnershipError,
    PolicyTooLargeError,
    RefusalError,
    ValidationError,
)
from secureml.resources import OWNER_TAG, GroupAssignment, PermissionSet, UserAssignment
from secureml.resources.identity_center import RateLimiter
from secureml.testing import CallRecorder

BP = "ml-platform"
A1, A2, A3 = "111122223333", "444455556666", "777788889999"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
VIEW_ONLY = "arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"


@attrs.define
class SSO:
    """The moto Identity Center of one test."""

    session: boto3.Session
    instance_arn: str
    store: str

    def ctx(self, blueprint: str = BP) -> AwsContext:
        """A fresh run (its own caches), never really sleeping."""
        return AwsContext(self.session, blueprint, retry=RetryPolicy(sleep=lambda _: None))

    def group(self, name: str) -> str:
        return str(
            self.session.client("identitystore").create_group(
                IdentityStoreId=self.store, DisplayName=name
            )["GroupId"]
        )

    def user(self, name: str) -> str:
        return str(
            self.session.client("identitystore").create_user(
                IdentityStoreId=self.store, UserName=name, DisplayName=name,
                Name={"GivenName": name, "FamilyName": "Doe"},
            )["UserId"]
        )

    def bare_permission_set(self, name: str) -> None:
        """A permission set tagged for ``BP`` with nothing else, as a run that died
        right after CreatePermissionSet leaves it."""
        self.session.client("sso-admin").create_permission_set(
            InstanceArn=self.instance_arn, Name=name, SessionDuration="PT1H",
            Tags=[{"Key": OWNER_TAG, "Value": BP}],
        )

    def assignments(self, ps_arn: str, account: str) -> list[tuple[str, str]]:
        out = self.session.client("sso-admin").list_account_assignments(
            InstanceArn=self.instance_arn, AccountId=account, PermissionSetArn=ps_arn
        )["AccountAssignments"]
        return sorted((a["PrincipalType"], a["PrincipalId"]) for a in out)


@pytest.fixture
def sso(session: boto3.Session) -> Iterator[SSO]:
    with moto_identity_center():
        instance = session.client("sso-admin").list_instances()["Instances"][0]
        yield SSO(session, instance["InstanceArn"], instance["IdentityStoreId"])


@attrs.define
class Params:
    """Request parameters per operation (secureml.testing.CallRecorder keeps them only for
    query-protocol services; sso-admin speaks JSON)."""

    seen: list[tuple[str, dict[str, Any]]] = attrs.field(factory=list)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.seen.append((model.name, dict(params)))

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [p for name, p in self.seen if name == operation]


@pytest.fixture
def params(session: boto3.Session) -> Params:
    recorder = Params()
    session.events.register("before-parameter-build.*.*", recorder._record)
    return recorder


def apply(resource: Any, ctx: AwsContext) -> str:
    """What the engine does for one resource: read, compare, change. Returns the action."""
    desired = resource.desired(ctx)
    observed = resource.read(ctx)
    if observed is None:
        resource.create(ctx, desired)
        return "create"
    if observed.state == desired:
        return "no-op"
    if not resource.owned_by(observed, ctx.blueprint) and not resource.adopt:
        raise OwnershipError(resource.key, "not owned")
    resource.update(ctx, observed, desired)
    return "update"


def ds_persona() -> sm.Persona:
    return sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])


# -- validation before any call -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": "x" * 33}, "1-32"),
        ({"name": "bad name"}, "1-32"),
        ({"session_duration": "PT13H"}, "PT1H to PT12H"),
        ({"session_duration": "PT30M"}, "PT1H to PT12H"),
        ({"session_duration": "8 hours"}, "ISO-8601"),
        ({"managed_policies": ["arn:aws:iam::111122223333:policy/mine"]}, "AWS managed"),
        ({"customer_managed_policies": ["bad name!"]}, "not a valid name"),
        ({"relay_state": "x" * 241}, "relay_state"),
        ({"tags": {OWNER_TAG: "other"}}, "set by secureml"),
        (
            {
                "managed_policies": [READ_ONLY],
                "customer_managed_policies": [f"p{i}" for i in range(20)],
            },
            "at most 20",
        ),
    ],
)
def test_permission_set_input_is_refused_before_any_call(
    sso: SSO, calls: CallRecorder, kwargs: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ValidationError) as err:
        PermissionSet(**{"name": "ok", **kwargs})
    problems = err.value.problems
    # Refused when made, naming the field given.
    assert any(needle in str(p) and p.path[0] in kwargs for p in problems), problems
    assert calls.calls == []


def test_persona_permission_set_name_over_32_chars_raises_before_any_call(
    calls: CallRecorder,
) -> None:
    persona = sm.MLOps("a-persona-name-longer-than-32-characters", pass_roles=["c"])
    with pytest.raises(ValidationError, match="1-32"):
        persona.permission_set()
    assert calls.calls == []


def test_persona_policy_over_the_inline_limit_is_split_into_customer_managed_policies(
    calls: CallRecorder,
) -> None:
    buckets = [f"team-a-bucket-with-a-long-name-{i:03d}" for i in range(150)]
    persona = sm.DataScientist("big-ds", buckets=buckets, pass_roles=["team-a-compute"])
    ps = persona.permission_set()
    parts = ps.split_policies()
    assert len(parts) >= 2
    assert [p.name for p in parts] == [f"big-ds-sso-policy-{i}" for i in range(1, len(parts) + 1)]
    assert all(p.document.size <= 6_144 for p in parts)
    assert ps.problems() == []
    # No room for the parts beside 19 managed policies: refused, naming both limits.
    with pytest.raises(PolicyTooLargeError) as err:
        PermissionSet.from_persona(
            persona, managed_policies=[f"arn:aws:iam::aws:policy/P{i}" for i in range(19)]
        )
    message = str(err.value)
    assert "10,240" in message
    assert "20" in message
    assert err.value.limit == 10_240
    assert err.value.sizes[0] > 10_240
    assert calls.calls == []


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"accounts": ["12345"]}, "12 digits"),
        ({"accounts": [111122223333]}, "12 digits"),
        ({"accounts": []}, "at least one"),
        ({"accounts": [A1], "organizational_units": ["team-a"]}, "organizational unit id"),
        ({"accounts": [A1], "permission_set": "has:colon"}, "permission_set"),
    ],
)
def test_assignment_input_is_refused_before_any_call(
    calls: CallRecorder, kwargs: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ValidationError) as err:
        GroupAssignment(**{"group": "DataScientists", "permission_set": "team-a-ds", **kwargs})
    problems = err.value.problems
    assert any(needle in str(p) and p.path[0] in kwargs for p in problems), problems
    assert calls.calls == []


# -- the instance ----------------------------------------------------------------------------


def test_instance_is_listed_once_per_run_and_shared(sso: SSO, calls: CallRecorder) -> None:
    sso.group("DataScientists")
    ctx = sso.ctx()
    for ps in ("a", "b", "c"):
        PermissionSet(name=ps, managed_policies=[READ_ONLY]).read(ctx)
        GroupAssignment(group="DataScientists", permission_set=ps, accounts=[A1]).read(ctx)
    ops = Counter(calls.operations())
    assert ops["sso-admin:ListInstances"] == 1
    assert ops["sso-admin:ListPermissionSets"] == 1
    assert ops["identitystore:GetGroupId"] == 1


def test_explicit_instance_needs_no_listing(sso: SSO, calls: CallRecorder) -> None:
    store = "d-0123456789"  # moto's identity store takes any id
    sso.session.client("identitystore").create_group(IdentityStoreId=store, DisplayName="G")
    ic = sm.IdentityCenter(instance_arn=sso.instance_arn, identity_store_id=store)
    calls.clear()
    a = GroupAssignment(group="G", permission_set="ps", accounts=[A1], identity_center=ic)
    assert a.read(sso.ctx()) is None
    assert "sso-admin:ListInstances" not in calls.operations()


def test_an_account_without_identity_center_fails_clearly_and_discovery_finds_nothing(
    sso: SSO,
) -> None:
    from moto.ssoadmin.models import ssoadmin_backends

    ssoadmin_backends["123456789012"]["us-east-1"].instances.clear()
    ps = PermissionSet(name="ps", managed_policies=[READ_ONLY])
    with pytest.raises(NotFoundError, match="no IAM Identity Center instance in region us-east-1"):
        ps.read(sso.ctx())
    assert list(PermissionSet.discover(sso.ctx(), BP)) == []
    assert list(GroupAssignment.discover(sso.ctx(), BP)) == []


def test_unknown_instance_arn_is_not_found(sso: SSO) -> None:
    ic = sm.IdentityCenter(instance_arn="arn:aws:sso:::instance/ssoins-0000000000000000")
    with pytest.raises(NotFoundError, match="ssoins-0000000000000000"):
        PermissionSet(name="ps", identity_center=ic).read(sso.ctx())


def test_identity_center_in_another_region_uses_that_regions_client(sso: SSO) -> None:
    other = sso.session.client("sso-admin", region_name="eu-west-1")
    arn = other.list_instances()["Instances"][0]["InstanceArn"]
    ps = PermissionSet(name="eu", managed_policies=[READ_ONLY],
                       identity_center=sm.IdentityCenter(region="eu-west-1"))
    ctx = sso.ctx()
    assert apply(ps, ctx) == "create"
    names = [
        other.describe_permission_set(InstanceArn=arn, PermissionSetArn=p)["PermissionSet"]["Name"]
        for p in other.list_permission_sets(InstanceArn=arn)["PermissionSets"]
    ]
    assert names == ["eu"]
    assert sso.session.client("sso-admin").list_permission_sets(
        InstanceArn=sso.instance_arn
    )["PermissionSets"] == []


# -- permission sets -------------------------------------------------------------------------


def test_persona_permission_set_is_account_agnostic_and_converges(
    sso: SSO, calls: CallRecorder
) -> None:
    ps = ds_persona().permission_set(session_duration="PT8H")
    ctx = sso.ctx()
    desired = ps.desired(ctx)
    text = str(desired["inline_policy"])
    assert "123456789012" not in text  # never the caller's account
    assert ":*:role/team-a-compute" in text  # pass role in any account
    assert desired["session_duration"] == "PT8H"
    assert desired["tags"] == {OWNER_TAG: BP}
    assert apply(ps, ctx) == "create"
    assert Counter(calls.operations())["sso-admin:CreatePermissionSet"] == 1

    calls.clear()
    fresh = sso.ctx()
    observed = ps.read(fresh)
    assert observed is not None
    assert observed.owner == BP
    assert observed.state == ps.desired(fresh)
    assert apply(ps, fresh) == "no-op"
    assert calls.mutating == []


def test_standalone_permission_set_with_every_setting_round_trips(sso: SSO) -> None:
    doc = sm.PolicyDocument([sm.Statement(actions="s3:ListAllMyBuckets", resources="*")])
    ps = PermissionSet(
        name="Auditor",
        description="read-only audit access",
        session_duration="PT2H30M",
        inline_policy=doc,
        managed_policies=[READ_ONLY],
        customer_managed_policies=[
            "ml/team-a-ds-1",
            "arn:aws:iam::111122223333:policy/boundaryless",
        ],
        permissions_boundary="arn:aws:iam::aws:policy/PowerUserAccess",
        relay_state="https://console.aws.amazon.com/sagemaker/",
        tags={"team": "a"},
    )
    assert ps.problems() == []
    ctx = sso.ctx()
    assert apply(ps, ctx) == "create"
    observed = ps.read(sso.ctx())
    assert observed is not None
    assert observed.state == ps.desired(ctx)
    assert observed.state["customer_managed_policies"] == [
        {"name": "boundaryless", "path": "/"},
        {"name": "team-a-ds-1", "path": "/ml/"},
    ]
    assert observed.state["tags"] == {"team": "a", OWNER_TAG: BP}
    assert apply(ps, sso.ctx()) == "no-op"


def test_changed_permission_set_is_updated_and_reprovisioned_to_its_accounts(
    sso: SSO, calls: CallRecorder, params: Params
) -> None:
    sso.group("DataScientists")
    ps = PermissionSet(name="team", managed_policies=[READ_ONLY],
                       customer_managed_policies=["old"], tags={"a": "1"},
                       permissions_boundary="ml/boundary")
    assignment = GroupAssignment(group="DataScientists", permission_set=ps, accounts=[A1, A2])
    apply(ps, sso.ctx())
    apply(assignment, sso.ctx())

    changed = PermissionSet(name="team", managed_policies=[VIEW_ONLY], session_duration="PT4H",
                            customer_managed_policies=["new"], tags={"b": "2"})
    calls.clear()
    ctx = sso.ctx()
    assert apply(changed, ctx) == "update"
    mutating = [c.operation for c in calls.mutating]
    assert sorted(mutating) == sorted([
        "UpdatePermissionSet",
        "DetachManagedPolicyFromPermissionSet",
        "AttachManagedPolicyToPermissionSet",
        "DetachCustomerManagedPolicyReferenceFromPermissionSet",
        "AttachCustomerManagedPolicyReferenceToPermissionSet",
        "DeletePermissionsBoundaryFromPermissionSet",
        "UntagResource",
        "TagResource",
        "ProvisionPermissionSet",
    ])
    [provision] = params.of("ProvisionPermissionSet")
    assert provision["TargetType"] == "ALL_PROVISIONED_ACCOUNTS"
    assert mutating[-1] == "ProvisionPermissionSet"  # after every change
    observed = changed.read(sso.ctx())
    assert observed is not None
    assert observed.state == changed.desired(ctx)


def test_relay_state_left_out_keeps_the_one_aws_has_and_the_plan_settles(
    sso: SSO, calls: CallRecorder
) -> None:
    # UpdatePermissionSet cannot remove a relay state: asking for none must not leave
    # a difference in every plan.
    url = "https://console.aws.amazon.com/sagemaker/"
    with_url = PermissionSet(name="ps", managed_policies=[READ_ONLY], relay_state=url)
    apply(with_url, sso.ctx())
    without = PermissionSet(name="ps", managed_policies=[READ_ONLY])
    calls.clear()
    assert apply(without, sso.ctx()) == "no-op"
    assert calls.mutating == []
    client = sso.session.client("sso-admin")
    arn = with_url.read(sso.ctx()).extra["arn"]  # type: ignore[union-attr]
    assert client.describe_permission_set(
        InstanceArn=sso.instance_arn, PermissionSetArn=arn
    )["PermissionSet"]["RelayState"] == url
    # A relay state that is asked for is still compared and set.
    other = attrs.evolve(with_url, relay_state="https://console.aws.amazon.com/s3/")
    assert apply(other, sso.ctx()) == "update"
    assert apply(other, sso.ctx()) == "no-op"


def test_description_is_always_set_so_an_undescribed_permission_set_converges(
    sso: SSO, params: Params
) -> None:
    sso.bare_permission_set("bare")
    ps = PermissionSet(name="bare")
    assert apply(ps, sso.ctx()) == "update"
    [update] = params.of("UpdatePermissionSet")
    assert update["Description"] == "secureml permission set bare"
    assert apply(ps, sso.ctx()) == "no-op"


def test_changed_permission_set_without_accounts_is_not_provisioned(
    sso: SSO, calls: CallRecorder
) -> None:
    apply(PermissionSet(name="lonely", managed_policies=[READ_ONLY]), sso.ctx())
    calls.clear()
    apply(PermissionSet(name="lonely", managed_policies=[VIEW_ONLY]), sso.ctx())
    assert "ProvisionPermissionSet" not in [c.operation for c in calls.mutating]


def test_untagged_permission_set_is_never_changed_unless_adopted(
    sso: SSO, calls: CallRecorder
) -> None:
    client = sso.session.client("sso-admin")
    client.create_permission_set(InstanceArn=sso.instance_arn, Name="Theirs",
                                 SessionDuration="PT1H", Tags=[{"Key": "team", "Value": "x"}])
    ps = PermissionSet(name="Theirs", managed_policies=[READ_ONLY])
    observed = ps.read(sso.ctx())
    assert observed is not None
    assert observed.owner is None
    assert not ps.owned_by(observed, BP)
    calls.clear()
    with pytest.raises(OwnershipError, match="Theirs"):
        ps.update(sso.ctx(), observed, ps.desired(sso.ctx()))
    with pytest.raises(OwnershipError):
        ps.create(sso.ctx(), ps.desired(sso.ctx()))
    assert calls.mutating == []

    adopting = attrs.evolve(ps, adopt=True)
    assert apply(adopting, sso.ctx()) == "update"
    again = adopting.read(sso.ctx())
    assert again is not None
    assert again.owner == BP


def test_create_after_a_crash_does_not_duplicate_the_permission_set(
    sso: SSO, calls: CallRecorder
) -> None:
    # A run died after CreatePermissionSet: the set exists, tagged, without its policies.
    sso.bare_permission_set("half")
    ps = PermissionSet(name="half", managed_policies=[READ_ONLY])
    calls.clear()
    ctx = sso.ctx()
    ps.create(ctx, ps.desired(ctx))  # the engine's stale plan said "create"
    assert "CreatePermissionSet" not in [c.operation for c in calls.mutating]
    observed = ps.read(sso.ctx())
    assert observed is not None
    assert observed.state == ps.desired(ctx)


def test_duplicate_names_left_by_an_emulator_are_reported(sso: SSO) -> None:
    from moto.ssoadmin.models import SSOAdminBackend

    from secureml import _moto_aws

    client = sso.session.client("sso-admin")
    # moto's own create (not the completion, which refuses a name in use, as AWS does).
    with mock.patch.object(SSOAdminBackend, "create_permission_set",
                           _moto_aws._original_create_permission_set):
        for _ in range(2):
            client.create_permission_set(InstanceArn=sso.instance_arn, Name="dup")
    with pytest.raises(RefusalError, match="2 permission sets are named 'dup'"):
        PermissionSet(name="dup").read(sso.ctx())


# -- assignments -----------------------------------------------------------------------------


def test_group_assignment_creates_each_account_once_and_reapplies_as_no_op(
    sso: SSO, calls: CallRecorder, params: Params
) -> None:
    gid = sso.group("DataScientists")
    ps = ds_persona().permission_set()
    a = GroupAssignment(group="DataScientists", permission_set=ps, accounts=[A1, A2])
    assert list(a.dependencies()) == ["sso-permission-set/team-a-ds"]
    apply(ps, sso.ctx())
    params.seen.clear()
    assert apply(a, sso.ctx()) == "create"
    creates = params.of("CreateAccountAssignment")
    assert sorted(c["TargetId"] for c in creates) == [A1, A2]
    assert {c["PrincipalId"] for c in creates} == {gid}

    calls.clear()
    assert apply(a, sso.ctx()) == "no-op"
    assert calls.mutating == []

    # One more account: only that one is created (moto would happily duplicate the others).
    wider = attrs.evolve(a, accounts=[A1, A2, A3])
    calls.clear()
    params.seen.clear()
    assert apply(wider, sso.ctx()) == "update"
    assert [c.operation for c in calls.mutating] == ["CreateAccountAssignment"]
    assert [c["TargetId"] for c in params.of("CreateAccountAssignment")] == [A3]
    arn = wider.read(sso.ctx()).extra["permission_set_arn"]  # type: ignore[union-attr]
    assert sso.assignments(arn, A1) == [("GROUP", gid)]


def test_stale_create_skips_accounts_already_assigned(
    sso: SSO, calls: CallRecorder, params: Params
) -> None:
    sso.group("G")
    ps = PermissionSet(name="ps", managed_policies=[READ_ONLY])
    apply(ps, sso.ctx())
    apply(GroupAssignment(group="G", permission_set="ps", accounts=[A1]), sso.ctx())
    calls.clear()
    params.seen.clear()
    a = GroupAssignment(group="G", permission_set="ps", accounts=[A1, A2])
    ctx = sso.ctx()
    a.create(ctx, a.desired(ctx))  # a plan made before the crash said "create"
    assert [c.operation for c in calls.mutating] == ["CreateAccountAssignment"]
    assert [c["TargetId"] for c in params.of("CreateAccountAssignment")] == [A2]


def test_account_dropped_from_an_assignment_is_a_delete_shown_first_and_made_only_with_prune(
    sso: SSO, calls: CallRecorder, params: Params
) -> None:
    # Invariant 3 and issue 4.6: removing an account from an assignment is a delete
    # of something no longer in the blueprint, so the plan shows it and only
    # apply(prune=True) makes it.
    gid = sso.group("G")
    ps = PermissionSet(name="ps", managed_policies=[READ_ONLY])
    no_sleep_blueprint(
        [ps, GroupAssignment(group="G", permission_set="ps", accounts=[A1, A2, A3])]
    ).apply(sso.session)
    narrower = no_sleep_blueprint(
        [ps, GroupAssignment(group="G", permission_set="ps", accounts=[A1])]
    )
    calls.clear()
    plan = narrower.plan(sso.session)
    assert [(c.action, c.key) for c in plan.changes] == [
        ("no-op", "sso-permission-set/ps"),
        ("no-op", "sso-group-assignment/G:ps"),
        ("delete", "sso-group-assignment/G:ps#removed-accounts"),
    ]
    [removal] = plan.kept
    assert removal.before is not None
    assert removal.before["accounts"] == [A2, A3]
    assert removal.after is None
    assert "- delete group assignment G:ps#removed-accounts" in str(plan)
    assert plan.is_empty  # nothing pending without prune

    assert narrower.apply(sso.session).applied == ()
    assert calls.mutating == []
    arn = ps.read(sso.ctx()).extra["arn"]  # type: ignore[union-attr]
    assert sso.assignments(arn, A2) == [("GROUP", gid)]

    pruned = narrower.apply(sso.session, prune=True)
    assert [(c.action, c.key) for c in pruned.applied] == [
        ("delete", "sso-group-assignment/G:ps#removed-accounts")
    ]
    assert sorted(p["TargetId"] for p in params.of("DeleteAccountAssignment")) == [A2, A3]
    assert sso.assignments(arn, A1) == [("GROUP", gid)]
    assert sso.assignments(arn, A2) == []
    assert sso.assignments(arn, A3) == []
    assert narrower.plan(sso.session, prune=True).is_empty


def test_removed_accounts_of_a_permission_set_managed_elsewhere_are_never_offered(
    sso: SSO,
) -> None:
    gid = sso.group("G")
    client = sso.session.client("sso-admin")
    arn = client.create_permission_set(InstanceArn=sso.instance_arn, Name="Shared")[
        "PermissionSet"]["PermissionSetArn"]
    for account in (A1, A2):
        client.create_account_assignment(
            InstanceArn=sso.instance_arn, TargetId=account, TargetType="AWS_ACCOUNT",
            PermissionSetArn=arn, PrincipalType="GROUP", PrincipalId=gid,
        )
    bp = no_sleep_blueprint([GroupAssignment(group="G", permission_set="Shared", accounts=[A1])])
    plan = bp.plan(sso.session, prune=True)
    assert [(c.action, c.key) for c in plan.changes] == [
        ("no-op", "sso-group-assignment/G:Shared")
    ]
    # Even asked directly, the removed-accounts view of someone else's set reads as nothing.
    removed = GroupAssignment(group="G", permission_set="Shared", accounts=[A1],
                              _removed_only=True)
    assert removed.read(sso.ctx()) is None


def test_assignments_of_a_permission_set_managed_elsewhere_are_only_added(
    sso: SSO, calls: CallRecorder
) -> None:
    gid = sso.group("G")
    client = sso.session.client("sso-admin")
    arn = client.create_permission_set(InstanceArn=sso.instance_arn, Name="Shared")[
        "PermissionSet"]["PermissionSetArn"]
    client.create_account_assignment(
        InstanceArn=sso.instance_arn, TargetId=A2, TargetType="AWS_ACCOUNT",
        PermissionSetArn=arn, PrincipalType="GROUP", PrincipalId=gid,
    )
    a = GroupAssignment(group="G", permission_set="Shared", accounts=[A1])
    calls.clear()
    assert apply(a, sso.ctx()) == "create"
    assert [c.operation for c in calls.mutating] == ["CreateAccountAssignment"]
    assert apply(a, sso.ctx()) == "no-op"
    assert sso.assignments(arn, A2) == [("GROUP", gid)]  # someone else's, untouched


def test_group_by_id_and_user_by_user_name(sso: SSO) -> None:
    gid = sso.group("Platform")
    uid = sso.user("jdoe")
    apply(PermissionSet(name="ps", managed_policies=[READ_ONLY]), sso.ctx())
    by_id = GroupAssignment(group=gid, permission_set="ps", accounts=[A1])
    user = UserAssignment(user="jdoe", permission_set="ps", accounts=[A1])
    assert apply(by_id, sso.ctx()) == "create"
    assert apply(user, sso.ctx()) == "create"
    arn = user.read(sso.ctx()).extra["permission_set_arn"]  # type: ignore[union-attr]
    assert sso.assignments(arn, A1) == sorted([("GROUP", gid), ("USER", uid)])
    assert apply(by_id, sso.ctx()) == "no-op"
    assert apply(user, sso.ctx()) == "no-op"


@pytest.mark.parametrize(
    ("cls", "arg", "what"), [(GroupAssignment, "group", "group"), (UserAssignment, "user", "user")]
)
def test_unknown_principal_names_the_identity_store(
    sso: SSO, cls: type[GroupAssignment | UserAssignment], arg: str, what: str
) -> None:
    a = cls(**{arg: "Nobody"}, permission_set="ps", accounts=[A1])  # type: ignore[arg-type]
    with pytest.raises(NotFoundError) as err:
        a.read(sso.ctx())
    assert f"{what} 'Nobody'" in str(err.value)
    assert sso.store in str(err.value)


def test_assignment_to_a_permission_set_that_does_not_exist(sso: SSO) -> None:
    sso.group("G")
    a = GroupAssignment(group="G", permission_set="missing", accounts=[A1])
    assert a.read(sso.ctx()) is None  # the plan shows a create (the set may come first)
    with pytest.raises(NotFoundError, match="permission set 'missing' not found"):
        a.create(sso.ctx(), a.desired(sso.ctx()))


def test_organizational_unit_targets_its_active_accounts(sso: SSO) -> None:
    org = sso.session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="ml")["OrganizationalUnit"]["Id"]
    accounts = []
    for i in range(3):
        acct = org.create_account(Email=f"a{i}@example.com", AccountName=f"a{i}")[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
        accounts.append(acct)
    sso.group("G")
    apply(PermissionSet(name="ps", managed_policies=[READ_ONLY]), sso.ctx())
    a = GroupAssignment(group="G", permission_set="ps", organizational_units=[ou])
    assert a.read(sso.ctx()) is None
    assert apply(a, sso.ctx()) == "create"
    observed = a.read(sso.ctx())
    assert observed is not None
    assert observed.state == a.desired(sso.ctx())
    assert observed.extra["assigned"] == sorted(accounts)


# -- discovery and deletion (prune) -------------------------------------------------------------


def test_discovery_offers_only_this_blueprints_permission_sets_and_their_assignments(
    sso: SSO,
) -> None:
    sso.group("G")
    sso.user("jdoe")
    apply(PermissionSet(name="ours", managed_policies=[READ_ONLY]), sso.ctx())
    apply(PermissionSet(name="theirs", managed_policies=[READ_ONLY]), sso.ctx("other"))
    apply(GroupAssignment(group="G", permission_set="ours", accounts=[A1, A2]), sso.ctx())
    apply(UserAssignment(user="jdoe", permission_set="ours", accounts=[A3]), sso.ctx())
    apply(GroupAssignment(group="G", permission_set="theirs", accounts=[A1]), sso.ctx("other"))

    ctx = sso.ctx()
    assert [r.key for r in PermissionSet.discover(ctx, BP)] == ["sso-permission-set/ours"]
    groups = list(GroupAssignment.discover(ctx, BP))
    users = list(UserAssignment.discover(ctx, BP))
    assert [r.key for r in groups] == ["sso-group-assignment/G:ours"]
    assert [r.key for r in users] == ["sso-user-assignment/jdoe:ours"]
    found = groups[0].read(ctx)
    assert found is not None
    assert found.extra["assigned"] == [A1, A2]
    assert groups[0].owned_by(found, BP)


def test_discovery_keeps_the_blueprints_key_for_a_group_given_by_id(sso: SSO) -> None:
    gid = sso.group("G")
    apply(PermissionSet(name="ps", managed_policies=[READ_ONLY]), sso.ctx())
    a = GroupAssignment(group=gid, permission_set="ps", accounts=[A1])
    apply(a, sso.ctx())
    ctx = sso.ctx()
    # The engine tells discovery what the blueprint holds (no desired() side effect).
    # The blueprint's own key, as the view of accounts beyond its targets: there are none.
    [found] = GroupAssignment.discover_for(ctx, BP, [a])
    assert found.key == a.key + "#removed-accounts"
    assert found.read(ctx) is None
    # and through the engine: the assignment is in the blueprint, so nothing to prune
    bp = no_sleep_blueprint([PermissionSet(name="ps", managed_policies=[READ_ONLY]), a])
    plan = bp.plan(sso.session, prune=True)
    assert plan.is_empty, str(plan)


def test_prune_deletes_assignments_before_their_permission_set(sso: SSO) -> None:
    gid = sso.group("G")
    ps = PermissionSet(name="gone", managed_policies=[READ_ONLY])
    apply(ps, sso.ctx())
    apply(GroupAssignment(group="G", permission_set="gone", accounts=[A1, A2]), sso.ctx())
    ctx = sso.ctx()
    [ps_found] = PermissionSet.discover(ctx, BP)
    [a_found] = GroupAssignment.discover(ctx, BP)
    assert list(a_found.dependencies()) == [ps_found.key]  # so it is deleted first
    ps_observed = ps_found.read(ctx)
    assert ps_observed is not None
    with pytest.raises(RefusalError, match=f"still assigned \\(group {gid} in {A1}") as refused:
        ps_found.delete(ctx, ps_observed)
    assert refused.value.operation == "DeletePermissionSet"
    assert "adopt" not in str(refused.value)  # adopting would not lift it
    assert "remove those assignments first" in refused.value.hint
    a_observed = a_found.read(ctx)
    assert a_observed is not None
    a_found.delete(ctx, a_observed)
    ps_found.delete(ctx, ps_observed)
    fresh = sso.ctx()
    assert ps.read(fresh) is None
    assert list(GroupAssignment.discover(fresh, BP)) == []


# -- scale: reads grow with what exists, not with every combination ---------------------------


def test_read_calls_for_100_accounts_and_5_permission_sets_stay_within_the_formula(
    sso: SSO, calls: CallRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [f"{100000000000 + i}" for i in range(100)]
    n_ps, n_groups = 5, 2  # benchmarks/bench_identity_center.py runs 5 groups
    groups = [f"team-{g}" for g in range(n_groups)]
    for g in groups:
        sso.group(g)
    sets = [PermissionSet(name=f"ps-{p}", managed_policies=[READ_ONLY]) for p in range(n_ps)]
    # Every group gets every permission set in every account: 1,000 assignments.
    assignments = [
        GroupAssignment(group=g, permission_set=ps, accounts=accounts)
        for g in groups
        for ps in sets
    ]
    for r in sets:
        apply(r, sso.ctx())
    # Given the assignments already exist (made through moto's backend: quicker than
    # 1,000 emulated requests, and this test is about the reads that follow).
    from moto.ssoadmin.models import ssoadmin_backends

    backend = ssoadmin_backends["123456789012"]["us-east-1"]
    ids = {g: sso.session.client("identitystore").get_group_id(
        IdentityStoreId=sso.store,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "DisplayName",
                                                 "AttributeValue": g}},
    )["GroupId"] for g in groups}
    arns = {ps.name: ps.read(sso.ctx()).extra["arn"] for ps in sets}  # type: ignore[union-attr]
    for a in assignments:
        for account in accounts:
            backend.create_account_assignment(
                sso.instance_arn, account, "AWS_ACCOUNT", arns[a.permission_set],
                "GROUP", ids[a.group],
            )

    paced: list[int] = []  # the thread of every request the rate limiter let through
    acquire = RateLimiter.acquire

    def counting(limiter: RateLimiter) -> float:
        paced.append(threading.get_ident())
        return acquire(limiter)

    monkeypatch.setattr(RateLimiter, "acquire", counting)
    calls.clear()
    ctx = sso.ctx()  # one plan: read every resource, then discover for pruning
    for r in [*sets, *assignments]:
        observed = r.read(ctx)
        assert observed is not None
        assert observed.state == r.desired(ctx)
    plan_reads = len(calls.calls)
    discovered = [*GroupAssignment.discover(ctx, BP), *PermissionSet.discover(ctx, BP)]
    assert len(discovered) == n_ps * n_groups + n_ps
    total = len(calls.calls)
    assert calls.mutating == []

    page = 100
    per_principal_pages = math.ceil(n_ps * len(accounts) / page)
    # ListInstances + ListPermissionSets + DescribePermissionSet each + 5 reads each
    # (inline, managed, customer managed, boundary, tags) + per group: GetGroupId and
    # its assignment pages.
    read_formula = 1 + 1 + n_ps + 5 * n_ps + n_groups * (1 + per_principal_pages)
    # Discovery: per permission set, the provisioned accounts (one page) and one
    # ListAccountAssignments per (permission set, account); the groups' names are
    # known from GetGroupId, so no DescribeGroup.
    discover_formula = n_ps * (1 + len(accounts))
    assert plan_reads <= read_formula, Counter(calls.operations())
    assert total <= read_formula + discover_formula, Counter(calls.operations())
    assert "identitystore:DescribeGroup" not in calls.operations()
    # Every Identity Center request went through the run's rate limiter, from several
    # threads (discovery lists the accounts in parallel, within the rate).
    sso_admin = [c for c in calls.calls if c.service == "sso-admin"]
    assert len(paced) == len(sso_admin)
    assert len(set(paced)) > 1
    # Never one call per possible (account x permission set x group): that is 1,000, and
    # the blueprint's own reads do not grow with the number of accounts at all.
    assert total < n_ps * n_groups * len(accounts)
    assert plan_reads < len(accounts)


# -- end to end, through the engine ------------------------------------------------------------


def no_sleep_blueprint(resources: list[Any], name: str = BP) -> sm.Blueprint:
    return sm.Blueprint(name, resources, retry=RetryPolicy(sleep=lambda _: None))


def test_blueprint_applies_personas_as_permission_sets_then_plans_empty(
    sso: SSO, calls: CallRecorder, params: Params
) -> None:
    gid = sso.group("DataScientists")
    compute = sm.Compute("team-a-compute", buckets=["team-a-data"])
    ds = ds_persona()
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])
    bp = no_sleep_blueprint([
        ds.permission_set(session_duration="PT8H"),
        mlops.permission_set(),
        GroupAssignment(group="DataScientists", permission_set="team-a-ds", accounts=[A1, A2]),
        GroupAssignment(group="DataScientists", permission_set="team-a-mlops", accounts=[A1]),
    ])
    calls.clear()
    plan = bp.plan(sso.session)
    assert [(c.action, c.key) for c in plan.changes] == [
        ("create", "sso-permission-set/team-a-ds"),
        ("create", "sso-permission-set/team-a-mlops"),
        ("create", "sso-group-assignment/DataScientists:team-a-ds"),
        ("create", "sso-group-assignment/DataScientists:team-a-mlops"),
    ]
    assert calls.mutating == []

    bp.apply(sso.session)
    assert len(params.of("CreatePermissionSet")) == 2
    assert len(params.of("CreateAccountAssignment")) == 3
    # Each permission set exists before its assignments are made.
    ops = [c.operation for c in calls.mutating]
    assert ops.index("CreateAccountAssignment") > ops.index("PutInlinePolicyToPermissionSet")

    calls.clear()
    assert bp.plan(sso.session).is_empty
    again = bp.apply(sso.session)
    assert again.applied == ()
    assert calls.mutating == []
    ps_arn = next(iter(params.of("CreateAccountAssignment")))["PermissionSetArn"]
    assert sso.assignments(ps_arn, A1) == [("GROUP", gid)]


def test_blueprint_prunes_assignments_only_when_asked_and_before_their_permission_set(
    sso: SSO, calls: CallRecorder
) -> None:
    sso.group("G")
    ps = PermissionSet(name="ps", managed_policies=[READ_ONLY])
    keep = PermissionSet(name="keep", managed_policies=[READ_ONLY])
    full = no_sleep_blueprint([
        ps, keep,
        GroupAssignment(group="G", permission_set="ps", accounts=[A1, A2]),
        GroupAssignment(group="G", permission_set="keep", accounts=[A1]),
    ])
    full.apply(sso.session)

    smaller = no_sleep_blueprint([
        keep, GroupAssignment(group="G", permission_set="keep", accounts=[A1]),
    ])
    calls.clear()
    plan = smaller.plan(sso.session)
    assert sorted(c.key for c in plan.kept) == [
        "sso-group-assignment/G:ps", "sso-permission-set/ps",
    ]
    assert plan.is_empty
    smaller.apply(sso.session)
    assert calls.mutating == []

    smaller.apply(sso.session, prune=True)
    ops = [c.operation for c in calls.mutating]
    assert ops.count("DeleteAccountAssignment") == 2
    assert ops.index("DeletePermissionSet") > max(
        i for i, op in enumerate(ops) if op == "DeleteAccountAssignment"
    )
    assert smaller.plan(sso.session, prune=True).is_empty
    assert ps.read(sso.ctx()) is None
    assert keep.read(sso.ctx()) is not None


def test_blueprint_with_an_unknown_group_fails_naming_the_identity_store(sso: SSO) -> None:
    bp = no_sleep_blueprint([
        GroupAssignment(group="Nobody", permission_set="ps", accounts=[A1]),
    ])
    with pytest.raises(NotFoundError, match=f"group 'Nobody'.*identity store {sso.store}"):
        bp.plan(sso.session)


def test_blueprint_without_identity_center_resources_looks_only_cheaply(
    sso: SSO, calls: CallRecorder
) -> None:
    from moto.ssoadmin.models import ssoadmin_backends

    ssoadmin_backends["123456789012"]["us-east-1"].instances.clear()
    sm.Blueprint(BP, [sm.AccountPublicAccessBlock()]).plan(sso.session)
    sso_calls = [c.operation for c in calls.calls if c.service == "sso-admin"]
    assert sso_calls == ["ListInstances"]
