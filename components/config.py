"""The stack configuration as a typed, frozen model, validated before anything is registered.

`parse_settings` takes the decoded values of the `cross-account-backup:*` config keys and returns a
`StackSettings`, or raises `ConfigError` naming the offending key, the value and what would be
valid. Nothing here imports Pulumi: the offline preview, the policy config tool and the live
verification parse the same stack files with the same rules.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from components.recovery_config import RecoverySettings
    from components.sources_config import OrganizationSettings, SourceSettings

NAMESPACE = "cross-account-backup"

T = TypeVar("T")

#: Every key the program reads, without namespace. Anything else under the namespace is a typo.
KNOWN_KEYS = (
    "sourceAccount",
    # Issue 12 (components.sources_config): many workload accounts, organization-scoped grants.
    "sourceAccounts",
    "organization",
    "backupAccount",
    "managementAccount",
    "backupPlan",
    "selectionTag",
    "selection",
    "vaultLock",
    "notificationEmail",
    # Issue 14 (components.recovery_config): restore tests, Backup Audit Manager.
    "restoreTesting",
    "backupAudit",
)

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM role ARN: partition, account, optional path, name (1-64 of IAM's allowed characters).
_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):role/"
    r"(?P<path>(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]{1,64})$"
)
_REGION = re.compile(r"^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-\d$")
# AWS Backup's ScheduleExpression is a `cron(...)` expression with six fields (minutes hours
# day-of-month month day-of-week year), in UTC unless ScheduleExpressionTimezone says otherwise
# (API BackupRuleInput); it takes no `rate(...)` (terraform-provider-aws #8269). AWS checks the
# fields; the shape and the 60-minute minimum interval are checked here.
_CRON = re.compile(r"^cron\((?P<fields>\S+(?:\s+\S+){5})\)$")
_RATE = re.compile(r"^rate\(.*\)$", re.IGNORECASE)
#: AWS Backup refuses jobs more frequent than once an hour.
MIN_INTERVAL_MINUTES = 60
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_TAG_KEY = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: AWS Backup lifecycle rule: deletion at least 90 days after the move to cold storage.
COLD_STORAGE_MIN_DAYS = 90
#: Vault Lock compliance mode: the grace period before the lock becomes immutable.
LOCK_MIN_CHANGEABLE_DAYS = 3
#: AWS Backup plan windows: start at least 60 minutes, completion at least 60 after the start.
MIN_START_WINDOW_MINUTES = 60
MIN_COMPLETION_WINDOW_MINUTES = 120


class ConfigError(ValueError):
    """A config value that can't be deployed. `str()` is the message a user sees."""

    def __init__(self, key: str, value: Any, valid: str) -> None:
        self.key = key
        self.value = value
        self.valid = valid
        super().__init__(
            f"invalid config {NAMESPACE}:{key} = {value!r}: {valid}"
            if value is not _MISSING
            else f"missing config {NAMESPACE}:{key}: {valid}"
        )


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


@dataclass(frozen=True, kw_only=True)
class AccountSettings:
    """One AWS account the program deploys to, and how its provider gets in."""

    account_id: str
    """The 12-digit account id, as a string."""
    role_arn: str
    """The IAM role in that account that the provider assumes."""
    region: str
    """The region of the account's resources."""
    external_id: str | None = None
    """Optional external id required by the role's trust policy."""
    session_name: str = "cross-account-backup"
    """The assumed role session name (shows in CloudTrail)."""
    create_service_linked_role: bool = True
    """Create `AWSServiceRoleForBackup` in this account (`createServiceLinkedRole`). False when
    the role exists already: an `aws.iam.ServiceLinkedRole` fails if it does."""

    @property
    def partition(self) -> str:
        match = _ROLE_ARN.match(self.role_arn)
        return match.group("partition") if match else "aws"


#: The rule name of the single-rule form (`backupPlan` without `rules`): kept so that its plan
#: does not change on an upgrade.
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


