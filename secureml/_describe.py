"""Personas and activities in plain words: the facts their notebook display shows
and :meth:`Persona.describe <secureml.Persona.describe>`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from secureml import activities as _act
from secureml._display import Facts, words
from secureml.activities._base import Activity

if TYPE_CHECKING:
    from secureml.personas import Persona

__all__ = ["activity_facts", "activity_inputs", "describe_persona", "persona_facts"]

_WHAT: dict[type[Activity], str] = {
    _act.AccessRequiredAWSServices: (
        "run as the execution role of SageMaker jobs, models and endpoints: read and write "
        "its S3 data, pull its container images, write CloudWatch metrics and logs"
    ),
    _act.RunStudioApplications: "open SageMaker Studio and run its applications",
    _act.ManageMLJobs: (
        "create, stop and inspect training, processing, transform, tuning and AutoML jobs"
    ),
    _act.ManageModels: "register, version and deploy models (model registry, model packages)",
    _act.ManageEndpoints: "create, update and delete endpoints and endpoint configurations",
    _act.ManagePipelines: "create, start and manage SageMaker Pipelines",
    _act.ManageExperiments: "create and update experiments, trials and runs",
    _act.SearchAndVisualizeExperiments: "search and view experiments and their metrics",
    _act.ManageModelMonitoring: "schedule and run model monitoring jobs",
    _act.S3FullAccess: "read, write and delete objects in every S3 bucket it can reach",
    _act.S3BucketAccess: "read, write and delete objects in named S3 buckets",
    _act.QueryAthenaWorkgroups: "run Athena queries in named workgroups",
    _act.ManageGlueTables: "create and change Glue tables in named databases",
}

_PHRASE = {
    "buckets": "in buckets",
    "ecr_repositories": "with images from ECR repositories",
    "pass_roles": "running as",
    "workgroups": "in workgroups",
    "glue_databases": "in Glue databases",
}


def activity_inputs(activity: Activity, persona: Persona | None = None) -> list[tuple[str, str]]:
    """(input, value) for each input of ``activity``: its own values, or what it
    takes from the persona when it has none (never an empty list that reads as
    "nothing"), resolved when the ``persona`` is given."""
    out = []
    for field in attrs.fields(type(activity)):
        value = getattr(activity, field.name)
        if not isinstance(value, tuple):
            continue
        if value:
            shown = ", ".join(value)
        elif persona is not None:
            inherited = getattr(persona, field.name, ())
            shown = f"{', '.join(inherited)} (the persona's)" if inherited else "none given"
        else:
            shown = f"the persona's {field.name}"
        out.append((field.name, shown))
    return out


def activity_facts(activity: Activity) -> Facts:
    """The rows of an activity's display."""
    facts: list[tuple[str, str]] = [("does", _WHAT.get(type(activity), activity.name))]
    facts.extend(activity_inputs(activity))
    if activity.requires:
        facts.append(("needs", ", ".join(sorted(activity.requires))))
    if activity.data_access:
        facts.append(("data access", "yes (S3)"))
    return facts


def _activity_line(activity: Activity, persona: Persona) -> str:
    inputs = "; ".join(f"{k}: {v}" for k, v in activity_inputs(activity, persona))
    return activity.name + (f" ({inputs})" if inputs else "")


def _guardrails(persona: Persona) -> list[str]:
    rails = []
    if persona.network is not None:
        rails.append(
            f"jobs, models and apps must run in subnets {words(persona.network.subnets)} "
            f"with security groups {words(persona.network.security_groups)}"
        )
    if persona.encryption is not None:
        if persona.encryption.volume_kms_key:
            rails.append(f"volumes encrypted with KMS key {persona.encryption.volume_kms_key}")
        if persona.encryption.output_kms_key:
            rails.append(f"outputs encrypted with KMS key {persona.encryption.output_kms_key}")
    g = persona.guardrails
    if g is not None:
        if g.network_isolation:
            rails.append("jobs and models run with network isolation")
        if g.inter_container_traffic_encryption:
            rails.append("traffic between training containers encrypted")
        if g.instance_types:
            rails.append(f"instance types limited to {words(g.instance_types)}")
    return rails


