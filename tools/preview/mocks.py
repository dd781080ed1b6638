"""Mocks that record: the Pulumi engine and the AWS provider, in-process, for `engine.run_stack`.

`RecordingMocks` records every registration (type, name, URN, inputs, provider, parent, options,
property dependencies) in order and answers with realistic ids and ARNs in the account and region
of the resource's explicit provider, derived from a hash of the URN so that every run prints the
same. With `preview=True` it behaves like the engine during a preview: a create returns its
(checked) inputs and nothing computed. `RecordingMonitor` keeps what the mocks API does not show
(options, parents, dependencies).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

#: The value the Pulumi CLI sends for a property not known until the deployment runs.
UNKNOWN = rpc.UNKNOWN

#: Stands in for an account that no provider names (a resource on the default provider).
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
PARTITION = "aws"

_PROVIDER_PREFIX = "pulumi:providers:"


class EngineError(Exception):
    """What the Pulumi engine itself would refuse while the program runs."""


# --------------------------------------------------------------------------------------------
# Mocks that record
# --------------------------------------------------------------------------------------------


@dataclass
class ProviderInfo:
    """The account and region an explicit provider deploys to."""

    urn: str
    name: str
    package: str
    account_id: str
    region: str


@dataclass
class Registration:
    """One `RegisterResource` the program made, with what the engine would know about it."""

    type: str
    name: str
    urn: str
    custom: bool
    inputs: dict[str, Any]
    """Checked inputs, camelCase, with `UNKNOWN` where a value depends on an unknown output."""
    provider: str
    """The provider reference `"<provider urn>::<provider id>"`, empty for the default provider."""
    parent: str
    options: dict[str, Any]
    property_dependencies: dict[str, list[str]]
    dependencies: list[str]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    account_id: str | None = None
    region: str | None = None

    @property
    def provider_urn(self) -> str:
        """The URN part of the provider reference."""
        return provider_urn(self.provider)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(_PROVIDER_PREFIX)


def provider_urn(reference: str) -> str:
    """`"urn:pulumi:...::source-account::<id>"` → the URN (the last `::` part is the id)."""
    return reference.rsplit("::", 1)[0] if reference else ""


def _stable_uuid(*parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _hex(urn: str, n: int) -> str:
    return hashlib.sha256(urn.encode()).hexdigest()[:n]


def _from_json(value: Any) -> Any:
    # Provider inputs arrive as JSON strings (lists, objects); other resources' inputs don't.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _plain(value: Any) -> Any:
    """Deserialized RPC values → plain JSON-able values; unknowns → `UNKNOWN`, secrets unwrapped."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return UNKNOWN
    return value


def _known_only(value: Any) -> Any:
    """Drop unknowns: what a mock may hand back to the SDK (absent = unknown in a preview)."""
    if isinstance(value, dict):
        return {k: _known_only(v) for k, v in value.items() if not contains_unknown(v)}
    if isinstance(value, list):
        return [_known_only(v) for v in value]
    return value


def contains_unknown(value: Any) -> bool:
    """Whether a plain value is, or contains, `UNKNOWN`."""
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


