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
from typing import Any, ClassVar, Literal

import attrs
from botocore.exceptions import ClientError

from secureml._convert import frozen_tags
from secureml._validation import check_arn, check_bucket_name, checker
from secureml.aws import AwsContext, error_code
from secureml.errors import AWSCallError, OwnershipError, ValidationError
from secureml.policy import PolicyDocument, Statement
from secureml.resources._base import OWNER_TAG, Observed, Resource, State
from secureml.resources._public_access import SETTINGS, bucket_region

__all__ = [
    "SAGEMAKER_DATA_EVENT_TYPES",
    "STORAGE_CLASSES",
    "AuditTrail",
    "Lifecycle",
    "ObjectLock",
]

log = logging.getLogger("secureml.resources.audit")

SAGEMAKER_DATA_EVENT_TYPES: tuple[str, ...] = (
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::ExperimentTrialComponent",
    "AWS::SageMaker::FeatureGroup",
    "AWS::SageMaker::MlflowTrackingServer",
)
"""The ``resources.type`` values CloudTrail's data event table lists for SageMaker AI:
``InvokeEndpointWithResponseStream`` on endpoints (the only inference call CloudTrail
records: ``InvokeEndpoint`` and ``InvokeEndpointAsync`` are not recorded at all),
SageMaker metrics on experiment trial components, Feature Store record operations
on feature groups (``PutRecord``, ``GetRecord``, ``DeleteRecord``,
``BatchGetRecord``) and MLflow API activity on tracking servers. See
``docs/audit.rst``."""

_LIFECYCLE_RULE_ID = "secureml-audit-log-retention"
STORAGE_CLASSES = ("GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "ONEZONE_IA",
                    "INTELLIGENT_TIERING")
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_CLOUDTRAIL = "cloudtrail.amazonaws.com"
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


@attrs.frozen
class Lifecycle:
    """How long audit logs are kept, and when they move to colder storage.

    ``expiration_days`` deletes log files (and their noncurrent versions) that
    many days after they were written; ``transition_days`` moves them to
    ``storage_class`` first. Either may be omitted, not both.

    >>> Lifecycle(expiration_days=2555, transition_days=90).storage_class
    'GLACIER'
    """

    expiration_days: int | None = None
    transition_days: int | None = None
    storage_class: str = "GLACIER"

    def __attrs_post_init__(self) -> None:
        problems = []
        for field in ("expiration_days", "transition_days"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                problems.append(f"Lifecycle.{field}: {value!r} is not a whole number of days >= 1")
        if self.expiration_days is None and self.transition_days is None:
            problems.append("Lifecycle: give expiration_days, transition_days or both")
        if self.storage_class not in STORAGE_CLASSES:
            problems.append(
                f"Lifecycle.storage_class: {self.storage_class!r} is not one of "
                f"{list(STORAGE_CLASSES)}"
            )
        if (
            not problems
            and self.expiration_days is not None
            and self.transition_days is not None
            and self.transition_days >= self.expiration_days
        ):
            problems.append(
                f"Lifecycle: transition_days ({self.transition_days}) must be less than "
                f"expiration_days ({self.expiration_days})"
            )
        if problems:
            raise ValidationError(problems)

    def state(self) -> State:
        """The canonical state compared in plans."""
        return {
            "ExpirationDays": self.expiration_days,
            "TransitionDays": self.transition_days,
            "StorageClass": self.storage_class if self.transition_days is not None else None,
        }

    def rule(self) -> dict[str, Any]:
        """The S3 lifecycle rule (ID ``secureml-audit-log-retention``)."""
        rule: dict[str, Any] = {
            "ID": _LIFECYCLE_RULE_ID,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
        }
        if self.expiration_days is not None:
            rule["Expiration"] = {"Days": self.expiration_days}
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": self.expiration_days}
        if self.transition_days is not None:
            rule["Transitions"] = [
                {"Days": self.transition_days, "StorageClass": self.storage_class}
            ]
            rule["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": self.transition_days, "StorageClass": self.storage_class}
            ]
        return rule


