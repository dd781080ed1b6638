"""An AWS stand-in over HTTP for the end-to-end tests of `tools.verify`: moto in server mode, plus
the AWS Backup APIs moto lacks, with job outcomes decided from the live policies.

moto (server mode, in this process, loopback only) answers STS, IAM, KMS, EC2, Organizations and
the Backup vault/plan/lock APIs it has. `BackupJobsApp` wraps moto's WSGI application and answers
what moto 5 does not implement: backup and copy jobs (advancing one state per poll), recovery
points, vault access policies, vault notifications, backup selections and the organization's
global settings. Operations are routed by the Backup service model's own HTTP bindings
(botocore `requestUri`), so a request the tool sends is matched the way AWS matches it.

A job's outcome is decided when it starts, from the live documents moto holds, judged by the
policy pack's evaluator (`backup_guard.iam`, as `tools.verify` judges them) with the pack's action
lists. Failure messages are AWS's own where a source gives them:
- "Both source and destination account must be a member of the same organization" and the
  copy-job failure list: AWS re:Post, "Why did my AWS Backup cross-account copy job fail?"
  (https://repost.aws/knowledge-center/backup-troubleshoot-cross-account-copy);
- "The source snapshot KMS key does not exist, is not enabled or you do not have permissions to
  access it": AWS re:Post backup-cross-account-copy-error (an EBS snapshot whose CMK does not
  include the backup account);
- "You are not authorized to perform this operation. Please consult the permissions associated
  with your AWS Backup role(s)": AWS re:Post, "Understanding IAM roles and permissions in AWS
  Backup" (https://repost.aws/articles/ARt46qw01wR9OiksidJR0fMg).
The other texts (lock range, aws/backup key, destination key) are those of AWS-FACTS.md.

Knobs on `StandInState` break the accounts the ways real accounts break: roles STS refuses,
operations denied to an account, credentials STS rejects, jobs that never end.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session

from backup_guard.iam import evaluate
from backup_guard.rules import DESTINATION_KEY_ACTIONS, SOURCE_KEY_ACTIONS

StartResponse = Callable[..., Any]
BACKUP_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"

HANDLED = frozenset(
    {
        "StartBackupJob",
        "DescribeBackupJob",
        "StopBackupJob",
        "StartCopyJob",
        "DescribeCopyJob",
        "DescribeRecoveryPoint",
        "DeleteRecoveryPoint",
        "GetBackupVaultAccessPolicy",
        "PutBackupVaultAccessPolicy",
        "GetBackupVaultNotifications",
        "PutBackupVaultNotifications",
        "CreateBackupSelection",
        "ListBackupSelections",
        "GetBackupSelection",
        "DescribeGlobalSettings",
        "UpdateGlobalSettings",
    }
)


@dataclass
class Job:
    """A backup or copy job: its final state is decided at start, reached after some polls."""

    kind: str
    job_id: str
    account: str
    region: str
    body: dict[str, Any]
    outcome: str
    message: str | None
    polls: int = 0


@dataclass
class StandInState:
    """What the stand-in holds beyond moto, and the knobs that break it."""

    policies: dict[tuple[str, str, str], str] = field(default_factory=dict)
    notifications: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    selections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    recovery_points: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )
    jobs: dict[str, Job] = field(default_factory=dict)
    cross_account_enabled: dict[str, bool] = field(default_factory=dict)
    # knobs
    polls_to_finish: int = 2
    refused_roles: set[str] = field(default_factory=set)
    rejected_access_keys: set[str] = field(default_factory=set)
    denied: set[tuple[str, str]] = field(default_factory=set)
    copy_lands_on_key: str | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        """Back to a healthy stand-in (the populated accounts are kept)."""
        self.jobs.clear()
        self.polls_to_finish = 2
        self.refused_roles.clear()
        self.rejected_access_keys.clear()
        self.denied.clear()
        self.copy_lands_on_key = None
        self.calls.clear()


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, operation) from the Backup service model's HTTP bindings."""
    model = botocore.session.get_session().get_service_model("backup")
    routes = []
    for name in model.operation_names:
        if name not in HANDLED:
            continue
        http = model.operation_model(name).http
        uri = http["requestUri"].split("?")[0].rstrip("/")
        pattern = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^/]+)", uri)
        routes.append((http["method"], re.compile(pattern + "/?"), name))
    return routes


_AUTH = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/")


