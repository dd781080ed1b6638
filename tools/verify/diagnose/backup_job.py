"""Checks of a failed backup job (not a copy): `backup-role` and `resource-key-role`.

A backup job runs as the stack's backup role (`backupRoleArn`) in the source account. It fails
when AWS Backup can't assume that role, when the role lost its AWS managed backup policy, or
when the key of what it backs up does not let the role in (AWS re:Post, "Understanding IAM roles
and permissions in AWS Backup": the job role needs the permissions of
AWSBackupServiceRolePolicyForBackup; that policy's KMS statement covers kms:DescribeKey and
kms:CreateGrant for AWS resources, https://docs.aws.amazon.com/aws-backup/latest/devguide/
security-iam-awsmanpol.html). The program gives the role AWSBackupServiceRolePolicyForBackup and
trusts backup.amazonaws.com (components/backup.py, components/documents.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from backup_guard.iam import parse_policy
from tools.verify.diagnose.keys import OWN_KEY_KINDS, key_policy
from tools.verify.diagnose.model import Check, Context, Skip, judge

BACKUP_SERVICE = "backup.amazonaws.com"
#: The AWS managed policy a backup job role needs (its path is service-role/).
BACKUP_POLICY = "AWSBackupServiceRolePolicyForBackup"
#: What a backup job asks of the key of the resource it backs up (through AWS Backup).
ROLE_KEY_ACTIONS = ("kms:DescribeKey", "kms:CreateGrant")


def _trusts_backup(document: Any) -> bool:
    """Whether the trust policy allows backup.amazonaws.com to sts:AssumeRole (no Deny of it)."""
    allowed = False
    for statement in parse_policy(document).statements:
        principal = statement.principal or {}
        services = [*principal.get("Service", []), *principal.get("*", [])]
        if BACKUP_SERVICE not in services and "*" not in services:
            continue
        actions = statement.action or []
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        if statement.effect == "Deny":
            return False
        allowed = allowed or not statement.condition
    return allowed


def check_backup_role(ctx: Context) -> Check:
    """iam:GetRole (trust policy) and iam:ListAttachedRolePolicies of backupRoleArn (source)."""
    title = "AWS Backup may assume the backup role, which has the backup policy"
    role_arn = ctx.outputs.backup_role_arn
    name = role_arn.rsplit("/", 1)[-1]
    iam = ctx.client("source", "iam")
    role = iam.get_role(RoleName=name)["Role"]
    trust = role.get("AssumeRolePolicyDocument")
    if isinstance(trust, str):
        trust = unquote(trust)  # IAM returns it URL-encoded on the wire; botocore decodes it
    if not _trusts_backup(trust):
        return Check(
            "backup-role",
            title,
            "fail",
            f"{role_arn}'s trust policy does not let {BACKUP_SERVICE} sts:AssumeRole",
            "`pulumi up` restores the role's trust policy",
        )
    attached = iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", [])
    names = [str(p.get("PolicyName")) for p in attached]
    # The AWS managed policy itself (account `aws`), not a customer policy of the same name.
    partition = role_arn.split(":")[1]
    wanted = f"arn:{partition}:iam::aws:policy/service-role/{BACKUP_POLICY}"
    if wanted not in [str(p.get("PolicyArn")) for p in attached]:
        return Check(
            "backup-role",
            title,
            "fail",
            f"{role_arn} lacks the AWS managed policy {BACKUP_POLICY} (attached: "
            f"{', '.join(names) or 'none'})",
            "`pulumi up` re-attaches it (aws iam attach-role-policy --role-name "
            f"{name} --policy-arn arn:aws:iam::aws:policy/service-role/{BACKUP_POLICY})",
        )
    return Check(
        "backup-role", title, "pass", f"{role_arn} trusted by {BACKUP_SERVICE}, has {BACKUP_POLICY}"
    )


def check_resource_key_role(ctx: Context) -> Check:
    """The key a backup job uses lets the backup role: the resource's own key (snapshots) or the
    source vault key (types AWS Backup fully manages)."""
    title = "the backup's KMS key lets the backup role use it"
    resource = ctx.resource
    if resource is None:
        raise Skip("no --resource-arn: the resource's key is unknown")
    if resource.kind in OWN_KEY_KINDS:
        info = ctx.resource_info()
        if not info.encrypted or not info.key_ids:
            return Check("resource-key-role", title, "pass", "not encrypted: no key to use")
        keys = [(str(k), "source") for k in info.key_ids]
    else:
        keys = [(ctx.outputs.source_vault_key_arn, "source")]
    role = ctx.outputs.backup_role_arn
    problems: list[str] = []
    for key, account in keys:
        key_arn, document = key_policy(ctx, account, key)  # type: ignore[arg-type]
        source_id = ctx.settings.source.account_id
        _, denied, _ = judge(
            document,
            principal_account=source_id,
            actions=ROLE_KEY_ACTIONS,
            resource=key_arn,
            principal_arn=role,
            context=ctx.request_context(source_id, key_arn),
            org_id=ctx.org_id,
        )
        if denied:
            problems.append(f"{key_arn}: " + "; ".join(denied))
    if problems:
        return Check(
            "resource-key-role",
            title,
            "fail",
            f"the backup role {role} is refused " + " | ".join(problems),
            "let the backup role (or its account, delegating to IAM) use the key in its key "
            "policy: kms:DescribeKey, kms:CreateGrant with kms:GrantIsForAWSResource",
        )
    return Check(
        "resource-key-role",
        title,
        "pass",
        f"{', '.join(k for k, _ in keys)} let{'s' if len(keys) == 1 else ''} the backup role in",
    )
