"""Diagnosis of a deployed stack's cross-account copy, from the live configuration of both accounts.

`diagnose()` starts no job. It reads, with each account's own credentials, what decides whether a
copy can succeed (AWS-FACTS.md), and judges the live policy documents with the policy pack's IAM
evaluator (`backup_guard.iam`), so the diagnosis and the pack share one reading of IAM:

Checks (id: what it reads -> when it fails):
- `organization`: DescribeOrganization in both accounts -> not the same organization.
- `cross-account-setting`: DescribeGlobalSettings (management account) -> opt-in off.
- `backup-vault`: DescribeBackupVault + DescribeKey -> missing, `Default`, AWS managed key,
  another key than the `backupVaultKeyArn` output.
- `backup-vault-policy`: GetBackupVaultAccessPolicy -> the source account may not
  `backup:CopyIntoBackupVault`.
- `backup-vault-key-policy`: GetKeyPolicy (backup account) -> the source account may not use it.
- `source-vault-policy`: the same on the source vault -> the backup account may not copy back.
- `source-vault-key-policy`: GetKeyPolicy (source account) -> the backup account may not use it
  (needed for the types AWS Backup fully manages: S3, EFS, DynamoDB; a warning otherwise).
- `vault-lock`: DescribeBackupVault -> the copy retention is outside the lock's range.
- `plan`: GetBackupPlan -> no rule copies into the backup vault (warning: without lifecycle).
- `selection`: ListBackupSelections/GetBackupSelection -> no selection on the tag + backup role.
- `notifications`: GetBackupVaultNotifications -> copy failures not notified (warning).
- with a resource: `resource` (exists), `resource-tag` (selection tag), `resource-key` (EBS, EC2,
  RDS, Aurora keep their own key: AWS managed = never copyable; a CMK must allow the backup
  account), `dynamodb-advanced` (DynamoDB needs advanced backup features for a cross-account copy).

A read denied to the stack's role makes its check `skip` (with the permission to add); any other
AWS error makes it `error`: it is reported, never taken for a pass.

`explain_status_message()` maps a failed job's StatusMessage to its cause (AWS-FACTS: "Why copy
jobs fail") and the checks that confirm it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from backup_guard.iam import PolicyDocumentError, evaluate, parse_policy
from backup_guard.rules import DESTINATION_KEY_ACTIONS, SOURCE_KEY_ACTIONS
from tools.aws_session import DENIED_CODES, AccountClients, error_code, error_message
from tools.verify_inputs import ResourceRef, StackOutputs, VerifySettings

Status = Literal["pass", "fail", "warn", "skip", "error"]

#: Resource kinds whose backups AWS Backup fully manages: encrypted with the source vault's key.
FULLY_MANAGED_KINDS = frozenset({"s3", "efs"})
#: Kinds whose backups keep the resource's own key (snapshots).
OWN_KEY_KINDS = frozenset({"ebs", "ec2", "rds", "aurora"})
COPY_EVENTS = ("COPY_JOB_FAILED", "BACKUP_JOB_COMPLETED")

TROUBLESHOOTING_URL = "https://repost.aws/knowledge-center/backup-troubleshoot-cross-account-copy"


@dataclass(frozen=True)
class Check:
    """One diagnosis check: its verdict, what was found, and the fix when it did not pass."""

    id: str
    title: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")


@dataclass
class Diagnosis:
    """All checks, in the order they ran."""

    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.failed]

    def by_id(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"no check {check_id!r}; ran: {', '.join(c.id for c in self.checks)}")

    def render(self) -> str:
        lines = []
        for check in self.checks:
            lines.append(f"[{check.status.upper():5}] {check.id}: {check.title} - {check.detail}")
            if check.fix and check.status != "pass":
                lines.append(f"        fix: {check.fix}")
        failed = len(self.failed)
        warned = sum(1 for c in self.checks if c.status == "warn")
        lines.append(
            f"diagnosis: {len(self.checks)} checks, {failed} failed, {warned} warnings"
            + ("" if failed else " - nothing found that would stop the copy")
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class Cause:
    """The cause of a failed job, from its StatusMessage."""

    id: str
    title: str
    fix: str
    checks: tuple[str, ...]


# Ordered: the first match wins. Patterns follow the messages users see (AWS-FACTS.md).
FAILURE_CAUSES: tuple[tuple[re.Pattern[str], Cause], ...] = (
    (
        re.compile(r"member of the same organization", re.I),
        Cause(
            "organization",
            "the source and backup accounts are not in the same AWS Organization",
            "invite the backup account into the source account's organization (or deploy the "
            "stack with two accounts of one organization)",
            ("organization",),
        ),
    ),
    (
        re.compile(
            r"cross-account copy feature is not enabled|cross.account backup.*not enabled", re.I
        ),
        Cause(
            "cross-account-setting",
            "cross-account backup is not turned on for the organization",
            "from the management account: set managementAccount in the stack config and "
            "`pulumi up`, or `aws backup update-global-settings --global-settings "
            "isCrossAccountBackupEnabled=true`",
            ("cross-account-setting",),
        ),
    ),
    (
        re.compile(r"default backup service managed key", re.I),
        Cause(
            "destination-default-key",
            "the destination vault is encrypted with the AWS managed key aws/backup",
            "copy into a vault on a customer managed key: the stack's backupVaultArn (never the "
            "Default vault); check the outputs are this stack's",
            ("backup-vault",),
        ),
    ),
    (
        re.compile(r"AWS managed key", re.I),
        Cause(
            "aws-managed-key",
            "the resource is encrypted with an AWS managed key (aws/ebs, aws/rds, ...), whose "
            "policy can never let another account use it",
            "re-encrypt the resource with a customer managed key that allows the backup account "
            "(copy the snapshot with --kms-key-id, restore it, switch over), then back it up again",
            ("resource-key",),
        ),
    ),
    (
        re.compile(
            r"key id is not accessible|kms key.*(not accessible|access denied)|"
            r"KMSAccessDenied|KMS.*not authorized",
            re.I,
        ),
        Cause(
            "key-not-shared",
            "a KMS key the copy needs is not shared with the other account (the resource's own "
            "key, or the source vault's key for fully managed types)",
            "add the backup account to the key policy: kms:DescribeKey, kms:Decrypt, "
            "kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant (with "
            "kms:GrantIsForAWSResource)",
            ("resource-key", "source-vault-key-policy", "backup-vault-key-policy"),
        ),
    ),
    (
        re.compile(r"retention specified in the job is not within the range", re.I),
        Cause(
            "lock-retention",
            "the copy's retention is outside the backup vault lock's min/max retention",
            "set backupPlan.copyRetentionDays within vaultLock.minRetentionDays.."
            "maxRetentionDays and `pulumi up` (verify uses the same retention)",
            ("vault-lock",),
        ),
    ),
    (
        re.compile(r"access ?denied|not authorized to perform|CopyIntoBackupVault", re.I),
        Cause(
            "vault-policy",
            "the destination vault's access policy does not let the source account copy in",
            "allow backup:CopyIntoBackupVault to the source account in the backup vault's "
            "access policy (`pulumi up` restores the stack's policy)",
            ("backup-vault-policy",),
        ),
    ),
)


def explain_status_message(message: str | None) -> Cause | None:
    """The known cause of a job's StatusMessage, or None when it matches none."""
    if not message:
        return None
    for pattern, cause in FAILURE_CAUSES:
        if pattern.search(message):
            return cause
    return None


