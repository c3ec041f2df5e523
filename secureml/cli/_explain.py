"""``secureml explain``: would a persona of a blueprint file be allowed a request?

Offline: the persona's own packed policies go through
:func:`secureml.policy.evaluate`. Exit 0 allowed, 2 denied, 1 error.
"""

# ruff: noqa: PLC0415 - imports happen when the command runs (see secureml.cli)

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from secureml.errors import ValidationError

if TYPE_CHECKING:
    from secureml.cli import _Out

__all__ = ["add_parser", "context_values", "run"]

EXIT_ALLOWED = 0
EXIT_DENIED = 2


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``explain`` on the command's subparsers."""
    p = sub.add_parser(
        "explain", parents=parents,
        help="would a persona be allowed an action on a resource? (offline); exit 0 "
        "allowed, 2 denied",
        description="Evaluate one request against a persona's policies, as IAM would, and "
        "say which statements decide it and which conditions failed.",
    )
    p.add_argument("--persona", required=True, metavar="NAME", help="the persona to check")
    p.add_argument("--action", required=True, help="e.g. sagemaker:CreateTrainingJob")
    p.add_argument(
        "--resource", required=True, metavar="ARN",
        help="the resource's ARN ('*' for actions without resource-level permissions)",
    )
    p.add_argument(
        "--context", action="append", default=[], metavar="KEY=VALUE",
        help="a condition key of the request (repeatable; a key given twice, or a JSON "
        'list such as KEY=["a","b"], is multivalued)',
    )
    p.add_argument(
        "--account-id", help="account id for the persona's ARNs (default: the resource's)"
    )
    p.add_argument(
        "--region", help="region for the persona's ARNs (default: the file's, else the resource's)"
    )
    p.add_argument(
        "--remote", action="store_true",
        help="also ask IAM (SimulateCustomPolicy, needs credentials allowed "
        "iam:SimulateCustomPolicy) and show both verdicts",
    )
    p.add_argument("--profile", help="named profile for --remote (default: AWS_PROFILE)")
    p.add_argument(
        "--strict", action="store_true",
        help="a request the catalogue finds odd (unknown action, wrong resource type, a "
        "context key the action does not take) is an error, not a warning",
    )


def context_values(items: list[str]) -> dict[str, str | list[str]]:
    """``KEY=VALUE`` arguments as a request context: a key given more than once,
    or a value written as a JSON list, is multivalued.

    >>> context_values(["aws:SourceIp=10.0.0.1", "sagemaker:VpcSubnets=subnet-1",
    ...                 "sagemaker:VpcSubnets=subnet-2", 'aws:TagKeys=["team"]'])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'aws:SourceIp': '10.0.0.1', 'sagemaker:VpcSubnets': ['subnet-1', 'subnet-2'],
     'aws:TagKeys': ['team']}
    """
    out: dict[str, str | list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"--context {item!r}: write KEY=VALUE, e.g. --context aws:SourceIp=10.0.0.1"
            )
        key = key.strip()
        values: str | list[str] = value
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"--context {item!r}: the value starts with '[' but is not a JSON list of "
                    f'strings ({exc}); write KEY=["a","b"]'
                ) from exc
            if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
                raise ValidationError(f"--context {item!r}: a JSON value is a list of strings")
            values = parsed
        if key in out:
            before = out[key]
            out[key] = [*([before] if isinstance(before, str) else before),
                        *([values] if isinstance(values, str) else values)]
        else:
            out[key] = values
    return out


def run(args: argparse.Namespace, out: _Out) -> int:
    """Run ``secureml explain``."""
    from secureml.blueprint_file import load

    bf = load(args.file, region=args.region)
    if args.persona not in bf.personas:
        raise ValidationError(
            f"--persona: no persona {args.persona!r} in {bf.source}; it has: "
            f"{', '.join(bf.personas) or 'none'}"
        )
    persona = bf.personas[args.persona]
    parts = args.resource.split(":", 5)
    arn_region = parts[3] if len(parts) == 6 else ""
    arn_account = parts[4] if len(parts) == 6 else ""
    account_id = args.account_id or arn_account
    region = bf.region or arn_region
    missing = [
        name for name, value in (("--account-id", account_id), ("--region", region)) if not value
    ]
    if missing:
        raise ValidationError(
            f"{' and '.join(missing)}: needed to build the policies of {args.persona!r}, and "
            f"neither the file nor the resource {args.resource!r} gives it; add "
            f"{' '.join(m + ' ...' for m in missing)}"
        )
    remote: Any = False
    if args.remote:
        from secureml.cli._session import make_session

        remote = make_session(profile=args.profile, region=region)
    evaluation = persona.evaluate(
        args.action, args.resource, context_values(args.context),
        account_id=account_id, region=region, strict=args.strict, remote=remote,
    )
    if out.json:
        out.data({"persona": args.persona, "account_id": account_id, "region": region,
                  **evaluation.to_dict()})
    else:
        out.result(f"persona {args.persona} ({persona.kind}), account {account_id}, "
                   f"region {region}")
        out.result(evaluation.explain())
    return EXIT_ALLOWED if evaluation.allowed else EXIT_DENIED
