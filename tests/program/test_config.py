"""The stack config model: what it accepts, and every refusal named by key, value and remedy."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from components.config import ConfigError, parse_settings
from harness import stack_config

NS = "cross-account-backup:"


def raw(stack: str = "dev") -> dict[str, Any]:
    """The stack's config as the program reads it: keys without namespace, decoded values."""
    return {k.removeprefix(NS): v for k, v in stack_config(stack).items() if k.startswith(NS)}


def parse(values: dict[str, Any], stack: str = "dev"):
    return parse_settings(values, project="cross-account-backup", stack=stack)


def test_dev_stack_parses_with_defaults_filled_in() -> None:
    settings = parse(raw("dev"))
    assert settings.source.account_id == "111111111111"
    assert settings.backup.account_id == "222222222222"
    assert settings.management is None
    assert settings.plan.retention_days == 7
    assert settings.plan.copy_retention_days == 14
    assert settings.plan.schedule == "cron(0 5 ? * * *)"
    assert settings.selection_tag.key == "Backup" and settings.selection_tag.value == "Yes"
    assert settings.vault_lock is not None and settings.vault_lock.mode == "governance"
    assert settings.vault_lock.changeable_for_days is None
    assert settings.source.session_name == "cross-account-backup"


def test_prod_stack_is_compliance_locked_cross_region_with_management_account() -> None:
    settings = parse(raw("prod"), stack="prod")
    assert settings.vault_lock is not None and settings.vault_lock.mode == "compliance"
    assert settings.vault_lock.changeable_for_days == 3
    assert settings.cross_region
    assert settings.management is not None and settings.management.account_id == "000000000000"
    assert [
        (r.name, r.copy_retention_days, r.copy_cold_storage_after_days) for r in settings.plan.rules
    ] == [
        ("daily", 365, None),
        ("monthly", 2555, 90),
    ]


def test_vault_names_and_arns_are_known_before_deployment() -> None:
    settings = parse(raw("prod"), stack="prod")
    assert settings.backup_vault_name == "cross-account-backup-prod-copies"
    assert settings.backup_vault_arn == (
        "arn:aws:backup:eu-central-1:222222222222:backup-vault:cross-account-backup-prod-copies"
    )
    assert settings.source_vault_arn == (
        "arn:aws:backup:eu-west-1:111111111111:backup-vault:cross-account-backup-prod-local"
    )


def test_optional_account_fields_are_passed_through() -> None:
    values = raw()
    values["sourceAccount"] = {
        **values["sourceAccount"],
        "externalId": "ext-123",
        "sessionName": "ci",
    }
    settings = parse(values)
    assert settings.source.external_id == "ext-123"
    assert settings.source.session_name == "ci"


def test_float_days_from_a_json_round_trip_are_accepted_as_whole_numbers() -> None:
    values = raw()
    values["backupPlan"] = {**values["backupPlan"], "retentionDays": 35.0}
    assert parse(values).plan.retention_days == 35


def _set(path: str, value: Any) -> dict[str, Any]:
    """The dev config with one value changed (`a.b` paths; value `...` deletes)."""
    values = copy.deepcopy(raw())
    head, _, tail = path.partition(".")
    if not tail:
        if value is ...:
            values.pop(head, None)
        else:
            values[head] = value
        return values
    section = dict(values.get(head) or {})
    if value is ...:
        section.pop(tail, None)
    else:
        section[tail] = value
    values[head] = section
    return values


