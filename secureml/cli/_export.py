"""``secureml export cloudformation`` and ``secureml deploy``: a blueprint for many
accounts (see ``docs/many-accounts.rst``)."""

# ruff: noqa: PLC0415 - commands import what they need when they run (a fast --help).
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secureml.export import DeployPlan

__all__ = ["add_commands"]


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_commands(
    sub: Any,
    *,
    file_arg: argparse.ArgumentParser,
    common: argparse.ArgumentParser,
    aws: argparse.ArgumentParser,
    parser_class: type[argparse.ArgumentParser],
    session: Callable[..., Any],
    load: Callable[[argparse.Namespace], Any],
) -> None:
    """Add ``export`` and ``deploy`` to the ``secureml`` parser."""
    export = sub.add_parser("export", help="export a blueprint for many accounts")
    export_sub = export.add_subparsers(dest="export_format", metavar="FORMAT",
                                       parser_class=parser_class)
    export_sub.required = True
    p = export_sub.add_parser(
        "cloudformation", parents=[file_arg, common, aws],
        help="write the member (StackSet), Identity Center and organization templates",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write them to")
    p.add_argument("--regions", type=_csv, metavar="R1[,R2]",
                   help="the StackSet's region (policies are sized for the longest name)")
    p.add_argument("--targets", type=_csv, default=[], metavar="OU[,OU]",
                   help="OUs the organization's S3 policy is attached to (else a parameter)")
    p.add_argument("--resolve", action="store_true",
                   help="look up the Identity Center instance, group and user ids and the "
                   "accounts of OUs with AWS credentials (else template parameters)")
    p.set_defaults(func=lambda a, out: _cmd_export(a, out, session, load))

    p = sub.add_parser(
        "deploy", parents=[file_arg, common, aws],
        help="deploy to every account of OUs: a service-managed StackSet, then the Identity "
        "Center stacks (shows the plan first)",
    )
    p.add_argument("--targets", type=_csv, required=True, metavar="OU[,OU]",
                   help="OU ids (ou-...) or the root id (r-...) the StackSet deploys to")
    p.add_argument("--regions", type=_csv, metavar="REGION",
                   help="the one region of the StackSet's instances (default: the file's)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before deploying")
    tolerance = p.add_mutually_exclusive_group()
    tolerance.add_argument("--failure-tolerance-count", type=int, metavar="N")
    tolerance.add_argument("--failure-tolerance-percentage", type=int, metavar="P")
    concurrency = p.add_mutually_exclusive_group()
    concurrency.add_argument("--max-concurrent-count", type=int, metavar="N")
    concurrency.add_argument("--max-concurrent-percentage", type=int, metavar="P")
    p.add_argument("--template-bucket", metavar="BUCKET",
                   help="S3 bucket for templates over 51,200 bytes")
    p.add_argument("--delegated-admin", action="store_true",
                   help="call StackSets as a CloudFormation delegated administrator")
    p.set_defaults(func=lambda a, out: _cmd_deploy(a, out, session, load))


def _cmd_export(args: argparse.Namespace, out: Any, session: Callable[..., Any],
                load: Callable[[argparse.Namespace], Any]) -> int:
    from secureml.export import to_cloudformation

    bf = load(args)
    bp = bf.blueprint
    kwargs: dict[str, Any] = {"regions": args.regions, "targets": args.targets}
    if args.resolve:
        with session(args, bf, out) as s:
            export = to_cloudformation(bp, session=s, resolve=True, **kwargs)
    else:
        export = to_cloudformation(bp, **kwargs)
    written = export.write(args.out)
    if out.json:
        out.data({"files": [str(p) for p in written], "notes": list(export.notes),
                  "templates": [{"name": t.name, "stack": t.stack, "bytes": t.size,
                                 "resources": t.resource_count,
                                 "needs_s3_upload": t.needs_upload}
                                for t in export.templates]})
    else:
        for t in export.templates:
            out.result(f"{args.out}/{t.name}.template.json  {t.resource_count} resources, "
                       f"{t.size:,} bytes -> {t.target}")
        out.result(f"{args.out}/manifest.json  deployment order and notes")
        for note in export.notes:
            out.note(note)
    return 0


def _cmd_deploy(args: argparse.Namespace, out: Any, session: Callable[..., Any],
                load: Callable[[argparse.Namespace], Any]) -> int:
    from secureml.export import deploy

    bf = load(args)
    bp = bf.blueprint
    refused: list[bool] = []

    def confirm(plan: DeployPlan) -> bool:
        if not out.json:
            out.result(out.diff(str(plan)))
        if plan.is_empty or args.yes:
            return True
        refused.append(True)  # until the person says yes
        stdin = sys.stdin
        if stdin is None or not stdin.isatty():
            out.fail("deploy needs confirmation and there is no terminal to ask; nothing was "
                     "changed. Review the plan and run again with --yes", "DeployNotConfirmed")
            return False
        print("Deploy these changes? Type 'yes' to continue: ", end="", file=out.stderr,
              flush=True)
        if stdin.readline().strip().lower() not in ("y", "yes"):
            out.fail("deploy cancelled; nothing was changed", "DeployNotConfirmed")
            return False
        refused.clear()
        return True

    with session(args, bf, out) as s:
        result = deploy(
            bp, session=s, targets=args.targets, regions=args.regions, confirm=confirm,
            failure_tolerance_count=args.failure_tolerance_count,
            failure_tolerance_percentage=args.failure_tolerance_percentage,
            max_concurrent_count=args.max_concurrent_count,
            max_concurrent_percentage=args.max_concurrent_percentage,
            template_bucket=args.template_bucket, delegated_admin=args.delegated_admin,
        )
    if refused:
        return 1  # reported in confirm()
    if out.json:
        out.data({"plan": str(result.plan), "operations": [
            {"operation": o, "id": i, "status": st} for o, i, st in result.operations]})
        return 0
    for operation, ident, status in result.operations:
        out.result(f"{operation} {ident}: {status}")
    if result.plan.is_empty:
        out.result(f"No changes: blueprint {bp.name!r} is deployed.")
    return 0
