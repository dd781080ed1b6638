"""The stack configuration as a typed, frozen model, validated before anything is registered.

`parse_settings` takes the decoded values of the `cross-account-backup:*` config keys and returns a
`StackSettings`, or raises `ConfigError` naming the offending key, the value and what would be
valid. Nothing here imports Pulumi: the offline preview, the policy config tool and the live
verification parse the same stack files with the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

NAMESPACE = "cross-account-backup"

#: Every key the program reads, without namespace. Anything else under the namespace is a typo.
KNOWN_KEYS = (
    "sourceAccount",
    "backupAccount",
    "managementAccount",
    "backupPlan",
    "selectionTag",
    "vaultLock",
    "notificationEmail",
)

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM role ARN: partition, account, optional path, name (1-64 of IAM's allowed characters).
_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):role/"
    r"(?P<path>(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]{1,64})$"
)
_REGION = re.compile(r"^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-\d$")
# AWS Backup takes `cron(...)` with six fields (minutes hours day-of-month month day-of-week year)
# or `rate(N unit)`; AWS checks the fields, the shape and the 60-minute minimum interval are here.
_CRON = re.compile(r"^cron\((?P<fields>\S+(?:\s+\S+){5})\)$")
_RATE = re.compile(r"^rate\((?P<count>[1-9]\d*) (?P<unit>minutes?|hours?|days?)\)$")
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

    @property
    def partition(self) -> str:
        match = _ROLE_ARN.match(self.role_arn)
        return match.group("partition") if match else "aws"


@dataclass(frozen=True, kw_only=True)
class PlanSettings:
    """The backup rule in the source account and its copy into the backup account."""

    schedule: str = "cron(0 5 ? * * *)"
    retention_days: int = 35
    cold_storage_after_days: int | None = None
    copy_retention_days: int = 35
    copy_cold_storage_after_days: int | None = None
    start_window_minutes: int = 60
    completion_window_minutes: int = 1440


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
        return self.source.region != self.backup.region


def vault_arn(account: AccountSettings, vault_name: str) -> str:
    """The ARN AWS gives a backup vault: known before the vault exists."""
    return (
        f"arn:{account.partition}:backup:{account.region}:{account.account_id}"
        f":backup-vault:{vault_name}"
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


def parse_account(key: str, value: Any, *, required: bool = True) -> AccountSettings | None:
    raw = _object(key, value, required=required)
    if raw is None:
        return None
    _reject_unknown(key, raw, ("accountId", "roleArn", "region", "externalId", "sessionName"))
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
    return AccountSettings(
        account_id=account_id,
        role_arn=role_arn,
        region=region,
        external_id=external_id,
        session_name=session_name,
    )


def _partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def parse_plan(value: Any) -> PlanSettings:
    key = "backupPlan"
    raw = _object(key, value, required=False) or {}
    defaults = PlanSettings()
    _reject_unknown(
        key,
        raw,
        (
            "schedule",
            "retentionDays",
            "coldStorageAfterDays",
            "copyRetentionDays",
            "copyColdStorageAfterDays",
            "startWindowMinutes",
            "completionWindowMinutes",
        ),
    )
    schedule = _schedule(f"{key}.schedule", raw.get("schedule", defaults.schedule))
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
        retention_days=retention,
        cold_storage_after_days=cold,
        copy_retention_days=copy_retention,
        copy_cold_storage_after_days=copy_cold,
        start_window_minutes=start,
        completion_window_minutes=completion,
    )


def _schedule(key: str, value: Any) -> str:
    shape = (
        "must be a cron(...) expression with six fields (minutes hours day-of-month month "
        "day-of-week year), e.g. cron(0 5 ? * * *), or a rate(...) expression, e.g. rate(12 hours)"
    )
    if not isinstance(value, str):
        raise ConfigError(key, value, shape)
    rate = _RATE.match(value)
    if rate:
        count, unit = int(rate.group("count")), rate.group("unit")
        if (count == 1) != (not unit.endswith("s")):
            raise ConfigError(
                key, value, "rate(1 hour) takes a singular unit, rate(2 hours) a plural"
            )
        if unit.startswith("minute") and count < MIN_INTERVAL_MINUTES:
            raise ConfigError(
                key, value, "AWS Backup runs jobs at most once an hour: use rate(1 hour) or more"
            )
        return value
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
    key = "selectionTag"
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
        # YAML 1.1 reads an unquoted Yes as true: the tag on the resources is the string "Yes".
        raise ConfigError(
            f"{key}.value",
            tag_value,
            'must be a quoted string, e.g. "Yes" (YAML reads Yes as true)',
        )
    if not isinstance(tag_value, str) or not 1 <= len(tag_value) <= 256:
        raise ConfigError(f"{key}.value", tag_value, "must be a string of 1 to 256 characters")
    return SelectionTag(key=tag_key, value=tag_value)


def parse_vault_lock(value: Any) -> VaultLockSettings | None:
    key = "vaultLock"
    raw = _object(key, value, required=False)
    if raw is None:
        return None
    _reject_unknown(key, raw, ("mode", "minRetentionDays", "maxRetentionDays", "changeableForDays"))
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
    return VaultLockSettings(
        mode=mode,
        min_retention_days=minimum,
        max_retention_days=maximum,
        changeable_for_days=changeable,
    )


def parse_settings(raw: Mapping[str, Any], *, project: str, stack: str) -> StackSettings:
    """Validate the decoded config values (keys without namespace) into `StackSettings`."""
    for key in raw:
        if key not in KNOWN_KEYS:
            raise ConfigError(key, raw[key], f"unknown key; valid keys: {', '.join(KNOWN_KEYS)}")
    source = parse_account("sourceAccount", raw.get("sourceAccount", _MISSING))
    backup = parse_account("backupAccount", raw.get("backupAccount", _MISSING))
    management = parse_account("managementAccount", raw.get("managementAccount"), required=False)
    assert source is not None and backup is not None
    if source.account_id == backup.account_id:
        raise ConfigError(
            "backupAccount.accountId",
            backup.account_id,
            "must differ from sourceAccount.accountId: copies in the same account do not "
            "survive the loss of that account",
        )
    if source.partition != backup.partition:
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
    selection_tag = parse_selection_tag(raw.get("selectionTag"))
    vault_lock = parse_vault_lock(raw.get("vaultLock"))
    if vault_lock is not None and not (
        vault_lock.min_retention_days <= plan.copy_retention_days <= vault_lock.max_retention_days
    ):
        raise ConfigError(
            "backupPlan.copyRetentionDays",
            plan.copy_retention_days,
            f"the backup vault's lock accepts retentions between "
            f"{vault_lock.min_retention_days} and {vault_lock.max_retention_days} days "
            "(vaultLock.minRetentionDays..maxRetentionDays); outside it every copy job fails",
        )
    email = raw.get("notificationEmail")
    if email is not None:
        email = _str("notificationEmail", email, _EMAIL, "must be an e-mail address, or null")
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
    )
