"""The ``secureml`` command line: plan and apply YAML blueprints, print and lint
their policies, export and deploy them to many accounts, run a local AWS emulator.

Exit codes, for pipelines: 0 success and nothing to change, 2 ``plan`` found
changes or resources no longer in the blueprint (``explain``: the request is
denied; ``check``: a workflow is refused or a guard-rail violation allowed), 1 any
error (bad file, bad arguments, AWS errors, changes not confirmed).
Results go to stdout (``--output json`` for machines); progress, warnings and
errors go to stderr.
"""

# ruff: noqa: PLC0415 - each command imports what it needs when it runs, so that
# `secureml --version` and `secureml --help` stay instant (no boto3, YAML or moto).

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

import secureml
from secureml._convert import describe
from secureml.errors import Problem, SecureMLError, ValidationError

if TYPE_CHECKING:
    from secureml.blueprint_file import BlueprintFile
    from secureml.cli._session import CliSession
    from secureml.engine import Change, Plan

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

_COLOURS = {"+": "32", "-": "31", "~": "33", "warning": "33", "error": "31;1"}


class _Out:
    """Where the command writes: results to stdout, the rest to stderr, colour
    only on a terminal and never when NO_COLOR is set (https://no-color.org)."""

    def __init__(self, *, json_output: bool, no_color: bool) -> None:
        self.json = json_output
        self.stdout: IO[str] = sys.stdout
        self.stderr: IO[str] = sys.stderr
        self.colour = (
            not no_color
            and not os.environ.get("NO_COLOR")
            and hasattr(self.stdout, "isatty")
            and self.stdout.isatty()
        )

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text

    def result(self, text: str) -> None:
        print(text, file=self.stdout)

    def data(self, value: Any) -> None:
        print(json.dumps(value, indent=2, default=str), file=self.stdout)

    def note(self, text: str) -> None:
        print(f"secureml: {text}", file=self.stderr)

    def error(self, text: str) -> None:
        print(f"secureml: error: {text}", file=self.stderr)

    def fail(self, text: str, kind: str, **extra: Any) -> int:
        """Report an error that ends the command and return exit code 1: on stderr,
        and with ``--output json`` also as ``{"errors": [...]}`` on stdout."""
        self.error(text)
        if self.json:
            self.data({"errors": [{"type": kind, "message": text, **extra}]})
        return EXIT_ERROR

    def diff(self, text: str) -> str:
        """Colour a plan: creates green, deletes red, updates yellow."""
        if not self.colour:
            return text
        lines = []
        for line in text.splitlines():
            mark = line.lstrip()[:1]
            code = _COLOURS.get(mark, "") if mark in "+-~" else ""
            if line.startswith("warning:"):
                code = _COLOURS["warning"]
            lines.append(self.paint(line, code))
        return "\n".join(lines)


