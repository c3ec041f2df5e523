"""AWS calls made by Identity Center plans and applies, on moto, at organisation scale.

Scenario: 100 accounts, 5 permission sets, G groups; every group holds every
permission set in every account (G x 500 assignments). Prints, for a blueprint
of the 5 permission sets and G x 5 group assignments:

- the read calls of a no-op plan (every resource read, then discovery for prune),
  split by operation, against the formula the tests assert;
- the calls of a fresh apply (mutating ones against the minimum: 5 creates, the
  policy attachments, one CreateAccountAssignment per assignment);
- wall time of the no-op plan with a simulated per-call latency, with Identity
  Center's rate limit (every sso-admin request through one 20 requests/s token
  bucket, ``secureml.resources.identity_center._operations``) and, for comparison, without it.

Identity Center takes about 20 requests/s for all its APIs together, so the
floor of a no-op plan is (sso-admin calls) / 20 s whatever the latency; the
listings run on a few threads so that the rate, not the latency, is what bounds
it. Before the listings were parallel (and paced) the same plan took 13.4 s at
20 ms (42 requests/s: over the quota, so throttled and retried against real
AWS) and 54.5 s at 100 ms.

Run: ``PYTHONPATH=. python benchmarks/bench_identity_center.py [--groups 5]
[--latency-ms 20 100]``
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from typing import Any

import secureml as sm
from secureml._moto_sso import moto_identity_center
from secureml.aws import RetryPolicy
from secureml.resources import GroupAssignment, PermissionSet
from secureml.resources.identity_center import _operations as _sso_async
from secureml.testing import CallRecorder, mock_session

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def build(n_accounts: int, n_ps: int, n_groups: int) -> tuple[list[Any], list[str]]:
    accounts = [f"{100000000000 + i}" for i in range(n_accounts)]
    groups = [f"team-{g}" for g in range(n_groups)]
    sets = [PermissionSet(name=f"ps-{p}", managed_policies=[READ_ONLY]) for p in range(n_ps)]
    assignments = [
        GroupAssignment(group=g, permission_set=ps, accounts=accounts)
        for g in groups
        for ps in sets
    ]
    return [*sets, *assignments], groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--permission-sets", type=int, default=5)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[20.0, 100.0])
    args = parser.parse_args()
    n_acc, n_ps, n_g = args.accounts, args.permission_sets, args.groups

    resources, groups = build(n_acc, n_ps, n_g)
    with mock_session() as session, moto_identity_center():
        store = session.client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"]
        for g in groups:
            session.client("identitystore").create_group(IdentityStoreId=store, DisplayName=g)
        bp = sm.Blueprint("bench", resources, retry=RetryPolicy(sleep=lambda _: None))
        calls = CallRecorder.attach(session)

        started = time.perf_counter()
        bp.apply(session)
        fresh = time.perf_counter() - started
        mutating = Counter(c.operation for c in calls.mutating)
        reads = Counter(c.operation for c in calls.calls if not c.mutating)
        print(f"fresh apply: {len(calls.calls)} calls ({sum(reads.values())} reads, "
              f"{sum(mutating.values())} mutating) in {fresh:.1f}s (moto, no latency)")
        minimum = n_ps + n_ps + n_g * n_ps * n_acc  # create + attach, one call per assignment
        print(f"  mutating: {dict(mutating)}; minimum {minimum}")

        calls.clear()
        plan = bp.plan(session)
        assert plan.is_empty, plan
        sso = [c for c in calls.calls if c.service in {"sso-admin", "identitystore"}]
        ops = Counter(c.operation for c in sso)
        others = len(calls.calls) - len(sso)
        assert not calls.mutating
        pages = math.ceil(n_ps * n_acc / 100)
        read_formula = 2 + n_ps + 5 * n_ps + n_g * (1 + pages)
        discover_formula = n_ps * (math.ceil(n_acc / 100) + n_acc)
        print(f"no-op plan: {len(sso)} Identity Center read calls (+{others} by other kinds' "
              f"discovery); formula <= {read_formula} (reads) + {discover_formula} "
              f"(discovery for prune) = {read_formula + discover_formula}")
        for op, n in sorted(ops.items(), key=lambda kv: -kv[1]):
            print(f"  {op:45s} {n}")
        naive = n_ps * n_g * n_acc
        print(f"  (one call per account x permission set x group would be {naive})")

        n_sso_admin = sum(1 for c in sso if c.service == "sso-admin")
        floor = n_sso_admin / _sso_async.REQUESTS_PER_SECOND
        # Real sleeps from here: the rate limiter waits through the retry policy's sleep.
        timed = sm.Blueprint("bench", resources)
        latency = [0.0]

        def slow(**_: Any) -> None:
            time.sleep(latency[0])

        session.events.register("before-call.*.*", slow)
        rate = _sso_async.REQUESTS_PER_SECOND
        for ms in args.latency_ms:
            latency[0] = ms / 1000
            for label, limit in (("20 requests/s limit", rate), ("no limit", math.inf)):
                _sso_async.REQUESTS_PER_SECOND = limit
                started = time.perf_counter()
                assert timed.plan(session).is_empty
                took = time.perf_counter() - started
                print(f"no-op plan, {ms:.0f} ms per call, {label}: {took:.1f}s "
                      f"({n_sso_admin / took:.0f} sso-admin requests/s; floor at 20/s "
                      f"{floor:.1f}s)")
            _sso_async.REQUESTS_PER_SECOND = rate


if __name__ == "__main__":
    main()
