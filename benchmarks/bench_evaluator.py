"""Benchmark: the local policy evaluator.

Prints:

1. Requests per second of :func:`secureml.policy.evaluate` against a Data
   Scientist's packed policies (every activity, VPC, KMS and guard-rails), for
   a mix of allowed and denied requests aimed at its own statements, with the
   documents given as parsed values, and as JSON text (parsed on every call).
2. The time to evaluate every (action, resource) one six-persona blueprint
   grants (two teams of Data Scientist, MLOps and Compute), each with its
   guard-rail keys set, through ``Persona.evaluate`` (which packs each persona's
   policies once and reuses them) and against documents the caller built.

Run from the repository root::

    python benchmarks/bench_evaluator.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import secureml as sm  # noqa: E402
from secureml.policy import catalog, evaluate  # noqa: E402

ACCOUNT = "111122223333"
REGION = "us-east-1"


def _team(team: str) -> list[sm.Persona]:
    from _cases import ENCRYPTION, GUARDRAILS, NETWORK, every_activity

    common: dict[str, Any] = {"network": NETWORK, "encryption": ENCRYPTION,
                              "guardrails": GUARDRAILS}
    compute = sm.Compute(f"{team}-compute", buckets=[f"{team}-data"],
                         ecr_repositories=[f"{team}/*"], activities=every_activity("Compute"),
                         **common)
    ds = sm.DataScientist(f"{team}-ds", buckets=[f"{team}-data"], pass_roles=[compute],
                          activities=every_activity("DataScientist"), **common)
    mlops = sm.MLOps(f"{team}-mlops", pass_roles=[compute],
                     activities=every_activity("MLOps"), **common)
    return [ds, mlops, compute]


def _requests(persona: sm.Persona) -> list[tuple[str, str, dict[str, Any]]]:
    """One request per (action, resource) the persona's statements grant, with the
    values its conditions ask for (allowed), and the same in another account (denied)."""
    out = []
    for stmt in persona.statements(ACCOUNT, REGION):
        ctx: dict[str, Any] = {}
        # Null checks first, so that the value another condition asks for wins.
        for cond in sorted(stmt.conditions, key=lambda c: c.operator != "Null"):
            value = "x" if cond.operator == "Null" else re.sub(r"[*?]", "x", cond.values[0])
            multi = cond.operator.startswith("For")
            ctx[cond.key] = [value] if multi else value
        for pattern in stmt.actions:
            for action in catalog.expand(pattern) or (pattern,):
                for resource in stmt.resources:
                    arn = "*" if resource == "*" else re.sub(r"[*?]", "x", resource)
                    out.append((action, arn, ctx))
                    if ACCOUNT in arn:
                        out.append((action, arn.replace(ACCOUNT, "444455556666"), ctx))
    return out


def _rate(fn: Any, requests: list[Any], seconds: float) -> tuple[float, int]:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for request in requests:
            fn(*request)
        done += len(requests)
    return done / (time.perf_counter() - start), done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    personas = _team("team-a") + _team("team-b")
    ds = personas[0]
    docs = ds.policy_documents(ACCOUNT, REGION)
    texts = [d.to_json() for d in docs]
    requests = _requests(ds)
    allowed = sum(evaluate(docs, a, r, c).allowed for a, r, c in requests)
    print(f"catalogue: {sm.policy.catalog_version()}")
    print(f"Data Scientist: {len(docs)} policies, {sum(len(d) for d in docs)} statements, "
          f"{len(requests)} requests ({allowed} allowed, {len(requests) - allowed} denied)")

    parsed, n1 = _rate(lambda a, r, c: evaluate(docs, a, r, c), requests, args.seconds)
    text, n2 = _rate(lambda a, r, c: evaluate(texts, a, r, c), requests, args.seconds)
    print(f"  evaluate(PolicyDocument values): {parsed:9,.0f} requests/s ({n1:,} requests)")
    print(f"  evaluate(JSON text):             {text:9,.0f} requests/s ({n2:,} requests)")
    print(f"  parsing JSON costs {parsed / text:.1f}x")

    total = 0
    start = time.perf_counter()
    for persona in personas:
        for action, resource, ctx in _requests(persona):
            persona.evaluate(action, resource, ctx, account_id=ACCOUNT, region=REGION)
            total += 1
    through_persona = time.perf_counter() - start
    built = {p.name: p.policy_documents(ACCOUNT, REGION) for p in personas}
    start = time.perf_counter()
    for persona in personas:
        for action, resource, ctx in _requests(persona):
            evaluate(built[persona.name], action, resource, ctx)
    prebuilt = time.perf_counter() - start
    print(f"six-persona blueprint: {total:,} requests (every grant of every persona)")
    print(f"  through Persona.evaluate (packs once):     {through_persona:6.2f} s "
          f"({total / through_persona:,.0f} requests/s)")
    print(f"  against documents built once:            {prebuilt:6.2f} s "
          f"({total / prebuilt:,.0f} requests/s)")


if __name__ == "__main__":
    main()
