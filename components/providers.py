"""Provider arguments for each account: assume a role in it, and refuse any other account.

Typed `aws.ProviderAssumeRoleArgs`, never dict literals (a dict's `role_arn` stays snake_case and
fails at deploy time, pulumi-aws #5271). `allowed_account_ids` makes the provider fail before
touching anything if the role lands in another account than the one configured.
"""

from __future__ import annotations

import pulumi_aws as aws

from components.config import AccountSettings, StackSettings

#: The logical names of the providers: part of every resource's identity, never rename them.
SOURCE_PROVIDER = "source-account"
BACKUP_PROVIDER = "backup-account"
MANAGEMENT_PROVIDER = "management-account"


def copy_job_regions(settings: StackSettings) -> list[str]:
    """The regions where copy jobs start: the source regions (copies out) and the backup region
    (copies back), each once, in that order."""
    return list(
        dict.fromkeys([*(a.region for a in settings.source_accounts), settings.backup.region])
    )


def source_provider_name(settings: StackSettings, account_id: str) -> str:
    """The provider of a source account: `source-account` for `sourceAccount` (the name it
    always had), `source-account-<accountId>` for each of `sourceAccounts` (never an index:
    adding an account renames no provider, and a provider's name is part of the identity of
    every resource it deploys)."""
    return f"{SOURCE_PROVIDER}-{account_id}" if settings.many_sources else SOURCE_PROVIDER


def management_provider_name(settings: StackSettings, region: str) -> str:
    """The management account's provider for `region`. The provider in the configured
    `managementAccount.region` keeps the name it always had; other regions get a suffix."""
    assert settings.management is not None
    if region == settings.management.region:
        return MANAGEMENT_PROVIDER
    return f"{MANAGEMENT_PROVIDER}-{region}"


def provider_args(
    account: AccountSettings, settings: StackSettings, role: str, *, region: str | None = None
) -> aws.ProviderArgs:
    """Arguments of the provider that deploys to `account` (`role`: source, backup, management),
    in the account's region unless `region` says another."""
    return aws.ProviderArgs(
        region=region or account.region,
        allowed_account_ids=[account.account_id],
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=account.role_arn,
                session_name=account.session_name,
                external_id=account.external_id,
            )
        ],
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={
                "ManagedBy": "pulumi",
                "PulumiProject": settings.project,
                "PulumiStack": settings.stack,
                "CrossAccountBackupRole": role,
            }
        ),
    )
