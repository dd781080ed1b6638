"""A stand-in of what the program registers (docs/INTERFACES.md), as the engine sends it to
the pack (`AnalyzeRequest`: inputs camelCase, provider inputs JSON-encoded, unknowns during
preview), for the pack's tests and trials without running the program."""

from __future__ import annotations

import json
from typing import Any

from tools.preview.pack_client import UNKNOWN, aws_provider, urn_of


def _root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def _key_policy(owner: str, user: str, *, owner_sid: str, use_sid: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": owner_sid,
                "Effect": "Allow",
                "Principal": {"AWS": _root(owner)},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": use_sid,
                "Effect": "Allow",
                "Principal": {"AWS": _root(user)},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
            },
            {
                "Sid": use_sid + "Grants",
                "Effect": "Allow",
                "Principal": {"AWS": _root(user)},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }


def standin_stack(
    *,
    source: str = "111111111111",
    backup: str = "222222222222",
    source_region: str = "eu-west-1",
    backup_region: str = "eu-west-1",
    stack: str = "dev",
    project: str = "cross-account-backup",
    preview: bool = True,
) -> list[dict[str, Any]]:
    """The resources the program registers, as `analyze`/`analyze_stack` take them.

    Names and types from docs/INTERFACES.md; properties camelCase; policy documents and the copy
    destination ARN plain strings; key ARNs unknown when `preview` (as `pulumi preview` sends
    them), with the vault's `kmsKeyArn` depending on its key (`propertyDependencies`).
    """
    comp_type = "cross-account-backup:index:CrossAccountBackup"
    comp_urn = urn_of(stack, project, comp_type, "backup")
    src_p = aws_provider("source-account", source, source_region, stack=stack, project=project)
    bak_p = aws_provider("backup-account", backup, backup_region, stack=stack, project=project)
    prefix = f"{project}-{stack}"
    backup_vault, source_vault = f"{prefix}-copies", f"{prefix}-local"
    backup_vault_arn = f"arn:aws:backup:{backup_region}:{backup}:backup-vault:{backup_vault}"

    def child(
        type_: str,
        name: str,
        provider: dict[str, Any],
        props: dict[str, Any],
        *,
        protect: bool = False,
        deps: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        return {
            "type": type_,
            "name": name,
            "urn": urn_of(stack, project, type_, name, parent_type=comp_type),
            "properties": props,
            "options": {"protect": protect, "parent": comp_urn},
            "provider": provider,
            "parent": comp_urn,
            "propertyDependencies": deps or {},
        }

    def key_arn(account: str, region: str, name: str) -> str:
        if preview:
            return UNKNOWN
        return f"arn:aws:kms:{region}:{account}:key/{name}-0000"

    backup_key = child(
        "aws:kms/key:Key",
        "backup-vault-key",
        bak_p,
        {
            "description": "Encrypts the cross-account backup copies",
            "enableKeyRotation": True,
            "deletionWindowInDays": 30,
            "policy": json.dumps(
                _key_policy(
                    backup,
                    source,
                    owner_sid="EnableOwnerAccount",
                    use_sid="AllowSourceAccountUseOfTheKey",
                )
            ),
        },
        protect=True,
    )
    source_key = child(
        "aws:kms/key:Key",
        "source-vault-key",
        src_p,
        {
            "description": "Encrypts the local recovery points",
            "enableKeyRotation": True,
            "deletionWindowInDays": 30,
            "policy": json.dumps(
                _key_policy(
                    source,
                    backup,
                    owner_sid="EnableOwnerAccount",
                    use_sid="AllowBackupAccountUseOfTheKey",
                )
            ),
        },
        protect=True,
    )
    backup_vault_res = child(
        "aws:backup/vault:Vault",
        "backup-vault",
        bak_p,
        {
            "name": backup_vault,
            "forceDestroy": False,
            "kmsKeyArn": key_arn(backup, backup_region, "backup"),
        },
        protect=True,
        deps={"kmsKeyArn": [backup_key["urn"]]},
    )
    source_vault_res = child(
        "aws:backup/vault:Vault",
        "source-vault",
        src_p,
        {
            "name": source_vault,
            "forceDestroy": False,
            "kmsKeyArn": key_arn(source, source_region, "source"),
        },
        protect=True,
        deps={"kmsKeyArn": [source_key["urn"]]},
    )
    vault_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSourceAccountToCopyIn",
                "Effect": "Allow",
                "Principal": {"AWS": _root(source)},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            },
            {
                "Sid": "DenyRecoveryPointDeletionToEveryone",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                "Resource": "*",
            },
        ],
    }
    back_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowBackupAccountToCopyBack",
                "Effect": "Allow",
                "Principal": {"AWS": _root(backup)},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        ],
    }
    return [
        {"type": comp_type, "name": "backup", "urn": comp_urn, "properties": {}},
        {**src_p, "properties": dict(src_p["properties"])},
        {**bak_p, "properties": dict(bak_p["properties"])},
        backup_key,
        child(
            "aws:kms/alias:Alias",
            "backup-vault-key-alias",
            bak_p,
            {"name": f"alias/{backup_vault}", "targetKeyId": UNKNOWN if preview else "k"},
            deps={"targetKeyId": [backup_key["urn"]]},
        ),
        backup_vault_res,
        child(
            "aws:backup/vaultPolicy:VaultPolicy",
            "backup-vault-policy",
            bak_p,
            {"backupVaultName": backup_vault, "policy": json.dumps(vault_policy)},
        ),
        child(
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
            "backup-vault-lock",
            bak_p,
            {
                "backupVaultName": backup_vault,
                "minRetentionDays": 7,
                "maxRetentionDays": 3650,
                "changeableForDays": 3,
            },
            protect=True,
        ),
        source_key,
        child(
            "aws:kms/alias:Alias",
            "source-vault-key-alias",
            src_p,
            {"name": f"alias/{source_vault}", "targetKeyId": UNKNOWN if preview else "k"},
            deps={"targetKeyId": [source_key["urn"]]},
        ),
        source_vault_res,
        child(
            "aws:backup/vaultPolicy:VaultPolicy",
            "source-vault-policy",
            src_p,
            {"backupVaultName": source_vault, "policy": json.dumps(back_policy)},
        ),
        child(
            "aws:iam/role:Role",
            "backup-role",
            src_p,
            {
                "name": f"{prefix}-backup",
                "assumeRolePolicy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "backup.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            },
        ),
        child(
            "aws:backup/plan:Plan",
            "plan",
            src_p,
            {
                "name": f"{prefix}-daily",
                "rules": [
                    {
                        "ruleName": "backup-and-copy-to-backup-account",
                        "targetVaultName": source_vault,
                        "schedule": "cron(0 5 ? * * *)",
                        "startWindow": 60,
                        "completionWindow": 1440,
                        "lifecycle": {"deleteAfter": 35},
                        "copyActions": [
                            {
                                "destinationVaultArn": backup_vault_arn,
                                "lifecycle": {"deleteAfter": 35},
                            }
                        ],
                    }
                ],
            },
            deps={"rules": [source_vault_res["urn"], backup_vault_res["urn"]]},
        ),
        child(
            "aws:backup/selection:Selection",
            "selection",
            src_p,
            {
                "name": f"{prefix}-tagged",
                "planId": UNKNOWN if preview else "plan-id",
                "iamRoleArn": UNKNOWN if preview else "arn:aws:iam::1:role/r",
                "selectionTags": [{"type": "STRINGEQUALS", "key": "Backup", "value": "Yes"}],
            },
        ),
    ]
