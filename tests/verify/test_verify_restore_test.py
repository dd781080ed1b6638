"""`python -m tools.verify --restore-test` against stubbed accounts (botocore Stubber: every
parameter and response is validated against the AWS Backup, EC2 and DynamoDB service models).

AWS Backup API reference: ListRecoveryPointsByBackupVault, GetRecoveryPointRestoreMetadata,
StartRestoreJob, DescribeRestoreJob (Status PENDING | RUNNING | COMPLETED | ABORTED | FAILED,
CreatedResourceArn). A restore started with StartRestoreJob is not deleted by AWS (only those of
a restore testing plan are), hence `--cleanup`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path

import pytest
from run_helpers import new_clients

from tools.verify.cli import main
from tools.verify.errors import ExitCode
from tools.verify.inputs import VerifySettings
from verify_fakes import BACKUP_ID, BACKUP_VAULT, REGION, VOLUME_ARN, FakeClock

ROLE = f"arn:aws:iam::{BACKUP_ID}:role/cross-account-backup-dev-restore-testing"
OLD_RP = f"arn:aws:ec2:{REGION}::snapshot/snap-0ccccccccccccccc1"
NEW_RP = f"arn:aws:ec2:{REGION}::snapshot/snap-0ccccccccccccccc2"
RESTORE_JOB = "restore-job-0001"
RESTORED = f"arn:aws:ec2:{REGION}:{BACKUP_ID}:volume/vol-0fedcba9876543210"
T0 = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)


def point(arn: str, created: dt.datetime, status: str = "COMPLETED") -> dict[str, object]:
    return {
        "RecoveryPointArn": arn,
        "BackupVaultName": BACKUP_VAULT,
        "ResourceArn": VOLUME_ARN,
        "ResourceType": "EBS",
        "Status": status,
        "CreationDate": created,
    }


@pytest.fixture
def testing(dev: VerifySettings) -> VerifySettings:
    return replace(dev, restore_testing=True)


def run(
    clients: object, outputs_file: Path, settings: VerifySettings, *extra: str
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--stack", "dev", "--outputs", str(outputs_file), "--restore-test", *extra],
        clients_factory=lambda _s: clients,  # type: ignore[arg-type,return-value]
        clock=FakeClock(),
        out=out,
        err=err,
        settings=settings,
    )
    return code, out.getvalue(), err.getvalue()


def queue_restore(clients: object, states: tuple[str, ...], message: str | None = None) -> None:
    stub = clients.stub("backup", "backup")  # type: ignore[attr-defined]
    stub.add_response(
        "list_recovery_points_by_backup_vault",
        {
            "RecoveryPoints": [
                point(OLD_RP, T0),
                point(NEW_RP, T0 + dt.timedelta(days=1)),
                point(f"{NEW_RP}9", T0 + dt.timedelta(days=2), status="PARTIAL"),
            ]
        },
        {"BackupVaultName": BACKUP_VAULT},
    )
    stub.add_response(
        "get_recovery_point_restore_metadata",
        {"RestoreMetadata": {"volumeType": "gp3", "availabilityZone": f"{REGION}a"}},
        {"BackupVaultName": BACKUP_VAULT, "RecoveryPointArn": NEW_RP},
    )
    stub.add_response(
        "start_restore_job",
        {"RestoreJobId": RESTORE_JOB},
        {
            "RecoveryPointArn": NEW_RP,
            "Metadata": {"volumeType": "gp3", "availabilityZone": f"{REGION}a"},
            "IamRoleArn": ROLE,
            "ResourceType": "EBS",
        },
    )
    for state in states:
        job: dict[str, object] = {"RestoreJobId": RESTORE_JOB, "Status": state}
        if state == "COMPLETED":
            job["CreatedResourceArn"] = RESTORED
        if message and state in ("FAILED", "ABORTED"):
            job["StatusMessage"] = message
        stub.add_response("describe_restore_job", job, {"RestoreJobId": RESTORE_JOB})


def test_restore_test_restores_the_latest_completed_copy_with_the_restore_testing_role(
    outputs_file: Path, testing: VerifySettings
) -> None:
    clients = new_clients()
    queue_restore(clients, ("PENDING", "RUNNING", "COMPLETED"))
    code, out, err = run(clients, outputs_file, testing)
    assert code == ExitCode.OK, err
    assert out.splitlines()[-1] == (
        f"restore test passed: job {RESTORE_JOB} COMPLETED, restored {RESTORED}"
    )
    clients.assert_all_used()


def test_failed_restore_is_reported_with_its_message(
    outputs_file: Path, testing: VerifySettings
) -> None:
    clients = new_clients()
    queue_restore(clients, ("RUNNING", "FAILED"), message="Insufficient permissions on the key")
    code, out, _ = run(clients, outputs_file, testing)
    assert code == ExitCode.JOB_FAILED
    assert out.splitlines()[-1] == (
        f"restore test FAILED: job {RESTORE_JOB} ended FAILED: Insufficient permissions on the key"
    )


def test_cleanup_deletes_the_restored_volume(outputs_file: Path, testing: VerifySettings) -> None:
    clients = new_clients()
    queue_restore(clients, ("COMPLETED",))
    clients.stub("backup", "ec2").add_response(
        "delete_volume", {}, {"VolumeId": "vol-0fedcba9876543210"}
    )
    code, out, _ = run(clients, outputs_file, testing, "--cleanup")
    assert code == ExitCode.OK
    assert out.splitlines()[-1] == f"cleanup: deleted the restored {RESTORED}"
    clients.assert_all_used()


def test_cleanup_refused_is_cleanup_incomplete(outputs_file: Path, testing: VerifySettings) -> None:
    clients = new_clients()
    queue_restore(clients, ("COMPLETED",))
    clients.stub("backup", "ec2").add_client_error(
        "delete_volume", service_error_code="UnauthorizedOperation", service_message="denied"
    )
    code, out, _ = run(clients, outputs_file, testing, "--cleanup")
    assert code == ExitCode.CLEANUP_INCOMPLETE
    assert f"cleanup: could not delete {RESTORED}" in out


def test_no_copy_in_the_vault_is_not_confirmed(outputs_file: Path, testing: VerifySettings) -> None:
    clients = new_clients()
    clients.stub("backup", "backup").add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [point(OLD_RP, T0, status="EXPIRED")]},
        {"BackupVaultName": BACKUP_VAULT, "ByResourceArn": VOLUME_ARN},
    )
    code, _, err = run(clients, outputs_file, testing, "--resource-arn", VOLUME_ARN)
    assert code == ExitCode.NOT_CONFIRMED
    assert f"no completed recovery point of {VOLUME_ARN} in the backup vault {BACKUP_VAULT}" in err


def test_restore_test_refused_without_restore_testing_in_the_stack(
    outputs_file: Path, dev: VerifySettings
) -> None:
    clients = new_clients()
    code, _, err = run(clients, outputs_file, dev)
    assert code == ExitCode.USAGE
    assert "--restore-test needs restoreTesting in stack 'dev'" in err
    assert clients.requested == []


def test_access_denied_on_start_is_an_aws_error(
    outputs_file: Path, testing: VerifySettings
) -> None:
    clients = new_clients()
    stub = clients.stub("backup", "backup")
    stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [point(NEW_RP, T0)]},
        {"BackupVaultName": BACKUP_VAULT},
    )
    stub.add_response("get_recovery_point_restore_metadata", {"RestoreMetadata": {}})
    stub.add_client_error(
        "start_restore_job", service_error_code="AccessDeniedException", service_message="no"
    )
    code, _, err = run(clients, outputs_file, testing)
    assert code == ExitCode.AWS_ERROR
    assert "StartRestoreJob in the backup account failed: AccessDeniedException: no" in err
