"""Value helpers shared by the Identity Center resources (no AWS calls but one read)."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from secureml._validation import check_arn, check_iam_name, parse_duration_hours, refuse
from secureml.aws import AwsContext

__all__ = ["canonical_duration", "is_aws_managed", "policy_reference", "read_call"]

_POLICY_PATH = re.compile(r"^/(?:[A-Za-z0-9.,+@=_-]+/)*$")


def canonical_duration(value: str | int | None) -> str | None:
    """``PT8H``, ``PT480M`` and 28800 (seconds, as emulators return it) -> ``PT8H``."""
    if value is None:
        return None
    if isinstance(value, int):
        minutes = round(value / 60)
    else:
        minutes = round(parse_duration_hours(value) * 60)
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def policy_reference(value: str, field: str) -> dict[str, str]:
    """A customer managed policy reference from ``name``, ``path/name``, ``/path/name/..``
    or an IAM policy ARN of any account (permission sets refer by name and path only)."""
    text = value
    if isinstance(value, str) and value.startswith("arn:"):
        check_arn(value, field, service="iam")
        resource = value.split(":", 5)[5]
        if not resource.startswith("policy/"):
            raise refuse(field, value, f"{value!r} is not an IAM policy ARN")
        text = resource[len("policy"):]
    if not isinstance(text, str) or not text.strip("/"):
        raise refuse(
            field, value, f"{value!r} is not a customer managed policy reference; give the "
            "policy's name, 'path/name' or its ARN"
        )
    path, _, name = ("/" + text.lstrip("/")).rpartition("/")
    path = path + "/"
    check_iam_name(name, field, max_len=128)
    if not _POLICY_PATH.match(path) or len(path) > 512:
        raise refuse(
            field, value, f"path {path!r} of {value!r} is not an IAM path ('/' or '/team/ml/')"
        )
    return {"name": name, "path": path}


def is_aws_managed(arn: str) -> bool:
    return bool(re.match(r"^arn:aws(-[a-z]+)*:iam::aws:policy/", arn))




def read_call(ctx: AwsContext, resource: str, operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        return ctx.call("sso-admin", operation, resource=resource, **kwargs)
    except ClientError as exc:
        raise ctx.wrap_error(resource, operation, exc) from exc

