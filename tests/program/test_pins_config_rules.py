"""Pins of `backupPlan.rules` (components/settings/plan.py), Pulumi-free (issue 16).

The rules form was tested only through the Pulumi runtime (tests/program/test_plan_rules.py),
which the mutation working copy leaves out: these tests call the parser directly, assert whole
settings where settings are the product, whole messages where the message is
(`invalid config cross-account-backup:<key> = <value!r>: <remedy>`), and each limit on both sides.

References:
- [rule] AWS Backup API, BackupRuleInput: RuleName "Pattern: ^[a-zA-Z0-9\\-\\_\\.]{1,50}$";
  StartWindowMinutes "must be at least 60 minutes"; ScheduleExpression default
  `cron(0 5 ? * * *)`; RecoveryPointTags a string-to-string map:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html
- [lifecycle] AWS Backup API, Lifecycle: "DeleteAfterDays ... must be at least 90 days after the
  number of days specified in MoveToColdStorageAfterDays"; OptInToArchiveForSupportedResources
  "transitions supported resources to archive (cold) storage tier in accordance with your
  lifecycle settings": https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html
- [pitr] AWS Backup guide, "Changing your retention period" (continuous backups): "The minimum
  retention period is 1 day. The maximum retention period is 35 days.":
  https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html
- [tags] Tagging AWS resources: key 1-128, value 0-256 characters, `aws:` reserved:
  https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
"""

from __future__ import annotations

from typing import Any

import pytest
from config_messages import expected

from components.config import (
    _MISSING,
    ConfigError,
    PlanSettings,
    RuleSettings,
    parse_plan,
)

RULE_KEYS_TEXT = (
    "name, schedule, scheduleTimezone, startWindowMinutes, completionWindowMinutes, "
    "retentionDays, coldStorageAfterDays, optInToArchiveForSupportedResources, "
    "copyRetentionDays, copyColdStorageAfterDays, enableContinuousBackup, recoveryPointTags"
)


