"""Checks `backup-vault-policy` and `source-vault-policy`: each vault lets the other account in.

The live access policy (backup:GetBackupVaultAccessPolicy) is judged by the pack's evaluator.
A vault that does not exist is `backup-vault`'s finding: here it is `skip`, not "no policy".
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from tools.verify.aws_session import Account, error_code
from tools.verify.diagnose.model import Check, Context, Skip, policy_check


def vault_policy(ctx: Context, account: Account, vault_name: str) -> str | None:
    """The vault's access policy document; None when it has none."""
    backup = ctx.client(account, "backup")
    try:
        return str(backup.get_backup_vault_access_policy(BackupVaultName=vault_name)["Policy"])
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def check_backup_vault_policy(ctx: Context) -> Check:
    title = "source account may copy in"
    vault = ctx.outputs.backup_vault
    document = vault_policy(ctx, "backup", vault.name)
    if document is None:
        if ctx.backup_vault_missing:
            raise Skip(f"{vault.name} does not exist (see backup-vault)")
        return Check(
            "backup-vault-policy",
            title,
            "fail",
            f"{vault.name} has no access policy: no other account may copy in",
            "`pulumi up` (the stack writes backup-vault-policy)",
        )
    return policy_check(
        ctx,
        "backup-vault-policy",
        title,
        document,
        principal="source",
        actions=("backup:CopyIntoBackupVault",),
        resource=vault.arn,
        principal_arn=ctx.outputs.backup_role_arn,
        fix="allow backup:CopyIntoBackupVault to the source account "
        f"{ctx.settings.source.account_id} in the backup vault's access policy "
        "(`pulumi up` restores it)",
    )


def check_source_vault_policy(ctx: Context) -> Check:
    title = "backup account may copy back"
    vault = ctx.outputs.source_vault
    document = vault_policy(ctx, "source", vault.name)
    if document is None:
        return Check(
            "source-vault-policy",
            title,
            "fail",
            f"{vault.name} has no access policy (or does not exist): the copies can never come "
            "back (cross-account restore does not exist)",
            "`pulumi up`",
        )
    return policy_check(
        ctx,
        "source-vault-policy",
        title,
        document,
        principal="backup",
        actions=("backup:CopyIntoBackupVault",),
        resource=vault.arn,
        principal_arn=None,
        fix="allow backup:CopyIntoBackupVault to the backup account "
        f"{ctx.settings.backup.account_id} in the source vault's access policy: "
        "the way back (`pulumi up` restores it)",
    )