# -- argument parsing ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error; 2 means "changes present" here, so 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _port(text: str) -> int:
    """A TCP port number for ``--port``."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: a number from 0 to 65535")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "-o", "--output", choices=["text", "json"], default="text",
        help="text for people (default) or json for machines",
    )
    common.add_argument("--no-color", action="store_true", help="never colour the output")
    common.add_argument(
        "-v", "--verbose", action="store_true",
        help="log what secureml does to stderr; plans also show each policy statement as JSON"
    )
    file_arg = _Parser(add_help=False)
    file_arg.add_argument("file", help="the blueprint file (YAML)")

    aws = _Parser(add_help=False)
    group = aws.add_argument_group("AWS (resolved like the AWS CLI)")
    group.add_argument("--profile", help="named profile from ~/.aws/config (default: AWS_PROFILE)")
    group.add_argument(
        "--region",
        help="region (default: the file's region, then AWS_DEFAULT_REGION, the "
        "profile's, us-east-1)",
    )
    group.add_argument(
        "--endpoint-url",
        help="send AWS requests here, e.g. a local emulator (default: AWS_ENDPOINT_URL)",
    )
    group.add_argument(
        "--local",
        action="store_true",
        help="run against a local AWS emulator with throw-away credentials: the one at "
        "--endpoint-url/AWS_ENDPOINT_URL, else a fresh embedded one (needs secureml[local])",
    )

    parser = _Parser(
        prog="secureml",
        description="Least-privilege SageMaker access on AWS from a YAML blueprint.",
        epilog="Exit codes: 0 ok (no changes), 2 plan found changes (explain: denied; "
        "check: a workflow refused or a guard-rail violation allowed), 1 error.",
    )
    parser.add_argument("--version", action="version", version=f"secureml {secureml.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    _add_review_commands(sub, file_arg, common, aws)

    p = sub.add_parser(
        "policies", parents=[file_arg, common],
        help="print the personas' IAM policies as JSON (offline)",
    )
    p.add_argument(
        "--persona", action="append", metavar="NAME", help="only this persona (repeatable)"
    )
    p.add_argument("--account-id", help="account id to put in ARNs (default: *)")
    p.add_argument("--region", help="region to put in ARNs (default: the file's, else *)")
    p.set_defaults(func=_cmd_policies)

    p = sub.add_parser(
        "lint", parents=[file_arg, common],
        help="check the file and lint its policies (offline); exit 1 on errors",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--account-id", help="account id to put in ARNs (default: *)")
    p.add_argument("--region", help="region to put in ARNs (default: the file's, else *)")
    p.set_defaults(func=_cmd_lint)

    from secureml.cli import _explain

    _explain.add_parser(sub, [file_arg, common])
    sub.choices["explain"].set_defaults(func=_cmd_explain)
    _add_sagemaker_command(sub, file_arg, common)

    from secureml.cli import _check

    _check.add_parser(sub, [file_arg, common])
    sub.choices["check"].set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "schema", parents=[common], help="print the JSON Schema of blueprint files"
    )
    p.set_defaults(func=_cmd_schema)

    from secureml.cli._export import add_commands

    add_commands(sub, file_arg=file_arg, common=common, aws=aws, parser_class=_Parser,
                 session=_aws_session, load=_load)

    local = sub.add_parser("local", help="a local AWS emulator (moto)")
    local_sub = local.add_subparsers(dest="local_command", metavar="COMMAND", parser_class=_Parser)
    local_sub.required = True
    p = local_sub.add_parser(
        "serve", parents=[common],
        help="run an emulator on 127.0.0.1 until interrupted, for several commands to share",
    )
    p.add_argument(
        "--port", type=_port, default=5050, help="port (default 5050; 0: any free one)"
    )
    p.add_argument(
        "--seed", action="append", metavar="FILE", default=[],
        help="create what this blueprint expects to exist (groups, data buckets); repeatable",
    )
    p.add_argument("--region", default="us-east-1", help="region to seed (default us-east-1)")
    p.set_defaults(func=_cmd_serve)
    return parser


def _add_review_commands(
    sub: Any, file_arg: argparse.ArgumentParser, common: argparse.ArgumentParser,
    aws: argparse.ArgumentParser,
) -> None:
    """``plan``, ``apply`` and ``destroy`` (see ``secureml.cli._review``)."""
    p = sub.add_parser(
        "plan", parents=[file_arg, common, aws],
        help="show what apply would change (read-only); exit 2 when there are changes or "
        "resources no longer in the blueprint",
    )
    p.add_argument(
        "--prune", action="store_true",
        help="count deletes of resources no longer in the blueprint as changes",
    )
    p.add_argument(
        "--out", metavar="PLANFILE",
        help="also save the plan here, for apply --plan to carry out exactly it",
    )
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser(
        "apply", parents=[file_arg, common, aws],
        help="make the account match the blueprint (shows the plan and asks first)",
    )
    p.add_argument(
        "--prune", action="store_true",
        help="also delete resources this blueprint created that it no longer lists",
    )
    p.add_argument(
        "--plan", metavar="PLANFILE", dest="plan_file",
        help="carry out exactly this saved plan (from plan --out), or nothing if the account "
        "changed since",
    )
    p.add_argument(
        "--yes", "-y", action="store_true",
        help="do not ask before changing anything (needed without a terminal)",
    )
    p.set_defaults(func=_cmd_apply)

    p = sub.add_parser(
        "destroy", parents=[file_arg, common, aws],
        help="delete everything this blueprint created (asks first)",
    )
    p.add_argument(
        "--yes", "-y", action="store_true",
        help="do not ask before deleting (needed without a terminal)",
    )
    p.set_defaults(func=_cmd_destroy)


def _add_sagemaker_command(
    sub: Any, file_arg: argparse.ArgumentParser, common: argparse.ArgumentParser
) -> None:
    """``sagemaker-config`` (see ``secureml.cli._sagemaker``)."""
    from secureml.cli import _sagemaker

    _sagemaker.add_command(sub, file_arg, common)


# -- shared steps -------------------------------------------------------------------------------


def _load(args: argparse.Namespace) -> BlueprintFile:
    """The file, with ``--region`` (when given) in place of its region, so that
    everything built from it (policies, permission sets) uses the same one."""
    from secureml.blueprint_file import load

    return load(args.file, region=args.region)


@contextlib.contextmanager
def _aws_session(args: argparse.Namespace, bf: BlueprintFile, out: _Out) -> Iterator[CliSession]:
    """The session for plan/apply: real AWS, a given endpoint, or an embedded emulator."""
    from secureml.cli._session import make_session

    region = bf.region
    if not args.local:
        yield make_session(profile=args.profile, region=region, endpoint_url=args.endpoint_url)
        return
    from secureml.cli import _local

    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    region = region or "us-east-1"
    with contextlib.ExitStack() as stack:
        if endpoint:
            out.note(f"local mode: using the AWS emulator at {endpoint}")
        else:
            endpoint = stack.enter_context(_local.emulator())
            _local.reset(endpoint)
            out.note(
                f"local mode: a fresh AWS emulator (moto) at {endpoint}, fake credentials; "
                "nothing leaves this machine and everything is gone when the command ends"
            )
        session = make_session(region=region, endpoint_url=endpoint, fake_credentials=True)
        created = _local.seed(session, bf, region)
        if created:
            out.note(
                "local mode: created what the blueprint expects to exist: " + ", ".join(created)
            )
        yield session


def _show_plan(plan: Plan, out: _Out, verbose: bool = False) -> None:
    """The plan: JSON, or text with policy tables (and the raw statements with -v)."""
    from secureml.cli._review import CLI_PRUNE_HINT

    if out.json:
        out.data(plan.to_dict())
    else:
        out.result(out.diff(plan.text(prune_hint=CLI_PRUNE_HINT, verbose=verbose)))


def _progress(out: _Out) -> Callable[[Change, int, int], None]:
    """``[n/N] action resource`` on stderr after each change the engine carries out."""

    def report(change: Change, done: int, total: int) -> None:
        out.note(f"[{done}/{total}] {change.action} {change.label}")

    return report


# -- commands -----------------------------------------------------------------------------------


def _cmd_plan(args: argparse.Namespace, out: _Out) -> int:
    from secureml.cli._review import save_plan

    bf = _load(args)
    bp = bf.blueprint
    with _aws_session(args, bf, out) as session:
        plan = bp.plan(session, prune=args.prune)
    _show_plan(plan, out, args.verbose)
    if args.out:
        save_plan(plan, args.out, bf.source)
        out.note(f"plan saved to {args.out}; carry it out with: secureml apply "
                 f"{bf.source} --plan {args.out}")
    # Resources kept although no longer in the blueprint still hold access: a gate
    # that applies on exit 2 must see them.
    return EXIT_OK if plan.is_empty and not plan.kept else EXIT_CHANGES


def _consent(plan: Plan, args: argparse.Namespace, out: _Out) -> bool:
    """Say what the plan opens up, then ask (see ``_review.ask``)."""
    from secureml.cli._review import ask, grants

    opened = grants(plan)
    if opened and not out.json:
        out.note("this change grants new access:")
        for item in opened:
            print(f"  {item}", file=out.stderr)
    deletes = [c.key for c in plan.pending if c.action == "delete"]
    n = len(plan.pending)
    question = f"Apply {n} change(s)"
    if deletes:
        question += f", deleting {len(deletes)} resource(s) ({', '.join(deletes)})"
    refusal = (
        f"this apply would make {n} change(s)"
        + (f" and delete {len(deletes)} resource(s) ({', '.join(deletes)})" if deletes else "")
        + " and there is no terminal to ask for confirmation; nothing was changed. Review "
        "the plan and run again with --yes"
    )
    return ask(question + "?", refusal, out, yes=args.yes, kind="ChangeNotConfirmed")


def _cmd_apply(args: argparse.Namespace, out: _Out) -> int:
    from secureml.cli._review import CLI_PRUNE_HINT, load_plan

    bf = _load(args)
    bp = bf.blueprint
    reviewed = load_plan(args.plan_file, bp.name) if args.plan_file else None
    prune = bool(reviewed["prune"]) if reviewed is not None else args.prune
    with _aws_session(args, bf, out) as session:
        plan = bp.plan(session, prune=prune)
        if reviewed is not None:
            # The reviewed plan is the consent: carry out exactly it, or nothing.
            if not out.json:
                _show_plan(plan, out, args.verbose)
            return _apply_reviewed(bp, session, reviewed, args, out)
        if plan.is_empty:
            if out.json:
                from secureml.engine import ApplyResult

                out.data(ApplyResult(plan=plan, applied=()).to_dict())
            else:
                out.result(out.diff(plan.text(prune_hint=CLI_PRUNE_HINT)))
                out.result(f"No changes: blueprint {bp.name!r} is up to date.")
            return EXIT_OK
        if not out.json:
            _show_plan(plan, out, args.verbose)
        if not _consent(plan, args, out):
            return EXIT_ERROR
        # expected=plan: what runs is exactly what was shown (and confirmed), or nothing.
        result = bp.apply(session, prune=prune, expected=plan, on_change=_progress(out))
        after = bp.plan(session, prune=prune) if args.local else None
    if out.json:
        data = result.to_dict()
        if after is not None:
            data["converged"] = after.is_empty
        out.data(data)
    else:
        out.result(result.text(prune_hint=CLI_PRUNE_HINT))
        if after is not None:
            out.result(
                "Planned again: no changes, a second apply would do nothing."
                if after.is_empty
                else out.diff("Planned again, still to change:\n" + str(after))
            )
    return EXIT_OK


def _apply_reviewed(
    bp: Any, session: Any, reviewed: dict[str, Any], args: argparse.Namespace, out: _Out
) -> int:
    """``apply --plan``: the saved plan's changes, only if the account still gives them."""
    from secureml.cli._review import CLI_PRUNE_HINT
    from secureml.errors import PlanChangedError

    try:
        result = bp.apply(
            session, prune=bool(reviewed["prune"]), expected=reviewed, on_change=_progress(out)
        )
    except PlanChangedError as exc:
        return out.fail(
            f"the account no longer matches the reviewed plan {args.plan_file} "
            f"({'; '.join(_differences(exc))}); nothing was changed. Make and review a new "
            f"plan: secureml plan {args.file} --out {args.plan_file}",
            type(exc).__name__, added=list(exc.added), removed=list(exc.removed),
        )
    if out.json:
        out.data(result.to_dict())
    else:
        out.result(result.text(prune_hint=CLI_PRUNE_HINT))
    return EXIT_OK


