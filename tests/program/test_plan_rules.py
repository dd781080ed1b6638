"""Backup plans as real users run them (issue 13): several rules, continuous backup, richer
selections, Windows VSS and the source account's region settings, under Pulumi mocks.

Each refusal cites the AWS reference that decides it: the AWS Backup API reference
(BackupRuleInput, Lifecycle, BackupSelection, AdvancedBackupSetting, UpdateRegionSettings,
PutBackupVaultLockConfiguration) and the AWS Backup developer guide.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from harness import ProgramRun, Registration, run_program, stack_config

NS = "cross-account-backup:"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
REGION_SETTINGS = "aws:backup/regionSettings:RegionSettings"
BACKUP = "222222222222"
COPY_VAULT = f"arn:aws:backup:eu-west-1:{BACKUP}:backup-vault:cross-account-backup-dev-copies"

DAILY = {
    "name": "daily",
    "schedule": "cron(0 5 ? * * *)",
    "retentionDays": 7,
    "copyRetentionDays": 14,
}
MONTHLY = {
    "name": "monthly",
    "schedule": "cron(0 3 1 * ? *)",
    "retentionDays": 180,
    "coldStorageAfterDays": 30,
    "copyRetentionDays": 365,
}


def config_with(**keys: Any) -> dict[str, Any]:
    """dev's config with whole keys replaced (None removes one)."""
    config = stack_config("dev")
    for key, value in keys.items():
        if value is None:
            config.pop(NS + key, None)
        else:
            config[NS + key] = value
    return config


def run(**keys: Any) -> ProgramRun:
    return run_program(config_with(**keys), stack="dev")


def refused(**keys: Any) -> ConfigError:
    result = run(**keys)
    assert isinstance(result.error, ConfigError), result.error
    assert result.registrations == [], "nothing may be registered after a refusal"
    return result.error


def plan_rules(result: ProgramRun) -> list[dict[str, Any]]:
    assert result.error is None, result.error
    return result.one(PLAN).inputs["rules"]


def selection(result: ProgramRun) -> Registration:
    assert result.error is None, result.error
    return result.one(SELECTION)


# --- rules -----------------------------------------------------------------------------------


def test_two_rules_become_two_plan_rules_with_their_own_lifecycles() -> None:
    rules = plan_rules(run(backupPlan={"rules": [DAILY, MONTHLY]}))
    assert rules == [
        {
            "ruleName": "daily",
            "targetVaultName": "cross-account-backup-dev-local",
            "schedule": "cron(0 5 ? * * *)",
            "startWindow": 60,
            "completionWindow": 1440,
            "lifecycle": {"deleteAfter": 7},
            "copyActions": [{"destinationVaultArn": COPY_VAULT, "lifecycle": {"deleteAfter": 14}}],
            "recoveryPointTags": {"CopiedTo": BACKUP},
        },
        {
            "ruleName": "monthly",
            "targetVaultName": "cross-account-backup-dev-local",
            "schedule": "cron(0 3 1 * ? *)",
            "startWindow": 60,
            "completionWindow": 1440,
            "lifecycle": {"deleteAfter": 180, "coldStorageAfter": 30},
            "copyActions": [{"destinationVaultArn": COPY_VAULT, "lifecycle": {"deleteAfter": 365}}],
            "recoveryPointTags": {"CopiedTo": BACKUP},
        },
    ]


def test_single_rule_form_keeps_its_rule_name_and_urn() -> None:
    single = run()
    rules = plan_rules(single)
    assert [r["ruleName"] for r in rules] == ["backup-and-copy-to-backup-account"]
    multi = run(backupPlan={"rules": [DAILY]})
    assert multi.one(PLAN).urn == single.one(PLAN).urn


def test_rule_timezone_windows_and_recovery_point_tags_are_passed() -> None:
    rule = {
        **DAILY,
        "scheduleTimezone": "Europe/Paris",
        "startWindowMinutes": 120,
        "completionWindowMinutes": 600,
        "recoveryPointTags": {"Tier": "daily"},
    }
    (out,) = plan_rules(run(backupPlan={"rules": [rule]}))
    assert out["scheduleExpressionTimezone"] == "Europe/Paris"
    assert (out["startWindow"], out["completionWindow"]) == (120, 600)
    assert out["recoveryPointTags"] == {"Tier": "daily", "CopiedTo": BACKUP}


def test_continuous_backup_rule_is_passed() -> None:
    rule = {**DAILY, "name": "pitr", "enableContinuousBackup": True, "retentionDays": 35}
    (out,) = plan_rules(run(backupPlan={"rules": [rule]}))
    assert out["enableContinuousBackup"] is True
    assert out["lifecycle"] == {"deleteAfter": 35}


