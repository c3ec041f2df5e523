"""S3 Block Public Access, per bucket and for the whole account.

Both resources default to all four settings on. Turning one off takes an
explicit argument and shows as a :class:`~secureml.Finding` (``lint()``), so a
widening is never silent.

Ownership: a public access block cannot carry tags, so it cannot say which
blueprint wrote it; its bucket can. secureml changes a bucket's block when
the bucket is tagged for this blueprint, or when the bucket is untagged and
the change only tightens (no setting that is on is turned off: the default,
all four on, can only tighten). Loosening an untagged bucket, or any change
to a bucket tagged for another blueprint, needs ``adopt=True``
(:class:`~secureml.errors.OwnershipError` at plan time otherwise): a blueprint
never opens up, or fights over, a bucket that is not its own. The account's
block is the account's: it is brought to the desired state. It is never deleted on prune:
``discover()`` finds nothing, because deleting a public access block widens
access and must not happen as a side effect of removing a line from a
blueprint. To loosen a block, declare it with a setting turned off (which
the plan shows as a finding); to remove it, call ``delete`` yourself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs
from botocore.exceptions import ClientError

from secureml._validation import adopt_flag, check_account_id, check_bucket_name
from secureml.aws import AwsContext, error_code
from secureml.errors import NotFoundError, OwnershipError, Problem, ValidationError
from secureml.policy import Finding
from secureml.resources._base import OWNER_TAG, Claim, Observed, Resource, State
from secureml.resources._kinds import register_kind

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = [
    "SETTINGS",
    "AccountPublicAccessBlock",
    "BucketPublicAccessBlock",
    "block_public_access",
    "bucket_region",
]

log = logging.getLogger("secureml.resources.public_access")

SETTINGS: tuple[str, ...] = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
"""The four Block Public Access settings, by their AWS names."""

_WHAT = {
    "BlockPublicAcls": "new public ACLs on the bucket and its objects are no longer refused",
    "IgnorePublicAcls": "existing public ACLs on the bucket and its objects take effect",
    "BlockPublicPolicy": "a bucket policy granting public access can be written",
    "RestrictPublicBuckets": "a public bucket policy grants access to anyone, "
    "not only to AWS services and the bucket owner's account",
}

_FINDING_CODE = "SM020"
_NO_CONFIG = frozenset({"NoSuchPublicAccessBlockConfiguration"})
_NO_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})


# -- helpers shared with the audit trail and the report ---------------------------------------




def bucket_region(ctx: AwsContext, bucket: str) -> str | None:
    """The region of ``bucket`` (HeadBucket), or ``None`` when it does not exist.

    A 403 still carries the ``x-amz-bucket-region`` header, so a bucket we may
    not read is still located; any other error propagates.
    """
    try:
        response = ctx.call("s3", "head_bucket", resource=f"s3://{bucket}", Bucket=bucket)
    except ClientError as exc:
        meta = exc.response.get("ResponseMetadata", {})
        if error_code(exc) in _NO_BUCKET or meta.get("HTTPStatusCode") == 404:
            return None
        region = meta.get("HTTPHeaders", {}).get("x-amz-bucket-region")
        if region:
            return str(region)
        raise
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return str(response.get("BucketRegion") or headers.get("x-amz-bucket-region") or ctx.region)


def _flags(config: dict[str, Any]) -> State:
    """The four settings of a PublicAccessBlockConfiguration, missing ones as ``False``."""
    return {key: bool(config.get(key, False)) for key in SETTINGS}




_FIELDS = ("block_public_acls", "ignore_public_acls", "block_public_policy",
           "restrict_public_buckets")
"""The four settings' fields, in the order of :data:`SETTINGS`."""