def persona_facts(persona: Persona) -> Facts:
    """The rows of a persona's display: activities with their inputs, inputs,
    settings and sizes."""
    facts: list[tuple[str, str]] = [
        ("activities", "\n".join(_activity_line(a, persona) for a in persona.activities) or "none"),
    ]
    for field in ("buckets", "ecr_repositories", "pass_roles", "workgroups", "glue_databases"):
        value = getattr(persona, field)
        if value:
            facts.append((field, ", ".join(value)))
    rails = _guardrails(persona)
    facts.append(("guard-rails", "\n".join(rails) if rails else "none (no VPC, KMS or other)"))
    if persona.managed_policies:
        facts.append(("managed policies", "\n".join(persona.managed_policies)))
    if persona.permissions_boundary:
        facts.append(("boundary", persona.permissions_boundary))
    if persona.tags:
        facts.append(("tags", ", ".join(f"{k}={v}" for k, v in sorted(persona.tags.items()))))
    facts.append(("max session", persona.max_session_duration))
    try:
        docs = persona.policy_documents()
        sizes = ", ".join(f"{d.size:,}" for d in docs)
        facts.append((
            "policy size",
            f"{sum(len(d) for d in docs)} statements in {len(docs)} managed "
            f"polic{'y' if len(docs) == 1 else 'ies'} of {sizes} characters (limit 6,144 each)",
        ))
    except ValueError as exc:  # too large to pack: say so rather than fail to display
        facts.append(("policy size", f"does not fit: {exc}"))
    return facts


def _cannot(persona: Persona) -> list[str]:
    have = {type(a) for a in persona.activities}
    missing = [cls for cls in _act.ALL if cls not in have]
    lines = [f"{_WHAT[cls]} (no {cls.name!r})" for cls in missing if cls in _WHAT]
    if not (have & {_act.S3BucketAccess, _act.S3FullAccess, _act.AccessRequiredAWSServices}):
        lines.append("read or write S3 data")
    elif _act.S3FullAccess not in have:
        buckets = sorted(
            {b for a in persona.activities for b in getattr(a, "buckets", ())}
            | set(persona.buckets)
        )
        lines.append(f"touch S3 buckets other than {words(buckets)}")
    if not persona.pass_roles and not any(getattr(a, "pass_roles", ()) for a in persona.activities):
        lines.append("pass any role to SageMaker")
    lines.append("change IAM, or anything outside SageMaker and the services above")
    return lines


def describe_persona(persona: Persona) -> str:
    """What ``persona`` can do, on what, under which guard-rails, and what it cannot."""
    kind = {"DataScientist": "Data Scientist", "MLOps": "MLOps", "Compute": "SageMaker Compute"}
    lines = [f"{persona.name} ({kind.get(persona.kind, persona.kind)} persona) can:"]
    for a in persona.activities:
        detail = "; ".join(
            f"{_PHRASE.get(k, k)} {v.removesuffix(' (the persona' + chr(39) + 's)')}"
            for k, v in activity_inputs(a, persona)
        )
        lines.append(f"- {_WHAT.get(type(a), a.name)}" + (f" ({detail})" if detail else ""))
    if persona.pass_roles:
        lines.append(f"- pass the roles {words(persona.pass_roles)} to SageMaker only")
    if persona.managed_policies:
        lines.append(
            f"- whatever the attached managed policies grant: {words(persona.managed_policies)}"
        )
    rails = _guardrails(persona)
    lines.append("Under these guard-rails:" if rails else "Guard-rails: none set.")
    lines.extend(f"- {r}" for r in rails)
    if persona.permissions_boundary:
        lines.append(f"- never beyond the permissions boundary {persona.permissions_boundary}")
    lines.append("It cannot:")
    lines.extend(f"- {c}" for c in _cannot(persona))
    return "\n".join(lines)
