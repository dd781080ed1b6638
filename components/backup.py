"""`CrossAccountBackup`: both sides of a cross-account AWS Backup setup in one component.

Source accounts (one or many, `components.source_side`): a local vault on its own customer
managed key, the AWS Backup service role, a backup plan whose rules copy every recovery point into
the backup account, a selection and failure notifications. Backup account: one vault on a
customer managed key that every source account may copy into and nobody may delete from,
optionally under Vault Lock. Management account (optional): the organization's cross-account
backup switch.

Every child is pinned to its account's provider with `provider=`: with several AWS providers,
`providers=` would let one of them silently win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pulumi
import pulumi_aws as aws

from components import documents, recovery
from components.builders import KEY_DELETION_WINDOW_DAYS, AccountBuilder
from components.config import StackSettings
from components.providers import single_form_aliases
from components.source_side import BACKUP_ROLE_POLICIES, SourceOutputs, SourceSide

__all__ = [
    "BACKUP_ROLE_POLICIES",
    "COPY_BACK_POLICIES",
    "KEY_DELETION_WINDOW_DAYS",
    "TYPE_TOKEN",
    "UNMANAGED_FLAGS",
    "CrossAccountBackup",
    "CrossAccountBackupArgs",
    "source_resource_prefix",
]

TYPE_TOKEN = "cross-account-backup:index:CrossAccountBackup"

#: The copy-back role copies, it does not restore.
COPY_BACK_POLICIES = ("backup", "s3-backup")

#: Organization-wide AWS Backup settings this program must not change.
UNMANAGED_FLAGS = ("isMpaEnabled", "isDelegatedAdministratorEnabled")


def source_resource_prefix(name: str, settings: StackSettings, account_id: str) -> str:
    """The logical-name prefix of a source's children: the component's name for `sourceAccount`
    (the names a single-source stack always had), `<name>-<accountId>` with `sourceAccounts`
    (never a list index: adding a source renames nothing)."""
    return f"{name}-{account_id}" if settings.many_sources else name


@dataclass(frozen=True, kw_only=True)
class CrossAccountBackupArgs:
    """What the component needs: validated settings and one provider per account."""

    settings: StackSettings
    """The validated stack configuration (accounts, plan, selection, lock, notifications)."""
    source_providers: Mapping[str, aws.Provider]
    """Providers of the source (workload) accounts, keyed by account id: plan, selection, role,
    local vault, topic of each."""
    backup_provider: aws.Provider
    """Provider of the isolated backup account: the vault that receives the copies and its key."""
    management_providers: Mapping[str, aws.Provider] = field(default_factory=dict)
    """Providers of the organization's management account, one per region where copy jobs
    start (each source region, and the backup region for the way back), keyed by region. When
    set, cross-account backup is turned on for the organization in each of those regions."""


class CrossAccountBackup(pulumi.ComponentResource, AccountBuilder):
    """Backups of workload accounts copied into an isolated backup account."""

    source_vault_arn: pulumi.Output[str]
    source_vault_key_arn: pulumi.Output[str]
    backup_vault_arn: pulumi.Output[str]
    backup_vault_key_arn: pulumi.Output[str]
    backup_plan_id: pulumi.Output[str]
    backup_role_arn: pulumi.Output[str]
    notification_topic_arn: pulumi.Output[str]
    sources: dict[str, SourceOutputs]
    """Each source's outputs, keyed by account id, in the order configured."""
    backup_vault_arns: dict[str, pulumi.Output[str]]
    """The central vault of each destination region (one: `backupAccount.region`)."""

    def __init__(
        self, name: str, args: CrossAccountBackupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        s = args.settings
        self._name = name
        self._settings = s
        self._backup = pulumi.ResourceOptions(parent=self, provider=args.backup_provider)
        first = s.all_sources[0]
        # Backup-account roles (copy back, restore tests) use the vault keys of every source.
        self._other_sources = tuple(a for a in s.source_accounts[1:])
        self._source = self._source_opts(args, first.account.account_id)

        self._now = datetime.now(UTC)

        for region, provider in args.management_providers.items():
            self._create_global_settings(
                region, pulumi.ResourceOptions(parent=self, provider=provider)
            )
        backup_vault, backup_key = self._create_backup_side()
        self._create_copy_back_role()
        self._create_service_linked_role()
        self.sources = {}
        for source in s.all_sources:
            account_id = source.account.account_id
            side = SourceSide(
                source_resource_prefix(name, s, account_id),
                s.for_source(source),
                source_opts=self._source_opts(args, account_id),
                backup_opts=self._backup,
            )
            self.sources[account_id] = side.build(backup_vault)
        alert_topic = self._create_protection_alerts()
        self._create_recovery_site(args, backup_vault, alert_topic)

        main = self.sources[first.account.account_id]
        self.source_vault_arn = main.vault_arn
        self.source_vault_key_arn = main.vault_key_arn
        self.backup_vault_arn = backup_vault.arn
        self.backup_vault_arns = {s.backup.region: backup_vault.arn}
        # An air-gapped vault's key is AWS-owned: the vault reports its ARN.
        self.backup_vault_key_arn = (
            backup_key.arn if backup_key is not None else backup_vault.encryption_key_arn  # type: ignore[union-attr]
        )
        self.backup_plan_id = main.plan_id
        self.backup_role_arn = main.role_arn
        self.notification_topic_arn = main.topic_arn
        self.register_outputs(
            {
                "sourceVaultArn": self.source_vault_arn,
                "sourceVaultKeyArn": self.source_vault_key_arn,
                "backupVaultArn": self.backup_vault_arn,
                "backupVaultKeyArn": self.backup_vault_key_arn,
                "backupPlanId": self.backup_plan_id,
                "backupRoleArn": self.backup_role_arn,
                "notificationTopicArn": self.notification_topic_arn,
            }
        )

    def _source_opts(self, args: CrossAccountBackupArgs, account_id: str) -> pulumi.ResourceOptions:
        # The first of `sourceAccounts` keeps the identity its resources had under
        # `sourceAccount` (aliases to their single-form names: `single_form_aliases`).
        return pulumi.ResourceOptions(
            parent=self,
            provider=args.source_providers[account_id],
            transformations=single_form_aliases(self._settings, account_id),
        )

    # --- management account ----------------------------------------------------------------

    def _create_global_settings(self, region: str, opts: pulumi.ResourceOptions) -> None:
        # Copy jobs between accounts fail with "Cross-account copy feature is not enabled for the
        # current organization" until the management account turns this on. UpdateGlobalSettings
        # acts on the region of the call (API reference: "a value for
        # isCrossAccountBackupEnabled and a Region"), so one resource per region where copy jobs
        # start. Only that flag is ours: the organization's other settings (multi-party
        # approval, delegated administrator) are left as they are, and their drift is ignored
        # instead of being forced to "false" (the perpetual diff of terraform-provider-aws
        # #43514). Destroying the stack must not switch cross-account backup off for every
        # account of the organization: retained.
        management = self._settings.management
        assert management is not None
        # The management account's own region keeps the name of the first (single) resource.
        suffix = "" if region == management.region else f"-{region}"
        aws.backup.GlobalSettings(
            f"{self._name}-global-settings{suffix}",
            global_settings={"isCrossAccountBackupEnabled": "true"},
            opts=pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    retain_on_delete=True,
                    ignore_changes=[f'globalSettings["{flag}"]' for flag in UNMANAGED_FLAGS],
                ),
            ),
        )

    # --- backup account --------------------------------------------------------------------

    def _create_backup_side(
        self,
    ) -> tuple[aws.backup.Vault | aws.backup.LogicallyAirGappedVault, aws.kms.Key | None]:
        s = self._settings
        if recovery.recovery_of(s).vault.air_gapped:
            # Issue 14: an AWS-owned key, its lock built in (components.recovery).
            return recovery.create_air_gapped_vault(self._name, s, self._backup), None
        # The copies are re-encrypted with this key: it must be customer managed (the aws/backup
        # key can't be shared) and the source account must be able to use it.
        vault, key = self._create_vault(
            "backup-vault",
            vault_name=s.backup_vault_name,
            key_description=f"Encrypts the cross-account backup copies of "
            f"{', '.join(a.account_id for a in s.source_accounts)} ({s.name_prefix})",
            key_policy=documents.backup_vault_key_policy(backup=s.backup, **documents.grantees(s)),
            access_policy=documents.backup_vault_access_policy(
                backup=s.backup, **documents.grantees(s)
            ),
            opts=self._backup,
        )
        if s.vault_lock is not None:
            self._create_vault_lock(vault)
        return vault, key

    def _create_vault_lock(self, vault: aws.backup.Vault) -> None:
        """Vault Lock of the backup vault, editable through `pulumi up` while AWS allows it.

        Compliance mode becomes immutable at its lock date (`changeable_for_days` after the
        Put): the copies then outlive even a compromised backup account. Governance mode omits
        that field.

        Every argument of the provider's lock resource forces a replacement
        (terraform-provider-aws vault_lock_configuration.go: all ForceNew, no Update), its
        Create is PutBackupVaultLockConfiguration and its Delete is
        DeleteBackupVaultLockConfiguration. A second Put on a vault changes its lock while the
        lock date has not passed (API PutBackupVaultLockConfiguration, ChangeableForDays). So:
        - `retain_on_delete`, not `protect`: a replacement creates first (a new Put: the lock
          changes in place) and then "deletes" the old resource, which only drops it from the
          state; the Delete call that would lift the lock is never made, by an edit, a
          refactor or `pulumi destroy`.
        - `delete_before_replace` stays off: if AWS refuses the new Put, the old lock is still
          on the vault and still in the state.
        - Once the lock date has passed (`vaultLock.lockDate`), AWS refuses every change, so
          the lock is protected as well: the engine then refuses any replacement or deletion
          at preview, before anything changes, instead of a failed Put half-way through `up`.
        """
        s = self._settings
        lock = s.vault_lock
        assert lock is not None
        immutable = lock.immutable_at(self._now)
        aws.backup.VaultLockConfiguration(
            f"{self._name}-backup-vault-lock",
            backup_vault_name=s.backup_vault_name,
            min_retention_days=lock.min_retention_days,
            max_retention_days=lock.max_retention_days,
            changeable_for_days=lock.changeable_for_days if lock.mode == "compliance" else None,
            opts=pulumi.ResourceOptions.merge(
                self._backup,
                pulumi.ResourceOptions(
                    retain_on_delete=True,
                    protect=immutable,
                    delete_before_replace=False,
                    depends_on=[vault],
                ),
            ),
        )

    def _create_copy_back_role(self) -> aws.iam.Role:
        """The role AWS Backup assumes in the backup account for the way back.

        Cross-account restore does not exist: a recovery point is copied from the backup vault
        into the source vault (a copy job started in the backup account, with this role), then
        restored there.
        """
        return self._create_service_role(
            "copy-back-role",
            f"{self._settings.name_prefix}-copy-back",
            "Assumed by AWS Backup to copy recovery points back into the source account",
            self._settings.backup,
            {k: v for k, v in BACKUP_ROLE_POLICIES.items() if k in COPY_BACK_POLICIES},
            self._backup,
        )

    def _create_protection_alerts(self) -> aws.sns.Topic:
        """An alert in the backup account whenever the deploy role's exception is used.

        The key and vault policies deny key deletion, disabling, a new key policy, a new vault
        policy and the removal of the lock to everyone but the deploy role: that exception is a
        bypass, and someone must hear of its use (and of any attempt). The topic is in the
        backup account, beside what it watches, so a compromised source account can't mute it.
        """
        s = self._settings
        rule_name = f"{s.name_prefix}-protection-changes"
        topic_name = f"{s.name_prefix}-protection-alerts"
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-protection-alerts-rule",
            name=rule_name,
            description="Deletion, disabling or new policies of the backup vault's key, a new "
            "vault policy or the removal of its lock",
            event_pattern=documents.to_json(documents.protection_event_pattern()),
            opts=self._backup,
        )
        topic = aws.sns.Topic(f"{self._name}-protection-alerts", name=topic_name, opts=self._backup)
        topic_policy = aws.sns.TopicPolicy(
            f"{self._name}-protection-alerts-policy",
            arn=topic.arn,
            policy=documents.to_json(
                documents.alert_topic_policy(
                    topic_arn=documents.topic_arn(s.backup, topic_name),
                    rule_arn=documents.event_rule_arn(s.backup, rule_name),
                    owner=s.backup,
                    # Issue 14: restore test results reach the same topic.
                    also_rule_arns=[
                        documents.event_rule_arn(s.backup, recovery.restore_rule_name(s))
                    ]
                    if recovery.recovery_of(s).restore_testing is not None
                    else [],
                )
            ),
            opts=self._backup,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-protection-alerts-target",
            rule=rule.name,
            arn=topic.arn,
            opts=pulumi.ResourceOptions.merge(
                self._backup, pulumi.ResourceOptions(depends_on=[topic_policy])
            ),
        )
        if s.notification_email is not None:
            aws.sns.TopicSubscription(
                f"{self._name}-protection-alerts-email",
                topic=topic.arn,
                protocol="email",
                endpoint=s.notification_email,
                opts=self._backup,
            )
        return topic

    def _create_service_linked_role(self) -> None:
        """`AWSServiceRoleForBackup` where copies arrive: the backup account (copies) and the
        source account (the way back).

        The destination account pulls a cross-account copy with this service-linked role, and
        AWS creates it only when cross-account management or EFS automatic backup is set up
        (AWS Backup guide, "Service-linked roles"): a fresh isolated account lacks it and every
        copy fails. IAM refuses a second one ("has been taken in this account"), so
        `createServiceLinkedRole: false` skips an account where it exists already. Retained on
        delete: other AWS Backup features of the account use the same role.
        """
        self._create_backup_service_linked_role("backup", self._settings.backup, self._backup)

    # --- recovery site (issue 14) ------------------------------------------------------------

    def _create_recovery_site(
        self,
        args: CrossAccountBackupArgs,
        backup_vault: aws.backup.Vault | aws.backup.LogicallyAirGappedVault,
        alert_topic: aws.sns.Topic,
    ) -> None:
        """Restore tests in the backup account and Backup Audit Manager (components.recovery)."""
        s = self._settings
        options = recovery.recovery_of(s)
        if options.restore_testing is not None:
            role = self._create_service_role(
                "restore-testing-role",
                f"{s.name_prefix}-restore-testing",
                "Assumed by AWS Backup to run the restore tests of the copies",
                s.backup,
                recovery.RESTORE_TEST_POLICIES,
                self._backup,
            )
            recovery.create_restore_testing(self._name, s, role, backup_vault, self._backup)
            recovery.create_restore_alerts(self._name, s, alert_topic, self._backup)
        if options.audit is not None:
            # A framework and a report plan in every source account (named after the account
            # with `sourceAccounts`, like the source's other children).
            recovery.create_audit(
                self._name,
                s,
                sources=[
                    (
                        f"source-{src.account.account_id}" if s.many_sources else "source",
                        s.for_source(src),
                        self._source_opts(args, src.account.account_id),
                    )
                    for src in s.all_sources
                ],
                backup_opts=self._backup,
            )