@dataclass(frozen=True, kw_only=True)
class SelectionSettings:
    """`selection`: resources matching every tag (AND), and/or listed ARNs, minus exclusions."""

    tags: tuple[SelectionTag, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()

    def may_include(self, arn_service: str) -> bool:
        """Whether resources of a service (`dynamodb`) may be selected: tags select any type;
        listed ARNs only theirs (`*` any)."""
        if self.tags:
            return True
        return any(r == "*" or r.split(":")[2:3] in ([arn_service], ["*"]) for r in self.resources)


@dataclass(frozen=True, kw_only=True)
class SelectionTag:
    """Resources of the source account carrying this tag are backed up."""

    key: str = "Backup"
    value: str = "Yes"


@dataclass(frozen=True, kw_only=True)
class VaultLockSettings:
    """Vault Lock of the backup account's vault."""

    mode: Literal["compliance", "governance"]
    min_retention_days: int
    max_retention_days: int
    changeable_for_days: int | None
    """Compliance mode only: days until the lock can no longer be removed (>= 3)."""
    lock_date: datetime | None = None
    """Compliance mode only (`lockDate`): the LockDate AWS reports for the lock on the vault,
    from which on AWS refuses any change or removal of it. None: not locked yet (or unknown)."""

    def immutable_at(self, now: datetime) -> bool:
        """Whether AWS refuses every change of this lock at `now` (its lock date has passed)."""
        return self.lock_date is not None and now >= self.lock_date


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    """Everything the program needs, validated. Names and ARNs derive from it."""

    project: str
    stack: str
    source: AccountSettings
    backup: AccountSettings
    management: AccountSettings | None
    plan: PlanSettings
    selection_tag: SelectionTag
    vault_lock: VaultLockSettings | None
    notification_email: str | None
    recovery: RecoverySettings | None = None
    """The backup vault's type, restore tests, audit; None only where a caller builds settings
    by hand (`parse_settings` always sets it)."""
    selection: SelectionSettings | None = None
    """`selection` (the richer form); None: the single `selectionTag`."""
    sources: tuple[SourceSettings, ...] = ()
    """Issue 12: every source account with its own plan and selection, in the order configured.
    `source`, `plan`, `selection_tag` and `selection` are the first one's. Empty only where a
    caller builds settings by hand: `all_sources` then stands for `source`."""
    many_sources: bool = False
    """True with `sourceAccounts` (the list form): resources of a source are named after its
    account id. False with `sourceAccount`: the names of a single-source stack, unchanged."""
    organization: OrganizationSettings | None = None
    """`organization`: the backup vault and key grant by organization instead of by account."""

    @property
    def all_sources(self) -> tuple[SourceSettings, ...]:
        if self.sources:
            return self.sources
        from components.sources_config import SourceSettings

        return (
            SourceSettings(
                account=self.source,
                plan=self.plan,
                selection_tag=self.selection_tag,
                selection=self.selection,
                config_key="sourceAccount",
            ),
        )

    @property
    def source_accounts(self) -> tuple[AccountSettings, ...]:
        return tuple(source.account for source in self.all_sources)

    def for_source(self, source: SourceSettings) -> StackSettings:
        """These settings seen from one source: its account, plan and selection."""
        return replace(
            self,
            source=source.account,
            plan=source.plan,
            selection_tag=source.selection_tag,
            selection=source.selection,
        )

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    @property
    def backup_vault_name(self) -> str:
        """The vault in the backup account that receives the copies."""
        return f"{self.name_prefix}-copies"

    @property
    def source_vault_name(self) -> str:
        """The local vault in the source account (never `Default`: its key can't be shared)."""
        return f"{self.name_prefix}-local"

    @property
    def backup_vault_arn(self) -> str:
        return vault_arn(self.backup, self.backup_vault_name)

    @property
    def source_vault_arn(self) -> str:
        return vault_arn(self.source, self.source_vault_name)

    @property
    def cross_region(self) -> bool:
        return any(a.region != self.backup.region for a in self.source_accounts)


def vault_arn(account: AccountSettings, vault_name: str) -> str:
    """The ARN AWS gives a backup vault: known before the vault exists."""
    return (
        f"arn:{account.partition}:backup:{account.region}:{account.account_id}"
        f":backup-vault:{vault_name}"
    )


def is_near_miss_namespace(namespace: str, project: str = NAMESPACE) -> bool:
    """Whether a config namespace looks like a typo of the project's (`cross-acount-backup`).

    The Pulumi CLI passes keys of any namespace to the program without a word, so a key set under
    a misspelt namespace is silently never read: prod would lose its Vault Lock. Both the program
    and the offline preview refuse such keys with this one rule.
    """
    if namespace == project:
        return False
    squash = re.sub(r"[^a-z0-9]", "", namespace.lower())
    return squash == re.sub(r"[^a-z0-9]", "", project.lower()) or (
        difflib.SequenceMatcher(None, namespace.lower(), project.lower()).ratio() >= 0.85
    )


# --- parsing -------------------------------------------------------------------------------------


def _object(key: str, value: Any, *, required: bool) -> Mapping[str, Any] | None:
    if value is None or value is _MISSING:
        if required:
            raise ConfigError(
                key,
                _MISSING,
                "required: an object {accountId, roleArn, region[, externalId, sessionName]}",
            )
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, "must be an object (a YAML mapping)")
    return value


