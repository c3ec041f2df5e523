"""Benchmark: the offline half of secureml (personas and activities).

Prints two sets of figures:

1. Time to ``import secureml`` and build all three personas with every
   activity (their packed policy documents, with VPC/KMS settings), in a fresh
   interpreter each run, against ``import boto3`` measured in the same run
   (median of several runs; interpreter start-up excluded from both).
2. Policy bytes per persona (as IAM counts them, whitespace excluded) against
   Role Manager's templates for the same activities and settings, filled with
   the same inputs.
3. The permission-set inline policy of each default persona (wildcard account,
   a known region) under growing settings, against the 10,240-character limit,
   in the compact layout secureml writes and in the one-statement-per-scope
   layout it replaced (same permissions), so the saving is measured each run.

Run from the repository root::

    python benchmarks/bench_personas.py [--runs 7]

Role Manager's templates are read from ``../shared/reference/role-manager-templates``
(next to the repository) or, failing that, from the copy under ``tests/data``;
without either, the second table is skipped.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TEMPLATE_DIRS = (
    ROOT.parent / "shared" / "reference" / "role-manager-templates",
    ROOT / "tests" / "data" / "role-manager-templates",
)

_BUILD = """
import time
t = time.perf_counter()
import secureml as sm
from _cases import full_personas, NETWORK, ENCRYPTION, ACCOUNT, REGION
for p in full_personas(NETWORK, ENCRYPTION):
    p.policy_documents(ACCOUNT, REGION)
