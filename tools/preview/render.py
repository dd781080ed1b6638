"""What `python -m tools.preview` shows: the text a `pulumi preview` reader expects (JSON and the
diagram are `json_output` and `mermaid`).

Pure functions from an `OfflineRun` (the program under mocks) and a `PolicyReport` (the pack's
verdicts) to strings. Nothing here runs the program or the pack, so every view is testable alone.

- `render_text`: resources as a tree grouped by account (the explicit provider each resource is
  deployed with), each with its type, name and the properties that matter for a backup (vault and
  its key, plan rules with schedule, lifecycle and copy targets, selection, lock); the policy
  documents in full with `show_policies`; the policy results grouped by policy, with their level;
  the stack outputs; a summary line with counts.
- `json_output.render_json`: the same facts for machines (`tools/preview/preview-schema.json`);
- `mermaid.render_mermaid`: a Mermaid flowchart of the accounts and the copy flow.

The model they share (`PolicyReport`, `Violation`, `group_by_account`, ...) is here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.preview.engine import UNKNOWN, OfflineRun, Registration, contains_unknown

#: The version of the `--json` document's shape; bumped on any incompatible change.
SCHEMA_VERSION = 1

_PROVIDER_PREFIX = "pulumi:providers:"
_POLICY_PROPERTIES = ("policy", "assumeRolePolicy")

MANDATORY = "mandatory"
ADVISORY = "advisory"
REMEDIATE = "remediate"
DISABLED = "disabled"


# --------------------------------------------------------------------------------------------
# Policy results, independent of how the pack was driven
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInfo:
    """One policy the pack declares."""

    name: str
    description: str
    enforcement_level: str


@dataclass(frozen=True)
class Violation:
    """One diagnostic the pack returned, from `Analyze` (a resource) or `AnalyzeStack`."""

    policy_name: str
    enforcement_level: str
    message: str
    description: str = ""
    urn: str = ""
    pack_name: str = ""
    pack_version: str = ""
    phase: str = "analyze"  # "analyze" or "analyzeStack"


@dataclass
class PolicyReport:
    """What the policy pack said about the stack."""

    pack_name: str
    pack_version: str
    pack_path: str
    config: dict[str, Any] = field(default_factory=dict)
    policies: list[PolicyInfo] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    analyzed_resources: int = 0

    def count(self, level: str) -> int:
        return sum(1 for v in self.violations if v.enforcement_level == level)

    @property
    def mandatory(self) -> int:
        return self.count(MANDATORY)


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------


@dataclass
class Account:
    """An explicit provider and the resources deployed with it."""

    key: str  # provider URN, or "" for resources with no explicit provider
    account_id: str | None
    region: str | None
    provider_name: str | None
    role: str | None  # "source", "backup", "management" (from the provider name), or None
    resources: list[Registration] = field(default_factory=list)

    @property
    def title(self) -> str:
        if not self.key:
            if all(not r.custom for r in self.resources):
                # Component resources only group the others: nothing of theirs reaches AWS.
                return "Components (group the resources above; nothing created in AWS)"
            # A custom resource without an explicit provider would need the default AWS
            # provider, which the program disables: `pulumi up` would refuse it.
            return "Without an explicit provider (the default AWS provider is disabled)"
        role = f"{self.role.capitalize()} account" if self.role else "Account"
        return f"{role} {self.account_id} ({self.region}) · provider {self.provider_name}"


def _role_of(provider_name: str) -> str | None:
    for role in ("source", "backup", "management"):
        if provider_name.startswith(role):
            return role
    return None


def group_by_account(run: OfflineRun) -> list[Account]:
    """Accounts in provider registration order; resources without one last."""
    accounts: dict[str, Account] = {}
    for r in run.resources:
        if r.is_provider:
            info = run.providers.get(r.urn)
            accounts[r.urn] = Account(
                key=r.urn,
                account_id=info.account_id if info else None,
                region=info.region if info else None,
                provider_name=r.name,
                role=_role_of(r.name),
            )
    orphans = Account(key="", account_id=None, region=None, provider_name=None, role=None)
    for r in run.resources:
        if r.is_provider:
            continue
        target = accounts.get(r.provider_urn) if r.provider else None
        (target or orphans).resources.append(r)
    ordered = list(accounts.values())
    if orphans.resources:
        ordered.append(orphans)
    for account in ordered:
        # Registration order depends on which output resolves first: sort, so that two previews
        # of the same stack print the same (and diff cleanly in CI logs).
        account.resources.sort(key=_display_key)
    return ordered


#: The order a reviewer reads a backup setup in: keys, vaults and their policies, the plan, the
#: role, notifications, organization settings; anything else after, by name.
_TYPE_ORDER = [
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:backup/vault:Vault",
    "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault",
    "aws:backup/vaultPolicy:VaultPolicy",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:backup/plan:Plan",
    "aws:backup/selection:Selection",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:backup/vaultNotifications:VaultNotifications",
    "aws:backup/globalSettings:GlobalSettings",
]


def _display_key(r: Registration) -> tuple[int, str, str]:
    rank = _TYPE_ORDER.index(r.type) if r.type in _TYPE_ORDER else len(_TYPE_ORDER)
    return rank, r.type, r.name


def display_order(run: OfflineRun) -> list[Registration]:
    """Every resource, stably: providers (registration order), then each account's resources."""
    providers = [r for r in run.resources if r.is_provider]
    return providers + [r for a in group_by_account(run) for r in a.resources]


