"""Make moto 5 answer repeated creates (and tags on create) the way AWS does.

moto differs from AWS where an apply that lost an answer sends a create again:

- S3 ``CreateBucket`` ignores ``CreateBucketConfiguration.Tags`` (AWS applies
  them to the new bucket, atomically with the create);
- CloudTrail ``CreateTrail`` of an existing name silently replaces the trail
  (AWS: ``TrailAlreadyExistsException``);
- sso-admin ``CreatePermissionSet`` of an existing name makes a second one (AWS:
  ``ConflictException``, "PermissionSet with name X already exists."), and
  ``CreateAccountAssignment`` of an existing assignment appends a duplicate
  (AWS keeps one assignment per account, permission set and principal);
- concurrent requests can corrupt moto's in-memory backends (AWS serves them
  safely): moto answers one request at a time here.

:func:`moto_aws` patches those handlers of moto's own request layer, backed by
moto's own state, for as long as the context lasts, together with the
sso-admin completion of :mod:`secureml._moto_sso`. Every call still goes
through botocore and moto's HTTP emulation. Used by
:func:`secureml.testing.mock_session` and by the command line's ``--local``
emulator; it imports ``moto`` (the ``local`` and ``tests`` extras).
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock
from xml.etree import ElementTree

from moto.cloudtrail.models import CloudTrailBackend
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.exceptions import JsonRESTError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.responses import S3Response
from moto.ssoadmin.exceptions import ConflictException
from moto.ssoadmin.models import SSOAdminBackend

from secureml._moto_cfn import moto_stack_sets
from secureml._moto_sso import moto_identity_center

__all__ = ["moto_aws"]

_original_bucket_put = S3Response._bucket_response_put
_original_create_trail = CloudTrailBackend.create_trail
_original_create_permission_set = SSOAdminBackend.create_permission_set
_original_create_account_assignment = SSOAdminBackend.create_account_assignment


class TrailAlreadyExistsError(JsonRESTError):
    """CloudTrail's answer to a CreateTrail of a name in use."""

    code = 400

    def __init__(self, account_id: str, name: str) -> None:
        super().__init__(
            "TrailAlreadyExistsException",
            f"Trail {name} already exists for customer: {account_id}",
        )


def _tags_on_create(body: bytes | str | None) -> dict[str, str]:
    """``CreateBucketConfiguration.Tags`` of a CreateBucket body, by key."""
    if not body:
        return {}
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:  # not XML: no configuration, as moto reads it
        return {}
    tags: dict[str, str] = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Tag":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
        if "Key" in fields:
            tags[fields["Key"]] = fields.get("Value", "")
    return tags


def bucket_response_put(
    self: Any, request: Any, bucket_name: str, querystring: dict[str, Any]
) -> Any:
    """CreateBucket applies ``CreateBucketConfiguration.Tags`` to a new bucket."""
    creating = not querystring
    existed = creating and bucket_name in self.backend.buckets
    result = _original_bucket_put(self, request, bucket_name, querystring)
    if creating and not existed and bucket_name in self.backend.buckets:
        tags = _tags_on_create(self.body)
        if tags:
            self.backend.put_bucket_tagging(bucket_name, tags)
    return result


def create_trail(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """A name in use is ``TrailAlreadyExistsException``, never a replaced trail."""
    if name in self.trails:
        raise TrailAlreadyExistsError(self.account_id, name)
    return _original_create_trail(self, name, *args, **kwargs)


def create_permission_set(self: Any, name: str, description: str, instance_arn: str,
                          *args: Any, **kwargs: Any) -> Any:
    """A name in use in the instance is a ``ConflictException``, as on AWS."""
    if any(ps.name == name and ps.instance_arn == instance_arn for ps in self.permission_sets):
        raise ConflictException(f"PermissionSet with name {name} already exists.")
    return _original_create_permission_set(self, name, description, instance_arn,
                                           *args, **kwargs)


def create_account_assignment(self: Any, *args: str, **kwargs: str) -> Any:
    """An existing assignment is kept once (the request still succeeds), as on AWS."""
    given = inspect.signature(_original_create_account_assignment).bind(self, *args, **kwargs)
    fields = ("instance_arn", "target_id", "permission_set_arn", "principal_type",
              "principal_id")
    for a in self.account_assignments:
        if all(getattr(a, f) == given.arguments[f] for f in fields):
            return a.to_json(include_creation_date=True, include_request_id=True)
    return _original_create_account_assignment(self, *args, **kwargs)


_REQUESTS = threading.RLock()
"""One request at a time through moto's backends. AWS serves concurrent requests
safely; moto's in-memory backends do not (one request iterates a dict while another
adds to it: ``dictionary changed size during iteration``), and secureml's engine
sends up to ``max_workers`` requests at once."""

_original_stubber_call = BotocoreStubber.__call__
_original_dispatch = DomainDispatcherApplication.__call__


def stubber_call(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
    """moto's in-process answer to a request (``mock_aws``), one request at a time."""
    with _REQUESTS:
        return _original_stubber_call(self, event_name, request, **kwargs)


def dispatch(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
    """moto's server answer to a request (``--local``), one request at a time."""
    with _REQUESTS:
        return _original_dispatch(self, environ, start_response)


_PATCHES: tuple[tuple[Any, str, Any], ...] = (
    (BotocoreStubber, "__call__", stubber_call),
    (DomainDispatcherApplication, "__call__", dispatch),
    (S3Response, "_bucket_response_put", bucket_response_put),
    (CloudTrailBackend, "create_trail", create_trail),
    (SSOAdminBackend, "create_permission_set", create_permission_set),
    (SSOAdminBackend, "create_account_assignment", create_account_assignment),
)


@contextlib.contextmanager
def moto_aws() -> Iterator[None]:
    """Within the context, moto answers as AWS does for the cases in the module
    docstring, and its sso-admin has the operations :mod:`secureml._moto_sso` adds."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(moto_identity_center())
        stack.enter_context(moto_stack_sets())
        for owner, name, handler in _PATCHES:
            stack.enter_context(mock.patch.object(owner, name, handler))
        yield