def refusal(value: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_plan(value)
    return str(caught.value)


def rules(*items: Any, **plan_keys: Any) -> dict[str, Any]:
    return {"rules": list(items), **plan_keys}


def one_rule(**rule: Any) -> RuleSettings:
    return parse_plan(rules({"name": "daily", **rule})).rules[0]


# --- what a rule becomes -------------------------------------------------------------------------


def test_rule_with_only_a_name_takes_every_default() -> None:
    # [rule] ScheduleExpression's default is cron(0 5 ? * * *); the windows are the program's.
    assert one_rule() == RuleSettings(
        name="daily",
        schedule="cron(0 5 ? * * *)",
        schedule_timezone=None,
        start_window_minutes=60,
        completion_window_minutes=1440,
        retention_days=35,
        cold_storage_after_days=None,
        opt_in_to_archive=None,
        copy_retention_days=35,
        copy_cold_storage_after_days=None,
        enable_continuous_backup=False,
        recovery_point_tags=(),
    )


def test_rule_with_every_key_keeps_every_value() -> None:
    rule = {
        "name": "monthly.archive_1",
        "schedule": "cron(0 3 1 * ? *)",
        "scheduleTimezone": "Europe/Paris",
        "startWindowMinutes": 90,
        "completionWindowMinutes": 600,
        "retentionDays": 400,
        "coldStorageAfterDays": 30,
        "optInToArchiveForSupportedResources": True,
        "copyRetentionDays": 500,
        "copyColdStorageAfterDays": 60,
        "enableContinuousBackup": False,
        "recoveryPointTags": {"Team": "storage", "Tier": "gold"},
    }
    assert parse_plan(rules(rule)).rules == (
        RuleSettings(
            name="monthly.archive_1",
            schedule="cron(0 3 1 * ? *)",
            schedule_timezone="Europe/Paris",
            start_window_minutes=90,
            completion_window_minutes=600,
            retention_days=400,
            cold_storage_after_days=30,
            opt_in_to_archive=True,
            copy_retention_days=500,
            copy_cold_storage_after_days=60,
            enable_continuous_backup=False,
            recovery_point_tags=(("Team", "storage"), ("Tier", "gold")),
        ),
    )


def test_plan_of_rules_carries_the_first_rules_values_and_every_rule() -> None:
    first = {
        "name": "hourly",
        "schedule": "cron(0 * ? * * *)",
        "scheduleTimezone": "Europe/Berlin",
        "startWindowMinutes": 61,
        "completionWindowMinutes": 181,
        "retentionDays": 200,
        "coldStorageAfterDays": 100,
        "copyRetentionDays": 300,
        "copyColdStorageAfterDays": 200,
    }
    second = {"name": "daily", "retentionDays": 7}
    plan = parse_plan(rules(first, second))
    assert plan == PlanSettings(
        schedule="cron(0 * ? * * *)",
        schedule_timezone="Europe/Berlin",
        retention_days=200,
        cold_storage_after_days=100,
        copy_retention_days=300,
        copy_cold_storage_after_days=200,
        start_window_minutes=61,
        completion_window_minutes=181,
        rules=(
            RuleSettings(
                name="hourly",
                schedule="cron(0 * ? * * *)",
                schedule_timezone="Europe/Berlin",
                start_window_minutes=61,
                completion_window_minutes=181,
                retention_days=200,
                cold_storage_after_days=100,
                copy_retention_days=300,
                copy_cold_storage_after_days=200,
            ),
            RuleSettings(name="daily", retention_days=7),
        ),
        windows_vss=False,
        region_settings=None,
    )
    assert plan.effective_rules == plan.rules


def test_single_rule_form_is_one_effective_rule_named_for_it() -> None:
    plan = parse_plan(
        {
            "schedule": "cron(0 2 ? * * *)",
            "scheduleTimezone": "Asia/Tokyo",
            "startWindowMinutes": 70,
            "completionWindowMinutes": 300,
            "retentionDays": 120,
            "coldStorageAfterDays": 10,
            "copyRetentionDays": 150,
            "copyColdStorageAfterDays": 20,
        }
    )
    assert plan.rules == ()
    assert plan.effective_rules == (
        RuleSettings(
            name="backup-and-copy-to-backup-account",
            schedule="cron(0 2 ? * * *)",
            schedule_timezone="Asia/Tokyo",
            start_window_minutes=70,
            completion_window_minutes=300,
            retention_days=120,
            cold_storage_after_days=10,
            copy_retention_days=150,
            copy_cold_storage_after_days=20,
        ),
    )


def test_rules_form_takes_windows_vss() -> None:
    plan = parse_plan(rules({"name": "daily"}, advancedSettings={"windowsVss": True}))
    assert (plan.windows_vss, plan.region_settings) == (True, None)


# --- the list of rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("items", [[], (), "daily", {"name": "daily"}, None])
def test_rules_must_be_a_non_empty_list(items: Any) -> None:
    assert refusal({"rules": items}) == expected(
        "backupPlan.rules",
        items,
        "must be a non-empty list of rules, e.g. [{name: daily, schedule: cron(0 5 ? * * *), "
        "retentionDays: 35, copyRetentionDays: 35}]",
    )


def test_rules_as_a_tuple_are_accepted() -> None:
    assert parse_plan({"rules": ({"name": "a"}, {"name": "b"})}).rules == (
        RuleSettings(name="a"),
        RuleSettings(name="b"),
    )


def test_single_rule_key_beside_rules_names_the_first_in_key_order() -> None:
    # Both given; the message names the first of SINGLE_RULE_KEYS (schedule before retention).
    value = {"rules": [{"name": "daily"}], "retentionDays": 9, "schedule": "cron(0 1 ? * * *)"}
    assert refusal(value) == expected(
        "backupPlan.schedule",
        "cron(0 1 ? * * *)",
        "the single-rule keys can't be combined with backupPlan.rules (one of the two would be "
        "ignored); move it into each rule of backupPlan.rules",
    )


@pytest.mark.parametrize("single_key", ["scheduleTimezone", "copyColdStorageAfterDays"])
def test_every_single_rule_key_beside_rules_is_refused(single_key: str) -> None:
    assert refusal({"rules": [{"name": "daily"}], single_key: 5}) == expected(
        f"backupPlan.{single_key}",
        5,
        "the single-rule keys can't be combined with backupPlan.rules (one of the two would be "
        "ignored); move it into each rule of backupPlan.rules",
    )


def test_unknown_key_beside_rules_lists_the_valid_keys() -> None:
    assert refusal({"rules": [{"name": "daily"}], "rule": 1}) == expected(
        "backupPlan.rule",
        1,
        "unknown key; valid keys: rules, advancedSettings, regionSettings, schedule, "
        "scheduleTimezone, retentionDays, coldStorageAfterDays, copyRetentionDays, "
        "copyColdStorageAfterDays, startWindowMinutes, completionWindowMinutes",
    )


def test_unknown_key_of_the_single_rule_form_lists_the_valid_keys() -> None:
    assert refusal({"retention": 1}) == expected(
        "backupPlan.retention",
        1,
        "unknown key; valid keys: advancedSettings, regionSettings, rules, schedule, "
        "scheduleTimezone, retentionDays, coldStorageAfterDays, copyRetentionDays, "
        "copyColdStorageAfterDays, startWindowMinutes, completionWindowMinutes",
    )


def test_duplicate_rule_name_names_the_earlier_rule() -> None:
    value = rules({"name": "a"}, {"name": "b"}, {"name": "b"})
    assert refusal(value) == expected(
        "backupPlan.rules[2].name",
        "b",
        "already the name of backupPlan.rules[1]: rule names must be unique within the plan "
        "(they name the rule's jobs, reports and policy findings)",
    )


def test_rule_names_differing_in_case_are_distinct() -> None:
    # [rule] RuleName is case-sensitive text; the program compares names exactly.
    assert [r.name for r in parse_plan(rules({"name": "Daily"}, {"name": "daily"})).rules] == [
        "Daily",
        "daily",
    ]


# --- one rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ["daily", ["daily"], None, 5])
def test_rule_must_be_an_object(item: Any) -> None:
    assert refusal(rules({"name": "a"}, item)) == expected(
        "backupPlan.rules[1]", item, "must be an object {name, schedule, retentionDays, ...}"
    )


def test_unknown_rule_key_lists_the_rule_keys() -> None:
    assert refusal(rules({"name": "a", "copyRetention": 3})) == expected(
        "backupPlan.rules[0].copyRetention", 3, f"unknown key; valid keys: {RULE_KEYS_TEXT}"
    )


RULE_NAME_REMEDY = (
    "must be 1-50 letters, digits, '-', '_' or '.' (API BackupRuleInput.RuleName), e.g. daily"
)


def test_rule_without_name_is_missing() -> None:
    assert refusal(rules({"retentionDays": 3})) == expected(
        "backupPlan.rules[0].name", _MISSING, RULE_NAME_REMEDY
    )


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("", False),
        ("a", True),
        ("a" * 50, True),
        ("a" * 51, False),
        ("Az09-_.", True),
        ("daily backup", False),
        ("daily\n", False),
        ("täglich", False),
        (7, False),
    ],
)
def test_rule_name_pattern_and_length(name: Any, ok: bool) -> None:
    # [rule] RuleName: ^[a-zA-Z0-9\-\_\.]{1,50}$
    if ok:
        assert one_rule(name=name).name == name
    else:
        assert refusal(rules({"name": name})) == expected(
            "backupPlan.rules[0].name", name, RULE_NAME_REMEDY
        )


