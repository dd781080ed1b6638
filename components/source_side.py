"""One source (workload) account of `CrossAccountBackup`: its local vault on its own key shared
with the backup account, the AWS Backup service role, the plan whose rules copy into the backup
account's vault, the selection, region settings, failure notifications and its service-linked
role.

A single-source stack (`sourceAccount`) names these children `cross-account-<role>` as it always
has; with `sourceAccounts` each source's are `cross-account-<accountId>-<role>`, so adding or
removing a source never renames those of another (names never derive from a list index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import documents
from components.builders import AccountBuilder
from components.config import RuleSettings, SelectionSettings, StackSettings

#: AWS managed policies AWS Backup's own console role carries; the S3 ones let the same role
#: back up and restore tagged S3 buckets.
BACKUP_ROLE_POLICIES = {
    "backup": "service-role/AWSBackupServiceRolePolicyForBackup",
    "restores": "service-role/AWSBackupServiceRolePolicyForRestores",
    "s3-backup": "AWSBackupServiceRolePolicyForS3Backup",
    "s3-restore": "AWSBackupServiceRolePolicyForS3Restore",
}


@dataclass(frozen=True)
class SourceOutputs:
    """What one source exports (`sources[<accountId>]`, and the first one's top-level outputs)."""

    vault_arn: pulumi.Output[str]
    vault_key_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]


class SourceSide(AccountBuilder):
    """Builds the children of one source account (parent: the component)."""

    def __init__(
        self,
        name: str,
        settings: StackSettings,
        *,
        source_opts: pulumi.ResourceOptions,
        backup_opts: pulumi.ResourceOptions,
    ) -> None:
        self._name = name
        self._settings = settings
        self._source = source_opts
        self._backup = backup_opts

    def build(
        self, backup_vault: aws.backup.Vault | aws.backup.LogicallyAirGappedVault
    ) -> SourceOutputs:
        source_vault, source_key = self._create_source_vault()
        role = self._create_backup_role()
        self._create_service_linked_role()
        plan = self._create_plan(source_vault, backup_vault)
        self._create_selection(plan, role)
        self._create_region_settings()
        topic = self._create_notifications(source_vault)
        return SourceOutputs(
            vault_arn=source_vault.arn,
            vault_key_arn=source_key.arn,
            plan_id=plan.id,
            role_arn=role.arn,
            topic_arn=topic.arn,
        )

    def _create_service_linked_role(self) -> None:
        """`AWSServiceRoleForBackup` of the source account, where copies come back (see
        `CrossAccountBackup._create_service_linked_role`)."""
        self._create_backup_service_linked_role("source", self._settings.source, self._source)

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
