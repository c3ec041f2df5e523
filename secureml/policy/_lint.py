"""Lint: least-privilege findings about policy documents and personas.

Every check is data-driven: actions, resource types and condition keys come
from the catalogue secureml ships (see :mod:`secureml.policy.catalog`), never
from a hand-written list. The codes are those of
:data:`~secureml.policy.FINDING_CODES`.
"""

from __future__ import annotations

import fnmatch
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING

from secureml.errors import ValidationError
from secureml.policy import _catalog as catalog
from secureml.policy._conditions import parse_operator
from secureml.policy._document import Condition, PolicyDocument, Statement
from secureml.policy._findings import Finding, Severity
from secureml.policy._kinds import PERSONA_KINDS

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = [
    "BROAD_MANAGED_POLICIES",
    "LOCAL_STORAGE_INSTANCE_TYPES",
    "OPTIONAL_GUARDRAIL_KEYS",
    "STAR_RESOURCE_ACTIONS",
    "VPC_OPTIONAL_ACTIONS",
    "lint",
    "lint_managed_policies",
    "lint_persona",
]

_log = logging.getLogger("secureml.policy.lint")

_PASS_ROLE = "iam:PassRole"
_PASSED_TO_SERVICE = "iam:passedtoservice"
# Object-level S3 resource types: an action on one of these reads, writes or
# deletes data (or its ACLs, tags, retention), which MLOps never needs.
_S3_DATA_TYPES = frozenset({"object", "accesspointobject"})
_MAX_LISTED = 8


@functools.lru_cache(maxsize=1024)
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in action.lower())
    )


