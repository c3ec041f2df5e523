"""Shared policy building for the ML activities: SageMaker resource scoping,
guard-rail conditions (VPC, KMS, network isolation, inter-container traffic
encryption, instance types), ``iam:PassRole`` and KMS grants.

The resource types each SageMaker action is authorized against and the
guard-rail condition keys it supports come from the catalogue
(:mod:`secureml.activities._sagemaker_tables`), so a guard-rail key is never
put on an action that does not support it (IAM would then never match the
condition and silently deny the action).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Iterator

import attrs

from secureml._convert import string_tuple
from secureml._validation import (
    check_bucket_name,
    check_ecr_repository,
    check_glue_database,
    check_pass_role,
    check_workgroup,
)
from secureml.activities._base import ActivityContext
from secureml.activities._sagemaker_tables import (
    SAGEMAKER_ACTIONS,
    created_resource,
    guardrail_keys,
    resource_patterns,
    resource_segments,
)
from secureml.policy import (
    LOCAL_STORAGE_INSTANCE_TYPES,
    OPTIONAL_GUARDRAIL_KEYS,
    STAR_RESOURCE_ACTIONS,
    VPC_OPTIONAL_ACTIONS,
    Condition,
    Statement,
    merge_statements,
)

__all__ = [
    "LOCAL_STORAGE_INSTANCE_TYPES",
    "bucket_inputs",
    "compact_statements",
    "data_buckets",
    "default_bucket",
    "ecr_arns",
    "ecr_inputs",
    "glue_database_inputs",
    "guardrail_conditions",
    "kms_data_statements",
    "kms_grant_statements",
    "log_read_statements",
    "no_volume_key_statements",
    "pass_role_statement",
    "role_inputs",
    "sagemaker_arns",
    "sagemaker_statements",
    "sdk_default_bucket_field",
    "tag_on_create_statements",
    "workgroup_inputs",
]

_SAGEMAKER = "sagemaker.amazonaws.com"
_VOLUME_KEY = "sagemaker:VolumeKmsKeyArn"

def sagemaker_arns(ctx: ActivityContext, action: str) -> tuple[str, ...]:
    """The resources ``sagemaker:<action>`` is granted on in ``ctx``: one ARN
    pattern per resource type it uses, or ``("*",)`` when it has none (or is
    one of :data:`~secureml.policy.STAR_RESOURCE_ACTIONS`)."""
    patterns = resource_patterns(action)
    if not patterns or f"sagemaker:{action}" in STAR_RESOURCE_ACTIONS:
        return ("*",)
    return tuple(ctx.arn("sagemaker", p) for p in patterns)


def tag_on_create_statements(ctx: ActivityContext, actions: Iterable[str]) -> Iterator[Statement]:
    """``sagemaker:AddTags`` on the resource types the create ``actions`` make,
    only as part of a create call (``sagemaker:TaggingAction`` present).

    A create request that carries tags is authorized for ``sagemaker:AddTags``
    too, and Studio and the SageMaker Python SDK tag what they create (Studio
    adds ``sagemaker:domain-arn``), so without this every such create call is
    denied. Tagging an existing resource stays denied: a direct ``AddTags``
    call has no ``sagemaker:TaggingAction``.

    >>> ctx = ActivityContext(persona="p", kind="MLOps", account_id="111122223333",
    ...                       region="us-east-1")
    >>> [s.to_dict()["Resource"] for s in tag_on_create_statements(ctx, ["CreateModel"])]
    ['arn:aws:sagemaker:us-east-1:111122223333:model/*']
    """
    created = sorted({p for a in actions if (p := created_resource(a)) is not None})
    if created:
        yield Statement(
            actions="sagemaker:AddTags",
            resources=[ctx.arn("sagemaker", p) for p in created],
            conditions=[Condition("Null", "sagemaker:TaggingAction", "false")],
        )


def _segment(ctx: ActivityContext, arn: str) -> str | None:
    """The resource-type segment (``training-job``) of a SageMaker ARN pattern in
    ``ctx``'s account and region (``training-job/*``, ``training-job/team-a-*``)."""
    head = ctx.arn("sagemaker", "")
    return arn[len(head):].split("/", 1)[0] if arn.startswith(head) else None


