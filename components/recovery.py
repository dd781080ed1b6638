"""The backup account as a recovery site (issue 14): the resources of `recovery_config`.

- A logically air-gapped vault as the copy target (AWS-owned key, compliance-mode retention
  bounds built in), with the same access policy as the standard vault and, optionally, AWS RAM
  shares to recovery accounts that restore from it when the source account is gone.
- Restore testing in the backup account over the copies in the backup vault, with its own role,
  and restore job events sent to the backup account's alert topic.
- Backup Audit Manager frameworks in the source and backup accounts whose control parameters
  are the stack's own promise, and report plans delivering to a private, versioned, protected
  bucket of the backup account.

Every function takes the options of the account it builds in (`provider=` pinned) and names
its resources `<component>-<role>`, like `components.backup`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components import documents
from components.config import AccountSettings, StackSettings
from components.recovery_config import RecoverySettings

#: AWS managed policies the restore-testing role needs (AWS Backup developer guide, "Restore
#: testing": the role needs the restore permissions of the resource types it tests).
RESTORE_TEST_POLICIES = {
    "restores": "service-role/AWSBackupServiceRolePolicyForRestores",
    "s3-restore": "AWSBackupServiceRolePolicyForS3Restore",
}

#: Restore job events of AWS Backup on the default event bus (EventBridge events reference,
#: "AWS Backup events": detail-type "Restore Job State Change", source aws.backup). The AWS
#: Backup guide ("Monitoring events using EventBridge") says restore job events report
#: `status` like the API (DescribeRestoreJob Status). Restore testing runs ordinary restore
#: jobs: their end states are what a human must hear of.
RESTORE_EVENT_DETAIL_TYPE = "Restore Job State Change"
RESTORE_END_STATES = ("COMPLETED", "FAILED", "ABORTED")

#: Audit Manager's service-linked role (AWS Backup developer guide, "Creating report plans";
#: managed policy AWSServiceRolePolicyForBackupReports).
REPORTS_ROLE_PATH = "aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"


def recovery_of(settings: StackSettings) -> RecoverySettings:
    return settings.recovery if settings.recovery is not None else RecoverySettings()


def _protected(opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    )


# --- logically air-gapped vault ---------------------------------------------------------------


def create_air_gapped_vault(
    name: str, settings: StackSettings, opts: pulumi.ResourceOptions
) -> aws.backup.LogicallyAirGappedVault:
    """The copy target when `backupAccount.vault.type` is logicallyAirGapped.

    AWS creates it locked in compliance mode with these bounds (CreateLogicallyAirGappedBackupVault:
    MinRetentionDays >= 7, MaxRetentionDays) and encrypts it with an AWS-owned key unless
    EncryptionKeyArn is given (`recovery_config` refuses that option: no key policy, no key to
    delete). The access policy is the standard vault's: the source may CopyIntoBackupVault, and
    nobody may delete recovery points or change the policy but the deploy role.
    """
    vault = recovery_of(settings).vault
    assert vault.air_gapped
    lag = aws.backup.LogicallyAirGappedVault(
        f"{name}-backup-vault",
        name=settings.backup_vault_name,
        min_retention_days=vault.min_retention_days,
        max_retention_days=vault.max_retention_days,
        opts=_protected(opts),
    )
    aws.backup.VaultPolicy(
        f"{name}-backup-vault-policy",
        backup_vault_name=settings.backup_vault_name,
        policy=documents.to_json(
            documents.backup_vault_access_policy(
                backup=settings.backup, **documents.grantees(settings)
            )
        ),
        opts=pulumi.ResourceOptions.merge(
            _protected(opts), pulumi.ResourceOptions(depends_on=[lag])
        ),
    )
    for account_id in vault.share_with:
        _create_share(name, settings, lag, account_id, opts)
    return lag


def _create_share(
    name: str,
    settings: StackSettings,
    vault: aws.backup.LogicallyAirGappedVault,
    account_id: str,
    opts: pulumi.ResourceOptions,
) -> None:
    """A RAM share of the air-gapped vault with one recovery account.

    The recovery account restores straight from the shared vault (AWS Backup developer guide,
    "Logically air-gapped vault": share through AWS RAM, restore in the receiving account),
    which is the way back when the source account is lost. `allow_external_principals`: the
    recovery account need not be in the organization (a clean-room account often isn't).
    """
    share = aws.ram.ResourceShare(
        f"{name}-backup-vault-share-{account_id}",
        name=f"{settings.backup_vault_name}-to-{account_id}",
        allow_external_principals=True,
        opts=opts,
    )
    aws.ram.ResourceAssociation(
        f"{name}-backup-vault-share-{account_id}-vault",
        # The ARN AWS gives it (CreateLogicallyAirGappedBackupVault returns a BackupVaultArn of
        # the backup-vault form), known at preview like the copy rule's destination.
        resource_arn=settings.backup_vault_arn,
        resource_share_arn=share.arn,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[vault])),
    )
    aws.ram.PrincipalAssociation(
        f"{name}-backup-vault-share-{account_id}-principal",
        principal=account_id,
        resource_share_arn=share.arn,
        opts=opts,
    )


# --- restore testing --------------------------------------------------------------------------


def _plan_name(settings: StackSettings) -> str:
    # Restore testing plan names: letters, digits and underscores, 1-50, starting with a letter
    # (CreateRestoreTestingPlan, RestoreTestingPlanName).
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{settings.name_prefix}_restore_tests")[:50]


def create_restore_testing(
    name: str,
    settings: StackSettings,
    role: aws.iam.Role,
    vault: pulumi.Resource,
    opts: pulumi.ResourceOptions,
) -> aws.backup.RestoreTestingPlan:
    """A restore testing plan over the copies in the backup vault and one selection per type."""
    testing = recovery_of(settings).restore_testing
    assert testing is not None
    plan = aws.backup.RestoreTestingPlan(
        f"{name}-restore-testing-plan",
        name=_plan_name(settings),
        schedule_expression=testing.schedule,
        schedule_expression_timezone=testing.schedule_timezone,
        start_window_hours=testing.start_window_hours,
        recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
            algorithm="LATEST_WITHIN_WINDOW",
            # Only the copies: the vault of this stack in the backup account, by its ARN.
            include_vaults=[settings.backup_vault_arn],
            recovery_point_types=["SNAPSHOT"],
            selection_window_days=testing.selection_window_days,
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[vault])),
    )
    for resource_type in testing.resource_types:
        aws.backup.RestoreTestingSelection(
            f"{name}-restore-testing-{resource_type.lower()}",
            name=f"{resource_type.lower()}_copies",
            restore_testing_plan_name=plan.name,
            protected_resource_type=resource_type,
            iam_role_arn=role.arn,
            # Every protected resource of the type whose copies are in the included vault.
            protected_resource_arns=["*"],
            validation_window_hours=testing.validation_window_hours,
            opts=opts,
        )
    return plan


def restore_event_pattern(settings: StackSettings) -> dict[str, Any]:
    """EventBridge pattern of the restore job ends in the backup account."""
    return {
        "source": ["aws.backup"],
        "detail-type": [RESTORE_EVENT_DETAIL_TYPE],
        "detail": {"status": list(RESTORE_END_STATES)},
    }


def restore_rule_name(settings: StackSettings) -> str:
    return f"{settings.name_prefix}-restore-tests"


def create_restore_alerts(
    name: str, settings: StackSettings, topic: aws.sns.Topic, opts: pulumi.ResourceOptions
) -> aws.cloudwatch.EventRule:
    """Restore job ends (restore tests included) published to the backup account's alert topic.

    The topic's policy lets this rule publish (`documents.alert_topic_policy`, extra rule)."""
    rule = aws.cloudwatch.EventRule(
        f"{name}-restore-tests-rule",
        name=restore_rule_name(settings),
        description="End of restore jobs (restore tests) in the backup account",
        event_pattern=documents.to_json(restore_event_pattern(settings)),
        opts=opts,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-restore-tests-target", rule=rule.name, arn=topic.arn, opts=opts
    )
    return rule


# --- Backup Audit Manager ---------------------------------------------------------------------


def audit_bucket_name(settings: StackSettings) -> str:
    # S3 names: lowercase, 3-63; the account id makes it globally unique.
    return f"{settings.name_prefix}-audit-{settings.backup.account_id}".lower()[:63]


def framework_controls(settings: StackSettings, *, account: str) -> list[dict[str, Any]]:
    """The controls that state the stack's promise, with parameters from its config.

    Names and parameters: AWS Backup developer guide, "Choosing your controls" and "Creating
    frameworks using the AWS Backup API"; the parameters of the two retention checks are those
    of the AWS Config rules they deploy (backup-plan-min-frequency-and-min-retention-check:
    requiredFrequencyUnit/Value, requiredRetentionDays; backup-recovery-point-minimum-retention-
    check: requiredRetentionDays). The cross-account and vault-lock controls run with their
    defaults here: their parameter names are not in AWS's reference pages we could read.
    """
    plan = settings.plan
    recovery = recovery_of(settings)
    # The shortest retention any rule promises: a GFS plan's daily copies set the floor.
    rules = plan.effective_rules
    shortest_backup = min(rule.retention_days for rule in rules)
    shortest_copy = min(rule.copy_retention_days for rule in rules)
    retention = shortest_backup if account == "source" else shortest_copy
    controls: list[dict[str, Any]] = [
        {
            "name": "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK",
            "input_parameters": [{"name": "requiredRetentionDays", "value": str(retention)}],
        },
        {"name": "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"},
    ]
    if account == "source":
        controls += [
            {
                "name": "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
                "input_parameters": [
                    {"name": "requiredFrequencyUnit", "value": "days"},
                    {"name": "requiredFrequencyValue", "value": "1"},
                    {"name": "requiredRetentionDays", "value": str(shortest_backup)},
                ],
            },
            {"name": "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT"},
        ]
    elif settings.vault_lock is not None or recovery.vault.air_gapped:
        controls.append({"name": "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"})
    return controls


def audit_bucket_policy(settings: StackSettings, bucket_arn: str) -> dict[str, Any]:
    """Audit Manager's service-linked role of each account writes reports; TLS only."""

    def reports_role(account: AccountSettings) -> str:
        return f"arn:{account.partition}:iam::{account.account_id}:role/{REPORTS_ROLE_PATH}"

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowBackupReportsToWrite",
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        reports_role(settings.backup),
                        *(reports_role(a) for a in settings.source_accounts),
                    ]
                },
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def create_audit(
    name: str,
    settings: StackSettings,
    *,
    sources: Sequence[tuple[str, StackSettings, pulumi.ResourceOptions]],
    backup_opts: pulumi.ResourceOptions,
) -> None:
    """Frameworks in both accounts and report plans into the backup account's bucket."""
    audit = recovery_of(settings).audit
    assert audit is not None
    bucket_name = audit_bucket_name(settings)
    b = settings.backup
    bucket_arn = f"arn:{b.partition}:s3:::{bucket_name}"
    bucket = aws.s3.Bucket(
        f"{name}-audit-bucket",
        bucket=bucket_name,
        force_destroy=False,
        opts=_protected(backup_opts),
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-audit-bucket-public-access",
        bucket=bucket_name,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=pulumi.ResourceOptions.merge(
            _protected(backup_opts), pulumi.ResourceOptions(depends_on=[bucket])
        ),
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-audit-bucket-ownership",
        bucket=bucket_name,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=pulumi.ResourceOptions.merge(backup_opts, pulumi.ResourceOptions(depends_on=[bucket])),
    )
    aws.s3.BucketVersioning(
        f"{name}-audit-bucket-versioning",
        bucket=bucket_name,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
        opts=pulumi.ResourceOptions.merge(backup_opts, pulumi.ResourceOptions(depends_on=[bucket])),
    )
    # SSE-S3: Audit Manager also writes to SSE-KMS buckets, but only when the key policy admits
    # its service-linked role (developer guide, "Creating report plans using the AWS Backup
    # API"); SSE-S3 needs no key policy across two accounts.
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-audit-bucket-encryption",
        bucket=bucket_name,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
        opts=pulumi.ResourceOptions.merge(backup_opts, pulumi.ResourceOptions(depends_on=[bucket])),
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-audit-bucket-policy",
        bucket=bucket_name,
        policy=documents.to_json(audit_bucket_policy(settings, bucket_arn)),
        opts=pulumi.ResourceOptions.merge(
            _protected(backup_opts), pulumi.ResourceOptions(depends_on=[bucket])
        ),
    )
    # `sources`: (label of the logical names, the settings seen from that source (its plan),
    # options) of each source account; the label is "source" for a single-source stack (its
    # names unchanged).
    for label, account, seen, opts in (
        *((label, "source", view, opts) for label, view, opts in sources),
        ("backup", "backup", settings, backup_opts),
    ):
        framework = aws.backup.Framework(
            f"{name}-audit-framework-{label}",
            name=re.sub(r"[^A-Za-z0-9_]", "_", f"{settings.name_prefix}_{account}")[:256],
            description=f"What {settings.name_prefix} promises for the {account} account",
            controls=[
                aws.backup.FrameworkControlArgs(
                    name=c["name"],
                    input_parameters=[
                        aws.backup.FrameworkControlInputParameterArgs(**p)
                        for p in c.get("input_parameters", [])
                    ]
                    or None,
                )
                for c in framework_controls(seen, account=account)
            ],
            opts=opts,
        )
        aws.backup.ReportPlan(
            f"{name}-audit-report-{label}",
            name=re.sub(r"[^A-Za-z0-9_]", "_", f"{settings.name_prefix}_{account}_compliance"),
            description=f"Control compliance of the {account} account",
            report_delivery_channel=aws.backup.ReportPlanReportDeliveryChannelArgs(
                s3_bucket_name=bucket_name,
                s3_key_prefix=account,
                formats=list(audit.report_formats),
            ),
            report_setting=aws.backup.ReportPlanReportSettingArgs(
                report_template="CONTROL_COMPLIANCE_REPORT",
                framework_arns=[framework.arn],
                number_of_frameworks=1,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[policy])),
        )
