"""Validators for AWS identifiers. Each raises ValidationError naming the field,
the bad value and what is allowed, and returns the value when it is good."""

from __future__ import annotations

import difflib
import functools
import gzip
import importlib.util
import json
import pathlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from secureml._convert import describe
from secureml.errors import Problem, ValidationError

__all__ = [
    "BLUEPRINT_NAME",
    "IAM_NAME",
    "INSTANCE_TYPE",
    "KMS_KEY_ARN",
    "Checked",
    "Placeholder",
    "adopt_flag",
    "check_account_id",
    "check_arn",
    "check_bucket_name",
    "check_ecr_repository",
    "check_glue_database",
    "check_iam_name",
    "check_instance_type",
    "check_kms_key_arn",
    "check_pass_role",
    "check_region",
    "check_same_account",
    "check_session_duration",
    "check_unique",
    "check_workgroup",
    "of_type",
    "parse_duration_hours",
    "parse_duration_seconds",
    "partition_regions",
    "problem",
    "refuse",
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
BLUEPRINT_NAME_RULE = "1-64 letters, digits, '.', '_' and '-', starting with a letter or digit"
""":data:`BLUEPRINT_NAME` in words, for messages."""
# ASCII only: IAM refuses other letters, which Python's \w would accept.
IAM_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]+$")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
_WORKGROUP = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
_GLUE_DB = re.compile(r"^[a-zA-Z0-9_*-]{1,255}$")
# A KMS key ARN, never an alias and never a wildcard: the one rule for every key we
# take (encryption settings, the audit trail), as strict as CloudTrail needs it.
KMS_KEY_ARN = r"^arn:aws(?:-[a-z]+)*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key/[A-Za-z0-9-]{1,128}$"
_KMS_KEY_ARN = re.compile(KMS_KEY_ARN)
_KMS_ALIAS = re.compile(r"^arn:aws(?:-[a-z]+)*:kms:[^:]*:[^:]*:alias/")
# SageMaker instance types, or one family's (ml.m5.*): never every type (ml.*).
INSTANCE_TYPE = r"^ml\.[a-z0-9-]+\.(?:[a-z0-9-]+|\*)$"
_INSTANCE_TYPE = re.compile(INSTANCE_TYPE)
# IAM role paths: '/' or '/a/b/' of IAM name characters (no wildcard, no variable).
_ROLE_PATH = re.compile(r"^/(?:[A-Za-z0-9_+=,.@-]+/)*$")
_WIDENING = ("*", "?", "${")


def _widening(value: str) -> list[str]:
    return [w for w in _WIDENING if w in value]


def _prefix_wildcard_problem(value: str) -> str | None:
    """Why ``value`` matches more than one literal prefix would, or ``None``: at most
    one ``*``, only at the end, after a non-empty literal prefix; no ``?`` and no
    policy variable ``${...}`` (which IAM would expand at request time)."""
    if "${" in value:
        return "a policy variable (${...}) would be expanded by IAM at request time"
    if "?" in value:
        return "'?' is a wildcard"
    stars = value.count("*")
    if stars == 0:
        return None
    if stars > 1 or not value.endswith("*"):
        return "'*' is allowed only once, at the end"
    if not value[:-1].strip("/._-"):
        return "a wildcard needs a literal prefix before it (like 'team-a/*')"
    return None


def problem(field: str, value: object, message: str, *path: str | int) -> Problem:
    """A :class:`~secureml.Problem` at ``field`` (dotted, e.g. ``encryption.output_kms_key``)
    whose text is ``"{field}: {message}"`` (today's wording); ``path`` adds list indices.

    >>> problem("buckets", "B", "'B' is bad", 0)
    Problem(path=('buckets', 0), value='B', message="buckets: 'B' is bad", detail="'B' is bad")
    """
    return Problem((*field.split("."), *path), value, f"{field}: {message}", detail=message)


def refuse(field: str, value: object, message: str) -> ValidationError:
    """A :class:`~secureml.ValidationError` with one :func:`problem`."""
    return ValidationError(problem(field, value, message))