def test_opt_in_to_archive_is_passed_with_cold_storage() -> None:
    rule = {**MONTHLY, "optInToArchiveForSupportedResources": True}
    (out,) = plan_rules(run(backupPlan={"rules": [rule]}))
    assert out["lifecycle"] == {
        "deleteAfter": 180,
        "coldStorageAfter": 30,
        "optInToArchiveForSupportedResources": True,
    }


def test_copy_cold_storage_is_passed_per_rule() -> None:
    rule = {**MONTHLY, "copyColdStorageAfterDays": 30, "copyRetentionDays": 365}
    (out,) = plan_rules(run(backupPlan={"rules": [DAILY, rule]}))[1:]
    assert out["copyActions"][0]["lifecycle"] == {"deleteAfter": 365, "coldStorageAfter": 30}


# --- rule refusals -------------------------------------------------------------------------


def test_duplicate_rule_names_are_refused() -> None:
    # API BackupRuleInput.RuleName names the rule in jobs and reports; two alike can't be told
    # apart (and the pack's findings name rules by it).
    error = refused(backupPlan={"rules": [DAILY, {**MONTHLY, "name": "daily"}]})
    assert error.key == "backupPlan.rules[1].name"
    assert "backupPlan.rules[0]" in str(error)


@pytest.mark.parametrize("name", ["daily backup", "", "x" * 51, "täglich"])
def test_rule_name_outside_the_api_pattern_is_refused(name: str) -> None:
    # API BackupRuleInput.RuleName: Pattern ^[a-zA-Z0-9\-\_\.]{1,50}$
    error = refused(backupPlan={"rules": [{**DAILY, "name": name}]})
    assert error.key == "backupPlan.rules[0].name"
    assert "1-50 letters, digits" in str(error)


def test_rule_without_name_is_refused() -> None:
    rule = {k: v for k, v in DAILY.items() if k != "name"}
    assert refused(backupPlan={"rules": [rule]}).key == "backupPlan.rules[0].name"


def test_second_rule_deleting_within_90_days_of_cold_storage_is_refused() -> None:
    # API Lifecycle: "the retention setting must be 90 days greater than the transition to cold
    # after days setting".
    error = refused(backupPlan={"rules": [DAILY, {**MONTHLY, "retentionDays": 100}]})
    assert error.key == "backupPlan.rules[1].retentionDays"
    assert ">= 120" in str(error)


def test_second_rule_copy_deleting_within_90_days_of_cold_storage_is_refused() -> None:
    rule = {**MONTHLY, "copyColdStorageAfterDays": 300, "copyRetentionDays": 365}
    error = refused(backupPlan={"rules": [DAILY, rule]})
    assert error.key == "backupPlan.rules[1].copyRetentionDays"
    assert ">= 390" in str(error)


def test_second_rule_copy_outside_the_vault_lock_is_refused() -> None:
    # PutBackupVaultLockConfiguration MaxRetentionDays: the vault fails a longer copy job.
    # dev's lock: 1..365 days.
    error = refused(backupPlan={"rules": [DAILY, {**MONTHLY, "copyRetentionDays": 400}]})
    assert error.key == "backupPlan.rules[1].copyRetentionDays"
    assert "between 1 and 365" in str(error)


def test_continuous_backup_beyond_35_days_is_refused() -> None:
    # AWS Backup guide, point-in-time recovery: "The maximum retention period is 35 days."
    rule = {**DAILY, "enableContinuousBackup": True, "retentionDays": 36}
    error = refused(backupPlan={"rules": [rule]})
    assert error.key == "backupPlan.rules[0].retentionDays"
    assert "1 to 35 days" in str(error)


def test_continuous_backup_with_cold_storage_is_refused() -> None:
    # Continuous backups do not move to cold storage (AWS Backup guide, point-in-time
    # recovery; UpdateRecoveryPointLifecycle: "does not support continuous backups").
    rule = {**DAILY, "enableContinuousBackup": True, "coldStorageAfterDays": 1}
    error = refused(backupPlan={"rules": [rule]})
    assert error.key == "backupPlan.rules[0].coldStorageAfterDays"
    assert "can't move to cold storage" in str(error)


def test_archive_opt_in_without_cold_storage_is_refused() -> None:
    # API Lifecycle.OptInToArchiveForSupportedResources acts at MoveToColdStorageAfterDays.
    rule = {**DAILY, "optInToArchiveForSupportedResources": True}
    error = refused(backupPlan={"rules": [rule]})
    assert error.key == "backupPlan.rules[0].optInToArchiveForSupportedResources"