def _lifecycle_state(rule: Mapping[str, Any]) -> State:
    transitions = rule.get("Transitions") or [{}]
    return {
        "ExpirationDays": (rule.get("Expiration") or {}).get("Days"),
        "TransitionDays": transitions[0].get("Days"),
        "StorageClass": transitions[0].get("StorageClass"),
    }


@attrs.frozen
class ObjectLock:
    """S3 Object Lock default retention for the log bucket (WORM).

    Set it when the bucket is created: secureml creates the bucket with Object
    Lock enabled. On an existing bucket, S3 accepts enabling Object Lock only
    if versioning is on (secureml turns it on first); once enabled, Object Lock
    can never be turned off, and ``COMPLIANCE`` retention cannot be shortened,
    even by the root user.

    >>> ObjectLock(days=365).mode
    'GOVERNANCE'
    """

    days: int
    mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.days, int) or isinstance(self.days, bool) or not (
            1 <= self.days <= 36500
        ):
            problems.append(f"ObjectLock.days: {self.days!r} is not a whole number from 1 to 36500")
        if self.mode not in ("GOVERNANCE", "COMPLIANCE"):
            problems.append(f"ObjectLock.mode: {self.mode!r} is not 'GOVERNANCE' or 'COMPLIANCE'")
        if problems:
            raise ValidationError(problems)

    def state(self) -> State:
        """The canonical state compared in plans."""
        return {"Enabled": True, "Mode": self.mode, "Days": self.days}


