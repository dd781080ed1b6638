"""Pins written from the config model's mutation survivors (issue 16, docs/testing.md).

Each test kills mutants of `components/config.py` that every other test let through: the key of
a message replaced by None, the time-zone database missing, a lock date read in the machine's
zone instead of UTC, the near-miss namespace rule's squash of case and punctuation. The message
is the product: `invalid config cross-account-backup:<key> = <value!r>: <remedy>`, asserted whole.

References:
- [tz] AWS Backup API, BackupRuleInput.ScheduleExpressionTimezone ("the timezone in which the
  schedule expression is set", an IANA name):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html
  and Python's zoneinfo (`available_timezones()` lists the IANA keys; it leaves out
  `posixrules`, which `ZoneInfo` still loads from the system database):
  https://docs.python.org/3/library/zoneinfo.html#zoneinfo.available_timezones
- [lock] AWS Backup API, DescribeBackupVault.LockDate (a timestamp, UTC):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html
- [lifecycle] AWS Backup API, Lifecycle.MoveToColdStorageAfterDays (a positive number of days):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

import components.settings.plan as config_module  # where _timezone looks zones up
from components.config import ConfigError, is_near_miss_namespace, parse_plan, parse_vault_lock

NS = "cross-account-backup"
TZ_VALID = "must be an IANA time zone name such as Etc/UTC, Europe/Paris or America/New_York"
LOCK_VALID = (
    "must be the LockDate AWS reports for the vault (aws backup describe-backup-vault "
    "--query LockDate), an ISO 8601 date or UTC time such as 2026-12-01 or 2026-12-01T08:00:00Z"
)


def _message(call: Any, value: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        call(value)
    return str(caught.value)


# --- vaultLock: every error names its key ([lock]) ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", f"invalid config {NS}:vaultLock = 'yes': must be an object (a YAML mapping)"),
        (
            {"mode": "governance", "bogus": 1},
            f"invalid config {NS}:vaultLock.bogus = 1: unknown key; valid keys: mode, "
            "minRetentionDays, maxRetentionDays, changeableForDays, lockDate",
        ),
        (
            {"mode": "governance", "minRetentionDays": 0},
            f"invalid config {NS}:vaultLock.minRetentionDays = 0: must be a whole number >= 1",
        ),
        (
            {"mode": "governance", "lockDate": 12345},
            f"invalid config {NS}:vaultLock.lockDate = 12345: {LOCK_VALID}",
        ),
    ],
)
def test_vault_lock_errors_name_key_value_and_remedy(value: Any, message: str) -> None:
    assert _message(parse_vault_lock, value) == message


def test_lock_date_without_zone_is_utc_on_a_machine_in_another_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # [lock] LockDate is UTC: a date (or naive time) must not be read in the machine's own zone.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = parse_vault_lock(
            {"mode": "compliance", "changeableForDays": 3, "lockDate": "2026-12-01T08:00:00"}
        )
        dated = parse_vault_lock(
            {"mode": "compliance", "changeableForDays": 3, "lockDate": "2026-12-01"}
        )
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert naive is not None and naive.lock_date is not None
    assert dated is not None and dated.lock_date is not None
    assert naive.lock_date.isoformat() == "2026-12-01T08:00:00+00:00"
    assert dated.lock_date.isoformat() == "2026-12-01T00:00:00+00:00"


def test_lock_date_with_offset_is_returned_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        lock = parse_vault_lock(
            {"mode": "compliance", "changeableForDays": 3, "lockDate": "2026-12-01T10:00:00+02:00"}
        )
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert lock is not None and lock.lock_date is not None
    assert lock.lock_date.isoformat() == "2026-12-01T08:00:00+00:00"
    assert lock.lock_date == datetime.fromisoformat("2026-12-01T08:00:00+00:00")


# --- backupPlan.scheduleTimezone ([tz]) and coldStorageAfterDays ([lifecycle]) -------------------


def test_cold_storage_days_error_names_its_key() -> None:
    assert _message(parse_plan, {"coldStorageAfterDays": 0}) == (
        f"invalid config {NS}:backupPlan.coldStorageAfterDays = 0: must be a whole number >= 1"
    )


@pytest.mark.parametrize(("zone", "shown"), [("posixrules", "'posixrules'"), (5, "5")])
def test_time_zone_not_an_iana_key_is_refused(zone: Any, shown: str) -> None:
    # `posixrules` loads with ZoneInfo but is not an IANA key: the list decides, not the loader.
    assert _message(parse_plan, {"scheduleTimezone": zone}) == (
        f"invalid config {NS}:backupPlan.scheduleTimezone = {shown}: {TZ_VALID}"
    )


def test_time_zone_listed_but_not_loadable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise config_module.ZoneInfoNotFoundError(name)

    monkeypatch.setattr(config_module, "ZoneInfo", broken)
    assert _message(parse_plan, {"scheduleTimezone": "Europe/Paris"}) == (
        f"invalid config {NS}:backupPlan.scheduleTimezone = 'Europe/Paris': {TZ_VALID}"
    )


def test_time_zone_without_a_database_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_module, "available_timezones", set)
    assert _message(parse_plan, {"scheduleTimezone": "Europe/Paris"}) == (
        f"invalid config {NS}:backupPlan.scheduleTimezone = 'Europe/Paris': can't be checked: "
        "this machine has no time zone database (install tzdata)"
    )


# --- near-miss namespaces: case and punctuation don't count ---------------------------------------


@pytest.mark.parametrize(
    "namespace",
    ["C.R.O.S.S-A.C.C.O.U.N.T-B.A.C.K.U.P", "c_r_o_s_s_a_c_c_o_u_n_t_b_a_c_k_u_p"],
)
def test_namespace_equal_once_case_and_punctuation_go_is_a_near_miss(namespace: str) -> None:
    # Far apart by edit ratio (< 0.85), equal once squashed: only the squash rule catches it.
    assert is_near_miss_namespace(namespace) is True


def test_namespace_squash_applies_to_the_project_name_too() -> None:
    assert is_near_miss_namespace("my-app", project="My.App!") is True
