"""``secureml sagemaker-config``: the SageMaker Python SDK's defaults file for a persona."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from secureml.errors import SecureMLError

__all__ = ["add_command", "run"]


def add_command(
    sub: Any, file_arg: argparse.ArgumentParser, common: argparse.ArgumentParser
) -> None:
    """Register ``sagemaker-config`` on the command line's subparsers."""
    p = sub.add_parser(
        "sagemaker-config", parents=[file_arg, common],
        help="write the SageMaker Python SDK's config.yaml for a persona (offline)",
    )
    p.add_argument("--persona", required=True, metavar="NAME",
                   help="the persona whose guard-rails the defaults satisfy")
    p.add_argument(
        "--role", metavar="ROLE",
        help="execution role (name or ARN) the jobs run as; default: the persona's only "
        "pass_roles entry",
    )
    p.add_argument("--default-bucket", metavar="BUCKET",
                   help="the SDK's default bucket, one of the persona's (default: its first)")
    p.add_argument("--account-id", help="account id for a role given by name")
    p.add_argument(
        "--out", metavar="PATH",
        help="write the file here (parent folders created), e.g. "
        "~/.config/sagemaker/config.yaml; default: stdout",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Any) -> int:
    """Write the file (or print it) and return exit code 0."""
    from secureml.blueprint_file import load  # noqa: PLC0415
    from secureml.integrations.sagemaker import sdk_config, sdk_config_yaml  # noqa: PLC0415

    bf = load(args.file)
    persona = bf.personas.get(args.persona)
    if persona is None:
        raise SecureMLError(
            f"--persona: no persona {args.persona!r} in {bf.source}; it has: "
            f"{', '.join(bf.personas) or 'none'}"
        )
    role = args.role
    if role is None:
        if len(persona.pass_roles) != 1:
            raise SecureMLError(
                f"--role: persona {persona.name!r} may pass "
                f"{', '.join(persona.pass_roles) or 'no role'}; say which execution role the "
                "jobs run as with --role"
            )
        role = persona.pass_roles[0]
    config = sdk_config(
        persona, role=role, default_bucket=args.default_bucket, account_id=args.account_id
    )
    if out.json:
        out.data(config)
    elif args.out is None:
        out.stdout.write(sdk_config_yaml(config, persona=persona.name))
    if args.out is not None:
        path = Path(args.out).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sdk_config_yaml(config, persona=persona.name))
        out.note(f"wrote the SageMaker Python SDK defaults for {persona.name} to {path}")
    return 0
