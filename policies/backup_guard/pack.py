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

import asyncio
import functools
import inspect
import os
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, cast

import pulumi.runtime
import pulumi_policy.policy
from google.protobuf import json_format
from pulumi.runtime import proto
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
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import (
    PolicyResource,
    _NotApplicableError,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from . import audit_checks, checks, copy_checks, plan_checks
from .checks import ACCOUNTS_SCHEMA, ResourceCheck, StackCheck
from .topology import KEY, LAG_VAULT, PLAN, VAULT, VAULT_LOCK, VAULT_POLICY, build
from .values import NotKnownYet, Provider, Resource

PACK_NAME = "cross-account-backup-guard"


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


def resources_from_stack(
    args: StackValidationArgs, types: frozenset[str] | None = None
) -> list[Resource]:
    """The plain `Resource`s of an `AnalyzeStack` call (of `types` only, when given: unwrapping
    pulumi-policy's proxies is most of a stack check's cost)."""
    out = []
    for r in args.resources:
        if types is not None and r.resource_type not in types:
            continue
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
        resource_types: frozenset[str],
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
        self._resource_types = resource_types  # the only types its check judges

    def analyzes(self, resource_type: str) -> bool:
        """Whether `Analyze` of a resource of this type can report anything (`GuardAnalyzer`
        skips the others without converting the request for this policy)."""
        return resource_type in self._resource_types

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in self._resource_types:
            return  # before unwrapping: most resources concern few policies
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
        resource_types: frozenset[str],
        stack_check: StackCheck,
        stack_types: frozenset[str],
        schema: PolicyConfigSchema | None = None,
    ) -> None:
        # Both bases' __init__ would chain through each other; set what each one reads instead.
        Policy.__init__(self, name, description, level, schema)
        self._ResourceValidationPolicy__validate = None
        self._ResourceValidationPolicy__remediate = None
        self._StackValidationPolicy__validate = None
        self._resource_check = resource_check
        self._stack_check = stack_check
        self._stack_types = stack_types  # the resource types the stack check looks at
        self._resource_types = resource_types  # the only types its resource check judges

    def analyzes(self, resource_type: str) -> bool:
        """As `GuardResourcePolicy.analyzes` (`validate` of a `ResourceValidationArgs` of another
        type only reads the config)."""
        return resource_type in self._resource_types

    def validate(self, args: Any, report_violation: ReportViolation) -> None:
        config = args.get_config() or {}
        if isinstance(args, StackValidationArgs):
            resources = resources_from_stack(args, self._stack_types)
            _report_all(
                report_violation, lambda: self._stack_check(build(resources), config), "the stack"
            )
        elif args.resource_type in self._resource_types:
            res = resource_from_args(args)
            _report_all(
                report_violation, lambda: self._resource_check(res, config), f"`{res.name}`"
            )


class GuardStackPolicy(StackValidationPolicy):
    """A policy that only a whole stack can decide (not called by `Analyze` at all)."""

    def __init__(
        self,
        name: str,
        description: str,
        *,
        level: EnforcementLevel,
        stack_check: StackCheck,
        stack_types: frozenset[str],
        schema: PolicyConfigSchema | None = None,
    ) -> None:
        super().__init__(
            name,
            description,
            validate=self._validate,
            enforcement_level=level,
            config_schema=schema,
        )
        self._stack_check = stack_check
        self._stack_types = stack_types

    def _validate(self, args: StackValidationArgs, report: ReportViolation) -> None:
        config = args.get_config() or {}
        resources = resources_from_stack(args, self._stack_types)
        _report_all(report, lambda: self._stack_check(build(resources), config), "the stack")


# --------------------------------------------------------------------------------------------
# The analyzer: pulumi-policy's, each request converted once