# --- the resource ------------------------------------------------------------------------------


class ResourceNotFound(LookupError):
    """The resource ARN names nothing in the source account."""


@dataclass(frozen=True)
class ResourceInfo:
    """What verification needs to know about the resource."""

    tags: Mapping[str, str]
    encrypted: bool | None
    """None when the resource type's encryption is not inspected."""
    key_ids: tuple[str, ...]


_NOT_FOUND_CODES = frozenset(
    {
        "InvalidVolume.NotFound",
        "InvalidVolumeID.Malformed",
        "InvalidInstanceID.NotFound",
        "InvalidInstanceID.Malformed",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBClusterNotFoundFault",
        "FileSystemNotFound",
        "ResourceNotFoundException",
        "NoSuchBucket",
        "NotFound",
        "404",
    }
)


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or ()}


def describe_resource(clients: AccountClients, resource: ResourceRef) -> ResourceInfo:
    """Look the resource up with its own API (source account): tags and KMS key(s).

    Raises `ResourceNotFound` when the API says it does not exist.
    """
    try:
        return _describe_resource(clients, resource)
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND_CODES:
            raise ResourceNotFound(
                f"{resource.arn} does not exist in account {resource.account_id} region "
                f"{resource.region} ({error_code(exc)}: {error_message(exc)})"
            ) from exc
        raise


