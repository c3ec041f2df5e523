"""The ``secureml`` command line: plan and apply YAML blueprints, print and lint
their policies, run a local AWS emulator.

Exit codes, for pipelines: 0 success and nothing to change, 2 ``plan`` found
changes (``explain``: the request is denied; ``check``: a workflow is refused
or a guard-rail violation allowed), 1 any error (bad file, bad
arguments, AWS errors, refused deletes).
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
from secureml.errors import SecureMLError

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
        "-v", "--verbose", action="store_true", help="log what secureml does to stderr"
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

    p = sub.add_parser(
        "plan", parents=[file_arg, common, aws],
        help="show what apply would change (read-only); exit 2 when there are changes",
    )
    p.add_argument(
        "--prune", action="store_true",
        help="count deletes of resources no longer in the blueprint as changes",
    )
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser(
        "apply", parents=[file_arg, common, aws], help="make the account match the blueprint"
    )
    p.add_argument(
        "--prune", action="store_true",
        help="also delete resources this blueprint created that it no longer lists",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before deleting")
    p.set_defaults(func=_cmd_apply)

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

    from secureml.cli import _check

    _check.add_parser(sub, [file_arg, common])
    sub.choices["check"].set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "schema", parents=[common], help="print the JSON Schema of blueprint files"
    )
    p.set_defaults(func=_cmd_schema)

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


def _show_plan(plan: Plan, out: _Out) -> None:
    if out.json:
        out.data(plan.to_dict())
    else:
        out.result(out.diff(str(plan)))


def _progress(out: _Out) -> Callable[[Change, int, int], None]:
    """``[n/N] action resource`` on stderr after each change the engine carries out."""

    def report(change: Change, done: int, total: int) -> None:
        out.note(f"[{done}/{total}] {change.action} {change.resource.describe()}")

    return report


# -- commands -----------------------------------------------------------------------------------


def _cmd_plan(args: argparse.Namespace, out: _Out) -> int:
    bf = _load(args)
    bp = bf.blueprint
    with _aws_session(args, bf, out) as session:
        plan = bp.plan(session, prune=args.prune)
    _show_plan(plan, out)
    return EXIT_OK if plan.is_empty else EXIT_CHANGES


def _confirm(deletes: list[str], out: _Out) -> bool:
    """Whether the person at the terminal agrees to ``deletes`` (resource keys);
    never without a terminal. A refusal is reported here."""
    listed = f"{len(deletes)} resource(s) ({', '.join(deletes)})"
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        out.fail(
            f"this apply would delete {listed} and there is no terminal to ask for "
            "confirmation; nothing was changed. Review the plan and run again with --yes "
            "to allow the deletes",
            "DeleteNotConfirmed",
        )
        return False
    print(
        f"Delete {listed}? Type 'yes' to continue: ", end="", file=out.stderr, flush=True
    )
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        out.fail("apply cancelled; nothing was changed", "DeleteNotConfirmed")
        return False
    return True


def _cmd_apply(args: argparse.Namespace, out: _Out) -> int:
    bf = _load(args)
    bp = bf.blueprint
    with _aws_session(args, bf, out) as session:
        plan = bp.plan(session, prune=args.prune)
        if plan.is_empty:
            if out.json:
                from secureml.engine import ApplyResult

                out.data(ApplyResult(plan=plan, applied=()).to_dict())
            else:
                out.result(out.diff(str(plan)))
                out.result(f"No changes: blueprint {bp.name!r} is up to date.")
            return EXIT_OK
        if not out.json:
            out.result(out.diff(str(plan)))
        deletes = [c.key for c in plan.pending if c.action == "delete"]
        if deletes and not args.yes and not _confirm(deletes, out):
            return EXIT_ERROR
        # expected=plan: what runs is exactly what was shown (and confirmed), or nothing.
        result = bp.apply(session, prune=args.prune, expected=plan, on_change=_progress(out))
        after = bp.plan(session, prune=args.prune) if args.local else None
    if out.json:
        data = result.to_dict()
        if after is not None:
            data["converged"] = after.is_empty
        out.data(data)
    else:
        out.result(str(result))
        if after is not None:
            out.result(
                "Planned again: no changes, a second apply would do nothing."
                if after.is_empty
                else out.diff("Planned again, still to change:\n" + str(after))
            )
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
        return (
            "no AWS credentials found: give --profile, set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, sign in with `aws sso login`, or try it without an "
            "account with --local"
        )
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
    handler: logging.Handler | None = None
    if args.verbose:
        handler = logging.StreamHandler(out.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("secureml").addHandler(handler)
        logging.getLogger("secureml").setLevel(logging.DEBUG)
    try:
        return int(args.func(args, out))
    except SecureMLError as exc:
        return _report(exc, out)
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
        if handler is not None:
            logging.getLogger("secureml").removeHandler(handler)


def _report(exc: SecureMLError, out: _Out) -> int:
    """Report a secureml error (every problem of a bad file, one per line) and
    return exit code 1."""
    from secureml.blueprint_file import BlueprintFileError
    from secureml.errors import PlanChangedError, ValidationError

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
        differences = []
        if exc.added:
            differences.append("now also: " + ", ".join(exc.added))
        if exc.removed:
            differences.append("no longer: " + ", ".join(exc.removed))
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
        problems = exc.problems if isinstance(exc, ValidationError) else (str(exc),)
        out.data({"errors": [{"type": type(exc).__name__, "message": p} for p in problems]})
    return EXIT_ERROR
