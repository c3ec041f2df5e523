"""Permission sets of any size through ``apply()`` (moto): a policy over the 10,240
characters a permission set holds inline is packed into customer managed policies
that the blueprint creates and the permission set references, when every assignment
targets the session's account; otherwise apply refuses before any change and names
``deploy``."""

from __future__ import annotations

import boto3
import pytest

import secureml as sm
from secureml._moto_sso import moto_identity_center
from secureml.aws import RetryPolicy
from secureml.errors import ValidationError
from secureml.testing import CallRecorder

BP = "ml-platform"
HOME = "123456789012"  # moto's account
OTHER = "444455556666"


def blueprint(**targets: list[str]) -> sm.Blueprint:
    buckets = [f"team-a-bucket-with-a-long-name-{i:03d}" for i in range(150)]
    persona = sm.DataScientist("big-ds", buckets=buckets, pass_roles=["team-a-compute"])
    return sm.Blueprint(BP, [
        persona.permission_set(),
        sm.GroupAssignment(group="DataScientists", permission_set="big-ds", **targets),
    ], retry=RetryPolicy(sleep=lambda _: None))


def test_apply_in_the_one_target_account_creates_the_policies_it_references(
    session: boto3.Session,
) -> None:
    with moto_identity_center():
        instance = session.client("sso-admin").list_instances()["Instances"][0]
        session.client("identitystore").create_group(
            IdentityStoreId=instance["IdentityStoreId"], DisplayName="DataScientists")
        bp = blueprint(accounts=[HOME])
        parts = bp["sso-permission-set/big-ds"].parts()
        assert len(list(parts)) >= 2
        bp.apply(session=session)
        iam = session.client("iam")
        made = {p["PolicyName"]: p["Path"] for p in iam.list_policies(Scope="Local")["Policies"]}
        names = [f"big-ds-sso-policy-{i}" for i in range(1, len(made) + 1)]
        assert made == dict.fromkeys(names, f"/secureml/{BP}/")
        sso = session.client("sso-admin")
        ps_arn = sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"][0]
        refs = sso.list_customer_managed_policy_references_in_permission_set(
            InstanceArn=instance["InstanceArn"], PermissionSetArn=ps_arn,
        )["CustomerManagedPolicyReferences"]
        assert sorted(r["Name"] for r in refs) == names
        inline = sso.get_inline_policy_for_permission_set(
            InstanceArn=instance["InstanceArn"], PermissionSetArn=ps_arn).get("InlinePolicy")
        assert not inline
        assert bp.plan(session=session).is_empty


@pytest.mark.parametrize(
    ("targets", "needle"),
    [
        ({"organizational_units": ["ou-ab12-cd34ef56"]}, "OU ou-ab12-cd34ef56"),
        ({"accounts": [HOME, OTHER]}, f"account {OTHER}"),
    ],
)
def test_apply_refuses_before_any_call_when_other_accounts_need_the_policies(
    session: boto3.Session, calls: CallRecorder, targets: dict[str, list[str]], needle: str,
) -> None:
    with pytest.raises(ValidationError) as err:
        blueprint(**targets).apply(session=session)
    message = str(err.value)
    assert "secureml deploy" in message
    assert needle in message
    assert calls.calls == []


def test_apply_refuses_another_single_account_after_reading_only_who_it_is(
    session: boto3.Session, calls: CallRecorder,
) -> None:
    with pytest.raises(ValidationError, match=f"only this account \\({HOME}\\).*{OTHER}"):
        blueprint(accounts=[OTHER]).apply(session=session)
    assert [c.operation for c in calls.calls] == ["GetCallerIdentity"]
