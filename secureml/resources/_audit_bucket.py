"""The audit trail's log bucket: a hardened S3 bucket CloudTrail may write to.

:class:`LogBucket` is one of the two parts of :class:`~secureml.AuditTrail`
(the other is the trail, in ``_audit_trail.py``): it knows the bucket's
desired settings, reads them, creates the bucket and repairs every setting
that differs. :class:`Lifecycle` and :class:`ObjectLock` are its options.

Ownership survives a crash at creation: the owner tag is sent with
``CreateBucket`` (``CreateBucketConfiguration.Tags``), so a bucket never
exists untagged. A caller without ``s3:TagResource`` (which tags on create
need) falls back to tagging right after the create, as Terraform's AWS
provider does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from botocore.exceptions import ClientError

from secureml._convert import frozen_tags
from secureml._validation import Checked
from secureml.aws import AwsContext, error_code
from secureml.errors import OwnershipError, Problem, ValidationError
from secureml.policy import PolicyDocument, Statement
from secureml.resources._base import OWNER_TAG, State
from secureml.resources._public_access import SETTINGS, bucket_region

__all__ = ["STORAGE_CLASSES", "Lifecycle", "LogBucket", "ObjectLock"]

log = logging.getLogger("secureml.resources.audit")

LIFECYCLE_RULE_ID = "secureml-audit-log-retention"
STORAGE_CLASSES = ("GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "ONEZONE_IA",
                   "INTELLIGENT_TIERING")
"""The storage classes a :class:`Lifecycle` may move logs to."""
CLOUDTRAIL = "cloudtrail.amazonaws.com"
# Without s3:TagResource, CreateBucket with tags is refused: create, then tag.
_NO_TAGS_ON_CREATE = frozenset({"AccessDenied", "NotImplemented", "InvalidArgument"})


def _problem(cls: str, field: str, value: object, detail: str) -> Problem:
    """A problem of ``cls``'s ``field``, its message labelled ``cls.field``."""
    return Problem(field, value, f"{cls}.{field}: {detail}", detail=detail)