def _differences(exc: Any) -> list[str]:
    differences = []
    if exc.added:
        differences.append("now also: " + ", ".join(exc.added))
    if exc.removed:
        differences.append("no longer: " + ", ".join(exc.removed))
    return differences


def _cmd_destroy(args: argparse.Namespace, out: _Out) -> int:
    from secureml.cli._review import ask
    from secureml.engine import Blueprint

    bf = _load(args)
    # The same name and nothing in it: everything the blueprint owns is an orphan.
    empty = Blueprint(bf.name, [], region=bf.blueprint.region)
    with _aws_session(args, bf, out) as session:
        plan = empty.plan(session, prune=True)
        if plan.is_empty:
            if out.json:
                out.data({"blueprint": bf.name, "changed": False, "applied": []})
            else:
                out.result(f"Nothing to destroy: blueprint {bf.name!r} owns nothing here.")
            return EXIT_OK
        deletes = [c.key for c in plan.pending]
        if not out.json:
            out.result(out.diff(plan.text()))
        listed = f"{len(deletes)} resource(s) ({', '.join(deletes)})"
        if not ask(
            f"Destroy blueprint {bf.name!r}: delete {listed}?",
            f"destroy would delete {listed} and there is no terminal to ask for "
            "confirmation; nothing was changed. Run again with --yes to delete them",
            out, yes=args.yes, kind="DestroyNotConfirmed",
        ):
            return EXIT_ERROR
        result = empty.apply(session, prune=True, expected=plan, on_change=_progress(out))
    if out.json:
        out.data(result.to_dict())
    else:
        out.result(str(result))
    return EXIT_OK


