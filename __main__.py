"""cross-account-backup: reads and validates the stack config, builds one provider per account,
creates the `CrossAccountBackup` component and exports its outputs. Nothing else.

Bad configuration raises `ConfigError` before any resource, provider included, is registered.
"""

from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.backup import CrossAccountBackup, CrossAccountBackupArgs
from components.config import (
    KNOWN_KEYS,
    NAMESPACE,
    ConfigError,
    is_near_miss_namespace,
    parse_settings,
)
from components.providers import (
    BACKUP_PROVIDER,
    copy_job_regions,
    management_provider_name,
    provider_args,
    single_form_name,
    source_provider_name,
)


def read_config() -> dict[str, Any]:
    """The decoded values of the project's config keys, refusing keys the program doesn't know."""
    config = pulumi.Config(NAMESPACE)
    prefix = f"{NAMESPACE}:"
    # Every key set for the stack, so that a typo (`backupplan`) is an error, not a default.
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    for full_key in present:
        key = full_key.removeprefix(prefix)
        if full_key.startswith(prefix) and key not in KNOWN_KEYS:
            raise ConfigError(
                key, present[full_key], f"unknown key; valid keys: {', '.join(KNOWN_KEYS)}"
            )
        namespace, _, rest = full_key.partition(":")
        if is_near_miss_namespace(namespace):
            raise ConfigError(
                full_key,
                present[full_key],
                f"the namespace {namespace!r} is not this project's: the setting would be "
                f"silently lost. Did you mean {NAMESPACE}:{rest}?",
            )
    raw: dict[str, Any] = {}
    for key in KNOWN_KEYS:
        text = config.get(key)
        # The CLI turns `key: null` in a stack file into "" (pkg/workspace/loaders.go
        # `checkForEmptyConfig`, with a warning): an empty value is an unset key.
        if text is None or text == "":
            continue
        if key == "notificationEmail":
            raw[key] = text
            continue
        try:
            raw[key] = config.get_object(key)
        except Exception as error:  # a value that is not JSON/YAML structure
            raise ConfigError(key, text, f"must be an object: {error}") from error
    return raw


settings = parse_settings(read_config(), project=pulumi.get_project(), stack=pulumi.get_stack())


def _source_provider_opts(account_id: str) -> pulumi.ResourceOptions | None:
    # The first of `sourceAccounts` keeps the provider URN of `sourceAccount` (`source-account`):
    # a provider's identity changing would touch every resource it deploys.
    name = source_provider_name(settings, account_id)
    old = single_form_name(settings, account_id, name)
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)]) if old else None


source_providers = {
    account.account_id: aws.Provider(
        source_provider_name(settings, account.account_id),
        provider_args(account, settings, "source"),
        opts=_source_provider_opts(account.account_id),
    )
    for account in settings.source_accounts
}
backup_provider = aws.Provider(BACKUP_PROVIDER, provider_args(settings.backup, settings, "backup"))
# Cross-account backup is a regional setting of the organization: one management-account
# provider per region where copy jobs start, each pinned to the management account.
management_providers = (
    {
        region: aws.Provider(
            management_provider_name(settings, region),
            provider_args(settings.management, settings, "management", region=region),
        )
        for region in copy_job_regions(settings)
    }
    if settings.management is not None
    else {}
)

backup = CrossAccountBackup(
    "cross-account",
    CrossAccountBackupArgs(
        settings=settings,
        source_providers=source_providers,
        backup_provider=backup_provider,
        management_providers=management_providers,
    ),
)

pulumi.export("sourceVaultArn", backup.source_vault_arn)
pulumi.export("sourceVaultKeyArn", backup.source_vault_key_arn)
pulumi.export("backupVaultArn", backup.backup_vault_arn)
pulumi.export("backupVaultKeyArn", backup.backup_vault_key_arn)
pulumi.export("backupPlanId", backup.backup_plan_id)
pulumi.export("backupRoleArn", backup.backup_role_arn)
pulumi.export("notificationTopicArn", backup.notification_topic_arn)
# Issue 12: every source's outputs keyed by account id (the ones above are the first source's),
# and the central vault of each destination region.
pulumi.export(
    "sources",
    {
        account_id: {
            "sourceVaultArn": out.vault_arn,
            "sourceVaultKeyArn": out.vault_key_arn,
            "backupPlanId": out.plan_id,
            "backupRoleArn": out.role_arn,
            "notificationTopicArn": out.topic_arn,
        }
        for account_id, out in backup.sources.items()
    },
)
pulumi.export("backupVaultArns", backup.backup_vault_arns)
