"""`python -m tools.verify --restore-test`: restore the latest copy once, now, and report.

What a scheduled restore test of the stack (`restoreTesting`) does, on demand: in the backup
account, take the newest completed recovery point of the backup vault (of `--resource-arn`
when given), read the restore metadata AWS keeps for it (GetRecoveryPointRestoreMetadata),
start a restore job with the stack's restore-testing role (StartRestoreJob), poll it
(DescribeRestoreJob) and report its status and the resource it created. AWS deletes what a
restore *testing plan* restores; it leaves what StartRestoreJob restores, so `--cleanup`
deletes the restored resource where this tool knows how (EBS volume, DynamoDB table) and
prints how to delete it otherwise.

AWS Backup API reference: ListRecoveryPointsByBackupVault (`ByResourceArn`), GetRecoveryPoint
RestoreMetadata, StartRestoreJob (`IamRoleArn`, `Metadata`, `ResourceType`), DescribeRestoreJob
(`Status`: PENDING | RUNNING | COMPLETED | ABORTED | FAILED, `CreatedResourceArn`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from botocore.exceptions import ClientError

from tools.verify.aws_session import AccountClients
from tools.verify.errors import ExitCode, VerifyFailure, aws_failure
from tools.verify.inputs import StackOutputs, VerifySettings

END_STATES = ("COMPLETED", "ABORTED", "FAILED")
#: Restore metadata keys that must name a new resource, not the original one (AWS Backup guide,
#: "Restoring an Amazon DynamoDB table": targetTableName is required and must not exist).
NEW_NAME_KEYS = {"DynamoDB": "targetTableName"}


@dataclass
class RestoreOutcome:
    job_id: str
    status: str
    recovery_point_arn: str
    created_resource_arn: str | None
    message: str | None


def restore_testing_role_arn(settings: VerifySettings) -> str:
    """The stack's restore-testing role (components.backup `_create_recovery_site`)."""
    b = settings.backup
    partition = b.role_arn.split(":")[1]
    name = f"{settings.project}-{settings.stack}-restore-testing"
    return f"arn:{partition}:iam::{b.account_id}:role/{name}"


class RestoreTester:
    """One on-demand restore of the latest copy in the backup vault."""

    def __init__(
        self,
        clients: AccountClients,
        settings: VerifySettings,
        outputs: StackOutputs,
        *,
        resource_arn: str | None,
        timeout: float,
        poll_interval: float,
        clock: Any,
        out: TextIO,
    ) -> None:
        self.clients, self.settings, self.outputs = clients, settings, outputs
        self.resource_arn = resource_arn
        self.timeout, self.poll_interval, self.clock, self.out = timeout, poll_interval, clock, out
        self.outcome: RestoreOutcome | None = None

    def _backup(self) -> Any:
        return self.clients.client("backup", "backup")

    def _call(self, method: Callable[..., Any], **params: Any) -> Any:
        try:
            return method(**params)
        except ClientError as exc:
            raise aws_failure(exc, "backup") from exc

    def latest_copy(self) -> Mapping[str, Any]:
        vault = self.outputs.backup_vault.name
        params: dict[str, Any] = {"BackupVaultName": vault}
        if self.resource_arn:
            params["ByResourceArn"] = self.resource_arn
        points: list[Mapping[str, Any]] = []
        backup = self._backup()
        while True:
            page = self._call(backup.list_recovery_points_by_backup_vault, **params)
            points.extend(
                p for p in page.get("RecoveryPoints", []) if p.get("Status") == "COMPLETED"
            )
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
        if not points:
            of = f" of {self.resource_arn}" if self.resource_arn else ""
            raise VerifyFailure(
                ExitCode.NOT_CONFIRMED,
                f"no completed recovery point{of} in the backup vault {vault}: nothing to restore "
                "(has a copy job run yet? `python -m tools.verify --resource-arn ...` makes one)",
            )
        return max(points, key=lambda p: p["CreationDate"])

    def run(self) -> ExitCode:
        point = self.latest_copy()
        arn = point["RecoveryPointArn"]
        kind = point.get("ResourceType", "")
        self.out.write(f"restore test: latest copy {arn} ({kind}, of {point.get('ResourceArn')})\n")
        metadata = dict(
            self._call(
                self._backup().get_recovery_point_restore_metadata,
                BackupVaultName=self.outputs.backup_vault.name,
                RecoveryPointArn=arn,
            ).get("RestoreMetadata", {})
        )
        key = NEW_NAME_KEYS.get(kind)
        if key is not None:
            original = metadata.get(key) or point.get("ResourceName") or "restored"
            metadata[key] = f"{original}-restore-test"[:255]
        job_id = self._call(
            self._backup().start_restore_job,
            RecoveryPointArn=arn,
            Metadata=metadata,
            IamRoleArn=restore_testing_role_arn(self.settings),
            ResourceType=kind,
        )["RestoreJobId"]
        self.out.write(f"restore job {job_id} started with the restore-testing role\n")
        start = self.clock.monotonic()
        while True:
            job = self._call(self._backup().describe_restore_job, RestoreJobId=job_id)
            status = job.get("Status", "")
            if status in END_STATES:
                break
            if self.clock.monotonic() - start >= self.timeout:
                self.outcome = RestoreOutcome(job_id, status, arn, None, None)
                raise VerifyFailure(
                    ExitCode.TIMEOUT,
                    f"restore job {job_id} still {status} after {self.timeout:g} s; follow it "
                    f"with: aws backup describe-restore-job --restore-job-id {job_id}",
                )
            self.clock.sleep(self.poll_interval)
        self.outcome = RestoreOutcome(
            job_id, status, arn, job.get("CreatedResourceArn"), job.get("StatusMessage")
        )
        if status != "COMPLETED":
            self.out.write(
                f"restore test FAILED: job {job_id} ended {status}: "
                f"{job.get('StatusMessage') or 'no message'}\n"
            )
            return ExitCode.JOB_FAILED
        self.out.write(
            f"restore test passed: job {job_id} COMPLETED, restored "
            f"{job.get('CreatedResourceArn') or '(no resource ARN reported)'}\n"
        )
        return ExitCode.OK

    def cleanup(self) -> bool:
        """Delete the restored resource (StartRestoreJob leaves it). False if it is left."""
        if self.outcome is None or not self.outcome.created_resource_arn:
            return True
        created = self.outcome.created_resource_arn
        parts = created.split(":", 5)
        service, resource = (parts[2], parts[5]) if len(parts) == 6 else ("", created)
        try:
            if service == "ec2" and resource.startswith("volume/"):
                self.clients.client("backup", "ec2").delete_volume(
                    VolumeId=resource.removeprefix("volume/")
                )
            elif service == "dynamodb" and resource.startswith("table/"):
                self.clients.client("backup", "dynamodb").delete_table(
                    TableName=resource.removeprefix("table/")
                )
            else:
                self.out.write(
                    f"cleanup: this tool does not delete {created}; delete it yourself (it was "
                    "restored in the backup account)\n"
                )
                return False
        except ClientError as exc:
            self.out.write(f"cleanup: could not delete {created}: {aws_failure(exc, 'backup')}\n")
            return False
        self.out.write(f"cleanup: deleted the restored {created}\n")
        return True