class Placeholder(str):
    """A stand-in for an account id, region or partition that is filled in later
    (the CloudFormation export renders with them, then writes ``${AWS::Region}``
    and friends in their place). The checks of a context value take it as it is,
    and nothing is compared with it: it names no real account, region or partition.
    A user's value is never one (only code makes them).

    >>> check_region(Placeholder("qqqqqqqqq"))
    'qqqqqqqqq'
    """

    __slots__ = ()


class Checked:
    """The one validation idiom, for attrs classes: checked at construction.

    A class lists the problems of an instance in :meth:`problems` (each a
    :class:`~secureml.Problem` whose ``path`` names the field); the attrs
    ``__init__`` calls ``__attrs_post_init__``, which raises them all in one
    :class:`~secureml.ValidationError`, so a mistake surfaces on the line that
    made the object. A frozen object that exists therefore has none, unless its
    class finds more than its fields say (a resource asked again by a blueprint).

    >>> @attrs.frozen
    ... class Days(Checked):
    ...     days: int
    ...     def problems(self) -> list[Problem]:
    ...         return [] if self.days > 0 else [problem("days", self.days, "must be > 0")]
    >>> Days(0)
    Traceback (most recent call last):
    secureml.errors.ValidationError: days: must be > 0
    """

    __slots__ = ()

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValidationError(problems)

    def problems(self) -> list[Problem]:
        """The problems of this object (empty when it is valid)."""
        return []


def check_account_id(value: str, field: str = "account_id") -> str:
    """A 12-digit AWS account id, as a string.

    >>> check_account_id("111122223333")
    '111122223333'
    """
    if isinstance(value, Placeholder):
        return value
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        hint = " (an int loses leading zeros: quote it)" if isinstance(value, int) else ""
        raise refuse(
            field,
            value,
            f"{value!r} is not an AWS account id; allowed are exactly 12 digits, "
            f"as a string like '111122223333'{hint}"
        )
    return value


_ARN_EXAMPLES = {
    "iam": "arn:aws:iam::111122223333:role/team-a",
    "kms": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "s3": "arn:aws:s3:::team-a-data",
    "sagemaker": "arn:aws:sagemaker:us-east-1:111122223333:domain/d-abc123",
}
"""An example ARN of each service, for error messages."""


def check_arn(
    value: str, field: str, *, service: str | None = None, wildcards: bool = False
) -> str:
    """An ARN, optionally of one service. It names one thing: no ``*``, ``?`` or
    ``${...}`` unless ``wildcards`` (the caller then checks them).

    >>> check_arn("arn:aws:iam::aws:policy/ReadOnlyAccess", "managed_policies", service="iam")
    'arn:aws:iam::aws:policy/ReadOnlyAccess'
    """
    m = _ARN.match(value) if isinstance(value, str) else None
    if not m:
        example = _ARN_EXAMPLES.get(service or "iam", _ARN_EXAMPLES["iam"])
        raise refuse(
            field,
            value,
            f"{value!r} is not an ARN; allowed is "
            f"arn:PARTITION:{service or 'SERVICE'}:REGION:ACCOUNT:RESOURCE with a 12-digit "
            f"account (or none), e.g. {example!r}"
        )
    if service is not None and m.group(2) != service:
        raise refuse(
            field,
            value,
            f"{value!r} is an ARN of {m.group(2)!r}; only {service} ARNs are "
            "allowed here"
        )
    if not wildcards and _widening(value):
        raise refuse(
            field,
            value,
            f"{value!r} contains {' and '.join(map(repr, _widening(value)))}, "
            "which would widen the policy to other resources; give the exact ARN"
        )
    return value


def check_kms_key_arn(value: str, field: str) -> str:
    """A KMS key ARN (not an alias, no wildcard): the key the policy and the AWS
    request must both name.

    >>> check_kms_key_arn("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab", "k")
    'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab'
    """
    if isinstance(value, str) and _KMS_ALIAS.match(value):
        raise refuse(
            field,
            value,
            f"{value!r} must be a key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID), not an "
            "alias: an alias is not a KMS key ARN that a policy condition or CloudTrail can name",
        )
    if not isinstance(value, str) or not _KMS_KEY_ARN.match(value):
        what = "a KMS key ARN" if isinstance(value, str) and value.startswith("arn:") else "an ARN"
        raise refuse(
            field,
            value,
            f"{value!r} is not {what}; allowed is a KMS key ARN, "
            "arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID with a 12-digit account, e.g. "
            "'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' "
            "(not an alias, and no wildcard: a policy must name the one key)"
        )
    return value


