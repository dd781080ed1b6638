"""Helpers of the `tools.verify` run tests: run the command with stubbed accounts, queue a run's
backup, copy and confirmation (botocore Stubber)."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY

from tools.verify.aws_session import RoleTarget
from tools.verify.cli import main
from tools.verify.inputs import VerifySettings, load_settings
from tools.verify.run import RUN_TAG
from verify_fakes import (
    BACKUP_JOB_ID,
    BACKUP_ROLE,
    BACKUP_VAULT,
    BACKUP_VAULT_ARN,
    BACKUP_VAULT_KEY,
    COPY_JOB_ID,
    DEST_RP,
    MANAGEMENT_ID,
    OTHER_ID,
    OUTPUTS,
    REGION,
    SOURCE_ID,
    SOURCE_RP,
    SOURCE_VAULT,
    VOLUME_ARN,
    FakeClock,
    StubbedClients,
    healthy_live_state,
    queue_volume,
    resource_cmk_policy,
)

ROOT = Path(__file__).resolve().parents[2]
DELETE_AT = dt.datetime(2026, 12, 12, 5, 0, tzinfo=dt.UTC)


class Run:
    """One invocation of the command: exit code and what it printed."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS))
    return path


def new_clients(management: bool = False) -> StubbedClients:
    regions: dict[str, str] = {"source": REGION, "backup": REGION}
    if management:
        regions["management"] = REGION
    return StubbedClients(regions)  # type: ignore[arg-type]


def verify(
    clients: Any,
    outputs_file: Path,
    *extra: str,
    clock: FakeClock | None = None,
    settings: VerifySettings | None = None,
    resource: str = VOLUME_ARN,
) -> Run:
    out, err = io.StringIO(), io.StringIO()
    factory = clients if callable(clients) else (lambda _settings: clients)
    code = main(
        [
            "--stack",
            "dev",
            "--resource-arn",
            resource,
            "--outputs",
            str(outputs_file),
            "--poll-interval",
            "30",
            *extra,
        ],
        clients_factory=factory,
        clock=clock or FakeClock(),
        out=out,
        err=err,
        settings=settings,
    )
    return Run(code, out.getvalue(), err.getvalue())


def queue_backup(
    clients: StubbedClients,
    states: tuple[str, ...] = ("CREATED", "RUNNING", "COMPLETED"),
    *,
    message: str | None = None,
    delete_after: int = 7,
) -> None:
    stub = clients.stub("source", "backup")
    stub.add_response(
        "start_backup_job",
        {"BackupJobId": BACKUP_JOB_ID, "CreationDate": DELETE_AT},
        {
            "BackupVaultName": SOURCE_VAULT,
            "ResourceArn": VOLUME_ARN,
            "IamRoleArn": BACKUP_ROLE,
            "IdempotencyToken": ANY,
            "Lifecycle": {"DeleteAfterDays": delete_after},
            "RecoveryPointTags": {RUN_TAG: ANY},
        },
    )
    for state in states:
        job: dict[str, Any] = {"BackupJobId": BACKUP_JOB_ID, "State": state}
        if state == "RUNNING":
            job["PercentDone"] = "40.0"
        if state == "COMPLETED":
            job["RecoveryPointArn"] = SOURCE_RP
        if message and state not in ("CREATED", "RUNNING"):
            job["StatusMessage"] = message
        stub.add_response("describe_backup_job", job, {"BackupJobId": BACKUP_JOB_ID})


def queue_copy(
    clients: StubbedClients,
    states: tuple[str, ...] = ("CREATED", "RUNNING", "COMPLETED"),
    *,
    message: str | None = None,
    lifecycle: dict[str, int] | None = None,
) -> None:
    stub = clients.stub("source", "backup")
    stub.add_response(
        "start_copy_job",
        {"CopyJobId": COPY_JOB_ID},
        {
            "RecoveryPointArn": SOURCE_RP,
            "SourceBackupVaultName": SOURCE_VAULT,
            "DestinationBackupVaultArn": BACKUP_VAULT_ARN,
            "IamRoleArn": BACKUP_ROLE,
            "IdempotencyToken": ANY,
            "Lifecycle": lifecycle or {"DeleteAfterDays": 14},
        },
    )
    for state in states:
        job: dict[str, Any] = {"CopyJobId": COPY_JOB_ID, "State": state}
        if state == "COMPLETED":
            job["DestinationRecoveryPointArn"] = DEST_RP
        if message and state == "FAILED":
            job["StatusMessage"] = message
        stub.add_response("describe_copy_job", {"CopyJob": job}, {"CopyJobId": COPY_JOB_ID})


def queue_confirmation(clients: StubbedClients, *, key: str = BACKUP_VAULT_KEY) -> None:
    clients.stub("backup", "backup").add_response(
        "describe_recovery_point",
        {
            "RecoveryPointArn": DEST_RP,
            "BackupVaultName": BACKUP_VAULT,
            "BackupVaultArn": BACKUP_VAULT_ARN,
            "Status": "COMPLETED",
            "EncryptionKeyArn": key,
            "IsEncrypted": True,
            "CalculatedLifecycle": {"DeleteAt": DELETE_AT},
        },
        {"BackupVaultName": BACKUP_VAULT, "RecoveryPointArn": DEST_RP},
    )


def queue_happy(clients: StubbedClients) -> None:
    queue_volume(clients, healthy_live_state())
    queue_backup(clients)
    queue_copy(clients)
    queue_confirmation(clients)


@pytest.fixture(scope="module")
def dev() -> VerifySettings:
    return load_settings(ROOT, "dev")


@pytest.fixture(scope="module")
def dev_with_management(dev: VerifySettings) -> VerifySettings:
    target = RoleTarget(
        "management", MANAGEMENT_ID, f"arn:aws:iam::{MANAGEMENT_ID}:role/backup-deployer", REGION
    )
    return replace(dev, management=target)


def _break(live: dict[str, Any], what: str) -> None:
    if what == "organization":
        live["org"]["backup"] = "o-zzzzzzzzzz"
    elif what == "cross-account-setting":
        live["global_settings"] = {"isCrossAccountBackupEnabled": "false"}
    elif what == "backup-vault":
        live["backup_vault_key_manager"] = "AWS"
    elif what == "resource-key-aws":
        live["resource_key_manager"] = "AWS"
    elif what == "resource-key":
        live["resource_key_policy"] = resource_cmk_policy(allow_backup_account=False)
    elif what == "vault-lock":
        live["backup_vault"]["MinRetentionDays"] = 30
    elif what == "backup-vault-policy":
        live["backup_vault_policy"] = live["backup_vault_policy"].replace(SOURCE_ID, OTHER_ID)
