"""Check `backup-vault`: the backup vault exists, on a customer managed key, the stack's key."""

from __future__ import annotations

from tools.verify.diagnose.model import Check, Context, key_id

TITLE = "backup vault on its customer managed key"


def check_backup_vault(ctx: Context) -> Check:
    """backup:DescribeBackupVault and kms:DescribeKey in the backup account."""
    vault_name = ctx.outputs.backup_vault.name
    if vault_name == "Default":
        return Check(
            "backup-vault",
            TITLE,
            "fail",
            "the destination is the Default vault (key aws/backup: can't be shared)",
            "copy into the stack's own vault: check backupVaultArn",
        )
    vault = ctx.backup_vault()
    if vault is None:
        return Check(
            "backup-vault",
            TITLE,
            "fail",
            f"{ctx.outputs.backup_vault.arn} does not exist",
            "`pulumi up` the stack (or the outputs are stale)",
        )
    key_arn = str(vault.get("EncryptionKeyArn", ""))
    kms = ctx.client("backup", "kms")
    meta = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    if meta.get("KeyManager") != "CUSTOMER":
        return Check(
            "backup-vault",
            TITLE,
            "fail",
            f"the vault's key {key_arn} is AWS managed: copies can't be "
            "re-encrypted with it across accounts",
            "recreate the vault on a customer managed key (`pulumi up`)",
        )
    if key_id(key_arn) != key_id(ctx.outputs.backup_vault_key_arn):
        return Check(
            "backup-vault",
            TITLE,
            "fail",
            f"the vault's key is {key_arn}, the stack output backupVaultKeyArn is "
            f"{ctx.outputs.backup_vault_key_arn}",
            "`pulumi refresh` then `pulumi up`: the vault drifted from the stack",
        )
    return Check(
        "backup-vault",
        TITLE,
        "pass",
        f"{vault_name} encrypted with customer managed key {key_id(key_arn)}",
    )