def test_single_rule_keys_beside_rules_are_refused() -> None:
    # API BackupPlanInput.Rules is the list of rules: a top-level retention would belong to none.
    error = refused(backupPlan={"rules": [DAILY], "retentionDays": 7})
    assert error.key == "backupPlan.retentionDays"
    assert "can't be combined with backupPlan.rules" in str(error)


def test_empty_rules_are_refused() -> None:
    # API BackupPlanInput.Rules: required, an array of BackupRuleInput.
    assert refused(backupPlan={"rules": []}).key == "backupPlan.rules"


def test_rate_schedule_in_a_rule_is_refused() -> None:
    # API BackupRuleInput.ScheduleExpression: cron only.
    error = refused(backupPlan={"rules": [{**DAILY, "schedule": "rate(1 day)"}]})
    assert error.key == "backupPlan.rules[0].schedule"


def test_program_tag_in_recovery_point_tags_is_refused() -> None:
    rule = {**DAILY, "recoveryPointTags": {"CopiedTo": "333333333333"}}
    error = refused(backupPlan={"rules": [rule]})
    assert error.key == "backupPlan.rules[0].recoveryPointTags.CopiedTo"


def test_unknown_rule_key_is_refused() -> None:
    error = refused(backupPlan={"rules": [{**DAILY, "retention": 7}]})
    assert error.key == "backupPlan.rules[0].retention"


# --- selection -------------------------------------------------------------------------------


def test_several_tags_are_anded_as_one_condition_block_not_ored_selection_tags() -> None:
    # API BackupSelection: ListOfTags (selection_tags) are ORed, Conditions are ANDed.
    sel = selection(
        run(
            selectionTag=None,
            selection={
                "tags": [{"key": "Backup", "value": "Yes"}, {"key": "Env", "value": "prod"}]
            },
        )
    )
    assert sel.inputs["conditions"] == [
        {
            "stringEquals": [
                {"key": "aws:ResourceTag/Backup", "value": "Yes"},
                {"key": "aws:ResourceTag/Env", "value": "prod"},
            ]
        }
    ]
    assert "selectionTags" not in sel.inputs
    assert sel.inputs["resources"] == ["*"]


def test_resources_and_not_resources_are_passed() -> None:
    tables = "arn:aws:dynamodb:eu-west-1:111111111111:table/*"
    scratch = "arn:aws:dynamodb:eu-west-1:111111111111:table/scratch-*"
    sel = selection(run(selection={"resources": [tables], "notResources": [scratch]}))
    assert sel.inputs["resources"] == [tables]
    assert sel.inputs["notResources"] == [scratch]
    assert "conditions" not in sel.inputs


def test_single_selection_tag_keeps_its_urn_and_selection_tags() -> None:
    single = selection(run())
    rich = selection(run(selection={"tags": [{"key": "Backup", "value": "Yes"}]}))
    assert rich.urn == single.urn
    assert single.inputs["selectionTags"] == [
        {"type": "STRINGEQUALS", "key": "Backup", "value": "Yes"}
    ]


def test_selection_naming_nothing_to_back_up_is_refused() -> None:
    # API BackupSelection: without conditions, tags or resources, "Backup attempts to select all
    # supported and opted-in storage resources": never by accident.
    error = refused(selection={"notResources": ["arn:aws:ec2:*:*:volume/*"]})
    assert error.key == "selection"
    assert "names nothing to back up" in str(error)
    assert 'resources: ["*"]' in str(error)


def test_selection_of_everything_is_accepted_when_said() -> None:
    sel = selection(
        run(selection={"resources": ["*"], "notResources": ["arn:aws:ec2:*:*:volume/*"]})
    )
    assert sel.inputs["resources"] == ["*"]


def test_selection_and_selection_tag_together_are_refused() -> None:
    error = refused(
        selection={"tags": [{"key": "Env", "value": "prod"}]},
        selectionTag={"key": "backup-policy", "value": "daily"},
    )
    assert error.key == "selectionTag"


def test_selection_beside_the_declared_selection_tag_default_is_accepted() -> None:
    # Pulumi.yaml declares selectionTag's default (Backup = Yes): the CLI always passes it, so
    # that value is not a second selection.
    sel = selection(
        run(
            selection={"tags": [{"key": "Env", "value": "prod"}]},
            selectionTag={"key": "Backup", "value": "Yes"},
        )
    )
    assert sel.inputs["conditions"][0]["stringEquals"] == [
        {"key": "aws:ResourceTag/Env", "value": "prod"}
    ]


