"""The glue between pulumi-policy and the plain rules: the pack's policies, their levels, their
config schemas, and the choice between per-resource judgement and stack inference.

The policies that need account ids are *both* resource and stack policies (one name, as
CONTRACT.md fixes it): with `sourceAccountIds`/`backupAccountIds` in the policy config they judge
each resource as the engine registers it (`Analyze`, so `pulumi preview` is blocked before
anything is created); without, they infer the accounts from the whole stack (`AnalyzeStack`).
pulumi-policy dispatches on `isinstance`, so such a policy subclasses both classes and tells the
two calls apart by the type of their arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from . import rules
from .topology import KEY, PLAN, VAULT, VAULT_LOCK, VAULT_POLICY, Topology, build, vault_name
from .values import NotKnownYet, Provider, Resource, is_unknown, key_arn, vault_arn

PACK_NAME = "cross-account-backup-guard"

Config = Mapping[str, Any]
ResourceCheck = Callable[[Resource, Config], Iterable[str]]
StackCheck = Callable[[Topology, Config], Iterable[tuple[str, str]]]  # (message, urn)

# --------------------------------------------------------------------------------------------
# Unwrapping pulumi-policy's proxies into plain values (unknown sentinels kept as strings)


def unwrap(value: Any) -> Any:
    """Plain dicts/lists from pulumi-policy's unknown-checking proxies, without tripping them."""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        target = _target(value)
        return {k: unwrap(target[k]) for k in target}
    if isinstance(value, Sequence):
        target = _target(value)
        return [unwrap(v) for v in target]
    return value


def _target(proxy: Any) -> Any:
    try:
        return proxy["__target"]  # pulumi-policy proxies hand back their raw container
    except (KeyError, TypeError, IndexError):
        return proxy


def _provider(p: Any) -> Provider | None:
    if p is None:
        return None
    return Provider(p.resource_type, p.name, p.urn, unwrap(p.props))


def resource_from_args(args: ResourceValidationArgs) -> Resource:
    """The plain `Resource` of an `Analyze` call."""
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=unwrap(args.props),
        provider=_provider(args.provider),
        protect=bool(args.opts.protect) if args.opts else False,
    )


