"""Check `vault-lock`: the copy retention is inside the backup vault lock's min/max retention."""

from __future__ import annotations

from tools.verify.diagnose.model import Check, Context
from tools.verify.errors import days

TITLE = "copy retention within the vault lock"


def check_vault_lock(ctx: Context) -> Check:
    """backup:DescribeBackupVault (read once with `backup-vault`)."""
    vault = ctx.require_backup_vault()
    retention = ctx.settings.copy_retention_days
    if not vault.get("Locked"):
        if ctx.settings.vault_lock is not None:
            return Check(
                "vault-lock",
                TITLE,
                "warn",
                f"the stack config declares a {ctx.settings.vault_lock.mode} "
                "lock but the live vault is not locked",
                "`pulumi up` to apply backup-vault-lock",
            )
        return Check("vault-lock", TITLE, "pass", "the vault is not locked")
    low, high = vault.get("MinRetentionDays"), vault.get("MaxRetentionDays")
    lock_desc = f"locked, retention {low if low is not None else '-'}.." + (
        f"{high if high is not None else '-'} days"
        + (f", immutable since {vault['LockDate']}" if vault.get("LockDate") else "")
    )
    if (low is not None and retention < low) or (high is not None and retention > high):
        return Check(
            "vault-lock",
            TITLE,
            "fail",
            f"{lock_desc}; copyRetentionDays = {retention} is outside: every copy job "
            "fails ('retention ... not within the range')",
            f"set backupPlan.copyRetentionDays between {low} and {high}",
        )
    return Check("vault-lock", TITLE, "pass", f"{lock_desc}; copy retention {days(retention)}")
