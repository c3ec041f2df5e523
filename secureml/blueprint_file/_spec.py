"""The blueprint file format, as typed attrs classes.

These classes are the single description of what a blueprint file may
contain: cattrs structures a parsed document into them (refusing unknown keys
and wrong types) and the JSON Schema is generated from them, so the two can
never disagree. They hold the file's words; ``_build`` turns them into the
Python API's objects (personas, roles, permission sets...).

Each field's ``metadata["doc"]`` is its description in the schema and the
docs; ``metadata["schema"]`` adds JSON Schema keywords (patterns, ranges).
"""

# ruff: noqa: RUF009 - every field is an attrs.field made by _field/_factory (they add
# the schema metadata); ruff takes those calls for shared mutable defaults.

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NewType

import attrs

from secureml._validation import BLUEPRINT_NAME, IAM_NAME, INSTANCE_TYPE, KMS_KEY_ARN
from secureml.policy import PersonaKind
from secureml.resources import SAGEMAKER_DATA_EVENT_TYPES, STORAGE_CLASSES
from secureml.settings import SECURITY_GROUP_ID, SUBNET_ID

__all__ = [
    "SPEC_CLASSES",
    "AccessControlAttributesSpec",
    "AccountId",
    "ActivitySpec",
    "AssignmentSpec",
    "AuditTrailSpec",
    "BlueprintSpec",
    "BucketPublicAccessSpec",
    "EncryptionSpec",
    "GuardrailsSpec",
    "IdentityCenterSpec",
    "LifecycleSpec",
    "NetworkSpec",
    "ObjectLockSpec",
    "PermissionSetSpec",
    "PersonaSpec",
    "PublicAccessBlockSpec",
    "RoleSpec",
    "ScopeSpec",
    "SettingsSpec",
]

AccountId = NewType("AccountId", str)
"""A 12-digit AWS account id (a 12-digit YAML number is accepted too)."""

PersonaKindName = PersonaKind

_DURATION = r"^PT(?:\d+H)?(?:\d+M)?$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d+$"


def _field(doc: str, default: Any = attrs.NOTHING, **schema: Any) -> Any:
    if isinstance(default, (list, dict)):
        raise TypeError("use a tuple or a factory for mutable defaults")
    return attrs.field(default=default, metadata={"doc": doc, "schema": schema})


def _factory(doc: str, factory: Any, **schema: Any) -> Any:
    return attrs.field(factory=factory, metadata={"doc": doc, "schema": schema})


@attrs.frozen
class NetworkSpec:
    """The VPC SageMaker jobs, models and apps must run in (subnets and security
    groups together)."""

    subnets: tuple[str, ...] = _field(
        "Subnet ids (subnet-...) every VPC-capable create action must use.",
        minItems=1,
        items_pattern=SUBNET_ID.pattern,
    )
    security_groups: tuple[str, ...] = _field(
        "Security group ids (sg-...) every VPC-capable create action must use.",
        minItems=1,
        items_pattern=SECURITY_GROUP_ID.pattern,
    )


@attrs.frozen
class EncryptionSpec:
    """The KMS keys SageMaker must encrypt volumes and output with (key ARNs)."""

    volume_kms_key: str | None = _field(
        "KMS key ARN for storage volumes (sagemaker:VolumeKmsKeyArn).",
        None,
        pattern=KMS_KEY_ARN,
    )
    output_kms_key: str | None = _field(
        "KMS key ARN for job output (sagemaker:OutputKmsKeyArn).",
        None,
        pattern=KMS_KEY_ARN,
    )


@attrs.frozen
class GuardrailsSpec:
    """Stricter guard-rails that Role Manager lacked, off unless asked for."""

    network_isolation: bool = _field(
        "Jobs and models must run with network isolation.", False
    )
    inter_container_traffic_encryption: bool = _field(
        "Distributed training must encrypt traffic between containers.", False
    )
    instance_types: tuple[str, ...] = _field(
        "Instance types jobs, endpoints and apps may use, e.g. ml.m5.* or ml.g5.xlarge.",
        (),
        items_pattern=INSTANCE_TYPE,
    )