def resources_from_stack(args: StackValidationArgs) -> list[Resource]:
    """The plain `Resource`s of an `AnalyzeStack` call."""
    out = []
    for r in args.resources:
        deps = {k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()}
        out.append(
            Resource(
                type=r.resource_type,
                name=r.name,
                urn=r.urn,
                props=unwrap(r.props),
                provider=_provider(r.provider),
                protect=bool(r.opts.protect) if r.opts else False,
                property_dependencies=deps,
                parent=r.parent.urn if r.parent is not None else None,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Policy classes


def _report_all(report: ReportViolation, check: Callable[[], Iterable[Any]], what: str) -> None:
    try:
        items = list(check())
    except NotKnownYet as e:
        raise UnknownValueError(e.sentinel, e.path) from None
    except Exception as e:  # a shape no rule expected: fail closed, with a message, not a crash
        items = [f"could not check {what}: {type(e).__name__}: {e}"]
    for item in items:
        if isinstance(item, tuple):
            report(item[0], item[1] or None)
        else:
            report(item, None)


class GuardResourcePolicy(ResourceValidationPolicy):
    """A policy that judges each resource alone."""

    def __init__(
        self,
        name: str,
        description: str,
        *,
        level: EnforcementLevel,
        resource_check: ResourceCheck,
        schema: PolicyConfigSchema | None = None,
    ) -> None:
        super().__init__(
            name,
            description,
            validate=self._validate,
            enforcement_level=level,
            config_schema=schema,
        )
        self._resource_check = resource_check

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        config = args.get_config() or {}
        res = resource_from_args(args)
        _report_all(report, lambda: self._resource_check(res, config), f"`{res.name}`")


class GuardDualPolicy(ResourceValidationPolicy, StackValidationPolicy):
    """A policy that judges resources alone when its config allows, else infers from the stack."""

    def __init__(
        self,
        name: str,
        description: str,
        *,
        level: EnforcementLevel,
        resource_check: ResourceCheck,
        stack_check: StackCheck,
        schema: PolicyConfigSchema | None = None,
    ) -> None:
        # Both bases' __init__ would chain through each other; set what each one reads instead.
        Policy.__init__(self, name, description, level, schema)
        self._ResourceValidationPolicy__validate = None
        self._ResourceValidationPolicy__remediate = None
        self._StackValidationPolicy__validate = None
        self._resource_check = resource_check
        self._stack_check = stack_check

    def validate(self, args: Any, report_violation: ReportViolation) -> None:  # type: ignore[override]
        config = args.get_config() or {}
        if isinstance(args, StackValidationArgs):
            resources = resources_from_stack(args)
            _report_all(
                report_violation, lambda: self._stack_check(build(resources), config), "the stack"
            )
        else:
            res = resource_from_args(args)
            _report_all(
                report_violation, lambda: self._resource_check(res, config), f"`{res.name}`"
            )


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
    "orgId": {
        "type": "string",
        "pattern": "^o-[a-z0-9]{10,32}$",
        "description": "The AWS Organization id, to evaluate aws:PrincipalOrgID conditions.",
    },
}


def _accounts(config: Config, key: str) -> list[str]:
    value = config.get(key) or []
    return [str(v) for v in value]


def _org(config: Config) -> str | None:
    org = config.get("orgId")
    return str(org) if org else None


def _receiver_side(res: Resource, config: Config) -> bool:
    """With config: is `res` on the side that receives copies (the backup accounts)?"""
    sources, backups = _accounts(config, "sourceAccountIds"), _accounts(config, "backupAccountIds")
    if res.account is None:
        return True
    if res.account in sources:
        return False
    return not backups or res.account in backups


def _source_side(res: Resource, config: Config) -> bool:
    """With config: is `res` in a source account?"""
    sources, backups = _accounts(config, "sourceAccountIds"), _accounts(config, "backupAccountIds")
    if res.account is None:
        return True
    if sources:
        return res.account in sources
    return res.account not in backups


def _vault_arn_of_policy(res: Resource) -> str:
    name = res.props.get("backupVaultName")
    if isinstance(name, str) and not is_unknown(name) and res.account and res.region:
        return vault_arn(res.region, res.account, name)
    return "*"


def _vault_arn(vault: Resource) -> str:
    name = vault_name(vault)
    if name and vault.account and vault.region:
        return vault_arn(vault.region, vault.account, name)
    return "*"


def _vault_label(res: Resource) -> str:
    name = res.props.get("backupVaultName")
    if isinstance(name, str) and not is_unknown(name):
        return f"vault policy `{res.name}` (vault {name!r})"
    return f"vault policy `{res.name}`"


# --------------------------------------------------------------------------------------------
# backup-vault-policy-grants-source


def _grants_source_resource(res: Resource, config: Config) -> list[str]:
    sources = _accounts(config, "sourceAccountIds")
    if res.type != VAULT_POLICY or not sources or not _receiver_side(res, config):
        return []
    return rules.vault_policy_grants_source(
        res.props,
        subject=_vault_label(res),
        source_accounts=sources,
        vault_arn=_vault_arn_of_policy(res),
        org_id=_org(config),
    )


def _grants_source_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    configured = _accounts(config, "sourceAccountIds")
    out: list[tuple[str, str]] = []
    if configured:
        # The policies themselves were judged per resource; only a missing one is left.
        for vault in topo.vaults:
            if vault.account is None or not _receiver_side(vault, config):
                continue
            if not topo.attached(vault, VAULT_POLICY):
                out.append(
                    (
                        f"vault `{vault.name}` in backup account {vault.account} has no vault "
                        f"access policy: copies from {', '.join(configured)} would fail with "
                        "AccessDenied",
                        vault.urn,
                    )
                )
        return out
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
                    vault_arn=_vault_arn(vault),
                    org_id=_org(config),
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
        accounts = _accounts(config, accounts_key)
        if res.type != KEY or not accounts or not on_side(res, config):
            return []
        return rule(
            res.props,
            accounts=accounts,
            subject=f"key policy of `{res.name}`",
            key_arn=key_arn(res),
            org_id=_org(config),
        )

    def stack_check(topo: Topology, config: Config) -> list[tuple[str, str]]:
        if _accounts(config, accounts_key):
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
                    org_id=_org(config),
                )
            )
        return out

    return resource_check, stack_check


_key_grants_source_resource, _key_grants_source_stack = _key_grant_checks(
    lambda props, accounts, **kw: rules.vault_key_policy_grants_source(
        props, source_accounts=accounts, **kw
    ),
    accounts_key="sourceAccountIds",
    on_side=_receiver_side,
    vaults=Topology.receivers,
    accounts_of=lambda topo: topo.sources_of,
)
_source_key_resource, _source_key_stack = _key_grant_checks(
    lambda props, accounts, **kw: rules.source_key_policy_grants_backup(
        props, backup_accounts=accounts, **kw
    ),
    accounts_key="backupAccountIds",
    on_side=_source_side,
    vaults=Topology.source_vaults,
    accounts_of=lambda topo: topo.backups_of,
)


