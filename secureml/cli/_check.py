"""``secureml check``: does every persona of a blueprint file work, and do its
guard-rails hold?

Offline: for each persona, :meth:`secureml.Persona.check` evaluates every
workflow its activities enable (must be allowed) and every guard-rail violation
(must be refused) against its own packed policies. Exit 0 all pass, 2 a workflow
is refused or a violation allowed, 1 error.
"""

# ruff: noqa: PLC0415 - imports happen when the command runs (see secureml.cli)

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secureml.cli import _Out

__all__ = ["add_parser", "run"]

EXIT_PASSED = 0
EXIT_FAILED = 2


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``check`` on the command's subparsers."""
    p = sub.add_parser(
        "check", parents=parents,
        help="prove each persona's workflows are allowed and its guard-rail violations "
        "refused (offline); exit 0 all pass, 2 any fails",
        description="Evaluate, for every persona of the file, the requests of every workflow "
        "its activities enable (train with logs, deploy, pipelines, Studio...) and every "
        "guard-rail violation of them, against the persona's own policies.",
    )
    p.add_argument(
        "--persona", action="append", metavar="NAME", help="only this persona (repeatable)"
    )
    p.add_argument(
        "--account-id",
        help="account id to scope the policies to (default: wildcard ARNs, an example "
        "account in the requests)",
    )
    p.add_argument("--region", help="region (default: the file's, else a wildcard)")
    p.add_argument(
        "--verbose-results", action="store_true",
        help="with --output json, every request's result, not only the failures",
    )


def run(args: argparse.Namespace, out: _Out) -> int:
    """Run ``secureml check``."""
    from secureml.blueprint_file import load
    from secureml.cli import _selected  # the package that loaded this module

    bf = load(args.file, region=args.region)
    wanted = _selected(args, bf)
    reports = [
        bf.personas[n].check(account_id=args.account_id, region=bf.region) for n in wanted
    ]
    passed = all(r.passed for r in reports)
    if out.json:
        data: dict[str, Any] = {"file": bf.source, "passed": passed, "personas": []}
        for r in reports:
            entry = r.to_dict()
            if args.verbose_results:
                entry["results"] = [x.to_dict() for x in r.results]
            data["personas"].append(entry)
        out.data(data)
    else:
        for r in reports:
            out.result(str(r))
        failed = [r.persona for r in reports if not r.passed]
        out.result(
            f"{bf.source}: {len(reports)} persona(s), "
            + ("all workflows allowed and all guard-rail violations refused"
               if passed else f"FAILED: {', '.join(failed)}")
        )
    return EXIT_PASSED if passed else EXIT_FAILED