@functools.cache
def _own_segments(action: str) -> frozenset[str] | None:
    service, _, name = action.partition(":")
    if service != "sagemaker" or name not in SAGEMAKER_ACTIONS or not resource_patterns(name):
        return None
    return frozenset(p.split("/", 1)[0] for p in resource_patterns(name))


def _merge_is_exact(ctx: ActivityContext, members: list[Statement]) -> bool:
    # After the merge each action is granted on every member's resources. That
    # is exact when, for each action, the resources of its own types among them
    # were all granted to it already; the others never match its requests.
    union = {r for s in members for r in s.resources}
    granted: dict[str, set[str]] = {}
    for stmt in members:
        for action in stmt.actions:
            own = _own_segments(action)
            assert own is not None
            granted.setdefault(action, set()).update(
                r for r in stmt.resources if _segment(ctx, r) in own
            )
    return all(
        {r for r in union if _segment(ctx, r) in own} <= granted[a]
        for a in granted
        if (own := _own_segments(a)) is not None
    )


def compact_statements(
    ctx: ActivityContext, statements: Iterable[Statement]
) -> tuple[Statement, ...]:
    """The same permissions in fewer statements: SageMaker statements with the
    same conditions share one statement (the union of their actions and of
    their resources) wherever that grants no action a resource of its own
    types that it lacked.

    IAM authorizes an action only against ARNs of the resource types the
    action uses, so ``sagemaker:DescribeModel`` beside
    ``arn:...:training-job/*`` gains nothing: the merged statement grants
    exactly what the separate ones did, in far fewer characters (conditions,
    the largest part of a guard-railed statement, are written once).
    Statements on ``"*"``, on ARNs other than SageMaker resource-type ARNs of
    ``ctx`` (``training-job/*``, or a scope's ``training-job/team-a-*``), with
    ``NotAction``/``NotResource``, a principal or a ``Sid`` are left as they
    are.
    """
    segments = resource_segments()
    groups: dict[tuple[Condition, ...], list[list[Statement]]] = {}
    kept: list[Statement] = []
    for stmt in statements:
        compactable = (
            stmt.effect == "Allow"
            and stmt.actions
            and not (stmt.not_actions or stmt.not_resources or stmt.principals or stmt.sid)
            and all(_segment(ctx, r) in segments for r in stmt.resources)
            and all(_own_segments(a) is not None for a in stmt.actions)
        )
        if not compactable:
            kept.append(stmt)
            continue
        bins = groups.setdefault(stmt.conditions, [])
        for members in bins:
            if _merge_is_exact(ctx, [*members, stmt]):
                members.append(stmt)
                break
        else:
            bins.append([stmt])
    for conditions, bins in groups.items():
        kept.extend(
            Statement(
                actions=[a for s in members for a in s.actions],
                resources=[r for s in members for r in s.resources],
                conditions=conditions,
            )
            for members in bins
        )
    return merge_statements(kept)



def _intersect(allowed: tuple[str, ...], families: tuple[str, ...]) -> tuple[str, ...]:
    # Patterns are concrete types or "ml.<family>.*"/"ml.*": a pattern inside
    # another is their intersection.
    out = []
    for a in allowed:
        for f in families:
            if fnmatch.fnmatchcase(a, f):
                out.append(a)
            elif fnmatch.fnmatchcase(f, a):
                out.append(f)
    return tuple(dict.fromkeys(out))


LOCAL_STORAGE_ACTIONS = frozenset(
    {
        "CreateEndpointConfig",
        "CreateHyperParameterTuningJob",
        "CreateProcessingJob",
        "CreateTrainingJob",
        "CreateTransformJob",
    }
)
"""The creates where an instance type with local storage may go without a
volume key: jobs and endpoints, where GPU and NVMe instances are common. Not
model monitoring (its schedules and job definitions run small CPU jobs)."""


