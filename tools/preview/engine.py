"""The offline engine: run a stack's Pulumi program with no Pulumi CLI, no cloud, no credentials.

What `pulumi preview` / `pulumi up` would do, done in-process:

- `load_stack_config` reads the stack's configuration the way the CLI does: the project's
  declared `config:` defaults in `Pulumi.yaml` (and `value:` entries such as
  `pulumi:disable-default-providers`), overridden by `Pulumi.<stack>.yaml`. Keys come back in
  full (`cross-account-backup:sourceAccount`), values decoded
  (dicts, lists, numbers), never JSON strings.
- `RecordingMocks` stands in for the engine and the providers: it records every registration (type,
  name, URN, inputs, provider, parent, options, property dependencies) in order and answers with
  realistic ids and ARNs in the account and region of the resource's explicit provider, derived
  from a hash of the URN so that every run prints the same. With `preview=True` it behaves like the
  engine during a preview: a create returns its (checked) inputs and nothing computed, so ids, ARNs
  and everything derived from them are unknown, exactly as `pulumi preview` shows `output<string>`.
  Like the engine, it refuses an `aws:` resource without an explicit provider when the project
  disables the default provider.
- `run_stack` sets the mocks, the project, the stack and the config, runs the program's
  `__main__.py` with `runpy` from the project directory (as the Python language host does), waits
  for every registration and returns an `OfflineRun`: resources in registration order, the stack
  outputs and the exception the program raised, if any. It resets the Pulumi runtime's global state
  first, so that it can be called any number of times in one process (dev, then prod, ...).
- `to_analyzer_resources` turns a run into the plain dicts `tools/preview/pack_client.py` sends to a
  policy pack, with unknown values as `UNKNOWN` (the sentinel the CLI sends on the wire).

Nothing here is specific to this repo's program: tests run it on throwaway programs too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import runpy
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from tools.stack.config import encode_config, load_stack_config, read_stack_config
from tools.stack.errors import OfflineError, StackNotFound
from tools.stack.project import REPO_ROOT, list_stacks, load_project

__all__ = [
    "REPO_ROOT",
    "UNKNOWN",
    "EngineError",
    "OfflineError",
    "OfflineRun",
    "RecordingMocks",
    "RecordingMonitor",
    "Registration",
    "StackNotFound",
    "encode_config",
    "list_stacks",
    "load_project",
    "load_stack_config",
    "run_stack",
    "to_analyzer_resources",
]

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

            self.registrations.append(
                Registration(
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
            )
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
        if typ == "aws:backup/vault:Vault":
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

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        self.resource_outputs[request.urn] = _plain(outputs)
        return super().RegisterResourceOutputs(request)


# --------------------------------------------------------------------------------------------
# Running a stack
# --------------------------------------------------------------------------------------------


@dataclass
class OfflineRun:
    """What one offline run of a stack produced."""

    project: str
    stack: str
    preview: bool
    config: dict[str, Any]
    resources: list[Registration]
    providers: dict[str, ProviderInfo]
    outputs: dict[str, Any]
    """Stack outputs; `UNKNOWN` for those not known until deployment (in a preview)."""
    error: BaseException | None
    """What the program raised (a `ConfigError` for bad config), or None."""
    stack_urn: str
    namespace: dict[str, Any] = field(default_factory=dict)
    """The program's module globals after the run (the component objects, for tests)."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def by_name(self, name: str) -> Registration:
        """The resource with this logical name (first match); KeyError if none."""
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.resources if r.type == typ]

    def provider_of(self, resource: Registration) -> ProviderInfo | None:
        return self.providers.get(resource.provider_urn)


def _reset_runtime() -> None:
    """Forget the previous program, so that `run_stack` can run again in the same process.

    The Pulumi SDK keeps its state in module globals and context variables:
    - the root stack resource (`settings.ROOT`): `set_mocks` creates a new `Stack` only when it
      is None; left set, a second run's resources would hang off the first run's stack, and its
      exports would land in the first run's outputs;
    - pending output tasks (`SETTINGS.outputs`), which the next `wait_for_rpcs` would await;
    - the config map and secret keys (`CONFIG`, `_SECRET_KEYS`).
    `set_mocks` itself replaces the monitor, the engine, the RPC manager (with its first
    unhandled exception), the project, the stack and the dry-run flag; `run_stack` also sets the
    root directory and drains every RPC of a failed program (`_drain`), which would otherwise
    run against the next run's monitor.
    """
    pulumi_settings.ROOT.set(None)
    pulumi_settings.SETTINGS.outputs = set()
    pulumi.runtime.set_all_config({}, [])


def _drain() -> BaseException | None:
    """Wait for every registration and output, even after a failure; the first error, if any.

    After one RPC fails, `wait_for_rpcs` raises at once and leaves the others pending; they would
    then run against the *next* run's monitor. So keep waiting until nothing is left.
    """
    first: BaseException | None = None
    manager = pulumi_settings.SETTINGS.rpc_manager
    for _ in range(1000):
        try:
            _sync_await(wait_for_rpcs())
        except Exception as exc:
            first = first or exc
        pending = list(pulumi_settings.SETTINGS.outputs)
        if not manager.rpcs and not pending:
            break
        if pending:
            pulumi_settings.SETTINGS.outputs = set()
            _sync_await(asyncio.gather(*pending, return_exceptions=True))
    return first


