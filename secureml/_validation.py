"""Validators for AWS identifiers. Each raises ValidationError naming the field,
the bad value and what is allowed, and returns the value when it is good."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from secureml.errors import ValidationError

__all__ = [
    "BLUEPRINT_NAME",
    "IAM_NAME",
    "check_account_id",
    "check_arn",
    "check_bucket_name",
    "check_ecr_repository",
    "check_glue_database",
    "check_iam_name",
    "check_session_duration",
    "check_unique",
    "check_workgroup",
    "parse_duration_hours",
    "parse_duration_seconds",
]

_ACCOUNT = re.compile(r"^\d{12}$")
# Partitions: aws, aws-cn, aws-us-gov, the ISO partitions (aws-iso, aws-iso-b, ...)
# and aws-eusc; the account is empty for S3 and "aws" for AWS managed policies.
_ARN = re.compile(
    r"^arn:(aws(?:-[a-z]+)*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(\S+)$"
)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# Prefixes and suffixes S3 reserves for access points, directory buckets,
# Object Lambda, Multi-Region Access Points, table buckets and its own docs.
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# ECR repository names, with * allowed as a wildcard for policies (team-a/*).
_ECR = re.compile(r"^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$")
BLUEPRINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""Blueprint names: they become a tag value and part of IAM paths, so 1-64 letters,
digits, ``.``, ``_`` and ``-``, starting with a letter or digit."""
# ASCII only: IAM refuses other letters, which Python's \w would accept.
IAM_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]+$")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
_WORKGROUP = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
_GLUE_DB = re.compile(r"^[a-zA-Z0-9_*-]{1,255}$")


def check_account_id(value: str, field: str = "account_id") -> str:
    """A 12-digit AWS account id, as a string.

    >>> check_account_id("111122223333")
    '111122223333'
    """
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        hint = " (an int loses leading zeros: quote it)" if isinstance(value, int) else ""
        raise ValidationError(
            f"{field}: {value!r} is not an AWS account id; allowed are exactly 12 digits, "
            f"as a string like '111122223333'{hint}"
        )
    return value


def check_arn(value: str, field: str, *, service: str | None = None) -> str:
    """An ARN, optionally of one service.

    >>> check_arn("arn:aws:iam::aws:policy/ReadOnlyAccess", "managed_policies", service="iam")
    'arn:aws:iam::aws:policy/ReadOnlyAccess'
    """
    m = _ARN.match(value) if isinstance(value, str) else None
    if not m:
        raise ValidationError(
            f"{field}: {value!r} is not an ARN; allowed is "
            f"arn:PARTITION:{service or 'SERVICE'}:REGION:ACCOUNT:RESOURCE with a 12-digit "
            "account (or none), e.g. 'arn:aws:iam::111122223333:role/team-a'"
        )
    if service is not None and m.group(2) != service:
        raise ValidationError(
            f"{field}: {value!r} is an ARN of {m.group(2)!r}; only {service} ARNs are allowed here"
        )
    return value


def check_bucket_name(value: str, field: str = "bucket") -> str:
    """An S3 general purpose bucket name.

    >>> check_bucket_name("team-a-data")
    'team-a-data'
    """
    ok = (
        isinstance(value, str)
        and bool(_BUCKET.match(value))
        and ".." not in value
        and not _IP.match(value)
        and not value.startswith(_BUCKET_RESERVED_PREFIXES)
        and not value.endswith(_BUCKET_RESERVED_SUFFIXES)
    )
    if not ok:
        raise ValidationError(
            f"{field}: {value!r} is not a valid S3 bucket name; allowed are 3-63 characters of "
            "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, "
            "without '..', not an IP address, not starting with "
            f"{'/'.join(_BUCKET_RESERVED_PREFIXES)} nor ending with "
            f"{'/'.join(_BUCKET_RESERVED_SUFFIXES)}; give the bucket name, not an ARN or s3:// URL"
        )
    return value