# --------------------------------------------------------------------------------------------
# backup-source-vault-accepts-copy-back


def _copy_back_resource(res: Resource, config: Config) -> list[str]:
    backups = _accounts(config, "backupAccountIds")
    if res.type != VAULT_POLICY or not backups or res.account is None:
        return []
    if not _source_side(res, config):
        return []
    return [
        f"{m}: restoring a copy needs it copied back into this vault first"
        for m in rules.vault_policy_grants_source(
            res.props,
            subject=_vault_label(res),
            source_accounts=backups,
            vault_arn=_vault_arn_of_policy(res),
            org_id=_org(config),
        )
    ]


def _copy_back_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    if _accounts(config, "backupAccountIds"):
        return []
    out: list[tuple[str, str]] = []
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
                    vault_arn=_vault_arn(vault),
                    org_id=_org(config),
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# backup-copy-vault-customer-managed-key


def _cmk_resource(res: Resource, config: Config) -> list[str]:
    configured = _accounts(config, "sourceAccountIds") or _accounts(config, "backupAccountIds")
    if res.type != VAULT or not configured or not _receiver_side(res, config):
        return []
    return rules.vault_customer_managed_key(res.props, subject=f"vault `{res.name}`")


def _cmk_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    if _accounts(config, "sourceAccountIds") or _accounts(config, "backupAccountIds"):
        return []
    out: list[tuple[str, str]] = []
    for vault in topo.receivers():
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


def _lock_resource(res: Resource, config: Config) -> list[str]:
    if res.type != VAULT_LOCK:
        return []
    return rules.lock_mode_ok(
        res.props,
        subject=f"vault lock `{res.name}`",
        require_compliance=bool(config.get("requireComplianceMode", False)),
    )


def _lock_stack(topo: Topology, config: Config) -> list[tuple[str, str]]:
    if _accounts(config, "sourceAccountIds") or _accounts(config, "backupAccountIds"):
        vaults = [v for v in topo.vaults if v.account is not None and _receiver_side(v, config)]
    else:
        vaults = topo.receivers()
    return [
        (
            f"vault `{v.name}` stores copies but has no vault lock: an administrator of its "
            "account (or an attacker with those rights) can delete every copy",
            v.urn,
        )
        for v in vaults
        if not topo.attached(v, VAULT_LOCK)
    ]


# --------------------------------------------------------------------------------------------
# Per-resource policies


def _open_principal(res: Resource, config: Config) -> list[str]:
    if res.type == VAULT_POLICY:
        return rules.no_wildcard_principal(res.props, subject=_vault_label(res))
    if res.type == KEY:
        return rules.no_wildcard_principal(res.props, subject=f"key policy of `{res.name}`")
    return []


def _copy_destination(res: Resource, config: Config) -> list[str]:
    if res.type != PLAN:
        return []
    return rules.copy_destination_cross_account(
        res.props,
        subject=f"plan `{res.name}`",
        plan_account=res.account,
        source_accounts=_accounts(config, "sourceAccountIds"),
        backup_accounts=_accounts(config, "backupAccountIds"),
    )


def _lifecycle(res: Resource, config: Config) -> list[str]:
    if res.type != PLAN:
        return []
    return rules.lifecycles_valid(res.props, subject=f"plan `{res.name}`")


def _vault_wildcard_actions(res: Resource, config: Config) -> list[str]:
    if res.type != VAULT_POLICY:
        return []
    return rules.vault_policy_no_wildcard_actions(res.props, subject=_vault_label(res))


DEFAULT_MIN_RETENTION_DAYS = 35


def _min_retention(res: Resource, config: Config) -> list[str]:
    if res.type != PLAN:
        return []
    days = config.get("minRetentionDays", DEFAULT_MIN_RETENTION_DAYS)
    return rules.min_retention(res.props, subject=f"plan `{res.name}`", min_days=float(days))


def _deletion_protected(res: Resource, config: Config) -> list[str]:
    if res.type not in (VAULT, KEY):
        return []
    backups = _accounts(config, "backupAccountIds")
    if backups and res.account is not None and res.account not in backups:
        return []
    kind = "vault" if res.type == VAULT else "key"
    label = f"vault `{res.name}`" if kind == "vault" else f"key `{res.name}`"
    return rules.deletion_protected(res.props, subject=label, protect=res.protect, kind=kind)


