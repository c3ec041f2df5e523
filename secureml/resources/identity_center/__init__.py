"""IAM Identity Center: personas as permission sets, assigned to groups and users.

Three resource kinds:

- :class:`PermissionSet` (``sso-permission-set``): a permission set with the
  persona's policy inline, AWS managed policies, customer managed policy
  references, a permissions boundary, session duration, relay state and tags.
- :class:`GroupAssignment` (``sso-group-assignment``) and
  :class:`UserAssignment` (``sso-user-assignment``): one principal given one
  permission set in a set of accounts (and organizational units).

The package follows one seam: what the instance holds, read once per run
(``_instance``: which instance; ``_directory``: its permission sets, principals
and assignments), and what we change (``_permission_set``, ``_assignments``, and
``_operations`` for the asynchronous requests and the rate limit they share).

The Identity Center instance is found with ``ListInstances`` (once per run) or
given with :class:`IdentityCenter` on each resource. Reads are cached per run
(per :class:`~secureml.aws.AwsContext`), so a blueprint with many assignments
pays for each listing once. See ``docs/identity_center.rst``.
"""

from secureml.resources.identity_center._assignments import GroupAssignment, UserAssignment
from secureml.resources.identity_center._attributes import AccessControlAttributes
from secureml.resources.identity_center._directory import PRINCIPAL_ID
from secureml.resources.identity_center._instance import INSTANCE_ARN, IdentityCenter
from secureml.resources.identity_center._operations import (
    BURST,
    REQUESTS_PER_SECOND,
    AssignmentOp,
    RateLimiter,
    provision_permission_set,
    run_assignment_ops,
)
from secureml.resources.identity_center._permission_set import PermissionSet

__all__ = [
    "BURST",
    "INSTANCE_ARN",
    "PRINCIPAL_ID",
    "REQUESTS_PER_SECOND",
    "AccessControlAttributes",
    "AssignmentOp",
    "GroupAssignment",
    "IdentityCenter",
    "PermissionSet",
    "RateLimiter",
    "UserAssignment",
    "provision_permission_set",
    "run_assignment_ops",
]
