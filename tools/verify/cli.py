"""The command `python -m tools.verify`: arguments, the run or the diagnosis, exit codes.

`run(args)` is what `__main__` calls; `main(argv, ...)` is the same with the tests' seams
(clients, clock, streams, settings).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from tools.verify.aws_session import (
    MAX_ATTEMPTS,
    AccountClients,
    AssumedRoleClients,
    CredentialsProblem,
    RoleNotAssumable,
)
from tools.verify.diagnose import diagnose
from tools.verify.errors import EXIT_CODE_MEANING, ExitCode, VerifyFailure, aws_failure
from tools.verify.inputs import (
    InputError,
    VerifySettings,
    load_all_settings,
    outputs_of_source,
    parse_outputs,
    parse_resource_arn,
    read_outputs_json,
)
from tools.verify.restore_test import RestoreTester
from tools.verify.run import Clock, SystemClock, Verifier

REPO_ROOT = Path(__file__).resolve().parents[2]

EPILOG = (
    "exit codes:\n"
    + "\n".join(f"  {code.value:>3}  {EXIT_CODE_MEANING[code]}" for code in ExitCode)
    + "\n\nthrottling: every AWS client retries with botocore's adaptive retry mode (exponential "
    f"backoff, client-side rate limiting), up to {MAX_ATTEMPTS} attempts per call.\n"
    "Run it after `pulumi up`; see docs/verify.md."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.verify",
        description=(
            "Prove a deployed stack's cross-account copy end to end: on-demand backup of "
            "--resource-arn into the source vault with the stack's backup role, copy into the "
            "backup account's vault (started by this tool: on-demand jobs do not run the plan's "
            "copy action), then confirm from the backup account that the recovery point is "
            "there, encrypted with the backup vault's key. With --diagnose, start no job: read "
            "both accounts' live configuration and judge it with the policy pack's evaluator."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stack",
        required=True,
        help="the stack name: reads Pulumi.<stack>.yaml (and Pulumi.yaml defaults)",
    )
    parser.add_argument(
        "--resource-arn",
        action="append",
        default=[],
        help="the source account resource to back up (EBS volume, EC2 instance, "
        "RDS instance, Aurora cluster, EFS, DynamoDB table, S3 bucket, ...); "
        "required unless --diagnose; with several source accounts, once per account "
        "(each ARN goes to the source of its account)",
    )
    parser.add_argument(
        "--source",
        default=None,
        metavar="ACCOUNT",
        help="the source account to verify (a stack with sourceAccounts); default: every "
        "source, one after the other, with a summary table",
    )
    parser.add_argument(
        "--outputs",
        type=Path,
        default=None,
        metavar="FILE",
        help="JSON of `pulumi stack output --json` (default: run that command)",
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="start no job: check organization, opt-in, vault policies, key "
        "policies, resource key, vault lock, plan, selection, tag",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3 * 3600,
        metavar="SECONDS",
        help="give up waiting after this long (default 10800 = 3 h); the jobs "
        "continue in AWS and the commands to follow them are printed",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="seconds between job status reads (default 30)",
    )
    parser.add_argument(
        "--cleanup",
        action="store_true",
        help="afterwards, delete the recovery points this run created (a vault "
        "lock or the backup vault's Deny keep the copy: it is explained)",
    )
    parser.add_argument(
        "--allow-untagged",
        action="store_true",
        help="verify even if the resource lacks the selection tag",
    )
    parser.add_argument(
        "--restore-test",
        action="store_true",
        help="instead: restore the latest copy in the backup vault (of --resource-arn when "
        "given) with the stack's restore-testing role (needs restoreTesting in the stack), "
        "wait for the restore job and report it; with --cleanup, delete the restored resource",
    )
    parser.add_argument("--repo-root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    return parser


ClientsFactory = Callable[[VerifySettings], AccountClients]


def _default_clients(settings: VerifySettings) -> AccountClients:
    return AssumedRoleClients(settings.targets())  # type: ignore[arg-type]


def sigterm_as_interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM ends the run like Ctrl-C: the jobs started and how to follow them are printed."""
    raise KeyboardInterrupt


def main(
    argv: Sequence[str] | None = None,
    *,
    clients_factory: ClientsFactory = _default_clients,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    settings: VerifySettings | None = None,
) -> int:
    """The command, from `argv`; returns the exit code. Keyword arguments: the tests' seam."""
    return run(
        build_parser().parse_args(argv),
        clients_factory=clients_factory,
        clock=clock,
        out=out,
        err=err,
        settings=settings,
    )


