"""Pins of `backupPlan.advancedSettings` and `backupPlan.regionSettings`
(components/settings/plan.py `_parse_plan_wide`), Pulumi-free (issue 16), in both forms of
`backupPlan`. Whole settings, whole messages.

References:
- [advanced] AWS Backup API, AdvancedBackupSetting: ResourceType EC2, BackupOptions
  `{"WindowsVSS": "enabled"}`:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_AdvancedBackupSetting.html
- [region] AWS Backup API, UpdateRegionSettings: ResourceTypeOptInPreference (a map of resource
  type names such as "DynamoDB", "EC2", "Storage Gateway" to Booleans) and
  ResourceTypeManagementPreference (DynamoDB, EFS):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html
"""

from __future__ import annotations

from typing import Any

import pytest
from config_messages import expected

from components.config import (
    _MISSING,
    ConfigError,
    PlanSettings,
    RegionSettingsConfig,
    parse_plan,
)

OPT_IN = {"DynamoDB": True, "EC2": False, "Storage Gateway": True}
OPT_IN_REMEDY = (
    "required: a map of every resource type of the region to true/false, as "
    "`aws backup describe-region-settings` lists them (ResourceTypeOptInPreference); a partial "
    "map shows a change at every preview"
)


def refusal(value: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_plan(value)
    return str(caught.value)


FORMS = pytest.mark.parametrize(
    "form", [{}, {"rules": [{"name": "daily"}]}], ids=["single-rule", "rules"]
)


@FORMS
def test_region_settings_keep_every_type_in_order(form: dict[str, Any]) -> None:
    plan = parse_plan({**form, "regionSettings": {"resourceTypeOptIn": OPT_IN}})
    assert plan.region_settings == RegionSettingsConfig(
        opt_in=(("DynamoDB", True), ("EC2", False), ("Storage Gateway", True)),
        dynamodb_advanced_backup=None,
    )
    assert plan.windows_vss is False


@FORMS
@pytest.mark.parametrize("choice", [True, False])
def test_explicit_dynamodb_advanced_backup_is_kept(form: dict[str, Any], choice: bool) -> None:
    region = {"resourceTypeOptIn": {"EFS": True}, "dynamoDbAdvancedBackup": choice}
    assert parse_plan({**form, "regionSettings": region}).region_settings == RegionSettingsConfig(
        opt_in=(("EFS", True),), dynamodb_advanced_backup=choice
    )


def test_single_rule_form_with_plan_wide_settings_keeps_its_rule() -> None:
    plan = parse_plan(
        {
            "retentionDays": 9,
            "advancedSettings": {"windowsVss": True},
            "regionSettings": {"resourceTypeOptIn": {"EC2": True}},
        }
    )
    assert plan == PlanSettings(
        retention_days=9,
        windows_vss=True,
        region_settings=RegionSettingsConfig(
            opt_in=(("EC2", True),), dynamodb_advanced_backup=None
        ),
    )


@FORMS
def test_windows_vss_off_by_default_in_an_empty_advanced_section(form: dict[str, Any]) -> None:
    plan = parse_plan({**form, "advancedSettings": {}})
    assert (plan.windows_vss, plan.region_settings) == (False, None)


def test_windows_vss_false_leaves_the_plan_as_without_it() -> None:
    assert parse_plan({"advancedSettings": {"windowsVss": False}}) == PlanSettings()


@FORMS
def test_windows_vss_true(form: dict[str, Any]) -> None:
    assert parse_plan({**form, "advancedSettings": {"windowsVss": True}}).windows_vss is True


@pytest.mark.parametrize("advanced", [True, "windowsVss", ["windowsVss"]])
def test_advanced_settings_must_be_an_object(advanced: Any) -> None:
    assert refusal({"advancedSettings": advanced}) == expected(
        "backupPlan.advancedSettings", advanced, "must be an object {windowsVss: true}"
    )


def test_advanced_settings_unknown_key() -> None:
    assert refusal({"advancedSettings": {"windowsVSS": True}}) == expected(
        "backupPlan.advancedSettings.windowsVSS", True, "unknown key; valid keys: windowsVss"
    )


@pytest.mark.parametrize("flag", ["enabled", 1, None])
def test_windows_vss_must_be_a_boolean(flag: Any) -> None:
    # [advanced] AWS takes "enabled"; the config takes a Boolean and the program writes it.
    assert refusal({"advancedSettings": {"windowsVss": flag}}) == expected(
        "backupPlan.advancedSettings.windowsVss",
        flag,
        "must be true or false (Windows VSS application-consistent backups of EC2 instances)",
    )


@pytest.mark.parametrize("region", ["eu-west-1", ["DynamoDB"], True])
def test_region_settings_must_be_an_object(region: Any) -> None:
    assert refusal({"regionSettings": region}) == expected(
        "backupPlan.regionSettings",
        region,
        "must be an object {resourceTypeOptIn: {...}, dynamoDbAdvancedBackup?}",
    )


def test_region_settings_unknown_key() -> None:
    region = {"resourceTypeOptIn": OPT_IN, "resourceTypeManagement": {}}
    assert refusal({"regionSettings": region}) == expected(
        "backupPlan.regionSettings.resourceTypeManagement",
        {},
        "unknown key; valid keys: resourceTypeOptIn, dynamoDbAdvancedBackup",
    )


def test_region_settings_without_opt_in_map() -> None:
    assert refusal({"regionSettings": {"dynamoDbAdvancedBackup": True}}) == expected(
        "backupPlan.regionSettings.resourceTypeOptIn", _MISSING, OPT_IN_REMEDY
    )


@pytest.mark.parametrize("opt_in", [{}, ["DynamoDB"], None, "DynamoDB"])
def test_opt_in_must_be_a_non_empty_map(opt_in: Any) -> None:
    assert refusal({"regionSettings": {"resourceTypeOptIn": opt_in}}) == expected(
        "backupPlan.regionSettings.resourceTypeOptIn", opt_in, OPT_IN_REMEDY
    )


@pytest.mark.parametrize(
    ("type_name", "ok"),
    [
        ("A", True),
        ("A" * 50, True),
        ("A" * 51, False),
        ("", False),
        ("3D", False),
        ("Dynamo-DB", False),
        ("SAP HANA on Amazon EC2", True),
        ("DynamoDB\n", False),
        (5, False),
    ],
)
def test_opt_in_type_names(type_name: Any, ok: bool) -> None:
    # [region] names are words of letters, digits and spaces ("Storage Gateway").
    value = {"regionSettings": {"resourceTypeOptIn": {"EC2": True, type_name: False}}}
    if ok:
        assert parse_plan(value).region_settings.opt_in == (("EC2", True), (type_name, False))
    else:
        assert refusal(value) == expected(
            "backupPlan.regionSettings.resourceTypeOptIn",
            type_name,
            "keys are resource type names such as DynamoDB, EC2, EFS",
        )


@pytest.mark.parametrize("enabled", ["true", 1, None])
def test_opt_in_values_must_be_booleans(enabled: Any) -> None:
    value = {"regionSettings": {"resourceTypeOptIn": {"EC2": True, "EFS": enabled}}}
    assert refusal(value) == expected(
        "backupPlan.regionSettings.resourceTypeOptIn.EFS",
        enabled,
        "must be true or false (opted in or not)",
    )


@pytest.mark.parametrize("choice", ["yes", 0])
def test_dynamodb_advanced_backup_must_be_a_boolean(choice: Any) -> None:
    region = {"resourceTypeOptIn": {"EC2": True}, "dynamoDbAdvancedBackup": choice}
    assert refusal({"regionSettings": region}) == expected(
        "backupPlan.regionSettings.dynamoDbAdvancedBackup",
        choice,
        "must be true or false (AWS Backup's advanced DynamoDB backup)",
    )


def test_rules_form_checks_region_settings_too() -> None:
    value = {"rules": [{"name": "daily"}], "regionSettings": {"resourceTypeOptIn": {}}}
    assert refusal(value) == expected(
        "backupPlan.regionSettings.resourceTypeOptIn", {}, OPT_IN_REMEDY
    )


def test_plan_not_an_object() -> None:
    assert refusal(["daily"]) == expected(
        "backupPlan", ["daily"], "must be an object (a YAML mapping)"
    )