# --------------------------------------------------------------------------------------------
# The properties that matter
# --------------------------------------------------------------------------------------------


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _days(value: Any) -> str:
    return f"{_num(value)} d"


class _Names:
    """Resolve an unknown property to the resource it comes from."""

    def __init__(self, run: OfflineRun) -> None:
        self.by_urn = {r.urn: r for r in run.resources}

    def source(self, r: Registration, prop: str) -> str:
        value = r.inputs.get(prop)
        deps = r.property_dependencies.get(prop, [])
        if value is None:
            return "-"
        if contains_unknown(value):
            names = [self.by_urn[u].name for u in deps if u in self.by_urn]
            return f"output of {', '.join(names)}" if names else "output<string>"
        return str(value)


def _statements(policy_text: Any) -> list[dict[str, Any]]:
    if not isinstance(policy_text, str) or policy_text == UNKNOWN:
        return []
    try:
        doc = json.loads(policy_text)
    except ValueError:
        return []
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)]


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal", statement.get("NotPrincipal"))
    if principal == "*":
        return ["*"]
    out: list[str] = []
    if isinstance(principal, dict):
        for kind, values in principal.items():
            for v in values if isinstance(values, list) else [values]:
                out.append(str(v) if kind == "AWS" else f"{kind}:{v}")
    return out