# (case id, config change, key named in the error, a fragment of what is valid)
REFUSALS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "accounts equal",
        _set(
            "backupAccount",
            {
                "accountId": "111111111111",
                "roleArn": "arn:aws:iam::111111111111:role/backup-deployer",
                "region": "eu-west-1",
            },
        ),
        "backupAccount.accountId",
        "must differ from sourceAccount.accountId",
    ),
    (
        "account id 11 digits",
        _set("sourceAccount.accountId", "11111111111"),
        "sourceAccount.accountId",
        "12 digits",
    ),
    (
        "account id letters",
        _set("backupAccount.accountId", "22222222222x"),
        "backupAccount.accountId",
        "12 digits",
    ),
    (
        "account id unquoted",
        _set("sourceAccount.accountId", 111111111111),
        "sourceAccount.accountId",
        'must be a quoted string of 12 digits, e.g. "111111111111"',
    ),
    ("source missing", _set("sourceAccount", ...), "sourceAccount", "required"),
    ("backup missing", _set("backupAccount", ...), "backupAccount", "required"),
    (
        "account not an object",
        _set("sourceAccount", "111111111111"),
        "sourceAccount",
        "must be an object",
    ),
    (
        "role arn malformed",
        _set("sourceAccount.roleArn", "backup-deployer"),
        "sourceAccount.roleArn",
        "IAM role ARN",
    ),
    (
        "role arn is a user",
        _set("sourceAccount.roleArn", "arn:aws:iam::111111111111:user/bob"),
        "sourceAccount.roleArn",
        "IAM role ARN",
    ),
    (
        "role in another account",
        _set("backupAccount.roleArn", "arn:aws:iam::111111111111:role/backup-deployer"),
        "backupAccount.roleArn",
        "must be in the account it deploys to (222222222222)",
    ),
    (
        "region invalid",
        _set("sourceAccount.region", "europe"),
        "sourceAccount.region",
        "region code",
    ),
    (
        "unknown account field",
        _set("sourceAccount.acountId", "1"),
        "sourceAccount.acountId",
        "unknown key",
    ),
    ("retention 0", _set("backupPlan.retentionDays", 0), "backupPlan.retentionDays", ">= 1"),
    (
        "retention negative",
        _set("backupPlan.retentionDays", -5),
        "backupPlan.retentionDays",
        ">= 1",
    ),
    (
        "retention fractional",
        _set("backupPlan.retentionDays", 1.5),
        "backupPlan.retentionDays",
        "whole number",
    ),
    (
        "retention text",
        _set("backupPlan.retentionDays", "a week"),
        "backupPlan.retentionDays",
        "whole number",
    ),
    (
        "copy retention 0",
        _set("backupPlan.copyRetentionDays", 0),
        "backupPlan.copyRetentionDays",
        ">= 1",
    ),
    (
        "deletion before cold + 90",
        {**_set("backupPlan.coldStorageAfterDays", 30)},
        "backupPlan.retentionDays",
        ">= 120",
    ),
    (
        "copy deletion before cold + 90",
        _set("backupPlan.copyColdStorageAfterDays", 10),
        "backupPlan.copyRetentionDays",
        ">= 100",
    ),
    (
        "schedule not cron or rate",
        _set("backupPlan.schedule", "daily"),
        "backupPlan.schedule",
        "cron(...)",
    ),
    (
        "schedule cron with five fields",
        _set("backupPlan.schedule", "cron(0 5 * * *)"),
        "backupPlan.schedule",
        "six fields",
    ),
    (
        "schedule rate without unit",
        _set("backupPlan.schedule", "rate(12)"),
        "backupPlan.schedule",
        "rate(...)",
    ),
    (
        "start window too short",
        _set("backupPlan.startWindowMinutes", 30),
        "backupPlan.startWindowMinutes",
        ">= 60",
    ),
    (
        "completion before start + 60",
        _set("backupPlan.completionWindowMinutes", 120)
        | {
            "backupPlan": {
                **raw()["backupPlan"],
                "startWindowMinutes": 100,
                "completionWindowMinutes": 120,
            }
        },
        "backupPlan.completionWindowMinutes",
        "at least 60 minutes more",
    ),
    ("unknown plan field", _set("backupPlan.retention", 5), "backupPlan.retention", "unknown key"),
    ("lock mode invalid", _set("vaultLock.mode", "strict"), "vaultLock.mode", "compliance"),
    (
        "compliance lock changeable 2 days",
        _set(
            "vaultLock",
            {
                "mode": "compliance",
                "minRetentionDays": 1,
                "maxRetentionDays": 365,
                "changeableForDays": 2,
            },
        ),
        "vaultLock.changeableForDays",
        "between 3 and 36500",
    ),
    (
        "governance lock with changeable days",
        _set("vaultLock.changeableForDays", 5),
        "vaultLock.changeableForDays",
        "only applies to mode: compliance",
    ),
    (
        "lock min above max",
        _set("vaultLock", {"mode": "governance", "minRetentionDays": 400, "maxRetentionDays": 365}),
        "vaultLock.minRetentionDays",
        "must not exceed maxRetentionDays (365)",
    ),
    (
        "copy retention above lock max",
        _set("vaultLock", {"mode": "governance", "minRetentionDays": 1, "maxRetentionDays": 10}),
        "backupPlan.copyRetentionDays",
        "between 1 and 10 days",
    ),
    (
        "copy retention below lock min",
        _set("vaultLock", {"mode": "governance", "minRetentionDays": 30, "maxRetentionDays": 365}),
        "backupPlan.copyRetentionDays",
        "between 30 and 365 days",
    ),
    (
        "selection tag value read as boolean",
        _set("selectionTag", {"key": "Backup", "value": True}),
        "selectionTag.value",
        'must be a string, e.g. "Yes" (quote it: tag values are text)',
    ),
    (
        "selection tag key reserved",
        _set("selectionTag", {"key": "aws:backup", "value": "Yes"}),
        "selectionTag.key",
        "reserved",
    ),
    (
        "email invalid",
        _set("notificationEmail", "ops-at-example"),
        "notificationEmail",
        "e-mail address",
    ),
    (
        "unknown top-level key",
        _set("backupplan", {"retentionDays": 5}),
        "backupplan",
        "unknown key",
    ),
    # AWS Backup API BackupRuleInput: ScheduleExpression is "a cron expression in UTC"; no
    # rate() (terraform-provider-aws #8269: rate(...) is refused by AWS Backup).
    (
        "rate refused",
        _set("backupPlan.schedule", "rate(12 hours)"),
        "backupPlan.schedule",
        "cron expressions only (its ScheduleExpression takes no rate(...)): write the interval "
        "as a cron(...) with six fields, e.g. cron(0 */12 ? * * *)",
    ),
    (
        "rate of a day refused",
        _set("backupPlan.schedule", "rate(1 day)"),
        "backupPlan.schedule",
        "e.g. cron(0 */12 ? * * *) for every 12 hours or cron(0 5 ? * * *) for daily at 05:00",
    ),
    (
        "rate in capitals refused",
        _set("backupPlan.schedule", "RATE(1 hour)"),
        "backupPlan.schedule",
        "takes no rate(...)",
    ),
    # BackupRuleInput.ScheduleExpressionTimezone: an IANA time zone (default Etc/UTC).
    (
        "timezone not IANA",
        _set("backupPlan.scheduleTimezone", "CEST"),
        "backupPlan.scheduleTimezone",
        "must be an IANA time zone name such as Etc/UTC, Europe/Paris or America/New_York",
    ),
    (
        "timezone not a string",
        _set("backupPlan.scheduleTimezone", 2),
        "backupPlan.scheduleTimezone",
        "IANA time zone name",
    ),
    (
        "service-linked role switch not a boolean",
        _set("backupAccount.createServiceLinkedRole", "no"),
        "backupAccount.createServiceLinkedRole",
        "must be true (create AWSServiceRoleForBackup) or false (it exists already)",
    ),
    (
        "service-linked role switch on the management account",
        _set(
            "managementAccount",
            {
                "accountId": "000000000000",
                "roleArn": "arn:aws:iam::000000000000:role/backup-deployer",
                "region": "eu-west-1",
                "createServiceLinkedRole": False,
            },
        ),
        "managementAccount.createServiceLinkedRole",
        "unknown key",
    ),
    # IAM Identity Center creates its roles under /aws-reserved/sso.amazonaws.com/ and replaces
    # them when a permission set is re-provisioned (IAM Identity Center user guide, "Referencing
    # permission sets in resource policies").
    (
        "deploy role of the backup account under aws-reserved",
        _set(
            "backupAccount.roleArn",
            "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
            "AWSReservedSSO_Admin_0123456789abcdef",
        ),
        "backupAccount.roleArn",
        "a role under aws-reserved/ belongs to IAM Identity Center: it is deleted and recreated "
        "with a new name when its permission set is re-provisioned, and the vault and key "
        "policies would then lock everyone out of PutKeyPolicy for ever; use a role the account "
        "owns, e.g. arn:aws:iam::222222222222:role/backup-deployer",
    ),
    # API PutBackupVaultLockConfiguration, ChangeableForDays: only compliance locks have a lock
    # date; after it the lock "cannot be changed or deleted" (so not turned into governance).
    (
        "lock date on a governance lock",
        _set("vaultLock.lockDate", "2026-01-01"),
        "vaultLock.lockDate",
        "only a compliance-mode lock has a lock date",
    ),
    (
        "lock date not a date",
        _set(
            "vaultLock",
            {
                "mode": "compliance",
                "minRetentionDays": 1,
                "maxRetentionDays": 365,
                "lockDate": "next tuesday",
            },
        ),
        "vaultLock.lockDate",
        "must be the LockDate AWS reports for the vault (aws backup describe-backup-vault "
        "--query LockDate)",
    ),
    (
        "cron every ten minutes",
        _set("backupPlan.schedule", "cron(0/10 * ? * * *)"),
        "backupPlan.schedule",
        "single minute",
    ),
    (
        "cron without ?",
        _set("backupPlan.schedule", "cron(0 5 * * * *)"),
        "backupPlan.schedule",
        "exactly one of day-of-month",
    ),
    (
        "cron with two ?",
        _set("backupPlan.schedule", "cron(0 5 ? * ? *)"),
        "backupPlan.schedule",
        "exactly one of day-of-month",
    ),
    (
        "region of another partition",
        _set("sourceAccount.region", "cn-north-1"),
        "sourceAccount.region",
        "aws-cn partition but roleArn is in aws",
    ),
    (
        "accounts in two partitions",
        _set(
            "backupAccount",
            {
                "accountId": "222222222222",
                "roleArn": "arn:aws-us-gov:iam::222222222222:role/backup-deployer",
                "region": "us-gov-west-1",
            },
        ),
        "backupAccount.roleArn",
        "does not copy across partitions",
    ),
    (
        "management account is the backup account",
        _set(
            "managementAccount",
            {
                "accountId": "222222222222",
                "roleArn": "arn:aws:iam::222222222222:role/backup-deployer",
                "region": "eu-west-1",
            },
        ),
        "managementAccount.accountId",
        "backup account must be isolated",
    ),
    (
        "empty tag value",
        _set("selectionTag", {"key": "Backup", "value": ""}),
        "selectionTag.value",
        "1 to 256 characters",
    ),
    (
        "compliance grace period beyond 100 years",
        _set(
            "vaultLock",
            {
                "mode": "compliance",
                "minRetentionDays": 1,
                "maxRetentionDays": 365,
                "changeableForDays": 100000,
            },
        ),
        "vaultLock.changeableForDays",
        "between 3 and 36500",
    ),
]


