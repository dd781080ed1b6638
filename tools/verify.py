"""Prove that a deployed stack's cross-account copy works, end to end; say what is wrong if not.

    uv run --frozen python -m tools.verify --stack dev --resource-arn ARN [--cleanup]
    uv run --frozen python -m tools.verify --stack dev --diagnose [--resource-arn ARN]

Verification (docs/verify.md):
1. read the stack config (`Pulumi.yaml` + `Pulumi.<stack>.yaml`, validated by the program's own
   `parse_settings`) and the stack outputs (`pulumi stack output --json`, or `--outputs FILE`);
2. assume the source and backup accounts' roles (STS, external id, session name);
3. check the resource exists and carries the selection tag;
4. start an on-demand backup of the resource into the source vault with the stack's backup role,
   and wait for it;
5. start the copy into the backup vault, and wait for it. An on-demand backup job does not run the
   plan's copy action: copy actions belong to plan rules (`BackupRule.CopyActions`), and
   StartBackupJob takes no copy action at all (AWS Backup API reference:
   https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html,
   https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRule.html). So the tool
   starts the copy itself (StartCopyJob, the backup role, a lifecycle equal to the plan's copy
   retention), as the plan rule would;
6. from the backup account, confirm the recovery point is in the backup vault, encrypted with the
   backup vault's key. Exit 0 only then.

A failed job triggers the diagnosis (`--diagnose` runs it alone, starting no job), with the cause
of the job's status message. Exit codes: see `ExitCode`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from backup_guard.iam import evaluate, parse_policy
from tools.aws_session import (
    EXPIRED_CODES,
    MAX_ATTEMPTS,
    THROTTLING_CODES,
    AccountClients,
    AssumedRoleClients,
    CredentialsProblem,
    RoleNotAssumable,
    error_code,
    error_message,
)
from tools.verify_diagnose import (
    TROUBLESHOOTING_URL,
    Diagnosis,
    ResourceNotFound,
    describe_resource,
    diagnose,
    explain_status_message,
)
from tools.verify_inputs import (
    InputError,
    ResourceRef,
    StackOutputs,
    VerifySettings,
    load_settings,
    parse_outputs,
    parse_resource_arn,
    read_outputs_json,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_TAG = "cross-account-backup:verify-run"

BACKUP_TERMINAL = frozenset({"COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL"})
COPY_TERMINAL = frozenset({"COMPLETED", "FAILED", "ABORTED", "PARTIAL"})
RECOVERY_POINT_OK = frozenset({"COMPLETED", "AVAILABLE"})


class ExitCode(IntEnum):
    """The documented exit codes (also in `--help` and docs/verify.md)."""

    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    CREDENTIALS = 3
    ROLE = 4
    BAD_ARN = 5
    RESOURCE_NOT_FOUND = 6
    UNTAGGED = 7
    TIMEOUT = 8
    NOT_CONFIRMED = 9
    DIAGNOSIS_FAILED = 10
    THROTTLED = 11
    AWS_ERROR = 12
    CLEANUP_INCOMPLETE = 13
    INTERRUPTED = 130


EXIT_CODE_MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "verified: the copy is in the backup vault on its key (--diagnose: no failure)",
    ExitCode.JOB_FAILED: "the backup or copy job failed; its cause and the diagnosis are printed",
    ExitCode.USAGE: "bad arguments, stack config or stack outputs (Pulumi CLI missing, ...)",
    ExitCode.CREDENTIALS: "your AWS credentials are missing, expired or invalid",
    ExitCode.ROLE: "a stack role can't be assumed (trust policy, external id, sts:AssumeRole)",
    ExitCode.BAD_ARN: "--resource-arn malformed, or not in the source account/region",
    ExitCode.RESOURCE_NOT_FOUND: "--resource-arn names no existing resource",
    ExitCode.UNTAGGED: "the resource lacks the selection tag (the plan would never back it up)",
    ExitCode.TIMEOUT: "--timeout reached before the copy was confirmed; the jobs go on in AWS",
    ExitCode.NOT_CONFIRMED: "the copy job completed but the recovery point is not in the backup "
    "vault on its key",
    ExitCode.DIAGNOSIS_FAILED: "--diagnose found at least one failing check",
    ExitCode.THROTTLED: "AWS kept throttling after every retry",
    ExitCode.AWS_ERROR: "another AWS API error (a call denied to the stack role, ...)",
    ExitCode.CLEANUP_INCOMPLETE: "--cleanup could not delete a recovery point for another reason "
    "than a vault lock or the vault policy",
    ExitCode.INTERRUPTED: "Ctrl-C: the jobs started go on; how to follow or stop them is printed",
}


class Clock(Protocol):
    """Time source of the waits (tests inject a fake one)."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class VerifyFailure(Exception):
    """Ends the run with `code`; `str()` is the message."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class RunState:
    """What this run started and created: for Ctrl-C, timeouts and `--cleanup`."""

    run_id: str
    backup_job_id: str | None = None
    source_recovery_point_arn: str | None = None
    copy_job_id: str | None = None
    destination_recovery_point_arn: str | None = None
    notes: list[str] = field(default_factory=list)


def _fmt_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Verifier:
    """One verification run. All AWS access goes through `clients`."""

    def __init__(
        self,
        clients: AccountClients,
        settings: VerifySettings,
        outputs: StackOutputs,
        resource: ResourceRef,
        *,
        timeout: float,
        poll_interval: float,
        clock: Clock,
        out: TextIO,
        allow_untagged: bool = False,
        run_id: str | None = None,
    ) -> None:
        self.clients = clients
        self.settings = settings
        self.outputs = outputs
        self.resource = resource
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.out = out
        self.allow_untagged = allow_untagged
        self.state = RunState(run_id or f"verify-{uuid.uuid4()}")
        self._start = clock.monotonic()
        self.diagnosis: Diagnosis | None = None

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    # --- the steps -----------------------------------------------------------------------------

    def run(self) -> ExitCode:
        """Run every step; returns the exit code, or raises `VerifyFailure`."""
        self.check_resource()
        self.start_backup()
        backup_job = self.wait("backup", self._describe_backup, BACKUP_TERMINAL)
        if backup_job["State"] != "COMPLETED":
            return self.job_failed("backup", self.state.backup_job_id, backup_job)
        self.state.source_recovery_point_arn = backup_job["RecoveryPointArn"]
        self.say(f"backup job completed: recovery point {self.state.source_recovery_point_arn}")
        self.start_copy()
        copy_job = self.wait("copy", self._describe_copy, COPY_TERMINAL)
        if copy_job["State"] != "COMPLETED":
            return self.job_failed("copy", self.state.copy_job_id, copy_job)
        self.state.destination_recovery_point_arn = copy_job["DestinationRecoveryPointArn"]
        return self.confirm()

    def check_resource(self) -> None:
        try:
            info = describe_resource(self.clients, self.resource)
        except ResourceNotFound as exc:
            raise VerifyFailure(ExitCode.RESOURCE_NOT_FOUND, str(exc)) from exc
        key, value = self.settings.selection_tag_key, self.settings.selection_tag_value
        if info.tags.get(key) != value:
            found = f"{key}={info.tags[key]!r}" if key in info.tags else f"no tag {key}"
            message = (
                f"{self.resource.arn} has {found}: the stack's plan selects {key}={value}, so it "
                "would never back this resource up. Tag it (aws resourcegroupstaggingapi "
                f"tag-resources --resource-arn-list {self.resource.arn} --tags {key}={value})"
            )
            if self.resource.kind == "other":
                message += (
                    f" (for a {self.resource.service} resource the tool reads tags through the "
                    "tagging API, which does not tell a missing resource from an untagged one)"
                )
            if not self.allow_untagged:
                raise VerifyFailure(
                    ExitCode.UNTAGGED,
                    message + ", or pass --allow-untagged to verify the copy path anyway",
                )
            self.say(f"warning: {message}")
        self.say(f"resource {self.resource.arn}: {key}={value}")

    def start_backup(self) -> None:
        lifecycle: dict[str, Any] = {"DeleteAfterDays": self.settings.retention_days}
        if self.settings.cold_storage_after_days is not None:
            lifecycle["MoveToColdStorageAfterDays"] = self.settings.cold_storage_after_days
        backup = self.clients.client("source", "backup")
        response = self._call(
            "source",
            backup.start_backup_job,
            BackupVaultName=self.outputs.source_vault.name,
            ResourceArn=self.resource.arn,
            IamRoleArn=self.outputs.backup_role_arn,
            IdempotencyToken=self.state.run_id,
            Lifecycle=lifecycle,
            RecoveryPointTags={RUN_TAG: self.state.run_id},
        )
        self.state.backup_job_id = response["BackupJobId"]
        self.say(
            f"started backup job {self.state.backup_job_id} into {self.outputs.source_vault.name} "
            f"(role {self.outputs.backup_role_arn}, kept {self.settings.retention_days} days)"
        )

    def start_copy(self) -> None:
        # The plan rule's copy action is not run for on-demand jobs: do what it would do.
        lifecycle: dict[str, Any] = {"DeleteAfterDays": self.settings.copy_retention_days}
        if self.settings.copy_cold_storage_after_days is not None:
            lifecycle["MoveToColdStorageAfterDays"] = self.settings.copy_cold_storage_after_days
        backup = self.clients.client("source", "backup")
        response = self._call(
            "source",
            backup.start_copy_job,
            RecoveryPointArn=self.state.source_recovery_point_arn,
            SourceBackupVaultName=self.outputs.source_vault.name,
            DestinationBackupVaultArn=self.outputs.backup_vault.arn,
            IamRoleArn=self.outputs.backup_role_arn,
            IdempotencyToken=self.state.run_id,
            Lifecycle=lifecycle,
        )
        self.state.copy_job_id = response["CopyJobId"]
        self.say(
            f"started copy job {self.state.copy_job_id} to {self.outputs.backup_vault.arn} "
            f"(kept {self.settings.copy_retention_days} days)"
        )

    def _describe_backup(self) -> Mapping[str, Any]:
        backup = self.clients.client("source", "backup")
        return self._call(
            "source", backup.describe_backup_job, BackupJobId=self.state.backup_job_id
        )

    def _describe_copy(self) -> Mapping[str, Any]:
        backup = self.clients.client("source", "backup")
        return self._call("source", backup.describe_copy_job, CopyJobId=self.state.copy_job_id)[
            "CopyJob"
        ]

    def wait(
        self, step: str, describe: Callable[[], Mapping[str, Any]], terminal: frozenset[str]
    ) -> Mapping[str, Any]:
        """Poll `describe` until its State is terminal, printing progress; honour the timeout."""
        deadline = self._start + self.timeout
        last = ""
        while True:
            job = describe()
            state = str(job.get("State", "?"))
            percent = job.get("PercentDone")
            now = self.clock.monotonic()
            line = (
                f"[{step:6}] {state:9} "
                + (f"{percent}% " if percent else "")
                + (f"elapsed {_fmt_elapsed(now - self._start)}")
            )
            if line != last or state in terminal:
                self.say(line)
                last = line
            if state in terminal:
                return job
            remaining = deadline - now
            if remaining <= 0:
                raise VerifyFailure(
                    ExitCode.TIMEOUT,
                    f"timed out after {_fmt_elapsed(self.timeout)} waiting for the {step} job "
                    f"(state {state}); it goes on in AWS.\n" + self.follow_instructions(),
                )
            self.clock.sleep(min(self.poll_interval, remaining))

    def job_failed(self, step: str, job_id: str | None, job: Mapping[str, Any]) -> ExitCode:
        message = str(job.get("StatusMessage") or "(no status message)")
        self.say(f"{step} job {job_id} ended {job.get('State')}: {message}")
        cause = explain_status_message(message)
        if cause is not None:
            self.say(
                f"cause: {cause.title}\nfix: {cause.fix}\n"
                f"(diagnosis checks that confirm it: {', '.join(cause.checks)})"
            )
        else:
            self.say(f"cause: not a known message; see {TROUBLESHOOTING_URL}")
        self.say("running the diagnosis ...")
        self.diagnosis = diagnose(self.clients, self.settings, self.outputs, self.resource)
        self.say(self.diagnosis.render())
        return ExitCode.JOB_FAILED

    def confirm(self) -> ExitCode:
        """From the backup account: the recovery point is in the backup vault, on its key."""
        backup = self.clients.client("backup", "backup")
        arn = self.state.destination_recovery_point_arn
        try:
            point = backup.describe_recovery_point(
                BackupVaultName=self.outputs.backup_vault.name, RecoveryPointArn=arn
            )
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise aws_failure(exc, "backup") from exc
            raise VerifyFailure(
                ExitCode.NOT_CONFIRMED,
                f"the copy job completed, but the backup account sees no recovery point {arn} "
                f"in {self.outputs.backup_vault.name} ({error_message(exc)})",
            ) from exc
        problems = []
        if point.get("BackupVaultArn") not in (None, self.outputs.backup_vault.arn):
            problems.append(
                f"it is in {point['BackupVaultArn']}, not {self.outputs.backup_vault.arn}"
            )
        if point.get("Status") not in RECOVERY_POINT_OK:
            problems.append(
                f"its status is {point.get('Status')} ({point.get('StatusMessage', '')})"
            )
        key = str(point.get("EncryptionKeyArn") or "")
        expected = self.outputs.backup_vault_key_arn
        if key.rsplit("/", 1)[-1] != expected.rsplit("/", 1)[-1]:
            problems.append(
                f"it is encrypted with {key or 'no key'}, not the backup vault key {expected}"
            )
        if problems:
            raise VerifyFailure(
                ExitCode.NOT_CONFIRMED, f"recovery point {arn}: " + "; ".join(problems)
            )
        expiry = (point.get("CalculatedLifecycle") or {}).get("DeleteAt")
        self.say(
            f"VERIFIED: recovery point {arn} is {point.get('Status')} in "
            f"{self.outputs.backup_vault.arn}, encrypted with {key}"
            + (f", expires {expiry}" if expiry else "")
        )
        return ExitCode.OK

    # --- AWS errors, interruption, cleanup -----------------------------------------------------

    def _call(self, account: str, method: Callable[..., Any], **params: Any) -> Any:
        try:
            return method(**params)
        except ClientError as exc:
            raise aws_failure(exc, account) from exc

    def follow_instructions(self) -> str:
        """How to follow or stop what this run started (aws CLI, source account credentials)."""
        region = self.settings.source.region
        lines = []
        if self.state.backup_job_id:
            job = self.state.backup_job_id
            lines += [
                f"backup job {job} (source account {self.settings.source.account_id}):",
                f"  follow: aws backup describe-backup-job --backup-job-id {job} --region {region}",
                f"  stop:   aws backup stop-backup-job --backup-job-id {job} --region {region}",
            ]
        if self.state.copy_job_id:
            job = self.state.copy_job_id
            lines += [
                f"copy job {job} (source account {self.settings.source.account_id}):",
                f"  follow: aws backup describe-copy-job --copy-job-id {job} --region {region}",
                "  stop:   a copy job can't be stopped (AWS Backup has no StopCopyJob); when it "
                "ends, its copy expires after "
                f"{self.settings.copy_retention_days} days",
            ]
        if self.state.source_recovery_point_arn:
            lines.append(
                "remove the source recovery point: aws backup delete-recovery-point "
                f"--backup-vault-name {self.outputs.source_vault.name} --recovery-point-arn "
                f"{self.state.source_recovery_point_arn} --region {region}"
            )
        if not lines:
            return "no job was started: nothing to follow or stop."
        return "\n".join(
            [
                "run these with credentials of the source account's role "
                f"({self.settings.source.role_arn}):",
                *lines,
            ]
        )

    def cleanup(self) -> bool:
        """Delete the recovery points this run created; False when one failed unexpectedly."""
        ok = True
        destination = self.state.destination_recovery_point_arn
        if destination:
            ok &= self._delete("backup", self.outputs.backup_vault.name, destination)
        source = self.state.source_recovery_point_arn
        if source:
            ok &= self._delete("source", self.outputs.source_vault.name, source)
        if not destination and not source:
            self.say("cleanup: this run created no recovery point")
        return ok

    def _delete(self, account: str, vault_name: str, arn: str) -> bool:
        backup = self.clients.client(account, "backup")
        try:
            backup.delete_recovery_point(BackupVaultName=vault_name, RecoveryPointArn=arn)
        except ClientError as exc:
            reasons = self._why_kept(account, vault_name, arn)
            if reasons:
                self.say(
                    f"cleanup: kept {arn} in {vault_name} ({error_code(exc)}): "
                    + "; ".join(reasons)
                )
                return True
            self.say(
                f"cleanup: could not delete {arn} in {vault_name}: {error_code(exc)}: "
                f"{error_message(exc)}"
            )
            return False
        self.say(f"cleanup: deleted {arn} from {vault_name}")
        return True

    def _why_kept(self, account: str, vault_name: str, arn: str) -> list[str]:
        """Explain a refused deletion: the vault lock, the vault policy's Deny, the expiry."""
        backup = self.clients.client(account, "backup")
        reasons: list[str] = []
        vault = backup.describe_backup_vault(BackupVaultName=vault_name)
        if vault.get("Locked"):
            mode = "compliance (immutable)" if vault.get("LockDate") else "governance or grace"
            reasons.append(
                f"the vault lock ({mode}, min retention {vault.get('MinRetentionDays')} days) "
                "forbids deleting a recovery point before its retention ends"
            )
        try:
            document = backup.get_backup_vault_access_policy(BackupVaultName=vault_name)["Policy"]
        except ClientError:
            document = None
        if document:
            account_id = (
                self.settings.backup if account == "backup" else self.settings.source
            ).account_id
            decision = evaluate(
                parse_policy(document),
                principal_account=account_id,
                action="backup:DeleteRecoveryPoint",
                resource=arn,
            )
            if decision.verdict == "explicit-deny":
                reasons.append(
                    f"the vault access policy denies backup:DeleteRecoveryPoint to everyone "
                    f"(statement {decision.statement}): by design copies only expire"
                )
        if reasons:
            try:
                point = backup.describe_recovery_point(
                    BackupVaultName=vault_name, RecoveryPointArn=arn
                )
                delete_at = (point.get("CalculatedLifecycle") or {}).get("DeleteAt")
            except ClientError:
                delete_at = None
            reasons.append(
                f"it expires on its own at {delete_at}"
                if delete_at
                else "it expires on its own at the end of its lifecycle"
            )
        return reasons


