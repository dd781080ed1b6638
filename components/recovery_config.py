"""Config of the backup account as a recovery site (issue 14), validated before registration.

Three optional parts, each off unless configured:

- `backupAccount.vault` -- `{type: standard}` (the default: a vault on the backup account's
  customer managed key) or `{type: logicallyAirGapped, minRetentionDays, maxRetentionDays,
  shareWith?: [accountId]}`: a logically air-gapped vault (AWS-owned key, compliance-mode
  retention bounds built in), optionally shared through AWS RAM with recovery accounts.
- `restoreTesting` -- `{schedule: cron(...), resourceTypes: [...], scheduleTimezone?,
  startWindowHours?, validationWindowHours?, selectionWindowDays?}`: a restore testing plan over
  the copies in the backup vault.
- `backupAudit` -- `{reportFormats?: [CSV|JSON]}`: Backup Audit Manager frameworks in the source
  and backup accounts and a report plan delivering to a bucket of the backup account.

Nothing here imports Pulumi (the offline tools parse the same files with the same rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from components.config import (
    _ACCOUNT_ID,
    ConfigError,
    PlanSettings,
    VaultLockSettings,
    _int,
    _reject_unknown,
    _schedule,
    _timezone,
    check_copy_retentions,
)

#: CreateLogicallyAirGappedBackupVault, MinRetentionDays: "The minimum value accepted is 7
#: days" (AWS Backup API reference). MaxRetentionDays has no documented bound below the vault
#: lock's 36500 days (PutBackupVaultLockConfiguration, MaxRetentionDays).
AIR_GAPPED_MIN_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 36500

#: Resource types restore testing supports (AWS Backup developer guide, "Restore testing",
#: supported resource types; the `ProtectedResourceType` of CreateRestoreTestingSelection).
RESTORE_TEST_RESOURCE_TYPES = (
    "Aurora",
    "DocumentDB",
    "DynamoDB",
    "EBS",
    "EC2",
    "EFS",
    "FSx",
    "Neptune",
    "RDS",
    "S3",
)
#: CreateRestoreTestingPlan: StartWindowHours 1-168 (default 24); CreateRestoreTestingSelection:
#: ValidationWindowHours 0-168 (API reference of each).
MAX_WINDOW_HOURS = 168
#: RestoreTestingRecoveryPointSelection.SelectionWindowDays: 1-365 (default 30).
MAX_SELECTION_WINDOW_DAYS = 365

#: ReportDeliveryChannel.Formats: "CSV", "JSON" (API ReportDeliveryChannel).
REPORT_FORMATS = ("CSV", "JSON")


@dataclass(frozen=True, kw_only=True)
class BackupVaultSettings:
    """`backupAccount.vault`: which kind of vault receives the copies."""

    type: Literal["standard", "logicallyAirGapped"] = "standard"
    min_retention_days: int | None = None
    """Air-gapped only: the vault's built-in compliance-mode minimum retention."""
    max_retention_days: int | None = None
    """Air-gapped only: the vault's built-in compliance-mode maximum retention."""
    share_with: tuple[str, ...] = ()
    """Air-gapped only: recovery accounts the vault is shared with through AWS RAM."""

    @property
    def air_gapped(self) -> bool:
        return self.type == "logicallyAirGapped"


@dataclass(frozen=True, kw_only=True)
class RestoreTestingSettings:
    """`restoreTesting`: scheduled restores of the copies in the backup vault."""

    schedule: str
    schedule_timezone: str | None = None
    resource_types: tuple[str, ...]
    start_window_hours: int = 24
    validation_window_hours: int | None = None
    selection_window_days: int = 30


@dataclass(frozen=True, kw_only=True)
class AuditSettings:
    """`backupAudit`: Backup Audit Manager frameworks and a report plan."""

    report_formats: tuple[str, ...] = ("CSV",)


@dataclass(frozen=True, kw_only=True)
class RecoverySettings:
    """Everything of issue 14, parsed and cross-checked against the plan and the lock."""

    vault: BackupVaultSettings = field(default_factory=BackupVaultSettings)
    restore_testing: RestoreTestingSettings | None = None
    audit: AuditSettings | None = None


def _mapping(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, "must be an object (a YAML mapping)")
    return value


