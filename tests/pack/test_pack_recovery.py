"""The pack over gRPC (as the CLI runs it) on the real program with the issue-14 features on:
a logically air-gapped copy target and the Backup Audit Manager report bucket.

Sources: CreateLogicallyAirGappedBackupVault (AWS-owned key unless EncryptionKeyArn; the vault
is locked in compliance mode with its MinRetentionDays/MaxRetentionDays), S3 user guide
"Blocking public access to your Amazon S3 storage" (the four settings).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tools.preview import engine
from tools.preview.pack_client import Diagnostic, PolicyPackProcess
from tools.stack.policy_config import policy_config

NS = "cross-account-backup:"
SRC, BAK = "111111111111", "222222222222"
Stack = list[dict[str, Any]]
GRANTS = "backup-vault-policy-grants-source"
KEY_GRANTS = "backup-vault-key-policy-grants-source"
CMK = "backup-copy-vault-customer-managed-key"
KNOWN = "backup-copy-destination-known"
LOCK = "backup-copy-retention-within-vault-lock"
LOCKED = "backup-vault-locked"
AUDIT = "backup-audit-bucket-private"
LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
MODES = pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])


def _air_gapped_overrides() -> dict[str, Any]:
    backup = {
        "accountId": BAK,
        "roleArn": f"arn:aws:iam::{BAK}:role/backup-deployer",
        "region": "eu-west-1",
        "vault": {"type": "logicallyAirGapped", "minRetentionDays": 7, "maxRetentionDays": 365},
    }
    return {NS + "backupAccount": backup, NS + "vaultLock": None}


def _audit_overrides() -> dict[str, Any]:
    return {NS + "backupAudit": {"reportFormats": ["CSV"]}}


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess() as p:
        yield p


@pytest.fixture(scope="module")
def lag_stack() -> Stack:
    run = engine.run_stack(
        "dev", preview=True, config_overrides=_air_gapped_overrides(), skip_config_validation=True
    )
    assert run.ok, run.error
    return engine.to_analyzer_resources(run)


@pytest.fixture(scope="module")
def audit_stack() -> Stack:
    run = engine.run_stack(
        "dev", preview=True, config_overrides=_audit_overrides(), skip_config_validation=True
    )
    assert run.ok, run.error
    return engine.to_analyzer_resources(run)


def judge(pack: PolicyPackProcess, stack: Stack, configured: bool) -> list[Diagnostic]:
    pack.configure(copy.deepcopy(policy_config("dev")) if configured else {})
    return pack.analyze_all(stack)


def lines(diags: list[Diagnostic], policy: str) -> list[str]:
    return [d.message.splitlines()[-1] for d in diags if d.policy_name == policy]


def mandatory(diags: list[Diagnostic]) -> set[str]:
    return {d.policy_name for d in diags if d.mandatory}


def of_type(stack: Stack, type_: str, name_part: str = "") -> dict[str, Any]:
    return next(r for r in stack if r["type"] == type_ and name_part in r["name"])


def vault_policy(stack: Stack) -> dict[str, Any]:
    return of_type(stack, "aws:backup/vaultPolicy:VaultPolicy", "backup-vault-policy")


# --- logically air-gapped destination ---------------------------------------------------------


@MODES
def test_air_gapped_destination_granting_source_is_accepted_without_a_key_policy(
    pack: PolicyPackProcess, lag_stack: Stack, configured: bool
) -> None:
    stack = copy.deepcopy(lag_stack)
    assert [r for r in stack if r["type"] == LAG]
    # The stack has one key (the source vault's): nothing encrypts the air-gapped vault.
    assert len([r for r in stack if r["type"] == "aws:kms/key:Key"]) == 1
    diags = judge(pack, stack, configured)
    assert mandatory(diags) == set(), [(d.policy_name, d.message) for d in diags if d.mandatory]
    for policy in (GRANTS, KEY_GRANTS, CMK, KNOWN, LOCK, LOCKED):
        assert lines(diags, policy) == [], policy


@MODES
def test_air_gapped_destination_whose_policy_misses_the_source_is_rejected(
    pack: PolicyPackProcess, lag_stack: Stack, configured: bool
) -> None:
    stack = copy.deepcopy(lag_stack)
    policy = vault_policy(stack)
    document = json.loads(policy["properties"]["policy"])
    document["Statement"] = [
        s for s in document["Statement"] if "backup:CopyIntoBackupVault" not in json.dumps(s)
    ]
    policy["properties"]["policy"] = json.dumps(document)
    diags = judge(pack, stack, configured)
    assert GRANTS in mandatory(diags)
    (line,) = lines(diags, GRANTS)
    assert SRC in line and "backup:CopyIntoBackupVault" in line


def test_air_gapped_destination_without_any_policy_is_rejected(
    pack: PolicyPackProcess, lag_stack: Stack
) -> None:
    stack = [r for r in copy.deepcopy(lag_stack) if r is not None]
    stack.remove(vault_policy(stack))
    diags = judge(pack, stack, configured=False)
    assert GRANTS in mandatory(diags)
    assert lines(diags, GRANTS) == [
        f"vault `cross-account-backup-vault` receives copies from {SRC} but has no vault "
        "access policy: every copy job would fail with AccessDenied"
    ]


@MODES
def test_copy_retention_outside_the_air_gapped_bounds_is_rejected(
    pack: PolicyPackProcess, lag_stack: Stack, configured: bool
) -> None:
    stack = copy.deepcopy(lag_stack)
    of_type(stack, LAG)["properties"]["minRetentionDays"] = 30  # dev copies: 14 days
    diags = judge(pack, stack, configured)
    assert LOCK in mandatory(diags)
    (line,) = lines(diags, LOCK)
    assert line.startswith(
        "plan `cross-account-plan` rule 'backup-and-copy-to-backup-account' copy to "
        "arn:aws:backup:eu-west-1:222222222222:backup-vault:cross-account-backup-dev-copies keeps "
        "recovery points 14 days in logically air-gapped vault `cross-account-backup-vault` "
        "(its built-in compliance lock), whose minRetentionDays is 30"
    )


# --- audit bucket -----------------------------------------------------------------------------


def test_audit_bucket_private_and_protected_is_accepted(
    pack: PolicyPackProcess, audit_stack: Stack
) -> None:
    diags = judge(pack, copy.deepcopy(audit_stack), configured=True)
    assert lines(diags, AUDIT) == []
    assert mandatory(diags) == set()


def test_audit_bucket_with_public_access_allowed_is_rejected(
    pack: PolicyPackProcess, audit_stack: Stack
) -> None:
    stack = copy.deepcopy(audit_stack)
    block = of_type(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    block["properties"]["blockPublicPolicy"] = False
    block["properties"]["restrictPublicBuckets"] = False
    diags = judge(pack, stack, configured=True)
    assert AUDIT in mandatory(diags)
    expected = [
        f"audit bucket `cross-account-audit-bucket` ('cross-account-backup-dev-audit-{BAK}', "
        f"reports of `cross-account-audit-report-{account}`): public access block "
        "`cross-account-audit-bucket-public-access` leaves blockPublicPolicy, "
        "restrictPublicBuckets off: the reports could be made public"
        for account in ("backup", "source")
    ]
    assert sorted(lines(diags, AUDIT)) == expected


def test_audit_bucket_unprotected_is_rejected(pack: PolicyPackProcess, audit_stack: Stack) -> None:
    stack = copy.deepcopy(audit_stack)
    bucket = of_type(stack, "aws:s3/bucket:Bucket")
    bucket["options"]["protect"] = False
    diags = judge(pack, stack, configured=True)
    assert AUDIT in mandatory(diags)
    found = lines(diags, AUDIT)
    assert len(found) == 2  # one per report plan delivering to it
    assert all(
        line.endswith(
            "is not protected from deletion: set the `protect` resource option (the reports "
            "are the audit evidence)"
        )
        for line in found
    )


def test_audit_bucket_without_public_access_block_is_rejected(
    pack: PolicyPackProcess, audit_stack: Stack
) -> None:
    stack = copy.deepcopy(audit_stack)
    stack.remove(of_type(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"))
    diags = judge(pack, stack, configured=True)
    assert AUDIT in mandatory(diags)
    assert all("has no public access block" in line for line in lines(diags, AUDIT))


def test_report_plan_to_a_bucket_the_stack_does_not_build_is_rejected(
    pack: PolicyPackProcess, audit_stack: Stack
) -> None:
    stack = copy.deepcopy(audit_stack)
    plan = of_type(stack, "aws:backup/reportPlan:ReportPlan", "report-source")
    plan["properties"]["reportDeliveryChannel"]["s3BucketName"] = "somebody-elses-bucket"
    diags = judge(pack, stack, configured=True)
    assert AUDIT in mandatory(diags)
    assert lines(diags, AUDIT) == [
        "report plan `cross-account-audit-report-source` delivers to bucket "
        "'somebody-elses-bucket', which this stack does not build: nothing here proves it is "
        "private and protected"
    ]