@pytest.mark.parametrize(
    ("start", "completion", "message"),
    [
        (59, 1440, ("startWindowMinutes", 59, "must be a whole number >= 60")),
        (60, 119, ("completionWindowMinutes", 119, "must be a whole number >= 120")),
        (
            100,
            159,
            (
                "completionWindowMinutes",
                159,
                "must be at least 60 minutes more than startWindowMinutes (100)",
            ),
        ),
        (100, 160, None),
        (60, 120, None),
    ],
)
def test_rule_windows_at_their_limits(
    start: int, completion: int, message: tuple[str, int, str] | None
) -> None:
    # [rule] StartWindowMinutes: "must be at least 60 minutes". The completion window 60 minutes
    # past the start is the program's rule (`_windows`); no AWS page found states it.
    value = rules({"name": "a", "startWindowMinutes": start, "completionWindowMinutes": completion})
    if message is None:
        rule = parse_plan(value).rules[0]
        assert (rule.start_window_minutes, rule.completion_window_minutes) == (start, completion)
    else:
        key, shown, remedy = message
        assert refusal(value) == expected(f"backupPlan.rules[0].{key}", shown, remedy)


def test_rule_schedule_is_checked_under_the_rules_key() -> None:
    assert refusal(rules({"name": "a", "schedule": "cron(0 5 * * * *)"})) == expected(
        "backupPlan.rules[0].schedule",
        "cron(0 5 * * * *)",
        "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be ?, "
        "e.g. cron(0 5 ? * * *) or cron(0 5 1 * ? *)",
    )


