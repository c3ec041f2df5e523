"""The CloudTrail audit trail and the hardened S3 bucket it writes to.

One resource, :class:`AuditTrail`, owns both the trail and its bucket. They
are one thing to a reader of the plan (a trail is useless without a bucket it
may write to, and the bucket policy names the trail's ARN), and keeping them
together lets ``apply()`` order the steps that AWS needs in order: bucket,
then its policy, then the trail (CloudTrail checks the policy on
CreateTrail), then event selectors, then StartLogging. The state has two
parts, ``trail`` and ``bucket``; drift in any setting of either shows in the
plan and is repaired by the next apply, one API call per setting that
differs.

Behind the one resource, two collaborating parts do the work: the log bucket
(:class:`~secureml.resources._audit_bucket.LogBucket`) and the trail
(:class:`~secureml.resources._audit_trail.Trail`); this module validates the
input, checks the KMS key, and orders the two.

Deleting an ``AuditTrail`` (prune) deletes the trail but keeps the bucket:
audit logs are evidence, and S3 refuses to delete a bucket that holds
objects anyway.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import attrs
from botocore.exceptions import ClientError

from secureml._convert import as_items, frozen_tags
from secureml._validation import adopt_flag, check_bucket_name, check_kms_key_arn, checker
from secureml.aws import AwsContext, error_code
from secureml.errors import OwnershipError, Problem, ValidationError
from secureml.policy import PolicyDocument
from secureml.resources._audit_bucket import (
    CLOUDTRAIL,
    Lifecycle,
    LogBucket,
    ObjectLock,
)
from secureml.resources._audit_trail import SAGEMAKER_DATA_EVENT_TYPES, Trail
from secureml.resources._base import OWNER_TAG, Claim, Observed, Resource, State, tag_problems
from secureml.resources._kinds import register_kind
from secureml.resources._public_access import bucket_region

__all__ = [
    "SAGEMAKER_DATA_EVENT_TYPES",
    "AuditTrail",
    "Lifecycle",
    "ObjectLock",
]

log = logging.getLogger("secureml.resources.audit")

_CLOUDTRAIL = CLOUDTRAIL
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
# Right after the bucket policy (or a key policy) is written, CloudTrail may not
# see it yet and refuses the bucket; these are worth retrying then, and only then.
_AFTER_POLICY_WRITE = frozenset(
    {
        "InsufficientS3BucketPolicyException",
        "InsufficientEncryptionPolicyException",
        "S3BucketDoesNotExistException",
    }
)
_MAX_SELECTOR_VALUES = 500  # CloudTrail: values across all advanced event selectors of a trail


def _data_buckets(value: Iterable[Any] | str | None) -> tuple[str, ...]:
    """Bucket names from names and personas (their ``buckets``), deduplicated and sorted."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    names: set[str] = set()
    for item in as_items(value, "data_event_buckets", "bucket names or personas"):
        if isinstance(item, str):
            names.add(item)
        elif hasattr(item, "buckets"):
            names.update(item.buckets)
        else:
            raise ValidationError(
                f"AuditTrail.data_event_buckets: {item!r} is neither a bucket name nor a persona"
            )
    return tuple(sorted(names))


def _strings(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(set(value)))


