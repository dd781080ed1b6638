"""Pure builders of the policy documents: values in, JSON-ready dicts out.

Every document is built from values known before anything is deployed (account ids, regions,
names), never from resource outputs, so that `pulumi preview` shows them in full and the policy
pack can judge them before anything is created.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.config import AccountSettings, StackSettings

if TYPE_CHECKING:
    from components.sources_config import OrganizationSettings

PolicyDocument = dict[str, Any]

#: What the account that copies into a vault needs on the vault's key (AWS-FACTS: Keys).
KEY_USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]
#: AWS Backup hands the key to the services it drives through grants for AWS resources.
KEY_GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
#: Recovery point operations denied to every principal in the backup vault: the copies expire
#: only through their lifecycle.
PROTECTED_RECOVERY_POINT_ACTIONS = [
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
]
#: What would undo that protection: replacing or deleting the vault policy, removing a
#: governance-mode lock. Denied to everyone but the deploy role, so Pulumi can still manage the
#: vault (AWS Config's backup-recovery-point-manual-deletion-disabled asks for the same).
PROTECTED_VAULT_ADMIN_ACTIONS = [
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
]
#: What would make every copy unreadable: the key's deletion, disabling, or a new key policy.
#: Denied to everyone but the deploy role (which keeps PutKeyPolicy, as KMS's lockout check needs).
PROTECTED_KEY_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"]

BACKUP_SERVICE_PRINCIPAL = "backup.amazonaws.com"


def account_root(account: AccountSettings) -> str:
    """The principal that stands for a whole account: IAM policies in it decide who inside."""
    return f"arn:{account.partition}:iam::{account.account_id}:root"


def to_json(document: PolicyDocument) -> str:
    """Stable JSON text: the same inputs give the same string, so no spurious diffs."""
    return json.dumps(document, indent=2, sort_keys=False)


def _key_administration(owner: AccountSettings) -> dict[str, Any]:
    # Without this statement the key becomes unmanageable (only AWS support can recover it).
    return {
        "Sid": "EnableOwnerAccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(owner)},
        "Action": "kms:*",
        "Resource": "*",
    }


def _key_use(sid: str, user: AccountSettings) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": account_root(user)},
        "Action": list(KEY_USE_ACTIONS),
        "Resource": "*",
    }


def _key_grants(sid: str, user: AccountSettings) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": account_root(user)},
        "Action": list(KEY_GRANT_ACTIONS),
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }


def _except_deploy_role(deployer: AccountSettings) -> dict[str, Any]:
    # aws:PrincipalArn of an assumed-role session is the role's ARN (path included), not the
    # session's. The IAM condition-operators reference: the ARN operators (ArnEquals, ArnLike)
    # are case-sensitive, like StringLike; StringNotEqualsIgnoreCase is the operator that does
    # not depend on the case a user typed. It can't let a second role through: IAM role names
    # are unique in an account whatever their case. No wildcard: the typed ARN is matched whole.
    return {"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": deployer.role_arn}}


def backup_vault_key_policy(
    *,
    backup: AccountSettings,
    source: AccountSettings | None = None,
    sources: Sequence[AccountSettings] = (),
    organization: OrganizationSettings | None = None,
) -> PolicyDocument:
    """Key policy of the backup vault's key (in the backup account).

    The copy is re-encrypted with this key, so every source account must be able to use it, and
    for the way back (a copy from the backup vault into the source vault) too. Nobody but the
    backup account's deploy role may schedule its deletion, disable it or replace this policy.
    `source` (one account: the statements of a single-source stack, unchanged) or `sources`
    (each account's root in one principal list) or `organization` (any principal of the
    organization, or of its paths: no account listed, a new workload account needs no change).
    """
    return {
        "Version": "2012-10-17",
        "Id": "backup-vault-key",
        "Statement": [
            _key_administration(backup),
            _granted(
                _key_use("AllowSourceAccountUseOfTheKey", backup),
                _accounts(source, sources),
                organization,
            ),
            _granted(
                _key_grants("AllowSourceAccountGrantsForAwsResources", backup),
                _accounts(source, sources),
                organization,
            ),
            {
                "Sid": "DenyKeyDestructionExceptDeployRole",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": list(PROTECTED_KEY_ACTIONS),
                "Resource": "*",
                "Condition": _except_deploy_role(backup),
            },
        ],
    }


def grantees(settings: StackSettings) -> dict[str, Any]:
    """Who the backup vault and its key grant, as keyword arguments of `backup_vault_key_policy`
    and `backup_vault_access_policy`: the organization if set, else every source account (the
    single `sourceAccount` as `source`, so that its documents stay as they always were)."""
    if settings.organization is not None:
        return {"organization": settings.organization}
    if settings.many_sources:
        return {"sources": settings.source_accounts}
    return {"source": settings.source}


def _accounts(
    source: AccountSettings | None, sources: Sequence[AccountSettings]
) -> list[AccountSettings]:
    return [source] if source is not None else list(sources)


def _granted(
    statement: dict[str, Any],
    accounts: Sequence[AccountSettings],
    organization: OrganizationSettings | None,
) -> dict[str, Any]:
    """`statement` granted to `accounts` (one: a plain principal, as a single-source stack has
    always had; several: a list) or to `organization`.

    IAM global condition context keys reference: aws:PrincipalOrgID "compare the identifier of
    the organization in AWS Organizations to which the requesting principal belongs"; with
    Principal "*" it "effectively" grants every account of the organization, no account listed.
    aws:PrincipalOrgPaths is multivalued ("a principal can belong to more than one path"), its
    values look like o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/, and the reference's
    example matches an OU and everything below it with ForAnyValue:StringLike and a trailing
    `/*`. The org id is kept beside the paths: both must hold (conditions are ANDed).
    """
    granted = dict(statement)
    if organization is None:
        roots = [account_root(a) for a in accounts]
        granted["Principal"] = {"AWS": roots[0] if len(roots) == 1 else roots}
        return granted
    granted["Principal"] = {"AWS": "*"}
    condition: dict[str, Any] = dict(granted.get("Condition", {}))
    condition["StringEquals"] = {"aws:PrincipalOrgID": organization.id}
    if organization.paths:
        condition["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": organization.path_patterns}
    granted["Condition"] = condition
    return granted


def source_vault_key_policy(*, source: AccountSettings, backup: AccountSettings) -> PolicyDocument:
    """Key policy of the source vault's key (in the source account).

    Resource types fully managed by AWS Backup (S3, EFS, DynamoDB advanced backup, ...) are
    encrypted in the source vault with this key; the backup account must be able to read them to
    copy them, and to write with it on the way back.
    """
    return {
        "Version": "2012-10-17",
        "Id": "source-vault-key",
        "Statement": [
            _key_administration(source),
            _key_use("AllowBackupAccountUseOfTheKey", backup),
            _key_grants("AllowBackupAccountGrantsForAwsResources", backup),
        ],
    }


def backup_vault_access_policy(
    *,
    backup: AccountSettings,
    source: AccountSettings | None = None,
    sources: Sequence[AccountSettings] = (),
    organization: OrganizationSettings | None = None,
) -> PolicyDocument:
    """Access policy of the backup vault: the source accounts may copy in, nobody may delete.

    Only the backup account's deploy role may replace this policy or remove a governance lock,
    so an administrator of the backup account can't lift the protection and then delete.
    Grantees as in `backup_vault_key_policy`.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            _granted(
                {
                    "Sid": "AllowSourceAccountToCopyIn",
                    "Effect": "Allow",
                    "Principal": {},
                    # The only cross-account action a vault accepts; no wildcards in vault
                    # policies.
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                },
                _accounts(source, sources),
                organization,
            ),
            {
                "Sid": "DenyRecoveryPointDeletionToEveryone",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": list(PROTECTED_RECOVERY_POINT_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "DenyPolicyAndLockChangesExceptDeployRole",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": list(PROTECTED_VAULT_ADMIN_ACTIONS),
                "Resource": "*",
                "Condition": _except_deploy_role(backup),
            },
        ],
    }