def test_rule_timezone_is_checked_under_the_rules_key() -> None:
    assert refusal(rules({"name": "a", "scheduleTimezone": "Mars/Olympus"})) == expected(
        "backupPlan.rules[0].scheduleTimezone",
        "Mars/Olympus",
        "must be an IANA time zone name such as Etc/UTC, Europe/Paris or America/New_York",
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("retentionDays", 0), ("copyRetentionDays", 0), ("coldStorageAfterDays", 0)],
)
def test_rule_days_are_at_least_one(key: str, value: int) -> None:
    assert refusal(rules({"name": "a", key: value})) == expected(
        f"backupPlan.rules[0].{key}", value, "must be a whole number >= 1"
    )


def test_rule_copy_cold_storage_is_at_least_one() -> None:
    value = rules({"name": "a", "copyColdStorageAfterDays": 0, "copyRetentionDays": 100})
    assert refusal(value) == expected(
        "backupPlan.rules[0].copyColdStorageAfterDays", 0, "must be a whole number >= 1"
    )


# --- lifecycle: 90 days in cold storage ---------------------------------------------------------


@pytest.mark.parametrize(("retention", "ok"), [(119, False), (120, True)])
def test_rule_deletes_no_sooner_than_90_days_after_cold_storage(retention: int, ok: bool) -> None:
    # [lifecycle] DeleteAfterDays >= MoveToColdStorageAfterDays + 90.
    value = rules({"name": "a", "retentionDays": retention, "coldStorageAfterDays": 30})
    if ok:
        assert parse_plan(value).rules[0].retention_days == retention
    else:
        assert refusal(value) == expected(
            "backupPlan.rules[0].retentionDays",
            retention,
            "AWS Backup deletes no sooner than 90 days after the move to cold storage: with "
            "coldStorageAfterDays = 30 it must be >= 120",
        )


@pytest.mark.parametrize(("retention", "ok"), [(109, False), (110, True)])
def test_rule_copy_deletes_no_sooner_than_90_days_after_cold_storage(
    retention: int, ok: bool
) -> None:
    value = rules({"name": "a", "copyRetentionDays": retention, "copyColdStorageAfterDays": 20})
    if ok:
        assert parse_plan(value).rules[0].copy_retention_days == retention
    else:
        assert refusal(value) == expected(
            "backupPlan.rules[0].copyRetentionDays",
            retention,
            "AWS Backup deletes no sooner than 90 days after the move to cold storage: with "
            "copyColdStorageAfterDays = 20 it must be >= 110",
        )


# --- continuous backup ---------------------------------------------------------------------------

CONTINUOUS_REMEDY = (
    "a continuous backup (enableContinuousBackup: true) is kept 1 to 35 days (AWS Backup, "
    'point-in-time recovery: "the maximum retention period is 35 days"); keep longer backups in '
    "a snapshot rule of their own"
)


