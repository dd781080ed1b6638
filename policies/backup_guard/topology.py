"""Inference: who copies into which vault, which key encrypts which vault (no policy config).

From the resources of one stack (`AnalyzeStack`):

- the account of a plan = the account its provider is pinned to (`allowedAccountIds`);
- a plan's copy actions name their destination by `destinationVaultArn`
  (`arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME`, a plain string the program computes);
- a vault of the stack matches that ARN by its `name` and its provider's account and region;
- the *source accounts* of a vault = the accounts of the plans copying into it, its own excepted;
- a vault policy / lock configuration belongs to the vault its `backupVaultName` depends on
  (`propertyDependencies`), or else to the vault of that name in the same account;
- a vault's key = the `aws:kms/key:Key` its `kmsKeyArn` depends on (`propertyDependencies`:
  the key ARN is unknown during preview), or else the key whose known `arn` equals `kmsKeyArn`;
- a *source vault* = a vault that a plan rule backs up into (`targetVaultName`) when that rule
  copies to another account; the destination accounts are its *backup accounts*.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .values import Resource, as_number, get, is_unknown, parse_arn

VAULT = "aws:backup/vault:Vault"
#: A logically air-gapped vault (issue 14): AWS-owned key (no key policy of the stack to prove),
#: locked in compliance mode by AWS with its own `minRetentionDays`/`maxRetentionDays`.
LAG_VAULT = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_TYPES = (VAULT, LAG_VAULT)
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
KEY = "aws:kms/key:Key"


@dataclass(frozen=True)
class CopyDestination:
    """One copy action of a plan rule."""

    plan: Resource
    rule_name: str
    source_account: str | None
    source_region: str | None
    target_vault_name: str | None  # the rule's own (source) vault
    arn: str | None  # destinationVaultArn, None when unknown
    region: str | None
    account: str | None
    vault_name: str | None
    partition: str | None = None  # of destinationVaultArn
    delete_after: float | None = None  # the copy's lifecycle, days (None: kept for ever)
    cold_after: float | None = None
    index: int = 0  # position of the copy action in its rule
    retention_unknown: bool = False  # its lifecycle or deleteAfter unknown during preview


@dataclass
class Topology:
    """What the stack says about copies, vaults, their policies, locks and keys."""

    resources: list[Resource]
    vaults: list[Resource] = field(default_factory=list)
    copies: list[CopyDestination] = field(default_factory=list)
    sources_of: dict[str, set[str]] = field(default_factory=dict)  # vault urn -> accounts
    backups_of: dict[str, set[str]] = field(default_factory=dict)  # source vault urn -> accounts
    by_urn: dict[str, Resource] = field(default_factory=dict)
    # Indexes (built by `build`): a stack of N source accounts has N+1 vaults and N plans, and
    # a scan of every vault per copy made the stack checks quadratic (bench/preview_scale.py).
    vaults_by_name: dict[str | None, list[Resource]] = field(default_factory=dict)
    # The vaults of each account (None: provider not pinned), in stack order: `_rule_vaults`
    # looked at every vault for every copy (quadratic in the sources, bench/preview_scale.py).
    vaults_by_account: dict[str | None, list[tuple[int, Resource]]] = field(default_factory=dict)
    by_type: dict[str, list[Resource]] = field(default_factory=dict)

    def receivers(self) -> list[Resource]:
        """Vaults of the stack that receive copies from another account."""
        return [v for v in self.vaults if self.sources_of.get(v.urn)]

    def source_vaults(self) -> list[Resource]:
        """Vaults of the stack whose backups are copied to another account."""
        return [v for v in self.vaults if self.backups_of.get(v.urn)]

    def attached(self, vault: Resource, type_: str) -> list[Resource]:
        """Vault policies / lock configurations of `vault`."""
        out = []
        candidates = (
            self.by_type.get(type_, [])
            if self.by_type
            else [r for r in self.resources if r.type == type_]
        )
        for r in candidates:
            deps = r.property_dependencies.get("backupVaultName") or ()
            if vault.urn and vault.urn in deps:
                out.append(r)
                continue
            name = r.props.get("backupVaultName")
            if (
                not deps
                and isinstance(name, str)
                and not is_unknown(name)
                and name == vault_name(vault)
                and (r.account is None or vault.account is None or r.account == vault.account)
            ):
                out.append(r)
        return out

    def locks_of(self, vault: Resource) -> list[Resource]:
        """What bounds the retention of `vault`: its lock configurations, or the air-gapped
        vault itself (its min/max are the built-in compliance lock)."""
        return [*self.attached(vault, VAULT_LOCK), *([vault] if vault.type == LAG_VAULT else [])]

    def key_of(self, vault: Resource) -> Resource | None:
        """The KMS key resource of the stack that encrypts `vault`, if any."""
        for urn in vault.property_dependencies.get("kmsKeyArn") or ():
            r = self.by_urn.get(urn)
            if r is not None and r.type == KEY:
                return r
        arn = vault.props.get("kmsKeyArn")
        if isinstance(arn, str) and not is_unknown(arn):
            for r in self.resources:
                if r.type == KEY and arn in (r.props.get("arn"), r.props.get("keyId")):
                    return r
        return None

    def destination_vaults(self, copy: CopyDestination) -> list[Resource]:
        """The vaults of the stack a copy lands in: same name, account and region."""
        candidates = (
            self.vaults_by_name.get(copy.vault_name, []) if self.vaults_by_name else self.vaults
        )
        return [v for v in candidates if _receives(v, copy)]

    def rule_vaults(self, copy: CopyDestination) -> list[Resource]:
        """The vault the copy's rule backs up into (its source vault)."""
        return _rule_vaults(self, copy)


