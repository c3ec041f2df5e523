"""The audit trail's CloudTrail trail: its settings, event selectors and logging.

:class:`Trail` is one of the two parts of :class:`~secureml.AuditTrail` (the
other is the log bucket, in ``_audit_bucket.py``). A ``CreateTrail`` whose
answer was lost and that is sent again gets ``TrailAlreadyExistsException``
from AWS: the trail is then read and taken as made by this apply only when its
owner tag (sent with ``CreateTrail``, so set atomically) names this blueprint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from botocore.exceptions import ClientError

from secureml._convert import frozen_tags
from secureml.aws import AwsContext, error_code
from secureml.errors import OwnershipError
from secureml.resources._base import OWNER_TAG, State

__all__ = ["SAGEMAKER_DATA_EVENT_TYPES", "Trail", "canonical_selectors"]

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

_SETTINGS = ("S3BucketName", "S3KeyPrefix", "IsMultiRegionTrail",
             "IncludeGlobalServiceEvents", "LogFileValidationEnabled", "KmsKeyId")


def canonical_selectors(selectors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
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
class Trail:
    """The trail part of an :class:`~secureml.AuditTrail` (``owner`` is its key,
    named in errors and call descriptions)."""

    name: str
    bucket: str
    owner: str
    kms_key_arn: str | None = None
    data_event_buckets: tuple[str, ...] = ()
    sagemaker_data_events: tuple[str, ...] = ()
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_tags)

    @property
    def label(self) -> str:
        """How errors name the trail."""
        return f"CloudTrail trail {self.name} ({self.owner})"

    def arn(self, ctx: AwsContext) -> str:
        """The trail's ARN (home region: the context's region)."""
        return f"arn:{ctx.partition}:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{self.name}"

    def event_selectors(self, partition: str = "aws") -> list[dict[str, Any]]:
        """All management events, plus the data events asked for."""
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
        return canonical_selectors(selectors)

    def desired(self, ctx: AwsContext) -> State:
        """The trail's settings."""
        return {
            "S3BucketName": self.bucket,
            # The bucket policy allows writes under AWSLogs/ only: no key prefix.
            "S3KeyPrefix": None,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "LogFileValidationEnabled": True,
            "KmsKeyId": self.kms_key_arn,
            "IsLogging": True,
            "AdvancedEventSelectors": self.event_selectors(ctx.partition),
            "Tags": {OWNER_TAG: ctx.blueprint, **self.tags},
        }

    def read(self, ctx: AwsContext, extra: dict[str, Any]) -> State | None:
        """The trail's settings, or ``None`` when there is none of this name; its owner
        tag goes to ``extra["trail_owner"]``."""
        try:
            trail = ctx.call("cloudtrail", "get_trail", resource=self.owner,
                             Name=self.name)["Trail"]
        except ClientError as exc:
            if error_code(exc) == "TrailNotFoundException":
                return None
            raise ctx.wrap_error(self.owner, "GetTrail", exc) from exc
        arn = trail["TrailARN"]
        extra["trail_arn"] = arn
        status = ctx.call("cloudtrail", "get_trail_status", resource=self.owner, Name=arn)
        selectors = ctx.call("cloudtrail", "get_event_selectors", resource=self.owner,
                             TrailName=arn)
        tag_lists = ctx.call(
            "cloudtrail", "list_tags", resource=self.owner, ResourceIdList=[arn]
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
            "AdvancedEventSelectors": canonical_selectors(advanced) if advanced else None,
            "Tags": {k: v for k, v in tags.items() if k in managed},
        }

    def create(
        self, ctx: AwsContext, want: State, retry_codes: frozenset[str], *, adopt: bool
    ) -> State:
        """Create the trail (tagged in the same call) and return its state as created.

        ``TrailAlreadyExistsException`` (a create whose answer was lost, sent again;
        or a trail made since the plan) reads the trail instead: it is used when its
        owner tag names this blueprint, or with ``adopt``, and refused otherwise."""
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
        try:
            ctx.call("cloudtrail", "create_trail", resource=self.owner, extra_codes=retry_codes,
                     **kwargs)
        except ClientError as exc:
            if error_code(exc) != "TrailAlreadyExistsException":
                raise ctx.wrap_error(self.owner, "CreateTrail", exc) from exc
            extra: dict[str, Any] = {}
            found = self.read(ctx, extra)
            if found is None:  # deleted again meanwhile: report the refusal as it came
                raise ctx.wrap_error(self.owner, "CreateTrail", exc) from exc
            owner = extra.get("trail_owner")
            if owner != ctx.blueprint and not adopt:
                raise OwnershipError(
                    self.label,
                    f"CreateTrail found it already there and its {OWNER_TAG} tag is {owner!r}, "
                    f"not {ctx.blueprint!r}",
                ) from exc
            log.info("%s: already exists (an earlier CreateTrail was carried out); "
                     "bringing it up to date", self.label)
            return found
        return {
            "S3BucketName": want["S3BucketName"],
            "S3KeyPrefix": None,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "LogFileValidationEnabled": True,
            "KmsKeyId": want["KmsKeyId"],
            "IsLogging": False,
            "AdvancedEventSelectors": None,
            "Tags": want["Tags"],
        }

    def converge(
        self, ctx: AwsContext, have: State, want: State, retry_codes: frozenset[str]
    ) -> None:
        """Repair every setting of the trail that differs, then start logging."""
        if any(have.get(k) != want[k] for k in _SETTINGS):
            self.call(
                ctx, "update_trail", extra_codes=retry_codes,
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
            self.call(ctx, "add_tags", ResourceId=self.arn(ctx),
                      TagsList=[{"Key": k, "Value": v} for k, v in sorted(changed.items())])
        if have.get("AdvancedEventSelectors") != want["AdvancedEventSelectors"]:
            self.call(ctx, "put_event_selectors", TrailName=self.name,
                      AdvancedEventSelectors=want["AdvancedEventSelectors"])
        if not have.get("IsLogging"):
            self.call(ctx, "start_logging", Name=self.name)

    def delete(self, ctx: AwsContext) -> None:
        """Delete the trail (by name: its home region is this context's region)."""
        try:
            ctx.call("cloudtrail", "delete_trail", resource=self.owner, Name=self.name)
        except ClientError as exc:
            if error_code(exc) != "TrailNotFoundException":
                raise ctx.wrap_error(self.owner, "DeleteTrail", exc) from exc

    def call(
        self, ctx: AwsContext, operation: str, *, extra_codes: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """``operation`` on CloudTrail, its errors as :class:`~secureml.AWSCallError`."""
        try:
            return ctx.call("cloudtrail", operation, resource=self.owner,
                            extra_codes=extra_codes, **kwargs)
        except ClientError as exc:
            api = "".join(part.title() for part in operation.split("_"))
            raise ctx.wrap_error(self.owner, api, exc) from exc