def no_volume_key_statements(ctx: ActivityContext, action: str) -> Iterator[Statement]:
    """Where a volume-key guard-rail applies to ``sagemaker:<action>`` (one of
    :data:`LOCAL_STORAGE_ACTIONS`), the narrow grant that lets a request name no
    volume key:

    - on instance types with local storage (:data:`LOCAL_STORAGE_INSTANCE_TYPES`,
      within the instance-type guard-rail when there is one), where SageMaker
      refuses a key;
    - for ``CreateEndpointConfig`` with no instance type at all (a serverless
      endpoint has no volume).

    One statement serves both (``ForAllValues`` holds when the request names
    no instance type, which only a serverless endpoint config does: every job
    names its instances). It requires the key to be absent (a foreign key is
    still refused) and keeps every other guard-rail condition.
    """
    enc = ctx.encryption
    keys = guardrail_keys(action)
    if enc is None or not enc.volume_kms_key or action not in LOCAL_STORAGE_ACTIONS:
        return
    if "InstanceTypes" not in keys:
        return
    allowed = ctx.guardrails.instance_types if ctx.guardrails is not None else ()
    families = _intersect(allowed, LOCAL_STORAGE_INSTANCE_TYPES) if allowed else (
        LOCAL_STORAGE_INSTANCE_TYPES
    )
    if not families:
        return
    others = [
        c
        for c in guardrail_conditions(ctx, action)
        if c.key not in (_VOLUME_KEY, "sagemaker:InstanceTypes")
    ]
    yield Statement(
        actions=f"sagemaker:{action}",
        resources=sagemaker_arns(ctx, action),
        conditions=[
            *others,
            Condition("Null", _VOLUME_KEY, "true"),
            Condition("ForAllValues:StringLike", "sagemaker:InstanceTypes", families),
        ],
    )


SYSTEM_INSTANCE_ACTIONS = frozenset({"CreateApp"})
"""Actions whose ``sagemaker:InstanceTypes`` guard-rail also allows ``system``:
Studio Classic's JupyterServer app only runs on the ``system`` instance type, so
without it no Studio Classic user could open Studio. (A KernelGateway app asked
for ``system`` runs on ml.t3.medium.)"""


def guardrail_conditions(ctx: ActivityContext, action: str) -> list[Condition]:
    """The guard-rail conditions of ``ctx`` that ``sagemaker:<action>`` supports."""
    keys = guardrail_keys(action)
    conds: list[Condition] = []
    if ctx.network is not None and {"VpcSubnets", "VpcSecurityGroupIds"} <= keys:
        conds += [
            Condition("ForAllValues:StringEquals", "sagemaker:VpcSubnets", ctx.network.subnets),
            Condition(
                "ForAllValues:StringEquals",
                "sagemaker:VpcSecurityGroupIds",
                ctx.network.security_groups,
            ),
        ]
        # ForAllValues holds for a request with no VPC at all; the Null checks
        # make the VPC mandatory, except where the VPC lives elsewhere.
        if f"sagemaker:{action}" not in VPC_OPTIONAL_ACTIONS:
            conds += [
                Condition("Null", "sagemaker:VpcSubnets", "false"),
                Condition("Null", "sagemaker:VpcSecurityGroupIds", "false"),
            ]
    enc = ctx.encryption
    if enc is not None:
        # The ...KmsKeyArn keys are ARN-typed (the ...KmsKey ones AWS deprecated):
        # compared with ArnEquals, as the reference advises for ARN keys.
        if enc.volume_kms_key and "VolumeKmsKeyArn" in keys:
            conds.append(Condition("ArnEquals", "sagemaker:VolumeKmsKeyArn", enc.volume_kms_key))
        if enc.output_kms_key and "OutputKmsKeyArn" in keys:
            conds.append(Condition("ArnEquals", "sagemaker:OutputKmsKeyArn", enc.output_kms_key))
    rails = ctx.guardrails
    if rails is not None:
        if (
            rails.network_isolation
            and "NetworkIsolation" in keys
            and (f"sagemaker:{action}", "sagemaker:NetworkIsolation") not in OPTIONAL_GUARDRAIL_KEYS
        ):
            conds.append(Condition("Bool", "sagemaker:NetworkIsolation", "true"))
        if rails.inter_container_traffic_encryption and "InterContainerTrafficEncryption" in keys:
            conds.append(Condition("Bool", "sagemaker:InterContainerTrafficEncryption", "true"))
        if rails.instance_types and "InstanceTypes" in keys:
            allowed = rails.instance_types
            if action in SYSTEM_INSTANCE_ACTIONS:
                allowed = (*allowed, "system")
            conds.append(Condition("ForAllValues:StringLike", "sagemaker:InstanceTypes", allowed))
    return conds


