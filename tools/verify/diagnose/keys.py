"""Checks `backup-vault-key-policy` and `source-vault-key-policy`: each vault key lets the other
account use it (kms:GetKeyPolicy, judged by the pack's evaluator with the pack's action lists)."""

from __future__ import annotations

from backup_guard.rules import DESTINATION_KEY_ACTIONS, SOURCE_KEY_ACTIONS
from tools.verify.aws_session import Account
from tools.verify.diagnose.model import Check, Context, policy_check

#: Kinds whose backups keep the resource's own key (snapshots).
OWN_KEY_KINDS = frozenset({"ebs", "ec2", "rds", "aurora"})


def key_policy(ctx: Context, account: Account, key: str) -> tuple[str, str]:
    """(key ARN, default key policy) of `key` in `account`."""
    kms = ctx.client(account, "kms")
    key_arn = str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
    return key_arn, str(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])


def check_backup_vault_key_policy(ctx: Context) -> Check:
    key_arn, document = key_policy(ctx, "backup", ctx.outputs.backup_vault_key_arn)
    return policy_check(
        ctx,
        "backup-vault-key-policy",
        "source account may use the backup vault key",
        document,
        principal="source",
        actions=DESTINATION_KEY_ACTIONS,
        resource=key_arn,
        principal_arn=None,
        fix=f"add the source account {ctx.settings.source.account_id} to the backup vault "
        "key's policy: kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, "
        "kms:DescribeKey (`pulumi up` restores the key policy)",
    )


def check_source_vault_key_policy(ctx: Context) -> Check:
    key_arn, document = key_policy(ctx, "source", ctx.outputs.source_vault_key_arn)
    check = policy_check(
        ctx,
        "source-vault-key-policy",
        "backup account may use the source vault key",
        document,
        principal="backup",
        actions=SOURCE_KEY_ACTIONS,
        resource=key_arn,
        principal_arn=None,
        fix=f"add the backup account {ctx.settings.backup.account_id} to the source vault "
        "key's policy: kms:DescribeKey, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, "
        "kms:CreateGrant (`pulumi up`)",
    )
    resource = ctx.resource
    if check.failed and resource is not None and resource.kind in OWN_KEY_KINDS:
        # Snapshots keep the resource's own key: this key matters for other types only.
        return Check(
            check.id,
            check.title,
            "warn",
            f"{check.detail} (not needed for {resource.kind} snapshots, needed for S3, EFS, "
            "DynamoDB)",
            check.fix,
        )
    return check