@register_kind
@attrs.frozen
class AuditTrail(Resource):
    """A multi-region CloudTrail trail into a dedicated, hardened S3 bucket.

    The trail records management events of every region, with global service
    events (IAM, STS, CloudFront) and log file validation (signed digest
    files), and is kept logging. The bucket gets:

    - the bucket policy AWS documents for CloudTrail: ``s3:GetBucketAcl`` and
      ``s3:PutObject`` for ``cloudtrail.amazonaws.com`` only with
      ``aws:SourceArn`` equal to this trail's ARN, ``PutObject`` only under
      ``AWSLogs/<account>/`` and only with ``s3:x-amz-acl`` =
      ``bucket-owner-full-control``; and a deny of every request not made over
      TLS (``aws:SecureTransport`` false);
    - all four Block Public Access settings;
    - default encryption: SSE-S3, or SSE-KMS with an S3 Bucket Key when
      ``kms_key_arn`` is given (the trail then also encrypts its log files
      with that key; the plan checks that the key is enabled, symmetric, in
      the bucket's region and that its key policy lets CloudTrail use it);
    - versioning; optionally Object Lock (:class:`ObjectLock`) and a
      lifecycle rule (:class:`Lifecycle`);
    - the owner tag (and ``tags``), as does the trail.

    ``data_event_buckets`` (bucket names or personas, whose ``buckets`` are
    used) adds S3 object-level data events for those buckets, and
    ``sagemaker_data_events`` the SageMaker data event types listed in
    :data:`SAGEMAKER_DATA_EVENT_TYPES`, both through advanced event
    selectors. Data events are billed per event.

    The trail's home region is the session's region; the bucket is created
    there too. ``adopt=True`` takes over a trail and/or bucket of these names
    that this blueprint did not create (they are then brought to the state
    above and tagged).

    >>> trail = AuditTrail("ml-audit", bucket="ml-audit-logs-111122223333")
    >>> trail.key
    'cloudtrail-audit-trail/ml-audit'
    """

    kind: ClassVar[str] = "cloudtrail-audit-trail"

    name: str
    bucket: str = attrs.field(kw_only=True)
    kms_key_arn: str | None = attrs.field(default=None, kw_only=True)
    data_event_buckets: tuple[str, ...] = attrs.field(
        default=(), converter=_data_buckets, kw_only=True
    )
    sagemaker_data_events: tuple[str, ...] = attrs.field(
        default=(), converter=_strings, kw_only=True
    )
    lifecycle: Lifecycle | None = attrs.field(default=None, kw_only=True)
    object_lock: ObjectLock | None = attrs.field(default=None, kw_only=True)
    tags: Mapping[str, str] = attrs.field(
        factory=dict, converter=frozen_tags, hash=False, kw_only=True
    )
    adopt: bool = attrs.field(default=False, kw_only=True, validator=adopt_flag)

    def problems(self) -> list[Problem]:
        """Problems with the input (a trail is refused at construction if it has any)."""
        where = f"AuditTrail({self.name!r})"
        problems = super().problems()
        if not isinstance(self.name, str) or not _TRAIL_NAME.match(self.name) or any(
            pair in self.name for pair in ("..", "._", ".-", "_.", "-.", "__", "--", "_-", "-_")
        ):
            problems.append(Problem(
                "name", self.name,
                f"{where}: name {self.name!r} is not a valid trail name (3-128 characters: "
                "letters, digits, '.', '_' and '-', starting and ending with a letter or digit, "
                "no two of '._-' next to each other)",
            ))

        check = checker(where, problems)

        check(check_bucket_name, self.bucket, "bucket")
        if self.kms_key_arn is not None:
            check(check_kms_key_arn, self.kms_key_arn, "kms_key_arn")
        for i, b in enumerate(self.data_event_buckets):
            check(check_bucket_name, b, "data_event_buckets", at=i)
        if self.bucket in self.data_event_buckets:
            problems.append(Problem(
                "data_event_buckets", self.bucket,
                f"{where}: data_event_buckets contains the trail's own bucket {self.bucket!r}; "
                "logging data events on it would log the trail's own writes, endlessly",
            ))
        if len(self.data_event_buckets) > _MAX_SELECTOR_VALUES - 20:
            problems.append(Problem(
                "data_event_buckets", len(self.data_event_buckets),
                f"{where}: {len(self.data_event_buckets)} data_event_buckets is more than a "
                f"trail's advanced event selectors can hold (about {_MAX_SELECTOR_VALUES - 20})",
            ))
        for i, t in enumerate(self.sagemaker_data_events):
            if t not in SAGEMAKER_DATA_EVENT_TYPES:
                problems.append(Problem(
                    ("sagemaker_data_events", i), t,
                    f"{where}: sagemaker_data_events: {t!r} is not one of "
                    f"{list(SAGEMAKER_DATA_EVENT_TYPES)}, the SageMaker data event types "
                    "CloudTrail offers (InvokeEndpoint and InvokeEndpointAsync are recorded by "
                    "none of them)",
                    detail=f"{where}: {t!r} is not one of "
                    f"{list(SAGEMAKER_DATA_EVENT_TYPES)}, the SageMaker data event types "
                    "CloudTrail offers (InvokeEndpoint and InvokeEndpointAsync are recorded by "
                    "none of them)",
                ))
        problems.extend(tag_problems(self.tags, where))
        if self.lifecycle is not None and not isinstance(self.lifecycle, Lifecycle):
            problems.append(Problem(
                "lifecycle", self.lifecycle,
                f"{where}: lifecycle must be a Lifecycle, got {self.lifecycle!r}",
            ))
        if self.object_lock is not None and not isinstance(self.object_lock, ObjectLock):
            problems.append(Problem(
                "object_lock", self.object_lock,
                f"{where}: object_lock must be an ObjectLock, got {self.object_lock!r}",
            ))
        return problems


    # -- the two parts -----------------------------------------------------------------------

    @property
    def log_bucket(self) -> LogBucket:
        """The log bucket part."""
        return LogBucket(self.bucket, self.key, kms_key_arn=self.kms_key_arn,
                         lifecycle=self.lifecycle, object_lock=self.object_lock, tags=self.tags)

    @property
    def trail(self) -> Trail:
        """The trail part."""
        return Trail(self.name, self.bucket, self.key, kms_key_arn=self.kms_key_arn,
                     data_event_buckets=self.data_event_buckets,
                     sagemaker_data_events=self.sagemaker_data_events, tags=self.tags)

    # -- identity --------------------------------------------------------------------------

    def describe(self) -> str:
        """One line for plans."""
        return f"CloudTrail trail {self.name} into s3://{self.bucket}"

    def trail_arn(self, ctx: AwsContext) -> str:
        """This trail's ARN (home region: the context's region)."""
        return self.trail.arn(ctx)

    def claims(self, blueprint: str) -> Iterator[Claim]:
        """The trail, and the bucket's policy, Block Public Access and settings."""
        yield Claim(f"cloudtrail:trail:{self.name}", f"the CloudTrail trail {self.name}")
        b = self.bucket
        yield Claim(f"s3:bucket-policy:{b}",
                    f"the bucket policy of s3://{b} (it names one trail, so a second trail "
                    "could not deliver to it)")
        yield Claim(f"s3:public-access-block:{b}", f"the Block Public Access of s3://{b}")
        yield Claim(f"s3:bucket-settings:{b}", f"the encryption, versioning and tags of s3://{b}")

    def ownership_error(self, observed: Observed, blueprint: str) -> OwnershipError:
        """Names the part (trail or bucket) that is not this blueprint's."""
        trail_owner = observed.extra.get("trail_owner")
        if observed.state.get("trail") is not None and trail_owner != blueprint:
            return OwnershipError(self.trail.label, _owner_detail(trail_owner, blueprint))
        bucket_owner = observed.extra.get("bucket_tags_all", {}).get(OWNER_TAG)
        detail = _owner_detail(bucket_owner, blueprint)
        if bucket_owner is None:
            detail += (
                "; if an earlier apply created it and stopped before tagging it (possible only "
                "without s3:TagResource), pass adopt=True once"
            )
        return OwnershipError(self.log_bucket.label, detail)

    # -- desired state ---------------------------------------------------------------------

    def bucket_policy(self, account_id: str, trail_arn: str, partition: str = "aws") -> (
        PolicyDocument
    ):
        """The bucket policy AWS documents for a CloudTrail bucket, plus a TLS-only deny.

        >>> doc = AuditTrail("t-1", bucket="logs-b").bucket_policy(
        ...     "111122223333", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t-1")
        >>> sorted(s.sid for s in doc)
        ['AWSCloudTrailAclCheck', 'AWSCloudTrailWrite', 'DenyInsecureTransport']
        """
        return self.log_bucket.policy(account_id, trail_arn, partition)

    def event_selectors(self, partition: str = "aws") -> list[dict[str, Any]]:
        """The trail's advanced event selectors: all management events, plus the data events
        asked for.

        >>> [s["Name"] for s in AuditTrail("t-1", bucket="logs-b").event_selectors()]
        ['Management events']
        """
        return self.trail.event_selectors(partition)

    def desired(self, ctx: AwsContext) -> State:
        """The trail's and the bucket's settings."""
        return {
            "trail": self.trail.desired(ctx),
            "bucket": self.log_bucket.desired(ctx, self.trail_arn(ctx)),
        }

    # -- reading ---------------------------------------------------------------------------

    def read(self, ctx: AwsContext) -> Observed | None:
        """The trail and the bucket as they are (``None`` when neither exists)."""
        region = bucket_region(ctx, self.bucket)
        if self.kms_key_arn is not None:
            self.check_kms_key(ctx, bucket_region=region or ctx.region)
        extra: dict[str, Any] = {"bucket_region": region}
        bucket = self.log_bucket.read(ctx.for_region(region), extra) if region else None
        trail = self.trail.read(ctx, extra)
        if bucket is None and trail is None:
            return None
        owners = []
        if trail is not None:
            owners.append(extra["trail_owner"])
        if bucket is not None:
            owners.append(extra["bucket_tags_all"].get(OWNER_TAG))
        foreign = [o for o in owners if o != ctx.blueprint]
        return Observed(
            state={"trail": trail, "bucket": bucket},
            owner=foreign[0] if foreign else ctx.blueprint,
            extra=extra,
        )

    def check_kms_key(self, ctx: AwsContext, bucket_region: str | None = None) -> None:
        """Check that CloudTrail can use ``kms_key_arn``; raise ``ValidationError`` if not.

        DescribeKey: the key exists, is ``Enabled``, symmetric (``SYMMETRIC_DEFAULT``,
        ``ENCRYPT_DECRYPT``) and in the bucket's region. GetKeyPolicy: some
        statement allows ``cloudtrail.amazonaws.com`` ``kms:GenerateDataKey*``
        (conditions on it are not evaluated). A key the caller may not describe
        or read the policy of is logged and not checked further: CloudTrail
        itself will refuse it if it cannot use it.
        """
        arn = str(self.kms_key_arn)
        key_region = arn.split(":")[3]
        kctx = ctx.for_region(key_region)
        where = f"AuditTrail({self.name!r}).kms_key_arn {arn!r}"
        try:
            meta = kctx.call("kms", "describe_key", resource=self.key, KeyId=arn)["KeyMetadata"]
        except ClientError as exc:
            if error_code(exc) == "NotFoundException":
                raise ValidationError(f"{where}: no such key") from exc
            if error_code(exc) in ("AccessDeniedException", "AccessDenied"):
                log.warning("%s: cannot describe the key (%s); not checked", where, exc)
                return
            raise kctx.wrap_error(self.key, "DescribeKey", exc) from exc
        problems = []
        if meta.get("KeyState") != "Enabled":
            problems.append(f"{where}: the key is {meta.get('KeyState')}, not Enabled")
        if meta.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT" or meta.get(
            "KeySpec", meta.get("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT")
        ) != "SYMMETRIC_DEFAULT":
            problems.append(
                f"{where}: CloudTrail and S3 need a symmetric encryption key "
                f"(SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT); this one is "
                f"{meta.get('KeySpec')}/{meta.get('KeyUsage')}"
            )
        if bucket_region and key_region != bucket_region:
            problems.append(
                f"{where}: the key is in {key_region} but the bucket is in {bucket_region}; "
                "use a key (or a multi-Region replica) in the bucket's region"
            )
        if not problems:
            try:
                text = kctx.call(
                    "kms", "get_key_policy", resource=self.key, KeyId=arn, PolicyName="default"
                )["Policy"]
            except ClientError as exc:
                log.warning("%s: cannot read the key policy (%s); not checked", where, exc)
            else:
                if not _key_policy_allows_cloudtrail(text):
                    problems.append(
                        f"{where}: the key policy does not allow {_CLOUDTRAIL} "
                        "kms:GenerateDataKey*; add the statement AWS documents in 'Configure "
                        "AWS KMS key policies for CloudTrail'"
                    )
        if problems:
            raise ValidationError(problems)

    # -- changing --------------------------------------------------------------------------

    def create(self, ctx: AwsContext, desired: State) -> None:
        """Create the bucket (hardened) and the trail, and start logging."""
        self._converge(ctx, None, desired)

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        """Repair every setting that differs (creating whichever part is missing)."""
        self._converge(ctx, observed, desired)

    def _converge(self, ctx: AwsContext, observed: Observed | None, desired: State) -> None:
        extra = dict(observed.extra) if observed else {}
        state = observed.state if observed else {}
        have_bucket: State | None = state.get("bucket")
        have_trail: State | None = state.get("trail")
        want_bucket: State = desired["bucket"]
        want_trail: State = desired["trail"]
        bucket, trail = self.log_bucket, self.trail

        if have_bucket is None:
            if bucket.create(ctx, want_bucket["Tags"]):
                extra["bucket_region"] = ctx.region
                extra["bucket_tags_all"] = dict(want_bucket["Tags"])
                have_bucket = {"Tags": dict(want_bucket["Tags"])}
            else:
                have_bucket = bucket.existing(ctx, extra, adopt=self.adopt)
        bctx = ctx.for_region(extra.get("bucket_region"))
        fresh_policy = bucket.converge(bctx, have_bucket, want_bucket, extra)

        retry_codes = _AFTER_POLICY_WRITE if fresh_policy or not state.get("bucket") else (
            frozenset()
        )
        if have_trail is None:
            have_trail = trail.create(ctx, want_trail, retry_codes, adopt=self.adopt)
        trail.converge(ctx, have_trail, want_trail, retry_codes)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the trail; keep the bucket and its logs (audit evidence)."""
        if observed.state.get("trail") is not None:
            self.trail.delete(ctx)
        if observed.state.get("bucket") is not None:
            log.info("%s: trail deleted; bucket s3://%s and its logs are kept", self.key,
                     self.bucket)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[AuditTrail]:
        """Trails whose home region is the context's region, tagged for ``blueprint``."""
        trails = [
            t for t in ctx.paginate("cloudtrail", "list_trails", "Trails")
            if t.get("HomeRegion", ctx.region) == ctx.region
        ]
        for start in range(0, len(trails), 20):  # ListTags takes at most 20 ARNs
            batch = trails[start:start + 20]
            listed = ctx.call("cloudtrail", "list_tags",
                              ResourceIdList=[t["TrailARN"] for t in batch])
            owned = {
                entry["ResourceId"]
                for entry in listed.get("ResourceTagList", [])
                if any(t.get("Key") == OWNER_TAG and t.get("Value") == blueprint
                       for t in entry.get("TagsList", []))
            }
            for t in batch:
                if t["TrailARN"] in owned:
                    trail = ctx.call("cloudtrail", "get_trail", Name=t["TrailARN"])["Trail"]
                    yield cls(t["Name"], bucket=trail["S3BucketName"])


def _owner_detail(owner: str | None, blueprint: str) -> str:
    if owner is None:
        return f"it has no {OWNER_TAG} tag"
    return f"its {OWNER_TAG} tag is {owner!r}, not {blueprint!r}"


def _key_policy_allows_cloudtrail(text: str) -> bool:
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    statements = doc.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, Mapping) else []
        if isinstance(services, str):
            services = [services]
        if _CLOUDTRAIL not in services:
            continue
        actions = s.get("Action", [])
        if isinstance(actions, str):
            actions = [actions]
        if any(fnmatch.fnmatchcase("kms:generatedatakey", a.lower()) for a in actions) or any(
            a == "*" for a in actions
        ):
            return True
    return False
