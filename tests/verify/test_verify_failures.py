"""`python -m tools.verify` on a bad day (issue 15): failed backup jobs, key messages, refused
roles, credentials, cleanup with the documented permissions, follow-up commands (stubbed
accounts).

Each test queues the answers AWS would give, per account and service, runs the command through
`main` (stack config read from this repo's `Pulumi.dev.yaml`), and asserts on the exit code, on
what is printed and on the parameters the tool sent. Time is a fake clock: no test waits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.stub import Stubber
from run_helpers import (
    _break,
    new_clients,
    queue_backup,
    queue_copy,
    queue_happy,
    verify,
)

from tools.verify.aws_session import RoleNotAssumable
from tools.verify.errors import ExitCode
from tools.verify.inputs import VerifySettings
from verify_fakes import (
    BACKUP_JOB_ID,
    BACKUP_ROLE,
    MANAGEMENT_ID,
    OTHER_ID,
    RESOURCE_CMK,
    SOURCE_ID,
    SOURCE_RP,
    SOURCE_VAULT,
    Err,
    FakeClock,
    StubbedClients,
    healthy_live_state,
    queue,
    queue_backup_diagnosis,
    queue_diagnosis,
    queue_volume,
    resource_cmk_policy,
)


def test_failed_backup_job_is_diagnosed_as_a_backup_not_a_copy(outputs_file: Path) -> None:
    # Issue 15 item 6: a failed backup job ran the copy checks and pointed to the copy page.
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("RUNNING", "FAILED"), message="Backup job failed: internal error.")
    queue_backup_diagnosis(clients, healthy_live_state())
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()  # no copy job, no copy check (organization, vault policies, ...)
    assert "ended FAILED: Backup job failed: internal error." in run.out
    assert (
        "cause: not a known message; see https://repost.aws/articles/ARt46qw01wR9OiksidJR0fMg"
    ) in run.out
    assert "backup-troubleshoot-cross-account-copy" not in run.out
    assert "[PASS ] backup-role:" in run.out
    assert "[PASS ] resource-key-role:" in run.out
    assert "organization" not in run.out
    assert (
        "diagnosis: 3 checks, 0 failed, 0 warnings, 0 skipped - nothing found that would "
        "stop the backup" in run.out
    )


def test_backup_job_failing_because_the_role_lost_its_managed_policy(outputs_file: Path) -> None:
    # re:Post "Understanding IAM roles and permissions in AWS Backup": the job role's message.
    message = (
        "You are not authorized to perform this operation. Please consult the permissions "
        "associated with your AWS Backup role(s), and refer to the AWS Backup documentation."
    )
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("FAILED",), message=message)
    live = healthy_live_state()
    live["backup_role_policies"] = ["service-role/AWSBackupServiceRolePolicyForRestores"]
    queue_backup_diagnosis(clients, live)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "cause: the backup role (backupRoleArn) lacks a permission" in run.out
    assert (
        f"[FAIL ] backup-role: AWS Backup may assume the backup role, which has the backup "
        f"policy - {BACKUP_ROLE} lacks the AWS managed policy AWSBackupServiceRolePolicyForBackup"
    ) in run.out
    assert "confirmed by backup-role:" in run.out
    assert "policy/service-role/AWSBackupServiceRolePolicyForBackup" in run.out


def test_backup_job_failing_because_the_resource_key_denies_the_role(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("FAILED",), message="Access denied to KMS key.")
    live = healthy_live_state()
    # A key policy that names only the backup account: the source account (and its role) is out.
    doc = json.loads(resource_cmk_policy(allow_backup_account=True))
    doc["Statement"] = doc["Statement"][1:]
    live["resource_key_policy"] = json.dumps(doc)
    queue_backup_diagnosis(clients, live)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "cause: the backup role may not use a KMS key of the backup" in run.out
    assert (
        f"[FAIL ] resource-key-role: the backup's KMS key lets the backup role use it - the "
        f"backup role {BACKUP_ROLE} is refused {RESOURCE_CMK}: kms:DescribeKey" in run.out
    )
    assert "confirmed by resource-key-role:" in run.out


def test_snapshot_key_message_from_repost_is_a_known_cause(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Issue 15 item 1. AWS re:Post backup-cross-account-copy-error: an EBS volume whose CMK does
    # not include the backup account fails the copy with this message.
    message = (
        "The source snapshot KMS key does not exist, is not enabled or you do not have "
        "permissions to access it."
    )
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("FAILED",), message=message)
    live = healthy_live_state()
    _break(live, "resource-key")
    queue_diagnosis(clients, live)
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "not a known message" not in run.out
    assert (
        "cause: the snapshot's KMS key (the resource's own customer managed key) does not "
        "let the backup account use it" in run.out
    )
    assert "[FAIL ] resource-key:" in run.out
    assert "confirmed by resource-key:" in run.out


def test_backup_vault_key_losing_the_source_account_names_the_source_account(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Issue 15 item 1: the printed fix said "add the backup account to the key policy".
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("FAILED",), message="Given key ID is not accessible")
    live = healthy_live_state()
    live["backup_key_policy"] = live["backup_key_policy"].replace(SOURCE_ID, OTHER_ID)
    queue_diagnosis(clients, live)
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "[FAIL ] backup-vault-key-policy:" in run.out
    confirmed = run.out[run.out.index("confirmed by backup-vault-key-policy:") :]
    assert f"fix: add the source account {SOURCE_ID} to the backup vault key's policy" in confirmed
    assert "add the backup account to the key policy" not in run.out


# --- issue 15: what an operator meets on a bad day --------------------------------------------


def _refused(account: str) -> RoleNotAssumable:
    return RoleNotAssumable(
        f"cannot assume {account} account role arn:aws:iam::{MANAGEMENT_ID}:role/x: "
        "AccessDenied: denied. AWS does not say why"
    )


def test_unassumable_backup_role_stops_the_run_before_any_job(outputs_file: Path) -> None:
    # Item 2: the backup role was assumed lazily: backup and copy ran, then exit 4, no cleanup.
    clients = new_clients()
    clients.refuse("backup", _refused("backup"))
    run = verify(clients, outputs_file, "--cleanup")
    assert run.code == ExitCode.ROLE
    assert clients.assumed == ["source", "backup"]
    assert clients.requested == []  # not even the resource lookup
    assert "cannot assume backup account role" in run.err
    assert "started backup job" not in run.out


def test_wrong_secret_key_mid_run_exits_3(outputs_file: Path) -> None:
    # Item 4: SignatureDoesNotMatch was "another AWS API error" (12).
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue(
        clients.stub("source", "backup"),
        "start_backup_job",
        Err("SignatureDoesNotMatch", "The request signature we calculated does not match", 403),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.CREDENTIALS
    assert "SignatureDoesNotMatch" in run.err


def test_diagnose_with_the_management_role_refused_runs_every_other_check(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Item 7: one unassumable role printed nothing (exit 4 before any check).
    live = healthy_live_state()
    clients = new_clients(management=True)
    queue_diagnosis(_without_management(clients), live)
    clients.refuse("management", _refused("management"))
    run = verify(clients, outputs_file, "--diagnose", settings=dev_with_management)
    assert run.code == ExitCode.ROLE
    clients.assert_all_used()
    assert (
        "[SKIP ] cross-account-setting: cross-account backup on - not readable: cannot "
        "assume management account role" in run.out
    )
    assert "[PASS ] backup-vault-policy" in run.out
    assert "diagnosis: 14 checks, 0 failed, 0 warnings, 1 skipped" in run.out
    assert "error: cannot assume management account role" in run.err


def test_failed_copy_with_the_management_role_refused_keeps_exit_1_and_its_diagnosis(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Item 7: the copy's exit 1 became 4 and the diagnosis was lost.
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("FAILED",), message="Cross-account copy feature is not enabled.")
    queue_diagnosis(_without_management(clients), healthy_live_state())
    clients.refuse("management", _refused("management"))
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "[SKIP ] cross-account-setting" in run.out
    assert "diagnosis: 14 checks, 0 failed, 0 warnings, 1 skipped" in run.out
    assert "skipped checks: cannot assume management account role" in run.out


class _without_management:
    """`queue_diagnosis` on clients whose management role is refused: skip its queue."""

    def __init__(self, clients: StubbedClients) -> None:
        self._clients = clients

    def has(self, account: str) -> bool:
        return account != "management" and self._clients.has(account)  # type: ignore[arg-type]

    def stub(self, *args: Any) -> Stubber:
        return self._clients.stub(*args)


def test_cleanup_with_only_the_documented_permissions_deletes_the_source_point(
    outputs_file: Path,
) -> None:
    # Item 8: an unguarded DescribeBackupVault after VERIFIED died with a traceback and left
    # the source recovery point.
    clients = new_clients()
    queue_happy(clients)
    backup = clients.stub("backup", "backup")
    denied = Err("AccessDeniedException", "not authorized", 403)
    queue(backup, "delete_recovery_point", denied)
    queue(backup, "describe_backup_vault", denied)
    queue(backup, "get_backup_vault_access_policy", denied)
    queue(
        clients.stub("source", "backup"),
        "delete_recovery_point",
        {},
        {"BackupVaultName": SOURCE_VAULT, "RecoveryPointArn": SOURCE_RP},
    )
    run = verify(clients, outputs_file, "--cleanup")
    assert run.code == ExitCode.CLEANUP_INCOMPLETE
    clients.assert_all_used()
    assert "VERIFIED" in run.out
    assert f"cleanup: deleted {SOURCE_RP} from {SOURCE_VAULT}" in run.out
    assert (
        "could not read why: backup:DescribeBackupVault (denied), "
        "backup:GetBackupVaultAccessPolicy (denied) refused to the backup account's role"
    ) in run.out


def test_copy_timeout_offers_no_stop_for_the_completed_backup_nor_deleting_what_it_reads(
    outputs_file: Path,
) -> None:
    # Smaller list: after a copy timeout it offered to stop a completed backup job and to delete
    # the recovery point the copy was still reading.
    clients, clock = new_clients(), FakeClock()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("RUNNING",) * 5)
    run = verify(clients, outputs_file, "--timeout", "100", clock=clock)
    assert run.code == ExitCode.TIMEOUT
    assert "stop-backup-job" not in run.err
    assert f"backup job {BACKUP_JOB_ID} (source account {SOURCE_ID}): COMPLETED:" in run.err
    assert (
        "once the copy job has ended (it reads the source recovery point), remove it: "
        "aws backup delete-recovery-point" in run.err
    )
    assert "copy expires after 14 days" in run.err


def test_aws_error_mid_wait_prints_the_follow_and_stop_commands(outputs_file: Path) -> None:
    # Smaller list: an AWS error mid-wait exited without what a timeout prints.
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("RUNNING",))
    queue(
        clients.stub("source", "backup"),
        "describe_backup_job",
        Err("AccessDeniedException", "not authorized to perform backup:DescribeBackupJob", 403),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.AWS_ERROR
    clients.assert_all_used()
    assert "DescribeBackupJob in the source account failed: AccessDeniedException" in run.err
    assert f"follow: aws backup describe-backup-job --backup-job-id {BACKUP_JOB_ID}" in run.err
    assert f"stop:   aws backup stop-backup-job --backup-job-id {BACKUP_JOB_ID}" in run.err
