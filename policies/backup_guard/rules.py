"""The pack's checks as plain functions: property dicts (camelCase, as the analyzer gives them)
and account ids in, violation messages out. No Pulumi here; `pack.py` wires them to policies.

A message names the resource, the account, the missing grant and the statement that decided,
e.g. "vault policy of `backup-vault` does not let 111111111111 backup:CopyIntoBackupVault:
statement 'DenyAll' denies backup:CopyIntoBackupVault to 111111111111".

Values a check *needs* are read through `values.known`, which raises `NotKnownYet` when they are
unknown during preview (the pack reports that as pulumi-policy does for unknown values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import iam
from .values import as_number, get, is_unknown, known, parse_arn

COPY_ACTION = "backup:CopyIntoBackupVault"

# What the account that copies into a vault needs on the vault's key (CONTRACT.md). `ReEncrypt*`
# and `GenerateDataKey*` are checked as the concrete actions they stand for.
DESTINATION_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)
# What the backup account needs on the source vault's key to copy what AWS Backup encrypted with
# it (AWS-FACTS.md, "Keys").
SOURCE_KEY_ACTIONS = (
    "kms:DescribeKey",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:CreateGrant",
)

COLD_TO_DELETE_MIN_DAYS = 90


# KMS actions whose requests carry `kms:GrantIsForAWSResource` (AWS KMS condition keys).
GRANT_ACTIONS = frozenset(
    a.lower() for a in ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
)

# A copy into a vault: AWS Backup calls over TLS; `kms:CallerAccount` is a KMS key, absent.
VAULT_CONTEXT: Mapping[str, str | None] = {"aws:SecureTransport": "true", "kms:CallerAccount": None}


def kms_context(action: str) -> dict[str, str | None]:
    """What IAM knows when an account uses a key through AWS Backup (or the service it drives).

    `kms:GrantIsForAWSResource` is in the request of the grant operations only (true: AWS Backup
    creates grants for AWS resources) and *absent* from every other one. `kms:ViaService` is left
    unknown: copies reach KMS through `backup.`, but also `ec2.` (EBS, EC2), `rds.`, ... so a
    grant limited to one service is not proof, and a `Deny` on it may apply.
    """
    grant = action.lower() in GRANT_ACTIONS
    return {"aws:SecureTransport": "true", "kms:GrantIsForAWSResource": "true" if grant else None}


def _document(props: Mapping[str, Any], subject: str) -> tuple[iam.PolicyDocument | None, str]:
    """Parse the `policy` property; (None, message) when it is missing or not a policy."""
    raw = known(props.get("policy"), ["policy"])
    if raw is None or raw == "":
        return None, f"{subject} has no policy document"
    try:
        return iam.parse_policy(raw, require_resource=True), ""
    except iam.PolicyDocumentError as e:
        return None, f"{subject} is not a valid policy: {e}"


def _partition(resource: str) -> str | None:
    arn = parse_arn(resource)
    return arn.partition if arn else None


def _grants(
    props: Mapping[str, Any],
    *,
    subject: str,
    accounts: Sequence[str],
    actions: Sequence[str],
    resource: str = "*",
    context: Callable[[str], Mapping[str, str | None]],
    org_id: str | None = None,
    literal_actions_only: bool = False,
    self_resource: bool = False,
) -> list[str]:
    doc, error = _document(props, subject)
    if doc is None:
        return [error]
    out = []
    for account in sorted(set(accounts)):
        missing = []
        for action in actions:
            d = iam.evaluate(
                doc,
                principal_account=account,
                action=action,
                resource=resource,
                context=context(action),
                org_id=org_id,
                partition=_partition(resource),
                literal_actions_only=literal_actions_only,
                self_resource=self_resource,
            )
            if not d.allowed:
                missing.append((action, d))
        if missing:
            names = ", ".join(a for a, _ in missing)
            reasons = "; ".join(dict.fromkeys(_why(d) for _, d in missing))
            out.append(f"{subject} does not let {account} {names}: {reasons}")
    return out


def _why(d: iam.Decision) -> str:
    # "Not proof" only where the answer depends on the request itself (source IP, VPC
    # endpoint, kms:ViaService, ...); everything else the evaluator decided, and says so.
    if d.request_keys:
        return f"{d.reason} (not proof)"
    return d.reason


# ----------------------------------------------------------------------------------------------
# Cross-account grants (mandatory)


def vault_policy_grants_source(
    props: Mapping[str, Any],
    *,
    subject: str,
    source_accounts: Sequence[str],
    vault_arn: str = "*",
    org_id: str | None = None,
) -> list[str]:
    """A vault receiving copies: its access policy must let every source account copy into it.

    `props` are an `aws:backup/vaultPolicy:VaultPolicy`'s (`policy`, `backupVaultName`). Only an
    `Allow` naming `backup:CopyIntoBackupVault` literally counts: AWS Backup rejects a vault
    access policy with a wildcard action or `NotAction`.
    """
    return _grants(
        props,
        subject=subject,
        accounts=source_accounts,
        actions=(COPY_ACTION,),
        resource=vault_arn,
        context=lambda _action: VAULT_CONTEXT,
        org_id=org_id,
        literal_actions_only=True,
        # A vault access policy governs its own vault only (its ARN is the only Resource that
        # can match a request on that vault).
        self_resource=True,
    )


def vault_key_policy_grants_source(
    props: Mapping[str, Any],
    *,
    subject: str,
    source_accounts: Sequence[str],
    key_arn: str = "*",
    org_id: str | None = None,
) -> list[str]:
    """The key of a vault receiving copies must let every source account use it.

    `props` are an `aws:kms/key:Key`'s (`policy`); `key_arn` its ARN, or the glob of the ARNs it
    may have (`arn:aws:kms:REGION:ACCOUNT:key/*`) when unknown (preview).
    """
    return _grants(
        props,
        subject=subject,
        accounts=source_accounts,
        actions=DESTINATION_KEY_ACTIONS,
        resource=key_arn,
        context=kms_context,
        org_id=org_id,
        self_resource=True,
    )


def source_key_policy_grants_backup(
    props: Mapping[str, Any],
    *,
    subject: str,
    backup_accounts: Sequence[str],
    key_arn: str = "*",
    org_id: str | None = None,
) -> list[str]:
    """The source vault's key must let every backup account use it (copies of resources that AWS
    Backup encrypts with the vault key: S3, EFS, DynamoDB advanced backup, ...). `key_arn` as
    for `vault_key_policy_grants_source`."""
    return _grants(
        props,
        subject=subject,
        accounts=backup_accounts,
        actions=SOURCE_KEY_ACTIONS,
        resource=key_arn,
        context=kms_context,
        org_id=org_id,
        self_resource=True,
    )


# ----------------------------------------------------------------------------------------------
# Policy shapes (mandatory)


def no_wildcard_principal(props: Mapping[str, Any], *, subject: str) -> list[str]:
    """No `Allow` to any principal (`*`, `{"AWS": "*"}`, `NotPrincipal`) without an account or
    organization condition (`aws:PrincipalAccount`, `aws:PrincipalOrgID`, `kms:CallerAccount`,
    ...)."""
    doc, error = _document(props, subject)
    if doc is None:
        return [error]
    return [
        f"{subject}: statement '{label}' lets any principal in without an account or "
        "organization condition (aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount)"
        for label in iam.wildcard_principal_statements(doc)
    ]


def vault_policy_no_wildcard_actions(props: Mapping[str, Any], *, subject: str) -> list[str]:
    """Vault access policies take no wildcard actions (AWS rejects them), nor `NotAction`."""
    doc, error = _document(props, subject)
    if doc is None:
        return [error]
    return [
        f"{subject}: statement '{label}' uses the wildcard action {action!r}; AWS Backup vault "
        "policies need explicit actions such as backup:CopyIntoBackupVault"
        for label, action in iam.actions_with_wildcards(doc)
    ]


# ----------------------------------------------------------------------------------------------
# Plans (mandatory)


def _rules(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    rules = known(props.get("rules"), ["rules"]) or []
    out = []
    for i, rule in enumerate(rules):
        rule = known(rule, ["rules", str(i)])
        if not isinstance(rule, Mapping):
            raise ValueError(f"rules[{i}] is not an object: {rule!r}")
        name = rule.get("ruleName")
        out.append(
            (name if isinstance(name, str) and not is_unknown(name) else f"rules[{i}]", rule)
        )
    return out


def _copy_actions(rule: Mapping[str, Any], path: list[str]) -> list[Mapping[str, Any]]:
    actions = known(rule.get("copyActions"), [*path, "copyActions"]) or []
    out = []
    for i, a in enumerate(actions):
        a = known(a, [*path, "copyActions", str(i)])
        if not isinstance(a, Mapping):
            raise ValueError(f"{'.'.join(path)}.copyActions[{i}] is not an object: {a!r}")
        out.append(a)
    return out


def copy_destination_cross_account(
    props: Mapping[str, Any],
    *,
    subject: str,
    plan_account: str | None,
    source_accounts: Sequence[str] = (),
    backup_accounts: Sequence[str] = (),
) -> list[str]:
    """Every copy action goes to a vault in another account (a configured backup account when
    given), never to the `Default` vault (its key `aws/backup` can't be shared); and the plan
    copies somewhere at all."""
    out = []
    home = {a for a in (plan_account, *source_accounts) if a}
    any_copy = False
    for i, (rule_name, rule) in enumerate(_rules(props)):
        for j, action in enumerate(_copy_actions(rule, ["rules", str(i)])):
            any_copy = True
            raw = known(
                action.get("destinationVaultArn"),
                ["rules", str(i), "copyActions", str(j), "destinationVaultArn"],
            )
            arn = parse_arn(raw)
            where = f"{subject} rule '{rule_name}' copies to {raw!r}"
            if (
                arn is None
                or arn.service != "backup"
                or not arn.resource.startswith("backup-vault:")
            ):
                out.append(f"{where}, which is not a backup vault ARN")
                continue
            name = arn.resource.split(":", 1)[1]
            if name.lower() == "default":
                out.append(
                    f"{where}: the Default vault can't receive cross-account copies (its key "
                    "aws/backup can't be shared); copy to a vault on a customer managed key"
                )
            if arn.account in home:
                out.append(
                    f"{where}: account {arn.account} is the source account; copies must leave it"
                )
            elif backup_accounts and arn.account not in backup_accounts:
                out.append(
                    f"{where}: account {arn.account} is not a backup account "
                    f"({', '.join(backup_accounts)})"
                )
    if not any_copy:
        out.append(f"{subject} has no copy action: no backup leaves account {plan_account or '?'}")
    if source_accounts and plan_account and plan_account not in source_accounts:
        # The grants are judged for the configured sources: a plan elsewhere would copy from an
        # account no vault or key policy was checked for.
        out.append(
            f"{subject} is in account {plan_account}, which is not a configured source account "
            f"({', '.join(source_accounts)}): its copies' grants were not checked"
        )
    return out


def lifecycles_valid(props: Mapping[str, Any], *, subject: str) -> list[str]:
    """Deletion >= cold storage + 90 days on rules and copy actions; every copy action has a
    lifecycle with `deleteAfter` (otherwise the copy is kept for ever)."""
    out = []

    def check(lifecycle: Any, where: str) -> None:
        if not hasattr(lifecycle, "get"):
            return
        delete = as_number(lifecycle.get("deleteAfter"))
        cold = as_number(lifecycle.get("coldStorageAfter"))
        if delete is not None and delete < 1:
            out.append(f"{where}: deleteAfter {delete:g} is below 1 day")
        if delete is not None and cold is not None and delete < cold + COLD_TO_DELETE_MIN_DAYS:
            out.append(
                f"{where}: deleteAfter {delete:g} days is less than coldStorageAfter {cold:g} "
                f"+ {COLD_TO_DELETE_MIN_DAYS} = {cold + COLD_TO_DELETE_MIN_DAYS:g} days"
            )

    for i, (rule_name, rule) in enumerate(_rules(props)):
        check(rule.get("lifecycle"), f"{subject} rule '{rule_name}' lifecycle")
        for action in _copy_actions(rule, ["rules", str(i)]):
            # Named by rule and destination, not by index: a user knows "the monthly copy to
            # the backup account", not "copy action 0".
            where = f"{subject} rule '{rule_name}' copy to {action.get('destinationVaultArn')!r}"
            lifecycle = action.get("lifecycle")
            if is_unknown(lifecycle):
                continue
            if (
                not isinstance(lifecycle, Mapping)
                or as_number(lifecycle.get("deleteAfter")) is None
            ):
                if isinstance(lifecycle, Mapping) and is_unknown(lifecycle.get("deleteAfter")):
                    continue
                out.append(f"{where} has no lifecycle deleteAfter: the copy would be kept for ever")
                continue
            check(lifecycle, f"{where} lifecycle")
    return out


def min_retention(props: Mapping[str, Any], *, subject: str, min_days: float) -> list[str]:
    """Backups and copies are kept at least `min_days` (advisory; AWS Config's default is 35)."""
    out = []
    for i, (rule_name, rule) in enumerate(_rules(props)):
        lifecycle = rule.get("lifecycle")
        delete = as_number(lifecycle.get("deleteAfter")) if isinstance(lifecycle, Mapping) else None
        if delete is not None and delete < min_days:
            out.append(
                f"{subject} rule '{rule_name}' keeps backups {delete:g} days, "
                f"less than {min_days:g}"
            )
        for action in _copy_actions(rule, ["rules", str(i)]):
            lifecycle = action.get("lifecycle")
            delete = (
                as_number(lifecycle.get("deleteAfter")) if isinstance(lifecycle, Mapping) else None
            )
            if delete is not None and delete < min_days:
                out.append(
                    f"{subject} rule '{rule_name}' copy to {action.get('destinationVaultArn')!r} "
                    f"keeps copies {delete:g} days, less than {min_days:g}"
                )
    return out


# ----------------------------------------------------------------------------------------------
# Vaults and keys


AWS_MANAGED_BACKUP_KEY_HINTS = ("alias/aws/",)


def vault_customer_managed_key(props: Mapping[str, Any], *, subject: str) -> list[str]:
    """A vault receiving copies is encrypted with a customer managed key (the copy is
    re-encrypted with the destination vault's key, which must be shareable). An unknown
    `kmsKeyArn` (preview) is an output of a key the stack creates: accepted."""
    arn = props.get("kmsKeyArn")
    if arn is None or arn == "":
        return [
            f"{subject} has no kmsKeyArn: it would use the AWS managed key aws/backup, which "
            "can't encrypt cross-account copies"
        ]
    if is_unknown(arn):
        return []
    if any(h in str(arn) for h in AWS_MANAGED_BACKUP_KEY_HINTS):
        return [
            f"{subject} uses the AWS managed key {arn!r}, which can't encrypt cross-account "
            "copies; use a customer managed key"
        ]
    return []


def lock_mode_ok(props: Mapping[str, Any], *, subject: str, require_compliance: bool) -> list[str]:
    """A vault lock in compliance mode when required (`changeableForDays` set = compliance)."""
    if not require_compliance:
        return []
    days = props.get("changeableForDays")
    if days is None:
        return [
            f"{subject} is in governance mode (no changeableForDays): anyone allowed "
            "backup:DeleteBackupVaultLockConfiguration can remove it; compliance mode is required"
        ]
    return []


def deletion_protected(
    props: Mapping[str, Any], *, subject: str, protect: bool, kind: str
) -> list[str]:
    """The vault / key has `protect` set; a vault is not `forceDestroy`; a key keeps the longest
    deletion window. (`retainOnDelete` is not sent to analyzers, so it can't be checked.)"""
    out = []
    if not protect:
        out.append(f"{subject} is not protected from deletion: set the `protect` resource option")
    if kind == "vault" and get(props, "forceDestroy", False) is True:
        out.append(f"{subject} has forceDestroy: deleting it would delete every recovery point")
    if kind == "key":
        window = as_number(props.get("deletionWindowInDays"))
        if window is not None and window < 30:
            out.append(
                f"{subject} has a deletion window of {window:g} days; 30 gives the most time "
                "to cancel a deletion"
            )
    return out


def key_rotation(props: Mapping[str, Any], *, subject: str) -> list[str]:
    """A symmetric customer managed key rotates its material yearly (`enableKeyRotation`)."""
    spec = get(props, "customerMasterKeySpec", None) or get(props, "keySpec", None)
    if isinstance(spec, str) and not is_unknown(spec) and spec != "SYMMETRIC_DEFAULT":
        return []
    if get(props, "enableKeyRotation", False) is not True:
        return [f"{subject} does not rotate its key material: set enableKeyRotation"]
    return []