def _selected(args: argparse.Namespace, bf: BlueprintFile) -> list[str]:
    names = list(bf.personas)
    wanted = args.persona or names
    unknown = [n for n in wanted if n not in bf.personas]
    if unknown:
        raise SecureMLError(
            f"--persona: no persona {', '.join(map(repr, unknown))} in {bf.source}; "
            f"it has: {', '.join(names) or 'none'}"
        )
    return wanted


def _cmd_policies(args: argparse.Namespace, out: _Out) -> int:
    bf = _load(args)
    region = bf.region
    report: dict[str, Any] = {}
    for name in _selected(args, bf):
        persona = bf.personas[name]
        docs = persona.policy_documents(account_id=args.account_id, region=region)
        report[name] = {
            "kind": persona.kind,
            "policies": [d.to_dict() for d in docs],
            "managed_policies": list(persona.managed_policies),
            "permissions_boundary": persona.permissions_boundary,
            "trust_policy": persona.trust_policy(args.account_id).to_dict(),
        }
        if not out.json:
            sizes = ", ".join(f"{d.size:,}" for d in docs)
            out.result(
                f"# {name} ({persona.kind}): {len(docs)} policy document(s), "
                f"{sizes} characters (limit 6,144 each)"
            )
            for doc in docs:
                out.result(doc.to_json(indent=2))
    if out.json:
        out.data(
            {"blueprint": bf.name, "account_id": args.account_id, "region": region,
             "personas": report}
        )
    return EXIT_OK