@attrs.frozen
class _Settings:
    """The four settings, each on unless turned off explicitly."""

    block_public_acls: bool = attrs.field(default=True, kw_only=True)
    ignore_public_acls: bool = attrs.field(default=True, kw_only=True)
    block_public_policy: bool = attrs.field(default=True, kw_only=True)
    restrict_public_buckets: bool = attrs.field(default=True, kw_only=True)

    def configuration(self) -> State:
        """The PublicAccessBlockConfiguration AWS takes and returns."""
        return {
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        }

    def _setting_problems(self, where: str) -> list[Problem]:
        problems = []
        for field, (key, value) in zip(
            _FIELDS, self.configuration().items(), strict=True
        ):
            if not isinstance(value, bool):
                detail = f"{value!r} is not a bool (True keeps the guard-rail on)"
                problems.append(
                    Problem(field, value, f"{where}: {key}: {detail}", detail=f"{where}: {detail}")
                )
        return problems

    def _findings(self, where: str) -> list[Finding]:
        return [
            Finding.of(
                _FINDING_CODE,
                f"{where}: {key} is turned off, so {_WHAT[key]}. Remove the argument to keep "
                "the default (on) unless the data must really be public.",
            )
            for key, on in self.configuration().items()
            if not on
        ]


@register_kind
@attrs.frozen
class BucketPublicAccessBlock(_Settings, Resource):
    """S3 Block Public Access on one bucket, all four settings on by default.

    The bucket must exist (secureml does not create data buckets); the plan
    fails with :class:`~secureml.errors.NotFoundError` if it does not. A bucket
    tagged for another blueprint, or a loosening of an untagged bucket, needs
    ``adopt=True`` (see the module docstring).

    >>> bpa = BucketPublicAccessBlock("team-a-data")
    >>> bpa.key, bpa.lint()
    ('s3-public-access-block/team-a-data', [])
    >>> [f.code for f in BucketPublicAccessBlock("site", block_public_policy=False).lint()]
    ['SM020']
    """

    kind: ClassVar[str] = "s3-public-access-block"
    taggable: ClassVar[bool] = False

    bucket: str = attrs.field()
    adopt: bool = attrs.field(default=False, kw_only=True, validator=adopt_flag)

    def problems(self) -> list[Problem]:
        """The bucket's name, and the four settings (each True or False)."""
        problems = super().problems()
        try:
            check_bucket_name(self.bucket, "BucketPublicAccessBlock.bucket")
        except ValidationError as exc:
            # The whole problem of this one field: the message keeps its label.
            problems.extend(attrs.evolve(p, path=("bucket",)) for p in exc.problems)
            return problems
        return problems + self._setting_problems(f"BucketPublicAccessBlock({self.bucket!r})")

    @property
    def name(self) -> str:
        """The bucket name."""
        return self.bucket

    def claims(self, blueprint: str) -> Iterator[Claim]:
        """The bucket's Block Public Access."""
        yield Claim(f"s3:public-access-block:{self.bucket}",
                    f"the Block Public Access of s3://{self.bucket}")

    def describe(self) -> str:
        """One line for plans."""
        off = [k for k, v in self.configuration().items() if not v]
        return f"S3 Block Public Access on bucket {self.bucket}" + (
            f" (turned off: {', '.join(off)})" if off else ""
        )

    def lint(self) -> list[Finding]:
        """A finding for each setting turned off."""
        return self._findings(f"bucket {self.bucket!r}")

    def desired(self, ctx: AwsContext) -> State:
        """The four settings."""
        return self.configuration()

    def read(self, ctx: AwsContext) -> Observed | None:
        """The bucket's public access block, or ``None`` when it has none.

        Raises :class:`~secureml.errors.OwnershipError` when the change this
        resource would make is not the blueprint's to make (module docstring)."""
        region = bucket_region(ctx, self.bucket)
        if region is None:
            raise NotFoundError(
                f"BucketPublicAccessBlock: bucket {self.bucket!r} does not exist in this "
                "account; create it first or remove it from the blueprint"
            )
        rctx = ctx.for_region(region)
        try:
            response = rctx.call(
                "s3", "get_public_access_block", resource=self.key, Bucket=self.bucket
            )
        except ClientError as exc:
            if error_code(exc) not in _NO_CONFIG:
                raise rctx.wrap_error(self.key, "GetPublicAccessBlock", exc) from exc
            response = None
        have = _flags(response.get("PublicAccessBlockConfiguration", {})) if response else None
        if have != self.configuration() and not self.adopt:
            self._check_owner(rctx, have)
        if have is None:
            return None
        # Untaggable: the ownership check above decided; report this blueprint as the
        # owner so the engine does not refuse again.
        return Observed(state=have, owner=ctx.blueprint, extra={"region": region})

    def _check_owner(self, ctx: AwsContext, have: State | None) -> None:
        try:
            tagging = ctx.call("s3", "get_bucket_tagging", resource=self.key, Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) not in ("NoSuchTagSet", "NoSuchTagSetError"):
                raise ctx.wrap_error(self.key, "GetBucketTagging", exc) from exc
            tagging = {}
        owner = {t["Key"]: t["Value"] for t in tagging.get("TagSet", [])}.get(OWNER_TAG)
        if owner == ctx.blueprint:
            return
        what = f"S3 Block Public Access on bucket {self.bucket}"
        if owner is not None:
            raise OwnershipError(
                what,
                f"the bucket's {OWNER_TAG} tag is {owner!r}, not {ctx.blueprint!r}, and this "
                "blueprint would change its Block Public Access",
            )
        before = have or {}
        turned_off = [k for k, on in self.configuration().items() if not on and before.get(k)]
        if turned_off:
            raise OwnershipError(
                what,
                f"the bucket has no {OWNER_TAG} tag and this blueprint would turn off "
                f"{', '.join(turned_off)}; only tightening is done on a bucket the blueprint "
                "does not own",
            )

    def create(self, ctx: AwsContext, desired: State) -> None:
        """Put the public access block."""
        self._put(ctx, desired, None)

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Put the public access block (PutPublicAccessBlock replaces all four settings)."""
        self._put(ctx, desired, observed.extra.get("region"))

    def _put(self, ctx: AwsContext, desired: State, region: str | None) -> None:
        rctx = ctx.for_region(region or bucket_region(ctx, self.bucket))
        try:
            rctx.call(
                "s3",
                "put_public_access_block",
                resource=self.key,
                Bucket=self.bucket,
                PublicAccessBlockConfiguration={k: bool(desired[k]) for k in SETTINGS},
            )
        except ClientError as exc:
            raise rctx.wrap_error(self.key, "PutPublicAccessBlock", exc) from exc

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the bucket's public access block (this widens access; never done on prune)."""
        rctx = ctx.for_region(observed.extra.get("region"))
        log.warning("deleting S3 Block Public Access on bucket %s widens access", self.bucket)
        try:
            rctx.call("s3", "delete_public_access_block", resource=self.key, Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) in _NO_CONFIG | _NO_BUCKET:
                return
            raise rctx.wrap_error(self.key, "DeletePublicAccessBlock", exc) from exc

    def owned_by(self, observed: Observed, blueprint: str) -> bool:
        """Always: ``read`` has checked the bucket's owner tag already."""
        return True