def source_vault_access_policy(*, backup: AccountSettings) -> PolicyDocument:
    """Access policy of the source vault: the way back.

    Cross-account restore does not exist: a copy goes back from the backup vault into this vault,
    then it is restored here. So the backup account may copy in.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowBackupAccountToCopyBack",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(backup)},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        ],
    }


def notification_topic_policy(*, topic_arn: str, source: AccountSettings) -> PolicyDocument:
    """SNS topic policy: AWS Backup publishes vault events; the account keeps administration.

    As in AWS Backup's documented example, without a condition: AWS Backup is not documented to
    send `aws:SourceAccount` or `aws:SourceArn` with its Publish calls, and a condition it does
    not satisfy would drop every notice silently.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAwsBackupToPublish",
                "Effect": "Allow",
                "Principal": {"Service": BACKUP_SERVICE_PRINCIPAL},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
            },
            {
                "Sid": "AllowOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(source)},
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
                "Resource": topic_arn,
            },
        ],
    }


def backup_service_trust_policy() -> PolicyDocument:
    """Trust policy of the role AWS Backup assumes to back up and restore."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": BACKUP_SERVICE_PRINCIPAL},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def backup_role_key_policy(
    *,
    source: AccountSettings,
    backup: AccountSettings,
    source_alias: str,
    backup_alias: str,
    other_sources: Sequence[AccountSettings] = (),
) -> PolicyDocument:
    """Inline policy of the AWS Backup service role: use of the two vault keys.

    A cross-account KMS call needs both the key policy and an IAM policy of the caller; the AWS
    managed backup policies do not name customer managed keys in other accounts. The keys are
    picked by alias (`kms:ResourceAliases`), which is known before the keys exist.
    """

    def key_arn(account: AccountSettings) -> str:
        return f"arn:{account.partition}:kms:{account.region}:{account.account_id}:key/*"

    def statement(sid: str, account: AccountSettings, alias: str) -> dict[str, Any]:
        # `other_sources` (the copy-back role of a many-source stack): the source vault keys of
        # every source account (they share the alias: one vault name in each account).
        resource: str | list[str] = key_arn(account)
        if sid == "UseTheSourceVaultKey" and other_sources:
            resource = [key_arn(a) for a in (account, *other_sources)]
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": [*KEY_USE_ACTIONS, *KEY_GRANT_ACTIONS],
            "Resource": resource,
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
        }

    return {
        "Version": "2012-10-17",
        "Statement": [
            statement("UseTheSourceVaultKey", source, source_alias),
            statement("UseTheBackupVaultKeyForCopies", backup, backup_alias),
        ],
    }


def topic_arn(account: AccountSettings, topic_name: str) -> str:
    """The ARN SNS gives a topic: known before the topic exists."""
    return f"arn:{account.partition}:sns:{account.region}:{account.account_id}:{topic_name}"


#: Vault events sent to the topic. BACKUP_JOB_FAILED is deprecated: failures arrive as
#: BACKUP_JOB_COMPLETED with a state other than COMPLETED (filtered on the e-mail subscription).
VAULT_EVENTS = [
    "BACKUP_JOB_STARTED",
    "BACKUP_JOB_COMPLETED",
    "COPY_JOB_STARTED",
    "COPY_JOB_SUCCESSFUL",
    "COPY_JOB_FAILED",
    "RESTORE_JOB_COMPLETED",
    "RECOVERY_POINT_MODIFIED",
]

#: SNS filter policy for the e-mail subscription: only what needs a human.
FAILURE_FILTER_POLICY: dict[str, Any] = {
    "State": [{"anything-but": ["COMPLETED", "CREATED", "RUNNING", "PENDING"]}]
}


#: CloudTrail management events that use the deploy role's exception (or try to): deleting,
#: disabling or re-policing the backup vault's key, replacing the vault policy, removing the lock.
PROTECTION_EVENTS: dict[str, list[str]] = {
    "aws.kms": ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"],
    "aws.backup": ["PutBackupVaultAccessPolicy", "DeleteBackupVaultLockConfiguration"],
}
#: The event source CloudTrail records for each EventBridge source.
_EVENT_SOURCES = {"aws.kms": "kms.amazonaws.com", "aws.backup": "backup.amazonaws.com"}


def protection_event_pattern() -> PolicyDocument:
    """EventBridge pattern of the alerts in the backup account.

    AWS API calls reach the default event bus as detail-type "AWS API Call via CloudTrail", with
    `source` aws.<service> and `detail.eventSource` <service>.amazonaws.com (EventBridge events
    reference, "events delivered via AWS CloudTrail"). These five are write management events,
    delivered without a trail and without the read-only opt-in.
    """
    return {
        "source": list(PROTECTION_EVENTS),
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": [_EVENT_SOURCES[source] for source in PROTECTION_EVENTS],
            "eventName": [name for names in PROTECTION_EVENTS.values() for name in names],
        },
    }


def event_rule_arn(account: AccountSettings, rule_name: str) -> str:
    """The ARN EventBridge gives a rule of the default bus: known before the rule exists."""
    return f"arn:{account.partition}:events:{account.region}:{account.account_id}:rule/{rule_name}"


def alert_topic_policy(
    *,
    topic_arn: str,
    rule_arn: str,
    owner: AccountSettings,
    also_rule_arns: list[str] | None = None,
) -> PolicyDocument:
    """Policy of the backup account's alert topic: the EventBridge rule publishes, the owner
    administers. SNS targets take a resource-based policy for events.amazonaws.com (EventBridge
    user guide, "Using resource-based policies", Amazon SNS permissions); `aws:SourceArn` = the
    rule's ARN pins it to this rule, as the guide's confused-deputy page advises."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowProtectionRuleToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                # Issue 14: the restore-test rule publishes here as well (a list: any of them).
                "Condition": {
                    "ArnEquals": {
                        "aws:SourceArn": [rule_arn, *also_rule_arns] if also_rule_arns else rule_arn
                    }
                },
            },
            {
                "Sid": "AllowOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(owner)},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                ],
                "Resource": topic_arn,
            },
        ],
    }