@pytest.mark.parametrize(
    ("values", "key", "valid"),
    [pytest.param(v, k, f, id=i) for i, v, k, f in REFUSALS],
)
def test_bad_config_is_refused_naming_key_value_and_remedy(
    values: dict[str, Any], key: str, valid: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(values)
    assert caught.value.key == key
    message = str(caught.value)
    assert f"cross-account-backup:{key}" in message
    assert valid in message
    if caught.value.valid and "required" not in valid:
        assert repr(caught.value.value) in message


def test_lock_retention_bounds_are_inclusive() -> None:
    values = _set(
        "vaultLock", {"mode": "governance", "minRetentionDays": 14, "maxRetentionDays": 14}
    )
    settings = parse(values)
    assert settings.plan.copy_retention_days == 14


def test_pulumi_yaml_declares_known_keys_with_type_and_description() -> None:
    # Which keys are declared, and with what default, is the CLI's business (a declared key
    # without a non-null default is required): tests/stack/test_stack_config.py.
    import yaml

    from components.config import KNOWN_KEYS
    from harness import ROOT

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    ours = {k.split(":", 1)[1]: v for k, v in declared.items() if k.startswith("cross-account")}
    assert set(ours) <= set(KNOWN_KEYS)
    for key, declaration in ours.items():
        assert {"type", "description"} <= set(declaration), key
    assert declared["pulumi:disable-default-providers"]["value"] == ["aws"]


def test_required_accounts_default_to_null_so_the_program_names_them() -> None:
    values = raw()
    values["sourceAccount"] = None
    with pytest.raises(ConfigError, match="missing config cross-account-backup:sourceAccount"):
        parse(values)


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 5 ? * * *)",
        "cron(30 2 1 * ? *)",
        "cron(0 5,17 ? * MON-FRI *)",
        "cron(0 */12 ? * * *)",
    ],
)
def test_valid_schedules_are_accepted(schedule: str) -> None:
    assert parse(_set("backupPlan.schedule", schedule)).plan.schedule == schedule