def _receives(vault: Resource, copy: CopyDestination) -> bool:
    if copy.vault_name is None or vault_name(vault) != copy.vault_name:
        return False
    if vault.account is not None and copy.account != vault.account:
        return False
    return vault.region is None or copy.region == vault.region


def vault_name(vault: Resource) -> str | None:
    """The vault's physical name (`name` input), None when unknown/absent."""
    name = vault.props.get("name")
    return name if isinstance(name, str) and not is_unknown(name) else None


def retention_unknown(lifecycle: Any) -> bool:
    """A `lifecycle`, or its `deleteAfter`, unknown during preview (computed from an output): the
    retention is neither a number nor "for ever" yet, so it is not judged (`up` judges it)."""
    return is_unknown(lifecycle) or (
        isinstance(lifecycle, Mapping) and is_unknown(lifecycle.get("deleteAfter"))
    )


def _copies(plan: Resource) -> Iterable[CopyDestination]:
    rules = plan.props.get("rules")
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        return
    for i, rule in enumerate(rules):
        if not hasattr(rule, "get"):
            continue
        rule_name = get(rule, "ruleName", f"rules[{i}]")
        target = rule.get("targetVaultName")
        target = target if isinstance(target, str) and not is_unknown(target) else None
        actions = rule.get("copyActions")
        if not isinstance(actions, Sequence) or isinstance(actions, str):
            continue
        for j, action in enumerate(actions):
            if not hasattr(action, "get"):
                continue
            raw_lifecycle = action.get("lifecycle")
            lifecycle = raw_lifecycle if hasattr(raw_lifecycle, "get") else {}
            raw = action.get("destinationVaultArn")
            arn = parse_arn(raw)
            name = None
            if arn and arn.resource.startswith("backup-vault:"):
                name = arn.resource.split(":", 1)[1]
            yield CopyDestination(
                plan=plan,
                rule_name=str(rule_name),
                source_account=plan.account,
                source_region=plan.region,
                target_vault_name=target,
                arn=raw if arn else None,
                region=arn.region if arn else None,
                account=arn.account if arn else None,
                vault_name=name,
                partition=arn.partition if arn else None,
                delete_after=as_number(lifecycle.get("deleteAfter")),
                cold_after=as_number(lifecycle.get("coldStorageAfter")),
                index=j,
                retention_unknown=retention_unknown(raw_lifecycle),
            )


def _rule_vaults(topo: Topology, copy: CopyDestination) -> list[Resource]:
    """The vault a rule backs up into: by `targetVaultName`, or (name unknown during preview)
    the vaults of the plan's account that the plan's `rules` depend on."""
    if topo.vaults_by_account:
        # The vaults of no known account and those of the plan's account, in stack order.
        own = topo.vaults_by_account.get(copy.source_account, []) if copy.source_account else []
        # (position, vault) pairs: the positions are unique, so pairs compare by them alone.
        merged = heapq.merge(topo.vaults_by_account.get(None, []), own)
        same_account = [v for _, v in merged]
    else:
        same_account = [
            v for v in topo.vaults if v.account is None or v.account == copy.source_account
        ]
    if copy.target_vault_name:
        return [v for v in same_account if vault_name(v) == copy.target_vault_name]
    deps = set(copy.plan.property_dependencies.get("rules") or ())
    return [v for v in same_account if v.urn in deps]


def build(resources: Iterable[Resource]) -> Topology:
    """Index the stack's resources and infer the copy relations."""
    resources = list(resources)
    topo = Topology(resources=resources, by_urn={r.urn: r for r in resources if r.urn})
    topo.vaults = [r for r in resources if r.type in VAULT_TYPES]
    for r in resources:
        topo.by_type.setdefault(r.type, []).append(r)
    for i, v in enumerate(topo.vaults):
        topo.vaults_by_name.setdefault(vault_name(v), []).append(v)
        topo.vaults_by_account.setdefault(v.account, []).append((i, v))
    for plan in (r for r in resources if r.type == PLAN):
        topo.copies.extend(_copies(plan))
    for copy in topo.copies:
        for vault in topo.destination_vaults(copy):
            if copy.source_account and copy.source_account != copy.account:
                topo.sources_of.setdefault(vault.urn, set()).add(copy.source_account)
        # The rule's own vault is the source vault of the copy.
        if copy.account and copy.source_account and copy.account != copy.source_account:
            for vault in _rule_vaults(topo, copy):
                topo.backups_of.setdefault(vault.urn, set()).add(copy.account)
    return topo
