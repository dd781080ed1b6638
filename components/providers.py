"""Provider arguments for each account: assume a role in it, and refuse any other account.

Typed `aws.ProviderAssumeRoleArgs`, never dict literals (a dict's `role_arn` stays snake_case and
fails at deploy time, pulumi-aws #5271). `allowed_account_ids` makes the provider fail before
touching anything if the role lands in another account than the one configured.
"""

from __future__ import annotations

import pulumi
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


def single_form_name(settings: StackSettings, account_id: str, name: str) -> str | None:
    """The name `name` had when the stack used `sourceAccount`, if it is a resource of the first
    of `sourceAccounts` (else None).

    A single-source stack names its source's resources and provider without the account
    (`cross-account-plan`, `source-account`); the list form puts `-<accountId>` in
    (`cross-account-<accountId>-plan`, `source-account-<accountId>`). Moving a stack from
    `sourceAccount` to `sourceAccounts` with its account first must not replace them: the first
    entry's resources alias their single-form names. Only the first: two resources must never
    alias one URN, and only one account can have been the single source.
    """
    segment = f"-{account_id}"
    if not settings.many_sources or settings.source_accounts[0].account_id != account_id:
        return None
    if segment not in name:
        return None
    return name.replace(segment, "", 1)


def single_form_aliases(
    settings: StackSettings, account_id: str
) -> list[pulumi.ResourceTransformation]:
    """A transformation for the resource options of a source's children that adds, to the first
    source of `sourceAccounts`, the alias to its single-form name (`single_form_name`).

    `pulumi.Alias(name=...)`: the fields left out (type, parent, stack, project) are the
    resource's own, so the alias names the same parent, the component (pulumi docs, resource
    options, "aliases").
    """
    if single_form_name(settings, account_id, f"-{account_id}") is None:
        return []

    def alias(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        old = single_form_name(settings, account_id, args.name)
        if old is None:
            return pulumi.ResourceTransformationResult(args.props, args.opts)
        extra = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)])
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, extra)
        )

    return [alias]


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