def sagemaker_statements(
    ctx: ActivityContext, actions: Iterable[str], *, local_storage: bool = True
) -> tuple[Statement, ...]:
    """Statements granting the SageMaker ``actions`` (names without the
    ``sagemaker:`` prefix), each on the resource types it uses in the
    account and region of ``ctx``, with the guard-rail conditions it supports.

    Actions with the same resources and conditions share a statement. With
    ``local_storage`` (the default) the :func:`no_volume_key_statements` of each
    action come too.

    >>> ctx = ActivityContext(persona="p", kind="MLOps", account_id="111122223333",
    ...                       region="us-east-1")
    >>> [s.to_dict()["Resource"] for s in sagemaker_statements(ctx, ["DescribeModel"])]
    ['arn:aws:sagemaker:us-east-1:111122223333:model/*']
    """
    return merge_statements(
        stmt
        for a in actions
        for stmt in (
            Statement(
                actions=f"sagemaker:{a}",
                resources=sagemaker_arns(ctx, a),
                conditions=guardrail_conditions(ctx, a),
            ),
            *(no_volume_key_statements(ctx, a) if local_storage else ()),
        )
    )


def pass_role_statement(ctx: ActivityContext, roles: Iterable[str]) -> Statement:
    """``iam:PassRole`` on exactly ``roles`` (names or ARNs), only to SageMaker."""
    return Statement(
        actions="iam:PassRole",
        resources=ctx.role_arns(tuple(roles)),
        conditions=[Condition("StringEquals", "iam:PassedToService", _SAGEMAKER)],
    )


def _via(ctx: ActivityContext, service: str) -> Condition:
    return Condition("StringLike", "kms:ViaService", f"{service}.{ctx.region or '*'}.amazonaws.com")


def kms_grant_statements(ctx: ActivityContext, *, describe: bool = False) -> Iterator[Statement]:
    """``kms:CreateGrant`` on the volume key for AWS resources through SageMaker
    (SageMaker creates the grant that lets EBS use the key), and optionally
    ``kms:DescribeKey``; nothing without a volume key."""
    enc = ctx.encryption
    if enc is None or enc.volume_kms_key is None:
        return
    yield Statement(
        actions="kms:CreateGrant",
        resources=enc.volume_kms_key,
        conditions=[
            Condition("Bool", "kms:GrantIsForAWSResource", "true"),
            _via(ctx, "sagemaker"),
        ],
    )
    if describe:
        yield Statement(
            actions="kms:DescribeKey",
            resources=enc.volume_kms_key,
            conditions=[_via(ctx, "sagemaker")],
        )


def kms_data_statements(ctx: ActivityContext) -> Iterator[Statement]:
    """``kms:Decrypt`` and ``kms:GenerateDataKey`` on the output (data) key,
    only through S3, so S3 objects encrypted with it can be read and written;
    nothing without an output key."""
    enc = ctx.encryption
    if enc is None or enc.output_kms_key is None:
        return
    yield Statement(
        actions=["kms:Decrypt", "kms:GenerateDataKey"],
        resources=enc.output_kms_key,
        conditions=[_via(ctx, "s3")],
    )


# -- activity-level inputs ---------------------------------------------------------

def _strings(value: Iterable[str] | str | None, field: str) -> tuple[str, ...]:
    # Items that are not text are refused by each input's check, which names the field.
    return string_tuple(value)


