"""The pure policy-document builders, statement by statement, without Pulumi."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import documents
from components.config import AccountSettings

SOURCE = AccountSettings(
    account_id="111111111111",
    role_arn="arn:aws:iam::111111111111:role/backup-deployer",
    region="eu-west-1",
)
BACKUP = AccountSettings(
    account_id="222222222222",
    role_arn="arn:aws:iam::222222222222:role/backup-deployer",
    region="eu-central-1",
)


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"expected one statement {sid!r}, got {document['Statement']}"
    return found[0]


def test_backup_vault_key_lets_the_source_account_use_it() -> None:
    policy = documents.backup_vault_key_policy(backup=BACKUP, source=SOURCE)
    use = statement(policy, "AllowSourceAccountUseOfTheKey")
    assert use["Effect"] == "Allow"
    assert use["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert set(use["Action"]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    }
    assert "Condition" not in use


def test_backup_vault_key_grants_are_only_for_aws_resources() -> None:
    policy = documents.backup_vault_key_policy(backup=BACKUP, source=SOURCE)
    grants = statement(policy, "AllowSourceAccountGrantsForAwsResources")
    assert grants["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert "kms:CreateGrant" in grants["Action"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_backup_vault_key_stays_administrable_by_its_own_account_only() -> None:
    policy = documents.backup_vault_key_policy(backup=BACKUP, source=SOURCE)
    admin = statement(policy, "EnableOwnerAccountAdministration")
    assert admin["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert admin["Action"] == "kms:*"
    others = [s for s in policy["Statement"] if s is not admin]
    assert all(s["Action"] != "kms:*" for s in others if s["Effect"] == "Allow")


def test_source_vault_key_lets_the_backup_account_use_it() -> None:
    policy = documents.source_vault_key_policy(source=SOURCE, backup=BACKUP)
    use = statement(policy, "AllowBackupAccountUseOfTheKey")
    assert use["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert {"kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*", "kms:GenerateDataKey*"} <= set(
        use["Action"]
    )
    grants = statement(policy, "AllowBackupAccountGrantsForAwsResources")
    assert grants["Condition"]["Bool"]["kms:GrantIsForAWSResource"] == "true"
    assert statement(policy, "EnableOwnerAccountAdministration")["Principal"] == {
        "AWS": "arn:aws:iam::111111111111:root"
    }


def test_backup_vault_policy_lets_only_the_source_account_copy_in() -> None:
    policy = documents.backup_vault_access_policy(source=SOURCE, backup=BACKUP)
    allow = statement(policy, "AllowSourceAccountToCopyIn")
    assert allow == {
        "Sid": "AllowSourceAccountToCopyIn",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
    }
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == [allow]


def test_backup_vault_policy_denies_recovery_point_deletion_to_everyone() -> None:
    policy = documents.backup_vault_access_policy(source=SOURCE, backup=BACKUP)
    deny = statement(policy, "DenyRecoveryPointDeletionToEveryone")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert set(deny["Action"]) == {
        "backup:DeleteRecoveryPoint",
        "backup:UpdateRecoveryPointLifecycle",
    }
    # The deploy role must still manage the vault: no policy or vault administration is denied.
    assert not any(
        a.startswith(("backup:PutBackupVault", "backup:Delete"))
        and a != "backup:DeleteRecoveryPoint"
        for a in deny["Action"]
    )


@pytest.mark.parametrize(
    "document",
    [
        documents.backup_vault_access_policy(source=SOURCE, backup=BACKUP),
        documents.source_vault_access_policy(backup=BACKUP),
    ],
    ids=["backup-vault", "source-vault"],
)
def test_vault_policies_use_no_wildcard_actions(document: dict[str, Any]) -> None:
    for s in document["Statement"]:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert all("*" not in a and "?" not in a for a in actions), s


def test_source_vault_policy_is_the_way_back_for_the_backup_account() -> None:
    policy = documents.source_vault_access_policy(backup=BACKUP)
    allow = statement(policy, "AllowBackupAccountToCopyBack")
    assert allow["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert allow["Action"] == "backup:CopyIntoBackupVault"


def test_backup_vault_policy_lets_only_the_deploy_role_change_the_policy_or_lock() -> None:
    policy = documents.backup_vault_access_policy(source=SOURCE, backup=BACKUP)
    deny = statement(policy, "DenyPolicyAndLockChangesExceptDeployRole")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert set(deny["Action"]) == {
        "backup:PutBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultLockConfiguration",
    }
    assert deny["Condition"] == {
        "StringNotEqualsIgnoreCase": {
            "aws:PrincipalArn": "arn:aws:iam::222222222222:role/backup-deployer"
        }
    }


def test_backup_vault_key_can_only_be_destroyed_by_the_deploy_role() -> None:
    policy = documents.backup_vault_key_policy(backup=BACKUP, source=SOURCE)
    deny = statement(policy, "DenyKeyDestructionExceptDeployRole")
    assert deny["Effect"] == "Deny"
    assert set(deny["Action"]) == {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"}
    assert deny["Condition"] == {
        "StringNotEqualsIgnoreCase": {
            "aws:PrincipalArn": "arn:aws:iam::222222222222:role/backup-deployer"
        }
    }
    # None of what the source account needs to copy in is denied.
    assert not set(deny["Action"]) & set(documents.KEY_USE_ACTIONS + documents.KEY_GRANT_ACTIONS)


def test_topic_policy_lets_aws_backup_publish_unconditionally() -> None:
    arn = documents.topic_arn(SOURCE, "events")
    assert arn == "arn:aws:sns:eu-west-1:111111111111:events"
    policy = documents.notification_topic_policy(topic_arn=arn, source=SOURCE)
    publish = statement(policy, "AllowAwsBackupToPublish")
    assert publish["Principal"] == {"Service": "backup.amazonaws.com"}
    assert publish["Action"] == "SNS:Publish"
    assert publish["Resource"] == arn
    assert "Condition" not in publish


def test_backup_role_trusts_only_aws_backup() -> None:
    trust = documents.backup_service_trust_policy()
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "backup.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


def test_partition_follows_the_role_arn() -> None:
    gov = AccountSettings(
        account_id="333333333333",
        role_arn="arn:aws-us-gov:iam::333333333333:role/deployer",
        region="us-gov-west-1",
    )
    assert documents.account_root(gov) == "arn:aws-us-gov:iam::333333333333:root"


def test_documents_serialize_deterministically() -> None:
    first = documents.to_json(documents.backup_vault_key_policy(backup=BACKUP, source=SOURCE))
    second = documents.to_json(documents.backup_vault_key_policy(backup=BACKUP, source=SOURCE))
    assert first == second
    assert json.loads(first)["Version"] == "2012-10-17"


def test_vault_events_include_copy_failures_and_exclude_deprecated_ones() -> None:
    assert "COPY_JOB_FAILED" in documents.VAULT_EVENTS
    assert "BACKUP_JOB_COMPLETED" in documents.VAULT_EVENTS
    assert "BACKUP_JOB_FAILED" not in documents.VAULT_EVENTS


def test_backup_role_may_use_both_vault_keys_picked_by_alias() -> None:
    policy = documents.backup_role_key_policy(
        source=SOURCE, backup=BACKUP, source_alias="alias/local", backup_alias="alias/copies"
    )
    source_use = statement(policy, "UseTheSourceVaultKey")
    assert source_use["Resource"] == "arn:aws:kms:eu-west-1:111111111111:key/*"
    assert source_use["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/local"}
    }
    copy_use = statement(policy, "UseTheBackupVaultKeyForCopies")
    assert copy_use["Resource"] == "arn:aws:kms:eu-central-1:222222222222:key/*"
    assert copy_use["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == (
        "alias/copies"
    )
    assert {"kms:Encrypt", "kms:CreateGrant"} <= set(copy_use["Action"])
