"""The pack as the CLI runs it (a process over gRPC) on prod's real two-rule plan (daily +
monthly, issue 13): the lifecycle, copy-destination and lock-range policies judge the *second*
rule and its copy too, and name it by its rule name and destination.

Sources: API Lifecycle ("the retention setting must be 90 days greater than the transition to
cold after days setting"); PutBackupVaultLockConfiguration (MaxRetentionDays: the vault fails
a job whose retention is longer); AWS Backup "Copy a backup" / cross-account copies leave the
source account for another one (an in-account copy protects nothing against its loss).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tools.preview import engine
from tools.preview.pack_client import Diagnostic, PolicyPackProcess
from tools.stack.policy_config import policy_config

SRC, BAK = "111111111111", "222222222222"
LIFECYCLE = "backup-plan-lifecycle-valid"
DESTINATION = "backup-copy-destination-cross-account"
LOCK = "backup-copy-retention-within-vault-lock"
PROD_COPIES = f"arn:aws:backup:eu-central-1:{BAK}:backup-vault:cross-account-backup-prod-copies"
MODES = pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess() as p:
        yield p


@pytest.fixture(scope="module")
def prod_stack() -> list[dict[str, Any]]:
    run = engine.run_stack("prod", preview=True)
    assert run.ok, run.error
    return engine.to_analyzer_resources(run)


def monthly(stack: list[dict[str, Any]]) -> dict[str, Any]:
    plan = next(r for r in stack if r["type"] == "aws:backup/plan:Plan")
    rule: dict[str, Any] = plan["properties"]["rules"][1]
    assert rule["ruleName"] == "monthly"
    return rule


def judge(
    pack: PolicyPackProcess, stack: list[dict[str, Any]], configured: bool
) -> list[Diagnostic]:
    pack.configure(copy.deepcopy(policy_config("prod")) if configured else {})
    return pack.analyze_all(stack)


def lines(diags: list[Diagnostic], policy: str) -> list[str]:
    return [d.message.splitlines()[-1] for d in diags if d.policy_name == policy]


def mandatory(diags: list[Diagnostic]) -> set[str]:
    return {d.policy_name for d in diags if d.mandatory}


@MODES
def test_prod_two_rules_pass_the_mandatory_policies(
    pack: PolicyPackProcess, prod_stack: list[dict[str, Any]], configured: bool
) -> None:
    assert mandatory(judge(pack, prod_stack, configured)) == set()


@MODES
def test_second_rule_copy_beyond_the_lock_maximum_is_rejected_by_name(
    pack: PolicyPackProcess, prod_stack: list[dict[str, Any]], configured: bool
) -> None:
    stack = copy.deepcopy(prod_stack)
    monthly(stack)["copyActions"][0]["lifecycle"]["deleteAfter"] = 4000
    diags = judge(pack, stack, configured)
    assert LOCK in mandatory(diags)
    (line,) = lines(diags, LOCK)
    assert line.startswith(
        f"plan `cross-account-plan` rule 'monthly' copy to {PROD_COPIES} keeps recovery points "
        "4000 days in vault `cross-account-backup-vault` (lock `cross-account-backup-vault-lock`), "
        "whose maxRetentionDays is 3650: the vault fails a job whose retention is longer than "
        "that maximum"
    )


@MODES
def test_second_rule_lifecycle_breaking_the_90_days_is_rejected_by_name(
    pack: PolicyPackProcess, prod_stack: list[dict[str, Any]], configured: bool
) -> None:
    stack = copy.deepcopy(prod_stack)
    monthly(stack)["lifecycle"] = {"coldStorageAfter": 30, "deleteAfter": 90}
    diags = judge(pack, stack, configured)
    assert LIFECYCLE in mandatory(diags)
    assert lines(diags, LIFECYCLE) == [
        "plan `cross-account-plan` rule 'monthly' lifecycle: deleteAfter 90 days is less than "
        "coldStorageAfter 30 + 90 = 120 days"
    ]


@MODES
def test_second_rule_copy_lifecycle_breaking_the_90_days_is_rejected_by_destination(
    pack: PolicyPackProcess, prod_stack: list[dict[str, Any]], configured: bool
) -> None:
    stack = copy.deepcopy(prod_stack)
    monthly(stack)["copyActions"][0]["lifecycle"] = {"coldStorageAfter": 2500, "deleteAfter": 2555}
    diags = judge(pack, stack, configured)
    assert LIFECYCLE in mandatory(diags)
    assert lines(diags, LIFECYCLE) == [
        f"plan `cross-account-plan` rule 'monthly' copy to '{PROD_COPIES}' lifecycle: deleteAfter "
        "2555 days is less than coldStorageAfter 2500 + 90 = 2590 days"
    ]


@MODES
def test_second_rule_copy_into_the_source_account_is_rejected_by_name(
    pack: PolicyPackProcess, prod_stack: list[dict[str, Any]], configured: bool
) -> None:
    stack = copy.deepcopy(prod_stack)
    local = f"arn:aws:backup:eu-west-1:{SRC}:backup-vault:cross-account-backup-prod-local"
    monthly(stack)["copyActions"][0]["destinationVaultArn"] = local
    diags = judge(pack, stack, configured)
    assert DESTINATION in mandatory(diags)
    assert lines(diags, DESTINATION) == [
        f"plan `cross-account-plan` rule 'monthly' copies to '{local}': account {SRC} is the "
        "source account; copies must leave it"
    ]