def check_pass_role(value: str, field: str = "pass_roles") -> str:
    """A role that may be passed: a role name, a name with its path
    (``/ml/team-a-compute``) or an IAM role ARN in an account. Never a wildcard
    or a policy variable: ``iam:PassRole`` names the roles one by one.

    >>> check_pass_role("/ml/team-a-compute")
    '/ml/team-a-compute'
    """
    allowed = (
        "allowed are a role name ('team-a-compute'), a name with its IAM path "
        "('/ml/team-a-compute') or a role ARN ('arn:aws:iam::111122223333:role/ml/team-a-compute'),"
        " with no wildcard or policy variable"
    )
    if not isinstance(value, str):
        raise refuse(field, value, f"{value!r} is not a role; {allowed}")
    if _widening(value):
        raise refuse(
            field,
            value,
            f"{value!r} contains {' and '.join(map(repr, _widening(value)))}, "
            f"which would let it pass other roles; {allowed}"
        )
    qualified = value
    if value.startswith("arn:"):
        m = _ARN.match(value)
        if not m or m.group(2) != "iam" or not m.group(5).startswith("role/") or not (
            _ACCOUNT.match(m.group(4))
        ):
            raise refuse(field, value, f"{value!r} is not an IAM role ARN in an account; {allowed}")
        qualified = "/" + m.group(5)[len("role/"):]
    if "/" in qualified:
        path, _, name = qualified.rpartition("/")
        if not _ROLE_PATH.match(path + "/") or len(path) + 1 > 512:
            raise refuse(
                field,
                value,
                f"{value!r} has {path + '/'!r}, which is not an IAM path; {allowed}"
            )
        check_iam_name(name, field, max_len=64)
    else:
        check_iam_name(value, field, max_len=64)
    return value


def check_same_account(
    value: str, field: str, *, account_id: str | None, partition: str, same_account: bool
) -> str:
    """An ARN in ``partition`` (and, when ``same_account``, in ``account_id``), once the
    account is known: a role in another account can never be passed, and an ARN of
    another partition never matches a request."""
    m = _ARN.match(value)
    if m is None:
        return value
    if not isinstance(partition, Placeholder) and m.group(1) != partition:
        raise refuse(
            field,
            value,
            f"{value!r} is in partition {m.group(1)!r}, but the account is in "
            f"{partition!r}; give the ARN in {partition!r}"
        )
    if (
        same_account
        and account_id is not None
        and not isinstance(account_id, Placeholder)
        and m.group(4) != account_id
    ):
        raise refuse(
            field,
            value,
            f"{value!r} is in account {m.group(4)}, but the policy is for account "
            f"{account_id}; only roles of the same account can be passed"
        )
    return value


