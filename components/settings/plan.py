"""The backup plan: `PlanSettings` (the single-rule form and `backupPlan.rules`), advanced and
region settings, schedules and lifecycles.

Split out of `components.config` (issue 11), which re-exports every name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from components.settings.base import (
    _CRON,
    _MISSING,
    _RATE,
    _TAG_KEY,
    COLD_STORAGE_MIN_DAYS,
    MIN_COMPLETION_WINDOW_MINUTES,
    MIN_START_WINDOW_MINUTES,
    ConfigError,
    _bool,
    _int,
    _object,
    _optional_int,
    _reject_unknown,
    _str,
)

SINGLE_RULE_NAME = "backup-and-copy-to-backup-account"


@dataclass(frozen=True, kw_only=True)
class RuleSettings:
    """One rule of the plan (`backupPlan.rules[i]`): a schedule into the source vault and its
    copy into the backup account, each with its lifecycle."""

    name: str
    schedule: str = "cron(0 5 ? * * *)"
    schedule_timezone: str | None = None
    start_window_minutes: int = 60
    completion_window_minutes: int = 1440
    retention_days: int = 35
    cold_storage_after_days: int | None = None
    opt_in_to_archive: bool | None = None
    """`optInToArchiveForSupportedResources`: cold storage for the types that support it only
    through archive tiers (API Lifecycle.OptInToArchiveForSupportedResources)."""
    copy_retention_days: int = 35
    copy_cold_storage_after_days: int | None = None
    enable_continuous_backup: bool = False
    recovery_point_tags: tuple[tuple[str, str], ...] = ()
    """Tags of the recovery points, besides `CopiedTo` (which the program sets)."""


@dataclass(frozen=True, kw_only=True)
class RegionSettingsConfig:
    """`backupPlan.regionSettings`: the source account's AWS Backup settings of its region."""

    opt_in: tuple[tuple[str, bool], ...]
    """ResourceTypeOptInPreference, every type the region lists (see `parse_region_settings`)."""
    dynamodb_advanced_backup: bool | None
    """ResourceTypeManagementPreference DynamoDB: needed for cross-account DynamoDB copies.
    None (unset): on when the selection may include DynamoDB tables (`parse_settings`)."""


@dataclass(frozen=True, kw_only=True)
class PlanSettings:
    """The backup rule in the source account and its copy into the backup account.

    The single-rule fields below are the single-rule form; with `backupPlan.rules` they hold
    the first rule's values (read by tools that know one rule) and `rules` holds them all.
    """

    schedule: str = "cron(0 5 ? * * *)"
    schedule_timezone: str | None = None
    """IANA time zone the cron expression is read in (`scheduleTimezone`); None = UTC."""
    retention_days: int = 35
    cold_storage_after_days: int | None = None
    copy_retention_days: int = 35
    copy_cold_storage_after_days: int | None = None
    start_window_minutes: int = 60
    completion_window_minutes: int = 1440
    rules: tuple[RuleSettings, ...] = ()
    """`backupPlan.rules`; empty in the single-rule form (see `effective_rules`)."""
    windows_vss: bool = False
    """`backupPlan.advancedSettings.windowsVss`: VSS-consistent backups of Windows EC2."""
    region_settings: RegionSettingsConfig | None = None

    @property
    def effective_rules(self) -> tuple[RuleSettings, ...]:
        """The rules the plan gets: `rules`, or the single-rule form as one rule."""
        if self.rules:
            return self.rules
        return (
            RuleSettings(
                name=SINGLE_RULE_NAME,
                schedule=self.schedule,
                schedule_timezone=self.schedule_timezone,
                start_window_minutes=self.start_window_minutes,
                completion_window_minutes=self.completion_window_minutes,
                retention_days=self.retention_days,
                cold_storage_after_days=self.cold_storage_after_days,
                copy_retention_days=self.copy_retention_days,
                copy_cold_storage_after_days=self.copy_cold_storage_after_days,
            ),
        )


SINGLE_RULE_KEYS = (
    "schedule",
    "scheduleTimezone",
    "retentionDays",
    "coldStorageAfterDays",
    "copyRetentionDays",
    "copyColdStorageAfterDays",
    "startWindowMinutes",
    "completionWindowMinutes",
)
#: Keys of `backupPlan` in either form.
PLAN_WIDE_KEYS = ("advancedSettings", "regionSettings")