class GuardAnalyzer(_PolicyAnalyzerServicer):
    """pulumi-policy's analyzer servicer (`pulumi_policy/policy.py`, `_PolicyAnalyzerServicer`,
    pulumi-policy 1.21), with `Analyze` and `AnalyzeStack` doing the same work once per request
    instead of once per policy.

    The library's `Analyze` converts the request (`MessageToDict`, `deserialize_properties`,
    `unknown_checking_proxy`, the options, the provider's properties) again for each of the
    pack's 16 resource policies, and its `AnalyzeStack` every resource of the stack again for each
    of its 9 stack policies: at 200 source accounts that was three quarters of the pack's CPU.
    Here the request is converted once and the same arguments go to every policy (the pack's
    policies only read them: `unwrap` copies); a Guard policy whose `analyzes` says the resource's
    type concerns it not is not called at all (its `validate` would return without a word).
    Everything else is the library's, line for line and in its order: the enforcement levels
    (disabled skipped, remediate reported as mandatory), `not_applicable` for a policy without
    `validate`, awaitable results, the "can't run policy ... during preview" diagnostic of an
    `UnknownValueError`, `_NotApplicableError`. tests/pack/test_pack_analyzer.py holds both
    servicers to the same answers, byte for byte.
    """

    def _library(self, name: str) -> Any:
        """The library servicer's private attribute `__<name>` (name-mangled)."""
        return getattr(self, f"_PolicyAnalyzerServicer__{name}")

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        shared: tuple[Any, Any, Any] | None = None  # props, opts, provider: converted once
        for policy in self._library("policies"):
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == EnforcementLevel.DISABLED or not isinstance(
                policy, ResourceValidationPolicy
            ):
                continue
            if not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(
                        policy_name=policy.name, reason="Policy does not implement validate"
                    )
                )
                continue
            if enforcement_level == EnforcementLevel.REMEDIATE:
                enforcement_level = EnforcementLevel.MANDATORY
            analyzes = getattr(policy, "analyzes", None)
            if analyzes is not None and not analyzes(request.type):
                continue
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if shared is None:
                props = unknown_checking_proxy(
                    deserialize_properties(json_format.MessageToDict(request.properties))
                )
                shared = (
                    props,
                    self._get_resource_options(request),
                    self._get_provider_resource(request),
                )
            props, opts, provider = shared
            args = ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                self._get_policy_config(policy.name),
                self._library("stack_tags"),
            )
            self._run(policy, args, report_violation, response)
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None  # converted once, for every stack policy
        for policy in self._library("policies"):
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == EnforcementLevel.DISABLED or not isinstance(
                policy, StackValidationPolicy
            ):
                continue
            if enforcement_level == EnforcementLevel.REMEDIATE:
                enforcement_level = EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = self._stack_resources(request)
            args = StackValidationArgs(
                resources,
                self._get_policy_config(policy.name),
                self._library("stack_tags"),
            )
            self._run(policy, args, report_violation, response)
        return response

    def _configure_runtime_settings(self) -> None:
        """The library's, run before every call as the library runs it, with one difference: it
        asks `inspect.signature(pulumi.runtime.Settings)` once per process, not once per request
        (a fifth of the pack's CPU once the conversions were shared; the SDK does not change
        while the pack runs)."""
        for k, v in pulumi.runtime.get_config_env().items():
            pulumi.runtime.set_config(k, v)
        if (
            "PULUMI_PROJECT" in os.environ
            and "PULUMI_STACK" in os.environ
            and "PULUMI_DRY_RUN" in os.environ
        ):
            settings_args: dict[str, Any] = {
                "project": os.environ["PULUMI_PROJECT"],
                "stack": os.environ["PULUMI_STACK"],
                "dry_run": os.environ["PULUMI_DRY_RUN"] == "true",
            }
            if _settings_take_organization():
                settings_args["organization"] = os.environ.get(
                    "PULUMI_ORGANIZATION", "organization"
                )
            pulumi.runtime.configure(pulumi.runtime.Settings(**settings_args))

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The stack's resources as the library's `AnalyzeStack` builds them for each policy:
        properties and provider converted, parents and dependencies linked by URN."""
        resources: list[PolicyResource] = []
        links: list[tuple[PolicyResource, Any]] = []
        by_urn: dict[str, PolicyResource] = {}
        for r in request.resources:
            props = unknown_checking_proxy(
                deserialize_properties(json_format.MessageToDict(r.properties))
            )
            resource = PolicyResource(
                r.type,
                props,
                r.urn,
                r.name,
                self._get_resource_options(r),
                self._get_provider_resource(r),
                None,
                [],
                {},
            )
            resources.append(resource)
            links.append((resource, r))
            by_urn[r.urn] = resource
        for resource, r in links:
            # `r.parent` is a proto string: never None, "" for none (no resource has URN "").
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            for k, v in r.propertyDependencies.items():
                resource.property_dependencies[k] = [by_urn[d] for d in v.urns if d in by_urn]
        return resources

    def _run(
        self, policy: Any, args: Any, report_violation: ReportViolation, response: Any
    ) -> None:
        """One policy's `validate`, and what the library makes of its exceptions."""
        try:
            result = policy.validate(args, report_violation)
            if inspect.isawaitable(result):
                loop = asyncio.new_event_loop()
                task = asyncio.Task(cast(Coroutine[Any, Any, Any], result), loop=loop)
                loop.run_until_complete(task)
                loop.close()
        except UnknownValueError as e:
            name = self._library("policy_pack_name")
            version = self._library("policy_pack_version")
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=name,
                    policyPackVersion=version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{name}@v{version}' during preview: {e.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
                )
            )
        except _NotApplicableError as e:
            response.not_applicable.append(
                proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
            )


