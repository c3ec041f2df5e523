"""Validators for AWS identifiers. Each raises ValidationError naming the field,
the bad value and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from secureml.errors import ValidationError

__all__ = [
    "check_account_id",
    "check_arn",
    "check_bucket_name",
    "check_ecr_repository",
    "check_iam_name",
    "check_session_duration",
    "parse_duration_hours",
]

_ACCOUNT = re.compile(r"^\d{12}$")
_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# ECR repository names, with * allowed as a wildcard for policies (team-a/*).
_ECR = re.compile(r"^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")


def check_account_id(value: str, field: str = "account_id") -> str:
    """A 12-digit AWS account id."""
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        raise ValidationError(f"{field}: {value!r} is not an AWS account id (12 digits, as a string)")
    return value


def check_arn(value: str, field: str, *, service: str | None = None) -> str:
    """An ARN, optionally of one service."""
    m = _ARN.match(value) if isinstance(value, str) else None
    if not m:
        raise ValidationError(
            f"{field}: {value!r} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
        )
    if service is not None and m.group(2) != service:
        raise ValidationError(f"{field}: {value!r} is a {m.group(2)} ARN; a {service} ARN is required")
    return value


def check_bucket_name(value: str, field: str = "bucket") -> str:
    """An S3 bucket name (3-63 chars, lowercase letters, digits, dots, hyphens)."""
    ok = (
        isinstance(value, str)
        and bool(_BUCKET.match(value))
        and ".." not in value
        and not _IP.match(value)
        and not value.startswith("xn--")
        and not value.endswith("-s3alias")
    )
    if not ok:
        raise ValidationError(
            f"{field}: {value!r} is not a valid S3 bucket name (3-63 characters: lowercase "
            "letters, digits, '.' and '-', starting and ending with a letter or digit; no '..', "
            "not an IP address); give the bucket name, not an ARN or s3:// URL"
        )
    return value


def check_ecr_repository(value: str, field: str = "ecr_repositories") -> str:
    """An ECR repository name (``team-a/model``; ``*`` allowed as a wildcard) or ARN."""
    if isinstance(value, str) and value.startswith("arn:"):
        return check_arn(value, field, service="ecr")
    if not isinstance(value, str) or not (2 <= len(value) <= 256) or not _ECR.match(value):
        raise ValidationError(
            f"{field}: {value!r} is not an ECR repository name (2-256 characters of lowercase "
            "letters, digits and . _ - /, e.g. 'team-a/trainer' or 'team-a/*') or ECR ARN"
        )
    return value


def check_iam_name(value: str, field: str, *, max_len: int = 64) -> str:
    """An IAM name (role, policy) of at most ``max_len`` characters."""
    if not isinstance(value, str) or not value or len(value) > max_len or not _IAM_NAME.match(value):
        length = len(value) if isinstance(value, str) else "?"
        raise ValidationError(
            f"{field}: {value!r} ({length} characters) is not a valid name: 1-{max_len} "
            "characters of letters, digits and +=,.@_-"
        )
    return value


def parse_duration_hours(value: str) -> float:
    """Hours in an ISO-8601 duration of the form PT#H#M (``PT8H`` -> 8.0)."""
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m or not (m.group(1) or m.group(2)):
        raise ValidationError(
            f"session_duration: {value!r} is not an ISO-8601 duration like 'PT8H' or 'PT1H30M'"
        )
    return int(m.group(1) or 0) + int(m.group(2) or 0) / 60


def check_session_duration(value: str, field: str = "session_duration") -> str:
    """A session duration from ``PT1H`` to ``PT12H``."""
    hours = parse_duration_hours(value)
    if not 1 <= hours <= 12:
        raise ValidationError(
            f"{field}: {value!r} is outside the allowed range PT1H to PT12H (1 to 12 hours)"
        )
    return value


def check_unique(names: Iterable[str], what: str) -> None:
    """Raise if a name repeats."""
    seen: set[str] = set()
    dupes = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValidationError(f"duplicate {what}: {dupes}; each must be unique")
