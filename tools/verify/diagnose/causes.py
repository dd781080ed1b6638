"""A failed job's StatusMessage -> its cause, the fix, and the checks that confirm it.

Two tables, because a backup job and a copy job fail for different reasons and different checks
confirm them. Ordered: the first match wins. Messages as AWS writes them:
- copy jobs: AWS re:Post "Why did my AWS Backup cross-account copy job fail?"
  (https://repost.aws/knowledge-center/backup-troubleshoot-cross-account-copy) and
  "backup-cross-account-copy-error" (an EBS snapshot on a CMK that does not include the backup
  account: "The source snapshot KMS key does not exist, is not enabled or you do not have
  permissions to access it"); AWS-FACTS.md "Why copy jobs fail";
- backup jobs: AWS re:Post "Understanding IAM roles and permissions in AWS Backup"
  (https://repost.aws/articles/ARt46qw01wR9OiksidJR0fMg): a job role without the permissions
  ("You are not authorized to perform this operation. Please consult the permissions associated
  with your AWS Backup role(s)", "Access denied", "Insufficient privileges").
A message can have several possible causes (a key "not accessible" may be any of three keys):
the cause then lists them, and the checks that confirm it print the one fix that applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COPY_TROUBLESHOOTING_URL = (
    "https://repost.aws/knowledge-center/backup-troubleshoot-cross-account-copy"
)
BACKUP_TROUBLESHOOTING_URL = "https://repost.aws/articles/ARt46qw01wR9OiksidJR0fMg"
TROUBLESHOOTING_URL = COPY_TROUBLESHOOTING_URL


@dataclass(frozen=True)
class Cause:
    """The cause of a failed job, from its StatusMessage."""

    id: str
    title: str
    fix: str
    checks: tuple[str, ...]


COPY_CAUSES: tuple[tuple[re.Pattern[str], Cause], ...] = (
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
        # re:Post backup-cross-account-copy-error: the snapshot's own CMK lacks the backup account.
        re.compile(r"source snapshot KMS key does not exist, is not enabled", re.I),
        Cause(
            "snapshot-key-not-shared",
            "the snapshot's KMS key (the resource's own customer managed key) does not let the "
            "backup account use it, or is disabled or deleted",
            "add the backup account to the resource key's policy: kms:DescribeKey, kms:Decrypt, "
            "kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant (with "
            "kms:GrantIsForAWSResource); and check the key is enabled",
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
            "a KMS key the copy needs is not shared with the other account: the resource's own "
            "key (EBS, EC2, RDS, Aurora) or the source vault key (S3, EFS, DynamoDB) must let "
            "the backup account in; the backup vault key must let the source account in",
            "share the key the diagnosis names below with the account it names (`pulumi up` "
            "restores the stack's two vault keys; the resource's own key is yours to change)",
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

BACKUP_CAUSES: tuple[tuple[re.Pattern[str], Cause], ...] = (
    (
        re.compile(r"kms|key.*(not accessible|disabled|pending deletion)", re.I),
        Cause(
            "backup-key",
            "the backup role may not use a KMS key of the backup: the resource's own key "
            "(snapshots) or the source vault key",
            "let the backup role (backupRoleArn) use the key the diagnosis names: "
            "kms:DescribeKey and kms:CreateGrant with kms:GrantIsForAWSResource",
            ("resource-key-role", "backup-role"),
        ),
    ),
    (
        re.compile(
            r"not authorized|permissions associated with your AWS Backup role|"
            r"does not have permission|insufficient privileges|access ?denied",
            re.I,
        ),
        Cause(
            "backup-role-permissions",
            "the backup role (backupRoleArn) lacks a permission the backup needs, or AWS Backup "
            "can't assume it",
            "`pulumi up` restores the role's trust policy and its AWS managed policies "
            "(AWSBackupServiceRolePolicyForBackup, ...); a key the role must use is named by "
            "resource-key-role",
            ("backup-role", "resource-key-role"),
        ),
    ),
)


def explain_status_message(message: str | None, step: str = "copy") -> Cause | None:
    """The known cause of a `step` job's StatusMessage (`backup` or `copy`), or None."""
    if not message:
        return None
    for pattern, cause in BACKUP_CAUSES if step == "backup" else COPY_CAUSES:
        if pattern.search(message):
            return cause
    return None


def troubleshooting_url(step: str) -> str:
    """Where AWS explains the failures of a `step` job."""
    return BACKUP_TROUBLESHOOTING_URL if step == "backup" else COPY_TROUBLESHOOTING_URL