def parse_plan(value: Any) -> PlanSettings:
    key = "backupPlan"
    raw = _object(key, value, required=False) or {}
    if "rules" in raw:
        return _parse_rules_plan(key, raw)
    single = parse_single_rule_plan({k: v for k, v in raw.items() if k not in PLAN_WIDE_KEYS})
    windows_vss, region = _parse_plan_wide(key, raw)
    if not windows_vss and region is None:
        return single
    return _replace_plan(single, windows_vss=windows_vss, region_settings=region)


def parse_single_rule_plan(value: Any) -> PlanSettings:
    key = "backupPlan"
    raw = _object(key, value, required=False) or {}
    defaults = PlanSettings()
    _reject_unknown(
        key,
        raw,
        (*PLAN_WIDE_KEYS, "rules", *SINGLE_RULE_KEYS),
    )
    schedule = _schedule(f"{key}.schedule", raw.get("schedule", defaults.schedule))
    timezone = _timezone(f"{key}.scheduleTimezone", raw.get("scheduleTimezone"))
    retention = _int(
        f"{key}.retentionDays", raw.get("retentionDays", defaults.retention_days), minimum=1
    )
    cold = _optional_int(f"{key}.coldStorageAfterDays", raw.get("coldStorageAfterDays"), minimum=1)
    copy_retention = _int(
        f"{key}.copyRetentionDays",
        raw.get("copyRetentionDays", defaults.copy_retention_days),
        minimum=1,
    )
    copy_cold = _optional_int(
        f"{key}.copyColdStorageAfterDays", raw.get("copyColdStorageAfterDays"), minimum=1
    )
    _check_lifecycle(f"{key}.retentionDays", retention, cold, "coldStorageAfterDays")
    _check_lifecycle(
        f"{key}.copyRetentionDays", copy_retention, copy_cold, "copyColdStorageAfterDays"
    )
    start, completion = _windows(
        key, raw, defaults.start_window_minutes, defaults.completion_window_minutes
    )
    return PlanSettings(
        schedule=schedule,
        schedule_timezone=timezone,
        retention_days=retention,
        cold_storage_after_days=cold,
        copy_retention_days=copy_retention,
        copy_cold_storage_after_days=copy_cold,
        start_window_minutes=start,
        completion_window_minutes=completion,
    )


# --- backupPlan.rules, advancedSettings, regionSettings (issue 13) ------------------------------

# API BackupRuleInput.RuleName: "Pattern: ^[a-zA-Z0-9\-\_\.]{1,50}$".
_RULE_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
#: AWS Backup guide, "Continuous backups and point-in-time recovery (PITR)" / "Changing your
#: retention period": "The minimum retention period is 1 day. The maximum ... is 35 days."
CONTINUOUS_MAX_RETENTION_DAYS = 35
RULE_KEYS = (
    "name",
    "schedule",
    "scheduleTimezone",
    "startWindowMinutes",
    "completionWindowMinutes",
    "retentionDays",
    "coldStorageAfterDays",
    "optInToArchiveForSupportedResources",
    "copyRetentionDays",
    "copyColdStorageAfterDays",
    "enableContinuousBackup",
    "recoveryPointTags",
)
#: Recovery point tag the program sets on every rule (which account holds the copies).
PROGRAM_RECOVERY_POINT_TAG = "CopiedTo"


def _replace_plan(plan: PlanSettings, **changes: Any) -> PlanSettings:
    return replace(plan, **changes)


