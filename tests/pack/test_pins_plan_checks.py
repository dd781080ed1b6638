"""Pins of `backup_guard.plan_checks` (issue 16), Pulumi-free: the per-resource checks `f(res,
config)` called directly on the repo's real stacks as the pack sees them (`stack_fixtures`),
with the policy config each stack passes. Each check chooses the resources it judges, names
them, and reads its config keys; `rules` (test_policy_rules.py) holds the verdicts themselves.
The gRPC tests (test_pack_plan_rules.py, test_pack_real.py) show the same through a pack.

References:
- AWS Backup developer guide, "Creating backup copies across AWS accounts" / "Copy a backup"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html): a copy
  to another account leaves the source account; the Default vault's key aws/backup can't be
  shared.
- AWS Backup API, Lifecycle: "the retention setting must be 90 days greater than the transition
  to cold after days setting".
- AWS Backup developer guide, "Vault access policies": wildcard actions are not accepted.
- AWS Config managed rule backup-plan-min-frequency-and-min-retention-check: 35 days default.
- KMS "Rotating AWS KMS keys": enableKeyRotation for symmetric keys.
"""

from __future__ import annotations

from typing import Any

import pytest
import stack_fixtures as sf

from backup_guard import plan_checks
from backup_guard.topology import LAG_VAULT
from backup_guard.values import UNKNOWN

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"
PLAN = "cross-account-plan"
DEV_RULE = "backup-and-copy-to-backup-account"
DEV_COPIES = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:cross-account-backup-dev-copies"
DEV_LOCAL = f"arn:aws:backup:eu-west-1:{SRC}:backup-vault:cross-account-backup-dev-local"
CROSS = "backup-copy-destination-cross-account"
DELETION = "backup-vault-deletion-protected"
OPEN = (
    "lets any principal in without an account or organization condition "
    "(aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount)"
)
STACK_MODES = pytest.mark.parametrize(
    ("stack", "mode"), [(s, m) for s in sf.STACKS for m in sf.MODES]
)
ALL_CHECKS = [
    plan_checks.open_principal,
    plan_checks.copy_destination,
    plan_checks.lifecycle,
    plan_checks.vault_wildcard_actions,
    plan_checks.min_retention,
    plan_checks.deletion_protected,
    plan_checks.rotation,
]


def res(data: sf.Stack, name: str) -> Any:
    return sf.to_resource(sf.named(data, name))


def config(data: sf.Stack, policy: str) -> dict[str, Any]:
    value: dict[str, Any] = data["policyConfig"].get(policy, {})
    return value


def rules_of(data: sf.Stack) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = sf.named(data, PLAN)["properties"]["rules"]
    return rules


def open_statement(sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def add_statement(r: dict[str, Any], statement: dict[str, Any]) -> None:
    doc = sf.policy_doc(r)
    doc["Statement"].append(statement)
    sf.set_policy_doc(r, doc)


# ---------------------------------------------------------------------------------------------
# The real stacks pass every check, configured (the stack's config) and not


@STACK_MODES
@pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])
def test_real_stacks_pass_every_per_resource_check_but_min_retention(
    stack: str, mode: str, configured: bool
) -> None:
    data = sf.raw(stack, mode)
    cfg = config(data, CROSS) if configured else {}
    found = [
        (check.__name__, r.name, message)
        for check in ALL_CHECKS
        if check is not plan_checks.min_retention
        for r in sf.resources(data)
        for message in check(r, cfg)
    ]
    assert found == []


# ---------------------------------------------------------------------------------------------
# backup-policy-no-open-principal


def test_open_vault_policy_statement_is_named_with_the_vault() -> None:
    data = sf.raw("dev")
    policy = sf.named(data, "cross-account-backup-vault-policy")
    add_statement(policy, open_statement("Open"))
    assert plan_checks.open_principal(res(data, policy["name"]), {}) == [
        "vault policy `cross-account-backup-vault-policy` (vault "
        f"'cross-account-backup-dev-copies'): statement 'Open' {OPEN}"
    ]


