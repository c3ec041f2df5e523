"""Fill moto 5's gaps in sso-admin, for tests of Identity Center blueprints.

moto emulates most of sso-admin but not: the tag operations (it stores the
tags given to ``CreatePermissionSet`` and cannot list them), permissions
boundaries, ``DescribePermissionSetProvisioningStatus``, and which accounts
a permission set is provisioned to (it reports only the caller's account, and
only after ``ProvisionPermissionSet``, while AWS provisions a permission set
to an account when it is first assigned there), tags on the instance, and the
instance's attributes for access control (``Create``/``Describe``/``Update``/
``DeleteInstanceAccessControlAttributeConfiguration``, with AWS's
``ConflictException`` on a second create and ``ResourceNotFoundException`` on a
missing one). AWS also refuses to delete a permission set that is still
assigned; moto deletes it.

:func:`moto_identity_center` adds those operations to moto's own request
handler, backed by moto's own state, for as long as the context lasts. Every
call still goes through botocore and moto's HTTP emulation: this fills holes
in the emulator, it does not fake boto3. Used by :func:`secureml.testing.mock_session`
and by the command line's ``--local`` emulator; imported only there, since it
imports ``moto`` (the ``local`` and ``tests`` extras).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock
from uuid import uuid4

from moto.ssoadmin.exceptions import ConflictException, ResourceNotFoundException
from moto.ssoadmin.responses import SSOAdminResponse

__all__ = ["fail_access_control_attributes", "moto_identity_center"]


def _backend_state(backend: Any) -> dict[str, set[str]]:
    state: dict[str, set[str]] | None = getattr(backend, "_secureml_provisioned", None)
    if state is None:
        state = {}
        backend._secureml_provisioned = state
    return state


def _accounts_for(backend: Any, ps_arn: str) -> list[str]:
    accounts = set(_backend_state(backend).get(ps_arn, set()))
    accounts.update(a.target_id for a in backend.account_assignments
                    if a.permission_set_arn == ps_arn)
    return sorted(accounts)


def _page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 100)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _params(self: Any) -> dict[str, Any]:
    return dict(json.loads(self.body or "{}"))


def _ps(self: Any, arn: str) -> Any:
    return self.ssoadmin_backend._find_permission_set(_params(self)["InstanceArn"], arn)


class _Tagged:
    """An instance's tags, kept beside moto's backend (moto stores none)."""

    def __init__(self) -> None:
        self.tags: list[dict[str, str]] = []


def _taggable(self: Any, arn: str) -> Any:
    params = _params(self)
    if arn == params["InstanceArn"] and ":instance/" in arn:
        instances: dict[str, _Tagged] = _backend_dict(self.ssoadmin_backend, "_secureml_tags")
        return instances.setdefault(arn, _Tagged())
    return _ps(self, arn)


def _backend_dict(backend: Any, name: str) -> dict[str, Any]:
    found: dict[str, Any] | None = getattr(backend, name, None)
    if found is None:
        found = {}
        setattr(backend, name, found)
    return found


def list_tags_for_resource(self: Any) -> str:
    params = _params(self)
    tags = list(_taggable(self, params["ResourceArn"]).tags or [])
    page, token = _page(tags, params)
    return json.dumps({"Tags": page, "NextToken": token})


def tag_resource(self: Any) -> str:
    params = _params(self)
    res = _taggable(self, params["ResourceArn"])
    tags = {t["Key"]: t["Value"] for t in res.tags or []}
    tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
    res.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
    return "{}"


def untag_resource(self: Any) -> str:
    params = _params(self)
    res = _taggable(self, params["ResourceArn"])
    res.tags = [t for t in res.tags or [] if t["Key"] not in set(params["TagKeys"])]
    return "{}"


# -- attributes for access control (moto 5 has none of these operations) -----------------


def _abac(self: Any) -> dict[str, Any]:
    return _backend_dict(self.ssoadmin_backend, "_secureml_abac")


def _abac_status(self: Any) -> dict[str, tuple[str, str]]:
    return _backend_dict(self.ssoadmin_backend, "_secureml_abac_status")


def fail_access_control_attributes(backend: Any, instance_arn: str, reason: str) -> None:
    """Put the instance's configuration in ``CREATION_FAILED`` with ``reason``, as AWS
    leaves one whose asynchronous creation failed (for tests: moto never fails one).
    The next create or update starts it again (``ENABLED`` here at once)."""
    _backend_dict(backend, "_secureml_abac_status")[instance_arn] = ("CREATION_FAILED", reason)


def create_instance_access_control_attribute_configuration(self: Any) -> str:
    params = _params(self)
    configs = _abac(self)
    if params["InstanceArn"] in configs:
        raise ConflictException(
            "Instance access control attribute configuration already exists for the instance"
        )
    configs[params["InstanceArn"]] = params["InstanceAccessControlAttributeConfiguration"]
    _abac_status(self).pop(params["InstanceArn"], None)
    return "{}"


def describe_instance_access_control_attribute_configuration(self: Any) -> str:
    params = _params(self)
    config = _abac(self).get(params["InstanceArn"])
    if config is None:
        raise ResourceNotFoundException(
            "Instance access control attribute configuration does not exist"
        )
    status, reason = _abac_status(self).get(params["InstanceArn"], ("ENABLED", ""))
    answer = {"Status": status, "InstanceAccessControlAttributeConfiguration": config}
    if reason:
        answer["StatusReason"] = reason
    return json.dumps(answer)


def update_instance_access_control_attribute_configuration(self: Any) -> str:
    params = _params(self)
    configs = _abac(self)
    if params["InstanceArn"] not in configs:
        raise ResourceNotFoundException(
            "Instance access control attribute configuration does not exist"
        )
    configs[params["InstanceArn"]] = params["InstanceAccessControlAttributeConfiguration"]
    _abac_status(self).pop(params["InstanceArn"], None)
    return "{}"


def delete_instance_access_control_attribute_configuration(self: Any) -> str:
    params = _params(self)
    _abac_status(self).pop(params["InstanceArn"], None)
    if _abac(self).pop(params["InstanceArn"], None) is None:
        raise ResourceNotFoundException(
            "Instance access control attribute configuration does not exist"
        )
    return "{}"


def put_permissions_boundary_to_permission_set(self: Any) -> str:
    params = _params(self)
    _ps(self, params["PermissionSetArn"])._secureml_boundary = params["PermissionsBoundary"]
    return "{}"


def get_permissions_boundary_for_permission_set(self: Any) -> str:
    boundary = getattr(_ps(self, _params(self)["PermissionSetArn"]), "_secureml_boundary", None)
    if boundary is None:
        raise ResourceNotFoundException("Permissions boundary does not exist")
    return json.dumps({"PermissionsBoundary": boundary})


def delete_permissions_boundary_from_permission_set(self: Any) -> str:
    ps = _ps(self, _params(self)["PermissionSetArn"])
    if getattr(ps, "_secureml_boundary", None) is None:
        raise ResourceNotFoundException("Permissions boundary does not exist")
    ps._secureml_boundary = None
    return "{}"


def provision_permission_set(self: Any) -> str:
    params = _params(self)
    _ps(self, params["PermissionSetArn"])
    if params.get("TargetType") == "AWS_ACCOUNT":
        state = _backend_state(self.ssoadmin_backend)
        state.setdefault(params["PermissionSetArn"], set()).add(params["TargetId"])
    return json.dumps(
        {
            "PermissionSetProvisioningStatus": {
                "AccountId": params.get("TargetId"),
                "PermissionSetArn": params["PermissionSetArn"],
                "RequestId": str(uuid4()),
                "Status": "SUCCEEDED",
            }
        }
    )


def describe_permission_set_provisioning_status(self: Any) -> str:
    params = _params(self)
    return json.dumps(
        {
            "PermissionSetProvisioningStatus": {
                "RequestId": params["ProvisionPermissionSetRequestId"],
                "Status": "SUCCEEDED",
            }
        }
    )


def list_accounts_for_provisioned_permission_set(self: Any) -> str:
    params = _params(self)
    _ps(self, params["PermissionSetArn"])
    page, token = _page(_accounts_for(self.ssoadmin_backend, params["PermissionSetArn"]), params)
    return json.dumps({"AccountIds": page, "NextToken": token})


def delete_permission_set(self: Any) -> str:
    params = _params(self)
    backend = self.ssoadmin_backend
    if any(a.permission_set_arn == params["PermissionSetArn"] for a in backend.account_assignments):
        raise ConflictException(
            "Could not delete because PermissionSet has ApplicationProfile associated with it"
        )
    backend.delete_permission_set(params["InstanceArn"], params["PermissionSetArn"])
    _backend_state(backend).pop(params["PermissionSetArn"], None)
    return "{}"


_HANDLERS = {
    f.__name__: f
    for f in (
        list_tags_for_resource,
        tag_resource,
        untag_resource,
        put_permissions_boundary_to_permission_set,
        get_permissions_boundary_for_permission_set,
        delete_permissions_boundary_from_permission_set,
        provision_permission_set,
        describe_permission_set_provisioning_status,
        list_accounts_for_provisioned_permission_set,
        delete_permission_set,
        create_instance_access_control_attribute_configuration,
        describe_instance_access_control_attribute_configuration,
        update_instance_access_control_attribute_configuration,
        delete_instance_access_control_attribute_configuration,
    )
}


@contextlib.contextmanager
def moto_identity_center() -> Iterator[None]:
    """Within the context, moto's sso-admin also answers the operations listed in
    the module docstring, the way AWS does."""
    with contextlib.ExitStack() as stack:
        for name, handler in _HANDLERS.items():
            stack.enter_context(mock.patch.object(SSOAdminResponse, name, handler, create=True))
        yield