@register_kind
@attrs.frozen
class AccountPublicAccessBlock(_Settings, Resource):
    """S3 Block Public Access for the whole account (S3 Control), all four settings on.

    With all four on at account level no bucket of the account can be public,
    whatever its own settings, policy or ACLs. ``account_id`` defaults to the
    session's account (STS); when given it must be the session's account.

    >>> AccountPublicAccessBlock().key
    's3-account-public-access-block/current-account'
    >>> AccountPublicAccessBlock("111122223333").name
    '111122223333'
    """

    kind: ClassVar[str] = "s3-account-public-access-block"
    taggable: ClassVar[bool] = False

    account_id: str | None = attrs.field(default=None)

    def problems(self) -> list[Problem]:
        """The account id, and the four settings (each True or False)."""
        problems = super().problems()
        if self.account_id is not None:
            try:
                check_account_id(self.account_id, "AccountPublicAccessBlock.account_id")
            except ValidationError as exc:
                problems.extend(attrs.evolve(p, path=("account_id",)) for p in exc.problems)
                return problems
        return problems + self._setting_problems("AccountPublicAccessBlock")

    @property
    def name(self) -> str:
        """The account id, or ``current-account`` for the session's account."""
        return self.account_id or "current-account"

    def describe(self) -> str:
        """One line for plans."""
        off = [k for k, v in self.configuration().items() if not v]
        account = self.account_id or "the session's account"
        return f"S3 Block Public Access for {account}" + (
            f" (turned off: {', '.join(off)})" if off else ""
        )

    def lint(self) -> list[Finding]:
        """A finding for each setting turned off."""
        return self._findings(f"account {self.name}")

    def _account(self, ctx: AwsContext) -> str:
        current = ctx.account_id
        if self.account_id is not None and self.account_id != current:
            raise ValidationError(
                f"AccountPublicAccessBlock.account_id: {self.account_id!r} is not the session's "
                f"account ({current}); use a session for that account, or omit account_id"
            )
        return current

    def desired(self, ctx: AwsContext) -> State:
        """The four settings."""
        return self.configuration()

    def read(self, ctx: AwsContext) -> Observed | None:
        """The account's public access block, or ``None`` when it has none."""
        account = self._account(ctx)
        try:
            response = ctx.call(
                "s3control", "get_public_access_block", resource=self.key, AccountId=account
            )
        except ClientError as exc:
            if error_code(exc) in _NO_CONFIG:
                return None
            raise ctx.wrap_error(self.key, "GetPublicAccessBlock", exc) from exc
        return Observed(
            state=_flags(response.get("PublicAccessBlockConfiguration", {})),
            owner=ctx.blueprint,
            extra={"account_id": account},
        )

    def create(self, ctx: AwsContext, desired: State) -> None:
        """Put the account's public access block."""
        self._put(ctx, desired)

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Put the account's public access block (all four settings at once)."""
        self._put(ctx, desired)

    def _put(self, ctx: AwsContext, desired: State) -> None:
        try:
            ctx.call(
                "s3control",
                "put_public_access_block",
                resource=self.key,
                AccountId=self._account(ctx),
                PublicAccessBlockConfiguration={k: bool(desired[k]) for k in SETTINGS},
            )
        except ClientError as exc:
            raise ctx.wrap_error(self.key, "PutPublicAccessBlock", exc) from exc

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the account's public access block (this widens access; never done on prune)."""
        log.warning("deleting account-level S3 Block Public Access widens access")
        try:
            ctx.call(
                "s3control",
                "delete_public_access_block",
                resource=self.key,
                AccountId=self._account(ctx),
            )
        except ClientError as exc:
            if error_code(exc) in _NO_CONFIG:
                return
            raise ctx.wrap_error(self.key, "DeletePublicAccessBlock", exc) from exc

    def owned_by(self, observed: Observed, blueprint: str) -> bool:
        """Always: a public access block is adopted on sight (it cannot be tagged)."""
        return True