def test_same_tag_key_twice_is_refused() -> None:
    # API BackupSelection.Conditions are ANDed: Env = prod and Env = staging matches nothing.
    tags = [{"key": "Env", "value": "prod"}, {"key": "Env", "value": "staging"}]
    error = refused(selection={"tags": tags})
    assert error.key == "selection.tags[1].key"


def test_malformed_resource_arn_is_refused() -> None:
    error = refused(selection={"resources": ["table/orders"]})
    assert error.key == "selection.resources[0]"


def test_selection_tag_without_value_is_refused() -> None:
    error = refused(selection={"tags": [{"key": "Env"}]})
    assert error.key == "selection.tags[0].value"


# --- advanced settings, region settings ------------------------------------------------------


def test_windows_vss_sets_the_ec2_advanced_backup_setting() -> None:
    # API AdvancedBackupSetting: ResourceType EC2, BackupOptions {"WindowsVSS": "enabled"}.
    plan = run(backupPlan={"rules": [DAILY], "advancedSettings": {"windowsVss": True}}).one(PLAN)
    assert plan.inputs["advancedBackupSettings"] == [
        {"resourceType": "EC2", "backupOptions": {"WindowsVSS": "enabled"}}
    ]


def test_no_advanced_settings_by_default() -> None:
    assert "advancedBackupSettings" not in run().one(PLAN).inputs


def test_no_region_settings_unless_configured() -> None:
    # An account+region-wide singleton: never taken over without being asked.
    assert run().by_type(REGION_SETTINGS) == []


OPT_IN = {"DynamoDB": True, "EBS": True, "EC2": True, "EFS": True, "RDS": True, "S3": True}


def test_region_settings_turn_dynamodb_advanced_backup_on_for_a_tag_selection() -> None:
    result = run(backupPlan={"rules": [DAILY], "regionSettings": {"resourceTypeOptIn": OPT_IN}})
    settings = result.one(REGION_SETTINGS)
    assert settings.inputs["resourceTypeOptInPreference"] == OPT_IN
    # terraform-provider-aws region_settings.go reads back the whole management map: both keys.
    assert settings.inputs["resourceTypeManagementPreference"] == {"DynamoDB": True, "EFS": True}
    assert settings.retain_on_delete  # its Delete is a no-op: say so
    assert settings.provider_name == "source-account"


def test_region_settings_leave_dynamodb_off_when_the_selection_lists_no_tables() -> None:
    result = run(
        backupPlan={"rules": [DAILY], "regionSettings": {"resourceTypeOptIn": OPT_IN}},
        selection={"resources": ["arn:aws:ec2:eu-west-1:111111111111:volume/*"]},
    )
    prefs = result.one(REGION_SETTINGS).inputs["resourceTypeManagementPreference"]
    assert prefs == {"DynamoDB": False, "EFS": True}


def test_region_settings_without_opt_in_map_are_refused() -> None:
    error = refused(backupPlan={"rules": [DAILY], "regionSettings": {}})
    assert error.key == "backupPlan.regionSettings.resourceTypeOptIn"
    assert "describe-region-settings" in str(error)


@pytest.mark.parametrize(
    "resources",
    [["arn:aws:dynamodb:eu-west-1:111111111111:table/orders"], ["*"], ["arn:aws:*:*:*:*"]],
)
def test_region_settings_turn_dynamodb_on_when_listed_arns_may_be_tables(
    resources: list[str],
) -> None:
    # AWS Backup guide, advanced DynamoDB backup: cross-account copies of DynamoDB need it.
    result = run(
        backupPlan={"rules": [DAILY], "regionSettings": {"resourceTypeOptIn": OPT_IN}},
        selection={"resources": resources},
    )
    prefs = result.one(REGION_SETTINGS).inputs["resourceTypeManagementPreference"]
    assert prefs == {"DynamoDB": True, "EFS": True}


def test_region_settings_explicit_dynamodb_choice_wins() -> None:
    result = run(
        backupPlan={
            "rules": [DAILY],
            "regionSettings": {"resourceTypeOptIn": OPT_IN, "dynamoDbAdvancedBackup": False},
        }
    )
    prefs = result.one(REGION_SETTINGS).inputs["resourceTypeManagementPreference"]
    assert prefs == {"DynamoDB": False, "EFS": True}


def test_region_settings_work_with_the_single_rule_form() -> None:
    plan = {
        "retentionDays": 7,
        "copyRetentionDays": 14,
        "regionSettings": {"resourceTypeOptIn": OPT_IN},
    }
    result = run(backupPlan=plan)
    assert result.one(REGION_SETTINGS).inputs["resourceTypeOptInPreference"] == OPT_IN
    assert [r["ruleName"] for r in plan_rules(result)] == ["backup-and-copy-to-backup-account"]
