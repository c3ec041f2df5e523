"""The requests each guard-rail must refuse.

Every guard-rail declares, as a row of :data:`GUARDRAIL_VIOLATIONS`, how a
compliant request is turned into one it must refuse (no VPC, a foreign
subnet, no key where a key is possible, a foreign key, another account or
region, another role to pass, another bucket) and when that applies. The
violations of a persona are these rows applied to the requests of its own
workflows, so each is a request the persona makes every day with one thing
wrong.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator

import attrs

from secureml.policy import VPC_OPTIONAL_ACTIONS
from secureml.workflows._model import (
    FOREIGN_ACCOUNT,
    FOREIGN_REGION,
    Request,
    Workflow,
    WorkflowSettings,
)

__all__ = ["GUARDRAIL_VIOLATIONS", "GuardrailViolation", "Violation", "violations"]

FOREIGN_SUBNET = "subnet-0fedcba9876543210"
FOREIGN_SECURITY_GROUP = "sg-0fedcba9876543210"
FOREIGN_BUCKET = "another-team-data"
FOREIGN_ROLE = "another-team-role"
FOREIGN_KEY_ID = "99999999-9999-9999-9999-999999999999"
_OUTSIDE_TYPES = ("ml.p5.48xlarge", "ml.x1.32xlarge", "ml.c7i.48xlarge", "ml.r7i.48xlarge")

_VPC = ("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds")
_VOLUME = ("sagemaker:VolumeKmsKey", "sagemaker:VolumeKmsKeyArn")
_OUTPUT = ("sagemaker:OutputKmsKey", "sagemaker:OutputKmsKeyArn")


@attrs.frozen
class Violation:
    """A request a persona must be refused: which guard-rail refuses it, what is
    wrong with it, and the workflow whose request it breaks."""

    guardrail: str
    name: str
    workflow: str
    request: Request


Mutation = Callable[[Request, WorkflowSettings], "Request | None"]


@attrs.frozen
class GuardrailViolation:
    """One way a guard-rail is broken: ``applies`` says whether the settings
    have the guard-rail, ``mutate`` breaks a compliant request (``None`` when
    the request has nothing to break)."""

    guardrail: str
    name: str
    applies: Callable[[WorkflowSettings, bool, bool], bool]
    mutate: Mutation


def _foreign_key(s: WorkflowSettings) -> str:
    return f"arn:{s.partition}:kms:{s.region}:{FOREIGN_ACCOUNT}:key/{FOREIGN_KEY_ID}"


def _drop(keys: tuple[str, ...], *, vpc: bool = False) -> Mutation:
    def mutate(r: Request, s: WorkflowSettings) -> Request | None:
        if not any(k in r.context for k in keys):
            return None
        if vpc and r.action in VPC_OPTIONAL_ACTIONS:
            return None
        return attrs.evolve(r, context={k: v for k, v in r.context.items() if k not in keys})

    return mutate


def _replace(
    keys: tuple[str, ...], value: Callable[[Request, WorkflowSettings], object]
) -> Mutation:
    def mutate(r: Request, s: WorkflowSettings) -> Request | None:
        present = [k for k in keys if k in r.context]
        if not present:
            return None
        ctx = dict(r.context)
        for k in present:
            ctx[k] = value(r, s)  # type: ignore[assignment]
        return attrs.evolve(r, context=ctx)

    return mutate


def _add(value: str) -> Callable[[Request, WorkflowSettings], object]:
    def add(r: Request, s: WorkflowSettings) -> object:
        return (*_values(r, "sagemaker:VpcSubnets" if value.startswith("subnet") else
                         "sagemaker:VpcSecurityGroupIds"), value)

    return add


def _values(r: Request, key: str) -> tuple[str, ...]:
    v = r.context.get(key, ())
    return v if isinstance(v, tuple) else (str(v),)


def _outside_type(r: Request, s: WorkflowSettings) -> object:
    allowed = s.guardrails.instance_types if s.guardrails is not None else ()
    for t in _OUTSIDE_TYPES:
        if not any(fnmatch.fnmatchcase(t, p) for p in (*allowed, "system")):
            return (t,)
    return ("ml.unknown.xlarge",)


def _kms_foreign(r: Request, s: WorkflowSettings) -> Request | None:
    if not r.action.startswith("kms:"):
        return None
    return attrs.evolve(r, resource=_foreign_key(s))


def _other_role(r: Request, s: WorkflowSettings) -> Request | None:
    if r.action != "iam:PassRole":
        return None
    return attrs.evolve(r, resource=f"arn:{s.partition}:iam::{s.account_id}:role/{FOREIGN_ROLE}")


_S3 = re.compile(r"^arn:[^:]+:s3:::([^/]+)(/.*)?$")


def _other_bucket(r: Request, s: WorkflowSettings) -> Request | None:
    m = _S3.match(r.resource)
    if m is None:
        return None
    return attrs.evolve(r, resource=f"arn:{s.partition}:s3:::{FOREIGN_BUCKET}{m.group(2) or ''}")


# Subnets and security groups are matched in any account (a shared VPC's live in
# another one), so they are not an account violation.
_ANY_ACCOUNT = re.compile(r"^arn:[^:]+:ec2:[^:]*:[^:]*:(subnet|security-group)/")


def _other_account(r: Request, s: WorkflowSettings) -> Request | None:
    part = f":{s.account_id}:"
    if part not in r.resource or _ANY_ACCOUNT.match(r.resource) or r.action.startswith("kms:"):
        return None
    return attrs.evolve(r, resource=r.resource.replace(part, f":{FOREIGN_ACCOUNT}:", 1))


def _other_region(r: Request, s: WorkflowSettings) -> Request | None:
    part = f":{s.region}:"
    if part not in r.resource or r.action.startswith("kms:"):
        return None
    return attrs.evolve(r, resource=r.resource.replace(part, f":{FOREIGN_REGION}:", 1))


def _false(keys: tuple[str, ...]) -> Mutation:
    return _replace(keys, lambda r, s: False)


def _net(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.network is not None


def _vol(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.encryption is not None and s.encryption.volume_kms_key is not None


def _out(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.encryption is not None and s.encryption.output_kms_key is not None


def _enc(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.encryption is not None


def _types(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.guardrails is not None and bool(s.guardrails.instance_types)


def _iso(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.guardrails is not None and s.guardrails.network_isolation


def _ict(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return s.guardrails is not None and s.guardrails.inter_container_traffic_encryption


def _always(s: WorkflowSettings, account: bool, region: bool) -> bool:
    return True


GUARDRAIL_VIOLATIONS: tuple[GuardrailViolation, ...] = (
    GuardrailViolation("network", "no VPC", _net, _drop(_VPC, vpc=True)),
    GuardrailViolation("network", "a foreign subnet", _net,
                       _replace(("sagemaker:VpcSubnets",), _add(FOREIGN_SUBNET))),
    GuardrailViolation("network", "a foreign security group", _net,
                       _replace(("sagemaker:VpcSecurityGroupIds",), _add(FOREIGN_SECURITY_GROUP))),
    GuardrailViolation("encryption", "no volume key", _vol, _drop(_VOLUME)),
    GuardrailViolation("encryption", "a foreign volume key", _vol,
                       _replace(_VOLUME, lambda r, s: _foreign_key(s))),
    GuardrailViolation("encryption", "no output key", _out, _drop(_OUTPUT)),
    GuardrailViolation("encryption", "a foreign output key", _out,
                       _replace(_OUTPUT, lambda r, s: _foreign_key(s))),
    GuardrailViolation("encryption", "a foreign key through KMS", _enc, _kms_foreign),
    GuardrailViolation("instance types", "an instance type not allowed", _types,
                       _replace(("sagemaker:InstanceTypes",), _outside_type)),
    GuardrailViolation("network isolation", "network isolation off", _iso,
                       _false(("sagemaker:NetworkIsolation",))),
    GuardrailViolation("inter-container traffic encryption", "traffic encryption off", _ict,
                       _false(("sagemaker:InterContainerTrafficEncryption",))),
    GuardrailViolation("pass roles", "another role to pass", _always, _other_role),
    GuardrailViolation("buckets", "another bucket", _always, _other_bucket),
    GuardrailViolation("account", "another account", lambda s, a, r: a, _other_account),
    GuardrailViolation("region", "another region", lambda s, a, r: r, _other_region),
)
"""Every guard-rail's violations, in the order reports list them."""


def violations(
    settings: WorkflowSettings,
    workflows: Iterable[Workflow],
    *,
    account_scoped: bool,
    region_scoped: bool,
    skip: frozenset[str] = frozenset(),
) -> Iterator[Violation]:
    """The violations of ``workflows``' requests that the guard-rails in
    ``settings`` must refuse, one per guard-rail, way and action (the first
    request of each action stands for the others); ``skip`` names guard-rails
    not to test (``"buckets"`` for a persona with S3 Full Access)."""
    seen: set[tuple[str, str, str]] = set()
    rows = [
        g for g in GUARDRAIL_VIOLATIONS
        if g.guardrail not in skip and g.applies(settings, account_scoped, region_scoped)
    ]
    for wf in workflows:
        for request in wf.requests:
            for g in rows:
                key = (g.guardrail, g.name, request.action)
                if key in seen:
                    continue
                broken = g.mutate(request, settings)
                if broken is None:
                    continue
                seen.add(key)
                yield Violation(g.guardrail, g.name, wf.name, broken)