def _cmd_lint(args: argparse.Namespace, out: _Out) -> int:
    bf = _load(args)
    region = bf.region
    rows: list[dict[str, Any]] = []
    for name, persona in bf.personas.items():
        for f in persona.lint(account_id=args.account_id, region=region):
            rows.append({"subject": f"persona {name}", "line": bf.lines.get(name), **_finding(f)})
    for resource in bf.resources:
        lint = getattr(resource, "lint", None)
        if callable(lint):
            for f in lint():
                rows.append(
                    {"subject": resource.key, "line": bf.lines.get(resource.key), **_finding(f)}
                )
    errors = sum(1 for r in rows if r["severity"] == "error")
    warnings = sum(1 for r in rows if r["severity"] == "warning")
    failed = errors > 0 or (args.strict and warnings > 0)
    if out.json:
        out.data({"file": bf.source, "ok": not failed, "findings": rows})
    else:
        for r in rows:
            where = f"{bf.source}:{r['line']}" if r["line"] else bf.source
            sev = out.paint(r["severity"], _COLOURS.get(r["severity"], ""))
            out.result(f"{where}: {r['subject']}: {sev} {r['code']}: {r['message']}")
        out.result(
            f"{bf.source}: {len(bf.personas)} persona(s), {len(bf.resources)} resource(s): "
            f"{errors} error(s), {warnings} warning(s), "
            f"{len(rows) - errors - warnings} note(s)"
        )
    return EXIT_ERROR if failed else EXIT_OK


def _finding(f: Any) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": getattr(f.severity, "value", str(f.severity)),
        "message": f.message,
        "statement": f.statement.to_dict() if f.statement is not None else None,
    }


def _cmd_explain(args: argparse.Namespace, out: _Out) -> int:
    from secureml.cli import _explain

    return _explain.run(args, out)


def _cmd_check(args: argparse.Namespace, out: _Out) -> int:
    from secureml.cli import _check

    return _check.run(args, out)


def _cmd_schema(args: argparse.Namespace, out: _Out) -> int:
    from secureml.blueprint_file import schema_text

    out.stdout.write(schema_text())
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace, out: _Out) -> int:
    import threading

    from secureml.cli import _local
    from secureml.cli._session import make_session

    files = []
    for path in args.seed:
        from secureml.blueprint_file import load

        files.append(load(path))
    with _local.emulator(args.port) as url:
        session = make_session(region=args.region, endpoint_url=url, fake_credentials=True)
        for bf in files:
            created = _local.seed(session, bf, bf.region or args.region)
            out.note(f"seeded for {bf.source}: {', '.join(created) or 'nothing needed'}")
        if out.json:
            out.data({"endpoint_url": url, "region": args.region})
        else:
            out.result(
                f"Local AWS emulator (moto) on {url}; Ctrl-C stops it.\n"
                f"Use it from secureml:  secureml apply FILE --local --endpoint-url {url}\n"
                f"or from any AWS tool:  export AWS_ENDPOINT_URL={url} "
                f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
                f"AWS_DEFAULT_REGION={args.region}"
            )
        out.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return EXIT_OK


# -- entry point ---------------------------------------------------------------------------------


