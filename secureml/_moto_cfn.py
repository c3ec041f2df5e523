"""Fill moto 5's gaps in CloudFormation StackSets, for tests of ``deploy``.

moto emulates service-managed StackSets (instances in every account of an OU,
their stacks created from the template in those accounts) but not: the
``AutoDeployment`` and ``Capabilities`` a StackSet was created or updated with,
the ``OrganizationalUnitIds`` it targets (``DescribeStackSet`` returns neither),
and ``DeleteStackInstances`` by ``DeploymentTargets`` (it deletes by account
list only). Its operations always finish ``SUCCEEDED`` at once; tests of polling
and failures use botocore's ``Stubber`` instead.

:func:`moto_stack_sets` wraps moto's own request handlers to record and return
those fields, backed by moto's own StackSet objects, for as long as the context
lasts. Every call still goes through botocore and moto's HTTP emulation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

from moto.cloudformation.responses import CloudFormationResponse

__all__ = ["moto_stack_sets"]


def _stack_set(self: Any) -> Any:
    return self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))


def _settings(self: Any, stack_set: Any) -> None:
    params = self._get_params()
    if "AutoDeployment" in params:
        auto = params["AutoDeployment"]
        stack_set.auto_deployment = {
            "Enabled": str(auto.get("Enabled")).lower() == "true",
            "RetainStacksOnAccountRemoval":
                str(auto.get("RetainStacksOnAccountRemoval")).lower() == "true",
        }
    capabilities = params.get("Capabilities")
    if capabilities:
        stack_set.capabilities = capabilities


def _wrap(name: str, after: Callable[[Any, Any, Any], Any]) -> Callable[[Any], Any]:
    original = getattr(CloudFormationResponse, name)

    def handler(self: Any) -> Any:
        result = original(self)
        after(self, _stack_set(self), result)
        return result

    return handler


def _after_create_instances(self: Any, stack_set: Any, _: Any) -> None:
    ous = self._get_params().get("DeploymentTargets", {}).get("OrganizationalUnitIds", [])
    have = list(getattr(stack_set, "organizational_unit_ids", None) or [])
    stack_set.organizational_unit_ids = sorted({*have, *ous})


def _delete_stack_instances(self: Any) -> Any:
    """By ``DeploymentTargets.OrganizationalUnitIds``: the accounts in those OUs."""
    ous = self._get_params().get("DeploymentTargets", {}).get("OrganizationalUnitIds", [])
    stack_set = _stack_set(self)
    if ous:
        org = stack_set.instances.org_backend
        accounts = [a.id for a in org.accounts if a.parent_id in ous]
        regions = self._get_param("Regions", [])
        self.cloudformation_backend.delete_stack_instances(stack_set.name, accounts, regions)
        stack_set.organizational_unit_ids = sorted(
            set(getattr(stack_set, "organizational_unit_ids", None) or []) - set(ous)
        )
        from moto.core.responses import ActionResult  # noqa: PLC0415

        return ActionResult({"OperationId": stack_set.operations[-1]["OperationId"]})
    return _ORIGINAL_DELETE(self)


_ORIGINAL_DELETE = CloudFormationResponse.delete_stack_instances


@contextlib.contextmanager
def moto_stack_sets() -> Iterator[None]:
    """Within the context, moto's StackSets also keep and return the fields listed in the
    module docstring, the way AWS does."""
    handlers = {
        "create_stack_set": _wrap("create_stack_set", lambda s, ss, _: _settings(s, ss)),
        "update_stack_set": _wrap("update_stack_set", lambda s, ss, _: _settings(s, ss)),
        "create_stack_instances": _wrap("create_stack_instances", _after_create_instances),
        "delete_stack_instances": _delete_stack_instances,
    }
    with contextlib.ExitStack() as stack:
        for name, handler in handlers.items():
            stack.enter_context(mock.patch.object(CloudFormationResponse, name, handler))
        yield
