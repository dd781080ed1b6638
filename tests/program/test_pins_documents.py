"""Pins of the policy documents as wholes (issue 16): every statement's Sid, Effect, Principal,
Action, Resource and Condition, in the three partitions.

A document is the product: a test that picks one field lets the others change unnoticed (the
Principal of the Deny on key destruction could become a principal that matches nobody). So each
test compares the whole document.

References:
- IAM JSON policy reference, "Resource" element: a statement must include Resource or
  NotResource (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html);
  KMS developer guide, "Key policies in AWS KMS" / "Elements in a key policy": Resource is
  required, "*" means this key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- IAM condition operators: StringNotEqualsIgnoreCase
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- ARN formats per partition: arn:aws-cn:..., arn:aws-us-gov:...
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from components import documents
from components.config import AccountSettings

PARTITIONS = [
    ("aws", "eu-west-1", "eu-central-1"),
    ("aws-cn", "cn-north-1", "cn-northwest-1"),
    ("aws-us-gov", "us-gov-west-1", "us-gov-east-1"),
]


def accounts(partition: str, src_region: str, bak_region: str) -> tuple[AccountSettings, ...]:
    source = AccountSettings(
        account_id="111111111111",
        role_arn=f"arn:{partition}:iam::111111111111:role/backup-deployer",
        region=src_region,
    )
    backup = AccountSettings(
        account_id="222222222222",
        role_arn=f"arn:{partition}:iam::222222222222:role/ops/Backup-Deployer",
        region=bak_region,
    )
    return source, backup


USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GRANTS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
FOR_AWS_RESOURCE = {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_backup_vault_key_policy_whole(partition: str, src_region: str, bak_region: str) -> None:
    source, backup = accounts(partition, src_region, bak_region)
    assert documents.backup_vault_key_policy(backup=backup, source=source) == {
        "Version": "2012-10-17",
        "Id": "backup-vault-key",
        "Statement": [
            {
                "Sid": "EnableOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::222222222222:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowSourceAccountUseOfTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::111111111111:root"},
                "Action": USE,
                "Resource": "*",
            },
            {
                "Sid": "AllowSourceAccountGrantsForAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::111111111111:root"},
                "Action": GRANTS,
                "Resource": "*",
                "Condition": FOR_AWS_RESOURCE,
            },
            {
                # The Deny applies to every principal ("*") but the deploy role, whatever the
                # case of the ARN typed in the config (StringNotEqualsIgnoreCase).
                "Sid": "DenyKeyDestructionExceptDeployRole",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"],
                "Resource": "*",
                "Condition": {"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": backup.role_arn}},
            },
        ],
    }


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_source_vault_key_policy_whole(partition: str, src_region: str, bak_region: str) -> None:
    source, backup = accounts(partition, src_region, bak_region)
    assert documents.source_vault_key_policy(source=source, backup=backup) == {
        "Version": "2012-10-17",
        "Id": "source-vault-key",
        "Statement": [
            {
                "Sid": "EnableOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::111111111111:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowBackupAccountUseOfTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::222222222222:root"},
                "Action": USE,
                "Resource": "*",
            },
            {
                "Sid": "AllowBackupAccountGrantsForAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::222222222222:root"},
                "Action": GRANTS,
                "Resource": "*",
                "Condition": FOR_AWS_RESOURCE,
            },
        ],
    }


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_backup_vault_access_policy_whole(partition: str, src_region: str, bak_region: str) -> None:
    source, backup = accounts(partition, src_region, bak_region)
    assert documents.backup_vault_access_policy(source=source, backup=backup) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSourceAccountToCopyIn",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::111111111111:root"},
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
            {
                "Sid": "DenyPolicyAndLockChangesExceptDeployRole",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": [
                    "backup:PutBackupVaultAccessPolicy",
                    "backup:DeleteBackupVaultAccessPolicy",
                    "backup:DeleteBackupVaultLockConfiguration",
                ],
                "Resource": "*",
                "Condition": {"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": backup.role_arn}},
            },
        ],
    }


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_source_vault_access_policy_whole(partition: str, src_region: str, bak_region: str) -> None:
    _, backup = accounts(partition, src_region, bak_region)
    assert documents.source_vault_access_policy(backup=backup) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowBackupAccountToCopyBack",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::222222222222:root"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        ],
    }


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_notification_topic_policy_whole(partition: str, src_region: str, bak_region: str) -> None:
    source, _ = accounts(partition, src_region, bak_region)
    arn = documents.topic_arn(source, "backup-notices")
    assert arn == f"arn:{partition}:sns:{src_region}:111111111111:backup-notices"
    assert documents.notification_topic_policy(topic_arn=arn, source=source) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAwsBackupToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "backup.amazonaws.com"},
                "Action": "SNS:Publish",
                "Resource": arn,
            },
            {
                "Sid": "AllowOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::111111111111:root"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": arn,
            },
        ],
    }


def test_backup_service_trust_policy_whole() -> None:
    assert documents.backup_service_trust_policy() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "backup.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_backup_role_key_policy_whole(partition: str, src_region: str, bak_region: str) -> None:
    source, backup = accounts(partition, src_region, bak_region)
    policy = documents.backup_role_key_policy(
        source=source, backup=backup, source_alias="alias/src", backup_alias="alias/bak"
    )
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UseTheSourceVaultKey",
                "Effect": "Allow",
                "Action": USE + GRANTS,
                "Resource": f"arn:{partition}:kms:{src_region}:111111111111:key/*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/src"}},
            },
            {
                "Sid": "UseTheBackupVaultKeyForCopies",
                "Effect": "Allow",
                "Action": USE + GRANTS,
                "Resource": f"arn:{partition}:kms:{bak_region}:222222222222:key/*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/bak"}},
            },
        ],
    }


@pytest.mark.parametrize(("partition", "src_region", "bak_region"), PARTITIONS)
def test_alert_topic_policy_and_rule_arn_whole(
    partition: str, src_region: str, bak_region: str
) -> None:
    _, backup = accounts(partition, src_region, bak_region)
    topic = documents.topic_arn(backup, "alerts")
    rule = documents.event_rule_arn(backup, "protect")
    assert rule == f"arn:{partition}:events:{bak_region}:222222222222:rule/protect"
    assert documents.alert_topic_policy(topic_arn=topic, rule_arn=rule, owner=backup) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowProtectionRuleToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
            },
            {
                "Sid": "AllowOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::222222222222:root"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                ],
                "Resource": topic,
            },
        ],
    }


def test_protection_event_pattern_whole() -> None:
    # EventBridge events reference, "AWS service events delivered via AWS CloudTrail".
    assert documents.protection_event_pattern() == {
        "source": ["aws.kms", "aws.backup"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["kms.amazonaws.com", "backup.amazonaws.com"],
            "eventName": [
                "ScheduleKeyDeletion",
                "DisableKey",
                "PutKeyPolicy",
                "PutBackupVaultAccessPolicy",
                "DeleteBackupVaultLockConfiguration",
            ],
        },
    }


def test_to_json_is_indented_and_keeps_statement_order() -> None:
    assert documents.to_json({"b": 1, "a": [1]}) == '{\n  "b": 1,\n  "a": [\n    1\n  ]\n}'


def test_every_resource_policy_statement_has_principal_and_resource() -> None:
    # IAM JSON reference / KMS key policies: Resource is required in every statement; resource
    # policies need a Principal. The trust policy (no Resource) and the role's identity
    # policy (no Principal) are the exceptions by kind.
    source, backup = accounts("aws", "eu-west-1", "eu-central-1")
    docs: list[dict[str, Any]] = [
        documents.backup_vault_key_policy(backup=backup, source=source),
        documents.source_vault_key_policy(source=source, backup=backup),
        documents.backup_vault_access_policy(source=source, backup=backup),
        documents.source_vault_access_policy(backup=backup),
    ]
    missing = [
        (s.get("Sid"), field)
        for d in docs
        for s in d["Statement"]
        for field in ("Principal", "Resource", "Effect", "Action", "Sid")
        if field not in s
    ]
    assert missing == []
