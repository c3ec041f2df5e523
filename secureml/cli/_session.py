"""AWS sessions for the command line, resolved the way the AWS CLI resolves them.

Credentials and region come from ``--profile``/``--region``, then the
environment and the shared config files (boto3's own chain). The endpoint
comes from ``--endpoint-url``, then ``AWS_ENDPOINT_URL`` (and the
per-service ``AWS_ENDPOINT_URL_<SERVICE>``) or ``endpoint_url`` in the
profile, which botocore honours natively.
"""

from __future__ import annotations

import os
import re
from typing import Any

import boto3
from botocore.config import Config

__all__ = ["FAKE_CREDENTIALS", "CliSession", "custom_endpoint_in_use", "make_session"]

FAKE_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
"""What ``--local`` signs requests with: an emulator accepts anything, and keys
that are not real cannot reach a real account."""

# An emulator listens on one host name, where virtual-hosted bucket names
# (bucket.127.0.0.1) cannot resolve.
_EMULATOR_CONFIG = Config(s3={"addressing_style": "path"})
_ACCOUNT_HOST = re.compile(r"//\d{12}\.")


def _strip_account_host(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in the host (123456789012.s3-control...); its
    endpoint rules do that to a custom endpoint too, where the name cannot resolve."""
    request.url = _ACCOUNT_HOST.sub("//", request.url, count=1)


def custom_endpoint_in_use(endpoint_url: str | None) -> bool:
    """Whether requests go somewhere other than AWS (flag or environment)."""
    return bool(endpoint_url) or any(
        k == "AWS_ENDPOINT_URL" or k.startswith("AWS_ENDPOINT_URL_") for k in os.environ
    )


class CliSession(boto3.Session):
    """A ``boto3.Session`` whose clients use ``endpoint_url`` when one is given.

    boto3 has no session-wide endpoint setting except the environment and the
    config file; the command line must not change the process environment
    (tests run it in-process), so the endpoint travels with the session.
    """

    def __init__(self, *, endpoint_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """A client, sent to this session's endpoint (if any)."""
        if self.endpoint_url and kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self.endpoint_url
        if custom_endpoint_in_use(self.endpoint_url):
            config = kwargs.get("config")
            kwargs["config"] = config.merge(_EMULATOR_CONFIG) if config else _EMULATOR_CONFIG
            client = super().client(*args, **kwargs)
            client.meta.events.register("before-sign.s3-control.*", _strip_account_host)
            return client
        return super().client(*args, **kwargs)


def make_session(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    fake_credentials: bool = False,
) -> CliSession:
    """The session for one command.

    ``fake_credentials`` (for ``--local``) signs with throw-away keys and
    ignores any profile, so an emulator run can never use real credentials.
    """
    if fake_credentials:
        return CliSession(endpoint_url=endpoint_url, region_name=region, **FAKE_CREDENTIALS)
    return CliSession(endpoint_url=endpoint_url, profile_name=profile, region_name=region)