def role_inputs(value: Iterable[str] | str | None, field: str) -> tuple[str, ...]:
    """An activity's ``pass_roles``: role names, ``/path/name`` or IAM role ARNs,
    never a wildcard."""
    return tuple(check_pass_role(r, field) for r in _strings(value, field))


def bucket_inputs(value: Iterable[str] | str | None, field: str) -> tuple[str, ...]:
    """An activity's ``buckets``: S3 bucket names."""
    return tuple(check_bucket_name(b, field) for b in _strings(value, field))


def ecr_inputs(value: Iterable[str] | str | None, field: str) -> tuple[str, ...]:
    """An activity's ``ecr_repositories``: names (``*`` allowed) or ARNs."""
    return tuple(check_ecr_repository(r, field) for r in _strings(value, field))


def workgroup_inputs(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """A converter for Athena workgroup names."""
    field = "QueryAthenaWorkgroups.workgroups"
    return tuple(check_workgroup(g, field) for g in _strings(value, field))


def glue_database_inputs(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """A converter for Glue database names (``*`` allowed as a wildcard)."""
    field = "ManageGlueTables.glue_databases"
    return tuple(check_glue_database(d, field) for d in _strings(value, field))


def ecr_arns(ctx: ActivityContext, repositories: Iterable[str]) -> tuple[str, ...]:
    """ECR repository ARNs in the account and region of ``ctx`` (ARNs kept as given)."""
    return tuple(
        r if r.startswith("arn:") else ctx.arn("ecr", f"repository/{r}") for r in repositories
    )


def log_read_statements(
    ctx: ActivityContext, groups: Iterable[str], *, search: bool = False
) -> Iterator[Statement]:
    """Reading the CloudWatch log groups ``groups`` (names under ``/aws/sagemaker/``):
    ``logs:DescribeLogStreams`` and ``logs:GetLogEvents`` (what the SageMaker SDK's
    ``logs=True`` and ``wait()`` stream), and ``logs:FilterLogEvents`` with
    ``search``. Each group is granted as ``log-group:<name>*``, which matches the
    group (with or without the ``:*`` IAM often compares) and its streams."""
    actions = ["logs:DescribeLogStreams", "logs:GetLogEvents"]
    if search:
        actions.append("logs:FilterLogEvents")
    yield Statement(
        actions=actions,
        resources=[
            ctx.arn("logs", f"log-group:{g}" if g.endswith("*") else f"log-group:{g}*")
            for g in groups
        ],
    )


def default_bucket(ctx: ActivityContext) -> str:
    """The SageMaker Python SDK's default bucket, ``sagemaker-<region>-<account>``,
    for ``ctx``: without an account, the account making the request
    (``${aws:PrincipalAccount}``), so it is never another account's bucket;
    without a region, any region."""
    account = ctx.account_id or "${aws:PrincipalAccount}"
    return f"sagemaker-{ctx.region or '*'}-{account}"


def sdk_default_bucket_field() -> bool:
    """The ``sdk_default_bucket`` field of an activity that grants data buckets:
    on unless turned off (``True`` or ``False`` only); see :func:`data_buckets`."""
    return attrs.field(default=True, validator=attrs.validators.instance_of(bool))


def data_buckets(
    ctx: ActivityContext, buckets: tuple[str, ...], *, sdk_default_bucket: bool
) -> tuple[str, ...]:
    """The buckets an activity grants: its own ``buckets``, else the persona's, and
    the SageMaker Python SDK's :func:`default_bucket` unless ``sdk_default_bucket``
    is off.

    >>> ctx = ActivityContext(persona="p", kind="Compute", account_id="111122223333",
    ...                       region="us-east-1", buckets=("data",))
    >>> data_buckets(ctx, (), sdk_default_bucket=True)
    ('data', 'sagemaker-us-east-1-111122223333')
    """
    chosen = tuple(buckets or ctx.buckets)
    return (*chosen, default_bucket(ctx)) if sdk_default_bucket else chosen