def _parse_rules_plan(key: str, raw: Mapping[str, Any]) -> PlanSettings:
    _reject_unknown(key, raw, ("rules", *PLAN_WIDE_KEYS, *SINGLE_RULE_KEYS))
    mixed = [k for k in SINGLE_RULE_KEYS if k in raw]
    if mixed:
        raise ConfigError(
            f"{key}.{mixed[0]}",
            raw[mixed[0]],
            "the single-rule keys can't be combined with backupPlan.rules (one of the two would "
            "be ignored); move it into each rule of backupPlan.rules",
        )
    items = raw["rules"]
    if not isinstance(items, (list, tuple)) or not items:
        raise ConfigError(
            f"{key}.rules",
            items,
            "must be a non-empty list of rules, e.g. [{name: daily, schedule: cron(0 5 ? * * *), "
            "retentionDays: 35, copyRetentionDays: 35}]",
        )
    rules = tuple(_parse_rule(f"{key}.rules[{i}]", item) for i, item in enumerate(items))
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.name in seen:
            raise ConfigError(
                f"{key}.rules[{i}].name",
                rule.name,
                f"already the name of backupPlan.rules[{seen[rule.name]}]: rule names must be "
                "unique within the plan (they name the rule's jobs, reports and policy findings)",
            )
        seen[rule.name] = i
    windows_vss, region = _parse_plan_wide(key, raw)
    first = rules[0]
    return PlanSettings(
        schedule=first.schedule,
        schedule_timezone=first.schedule_timezone,
        retention_days=first.retention_days,
        cold_storage_after_days=first.cold_storage_after_days,
        copy_retention_days=first.copy_retention_days,
        copy_cold_storage_after_days=first.copy_cold_storage_after_days,
        start_window_minutes=first.start_window_minutes,
        completion_window_minutes=first.completion_window_minutes,
        rules=rules,
        windows_vss=windows_vss,
        region_settings=region,
    )


def _parse_rule(key: str, value: Any) -> RuleSettings:
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, "must be an object {name, schedule, retentionDays, ...}")
    _reject_unknown(key, value, RULE_KEYS)
    name = _str(
        f"{key}.name",
        value.get("name", _MISSING),
        _RULE_NAME,
        "must be 1-50 letters, digits, '-', '_' or '.' (API BackupRuleInput.RuleName), e.g. daily",
    )
    defaults = RuleSettings(name=name)
    schedule = _schedule(f"{key}.schedule", value.get("schedule", defaults.schedule))
    timezone = _timezone(f"{key}.scheduleTimezone", value.get("scheduleTimezone"))
    start, completion = _windows(
        key, value, defaults.start_window_minutes, defaults.completion_window_minutes
    )
    continuous = _bool(
        f"{key}.enableContinuousBackup",
        value.get("enableContinuousBackup", False),
        "point-in-time recovery (PITR) for the types that support it",
    )
    retention = _int(
        f"{key}.retentionDays", value.get("retentionDays", defaults.retention_days), minimum=1
    )
    cold = _optional_int(
        f"{key}.coldStorageAfterDays", value.get("coldStorageAfterDays"), minimum=1
    )
    if continuous and retention > CONTINUOUS_MAX_RETENTION_DAYS:
        raise ConfigError(
            f"{key}.retentionDays",
            retention,
            f"a continuous backup (enableContinuousBackup: true) is kept 1 to "
            f'{CONTINUOUS_MAX_RETENTION_DAYS} days (AWS Backup, point-in-time recovery: "the '
            f'maximum retention period is {CONTINUOUS_MAX_RETENTION_DAYS} days"); keep longer '
            "backups in a snapshot rule of their own",
        )
    if continuous and cold is not None:
        raise ConfigError(
            f"{key}.coldStorageAfterDays",
            cold,
            "a continuous backup can't move to cold storage (AWS Backup, point-in-time "
            "recovery; API Lifecycle); remove it, or move snapshots to cold storage in a rule "
            "without enableContinuousBackup",
        )
    _check_lifecycle(f"{key}.retentionDays", retention, cold, "coldStorageAfterDays")
    archive = value.get("optInToArchiveForSupportedResources")
    if archive is not None:
        archive = _bool(
            f"{key}.optInToArchiveForSupportedResources",
            archive,
            "API Lifecycle.OptInToArchiveForSupportedResources: supported resources go to the "
            "archive tier by the lifecycle",
        )
        if archive and cold is None:
            raise ConfigError(
                f"{key}.optInToArchiveForSupportedResources",
                archive,
                "moves supported resources to the archive (cold) tier at coldStorageAfterDays "
                "(API Lifecycle.OptInToArchiveForSupportedResources): set coldStorageAfterDays "
                "too, or remove it",
            )
    copy_retention = _int(
        f"{key}.copyRetentionDays",
        value.get("copyRetentionDays", defaults.copy_retention_days),
        minimum=1,
    )
    copy_cold = _optional_int(
        f"{key}.copyColdStorageAfterDays", value.get("copyColdStorageAfterDays"), minimum=1
    )
    _check_lifecycle(
        f"{key}.copyRetentionDays", copy_retention, copy_cold, "copyColdStorageAfterDays"
    )
    return RuleSettings(
        name=name,
        schedule=schedule,
        schedule_timezone=timezone,
        start_window_minutes=start,
        completion_window_minutes=completion,
        retention_days=retention,
        cold_storage_after_days=cold,
        opt_in_to_archive=archive,
        copy_retention_days=copy_retention,
        copy_cold_storage_after_days=copy_cold,
        enable_continuous_backup=continuous,
        recovery_point_tags=_recovery_point_tags(
            f"{key}.recoveryPointTags", value.get("recoveryPointTags")
        ),
    )


