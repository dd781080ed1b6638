"""Checks of where a plan's copies go and whether they can get there, Pulumi-free (see
`checks.py` for the resource/stack convention).

- `backup-copy-destination-known` (mandatory): a copy destination must be a vault this stack
  builds, in that vault's account *and region*, or be listed in the policy config
  `externalCopyDestinations` (a vault managed elsewhere: its grants are then that stack's
  business); it must be in the plan's partition (partitions are separate: AWS General Reference,
  "Amazon Resource Names (ARNs)", partition). Otherwise no vault or key grant was checked for it,
  and a vault that is not there fails every copy job.
- `backup-copy-retention-within-vault-lock` (mandatory): a copy's (or a backup's) retention
  inside the destination vault's lock range. PutBackupVaultLockConfiguration, MinRetentionDays:
  "If the job's retention period is shorter than that minimum retention period, then the vault
  fails that backup or copy job"; MaxRetentionDays likewise for longer. A retention unknown
  during preview is not judged: it is no "for ever" (the update judges the value).
- `backup-copy-cross-region-and-account` (advisory): AWS Backup, "Copy a backup"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html):
  "For Amazon RDS and Aurora snapshots, AWS Backup only supports automating either
  cross-account or cross-Region copies ... (copying a Multi-AZ DB cluster snapshot is not
  supported)". The plan is legal; the copies of those types fail.
- `backup-copy-cold-storage-closes-copy-back` (advisory): same page, "backups in cold storage
  or archive tiers cannot be copied": a copy that moves to cold storage can't be copied back
  into the source account, the documented way to restore it there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .checks import Config
from .topology import PLAN, CopyDestination, Topology, retention_unknown, vault_name
from .values import Resource, as_number, get, is_unknown, parse_arn, partition_of_region

COPY_DOC = "https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html"
LOCK_DOC = "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html"
# Resource types that AWS Backup copies cross-account or cross-Region, not both in one job
# ("Copy a backup"; "Feature availability by resource").
NOT_BOTH_TYPES = "Amazon RDS and Aurora snapshots"

EXTERNAL_SCHEMA: dict[str, Any] = {
    "externalCopyDestinations": {
        "type": "array",
        "items": {
            "type": "string",
            "pattern": "^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:.+$",
        },
        "uniqueItems": True,
        "description": "Vault ARNs that copies may go to although this stack does not build "
        "them (vaults managed elsewhere, whose grants that stack checks).",
    },
}


def _where(copy: CopyDestination) -> str:
    return f"plan `{copy.plan.name}` rule '{copy.rule_name}' copies to {copy.arn}"


def _external(config: Config) -> set[str]:
    return {str(a) for a in config.get("externalCopyDestinations") or []}


# --------------------------------------------------------------------------------------------
# backup-copy-destination-known


def _copy_actions(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(rule name, copy action) of a plan's known rules; unknown parts are skipped (the
    mandatory plan policies report unknowns)."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    rules = props.get("rules")
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        return out
    for i, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            continue
        name = str(get(rule, "ruleName", f"rules[{i}]"))
        actions = rule.get("copyActions")
        if isinstance(actions, Sequence) and not isinstance(actions, str):
            out.extend((name, a) for a in actions if isinstance(a, Mapping))
    return out


def destination_partition(res: Resource, config: Config) -> list[str]:
    """A plan alone: each copy destination in the partition of the plan's region."""
    if res.type != PLAN or res.region is None:
        return []
    home = partition_of_region(res.region)
    out = []
    for rule_name, action in _copy_actions(res.props):
        arn = parse_arn(action.get("destinationVaultArn"))
        if arn is not None and arn.partition != home:
            out.append(
                f"plan `{res.name}` rule '{rule_name}' copies to {action['destinationVaultArn']}, "
                f"in partition {arn.partition}, but the plan runs in {res.region} (partition "
                f"{home}): AWS partitions are separate, no copy crosses them"
            )
    return out


def destination_known(topo: Topology, config: Config) -> list[tuple[str, str]]:
    """Each copy lands in a vault of this stack (its account and region), or is listed in
    `externalCopyDestinations`."""
    external = _external(config)
    out: list[tuple[str, str]] = []
    for copy in topo.copies:
        if copy.arn is None or copy.vault_name is None or copy.arn in external:
            continue  # not a vault ARN / Default: backup-copy-destination-cross-account speaks
        if copy.vault_name.lower() == "default":
            continue
        home = partition_of_region(copy.source_region) if copy.source_region else None
        if home is not None and copy.partition != home:
            continue  # reported per resource by destination_partition
        if topo.destination_vaults(copy):
            continue
        elsewhere = sorted(
            {
                v.region
                for v in topo.vaults
                if vault_name(v) == copy.vault_name
                and v.account == copy.account
                and v.region is not None
                and v.region != copy.region
            }
        )
        if elsewhere:
            msg = (
                f"{_where(copy)}, but this stack builds vault '{copy.vault_name}' of account "
                f"{copy.account} in {', '.join(elsewhere)}, not in {copy.region}: the copy job "
                "fails (no such vault in that region)"
            )
        else:
            msg = (
                f"{_where(copy)}, a vault this stack does not build: none of its grants were "
                "checked and nothing here makes sure it exists. Build it in this stack, or list "
                "its ARN in the policy config externalCopyDestinations if it is managed elsewhere"
            )
        out.append((msg, copy.plan.urn))
    return out


