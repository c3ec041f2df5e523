"""What plans and applies cost as blueprints and accounts grow (moto, counted calls).

Blueprints of 3, 30 and 300 persona roles, each alone and with 10 permission
sets and 50 group assignments, in an empty account and in a busy one (1,500
roles that are not the blueprint's). For each:

- calls of a fresh apply (reads and writes), and of the no-op plan after it,
  with the IAM share and the read calls per resource of the blueprint;
- with ``--latency-ms`` (50 by default) injected before every call, the fresh
  apply's wall time three ways: one worker (what sequential calls cost),
  the default worker count, and as many workers as resources (the critical
  path: the longest chain of dependent calls bounds it, not the resource count).

Targets (issue 13): a no-op plan of 30 roles in at most 0.5 read calls per
resource; IAM reads that grow with the account's pages, not the blueprint's
roles; a fresh apply of 30 roles at least 5 times faster than sequential calls.

Run: ``PYTHONPATH=. python benchmarks/bench_plan_cost.py [--roles 3 30 300]
[--latency-ms 50] [--timed-roles 3 30]``
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3

import secureml as sm
from secureml.aws import RetryPolicy
from secureml.testing import CallRecorder, mock_session

NO_SLEEP = RetryPolicy(sleep=lambda _: None)
ACCOUNT = "123456789012"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
GROUPS = [f"team-{g}" for g in range(5)]


def resources(n_roles: int, identity_center: bool) -> list[Any]:
    """``n_roles`` persona roles (a third each Compute, Data Scientist, MLOps), and
    optionally 10 permission sets with 5 groups x 10 sets = 50 assignments."""
    out: list[Any] = []
    for i in range(0, n_roles, 3):
        compute = sm.Compute(f"compute-{i}", buckets=[f"data-{i}"])
        team = [
            compute,
            sm.DataScientist(f"ds-{i}", buckets=[f"data-{i}"], pass_roles=[compute]),
            sm.MLOps(f"mlops-{i}", pass_roles=[compute]),
        ]
        out.extend(p.role() for p in team[: n_roles - i])
    if identity_center:
        sets = [sm.PermissionSet(name=f"ps-{p}", managed_policies=[READ_ONLY]) for p in range(10)]
        out.extend(sets)
        out.extend(
            sm.GroupAssignment(group=g, permission_set=ps, accounts=[ACCOUNT])
            for g in GROUPS
            for ps in sets
        )
    return out


def prepare_account(session: boto3.Session, busy_roles: int) -> None:
    store = session.client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"]
    for g in GROUPS:
        session.client("identitystore").create_group(IdentityStoreId=store, DisplayName=g)
    iam = session.client("iam")
    for i in range(busy_roles):
        iam.create_role(RoleName=f"other-{i}", AssumeRolePolicyDocument="{}",
                        Tags=[{"Key": "team", "Value": "other"}])


def counted(session: boto3.Session, fn: Callable[[], Any]) -> Counter[str]:
    calls = CallRecorder.attach(session)
    fn()
    session.events.unregister("before-parameter-build.*.*", calls._record)
    return Counter(f"{c.service}:{c.operation}" for c in calls.calls)


def mutating(ops: Counter[str]) -> int:
    reads = ("Get", "List", "Describe", "Search", "Lookup", "Head", "Simulate")
    return sum(n for op, n in ops.items() if not op.split(":", 1)[1].startswith(reads))


def call_table(role_counts: list[int], busy: int) -> None:
    print(f"{'roles':>5} {'IC':>3} {'account':>8} {'resources':>9} | {'apply':>6} "
          f"{'writes':>6} | {'no-op plan':>10} {'iam':>4} {'per resource':>12}")
    for n in role_counts:
        for ic in (False, True):
            for busy_roles in (0, busy):
                with mock_session() as session:
                    prepare_account(session, busy_roles)
                    items = resources(n, ic)
                    # One worker: counts do not depend on concurrency (moto itself is
                    # safe with more: secureml's completion serves one request at a time).
                    bp = sm.Blueprint("bench", items, retry=NO_SLEEP, max_workers=1)
                    applied = counted(session, lambda bp=bp: bp.apply(session))  # type: ignore[misc]
                    plan_ops = counted(session, lambda bp=bp: bp.plan(session))  # type: ignore[misc]
                assert mutating(plan_ops) == 0
                total = sum(plan_ops.values())
                iam = sum(v for k, v in plan_ops.items() if k.startswith("iam:"))
                label = "busy" if busy_roles else "empty"
                print(f"{n:>5} {'yes' if ic else 'no':>3} {label:>8} {len(items):>9} | "
                      f"{sum(applied.values()):>6} {mutating(applied):>6} | {total:>10} "
                      f"{iam:>4} {total / len(items):>12.2f}")


def timed_apply(n: int, latency: float, workers: int) -> tuple[float, int]:
    with mock_session() as session:
        prepare_account(session, 0)
        bp = sm.Blueprint("bench", resources(n, False), retry=NO_SLEEP, max_workers=workers)
        bp.plan(session)  # warm moto's backends: the figures show latency, not start-up

        def slow(**_: Any) -> None:
            time.sleep(latency)

        session.events.register("before-call.*.*", slow)
        calls = CallRecorder.attach(session)
        started = time.perf_counter()
        bp.apply(session)
        return time.perf_counter() - started, len(calls.calls)


def wall_times(role_counts: list[int], latency_ms: float) -> None:
    latency = latency_ms / 1000
    default = sm.Blueprint("x", []).max_workers
    print(f"\nFresh apply with {latency_ms:.0f} ms before every call (roles only)")
    print(f"{'roles':>5} {'calls':>6} {'sum of calls':>12} {'1 worker':>9} "
          f"{f'{default} workers':>10} {'critical path':>13} {'speed-up':>9}")
    for n in role_counts:
        default_s, calls = timed_apply(n, latency, default)
        sequential_s, _ = timed_apply(n, latency, 1)
        critical_s, _ = timed_apply(n, latency, max(n, 1))
        print(f"{n:>5} {calls:>6} {calls * latency:>11.2f}s {sequential_s:>8.2f}s "
              f"{default_s:>9.2f}s {critical_s:>12.2f}s {sequential_s / default_s:>8.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roles", type=int, nargs="*", default=[3, 30, 300])
    parser.add_argument("--busy-roles", type=int, default=1500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--timed-roles", type=int, nargs="*", default=[3, 30])
    args = parser.parse_args()
    call_table(args.roles, args.busy_roles)
    if args.timed_roles:
        wall_times(args.timed_roles, args.latency_ms)


if __name__ == "__main__":
    main()
