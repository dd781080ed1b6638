"""The checks of plans, vault policies' shapes, and vault/key hygiene, Pulumi-free (see
`checks.py` for the resource/stack convention)."""

from __future__ import annotations

from . import rules
from .checks import Config, config_accounts, vault_label
from .topology import KEY, LAG_VAULT, PLAN, VAULT, VAULT_POLICY
from .values import Resource

# --------------------------------------------------------------------------------------------
# Per-resource policies


def open_principal(res: Resource, config: Config) -> list[str]:
    if res.type == VAULT_POLICY:
        return rules.no_wildcard_principal(res.props, subject=vault_label(res))
    if res.type == KEY:
        return rules.no_wildcard_principal(res.props, subject=f"key policy of `{res.name}`")
    return []


def copy_destination(res: Resource, config: Config) -> list[str]:
    if res.type != PLAN:
        return []
    return rules.copy_destination_cross_account(
        res.props,
        subject=f"plan `{res.name}`",
        plan_account=res.account,
        source_accounts=config_accounts(config, "sourceAccountIds"),
        backup_accounts=config_accounts(config, "backupAccountIds"),
    )


def lifecycle(res: Resource, config: Config) -> list[str]:
    if res.type != PLAN:
        return []
    return rules.lifecycles_valid(res.props, subject=f"plan `{res.name}`")


def vault_wildcard_actions(res: Resource, config: Config) -> list[str]:
    if res.type != VAULT_POLICY:
        return []
    return rules.vault_policy_no_wildcard_actions(res.props, subject=vault_label(res))


DEFAULT_MIN_RETENTION_DAYS = 35


def min_retention(res: Resource, config: Config) -> list[str]:
    if res.type != PLAN:
        return []
    days = config.get("minRetentionDays", DEFAULT_MIN_RETENTION_DAYS)
    return rules.min_retention(res.props, subject=f"plan `{res.name}`", min_days=float(days))


def deletion_protected(res: Resource, config: Config) -> list[str]:
    if res.type not in (VAULT, LAG_VAULT, KEY):
        return []
    backups = config_accounts(config, "backupAccountIds")
    if backups and res.account is not None and res.account not in backups:
        return []
    kind = "key" if res.type == KEY else "vault"
    label = f"vault `{res.name}`" if kind == "vault" else f"key `{res.name}`"
    return rules.deletion_protected(res.props, subject=label, protect=res.protect, kind=kind)


def rotation(res: Resource, config: Config) -> list[str]:
    if res.type != KEY:
        return []
    return rules.key_rotation(res.props, subject=f"key `{res.name}`")