@attrs.frozen
class Lifecycle(Checked):
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

    def problems(self) -> list[Problem]:
        """Problems with the values given (empty when valid)."""
        problems = []
        for field in ("expiration_days", "transition_days"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                problems.append(_problem(
                    "Lifecycle", field, value, f"{value!r} is not a whole number of days >= 1"
                ))
        if self.expiration_days is None and self.transition_days is None:
            problems.append(Problem(
                "expiration_days", None, "Lifecycle: give expiration_days, transition_days or both"
            ))
        if self.storage_class not in STORAGE_CLASSES:
            problems.append(_problem(
                "Lifecycle", "storage_class", self.storage_class,
                f"{self.storage_class!r} is not one of {list(STORAGE_CLASSES)}",
            ))
        if (
            not problems
            and self.expiration_days is not None
            and self.transition_days is not None
            and self.transition_days >= self.expiration_days
        ):
            problems.append(Problem(
                "transition_days", self.transition_days,
                f"Lifecycle: transition_days ({self.transition_days}) must be less than "
                f"expiration_days ({self.expiration_days})",
            ))
        return problems

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
            "ID": LIFECYCLE_RULE_ID,
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


@attrs.frozen
class ObjectLock(Checked):
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

    def problems(self) -> list[Problem]:
        """Problems with the values given (empty when valid)."""
        problems = []
        if not isinstance(self.days, int) or isinstance(self.days, bool) or not (
            1 <= self.days <= 36500
        ):
            problems.append(_problem(
                "ObjectLock", "days", self.days,
                f"{self.days!r} is not a whole number from 1 to 36500",
            ))
        if self.mode not in ("GOVERNANCE", "COMPLIANCE"):
            problems.append(_problem(
                "ObjectLock", "mode", self.mode,
                f"{self.mode!r} is not 'GOVERNANCE' or 'COMPLIANCE'",
            ))
        return problems

    def state(self) -> State:
        """The canonical state compared in plans."""
        return {"Enabled": True, "Mode": self.mode, "Days": self.days}


def _lifecycle_state(rule: Mapping[str, Any]) -> State:
    transitions = rule.get("Transitions") or [{}]
    return {
        "ExpirationDays": (rule.get("Expiration") or {}).get("Days"),
        "TransitionDays": transitions[0].get("Days"),
        "StorageClass": transitions[0].get("StorageClass"),
    }


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


@attrs.frozen
class LogBucket:
    """The log bucket part of an :class:`~secureml.AuditTrail` (``owner`` is the
    trail's key, named in errors and call descriptions)."""

    name: str
    owner: str
    kms_key_arn: str | None = None
    lifecycle: Lifecycle | None = None
    object_lock: ObjectLock | None = None
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags)

    @property
    def label(self) -> str:
        """How errors name the bucket: ``S3 bucket <name> (the log bucket of <trail>)``."""
        return f"S3 bucket {self.name} (the log bucket of {self.owner})"

    # -- desired state -------------------------------------------------------------------

    def policy(self, account_id: str, trail_arn: str, partition: str = "aws") -> PolicyDocument:
        """The bucket policy AWS documents for a CloudTrail bucket, plus a TLS-only deny."""
        bucket_arn = f"arn:{partition}:s3:::{self.name}"
        service = {"Service": CLOUDTRAIL}
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

    def _encryption(self) -> State:
        if self.kms_key_arn is None:
            return {"SSEAlgorithm": "AES256"}
        return {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self.kms_key_arn,
                "BucketKeyEnabled": True}

    def desired(self, ctx: AwsContext, trail_arn: str) -> State:
        """The bucket's settings, its policy naming ``trail_arn``."""
        state: State = {
            "Policy": self.policy(ctx.account_id, trail_arn, ctx.partition).to_dict(),
            "PublicAccessBlock": dict.fromkeys(SETTINGS, True),
            "Encryption": self._encryption(),
            "Versioning": "Enabled",
            "Tags": {OWNER_TAG: ctx.blueprint, **self.tags},
        }
        if self.object_lock is not None:
            state["ObjectLock"] = self.object_lock.state()
        if self.lifecycle is not None:
            state["Lifecycle"] = self.lifecycle.state()
        return state

    # -- reading -------------------------------------------------------------------------

    def read(self, ctx: AwsContext, extra: dict[str, Any]) -> State:
        """The bucket's settings (``ctx`` in the bucket's region); every tag, and the
        lifecycle rules that are not secureml's, go to ``extra``."""
        def get(operation: str, missing: set[str], **kwargs: Any) -> dict[str, Any] | None:
            try:
                return ctx.call("s3", operation, resource=self.owner, Bucket=self.name, **kwargs)
            except ClientError as exc:
                if error_code(exc) in missing:
                    return None
                hint = (
                    f"bucket {self.name!r} exists but cannot be read with this session; if it "
                    "belongs to another account (bucket names are global), choose another "
                    "bucket name"
                    if error_code(exc) in ("AccessDenied", "AllAccessDisabled")
                    else ""
                )
                raise ctx.wrap_error(self.owner, operation, exc, hint=hint) from exc

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
            ours = [r for r in rules if r.get("ID") == LIFECYCLE_RULE_ID]
            extra["other_lifecycle_rules"] = [r for r in rules if r.get("ID") != LIFECYCLE_RULE_ID]
            state["Lifecycle"] = _lifecycle_state(ours[0]) if ours else None
        return state

    def existing(self, ctx: AwsContext, extra: dict[str, Any], *, adopt: bool) -> State:
        """The state of a bucket the plan did not see (made since, by an earlier apply
        or by someone else), refused unless it is this blueprint's or adopted: its
        policy, tags and settings are about to be replaced."""
        region = bucket_region(ctx, self.name) or ctx.region
        extra["bucket_region"] = region
        state = self.read(ctx.for_region(region), extra)
        owner = extra["bucket_tags_all"].get(OWNER_TAG)
        if owner != ctx.blueprint and not adopt:
            raise OwnershipError(
                self.label,
                f"it appeared after the plan and its {OWNER_TAG} tag is {owner!r}, "
                f"not {ctx.blueprint!r}",
            )
        return state

    # -- changing ------------------------------------------------------------------------

    def create(self, ctx: AwsContext, tags: Mapping[str, str]) -> bool:
        """Create the bucket with ``tags`` (the owner tag among them); ``False`` when it
        exists already (CreateBucket in us-east-1 answers 200 for a bucket the account
        owns, so look first)."""
        if bucket_region(ctx, self.name) is not None:
            return False
        config: dict[str, Any] = {}
        if ctx.region != "us-east-1":
            config["LocationConstraint"] = ctx.region
        kwargs: dict[str, Any] = {"Bucket": self.name}
        if self.object_lock is not None:
            kwargs["ObjectLockEnabledForBucket"] = True
        tag_set = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        try:
            # Tagged in the same call: a crash right after it leaves a bucket that is ours.
            self._create(ctx, {**kwargs, "CreateBucketConfiguration": {**config, "Tags": tag_set}})
        except _ExistsError:
            return False
        except ClientError as exc:
            if error_code(exc) not in _NO_TAGS_ON_CREATE:
                raise ctx.wrap_error(self.owner, "CreateBucket", exc) from exc
            log.info("%s: CreateBucket with tags refused (%s); creating, then tagging",
                     self.label, error_code(exc))
            try:
                self._create(ctx, {**kwargs, **({"CreateBucketConfiguration": config}
                                                if config else {})})
            except _ExistsError:
                return False
            except ClientError as again:
                raise ctx.wrap_error(self.owner, "CreateBucket", again) from again
            # Tag at once: if this apply dies now, the next one still knows the bucket is ours.
            self.call(ctx, "put_bucket_tagging", Tagging={"TagSet": tag_set})
        return True

    def _create(self, ctx: AwsContext, kwargs: dict[str, Any]) -> None:
        try:
            ctx.call("s3", "create_bucket", resource=self.owner, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "BucketAlreadyOwnedByYou":
                raise _ExistsError from exc  # made since the look: the caller checks whose it is
            if error_code(exc) == "BucketAlreadyExists":
                raise ctx.wrap_error(
                    self.owner,
                    "CreateBucket",
                    exc,
                    hint=f"bucket name {self.name!r} is taken by another AWS account; bucket "
                    "names are global, choose another (e.g. with your account id in it)",
                ) from exc
            raise

    def converge(
        self, ctx: AwsContext, have: State, want: State, extra: Mapping[str, Any]
    ) -> bool:
        """Bring the bucket to ``want``; return whether its policy was (re)written."""
        if have.get("Tags") != want["Tags"]:
            tags = {**extra.get("bucket_tags_all", {}), **want["Tags"]}
            tag_set = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            self.call(ctx, "put_bucket_tagging", Tagging={"TagSet": tag_set})
        if have.get("PublicAccessBlock") != want["PublicAccessBlock"]:
            self.call(ctx, "put_public_access_block",
                      PublicAccessBlockConfiguration=want["PublicAccessBlock"])
        if have.get("Encryption") != want["Encryption"]:
            enc = want["Encryption"]
            default = {k: v for k, v in enc.items() if k != "BucketKeyEnabled"}
            rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
            if "BucketKeyEnabled" in enc:
                rule["BucketKeyEnabled"] = enc["BucketKeyEnabled"]
            self.call(ctx, "put_bucket_encryption",
                      ServerSideEncryptionConfiguration={"Rules": [rule]})
        if have.get("Versioning") != want["Versioning"]:
            self.call(ctx, "put_bucket_versioning", VersioningConfiguration={"Status": "Enabled"})
        if "ObjectLock" in want and have.get("ObjectLock") != want["ObjectLock"]:
            lock = want["ObjectLock"]
            self.call(ctx, "put_object_lock_configuration",
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
            self.call(ctx, "put_bucket_lifecycle_configuration",
                      LifecycleConfiguration={"Rules": rules})
        if have.get("Policy") != want["Policy"]:
            self.call(ctx, "put_bucket_policy", Policy=json.dumps(want["Policy"], sort_keys=True))
            return True
        return False

    def call(self, ctx: AwsContext, operation: str, **kwargs: Any) -> dict[str, Any]:
        """``operation`` on this bucket, its errors as :class:`~secureml.AWSCallError`."""
        try:
            return ctx.call("s3", operation, resource=self.owner, Bucket=self.name, **kwargs)
        except ClientError as exc:
            api = "".join(part.title() for part in operation.split("_"))
            raise ctx.wrap_error(self.owner, api, exc) from exc


class _ExistsError(Exception):
    """CreateBucket found the bucket already the account's."""