def aws_failure(exc: ClientError, account: str | None) -> VerifyFailure | CredentialsProblem:
    """Turn an AWS error into the run's failure with its exit code."""
    code, message = error_code(exc), error_message(exc)
    operation = exc.operation_name
    where = f" in the {account} account" if account else ""
    if code in THROTTLING_CODES:
        return VerifyFailure(
            ExitCode.THROTTLED,
            f"{operation}{where} was still throttled after {MAX_ATTEMPTS} "
            f"attempts with backoff ({code}: {message}); wait and run again",
        )
    if code in EXPIRED_CODES:
        return CredentialsProblem(
            f"credentials expired or invalid during {operation}{where} ({code}); "
            "refresh your credentials and run again"
        )
    return VerifyFailure(
        ExitCode.AWS_ERROR,
        f"{operation}{where} failed: {code}: {message}",
    )


# --- command line ------------------------------------------------------------------------------

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
        default="",
        help="the source account resource to back up (EBS volume, EC2 instance, "
        "RDS instance, Aurora cluster, EFS, DynamoDB table, S3 bucket, ...); "
        "required unless --diagnose",
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
    parser.add_argument("--repo-root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    return parser


ClientsFactory = Callable[[VerifySettings], AccountClients]


def _default_clients(settings: VerifySettings) -> AccountClients:
    return AssumedRoleClients(settings.targets())  # type: ignore[arg-type]


def main(
    argv: Sequence[str] | None = None,
    *,
    clients_factory: ClientsFactory = _default_clients,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    settings: VerifySettings | None = None,
) -> int:
    """The command. Returns the exit code; the keyword arguments are the tests' seam."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    if args.timeout <= 0 or args.poll_interval <= 0:
        print("error: --timeout and --poll-interval must be > 0 seconds", file=err)
        return ExitCode.USAGE
    verifier: Verifier | None = None
    try:
        if settings is None:
            settings = load_settings(args.repo_root, args.stack)
        outputs = parse_outputs(
            read_outputs_json(args.stack, args.outputs, root=args.repo_root), settings
        )
        resource_arn = args.resource_arn.strip()
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
            return ExitCode.DIAGNOSIS_FAILED if result.failed else ExitCode.OK
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
    except CredentialsProblem as exc:
        print(f"error: {exc}", file=err)
        return ExitCode.CREDENTIALS
    except RoleNotAssumable as exc:
        print(f"error: {exc}", file=err)
        return ExitCode.ROLE
    except ClientError as exc:
        failure = aws_failure(exc, None)
        print(f"error: {failure}", file=err)
        return ExitCode.CREDENTIALS if isinstance(failure, CredentialsProblem) else failure.code
    except BotoCoreError as exc:
        print(f"error: AWS client failure: {exc}", file=err)
        return ExitCode.AWS_ERROR
    except VerifyFailure as exc:
        print(f"error: {exc}", file=err)
        code = exc.code
        if verifier is None or code == ExitCode.TIMEOUT:
            return code
    if args.cleanup and verifier is not None:
        cleaned = verifier.cleanup()
        if not cleaned and code == ExitCode.OK:
            return ExitCode.CLEANUP_INCOMPLETE
    return code


def _sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _sigterm)
    sys.exit(main())
