"""A read-only report of what S3 Block Public Access leaves open in an account.

Block Public Access works at two levels. At **account** level, with all four
settings on, no bucket of the account can be public, whatever its own
settings, policy or ACLs say. At **bucket** level each bucket is protected
only by its own settings (combined with whatever the account level has on),
so some buckets may remain public. The report reads the account setting and,
unless it already rules public access out, every bucket's own settings,
policy status (``GetBucketPolicyStatus`` ``IsPublic``) and ACL
(grants to ``AllUsers`` or ``AuthenticatedUsers``), and says which level
applies and which buckets are, or may be, public.

It makes read calls only, and a bucket it may not read is reported as
unknown with the reason, never as a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from botocore.exceptions import ClientError

from secureml._unstructure import json_converter
from secureml.aws import AwsContext, RetryPolicy, error_code, parallel_map, resolve_session
from secureml.resources._public_access import SETTINGS, bucket_region

__all__ = [
    "BucketExposure",
    "PublicAccessReport",
    "PublicAccessSettings",
    "public_access_report",
]

log = logging.getLogger("secureml.resources.public_access_report")

_PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
_NO_CONFIG = "NoSuchPublicAccessBlockConfiguration"


@attrs.frozen
class PublicAccessSettings:
    """The four Block Public Access settings at one level.

    >>> PublicAccessSettings.from_configuration({"BlockPublicAcls": True}).all_on
    False
    >>> PublicAccessSettings.all().all_on
    True
    """

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @classmethod
    def from_configuration(cls, config: Mapping[str, Any] | None) -> PublicAccessSettings:
        """From a ``PublicAccessBlockConfiguration`` (missing settings are off)."""
        config = config or {}
        return cls(*(bool(config.get(k, False)) for k in SETTINGS))

    @classmethod
    def all(cls) -> PublicAccessSettings:
        """All four on."""
        return cls(True, True, True, True)

    @property
    def all_on(self) -> bool:
        """Whether all four settings are on."""
        return all(attrs.astuple(self))

    def combined(self, other: PublicAccessSettings | None) -> PublicAccessSettings:
        """The settings in effect when both levels apply (S3 uses the most restrictive)."""
        if other is None:
            return self
        return PublicAccessSettings(*(a or b for a, b in zip(attrs.astuple(self),
                                                             attrs.astuple(other), strict=True)))

    def to_dict(self) -> dict[str, bool]:
        """The settings by their AWS names."""
        return dict(zip(SETTINGS, attrs.astuple(self), strict=True))


@attrs.frozen
class BucketExposure:
    """One bucket, as the report sees it.

    ``public`` is ``True`` when the bucket's policy or ACL make it public and
    no setting in effect neutralises that, ``False`` when it cannot be public,
    and ``None`` when something needed to decide could not be read (see
    ``unknown``). ``policy_public``/``acl_public`` follow the same rule for
    each path; ``effective`` is the account and bucket settings combined.
    """

    name: str
    region: str | None
    settings: PublicAccessSettings | None
    effective: PublicAccessSettings
    policy_public: bool | None
    acl_public: bool | None
    public: bool | None
    reasons: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: every field, settings by their AWS names."""
        view: dict[str, Any] = _JSON.unstructure(self)
        return view


_JSON = json_converter()
"""Report values as JSON-ready dicts: tuples as lists, settings by their AWS names."""
_JSON.register_unstructure_hook(PublicAccessSettings, PublicAccessSettings.to_dict)


