"""The stack configuration as a typed, frozen model, validated before anything is registered.

`parse_settings` takes the decoded values of the `cross-account-backup:*` config keys and returns a
`StackSettings`, or raises `ConfigError` naming the offending key, the value and what would be
valid. Nothing here imports Pulumi: the offline preview, the policy config tool and the live
verification parse the same stack files with the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from components.settings.accounts import (  # noqa: F401 (re-exported)
    RESERVED_ROLE_PATH,
    AccountSettings,
    _partition_of,
    parse_account,
    vault_arn,
)
from components.settings.base import (  # noqa: F401 (re-exported)
    _ACCOUNT_ID,
    _CRON,
    _EMAIL,
    _EXTERNAL_ID,
    _MISSING,
    _RATE,
    _REGION,
    _ROLE_ARN,
    _SESSION_NAME,
    _TAG_KEY,
    COLD_STORAGE_MIN_DAYS,
    KNOWN_KEYS,
    LOCK_MIN_CHANGEABLE_DAYS,
    MIN_COMPLETION_WINDOW_MINUTES,
    MIN_INTERVAL_MINUTES,
    MIN_START_WINDOW_MINUTES,
    NAMESPACE,
    ConfigError,
    T,
    _bool,
    _int,
    _Missing,
    _object,
    _optional_int,
    _reject_unknown,
    _str,
    is_near_miss_namespace,
)
from components.settings.lock import (  # noqa: F401 (re-exported)
    VaultLockSettings,
    _lock_date,
    parse_vault_lock,
)
from components.settings.plan import (  # noqa: F401 (re-exported)
    _RULE_NAME,
    CONTINUOUS_MAX_RETENTION_DAYS,
    MANAGEMENT_TYPES,
    PLAN_WIDE_KEYS,
    PROGRAM_RECOVERY_POINT_TAG,
    RULE_KEYS,
    SINGLE_RULE_KEYS,
    SINGLE_RULE_NAME,
    PlanSettings,
    RegionSettingsConfig,
    RuleSettings,
    _check_lifecycle,
    _parse_plan_wide,
    _parse_rule,
    _parse_rules_plan,
    _recovery_point_tags,
    _replace_plan,
    _schedule,
    _timezone,
    parse_plan,
    parse_single_rule_plan,
)
from components.settings.selection import (  # noqa: F401 (re-exported)
    _SELECTION_ARN,
    SelectionSettings,
    SelectionTag,
    _arn_list,
    parse_selection,
    parse_selection_tag,
    parse_tag,
)

if TYPE_CHECKING:
    from components.recovery_config import RecoverySettings
    from components.sources_config import OrganizationSettings, SourceSettings


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    """Everything the program needs, validated. Names and ARNs derive from it."""

    project: str
    stack: str
    source: AccountSettings
    backup: AccountSettings
    management: AccountSettings | None
    plan: PlanSettings
    selection_tag: SelectionTag
    vault_lock: VaultLockSettings | None
    notification_email: str | None
    recovery: RecoverySettings | None = None
    """The backup vault's type, restore tests, audit; None only where a caller builds settings
    by hand (`parse_settings` always sets it)."""
    selection: SelectionSettings | None = None
    """`selection` (the richer form); None: the single `selectionTag`."""
    sources: tuple[SourceSettings, ...] = ()
    """Issue 12: every source account with its own plan and selection, in the order configured.
    `source`, `plan`, `selection_tag` and `selection` are the first one's. Empty only where a
    caller builds settings by hand: `all_sources` then stands for `source`."""
    many_sources: bool = False
    """True with `sourceAccounts` (the list form): resources of a source are named after its
    account id. False with `sourceAccount`: the names of a single-source stack, unchanged."""
    organization: OrganizationSettings | None = None
    """`organization`: the backup vault and key grant by organization instead of by account."""

    @property
    def all_sources(self) -> tuple[SourceSettings, ...]:
        if self.sources:
            return self.sources
        from components.sources_config import SourceSettings

        return (
            SourceSettings(
                account=self.source,
                plan=self.plan,
                selection_tag=self.selection_tag,
                selection=self.selection,
                config_key="sourceAccount",
            ),
        )

    @property
    def source_accounts(self) -> tuple[AccountSettings, ...]:
        return tuple(source.account for source in self.all_sources)

    def for_source(self, source: SourceSettings) -> StackSettings:
        """These settings seen from one source: its account, plan and selection."""
        return replace(
            self,
            source=source.account,
            plan=source.plan,
            selection_tag=source.selection_tag,
            selection=source.selection,
        )

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    @property
    def backup_vault_name(self) -> str:
        """The vault in the backup account that receives the copies."""
        return f"{self.name_prefix}-copies"

    @property
    def source_vault_name(self) -> str:
        """The local vault in the source account (never `Default`: its key can't be shared)."""
        return f"{self.name_prefix}-local"

    @property
    def backup_vault_arn(self) -> str:
        return vault_arn(self.backup, self.backup_vault_name)

    @property
    def source_vault_arn(self) -> str:
        return vault_arn(self.source, self.source_vault_name)

    @property
    def cross_region(self) -> bool:
        return any(a.region != self.backup.region for a in self.source_accounts)


def parse_settings(raw: Mapping[str, Any], *, project: str, stack: str) -> StackSettings:
    """Validate the decoded config values (keys without namespace) into `StackSettings`."""
    for key in raw:
        if key not in KNOWN_KEYS:
            raise ConfigError(key, raw[key], f"unknown key; valid keys: {', '.join(KNOWN_KEYS)}")
    from components.sources_config import (
        parse_organization,
        parse_sources,
        refuse_both_forms,
    )

    refuse_both_forms(raw)
    many = raw.get("sourceAccounts") is not None
    if not many and raw.get("sourceAccount") is None:
        # Pulumi.yaml declares neither key (either may be the one set): the program says it.
        raise ConfigError(
            "sourceAccount",
            _MISSING,
            "required: an object {accountId, roleArn, region[, externalId, sessionName]}, or "
            "sourceAccounts: a list of such objects (many workload accounts)",
        )
    source = (
        None
        if many
        else parse_account("sourceAccount", raw.get("sourceAccount"), service_linked_role=True)
    )
    backup = parse_account(
        "backupAccount",
        raw.get("backupAccount", _MISSING),
        service_linked_role=True,
        deny_exception=True,
        extra_keys=("vault",),
    )
    management = parse_account("managementAccount", raw.get("managementAccount"), required=False)
    assert backup is not None
    if source is not None and source.account_id == backup.account_id:
        raise ConfigError(
            "backupAccount.accountId",
            backup.account_id,
            "must differ from sourceAccount.accountId: copies in the same account do not "
            "survive the loss of that account",
        )
    if source is not None and source.partition != backup.partition:
        raise ConfigError(
            "backupAccount.roleArn",
            backup.role_arn,
            f"must be in the source account's partition ({source.partition}): AWS Backup does "
            "not copy across partitions",
        )
    if management is not None and management.account_id == backup.account_id:
        raise ConfigError(
            "managementAccount.accountId",
            management.account_id,
            "must differ from backupAccount.accountId: the backup account must be isolated, and "
            "the management account is the one every administrator reaches",
        )
    plan = parse_plan(raw.get("backupPlan"))
    selection = parse_selection(raw.get("selection"))
    # Pulumi.yaml declares selectionTag with the default Backup = Yes, so the program always
    # receives one: only a value other than that default counts as set.
    if (
        selection is not None
        and raw.get("selectionTag") is not None
        and parse_selection_tag(raw.get("selectionTag")) != SelectionTag()
    ):
        raise ConfigError(
            "selectionTag",
            raw.get("selectionTag"),
            "can't be combined with selection (one of the two would be ignored); put the tag "
            "into selection.tags",
        )
    selection_tag = (
        selection.tags[0]
        if selection is not None and selection.tags
        else parse_selection_tag(raw.get("selectionTag"))
    )
    sources = (
        parse_sources(
            raw, backup=backup, plan=plan, selection_tag=selection_tag, selection=selection
        )
        if many
        else ()
    )
    if sources:
        # Each source's plan with its own selection; `plan` etc. are the first source's.
        sources = tuple(
            replace(s, plan=_resolve_region_settings(s.plan, s.selection)) for s in sources
        )
        source = sources[0].account
        plan, selection_tag, selection = (
            sources[0].plan,
            sources[0].selection_tag,
            sources[0].selection,
        )
    else:
        plan = _resolve_region_settings(plan, selection)
    assert source is not None
    vault_lock = parse_vault_lock(raw.get("vaultLock"))
    plans = _plans_to_check(raw, sources, plan)
    if vault_lock is not None:
        for prefix, checked in plans:
            _under(prefix, _check_rules_within_lock, checked, vault_lock)
    # The backup vault's type, restore tests, audit (components.recovery_config, which imports
    # this module: imported here, not at the top).
    from components.recovery_config import parse_recovery

    backup_raw = raw.get("backupAccount")
    vault_value = backup_raw.get("vault") if isinstance(backup_raw, Mapping) else None
    for prefix, checked in plans[1:]:
        _under(
            prefix,
            lambda p: parse_recovery(raw, vault_value=vault_value, plan=p, vault_lock=vault_lock),
            checked,
        )
    recovery = _under(
        plans[0][0],
        lambda p: parse_recovery(raw, vault_value=vault_value, plan=p, vault_lock=vault_lock),
        plans[0][1],
    )
    email = raw.get("notificationEmail")
    if email is not None:
        email = _str(
            "notificationEmail", email, _EMAIL, "must be an e-mail address (or leave the key unset)"
        )
    project_and_stack = f"{project}-{stack}"
    # Vault names: 2-50 characters of letters, digits and hyphens.
    if not re.fullmatch(r"[A-Za-z0-9-_]{1,43}", project_and_stack):
        raise ConfigError(
            "(stack name)",
            stack,
            "the stack name must keep '<project>-<stack>' within 43 letters, digits, '-' or '_' "
            "(it names the vaults)",
        )
    return StackSettings(
        project=project,
        stack=stack,
        source=source,
        backup=backup,
        management=management,
        plan=plan,
        selection_tag=selection_tag,
        vault_lock=vault_lock,
        notification_email=email,
        recovery=recovery,
        selection=selection,
        sources=sources,
        many_sources=many,
        organization=parse_organization(raw.get("organization")),
    )


def _plans_to_check(
    raw: Mapping[str, Any], sources: tuple[SourceSettings, ...], plan: PlanSettings
) -> list[tuple[str | None, PlanSettings]]:
    """The plans to check against the vault's bounds, each with the key prefix of its refusals:
    the stack's `backupPlan` (None: unprefixed) once, and each source's own `backupPlan`
    (`sourceAccounts[i]`)."""
    if not sources:
        return [(None, plan)]
    entries = raw.get("sourceAccounts") or []
    plans: list[tuple[str | None, PlanSettings]] = []
    for source, entry in zip(sources, entries, strict=True):
        own = isinstance(entry, Mapping) and "backupPlan" in entry
        prefix = source.config_key if own else None
        if own or all(p is not None for p, _ in plans):
            plans.append((prefix, source.plan))
    return plans


def _under(prefix: str | None, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, a refusal of the plan named under `prefix` (`sourceAccounts[1].backupPlan`).

    Only the plan's refusals (`backupPlan.…`) belong to the source: `parse_recovery` also refuses
    top-level keys (`vaultLock`, `backupAccount.vault`, `restoreTesting`), which keep their own
    name (there is no `sourceAccounts[1].vaultLock`)."""
    if prefix is None:
        return check(*args)
    try:
        return check(*args)
    except ConfigError as error:
        if not error.key.startswith("backupPlan."):
            raise
        raise ConfigError(f"{prefix}.{error.key}", error.value, error.valid) from error


def _check_rules_within_lock(plan: PlanSettings, lock: VaultLockSettings) -> None:
    """Every rule's copy retention within the backup vault's lock (PutBackupVaultLockConfiguration
    MinRetentionDays/MaxRetentionDays: outside it the vault fails the copy job)."""
    check_copy_retentions(
        plan,
        lock.min_retention_days,
        lock.max_retention_days,
        vault="the backup vault's lock",
        bounds="vaultLock.minRetentionDays..maxRetentionDays",
    )


def check_copy_retentions(
    plan: PlanSettings, low: int, high: int, *, vault: str, bounds: str
) -> None:
    """Every rule's copy retention within `low`..`high` days, the retention range of the copies'
    destination (`vault`, whose range is set by the keys `bounds`): AWS fails a copy job whose
    retention is outside it ("The retention specified in the job is not within the range
    specified for the target Backup Vault")."""
    for i, rule in enumerate(plan.effective_rules):
        if low <= rule.copy_retention_days <= high:
            continue
        key = (
            f"backupPlan.rules[{i}].copyRetentionDays"
            if plan.rules
            else "backupPlan.copyRetentionDays"
        )
        raise ConfigError(
            key,
            rule.copy_retention_days,
            f"{vault} accepts retentions between {low} and {high} days ({bounds}); outside it "
            "every copy job fails",
        )


def _resolve_region_settings(
    plan: PlanSettings, selection: SelectionSettings | None
) -> PlanSettings:
    """DynamoDB advanced backup on when the selection may include DynamoDB tables (unless the
    config says otherwise): without it a DynamoDB backup can't be copied to another account
    (AWS Backup guide, "Advanced DynamoDB backup": cross-account copy is one of its features)."""
    region = plan.region_settings
    if region is None or region.dynamodb_advanced_backup is not None:
        return plan
    may = True if selection is None else selection.may_include("dynamodb")
    return _replace_plan(
        plan,
        region_settings=RegionSettingsConfig(opt_in=region.opt_in, dynamodb_advanced_backup=may),
    )
