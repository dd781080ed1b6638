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
The other texts (lock range, aws/backup key, access denied on CopyIntoBackupVault) are those of
AWS-FACTS.md "Why copy jobs fail". A backup vault key that lost the source account answers
"Given key ID is not accessible": AWS-FACTS.md gives that text for a source key, and no source
we found gives the destination key's own; the tool must (and does) diagnose either way. The KMS
refusal of a backup job is our wording (no source found), naming KMS as AWS's messages do.

Knobs on `StandInState` break the accounts the ways real accounts break: roles STS refuses,
operations denied to an account, credentials STS rejects, jobs that never end.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from standin_jobs import JobsMixin
from standin_state import AwsError, StandInState, _moto, account_of

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


class BackupJobsApp(JobsMixin):
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
        if (account, operation) in self.state.throttled:
            # The throttling answer of AWS's JSON protocols (AWS Backup API "Common Errors":
            # ThrottlingException, HTTP 400), which botocore's retry modes retry.
            raise AwsError("ThrottlingException", "Rate exceeded", 400)
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


def _moto_backup_operation(method: str, path: str) -> str:
    """The moto-served Backup operation of a request (for the `denied` knob)."""
    if re.fullmatch(r"/backup-vaults/[^/]+/?", path) and method == "GET":
        return "DescribeBackupVault"
    if re.fullmatch(r"/backup/plans/[^/]+/?", path) and method == "GET":
        return "GetBackupPlan"
    return f"{method} {path}"


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
