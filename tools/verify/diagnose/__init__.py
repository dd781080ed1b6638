"""Diagnosis of a deployed stack, from the live configuration of its accounts; starts no job.

It reads, with each account's own credentials, what decides whether a copy (or a backup) can
succeed (AWS-FACTS.md), and judges the live policy documents with the policy pack's IAM evaluator
(`backup_guard.iam`), so the diagnosis and the pack share one reading of IAM. One module per
thing it checks:

- `organization`: both accounts in one organization;
- `global_setting`: `cross-account-setting`, the organization's opt-in (management account);
- `vault`: `backup-vault` exists on its customer managed key;
- `vault_policy`: `backup-vault-policy`, `source-vault-policy`;
- `keys`: `backup-vault-key-policy`, `source-vault-key-policy`;
- `lock`: `vault-lock` range vs the copy retention;
- `plan`: `plan`, `selection`, `notifications`;
- `resource_key`: the resource: `resource`, `resource-tag`, `resource-key`, `dynamodb-advanced`;
- `backup_job`: a failed backup job's `backup-role` and `resource-key-role`.

A read denied to the stack's role makes its check `skip` (with the permission to add), and so
does a role STS refuses; any other AWS error makes it `error`: reported, never taken for a pass.
`causes.explain_status_message()` maps a failed job's StatusMessage to its cause.
"""

from __future__ import annotations

from tools.verify.aws_session import AccountClients
from tools.verify.diagnose.backup_job import check_backup_role, check_resource_key_role
from tools.verify.diagnose.causes import (
    TROUBLESHOOTING_URL,
    Cause,
    explain_status_message,
    troubleshooting_url,
)
from tools.verify.diagnose.global_setting import check_global_settings
from tools.verify.diagnose.keys import check_backup_vault_key_policy, check_source_vault_key_policy
from tools.verify.diagnose.lock import check_vault_lock
from tools.verify.diagnose.model import (
    Check,
    CheckFunction,
    Context,
    Diagnosis,
    judge,
    run_check,
)
from tools.verify.diagnose.organization import check_organization
from tools.verify.diagnose.plan import check_notifications, check_plan, check_selection
from tools.verify.diagnose.resource import ResourceInfo, ResourceNotFound, describe_resource
from tools.verify.diagnose.resource_key import (
    check_dynamodb_advanced,
    check_resource,
    check_resource_key,
    check_resource_tag,
)
from tools.verify.diagnose.vault import check_backup_vault
from tools.verify.diagnose.vault_policy import check_backup_vault_policy, check_source_vault_policy
from tools.verify.inputs import ResourceRef, StackOutputs, VerifySettings

__all__ = [
    "TROUBLESHOOTING_URL",
    "Cause",
    "Check",
    "Diagnosis",
    "ResourceInfo",
    "ResourceNotFound",
    "describe_resource",
    "diagnose",
    "explain_status_message",
    "judge",
    "troubleshooting_url",
]

#: What decides a cross-account copy (id, title, check), in the order they run.
COPY_CHECKS: tuple[tuple[str, str, CheckFunction], ...] = (
    ("organization", "same AWS Organization", check_organization),
    ("cross-account-setting", "cross-account backup on", check_global_settings),
    ("backup-vault", "backup vault on its customer managed key", check_backup_vault),
    ("backup-vault-policy", "source account may copy in", check_backup_vault_policy),
    (
        "backup-vault-key-policy",
        "source account may use the backup vault key",
        check_backup_vault_key_policy,
    ),
    ("source-vault-policy", "backup account may copy back", check_source_vault_policy),
    (
        "source-vault-key-policy",
        "backup account may use the source vault key",
        check_source_vault_key_policy,
    ),
    ("vault-lock", "copy retention within the vault lock", check_vault_lock),
    ("plan", "plan copies into the backup vault", check_plan),
    ("selection", "selection on the tag with the backup role", check_selection),
    ("notifications", "copy failures are notified", check_notifications),
)
RESOURCE_CHECKS: tuple[tuple[str, str, CheckFunction], ...] = (
    ("resource", "resource exists", check_resource),
    ("resource-tag", "resource carries the selection tag", check_resource_tag),
    ("resource-key", "resource key usable by the backup account", check_resource_key),
)
DYNAMODB_CHECK = ("dynamodb-advanced", "DynamoDB advanced backup on", check_dynamodb_advanced)
#: What decides a backup job (source account only).
BACKUP_CHECKS: tuple[tuple[str, str, CheckFunction], ...] = (
    (
        "backup-role",
        "AWS Backup may assume the backup role, which has the backup policy",
        check_backup_role,
    ),
    ("resource", "resource exists", check_resource),
    (
        "resource-key-role",
        "the backup's KMS key lets the backup role use it",
        check_resource_key_role,
    ),
)


def diagnose(
    clients: AccountClients,
    settings: VerifySettings,
    outputs: StackOutputs,
    resource: ResourceRef | None = None,
    *,
    failed_step: str = "copy",
) -> Diagnosis:
    """Run the checks of a copy (default) or, with `failed_step="backup"`, of a backup job."""
    ctx = Context(clients, settings, outputs, resource)
    if failed_step == "backup":
        steps = list(BACKUP_CHECKS)
    else:
        steps = list(COPY_CHECKS)
        if resource is not None:
            steps += RESOURCE_CHECKS
            if resource.kind == "dynamodb":
                steps.append(DYNAMODB_CHECK)
    diagnosis = Diagnosis(subject="backup" if failed_step == "backup" else "copy")
    for check_id, title, step in steps:
        diagnosis.checks.append(run_check(ctx, diagnosis, check_id, title, step))
    return diagnosis