@pytest.mark.parametrize(("retention", "ok"), [(1, True), (35, True), (36, False)])
def test_continuous_backup_retention_at_most_35_days(retention: int, ok: bool) -> None:
    # [pitr] 1 to 35 days.
    value = rules({"name": "pitr", "enableContinuousBackup": True, "retentionDays": retention})
    if ok:
        rule = parse_plan(value).rules[0]
        assert (rule.enable_continuous_backup, rule.retention_days) == (True, retention)
    else:
        assert refusal(value) == expected(
            "backupPlan.rules[0].retentionDays", retention, CONTINUOUS_REMEDY
        )


def test_snapshot_rule_may_keep_more_than_35_days() -> None:
    assert one_rule(enableContinuousBackup=False, retentionDays=36).retention_days == 36


def test_continuous_backup_default_retention_is_within_its_limit() -> None:
    rule = one_rule(enableContinuousBackup=True)
    assert (rule.enable_continuous_backup, rule.retention_days) == (True, 35)


def test_continuous_backup_with_cold_storage_is_refused() -> None:
    value = rules(
        {
            "name": "pitr",
            "enableContinuousBackup": True,
            "retentionDays": 30,
            "coldStorageAfterDays": 1,
        }
    )
    assert refusal(value) == expected(
        "backupPlan.rules[0].coldStorageAfterDays",
        1,
        "a continuous backup can't move to cold storage (AWS Backup, point-in-time recovery; "
        "API Lifecycle); remove it, or move snapshots to cold storage in a rule without "
        "enableContinuousBackup",
    )


@pytest.mark.parametrize("flag", ["true", 1, None])
def test_continuous_backup_must_be_a_boolean(flag: Any) -> None:
    assert refusal(rules({"name": "a", "enableContinuousBackup": flag})) == expected(
        "backupPlan.rules[0].enableContinuousBackup",
        flag,
        "must be true or false (point-in-time recovery (PITR) for the types that support it)",
    )


# --- archive opt-in ------------------------------------------------------------------------------


def test_archive_opt_in_with_cold_storage_is_kept() -> None:
    rule = one_rule(
        optInToArchiveForSupportedResources=True, coldStorageAfterDays=10, retentionDays=100
    )
    assert (rule.opt_in_to_archive, rule.cold_storage_after_days) == (True, 10)


def test_archive_opt_out_needs_no_cold_storage() -> None:
    assert one_rule(optInToArchiveForSupportedResources=False).opt_in_to_archive is False


def test_archive_opt_in_without_cold_storage_is_refused() -> None:
    # [lifecycle] the archive tier is reached by the lifecycle's cold-storage move.
    assert refusal(rules({"name": "a", "optInToArchiveForSupportedResources": True})) == expected(
        "backupPlan.rules[0].optInToArchiveForSupportedResources",
        True,
        "moves supported resources to the archive (cold) tier at coldStorageAfterDays (API "
        "Lifecycle.OptInToArchiveForSupportedResources): set coldStorageAfterDays too, or "
        "remove it",
    )


@pytest.mark.parametrize("flag", ["yes", 0])
def test_archive_opt_in_must_be_a_boolean(flag: Any) -> None:
    assert refusal(rules({"name": "a", "optInToArchiveForSupportedResources": flag})) == expected(
        "backupPlan.rules[0].optInToArchiveForSupportedResources",
        flag,
        "must be true or false (API Lifecycle.OptInToArchiveForSupportedResources: supported "
        "resources go to the archive tier by the lifecycle)",
    )


# --- recovery point tags -------------------------------------------------------------------------


def tags_refusal(tags: Any) -> str:
    return refusal(rules({"name": "a", "recoveryPointTags": tags}))


def test_recovery_point_tags_keep_their_order_and_values() -> None:
    # [tags] a value may be empty (0-256 characters).
    tags = {"Zeta": "1", "Alpha": "", "CopiedToo": "x", "copiedto": "y"}
    assert one_rule(recoveryPointTags=tags).recovery_point_tags == (
        ("Zeta", "1"),
        ("Alpha", ""),
        ("CopiedToo", "x"),
        ("copiedto", "y"),
    )