@attrs.frozen
class ScopeSpec:
    """The team a persona is confined to in a shared account: a name prefix, tags,
    or both (see the docs page "Several teams in one account")."""

    name_prefix: str | None = _field(
        "Every SageMaker resource the persona creates or acts on is named with this "
        "prefix (lowercase, e.g. team-a-).",
        None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
    )
    tags: dict[str, str] = _factory(
        "Tags every create must carry and every existing resource must have, e.g. "
        "{team: team-a}.",
        dict,
    )
    principal_tags: dict[str, str] = _factory(
        "Tags whose value is the caller's own tag: {team: team} requires the resource's "
        "team tag to equal ${aws:PrincipalTag/team}.",
        dict,
    )


@attrs.frozen
class SettingsSpec:
    """Guard-rails given to every persona that does not set its own."""

    network: NetworkSpec | None = _field("VPC settings for every persona.", None)
    encryption: EncryptionSpec | None = _field("KMS settings for every persona.", None)
    guardrails: GuardrailsSpec | None = _field("Stricter guard-rails for every persona.", None)
    scope: ScopeSpec | None = _field("The team scope of every persona.", None)


@attrs.frozen
class ActivitySpec:
    """One activity to add: its name and its own inputs.

    Written as a mapping ``{activity: NAME, INPUT: VALUE...}`` or, for an
    activity without inputs, as just its name.
    """

    activity: str
    inputs: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class RoleSpec:
    """Deploy the persona as an IAM role (the execution role of SageMaker)."""

    name: str | None = _field(
        "Role name (default: the persona's name).", None, maxLength=64, minLength=1
    )
    path: str = _field("IAM path of the role.", "/", pattern=r"^/(?:[\x21-\x7e]*/)?$")
    adopt: bool = _field(
        "Take over an existing role of the same name that this blueprint did not create.",
        False,
    )


@attrs.frozen
class PermissionSetSpec:
    """Deploy the persona as an IAM Identity Center permission set."""

    name: str | None = _field(
        "Permission set name (default: the persona's name; at most 32 characters).",
        None,
        maxLength=32,
        minLength=1,
    )
    session_duration: str = _field(
        "How long a sign-in session lasts, PT1H to PT12H.", "PT1H", pattern=_DURATION
    )
    description: str | None = _field(
        "Description (default: the persona's).", None, maxLength=700
    )
    relay_state: str | None = _field(
        "URL users land on after signing in, e.g. the SageMaker Studio console.", None
    )
    managed_policies: tuple[str, ...] = _field(
        "ARNs of AWS managed policies attached to the permission set too "
        "(arn:aws:iam::aws:policy/...).",
        (),
    )
    customer_managed_policies: tuple[str, ...] = _field(
        "Customer managed policies attached by reference: their name, path/name or ARN "
        "(each must exist in every account the permission set is assigned to).",
        (),
    )
    permissions_boundary: str | None = _field(
        "ARN of the managed policy used as the permissions boundary (default: the "
        "persona's).",
        None,
    )
    tags: dict[str, str] = _factory(
        "Tags on the permission set, beside the persona's.", dict
    )
    adopt: bool = _field(
        "Take over an existing permission set of the same name that this blueprint did "
        "not create.",
        False,
    )


@attrs.frozen
class PersonaSpec:
    """A persona: Role Manager's defaults for its kind, adjusted."""

    name: str = _field(
        "The persona's name, and by default its role's and permission set's.",
        minLength=1,
        maxLength=64,
        pattern=IAM_NAME.pattern,
    )
    kind: PersonaKindName = _field("Which Role Manager persona to start from.")
    description: str | None = _field("What the persona is for.", None)
    buckets: tuple[str, ...] = _field(
        "S3 buckets of the persona's data (DataScientist and Compute).", ()
    )
    ecr_repositories: tuple[str, ...] = _field(
        "ECR repositories (names, team-a/* wildcards, or ARNs) the persona pulls "
        "images from (Compute and Inference).",
        (),
    )
    model_buckets: tuple[str, ...] = _field(
        "S3 buckets the persona reads model artifacts from (Inference).", ()
    )
    pass_roles: tuple[str, ...] = _field(
        "Roles the persona may pass to SageMaker: names of personas in this file "
        "(deployed as roles) or role ARNs.",
        (),
    )
    workgroups: tuple[str, ...] = _field(
        "Athena workgroups for Query Athena Workgroups, when added (DataScientist and "
        "Compute).",
        (),
    )
    glue_databases: tuple[str, ...] = _field(
        "Glue databases for Manage AWS Glue Tables, when added (DataScientist and Compute).",
        (),
    )
    activities: tuple[ActivitySpec, ...] | None = _field(
        "The persona's activities, replacing the kind's defaults.", None
    )
    add_activities: tuple[ActivitySpec, ...] = _field(
        "Activities added to the defaults (with their inputs).", ()
    )
    remove_activities: tuple[str, ...] = _field(
        "Activities removed from the defaults, by name.", ()
    )
    managed_policies: tuple[str, ...] = _field(
        "ARNs of AWS or customer managed policies attached too.", ()
    )
    permissions_boundary: str | None = _field(
        "ARN of the managed policy used as the role's permissions boundary.", None
    )
    tags: dict[str, str] = _factory("Tags on the persona's role and permission set.", dict)
    max_session_duration: str | None = _field(
        "Maximum session duration of the role, PT1H to PT12H.", None, pattern=_DURATION
    )
    network: NetworkSpec | None = _field(
        "VPC settings, replacing settings.network (null: none for this persona).", None
    )
    encryption: EncryptionSpec | None = _field(
        "KMS settings, replacing settings.encryption (null: none for this persona).", None
    )
    guardrails: GuardrailsSpec | None = _field(
        "Guard-rails, replacing settings.guardrails (null: none for this persona).", None
    )
    scope: ScopeSpec | None = _field(
        "Team scope, replacing settings.scope (null: none for this persona).", None
    )
    role: RoleSpec | None = _field("Deploy the persona as an IAM role ({} for defaults).", None)
    permission_set: PermissionSetSpec | None = _field(
        "Deploy the persona as an Identity Center permission set ({} for defaults).", None
    )