def check_ecr_repository(value: str, field: str = "ecr_repositories") -> str:
    """An ECR repository name (``team-a/model``; ``*`` allowed as a wildcard) or ARN.

    >>> check_ecr_repository("team-a/*")
    'team-a/*'
    """
    if isinstance(value, str) and value.startswith("arn:"):
        return check_arn(value, field, service="ecr")
    if not isinstance(value, str) or not (2 <= len(value) <= 256) or not _ECR.match(value):
        raise ValidationError(
            f"{field}: {value!r} is not an ECR repository name; allowed are 2-256 characters of "
            "lowercase letters and digits, separated by single '.', '_', '-' or '/', with '*' "
            "as a wildcard (e.g. 'team-a/trainer' or 'team-a/*'), or an ECR repository ARN"
        )
    return value


def check_workgroup(value: str, field: str = "workgroups") -> str:
    """An Athena workgroup name.

    >>> check_workgroup("primary")
    'primary'
    """
    if not isinstance(value, str) or not _WORKGROUP.match(value):
        raise ValidationError(
            f"{field}: {value!r} is not an Athena workgroup name; allowed are 1-128 characters "
            "of letters, digits, '.', '_' and '-'"
        )
    return value


def check_glue_database(value: str, field: str = "glue_databases") -> str:
    """A Glue database name (``*`` allowed as a wildcard).

    >>> check_glue_database("team_a")
    'team_a'
    """
    if not isinstance(value, str) or not _GLUE_DB.match(value):
        raise ValidationError(
            f"{field}: {value!r} is not a Glue database name; allowed are 1-255 characters of "
            "letters, digits, '_' and '-', with '*' as a wildcard"
        )
    return value


def check_iam_name(value: str, field: str, *, max_len: int = 64) -> str:
    """An IAM name (role, policy, permission set) of at most ``max_len`` characters.

    >>> check_iam_name("team-a-ds", "name")
    'team-a-ds'
    """
    ok = isinstance(value, str) and 0 < len(value) <= max_len and bool(IAM_NAME.match(value))
    if not ok:
        length = f" ({len(value)} characters)" if isinstance(value, str) else ""
        raise ValidationError(
            f"{field}: {value!r}{length} is not a valid name; allowed are 1-{max_len} characters "
            "of ASCII letters, digits and +=,.@_-"
        )
    return value


def parse_duration_seconds(value: str, field: str = "session_duration") -> int:
    """Seconds in an ISO-8601 duration of the form ``PT#H#M#S``.

    >>> parse_duration_seconds("PT1H30M")
    5400
    """
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m or not any(m.groups()):
        raise ValidationError(
            f"{field}: {value!r} is not an ISO-8601 duration; allowed are forms like 'PT8H', "
            "'PT1H30M' or 'PT90M'"
        )
    hours, minutes, seconds = (int(g or 0) for g in m.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_duration_hours(value: str, field: str = "session_duration") -> float:
    """Hours in an ISO-8601 duration of the form ``PT#H#M#S`` (``PT8H`` -> 8.0)."""
    return parse_duration_seconds(value, field) / 3600


def check_session_duration(value: str, field: str = "session_duration") -> str:
    """A session duration from ``PT1H`` to ``PT12H``, as roles and permission sets allow.

    >>> check_session_duration("PT8H")
    'PT8H'
    """
    seconds = parse_duration_seconds(value, field)
    if not 3600 <= seconds <= 12 * 3600:
        raise ValidationError(
            f"{field}: {value!r} ({seconds / 3600:g} hours) is outside the allowed range, "
            "PT1H to PT12H (1 to 12 hours)"
        )
    return value


def check_unique(names: Iterable[str], what: str) -> None:
    """Raise if a name repeats.

    >>> check_unique(["a", "b"], "persona names")
    """
    counts = Counter(names)
    dupes = sorted(n for n, c in counts.items() if c > 1)
    if dupes:
        raise ValidationError(f"duplicate {what}: {dupes}; each must be unique")


def checker(where: str, problems: list[str]) -> Callable[..., None]:
    """A function that runs one of these validators and, instead of raising,
    appends its problems to ``problems`` prefixed with ``where`` (so a whole
    object, or a whole blueprint, reports every problem at once).

    >>> problems: list[str] = []
    >>> check = checker("persona 'x'", problems)
    >>> check(check_account_id, "123")
    >>> problems[0].startswith("persona 'x': account_id: '123' is not an AWS account id")
    True
    """

    def check(fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ValidationError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)

    return check