def _describe_resource(clients: AccountClients, resource: ResourceRef) -> ResourceInfo:
    rid, kind = resource.resource_id, resource.kind
    if kind == "ebs":
        ec2 = clients.client("source", "ec2")
        volume = ec2.describe_volumes(VolumeIds=[rid])["Volumes"][0]
        keys = (volume["KmsKeyId"],) if volume.get("KmsKeyId") else ()
        return ResourceInfo(_tags(volume.get("Tags")), bool(volume.get("Encrypted")), keys)
    if kind == "ec2":
        ec2 = clients.client("source", "ec2")
        reservations = ec2.describe_instances(InstanceIds=[rid])["Reservations"]
        if not reservations or not reservations[0]["Instances"]:
            raise ResourceNotFound(f"{resource.arn}: no such instance")
        instance = reservations[0]["Instances"][0]
        volume_ids = [
            m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m
        ]
        volumes = ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"] if volume_ids else []
        keys = tuple(sorted({v["KmsKeyId"] for v in volumes if v.get("KmsKeyId")}))
        encrypted = all(v.get("Encrypted") for v in volumes) if volumes else False
        return ResourceInfo(_tags(instance.get("Tags")), encrypted, keys)
    if kind in ("rds", "aurora"):
        rds = clients.client("source", "rds")
        if kind == "rds":
            db = rds.describe_db_instances(DBInstanceIdentifier=rid)["DBInstances"][0]
        else:
            db = rds.describe_db_clusters(DBClusterIdentifier=rid)["DBClusters"][0]
        keys = (db["KmsKeyId"],) if db.get("KmsKeyId") else ()
        return ResourceInfo(_tags(db.get("TagList")), bool(db.get("StorageEncrypted")), keys)
    if kind == "efs":
        efs = clients.client("source", "efs")
        fs = efs.describe_file_systems(FileSystemId=rid)["FileSystems"][0]
        keys = (fs["KmsKeyId"],) if fs.get("KmsKeyId") else ()
        return ResourceInfo(_tags(fs.get("Tags")), bool(fs.get("Encrypted")), keys)
    if kind == "dynamodb":
        ddb = clients.client("source", "dynamodb")
        table = ddb.describe_table(TableName=rid)["Table"]
        key = (table.get("SSEDescription") or {}).get("KMSMasterKeyArn")
        tags = ddb.list_tags_of_resource(ResourceArn=resource.arn).get("Tags")
        return ResourceInfo(_tags(tags), True, (key,) if key else ())
    if kind == "s3":
        s3 = clients.client("source", "s3")
        try:
            tag_set = s3.get_bucket_tagging(Bucket=rid).get("TagSet")
        except ClientError as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            tag_set = []
        return ResourceInfo(_tags(tag_set), None, ())
    # Any other type: the tagging API knows the tags; the key is not inspected.
    tagging = clients.client("source", "resourcegroupstaggingapi")
    found = tagging.get_resources(ResourceARNList=[resource.arn]).get("ResourceTagMappingList", [])
    tags = _tags(found[0].get("Tags")) if found else {}
    return ResourceInfo(tags, None, ())


# --- the checks --------------------------------------------------------------------------------


def _key_id(arn_or_id: str) -> str:
    """`arn:aws:kms:r:a:key/ID` or `ID` -> `ID` (aliases are returned unchanged)."""
    return arn_or_id.rsplit("key/", 1)[-1] if ":key/" in arn_or_id else arn_or_id


def _judge(
    document: str,
    *,
    principal_account: str,
    actions: Iterable[str],
    resource: str,
    principal_arn: str | None,
    context: Mapping[str, Any],
    org_id: str | None,
) -> tuple[list[str], list[str], list[str]]:
    """Evaluate each action: (allowed, denied with the deciding statement, uncertain)."""
    policy = parse_policy(document)
    allowed, denied, uncertain = [], [], []
    for action in actions:
        decision = evaluate(
            policy,
            principal_account=principal_account,
            action=action,
            resource=resource,
            principal_arn=principal_arn,
            context=dict(context),
            org_id=org_id,
        )
        if decision.allowed:
            allowed.append(action)
        elif decision.verdict == "uncertain":
            uncertain.append(f"{action} ({decision.reason})")
        else:
            where = f" by statement {decision.statement}" if decision.statement else ""
            denied.append(f"{action}: {decision.verdict}{where} ({decision.reason})")
    return allowed, denied, uncertain