print(time.perf_counter() - t)
"""

_BOTO3 = """
import time
t = time.perf_counter()
import boto3
print(time.perf_counter() - t)
"""


def _time(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}", "PATH": "/usr/bin:/bin"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def bench_import(runs: int) -> None:
    secureml_times, boto3_times = [], []
    for _ in range(runs):
        # Interleaved, so both see the same machine load and file cache.
        secureml_times.append(_time(_BUILD))
        boto3_times.append(_time(_BOTO3))
    ours, theirs = statistics.median(secureml_times), statistics.median(boto3_times)
    print(f"import secureml + build 3 personas with every activity: {ours * 1000:8.1f} ms")
    print(f"import boto3:                                             {theirs * 1000:8.1f} ms")
    print(f"ratio secureml/boto3:                                     {ours / theirs:8.2f}")
    print(f"(median of {runs} runs each, fresh interpreter per run)")


# template stem per activity name, and which variants exist
_TEMPLATE_OF = {
    "Access Required AWS Services": "accessAWSServices",
    "Run Studio Applications": "runStudioApps",
    "Manage ML Jobs": "manageJobs",
    "Manage Models": "manageModels",
    "Manage Endpoints": "manageEndpoints",
    "Manage Pipelines": "managePipelines",
    "Manage Experiments": "manageExperiments",
    "Search and Visualize Experiments": "visualizeExperiments",
    "Manage Model Monitoring": "monitorModels",
    "S3 Full Access": "accessS3AllResourcesV2",
    "S3 Bucket Access": "accessS3Buckets",
    "Query Athena Workgroups": "queryWorkgroups",
    "Manage AWS Glue Tables": "manageGlueTables",
}


def _template(folder: Path, activity: str, vpc: bool, kms: bool) -> dict[str, object]:
    stem = _TEMPLATE_OF[activity]
    base = stem.removesuffix("V2")
    candidates = []
    if vpc and kms:
        candidates += [f"{base}VpcKms"]
    if vpc:
        candidates += [f"{base}Vpc"]
    if kms:
        candidates += [f"{base}Kms", f"{base}KMS"]
    candidates += [stem, base]
    for name in candidates:
        path = folder / f"{name}.json"
        if path.exists():
            return json.loads(path.read_text())["templateJson"]  # type: ignore[no-any-return]
    raise FileNotFoundError(f"no template for {activity!r} in {folder}")


def _fill(template: dict[str, object], values: dict[str, str]) -> str:
    text = json.dumps(template, separators=(",", ":"))
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def bench_sizes(folder: Path) -> None:
    from _cases import ACCOUNT, ENCRYPTION, NETWORK, REGION, default_personas, full_personas

    from secureml.policy import policy_size

    values = {
        "[[S3Buckets]]": "team-a-data",
        "[[ECRRepoArns]]": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team-a/*",
        "[[PassRoles]]": f"arn:aws:iam::{ACCOUNT}:role/team-a-compute",
        "[[VolumeKmsKeys]]": str(ENCRYPTION.volume_kms_key),
        "[[DataKmsKeys]]": str(ENCRYPTION.output_kms_key),
        "[[VpcSubnets]]": NETWORK.subnets[0],
        "[[VpcSecurityGroups]]": NETWORK.security_groups[0],
        "[[WorkGroupNames]]": "primary",
        "[[GlueDbNames]]": "team_a",
        "{{Region}}": REGION,
        "{{AccountId}}": ACCOUNT,
    }
    print(f"\npolicy characters per persona (whitespace excluded), templates from {folder}")
    print(f"{'persona':<34} {'settings':<8} {'secureml':>9} {'RoleMgr':>8} {'ratio':>6}  policies")
    for label, builder in (("default", default_personas), ("every activity", full_personas)):
        for secured in (False, True):
            personas = builder(NETWORK, ENCRYPTION) if secured else builder()
            for persona in personas:
                docs = persona.policy_documents(ACCOUNT, REGION)
                ours = sum(d.size for d in docs)
                theirs = sum(
                    policy_size(_fill(_template(folder, a.name, secured, secured), values))
                    for a in persona.activities
                )
                print(
                    f"{persona.name + ' (' + label + ')':<34} {'vpc+kms' if secured else 'none':<8}"
                    f" {ours:>9} {theirs:>8} {ours / theirs:>6.2f}  {len(docs)}"
                )


def _expanded(persona: object, region: str) -> int:
    """Size of the persona's policy without compaction: statements merged only
    where they differ in actions alone (the layout before compaction)."""
    from secureml.policy import PolicyDocument, merge_statements

    ctx = persona.context(None, region)  # type: ignore[attr-defined]
    raw = (s for a in persona.activities for s in a.statements(ctx))  # type: ignore[attr-defined]
    return PolicyDocument(merge_statements(raw)).size


def bench_permission_set_inline() -> None:
    from _cases import ENCRYPTION, GUARDRAILS, REGION, default_personas

    import secureml as sm
    from secureml.policy import LIMITS

    limit = LIMITS["permission set inline"].max_chars
    three = sm.NetworkSettings(
        subnets=[f"subnet-0a1b2c3d4e5f6071{i}" for i in range(3)],
        security_groups=[f"sg-0a1b2c3d4e5f6071{i}" for i in range(2)],
    )
    widest = sm.NetworkSettings(
        subnets=[f"subnet-0a1b2c3d4e5f607{i:02d}" for i in range(16)],
        security_groups=[f"sg-0a1b2c3d4e5f6071{i}" for i in range(5)],
    )
    variants = (
        ("none", {}),
        ("vpc 3/2", {"network": three}),
        ("vpc 3/2 + kms", {"network": three, "encryption": ENCRYPTION}),
        ("vpc 3/2 + kms + rails", {"network": three, "encryption": ENCRYPTION,
                                   "guardrails": GUARDRAILS}),
        ("vpc 16/5 + kms + rails", {"network": widest, "encryption": ENCRYPTION,
                                    "guardrails": GUARDRAILS}),
    )
    print(f"\npermission-set inline policy (account '*', region {REGION}) against the "
          f"{limit:,}-character limit")
    print(f"{'persona':<16} {'settings (subnets/SGs)':<24} {'compact':>8} {'% limit':>8} "
          f"{'expanded':>9} {'% limit':>8}")
    for label, settings in variants:
        for default in default_personas():
            persona = default.with_settings(**settings)
            compact = persona.policy_document(None, REGION).size
            expanded = _expanded(persona, REGION)
            print(f"{persona.kind:<16} {label:<24} {compact:>8} {compact / limit:>8.0%} "
                  f"{expanded:>9} {expanded / limit:>8.0%}"
                  f"{'  OVER' if compact > limit else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per timing (median)")
    args = parser.parse_args()
    bench_import(args.runs)
    bench_permission_set_inline()
    folder = next((d for d in TEMPLATE_DIRS if d.is_dir()), None)
    if folder is None:
        print("\nRole Manager templates not found; policy size comparison skipped")
        return
    bench_sizes(folder)


if __name__ == "__main__":
    main()
