"""`--diagram`: a Mermaid flowchart of the accounts (subgraphs), vaults, keys, the copy flow into
the backup account and the way back, and the management account when there is one."""

from __future__ import annotations

import re
from typing import Any

from tools.preview.engine import UNKNOWN, OfflineRun, Registration

# The model the three views share (the text view's module).
from tools.preview.render import (
    _as_list,
    _lifecycle,
    _principals,
    _statements,
    group_by_account,
)


def _mid(urn: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", urn.split("::")[-1])


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def _vault_arn(vault: Registration) -> str | None:
    name = vault.inputs.get("name")
    if not isinstance(name, str) or name == UNKNOWN:
        return None
    return f"arn:aws:backup:{vault.region}:{vault.account_id}:backup-vault:{name}"


def _grants_copy(policy_text: Any, account: str | None) -> bool:
    if account is None:
        return False
    for s in _statements(policy_text):
        if s.get("Effect") != "Allow":
            continue
        actions = _as_list(s.get("Action"))
        if not any(a in ("backup:CopyIntoBackupVault", "backup:*", "*") for a in actions):
            continue
        if any(p == "*" or account in p for p in _principals(s)):
            return True
    return False


def render_mermaid(run: OfflineRun) -> str:
    """A flowchart: one subgraph per account; vaults, keys, plans; copy flow and the way back."""
    by_urn = {r.urn: r for r in run.resources}
    out = ["flowchart LR"]
    vaults = [r for r in run.resources if r.type == "aws:backup/vault:Vault"]
    edges: list[str] = []
    for account in group_by_account(run):
        if not account.key:
            continue
        sid = "acct_" + re.sub(r"\W", "_", f"{account.provider_name}")
        out.append(f'  subgraph {sid}["{_label(account.title)}"]')
        out.append("    direction TB")
        shown = 0
        for r in account.resources:
            mid = _mid(r.urn)
            if r.type == "aws:backup/vault:Vault":
                out.append(f'    {mid}[("vault {_label(str(r.inputs.get("name", r.name)))}")]')
            elif r.type == "aws:kms/key:Key":
                out.append(f'    {mid}{{{{"KMS key {_label(r.name)}"}}}}')
            elif r.type == "aws:backup/plan:Plan":
                schedules = ", ".join(
                    str(rule.get("schedule", "")) for rule in r.inputs.get("rules") or []
                )
                plan_name = _label(str(r.inputs.get("name", r.name)))
                out.append(f'    {mid}["plan {plan_name}<br/>{_label(schedules)}"]')
            elif r.type == "aws:backup/selection:Selection":
                tags = ", ".join(
                    f"{c.get('key')}={c.get('value')}" for c in r.inputs.get("selectionTags") or []
                ) or " and ".join(  # `conditions` (ANDed): the `selection` key's tags
                    f"{str(c.get('key')).removeprefix('aws:ResourceTag/')}={c.get('value')}"
                    for block in r.inputs.get("conditions") or []
                    for c in block.get("stringEquals") or []
                )
                out.append(f'    {mid}["selection: resources tagged {_label(tags)}"]')
            elif r.type == "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
                mode = (
                    "compliance" if r.inputs.get("changeableForDays") is not None else "governance"
                )
                out.append(f'    {mid}>"vault lock: {mode}"]')
            elif r.type == "aws:backup/globalSettings:GlobalSettings":
                out.append(f'    {mid}["organization: cross-account backup enabled"]')
            else:
                continue
            shown += 1
            for prop, deps in r.property_dependencies.items():
                for dep in deps:
                    d = by_urn.get(dep)
                    if d is None:
                        continue
                    if r.type == "aws:backup/vault:Vault" and d.type == "aws:kms/key:Key":
                        edges.append(f"  {_mid(d.urn)} -. encrypts .-> {mid}")
                    elif r.type == "aws:backup/selection:Selection" and prop == "planId":
                        edges.append(f"  {mid} --> {_mid(d.urn)}")
        if shown == 0:
            out.append(f'    {sid}_empty["(no backup resources)"]')
        out.append("  end")
    for r in run.resources:
        if r.type == "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
            target = next(
                (
                    v
                    for v in vaults
                    if v.inputs.get("name") == r.inputs.get("backupVaultName")
                    and v.provider_urn == r.provider_urn
                ),
                None,
            )
            if target:
                edges.append(f"  {_mid(r.urn)} -.- {_mid(target.urn)}")
    # Backups and copies, from the plan rules.
    by_arn = {a: v for v in vaults if (a := _vault_arn(v))}
    for plan in run.of_type("aws:backup/plan:Plan"):
        for rule in plan.inputs.get("rules") or []:
            local = next(
                (
                    v
                    for v in vaults
                    if v.inputs.get("name") == rule.get("targetVaultName")
                    and v.provider_urn == plan.provider_urn
                ),
                None,
            )
            if local:
                schedule = _label(str(rule.get("schedule", "")))
                edges.append(f'  {_mid(plan.urn)} -- "backup {schedule}" --> {_mid(local.urn)}')
            for copy in rule.get("copyActions") or []:
                dest = by_arn.get(str(copy.get("destinationVaultArn")))
                if local and dest:
                    keep = _lifecycle(copy.get("lifecycle"))
                    edges.append(
                        f'  {_mid(local.urn)} == "copy: {_label(keep)}" ==> {_mid(dest.urn)}'
                    )
                    # The way back: a restore starts with a copy into the source vault.
                    back = [
                        p
                        for p in run.of_type("aws:backup/vaultPolicy:VaultPolicy")
                        if p.inputs.get("backupVaultName") == local.inputs.get("name")
                        and p.provider_urn == local.provider_urn
                    ]
                    if any(_grants_copy(p.inputs.get("policy"), dest.account_id) for p in back):
                        edges.append(
                            f'  {_mid(dest.urn)} -. "copy back to restore" .-> {_mid(local.urn)}'
                        )
    out.extend(edges)
    return "\n".join(out) + "\n"