def test_schedule_timezone_is_kept_when_it_is_an_iana_name() -> None:
    values = _set("backupPlan.scheduleTimezone", "Europe/Paris")
    assert parse(values).plan.schedule_timezone == "Europe/Paris"
    assert parse(raw()).plan.schedule_timezone is None


def test_service_linked_role_is_created_in_both_accounts_unless_switched_off() -> None:
    settings = parse(raw())
    assert settings.source.create_service_linked_role is True
    assert settings.backup.create_service_linked_role is True
    off = parse(_set("sourceAccount.createServiceLinkedRole", False))
    assert off.source.create_service_linked_role is False
    assert off.backup.create_service_linked_role is True


def test_aws_reserved_path_is_accepted_for_the_source_account() -> None:
    # Only the backup account's deploy role is the exception of the protecting Deny statements.
    arn = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a"
    assert parse(_set("sourceAccount.roleArn", arn)).source.role_arn == arn


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T08:00:00Z", "2026-12-01T08:00:00+00:00"),
        ("2026-12-01T10:00:00+02:00", "2026-12-01T08:00:00+00:00"),
        # YAML decodes an unquoted date itself; a date alone is its first second in UTC.
        (datetime.date(2026, 12, 1), "2026-12-01T00:00:00+00:00"),
        ("2026-12-01", "2026-12-01T00:00:00+00:00"),
    ],
)
def test_lock_date_is_read_as_utc(value: Any, expected: str) -> None:
    values = _set(
        "vaultLock",
        {"mode": "compliance", "minRetentionDays": 1, "maxRetentionDays": 365, "lockDate": value},
    )
    lock = parse(values).vault_lock
    assert lock is not None and lock.lock_date is not None
    assert lock.lock_date.isoformat() == expected