def parse_backup_vault(value: Any) -> BackupVaultSettings:
    """`backupAccount.vault` (None: the standard vault)."""
    key = "backupAccount.vault"
    if value is None:
        return BackupVaultSettings()
    raw = _mapping(key, value)
    kind = raw.get("type", "standard")
    if kind == "standard":
        _reject_unknown(key, raw, ("type",))
        return BackupVaultSettings()
    if kind != "logicallyAirGapped":
        raise ConfigError(f"{key}.type", kind, "must be standard or logicallyAirGapped")
    if "encryptionKeyArn" in raw or "kmsKeyArn" in raw:
        name = "encryptionKeyArn" if "encryptionKeyArn" in raw else "kmsKeyArn"
        # The API takes EncryptionKeyArn now, but a customer managed key brings back the key
        # policy that the AWS-owned key removes from the trust chain (and its deletion as a way
        # to destroy the copies): this program keeps the AWS-owned key for this vault type.
        raise ConfigError(
            f"{key}.{name}",
            raw[name],
            "not supported: a logically air-gapped vault here is encrypted with the AWS-owned "
            "key AWS Backup manages (no key policy to get wrong, no key to schedule for "
            "deletion); remove the key, or use type: standard for a customer managed key",
        )
    _reject_unknown(key, raw, ("type", "minRetentionDays", "maxRetentionDays", "shareWith"))
    for bound in ("minRetentionDays", "maxRetentionDays"):
        if bound not in raw:
            raise ConfigError(
                f"{key}.{bound}",
                None,
                "required for a logically air-gapped vault: AWS locks it in compliance mode "
                "with these retention bounds (CreateLogicallyAirGappedBackupVault)",
            )
    low = _int(
        f"{key}.minRetentionDays",
        raw["minRetentionDays"],
        minimum=AIR_GAPPED_MIN_RETENTION_DAYS,
        maximum=MAX_RETENTION_DAYS,
    )
    high = _int(
        f"{key}.maxRetentionDays", raw["maxRetentionDays"], minimum=low, maximum=MAX_RETENTION_DAYS
    )
    share = raw.get("shareWith", [])
    if not isinstance(share, list) or not all(
        isinstance(a, str) and _ACCOUNT_ID.fullmatch(a) for a in share
    ):
        raise ConfigError(
            f"{key}.shareWith",
            share,
            'must be a list of quoted 12-digit account ids, e.g. ["333333333333"]',
        )
    if len(set(share)) != len(share):
        raise ConfigError(f"{key}.shareWith", share, "lists an account twice")
    return BackupVaultSettings(
        type="logicallyAirGapped",
        min_retention_days=low,
        max_retention_days=high,
        share_with=tuple(share),
    )


def parse_restore_testing(value: Any) -> RestoreTestingSettings | None:
    key = "restoreTesting"
    if value is None:
        return None
    raw = _mapping(key, value)
    _reject_unknown(
        key,
        raw,
        (
            "schedule",
            "scheduleTimezone",
            "resourceTypes",
            "startWindowHours",
            "validationWindowHours",
            "selectionWindowDays",
        ),
    )
    if "schedule" not in raw:
        raise ConfigError(f"{key}.schedule", None, "required: a cron(...) expression")
    schedule = _schedule(f"{key}.schedule", raw["schedule"])
    timezone = _timezone(f"{key}.scheduleTimezone", raw.get("scheduleTimezone"))
    types = raw.get("resourceTypes")
    valid_types = ", ".join(RESTORE_TEST_RESOURCE_TYPES)
    if not isinstance(types, list) or not types:
        raise ConfigError(
            f"{key}.resourceTypes", types, f"must be a non-empty list of: {valid_types}"
        )
    for item in types:
        if item not in RESTORE_TEST_RESOURCE_TYPES:
            raise ConfigError(f"{key}.resourceTypes", item, f"must be one of: {valid_types}")
    if len(set(types)) != len(types):
        raise ConfigError(f"{key}.resourceTypes", types, "lists a type twice")
    start = _int(
        f"{key}.startWindowHours",
        raw.get("startWindowHours", 24),
        minimum=1,
        maximum=MAX_WINDOW_HOURS,
    )
    validation = raw.get("validationWindowHours")
    if validation is not None:
        validation = _int(
            f"{key}.validationWindowHours", validation, minimum=0, maximum=MAX_WINDOW_HOURS
        )
    selection = _int(
        f"{key}.selectionWindowDays",
        raw.get("selectionWindowDays", 30),
        minimum=1,
        maximum=MAX_SELECTION_WINDOW_DAYS,
    )
    return RestoreTestingSettings(
        schedule=schedule,
        schedule_timezone=timezone,
        resource_types=tuple(types),
        start_window_hours=start,
        validation_window_hours=validation,
        selection_window_days=selection,
    )


def parse_audit(value: Any) -> AuditSettings | None:
    key = "backupAudit"
    if value is None:
        return None
    raw = _mapping(key, value)
    _reject_unknown(key, raw, ("reportFormats",))
    formats = raw.get("reportFormats", ["CSV"])
    if (
        not isinstance(formats, list)
        or not formats
        or any(f not in REPORT_FORMATS for f in formats)
        or len(set(formats)) != len(formats)
    ):
        raise ConfigError(
            f"{key}.reportFormats",
            formats,
            f"must be a non-empty list of {' and/or '.join(REPORT_FORMATS)}",
        )
    return AuditSettings(report_formats=tuple(formats))


def parse_recovery(
    raw: Mapping[str, Any],
    *,
    vault_value: Any,
    plan: PlanSettings,
    vault_lock: VaultLockSettings | None,
) -> RecoverySettings:
    """Parse and cross-check: the air-gapped vault's bounds must hold the copies, and its lock
    is built in (a `vaultLock` beside it is refused, not silently dropped)."""
    vault = parse_backup_vault(vault_value)
    if vault.air_gapped:
        if vault_lock is not None:
            raise ConfigError(
                "vaultLock",
                {"mode": vault_lock.mode},
                "must be unset with backupAccount.vault.type logicallyAirGapped: that vault is "
                "locked in compliance mode by AWS from its creation, with its own "
                "minRetentionDays/maxRetentionDays (set them under backupAccount.vault), "
                "and a second set of bounds would only let the two disagree",
            )
        assert vault.min_retention_days is not None and vault.max_retention_days is not None
        check_copy_retentions(
            plan,
            vault.min_retention_days,
            vault.max_retention_days,
            vault="the logically air-gapped vault",
            bounds="backupAccount.vault.minRetentionDays..maxRetentionDays",
        )
    return RecoverySettings(
        vault=vault,
        restore_testing=parse_restore_testing(raw.get("restoreTesting")),
        audit=parse_audit(raw.get("backupAudit")),
    )