def _matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (``*``/``?`` wildcards, any case) names ``action``."""
    return bool(_pattern(pattern).fullmatch(action.lower()))


def _listed(items: Iterable[str]) -> str:
    items = list(items)
    shown = ", ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _granted(stmt: Statement) -> tuple[catalog.ActionInfo, ...]:
    """The catalogued actions an ``Action`` statement names (wildcards expanded)."""
    names = {name for a in stmt.actions for name in catalog.expand(a)}
    infos = (catalog.action_info(n) for n in sorted(names))
    return tuple(i for i in infos if i is not None)


def _tested_keys(stmt: Statement, *, null_checks: bool = False) -> frozenset[str]:
    """Lower-case condition keys the statement tests (``Null`` checks apart)."""
    return frozenset(
        c.key.lower() for c in stmt.conditions if (c.operator == "Null") == null_checks
    )


def _wildcards(stmt: Statement) -> Iterator[Finding]:
    wild = [a for a in stmt.actions if a == "*" or a.partition(":")[2] == "*"]
    if wild:
        yield Finding.of(
            "SM001",
            f"Allow on {_listed(wild)} grants every action of "
            f"{'every service' if '*' in wild else 'the service'}; name the actions needed",
            stmt,
        )


def _unknown(stmt: Statement) -> Iterator[Finding]:
    unknown: list[str] = []
    uncatalogued: list[str] = []
    for action in (*stmt.actions, *stmt.not_actions):
        if action == "*":
            continue
        status = catalog.known(action)
        if status is None:
            uncatalogued.append(action)
        elif not status:
            unknown.append(action)
    if unknown:
        yield Finding.of(
            "SM004",
            f"{_listed(unknown)}: no such action in the AWS Service Authorization Reference "
            f"({catalog.source()}); check the spelling",
            stmt,
        )
    if uncatalogued:
        services = sorted({a.partition(":")[0] for a in uncatalogued})
        yield Finding.of(
            "SM008",
            f"{_listed(uncatalogued)}: the service(s) {services} are not in secureml's action "
            "catalogue, so these actions were not checked",
            stmt,
        )


def _pass_role(stmt: Statement) -> Iterator[Finding]:
    if not any(_matches(a, _PASS_ROLE) for a in stmt.actions):
        return
    problems = []
    unnamed = [r for r in stmt.resources if _unnamed_role(r)]
    if stmt.not_resources:
        problems.append(f"it uses NotResource {list(stmt.not_resources)}")
    elif unnamed:
        problems.append(f"resources {unnamed} name no particular role")
    if _PASSED_TO_SERVICE not in _tested_keys(stmt):
        problems.append("it has no iam:PassedToService condition")
    if problems:
        yield Finding.of(
            "SM002",
            f"iam:PassRole lets a principal hand roles to AWS services, but {'; '.join(problems)}; "
            "list the role ARNs and add "
            "{'StringEquals': {'iam:PassedToService': 'sagemaker.amazonaws.com'}}",
            stmt,
        )


def _unnamed_role(resource: str) -> bool:
    # arn:aws:iam::ACCOUNT:role/PATH/NAME: the account may be a wildcard, but
    # a name that is all wildcard (role/*, role/service-role/*) names no role.
    if resource == "*":
        return True
    _, sep, rest = resource.partition(":role/")
    if not sep:
        return True
    name = rest.rsplit("/", 1)[-1]
    return not name.replace("*", "").replace("?", "")


STAR_RESOURCE_ACTIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "cloudwatch:PutMetricData": (
            "the reference lists an optional dataset type (since 2026), but SageMaker jobs and "
            "notebooks publish metrics to namespaces, not datasets, and such a call is "
            "authorized against \"*\" (the statement keeps its cloudwatch:namespace condition)"
        ),
        "sagemaker:ListModelPackages": (
            "the reference lists the model-package type, but an unfiltered call names no model "
            "package and a call filtered by ModelPackageGroupName is authorized against the "
            "group (SageMaker's own cross-account examples grant it on the group ARN); AWS "
            "managed policies and Role Manager grant it on \"*\""
        ),
    }
)
"""Actions granted on ``"*"`` although the Service Authorization Reference lists
a resource type for them, because scoping them breaks calls real clients make;
action -> why. SM003 does not report them."""

_STAR_OK = frozenset(a.lower() for a in STAR_RESOURCE_ACTIONS)


def _star_resource(stmt: Statement) -> Iterator[Finding]:
    if "*" not in stmt.resources:
        return
    scoped = [
        i
        for i in _granted(stmt)
        if i.resource_level
        and i.action != _PASS_ROLE  # SM002's job
        and i.action.lower() not in _STAR_OK
    ]
    if scoped:
        yield Finding.of(
            "SM003",
            'Resource "*" on actions that support resource-level permissions: '
            + _listed(f"{i.action} ({', '.join(t.name for t in i.resource_types)})" for i in scoped)
            + '; give their ARNs and keep "*" for actions without resource types',
            stmt,
        )


def _mlops_data(stmt: Statement) -> Iterator[Finding]:
    data = [
        i.action
        for i in _granted(stmt)
        if i.service == "s3" and _S3_DATA_TYPES & {t.name for t in i.resource_types}
    ]
    if data:
        yield Finding.of(
            "SM006",
            f"MLOps personas have no S3 data access, but this statement grants {_listed(data)}; "
            "give data access to a DataScientist or Compute persona",
            stmt,
        )


def _condition_keys(stmt: Statement) -> Iterator[Finding]:
    infos = _granted(stmt)
    for key in stmt.condition_keys:
        if key.lower().startswith("aws:"):
            continue
        unsupported = [i.action for i in infos if not catalog.supports_condition_key(i.action, key)]
        if unsupported:
            yield Finding.of(
                "SM010",
                f"condition key {key} is not available for {_listed(unsupported)}: for them a "
                "ForAllValues condition always holds (no restriction) and any other never does "
                "(no permission); move them to a statement without this condition",
                stmt,
            )


# Resource types whose ids are unique across accounts and may live in another
# one (a shared VPC's subnets): the activities match them in any account.
_ANY_ACCOUNT_EC2 = ("subnet/", "security-group/")
_PRINCIPAL_ACCOUNT = "${aws:PrincipalAccount}"


def _account_bounded(stmt: Statement, account_id: str | None) -> bool:
    """Whether an ``s3:ResourceAccount`` condition keeps the statement in the
    persona's account (its id, or ``${aws:PrincipalAccount}``)."""
    allowed = {_PRINCIPAL_ACCOUNT, *([account_id] if account_id else [])}
    return any(
        c.key.lower() == "s3:resourceaccount"
        and c.operator == "StringEquals"
        and (set(c.values) <= allowed or (account_id is None and all(
            v.isdigit() for v in c.values
        )))
        for c in stmt.conditions
    )


