"""The config model's shared parts: the namespace, the known keys, `ConfigError` and the small
parsers every section uses (objects, numbers, strings against a pattern).

Split out of `components.config` (issue 11), which re-exports every name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, TypeVar

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

_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")  # ASCII: \d takes any Unicode digit
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
    # fullmatch: `$` also matches before a trailing newline, so `match` let "eu-west-1\n" (a
    # YAML block scalar) through into ARNs and policies.
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(key, value, valid)
    return value


#: Where IAM Identity Center puts the roles of permission sets; users can't create roles there.


def _bool(key: str, value: Any, meaning: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, value, f"must be true or false ({meaning})")
    return value
