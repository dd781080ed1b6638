"""Vault Lock of the backup account's vault: `VaultLockSettings`, `parse_vault_lock`.

Split out of `components.config` (issue 11), which re-exports every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from components.settings.base import (
    _MISSING,
    LOCK_MIN_CHANGEABLE_DAYS,
    ConfigError,
    _int,
    _object,
    _reject_unknown,
)


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