# Types whose `name` the AWS provider generates when the program leaves it out (Check adds it,
# so it is known in a preview): logical name + "-" + 7 hex characters.
_AUTONAMED = {
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:sns/topic:Topic",
    "aws:backup/vault:Vault",
    "aws:backup/plan:Plan",
    "aws:backup/selection:Selection",
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that record every registration and answer like AWS would, per account and region.

    Use with `RecordingMonitor` (as `run_stack` does) to also record URNs, parents, options and
    property dependencies; with the SDK's plain `MockMonitor`, `registrations` still gets type,
    name, inputs and provider.
    """

    def __init__(
        self,
        *,
        preview: bool = False,
        disabled_default_providers: frozenset[str] = frozenset(),
    ) -> None:
        self.preview = preview
        self.disabled_default_providers = disabled_default_providers
        self.registrations: list[Registration] = []
        self.providers: dict[str, ProviderInfo] = {}
        self.calls: list[MockCallArgs] = []
        #: What the engine would refuse (a resource on a disabled default provider), in order.
        self.engine_errors: list[EngineError] = []
        self._pending: dict[str, Any] | None = None
        self._lock = threading.RLock()
        #: Called with each registration as it is recorded, in registration order (under the
        #: lock): the preview sends it to the policy pack's `Analyze` while the program runs.
        self.on_register: Callable[[Registration], None] | None = None

    # -- bookkeeping used by RecordingMonitor ---------------------------------------------------

    @contextlib.contextmanager
    def registering(self, details: dict[str, Any]) -> Iterator[None]:
        """Serialize registrations and hand `new_resource` what only the monitor sees."""
        with self._lock:
            self._pending = details
            try:
                yield
            finally:
                self._pending = None

    def provider_for(self, reference: str) -> ProviderInfo | None:
        """The provider a `provider=` reference points to, if it was registered."""
        return self.providers.get(provider_urn(reference))

    def _account_region(self, reference: str) -> tuple[str, str]:
        info = self.provider_for(reference)
        if info is None:
            return DEFAULT_ACCOUNT, DEFAULT_REGION
        return info.account_id, info.region

    # -- the Mocks interface --------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        with self._lock:
            details = self._pending or {}
            urn = details.get("urn") or f"urn:pulumi:stack::project::{args.typ}::{args.name}"
            inputs = _plain(details["inputs"]) if "inputs" in details else _plain(args.inputs)
            provider = args.provider or ""
            package = args.typ.split(":", 1)[0]
            if (
                args.custom
                and not args.typ.startswith(_PROVIDER_PREFIX)
                and not provider
                and package in self.disabled_default_providers
            ):
                # The engine's own refusal (pulumi:disable-default-providers). Recorded, not
                # raised: a raise here leaves the resource's output futures failed and unawaited.
                self.engine_errors.append(
                    EngineError(
                        f"{urn}: Default provider for '{package}' disabled. "
                        f"'{args.typ}' must use an explicit provider."
                    )
                )

            if args.typ.startswith(_PROVIDER_PREFIX):
                self._register_provider(urn, args.name, args.typ, inputs)
                account, region = self.providers[urn].account_id, self.providers[urn].region
            else:
                account, region = self._account_region(provider)

            if args.typ in _AUTONAMED and "name" not in inputs:
                inputs["name"] = f"{args.name}-{_hex(urn, 7)}"

            rid: str | None = None
            computed: dict[str, Any] = {}
            if args.custom:
                rid, computed = self._computed(args.typ, args.name, urn, inputs, account, region)

            if self.preview:
                # A create during a preview: the provider only checked the inputs; the id and
                # every computed attribute stay unknown until `pulumi up`.
                state = _known_only(inputs)
                rid = None
            else:
                state = {**_known_only(inputs), **computed}

            registration = Registration(
                type=args.typ,
                name=args.name,
                urn=urn,
                custom=bool(args.custom),
                inputs=inputs,
                provider=provider,
                parent=details.get("parent", ""),
                options=details.get("options", {}),
                property_dependencies=details.get("property_dependencies", {}),
                dependencies=details.get("dependencies", []),
                id=rid,
                outputs=state,
                account_id=account if args.custom else None,
                region=region if args.custom else None,
            )
            self.registrations.append(registration)
            if self.on_register is not None:
                self.on_register(registration)
            return rid, state

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        # A plain dict: the SDK's mock monitor iterates the failures of a tuple, so never None.
        self.calls.append(args)
        account, region = self._account_region(args.provider or "")
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:{PARTITION}:sts::{account}:assumed-role/backup-deployer/pulumi"
            return {
                "accountId": account,
                "arn": arn,
                "userId": f"AROA{_hex(account, 16).upper()}:pulumi",
                "id": account,
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": region,
                "region": region,
                "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "id": PARTITION,
                "reverseDnsPrefix": "com.amazonaws",
            }
        return {}

    # -- realistic answers ----------------------------------------------------------------------

    def _register_provider(self, urn: str, name: str, typ: str, inputs: dict[str, Any]) -> None:
        allowed = _from_json(inputs.get("allowedAccountIds"))
        account = None
        if isinstance(allowed, list) and allowed and isinstance(allowed[0], str):
            account = allowed[0]
        if account is None:
            assume = _from_json(inputs.get("assumeRoles") or inputs.get("assumeRole"))
            if isinstance(assume, list) and assume:
                assume = assume[0]
            role = assume.get("roleArn") if isinstance(assume, dict) else None
            if isinstance(role, str) and role.count(":") >= 5:
                account = role.split(":")[4]
        region = inputs.get("region")
        self.providers[urn] = ProviderInfo(
            urn=urn,
            name=name,
            package=typ[len(_PROVIDER_PREFIX) :],
            account_id=account or DEFAULT_ACCOUNT,
            region=region if isinstance(region, str) and region != UNKNOWN else DEFAULT_REGION,
        )

    def _computed(
        self, typ: str, name: str, urn: str, inputs: dict[str, Any], account: str, region: str
    ) -> tuple[str, dict[str, Any]]:
        """The id and the attributes AWS computes for a create, for the types the program uses."""
        uid = _stable_uuid(urn)
        named = inputs.get("name")
        given = named if isinstance(named, str) else name
        p, r, a = PARTITION, region, account
        if typ.startswith(_PROVIDER_PREFIX):
            return uid, {}
        if typ == "aws:kms/key:Key":
            return uid, {"arn": f"arn:{p}:kms:{r}:{a}:key/{uid}", "keyId": uid}
        if typ == "aws:kms/alias:Alias":
            target = inputs.get("targetKeyId", "")
            key_arn = (
                target
                if isinstance(target, str) and target.startswith("arn:")
                else f"arn:{p}:kms:{r}:{a}:key/{target}"
            )
            return given, {"arn": f"arn:{p}:kms:{r}:{a}:{given}", "targetKeyArn": key_arn}
        # A logically air-gapped vault is a backup vault too: the IAM resource type backupVault,
        # arn:...:backup-vault:NAME (Service Authorization Reference, AWS Backup resource types).
        if typ in (
            "aws:backup/vault:Vault",
            "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault",
        ):
            return given, {
                "arn": f"arn:{p}:backup:{r}:{a}:backup-vault:{given}",
                "recoveryPoints": 0,
            }
        if typ == "aws:backup/plan:Plan":
            return uid, {
                "arn": f"arn:{p}:backup:{r}:{a}:backup-plan:{uid}",
                "version": _hex(urn + "#version", 32),
            }
        if typ in {
            "aws:backup/vaultPolicy:VaultPolicy",
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
            "aws:backup/vaultNotifications:VaultNotifications",
        }:
            vault = inputs.get("backupVaultName", given)
            return str(vault), {"backupVaultArn": f"arn:{p}:backup:{r}:{a}:backup-vault:{vault}"}
        if typ == "aws:backup/selection:Selection":
            return uid, {}
        if typ == "aws:backup/globalSettings:GlobalSettings":
            return a, {}
        if typ == "aws:iam/role:Role":
            path = inputs.get("path") or "/"
            return given, {
                "arn": f"arn:{p}:iam::{a}:role{path}{given}",
                "uniqueId": "AROA" + _hex(urn, 17).upper(),
                "createDate": "2026-01-01T00:00:00Z",
            }
        if typ == "aws:iam/policy:Policy":
            return f"arn:{p}:iam::{a}:policy/{given}", {
                "arn": f"arn:{p}:iam::{a}:policy/{given}",
                "policyId": "ANPA" + _hex(urn, 17).upper(),
            }
        if typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            return f"{inputs.get('role', name)}-{_hex(urn, 20)}", {}
        if typ == "aws:sns/topic:Topic":
            arn = f"arn:{p}:sns:{r}:{a}:{given}"
            return arn, {"arn": arn, "owner": a}
        if typ == "aws:sns/topicPolicy:TopicPolicy":
            return str(inputs.get("arn", name)), {"owner": a}
        if typ == "aws:sns/topicSubscription:TopicSubscription":
            arn = f"{inputs.get('topicArn', f'arn:{p}:sns:{r}:{a}:{name}')}:{uid}"
            return arn, {"arn": arn, "ownerId": a}
        # Anything else: id = its name, and an ARN of the usual shape.
        service = typ.split(":")[1].split("/")[0] if typ.count(":") >= 2 else "unknown"
        kind = typ.rsplit(":", 1)[-1].lower()
        return given, {"arn": f"arn:{p}:{service}:{r}:{a}:{kind}/{given}"}


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, which also hands the mocks what only the request carries."""

    mocks: RecordingMocks

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.resource_outputs: dict[str, dict[str, Any]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine's URNs: a child of the root stack carries no `pulumi:pulumi:Stack$` prefix,
        # a child of a component does carry its parent's type.
        if parent and parent.split("::")[2].split("$")[-1] == "pulumi:pulumi:Stack":
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        options: dict[str, Any] = {"protect": bool(request.protect)}
        if request.deleteBeforeReplaceDefined or request.deleteBeforeReplace:
            options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
        if request.retainOnDelete:
            options["retainOnDelete"] = True
        for opt, attr in (
            ("ignoreChanges", "ignoreChanges"),
            ("replaceOnChanges", "replaceOnChanges"),
            ("additionalSecretOutputs", "additionalSecretOutputs"),
            ("aliases", "aliasURNs"),
        ):
            values = list(getattr(request, attr, []) or [])
            if values:
                options[opt] = [str(v) for v in values]
        aliases = self._alias_urns(request)
        if aliases:
            options["aliases"] = aliases
        if request.version:
            options["version"] = request.version
        if request.importId:
            options["import"] = request.importId
        if request.deletedWith:
            options["deletedWith"] = request.deletedWith
        if request.HasField("customTimeouts"):
            ct = request.customTimeouts
            timeouts = {"create": ct.create, "update": ct.update, "delete": ct.delete}
            options["customTimeouts"] = {k: v for k, v in timeouts.items() if v}
        details = {
            "urn": urn,
            "inputs": inputs,
            "parent": request.parent,
            "options": options,
            "dependencies": list(request.dependencies),
            "property_dependencies": {
                k: list(v.urns) for k, v in request.propertyDependencies.items() if v.urns
            },
        }
        with self.mocks.registering(details):
            return super().RegisterResource(request)

    def _alias_urns(self, request: Any) -> list[str]:
        """The request's alias specs as the URNs the engine resolves them to.

        The SDK sends `Alias` objects as specs when the monitor supports `aliasSpecs` (the mock
        monitor does). pulumi/pulumi `pkg/resource/deploy/source_eval.go` (`RegisterResource`)
        reads each spec's name, type, stack, project, parentUrn and noParent; `step_generator.go`
        (`generateAliases`) fills what a spec leaves empty with the resource's own name, type,
        stack, project and parent (none with `noParent`).
        """
        urns: list[str] = []
        for alias in getattr(request, "aliases", []) or []:
            if alias.HasField("spec"):
                spec = alias.spec
                parent = "" if spec.noParent else (spec.parentUrn or request.parent)
                if parent and parent.split("::")[2].split("$")[-1] == "pulumi:pulumi:Stack":
                    parent = ""
                parent_type = parent.split("::")[2] if parent else ""
                type_ = spec.type or request.type
                qualified = f"{parent_type}${type_}" if parent_type else type_
                stack = spec.stack or pulumi.get_stack()
                project = spec.project or pulumi.get_project()
                urns.append(
                    f"urn:pulumi:{stack}::{project}::{qualified}::{spec.name or request.name}"
                )
            elif alias.urn:
                urns.append(alias.urn)
        return urns

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        self.resource_outputs[request.urn] = _plain(outputs)
        return super().RegisterResourceOutputs(request)
