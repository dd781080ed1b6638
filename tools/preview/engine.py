"""The offline engine: run a stack's Pulumi program with no Pulumi CLI, no cloud, no credentials.

What `pulumi preview` / `pulumi up` would do, done in-process:

- `load_stack_config` (`tools/stack/config.py`) reads the stack's configuration the way the CLI
  does: the project's declared `config:` defaults in `Pulumi.yaml` (and `value:` entries such as
  `pulumi:disable-default-providers`), overridden by `Pulumi.<stack>.yaml`. Keys come back in
  full (`cross-account-backup:sourceAccount`), values decoded (dicts, lists, numbers), never JSON
  strings.
- `RecordingMocks` (`mocks.py`) stands in for the engine and the providers: it records every
  registration in order and answers with realistic ids and ARNs in the account and region of the
  resource's explicit provider. With `preview=True` it behaves like the engine during a preview:
  ids, ARNs and everything derived from them are unknown, exactly as `pulumi preview` shows
  `output<string>`. Like the engine, it refuses an `aws:` resource without an explicit provider
  when the project disables the default provider.
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
import gc
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from tools.preview.mocks import (
    UNKNOWN,
    EngineError,
    ProviderInfo,
    RecordingMocks,
    RecordingMonitor,
    Registration,
    _from_json,
    _plain,
    contains_unknown,
    provider_urn,
)
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
    "contains_unknown",
    "encode_config",
    "list_stacks",
    "load_project",
    "load_stack_config",
    "run_stack",
    "to_analyzer_resources",
]


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


#: The cyclic garbage collector's first threshold while a program runs (CPython's default: 700).
PROGRAM_GC_THRESHOLD = 100_000


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run less often while the program runs.

    Registering a resource under the SDK allocates hundreds of objects (futures, tasks, an
    `Output` per property) that stay alive until the run ends, so every collection finds little
    garbage and the older generations, which the frequent young collections fill, grow with the
    stack: at 200 source accounts (3,416 resources) the collector took about 7 of the program's
    17 CPU seconds (12 full collections of ~0.4 s), and the time per resource grew with the
    number of sources. With the first threshold at `PROGRAM_GC_THRESHOLD` it takes under 1 s;
    nothing else changes (reference counting still frees what is not in a cycle; the few cycles
    wait a little longer). The previous thresholds come back afterwards.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], PROGRAM_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
    on_register: Callable[[Registration], None] | None = None,
) -> OfflineRun:
    """Run the project's program for `stack` under `RecordingMocks`, as `pulumi preview`/`up` would.

    `config_overrides` are `-c` values applied before the CLI's checks (`read_stack_config`: a key
    with or without the project namespace replaces the whole value, a dotted key is a path merged
    into it, `None` removes); `skip_config_validation` is the CLI's `--skip-config-validation`.
    `program` defaults to `<project_dir>/__main__.py`. `on_register` is called with each
    registration as the mocks record it, in registration order (the preview's `Analyze` feed).
    Raises `OfflineError` (`StackNotFound`,
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
    mocks.on_register = on_register
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
        with _fewer_collections():
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
            return analyzer_provider(r)
    return None


def analyzer_provider(r: Registration) -> dict[str, Any]:
    """A registered provider as `AnalyzeRequest.provider` carries it."""
    return {"type": r.type, "name": r.name, "urn": r.urn, "properties": r.inputs}


def to_analyzer_resource(r: Registration, provider: dict[str, Any] | None) -> dict[str, Any]:
    """One registration as the plain dict the pack gets (`provider`: `analyzer_provider` of its
    explicit provider, None on the default provider); see `to_analyzer_resources`."""
    return {
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
        "provider": provider,
        "parent": r.parent,
        "propertyDependencies": dict(r.property_dependencies),
        "dependencies": list(r.dependencies),
        "custom": r.custom,
    }


def to_analyzer_resources(run: OfflineRun) -> list[dict[str, Any]]:
    """Every registered resource as the plain dict `tools/preview/pack_client.py` sends to the pack.

    `{"type", "urn", "name", "properties", "options", "provider", "parent",
    "propertyDependencies"}`, in registration order, providers and components included (the CLI
    analyzes them too). Properties are the checked inputs, camelCase; a value not known yet is
    `UNKNOWN`. `provider` is None for a resource on the default provider and for providers and
    components themselves.
    """
    providers: dict[str, dict[str, Any]] = {}
    for r in run.resources:  # the first registration of a URN, as `_analyzer_provider`
        providers.setdefault(r.urn, analyzer_provider(r))
    return [
        to_analyzer_resource(r, providers.get(provider_urn(r.provider)) if r.provider else None)
        for r in run.resources
    ]
