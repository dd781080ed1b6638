"""What the component's builders share: a vault on its own key, an AWS Backup service role,
the protection of what holds the copies.

`AccountBuilder` is a mixin of `CrossAccountBackup` (the backup account, the management
account, the recovery site) and `SourceSide` (one source account, `components.source_side`).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import documents
from components.config import AccountSettings, StackSettings

#: KMS waits this long before deleting a scheduled key; the maximum AWS allows, so that a
#: mistaken deletion of the key that encrypts the copies can be cancelled.
KEY_DELETION_WINDOW_DAYS = 30


class AccountBuilder:
    """Holds the logical-name prefix, the settings and the options of the accounts."""

    _name: str
    """The prefix of every child's logical name (`cross-account`, `cross-account-<account>`)."""
    _settings: StackSettings
    """The settings as this builder sees them (a source's: its account, plan and selection)."""
    _source: pulumi.ResourceOptions
    _backup: pulumi.ResourceOptions
    _other_sources: tuple[AccountSettings, ...] = ()
    """Source accounts besides `_settings.source` whose vault keys a backup-account role uses
    (the copy-back role of a many-source stack)."""

    def _create_vault(
        self,
        role: str,
        *,
        vault_name: str,
        key_description: str,
        key_policy: documents.PolicyDocument,
        access_policy: documents.PolicyDocument,
        opts: pulumi.ResourceOptions,
    ) -> tuple[aws.backup.Vault, aws.kms.Key]:
        """A vault on its own customer managed key, with its access policy (never `Default`)."""
        key = aws.kms.Key(
            f"{self._name}-{role}-key",
            description=key_description,
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=documents.to_json(key_policy),
            opts=self._protected(opts),
        )
        # The service roles reach the key through this alias (`kms:ResourceAliases`).
        aws.kms.Alias(
            f"{self._name}-{role}-key-alias",
            name=f"alias/{vault_name}",
            target_key_id=key.key_id,
            opts=self._protected(opts),
        )
        vault = aws.backup.Vault(
            f"{self._name}-{role}",
            name=vault_name,
            kms_key_arn=key.arn,
            force_destroy=False,
            opts=self._protected(opts),
        )
        # The Deny on DeleteRecoveryPoint protects the copies: protected like the vault, so
        # `pulumi destroy --exclude-protected` or a refactor can't strip it.
        aws.backup.VaultPolicy(
            f"{self._name}-{role}-policy",
            # The plain name, not `vault.name`: known at preview so the pack can link them.
            backup_vault_name=vault_name,
            policy=documents.to_json(access_policy),
            opts=pulumi.ResourceOptions.merge(
                self._protected(opts), pulumi.ResourceOptions(depends_on=[vault])
            ),
        )
        return vault, key

    def _create_backup_service_linked_role(
        self, side: str, account: AccountSettings, opts: pulumi.ResourceOptions
    ) -> None:
        """`AWSServiceRoleForBackup` in `account` (`side`: backup or source), unless its
        `createServiceLinkedRole` is false; retained on delete (the account's other AWS Backup
        features use it). Why both accounts need it:
        `CrossAccountBackup._create_service_linked_role`.
        """
        if not account.create_service_linked_role:
            return
        aws.iam.ServiceLinkedRole(
            f"{self._name}-{side}-account-service-linked-role",
            aws_service_name=documents.BACKUP_SERVICE_PRINCIPAL,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(retain_on_delete=True)),
        )

    def _create_service_role(
        self,
        role_name: str,
        physical_name: str,
        description: str,
        account: AccountSettings,
        managed_policies: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> aws.iam.Role:
        s = self._settings
        role = aws.iam.Role(
            f"{self._name}-{role_name}",
            name=physical_name,
            description=description,
            assume_role_policy=documents.to_json(documents.backup_service_trust_policy()),
            opts=opts,
        )
        # Cross-account KMS needs the caller's IAM policy as well as the key policy.
        aws.iam.RolePolicy(
            f"{self._name}-{role_name}-vault-keys",
            role=role.name,
            policy=documents.to_json(
                documents.backup_role_key_policy(
                    source=s.source,
                    backup=s.backup,
                    source_alias=f"alias/{s.source_vault_name}",
                    backup_alias=f"alias/{s.backup_vault_name}",
                    other_sources=self._other_sources,
                )
            ),
            opts=opts,
        )
        for suffix, policy in managed_policies.items():
            aws.iam.RolePolicyAttachment(
                f"{self._name}-{role_name}-{suffix}",
                role=role.name,
                policy_arn=f"arn:{account.partition}:iam::aws:policy/{policy}",
                opts=opts,
            )
        return role

    @staticmethod
    def _protected(opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
        """The options of what holds the copies: `pulumi destroy` must not take it along.

        `protect` makes destroy fail until someone unprotects on purpose; `retain_on_delete`
        leaves the cloud resource in place even then, so the copies outlive the stack.
        """
        return pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)
        )
