"""Coverage of Role Manager's templates, activity by activity (issue 2, point 13).

For every template (and each of its Vpc/Kms variants) the matching secureml
activity, built with the same settings, must grant every action the template
granted, except the deliberate exclusions below. The test prints a table of
activity -> granted/missing (shown with ``pytest -s`` or in the failure).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cases import ACCOUNT, ENCRYPTION, NETWORK, REGION

from secureml import activities as act
from secureml.activities import Activity, ActivityContext

TEMPLATES = Path(__file__).parent / "data" / "role-manager-templates"

# template stem -> the activity that replaces it
ACTIVITY_OF: dict[str, type[Activity]] = {
    "accessAWSServices": act.AccessRequiredAWSServices,
    "runStudioApps": act.RunStudioApplications,
    "manageJobs": act.ManageMLJobs,
    "manageModels": act.ManageModels,
    "manageEndpoints": act.ManageEndpoints,
    "managePipelines": act.ManagePipelines,
    "manageExperiments": act.ManageExperiments,
    "visualizeExperiments": act.SearchAndVisualizeExperiments,
    "monitorModels": act.ManageModelMonitoring,
    "accessS3AllResources": act.S3FullAccess,
    "accessS3Buckets": act.S3BucketAccess,
    "queryWorkgroups": act.QueryAthenaWorkgroups,
    "manageGlueTables": act.ManageGlueTables,
}

# (activity name, action) -> why secureml leaves it out on purpose.
DELIBERATE_EXCLUSIONS: dict[tuple[str, str], str] = {
    ("Manage AWS Glue Tables", "s3:PutBucketAcl"): (
        "dead: Role Manager granted it on object ARNs, where it never matches, and the "
        "Feature Store offline store sets bucket-owner-full-control on each object it writes "
        "(s3:PutObjectAcl, granted with that ACL only)"
    ),
    ("Run Studio Applications", "iam:PassRole"): (
        "only in the first version of the template; Role Manager's second version dropped it "
        "because no Studio app API takes a role (jobs and models pass roles in their own "
        "activities)"
    ),
    **{
        ("Run Studio Applications", f"sagemaker:{verb}AppImageConfig"): (
            "an app image config sets what runs in every user's app with that user's role, so "
            "rewriting it is an escalation path (issue 11): moved to Manage Studio App Images, "
            "a non-default activity for platform admins"
        )
        for verb in ("Create", "Delete", "Update")
    },
}


def _split(stem: str) -> tuple[str, bool, bool]:
    """(base template, network variant, encryption variant) of a template file stem."""
    base = stem
    for suffix in ("V2", "KMS", "Kms"):
        base = base.removesuffix(suffix)
    kms = base != stem.removesuffix("V2")
    vpc = base.endswith("Vpc")
    return base.removesuffix("Vpc"), vpc, kms


def _template_actions(path: Path) -> set[str]:
    doc = json.loads(path.read_text())["templateJson"]
    out: set[str] = set()
    for stmt in doc["Statement"]:
        action = stmt["Action"]
        out.update([action] if isinstance(action, str) else action)
    return out


def _activity(cls: type[Activity]) -> Activity:
    if cls is act.QueryAthenaWorkgroups:
        return act.QueryAthenaWorkgroups(workgroups=["primary"])
    if cls is act.ManageGlueTables:
        return act.ManageGlueTables(glue_databases=["team_a"])
    return cls()


def _granted(cls: type[Activity], vpc: bool, kms: bool) -> set[str]:
    ctx = ActivityContext(
        persona="parity",
        kind="DataScientist",
        account_id=ACCOUNT,
        region=REGION,
        buckets=("team-a-data",),
        ecr_repositories=("team-a/*",),
        pass_roles=("team-a-compute",),
        network=NETWORK if vpc else None,
        encryption=ENCRYPTION if kms else None,
    )
    return {a for s in _activity(cls).statements(ctx) for a in s.actions}


def _rows() -> list[tuple[str, str, int, list[str]]]:
    rows = []
    for path in sorted(TEMPLATES.glob("*.json")):
        base, vpc, kms = _split(path.stem)
        cls = ACTIVITY_OF[base]
        wanted = _template_actions(path)
        granted = _granted(cls, vpc, kms)
        missing = sorted(a for a in wanted - granted if (cls.name, a) not in DELIBERATE_EXCLUSIONS)
        rows.append((cls.name, path.name, len(wanted & granted), missing))
    return rows


def test_templates_are_present() -> None:
    stems = {_split(p.stem)[0] for p in TEMPLATES.glob("*.json")}
    assert stems == set(ACTIVITY_OF), "every Role Manager template maps to one activity"
    assert set(ACTIVITY_OF.values()) == set(act.BASELINE), "and every baseline activity has one"


def test_every_activity_grants_every_template_action() -> None:
    rows = _rows()
    width = max(len(r[0]) for r in rows)
    table = "\n".join(
        f"{name:<{width}}  {file:<30} granted {n:>3}  missing {', '.join(miss) or '-'}"
        for name, file, n, miss in rows
    )
    print("\nRole Manager parity (activity, template, actions granted, actions missing)")
    print(table)
    print("deliberate exclusions:")
    for (name, action), why in DELIBERATE_EXCLUSIONS.items():
        print(f"  {name}: {action}: {why}")
    assert not any(r[3] for r in rows), table


def test_exclusions_are_still_needed() -> None:
    # An exclusion that no longer excludes anything is stale: remove it.
    for name, action in DELIBERATE_EXCLUSIONS:
        cls = act.by_name(name)
        assert action not in _granted(cls, vpc=False, kms=False)


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("manageJobs", ("manageJobs", False, False)),
        ("manageJobsVpcKms", ("manageJobs", True, True)),
        ("manageEndpointsKMS", ("manageEndpoints", False, True)),
        ("runStudioAppsV2", ("runStudioApps", False, False)),
        ("monitorModelsVpc", ("monitorModels", True, False)),
    ],
)
def test_template_names_are_read_right(stem: str, expected: tuple[str, bool, bool]) -> None:
    assert _split(stem) == expected


def test_known_template_defects_are_fixed() -> None:
    # manageJobs.json lacks StopTransformJob; monitorModelsVpc.json drops the
    # schedule management statement: secureml grants both in every variant.
    for vpc in (False, True):
        assert "sagemaker:StopTransformJob" in _granted(act.ManageMLJobs, vpc, False)
        assert "sagemaker:DescribeMonitoringSchedule" in _granted(
            act.ManageModelMonitoring, vpc, False
        )