def _org_scope(statement: dict[str, Any]) -> str:
    """`(organization o-…, paths …)` for a grant scoped by aws:PrincipalOrgID/PrincipalOrgPaths
    (issue 12): without it a `*` principal would read as open to everyone."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return ""
    org, paths = [], []
    for block in condition.values():
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if key.lower() == "aws:principalorgid":
                org += _as_list(value)
            elif key.lower() == "aws:principalorgpaths":
                paths += _as_list(value)
    if not org and not paths:
        return ""
    parts = [f"organization {', '.join(org)}"] if org else []
    if paths:
        parts.append(f"paths {', '.join(paths)}")
    return f"({'; '.join(parts)})"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


#: AWS Backup's selection condition types, as a reader says them (API `Condition`/`ConditionType`:
#: STRINGEQUALS for `selectionTags`; StringLike/StringNotEquals/StringNotLike in `conditions`).
_CONDITION_WORDS = {
    "STRINGEQUALS": "=",
    "StringEquals": "=",
    "StringLike": "like",
    "StringNotEquals": "≠",
    "StringNotLike": "not like",
}


def _condition_word(condition_type: Any) -> str:
    return _CONDITION_WORDS.get(str(condition_type), str(condition_type))


def policy_summary(policy_text: Any) -> list[str]:
    """One line per statement: effect, sid, principals, actions."""
    if policy_text == UNKNOWN:
        return ["policy: output<string> (unknown until deployment: the pack can not judge it)"]
    lines = []
    for s in _statements(policy_text):
        # A statement without Sid shows none; one without Principal is an identity policy's
        # (a role's inline policy): it applies to whoever holds it.
        sid = f" {s['Sid']}" if s.get("Sid") else ""
        who = ", ".join(_principals(s)) or "the role"
        scope = _org_scope(s)
        if scope:
            who = f"{who} {scope}"
        acts = s.get("Action", s.get("NotAction"))
        verb = "every action except " if "NotAction" in s else ""
        listed = _as_list(acts)
        actions = ", ".join(listed[:5]) + (f", … (+{len(listed) - 5})" if len(listed) > 5 else "")
        lines.append(f"{s.get('Effect', '?')}{sid}: {who} → {verb}{actions}")
    return lines


def _account_of_arn(arn: Any) -> str:
    if isinstance(arn, str) and arn.startswith("arn:") and arn.count(":") >= 5:
        parts = arn.split(":", 6)
        tail = parts[6] if len(parts) > 6 else ""
        return f"{parts[4]} {parts[3]} {tail}".strip()
    return str(arn)


def resource_details(r: Registration, names: _Names) -> list[str]:
    """The few lines under a resource that a reviewer of a backup setup needs."""
    p = r.inputs
    t = r.type
    lines: list[str] = []
    if t.startswith(_PROVIDER_PREFIX):
        allowed = p.get("allowedAccountIds")
        if isinstance(allowed, str):
            with contextlib.suppress(ValueError):
                allowed = json.loads(allowed)
        roles = p.get("assumeRoles") or p.get("assumeRole")
        if isinstance(roles, str):
            try:
                roles = json.loads(roles)
            except ValueError:
                roles = None
        role_arns = [x.get("roleArn") for x in roles or [] if isinstance(x, dict)]
        lines.append(f"region {p.get('region', '-')}, allowed accounts {allowed or '-'}")
        if role_arns:
            lines.append(f"assumes {', '.join(str(a) for a in role_arns)}")
    elif t == "aws:kms/key:Key":
        rotation = "on" if p.get("enableKeyRotation") else "off"
        window = p.get("deletionWindowInDays")
        lines.append(
            f"customer managed key · rotation {rotation}"
            + (f" · deletion window {_days(window)}" if window is not None else "")
        )
        lines.extend(policy_summary(p.get("policy")))
    elif t == "aws:kms/alias:Alias":
        lines.append(f"{p.get('name', '-')} → {names.source(r, 'targetKeyId')}")
    elif t == "aws:backup/vault:Vault":
        lines.append(f"vault {p.get('name', '-')} · key {names.source(r, 'kmsKeyArn')}")
        if p.get("forceDestroy"):
            lines.append("forceDestroy: deleting the stack deletes its recovery points")
    elif t == "aws:backup/vaultPolicy:VaultPolicy":
        lines.append(f"on vault {names.source(r, 'backupVaultName')}")
        lines.extend(policy_summary(p.get("policy")))
    elif t == "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
        mode = "compliance" if p.get("changeableForDays") is not None else "governance"
        lock = f"lock on vault {names.source(r, 'backupVaultName')}: {mode} mode"
        low, high = _num(p.get("minRetentionDays", "-")), _num(p.get("maxRetentionDays", "-"))
        lock += f", retention {low}..{high} d"
        if p.get("changeableForDays") is not None:
            lock += f", immutable after {_days(p['changeableForDays'])}"
        lines.append(lock)
    elif t == "aws:backup/plan:Plan":
        lines.append(f"plan {p.get('name', '-')}")
        for rule in p.get("rules") or []:
            lines.extend(_rule_lines(rule))
    elif t == "aws:backup/selection:Selection":
        tags = [
            f"{c.get('key')} {_condition_word(c.get('type'))} {c.get('value')}"
            for c in p.get("selectionTags") or []
            if isinstance(c, dict)
        ]
        # `conditions` are ANDed (API BackupSelection.Conditions), `selectionTags` ORed.
        every = [
            f"{str(c.get('key')).removeprefix('aws:ResourceTag/')} {_condition_word(op)} "
            f"{c.get('value')}"
            for block in p.get("conditions") or []
            if isinstance(block, dict)
            for field, op in (
                ("stringEquals", "StringEquals"),
                ("stringLikes", "StringLike"),
                ("stringNotEquals", "StringNotEquals"),
                ("stringNotLikes", "StringNotLike"),
            )
            for c in block.get(field) or []
            if isinstance(c, dict)
        ]
        lines.append(f"selection {p.get('name', '-')} of plan {names.source(r, 'planId')}")
        if tags:
            lines.append(f"resources tagged {' or '.join(tags)}")
        if every:
            lines.append(f"resources tagged {' and '.join(every)}")
        if p.get("resources"):
            lines.append(f"resources {', '.join(_as_list(p['resources']))}")
        if p.get("notResources"):
            lines.append(f"except {', '.join(_as_list(p['notResources']))}")
        lines.append(f"role {names.source(r, 'iamRoleArn')}")
    elif t == "aws:iam/role:Role":
        lines.append(f"role {p.get('name', '-')}")
        lines.extend(f"trust: {s}" for s in policy_summary(p.get("assumeRolePolicy")))
    elif t == "aws:iam/rolePolicy:RolePolicy":
        named = f" {p['name']}" if isinstance(p.get("name"), str) else ""
        lines.append(f"inline policy{named} of role {names.source(r, 'role')}")
        lines.extend(policy_summary(p.get("policy")))
    elif t == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        lines.append(f"{p.get('policyArn', '-')}")
    elif t == "aws:sns/topic:Topic":
        lines.append(f"topic {p.get('name', '-')}")
    elif t == "aws:sns/topicPolicy:TopicPolicy":
        lines.append(f"on topic {names.source(r, 'arn')}")
        lines.extend(policy_summary(p.get("policy")))
    elif t == "aws:sns/topicSubscription:TopicSubscription":
        lines.append(f"{p.get('protocol', '-')} {p.get('endpoint', '-')}")
    elif t == "aws:backup/vaultNotifications:VaultNotifications":
        lines.append(
            f"vault {names.source(r, 'backupVaultName')} → {names.source(r, 'snsTopicArn')}"
        )
        lines.append(f"events {', '.join(_as_list(p.get('backupVaultEvents')))}")
    elif t == "aws:backup/globalSettings:GlobalSettings":
        settings = p.get("globalSettings") or {}
        flags = ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        lines.append(f"organization settings: {flags}")
    # Issue 14: the recovery site (components/recovery.py).
    elif t == "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault":
        low, high = _num(p.get("minRetentionDays", "-")), _num(p.get("maxRetentionDays", "-"))
        lines.append(
            f"logically air-gapped vault {p.get('name', '-')} · AWS-owned key · "
            f"compliance lock built in, retention {low}..{high} d"
        )
    elif t == "aws:backup/restoreTestingPlan:RestoreTestingPlan":
        selection = p.get("recoveryPointSelection") or {}
        lines.append(f"restore tests {p.get('name', '-')} · {p.get('scheduleExpression', '-')}")
        lines.append(
            f"latest copy within {_days(selection.get('selectionWindowDays', 30))} of "
            f"{', '.join(_as_list(selection.get('includeVaults')))}"
        )
    elif t == "aws:backup/restoreTestingSelection:RestoreTestingSelection":
        window = p.get("validationWindowHours")
        lines.append(
            f"restore test of {p.get('protectedResourceType', '-')} copies · role "
            f"{names.source(r, 'iamRoleArn')}"
            + (f" · validation window {_num(window)} h" if window is not None else "")
        )
    elif t == "aws:backup/framework:Framework":
        for control in p.get("controls") or []:
            if not isinstance(control, dict):
                continue
            params = ", ".join(
                f"{x.get('name')}={x.get('value')}"
                for x in control.get("inputParameters") or []
                if isinstance(x, dict)
            )
            lines.append(f"control {control.get('name')}" + (f" ({params})" if params else ""))
    elif t == "aws:backup/reportPlan:ReportPlan":
        channel = p.get("reportDeliveryChannel") or {}
        setting = p.get("reportSetting") or {}
        lines.append(
            f"{setting.get('reportTemplate', '-')} → s3://{channel.get('s3BucketName', '-')}/"
            f"{channel.get('s3KeyPrefix', '')} ({', '.join(_as_list(channel.get('formats')))})"
        )
    elif t == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
        off = [k for k in keys if p.get(k) is not True]
        lines.append(
            "all public access blocked" if not off else f"public access: {', '.join(off)} off"
        )
    return lines


def _lifecycle(lc: Any) -> str:
    if not isinstance(lc, dict) or not lc:
        return "kept forever (no lifecycle)"
    parts = []
    if lc.get("coldStorageAfter") is not None:
        parts.append(f"cold after {_days(lc['coldStorageAfter'])}")
    if lc.get("deleteAfter") is not None:
        parts.append(f"deleted after {_days(lc['deleteAfter'])}")
    return ", ".join(parts) or "kept forever"


def _rule_lines(rule: Any) -> list[str]:
    """One line per rule: schedule, backup lifecycle (retention, cold storage), and each copy's
    destination and lifecycle, so the rules of a plan read as a table (issue 13)."""
    if not isinstance(rule, dict):
        return []
    schedule = str(rule.get("schedule", "on demand"))
    if rule.get("scheduleExpressionTimezone"):
        schedule += f" {rule['scheduleExpressionTimezone']}"
    if rule.get("enableContinuousBackup"):
        schedule += " + continuous (PITR)"
    line = (
        f"rule {rule.get('ruleName', '-')}: {schedule} into {rule.get('targetVaultName', '-')}, "
        f"{_lifecycle(rule.get('lifecycle'))}"
    )
    for copy in rule.get("copyActions") or []:
        if not isinstance(copy, dict):
            continue
        dest = copy.get("destinationVaultArn")
        target = "output<string>" if dest == UNKNOWN else _account_of_arn(dest)
        line += f"; copy → {target}, {_lifecycle(copy.get('lifecycle'))}"
    return [line]


def _pretty_policy(text: Any) -> list[str]:
    if not isinstance(text, str) or text == UNKNOWN:
        return ["output<string>"]
    try:
        return json.dumps(json.loads(text), indent=2).splitlines()
    except ValueError:
        return text.splitlines()


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


def _short_urn(urn: str) -> str:
    parts = urn.split("::")
    return f"{parts[2].split('$')[-1]}: {parts[3]}" if len(parts) >= 4 else urn


def render_text(
    run: OfflineRun,
    report: PolicyReport | None,
    *,
    show_policies: bool = False,
    timings: dict[str, float] | None = None,
) -> str:
    """The human view, in the spirit of `pulumi preview` (no colour, stable order)."""
    names = _Names(run)
    out: list[str] = []
    out.append(
        f"Previewing update ({run.stack}) of project {run.project}: offline, the program under "
        "Pulumi mocks, no cloud, no credentials"
    )
    out.append("")
    accounts = group_by_account(run)
    for account in accounts:
        out.append(f"{account.title}")
        for i, r in enumerate(account.resources):
            last = i == len(account.resources) - 1
            branch, stem = ("└─ ", "   ") if last else ("├─ ", "│  ")
            protect = " [protect]" if r.options.get("protect") else ""
            out.append(f" +  {branch}{r.type}  {r.name}{protect}")
            for line in resource_details(r, names):
                out.append(f"    {stem}   {line}")
            if show_policies:
                for prop in _POLICY_PROPERTIES:
                    if prop in r.inputs:
                        out.append(f"    {stem}   {prop}:")
                        out.extend(
                            f"    {stem}     {line}" for line in _pretty_policy(r.inputs[prop])
                        )
        out.append("")

    if report is not None:
        out.extend(_policy_lines(report))
        out.append("")

    if run.outputs:
        out.append("Outputs:")
        width = max(len(k) for k in run.outputs)
        for key, value in run.outputs.items():
            shown = "output<string>" if value == UNKNOWN else json.dumps(value)
            out.append(f"    {key.ljust(width)}: {shown}")
        out.append("")

    out.append(summary_line(run, report))
    if timings:
        out.append("Time: " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return "\n".join(out) + "\n"


def _policy_lines(report: PolicyReport) -> list[str]:
    lines = []
    verdict = "❌" if report.mandatory else ("⚠️ " if report.violations else "✅")
    lines.append(
        f"Policies:\n    {verdict} {report.pack_name}@v{report.pack_version} "
        f"(local: {report.pack_path})"
    )
    by_policy: dict[str, list[Violation]] = {}
    for v in report.violations:
        by_policy.setdefault(v.policy_name, []).append(v)
    declared = {p.name for p in report.policies}
    for policy in report.policies:
        found = by_policy.get(policy.name, [])
        mark = _mark(found)
        lines.append(f"        {mark} [{policy.enforcement_level}]  {policy.name}")
        lines.extend(_violation_lines(found))
    for name, found in by_policy.items():
        if name not in declared:
            lines.append(f"        {_mark(found)} [{found[0].enforcement_level}]  {name}")
            lines.extend(_violation_lines(found))
    return lines


def _mark(found: list[Violation]) -> str:
    """✓ passed; ✗ a violation that blocks (mandatory); ⚠ advice only (advisory, remediate)."""
    if not found:
        return "✓"
    return "✗" if any(v.enforcement_level == MANDATORY for v in found) else "⚠"


def _violation_lines(found: Iterable[Violation]) -> list[str]:
    lines = []
    for v in found:
        where = f"({_short_urn(v.urn)})" if v.urn else "(stack)"
        lines.append(f"            - [{v.enforcement_level}] {where}")
        for text in v.message.strip().splitlines():
            lines.append(f"              {text}")
    return lines


def summary_line(run: OfflineRun, report: PolicyReport | None) -> str:
    # An account with providers in two regions (the management account's global settings) has
    # two headings above but is one account.
    accounts = {a.account_id for a in group_by_account(run) if a.key}
    # `pulumi preview` counts the stack and the providers too; say so, since the tree above
    # shows providers only in the account headings.
    providers = sum(1 for r in run.resources if r.is_provider)
    shown = len(run.resources) - providers
    resources = len(run.resources) + 1
    text = (
        f"Resources: + {resources} to create ({shown} above, {providers} provider(s), the stack)"
        f" in {len(accounts)} account(s)"
    )
    if report is None:
        return text + " · Policies: not run"
    return (
        text + f" · Policies: {len(report.policies)} checked, "
        f"{report.count(MANDATORY)} mandatory, {report.count(ADVISORY)} advisory"
        + (f", {report.count(REMEDIATE)} remediate" if report.count(REMEDIATE) else "")
        + " violation(s)"
        + (" · FAILED" if report.mandatory else " · OK")
    )