def _rotation(res: Resource, config: Config) -> list[str]:
    if res.type != KEY:
        return []
    return rules.key_rotation(res.props, subject=f"key `{res.name}`")


# --------------------------------------------------------------------------------------------
# The policies

M, A = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY


def build_policies() -> list[Policy]:
    """Every policy of the pack, in the order the README lists them."""
    accounts = PolicyConfigSchema(properties=dict(ACCOUNTS_SCHEMA))
    return [
        GuardDualPolicy(
            "backup-vault-policy-grants-source",
            "A vault that receives cross-account copies must let every source account "
            "backup:CopyIntoBackupVault in its access policy.",
            level=M,
            schema=accounts,
            resource_check=_grants_source_resource,
            stack_check=_grants_source_stack,
        ),
        GuardDualPolicy(
            "backup-vault-key-policy-grants-source",
            "The KMS key of a vault that receives cross-account copies must let every source "
            "account kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, "
            "kms:DescribeKey.",
            level=M,
            schema=accounts,
            resource_check=_key_grants_source_resource,
            stack_check=_key_grants_source_stack,
        ),
        GuardDualPolicy(
            "backup-source-vault-key-grants-backup",
            "The KMS key of a source vault must let every backup account kms:DescribeKey, "
            "kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant.",
            level=M,
            schema=accounts,
            resource_check=_source_key_resource,
            stack_check=_source_key_stack,
        ),
        GuardResourcePolicy(
            "backup-policy-no-open-principal",
            "No vault or key policy may let any principal in without an account or "
            "organization condition.",
            level=M,
            resource_check=_open_principal,
        ),
        GuardResourcePolicy(
            "backup-copy-destination-cross-account",
            "Every copy action must go to a vault in another account, never to the Default vault.",
            level=M,
            schema=PolicyConfigSchema(properties=dict(ACCOUNTS_SCHEMA)),
            resource_check=_copy_destination,
        ),
        GuardDualPolicy(
            "backup-copy-vault-customer-managed-key",
            "A vault that receives cross-account copies must be encrypted with a customer "
            "managed KMS key.",
            level=M,
            schema=accounts,
            resource_check=_cmk_resource,
            stack_check=_cmk_stack,
        ),
        GuardResourcePolicy(
            "backup-plan-lifecycle-valid",
            "Plan lifecycles must delete at least 90 days after cold storage, and every copy "
            "action must have a lifecycle.",
            level=M,
            resource_check=_lifecycle,
        ),
        GuardResourcePolicy(
            "backup-vault-policy-no-wildcard-actions",
            "Vault access policies must name their actions: AWS Backup rejects wildcard actions.",
            level=M,
            resource_check=_vault_wildcard_actions,
        ),
        GuardDualPolicy(
            "backup-vault-locked",
            "A vault that stores copies should have a vault lock (compliance mode when "
            "requireComplianceMode is set).",
            level=A,
            schema=PolicyConfigSchema(
                properties={
                    **ACCOUNTS_SCHEMA,
                    "requireComplianceMode": {
                        "type": "boolean",
                        "default": False,
                        "description": "Require compliance mode (changeableForDays set).",
                    },
                }
            ),
            resource_check=_lock_resource,
            stack_check=_lock_stack,
        ),
        GuardDualPolicy(
            "backup-source-vault-accepts-copy-back",
            "The source vault's access policy should let every backup account "
            "backup:CopyIntoBackupVault: cross-account restore goes through a copy back.",
            level=A,
            schema=accounts,
            resource_check=_copy_back_resource,
            stack_check=_copy_back_stack,
        ),
        GuardResourcePolicy(
            "backup-plan-min-retention",
            "Backups and copies should be kept at least minRetentionDays (default 35).",
            level=A,
            schema=PolicyConfigSchema(
                properties={
                    "minRetentionDays": {
                        "type": "number",
                        "minimum": 1,
                        "default": DEFAULT_MIN_RETENTION_DAYS,
                        "description": "Minimum deleteAfter, in days, of rules and copy actions.",
                    },
                }
            ),
            resource_check=_min_retention,
        ),
        GuardResourcePolicy(
            "backup-vault-deletion-protected",
            "Backup vaults and their keys should be protected from deletion.",
            level=A,
            schema=PolicyConfigSchema(properties=dict(ACCOUNTS_SCHEMA)),
            resource_check=_deletion_protected,
        ),
        GuardResourcePolicy(
            "backup-kms-key-rotation",
            "Customer managed keys should rotate their key material.",
            level=A,
            resource_check=_rotation,
        ),
    ]