def _recovery_point_tags(key: str, value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, "must be a map of tag keys to string values")
    out = []
    for tag_key, tag_value in value.items():
        # fullmatch: `$` also matches before a trailing newline (see `_str`).
        if not isinstance(tag_key, str) or not _TAG_KEY.fullmatch(tag_key):
            raise ConfigError(f"{key}.{tag_key}", tag_value, "tag keys are 1-128 characters")
        if tag_key.lower().startswith("aws:"):
            raise ConfigError(
                f"{key}.{tag_key}", tag_value, "tag keys starting with aws: are reserved by AWS"
            )
        if tag_key == PROGRAM_RECOVERY_POINT_TAG:
            raise ConfigError(
                f"{key}.{tag_key}",
                tag_value,
                "the program sets CopiedTo (the backup account) on every rule; choose another key",
            )
        if not isinstance(tag_value, str) or len(tag_value) > 256:
            raise ConfigError(
                f"{key}.{tag_key}",
                tag_value,
                "must be a string of at most 256 characters (quote it)",
            )
        out.append((tag_key, tag_value))
    return tuple(out)


#: ResourceTypeManagementPreference takes these types (API UpdateRegionSettings); the provider
#: reads back the whole map, so the program always writes both (see `RegionSettingsConfig`).
MANAGEMENT_TYPES = ("DynamoDB", "EFS")


def _parse_plan_wide(key: str, raw: Mapping[str, Any]) -> tuple[bool, RegionSettingsConfig | None]:
    """`backupPlan.advancedSettings` and `backupPlan.regionSettings`, in either form."""
    advanced = raw.get("advancedSettings")
    windows_vss = False
    if advanced is not None:
        if not isinstance(advanced, Mapping):
            raise ConfigError(
                f"{key}.advancedSettings", advanced, "must be an object {windowsVss: true}"
            )
        _reject_unknown(f"{key}.advancedSettings", advanced, ("windowsVss",))
        windows_vss = _bool(
            f"{key}.advancedSettings.windowsVss",
            advanced.get("windowsVss", False),
            "Windows VSS application-consistent backups of EC2 instances",
        )
    region = raw.get("regionSettings")
    if region is None:
        return windows_vss, None
    rkey = f"{key}.regionSettings"
    if not isinstance(region, Mapping):
        raise ConfigError(
            rkey, region, "must be an object {resourceTypeOptIn: {...}, dynamoDbAdvancedBackup?}"
        )
    _reject_unknown(rkey, region, ("resourceTypeOptIn", "dynamoDbAdvancedBackup"))
    opt_in = region.get("resourceTypeOptIn", _MISSING)
    if not isinstance(opt_in, Mapping) or not opt_in:
        raise ConfigError(
            f"{rkey}.resourceTypeOptIn",
            opt_in,
            "required: a map of every resource type of the region to true/false, as "
            "`aws backup describe-region-settings` lists them (ResourceTypeOptInPreference); "
            "a partial map shows a change at every preview",
        )
    pairs = []
    for type_name, enabled in opt_in.items():
        if not isinstance(type_name, str) or not re.fullmatch(
            r"[A-Za-z][A-Za-z0-9 ]{0,49}", type_name
        ):
            raise ConfigError(
                f"{rkey}.resourceTypeOptIn",
                type_name,
                "keys are resource type names such as DynamoDB, EC2, EFS",
            )
        pairs.append(
            (type_name, _bool(f"{rkey}.resourceTypeOptIn.{type_name}", enabled, "opted in or not"))
        )
    dynamo = region.get("dynamoDbAdvancedBackup")
    return windows_vss, RegionSettingsConfig(
        opt_in=tuple(pairs),
        # None: decided by the selection in parse_settings (`_resolve_region_settings`).
        dynamodb_advanced_backup=(
            None
            if dynamo is None
            else _bool(
                f"{rkey}.dynamoDbAdvancedBackup", dynamo, "AWS Backup's advanced DynamoDB backup"
            )
        ),
    )