def _persona_buckets(sources: Iterable[Persona | str]) -> Iterator[str]:
    for source in sources:
        if isinstance(source, str):
            yield source
        else:
            yield from source.buckets


def block_public_access(
    *sources: Persona | str | Iterable[Persona | str],
    account: bool = False,
) -> list[Resource]:
    """Block Public Access resources for every data bucket of the given personas.

    Takes personas, bucket names, or iterables of either; each bucket appears
    once (sorted by name) however many personas use it, so no ML bucket is
    left out and none is declared twice. With ``account=True`` an
    :class:`AccountPublicAccessBlock` for the session's account is added.

    >>> import secureml as sm
    >>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data", "shared-features"],
    ...                       pass_roles=["team-a-compute"])
    >>> compute = sm.Compute("team-a-compute", buckets=["team-a-data"])
    >>> for r in block_public_access(ds, compute, account=True):
    ...     print(r.key)
    s3-public-access-block/shared-features
    s3-public-access-block/team-a-data
    s3-account-public-access-block/current-account
    """
    flat: list[Persona | str] = []
    for source in sources:
        if isinstance(source, str) or hasattr(source, "buckets"):
            flat.append(cast("Persona | str", source))
        else:
            flat.extend(source)
    buckets = sorted(set(_persona_buckets(flat)))
    resources: list[Resource] = [BucketPublicAccessBlock(b) for b in buckets]
    if account:
        resources.append(AccountPublicAccessBlock())
    return resources
