"""Checks `plan`, `selection`, `notifications`: the source account's plan copies into the backup
vault, selects the tag with the backup role, and the source vault notifies copy failures."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tools.verify.aws_session import error_code
from tools.verify.diagnose.model import Check, Context

COPY_EVENTS = ("COPY_JOB_FAILED", "BACKUP_JOB_COMPLETED")


def check_plan(ctx: Context) -> Check:
    title = "plan copies into the backup vault"
    backup = ctx.client("source", "backup")
    plan = backup.get_backup_plan(BackupPlanId=ctx.outputs.backup_plan_id)["BackupPlan"]
    target = ctx.outputs.backup_vault.arn
    for rule in plan.get("Rules", []):
        for action in rule.get("CopyActions", []):
            if action.get("DestinationBackupVaultArn") != target:
                continue
            name = rule.get("RuleName", "?")
            if rule.get("TargetBackupVaultName") != ctx.outputs.source_vault.name:
                return Check(
                    "plan",
                    title,
                    "fail",
                    f"rule {name} backs up into {rule.get('TargetBackupVaultName')}"
                    f", not the source vault {ctx.outputs.source_vault.name}",
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
            if int(delete_after) != ctx.settings.copy_retention_days:
                return Check(
                    "plan",
                    title,
                    "warn",
                    f"rule {name} keeps copies {delete_after} days, the config says "
                    f"{ctx.settings.copy_retention_days}",
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
        f"plan {ctx.outputs.backup_plan_id} has no rule copying into {target}",
        "`pulumi up` (the stack's plan rule has the copy action)",
    )


def check_selection(ctx: Context) -> Check:
    title = "selection on the tag with the backup role"
    backup = ctx.client("source", "backup")
    plan_id = ctx.outputs.backup_plan_id
    key, value = ctx.settings.selection_tag_key, ctx.settings.selection_tag_value
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
            if selection.get("IamRoleArn") != ctx.outputs.backup_role_arn:
                return Check(
                    "selection",
                    title,
                    "fail",
                    f"selection {selection.get('SelectionName')} uses role "
                    f"{selection.get('IamRoleArn')}, not {ctx.outputs.backup_role_arn}",
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


def check_notifications(ctx: Context) -> Check:
    title = "copy failures are notified"
    backup = ctx.client("source", "backup")
    try:
        found = backup.get_backup_vault_notifications(BackupVaultName=ctx.outputs.source_vault.name)
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
