"""Issue 14 under Pulumi mocks: the air-gapped vault, restore tests and Backup Audit Manager.

Sources: AWS Backup API reference (CreateLogicallyAirGappedBackupVault: MinRetentionDays >= 7,
EncryptionKeyArn optional; CreateRestoreTestingPlan/Selection), the developer guide pages
"Choosing your controls", "Creating frameworks using the AWS Backup API" and "Creating report
plans using the AWS Backup API", and the AWS Config rule pages of the two retention checks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import ConfigError
from harness import ProgramRun, Registration, run_program, stack_config

NS = "cross-account-backup:"
SOURCE, BACKUP, RECOVERY = "111111111111", "222222222222", "333333333333"
LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
PLAN = "aws:backup/plan:Plan"
RT_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RT_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
FRAMEWORK = "aws:backup/framework:Framework"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
BACKUP_VAULT_ARN = f"arn:aws:backup:eu-west-1:{BACKUP}:backup-vault:cross-account-backup-dev-copies"


def dev_with(**keys: Any) -> dict[str, Any]:
    config = stack_config("dev")
    for key, value in keys.items():
        if value is None:
            config.pop(NS + key, None)
        else:
            config[NS + key] = value
    return config


def air_gapped(**vault: Any) -> dict[str, Any]:
    config = dev_with(vaultLock=None)
    backup = dict(config[NS + "backupAccount"])
    backup["vault"] = {
        "type": "logicallyAirGapped",
        "minRetentionDays": 7,
        "maxRetentionDays": 365,
        **vault,
    }
    config[NS + "backupAccount"] = backup
    return config


def ok(config: dict[str, Any], stack: str = "dev") -> ProgramRun:
    run = run_program(config, stack=stack)
    assert run.error is None, run.error
    return run


def refused(config: dict[str, Any]) -> ConfigError:
    run = run_program(config)
    assert isinstance(run.error, ConfigError), run.error
    # Bad input: nothing registered, not even a provider.
    assert run.registrations == []
    return run.error


def named(run: ProgramRun, name: str) -> Registration:
    found = [r for r in run.registrations if r.name == name]
    assert len(found) == 1, f"expected one {name}, got {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def lag_run() -> ProgramRun:
    return ok(air_gapped(shareWith=[RECOVERY]))


@pytest.fixture(scope="module")
def full_run() -> ProgramRun:
    return ok(
        dev_with(
            restoreTesting={
                "schedule": "cron(0 6 ? * 1 *)",
                "resourceTypes": ["EBS", "S3"],
                "validationWindowHours": 4,
                "startWindowHours": 8,
            },
            backupAudit={"reportFormats": ["CSV", "JSON"]},
        )
    )


# --- off by default ---------------------------------------------------------------------------


def test_dev_stack_has_no_recovery_site_resources() -> None:
    run = ok(stack_config("dev"))
    for typ in (LAG, RT_PLAN, RT_SELECTION, FRAMEWORK, REPORT_PLAN, "aws:s3/bucket:Bucket"):
        assert run.by_type(typ) == [], typ


# --- air-gapped vault -------------------------------------------------------------------------


def test_air_gapped_vault_is_in_backup_account_with_bounds_and_aws_owned_key(
    lag_run: ProgramRun,
) -> None:
    vault = lag_run.one(LAG)
    assert vault.provider_name == "backup-account"
    assert vault.inputs["name"] == "cross-account-backup-dev-copies"
    assert (vault.inputs["minRetentionDays"], vault.inputs["maxRetentionDays"]) == (7, 365)
    assert "encryptionKeyArn" not in vault.inputs
    assert vault.protect and vault.retain_on_delete
    # It replaces the standard vault and its key, not beside them.
    assert lag_run.by_type("aws:backup/vault:Vault") != []  # the source vault
    assert all(
        v.inputs["name"] != "cross-account-backup-dev-copies"
        for v in lag_run.by_type("aws:backup/vault:Vault")
    )
    assert len(lag_run.by_type("aws:kms/key:Key")) == 1  # the source vault's key only


def test_air_gapped_vault_arn_is_the_backup_vault_arn_the_copy_rule_names(
    lag_run: ProgramRun,
) -> None:
    # The engine's answer for the vault (tools/preview/mocks.py) is a backup-vault ARN, the IAM
    # resource type backupVault (Service Authorization Reference, AWS Backup): the same ARN the
    # program computes for the copy rule, so the exported ARN and the copy target agree.
    vault = lag_run.one(LAG)
    arn = "arn:aws:backup:eu-west-1:222222222222:backup-vault:cross-account-backup-dev-copies"
    assert vault.outputs["arn"] == arn
    assert lag_run.outputs["backupVaultArn"] == arn
    (plan,) = lag_run.by_type("aws:backup/plan:Plan")
    targets = {a["destinationVaultArn"] for r in plan.inputs["rules"] for a in r["copyActions"]}
    assert targets == {arn}


def test_air_gapped_vault_policy_grants_source_copy_and_denies_deletion(
    lag_run: ProgramRun,
) -> None:
    policy = named(lag_run, "cross-account-backup-vault-policy")
    assert policy.type == VAULT_POLICY and policy.provider_name == "backup-account"
    assert policy.inputs["backupVaultName"] == "cross-account-backup-dev-copies"
    assert policy.protect and policy.retain_on_delete
    statements = policy.policy()["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert any(
        "backup:CopyIntoBackupVault" in json.dumps(s["Action"]) and SOURCE in json.dumps(s)
        for s in allows
    )
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any("backup:DeleteRecoveryPoint" in json.dumps(s["Action"]) for s in denies)


def test_copy_rule_points_at_the_air_gapped_vault(lag_run: ProgramRun) -> None:
    plan = lag_run.one(PLAN)
    copy = plan.inputs["rules"][0]["copyActions"][0]
    assert copy["destinationVaultArn"] == BACKUP_VAULT_ARN


def test_air_gapped_vault_shared_with_recovery_account_through_ram(lag_run: ProgramRun) -> None:
    share = lag_run.one("aws:ram/resourceShare:ResourceShare")
    assert share.provider_name == "backup-account"
    assert share.inputs["allowExternalPrincipals"] is True
    principal = lag_run.one("aws:ram/principalAssociation:PrincipalAssociation")
    assert principal.inputs["principal"] == RECOVERY
    association = lag_run.one("aws:ram/resourceAssociation:ResourceAssociation")
    assert association.inputs["resourceArn"] == BACKUP_VAULT_ARN


def test_no_ram_share_without_share_with() -> None:
    run = ok(air_gapped())
    assert run.by_type("aws:ram/resourceShare:ResourceShare") == []


def test_refused_copy_retention_outside_air_gapped_bounds() -> None:
    config = air_gapped(minRetentionDays=30, maxRetentionDays=60)  # dev copies: 14 days
    error = refused(config)
    assert error.key == "backupPlan.copyRetentionDays" and error.value == 14
    assert "between 30 and 60 days" in str(error)


def test_refused_air_gapped_min_below_seven_days() -> None:
    error = refused(air_gapped(minRetentionDays=3))
    assert error.key == "backupAccount.vault.minRetentionDays" and error.value == 3
    assert "between 7 and 36500" in str(error)


def test_refused_air_gapped_without_bounds() -> None:
    config = air_gapped()
    del config[NS + "backupAccount"]["vault"]["maxRetentionDays"]
    error = refused(config)
    assert error.key == "backupAccount.vault.maxRetentionDays"


def test_refused_vault_lock_with_air_gapped_vault() -> None:
    config = air_gapped()
    config[NS + "vaultLock"] = {
        "mode": "governance",
        "minRetentionDays": 1,
        "maxRetentionDays": 365,
    }
    error = refused(config)
    assert error.key == "vaultLock"
    assert "locked in compliance mode by AWS" in str(error)


def test_refused_customer_managed_key_on_air_gapped_vault() -> None:
    key = f"arn:aws:kms:eu-west-1:{BACKUP}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error = refused(air_gapped(encryptionKeyArn=key))
    assert error.key == "backupAccount.vault.encryptionKeyArn" and error.value == key
    assert "AWS-owned key" in str(error)


def test_refused_unknown_vault_type() -> None:
    config = dev_with()
    config[NS + "backupAccount"] = {**config[NS + "backupAccount"], "vault": {"type": "airgap"}}
    error = refused(config)
    assert error.key == "backupAccount.vault.type" and error.value == "airgap"


def test_refused_share_with_bad_account() -> None:
    error = refused(air_gapped(shareWith=[333333333333]))
    assert error.key == "backupAccount.vault.shareWith"


# --- restore testing --------------------------------------------------------------------------


def test_restore_testing_plan_in_backup_account_selects_the_copies_vault(
    full_run: ProgramRun,
) -> None:
    plan = full_run.one(RT_PLAN)
    assert plan.provider_name == "backup-account"
    assert plan.inputs["scheduleExpression"] == "cron(0 6 ? * 1 *)"
    assert plan.inputs["startWindowHours"] == 8
    assert plan.inputs["recoveryPointSelection"] == {
        "algorithm": "LATEST_WITHIN_WINDOW",
        "includeVaults": [BACKUP_VAULT_ARN],
        "recoveryPointTypes": ["SNAPSHOT"],
        "selectionWindowDays": 30,
    }


def test_restore_testing_selection_per_type_with_role_and_window(full_run: ProgramRun) -> None:
    selections = full_run.by_type(RT_SELECTION)
    assert sorted(s.inputs["protectedResourceType"] for s in selections) == ["EBS", "S3"]
    role = named(full_run, "cross-account-restore-testing-role")
    assert role.provider_name == "backup-account"
    trust = role.policy("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    for selection in selections:
        assert selection.provider_name == "backup-account"
        assert selection.inputs["validationWindowHours"] == 4
        assert role.urn in selection.dependencies


def test_restore_testing_role_has_the_managed_restore_policies(full_run: ProgramRun) -> None:
    attached = sorted(
        r.inputs["policyArn"]
        for r in full_run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("cross-account-restore-testing-role-")
    )
    assert attached == [
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]


def test_restore_job_events_reach_the_backup_account_alert_topic(full_run: ProgramRun) -> None:
    rule = named(full_run, "cross-account-restore-tests-rule")
    assert rule.provider_name == "backup-account"
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Restore Job State Change"],
        "detail": {"status": ["COMPLETED", "FAILED", "ABORTED"]},
    }
    target = named(full_run, "cross-account-restore-tests-target")
    topic = named(full_run, "cross-account-protection-alerts")
    assert topic.urn in target.dependencies
    policy = named(full_run, "cross-account-protection-alerts-policy").policy()
    publish = policy["Statement"][0]
    assert publish["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        f"arn:aws:events:eu-west-1:{BACKUP}:rule/cross-account-backup-dev-protection-changes",
        f"arn:aws:events:eu-west-1:{BACKUP}:rule/cross-account-backup-dev-restore-tests",
    ]


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("resourceTypes", ["Redshift"], "restoreTesting.resourceTypes"),
        ("resourceTypes", [], "restoreTesting.resourceTypes"),
        ("schedule", "rate(1 day)", "restoreTesting.schedule"),
        ("validationWindowHours", 169, "restoreTesting.validationWindowHours"),
        ("startWindowHours", 0, "restoreTesting.startWindowHours"),
        ("vault", "other", "restoreTesting.vault"),
    ],
)
def test_refused_restore_testing(field: str, value: Any, key: str) -> None:
    section = {"schedule": "cron(0 6 ? * 1 *)", "resourceTypes": ["EBS"], field: value}
    error = refused(dev_with(restoreTesting=section))
    assert error.key == key


# --- Backup Audit Manager ---------------------------------------------------------------------


def test_frameworks_in_both_accounts_state_the_stack_promise(full_run: ProgramRun) -> None:
    source = named(full_run, "cross-account-audit-framework-source")
    backup = named(full_run, "cross-account-audit-framework-backup")
    assert (source.provider_name, backup.provider_name) == ("source-account", "backup-account")
    assert source.inputs["controls"] == [
        {
            "name": "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK",
            "inputParameters": [{"name": "requiredRetentionDays", "value": "7"}],
        },
        {"name": "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"},
        {
            "name": "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
            "inputParameters": [
                {"name": "requiredFrequencyUnit", "value": "days"},
                {"name": "requiredFrequencyValue", "value": "1"},
                {"name": "requiredRetentionDays", "value": "7"},
            ],
        },
        {"name": "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT"},
    ]
    assert backup.inputs["controls"] == [
        {
            "name": "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK",
            "inputParameters": [{"name": "requiredRetentionDays", "value": "14"}],
        },
        {"name": "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"},
        {"name": "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"},
    ]


def test_audit_bucket_private_versioned_encrypted_protected(full_run: ProgramRun) -> None:
    bucket = full_run.one("aws:s3/bucket:Bucket")
    assert bucket.provider_name == "backup-account"
    assert bucket.inputs["bucket"] == f"cross-account-backup-dev-audit-{BACKUP}"
    assert bucket.protect and bucket.retain_on_delete
    block = full_run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    versioning = full_run.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    encryption = full_run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert encryption.inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]


def test_audit_bucket_policy_lets_both_reports_roles_write(full_run: ProgramRun) -> None:
    policy = full_run.one("aws:s3/bucketPolicy:BucketPolicy").policy()
    write = policy["Statement"][0]
    assert write["Principal"]["AWS"] == [
        f"arn:aws:iam::{account}:role/aws-service-role/reports.backup.amazonaws.com/"
        "AWSServiceRoleForBackupReports"
        for account in (BACKUP, SOURCE)
    ]
    assert write["Action"] == "s3:PutObject"


def test_report_plans_deliver_to_the_audit_bucket(full_run: ProgramRun) -> None:
    plans = {r.provider_name: r for r in full_run.by_type(REPORT_PLAN)}
    assert set(plans) == {"source-account", "backup-account"}
    for account, plan in plans.items():
        assert plan.inputs["reportDeliveryChannel"] == {
            "s3BucketName": f"cross-account-backup-dev-audit-{BACKUP}",
            "s3KeyPrefix": account.removesuffix("-account"),
            "formats": ["CSV", "JSON"],
        }
        assert plan.inputs["reportSetting"]["reportTemplate"] == "CONTROL_COMPLIANCE_REPORT"


def test_refused_audit_report_format() -> None:
    error = refused(dev_with(backupAudit={"reportFormats": ["PDF"]}))
    assert error.key == "backupAudit.reportFormats"
    assert "CSV and/or JSON" in str(error)
