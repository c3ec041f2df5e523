"""Engine benchmark: AWS calls made by plan() and apply() for the three-persona
blueprint, against the minimum needed; the calls every plan spends on discovery
(looking for resources the blueprint owns but no longer lists), per kind, in the
benchmark's account and in a busy one; and wall time with a simulated per-call
latency, sequential versus concurrent.

Run: ``PYTHONPATH=. python benchmarks/bench_engine.py [--latency-ms 20]
[--busy-roles 1500]`` (moto, no network).
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from typing import Any

import boto3

import secureml as sm
from secureml.aws import AwsContext, RetryPolicy
from secureml.engine import resource_kinds
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


def discovery_calls(session: boto3.Session) -> dict[str, collections.Counter[str]]:
    """The calls each registered kind's discover() makes, all kinds on one context as
    in a plan (listings the kinds share are made once, by the first kind)."""
    out: dict[str, collections.Counter[str]] = {}
    calls = CallRecorder.attach(session)
    ctx = AwsContext(session=session, blueprint="ml-platform", retry=NO_SLEEP)
    ctx.account_id  # noqa: B018 - read before counting: every plan reads it anyway
    for kind, cls in resource_kinds().items():
        calls.clear()
        list(cls.discover(ctx, "ml-platform"))
        out[kind] = collections.Counter(calls.operations())
    session.events.unregister("before-parameter-build.*.*", calls._record)
    return out


def print_discovery(label: str, found: dict[str, collections.Counter[str]]) -> int:
    total = sum(sum(c.values()) for c in found.values())
    print(f"  {label}: {total} calls")
    for kind, ops in found.items():
        detail = ", ".join(f"{op} x{n}" for op, n in sorted(ops.items())) or "none"
        print(f"    {kind:<32} {sum(ops.values()):>4}  {detail}")
    return total


def busy_account(session: boto3.Session, roles: int, permission_sets: int, trails: int) -> None:
    """Roles, permission sets and trails that are not the blueprint's."""
    iam = session.client("iam")
    for i in range(roles):
        iam.create_role(RoleName=f"other-{i}", AssumeRolePolicyDocument="{}",
                        Tags=[{"Key": "team", "Value": "other"}])
    sso = session.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    for i in range(permission_sets):
        sso.create_permission_set(Name=f"other-{i}", InstanceArn=instance)
    s3 = session.client("s3")
    s3.create_bucket(Bucket="other-trail-logs")
    cloudtrail = session.client("cloudtrail")
    for i in range(trails):
        cloudtrail.create_trail(Name=f"other-{i}", S3BucketName="other-trail-logs")


def discovery(busy_roles: int) -> None:
    print("\nDiscovery: calls every plan makes to find resources no longer in the blueprint")
    with mock_session() as session:
        blueprint(personas()).apply(session)
        print_discovery("the three-persona account", discovery_calls(session))
        n_ps, n_trails = 100, 25
        busy_account(session, busy_roles, n_ps, n_trails)
        found = discovery_calls(session)
        print_discovery(
            f"plus {busy_roles} other roles, {n_ps} other permission sets, {n_trails} other "
            "trails", found,
        )
    sso = sum(n for ops in found.values() for op, n in ops.items() if op.startswith("sso-admin"))
    print(f"  Identity Center: {sso} of them; at its ~20 requests/s that is at least "
          f"{sso / 20:.1f} s added to every plan, whatever the blueprint holds")
    pages = -(-(busy_roles + 3) // 1000)
    print(f"  against real IAM GetAccountAuthorizationDetails takes {pages} page(s) here "
          "(1,000 roles a page; moto answers in one); ListPolicies is one page (path prefix)")


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
    parser.add_argument("--busy-roles", type=int, default=1500)
    args = parser.parse_args()
    call_counts()
    discovery(args.busy_roles)
    latency(args.latency_ms)


if __name__ == "__main__":
    main()
