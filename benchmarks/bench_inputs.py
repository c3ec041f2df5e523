"""Benchmark: bad input, counted. Inputs tried and refused cleanly, per area.

Prints, per area of the public API (personas, settings, activities, policy,
resources, engine):

- every public constructor and method argument replaced by each of the usual
  mistakes (``tests/_inputs.py``: wrong types, unicode, huge and empty values,
  None), then ``--random`` more values drawn from a seeded generator;
- how many were refused with a secureml error, how many were accepted (valid
  for that field, such as ``None`` where a value is optional) and how many
  raised anything else (a crash: the figure that must be 0), with the place of
  each crash;
- whether any AWS call was made (botocore's single entry point is patched to count).

Then blueprint files by kind (random YAML documents, random text, random bytes,
alias bombs, deep nesting, non-text keys, UTF-16): loaded, refused with a
``BlueprintFileError``, or crashed; and the injection cases of issue 15 (values
that would widen a policy): refused or not.

Run from the repository root::

    python benchmarks/bench_inputs.py [--random 2000] [--seed 15]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import botocore.client  # noqa: E402
import yaml  # noqa: E402
from _inputs import BAD_VALUES, TARGETS, calls, run  # noqa: E402

import secureml as sm  # noqa: E402
from secureml import activities as act  # noqa: E402
from secureml.blueprint_file import BlueprintFileError, load  # noqa: E402


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 2 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.randint(-(2**64), 2**64)
    if kind == 3:
        return rng.uniform(-1e9, 1e9)
    if kind == 4:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(0, 40)))
    if kind == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 20)))
    if kind == 6:
        return rng.choice(BAD_VALUES)
    if kind == 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if kind == 8:
        return {str(_random_value(rng, depth + 1))[:8]: _random_value(rng, depth + 1)
                for _ in range(rng.randrange(0, 3))}
    return tuple(_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 3)))


def _where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__} at {frame.filename.split('secureml/')[-1]}:{frame.lineno}"


def python_inputs(extra: int, seed: int) -> int:
    rng = random.Random(seed)
    grid = list(calls())
    fields = [(t, f) for t in TARGETS for f in t.fields() if f != "self"]
    randoms = [(*rng.choice(fields), _random_value(rng)) for _ in range(extra)]
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    crashes: collections.Counter[str] = collections.Counter()
    with mock.patch.object(botocore.client.BaseClient, "_make_api_call") as aws:
        for target, field, value in grid + randoms:
            exc = run(target, field, value)
            area = counts[target.area]
            area["tried"] += 1
            if exc is None:
                area["accepted"] += 1
            elif isinstance(exc, sm.SecureMLError):
                area["refused"] += 1
            else:
                area["crashed"] += 1
                crashes[f"{_where(exc)} ({target.name}.{field})"] += 1
    print(f"Python inputs: {len(grid)} from the grid of {len(TARGETS)} callables x "
          f"{len(BAD_VALUES)} usual mistakes, {extra} random (seed {seed})")
    print(f"{'area':<12}{'tried':>8}{'refused':>9}{'accepted':>10}{'crashed':>9}")
    total: collections.Counter[str] = collections.Counter()
    for area, c in sorted(counts.items()):
        total.update(c)
        print(f"{area:<12}{c['tried']:>8}{c['refused']:>9}{c['accepted']:>10}{c['crashed']:>9}")
    print(f"{'all':<12}{total['tried']:>8}{total['refused']:>9}{total['accepted']:>10}"
          f"{total['crashed']:>9}")
    print(f"AWS calls made: {aws.call_count}")
    for place, n in crashes.most_common():
        print(f"  crash x{n}: {place}")
    return total["crashed"] + aws.call_count


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _document(rng: random.Random, depth: int = 0) -> Any:
    keys = ["personas", "name", "kind", "buckets", "role", "pass_roles", "settings", "network",
            "assignments", "audit_trail", "region", "add_activities", "Compute", "x"]
    kind = rng.randrange(6 if depth < 4 else 3)
    if kind == 0:
        return rng.choice([None, True, 1, 1.5, "team-a-data", "Compute", "*", "us-east-1"])
    if kind == 1:
        return "".join(chr(rng.randrange(0x20, 0x7F)) for _ in range(rng.randrange(0, 12)))
    if kind == 2:
        return rng.randint(-5, 10**12)
    if kind in (3, 4):
        return {rng.choice(keys): _document(rng, depth + 1) for _ in range(rng.randrange(0, 5))}
    return [_document(rng, depth + 1) for _ in range(rng.randrange(0, 4))]


def blueprint_files(n: int, seed: int) -> int:
    rng = random.Random(seed)
    def text(size: int) -> bytes:
        return "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(size)).encode()

    kinds: dict[str, list[bytes]] = {
        "random YAML documents": [yaml.safe_dump(_document(rng)).encode() for _ in range(n)],
        "random text": [text(rng.randrange(200)) for _ in range(n)],
        "random bytes": [rng.randbytes(rng.randrange(300)) for _ in range(n // 2)],
        "alias bombs": [_bomb(k).encode() for k in range(5, 12)],
        "deep nesting": [("a: " + "[" * k + "]" * k).encode() for k in (65, 500, 3000, 100_000)]
        + [("a: " + "{a: " * k + "1" + "}" * k).encode() for k in (65, 3000)],
        "non-text keys": [
            t.encode()
            for t in ("1: x\n", "null: 1\n", "true: 1\n", "? [a]\n: b\n", "1.5: x\n",
                      "personas:\n  - {1: x}\n")
        ],
        "UTF-16 / binary": [
            "personas: []\n".encode("utf-16"),
            "personas: []\n".encode("utf-16-be"),
            b"\x89PNG\r\n\x1a\n",
            b"\xff" * 100,
        ],
    }
    print(f"\nBlueprint files (seed {seed}), through secureml.blueprint_file.load")
    print(f"{'kind':<24}{'tried':>7}{'refused':>9}{'loaded':>8}{'crashed':>9}")
    crashed_total = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "bp.yaml")
        for kind, makers in kinds.items():
            c: collections.Counter[str] = collections.Counter()
            for data in makers:
                path.write_bytes(data)
                c["tried"] += 1
                try:
                    load(path)
                    c["loaded"] += 1
                except BlueprintFileError:
                    c["refused"] += 1
                except Exception as exc:
                    c["crashed"] += 1
                    print(f"  crash: {_where(exc)}")
            crashed_total += c["crashed"]
            print(f"{kind:<24}{c['tried']:>7}{c['refused']:>9}{c['loaded']:>8}{c['crashed']:>9}")
    return crashed_total


INJECTIONS: list[tuple[str, Callable[[], Any]]] = [
    ("pass_roles role/*", lambda: sm.DataScientist(
        "d", buckets=["b-data"], pass_roles=["arn:aws:iam::123456789012:role/*"])),
    ("pass_roles role/a?", lambda: sm.DataScientist(
        "d", buckets=["b-data"], pass_roles=["arn:aws:iam::123456789012:role/a?"])),
    ("pass_roles :*", lambda: sm.DataScientist(
        "d", buckets=["b-data"], pass_roles=["arn:aws:iam::123456789012:*"])),
    ("pass_roles ${...}", lambda: sm.DataScientist(
        "d", buckets=["b-data"], pass_roles=["${aws:username}"])),
    ("pass_roles other account", lambda: sm.DataScientist(
        "d", buckets=["b-data"], pass_roles=["arn:aws:iam::999999999999:role/x"]
    ).policy_document("123456789012", "us-east-1")),
    ("activity pass_roles *", lambda: act.ManageMLJobs(pass_roles=["*"])),
    ("output_kms_key key/*", lambda: sm.EncryptionSettings(
        output_kms_key="arn:aws:kms:us-east-1:123456789012:key/*")),
    ("volume_kms_key alias", lambda: sm.EncryptionSettings(
        volume_kms_key="arn:aws:kms:us-east-1:123456789012:alias/x")),
    ("AuditTrail kms key/*", lambda: sm.Blueprint("bp", [sm.AuditTrail(
        "t-x", bucket="b-logs", kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/*")])),
    ("ecr **", lambda: sm.Compute("c", buckets=["b-data"], ecr_repositories=["**"])),
    ("ecr */*", lambda: sm.Compute("c", buckets=["b-data"], ecr_repositories=["*/*"])),
    ("ecr *", lambda: sm.Compute("c", buckets=["b-data"], ecr_repositories=["*"])),
    ("ecr ARN repository/*", lambda: sm.Compute("c", buckets=["b-data"], ecr_repositories=[
        "arn:aws:ecr:us-east-1:123456789012:repository/*"])),
    ("glue *", lambda: act.ManageGlueTables(glue_databases=["*"])),
    ("bucket *", lambda: sm.Compute("c", buckets=["*"])),
    ("workgroup *", lambda: act.QueryAthenaWorkgroups(workgroups=["*"])),
    ("instance ml.*", lambda: sm.Guardrails(instance_types=["ml.*"])),
    ("instance *", lambda: sm.Guardrails(instance_types=["*"])),
]


def injections() -> int:
    refused = 0
    for label, call in INJECTIONS:
        try:
            call()
        except sm.ValidationError:
            refused += 1
        else:
            print(f"  NOT refused: {label}")
    print(f"\nInjection cases of issue 15: {refused} of {len(INJECTIONS)} refused")
    return len(INJECTIONS) - refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=2000, help="random Python inputs")
    parser.add_argument("--files", type=int, default=300, help="random files of each kind")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    bad = python_inputs(args.random, args.seed)
    bad += blueprint_files(args.files, args.seed)
    bad += injections()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