def _moto(name: str) -> Any:
    """moto's backend registries, imported when first needed (moto is heavy to import)."""
    if name == "backup":
        from moto.backup.models import backup_backends

        return backup_backends
    if name == "kms":
        from moto.kms.models import kms_backends

        return kms_backends
    if name == "ec2":
        from moto.ec2.models import ec2_backends

        return ec2_backends
    if name == "iam":
        from moto.iam.models import iam_backends

        return iam_backends
    from moto.organizations.models import organizations_backends

    return organizations_backends


def account_of(access_key: str) -> str:
    """The account moto gives an access key (an assumed role's key: the role's account)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


class BackupJobsApp:
    """WSGI application: the Backup APIs moto lacks, STS refusals, then moto for the rest."""

    def __init__(self, moto_app: Any, state: StandInState) -> None:
        self.moto_app = moto_app
        self.state = state
        self.routes = _routes()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = _AUTH.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:
            return self.moto_app(environ, start_response)
        access_key, region, service = match.groups()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            if service == "sts":
                self._sts(access_key, body)
            account = account_of(access_key)
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            if target:
                self._deny(account, target.rsplit(".", 1)[-1])
            if service == "backup":
                # The raw path: PATH_INFO is already decoded, and a recovery point ARN in the
                # path carries its own (encoded) slashes.
                raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
                raw = raw.split("?", 1)[0]
                path = unquote(raw)
                for method, pattern, operation in self.routes:
                    found = pattern.fullmatch(raw.rstrip("/") + "/")
                    if method == environ["REQUEST_METHOD"] and found:
                        self._deny(account, operation)
                        params = {k: unquote(v) for k, v in found.groupdict().items()}
                        data = json.loads(body or b"{}")
                        with self.lock:
                            result = getattr(self, operation)(account, region, params, data)
                        return _json(start_response, 200, result)
                self._deny(account, _moto_backup_operation(environ["REQUEST_METHOD"], path))
        except AwsError as exc:
            if service == "sts":
                return _sts_error(start_response, exc)
            return _json(
                start_response,
                exc.status,
                {"__type": exc.code, "message": exc.message},
                {"x-amzn-ErrorType": exc.code},
            )
        return self.moto_app(environ, start_response)

    # --- knobs --------------------------------------------------------------------------------

    def _sts(self, access_key: str, body: bytes) -> None:
        form = parse_qs(body.decode())
        if access_key in self.state.rejected_access_keys:
            # A wrong secret key: STS's own answer (AWS Common Errors).
            raise AwsError(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                403,
            )
        role = form.get("RoleArn", [""])[0]
        if form.get("Action") == ["AssumeRole"] and role in self.state.refused_roles:
            raise AwsError(
                "AccessDenied",
                f"User: arn:aws:iam::999999999999:user/operator is not authorized to perform: "
                f"sts:AssumeRole on resource: {role}",
                403,
            )

    def _deny(self, account: str, operation: str) -> None:
        self.state.calls.append((account, operation))
        if (account, operation) in self.state.denied:
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{account}:assumed-role/backup-deployer/verify is not "
                f"authorized to perform: {operation}",
                403,
            )

    # --- vault policies, notifications, selections, global settings ---------------------------

    def _vault(self, account: str, region: str, name: str) -> Any:
        vault = _moto("backup")[account][region].vaults.get(name)
        if vault is None:
            raise AwsError("ResourceNotFoundException", f"Backup vault {name} not found")
        return vault

    def PutBackupVaultAccessPolicy(self, account: str, region: str, p: dict, d: dict) -> dict:
        self._vault(account, region, p["backupVaultName"])
        self.state.policies[(account, region, p["backupVaultName"])] = d["Policy"]
        return {}

    def GetBackupVaultAccessPolicy(self, account: str, region: str, p: dict, d: dict) -> dict:
        vault = self._vault(account, region, p["backupVaultName"])
        policy = self.state.policies.get((account, region, p["backupVaultName"]))
        if policy is None:
            raise AwsError("ResourceNotFoundException", "Backup vault policy not found")
        return {
            "BackupVaultName": p["backupVaultName"],
            "BackupVaultArn": vault.backup_vault_arn,
            "Policy": policy,
        }

    def PutBackupVaultNotifications(self, account: str, region: str, p: dict, d: dict) -> dict:
        self._vault(account, region, p["backupVaultName"])
        self.state.notifications[(account, region, p["backupVaultName"])] = d
        return {}

    def GetBackupVaultNotifications(self, account: str, region: str, p: dict, d: dict) -> dict:
        vault = self._vault(account, region, p["backupVaultName"])
        found = self.state.notifications.get((account, region, p["backupVaultName"]))
        if found is None:
            raise AwsError("ResourceNotFoundException", "no notifications")
        return {
            "BackupVaultName": p["backupVaultName"],
            "BackupVaultArn": vault.backup_vault_arn,
            **found,
        }

    def CreateBackupSelection(self, account: str, region: str, p: dict, d: dict) -> dict:
        selection_id = str(uuid.uuid4())
        self.state.selections.setdefault(p["backupPlanId"], {})[selection_id] = d["BackupSelection"]
        return {"SelectionId": selection_id, "BackupPlanId": p["backupPlanId"]}

    def ListBackupSelections(self, account: str, region: str, p: dict, d: dict) -> dict:
        found = self.state.selections.get(p["backupPlanId"], {})
        return {
            "BackupSelectionsList": [
                {
                    "SelectionId": sid,
                    "SelectionName": s["SelectionName"],
                    "BackupPlanId": p["backupPlanId"],
                    "IamRoleArn": s["IamRoleArn"],
                }
                for sid, s in found.items()
            ]
        }

    def GetBackupSelection(self, account: str, region: str, p: dict, d: dict) -> dict:
        selection = self.state.selections.get(p["backupPlanId"], {}).get(p["selectionId"])
        if selection is None:
            raise AwsError("ResourceNotFoundException", "selection not found")
        return {
            "BackupSelection": selection,
            "SelectionId": p["selectionId"],
            "BackupPlanId": p["backupPlanId"],
        }

    def _org_of(self, account: str) -> tuple[str, str] | None:
        """(organization id, management account) of `account`, from moto's Organizations."""
        orgs = _moto("organizations")
        master = orgs.master_accounts.get(account)
        manager = master[0] if master else account
        org = orgs[manager]["aws"].org
        return (org.id, manager) if org is not None else None

    def UpdateGlobalSettings(self, account: str, region: str, p: dict, d: dict) -> dict:
        org = self._org_of(account)
        if org is None or org[1] != account:
            raise AwsError("AccessDeniedException", "only the management account", 403)
        value = d["GlobalSettings"]["isCrossAccountBackupEnabled"]
        self.state.cross_account_enabled[org[0]] = value == "true"
        return {}

    def DescribeGlobalSettings(self, account: str, region: str, p: dict, d: dict) -> dict:
        org = self._org_of(account)
        if org is None or org[1] != account:
            raise AwsError("AccessDeniedException", "only the management account", 403)
        enabled = self.state.cross_account_enabled.get(org[0], False)
        return {"GlobalSettings": {"isCrossAccountBackupEnabled": str(enabled).lower()}}

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


