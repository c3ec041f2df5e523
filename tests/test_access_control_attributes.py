"""sm.AccessControlAttributes (issue 11, point 2): the Identity Center instance's
attributes for access control, with plan, apply, drift and ownership like the
other kinds, on moto completed by secureml/_moto_sso.py."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

import secureml as sm
from secureml._moto_sso import fail_access_control_attributes, moto_identity_center
from secureml.errors import OwnershipError, ValidationError
from secureml.resources.identity_center._attributes import OWNER_KEY

DEPARTMENT = "${path:enterprise.department}"


@pytest.fixture
def instance(session: boto3.Session) -> Iterator[str]:
    with moto_identity_center():
        yield str(session.client("sso-admin").list_instances()["Instances"][0]["InstanceArn"])


def _config(session: boto3.Session, instance: str) -> dict[str, list[str]]:
    raw = session.client("sso-admin").describe_instance_access_control_attribute_configuration(
        InstanceArn=instance
    )["InstanceAccessControlAttributeConfiguration"]
    return {a["Key"]: a["Value"]["Source"] for a in raw["AccessControlAttributes"]}


def _owner(session: boto3.Session, instance: str) -> str | None:
    tags = session.client("sso-admin").list_tags_for_resource(
        InstanceArn=instance, ResourceArn=instance
    )["Tags"]
    return {t["Key"]: t["Value"] for t in tags}.get(OWNER_KEY)


def test_apply_creates_the_configuration_and_a_second_apply_changes_nothing(
    session: boto3.Session, instance: str
) -> None:
    bp = sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})])

    plan = bp.plan(session=session)
    [change] = plan.pending
    assert change.action == "create"
    assert change.key == "sso-access-control-attributes/identity-center"
    bp.apply(session=session)

    assert _config(session, instance) == {"team": [DEPARTMENT]}
    assert _owner(session, instance) == "teams"
    assert bp.plan(session=session).is_empty


def test_drift_is_planned_as_an_update_and_fixed(session: boto3.Session, instance: str) -> None:
    bp = sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})])
    bp.apply(session=session)
    session.client("sso-admin").update_instance_access_control_attribute_configuration(
        InstanceArn=instance,
        InstanceAccessControlAttributeConfiguration={"AccessControlAttributes": [
            {"Key": "team", "Value": {"Source": ["${path:title}"]}},
        ]},
    )

    [change] = bp.plan(session=session).pending
    assert change.action == "update"
    assert change.before == {"attributes": {"team": ["${path:title}"]}}
    bp.apply(session=session)
    assert _config(session, instance) == {"team": [DEPARTMENT]}


def test_a_configuration_made_elsewhere_is_never_taken_over_silently(
    session: boto3.Session, instance: str
) -> None:
    sso = session.client("sso-admin")
    sso.create_instance_access_control_attribute_configuration(
        InstanceArn=instance,
        InstanceAccessControlAttributeConfiguration={"AccessControlAttributes": [
            {"Key": "cost-center", "Value": {"Source": ["${path:enterprise.costCenter}"]}},
        ]},
    )
    bp = sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})])

    with pytest.raises(OwnershipError):
        bp.plan(session=session)
    assert _config(session, instance) == {"cost-center": ["${path:enterprise.costCenter}"]}

    adopted = sm.Blueprint(
        "teams", [sm.AccessControlAttributes({"team": DEPARTMENT}, adopt=True)]
    )
    adopted.apply(session=session)
    assert _config(session, instance) == {"team": [DEPARTMENT]}
    assert _owner(session, instance) == "teams"


def test_a_configuration_aws_failed_to_create_is_planned_and_made_again(
    session: boto3.Session, instance: str
) -> None:
    """AWS creates the configuration asynchronously; one left in CREATION_FAILED is not
    a no-op: the plan shows its status and the next apply deletes and recreates it."""
    from moto.ssoadmin.models import ssoadmin_backends

    bp = sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})])
    bp.apply(session=session)
    account = session.client("sts").get_caller_identity()["Account"]
    backend = ssoadmin_backends[account][session.region_name]
    fail_access_control_attributes(backend, instance, "the source is not mapped")

    [change] = bp.plan(session=session).pending
    assert change.action == "update"
    assert change.before == {
        "attributes": {"team": [DEPARTMENT]},
        "status": "CREATION_FAILED: the source is not mapped",
    }
    bp.apply(session=session)
    answer = session.client("sso-admin").describe_instance_access_control_attribute_configuration(
        InstanceArn=instance
    )
    assert answer["Status"] == "ENABLED"
    assert _config(session, instance) == {"team": [DEPARTMENT]}
    assert bp.plan(session=session).is_empty


def test_prune_deletes_only_the_owners_configuration(
    session: boto3.Session, instance: str
) -> None:
    sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})]).apply(
        session=session
    )
    other = sm.Blueprint("other", [])
    assert other.plan(session=session, prune=True).is_empty  # not its to delete

    empty = sm.Blueprint("teams", [])
    [change] = empty.plan(session=session, prune=True).pending
    assert change.action == "delete"
    empty.apply(session=session, prune=True)
    with pytest.raises(session.client("sso-admin").exceptions.ResourceNotFoundException):
        _config(session, instance)
    assert _owner(session, instance) is None


def _tag_only(session: boto3.Session, instance: str, owner: str) -> None:
    """What an apply that died between its two writes leaves: the ownership tag on
    the instance, no configuration."""
    session.client("sso-admin").tag_resource(
        InstanceArn=instance, ResourceArn=instance, Tags=[{"Key": OWNER_KEY, "Value": owner}]
    )


def test_an_ownership_tag_without_a_configuration_is_finished_by_the_next_apply(
    session: boto3.Session, instance: str
) -> None:
    _tag_only(session, instance, "teams")
    bp = sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})])

    [change] = bp.plan(session=session).pending
    assert (change.action, change.before) == ("update", {"attributes": {}})
    bp.apply(session=session)
    assert _config(session, instance) == {"team": [DEPARTMENT]}
    assert bp.plan(session=session).is_empty


def test_an_ownership_tag_without_a_configuration_is_pruned(
    session: boto3.Session, instance: str
) -> None:
    _tag_only(session, instance, "teams")
    empty = sm.Blueprint("teams", [])

    [change] = empty.plan(session=session, prune=True).pending
    assert change.action == "delete"
    empty.apply(session=session, prune=True)
    assert _owner(session, instance) is None
    assert empty.plan(session=session, prune=True).is_empty


def test_another_blueprints_tag_is_named_in_the_refusal(
    session: boto3.Session, instance: str
) -> None:
    _tag_only(session, instance, "other")
    bp = sm.Blueprint("teams", [sm.AccessControlAttributes({"team": DEPARTMENT})])

    with pytest.raises(OwnershipError, match=f"the instance's {OWNER_KEY} tag is 'other'"):
        bp.plan(session=session)


def test_moto_answers_a_repeated_create_as_aws_does(
    session: boto3.Session, instance: str
) -> None:
    sso = session.client("sso-admin")
    config = {"AccessControlAttributes": [{"Key": "team", "Value": {"Source": [DEPARTMENT]}}]}
    sso.create_instance_access_control_attribute_configuration(
        InstanceArn=instance, InstanceAccessControlAttributeConfiguration=config
    )
    with pytest.raises(sso.exceptions.ConflictException):
        sso.create_instance_access_control_attribute_configuration(
            InstanceArn=instance, InstanceAccessControlAttributeConfiguration=config
        )


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({}, "give at least one attribute"),
        ({"aws:team": DEPARTMENT}, "key 'aws:team' is not a tag key"),
        ({"team": []}, "give exactly one source"),
    ],
)
def test_bad_input_is_refused_before_any_call(
    attributes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as err:
        sm.AccessControlAttributes(attributes)  # type: ignore[arg-type]
    assert any(message in p.message for p in err.value.problems), err.value.problems
    assert all(p.path[:1] == ("attributes",) for p in err.value.problems)
