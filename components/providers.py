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


def provider_args(account: AccountSettings, settings: StackSettings, role: str) -> aws.ProviderArgs:
    """Arguments of the provider that deploys to `account` (`role`: source, backup, management)."""
    return aws.ProviderArgs(
        region=account.region,
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