@functools.cache
def _settings_take_organization() -> bool:
    # Older versions of the Pulumi SDK don't support the organization arg (the library's words).
    return "organization" in inspect.signature(pulumi.runtime.Settings).parameters


def use_guard_analyzer() -> None:
    """Make `PolicyPack` serve `GuardAnalyzer` (it builds pulumi-policy's servicer by this
    module-level name, then serves it until the CLI stops the process): `policies/__main__.py`
    calls this before `PolicyPack(...)`."""
    pulumi_policy.policy._PolicyAnalyzerServicer = GuardAnalyzer  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# The policies

M, A = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
# Every stack check reads the plans (who copies where) and the vaults.
_VAULTS = {PLAN, VAULT, LAG_VAULT}


def build_policies() -> list[Policy]:
    """Every policy of the pack, in the order the README lists them."""
    accounts = PolicyConfigSchema(properties=dict(ACCOUNTS_SCHEMA))
    return [
        GuardDualPolicy(
            "backup-vault-policy-grants-source",
            "A vault that receives cross-account copies must let every source account "
            "backup:CopyIntoBackupVault in its access policy.",
            level=M,
            resource_types=frozenset({VAULT_POLICY}),
            stack_types=frozenset(_VAULTS | {VAULT_POLICY}),
            schema=accounts,
            resource_check=checks.grants_source_resource,
            stack_check=checks.grants_source_stack,
        ),
        GuardDualPolicy(
            "backup-vault-key-policy-grants-source",
            "The KMS key of a vault that receives cross-account copies must let every source "
            "account kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, "
            "kms:DescribeKey.",
            level=M,
            resource_types=frozenset({KEY}),
            stack_types=frozenset(_VAULTS | {KEY}),
            schema=accounts,
            resource_check=checks.key_grants_source_resource,
            stack_check=checks.key_grants_source_stack,
        ),
        GuardDualPolicy(
            "backup-source-vault-key-grants-backup",
            "The KMS key of a source vault must let every backup account kms:DescribeKey, "
            "kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant.",
            level=M,
            resource_types=frozenset({KEY}),
            stack_types=frozenset(_VAULTS | {KEY}),
            schema=accounts,
            resource_check=checks.source_key_resource,
            stack_check=checks.source_key_stack,
        ),
        GuardResourcePolicy(
            "backup-policy-no-open-principal",
            "No vault or key policy may let any principal in without an account or "
            "organization condition.",
            level=M,
            resource_types=frozenset({VAULT_POLICY, KEY}),
            resource_check=plan_checks.open_principal,
        ),
        GuardResourcePolicy(
            "backup-copy-destination-cross-account",
            "Every copy action must go to a vault in another account, never to the Default vault.",
            level=M,
            resource_types=frozenset({PLAN}),
            schema=PolicyConfigSchema(properties=dict(ACCOUNTS_SCHEMA)),
            resource_check=plan_checks.copy_destination,
        ),
        GuardDualPolicy(
            "backup-copy-vault-customer-managed-key",
            "A vault that receives cross-account copies must be encrypted with a customer "
            "managed KMS key.",
            level=M,
            resource_types=frozenset({VAULT}),
            stack_types=frozenset(_VAULTS),
            schema=accounts,
            resource_check=checks.cmk_resource,
            stack_check=checks.cmk_stack,
        ),
        GuardDualPolicy(
            "backup-copy-destination-known",
            "Every copy must go to a vault this stack builds (in its account and region) or to "
            "one listed in externalCopyDestinations, in the plan's partition.",
            level=M,
            resource_types=frozenset({PLAN}),
            stack_types=frozenset(_VAULTS),
            schema=PolicyConfigSchema(properties=dict(copy_checks.EXTERNAL_SCHEMA)),
            resource_check=copy_checks.destination_partition,
            stack_check=copy_checks.destination_known,
        ),
        GuardStackPolicy(
            "backup-copy-retention-within-vault-lock",
            "Copies (and backups) must keep recovery points within their vault lock's "
            "minRetentionDays/maxRetentionDays: the vault fails any other job.",
            level=M,
            stack_types=frozenset(_VAULTS | {VAULT_LOCK}),
            stack_check=copy_checks.retention_within_lock,
        ),
        GuardResourcePolicy(
            "backup-copy-cross-region-and-account",
            "A copy both cross-account and cross-Region fails for Amazon RDS and Aurora.",
            level=A,
            resource_types=frozenset({PLAN}),
            resource_check=copy_checks.cross_region_and_account,
        ),
        GuardResourcePolicy(
            "backup-copy-cold-storage-closes-copy-back",
            "A copy in cold storage can't be copied back into the source account to be restored.",
            level=A,
            resource_types=frozenset({PLAN}),
            resource_check=copy_checks.cold_storage_copy_back,
        ),
        GuardResourcePolicy(
            "backup-plan-lifecycle-valid",
            "Plan lifecycles must delete at least 90 days after cold storage, and every copy "
            "action must have a lifecycle.",
            level=M,
            resource_types=frozenset({PLAN}),
            resource_check=plan_checks.lifecycle,
        ),
        GuardResourcePolicy(
            "backup-vault-policy-no-wildcard-actions",
            "Vault access policies must name their actions: AWS Backup rejects wildcard actions.",
            level=M,
            resource_types=frozenset({VAULT_POLICY}),
            resource_check=plan_checks.vault_wildcard_actions,
        ),
        GuardDualPolicy(
            "backup-vault-locked",
            "A vault that stores copies should have a vault lock (compliance mode when "
            "requireComplianceMode is set).",
            level=A,
            resource_types=frozenset({VAULT_LOCK}),
            stack_types=frozenset(_VAULTS | {VAULT_LOCK}),
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
            resource_check=checks.lock_resource,
            stack_check=checks.lock_stack,
        ),
        GuardDualPolicy(
            "backup-source-vault-accepts-copy-back",
            "The source vault's access policy should let every backup account "
            "backup:CopyIntoBackupVault: cross-account restore goes through a copy back.",
            level=A,
            resource_types=frozenset({VAULT_POLICY}),
            stack_types=frozenset(_VAULTS | {VAULT_POLICY}),
            schema=accounts,
            resource_check=checks.copy_back_resource,
            stack_check=checks.copy_back_stack,
        ),
        GuardResourcePolicy(
            "backup-plan-min-retention",
            "Backups and copies should be kept at least minRetentionDays (default 35).",
            level=A,
            resource_types=frozenset({PLAN}),
            schema=PolicyConfigSchema(
                properties={
                    "minRetentionDays": {
                        "type": "number",
                        "minimum": 1,
                        "default": plan_checks.DEFAULT_MIN_RETENTION_DAYS,
                        "description": "Minimum deleteAfter, in days, of rules and copy actions.",
                    },
                }
            ),
            resource_check=plan_checks.min_retention,
        ),
        GuardResourcePolicy(
            "backup-vault-deletion-protected",
            "Backup vaults and their keys should be protected from deletion.",
            level=A,
            resource_types=frozenset({VAULT, LAG_VAULT, KEY}),
            schema=PolicyConfigSchema(properties=dict(ACCOUNTS_SCHEMA)),
            resource_check=plan_checks.deletion_protected,
        ),
        GuardResourcePolicy(
            "backup-kms-key-rotation",
            "Customer managed keys should rotate their key material.",
            level=A,
            resource_types=frozenset({KEY}),
            resource_check=plan_checks.rotation,
        ),
        GuardStackPolicy(
            "backup-audit-bucket-private",
            "The bucket Backup Audit Manager reports are delivered to must be built by the "
            "stack, block all public access and be protected from deletion.",
            level=M,
            stack_types=audit_checks.AUDIT_TYPES,
            stack_check=audit_checks.audit_bucket_private,
        ),
    ]