# --------------------------------------------------------------------------------------------
# backup-copy-retention-within-vault-lock


def _lock_range(lock: Resource) -> tuple[float | None, float | None]:
    return as_number(lock.props.get("minRetentionDays")), as_number(
        lock.props.get("maxRetentionDays")
    )


def _outside(
    what: str, keeps: float | None, vault: Resource, lock: Resource, urn: str
) -> list[tuple[str, str]]:
    low, high = _lock_range(lock)
    lock_name = (
        f"vault `{vault.name}` (lock `{lock.name}`)"
        if lock is not vault
        else f"logically air-gapped vault `{vault.name}` (its built-in compliance lock)"
    )
    if keeps is None:
        if high is None:
            return []
        return [
            (
                f"{what} keeps recovery points for ever in {lock_name}, whose maxRetentionDays "
                f"is {high:g}: the vault fails that job (PutBackupVaultLockConfiguration, "
                f"{LOCK_DOC})",
                urn,
            )
        ]
    if low is not None and keeps < low:
        return [
            (
                f"{what} keeps recovery points {keeps:g} days in {lock_name}, whose "
                f"minRetentionDays is {low:g}: \"if the job's retention period is shorter than "
                'that minimum retention period, then the vault fails that backup or copy job" '
                f"(PutBackupVaultLockConfiguration, {LOCK_DOC})",
                urn,
            )
        ]
    if high is not None and keeps > high:
        return [
            (
                f"{what} keeps recovery points {keeps:g} days in {lock_name}, whose "
                f"maxRetentionDays is {high:g}: the vault fails a job whose retention is longer "
                f"than that maximum (PutBackupVaultLockConfiguration, {LOCK_DOC})",
                urn,
            )
        ]
    return []


def retention_within_lock(topo: Topology, config: Config) -> list[tuple[str, str]]:
    """Copies into a locked vault of the stack, and backups into a locked source vault, keep
    their recovery points within the lock's min/max."""
    out: list[tuple[str, str]] = []
    for copy in topo.copies:
        if copy.retention_unknown:
            continue
        for vault in topo.destination_vaults(copy):
            for lock in topo.locks_of(vault):
                what = f"plan `{copy.plan.name}` rule '{copy.rule_name}' copy to {copy.arn}"
                out.extend(_outside(what, copy.delete_after, vault, lock, copy.plan.urn))
    for plan in (r for r in topo.resources if r.type == PLAN):
        rules = plan.props.get("rules")
        if not isinstance(rules, Sequence) or isinstance(rules, str):
            continue
        for i, rule in enumerate(rules):
            if not isinstance(rule, Mapping):
                continue
            target = rule.get("targetVaultName")
            if not isinstance(target, str) or is_unknown(target):
                continue
            lifecycle = rule.get("lifecycle")
            if retention_unknown(lifecycle):
                continue
            keeps = (
                as_number(lifecycle.get("deleteAfter")) if isinstance(lifecycle, Mapping) else None
            )
            name = get(rule, "ruleName", f"rules[{i}]")
            for vault in topo.vaults:
                if vault_name(vault) != target or (
                    vault.account is not None and vault.account != plan.account
                ):
                    continue
                for lock in topo.locks_of(vault):
                    out.extend(
                        _outside(f"plan `{plan.name}` rule '{name}'", keeps, vault, lock, plan.urn)
                    )
    return out


# --------------------------------------------------------------------------------------------
# backup-copy-cross-region-and-account, backup-copy-cold-storage-closes-copy-back


def cross_region_and_account(res: Resource, config: Config) -> list[str]:
    """A copy into another account *and* another region in one job."""
    if res.type != PLAN or res.account is None or res.region is None:
        return []
    out = []
    for rule_name, action in _copy_actions(res.props):
        arn = parse_arn(action.get("destinationVaultArn"))
        if arn is None or arn.account == res.account or arn.region == res.region:
            continue
        out.append(
            f"plan `{res.name}` rule '{rule_name}' copies from {res.account} in {res.region} to "
            f"{arn.account} in {arn.region}: cross-account and cross-Region in one copy job. "
            f"AWS Backup does that for most resource types, but for {NOT_BOTH_TYPES} only one "
            "or the other (and Multi-AZ DB cluster snapshots not at all): copies of such "
            "resources selected by this plan fail. Keep those in a plan that copies to the "
            f"backup account's region of the source, or copy in two steps (AWS Backup, "
            f'"Copy a backup", {COPY_DOC})'
        )
    return out


def cold_storage_copy_back(res: Resource, config: Config) -> list[str]:
    """A copy that moves to cold storage can't be copied back for a restore."""
    if res.type != PLAN:
        return []
    out = []
    for rule_name, action in _copy_actions(res.props):
        lifecycle = action.get("lifecycle")
        cold = (
            as_number(lifecycle.get("coldStorageAfter")) if isinstance(lifecycle, Mapping) else None
        )
        if cold is None:
            continue
        out.append(
            f"plan `{res.name}` rule '{rule_name}' moves its copies in "
            f"{action.get('destinationVaultArn')} to cold storage after {cold:g} days: "
            '"backups in cold storage or archive tiers cannot be copied" (AWS Backup, "Copy a '
            f'backup", {COPY_DOC}), so from day {cold:g} a copy can no longer be copied back '
            "into the source account, the only way to restore it there (there is no "
            "cross-account restore)"
        )
    return out