def _aws_error(exc: Exception) -> str | None:
    """A helpful message for the botocore errors people meet first, else None."""
    try:
        from botocore import exceptions as bce
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    if isinstance(exc, bce.NoCredentialsError):
        from secureml.errors import NO_CREDENTIALS_HINT

        return NO_CREDENTIALS_HINT
    if isinstance(exc, bce.ProfileNotFound):
        return f"{exc} (profiles come from ~/.aws/config and ~/.aws/credentials)"
    if isinstance(exc, bce.EndpointConnectionError):
        return f"{exc}; is the endpoint right and reachable?"
    if isinstance(exc, bce.BotoCoreError | bce.ClientError):
        return str(exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``secureml`` command with ``argv`` (default: ``sys.argv[1:]``) and
    return its exit code: 0 ok, 2 plan found changes, 1 error."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version exit 0; usage errors exit 1
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    out = _Out(json_output=args.output == "json", no_color=args.no_color)
    handler = _log_handler(out, verbose=args.verbose)
    logger = logging.getLogger("secureml")
    level = logger.level
    logger.addHandler(handler)
    if args.verbose:
        logger.setLevel(logging.DEBUG)
    try:
        return int(args.func(args, out))
    except SecureMLError as exc:
        return _report(exc, out)
    except BrokenPipeError:
        return _reader_gone()
    except OSError as exc:
        return out.fail(
            f"cannot read {getattr(exc, 'filename', None) or 'file'}: {exc.strerror or exc}",
            type(exc).__name__,
        )
    except KeyboardInterrupt:
        return out.fail("interrupted", "KeyboardInterrupt")
    except Exception as exc:
        message = _aws_error(exc)
        if message is None:
            raise
        return out.fail(message, type(exc).__name__)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _log_handler(out: _Out, *, verbose: bool) -> logging.Handler:
    """secureml's log on stderr: warnings always (``secureml: warning: ...``, like
    every other line of ours there), everything with ``-v``."""
    handler = logging.StreamHandler(out.stderr)
    if verbose:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("secureml: warning: %(message)s"))
    return handler


def _reader_gone() -> int:
    """stdout's reader went away (``secureml policies FILE -o json | head``): stop
    quietly. Python would complain again when it flushes stdout at exit, so stdout
    now goes nowhere."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_ERROR


def _report(exc: SecureMLError, out: _Out) -> int:
    """Report a secureml error (every problem of a bad file, one per line) and
    return exit code 1."""
    from secureml.blueprint_file import BlueprintFileError
    from secureml.errors import PlanChangedError

    if isinstance(exc, BlueprintFileError):
        count = len(exc.issues)
        out.error(f"{exc.file}: {count} problem{'s' if count > 1 else ''}")
        for issue in exc.issues:
            print(f"  {issue}", file=out.stderr)
        if out.json:
            kind = type(exc).__name__
            out.data({"errors": [{"type": kind, **i.to_dict()} for i in exc.issues]})
        return EXIT_ERROR
    if isinstance(exc, PlanChangedError):
        # The plan on screen, and the consent given to it, are out of date: say what
        # differs and how to see the new plan.
        differences = _differences(exc)
        return out.fail(
            "the account changed after the plan above was made "
            f"({'; '.join(differences)}); nothing was changed. Run the same command again "
            "to see the new plan and review it",
            type(exc).__name__,
            added=list(exc.added),
            removed=list(exc.removed),
        )
    out.error(str(exc))
    if out.json:
        out.data({"errors": _error_data(exc)})
    return EXIT_ERROR


def _error_data(exc: SecureMLError) -> list[dict[str, Any]]:
    """An error as JSON items: one per problem of a ValidationError (message, field
    path and value), else one with the error's own fields (``to_dict``: AWS
    operation and code, failed changes)."""
    if isinstance(exc, ValidationError):
        return [{"type": type(exc).__name__, **_problem_dict(p)} for p in exc.problems]
    to_dict = getattr(exc, "to_dict", None)
    extra: dict[str, Any] = to_dict() if callable(to_dict) else {}
    return [{"type": type(exc).__name__, "message": str(exc), **extra}]


def _problem_dict(problem: Problem) -> dict[str, Any]:
    """A problem for ``-o json``: its message, field path, value (as JSON has it,
    else described) and detail (the message without its field label)."""
    value = problem.value
    if not isinstance(value, str | int | float | bool | type(None)):
        value = describe(value)
    return {
        "message": str(problem), "path": list(problem.path), "value": value,
        "detail": problem.detail,
    }
