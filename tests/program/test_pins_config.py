"""Pins of the config model (issue 16): each limit at its boundary, both sides; defaults of the
optional sections; every error as a whole message (key, value AND remedy).

The message is the product: `invalid config cross-account-backup:<key> = <value!r>: <remedy>`.
A test that matches a fragment lets the value or the remedy vanish unnoticed.

References (one per row group below):
- [plan] AWS Backup API, BackupRuleInput (StartWindowMinutes, CompletionWindowMinutes,
  ScheduleExpression, Lifecycle): https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html
- [lifecycle] AWS Backup API, Lifecycle: "Backups transitioned to cold storage must be stored
  in cold storage for a minimum of 90 days", so DeleteAfterDays >= MoveToColdStorageAfterDays + 90:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html
- [lock] AWS Backup API, PutBackupVaultLockConfiguration (ChangeableForDays >= 3,
  Min/MaxRetentionDays up to 36500):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
- [tags] Tagging AWS resources, tag naming limits (key 1-128, value 0-256, aws: reserved):
  https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
- [sts] STS AssumeRole (RoleSessionName 2-64, ExternalId 2-1224):
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
- [arn] IAM identifiers, ARN formats of the partitions aws, aws-cn, aws-us-gov; 12-digit ids:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from components.config import (
    ConfigError,
    PlanSettings,
    SelectionTag,
    is_near_miss_namespace,
    parse_account,
    parse_plan,
    parse_selection_tag,
    parse_settings,
    parse_vault_lock,
    vault_arn,
)

NS = "cross-account-backup"
SRC_ROLE = "arn:aws:iam::111111111111:role/backup-deployer"
BAK_ROLE = "arn:aws:iam::222222222222:role/backup-deployer"
BASE: dict[str, Any] = {
    "sourceAccount": {"accountId": "111111111111", "roleArn": SRC_ROLE, "region": "eu-west-1"},
    "backupAccount": {"accountId": "222222222222", "roleArn": BAK_ROLE, "region": "eu-central-1"},
}


def settings(**overrides: Any) -> Any:
    raw = copy.deepcopy(BASE)
    raw.update(overrides)
    return parse_settings(raw, project="cab", stack="dev")


def message(func: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        func(*args, **kwargs)
    return str(caught.value)


# --- defaults of the optional sections -------------------------------------------------------


def test_plan_defaults_when_the_section_is_absent() -> None:
    assert parse_plan(None) == PlanSettings(
        schedule="cron(0 5 ? * * *)",
        schedule_timezone=None,
        retention_days=35,
        cold_storage_after_days=None,
        copy_retention_days=35,
        copy_cold_storage_after_days=None,
        start_window_minutes=60,
        completion_window_minutes=1440,
    )


def test_selection_tag_defaults_when_the_section_is_absent() -> None:
    assert parse_selection_tag(None) == SelectionTag(key="Backup", value="Yes")


def test_vault_lock_absent_is_none() -> None:
    assert parse_vault_lock(None) is None


def test_compliance_lock_defaults() -> None:
    lock = parse_vault_lock({"mode": "compliance"})
    assert lock is not None
    assert (lock.mode, lock.min_retention_days, lock.max_retention_days) == ("compliance", 1, 36500)
    assert (lock.changeable_for_days, lock.lock_date) == (3, None)


def test_governance_lock_has_no_grace_period() -> None:
    lock = parse_vault_lock({"mode": "governance"})
    assert lock is not None and lock.changeable_for_days is None


def test_account_defaults() -> None:
    account = parse_account("sourceAccount", BASE["sourceAccount"], service_linked_role=True)
    assert account is not None
    assert account.external_id is None
    assert account.session_name == "cross-account-backup"
    assert account.create_service_linked_role is True


def test_whole_settings_defaults_and_names() -> None:
    s = settings()
    assert s.management is None and s.vault_lock is None and s.notification_email is None
    assert s.backup_vault_name == "cab-dev-copies"
    assert s.source_vault_name == "cab-dev-local"
    assert (
        s.backup_vault_arn == "arn:aws:backup:eu-central-1:222222222222:backup-vault:cab-dev-copies"
    )
    assert s.source_vault_arn == "arn:aws:backup:eu-west-1:111111111111:backup-vault:cab-dev-local"
    assert s.cross_region is True


# --- partitions [arn] --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("partition", "region"), [("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")]
)
def test_other_partitions_give_their_arns(partition: str, region: str) -> None:
    account = parse_account(
        "sourceAccount",
        {
            "accountId": "111111111111",
            "roleArn": f"arn:{partition}:iam::111111111111:role/backup-deployer",
            "region": region,
        },
    )
    assert account is not None and account.partition == partition
    assert vault_arn(account, "v") == f"arn:{partition}:backup:{region}:111111111111:backup-vault:v"


@pytest.mark.parametrize(
    ("role_partition", "region", "expected"),
    [
        ("aws", "cn-north-1", "aws-cn"),
        ("aws-cn", "us-gov-east-1", "aws-us-gov"),
        ("aws-us-gov", "eu-west-1", "aws"),
    ],
)
def test_region_outside_the_roles_partition(
    role_partition: str, region: str, expected: str
) -> None:
    role = f"arn:{role_partition}:iam::111111111111:role/r"
    raw = {"accountId": "111111111111", "roleArn": role, "region": region}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.region = {region!r}: is in the {expected} partition "
        f"but roleArn is in {role_partition}; use a region of the role's partition"
    )


def test_accounts_in_two_partitions() -> None:
    cn = {
        "accountId": "222222222222",
        "region": "cn-north-1",
        "roleArn": "arn:aws-cn:iam::222222222222:role/backup-deployer",
    }
    assert message(settings, backupAccount=cn) == (
        f"invalid config {NS}:backupAccount.roleArn = "
        "'arn:aws-cn:iam::222222222222:role/backup-deployer': must be in the source account's "
        "partition (aws): AWS Backup does not copy across partitions"
    )


# --- account ids: 12 digits, anchored both ends [arn] ------------------------------------------

ID_MSG = 'must be 12 digits, e.g. "111111111111"'


@pytest.mark.parametrize(
    "account_id",
    ["11111111111", "1111111111111", "x111111111111", "111111111111x", "11111111111\n"],
    ids=["11-digits", "13-digits", "leading-x", "trailing-x", "11-digits-newline"],
)
def test_account_id_not_12_digits(account_id: str) -> None:
    raw = {**BASE["sourceAccount"], "accountId": account_id}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.accountId = {account_id!r}: {ID_MSG}"
    )


def test_account_id_unquoted_int() -> None:
    raw = {**BASE["sourceAccount"], "accountId": 111111111111}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.accountId = 111111111111: "
        'must be a quoted string of 12 digits, e.g. "111111111111"'
    )


@pytest.mark.parametrize(
    "role",
    [
        "arn:aws:iam::11111111111:role/r",
        "arn:aws:iam::111111111111:role/r x",
        "xarn:aws:iam::111111111111:role/r",
        "arn:aws:iam::111111111111:role/" + "r" * 65,
        "arn:aws:iam::111111111111:user/r",
    ],
)
def test_role_arn_shape(role: str) -> None:
    raw = {**BASE["sourceAccount"], "roleArn": role}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.roleArn = {role!r}: must be an IAM role ARN like "
        "arn:aws:iam::111111111111:role/backup-deployer"
    )


def test_role_name_of_64_characters_is_accepted() -> None:
    raw = {**BASE["sourceAccount"], "roleArn": "arn:aws:iam::111111111111:role/p/" + "r" * 64}
    account = parse_account("sourceAccount", raw)
    assert account is not None and account.role_arn.endswith("r" * 64)


def test_role_in_another_account() -> None:
    raw = {**BASE["sourceAccount"], "roleArn": BAK_ROLE}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.roleArn = {BAK_ROLE!r}: the role must be in the "
        "account it deploys to (111111111111), not 222222222222"
    )


def test_same_account_twice() -> None:
    bak = {**BASE["sourceAccount"], "region": "eu-central-1"}
    assert message(settings, backupAccount=bak) == (
        f"invalid config {NS}:backupAccount.accountId = '111111111111': must differ from "
        "sourceAccount.accountId: copies in the same account do not survive the loss of that "
        "account"
    )


def test_management_account_equal_to_backup() -> None:
    assert message(settings, managementAccount=BASE["backupAccount"]) == (
        f"invalid config {NS}:managementAccount.accountId = '222222222222': must differ from "
        "backupAccount.accountId: the backup account must be isolated, and the management "
        "account is the one every administrator reaches"
    )


def test_missing_required_account() -> None:
    raw = {"sourceAccount": BASE["sourceAccount"]}
    assert message(parse_settings, raw, project="cab", stack="dev") == (
        f"missing config {NS}:backupAccount: required: an object "
        "{accountId, roleArn, region[, externalId, sessionName]}"
    )


def test_account_not_a_mapping() -> None:
    assert message(parse_account, "sourceAccount", "111111111111") == (
        f"invalid config {NS}:sourceAccount = '111111111111': must be an object (a YAML mapping)"
    )


def test_unknown_key_in_account() -> None:
    raw = {**BASE["sourceAccount"], "acountId": "x"}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.acountId = 'x': unknown key; valid keys: "
        "accountId, roleArn, region, externalId, sessionName"
    )


def test_create_service_linked_role_not_bool() -> None:
    raw = {**BASE["sourceAccount"], "createServiceLinkedRole": "no"}
    assert message(parse_account, "sourceAccount", raw, service_linked_role=True) == (
        f"invalid config {NS}:sourceAccount.createServiceLinkedRole = 'no': must be true "
        "(create AWSServiceRoleForBackup) or false (it exists already)"
    )


# --- STS limits [sts]: both sides ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"), [("a", False), ("ab", True), ("a" * 64, True), ("a" * 65, False)]
)
def test_session_name_length(value: str, ok: bool) -> None:
    raw = {**BASE["sourceAccount"], "sessionName": value}
    if ok:
        account = parse_account("sourceAccount", raw)
        assert account is not None and account.session_name == value
    else:
        assert message(parse_account, "sourceAccount", raw) == (
            f"invalid config {NS}:sourceAccount.sessionName = {value!r}: must be 2-64 characters "
            "of letters, digits and +=,.@-"
        )


@pytest.mark.parametrize(
    ("value", "ok"), [("a", False), ("ab", True), ("a" * 1224, True), ("a" * 1225, False)]
)
def test_external_id_length(value: str, ok: bool) -> None:
    raw = {**BASE["sourceAccount"], "externalId": value}
    if ok:
        account = parse_account("sourceAccount", raw)
        assert account is not None and account.external_id == value
    else:
        assert message(parse_account, "sourceAccount", raw) == (
            f"invalid config {NS}:sourceAccount.externalId = {value!r}: must be 2-1224 characters "
            "of letters, digits and +=,.@:/-"
        )


# --- plan windows and interval [plan] -----------------------------------------------------------


@pytest.mark.parametrize(("start", "ok"), [(59, False), (60, True)])
def test_start_window_minimum(start: int, ok: bool) -> None:
    raw = {"startWindowMinutes": start, "completionWindowMinutes": 1440}
    if ok:
        assert parse_plan(raw).start_window_minutes == start
    else:
        assert message(parse_plan, raw) == (
            f"invalid config {NS}:backupPlan.startWindowMinutes = {start}: must be a whole number "
            ">= 60"
        )


@pytest.mark.parametrize(("completion", "ok"), [(119, False), (120, True)])
def test_completion_window_minimum(completion: int, ok: bool) -> None:
    raw = {"startWindowMinutes": 60, "completionWindowMinutes": completion}
    if ok:
        assert parse_plan(raw).completion_window_minutes == completion
    else:
        assert message(parse_plan, raw) == (
            f"invalid config {NS}:backupPlan.completionWindowMinutes = {completion}: must be a "
            "whole number >= 120"
        )


@pytest.mark.parametrize(("completion", "ok"), [(239, False), (240, True)])
def test_completion_at_least_60_after_start(completion: int, ok: bool) -> None:
    raw = {"startWindowMinutes": 180, "completionWindowMinutes": completion}
    if ok:
        assert parse_plan(raw).completion_window_minutes == completion
    else:
        assert message(parse_plan, raw) == (
            f"invalid config {NS}:backupPlan.completionWindowMinutes = {completion}: must be at "
            "least 60 minutes more than startWindowMinutes (180)"
        )


@pytest.mark.parametrize(
    ("schedule", "ok"),
    [
        ("cron(59 * ? * * *)", True),
        ("cron(0 5 ? * * *)", True),
        ("cron(60 * ? * * *)", False),
        ("cron(*/30 * ? * * *)", False),
        ("cron(0,30 * ? * * *)", False),
    ],
)
def test_schedule_once_an_hour_at_most(schedule: str, ok: bool) -> None:
    if ok:
        assert parse_plan({"schedule": schedule}).schedule == schedule
    else:
        assert message(parse_plan, {"schedule": schedule}) == (
            f"invalid config {NS}:backupPlan.schedule = {schedule!r}: the minutes field must be a "
            "single minute (0-59): AWS Backup runs jobs at most once an hour"
        )


SHAPE = (
    "must be a cron(...) expression with six fields (minutes hours day-of-month month "
    "day-of-week year), e.g. cron(0 5 ? * * *)"
)


@pytest.mark.parametrize(
    "schedule",
    ["cron(0 5 ? * *)", "cron(0 5 ? * * * *)", "xcron(0 5 ? * * *)", "cron(0 5 ? * * *)x", 5],
)
def test_schedule_shape(schedule: Any) -> None:
    assert message(parse_plan, {"schedule": schedule}) == (
        f"invalid config {NS}:backupPlan.schedule = {schedule!r}: {SHAPE}"
    )


@pytest.mark.parametrize("schedule", ["cron(0 5 * * * *)", "cron(0 5 ? * ? *)"])
def test_schedule_exactly_one_question_mark(schedule: str) -> None:
    assert message(parse_plan, {"schedule": schedule}) == (
        f"invalid config {NS}:backupPlan.schedule = {schedule!r}: exactly one of day-of-month "
        "(3rd field) and day-of-week (5th field) must be ?, e.g. cron(0 5 ? * * *) or "
        "cron(0 5 1 * ? *)"
    )


def test_schedule_rate() -> None:
    assert message(parse_plan, {"schedule": " RATE(1 hour)"}) == (
        f"invalid config {NS}:backupPlan.schedule = ' RATE(1 hour)': AWS Backup schedules are "
        "cron expressions only (its ScheduleExpression takes no rate(...)): write the interval "
        "as a cron(...) with six fields, e.g. cron(0 */12 ? * * *) for every 12 hours or "
        "cron(0 5 ? * * *) for daily at 05:00"
    )


def test_timezone_unknown() -> None:
    assert message(parse_plan, {"scheduleTimezone": "Europe/Pariss"}) == (
        f"invalid config {NS}:backupPlan.scheduleTimezone = 'Europe/Pariss': must be an IANA "
        "time zone name such as Etc/UTC, Europe/Paris or America/New_York"
    )


def test_timezone_known() -> None:
    assert parse_plan({"scheduleTimezone": "Europe/Paris"}).schedule_timezone == "Europe/Paris"


# --- lifecycle: +90 days [lifecycle] ------------------------------------------------------------


@pytest.mark.parametrize(("retention", "ok"), [(99, False), (100, True)])
@pytest.mark.parametrize(
    ("retention_key", "cold_key"),
    [("retentionDays", "coldStorageAfterDays"), ("copyRetentionDays", "copyColdStorageAfterDays")],
)
def test_cold_storage_plus_90_days(
    retention_key: str, cold_key: str, retention: int, ok: bool
) -> None:
    raw = {retention_key: retention, cold_key: 10}
    if ok:
        plan = parse_plan(raw)
        assert (
            plan.retention_days if retention_key == "retentionDays" else plan.copy_retention_days
        ) == retention
    else:
        assert message(parse_plan, raw) == (
            f"invalid config {NS}:backupPlan.{retention_key} = {retention}: AWS Backup deletes "
            f"no sooner than 90 days after the move to cold storage: with {cold_key} = 10 it "
            "must be >= 100"
        )


@pytest.mark.parametrize(
    ("value", "shown"), [(0, "0"), (True, "True"), (1.5, "1.5"), ("x", "'x'"), (None, "None")]
)
def test_retention_not_a_whole_number(value: Any, shown: str) -> None:
    raw = {"retentionDays": value} if value is not None else {"retentionDays": [1]}
    shown = shown if value is not None else "[1]"
    assert message(parse_plan, raw) == (
        f"invalid config {NS}:backupPlan.retentionDays = {shown}: must be a whole number >= 1"
    )


def test_retention_float_from_json_round_trip() -> None:
    assert parse_plan({"retentionDays": 35.0, "copyRetentionDays": "36"}).retention_days == 35


# --- vault lock: 36500 days, 3 days [lock] ------------------------------------------------------


@pytest.mark.parametrize(("maximum", "ok"), [(36500, True), (36501, False)])
def test_max_retention_36500(maximum: int, ok: bool) -> None:
    raw = {"mode": "governance", "maxRetentionDays": maximum}
    if ok:
        lock = parse_vault_lock(raw)
        assert lock is not None and lock.max_retention_days == maximum
    else:
        assert message(parse_vault_lock, raw) == (
            f"invalid config {NS}:vaultLock.maxRetentionDays = {maximum}: must be a whole number "
            "between 1 and 36500"
        )


@pytest.mark.parametrize(("days", "ok"), [(2, False), (3, True), (36500, True), (36501, False)])
def test_changeable_for_days_bounds(days: int, ok: bool) -> None:
    raw = {"mode": "compliance", "changeableForDays": days}
    if ok:
        lock = parse_vault_lock(raw)
        assert lock is not None and lock.changeable_for_days == days
    else:
        assert message(parse_vault_lock, raw) == (
            f"invalid config {NS}:vaultLock.changeableForDays = {days}: must be a whole number "
            "between 3 and 36500"
        )


@pytest.mark.parametrize(("minimum", "ok"), [(100, True), (101, False)])
def test_min_not_above_max(minimum: int, ok: bool) -> None:
    raw = {"mode": "governance", "minRetentionDays": minimum, "maxRetentionDays": 100}
    if ok:
        lock = parse_vault_lock(raw)
        assert lock is not None and lock.min_retention_days == minimum
    else:
        assert message(parse_vault_lock, raw) == (
            f"invalid config {NS}:vaultLock.minRetentionDays = {minimum}: must not exceed "
            "maxRetentionDays (100)"
        )


def test_lock_mode_missing() -> None:
    assert message(parse_vault_lock, {}) == (
        f"missing config {NS}:vaultLock.mode: must be compliance (can't be removed "
        "after changeableForDays) or governance"
    )


def test_governance_with_changeable_days() -> None:
    assert message(parse_vault_lock, {"mode": "governance", "changeableForDays": 3}) == (
        f"invalid config {NS}:vaultLock.changeableForDays = 3: only applies to mode: compliance "
        "(governance locks have no grace period); remove it or set mode: compliance"
    )


def test_governance_with_lock_date() -> None:
    assert message(parse_vault_lock, {"mode": "governance", "lockDate": "2026-12-01"}) == (
        f"invalid config {NS}:vaultLock.lockDate = '2026-12-01': only a compliance-mode lock has "
        "a lock date (governance locks stay changeable); a compliance lock past its lock date "
        "can't be turned into governance mode either: set mode: compliance back"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T10:00:00+02:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
    ],
)
def test_lock_date_in_utc(value: str, expected: datetime) -> None:
    lock = parse_vault_lock({"mode": "compliance", "lockDate": value})
    assert lock is not None and lock.lock_date == expected
    assert lock.immutable_at(expected) is True
    assert lock.immutable_at(datetime(2026, 11, 30, tzinfo=UTC)) is False


def test_lock_date_invalid() -> None:
    assert message(parse_vault_lock, {"mode": "compliance", "lockDate": "soon"}) == (
        f"invalid config {NS}:vaultLock.lockDate = 'soon': must be the LockDate AWS reports for "
        "the vault (aws backup describe-backup-vault --query LockDate), an ISO 8601 date or UTC "
        "time such as 2026-12-01 or 2026-12-01T08:00:00Z"
    )


@pytest.mark.parametrize(("copy_retention", "ok"), [(6, False), (7, True), (30, True), (31, False)])
def test_copy_retention_within_the_lock(copy_retention: int, ok: bool) -> None:
    lock = {"mode": "governance", "minRetentionDays": 7, "maxRetentionDays": 30}
    plan = {"copyRetentionDays": copy_retention}
    if ok:
        assert settings(vaultLock=lock, backupPlan=plan).plan.copy_retention_days == copy_retention
    else:
        assert message(settings, vaultLock=lock, backupPlan=plan) == (
            f"invalid config {NS}:backupPlan.copyRetentionDays = {copy_retention}: the backup "
            "vault's lock accepts retentions between 7 and 30 days "
            "(vaultLock.minRetentionDays..maxRetentionDays); outside it every copy job fails"
        )


# --- selection tag [tags] -----------------------------------------------------------------------

TAG_KEY_MSG = (
    "must be a tag key of 1-128 characters (letters, digits, spaces and _.:/=+-@); it may not "
    "start with aws:"
)


@pytest.mark.parametrize(
    ("key", "ok"), [("", False), ("k", True), ("k" * 128, True), ("k" * 129, False), ("a#b", False)]
)
def test_tag_key_length(key: str, ok: bool) -> None:
    if ok:
        assert parse_selection_tag({"key": key}).key == key
    else:
        assert message(parse_selection_tag, {"key": key}) == (
            f"invalid config {NS}:selectionTag.key = {key!r}: {TAG_KEY_MSG}"
        )


def test_tag_key_aws_prefix_any_case() -> None:
    assert message(parse_selection_tag, {"key": "AWS:x"}) == (
        f"invalid config {NS}:selectionTag.key = 'AWS:x': tag keys starting with aws: are "
        "reserved by AWS"
    )


@pytest.mark.parametrize(
    ("value", "ok"), [("", False), ("v", True), ("v" * 256, True), ("v" * 257, False), (5, False)]
)
def test_tag_value_length(value: Any, ok: bool) -> None:
    if ok:
        assert parse_selection_tag({"value": value}).value == value
    else:
        assert message(parse_selection_tag, {"value": value}) == (
            f"invalid config {NS}:selectionTag.value = {value!r}: must be a string of 1 to 256 "
            "characters"
        )


def test_tag_value_boolean() -> None:
    assert message(parse_selection_tag, {"value": True}) == (
        f'invalid config {NS}:selectionTag.value = True: must be a string, e.g. "Yes" (quote '
        "it: tag values are text)"
    )


# --- the rest of the top level ------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    assert message(settings, backupPlna={}) == (
        f"invalid config {NS}:backupPlna = {{}}: unknown key; valid keys: sourceAccount, "
        "sourceAccounts, organization, backupAccount, managementAccount, backupPlan, "
        "selectionTag, selection, vaultLock, notificationEmail, restoreTesting, backupAudit"
    )


def test_notification_email_invalid() -> None:
    assert message(settings, notificationEmail="ops@example") == (
        f"invalid config {NS}:notificationEmail = 'ops@example': must be an e-mail address (or "
        "leave the key unset)"
    )


def test_notification_email_valid() -> None:
    assert settings(notificationEmail="ops@example.com").notification_email == "ops@example.com"


@pytest.mark.parametrize(("stack", "ok"), [("s" * 39, True), ("s" * 40, False)])
def test_stack_name_length_for_vault_names(stack: str, ok: bool) -> None:
    # 'cab-' + stack: 43 characters at most (the vault names add "-copies").
    raw = copy.deepcopy(BASE)
    if ok:
        assert parse_settings(raw, project="cab", stack=stack).stack == stack
    else:
        assert message(parse_settings, raw, project="cab", stack=stack) == (
            f"invalid config {NS}:(stack name) = {stack!r}: the stack name must keep "
            "'<project>-<stack>' within 43 letters, digits, '-' or '_' (it names the vaults)"
        )


def test_aws_reserved_deploy_role() -> None:
    role = "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x"
    assert message(settings, backupAccount={**BASE["backupAccount"], "roleArn": role}) == (
        f"invalid config {NS}:backupAccount.roleArn = {role!r}: a role under aws-reserved/ "
        "belongs to IAM Identity Center: it is deleted and recreated with a new name when its "
        "permission set is re-provisioned, and the vault and key policies would then lock "
        "everyone out of PutKeyPolicy for ever; use a role the account owns, e.g. "
        "arn:aws:iam::222222222222:role/backup-deployer"
    )


# --- the end anchor: `$` matches before a trailing newline; the whole value must match -------


@pytest.mark.parametrize(
    ("field", "value", "remedy"),
    [
        ("accountId", "111111111111\n", ID_MSG),
        (
            "roleArn",
            SRC_ROLE + "\n",
            "must be an IAM role ARN like arn:aws:iam::111111111111:role/backup-deployer",
        ),
        ("region", "eu-west-1\n", "must be an AWS region code such as eu-west-1 or us-east-1"),
        ("sessionName", "ab\n", "must be 2-64 characters of letters, digits and +=,.@-"),
        ("externalId", "ab\n", "must be 2-1224 characters of letters, digits and +=,.@:/-"),
    ],
    ids=["accountId", "roleArn", "region", "sessionName", "externalId"],
)
def test_trailing_newline_is_refused(field: str, value: str, remedy: str) -> None:
    raw = {**BASE["sourceAccount"], field: value}
    assert message(parse_account, "sourceAccount", raw) == (
        f"invalid config {NS}:sourceAccount.{field} = {value!r}: {remedy}"
    )


def test_tag_key_trailing_newline_is_refused() -> None:
    assert message(parse_selection_tag, {"key": "Backup\n"}) == (
        f"invalid config {NS}:selectionTag.key = 'Backup\\n': {TAG_KEY_MSG}"
    )


def test_schedule_trailing_newline_is_refused() -> None:
    # A YAML block scalar (`schedule: |`) ends in a newline; AWS Backup's ScheduleExpression is
    # the cron expression alone (API BackupRuleInput), so the whole value must be the cron.
    with pytest.raises(ConfigError) as caught:
        parse_plan({"schedule": "cron(0 5 ? * * *)\n"})
    assert caught.value.key == "backupPlan.schedule"
    assert str(caught.value).startswith(
        f"invalid config {NS}:backupPlan.schedule = 'cron(0 5 ? * * *)\\n': "
    )


# --- near-miss namespaces (a key under a misspelt namespace is never read) -------------------


@pytest.mark.parametrize(
    ("namespace", "near_miss"),
    [
        ("cross-account-backup", False),  # the project itself
        ("Cross_Account_Backup", True),  # same letters and digits
        ("crossaccountbackup", True),
        ("cross-acount-backup", True),  # difflib ratio 0.97
        ("cross-account-bxxxup", True),  # ratio 34/40 = 0.85: the bound is inclusive
        ("CROSS-ACCOUNT-BXXXUP", True),  # compared in lower case
        ("cross-account-bxxxxp", False),  # ratio 0.80
        ("aws", False),
    ],
)
def test_near_miss_namespace(namespace: str, near_miss: bool) -> None:
    assert is_near_miss_namespace(namespace) is near_miss


def test_near_miss_of_another_project() -> None:
    assert is_near_miss_namespace("my-projekt", "my-project") is True
    assert is_near_miss_namespace("cross-acount-backup", "my-project") is False


def test_config_error_keeps_its_parts() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_plan({"retentionDays": 0})
    err = caught.value
    assert (err.key, err.value, err.valid) == (
        "backupPlan.retentionDays",
        0,
        "must be a whole number >= 1",
    )
