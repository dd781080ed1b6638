"""Shared pieces of the rule tests (`tests/test_policy_rules*.py`): accounts, statements and
policy props as the analyzer gives them."""

from __future__ import annotations

import json
from typing import Any

from backup_guard import rules

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"
COPY = "backup:CopyIntoBackupVault"
DEST = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies"


def doc(*statements: dict[str, Any]) -> dict[str, str]:
    """Props of a VaultPolicy / Key with these statements."""
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def allow(account: str, actions: Any = COPY, sid: str = "Allow", **extra: Any) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": actions,
        "Resource": "*",
        **extra,
    }


KEY_SHAPE = f"arn:aws:kms:eu-west-1:{BAK}:key/*"  # the backup vault key during preview
KEY_ARN = f"arn:aws:kms:eu-west-1:{BAK}:key/1234abcd"
DEST_KEY_ACTIONS = list(rules.DESTINATION_KEY_ACTIONS)
DEPLOY_ROLE = f"arn:aws:iam::{BAK}:role/backup-deployer"

KEY_USE = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]
