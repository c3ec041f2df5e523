"""Benchmark: proving the personas of a blueprint with ``persona.check()``.

Prints, for the six-persona ``examples/ml-platform.yaml``:

1. the time to check every persona (every workflow of its activities must be
   allowed, every guard-rail violation refused), with wildcard accounts (as
   ``secureml check FILE`` does) and scoped to an account (which adds the
   other-account and other-region violations); median of several runs, after
   one warm-up run that loads the catalogue;
2. per persona: workflows, requests evaluated, violations checked, and the
   evaluator's requests per second over the whole check.

Run from the repository root::

    python benchmarks/bench_workflows.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secureml.blueprint_file import load  # noqa: E402

EXAMPLE = ROOT / "examples" / "ml-platform.yaml"


def check_all(personas: dict[str, object], account_id: str | None, region: str | None) -> list:
    return [p.check(account_id, region) for p in personas.values()]  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bf = load(EXAMPLE)
    personas = bf.personas
    print(f"{EXAMPLE.relative_to(ROOT)}: {len(personas)} personas, region {bf.region}")
    check_all(personas, None, bf.region)  # warm-up: catalogue, regex caches
    for label, account in (("wildcard account", None), ("account 123456789012", "123456789012")):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            reports = check_all(personas, account, bf.region)
            times.append(time.perf_counter() - start)
        requests = sum(len(r.results) for r in reports)
        median = statistics.median(times)
        passed = all(r.passed for r in reports)
        print(
            f"\ncheck, {label}: median {median * 1000:,.0f} ms over {args.runs} runs "
            f"(min {min(times) * 1000:,.0f}, max {max(times) * 1000:,.0f}); "
            f"{requests:,} requests evaluated, {requests / median:,.0f} requests/s; "
            f"{'all passed' if passed else 'FAILURES'}"
        )
        print(f"  {'persona':<16} {'workflows':>9} {'requests':>9} {'violations':>10}")
        for r in reports:
            violations = sum(1 for x in r.results if x.violation)
            print(
                f"  {r.persona:<16} {len(r.workflows):>9} {len(r.results) - violations:>9} "
                f"{violations:>10}"
            )


if __name__ == "__main__":
    main()