def _wide(resource: str, stmt: Statement, account_id: str | None, region: str | None) -> str:
    """Why ``resource`` is wider than a persona's defaults ("" when it is not)."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return ""
    _, _, service, arn_region, account, res = parts
    if service == "s3" and res[:1] in ("*", "?") and not _account_bounded(stmt, account_id):
        return "every bucket, in any account whose bucket policy lets it in"
    if service == "ecr" and res in ("repository/*", "repository/*/*", "*"):
        return "every ECR repository"
    if service == "ec2" and res.startswith(_ANY_ACCOUNT_EC2):
        return ""
    if account_id and account not in ("", "aws", account_id):
        return "any account" if "*" in account or "?" in account else f"account {account}"
    if region and arn_region not in ("", region):
        return (
            "any region" if "*" in arn_region or "?" in arn_region else f"region {arn_region}"
        )
    return ""


def _wide_resources(
    stmt: Statement, account_id: str | None, region: str | None
) -> Iterator[Finding]:
    wide = [(r, why) for r in stmt.resources if (why := _wide(r, stmt, account_id, region))]
    if wide:
        known = [f"account {account_id}"] * bool(account_id) + [f"region {region}"] * bool(region)
        where = f" (in {', '.join(known)})" if known else ""
        yield Finding.of(
            "SM041",
            f"resources wider than the persona's defaults{where}: "
            + _listed(f"{r} ({why})" for r, why in wide)
            + "; name the buckets and repositories, and keep ARNs in the persona's account "
            "and region (or add an s3:ResourceAccount condition)",
            stmt,
        )


def _deprecated_keys(stmt: Statement) -> Iterator[Finding]:
    for key in stmt.condition_keys:
        info = catalog.condition_key(key)
        if info is None or not info.deprecated:
            continue
        instead = (
            f"use {info.replaced_by} instead" if info.replaced_by
            else "the reference names no replacement; remove the condition"
        )
        yield Finding.of(
            "SM011",
            f"condition key {key} is deprecated in the AWS Service Authorization Reference "
            f"({catalog.source()}) and no longer in the requests of the actions that took it, "
            f"so the condition never matches as meant: {instead}",
            stmt,
        )


# The operator families that fit each key type; Null fits every key.
_FITTING: dict[str, frozenset[str]] = {
    "String": frozenset({"String"}),
    "ARN": frozenset({"Arn"}),
    "Bool": frozenset({"Bool"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "IPAddress": frozenset({"IpAddress"}),
    "Binary": frozenset({"Binary"}),
}
_ADVICE = {
    "String": "String operators (StringEquals, StringLike, ...)",
    "ARN": "ArnEquals or ArnLike (ArnNotEquals, ArnNotLike to exclude)",
    "Bool": "Bool",
    "Numeric": "Numeric operators (NumericEquals, NumericLessThan, ...)",
    "Date": "Date operators (DateEquals, DateLessThan, ...)",
    "IPAddress": "IpAddress or NotIpAddress",
    "Binary": "BinaryEquals",
}
# aws:EpochTime is documented as Date and Numeric: either operator family fits.
_ALSO_FITS = {"aws:epochtime": frozenset({"Numeric"})}


def _operator_problem(cond: Condition) -> str | None:
    op = parse_operator(cond.operator)
    if op is None:
        return f"{cond.operator!r} is not an IAM condition operator, so the condition never matches"
    info = catalog.condition_key(cond.key)
    if info is None or op.base == "Null":
        return None
    base = info.base_type
    fits = _FITTING.get(base, frozenset()) | _ALSO_FITS.get(cond.key.lower(), frozenset())
    if fits and op.family not in fits:
        return (
            f"{cond.operator} on {cond.key}, whose values are of type {info.type}: use "
            f"{_ADVICE.get(base, base)}"
        )
    if op.qualifier and not info.multivalued:
        return (
            f"{cond.operator} on {cond.key}, which has a single value: a set operator on a "
            f"single-valued key can grant more than it seems (ForAllValues holds when the key "
            f"is missing); use {op.base}{'IfExists' if op.if_exists else ''} without "
            f"{op.qualifier}:"
        )
    if info.multivalued and not op.qualifier:
        return (
            f"{cond.operator} on {cond.key}, which can carry several values: say which must "
            f"match with ForAnyValue:{cond.operator} or ForAllValues:{cond.operator}"
        )
    return None


def _operators(stmt: Statement) -> Iterator[Finding]:
    for cond in stmt.conditions:
        problem = _operator_problem(cond)
        if problem:
            yield Finding.of("SM012", problem, stmt)


def _lint_statement(
    stmt: Statement, kind: str | None, account_id: str | None = None, region: str | None = None
) -> Iterator[Finding]:
    yield from _unknown(stmt)
    yield from _deprecated_keys(stmt)
    yield from _operators(stmt)
    if stmt.effect != "Allow":
        yield from _condition_keys(stmt)
        return
    if stmt.not_actions:
        yield Finding.of(
            "SM005",
            f"Allow with NotAction {list(stmt.not_actions)} grants every other action of every "
            "service; list the actions to allow instead",
            stmt,
        )
    if stmt.not_resources:
        yield Finding.of(
            "SM009",
            f"Allow with NotResource {list(stmt.not_resources)} grants the actions on every "
            "other resource, including ones created later; list the resources instead",
            stmt,
        )
    yield from _wildcards(stmt)
    yield from _pass_role(stmt)
    yield from _star_resource(stmt)
    yield from _wide_resources(stmt, account_id, region)
    if kind == "MLOps":
        yield from _mlops_data(stmt)
    yield from _condition_keys(stmt)


def lint(
    document: PolicyDocument,
    *,
    kind: str | None = None,
    account_id: str | None = None,
    region: str | None = None,
) -> list[Finding]:
    """Least-privilege findings about ``document``.

    ``kind`` is the persona kind the document is for (``"DataScientist"``,
    ``"MLOps"``, ``"Compute"`` or ``"Inference"``); ``"MLOps"`` adds the check
    that no statement grants S3 data access. ``account_id`` and ``region``,
    when known, add SM041 for ARNs in another account or region (every bucket
    and every ECR repository are SM041 always). Findings come in statement
    order.

    >>> from secureml.policy import PolicyDocument, Statement
    >>> doc = PolicyDocument([Statement(actions="sagemaker:*", resources="*")])
    >>> sorted({f.code for f in lint(doc)})
    ['SM001', 'SM003']
    """
    if kind is not None and kind not in PERSONA_KINDS:
        raise ValidationError(f"kind: {kind!r} is not one of {list(PERSONA_KINDS)} (or None)")
    findings: list[Finding] = []
    for stmt in document.statements:
        for finding in _lint_statement(stmt, kind, account_id, region):
            if finding not in findings:
                findings.append(finding)
    _log.debug("linted %d statements: %d findings", len(document), len(findings))
    return findings


VPC_OPTIONAL_ACTIONS: frozenset[str] = frozenset({"sagemaker:CreateEndpointConfig"})
"""Actions whose VPC is optional under network settings: the VPC conditions
apply when the request gives a VPC, with no ``Null`` check making one
mandatory. A classic endpoint config takes its VPC from the model, whose
``CreateModel`` does need the VPC; requiring ``VpcConfig`` on every endpoint
config would refuse every classic real-time endpoint."""

_VPC_OPTIONAL = frozenset(a.lower() for a in VPC_OPTIONAL_ACTIONS)

OPTIONAL_GUARDRAIL_KEYS: MappingProxyType[tuple[str, str], str] = MappingProxyType(
    {
        ("sagemaker:CreateEndpointConfig", "sagemaker:NetworkIsolation"): (
            "the SageMaker SDK's deploy() never sends EnableNetworkIsolation on the endpoint "
            "config; isolation is the model's, and CreateModel requires it"
        ),
    }
)
"""(action, guard-rail condition key) pairs the guard-rails deliberately do not
require although the action takes the key, with why; SM007 does not report them."""

_KEY_OPTIONAL = frozenset((a.lower(), k.lower()) for a, k in OPTIONAL_GUARDRAIL_KEYS)

LOCAL_STORAGE_INSTANCE_TYPES: tuple[str, ...] = (
    # EC2's naming: a "d" after the generation means local NVMe instance storage
    # (c5d, m5d, r5d, p4d, c6id, m6id, r6id; g4dn, p3dn, m5dn, r5dn).
    "ml.*d.*",
    "ml.*dn.*",
    # Families with local NVMe storage whose names do not say so.
    "ml.g5.*",
    "ml.g6.*",
    "ml.g6e.*",
    "ml.gr6.*",
    "ml.p4de.*",
    "ml.p5*",
    "ml.trn*",
)
"""Instance families with local NVMe instance storage, which the instance's
hardware encrypts: SageMaker refuses a volume KMS key on them ("You can't
request a VolumeKmsKeyId when using an instance type with local storage"), so
under a volume-key guard-rail a request for one of them may name no volume key
(and only for them; every other guard-rail still applies)."""


def _no_volume_needed(stmt: Statement, key: str) -> bool:
    """Whether ``stmt`` lets a request name no volume key (``key`` Null-checked
    true) only where none is possible: instance types with local storage, or no
    instance type at all (a serverless endpoint)."""
    conds = {(c.operator, c.key.lower()): c.values for c in stmt.conditions}
    if conds.get(("Null", key.lower())) != ("true",):
        return False
    types = conds.get(("ForAllValues:StringLike", "sagemaker:instancetypes"), ())
    return bool(types) and all(
        any(fnmatch.fnmatchcase(t, f) for f in LOCAL_STORAGE_INSTANCE_TYPES) for t in types
    )


def _guardrail_keys(persona: Persona) -> list[tuple[str, str, bool]]:
    """(condition key, setting that asks for it, whether a Null check must pair it)."""
    wanted: list[tuple[str, str, bool]] = []
    if persona.network is not None:
        # Multi-valued keys tested with ForAllValues hold when the request has
        # no VPC at all, so only a Null check makes the VPC mandatory.
        wanted += [
            ("sagemaker:VpcSubnets", "network.subnets", True),
            ("sagemaker:VpcSecurityGroupIds", "network.security_groups", True),
        ]
    if persona.encryption is not None:
        if persona.encryption.volume_kms_key:
            wanted.append(("sagemaker:VolumeKmsKeyArn", "encryption.volume_kms_key", False))
        if persona.encryption.output_kms_key:
            wanted.append(("sagemaker:OutputKmsKeyArn", "encryption.output_kms_key", False))
    rails = persona.guardrails
    if rails is not None:
        if rails.network_isolation:
            wanted.append(("sagemaker:NetworkIsolation", "guardrails.network_isolation", False))
        if rails.inter_container_traffic_encryption:
            wanted.append(
                (
                    "sagemaker:InterContainerTrafficEncryption",
                    "guardrails.inter_container_traffic_encryption",
                    False,
                )
            )
        if rails.instance_types:
            wanted.append(("sagemaker:InstanceTypes", "guardrails.instance_types", False))
    return wanted


def _guardrails(stmt: Statement, wanted: list[tuple[str, str, bool]]) -> Iterator[Finding]:
    if stmt.effect != "Allow" or not stmt.actions:
        return
    infos = _granted(stmt)
    tested = _tested_keys(stmt)
    null_checked = _tested_keys(stmt, null_checks=True)
    for key, setting, needs_null in wanted:
        if setting == "encryption.volume_kms_key" and _no_volume_needed(stmt, key):
            continue
        exempt = [
            i.action
            for i in infos
            if key in i.condition_keys
            and (i.action.lower(), key.lower()) not in _KEY_OPTIONAL
            and (
                key.lower() not in tested
                or (
                    needs_null
                    and i.action.lower() not in _VPC_OPTIONAL
                    and key.lower() not in null_checked
                )
            )
        ]
        if exempt:
            what = "a condition" if key.lower() not in tested else "a Null check"
            yield Finding.of(
                "SM007",
                f"the persona's {setting} asks for {key}, but this statement grants "
                f"{_listed(exempt)} without {what} on it, so requests escape the guard-rail",
                stmt,
            )


BROAD_MANAGED_POLICIES: MappingProxyType[str, tuple[Severity, str]] = MappingProxyType(
    {
        "AdministratorAccess": (Severity.ERROR, "every action on every resource"),
        "PowerUserAccess": (
            Severity.ERROR,
            "every action of every service but IAM and Organizations management",
        ),
        "IAMFullAccess": (
            Severity.ERROR,
            "creates and changes roles and policies: a path to any permission",
        ),
        "AmazonS3FullAccess": (
            Severity.WARNING,
            "every S3 action on every bucket, in any account whose bucket policy lets it in",
        ),
        "AmazonSageMakerFullAccess": (
            Severity.WARNING,
            "every SageMaker action on every resource of the account, other teams' included",
        ),
        "AmazonEC2FullAccess": (Severity.WARNING, "every EC2 action on every resource"),
        "AWSLambda_FullAccess": (
            Severity.WARNING,
            "every Lambda action, and passes any role to Lambda",
        ),
        "job-function/DataScientist": (
            Severity.WARNING,
            "broad data, compute and PassRole access across many services",
        ),
        "job-function/SystemAdministrator": (
            Severity.WARNING,
            "administers many services, IAM roles included",
        ),
    }
)
"""AWS managed policies that grant far more than any persona: policy name
(with its path under ``policy/``) -> (severity, what it grants). SM042
reports each one attached to a persona, role or permission set."""


def lint_managed_policies(arns: Iterable[str], where: str) -> list[Finding]:
    """SM042 for each broad AWS managed policy among ``arns`` (see
    :data:`BROAD_MANAGED_POLICIES`); ``where`` names what they are attached to.

    >>> [f.code for f in lint_managed_policies(
    ...     ["arn:aws:iam::aws:policy/AmazonS3FullAccess"], "role r")]
    ['SM042']
    """
    findings = []
    for arn in arns:
        _, sep, name = arn.partition(":iam::aws:policy/")
        if not sep or name not in BROAD_MANAGED_POLICIES:
            continue
        severity, grants = BROAD_MANAGED_POLICIES[name]
        findings.append(
            Finding(
                "SM042",
                severity,
                f"{where}: AWS managed policy {name} is attached by hand and grants {grants}, "
                "far beyond the persona's activities; remove it, or add the activity that "
                "grants the missing permission",
            )
        )
    return findings


def _widening_activities(persona: Persona) -> Iterator[Finding]:
    for activity in persona.activities:
        why = getattr(activity, "widens", None)
        if why:
            yield Finding.of("SM040", f"persona {persona.name!r}: {activity.name} {why}")


def _pass_paths(
    persona: Persona, account_id: str | None, region: str | None
) -> Iterator[Finding]:
    """SM044: a persona without data activities passes a role that has them."""
    if any(a.data_access for a in persona.activities):
        return
    passable = {p.name: p for p in persona.role_personas}
    ctx = persona.context(account_id, region)
    through: dict[str, list[str]] = {}
    for activity in persona.activities:
        for stmt in activity.statements(ctx):
            if any(_matches(a, _PASS_ROLE) for a in stmt.actions):
                for arn in stmt.resources:
                    names = through.setdefault(arn.rsplit("/", 1)[-1], [])
                    if activity.name not in names:
                        names.append(activity.name)
    for name, activities in sorted(through.items()):
        target = passable.get(name)
        data = [a.name for a in target.activities if a.data_access] if target else []
        if target is None or not data:
            continue
        buckets = ", ".join(target.buckets) or "its buckets"
        yield Finding.of(
            "SM044",
            f"persona {persona.name!r} has no data activity, but through "
            f"{' and '.join(activities)} it can pass role {name!r}, which has "
            f"{', '.join(data)} ({buckets}): {persona.name} -> iam:PassRole -> {name} -> "
            "S3 data. Pass a role without data access (sm.Inference for models and "
            "endpoints) where the work needs none",
        )


def lint_persona(
    persona: Persona,
    account_id: str | None = None,
    region: str | None = None,
    *,
    document: PolicyDocument | None = None,
) -> list[Finding]:
    """Findings about a persona's policy: :func:`lint` of its policy document for
    its kind, plus SM007 wherever a statement grants an action that takes a
    guard-rail condition key the persona's settings ask for (VPC, KMS keys,
    network isolation, inter-container encryption, instance types) without it;
    SM040 for an activity that names no resource (S3 Full Access); SM042 for
    broad AWS managed policies; SM043 for actions its scope cannot confine;
    SM044 when it passes a role with data access it has not itself.
    ``document`` is the persona's policy document for ``account_id`` and ``region``
    when the caller has built it already.
    """
    if document is None:
        document = persona.policy_document(account_id=account_id, region=region)
    findings = lint(document, kind=persona.kind, account_id=account_id, region=region)
    wanted = _guardrail_keys(persona)
    if wanted:
        for stmt in document.statements:
            findings.extend(f for f in _guardrails(stmt, wanted) if f not in findings)
    findings.extend(_widening_activities(persona))
    findings.extend(lint_managed_policies(persona.managed_policies, f"persona {persona.name!r}"))
    findings.extend(persona.scope_findings())
    findings.extend(_pass_paths(persona, account_id, region))
    return findings