@pytest.mark.parametrize("tags", [["Team"], "Team=storage", 5])
def test_recovery_point_tags_must_be_a_map(tags: Any) -> None:
    assert tags_refusal(tags) == expected(
        "backupPlan.rules[0].recoveryPointTags", tags, "must be a map of tag keys to string values"
    )


@pytest.mark.parametrize(
    ("tag_key", "ok"),
    [
        ("", False),
        ("k", True),
        ("k" * 128, True),
        ("k" * 129, False),
        ("a#b", False),
        (5, False),
        # A YAML block scalar's trailing newline: `$` matched before it (`match`), so AWS got a
        # tag key with a newline; fixed with fullmatch.
        ("Team\n", False),
    ],
)
def test_recovery_point_tag_key_length(tag_key: Any, ok: bool) -> None:
    # [tags] keys of 1-128 characters.
    if ok:
        assert one_rule(recoveryPointTags={tag_key: "v"}).recovery_point_tags == ((tag_key, "v"),)
    else:
        assert tags_refusal({tag_key: "v"}) == expected(
            f"backupPlan.rules[0].recoveryPointTags.{tag_key}", "v", "tag keys are 1-128 characters"
        )


@pytest.mark.parametrize("tag_key", ["aws:createdBy", "AWS:x", "Aws:"])
def test_recovery_point_tag_key_aws_prefix_any_case(tag_key: str) -> None:
    assert tags_refusal({tag_key: "v"}) == expected(
        f"backupPlan.rules[0].recoveryPointTags.{tag_key}",
        "v",
        "tag keys starting with aws: are reserved by AWS",
    )


def test_recovery_point_tag_key_containing_aws_colon_later_is_accepted() -> None:
    assert one_rule(recoveryPointTags={"my-aws:x": "v"}).recovery_point_tags == (("my-aws:x", "v"),)


def test_recovery_point_tag_copied_to_is_the_programs() -> None:
    assert tags_refusal({"CopiedTo": "elsewhere"}) == expected(
        "backupPlan.rules[0].recoveryPointTags.CopiedTo",
        "elsewhere",
        "the program sets CopiedTo (the backup account) on every rule; choose another key",
    )


@pytest.mark.parametrize(
    ("tag_value", "ok"), [("v" * 256, True), ("v" * 257, False), (5, False), (True, False)]
)
def test_recovery_point_tag_value_length(tag_value: Any, ok: bool) -> None:
    if ok:
        assert one_rule(recoveryPointTags={"k": tag_value}).recovery_point_tags == (
            ("k", tag_value),
        )
    else:
        assert tags_refusal({"k": tag_value}) == expected(
            "backupPlan.rules[0].recoveryPointTags.k",
            tag_value,
            "must be a string of at most 256 characters (quote it)",
        )


# --- the single-rule form's day counts -----------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["retentionDays", "coldStorageAfterDays", "copyRetentionDays", "copyColdStorageAfterDays"],
)
def test_single_rule_day_counts_are_at_least_one_under_their_key(key: str) -> None:
    # [lifecycle] MoveToColdStorageAfterDays / DeleteAfterDays count days after creation.
    assert refusal({"retentionDays": 200, "copyRetentionDays": 200, key: 0}) == expected(
        f"backupPlan.{key}", 0, "must be a whole number >= 1"
    )


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("retentionDays", "retention_days"),
        ("coldStorageAfterDays", "cold_storage_after_days"),
        ("copyRetentionDays", "copy_retention_days"),
        ("copyColdStorageAfterDays", "copy_cold_storage_after_days"),
    ],
)
@pytest.mark.parametrize("form", ["single-rule", "rules"])
def test_day_counts_of_one_are_accepted(key: str, field: str, form: str) -> None:
    # The other side of ">= 1": one day is a valid count (cold after 1 day, deleted at 91).
    values = {"retentionDays": 91, "copyRetentionDays": 91, key: 1}
    if form == "rules":
        plan = parse_plan(rules({"name": "a", **values}))
        assert getattr(plan.rules[0], field) == 1
    else:
        plan = parse_plan(values)
    assert getattr(plan, field) == 1
