"""``persona.check()``: every workflow of a persona's activities evaluated
against its packed policies, and every guard-rail violation against them too."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from secureml.settings import PrincipalTag
from secureml.workflows._model import Expect, Request, Workflow, WorkflowSettings, context_for
from secureml.workflows._registry import WORKFLOWS
from secureml.workflows._violations import violations

if TYPE_CHECKING:
    from secureml.personas import Persona
    from secureml.policy import PolicyDocument

__all__ = ["CheckReport", "CheckResult", "check_persona", "persona_workflows"]

Decision = Literal["allowed", "explicit_deny", "implicit_deny"]


@attrs.frozen
class CheckResult:
    """One request of a check: the workflow (or guard-rail violation) it belongs
    to, its step number, what was expected and what the policies decided."""

    workflow: str
    step: int
    request: Request
    expected: Expect
    decision: Decision
    explanation: str = ""
    violation: str | None = None
    """For a guard-rail violation: ``"<guard-rail>: <what is wrong>"``."""

    @property
    def passed(self) -> bool:
        """Whether the decision is the expected one."""
        return (self.decision == "allowed") == (self.expected == "allow")

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-able data."""
        return {
            "workflow": self.workflow,
            "step": self.step,
            **self.request.to_dict(),
            "expected": self.expected,
            "decision": self.decision,
            "passed": self.passed,
            "violation": self.violation,
            "explanation": self.explanation,
        }


