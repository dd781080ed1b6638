"""`CrossAccountBackup`: both sides of a cross-account AWS Backup setup in one component.

Source account: a local vault on its own customer managed key, the AWS Backup service role, a
backup plan whose rule copies every recovery point into the backup account, a tag selection and
failure notifications. Backup account: a vault on a customer managed key that only the source
account may copy into and nobody may delete from, optionally under Vault Lock. Management
account (optional): the organization's cross-account backup switch.

Every child is pinned to its account's provider with `provider=`: with two AWS providers,
`providers=` would let one of them silently win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pulumi
import pulumi_aws as aws

from components import documents, recovery
from components.config import AccountSettings, RuleSettings, SelectionSettings, StackSettings

TYPE_TOKEN = "cross-account-backup:index:CrossAccountBackup"

#: AWS managed policies AWS Backup's own console role carries; the S3 ones let the same role
#: back up and restore tagged S3 buckets.
BACKUP_ROLE_POLICIES = {
    "backup": "service-role/AWSBackupServiceRolePolicyForBackup",
    "restores": "service-role/AWSBackupServiceRolePolicyForRestores",
    "s3-backup": "AWSBackupServiceRolePolicyForS3Backup",
    "s3-restore": "AWSBackupServiceRolePolicyForS3Restore",
}

#: The copy-back role copies, it does not restore.
COPY_BACK_POLICIES = ("backup", "s3-backup")

#: Organization-wide AWS Backup settings this program must not change.
UNMANAGED_FLAGS = ("isMpaEnabled", "isDelegatedAdministratorEnabled")

#: KMS waits this long before deleting a scheduled key; the maximum AWS allows, so that a
#: mistaken deletion of the key that encrypts the copies can be cancelled.
KEY_DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class CrossAccountBackupArgs:
    """What the component needs: validated settings and one provider per account."""

    settings: StackSettings
    """The validated stack configuration (accounts, plan, selection, lock, notifications)."""
    source_provider: aws.Provider
    """Provider of the source (workload) account: plan, selection, role, local vault, topic."""
    backup_provider: aws.Provider
    """Provider of the isolated backup account: the vault that receives the copies and its key."""
    management_providers: Mapping[str, aws.Provider] = field(default_factory=dict)
    """Providers of the organization's management account, one per region where copy jobs
    start (the source region, and the backup region for the way back), keyed by region. When
    set, cross-account backup is turned on for the organization in each of those regions."""


class CrossAccountBackup(pulumi.ComponentResource):
    """Backups of a workload account copied into an isolated backup account."""

    source_vault_arn: pulumi.Output[str]
    source_vault_key_arn: pulumi.Output[str]
    backup_vault_arn: pulumi.Output[str]
    backup_vault_key_arn: pulumi.Output[str]
    backup_plan_id: pulumi.Output[str]
    backup_role_arn: pulumi.Output[str]
    notification_topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: CrossAccountBackupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._settings = args.settings
        self._source = pulumi.ResourceOptions(parent=self, provider=args.source_provider)
        self._backup = pulumi.ResourceOptions(parent=self, provider=args.backup_provider)

        self._now = datetime.now(UTC)

        for region, provider in args.management_providers.items():
            self._create_global_settings(
                region, pulumi.ResourceOptions(parent=self, provider=provider)
            )
        backup_vault, backup_key = self._create_backup_side()
        source_vault, source_key = self._create_source_vault()
        role = self._create_backup_role()
        self._create_copy_back_role()
        self._create_service_linked_roles()
        plan = self._create_plan(source_vault, backup_vault)
        self._create_selection(plan, role)
        self._create_region_settings()
        topic = self._create_notifications(source_vault)
        alert_topic = self._create_protection_alerts()
        self._create_recovery_site(backup_vault, alert_topic)

        self.source_vault_arn = source_vault.arn
        self.source_vault_key_arn = source_key.arn
        self.backup_vault_arn = backup_vault.arn
        # An air-gapped vault's key is AWS-owned: the vault reports its ARN.
        self.backup_vault_key_arn = (
            backup_key.arn if backup_key is not None else backup_vault.encryption_key_arn  # type: ignore[union-attr]
        )
        self.backup_plan_id = plan.id
        self.backup_role_arn = role.arn
        self.notification_topic_arn = topic.arn
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
            f"{s.source.account_id} ({s.name_prefix})",
            key_policy=documents.backup_vault_key_policy(backup=s.backup, source=s.source),
            access_policy=documents.backup_vault_access_policy(source=s.source, backup=s.backup),
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

    # --- source account --------------------------------------------------------------------

    def _create_source_vault(self) -> tuple[aws.backup.Vault, aws.kms.Key]:
        s = self._settings
        # Fully managed resource types (S3, EFS, DynamoDB advanced backup) are encrypted in the
        # source vault with this key; the backup account reads it to copy them, and copies back
        # into this vault (the way back: its access policy lets the backup account in).
        return self._create_vault(
            "source-vault",
            vault_name=s.source_vault_name,
            key_description=f"Encrypts the local recovery points of {s.name_prefix}",
            key_policy=documents.source_vault_key_policy(source=s.source, backup=s.backup),
            access_policy=documents.source_vault_access_policy(backup=s.backup),
            opts=self._source,
        )

    # --- either account --------------------------------------------------------------------

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

    def _create_backup_role(self) -> aws.iam.Role:
        """The role AWS Backup assumes in the source account: backups, copies, restores."""
        return self._create_service_role(
            "backup-role",
            f"{self._settings.name_prefix}-backup",
            "Assumed by AWS Backup to back up, copy and restore the tagged resources",
            self._settings.source,
            BACKUP_ROLE_POLICIES,
            self._source,
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

    def _create_service_linked_roles(self) -> None:
        """`AWSServiceRoleForBackup` where copies arrive: the backup account (copies) and the
        source account (the way back).

        The destination account pulls a cross-account copy with this service-linked role, and
        AWS creates it only when cross-account management or EFS automatic backup is set up
        (AWS Backup guide, "Service-linked roles"): a fresh isolated account lacks it and every
        copy fails. IAM refuses a second one ("has been taken in this account"), so
        `createServiceLinkedRole: false` skips an account where it exists already. Retained on
        delete: other AWS Backup features of the account use the same role.
        """
        s = self._settings
        for role, account, opts in (
            ("backup-account", s.backup, self._backup),
            ("source-account", s.source, self._source),
        ):
            if not account.create_service_linked_role:
                continue
            aws.iam.ServiceLinkedRole(
                f"{self._name}-{role}-service-linked-role",
                aws_service_name=documents.BACKUP_SERVICE_PRINCIPAL,
                opts=pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(retain_on_delete=True)
                ),
            )

    def _create_plan(
        self,
        source_vault: aws.backup.Vault,
        backup_vault: aws.backup.Vault | aws.backup.LogicallyAirGappedVault,
    ) -> aws.backup.Plan:
        s = self._settings
        p = s.plan
        # The destination ARN is computed from account, region and name rather than taken from
        # `backup_vault.arn`, so the policy pack sees it at preview; `depends_on` keeps the order.
        return aws.backup.Plan(
            f"{self._name}-plan",
            name=f"{s.name_prefix}-plan",
            rules=[self._plan_rule(rule) for rule in p.effective_rules],
            # API AdvancedBackupSetting: ResourceType EC2, BackupOptions {"WindowsVSS":
            # "enabled"} (the only option and type AWS takes).
            advanced_backup_settings=[
                aws.backup.PlanAdvancedBackupSettingArgs(
                    resource_type="EC2", backup_options={"WindowsVSS": "enabled"}
                )
            ]
            if p.windows_vss
            else None,
            opts=pulumi.ResourceOptions.merge(
                self._source, pulumi.ResourceOptions(depends_on=[source_vault, backup_vault])
            ),
        )

    def _plan_rule(self, rule: RuleSettings) -> aws.backup.PlanRuleArgs:
        """One rule: backup into the source vault, copy into the backup account's vault."""
        s = self._settings
        tags = {**dict(rule.recovery_point_tags), "CopiedTo": s.backup.account_id}
        return aws.backup.PlanRuleArgs(
            rule_name=rule.name,
            target_vault_name=s.source_vault_name,
            schedule=rule.schedule,
            schedule_expression_timezone=rule.schedule_timezone,
            start_window=rule.start_window_minutes,
            completion_window=rule.completion_window_minutes,
            # Only when on: an explicit false would show a change against plans of today.
            enable_continuous_backup=True if rule.enable_continuous_backup else None,
            lifecycle=aws.backup.PlanRuleLifecycleArgs(
                delete_after=rule.retention_days,
                cold_storage_after=rule.cold_storage_after_days,
                opt_in_to_archive_for_supported_resources=rule.opt_in_to_archive,
            ),
            # A copy action without a lifecycle keeps the copy for ever
            # (terraform-provider-aws #37862): always set one.
            copy_actions=[
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=s.backup_vault_arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=rule.copy_retention_days,
                        cold_storage_after=rule.copy_cold_storage_after_days,
                    ),
                )
            ],
            recovery_point_tags=tags,
        )

    def _create_selection(self, plan: aws.backup.Plan, role: aws.iam.Role) -> None:
        selection = self._settings.selection
        if selection is not None:
            self._create_rich_selection(plan, role, selection)
            return
        tag = self._settings.selection_tag
        aws.backup.Selection(
            f"{self._name}-selection",
            # Selection names take letters, digits and ._- only, 50 at most.
            name=re.sub(r"[^A-Za-z0-9._-]", "-", f"tag-{tag.key}-{tag.value}")[:50],
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(
                    type="STRINGEQUALS", key=tag.key, value=tag.value
                )
            ],
            opts=self._source,
        )

    def _create_rich_selection(
        self, plan: aws.backup.Plan, role: aws.iam.Role, selection: SelectionSettings
    ) -> None:
        """`selection`: every tag must match (AND), or listed ARNs, minus `notResources`.

        API BackupSelection: ListOfTags (the provider's `selection_tags`) are ORed ("if you
        specify multiple ListOfTags, resources that match any of them are assigned"), while
        Conditions are ANDed ("you only assign the resources that match ALL conditions"). Tags
        therefore go into one `condition` block of StringEquals on `aws:ResourceTag/<key>`,
        never into `selection_tags`. Conditions narrow the Resources given; with tags alone the
        Resources are "*" (all supported, opted-in resources), as AWS's own examples do.
        """
        resources = list(selection.resources) or ["*"]
        name = "selection-" + "-".join(f"{t.key}-{t.value}" for t in selection.tags[:3])
        aws.backup.Selection(
            f"{self._name}-selection",
            name=re.sub(r"[^A-Za-z0-9._-]", "-", name if selection.tags else "selection-arns")[:50],
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=resources,
            not_resources=list(selection.not_resources) or None,
            conditions=[
                aws.backup.SelectionConditionArgs(
                    string_equals=[
                        aws.backup.SelectionConditionStringEqualArgs(
                            key=f"aws:ResourceTag/{t.key}", value=t.value
                        )
                        for t in selection.tags
                    ]
                )
            ]
            if selection.tags
            else None,
            opts=self._source,
        )

    def _create_region_settings(self) -> None:
        """The source account's AWS Backup settings of its region (`backupPlan.regionSettings`).

        An account+region-wide singleton (API UpdateRegionSettings): one stack per source account
        and region may manage it. terraform-provider-aws region_settings.go: Create and Update
        both call UpdateRegionSettings with the given maps only, Read stores the *whole* maps
        AWS returns, and Delete does nothing. So
        - `resourceTypeOptIn` must list every type the region reports, or each preview shows a
          change back to the subset, for ever (the opt-in map is not Computed);
        - `resource_type_management_preference` is written with both of its types (DynamoDB,
          EFS; EFS is always fully managed) for the same reason;
        - `retain_on_delete` says what Delete does anyway: destroying the stack leaves the
          region's settings as they are (other plans of the account rely on them).
        """
        region = self._settings.plan.region_settings
        if region is None:
            return
        aws.backup.RegionSettings(
            f"{self._name}-source-region-settings",
            resource_type_opt_in_preference=dict(region.opt_in),
            resource_type_management_preference={
                "DynamoDB": bool(region.dynamodb_advanced_backup),
                "EFS": True,
            },
            opts=pulumi.ResourceOptions.merge(
                self._source, pulumi.ResourceOptions(retain_on_delete=True)
            ),
        )

    def _create_notifications(self, source_vault: aws.backup.Vault) -> aws.sns.Topic:
        s = self._settings
        # The topic must live in the vault's account: vault notifications can't cross accounts.
        topic_name = f"{s.name_prefix}-backup-events"
        topic = aws.sns.Topic(f"{self._name}-notifications", name=topic_name, opts=self._source)
        topic_policy = aws.sns.TopicPolicy(
            f"{self._name}-notifications-policy",
            arn=topic.arn,
            policy=documents.to_json(
                documents.notification_topic_policy(
                    topic_arn=documents.topic_arn(s.source, topic_name), source=s.source
                )
            ),
            opts=self._source,
        )
        aws.backup.VaultNotifications(
            f"{self._name}-source-vault-notifications",
            backup_vault_name=s.source_vault_name,
            sns_topic_arn=topic.arn,
            backup_vault_events=list(documents.VAULT_EVENTS),
            # AWS Backup checks that it may publish when the notifications are set.
            opts=pulumi.ResourceOptions.merge(
                self._source, pulumi.ResourceOptions(depends_on=[source_vault, topic_policy])
            ),
        )
        if s.notification_email is not None:
            aws.sns.TopicSubscription(
                f"{self._name}-notifications-email",
                topic=topic.arn,
                protocol="email",
                endpoint=s.notification_email,
                filter_policy=documents.to_json(documents.FAILURE_FILTER_POLICY),
                opts=self._source,
            )
        return topic

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

    # --- recovery site (issue 14) ------------------------------------------------------------

    def _create_recovery_site(
        self,
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
            recovery.create_audit(self._name, s, source_opts=self._source, backup_opts=self._backup)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _protected(opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
        """The options of what holds the copies: `pulumi destroy` must not take it along.

        `protect` makes destroy fail until someone unprotects on purpose; `retain_on_delete`
        leaves the cloud resource in place even then, so the copies outlive the stack.
        """
        return pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)
        )
