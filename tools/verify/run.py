"""One verification run: back up the resource, copy it, confirm the copy from the backup account.

Steps (docs/verify.md):
1. assume the source and backup accounts' roles, before anything is started (a role that can't
   be assumed stops the run with nothing to clean up);
2. check the resource exists and carries the selection tag;
3. start an on-demand backup of the resource into the source vault with the stack's backup role,
   and wait for it;
4. start the copy into the backup vault, and wait for it. An on-demand backup job does not run
   the plan's copy action: copy actions belong to plan rules (`BackupRule.CopyActions`), and
   StartBackupJob takes no copy action at all (AWS Backup API reference:
   https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html,
   https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRule.html). So the tool
   starts the copy itself (StartCopyJob, the backup role, a lifecycle equal to the plan's copy
   retention), as the plan rule would;
5. from the backup account, confirm the recovery point is in the backup vault, encrypted with the
   backup vault's key.
A failed job is explained (its status message) and diagnosed (the checks of that kind of job).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from botocore.exceptions import ClientError

from backup_guard.iam import evaluate, parse_policy
from tools.verify.aws_session import (
    DENIED_CODES,
    AccountClients,
    error_code,
    error_message,
)
from tools.verify.diagnose import (
    Diagnosis,
    ResourceNotFound,
    describe_resource,
    diagnose,
    explain_status_message,
    troubleshooting_url,
)
from tools.verify.errors import ExitCode, VerifyFailure, aws_failure, days
from tools.verify.inputs import ResourceRef, StackOutputs, VerifySettings

RUN_TAG = "cross-account-backup:verify-run"

BACKUP_TERMINAL = frozenset({"COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL"})
COPY_TERMINAL = frozenset({"COMPLETED", "FAILED", "ABORTED", "PARTIAL"})
RECOVERY_POINT_OK = frozenset({"COMPLETED", "AVAILABLE"})


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


@dataclass
class RunState:
    """What this run started and created: for Ctrl-C, timeouts and `--cleanup`."""

    run_id: str
    backup_job_id: str | None = None
    source_recovery_point_arn: str | None = None
    backup_state: str | None = None
    copy_job_id: str | None = None
    copy_state: str | None = None
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
        """Run every step; returns the exit code, or raises `VerifyFailure`.

        Every role the run needs is assumed first: a refused role stops it before any job.
        """
        self.clients.assume(("source", "backup"))
        self.check_resource()
        self.start_backup()
        backup_job = self.wait("backup", self._describe_backup, BACKUP_TERMINAL)
        self.state.backup_state = str(backup_job["State"])
        if backup_job["State"] != "COMPLETED":
            return self.job_failed("backup", self.state.backup_job_id, backup_job)
        self.state.source_recovery_point_arn = backup_job["RecoveryPointArn"]
        self.say(f"backup job completed: recovery point {self.state.source_recovery_point_arn}")
        self.start_copy()
        copy_job = self.wait("copy", self._describe_copy, COPY_TERMINAL)
        self.state.copy_state = str(copy_job["State"])
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
            f"(role {self.outputs.backup_role_arn}, kept {days(self.settings.retention_days)})"
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
            f"(kept {days(self.settings.copy_retention_days)})"
        )

    def _describe_backup(self) -> Mapping[str, Any]:
        backup = self.clients.client("source", "backup")
        job: Mapping[str, Any] = self._call(
            "source", backup.describe_backup_job, BackupJobId=self.state.backup_job_id
        )
        return job

    def _describe_copy(self) -> Mapping[str, Any]:
        backup = self.clients.client("source", "backup")
        response = self._call("source", backup.describe_copy_job, CopyJobId=self.state.copy_job_id)
        job: Mapping[str, Any] = response["CopyJob"]
        return job

    def wait(
        self, step: str, describe: Callable[[], Mapping[str, Any]], terminal: frozenset[str]
    ) -> Mapping[str, Any]:
        """Poll `describe` until its State is terminal, printing progress; honour the timeout."""
        deadline = self._start + self.timeout
        last = ""
        while True:
            job = describe()
            state = str(job.get("State", "?"))
            if step == "backup":
                self.state.backup_state = state
            else:
                self.state.copy_state = state
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
                    f"(state {state}); it goes on in AWS.",
                )
            self.clock.sleep(min(self.poll_interval, remaining))

    def job_failed(self, step: str, job_id: str | None, job: Mapping[str, Any]) -> ExitCode:
        """Explain a failed `step` job: its message's cause, then that kind of job's checks."""
        message = str(job.get("StatusMessage") or "(no status message)")
        self.say(f"{step} job {job_id} ended {job.get('State')}: {message}")
        cause = explain_status_message(message, step)
        if cause is not None:
            self.say(
                f"cause: {cause.title}\nfix: {cause.fix}\n"
                f"(diagnosis checks that confirm it: {', '.join(cause.checks)})"
            )
        else:
            self.say(f"cause: not a known message; see {troubleshooting_url(step)}")
        self.say(f"running the diagnosis of the {step} ...")
        self.diagnosis = diagnose(
            self.clients, self.settings, self.outputs, self.resource, failed_step=step
        )
        self.say(self.diagnosis.render())
        for refused in self.diagnosis.refused_roles:
            self.say(f"skipped checks: {refused}")
        if cause is not None:
            for check in self.diagnosis.failed:
                if check.id in cause.checks:
                    self.say(f"confirmed by {check.id}: {check.detail}\n  fix: {check.fix}")
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

    def started_anything(self) -> bool:
        return bool(self.state.backup_job_id)

    def follow_instructions(self) -> str:
        """How to follow or stop what this run started (aws CLI, source account credentials).

        A job that has ended is not offered to be stopped; the source recovery point is not
        offered for deletion while the copy job may still be reading it.
        """
        region = self.settings.source.region
        lines = []
        source_id = self.settings.source.account_id
        if self.state.backup_job_id:
            job = self.state.backup_job_id
            ended = self.state.backup_state in BACKUP_TERMINAL
            lines += [
                f"backup job {job} (source account {source_id})"
                + (f": {self.state.backup_state}" if ended else "")
                + ":",
                f"  follow: aws backup describe-backup-job --backup-job-id {job} --region {region}",
            ]
            if not ended:
                lines.append(
                    f"  stop:   aws backup stop-backup-job --backup-job-id {job} --region {region}"
                )
        if self.state.copy_job_id:
            job = self.state.copy_job_id
            lines += [
                f"copy job {job} (source account {source_id}):",
                f"  follow: aws backup describe-copy-job --copy-job-id {job} --region {region}",
                "  stop:   a copy job can't be stopped (AWS Backup has no StopCopyJob); when it "
                f"ends, its copy expires after {days(self.settings.copy_retention_days)}",
            ]
        if self.state.source_recovery_point_arn:
            copy_running = bool(self.state.copy_job_id) and (
                self.state.copy_state not in COPY_TERMINAL
            )
            command = (
                "aws backup delete-recovery-point "
                f"--backup-vault-name {self.outputs.source_vault.name} --recovery-point-arn "
                f"{self.state.source_recovery_point_arn} --region {region}"
            )
            lines.append(
                "once the copy job has ended (it reads the source recovery point), remove it: "
                + command
                if copy_running
                else "remove the source recovery point: " + command
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
        backup = self.clients.client(account, "backup")  # type: ignore[arg-type]
        try:
            backup.delete_recovery_point(BackupVaultName=vault_name, RecoveryPointArn=arn)
        except ClientError as exc:
            reasons, unreadable = self._why_kept(account, vault_name, arn)
            if reasons:
                self.say(
                    f"cleanup: kept {arn} in {vault_name} ({error_code(exc)}): "
                    + "; ".join(reasons)
                )
                return True
            why = (
                f"; could not read why: {', '.join(unreadable)} refused to the {account} "
                "account's role (allow it to tell a lock or the vault policy from another cause)"
                if unreadable
                else ""
            )
            self.say(
                f"cleanup: could not delete {arn} in {vault_name}: {error_code(exc)}: "
                f"{error_message(exc)}{why}"
            )
            return False
        self.say(f"cleanup: deleted {arn} from {vault_name}")
        return True

    def _why_kept(self, account: str, vault_name: str, arn: str) -> tuple[list[str], list[str]]:
        """Why a deletion was refused: (reasons found, reads that were refused).

        Every read is guarded: a cleanup with only the documented permissions must end with an
        explanation, never a traceback (and the source recovery point must still be deleted).
        """
        backup = self.clients.client(account, "backup")  # type: ignore[arg-type]
        reasons: list[str] = []
        unreadable: list[str] = []

        def read(operation: str, call: Callable[[], Any]) -> Any:
            try:
                return call()
            except ClientError as exc:
                if error_code(exc) not in DENIED_CODES and error_code(exc) != (
                    "ResourceNotFoundException"
                ):
                    unreadable.append(f"{operation} ({error_code(exc)}: {error_message(exc)})")
                elif error_code(exc) in DENIED_CODES:
                    unreadable.append(f"backup:{operation} (denied)")
                return None

        vault = (
            read(
                "DescribeBackupVault",
                lambda: backup.describe_backup_vault(BackupVaultName=vault_name),
            )
            or {}
        )
        if vault.get("Locked"):
            mode = "compliance (immutable)" if vault.get("LockDate") else "governance or grace"
            reasons.append(
                f"the vault lock ({mode}, min retention "
                f"{days(vault.get('MinRetentionDays'))}) forbids deleting a recovery point "
                "before its retention ends"
            )
        found = read(
            "GetBackupVaultAccessPolicy",
            lambda: backup.get_backup_vault_access_policy(BackupVaultName=vault_name),
        )
        document = (found or {}).get("Policy")
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
            point = (
                read(
                    "DescribeRecoveryPoint",
                    lambda: backup.describe_recovery_point(
                        BackupVaultName=vault_name, RecoveryPointArn=arn
                    ),
                )
                or {}
            )
            delete_at = (point.get("CalculatedLifecycle") or {}).get("DeleteAt")
            reasons.append(
                f"it expires on its own at {delete_at}"
                if delete_at
                else "it expires on its own at the end of its lifecycle"
            )
        return reasons, unreadable