@attrs.frozen
class CheckReport:
    """What :meth:`Persona.check() <secureml.Persona.check>` found.

    ``results`` holds one row per request of every workflow the persona's
    activities enable (expected: allowed) and per guard-rail violation
    (expected: refused); ``skipped`` names workflows the persona's activities
    enable but that need another activity it lacks, or that do not apply to
    its settings. ``str(report)`` is a readable summary with every failure
    explained.
    """

    persona: str
    account_id: str | None
    region: str | None
    results: tuple[CheckResult, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def passed(self) -> bool:
        """Whether every workflow is allowed and every violation refused."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The results that did not go as expected."""
        return tuple(r for r in self.results if not r.passed)

    @property
    def workflows(self) -> dict[str, bool]:
        """Workflow name -> whether all of its requests were allowed."""
        out: dict[str, bool] = {}
        for r in self.results:
            if r.violation is None:
                out[r.workflow] = out.get(r.workflow, True) and r.passed
        return out

    @property
    def refused_workflows(self) -> tuple[str, ...]:
        """Workflows with at least one request refused."""
        return tuple(name for name, ok in self.workflows.items() if not ok)

    @property
    def allowed_violations(self) -> tuple[CheckResult, ...]:
        """Guard-rail violations the policies let through."""
        return tuple(r for r in self.results if r.violation is not None and not r.passed)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able data (every result, passed or not)."""
        return {
            "persona": self.persona,
            "account_id": self.account_id,
            "region": self.region,
            "passed": self.passed,
            "workflows": self.workflows,
            "skipped": [{"workflow": w, "reason": why} for w, why in self.skipped],
            "violations_checked": sum(1 for r in self.results if r.violation is not None),
            "failures": [r.to_dict() for r in self.failures],
        }

    def __str__(self) -> str:
        where = f"account {self.account_id or '*'}, region {self.region or '*'}"
        n_viol = sum(1 for r in self.results if r.violation is not None)
        lines = [
            f"persona {self.persona} ({where}): "
            + ("PASS" if self.passed else "FAIL")
            + f", {len(self.workflows)} workflow(s), {n_viol} guard-rail violation(s) checked"
        ]
        for name, ok in self.workflows.items():
            lines.append(f"  {'ok  ' if ok else 'FAIL'} {name}")
        for name, why in self.skipped:
            lines.append(f"  skip {name}: {why}")
        for r in self.failures:
            what = (
                f"guard-rail violation allowed ({r.violation}) from {r.workflow}"
                if r.violation
                else f"{r.workflow} step {r.step} refused"
            )
            lines.append(f"\n  {what}: {r.request.call}")
            if r.request.context:
                lines.append(f"    context: {r.request.context_dict()}")
            if r.explanation:
                lines.extend(f"    {line}" for line in r.explanation.splitlines())
            else:
                lines.append(f"    {r.request.action} on {r.request.resource}: {r.decision}")
        return "\n".join(lines)


# The value a PrincipalTag scope gives the caller (and its team's resources).
EXAMPLE_TEAM = "example-team"


def _team_tags(
    persona: Persona, request: Request, context: Mapping[str, Any]
) -> dict[str, Any]:
    """For a persona with a :class:`~secureml.Scope` of tags: the team's tags on
    every SageMaker request, as the action takes them (on what a create makes,
    ``aws:RequestTag``/``aws:TagKeys``; on what exists, ``aws:ResourceTag`` and
    ``sagemaker:ResourceTag``), and the caller's own tag for a ``PrincipalTag``."""
    scope = persona.scope
    if scope is None or not scope.tags or not request.action.startswith("sagemaker:"):
        return {}
    values = {
        k: EXAMPLE_TEAM if isinstance(v, PrincipalTag) else v for k, v in scope.tags.items()
    }
    out: dict[str, Any] = {
        f"aws:PrincipalTag/{v.key}": EXAMPLE_TEAM
        for v in scope.tags.values() if isinstance(v, PrincipalTag)
    }
    wanted: dict[str, Any] = {"aws:TagKeys": sorted(values)}
    for k, v in values.items():
        wanted |= {f"aws:RequestTag/{k}": v, f"aws:ResourceTag/{k}": v,
                   f"sagemaker:ResourceTag/{k}": v}
    if "aws:TagKeys" in context:  # the request's own tags, and the team's
        wanted["aws:TagKeys"] = sorted({*context["aws:TagKeys"], *values})
    out.update(context_for(request.action, wanted))
    return out


def _requires_met(requires: Iterable[str], names: set[str]) -> str | None:
    for need in requires:
        options = [o.strip() for o in need.split("|")]
        if not any(o in names for o in options):
            return " or ".join(repr(o) for o in options)
    return None


def persona_workflows(
    persona: Persona, settings: WorkflowSettings
) -> tuple[list[Workflow], list[tuple[str, str]]]:
    """The workflows ``persona``'s activities enable, built for ``settings``, and
    the ones skipped with the reason."""
    names = {a.name for a in persona.activities}
    built: list[Workflow] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for activity in persona.activities:
        for wf_name in type(activity).workflows:
            if wf_name in seen:
                continue
            seen.add(wf_name)
            wf = WORKFLOWS[wf_name](settings)
            if wf is None:
                skipped.append((wf_name, "does not apply to the persona's settings"))
                continue
            missing = _requires_met(wf.requires, names)
            if missing is not None:
                skipped.append((wf_name, f"also needs activity {missing}"))
                continue
            built.append(wf)
    return built, skipped


def check_persona(
    persona: Persona,
    *,
    account_id: str | None = None,
    region: str | None = None,
    documents: Iterable[PolicyDocument | Mapping[str, Any]] | None = None,
    explain: bool = True,
) -> CheckReport:
    """Evaluate every workflow of ``persona``'s activities and every guard-rail
    violation against its packed policies (or ``documents``); see
    :meth:`secureml.Persona.check`."""
    from secureml.policy import evaluate  # noqa: PLC0415 - the evaluator loads its catalogue lazily

    docs = list(documents) if documents is not None else persona.policy_documents(
        account_id=account_id, region=region
    )
    settings = WorkflowSettings.for_persona(persona, account_id=account_id, region=region)
    workflows, skipped = persona_workflows(persona, settings)
    results: list[CheckResult] = []

    def run(wf: str, step: int, request: Request, expected: Expect, violation: str | None) -> None:
        # Global keys every request carries (the default bucket's grant names the
        # caller's account as ${aws:PrincipalAccount} when the account is unknown).
        context = {"aws:PrincipalAccount": settings.account_id, **request.context_dict()}
        context.update(_team_tags(persona, request, context))
        if request.action.startswith("s3:"):
            # S3 puts the owner of the bucket in every request; the workflows'
            # buckets are the persona's account's.
            context.setdefault("s3:ResourceAccount", settings.account_id)
        ev = evaluate(docs, request.action, request.resource, context)
        ok = ev.allowed == (expected == "allow")
        results.append(
            CheckResult(
                workflow=wf,
                step=step,
                request=request,
                expected=expected,
                decision=ev.decision,
                explanation=ev.explain() if (explain and not ok) else "",
                violation=violation,
            )
        )

    for wf in workflows:
        for step, request in enumerate(wf.requests, 1):
            run(wf.name, step, request, "allow", None)
    skip = frozenset({"buckets"}) if any(
        a.name == "S3 Full Access" for a in persona.activities
    ) else frozenset()
    for v in violations(
        settings, workflows, account_scoped=account_id is not None,
        region_scoped=region is not None, skip=skip,
    ):
        run(v.workflow, 0, v.request, "deny", f"{v.guardrail}: {v.name}")
    return CheckReport(
        persona=persona.name,
        account_id=account_id,
        region=region,
        results=tuple(results),
        skipped=tuple(skipped),
    )