class Diagnoser:
    """Runs the checks. Every AWS read goes through the injected `AccountClients`."""

    def __init__(
        self,
        clients: AccountClients,
        settings: VerifySettings,
        outputs: StackOutputs,
        resource: ResourceRef | None = None,
    ) -> None:
        self.clients = clients
        self.settings = settings
        self.outputs = outputs
        self.resource = resource
        self.org_id: str | None = None
        self.resource_info: ResourceInfo | None = None
        self.diagnosis = Diagnosis()
        self._vault: Mapping[str, Any] | None = None

    # Each check method returns its Check; `run` records it and turns read errors into checks.
    def run(self) -> Diagnosis:
        steps: list[tuple[str, str, Callable[[], Check]]] = [
            ("organization", "same AWS Organization", self.check_organization),
            ("cross-account-setting", "cross-account backup on", self.check_global_settings),
            ("backup-vault", "backup vault on its customer managed key", self.check_backup_vault),
            ("backup-vault-policy", "source account may copy in", self.check_backup_vault_policy),
            (
                "backup-vault-key-policy",
                "source account may use the backup vault key",
                self.check_backup_vault_key_policy,
            ),
            ("source-vault-policy", "backup account may copy back", self.check_source_vault_policy),
            (
                "source-vault-key-policy",
                "backup account may use the source vault key",
                self.check_source_vault_key_policy,
            ),
            ("vault-lock", "copy retention within the vault lock", self.check_vault_lock),
            ("plan", "plan copies into the backup vault", self.check_plan),
            ("selection", "selection on the tag with the backup role", self.check_selection),
            ("notifications", "copy failures are notified", self.check_notifications),
        ]
        if self.resource is not None:
            steps += [
                ("resource", "resource exists", self.check_resource),
                ("resource-tag", "resource carries the selection tag", self.check_resource_tag),
                (
                    "resource-key",
                    "resource key usable by the backup account",
                    self.check_resource_key,
                ),
            ]
            if self.resource.kind == "dynamodb":
                steps.append(
                    (
                        "dynamodb-advanced",
                        "DynamoDB advanced backup on",
                        self.check_dynamodb_advanced,
                    )
                )
        for check_id, title, step in steps:
            self.diagnosis.checks.append(self._guarded(check_id, title, step))
        return self.diagnosis

    def _guarded(self, check_id: str, title: str, step: Callable[[], Check]) -> Check:
        try:
            return step()
        except ClientError as exc:
            code = error_code(exc)
            operation = exc.operation_name
            if code in DENIED_CODES:
                return Check(
                    check_id,
                    title,
                    "skip",
                    f"not readable: {operation} was denied ({error_message(exc)})",
                    f"allow {operation} to the stack's role to run this check",
                )
            return Check(
                check_id,
                title,
                "error",
                f"{operation} failed: {code}: {error_message(exc)}",
                "run again; if it persists, check the input",
            )
        except PolicyDocumentError as exc:
            return Check(
                check_id,
                title,
                "fail",
                f"the live policy is not valid IAM: {exc}",
                "`pulumi up` to restore the stack's policy",
            )
        except ResourceNotFound as exc:
            return Check(check_id, title, "fail", str(exc), "pass the ARN of an existing resource")

    @staticmethod
    def _ctx(caller_account_id: str, resource_arn: str) -> dict[str, Any]:
        """The request context of AWS Backup using a key or vault on the caller's behalf."""
        parts = resource_arn.split(":")
        region = parts[3] if len(parts) > 3 else ""
        return {
            "kms:ViaService": f"backup.{region}.amazonaws.com",
            "kms:GrantIsForAWSResource": "true",
            "kms:CallerAccount": caller_account_id,
            "aws:PrincipalAccount": caller_account_id,
        }

    def check_organization(self) -> Check:
        ids: dict[str, str] = {}
        for account in ("source", "backup"):
            org = self.clients.client(account, "organizations")
            try:
                ids[account] = org.describe_organization()["Organization"]["Id"]
            except ClientError as exc:
                if error_code(exc) == "AWSOrganizationsNotInUseException":
                    return Check(
                        "organization",
                        "same AWS Organization",
                        "fail",
                        f"the {account} account is in no organization",
                        "cross-account backup needs both accounts in one AWS "
                        "Organization: invite the account into it",
                    )
                raise
        if ids["source"] != ids["backup"]:
            return Check(
                "organization",
                "same AWS Organization",
                "fail",
                f"source is in {ids['source']}, backup in {ids['backup']}",
                "move both accounts into the same organization",
            )
        self.org_id = ids["source"]
        return Check(
            "organization", "same AWS Organization", "pass", f"both accounts in {self.org_id}"
        )

    def check_global_settings(self) -> Check:
        title = "cross-account backup on"
        if not self.clients.has("management"):
            return Check(
                "cross-account-setting",
                title,
                "skip",
                "no managementAccount in the stack config: only the management account "
                "can read the organization's setting",
                "set managementAccount to check it (a copy job failing with 'Cross-"
                "account copy feature is not enabled' means it is off)",
            )
        backup = self.clients.client("management", "backup")
        settings = backup.describe_global_settings().get("GlobalSettings", {})
        value = str(settings.get("isCrossAccountBackupEnabled", "false")).lower()
        if value != "true":
            return Check(
                "cross-account-setting",
                title,
                "fail",
                f"isCrossAccountBackupEnabled = {value}",
                "`pulumi up` with managementAccount set, or from the management account "
                "`aws backup update-global-settings --global-settings "
                "isCrossAccountBackupEnabled=true`",
            )
        return Check("cross-account-setting", title, "pass", "isCrossAccountBackupEnabled = true")

    def _backup_vault(self) -> Mapping[str, Any]:
        if self._vault is None:
            backup = self.clients.client("backup", "backup")
            self._vault = backup.describe_backup_vault(
                BackupVaultName=self.outputs.backup_vault.name
            )
        return self._vault

    def check_backup_vault(self) -> Check:
        title = "backup vault on its customer managed key"
        vault_name = self.outputs.backup_vault.name
        if vault_name == "Default":
            return Check(
                "backup-vault",
                title,
                "fail",
                "the destination is the Default vault (key aws/backup: can't be shared)",
                "copy into the stack's own vault: check backupVaultArn",
            )
        try:
            vault = self._backup_vault()
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            return Check(
                "backup-vault",
                title,
                "fail",
                f"{self.outputs.backup_vault.arn} does not exist",
                "`pulumi up` the stack (or the outputs are stale)",
            )
        key_arn = str(vault.get("EncryptionKeyArn", ""))
        kms = self.clients.client("backup", "kms")
        meta = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
        if meta.get("KeyManager") != "CUSTOMER":
            return Check(
                "backup-vault",
                title,
                "fail",
                f"the vault's key {key_arn} is AWS managed: copies can't be "
                "re-encrypted with it across accounts",
                "recreate the vault on a customer managed key (`pulumi up`)",
            )
        if _key_id(key_arn) != _key_id(self.outputs.backup_vault_key_arn):
            return Check(
                "backup-vault",
                title,
                "fail",
                f"the vault's key is {key_arn}, the stack output backupVaultKeyArn is "
                f"{self.outputs.backup_vault_key_arn}",
                "`pulumi refresh` then `pulumi up`: the vault drifted from the stack",
            )
        return Check(
            "backup-vault",
            title,
            "pass",
            f"{vault_name} encrypted with customer managed key {_key_id(key_arn)}",
        )

    def _vault_policy(self, account: str, vault_name: str) -> str | None:
        backup = self.clients.client(account, "backup")
        try:
            return backup.get_backup_vault_access_policy(BackupVaultName=vault_name)["Policy"]
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise

    def check_backup_vault_policy(self) -> Check:
        title = "source account may copy in"
        vault = self.outputs.backup_vault
        document = self._vault_policy("backup", vault.name)
        if document is None:
            return Check(
                "backup-vault-policy",
                title,
                "fail",
                f"{vault.name} has no access policy: no other account may copy in",
                "`pulumi up` (the stack writes backup-vault-policy)",
            )
        return self._policy_check(
            "backup-vault-policy",
            title,
            document,
            principal="source",
            actions=("backup:CopyIntoBackupVault",),
            resource=vault.arn,
            principal_arn=self.outputs.backup_role_arn,
            fix="allow backup:CopyIntoBackupVault to the source account "
            f"{self.settings.source.account_id} in the backup vault's access policy "
            "(`pulumi up` restores it)",
        )

    def check_source_vault_policy(self) -> Check:
        title = "backup account may copy back"
        vault = self.outputs.source_vault
        document = self._vault_policy("source", vault.name)
        if document is None:
            return Check(
                "source-vault-policy",
                title,
                "fail",
                f"{vault.name} has no access policy: the copies can never come back "
                "(cross-account restore does not exist)",
                "`pulumi up`",
            )
        return self._policy_check(
            "source-vault-policy",
            title,
            document,
            principal="backup",
            actions=("backup:CopyIntoBackupVault",),
            resource=vault.arn,
            principal_arn=None,
            fix="allow backup:CopyIntoBackupVault to the backup account "
            f"{self.settings.backup.account_id} in the source vault's access policy: "
            "the way back (`pulumi up` restores it)",
        )

    def _key_policy(self, account: str, key: str) -> tuple[str, str]:
        kms = self.clients.client(account, "kms")
        key_arn = kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
        return key_arn, kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]

    def check_backup_vault_key_policy(self) -> Check:
        key_arn, document = self._key_policy("backup", self.outputs.backup_vault_key_arn)
        return self._policy_check(
            "backup-vault-key-policy",
            "source account may use the backup vault key",
            document,
            principal="source",
            actions=DESTINATION_KEY_ACTIONS,
            resource=key_arn,
            principal_arn=None,
            fix="let the source account use the key: kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, "
            "kms:GenerateDataKey*, kms:DescribeKey (`pulumi up` restores the key policy)",
        )

    def check_source_vault_key_policy(self) -> Check:
        key_arn, document = self._key_policy("source", self.outputs.source_vault_key_arn)
        check = self._policy_check(
            "source-vault-key-policy",
            "backup account may use the source vault key",
            document,
            principal="backup",
            actions=SOURCE_KEY_ACTIONS,
            resource=key_arn,
            principal_arn=None,
            fix="let the backup account use the key: kms:DescribeKey, kms:Decrypt, "
            "kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant (`pulumi up`)",
        )
        needed = self.resource is None or self.resource.kind not in OWN_KEY_KINDS
        if check.failed and not needed:
            # Snapshots keep the resource's own key: this key matters for other types only.
            return Check(
                check.id,
                check.title,
                "warn",
                f"{check.detail} (not needed for {self.resource.kind} "  # type: ignore[union-attr]
                "snapshots, needed for S3, EFS, DynamoDB)",
                check.fix,
            )
        return check

    def _policy_check(
        self,
        check_id: str,
        title: str,
        document: str,
        *,
        principal: str,
        actions: Iterable[str],
        resource: str,
        principal_arn: str | None,
        fix: str,
    ) -> Check:
        account_id = (
            self.settings.source if principal == "source" else self.settings.backup
        ).account_id
        allowed, denied, uncertain = _judge(
            document,
            principal_account=account_id,
            actions=actions,
            resource=resource,
            principal_arn=principal_arn,
            context=self._ctx(account_id, resource),
            org_id=self.org_id,
        )
        if denied:
            return Check(
                check_id,
                title,
                "fail",
                f"account {account_id} is refused " + "; ".join(denied),
                fix,
            )
        if uncertain:
            return Check(
                check_id,
                title,
                "warn",
                f"account {account_id}: the evaluator can't decide " + "; ".join(uncertain),
                fix,
            )
        return Check(check_id, title, "pass", f"account {account_id} allowed {', '.join(allowed)}")

    def check_vault_lock(self) -> Check:
        title = "copy retention within the vault lock"
        vault = self._backup_vault()
        days = self.settings.copy_retention_days
        if not vault.get("Locked"):
            if self.settings.vault_lock is not None:
                return Check(
                    "vault-lock",
                    title,
                    "warn",
                    f"the stack config declares a {self.settings.vault_lock.mode} "
                    "lock but the live vault is not locked",
                    "`pulumi up` to apply backup-vault-lock",
                )
            return Check("vault-lock", title, "pass", "the vault is not locked")
        low, high = vault.get("MinRetentionDays"), vault.get("MaxRetentionDays")
        lock_desc = f"locked, retention {low if low is not None else '-'}.." + (
            f"{high if high is not None else '-'} days"
            + (f", immutable since {vault['LockDate']}" if vault.get("LockDate") else "")
        )
        if (low is not None and days < low) or (high is not None and days > high):
            return Check(
                "vault-lock",
                title,
                "fail",
                f"{lock_desc}; copyRetentionDays = {days} is outside: every copy job "
                "fails ('retention ... not within the range')",
                f"set backupPlan.copyRetentionDays between {low} and {high}",
            )
        return Check("vault-lock", title, "pass", f"{lock_desc}; copy retention {days} days")

    def check_plan(self) -> Check:
        title = "plan copies into the backup vault"
        backup = self.clients.client("source", "backup")
        plan = backup.get_backup_plan(BackupPlanId=self.outputs.backup_plan_id)["BackupPlan"]
        target = self.outputs.backup_vault.arn
        for rule in plan.get("Rules", []):
            for action in rule.get("CopyActions", []):
                if action.get("DestinationBackupVaultArn") != target:
                    continue
                name = rule.get("RuleName", "?")
                if rule.get("TargetBackupVaultName") != self.outputs.source_vault.name:
                    return Check(
                        "plan",
                        title,
                        "fail",
                        f"rule {name} backs up into {rule.get('TargetBackupVaultName')}"
                        f", not the source vault {self.outputs.source_vault.name}",
                        "`pulumi up`",
                    )
                delete_after = (action.get("Lifecycle") or {}).get("DeleteAfterDays")
                if delete_after is None:
                    return Check(
                        "plan",
                        title,
                        "warn",
                        f"rule {name} copies without a lifecycle: copies are kept for ever",
                        "set backupPlan.copyRetentionDays and `pulumi up`",
                    )
                if int(delete_after) != self.settings.copy_retention_days:
                    return Check(
                        "plan",
                        title,
                        "warn",
                        f"rule {name} keeps copies {delete_after} days, the config says "
                        f"{self.settings.copy_retention_days}",
                        "`pulumi up` to apply the config",
                    )
                return Check(
                    "plan",
                    title,
                    "pass",
                    f"rule {name}: copy to {target}, kept {delete_after} days",
                )
        return Check(
            "plan",
            title,
            "fail",
            f"plan {self.outputs.backup_plan_id} has no rule copying into {target}",
            "`pulumi up` (the stack's plan rule has the copy action)",
        )

    def check_selection(self) -> Check:
        title = "selection on the tag with the backup role"
        backup = self.clients.client("source", "backup")
        plan_id = self.outputs.backup_plan_id
        key, value = self.settings.selection_tag_key, self.settings.selection_tag_value
        listed = backup.list_backup_selections(BackupPlanId=plan_id).get("BackupSelectionsList", [])
        seen = []
        for item in listed:
            selection = backup.get_backup_selection(
                BackupPlanId=plan_id, SelectionId=item["SelectionId"]
            )["BackupSelection"]
            tags = {
                (t.get("ConditionKey"), t.get("ConditionValue"))
                for t in selection.get("ListOfTags", [])
            }
            for condition in (selection.get("Conditions") or {}).get("StringEquals", []):
                tags.add(
                    (
                        str(condition.get("ConditionKey", "")).removeprefix("aws:ResourceTag/"),
                        condition.get("ConditionValue"),
                    )
                )
            seen.append(f"{selection.get('SelectionName')}: {sorted(tags)}")
            if (key, value) in tags:
                if selection.get("IamRoleArn") != self.outputs.backup_role_arn:
                    return Check(
                        "selection",
                        title,
                        "fail",
                        f"selection {selection.get('SelectionName')} uses role "
                        f"{selection.get('IamRoleArn')}, not {self.outputs.backup_role_arn}",
                        "`pulumi up`",
                    )
                return Check(
                    "selection",
                    title,
                    "pass",
                    f"selection {selection.get('SelectionName')} on {key}={value}",
                )
        return Check(
            "selection",
            title,
            "fail",
            f"no selection of plan {plan_id} on {key}={value} (found: {'; '.join(seen) or 'none'})",
            "`pulumi up`",
        )

    def check_notifications(self) -> Check:
        title = "copy failures are notified"
        backup = self.clients.client("source", "backup")
        try:
            found = backup.get_backup_vault_notifications(
                BackupVaultName=self.outputs.source_vault.name
            )
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            found = {}
        events = set(found.get("BackupVaultEvents", []))
        missing = [event for event in COPY_EVENTS if event not in events]
        if missing:
            return Check(
                "notifications",
                title,
                "warn",
                f"the source vault does not notify {', '.join(missing)}",
                "`pulumi up` (source-vault-notifications)",
            )
        return Check(
            "notifications",
            title,
            "pass",
            f"{', '.join(COPY_EVENTS)} sent to {found.get('SNSTopicArn')}",
        )

    def _resource(self) -> ResourceInfo:
        if self.resource_info is None:
            assert self.resource is not None
            self.resource_info = describe_resource(self.clients, self.resource)
        return self.resource_info

    def check_resource(self) -> Check:
        info = self._resource()
        assert self.resource is not None
        encryption = {
            None: "encryption not inspected for this type",
            True: "encrypted",
            False: "not encrypted",
        }[info.encrypted]
        return Check(
            "resource",
            "resource exists",
            "pass",
            f"{self.resource.kind} {self.resource.resource_id}, {encryption}",
        )

    def check_resource_tag(self) -> Check:
        title = "resource carries the selection tag"
        info = self._resource()
        key, value = self.settings.selection_tag_key, self.settings.selection_tag_value
        fix = (
            f"tag it: aws resourcegroupstaggingapi tag-resources --resource-arn-list "
            f"{self.resource.arn} --tags {key}={value}"
        )  # type: ignore[union-attr]
        if key not in info.tags:
            return Check(
                "resource-tag", title, "fail", f"no tag {key}: the plan never backs it up", fix
            )
        if info.tags[key] != value:
            return Check(
                "resource-tag",
                title,
                "fail",
                f"tag {key}={info.tags[key]!r}, the selection wants {value!r}",
                fix,
            )
        return Check("resource-tag", title, "pass", f"{key}={value}")

    def check_resource_key(self) -> Check:
        title = "resource key usable by the backup account"
        assert self.resource is not None
        kind = self.resource.kind
        if kind not in OWN_KEY_KINDS:
            return Check(
                "resource-key",
                title,
                "pass",
                f"{kind} backups are encrypted with the source vault key "
                "(see source-vault-key-policy)"
                if kind in FULLY_MANAGED_KINDS or kind == "dynamodb"
                else f"{kind}: the resource's key is not inspected",
            )
        info = self._resource()
        if not info.encrypted:
            return Check("resource-key", title, "pass", "not encrypted: no key to share")
        if not info.key_ids:
            return Check(
                "resource-key",
                title,
                "warn",
                "encrypted, but the key is not reported",
                "check the resource's key by hand",
            )
        kms = self.clients.client("source", "kms")
        problems: list[str] = []
        for key in info.key_ids:
            meta = kms.describe_key(KeyId=key)["KeyMetadata"]
            if meta.get("KeyManager") == "AWS":
                aliases = kms.list_aliases(KeyId=meta["KeyId"]).get("Aliases", [])
                alias = aliases[0]["AliasName"] if aliases else "an aws/... alias"
                return Check(
                    "resource-key",
                    title,
                    "fail",
                    f"encrypted with the AWS managed key {meta['Arn']} ({alias}): it "
                    "can never be copied to another account",
                    "re-encrypt with a customer managed key that allows the backup "
                    "account (copy a snapshot with a CMK, restore, switch over)",
                )
            document = kms.get_key_policy(KeyId=meta["Arn"], PolicyName="default")["Policy"]
            backup_id = self.settings.backup.account_id
            _, denied, uncertain = _judge(
                document,
                principal_account=backup_id,
                actions=SOURCE_KEY_ACTIONS,
                resource=meta["Arn"],
                principal_arn=None,
                context=self._ctx(backup_id, meta["Arn"]),
                org_id=self.org_id,
            )
            if denied:
                problems.append(f"{meta['Arn']}: " + "; ".join(denied))
            elif uncertain:
                return Check(
                    "resource-key",
                    title,
                    "warn",
                    f"{meta['Arn']}: the evaluator can't decide " + "; ".join(uncertain),
                    "check the key policy by hand",
                )
        if problems:
            return Check(
                "resource-key",
                title,
                "fail",
                f"the backup account {self.settings.backup.account_id} is refused "
                + " | ".join(problems),
                "add the backup account to the resource key's policy: kms:DescribeKey, "
                "kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant",
            )
        return Check(
            "resource-key",
            title,
            "pass",
            f"customer managed key(s) {', '.join(info.key_ids)} allow the backup account",
        )

    def check_dynamodb_advanced(self) -> Check:
        title = "DynamoDB advanced backup on"
        backup = self.clients.client("source", "backup")
        prefs = backup.describe_region_settings().get("ResourceTypeManagementPreference", {})
        if not prefs.get("DynamoDB"):
            return Check(
                "dynamodb-advanced",
                title,
                "fail",
                "DynamoDB advanced backup features are off: its backups can't be copied "
                "to another account",
                "aws backup update-region-settings --resource-type-management-preference "
                "DynamoDB=true (in the source account and region)",
            )
        return Check("dynamodb-advanced", title, "pass", "advanced backup features on")


def diagnose(
    clients: AccountClients,
    settings: VerifySettings,
    outputs: StackOutputs,
    resource: ResourceRef | None = None,
) -> Diagnosis:
    """Run every check; see the module docstring."""
    return Diagnoser(clients, settings, outputs, resource).run()
