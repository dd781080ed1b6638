"""Checks on the resource itself (source account): `resource` (exists), `resource-tag`,
`resource-key` (its own key, for snapshot types: an AWS managed key is never copyable, a CMK
must let the backup account use it) and `dynamodb-advanced`. A missing resource is reported
once, by `resource`; the others are then `skip`."""

from __future__ import annotations

from backup_guard.rules import SOURCE_KEY_ACTIONS
from tools.verify.diagnose.keys import OWN_KEY_KINDS
from tools.verify.diagnose.model import Check, Context, judge

#: Resource kinds whose backups AWS Backup fully manages: encrypted with the source vault's key.
FULLY_MANAGED_KINDS = frozenset({"s3", "efs"})


def check_resource(ctx: Context) -> Check:
    info = ctx.resource_info()
    assert ctx.resource is not None
    encryption = {
        None: "encryption not inspected for this type",
        True: "encrypted",
        False: "not encrypted",
    }[info.encrypted]
    return Check(
        "resource",
        "resource exists",
        "pass",
        f"{ctx.resource.kind} {ctx.resource.resource_id}, {encryption}",
    )


def check_resource_tag(ctx: Context) -> Check:
    title = "resource carries the selection tag"
    info = ctx.resource_info()
    resource = ctx.resource
    assert resource is not None
    key, value = ctx.settings.selection_tag_key, ctx.settings.selection_tag_value
    fix = (
        f"tag it: aws resourcegroupstaggingapi tag-resources --resource-arn-list "
        f"{resource.arn} --tags {key}={value}"
    )
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


def check_resource_key(ctx: Context) -> Check:
    title = "resource key usable by the backup account"
    assert ctx.resource is not None
    kind = ctx.resource.kind
    if kind not in OWN_KEY_KINDS:
        return Check(
            "resource-key",
            title,
            "pass",
            f"{kind} backups are encrypted with the source vault key (see source-vault-key-policy)"
            if kind in FULLY_MANAGED_KINDS or kind == "dynamodb"
            else f"{kind}: the resource's key is not inspected",
        )
    info = ctx.resource_info()
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
    kms = ctx.client("source", "kms")
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
        backup_id = ctx.settings.backup.account_id
        _, denied, uncertain = judge(
            document,
            principal_account=backup_id,
            actions=SOURCE_KEY_ACTIONS,
            resource=meta["Arn"],
            principal_arn=None,
            context=ctx.request_context(backup_id, meta["Arn"]),
            org_id=ctx.org_id,
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
            f"the backup account {ctx.settings.backup.account_id} is refused "
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


def check_dynamodb_advanced(ctx: Context) -> Check:
    title = "DynamoDB advanced backup on"
    backup = ctx.client("source", "backup")
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
