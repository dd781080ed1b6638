"""Check `cross-account-setting`: the organization's opt-in to cross-account backup is on."""

from __future__ import annotations

from tools.verify.diagnose.model import Check, Context

TITLE = "cross-account backup on"


def check_global_settings(ctx: Context) -> Check:
    """backup:DescribeGlobalSettings, which only the management account can read."""
    if not ctx.clients.has("management"):
        return Check(
            "cross-account-setting",
            TITLE,
            "skip",
            "no managementAccount in the stack config: only the management account "
            "can read the organization's setting",
            "set managementAccount to check it (a copy job failing with 'Cross-"
            "account copy feature is not enabled' means it is off)",
        )
    backup = ctx.client("management", "backup")
    settings = backup.describe_global_settings().get("GlobalSettings", {})
    value = str(settings.get("isCrossAccountBackupEnabled", "false")).lower()
    if value != "true":
        return Check(
            "cross-account-setting",
            TITLE,
            "fail",
            f"isCrossAccountBackupEnabled = {value}",
            "`pulumi up` with managementAccount set, or from the management account "
            "`aws backup update-global-settings --global-settings "
            "isCrossAccountBackupEnabled=true`",
        )
    return Check("cross-account-setting", TITLE, "pass", "isCrossAccountBackupEnabled = true")
