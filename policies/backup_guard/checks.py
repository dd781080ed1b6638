"""The checks of the grant and vault policies, Pulumi-free: config helpers, then one pair of
functions per policy -- `*_resource(res, config)` for `Analyze` (each resource alone, when the
policy config names the accounts) and `*_stack(topo, config)` for `AnalyzeStack` (accounts
inferred from the stack). `pack.py` wires them to pulumi-policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import rules
from .iam.conditions import OrgId
from .topology import KEY, VAULT, VAULT_LOCK, VAULT_POLICY, Topology, vault_name
from .values import Resource, is_unknown, key_arn, vault_arn

Config = Mapping[str, Any]
ResourceCheck = Callable[[Resource, Config], Iterable[str]]
StackCheck = Callable[[Topology, Config], Iterable[tuple[str, str]]]  # (message, urn)

# --------------------------------------------------------------------------------------------
# Config

_ACCOUNT_LIST = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[0-9]{12}$"},
    "uniqueItems": True,
}
ACCOUNTS_SCHEMA: dict[str, dict[str, Any]] = {
    "sourceAccountIds": {
        **_ACCOUNT_LIST,
        "description": "Accounts whose backups are copied (12-digit strings). Absent: inferred "
        "from the stack.",
    },
    "backupAccountIds": {
        **_ACCOUNT_LIST,
        "description": "Accounts that store the copies (12-digit strings). Absent: inferred.",
    },
    "organizationId": {
        "type": "string",
        "pattern": "^o-[a-z0-9]{10,32}$",
        "description": "The AWS Organization of the accounts (o-...): decides equality "
        "conditions on aws:PrincipalOrgID and aws:PrincipalOrgPaths. Absent: such a condition "
        "is reported as needing it.",
    },
    "organizationPaths": {
        "type": "array",
        "items": {
            "type": "string",
            "pattern": "^o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}(/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})*/?$",
        },
        "description": "The organizational unit paths every source account is under (their "
        "aws:PrincipalOrgPaths start with one of them), from the stack's organization.paths: "
        "decides aws:PrincipalOrgPaths conditions with organizationId. Absent: only the "
        "organization's root is known.",
    },
}


def config_accounts(config: Config, key: str) -> list[str]:
    value = config.get(key) or []
    return [str(v) for v in value]


def org(config: Config) -> str | None:
    """`organizationId`, carrying `organizationPaths` (an `OrgId`) when those are set."""
    org = config.get("organizationId")
    if not org:
        return None
    return OrgId(str(org), [str(p) for p in config.get("organizationPaths") or []])


def receiver_side(res: Resource, config: Config) -> bool:
    """With config: is `res` on the side that receives copies (the backup accounts)?"""
    sources, backups = (
        config_accounts(config, "sourceAccountIds"),
        config_accounts(config, "backupAccountIds"),
    )
    if res.account is None:
        return True
    if res.account in sources:
        return False
    return not backups or res.account in backups


def source_side(res: Resource, config: Config) -> bool:
    """With config: is `res` in a source account?"""
    sources, backups = (
        config_accounts(config, "sourceAccountIds"),
        config_accounts(config, "backupAccountIds"),
    )
    if res.account is None:
        return True
    if sources:
        return res.account in sources
    return res.account not in backups


def vault_arn_of_policy(res: Resource) -> str:
    """The ARN of the vault a vault policy governs; the glob of its shape when the name is not
    known (`arn:P:backup:R:A:backup-vault:*`), `"*"` when the account or region is not."""
    name = res.props.get("backupVaultName")
    if not (res.account and res.region):
        return "*"
    known = name if isinstance(name, str) and not is_unknown(name) else "*"
    return vault_arn(res.region, res.account, known)


def vault_arn_of(vault: Resource) -> str:
    """The ARN of a vault of the stack (or the glob of its shape, as above)."""
    name = vault_name(vault)
    if not (vault.account and vault.region):
        return "*"
    return vault_arn(vault.region, vault.account, name or "*")


def vault_label(res: Resource) -> str:
    name = res.props.get("backupVaultName")
    if isinstance(name, str) and not is_unknown(name):
        return f"vault policy `{res.name}` (vault {name!r})"
    return f"vault policy `{res.name}`"


# --------------------------------------------------------------------------------------------
# backup-vault-policy-grants-source


def grants_source_resource(res: Resource, config: Config) -> list[str]:
    sources = config_accounts(config, "sourceAccountIds")
    if res.type != VAULT_POLICY or not sources or not receiver_side(res, config):
        return []
    return rules.vault_policy_grants_source(
        res.props,
        subject=vault_label(res),
        source_accounts=sources,
        vault_arn=vault_arn_of_policy(res),
        org_id=org(config),
    )


def _vaults_without_policy(
    topo: Topology, config: Config, on_side: Callable[[Resource, Config], bool]
) -> list[Resource]:
    """With config: the vaults of a known account on `on_side` that have no vault access policy.
    The policies themselves were judged per resource (`Analyze`); only a missing one is left,
    and a vault without one lets no other account copy into it."""
    return [
        vault
        for vault in topo.vaults
        if vault.account is not None
        and on_side(vault, config)
        and not topo.attached(vault, VAULT_POLICY)
    ]


def grants_source_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    configured = config_accounts(config, "sourceAccountIds")
    out: list[tuple[str, str]] = []
    if configured:
        return [
            (
                f"vault `{vault.name}` in backup account {vault.account} has no vault access "
                f"policy: copies from {', '.join(configured)} would fail with AccessDenied",
                vault.urn,
            )
            for vault in _vaults_without_policy(topo, config, receiver_side)
        ]
    for vault in topo.receivers():
        sources = sorted(topo.sources_of[vault.urn])
        policies = topo.attached(vault, VAULT_POLICY)
        if not policies:
            out.append(
                (
                    f"vault `{vault.name}` receives copies from {', '.join(sources)} but has no "
                    "vault access policy: every copy job would fail with AccessDenied",
                    vault.urn,
                )
            )
        for p in policies:
            out.extend(
                (m, p.urn)
                for m in rules.vault_policy_grants_source(
                    p.props,
                    subject=f"vault policy of `{vault.name}`",
                    source_accounts=sources,
                    vault_arn=vault_arn_of(vault),
                    org_id=org(config),
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# backup-vault-key-policy-grants-source and backup-source-vault-key-grants-backup


def _key_grant_checks(
    rule: Callable[..., list[str]],
    *,
    accounts_key: str,
    on_side: Callable[[Resource, Config], bool],
    vaults: Callable[[Topology], list[Resource]],
    accounts_of: Callable[[Topology], Mapping[str, set[str]]],
) -> tuple[ResourceCheck, StackCheck]:
    """The two halves of a key-policy grant policy.

    With `accounts_key` configured, each key on its side is judged on its own (`Analyze`);
    without, the key of each vault of the stack, for the accounts inferred for that vault
    (`AnalyzeStack`). `rule(props, accounts=..., subject=..., key_arn=..., org_id=...)`.
    """

    def resource_check(res: Resource, config: Config) -> list[str]:
        accounts = config_accounts(config, accounts_key)
        if res.type != KEY or not accounts or not on_side(res, config):
            return []
        return rule(
            res.props,
            accounts=accounts,
            subject=f"key policy of `{res.name}`",
            key_arn=key_arn(res),
            org_id=org(config),
        )

    def stack_check(topo: Topology, config: Config) -> list[tuple[str, str]]:
        if config_accounts(config, accounts_key):
            return []
        out: list[tuple[str, str]] = []
        for vault in vaults(topo):
            key = topo.key_of(vault)
            if key is None:
                continue  # no key of this stack: backup-copy-vault-customer-managed-key speaks
            out.extend(
                (m, key.urn)
                for m in rule(
                    key.props,
                    accounts=sorted(accounts_of(topo)[vault.urn]),
                    subject=f"key policy of `{key.name}` (key of vault `{vault.name}`)",
                    key_arn=key_arn(key),
                    org_id=org(config),
                )
            )
        return out

    return resource_check, stack_check


key_grants_source_resource, key_grants_source_stack = _key_grant_checks(
    lambda props, accounts, **kw: rules.vault_key_policy_grants_source(
        props, source_accounts=accounts, **kw
    ),
    accounts_key="sourceAccountIds",
    on_side=receiver_side,
    vaults=Topology.receivers,
    accounts_of=lambda topo: topo.sources_of,
)
source_key_resource, source_key_stack = _key_grant_checks(
    lambda props, accounts, **kw: rules.source_key_policy_grants_backup(
        props, backup_accounts=accounts, **kw
    ),
    accounts_key="backupAccountIds",
    on_side=source_side,
    vaults=Topology.source_vaults,
    accounts_of=lambda topo: topo.backups_of,
)


# --------------------------------------------------------------------------------------------
# backup-source-vault-accepts-copy-back


def copy_back_resource(res: Resource, config: Config) -> list[str]:
    backups = config_accounts(config, "backupAccountIds")
    if res.type != VAULT_POLICY or not backups or res.account is None:
        return []
    if not source_side(res, config):
        return []
    return [
        f"{m}: restoring a copy needs it copied back into this vault first"
        for m in rules.vault_policy_grants_source(
            res.props,
            subject=vault_label(res),
            source_accounts=backups,
            vault_arn=vault_arn_of_policy(res),
            org_id=org(config),
        )
    ]


def copy_back_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    configured = config_accounts(config, "backupAccountIds")
    out: list[tuple[str, str]] = []
    if configured:
        return [
            (
                f"source vault `{vault.name}` in source account {vault.account} has no vault "
                f"access policy: {', '.join(configured)} can't copy a recovery point back for a "
                "restore",
                vault.urn,
            )
            for vault in _vaults_without_policy(topo, config, source_side)
        ]
    for vault in topo.source_vaults():
        backups = sorted(topo.backups_of[vault.urn])
        policies = topo.attached(vault, VAULT_POLICY)
        if not policies:
            out.append(
                (
                    f"source vault `{vault.name}` has no vault access policy: "
                    f"{', '.join(backups)} can't copy a recovery point back for a restore",
                    vault.urn,
                )
            )
        for p in policies:
            out.extend(
                (f"{m}: restoring a copy needs it copied back into this vault first", p.urn)
                for m in rules.vault_policy_grants_source(
                    p.props,
                    subject=f"vault policy of `{vault.name}`",
                    source_accounts=backups,
                    vault_arn=vault_arn_of(vault),
                    org_id=org(config),
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# backup-copy-vault-customer-managed-key


def cmk_resource(res: Resource, config: Config) -> list[str]:
    configured = config_accounts(config, "sourceAccountIds") or config_accounts(
        config, "backupAccountIds"
    )
    if res.type != VAULT or not configured or not receiver_side(res, config):
        return []
    return rules.vault_customer_managed_key(res.props, subject=f"vault `{res.name}`")


def cmk_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    if config_accounts(config, "sourceAccountIds") or config_accounts(config, "backupAccountIds"):
        return []
    out: list[tuple[str, str]] = []
    # An air-gapped vault is encrypted with an AWS-owned key (or one AWS checks at creation):
    # no customer managed key of the stack to prove (issue 14).
    for vault in (v for v in topo.receivers() if v.type == VAULT):
        out.extend(
            (
                f"{m} (it receives copies from {', '.join(sorted(topo.sources_of[vault.urn]))})",
                vault.urn,
            )
            for m in rules.vault_customer_managed_key(vault.props, subject=f"vault `{vault.name}`")
        )
    return out


# --------------------------------------------------------------------------------------------
# backup-vault-locked


def lock_resource(res: Resource, config: Config) -> list[str]:
    if res.type != VAULT_LOCK:
        return []
    return rules.lock_mode_ok(
        res.props,
        subject=f"vault lock `{res.name}`",
        require_compliance=bool(config.get("requireComplianceMode", False)),
    )


def lock_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    if config_accounts(config, "sourceAccountIds") or config_accounts(config, "backupAccountIds"):
        vaults = [v for v in topo.vaults if v.account is not None and receiver_side(v, config)]
    else:
        vaults = topo.receivers()
    return [
        (
            f"vault `{v.name}` stores copies but has no vault lock: an administrator of its "
            "account (or an attacker with those rights) can delete every copy",
            v.urn,
        )
        for v in vaults
        if not topo.locks_of(v)
    ]