def _data_buckets(value: Iterable[Any] | str | None) -> tuple[str, ...]:
    """Bucket names from names and personas (their ``buckets``), deduplicated and sorted."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    names: set[str] = set()
    for item in value:
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


def _canonical_selectors(selectors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Advanced event selectors in one order: by name, fields by field, values sorted,
    empty operators dropped (AWS may or may not echo them)."""
    out = []
    for selector in selectors:
        fields = []
        for field in selector.get("FieldSelectors", []):
            item: dict[str, Any] = {"Field": field["Field"]}
            for op in sorted(k for k in field if k != "Field"):
                if field[op]:
                    item[op] = sorted(field[op])
            fields.append(item)
        out.append(
            {"Name": selector.get("Name", ""), "FieldSelectors": sorted(fields, key=json.dumps)}
        )
    return sorted(out, key=lambda s: (s["Name"], json.dumps(s["FieldSelectors"])))


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
    adopt: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ValidationError(problems)

    def _problems(self) -> list[str]:
        where = f"AuditTrail({self.name!r})"
        problems: list[str] = []
        if not isinstance(self.name, str) or not _TRAIL_NAME.match(self.name) or any(
            pair in self.name for pair in ("..", "._", ".-", "_.", "-.", "__", "--", "_-", "-_")
        ):
            problems.append(
                f"{where}: name {self.name!r} is not a valid trail name (3-128 characters: "
                "letters, digits, '.', '_' and '-', starting and ending with a letter or digit, "
                "no two of '._-' next to each other)"
            )

        check = checker(where, problems)

        check(check_bucket_name, self.bucket, "bucket")
        if self.kms_key_arn is not None:
            check(check_arn, self.kms_key_arn, "kms_key_arn", service="kms")
            if not _KEY_ARN.match(str(self.kms_key_arn)):
                problems.append(
                    f"{where}: kms_key_arn {self.kms_key_arn!r} is not a KMS key ARN "
                    "(arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; an alias is not enough, because "
                    "the bucket policy check and CloudTrail report the key's ARN)"
                )
        for b in self.data_event_buckets:
            check(check_bucket_name, b, "data_event_buckets")
        if self.bucket in self.data_event_buckets:
            problems.append(
                f"{where}: data_event_buckets contains the trail's own bucket {self.bucket!r}; "
                "logging data events on it would log the trail's own writes, endlessly"
            )
        if len(self.data_event_buckets) > _MAX_SELECTOR_VALUES - 20:
            problems.append(
                f"{where}: {len(self.data_event_buckets)} data_event_buckets is more than a "
                f"trail's advanced event selectors can hold (about {_MAX_SELECTOR_VALUES - 20})"
            )
        for t in self.sagemaker_data_events:
            if t not in SAGEMAKER_DATA_EVENT_TYPES:
                problems.append(
                    f"{where}: sagemaker_data_events: {t!r} is not one of "
                    f"{list(SAGEMAKER_DATA_EVENT_TYPES)}, the SageMaker data event types "
                    "CloudTrail offers (InvokeEndpoint and InvokeEndpointAsync are recorded by "
                    "none of them)"
                )
        for k, v in self.tags.items():
            if not isinstance(k, str) or not isinstance(v, str) or k == OWNER_TAG:
                problems.append(
                    f"{where}: tag {k!r}={v!r}: tags are strings, and {OWNER_TAG!r} is set by "
                    "secureml"
                )
        if self.lifecycle is not None and not isinstance(self.lifecycle, Lifecycle):
            problems.append(f"{where}: lifecycle must be a Lifecycle, got {self.lifecycle!r}")
        if self.object_lock is not None and not isinstance(self.object_lock, ObjectLock):
            problems.append(f"{where}: object_lock must be an ObjectLock, got {self.object_lock!r}")
        return problems

    # -- identity --------------------------------------------------------------------------

    def describe(self) -> str:
        """One line for plans."""
        return f"CloudTrail trail {self.name} into s3://{self.bucket}"

    def validate(self) -> list[str]:
        """Problems with the input (always empty: the constructor refuses bad input)."""
        return self._problems()

    def trail_arn(self, ctx: AwsContext) -> str:
        """This trail's ARN (home region: the context's region)."""
        return f"arn:{ctx.partition}:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{self.name}"

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
        bucket_arn = f"arn:{partition}:s3:::{self.bucket}"
        service = {"Service": _CLOUDTRAIL}
        return PolicyDocument(
            [
                Statement(
                    sid="AWSCloudTrailAclCheck",
                    principals=service,
                    actions="s3:GetBucketAcl",
                    resources=bucket_arn,
                    conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
                ),
                Statement(
                    sid="AWSCloudTrailWrite",
                    principals=service,
                    actions="s3:PutObject",
                    resources=f"{bucket_arn}/AWSLogs/{account_id}/*",
                    conditions={
                        "StringEquals": {
                            "aws:SourceArn": trail_arn,
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        }
                    },
                ),
                Statement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals="*",
                    actions="s3:*",
                    resources=[bucket_arn, f"{bucket_arn}/*"],
                    conditions={"Bool": {"aws:SecureTransport": "false"}},
                ),
            ]
        )

    def event_selectors(self, partition: str = "aws") -> list[dict[str, Any]]:
        """The trail's advanced event selectors: all management events, plus the data events
        asked for.

        >>> [s["Name"] for s in AuditTrail("t-1", bucket="logs-b").event_selectors()]
        ['Management events']
        """
        selectors: list[dict[str, Any]] = [
            {
                "Name": "Management events",
                "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
            }
        ]
        if self.data_event_buckets:
            selectors.append(
                {
                    "Name": "S3 object-level events on ML data buckets",
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Data"]},
                        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        {
                            "Field": "resources.ARN",
                            "StartsWith": [
                                f"arn:{partition}:s3:::{b}/" for b in self.data_event_buckets
                            ],
                        },
                    ],
                }
            )
        for resource_type in self.sagemaker_data_events:
            selectors.append(
                {
                    "Name": f"SageMaker data events on {resource_type.rsplit(':', 1)[-1]}",
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Data"]},
                        {"Field": "resources.type", "Equals": [resource_type]},
                    ],
                }
            )
        return _canonical_selectors(selectors)

    def _encryption(self) -> State:
        if self.kms_key_arn is None:
            return {"SSEAlgorithm": "AES256"}
        return {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self.kms_key_arn,
                "BucketKeyEnabled": True}

    def desired(self, ctx: AwsContext) -> State:
        """The trail's and the bucket's settings."""
        owner = {OWNER_TAG: ctx.blueprint, **self.tags}
        bucket: State = {
            "Policy": self.bucket_policy(ctx.account_id, self.trail_arn(ctx), ctx.partition)
            .to_dict(),
            "PublicAccessBlock": dict.fromkeys(SETTINGS, True),
            "Encryption": self._encryption(),
            "Versioning": "Enabled",
            "Tags": owner,
        }
        if self.object_lock is not None:
            bucket["ObjectLock"] = self.object_lock.state()
        if self.lifecycle is not None:
            bucket["Lifecycle"] = self.lifecycle.state()
        return {
            "trail": {
                "S3BucketName": self.bucket,
                # The bucket policy allows writes under AWSLogs/ only: no key prefix.
                "S3KeyPrefix": None,
                "IsMultiRegionTrail": True,
                "IncludeGlobalServiceEvents": True,
                "LogFileValidationEnabled": True,
                "KmsKeyId": self.kms_key_arn,
                "IsLogging": True,
                "AdvancedEventSelectors": self.event_selectors(ctx.partition),
                "Tags": dict(owner),
            },
            "bucket": bucket,
        }

    # -- reading ---------------------------------------------------------------------------

    def read(self, ctx: AwsContext) -> Observed | None:
        """The trail and the bucket as they are (``None`` when neither exists)."""
        region = bucket_region(ctx, self.bucket)
        if self.kms_key_arn is not None:
            self.check_kms_key(ctx, bucket_region=region or ctx.region)
        extra: dict[str, Any] = {"bucket_region": region}
        bucket = self._read_bucket(ctx.for_region(region), extra) if region else None
        trail = self._read_trail(ctx, extra)
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

    def _read_trail(self, ctx: AwsContext, extra: dict[str, Any]) -> State | None:
        try:
            trail = ctx.call("cloudtrail", "get_trail", resource=self.key, Name=self.name)["Trail"]
        except ClientError as exc:
            if error_code(exc) == "TrailNotFoundException":
                return None
            raise ctx.wrap_error(self.key, "GetTrail", exc) from exc
        arn = trail["TrailARN"]
        extra["trail_arn"] = arn
        status = ctx.call("cloudtrail", "get_trail_status", resource=self.key, Name=arn)
        selectors = ctx.call("cloudtrail", "get_event_selectors", resource=self.key, TrailName=arn)
        tag_lists = ctx.call(
            "cloudtrail", "list_tags", resource=self.key, ResourceIdList=[arn]
        ).get("ResourceTagList", [])
        tags = {
            t["Key"]: t.get("Value", "")
            for entry in tag_lists
            if entry.get("ResourceId") == arn
            for t in entry.get("TagsList", [])
        }
        extra["trail_owner"] = tags.get(OWNER_TAG)
        advanced = selectors.get("AdvancedEventSelectors") or []
        managed = {OWNER_TAG, *self.tags}
        return {
            "S3BucketName": trail.get("S3BucketName"),
            "S3KeyPrefix": trail.get("S3KeyPrefix") or None,
            "IsMultiRegionTrail": bool(trail.get("IsMultiRegionTrail")),
            "IncludeGlobalServiceEvents": bool(trail.get("IncludeGlobalServiceEvents")),
            "LogFileValidationEnabled": bool(trail.get("LogFileValidationEnabled")),
            "KmsKeyId": trail.get("KmsKeyId") or None,
            "IsLogging": bool(status.get("IsLogging")),
            # None: the trail still uses basic event selectors (AWS's default for a new trail).
            "AdvancedEventSelectors": _canonical_selectors(advanced) if advanced else None,
            "Tags": {k: v for k, v in tags.items() if k in managed},
        }

    def _read_bucket(self, ctx: AwsContext, extra: dict[str, Any]) -> State:
        def get(operation: str, missing: set[str], **kwargs: Any) -> dict[str, Any] | None:
            try:
                return ctx.call("s3", operation, resource=self.key, Bucket=self.bucket, **kwargs)
            except ClientError as exc:
                if error_code(exc) in missing:
                    return None
                if error_code(exc) in ("AccessDenied", "AllAccessDisabled"):
                    raise AWSCallError(
                        self.key,
                        operation,
                        f"bucket {self.bucket!r} exists but cannot be read with this session "
                        f"({error_code(exc)}); if it belongs to another account (bucket names "
                        "are global), choose another bucket name",
                    ) from exc
                raise ctx.wrap_error(self.key, operation, exc) from exc

        state: State = {}
        policy = get("get_bucket_policy", {"NoSuchBucketPolicy"})
        state["Policy"] = _policy_state(policy["Policy"]) if policy else None

        pab = get("get_public_access_block", {"NoSuchPublicAccessBlockConfiguration"})
        config = (pab or {}).get("PublicAccessBlockConfiguration", {})
        state["PublicAccessBlock"] = {k: bool(config.get(k, False)) for k in SETTINGS}

        enc = get("get_bucket_encryption", {"ServerSideEncryptionConfigurationNotFoundError"})
        state["Encryption"] = _encryption_state(enc)

        versioning = get("get_bucket_versioning", set()) or {}
        state["Versioning"] = versioning.get("Status") or "Disabled"

        tagging = get("get_bucket_tagging", {"NoSuchTagSet", "NoSuchTagSetError"}) or {}
        all_tags = {t["Key"]: t["Value"] for t in tagging.get("TagSet", [])}
        extra["bucket_tags_all"] = all_tags
        managed = {OWNER_TAG, *self.tags}
        state["Tags"] = {k: v for k, v in all_tags.items() if k in managed}

        if self.object_lock is not None:
            lock = get("get_object_lock_configuration", {"ObjectLockConfigurationNotFoundError"})
            state["ObjectLock"] = _object_lock_state(lock)
        if self.lifecycle is not None:
            lifecycle = get(
                "get_bucket_lifecycle_configuration", {"NoSuchLifecycleConfiguration"}
            ) or {}
            rules = lifecycle.get("Rules", [])
            ours = [r for r in rules if r.get("ID") == _LIFECYCLE_RULE_ID]
            extra["other_lifecycle_rules"] = [r for r in rules if r.get("ID") != _LIFECYCLE_RULE_ID]
            state["Lifecycle"] = _lifecycle_state(ours[0]) if ours else None
        return state

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

        fresh_policy = False
        if have_bucket is None:
            if self._create_bucket(ctx):
                extra["bucket_region"] = ctx.region
                extra["bucket_tags_all"] = {}
                have_bucket = {}
            else:
                have_bucket = self._existing_bucket(ctx, extra)
        bctx = ctx.for_region(extra.get("bucket_region"))
        fresh_policy = self._converge_bucket(bctx, have_bucket, want_bucket, extra)

        retry_codes = _AFTER_POLICY_WRITE if fresh_policy or not state.get("bucket") else (
            frozenset()
        )
        if have_trail is None:
            self._create_trail(ctx, want_trail, retry_codes)
            have_trail = {
                "S3BucketName": want_trail["S3BucketName"],
                "S3KeyPrefix": None,
                "IsMultiRegionTrail": True,
                "IncludeGlobalServiceEvents": True,
                "LogFileValidationEnabled": True,
                "KmsKeyId": want_trail["KmsKeyId"],
                "IsLogging": False,
                "AdvancedEventSelectors": None,
                "Tags": want_trail["Tags"],
            }
        self._converge_trail(ctx, have_trail, want_trail, retry_codes)

    def _existing_bucket(self, ctx: AwsContext, extra: dict[str, Any]) -> State:
        """The state of a bucket the plan did not see (made since, by an earlier apply
        or by someone else), refused unless it is this blueprint's or adopted: its
        policy, tags and settings are about to be replaced."""
        region = bucket_region(ctx, self.bucket) or ctx.region
        extra["bucket_region"] = region
        state = self._read_bucket(ctx.for_region(region), extra)
        owner = extra["bucket_tags_all"].get(OWNER_TAG)
        if owner != ctx.blueprint and not self.adopt:
            raise OwnershipError(
                f"S3 bucket {self.bucket} of {self.key}",
                f"it appeared after the plan and its {OWNER_TAG} tag is {owner!r}, "
                f"not {ctx.blueprint!r}",
            )
        return state

    def _create_bucket(self, ctx: AwsContext) -> bool:
        """Create the bucket and tag it; ``False`` when it exists already (CreateBucket
        in us-east-1 answers 200 for a bucket the account owns, so look first)."""
        if bucket_region(ctx, self.bucket) is not None:
            return False
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if ctx.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        if self.object_lock is not None:
            kwargs["ObjectLockEnabledForBucket"] = True
        try:
            ctx.call("s3", "create_bucket", resource=self.key, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "BucketAlreadyOwnedByYou":
                return False  # made since the look: the caller checks whose it is
            if error_code(exc) == "BucketAlreadyExists":
                raise AWSCallError(
                    self.key,
                    "CreateBucket",
                    f"bucket name {self.bucket!r} is taken by another AWS account; bucket names "
                    "are global, choose another (e.g. with your account id in it)",
                ) from exc
            raise ctx.wrap_error(self.key, "CreateBucket", exc) from exc
        # Tag at once: if this apply dies now, the next one still knows the bucket is ours.
        self._call(ctx, "s3", "put_bucket_tagging", Bucket=self.bucket,
                   Tagging={"TagSet": [{"Key": OWNER_TAG, "Value": ctx.blueprint}]})
        return True

    def _converge_bucket(
        self, ctx: AwsContext, have: State, want: State, extra: Mapping[str, Any]
    ) -> bool:
        """Bring the bucket to ``want``; return whether its policy was (re)written."""
        b = self.bucket
        if have.get("Tags") != want["Tags"]:
            tags = {**extra.get("bucket_tags_all", {}), **want["Tags"]}
            tag_set = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            self._call(ctx, "s3", "put_bucket_tagging", Bucket=b, Tagging={"TagSet": tag_set})
        if have.get("PublicAccessBlock") != want["PublicAccessBlock"]:
            self._call(ctx, "s3", "put_public_access_block", Bucket=b,
                       PublicAccessBlockConfiguration=want["PublicAccessBlock"])
        if have.get("Encryption") != want["Encryption"]:
            enc = want["Encryption"]
            default = {k: v for k, v in enc.items() if k != "BucketKeyEnabled"}
            rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
            if "BucketKeyEnabled" in enc:
                rule["BucketKeyEnabled"] = enc["BucketKeyEnabled"]
            self._call(ctx, "s3", "put_bucket_encryption", Bucket=b,
                       ServerSideEncryptionConfiguration={"Rules": [rule]})
        if have.get("Versioning") != want["Versioning"]:
            self._call(ctx, "s3", "put_bucket_versioning", Bucket=b,
                       VersioningConfiguration={"Status": "Enabled"})
        if "ObjectLock" in want and have.get("ObjectLock") != want["ObjectLock"]:
            lock = want["ObjectLock"]
            self._call(ctx, "s3", "put_object_lock_configuration", Bucket=b,
                       ObjectLockConfiguration={
                           "ObjectLockEnabled": "Enabled",
                           "Rule": {"DefaultRetention": {"Mode": lock["Mode"],
                                                         "Days": lock["Days"]}},
                       })
        if (
            "Lifecycle" in want
            and self.lifecycle is not None
            and have.get("Lifecycle") != want["Lifecycle"]
        ):
            rules = [*extra.get("other_lifecycle_rules", []), self.lifecycle.rule()]
            self._call(ctx, "s3", "put_bucket_lifecycle_configuration", Bucket=b,
                       LifecycleConfiguration={"Rules": rules})
        if have.get("Policy") != want["Policy"]:
            self._call(ctx, "s3", "put_bucket_policy", Bucket=b,
                       Policy=json.dumps(want["Policy"], sort_keys=True))
            return True
        return False

    def _create_trail(self, ctx: AwsContext, want: State, retry_codes: frozenset[str]) -> None:
        kwargs: dict[str, Any] = {
            "Name": self.name,
            "S3BucketName": self.bucket,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "EnableLogFileValidation": True,
            "TagsList": [{"Key": k, "Value": v} for k, v in sorted(want["Tags"].items())],
        }
        if want["KmsKeyId"]:
            kwargs["KmsKeyId"] = want["KmsKeyId"]
        self._call(ctx, "cloudtrail", "create_trail", extra_codes=retry_codes, **kwargs)

    def _converge_trail(
        self, ctx: AwsContext, have: State, want: State, retry_codes: frozenset[str]
    ) -> None:
        settings = ("S3BucketName", "S3KeyPrefix", "IsMultiRegionTrail",
                    "IncludeGlobalServiceEvents", "LogFileValidationEnabled", "KmsKeyId")
        if any(have.get(k) != want[k] for k in settings):
            self._call(
                ctx, "cloudtrail", "update_trail", extra_codes=retry_codes,
                Name=self.name,
                S3BucketName=self.bucket,
                S3KeyPrefix="",
                IsMultiRegionTrail=True,
                IncludeGlobalServiceEvents=True,
                EnableLogFileValidation=True,
                # An empty KmsKeyId turns SSE-KMS of the log files off again.
                KmsKeyId=want["KmsKeyId"] or "",
            )
        if have.get("Tags") != want["Tags"]:
            changed = {k: v for k, v in want["Tags"].items() if have.get("Tags", {}).get(k) != v}
            self._call(ctx, "cloudtrail", "add_tags", ResourceId=self.trail_arn(ctx),
                       TagsList=[{"Key": k, "Value": v} for k, v in sorted(changed.items())])
        if have.get("AdvancedEventSelectors") != want["AdvancedEventSelectors"]:
            self._call(ctx, "cloudtrail", "put_event_selectors", TrailName=self.name,
                       AdvancedEventSelectors=want["AdvancedEventSelectors"])
        if not have.get("IsLogging"):
            self._call(ctx, "cloudtrail", "start_logging", Name=self.name)

    def _call(
        self,
        ctx: AwsContext,
        service: str,
        operation: str,
        *,
        extra_codes: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> dict[str, Any]:
        try:
            return ctx.call(service, operation, resource=self.key, extra_codes=extra_codes,
                            **kwargs)
        except ClientError as exc:
            api = "".join(part.title() for part in operation.split("_"))
            raise ctx.wrap_error(self.key, api, exc) from exc

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete the trail; keep the bucket and its logs (audit evidence)."""
        if observed.state.get("trail") is not None:
            try:
                # By name: the trail's home region is this context's region.
                ctx.call("cloudtrail", "delete_trail", resource=self.key, Name=self.name)
            except ClientError as exc:
                if error_code(exc) != "TrailNotFoundException":
                    raise ctx.wrap_error(self.key, "DeleteTrail", exc) from exc
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


def _policy_state(text: str) -> State | dict[str, str]:
    try:
        return PolicyDocument.from_json(text).to_dict()
    except (ValidationError, ValueError):
        # Not a document secureml can model: show it as it is; the plan replaces it.
        return {"unparsed": text}


def _encryption_state(response: Mapping[str, Any] | None) -> State | None:
    if not response:
        return None
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    if not rules:
        return None
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    state: State = {"SSEAlgorithm": default.get("SSEAlgorithm")}
    if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse"):
        state["KMSMasterKeyID"] = default.get("KMSMasterKeyID")
        state["BucketKeyEnabled"] = bool(rules[0].get("BucketKeyEnabled"))
    return state


def _object_lock_state(response: Mapping[str, Any] | None) -> State:
    config = (response or {}).get("ObjectLockConfiguration", {})
    retention = config.get("Rule", {}).get("DefaultRetention", {})
    return {
        "Enabled": config.get("ObjectLockEnabled") == "Enabled",
        "Mode": retention.get("Mode"),
        "Days": retention.get("Days"),
    }


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
