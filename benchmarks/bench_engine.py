"""Engine benchmark: AWS calls made by plan() and apply() for the three-persona
blueprint, against the minimum needed, and wall time with a simulated per-call
latency, sequential versus concurrent.

Run: ``python benchmarks/bench_engine.py [--latency-ms 20]`` (moto, no network).
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from typing import Any

import boto3

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.testing import CallRecorder, mock_session

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
ACCOUNT = "123456789012"
REGION = "us-east-1"


def personas(buckets: tuple[str, ...] = ("team-a-data",)) -> list[sm.Persona]:
    compute = sm.Compute("team-a-compute", buckets=list(buckets), ecr_repositories=["team-a/*"])
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=[compute])
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute])
    return [compute, ds, mlops]


def blueprint(people: list[sm.Persona], workers: int = 4) -> sm.Blueprint:
    return sm.Blueprint(
        "ml-platform", [p.role() for p in people], retry=NO_SLEEP, max_workers=workers
    )


def own_policy_count(people: list[sm.Persona]) -> int:
    return sum(len(p.policy_documents(ACCOUNT, REGION)) for p in people)


def measure(session: boto3.Session, fn: Callable[[], Any]) -> tuple[int, int, dict[str, int]]:
    calls = CallRecorder.attach(session)
    fn()
    session.events.unregister("before-call.*.*", calls._record)
    by_op = collections.Counter(calls.operations())
    return len(calls.calls), len(calls.mutating), dict(by_op)


def iam_only(by_op: dict[str, int]) -> int:
    return sum(n for op, n in by_op.items() if op.startswith(("iam:", "sts:")))


def row(label: str, total: int, mutating: int, iam: int, minimum: str) -> None:
    print(f"{label:<34} {total:>6} {total - mutating:>6} {mutating:>9} {iam:>9}   {minimum}")


def call_counts() -> None:
    people = personas()
    changed = personas(("team-a-data", "team-a-extra"))
    n_roles = len(people)
    n_pol = own_policy_count(people)
    print("AWS calls, three-persona blueprint (3 roles, "
          f"{n_pol} own managed policies, 0 AWS managed)")
    print(f"{'scenario':<34} {'total':>6} {'reads':>6} {'mutating':>9} {'iam+sts':>9}   minimum")
    with mock_session() as session:
        total, mut, ops = measure(session, lambda: blueprint(people).plan(session))
        row("plan, fresh account", total, mut, iam_only(ops),
            f"reads {1 + n_roles} (STS + GetRole each) + 2 IAM discovery listings")
        total, mut, ops = measure(session, lambda: blueprint(people).apply(session))
        row("apply, fresh account", total, mut, iam_only(ops),
            f"mutating {n_roles + 2 * n_pol} (CreateRole x{n_roles}, CreatePolicy x{n_pol}, "
            f"AttachRolePolicy x{n_pol})")
        total, mut, ops = measure(session, lambda: blueprint(people).plan(session))
        per_role = 3 * n_roles + n_pol
        row("plan, no change", total, mut, iam_only(ops),
            f"reads {1 + per_role + 2}: STS, GetRole+ListAttached+ListInline per role, "
            "GetPolicyVersion per policy, 2 listings")
        total, mut, ops = measure(session, lambda: blueprint(people).apply(session))
        row("apply, no change", total, mut, iam_only(ops), "mutating 0")
        total, mut, ops = measure(session, lambda: blueprint(changed).plan(session))
        row("plan, one policy changed", total, mut, iam_only(ops), "same reads as no change")
        total, mut, ops = measure(session, lambda: blueprint(changed).apply(session))
        row("apply, one policy changed", total, mut, iam_only(ops),
            "mutating 1 (CreatePolicyVersion) + 1 read (ListPolicyVersions, for the 5 cap)")
        print("  detail, apply one policy changed:",
              {k: v for k, v in sorted(ops.items()) if not k.startswith(("sso", "cloudtrail"))})
        others = {k: v for k, v in sorted(ops.items()) if not k.startswith(("iam:", "sts:"))}
        print("  discovery of the other resource kinds (for prune), per plan:", others)


def latency(latency_ms: float) -> None:
    delay = latency_ms / 1000
    print(f"\nWall time with {latency_ms:.0f} ms simulated latency per call "
          "(botocore before-call hook that sleeps)")
    print(f"{'scenario':<34} {'workers':>8} {'seconds':>8} {'calls':>6}")

    def slow(**_: Any) -> None:
        time.sleep(delay)

    for label, action in (("apply, fresh account", "apply"), ("plan, no change", "plan")):
        for workers in (1, 4, 8):
            with mock_session() as session:
                people = personas()
                # Warm moto's backends first so the figures show latency, not emulator start-up.
                if action == "plan":
                    blueprint(people).apply(session)
                else:
                    blueprint(people).plan(session)
                session.events.register("before-call.*.*", slow)
                calls = CallRecorder.attach(session)
                bp = blueprint(people, workers)
                start = time.perf_counter()
                bp.plan(session) if action == "plan" else bp.apply(session)
                elapsed = time.perf_counter() - start
                print(f"{label:<34} {workers:>8} {elapsed:>8.2f} {len(calls.calls):>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    call_counts()
    latency(args.latency_ms)


if __name__ == "__main__":
    main()
