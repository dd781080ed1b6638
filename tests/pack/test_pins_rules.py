"""Pins of the pack's rules (issue 16) that no test held: each of the seven source-key actions
required, keys declared with `keySpec`, a backup ARN that is not a vault, a statement without
`Resource`, and the order of statements for `backup-policy-no-open-principal`.

References:
- AWS-FACTS.md "Keys" / AWS Backup developer guide, "Encryption for backups in AWS Backup" and
  "Creating backup copies across AWS accounts": the backup account reads and re-encrypts with
  the source vault's key (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html).
- pulumi-aws 7 (pulumi_aws/kms/key.py): `aws.kms.Key` takes `customerMasterKeySpec`; `keySpec`
  is the input of `aws.kms.ExternalKey` (pulumi_aws/kms/external_key.py, getter name "keySpec").
  KMS "Rotating AWS KMS keys": automatic rotation is for symmetric encryption keys only
  (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
- AWS Backup ARNs (`backup-vault:`, `backup-plan:`, `recovery-point:`), service authorization
  reference for AWS Backup
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html).
- IAM JSON reference, "Resource"; KMS "Key policies": Resource required in every statement.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backup_guard import rules

BAK = "222222222222"
SRC = "111111111111"
SEVEN = list(rules.SOURCE_KEY_ACTIONS)


def key_props(actions: list[str]) -> dict[str, Any]:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{BAK}:root"},
                "Action": actions,
                "Resource": "*",
            }
        ],
    }
    return {"policy": json.dumps(doc)}


def test_the_seven_source_key_actions() -> None:
    assert SEVEN == [
        "kms:DescribeKey",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:CreateGrant",
    ]


def test_source_key_with_all_seven_passes() -> None:
    assert (
        rules.source_key_policy_grants_backup(
            key_props(SEVEN), subject="key K", backup_accounts=[BAK]
        )
        == []
    )


@pytest.mark.parametrize("dropped", SEVEN)
def test_each_source_key_action_is_required(dropped: str) -> None:
    kept = [a for a in SEVEN if a != dropped]
    assert rules.source_key_policy_grants_backup(
        key_props(kept), subject="key K", backup_accounts=[BAK]
    ) == [f"key K does not let {BAK} {dropped}: no statement allows {dropped} to {BAK}"]


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"keySpec": "RSA_2048"}, []),
        ({"customerMasterKeySpec": "ECC_NIST_P256"}, []),
        (
            {"keySpec": "SYMMETRIC_DEFAULT"},
            ["key K does not rotate its key material: set enableKeyRotation"],
        ),
        (
            {"customerMasterKeySpec": "SYMMETRIC_DEFAULT"},
            ["key K does not rotate its key material: set enableKeyRotation"],
        ),
        ({}, ["key K does not rotate its key material: set enableKeyRotation"]),
        ({"keySpec": "SYMMETRIC_DEFAULT", "enableKeyRotation": True}, []),
    ],
)
def test_key_rotation_by_key_spec(props: dict[str, Any], expected: list[str]) -> None:
    assert rules.key_rotation(props, subject="key K") == expected


def plan(destination: str) -> dict[str, Any]:
    return {"rules": [{"ruleName": "daily", "copyActions": [{"destinationVaultArn": destination}]}]}


@pytest.mark.parametrize(
    "destination",
    [
        f"arn:aws:backup:eu-west-1:{BAK}:backup-plan:abc",
        f"arn:aws:backup:eu-west-1:{BAK}:recovery-point:abc",
        f"arn:aws:kms:eu-west-1:{BAK}:backup-vault:copies",
        "copies",
    ],
)
def test_copy_destination_that_is_not_a_vault(destination: str) -> None:
    assert rules.copy_destination_cross_account(
        plan(destination), subject="plan P", plan_account=SRC
    ) == [f"plan P rule 'daily' copies to {destination!r}, which is not a backup vault ARN"]


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_copy_destination_vault_in_the_backup_account(partition: str) -> None:
    arn = f"arn:{partition}:backup:eu-west-1:{BAK}:backup-vault:copies"
    assert (
        rules.copy_destination_cross_account(
            plan(arn), subject="plan P", plan_account=SRC, backup_accounts=[BAK]
        )
        == []
    )


def test_vault_policy_statement_without_resource_is_refused() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoResource",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
                "Action": "backup:CopyIntoBackupVault",
            }
        ],
    }
    assert rules.vault_policy_grants_source(
        {"policy": json.dumps(doc)}, subject="vault policy V", source_accounts=[SRC]
    ) == [
        "vault policy V is not a valid policy: statement 'NoResource': missing Resource (or "
        'NotResource), required in every statement of a vault or key policy ("*" means the '
        "vault or key itself)"
    ]


def test_key_policy_statement_without_resource_is_refused() -> None:
    doc = json.loads(key_props(SEVEN)["policy"])
    del doc["Statement"][0]["Resource"]
    assert rules.source_key_policy_grants_backup(
        {"policy": json.dumps(doc)}, subject="key K", backup_accounts=[BAK]
    ) == [
        "key K is not a valid policy: statement 'Use': missing Resource (or NotResource), "
        'required in every statement of a vault or key policy ("*" means the vault or key '
        "itself)"
    ]


def test_open_principal_after_a_deny_is_reported() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "backup:*", "Resource": "*"},
            {
                "Sid": "Open",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            },
        ],
    }
    assert rules.no_wildcard_principal({"policy": json.dumps(doc)}, subject="vault policy V") == [
        "vault policy V: statement 'Open' lets any principal in without an account or "
        "organization condition (aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount)"
    ]
