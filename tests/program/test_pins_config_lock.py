"""Pins of `vaultLock` (components/settings/lock.py) and the number parser it shares
(components/settings/base.py `_int`), Pulumi-free (issue 16): whole settings, whole messages,
each bound on both sides.

References:
- [lock] AWS Backup API, PutBackupVaultLockConfiguration: ChangeableForDays "must be greater than
  or equal to 3"; MinRetentionDays / MaxRetentionDays in days (up to 36500):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
- [lockdate] AWS Backup API, DescribeBackupVault.LockDate: a timestamp (UTC) after which the lock
  can't be changed or deleted:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from config_messages import expected

from components.config import ConfigError, VaultLockSettings, parse_vault_lock

LOCK_DATE_REMEDY = (
    "must be the LockDate AWS reports for the vault (aws backup describe-backup-vault --query "
    "LockDate), an ISO 8601 date or UTC time such as 2026-12-01 or 2026-12-01T08:00:00Z"
)


def refusal(value: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_vault_lock(value)
    return str(caught.value)


def test_governance_lock_with_every_key() -> None:
    lock = {"mode": "governance", "minRetentionDays": 7, "maxRetentionDays": 400}
    assert parse_vault_lock(lock) == VaultLockSettings(
        mode="governance",
        min_retention_days=7,
        max_retention_days=400,
        changeable_for_days=None,
        lock_date=None,
    )


def test_compliance_lock_with_every_key() -> None:
    lock = {
        "mode": "compliance",
        "minRetentionDays": 30,
        "maxRetentionDays": 3650,
        "changeableForDays": 14,
        "lockDate": "2027-01-15T12:30:00Z",
    }
    assert parse_vault_lock(lock) == VaultLockSettings(
        mode="compliance",
        min_retention_days=30,
        max_retention_days=3650,
        changeable_for_days=14,
        lock_date=datetime(2027, 1, 15, 12, 30, tzinfo=UTC),
    )


def test_compliance_lock_defaults() -> None:
    # [lock] the shortest grace period, 3 days; retention 1..36500.
    assert parse_vault_lock({"mode": "compliance"}) == VaultLockSettings(
        mode="compliance",
        min_retention_days=1,
        max_retention_days=36500,
        changeable_for_days=3,
        lock_date=None,
    )


@pytest.mark.parametrize("value", ["compliance", ["compliance"], True])
def test_lock_must_be_an_object(value: Any) -> None:
    assert refusal(value) == expected("vaultLock", value, "must be an object (a YAML mapping)")


def test_lock_unknown_key_lists_the_valid_keys() -> None:
    assert refusal({"mode": "governance", "minRetention": 1}) == expected(
        "vaultLock.minRetention",
        1,
        "unknown key; valid keys: mode, minRetentionDays, maxRetentionDays, changeableForDays, "
        "lockDate",
    )


@pytest.mark.parametrize("mode", ["Compliance", "GOVERNANCE", "", None])
def test_lock_mode_is_one_of_two_lowercase_words(mode: Any) -> None:
    assert refusal({"mode": mode}) == expected(
        "vaultLock.mode",
        mode,
        "must be compliance (can't be removed after changeableForDays) or governance",
    )


@pytest.mark.parametrize(("days", "ok"), [(0, False), (1, True)])
def test_min_retention_at_least_one(days: int, ok: bool) -> None:
    if ok:
        lock = parse_vault_lock({"mode": "governance", "minRetentionDays": days})
        assert lock is not None and lock.min_retention_days == days
    else:
        assert refusal({"mode": "governance", "minRetentionDays": days}) == expected(
            "vaultLock.minRetentionDays", days, "must be a whole number >= 1"
        )


@pytest.mark.parametrize(("days", "ok"), [(0, False), (1, True)])
def test_max_retention_at_least_one(days: int, ok: bool) -> None:
    if ok:
        lock = parse_vault_lock({"mode": "governance", "maxRetentionDays": days})
        assert lock is not None and lock.max_retention_days == days
    else:
        assert refusal({"mode": "governance", "maxRetentionDays": days}) == expected(
            "vaultLock.maxRetentionDays", days, "must be a whole number between 1 and 36500"
        )


def test_min_equal_to_max_is_accepted() -> None:
    lock = parse_vault_lock({"mode": "governance", "minRetentionDays": 9, "maxRetentionDays": 9})
    assert lock is not None and (lock.min_retention_days, lock.max_retention_days) == (9, 9)


def test_min_above_the_default_max() -> None:
    assert refusal({"mode": "governance", "minRetentionDays": 36501}) == expected(
        "vaultLock.minRetentionDays", 36501, "must not exceed maxRetentionDays (36500)"
    )


def test_changeable_days_null_in_governance_is_no_grace_period() -> None:
    lock = parse_vault_lock({"mode": "governance", "changeableForDays": None})
    assert lock is not None and lock.changeable_for_days is None


def test_changeable_days_null_in_compliance_is_the_minimum() -> None:
    lock = parse_vault_lock({"mode": "compliance", "changeableForDays": None})
    assert lock is not None and lock.changeable_for_days == 3


def test_changeable_days_not_a_number() -> None:
    assert refusal({"mode": "compliance", "changeableForDays": "soon"}) == expected(
        "vaultLock.changeableForDays", "soon", "must be a whole number >= 3"
    )


# --- lock date ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        # YAML's own types: a date is its first second in UTC (errs towards "already immutable").
        (date(2026, 12, 1), datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 12, 1, 8, 0), datetime(2026, 12, 1, 8, tzinfo=UTC)),
        (
            datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 12, 1, 8, tzinfo=UTC),
        ),
        ("2026-12-01T08:00:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T08:00:00.500+00:00", datetime(2026, 12, 1, 8, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_lock_date_of_every_form_is_a_utc_moment(value: Any, moment: datetime) -> None:
    lock = parse_vault_lock({"mode": "compliance", "lockDate": value})
    assert lock is not None and lock.lock_date == moment
    assert lock.lock_date.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [20261201, 1.5, ["2026-12-01"], "2026-13-01", "", True])
def test_lock_date_of_another_type_or_shape(value: Any) -> None:
    assert refusal({"mode": "compliance", "lockDate": value}) == expected(
        "vaultLock.lockDate", value, LOCK_DATE_REMEDY
    )


def test_lock_date_with_a_lowercase_z_is_refused() -> None:
    # ISO 8601 (which the remedy names) writes the UTC designator as an uppercase Z, and so
    # does AWS (describe-backup-vault's LockDate); RFC 3339 would also allow `z`. Refused with
    # a clear message rather than guessed: the lock date decides whether the program still
    # offers to change the lock.
    assert refusal({"mode": "compliance", "lockDate": "2026-12-01T08:00:00z"}) == expected(
        "vaultLock.lockDate", "2026-12-01T08:00:00z", LOCK_DATE_REMEDY
    )


def test_immutable_from_the_lock_date_on() -> None:
    lock = parse_vault_lock({"mode": "compliance", "lockDate": "2026-12-01T08:00:00Z"})
    assert lock is not None
    moment = datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert [
        lock.immutable_at(moment - timedelta(seconds=1)),
        lock.immutable_at(moment),
        lock.immutable_at(moment + timedelta(days=1)),
    ] == [False, True, True]


def test_a_lock_without_a_date_is_never_immutable() -> None:
    lock = parse_vault_lock({"mode": "compliance"})
    assert lock is not None and lock.immutable_at(datetime(9999, 1, 1, tzinfo=UTC)) is False


# --- the number parser every day count uses ----------------------------------------------------


@pytest.mark.parametrize(("value", "days"), [("40", 40), (40.0, 40), ("40.0", 40), (" 40 ", 40)])
def test_day_counts_from_strings_and_floats(value: Any, days: int) -> None:
    # The CLI may hand numbers over as strings or JSON floats.
    lock = parse_vault_lock({"mode": "governance", "minRetentionDays": value})
    assert lock is not None and lock.min_retention_days == days


@pytest.mark.parametrize("value", [False, "4O", 2.5, "2.5", None, [7]])
def test_day_count_not_a_whole_number(value: Any) -> None:
    assert refusal({"mode": "governance", "maxRetentionDays": value}) == expected(
        "vaultLock.maxRetentionDays", value, "must be a whole number >= 1"
    )