def run(
    args: argparse.Namespace,
    *,
    clients_factory: ClientsFactory = _default_clients,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    settings: VerifySettings | None = None,
) -> int:
    """The command, from parsed arguments. Returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    if args.timeout <= 0 or args.poll_interval <= 0:
        print("error: --timeout and --poll-interval must be > 0 seconds", file=err)
        return ExitCode.USAGE
    try:
        if settings is not None:
            return _run_source(args, settings, None, clients_factory, clock, out, err, arns=None)
        every = load_all_settings(args.repo_root, args.stack)
        if args.source is not None and args.source not in every:
            raise InputError(
                f"--source {args.source!r} is not a source account of stack {args.stack!r}; "
                f"its sources: {', '.join(every)}"
            )
        selected = [args.source] if args.source is not None else list(every)
        data = read_outputs_json(args.stack, args.outputs, root=args.repo_root)
    except InputError as exc:
        print(f"error: {exc}", file=err)
        return ExitCode.USAGE
    if len(selected) == 1:
        return _run_source(
            args, every[selected[0]], data, clients_factory, clock, out, err, arns=None
        )
    # Several sources: one after the other (each its own jobs and clients), then a summary.
    codes: dict[str, int] = {}
    for account in selected:
        print(f"== source account {account}", file=out)
        arns = [a for a in args.resource_arn if f":{account}:" in a]
        codes[account] = _run_source(
            args, every[account], data, clients_factory, clock, out, err, arns=arns
        )
    print(summary_table(codes), file=out)
    failed = [c for c in codes.values() if c != ExitCode.OK]
    return failed[0] if failed else ExitCode.OK


def summary_table(codes: Mapping[str, int]) -> str:
    """One line per source account: its exit code and what it means."""
    lines = ["", "source account  result", "--------------  ------"]
    for account, code in codes.items():
        meaning = EXIT_CODE_MEANING[ExitCode(code)]
        lines.append(f"{account:<14}  {'ok' if code == ExitCode.OK else f'{code} {meaning}'}")
    return "\n".join(lines)


def _run_source(
    args: argparse.Namespace,
    settings: VerifySettings,
    data: Mapping[str, Any] | None,
    clients_factory: ClientsFactory,
    clock: Clock | None,
    out: TextIO,
    err: TextIO,
    *,
    arns: list[str] | None,
) -> int:
    """The run (or diagnosis, or restore test) of one source account. `arns`: the
    --resource-arn values of this account (None: every value given, a single-source run)."""
    verifier: Verifier | None = None
    code: int
    try:
        if data is None:
            data = read_outputs_json(args.stack, args.outputs, root=args.repo_root)
        outputs = parse_outputs(outputs_of_source(data, settings.source.account_id), settings)
        given = list(args.resource_arn if arns is None else arns)
        if len(given) > 1:
            raise InputError(
                f"--resource-arn given {len(given)} times for source account "
                f"{settings.source.account_id}: one resource per source account"
            )
        resource_arn = given[0].strip() if given else ""
        if args.restore_test:
            return _restore_test(args, settings, outputs, resource_arn, clients_factory, clock, out)
        resource = None
        if resource_arn:
            try:
                resource = parse_resource_arn(resource_arn, source=settings.source)
            except InputError as exc:
                raise VerifyFailure(ExitCode.BAD_ARN, str(exc)) from exc
        elif not args.diagnose:
            raise InputError("--resource-arn is required (unless --diagnose)")
        clients = clients_factory(settings)
        if args.diagnose:
            result = diagnose(clients, settings, outputs, resource)
            print(result.render(), file=out)
            if result.failed:
                return ExitCode.DIAGNOSIS_FAILED
            if result.refused_roles:
                for refused in result.refused_roles:
                    print(f"error: {refused}", file=err)
                return ExitCode.ROLE
            return ExitCode.OK
        assert resource is not None
        verifier = Verifier(
            clients,
            settings,
            outputs,
            resource,
            timeout=args.timeout,
            poll_interval=args.poll_interval,
            clock=clock or SystemClock(),
            out=out,
            allow_untagged=args.allow_untagged,
        )
        code = verifier.run()
    except KeyboardInterrupt:
        print("\ninterrupted.", file=err)
        print(
            verifier.follow_instructions()
            if verifier
            else "no job was started: nothing to follow or stop.",
            file=err,
        )
        return ExitCode.INTERRUPTED
    except InputError as exc:
        print(f"error: {exc}", file=err)
        return ExitCode.USAGE
    except (CredentialsProblem, RoleNotAssumable, ClientError, BotoCoreError, VerifyFailure) as exc:
        code = _report(exc, err)
        if verifier is not None and verifier.started_anything():
            # Whatever stopped the run, what it started goes on in AWS: say how to follow it.
            print(verifier.follow_instructions(), file=err)
        if verifier is None or code == ExitCode.TIMEOUT or not args.cleanup:
            return code
    if args.cleanup and verifier is not None:
        cleaned = verifier.cleanup()
        if not cleaned and code == ExitCode.OK:
            return ExitCode.CLEANUP_INCOMPLETE
    return code


def _restore_test(
    args: argparse.Namespace,
    settings: VerifySettings,
    outputs: Any,
    resource_arn: str,
    clients_factory: ClientsFactory,
    clock: Clock | None,
    out: TextIO,
) -> int:
    """`--restore-test` (issue 14): errors propagate to `run`'s handlers."""
    if not settings.restore_testing:
        raise InputError(
            f"--restore-test needs restoreTesting in stack {settings.stack!r}: the restore-testing "
            "role it uses is created only then"
        )
    tester = RestoreTester(
        clients_factory(settings),
        settings,
        outputs,
        resource_arn=resource_arn or None,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        clock=clock or SystemClock(),
        out=out,
    )
    code = tester.run()
    if args.cleanup and not tester.cleanup() and code == ExitCode.OK:
        return ExitCode.CLEANUP_INCOMPLETE
    return code


def _report(exc: Exception, err: TextIO) -> int:
    """Print the failure; return its exit code."""
    if isinstance(exc, CredentialsProblem):
        print(f"error: {exc}", file=err)
        return ExitCode.CREDENTIALS
    if isinstance(exc, RoleNotAssumable):
        print(f"error: {exc}", file=err)
        return ExitCode.ROLE
    if isinstance(exc, ClientError):
        failure = aws_failure(exc, None)
        print(f"error: {failure}", file=err)
        return ExitCode.CREDENTIALS if isinstance(failure, CredentialsProblem) else failure.code
    if isinstance(exc, BotoCoreError):
        print(f"error: AWS client failure: {exc}", file=err)
        return ExitCode.AWS_ERROR
    assert isinstance(exc, VerifyFailure)
    print(f"error: {exc}", file=err)
    return exc.code