async def _resolve(value: Any) -> Any:
    out = pulumi.Output.from_input(value)
    if not await out.is_known():
        return UNKNOWN
    return _plain(await out.future(with_unknowns=True))


def run_stack(
    stack: str,
    *,
    preview: bool = False,
    config_overrides: Mapping[str, Any] | None = None,
    project_dir: Path = REPO_ROOT,
    program: Path | None = None,
    skip_config_validation: bool = False,
) -> OfflineRun:
    """Run the project's program for `stack` under `RecordingMocks`, as `pulumi preview`/`up` would.

    `config_overrides` are `-c` values applied before the CLI's checks (`read_stack_config`: a key
    with or without the project namespace replaces the whole value, a dotted key is a path merged
    into it, `None` removes); `skip_config_validation` is the CLI's `--skip-config-validation`.
    `program` defaults to `<project_dir>/__main__.py`. Raises `OfflineError` (`StackNotFound`,
    the CLI's config refusals, unreadable files) before the program runs; what the program
    itself raises is returned in `OfflineRun.error`, after every registration it made has settled.
    """
    project_dir = Path(project_dir).resolve()
    project = load_project(project_dir)["name"]
    loaded = read_stack_config(
        stack, project_dir, config_overrides, validate=not skip_config_validation
    )
    config = loaded.config
    program_path = Path(program) if program else project_dir / "__main__.py"
    if not program_path.is_file():
        raise OfflineError(f"no program: {program_path} does not exist")

    disabled = config.get("pulumi:disable-default-providers") or []
    if isinstance(disabled, str):
        disabled = _from_json(disabled)
    mocks = RecordingMocks(
        preview=preview,
        disabled_default_providers=frozenset(str(p) for p in disabled if isinstance(p, str)),
    )
    monitor = RecordingMonitor(mocks)

    _reset_runtime()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    pulumi_settings.SETTINGS.root_directory = str(project_dir)
    pulumi.runtime.set_all_config(encode_config(config), loaded.secret_keys)
    root = pulumi_settings.get_root_resource()

    error: BaseException | None = None
    namespace: dict[str, Any] = {}
    old_cwd = Path.cwd()
    added_path = str(project_dir) not in sys.path
    if added_path:
        sys.path.insert(0, str(project_dir))
    try:
        os.chdir(project_dir)
        try:
            namespace = runpy.run_path(str(program_path), run_name="__main__")
        except Exception as exc:  # the program's own failure is a result, not a crash
            error = exc
        drained = _drain()
        error = error or drained or (mocks.engine_errors[0] if mocks.engine_errors else None)
        outputs: dict[str, Any] = {}
        if error is None and root is not None:
            for key, value in getattr(root, "outputs", {}).items():
                try:
                    outputs[key] = _sync_await(_resolve(value))
                except Exception as exc:
                    error = exc
                    break
    finally:
        os.chdir(old_cwd)
        if added_path:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(project_dir))
        # Leave nothing pending for the next run (tasks of a failed program, config).
        pulumi_settings.SETTINGS.outputs = set()

    return OfflineRun(
        project=project,
        stack=stack,
        preview=preview,
        config=config,
        resources=list(mocks.registrations),
        providers=dict(mocks.providers),
        outputs=outputs,
        error=error,
        stack_urn=f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}",
        namespace=namespace,
    )


# --------------------------------------------------------------------------------------------
# For the policy pack
# --------------------------------------------------------------------------------------------


def _analyzer_provider(run: OfflineRun, reference: str) -> dict[str, Any] | None:
    urn = provider_urn(reference)
    for r in run.resources:
        if r.urn == urn:
            return {
                "type": r.type,
                "name": r.name,
                "urn": r.urn,
                "properties": r.inputs,
            }
    return None


def to_analyzer_resources(run: OfflineRun) -> list[dict[str, Any]]:
    """Every registered resource as the plain dict `tools/preview/pack_client.py` sends to the pack.

    `{"type", "urn", "name", "properties", "options", "provider", "parent",
    "propertyDependencies"}`, in registration order, providers and components included (the CLI
    analyzes them too). Properties are the checked inputs, camelCase; a value not known yet is
    `UNKNOWN`. `provider` is None for a resource on the default provider and for providers and
    components themselves.
    """
    resources: list[dict[str, Any]] = []
    for r in run.resources:
        resources.append(
            {
                "type": r.type,
                "urn": r.urn,
                "name": r.name,
                "properties": r.inputs,
                "options": {
                    "protect": bool(r.options.get("protect", False)),
                    "ignoreChanges": list(r.options.get("ignoreChanges", [])),
                    "aliases": list(r.options.get("aliases", [])),
                    "additionalSecretOutputs": list(r.options.get("additionalSecretOutputs", [])),
                    "customTimeouts": dict(r.options.get("customTimeouts", {})),
                    "parent": r.parent,
                    # Only when the program set it, as the engine's `deleteBeforeReplaceDefined`.
                    **(
                        {"deleteBeforeReplace": bool(r.options["deleteBeforeReplace"])}
                        if "deleteBeforeReplace" in r.options
                        else {}
                    ),
                },
                "provider": _analyzer_provider(run, r.provider) if r.provider else None,
                "parent": r.parent,
                "propertyDependencies": dict(r.property_dependencies),
                "dependencies": list(r.dependencies),
                "custom": r.custom,
            }
        )
    return resources
