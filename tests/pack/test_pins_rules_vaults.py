"""Pins of the vault and key rules of `backup_guard.rules` (issue 16):
`vault_customer_managed_key`, `lock_mode_ok`, `deletion_protected`, `key_rotation`. Whole
messages, each limit at its boundary.

References:
- AWS Backup developer guide, "Encryption for backups in AWS Backup", copies across accounts
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption):
  the copy is re-encrypted with the destination vault's key, which must be customer managed;
  AWS managed keys are the aliases `alias/aws/...` (AWS KMS developer guide, "AWS managed keys").
- AWS Backup "Vault Lock" (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html):
  without `ChangeableForDays` the lock is in governance mode, removable by anyone allowed
  `backup:DeleteBackupVaultLockConfiguration`.
- AWS KMS API `ScheduleKeyDeletion`, `PendingWindowInDays`: "between 7 and 30, inclusive ... If
  you do not specify a value, it defaults to 30" (pulumi-aws `aws.kms.Key.deletion_window_in_days`
  is passed through): 30 is the longest window, so 30 passes and 29 does not.
- AWS KMS "Rotating AWS KMS keys": automatic rotation exists for symmetric encryption keys only;
  pulumi-aws `aws.kms.Key` `customerMasterKeySpec` (default `SYMMETRIC_DEFAULT`), `keySpec`.
- pulumi-aws `aws.backup.Vault.force_destroy` (bool): deletes every recovery point with the
  vault.
"""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard import rules
from backup_guard.values import UNKNOWN

BAK = "222222222222"

# ---------------------------------------------------------------------------------------------
# vault_customer_managed_key

NO_KEY = (
    "vault V has no kmsKeyArn: it would use the AWS managed key aws/backup, which can't "
    "encrypt cross-account copies"
)


@pytest.mark.parametrize("props", [{}, {"kmsKeyArn": None}, {"kmsKeyArn": ""}])
def test_vault_without_key_whole_message(props: dict[str, Any]) -> None:
    assert rules.vault_customer_managed_key(props, subject="vault V") == [NO_KEY]


@pytest.mark.parametrize(
    "arn",
    [f"arn:aws:kms:eu-west-1:{BAK}:alias/aws/backup", "alias/aws/backup", "alias/aws/ebs"],
)
def test_vault_on_an_aws_managed_key_whole_message(arn: str) -> None:
    assert rules.vault_customer_managed_key({"kmsKeyArn": arn}, subject="vault V") == [
        f"vault V uses the AWS managed key {arn!r}, which can't encrypt cross-account copies; "
        "use a customer managed key"
    ]


@pytest.mark.parametrize(
    "arn",
    [
        UNKNOWN,
        f"arn:aws:kms:eu-west-1:{BAK}:key/1234abcd",
        f"arn:aws:kms:eu-west-1:{BAK}:alias/backup-vault-key",
        "alias/awsome",
    ],
)
def test_vault_on_a_customer_managed_key_passes(arn: str) -> None:
    assert rules.vault_customer_managed_key({"kmsKeyArn": arn}, subject="vault V") == []


# ---------------------------------------------------------------------------------------------
# lock_mode_ok

GOVERNANCE = (
    "vault lock L is in governance mode (no changeableForDays): anyone allowed "
    "backup:DeleteBackupVaultLockConfiguration can remove it; compliance mode is required"
)


@pytest.mark.parametrize("props", [{}, {"changeableForDays": None, "minRetentionDays": 7.0}])
def test_governance_lock_when_compliance_is_required_whole_message(props: dict[str, Any]) -> None:
    assert rules.lock_mode_ok(props, subject="vault lock L", require_compliance=True) == [
        GOVERNANCE
    ]


@pytest.mark.parametrize("days", [3.0, UNKNOWN])
def test_compliance_lock_passes(days: Any) -> None:
    props = {"changeableForDays": days}
    assert rules.lock_mode_ok(props, subject="vault lock L", require_compliance=True) == []


def test_governance_lock_passes_when_compliance_is_not_required() -> None:
    assert rules.lock_mode_ok({}, subject="vault lock L", require_compliance=False) == []