def test_open_vault_policy_of_an_unknown_vault_name_is_named_by_the_policy() -> None:
    data = sf.raw("dev")
    policy = sf.named(data, "cross-account-backup-vault-policy")
    policy["properties"]["backupVaultName"] = UNKNOWN
    add_statement(policy, open_statement("Open"))
    assert plan_checks.open_principal(res(data, policy["name"]), {}) == [
        f"vault policy `cross-account-backup-vault-policy`: statement 'Open' {OPEN}"
    ]


def test_open_key_policy_statement_is_named_with_the_key() -> None:
    data = sf.raw("dev")
    key = sf.named(data, "cross-account-backup-vault-key")
    add_statement(key, open_statement("Open"))
    assert plan_checks.open_principal(res(data, key["name"]), {}) == [
        f"key policy of `cross-account-backup-vault-key`: statement 'Open' {OPEN}"
    ]


def test_open_principal_judges_vault_and_key_policies_only() -> None:
    data = sf.raw("dev")
    topic = sf.named(data, "cross-account-notifications-policy")
    add_statement(topic, open_statement("Open"))
    assert plan_checks.open_principal(res(data, topic["name"]), {}) == []


# ---------------------------------------------------------------------------------------------
# backup-copy-destination-cross-account


def test_plan_copying_to_its_own_account_is_rejected_configured_or_not() -> None:
    data = sf.raw("dev")
    rules_of(data)[0]["copyActions"][0]["destinationVaultArn"] = DEV_LOCAL
    expected = [
        f"plan `{PLAN}` rule '{DEV_RULE}' copies to '{DEV_LOCAL}': account {SRC} is the source "
        "account; copies must leave it"
    ]
    plan = res(data, PLAN)
    assert plan_checks.copy_destination(plan, config(data, CROSS)) == expected
    assert plan_checks.copy_destination(plan, {}) == expected


def test_plan_copying_to_a_configured_source_account_is_rejected() -> None:
    # org: the plan of 333333333333 copying into 444444444444's vault, both sources.
    data = sf.raw("org")
    plan = f"cross-account-{OTHER}-plan"
    arn = "arn:aws:backup:eu-west-1:444444444444:backup-vault:cross-account-backup-org-local"
    sf.named(data, plan)["properties"]["rules"][0]["copyActions"][0]["destinationVaultArn"] = arn
    assert plan_checks.copy_destination(res(data, plan), config(data, CROSS)) == [
        f"plan `{plan}` rule '{DEV_RULE}' copies to '{arn}': account 444444444444 is the source "
        "account; copies must leave it"
    ]
    assert plan_checks.copy_destination(res(data, plan), {}) == []


def test_plan_copying_to_an_account_that_is_not_a_configured_backup_account_is_rejected() -> None:
    data = sf.raw("dev")
    arn = DEV_COPIES.replace(BAK, OTHER)
    rules_of(data)[0]["copyActions"][0]["destinationVaultArn"] = arn
    assert plan_checks.copy_destination(res(data, PLAN), config(data, CROSS)) == [
        f"plan `{PLAN}` rule '{DEV_RULE}' copies to '{arn}': account {OTHER} is not a backup "
        f"account ({BAK})"
    ]
    assert plan_checks.copy_destination(res(data, PLAN), {}) == []


def test_plan_outside_the_configured_source_accounts_is_rejected() -> None:
    data = sf.raw("dev")
    sf.set_provider(sf.named(data, PLAN), account=OTHER)
    assert plan_checks.copy_destination(res(data, PLAN), config(data, CROSS)) == [
        f"plan `{PLAN}` is in account {OTHER}, which is not a configured source account "
        f"({SRC}): its copies' grants were not checked"
    ]


def test_copy_destination_judges_plans_only() -> None:
    data = sf.raw("dev")
    vault = sf.named(data, "cross-account-source-vault")
    vault["properties"]["rules"] = [{"ruleName": "r", "copyActions": []}]
    assert plan_checks.copy_destination(res(data, vault["name"]), {}) == []


# ---------------------------------------------------------------------------------------------
# backup-plan-lifecycle-valid