def _schedule(key: str, value: Any) -> str:
    shape = (
        "must be a cron(...) expression with six fields (minutes hours day-of-month month "
        "day-of-week year), e.g. cron(0 5 ? * * *)"
    )
    if not isinstance(value, str):
        raise ConfigError(key, value, shape)
    if _RATE.match(value.strip()):
        raise ConfigError(
            key,
            value,
            "AWS Backup schedules are cron expressions only (its ScheduleExpression takes no "
            "rate(...)): write the interval as a cron(...) with six fields, e.g. "
            "cron(0 */12 ? * * *) for every 12 hours or cron(0 5 ? * * *) for daily at 05:00",
        )
    cron = _CRON.fullmatch(value)
    if not cron:
        raise ConfigError(key, value, shape)
    minutes, _hours, day_of_month, _month, day_of_week, _year = cron.group("fields").split()
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ConfigError(
            key,
            value,
            "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be ?, "
            "e.g. cron(0 5 ? * * *) or cron(0 5 1 * ? *)",
        )
    if not re.fullmatch(r"[0-5]?\d", minutes):
        raise ConfigError(
            key,
            value,
            "the minutes field must be a single minute (0-59): AWS Backup runs jobs at most "
            "once an hour",
        )
    return value


def _timezone(key: str, value: Any) -> str | None:
    """An IANA time zone name (`Europe/Paris`), as AWS Backup's ScheduleExpressionTimezone takes.

    The cron check above holds in any zone (the shape and the one-hour minimum don't depend on
    it); a wall-clock hour that a daylight-saving change skips or repeats is AWS's to resolve.
    """
    if value is None:
        return None
    valid = "must be an IANA time zone name such as Etc/UTC, Europe/Paris or America/New_York"
    known = available_timezones()
    if not known:
        # zoneinfo reads the system's database (or the tzdata package): without it, no name
        # can be checked, and refusing them all as invalid would blame the user's value.
        raise ConfigError(
            key, value, "can't be checked: this machine has no time zone database (install tzdata)"
        )
    if not isinstance(value, str) or value not in known:
        raise ConfigError(key, value, valid)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(key, value, valid) from None
    return value


def _check_lifecycle(key: str, delete_after: int, cold_after: int | None, cold_key: str) -> None:
    if cold_after is not None and delete_after < cold_after + COLD_STORAGE_MIN_DAYS:
        raise ConfigError(
            key,
            delete_after,
            f"AWS Backup deletes no sooner than {COLD_STORAGE_MIN_DAYS} days after the move to "
            f"cold storage: with {cold_key} = {cold_after} it must be >= "
            f"{cold_after + COLD_STORAGE_MIN_DAYS}",
        )


def _windows(
    key: str, raw: Mapping[str, Any], start_default: int, completion_default: int
) -> tuple[int, int]:
    """`startWindowMinutes` and `completionWindowMinutes` of a rule (API BackupRuleInput): the
    completion window must end at least 60 minutes after the start window."""
    start = _int(
        f"{key}.startWindowMinutes",
        raw.get("startWindowMinutes", start_default),
        minimum=MIN_START_WINDOW_MINUTES,
    )
    completion = _int(
        f"{key}.completionWindowMinutes",
        raw.get("completionWindowMinutes", completion_default),
        minimum=MIN_COMPLETION_WINDOW_MINUTES,
    )
    if completion < start + 60:
        raise ConfigError(
            f"{key}.completionWindowMinutes",
            completion,
            f"must be at least 60 minutes more than startWindowMinutes ({start})",
        )
    return start, completion