@attrs.frozen
class PublicAccessReport:
    """What Block Public Access leaves open in one account.

    ``level`` is ``"account"`` when the account-level setting has all four
    settings on (no bucket can be public) and ``"bucket"`` otherwise (each
    bucket is only as private as its own settings, policy and ACLs make it).
    """

    account_id: str
    account_settings: PublicAccessSettings | None
    buckets: tuple[BucketExposure, ...]
    account_error: str | None = None

    @property
    def level(self) -> Literal["account", "bucket"]:
        """Which level of Block Public Access protects the account's buckets."""
        if self.account_settings is not None and self.account_settings.all_on:
            return "account"
        return "bucket"

    @property
    def public_buckets(self) -> tuple[BucketExposure, ...]:
        """Buckets that are public."""
        return tuple(b for b in self.buckets if b.public is True)

    @property
    def unknown_buckets(self) -> tuple[BucketExposure, ...]:
        """Buckets whose exposure could not be decided (access denied, for instance)."""
        return tuple(b for b in self.buckets if b.public is None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: every field, and the ``level``."""
        fields: dict[str, Any] = _JSON.unstructure(self)
        buckets = fields.pop("buckets")  # last, after the account's own values
        return {"account_id": self.account_id, "level": self.level, **fields, "buckets": buckets}

    def __str__(self) -> str:
        lines = [f"account {self.account_id}: {self.level}-level Block Public Access"]
        if self.level == "account":
            lines.append("  all four settings on for the account: no bucket can be public")
        else:
            on = self.account_settings.to_dict() if self.account_settings else {}
            lines.append(
                "  account-level settings on: "
                + (", ".join(k for k, v in on.items() if v) or "none")
                + (f" ({self.account_error})" if self.account_error else "")
            )
            lines.append(f"  {len(self.buckets)} buckets, {len(self.public_buckets)} public, "
                         f"{len(self.unknown_buckets)} unknown")
            for b in self.public_buckets:
                lines.append(f"  PUBLIC  {b.name}: {'; '.join(b.reasons)}")
            for b in self.unknown_buckets:
                lines.append(f"  UNKNOWN {b.name}: {'; '.join(b.unknown + b.reasons)}")
        return "\n".join(lines)


def public_access_report(
    session: Any = None,
    *,
    region: str | None = None,
    max_workers: int = 8,
    retry: RetryPolicy | None = None,
) -> PublicAccessReport:
    """Report the account-level Block Public Access setting of ``session``'s account
    and every bucket that is, or may be, public.

    Read calls only: STS GetCallerIdentity, S3 Control GetPublicAccessBlock,
    S3 ListBuckets (every page) and, per bucket unless the account level is
    fully on, HeadBucket (when ListBuckets gives no region),
    GetPublicAccessBlock, GetBucketPolicyStatus and GetBucketAcl, in the
    bucket's own region and ``max_workers`` buckets at a time. Bucket-level
    calls that fail (AccessDenied, a bucket deleted meanwhile) make that
    bucket ``unknown``, they do not stop the report.

    Object ACLs are not listed (that would mean reading every object): a bucket
    whose effective settings do not include IgnorePublicAcls may still serve
    objects with a public ACL, which the bucket's ``reasons`` say.
    """
    ctx = AwsContext(resolve_session(session), "public-access-report",
                     retry=retry or RetryPolicy(), region=region)
    return _build_report(ctx, max_workers=max_workers)


def _build_report(ctx: AwsContext, *, max_workers: int = 8) -> PublicAccessReport:
    account = ctx.account_id
    account_settings: PublicAccessSettings | None = None
    account_error = None
    try:
        response = ctx.call("s3control", "get_public_access_block", AccountId=account)
        account_settings = PublicAccessSettings.from_configuration(
            response.get("PublicAccessBlockConfiguration")
        )
    except ClientError as exc:
        if error_code(exc) != _NO_CONFIG:
            account_error = f"account setting unreadable: {error_code(exc)}"
            log.warning("account-level public access block unreadable: %s", exc)
    listed = list(ctx.paginate("s3", "list_buckets", "Buckets", MaxBuckets=1000))
    if account_settings is not None and account_settings.all_on:
        buckets = tuple(
            BucketExposure(
                name=b["Name"],
                region=b.get("BucketRegion"),
                settings=None,
                effective=account_settings,
                policy_public=False,
                acl_public=False,
                public=False,
                reasons=("account-level Block Public Access (all four settings)",),
            )
            for b in listed
        )
    else:
        buckets = tuple(
            parallel_map(lambda b: _bucket(ctx, b, account_settings), listed, max_workers)
        )
    return PublicAccessReport(
        account_id=account,
        account_settings=account_settings,
        buckets=tuple(sorted(buckets, key=lambda b: b.name)),
        account_error=account_error,
    )


def _bucket(
    ctx: AwsContext, listed: Mapping[str, Any], account: PublicAccessSettings | None
) -> BucketExposure:
    name = str(listed["Name"])
    unknown: list[str] = []
    reasons: list[str] = []
    region = listed.get("BucketRegion")
    if not region:
        try:
            region = bucket_region(ctx, name)
        except ClientError as exc:
            unknown.append(f"region: {error_code(exc)}")
    rctx = ctx.for_region(region)

    def read(operation: str, missing: str | None) -> tuple[dict[str, Any] | None, bool]:
        """(response, known): response None with known True means 'not configured'."""
        try:
            return rctx.call("s3", operation, resource=f"s3://{name}", Bucket=name), True
        except ClientError as exc:
            if missing is not None and error_code(exc) == missing:
                return None, True
            unknown.append(f"{operation}: {error_code(exc)}")
            return None, False

    response, settings_known = read("get_public_access_block", _NO_CONFIG)
    settings = (
        PublicAccessSettings.from_configuration(response.get("PublicAccessBlockConfiguration"))
        if response else (PublicAccessSettings() if settings_known else None)
    )
    effective = (account or PublicAccessSettings()).combined(settings)

    policy_public: bool | None
    if effective.restrict_public_buckets:
        policy_public = False
    else:
        response, known = read("get_bucket_policy_status", "NoSuchBucketPolicy")
        is_public = bool(response and response.get("PolicyStatus", {}).get("IsPublic"))
        policy_public = is_public if known else None
        if is_public:
            reasons.append("bucket policy grants public access and RestrictPublicBuckets is off")
            if not settings_known:
                policy_public = None  # the bucket's own RestrictPublicBuckets may neutralise it

    acl_public: bool | None
    if effective.ignore_public_acls:
        acl_public = False
    else:
        response, known = read("get_bucket_acl", None)
        groups = sorted({
            _PUBLIC_GROUPS[g["Grantee"]["URI"]]
            for g in (response or {}).get("Grants", [])
            if g.get("Grantee", {}).get("URI") in _PUBLIC_GROUPS
        })
        acl_public = bool(groups) if known else None
        if groups:
            reasons.append(f"bucket ACL grants {', '.join(groups)} and IgnorePublicAcls is off")
            if not settings_known:
                acl_public = None
        if settings_known:
            reasons.append("IgnorePublicAcls is off: objects with a public ACL would be public")

    if policy_public or acl_public:
        public: bool | None = True
    elif policy_public is None or acl_public is None:
        public = None
    else:
        public = False
    return BucketExposure(
        name=name,
        region=region,
        settings=settings,
        effective=effective,
        policy_public=policy_public,
        acl_public=acl_public,
        public=public,
        reasons=tuple(reasons),
        unknown=tuple(unknown),
    )