@attrs.frozen
class AssignmentSpec:
    """Give a group or a user a permission set in some accounts."""

    permission_set: str = _field(
        "Name of a permission set of this file (a persona with permission_set)."
    )
    accounts: tuple[AccountId, ...] = _field("12-digit account ids, as strings.", ())
    organizational_units: tuple[str, ...] = _field(
        "Organizational units (ou-...) or the root (r-...): their ACTIVE accounts.", ()
    )
    group: str | None = _field(
        "Identity Center group, by display name (or group id).", None, minLength=1
    )
    user: str | None = _field("Identity Center user, by user name (or user id).", None, minLength=1)


@attrs.frozen
class AccessControlAttributesSpec:
    """IAM Identity Center's attributes for access control: the session tags
    (``aws:PrincipalTag/KEY``) people carry into every account they sign in to,
    each taken from an attribute of their identity."""

    attributes: dict[str, str] = _field(
        "Session tag key -> its identity source, e.g. {team: "
        "'${path:enterprise.department}'}; what scope.principal_tags matches.",
        minProperties=1,
    )
    adopt: bool = _field(
        "Take over an instance configuration that this blueprint did not create.", False
    )


@attrs.frozen
class BucketPublicAccessSpec:
    """One bucket's own Block Public Access settings; a setting left out takes
    the value of ``public_access_block``."""

    bucket: str = _field("The bucket.", minLength=3)
    block_public_acls: bool | None = _field("Refuse new public ACLs on this bucket.", None)
    ignore_public_acls: bool | None = _field("Ignore existing public ACLs.", None)
    block_public_policy: bool | None = _field(
        "Refuse bucket policies that grant public access.", None
    )
    restrict_public_buckets: bool | None = _field(
        "Limit a public bucket policy to AWS services and the bucket owner's account.", None
    )


@attrs.frozen
class PublicAccessBlockSpec:
    """S3 Block Public Access: the account's setting and buckets' settings."""

    account: bool = _field(
        "Block public access for the whole account (no bucket can be public).", False
    )
    buckets: tuple[str, ...] = _field("Buckets to block public access on.", ())
    persona_buckets: bool = _field(
        "Also block public access on every persona's buckets.", False
    )
    block_public_acls: bool = _field(
        "Refuse new public ACLs. All four settings are on unless turned off here; turning "
        "one off widens access and shows in lint as SM020.",
        True,
    )
    ignore_public_acls: bool = _field("Ignore existing public ACLs.", True)
    block_public_policy: bool = _field("Refuse bucket policies that grant public access.", True)
    restrict_public_buckets: bool = _field(
        "Limit a public bucket policy to AWS services and the bucket owner's account.", True
    )
    bucket_settings: tuple[BucketPublicAccessSpec, ...] = _field(
        "Buckets with settings of their own (each also blocked; a setting left out "
        "takes the value above).",
        (),
    )


