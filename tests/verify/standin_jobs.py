"""Backup and copy jobs and recovery points of the AWS stand-in (the APIs moto lacks).

A job's outcome is decided when it starts, from the live documents moto holds, judged by the
policy pack's evaluator with the pack's action lists; it is reached after `polls_to_finish`
describes. Sources of the failure messages: see tests/verify/aws_standin.py.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from standin_state import AwsError, Job, StandInState, _key, _key_arn, _kms_context, _moto, _role

from backup_guard.iam import evaluate
from backup_guard.rules import DESTINATION_KEY_ACTIONS, SOURCE_KEY_ACTIONS

BACKUP_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"


class JobsMixin:
    """The job, copy and recovery point operations of `BackupJobsApp`."""

    state: StandInState

    def _vault(self, account: str, region: str, name: str) -> Any:
        raise NotImplementedError

    def _org_of(self, account: str) -> tuple[str, str] | None:
        raise NotImplementedError

    # --- backup jobs --------------------------------------------------------------------------

    def StartBackupJob(self, account: str, region: str, p: dict, d: dict) -> dict:
        vault = self._vault(account, region, d["BackupVaultName"])
        resource_arn = d["ResourceArn"]
        volume_id = resource_arn.rsplit("/", 1)[-1]
        volume = _moto("ec2")[account][region].volumes.get(volume_id)
        if volume is None:
            raise AwsError("InvalidParameterValueException", f"Invalid ARN {resource_arn}")
        key_arn = _key_arn(account, region, volume.kms_key_id) if volume.encrypted else None
        message = self._backup_refusal(account, region, d["IamRoleArn"], key_arn)
        job_id = str(uuid.uuid4())
        point_arn = f"arn:aws:ec2:{region}::snapshot/snap-{uuid.uuid4().hex[:17]}"
        now = time.time()
        body: dict[str, Any] = {
            "BackupJobId": job_id,
            "AccountId": account,
            "BackupVaultName": d["BackupVaultName"],
            "BackupVaultArn": vault.backup_vault_arn,
            "ResourceArn": resource_arn,
            "ResourceType": "EBS",
            "IamRoleArn": d["IamRoleArn"],
            "CreationDate": now,
        }
        if message is None:
            self._store_point(
                account,
                region,
                d["BackupVaultName"],
                point_arn,
                vault.backup_vault_arn,
                resource_arn,
                key_arn,
                d.get("Lifecycle") or {},
            )
            body["RecoveryPointArn"] = point_arn
        self.state.jobs[job_id] = Job(
            "backup",
            job_id,
            account,
            region,
            body,
            "COMPLETED" if message is None else "FAILED",
            message,
        )
        return {"BackupJobId": job_id, "CreationDate": now}

    def _backup_refusal(
        self, account: str, region: str, role_arn: str, key_arn: str | None
    ) -> str | None:
        """Why a backup job with this role fails, from the live role and key policy."""
        role = _role(account, role_arn)
        denied = (
            "You are not authorized to perform this operation. Please consult the permissions "
            "associated with your AWS Backup role(s), and refer to the AWS Backup documentation "
            "for more details."
        )
        if role is None or BACKUP_POLICY_ARN not in role.managed_policies:
            return denied
        trust = json.loads(unquote(role.assume_role_policy_document))
        if not any(
            "backup.amazonaws.com" in str(s.get("Principal", {}).get("Service", ""))
            for s in trust.get("Statement", [])
        ):
            return denied
        if key_arn is not None:
            policy = _key(key_arn).policy
            for action in ("kms:DescribeKey", "kms:CreateGrant"):
                decision = evaluate(
                    policy,
                    principal_account=account,
                    principal_arn=role_arn,
                    action=action,
                    resource=key_arn,
                    context=_kms_context(account, region),
                )
                if not decision.allowed:
                    return f"Unable to use the KMS key {key_arn}: access denied (KMS)"
        return None

    def _store_point(
        self,
        account: str,
        region: str,
        vault_name: str,
        arn: str,
        vault_arn: str,
        resource_arn: str,
        key_arn: str | None,
        lifecycle: dict[str, Any],
    ) -> None:
        delete_after = lifecycle.get("DeleteAfterDays")
        point: dict[str, Any] = {
            "RecoveryPointArn": arn,
            "BackupVaultName": vault_name,
            "BackupVaultArn": vault_arn,
            "ResourceArn": resource_arn,
            "ResourceType": "EBS",
            "Status": "COMPLETED",
            "IsEncrypted": key_arn is not None,
            "Lifecycle": lifecycle,
            "CreationDate": time.time(),
        }
        if key_arn:
            point["EncryptionKeyArn"] = key_arn
        if delete_after:
            point["CalculatedLifecycle"] = {"DeleteAt": time.time() + 86400 * int(delete_after)}
        self.state.recovery_points.setdefault((account, region, vault_name), {})[arn] = point

    def _advance(self, job_id: str, kind: str, account: str) -> Job:
        job = self.state.jobs.get(job_id)
        if job is None or job.kind != kind or job.account != account:
            raise AwsError("ResourceNotFoundException", f"{kind} job {job_id} not found")
        job.polls += 1
        return job

    def _state(self, job: Job) -> dict[str, Any]:
        if job.polls <= 1 and self.state.polls_to_finish > 0:
            return {"State": "CREATED"}
        if job.polls <= self.state.polls_to_finish:
            return {"State": "RUNNING", "PercentDone": "50.0"}
        found: dict[str, Any] = {"State": job.outcome}
        if job.message:
            found["StatusMessage"] = job.message
        return found

    def DescribeBackupJob(self, account: str, region: str, p: dict, d: dict) -> dict:
        job = self._advance(p["backupJobId"], "backup", account)
        state = self._state(job)
        body = dict(job.body, **state)
        if state["State"] != "COMPLETED":
            body.pop("RecoveryPointArn", None)
        return body

    def StopBackupJob(self, account: str, region: str, p: dict, d: dict) -> dict:
        job = self._advance(p["backupJobId"], "backup", account)
        job.outcome, job.message = "ABORTED", "stopped"
        return {}

    # --- copy jobs ----------------------------------------------------------------------------

    def StartCopyJob(self, account: str, region: str, p: dict, d: dict) -> dict:
        source_vault = d["SourceBackupVaultName"]
        points = self.state.recovery_points.get((account, region, source_vault), {})
        point = points.get(d["RecoveryPointArn"])
        if point is None:
            raise AwsError("ResourceNotFoundException", "recovery point not found")
        parts = d["DestinationBackupVaultArn"].split(":")
        dest_region, dest_account, dest_name = parts[3], parts[4], parts[-1]
        message = self._copy_refusal(account, region, point, d, dest_account, dest_region)
        job_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "CopyJobId": job_id,
            "AccountId": account,
            "SourceBackupVaultArn": point["BackupVaultArn"],
            "SourceRecoveryPointArn": d["RecoveryPointArn"],
            "DestinationBackupVaultArn": d["DestinationBackupVaultArn"],
            "ResourceArn": point["ResourceArn"],
            "IamRoleArn": d["IamRoleArn"],
            "CreationDate": time.time(),
        }
        if message is None:
            dest_vault = self._vault(dest_account, dest_region, dest_name)
            dest_arn = f"arn:aws:ec2:{dest_region}::snapshot/snap-{uuid.uuid4().hex[:17]}"
            self._store_point(
                dest_account,
                dest_region,
                dest_name,
                dest_arn,
                dest_vault.backup_vault_arn,
                point["ResourceArn"],
                self.state.copy_lands_on_key or dest_vault.encryption_key_arn,
                d.get("Lifecycle") or {},
            )
            body["DestinationRecoveryPointArn"] = dest_arn
        self.state.jobs[job_id] = Job(
            "copy",
            job_id,
            account,
            region,
            body,
            "COMPLETED" if message is None else "FAILED",
            message,
        )
        return {"CopyJobId": job_id, "CreationDate": time.time()}

    def _copy_refusal(
        self,
        account: str,
        region: str,
        point: dict[str, Any],
        d: dict[str, Any],
        dest_account: str,
        dest_region: str,
    ) -> str | None:
        """Why this copy fails, from the live organization, setting, vault, keys and lock."""
        source_org, dest_org = self._org_of(account), self._org_of(dest_account)
        if source_org is None or dest_org is None or source_org[0] != dest_org[0]:
            return (
                "Copy job failed. Both source and destination account must be a member of the "
                "same organization."
            )
        if not self.state.cross_account_enabled.get(source_org[0], False):
            return "Cross-account copy feature is not enabled for the current organization."
        dest_name = d["DestinationBackupVaultArn"].rsplit(":", 1)[-1]
        vault = _moto("backup")[dest_account][dest_region].vaults.get(dest_name)
        if vault is None:
            return f"Destination backup vault {d['DestinationBackupVaultArn']} does not exist."
        dest_key = _key(vault.encryption_key_arn)
        if dest_key.key_manager != "CUSTOMER":
            return (
                "The destination Backup vault is encrypted with the default Backup service "
                "managed key."
            )
        policy = self.state.policies.get((dest_account, dest_region, dest_name))
        decision = (
            evaluate(
                policy,
                principal_account=account,
                principal_arn=d["IamRoleArn"],
                action="backup:CopyIntoBackupVault",
                resource=vault.backup_vault_arn,
                literal_actions_only=True,
            )
            if policy
            else None
        )
        if decision is None or not decision.allowed:
            return "Access Denied trying to call AWS Backup service (CopyIntoBackupVault)"
        snapshot_key = point.get("EncryptionKeyArn")
        if snapshot_key and not self._key_allows(
            snapshot_key, dest_account, SOURCE_KEY_ACTIONS, region
        ):
            return (
                "The source snapshot KMS key does not exist, is not enabled or you do not have "
                "permissions to access it."
            )
        if not self._key_allows(
            vault.encryption_key_arn, account, DESTINATION_KEY_ACTIONS, dest_region
        ):
            return "Given key ID is not accessible"
        days = (d.get("Lifecycle") or {}).get("DeleteAfterDays")
        if vault.locked and days is not None:
            low, high = vault.min_retention_days, vault.max_retention_days
            if (low is not None and days < low) or (high is not None and days > high):
                return (
                    "The retention specified in the job is not within the range specified for "
                    "the target Backup Vault."
                )
        return None

    def _key_allows(self, key_arn: str, account: str, actions: Iterable[str], region: str) -> bool:
        policy = _key(key_arn).policy
        return all(
            evaluate(
                policy,
                principal_account=account,
                action=action,
                resource=key_arn,
                context=_kms_context(account, region),
            ).allowed
            for action in actions
        )

    def DescribeCopyJob(self, account: str, region: str, p: dict, d: dict) -> dict:
        job = self._advance(p["copyJobId"], "copy", account)
        state = self._state(job)
        body = dict(job.body, **state)
        if state["State"] != "COMPLETED":
            body.pop("DestinationRecoveryPointArn", None)
        return {"CopyJob": body}

    # --- recovery points ----------------------------------------------------------------------

    def DescribeRecoveryPoint(self, account: str, region: str, p: dict, d: dict) -> dict:
        self._vault(account, region, p["backupVaultName"])
        points = self.state.recovery_points.get((account, region, p["backupVaultName"]), {})
        point = points.get(p["recoveryPointArn"])
        if point is None:
            raise AwsError("ResourceNotFoundException", "recovery point not found")
        return point

    def DeleteRecoveryPoint(self, account: str, region: str, p: dict, d: dict) -> dict:
        name, arn = p["backupVaultName"], p["recoveryPointArn"]
        vault = self._vault(account, region, name)
        points = self.state.recovery_points.get((account, region, name), {})
        if arn not in points:
            raise AwsError("ResourceNotFoundException", "recovery point not found")
        policy = self.state.policies.get((account, region, name))
        if policy:
            decision = evaluate(
                policy,
                principal_account=account,
                principal_arn=f"arn:aws:iam::{account}:role/backup-deployer",
                action="backup:DeleteRecoveryPoint",
                resource=arn,
            )
            if decision.verdict == "explicit-deny":
                raise AwsError(
                    "AccessDeniedException",
                    "Insufficient privileges to perform this action: explicit deny in a "
                    "resource-based policy",
                    403,
                )
        if vault.locked and vault.min_retention_days:
            raise AwsError(
                "InvalidRequestException",
                "The recovery point can't be deleted before the vault lock's minimum retention",
            )
        del points[arn]
        return {}