def _reject_unknown(key: str, value: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for field in value:
        if field not in allowed:
            raise ConfigError(
                f"{key}.{field}", value[field], f"unknown key; valid keys: {', '.join(allowed)}"
            )


def _int(key: str, value: Any, *, minimum: int, maximum: int | None = None) -> int:
    # YAML gives ints; a JSON round trip through the CLI may give floats like 35.0.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(key, value, f"must be a whole number >= {minimum}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(key, value, f"must be a whole number >= {minimum}") from None
    if not number.is_integer():
        raise ConfigError(key, value, f"must be a whole number >= {minimum}")
    result = int(number)
    if result < minimum or (maximum is not None and result > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ConfigError(key, value, f"must be a whole number {bound}")
    return result


def _optional_int(key: str, value: Any, *, minimum: int) -> int | None:
    return None if value is None else _int(key, value, minimum=minimum)


def _str(key: str, value: Any, pattern: re.Pattern[str], valid: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ConfigError(key, value, valid)
    return value


#: Where IAM Identity Center puts the roles of permission sets; users can't create roles there.
RESERVED_ROLE_PATH = "aws-reserved/"


def parse_account(
    key: str,
    value: Any,
    *,
    required: bool = True,
    service_linked_role: bool = False,
    deny_exception: bool = False,
    extra_keys: tuple[str, ...] = (),
) -> AccountSettings | None:
    """One account's settings. `service_linked_role`: the account may take
    `createServiceLinkedRole`; `deny_exception`: its deploy role is the only exception of the
    Deny statements protecting the copies (so it must be a role the owner can recreate)."""
    raw = _object(key, value, required=required)
    if raw is None:
        return None
    allowed: tuple[str, ...] = ("accountId", "roleArn", "region", "externalId", "sessionName")
    if service_linked_role:
        allowed = (*allowed, "createServiceLinkedRole")
    _reject_unknown(key, raw, (*allowed, *extra_keys))
    account_id = raw.get("accountId", _MISSING)
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        # An unquoted YAML id loses leading zeros: say so rather than guess.
        raise ConfigError(
            f"{key}.accountId",
            account_id,
            'must be a quoted string of 12 digits, e.g. "111111111111"',
        )
    account_id = _str(
        f"{key}.accountId", account_id, _ACCOUNT_ID, 'must be 12 digits, e.g. "111111111111"'
    )
    role_arn = _str(
        f"{key}.roleArn",
        raw.get("roleArn", _MISSING),
        _ROLE_ARN,
        f"must be an IAM role ARN like arn:aws:iam::{account_id}:role/backup-deployer",
    )
    role = _ROLE_ARN.match(role_arn)
    assert role is not None  # `_str` checked the pattern
    role_account = role.group("account")
    if role_account != account_id:
        raise ConfigError(
            f"{key}.roleArn",
            role_arn,
            f"the role must be in the account it deploys to ({account_id}), not {role_account}",
        )
    if deny_exception and role.group("path").startswith(RESERVED_ROLE_PATH):
        raise ConfigError(
            f"{key}.roleArn",
            role_arn,
            "a role under aws-reserved/ belongs to IAM Identity Center: it is deleted and "
            "recreated with a new name when its permission set is re-provisioned, and the vault "
            "and key policies would then lock everyone out of PutKeyPolicy for ever; use a role "
            f"the account owns, e.g. arn:{role.group('partition')}:iam::{account_id}"
            ":role/backup-deployer",
        )
    region = _str(
        f"{key}.region",
        raw.get("region", _MISSING),
        _REGION,
        "must be an AWS region code such as eu-west-1 or us-east-1",
    )
    partition = role.group("partition")
    expected = _partition_of(region)
    if partition != expected:
        raise ConfigError(
            f"{key}.region",
            region,
            f"is in the {expected} partition but roleArn is in {partition}; use a region of "
            f"the role's partition",
        )
    external_id = raw.get("externalId")
    if external_id is not None:
        external_id = _str(
            f"{key}.externalId",
            external_id,
            _EXTERNAL_ID,
            "must be 2-1224 characters of letters, digits and +=,.@:/-",
        )
    session_name = _str(
        f"{key}.sessionName",
        raw.get("sessionName", "cross-account-backup"),
        _SESSION_NAME,
        "must be 2-64 characters of letters, digits and +=,.@-",
    )
    create_slr = raw.get("createServiceLinkedRole", True)
    if not isinstance(create_slr, bool):
        raise ConfigError(
            f"{key}.createServiceLinkedRole",
            create_slr,
            "must be true (create AWSServiceRoleForBackup) or false (it exists already)",
        )
    return AccountSettings(
        account_id=account_id,
        role_arn=role_arn,
        region=region,
        external_id=external_id,
        session_name=session_name,
        create_service_linked_role=create_slr,
    )


def _partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


#: Keys of the single-rule form, refused beside `backupPlan.rules` (one would silently lose).
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
        (
            *PLAN_WIDE_KEYS,
            "rules",
            "schedule",
            "scheduleTimezone",
            "retentionDays",
            "coldStorageAfterDays",
            "copyRetentionDays",
            "copyColdStorageAfterDays",
            "startWindowMinutes",
            "completionWindowMinutes",
        ),
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
    start = _int(
        f"{key}.startWindowMinutes",
        raw.get("startWindowMinutes", defaults.start_window_minutes),
        minimum=MIN_START_WINDOW_MINUTES,
    )
    completion = _int(
        f"{key}.completionWindowMinutes",
        raw.get("completionWindowMinutes", defaults.completion_window_minutes),
        minimum=MIN_COMPLETION_WINDOW_MINUTES,
    )
    if completion < start + 60:
        raise ConfigError(
            f"{key}.completionWindowMinutes",
            completion,
            f"must be at least 60 minutes more than startWindowMinutes ({start})",
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


def _bool(key: str, value: Any, meaning: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, value, f"must be true or false ({meaning})")
    return value


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
    start = _int(
        f"{key}.startWindowMinutes",
        value.get("startWindowMinutes", defaults.start_window_minutes),
        minimum=MIN_START_WINDOW_MINUTES,
    )
    completion = _int(
        f"{key}.completionWindowMinutes",
        value.get("completionWindowMinutes", defaults.completion_window_minutes),
        minimum=MIN_COMPLETION_WINDOW_MINUTES,
    )
    if completion < start + 60:
        raise ConfigError(
            f"{key}.completionWindowMinutes",
            completion,
            f"must be at least 60 minutes more than startWindowMinutes ({start})",
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
        if not isinstance(tag_key, str) or not _TAG_KEY.match(tag_key):
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
    cron = _CRON.match(value)
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


def parse_selection_tag(value: Any) -> SelectionTag:
    return parse_tag("selectionTag", value)


def parse_tag(key: str, value: Any) -> SelectionTag:
    """A {key, value} tag (`selectionTag`, `selection.tags[i]`); missing parts default to
    Backup / Yes."""
    if value is not None and not isinstance(value, Mapping):
        raise ConfigError(
            key, value, 'must be an object {key, value}, e.g. {key: Backup, value: "Yes"}'
        )
    raw = _object(key, value, required=False) or {}
    _reject_unknown(key, raw, ("key", "value"))
    defaults = SelectionTag()
    tag_key = _str(
        f"{key}.key",
        raw.get("key", defaults.key),
        _TAG_KEY,
        "must be a tag key of 1-128 characters (letters, digits, spaces and _.:/=+-@); "
        "it may not start with aws:",
    )
    if tag_key.lower().startswith("aws:"):
        raise ConfigError(f"{key}.key", tag_key, "tag keys starting with aws: are reserved by AWS")
    tag_value = raw.get("value", defaults.value)
    if isinstance(tag_value, bool):
        # The CLI's YAML (yaml.v3) keeps an unquoted Yes as the string "Yes", but `true` (or a
        # JSON value from `pulumi config set --path ... true`) is a boolean, not a tag value.
        raise ConfigError(
            f"{key}.value",
            tag_value,
            'must be a string, e.g. "Yes" (quote it: tag values are text)',
        )
    if not isinstance(tag_value, str) or not 1 <= len(tag_value) <= 256:
        raise ConfigError(f"{key}.value", tag_value, "must be a string of 1 to 256 characters")
    return SelectionTag(key=tag_key, value=tag_value)


# A selection's Resources / NotResources: ARNs, `*` wildcards allowed (API BackupSelection:
# "Resources ... Wildcards are allowed"; e.g. arn:aws:ec2:*:*:volume/*), or "*" alone.
_SELECTION_ARN = re.compile(
    r"^(?:\*|arn:(?:aws|aws-cn|aws-us-gov|\*):[a-z0-9*-]+:[a-z0-9*-]*:(?:\d{12}|\*)?:.+)$"
)


def parse_selection(value: Any) -> SelectionSettings | None:
    """`selection`: tags ANDed (API BackupSelection.Conditions), resources, notResources."""
    key = "selection"
    raw = _object(key, value, required=False)
    if raw is None:
        return None
    _reject_unknown(key, raw, ("tags", "resources", "notResources"))
    tags_raw = raw.get("tags", [])
    if not isinstance(tags_raw, (list, tuple)):
        raise ConfigError(
            f"{key}.tags",
            tags_raw,
            'must be a list of {key, value}, e.g. [{key: Backup, value: "Yes"}]',
        )
    for i, tag in enumerate(tags_raw):
        for part in ("key", "value"):
            if isinstance(tag, Mapping) and part not in tag:
                raise ConfigError(
                    f"{key}.tags[{i}].{part}",
                    _MISSING,
                    "each tag needs key and value, e.g. {key: Env, value: prod}",
                )
    tags = tuple(parse_tag(f"{key}.tags[{i}]", t) for i, t in enumerate(tags_raw))
    seen: dict[str, int] = {}
    for i, tag in enumerate(tags):
        if tag.key in seen:
            raise ConfigError(
                f"{key}.tags[{i}].key",
                tag.key,
                f"already the key of selection.tags[{seen[tag.key]}]: the tags are ANDed "
                "(a resource must match all), and one tag key has one value, so two conditions "
                "on it select nothing or repeat each other",
            )
        seen[tag.key] = i
    resources = _arn_list(f"{key}.resources", raw.get("resources", []))
    not_resources = _arn_list(f"{key}.notResources", raw.get("notResources", []))
    if not tags and not resources:
        raise ConfigError(
            key,
            dict(raw),
            "names nothing to back up: give tags (all must match) and/or resources (ARNs, "
            "wildcards allowed); notResources only removes from those. With neither, AWS "
            "Backup selects every supported and opted-in resource of the account (API "
            'BackupSelection); if that is meant, say so with resources: ["*"]',
        )
    if "*" in not_resources:
        raise ConfigError(
            f"{key}.notResources",
            list(not_resources),
            '"*" excludes every resource: the selection would select nothing',
        )
    return SelectionSettings(tags=tags, resources=resources, not_resources=not_resources)


def _arn_list(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(
            key,
            value,
            "must be a list of ARNs (wildcards allowed), e.g. [arn:aws:dynamodb:*:*:table/*]",
        )
    for i, arn in enumerate(value):
        if not isinstance(arn, str) or not _SELECTION_ARN.match(arn):
            raise ConfigError(
                f"{key}[{i}]",
                arn,
                "must be a resource ARN (wildcards allowed), e.g. arn:aws:dynamodb:*:*:table/* "
                'or arn:aws:ec2:eu-west-1:111111111111:volume/*, or "*"',
            )
    return tuple(value)


def parse_vault_lock(value: Any) -> VaultLockSettings | None:
    key = "vaultLock"
    raw = _object(key, value, required=False)
    if raw is None:
        return None
    _reject_unknown(
        key,
        raw,
        ("mode", "minRetentionDays", "maxRetentionDays", "changeableForDays", "lockDate"),
    )
    mode = raw.get("mode", _MISSING)
    if mode not in ("compliance", "governance"):
        raise ConfigError(
            f"{key}.mode",
            mode,
            "must be compliance (can't be removed after changeableForDays) or governance",
        )
    minimum = _int(f"{key}.minRetentionDays", raw.get("minRetentionDays", 1), minimum=1)
    maximum = _int(
        f"{key}.maxRetentionDays", raw.get("maxRetentionDays", 36500), minimum=1, maximum=36500
    )
    if minimum > maximum:
        raise ConfigError(
            f"{key}.minRetentionDays",
            minimum,
            f"must not exceed maxRetentionDays ({maximum})",
        )
    changeable = raw.get("changeableForDays")
    if mode == "compliance":
        changeable = _int(
            f"{key}.changeableForDays",
            LOCK_MIN_CHANGEABLE_DAYS if changeable is None else changeable,
            minimum=LOCK_MIN_CHANGEABLE_DAYS,
            maximum=36500,
        )
    elif changeable is not None:
        raise ConfigError(
            f"{key}.changeableForDays",
            changeable,
            "only applies to mode: compliance (governance locks have no grace period); remove it "
            "or set mode: compliance",
        )
    lock_date = _lock_date(f"{key}.lockDate", raw.get("lockDate"))
    if lock_date is not None and mode != "compliance":
        raise ConfigError(
            f"{key}.lockDate",
            raw.get("lockDate"),
            "only a compliance-mode lock has a lock date (governance locks stay changeable); "
            "a compliance lock past its lock date can't be turned into governance mode either: "
            "set mode: compliance back",
        )
    return VaultLockSettings(
        mode=mode,
        min_retention_days=minimum,
        max_retention_days=maximum,
        changeable_for_days=changeable,
        lock_date=lock_date,
    )


def _lock_date(key: str, value: Any) -> datetime | None:
    """`vaultLock.lockDate`: the LockDate of `aws backup describe-backup-vault`, in UTC.

    YAML reads `2026-12-01` as a date and `2026-12-01T08:00:00Z` as a datetime; the CLI may hand
    either over as an ISO string. A date alone means its first second (UTC): earlier than the
    real moment, so the program errs towards "already immutable".
    """
    if value is None:
        return None
    valid = (
        "must be the LockDate AWS reports for the vault (aws backup describe-backup-vault "
        "--query LockDate), an ISO 8601 date or UTC time such as 2026-12-01 or "
        "2026-12-01T08:00:00Z"
    )
    parsed: datetime | date
    if isinstance(value, (datetime, date)):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(key, value, valid) from None
    else:
        raise ConfigError(key, value, valid)
    if not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_settings(raw: Mapping[str, Any], *, project: str, stack: str) -> StackSettings:
    """Validate the decoded config values (keys without namespace) into `StackSettings`."""
    for key in raw:
        if key not in KNOWN_KEYS:
            raise ConfigError(key, raw[key], f"unknown key; valid keys: {', '.join(KNOWN_KEYS)}")
    from components.sources_config import (
        parse_organization,
        parse_sources,
        refuse_both_forms,
    )

    refuse_both_forms(raw)
    many = raw.get("sourceAccounts") is not None
    if not many and raw.get("sourceAccount") is None:
        # Pulumi.yaml declares neither key (either may be the one set): the program says it.
        raise ConfigError(
            "sourceAccount",
            _MISSING,
            "required: an object {accountId, roleArn, region[, externalId, sessionName]}, or "
            "sourceAccounts: a list of such objects (many workload accounts)",
        )
    source = (
        None
        if many
        else parse_account("sourceAccount", raw.get("sourceAccount"), service_linked_role=True)
    )
    backup = parse_account(
        "backupAccount",
        raw.get("backupAccount", _MISSING),
        service_linked_role=True,
        deny_exception=True,
        extra_keys=("vault",),
    )
    management = parse_account("managementAccount", raw.get("managementAccount"), required=False)
    assert backup is not None
    if source is not None and source.account_id == backup.account_id:
        raise ConfigError(
            "backupAccount.accountId",
            backup.account_id,
            "must differ from sourceAccount.accountId: copies in the same account do not "
            "survive the loss of that account",
        )
    if source is not None and source.partition != backup.partition:
        raise ConfigError(
            "backupAccount.roleArn",
            backup.role_arn,
            f"must be in the source account's partition ({source.partition}): AWS Backup does "
            "not copy across partitions",
        )
    if management is not None and management.account_id == backup.account_id:
        raise ConfigError(
            "managementAccount.accountId",
            management.account_id,
            "must differ from backupAccount.accountId: the backup account must be isolated, and "
            "the management account is the one every administrator reaches",
        )
    plan = parse_plan(raw.get("backupPlan"))
    selection = parse_selection(raw.get("selection"))
    # Pulumi.yaml declares selectionTag with the default Backup = Yes, so the program always
    # receives one: only a value other than that default counts as set.
    if (
        selection is not None
        and raw.get("selectionTag") is not None
        and parse_selection_tag(raw.get("selectionTag")) != SelectionTag()
    ):
        raise ConfigError(
            "selectionTag",
            raw.get("selectionTag"),
            "can't be combined with selection (one of the two would be ignored); put the tag "
            "into selection.tags",
        )
    selection_tag = (
        selection.tags[0]
        if selection is not None and selection.tags
        else parse_selection_tag(raw.get("selectionTag"))
    )
    sources = (
        parse_sources(
            raw, backup=backup, plan=plan, selection_tag=selection_tag, selection=selection
        )
        if many
        else ()
    )
    if sources:
        # Each source's plan with its own selection; `plan` etc. are the first source's.
        sources = tuple(
            replace(s, plan=_resolve_region_settings(s.plan, s.selection)) for s in sources
        )
        source = sources[0].account
        plan, selection_tag, selection = (
            sources[0].plan,
            sources[0].selection_tag,
            sources[0].selection,
        )
    else:
        plan = _resolve_region_settings(plan, selection)
    assert source is not None
    vault_lock = parse_vault_lock(raw.get("vaultLock"))
    plans = _plans_to_check(raw, sources, plan)
    if vault_lock is not None:
        for prefix, checked in plans:
            _under(prefix, _check_rules_within_lock, checked, vault_lock)
    # The backup vault's type, restore tests, audit (components.recovery_config, which imports
    # this module: imported here, not at the top).
    from components.recovery_config import parse_recovery

    backup_raw = raw.get("backupAccount")
    vault_value = backup_raw.get("vault") if isinstance(backup_raw, Mapping) else None
    for prefix, checked in plans[1:]:
        _under(
            prefix,
            lambda p: parse_recovery(raw, vault_value=vault_value, plan=p, vault_lock=vault_lock),
            checked,
        )
    recovery = _under(
        plans[0][0],
        lambda p: parse_recovery(raw, vault_value=vault_value, plan=p, vault_lock=vault_lock),
        plans[0][1],
    )
    email = raw.get("notificationEmail")
    if email is not None:
        email = _str(
            "notificationEmail", email, _EMAIL, "must be an e-mail address (or leave the key unset)"
        )
    project_and_stack = f"{project}-{stack}"
    # Vault names: 2-50 characters of letters, digits and hyphens.
    if not re.match(r"^[A-Za-z0-9-_]{1,43}$", project_and_stack):
        raise ConfigError(
            "(stack name)",
            stack,
            "the stack name must keep '<project>-<stack>' within 43 letters, digits, '-' or '_' "
            "(it names the vaults)",
        )
    return StackSettings(
        project=project,
        stack=stack,
        source=source,
        backup=backup,
        management=management,
        plan=plan,
        selection_tag=selection_tag,
        vault_lock=vault_lock,
        notification_email=email,
        recovery=recovery,
        selection=selection,
        sources=sources,
        many_sources=many,
        organization=parse_organization(raw.get("organization")),
    )


def _plans_to_check(
    raw: Mapping[str, Any], sources: tuple[SourceSettings, ...], plan: PlanSettings
) -> list[tuple[str | None, PlanSettings]]:
    """The plans to check against the vault's bounds, each with the key prefix of its refusals:
    the stack's `backupPlan` (None: unprefixed) once, and each source's own `backupPlan`
    (`sourceAccounts[i]`)."""
    if not sources:
        return [(None, plan)]
    entries = raw.get("sourceAccounts") or []
    plans: list[tuple[str | None, PlanSettings]] = []
    for source, entry in zip(sources, entries, strict=True):
        own = isinstance(entry, Mapping) and "backupPlan" in entry
        prefix = source.config_key if own else None
        if own or all(p is not None for p, _ in plans):
            plans.append((prefix, source.plan))
    return plans


def _under(prefix: str | None, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, a refusal named under `prefix` (`sourceAccounts[1].backupPlan.…`)."""
    if prefix is None:
        return check(*args)
    try:
        return check(*args)
    except ConfigError as error:
        raise ConfigError(f"{prefix}.{error.key}", error.value, error.valid) from error


def _check_rules_within_lock(plan: PlanSettings, lock: VaultLockSettings) -> None:
    """Every rule's copy retention within the backup vault's lock (PutBackupVaultLockConfiguration
    MinRetentionDays/MaxRetentionDays: outside it the vault fails the copy job)."""
    check_copy_retentions(
        plan,
        lock.min_retention_days,
        lock.max_retention_days,
        vault="the backup vault's lock",
        bounds="vaultLock.minRetentionDays..maxRetentionDays",
    )


def check_copy_retentions(
    plan: PlanSettings, low: int, high: int, *, vault: str, bounds: str
) -> None:
    """Every rule's copy retention within `low`..`high` days, the retention range of the copies'
    destination (`vault`, whose range is set by the keys `bounds`): AWS fails a copy job whose
    retention is outside it ("The retention specified in the job is not within the range
    specified for the target Backup Vault")."""
    for i, rule in enumerate(plan.effective_rules):
        if low <= rule.copy_retention_days <= high:
            continue
        key = (
            f"backupPlan.rules[{i}].copyRetentionDays"
            if plan.rules
            else "backupPlan.copyRetentionDays"
        )
        raise ConfigError(
            key,
            rule.copy_retention_days,
            f"{vault} accepts retentions between {low} and {high} days ({bounds}); outside it "
            "every copy job fails",
        )


def _resolve_region_settings(
    plan: PlanSettings, selection: SelectionSettings | None
) -> PlanSettings:
    """DynamoDB advanced backup on when the selection may include DynamoDB tables (unless the
    config says otherwise): without it a DynamoDB backup can't be copied to another account
    (AWS Backup guide, "Advanced DynamoDB backup": cross-account copy is one of its features)."""
    region = plan.region_settings
    if region is None or region.dynamodb_advanced_backup is not None:
        return plan
    may = True if selection is None else selection.may_include("dynamodb")
    return _replace_plan(
        plan,
        region_settings=RegionSettingsConfig(opt_in=region.opt_in, dynamodb_advanced_backup=may),
    )
