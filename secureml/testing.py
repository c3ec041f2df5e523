"""Helpers for testing code that uses secureml, backed by moto's AWS emulation.

>>> from secureml.testing import mock_session
>>> with mock_session() as session:
...     session.client("sts").get_caller_identity()["Account"]
'123456789012'

Given a blueprint, the emulated account also holds what the blueprint expects
to exist already (the ``--local`` seeding of the command line), so a plan or
an apply runs offline from the first line:

>>> import secureml as sm
>>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
>>> bp = sm.Blueprint("demo", [ds.role(), sm.BucketPublicAccessBlock("team-a-data")])
>>> with mock_session(bp) as session:
...     bp.plan(session).counts()["create"]
2

``moto`` is required (``pip install secureml[local]`` or ``secureml[tests]``);
it is imported only when these helpers are used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import boto3

__all__ = ["READ_PREFIXES", "CallRecorder", "RecordedCall", "mock_session"]

READ_PREFIXES = ("Get", "List", "Describe", "Search", "Lookup", "Head", "Simulate")
"""API names starting with these only read (``GetCallerIdentity`` included)."""

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}


@contextlib.contextmanager
def mock_session(blueprint: Any = None, region: str = "us-east-1") -> Iterator[boto3.Session]:
    """A ``boto3.Session`` whose calls go to a fresh moto backend, with fake
    credentials so nothing can reach a real account.

    ``blueprint`` (a :class:`~secureml.Blueprint` or a loaded blueprint file):
    create first what it refers to but does not create, exactly as the
    command line's ``--local`` does: the Identity Center groups and users its
    assignments name (and permission sets they name that it does not define),
    the data buckets of its personas, public access blocks and audit trail, and
    the customer managed policies its roles attach by ARN in this account.

    moto's sso-admin emulation is completed for the duration (permission-set
    tags, permissions boundaries, provisioning status and provisioned accounts
    as AWS reports them), so Identity Center blueprints can be tested too, and
    so are its StackSets (auto-deployment, capabilities and target OUs kept and
    returned; instances deleted by OU), for ``deploy``; and moto answers
    repeated creates as AWS does (``TrailAlreadyExistsException``, a permission
    set name in use, one assignment per principal) and applies the tags given
    to ``CreateBucket``.
    """
    import boto3  # noqa: PLC0415 - only when used: secureml must import without boto3
    from moto import mock_aws  # noqa: PLC0415 - moto is a test-only dependency

    from secureml._moto_aws import moto_aws  # noqa: PLC0415

    saved = {k: os.environ.get(k) for k in (*_FAKE_ENV, "AWS_PROFILE")}
    os.environ.update(_FAKE_ENV)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws(), moto_aws():
            session = boto3.Session(region_name=region)
            if blueprint is not None:
                from secureml._seed import seed  # noqa: PLC0415

                seed(session, blueprint, getattr(blueprint, "region", None) or region)
            yield session
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@attrs.frozen
class RecordedCall:
    """One API call seen by a :class:`CallRecorder`."""

    service: str
    operation: str
    params: dict[str, Any] = attrs.field(eq=False)

    @property
    def mutating(self) -> bool:
        """Whether the operation can change anything (it is not a read)."""
        return not self.operation.startswith(READ_PREFIXES)


@attrs.define
class CallRecorder:
    """Records every API call made through clients of a session, using
    botocore's ``before-parameter-build`` event hook, with the parameters as
    the caller gave them. Attach it before the clients are made: botocore
    copies a session's handlers into each client when it creates it, and
    secureml makes its clients afresh for every plan and apply.

    >>> with mock_session() as session:
    ...     calls = CallRecorder.attach(session)
    ...     _ = session.client("iam").list_roles()
    ...     [c.operation for c in calls.calls]
    ['ListRoles']
    """

    calls: list[RecordedCall] = attrs.field(factory=list)

    @classmethod
    def attach(cls, session: boto3.Session) -> CallRecorder:
        """A recorder registered on ``session``."""
        recorder = cls()
        session.events.register("before-parameter-build.*.*", recorder._record)
        return recorder

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append(
            RecordedCall(
                service=model.service_model.service_name,
                operation=model.name,
                params=dict(params),
            )
        )

    @property
    def mutating(self) -> list[RecordedCall]:
        """The calls that could change something."""
        return [c for c in self.calls if c.mutating]

    def operations(self) -> list[str]:
        """``service:Operation`` for every call, in order."""
        return [f"{c.service}:{c.operation}" for c in self.calls]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.calls.clear()