def test_plan_lifecycle_breaking_the_90_days_is_rejected_by_rule_name() -> None:
    data = sf.raw("prod")
    rules_of(data)[1]["lifecycle"] = {"coldStorageAfter": 30, "deleteAfter": 90}
    assert plan_checks.lifecycle(res(data, PLAN), {}) == [
        f"plan `{PLAN}` rule 'monthly' lifecycle: deleteAfter 90 days is less than "
        "coldStorageAfter 30 + 90 = 120 days"
    ]


def test_lifecycle_judges_plans_only() -> None:
    data = sf.raw("prod")
    vault = sf.named(data, "cross-account-source-vault")
    vault["properties"]["rules"] = [{"lifecycle": {"coldStorageAfter": 30, "deleteAfter": 90}}]
    assert plan_checks.lifecycle(res(data, vault["name"]), {}) == []


# ---------------------------------------------------------------------------------------------
# backup-vault-policy-no-wildcard-actions


def test_vault_policy_with_a_wildcard_action_is_rejected() -> None:
    data = sf.raw("dev")
    policy = sf.named(data, "cross-account-backup-vault-policy")
    doc = sf.policy_doc(policy)
    doc["Statement"][0]["Action"] = "backup:*"
    sf.set_policy_doc(policy, doc)
    assert plan_checks.vault_wildcard_actions(res(data, policy["name"]), {}) == [
        "vault policy `cross-account-backup-vault-policy` (vault "
        "'cross-account-backup-dev-copies'): statement 'AllowSourceAccountToCopyIn' uses the "
        "wildcard action 'backup:*'; AWS Backup vault policies need explicit actions such as "
        "backup:CopyIntoBackupVault"
    ]


def test_wildcard_actions_judge_vault_policies_only() -> None:
    # A key policy's "kms:*" for the owner account is the KMS default, not a vault policy.
    data = sf.raw("dev")
    assert plan_checks.vault_wildcard_actions(res(data, "cross-account-backup-vault-key"), {}) == []


# ---------------------------------------------------------------------------------------------
# backup-plan-min-retention


def test_min_retention_default_is_35_days() -> None:
    assert plan_checks.DEFAULT_MIN_RETENTION_DAYS == 35


def test_backups_kept_exactly_the_default_minimum_pass() -> None:
    data = sf.raw("prod")  # daily keeps 35 days
    assert plan_checks.min_retention(res(data, PLAN), {}) == []


def test_backups_kept_a_day_less_than_the_default_minimum_are_reported() -> None:
    data = sf.raw("prod")
    rules_of(data)[0]["lifecycle"]["deleteAfter"] = 34.0
    assert plan_checks.min_retention(res(data, PLAN), {}) == [
        f"plan `{PLAN}` rule 'daily' keeps backups 34 days, less than 35"
    ]


def test_min_retention_reads_the_configured_minimum() -> None:
    data = sf.raw("prod")
    assert plan_checks.min_retention(res(data, PLAN), {"minRetentionDays": 36}) == [
        f"plan `{PLAN}` rule 'daily' keeps backups 35 days, less than 36"
    ]


def test_min_retention_reports_copies_kept_less_than_the_configured_minimum() -> None:
    data = sf.raw("dev")  # backups 7 days, copies 14
    assert plan_checks.min_retention(res(data, PLAN), {"minRetentionDays": 14.5}) == [
        f"plan `{PLAN}` rule '{DEV_RULE}' keeps backups 7 days, less than 14.5",
        f"plan `{PLAN}` rule '{DEV_RULE}' copy to '{DEV_COPIES}' keeps copies 14 days, less "
        "than 14.5",
    ]


def test_min_retention_judges_plans_only() -> None:
    data = sf.raw("dev")
    vault = sf.named(data, "cross-account-source-vault")
    vault["properties"]["rules"] = rules_of(data)
    assert plan_checks.min_retention(res(data, vault["name"]), {}) == []


# ---------------------------------------------------------------------------------------------
# backup-vault-deletion-protected


def unprotect(data: sf.Stack, name: str) -> Any:
    sf.named(data, name)["options"]["protect"] = False
    return res(data, name)


NOT_PROTECTED = "is not protected from deletion: set the `protect` resource option"


@pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])
def test_unprotected_backup_vault_is_reported(configured: bool) -> None:
    data = sf.raw("dev")
    vault = unprotect(data, "cross-account-backup-vault")
    cfg = config(data, DELETION) if configured else {}
    assert plan_checks.deletion_protected(vault, cfg) == [
        f"vault `cross-account-backup-vault` {NOT_PROTECTED}"
    ]


@pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])
def test_unprotected_backup_vault_key_is_reported_as_a_key(configured: bool) -> None:
    data = sf.raw("dev")
    key = unprotect(data, "cross-account-backup-vault-key")
    cfg = config(data, DELETION) if configured else {}
    assert plan_checks.deletion_protected(key, cfg) == [
        f"key `cross-account-backup-vault-key` {NOT_PROTECTED}"
    ]


def test_unprotected_air_gapped_vault_is_reported_as_a_vault() -> None:
    data = sf.raw("dev")
    vault = sf.named(data, "cross-account-backup-vault")
    vault["type"] = LAG_VAULT
    vault["properties"]["forceDestroy"] = True
    assert plan_checks.deletion_protected(
        unprotect(data, vault["name"]), config(data, DELETION)
    ) == [
        f"vault `cross-account-backup-vault` {NOT_PROTECTED}",
        "vault `cross-account-backup-vault` has forceDestroy: deleting it would delete every "
        "recovery point",
    ]


def test_key_with_a_short_deletion_window_is_reported_as_a_key() -> None:
    data = sf.raw("dev")
    sf.named(data, "cross-account-backup-vault-key")["properties"]["deletionWindowInDays"] = 7.0
    assert plan_checks.deletion_protected(res(data, "cross-account-backup-vault-key"), {}) == [
        "key `cross-account-backup-vault-key` has a deletion window of 7 days; 30 gives the most "
        "time to cancel a deletion"
    ]


def test_source_side_vault_is_not_judged_when_backup_accounts_are_configured() -> None:
    data = sf.raw("dev")
    vault = unprotect(data, "cross-account-source-vault")
    assert plan_checks.deletion_protected(vault, config(data, DELETION)) == []


def test_source_side_vault_is_judged_without_config() -> None:
    data = sf.raw("dev")
    vault = unprotect(data, "cross-account-source-vault")
    assert plan_checks.deletion_protected(vault, {}) == [
        f"vault `cross-account-source-vault` {NOT_PROTECTED}"
    ]


def test_vault_of_unknown_account_is_judged_with_backup_accounts_configured() -> None:
    data = sf.raw("dev")
    vault = sf.named(data, "cross-account-source-vault")
    vault["provider"] = None
    assert plan_checks.deletion_protected(
        unprotect(data, vault["name"]), config(data, DELETION)
    ) == [f"vault `cross-account-source-vault` {NOT_PROTECTED}"]


def test_deletion_protection_reads_backup_account_ids_not_source_ones() -> None:
    data = sf.raw("dev")
    vault = unprotect(data, "cross-account-backup-vault")
    assert plan_checks.deletion_protected(vault, {"sourceAccountIds": [BAK]}) == [
        f"vault `cross-account-backup-vault` {NOT_PROTECTED}"
    ]
    assert plan_checks.deletion_protected(vault, {"backupAccountIds": [OTHER]}) == []


def test_deletion_protection_judges_vaults_and_keys_only() -> None:
    data = sf.raw("dev")
    plan = res(data, PLAN)  # plans are not protected
    assert plan.protect is False
    assert plan_checks.deletion_protected(plan, {}) == []


# ---------------------------------------------------------------------------------------------
# backup-kms-key-rotation


def test_key_without_rotation_is_reported() -> None:
    data = sf.raw("prod")
    sf.named(data, "cross-account-source-vault-key")["properties"]["enableKeyRotation"] = False
    assert plan_checks.rotation(res(data, "cross-account-source-vault-key"), {}) == [
        "key `cross-account-source-vault-key` does not rotate its key material: set "
        "enableKeyRotation"
    ]


def test_rotation_judges_keys_only() -> None:
    data = sf.raw("prod")
    assert plan_checks.rotation(res(data, "cross-account-source-vault"), {}) == []