# ---------------------------------------------------------------------------------------------
# deletion_protected

NOT_PROTECTED = "{s} is not protected from deletion: set the `protect` resource option"


@pytest.mark.parametrize("kind", ["vault", "key"])
def test_unprotected_resource_whole_message(kind: str) -> None:
    assert rules.deletion_protected({}, subject="R", protect=False, kind=kind) == [
        NOT_PROTECTED.format(s="R")
    ]


def test_vault_with_force_destroy_whole_message() -> None:
    assert rules.deletion_protected(
        {"forceDestroy": True}, subject="vault V", protect=True, kind="vault"
    ) == ["vault V has forceDestroy: deleting it would delete every recovery point"]


@pytest.mark.parametrize("force", [False, None, "true", 1])
def test_vault_force_destroy_only_when_true(force: Any) -> None:
    props = {"forceDestroy": force}
    assert rules.deletion_protected(props, subject="vault V", protect=True, kind="vault") == []


def test_force_destroy_is_not_judged_on_a_key() -> None:
    props = {"forceDestroy": True}
    assert rules.deletion_protected(props, subject="key K", protect=True, kind="key") == []


def test_key_deletion_window_of_30_days_passes() -> None:
    props = {"deletionWindowInDays": 30.0}
    assert rules.deletion_protected(props, subject="key K", protect=True, kind="key") == []


@pytest.mark.parametrize("window", [29.0, 7.0, 7.5])
def test_key_deletion_window_below_30_days_whole_message(window: float) -> None:
    props = {"deletionWindowInDays": window}
    assert rules.deletion_protected(props, subject="key K", protect=True, kind="key") == [
        f"key K has a deletion window of {window:g} days; 30 gives the most time to cancel a "
        "deletion"
    ]


@pytest.mark.parametrize("window", [None, UNKNOWN])
def test_key_deletion_window_absent_or_unknown_passes(window: Any) -> None:
    props = {"deletionWindowInDays": window}
    assert rules.deletion_protected(props, subject="key K", protect=True, kind="key") == []


def test_deletion_window_is_not_judged_on_a_vault() -> None:
    props = {"deletionWindowInDays": 7.0}
    assert rules.deletion_protected(props, subject="vault V", protect=True, kind="vault") == []


def test_every_deletion_fault_of_a_key_in_order() -> None:
    props = {"deletionWindowInDays": 7.0}
    assert rules.deletion_protected(props, subject="key K", protect=False, kind="key") == [
        NOT_PROTECTED.format(s="key K"),
        "key K has a deletion window of 7 days; 30 gives the most time to cancel a deletion",
    ]


# ---------------------------------------------------------------------------------------------
# key_rotation

NO_ROTATION = ["key K does not rotate its key material: set enableKeyRotation"]


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"enableKeyRotation": False},
        {"enableKeyRotation": "true"},
        {"enableKeyRotation": None},
        {"customerMasterKeySpec": UNKNOWN},
        {"keySpec": UNKNOWN},
        {"customerMasterKeySpec": None, "keySpec": "SYMMETRIC_DEFAULT"},
    ],
)
def test_symmetric_or_unknown_spec_without_rotation_is_reported(props: dict[str, Any]) -> None:
    assert rules.key_rotation(props, subject="key K") == NO_ROTATION


@pytest.mark.parametrize(
    "props",
    [
        {"customerMasterKeySpec": None, "keySpec": "HMAC_256"},
        {"keySpec": "RSA_4096", "customerMasterKeySpec": ""},
        {"customerMasterKeySpec": "ECC_NIST_P384", "enableKeyRotation": False},
    ],
)
def test_asymmetric_and_hmac_keys_do_not_rotate(props: dict[str, Any]) -> None:
    assert rules.key_rotation(props, subject="key K") == []


def test_customer_master_key_spec_is_read_before_key_spec() -> None:
    props = {"customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keySpec": "RSA_2048"}
    assert rules.key_rotation(props, subject="key K") == NO_ROTATION