def check_instance_type(value: str, field: str = "guardrails.instance_types") -> str:
    """A SageMaker instance type (``ml.m5.xlarge``) or one family (``ml.m5.*``).

    >>> check_instance_type("ml.g5.*")
    'ml.g5.*'
    """
    if not isinstance(value, str) or not _INSTANCE_TYPE.match(value):
        raise refuse(
            field,
            value,
            f"{value!r} is not a SageMaker instance type; allowed are names like "
            "'ml.m5.xlarge' or one family's wildcard like 'ml.g5.*' (not 'ml.*', '?' or "
            "'${...}': leave instance_types empty to allow every type)"
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
        raise refuse(
            field,
            value,
            f"{value!r} is not a valid S3 bucket name; allowed are 3-63 characters of "
            "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, "
            "without '..', not an IP address, not starting with "
            f"{'/'.join(_BUCKET_RESERVED_PREFIXES)} nor ending with "
            f"{'/'.join(_BUCKET_RESERVED_SUFFIXES)}; give the bucket name, not an ARN or s3:// URL"
        )
    return value


def check_ecr_repository(value: str, field: str = "ecr_repositories") -> str:
    """An ECR repository name (``team-a/model``, or a prefix: ``team-a/*``) or ARN.

    >>> check_ecr_repository("team-a/*")
    'team-a/*'
    """
    name = value
    if isinstance(value, str) and value.startswith("arn:"):
        check_arn(value, field, service="ecr", wildcards=True)
        m = _ARN.match(value)
        assert m is not None  # checked just above
        _, region, account, resource = m.groups()[1:]
        if not _ACCOUNT.match(account) or not region or not resource.startswith("repository/"):
            raise refuse(
                field,
                value,
                f"{value!r} is not an ECR repository ARN; allowed is "
                "arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME with a region and a 12-digit "
                "account"
            )
        if _widening(f"{region}:{account}"):
            raise refuse(field, value, f"{value!r} has a wildcard in its region or account")
        name = resource[len("repository/"):]
    # ARNs keep any length the pattern allows (AWS checks the name when it is created).
    shortest = 1 if name is not value else 2
    if not isinstance(name, str) or not (shortest <= len(name) <= 256) or not _ECR.match(name):
        raise refuse(
            field,
            value,
            f"{value!r} is not an ECR repository name; allowed are 2-256 characters "
            "of lowercase letters and digits, separated by single '.', '_', '-' or '/', with one "
            "'*' at the end after a literal prefix (e.g. 'team-a/trainer' or 'team-a/*'), or an "
            "ECR repository ARN"
        )
    why = _prefix_wildcard_problem(name)
    if why is not None:
        raise refuse(
            field,
            value,
            f"{value!r} would match other teams' repositories ({why}); allowed "
            "are a repository name or one literal prefix ending in '*', like 'team-a/*'"
        )
    return value


def check_workgroup(value: str, field: str = "workgroups") -> str:
    """An Athena workgroup name.

    >>> check_workgroup("primary")
    'primary'
    """
    if not isinstance(value, str) or not _WORKGROUP.match(value):
        raise refuse(
            field,
            value,
            f"{value!r} is not an Athena workgroup name; allowed are 1-128 characters "
            "of letters, digits, '.', '_' and '-'"
        )
    return value


def check_glue_database(value: str, field: str = "glue_databases") -> str:
    """A Glue database name (or a prefix: ``team_a_*``).

    >>> check_glue_database("team_a")
    'team_a'
    """
    if not isinstance(value, str) or not _GLUE_DB.match(value):
        raise refuse(
            field,
            value,
            f"{value!r} is not a Glue database name; allowed are 1-255 characters of "
            "letters, digits, '_' and '-', with one '*' at the end after a literal prefix"
        )
    why = _prefix_wildcard_problem(value)
    if why is not None:
        raise refuse(
            field,
            value,
            f"{value!r} would match other databases ({why}); allowed are a "
            "database name or one literal prefix ending in '*', like 'team_a_*'"
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
        raise refuse(
            field,
            value,
            f"{value!r}{length} is not a valid name; allowed are 1-{max_len} characters "
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
        raise refuse(
            field,
            value,
            f"{value!r} is not an ISO-8601 duration; allowed are forms like 'PT8H', "
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
        raise refuse(
            field,
            value,
            f"{value!r} ({seconds / 3600:g} hours) is outside the allowed range, "
            "PT1H to PT12H (1 to 12 hours)"
        )
    return value


def adopt_flag(instance: object, attribute: Any, value: object) -> None:
    """attrs validator of an ``adopt`` field: ``True`` or ``False``, nothing else.

    ``adopt`` is the one switch that lets a blueprint take over (and re-tag, re-write)
    something it did not make, so it is never read from a truthy value such as
    ``"false"``, ``"no"`` or ``0.5``.
    """
    if type(value) is not bool:
        name = str(getattr(attribute, "alias", None) or getattr(attribute, "name", "adopt"))
        raise ValidationError(
            f"{type(instance).__name__}.{name.lstrip('_')}: {value!r} ({type(value).__name__}) "
            "is not allowed: adopt takes True or False only (True takes over an existing "
            "resource this blueprint did not create)"
        )


def check_unique(names: Iterable[str], what: str) -> None:
    """Raise if a name repeats.

    >>> check_unique(["a", "b"], "persona names")
    """
    counts = Counter(names)
    dupes = sorted(n for n, c in counts.items() if c > 1)
    if dupes:
        raise ValidationError(f"duplicate {what}: {dupes}; each must be unique")


def checker(where: str, problems: list[Problem]) -> Callable[..., None]:
    """A function that runs one of these validators and, instead of raising,
    appends its problems to ``problems`` prefixed with ``where`` (so a whole
    object, or a whole blueprint, reports every problem at once). ``at=`` gives
    the list index of the value checked, which ends the problem's path.

    >>> problems: list[Problem] = []
    >>> check = checker("persona 'x'", problems)
    >>> check(check_bucket_name, "B", "buckets", at=1)
    >>> problems[0].path, str(problems[0]).startswith("persona 'x': buckets: 'B' is not")
    (('buckets', 1), True)
    """

    def check(fn: Callable[..., object], *args: Any, at: int | None = None, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ValidationError as exc:
            for p in exc.problems:
                seen = p.within(where)
                if at is not None:
                    seen = attrs.evolve(seen, path=(*seen.path, at))
                problems.append(seen)

    return check


def of_type(*types: type, allowed: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator: the field's value is an instance of one of ``types``, else a
    :class:`~secureml.ValidationError` naming the field, the value and ``allowed``
    (never the ``TypeError`` of ``attrs.validators.instance_of``).

    >>> @attrs.frozen
    ... class A:
    ...     name: str = attrs.field(validator=of_type(str, allowed="text"))
    >>> A(5)
    Traceback (most recent call last):
    secureml.errors.ValidationError: name: 5 (an int) is not allowed; allowed is text
    """

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise refuse(
                attribute.name, value, f"{describe(value)} is not allowed; allowed is {allowed}"
            )

    return validate


@functools.cache
def partition_regions() -> dict[str, frozenset[str]]:
    """Every region by partition (``{"aws": {"us-east-1", ...}, "aws-cn": ...}``), from
    the endpoint data that ships with botocore: offline, no AWS call.

    The file is read where botocore is installed without importing botocore, so
    the policy and persona layers stay free of it (``import secureml`` is light).
    """
    spec = importlib.util.find_spec("botocore")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        data_dir = pathlib.Path(root, "data")
        for name in ("endpoints.json", "endpoints.json.gz"):
            path = data_dir / name
            if path.exists():
                raw = path.read_bytes()
                data = json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)
                return {p["partition"]: frozenset(p["regions"]) for p in data["partitions"]}
    raise RuntimeError("botocore's endpoint data (botocore/data/endpoints.json) is missing")


def check_region(value: object, field: str = "region", *, partition: str | None = None) -> str:
    """An AWS region of ``partition`` (any partition when ``None``), by botocore's
    offline endpoint data.

    >>> check_region("eu-west-1")
    'eu-west-1'
    >>> try:
    ...     check_region("us-east-9")
    ... except ValidationError as exc:
    ...     print(str(exc)[:40])
    region: 'us-east-9' is not an AWS region
    """
    if isinstance(value, Placeholder):
        return value
    regions = partition_regions()
    if isinstance(partition, Placeholder):
        partition = None
    known = regions.get(partition, frozenset()) if partition else frozenset().union(
        *regions.values()
    )
    if isinstance(value, str) and value in known:
        return value
    guess = (
        difflib.get_close_matches(value, sorted(known), n=1) if isinstance(value, str) else []
    )
    tip = f" (did you mean {guess[0]!r}?)" if guess else ""
    where = f" of partition {partition!r}" if partition else ""
    raise refuse(
        field,
        value,
        f"{describe(value)} is not an AWS region{where}{tip}; allowed are the regions botocore "
        f"knows, like 'us-east-1' or 'eu-west-1' (a region newer than your botocore needs "
        "`pip install -U botocore`)",
    )