@attrs.frozen
class LifecycleSpec:
    """How long audit logs are kept, and when they move to colder storage."""

    expiration_days: int | None = _field(
        "Delete log files this many days after they were written.", None, minimum=1
    )
    transition_days: int | None = _field(
        "Move log files to storage_class this many days after they were written.",
        None,
        minimum=1,
    )
    storage_class: str = _field(
        "The colder storage class.", "GLACIER", enum=list(STORAGE_CLASSES)
    )


@attrs.frozen
class ObjectLockSpec:
    """S3 Object Lock default retention of the log bucket (write once, read many)."""

    days: int = _field("Days each log file is retained.", minimum=1, maximum=36500)
    mode: Literal["GOVERNANCE", "COMPLIANCE"] = _field(
        "COMPLIANCE retention cannot be shortened, even by the root user.", "GOVERNANCE"
    )


@attrs.frozen
class AuditTrailSpec:
    """A multi-region CloudTrail trail into a dedicated, hardened S3 bucket."""

    name: str = _field("Trail name.", minLength=3, maxLength=128)
    bucket: str = _field("The log bucket (created by secureml, or adopted).")
    kms_key_arn: str | None = _field(
        "KMS key ARN to encrypt logs with (default: SSE-S3).", None, pattern=KMS_KEY_ARN
    )
    data_event_buckets: tuple[str, ...] = _field(
        "Buckets whose S3 object-level events are recorded (data events are billed).", ()
    )
    persona_bucket_data_events: bool = _field(
        "Record S3 object-level events on every persona's buckets too.", False
    )
    sagemaker_data_events: tuple[str, ...] = _field(
        "SageMaker data event types to record.",
        (),
        items_enum=list(SAGEMAKER_DATA_EVENT_TYPES),
    )
    lifecycle: LifecycleSpec | None = _field("Log retention and archiving.", None)
    object_lock: ObjectLockSpec | None = _field(
        "Object Lock retention (set it when the bucket is created).", None
    )
    tags: dict[str, str] = _factory("Tags on the trail and its bucket.", dict)
    adopt: bool = _field(
        "Take over an existing trail and bucket that this blueprint did not create.", False
    )


@attrs.frozen
class IdentityCenterSpec:
    """Which IAM Identity Center instance to use (default: the one instance found)."""

    instance_arn: str | None = _field(
        "Instance ARN (arn:aws:sso:::instance/ssoins-...).", None
    )
    identity_store_id: str | None = _field(
        "Identity store id (d-...), with instance_arn.", None
    )
    region: str | None = _field(
        "Region of Identity Center, when not the blueprint's.", None
    )


@attrs.frozen
class BlueprintSpec:
    """A blueprint file."""

    version: Literal[1] = _field("Version of the file format.", 1)
    blueprint: str | None = _field(
        "The blueprint's name, the value of the secureml:blueprint tag on everything it "
        "creates (default: the file's name without extension).",
        None,
        pattern=BLUEPRINT_NAME.pattern,
    )
    region: str | None = _field(
        "AWS region of the blueprint (the command line's --region overrides it; default: "
        "the environment's or the profile's, else us-east-1).",
        None,
        pattern=REGION,
    )
    settings: SettingsSpec = _factory("Guard-rails passed into every persona.", SettingsSpec)
    personas: tuple[PersonaSpec, ...] = _field("The personas.", ())
    assignments: tuple[AssignmentSpec, ...] = _field(
        "Who gets which permission set in which accounts.", ()
    )
    access_control_attributes: AccessControlAttributesSpec | None = _field(
        "Identity Center attributes for access control (the session tags of "
        "principal_tags scopes).",
        None,
    )
    public_access_block: PublicAccessBlockSpec | None = _field(
        "S3 Block Public Access.", None
    )
    audit_trail: AuditTrailSpec | None = _field("CloudTrail audit trail.", None)
    identity_center: IdentityCenterSpec | None = _field(
        "The Identity Center instance of permission sets and assignments.", None
    )


SPEC_CLASSES: tuple[type, ...] = (
    BlueprintSpec,
    SettingsSpec,
    NetworkSpec,
    EncryptionSpec,
    GuardrailsSpec,
    ScopeSpec,
    PersonaSpec,
    RoleSpec,
    PermissionSetSpec,
    AssignmentSpec,
    AccessControlAttributesSpec,
    PublicAccessBlockSpec,
    BucketPublicAccessSpec,
    AuditTrailSpec,
    LifecycleSpec,
    ObjectLockSpec,
    IdentityCenterSpec,
)
"""Every class of the format (ActivitySpec has its own schema, per activity)."""