def _moto_backup_operation(method: str, path: str) -> str:
    """The moto-served Backup operation of a request (for the `denied` knob)."""
    if re.fullmatch(r"/backup-vaults/[^/]+/?", path) and method == "GET":
        return "DescribeBackupVault"
    if re.fullmatch(r"/backup/plans/[^/]+/?", path) and method == "GET":
        return "GetBackupPlan"
    return f"{method} {path}"


def _role(account: str, role_arn: str) -> Any:
    name = role_arn.rsplit("/", 1)[-1]
    for role in _moto("iam")[account]["global"].roles.values():
        if role.name == name:
            return role
    return None


def _key(key_arn: str) -> Any:
    parts = key_arn.split(":")
    return _moto("kms")[parts[4]][parts[3]].keys[parts[5].split("/", 1)[1]]


def _key_arn(account: str, region: str, key_id: str) -> str:
    if key_id.startswith("arn:"):
        return key_id
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def _kms_context(account: str, region: str) -> dict[str, Any]:
    return {
        "kms:ViaService": f"backup.{region}.amazonaws.com",
        "kms:GrantIsForAWSResource": "true",
        "kms:CallerAccount": account,
        "aws:PrincipalAccount": account,
    }


def _json(
    start_response: StartResponse,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> list[bytes]:
    payload = json.dumps(body, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden"}.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            *(headers or {}).items(),
        ],
    )
    return [payload]


def _sts_error(start_response: StartResponse, exc: AwsError) -> list[bytes]:
    payload = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        f"<Type>Sender</Type><Code>{exc.code}</Code><Message>{exc.message}</Message>"
        "</Error><RequestId>standin</RequestId></ErrorResponse>"
    ).encode()
    start_response(
        f"{exc.status} Forbidden",
        [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
