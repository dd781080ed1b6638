"""The offline preview's run: see and policy-check a stack's plan in every account.

What `pulumi preview --policy-pack policies` would do, with no Pulumi CLI, no cloud and no
credentials (the command line is `__main__.py`, `python -m tools.preview`):

1. the stack's config is loaded as Pulumi loads it (`tools/stack/`) and the program runs under
   mocks in preview mode (`tools/preview/engine.py`): ids, ARNs and whatever depends on them are
   unknown, as in a real preview; each resource lands in the account and region of its explicit
   provider;
2. meanwhile the policy pack is started as the CLI starts it (its own process, its analyzer gRPC
   interface: `tools/stack/pack_launch.py`, `tools/preview/pack_client.py`) and configured with
   the stack's policy config (`tools/stack/policy_config.py`, the same file `make policy-config`
   writes for `pulumi up`);
3. every resource goes through `Analyze` as the program registers it (`StreamingAnalysis`, a
   worker thread, as the engine analyzes each registration), then the whole stack through
   `AnalyzeStack` once the program has finished;
4. the caller renders the plan and the policy results (`tools/preview/render.py`).
"""

from __future__ import annotations

import collections
import contextlib
import queue
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tools.stack.config import StackConfig, encode_config, read_stack_config
from tools.stack.errors import OfflineError, StackNotFound

# Only Pulumi-free modules at import time: the pack process is spawned first
# (`tools/stack/pack_launch.py`), and boots while this process imports Pulumi and runs the program.
from tools.stack.pack_launch import LaunchedPack, PackError, launch_pack
from tools.stack.project import REPO_ROOT
from tools.stack.secrets import mask_secrets

if TYPE_CHECKING:
    import grpc
    from pulumi.runtime.proto import analyzer_pb2

    from tools.preview.engine import OfflineRun
    from tools.preview.mocks import Registration
    from tools.preview.pack_client import PolicyPackProcess
    from tools.preview.render import PolicyReport, Violation

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_ERROR = 2

DEFAULT_PACK = REPO_ROOT / "policies"


class PreviewError(Exception):
    """The preview could not run. `kind` is "stack", "config", "program" or "pack"."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# The policy pack
# --------------------------------------------------------------------------------------------


def stack_policy_config(
    stack: str, project_dir: Path = REPO_ROOT, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The policy pack config for `stack`, the one `make policy-config` writes for `pulumi up`
    (`overrides`: as `python -m tools.stack.policy_config -c`).

    With it the pack judges each resource on its own (the accounts are named); without it the
    pack infers the accounts from the stack, and must reject the same mistakes.
    """
    from tools.stack.policy_config import policy_config

    try:
        return dict(policy_config(stack, project_dir, overrides))
    except ValueError as exc:  # PolicyConfigError: the stack file can't give the accounts
        raise PreviewError("config", f"policy config: {exc}") from exc


def pack_version(pack_dir: Path, reported: str | None) -> str:
    """The pack's version as the CLI shows it: `version:` in its PulumiPolicy.yaml when present,
    else the one the pack reports (pulumi-policy reports 0.0.1 whatever the pack's version)."""
    with contextlib.suppress(OSError, yaml.YAMLError):
        data = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
        declared = data.get("version") if isinstance(data, Mapping) else None
        if declared is not None and str(declared).strip():
            return str(declared).strip()
    return reported or "0.0.0"


def _attach(launched: LaunchedPack) -> PolicyPackProcess:
    """The pack spawned before the program ran, its port dialed and the stack configured;
    `PreviewError` if it did not start."""
    from tools.preview.pack_client import PolicyPackProcess

    try:
        return PolicyPackProcess.attach(launched)
    except PackError as exc:
        raise PreviewError("pack", str(exc)) from exc


IN_FLIGHT = 4  # pulumi-policy's gRPC server: `futures.ThreadPoolExecutor(max_workers=4)`


class StreamingAnalysis:
    """The pack's `Analyze` of each resource as the program registers it, as the engine does.

    Up to `IN_FLIGHT` `Analyze` calls are outstanding at once (answers read in the order sent, so
    violations come in registration order): waiting for each answer before sending the next left the
    pack idle half the time, because the answer waits for this process's GIL, held by the program.
    The engine sends them one after the other; each `Analyze` is judged on its own request
    (pulumi-policy serves them on a thread pool of 4, `pulumi_policy/policy.py`), so the results are
    the same. A worker thread attaches to the launched pack (waits for its port, `ConfigureStack`,
    `GetAnalyzerInfo`, `Configure`), then sends `Analyze` for each registration `feed` hands it, in
    registration order, while the program goes on registering (the pack is its own process: it runs
    on the other core). `finish` waits for the last `Analyze`, sends `AnalyzeStack` and returns the
    report, exactly what analyzing the finished run would give; a failure of the pack (it did not
    start, it crashed on a resource) is raised there, as `PreviewError("pack")`.
    """

    def __init__(self, launched: LaunchedPack, pack_dir: Path, config: Mapping[str, Any]) -> None:
        self.launched = launched
        self.pack_dir = pack_dir
        self.config = dict(config)
        self.pack: PolicyPackProcess | None = None
        self.resources: list[dict[str, Any]] = []
        #: `AnalyzeStackRequest.resources`, built with each `Analyze` (`PolicyPackProcess.
        #: stack_resource`), so that only sending it is left after the program.
        self._stack: list[analyzer_pb2.AnalyzerResource] = []
        self.violations: list[Violation] = []
        self.info: dict[str, Any] = {}
        self.version = ""
        #: Seconds from the first `Analyze` sent to the last answered (the pack's calls overlap
        #: the program), then in `AnalyzeStack`.
        self.analyze_seconds = 0.0
        self.analyze_stack_seconds = 0.0
        self._queue: queue.SimpleQueue[Registration | None] = queue.SimpleQueue()
        self._providers: dict[str, dict[str, Any]] = {}
        self._error: BaseException | None = None
        self._first_sent: float | None = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._work, name="preview-analyze", daemon=True)
        self._thread.start()

    def feed(self, registration: Registration) -> None:
        """Called by the mocks with each registration, in order (cheap: a queue put)."""
        self._queue.put(registration)

    def _work(self) -> None:
        from tools.preview.engine import analyzer_provider, to_analyzer_resource
        from tools.preview.mocks import provider_urn

        try:
            self.pack = _attach(self.launched)
            self.info = self.pack.get_info()
            self.version = pack_version(self.pack_dir, self.info.get("version"))
            # `--policy-pack-config` is per pack: send only what this pack declares, so another
            # pack (`--policy-pack DIR`) runs with its own defaults.
            declared = {p.get("name") for p in self.info.get("policies", [])}
            self.config = {k: v for k, v in self.config.items() if k in declared}
            if self.config:
                self.pack.configure(self.config)
            in_flight: collections.deque[tuple[str, grpc.Future]] = collections.deque()
            while (registration := self._queue.get()) is not None:
                if self._cancelled.is_set():
                    return
                # The provider a resource names registered before it (its URN is an input).
                self._providers.setdefault(registration.urn, analyzer_provider(registration))
                reference = registration.provider
                provider = self._providers.get(provider_urn(reference)) if reference else None
                resource = to_analyzer_resource(registration, provider)
                self.resources.append(resource)
                request = self.pack.analyze_request(resource)
                # AnalyzeStack's share built now, from the same conversion, not after the program.
                self._stack.append(self.pack.stack_resource(resource, request))
                if self._first_sent is None:
                    self._first_sent = time.perf_counter()
                in_flight.append((resource["urn"], self.pack.analyze_future(resource, request)))
                if len(in_flight) >= IN_FLIGHT:
                    self._collect(in_flight.popleft())
            while in_flight:
                self._collect(in_flight.popleft())
            if self._first_sent is not None:
                self.analyze_seconds = time.perf_counter() - self._first_sent
        except BaseException as exc:  # raised in `finish`, on the caller's thread
            self._error = exc

    def _collect(self, sent: tuple[str, grpc.Future]) -> None:
        urn, future = sent
        for d in self.pack_process.diagnostics(future):
            self.violations.append(_violation(d, self.info, self.version, "analyze", urn))

    @property
    def pack_process(self) -> PolicyPackProcess:
        assert self.pack is not None
        return self.pack

    def cancel(self) -> None:
        """The program failed: stop analyzing (its error is the one reported)."""
        self._cancelled.set()
        self._queue.put(None)
        self.launched.stop()  # a worker waiting for the port or a call returns at once
        self._thread.join()
        if self.pack is not None:
            self.pack.stop()

    def finish(self) -> PolicyReport:
        """Wait for every `Analyze`, send `AnalyzeStack`; the report."""
        from pulumi.runtime.proto import analyzer_pb2

        from tools.preview.render import PolicyInfo, PolicyReport

        self._queue.put(None)
        self._thread.join()
        pack = self.pack
        try:
            if self._error is not None:
                raise self._error
            assert pack is not None
            t0 = time.perf_counter()
            request = analyzer_pb2.AnalyzeStackRequest(resources=self._stack)
            for d in pack.send_analyze_stack(request):
                self.violations.append(_violation(d, self.info, self.version, "analyzeStack", ""))
            self.analyze_stack_seconds = time.perf_counter() - t0
        except PreviewError:
            raise
        except PackError as exc:
            raise PreviewError("pack", str(exc)) from exc
        except Exception as exc:  # gRPC failures: the pack crashed on a resource
            stderr = pack.stderr if pack is not None else self.launched.stderr
            raise PreviewError("pack", f"the policy pack failed: {exc}\n{stderr}".strip()) from exc
        finally:
            if pack is not None:
                pack.stop()
        levels = {
            name: value.get("enforcementLevel")
            for name, value in self.config.items()
            if isinstance(value, Mapping)
        }
        policies = [
            PolicyInfo(
                name=p.get("name", ""),
                description=p.get("description", ""),
                enforcement_level=levels.get(p.get("name"))
                or p.get("enforcementLevel", "advisory"),
            )
            for p in self.info.get("policies", [])
        ]
        return PolicyReport(
            pack_name=self.info.get("name", self.pack_dir.name),
            pack_version=self.version,
            pack_path=_display_path(self.pack_dir),
            config=dict(self.config),
            policies=policies,
            violations=_dedupe(self.violations),
            analyzed_resources=len(self.resources),
        )


def analyze(
    pack: PolicyPackProcess, run: OfflineRun, pack_dir: Path, config: Mapping[str, Any]
) -> PolicyReport:
    """Analyze each resource of a finished run, then the stack, as the CLI does during
    `pulumi preview` (the preview itself streams them: `StreamingAnalysis`)."""
    from tools.preview.engine import to_analyzer_resources
    from tools.preview.render import PolicyInfo, PolicyReport

    resources = to_analyzer_resources(run)
    try:
        info = pack.get_info()
        version = pack_version(pack_dir, info.get("version"))
        # `--policy-pack-config` is per pack: send only what this pack declares, so another
        # pack (`--policy-pack DIR`) runs with its own defaults.
        declared = {p.get("name") for p in info.get("policies", [])}
        config = {k: v for k, v in config.items() if k in declared}
        if config:
            pack.configure(config)
        violations: list[Violation] = []
        for resource in resources:
            for d in pack.analyze(resource):
                violations.append(_violation(d, info, version, "analyze", resource["urn"]))
        for d in pack.analyze_stack(resources):
            violations.append(_violation(d, info, version, "analyzeStack", ""))
    except PackError as exc:
        raise PreviewError("pack", str(exc)) from exc
    except Exception as exc:  # gRPC failures: the pack crashed on a resource
        raise PreviewError("pack", f"the policy pack failed: {exc}\n{pack.stderr}".strip()) from exc
    levels = {
        name: value.get("enforcementLevel")
        for name, value in config.items()
        if isinstance(value, Mapping)
    }
    policies = [
        PolicyInfo(
            name=p.get("name", ""),
            description=p.get("description", ""),
            enforcement_level=levels.get(p.get("name")) or p.get("enforcementLevel", "advisory"),
        )
        for p in info.get("policies", [])
    ]
    return PolicyReport(
        pack_name=info.get("name", pack_dir.name),
        pack_version=version,
        pack_path=_display_path(pack_dir),
        config=dict(config),
        policies=policies,
        violations=_dedupe(violations),
        analyzed_resources=len(resources),
    )


def _violation(d: Any, info: Mapping[str, Any], version: str, phase: str, urn: str) -> Violation:
    from tools.preview.render import Violation

    return Violation(
        policy_name=d.policy_name,
        enforcement_level=d.enforcement_level,
        message=d.message,
        description=d.description,
        urn=d.urn or urn,
        pack_name=str(info.get("name", "")),
        pack_version=version,
        phase=phase,
    )


def _dedupe(violations: list[Violation]) -> list[Violation]:
    # A rule may fire in Analyze and again in AnalyzeStack for the same resource and reason;
    # the CLI prints each, but a reader needs it once.
    seen: set[tuple[str, str, str]] = set()
    out = []
    for v in violations:
        key = (v.policy_name, v.urn, v.message)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------
# The preview
# --------------------------------------------------------------------------------------------


def _program_error(run: OfflineRun, loaded: StackConfig) -> PreviewError:
    error = run.error
    assert error is not None
    # The program's ConfigError is written for users (key, value, what is valid): as is, unless
    # it is about a secret's placeholder, which the user never wrote.
    if type(error).__name__ == "ConfigError":
        key = f"{loaded.project}:{getattr(error, 'key', '')}"
        if key in loaded.secrets:
            short = key.split(":", 1)[1]
            return PreviewError(
                "config",
                f"{key} is a secret (secure:) that the offline preview can't decrypt, and its "
                f"placeholder does not pass the program's check ({mask_secrets(str(error))}). "
                f"Give it a value for this preview: -c '{short}=...'",
            )
        return PreviewError("config", str(error))
    return PreviewError("program", f"the program failed: {type(error).__name__}: {error}")


@contextlib.contextmanager
def _switch_interval(streaming: StreamingAnalysis | None) -> Iterator[None]:
    """While the pack analyzes in a thread, let that thread have the GIL back soon.

    The program is CPU-bound in this process; the worker only waits on the pack (gRPC releases
    the GIL) and then needs the GIL for a moment to read the answer and send the next resource.
    With CPython's default switch interval (5 ms, `sys.getswitchinterval`) each `Analyze`
    answer waited up to 5 ms for the program to yield: at 200 sources the pack's calls took
    twice as long as when sent after the program. 0.5 ms keeps the pack busy.
    """
    if streaming is None:
        yield
        return
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def preview(
    stack: str,
    *,
    pack_dir: Path | None = DEFAULT_PACK,
    config_overrides: Mapping[str, Any] | None = None,
    project_dir: Path = REPO_ROOT,
) -> tuple[OfflineRun, PolicyReport | None, dict[str, float]]:
    """Run the program and the pack for `stack`; raise `PreviewError` if either can't run.

    Returns the run, the pack's report (None with `pack_dir=None`) and the timings in seconds:
    `setup` (reading the stack files, spawning the pack, importing Pulumi), `program` (the
    program under mocks), `analysis` (what is left of the pack's boot, Analyze and
    AnalyzeStack), `total`, and `packStartup` (the pack's boot, which overlaps setup and program).
    """
    t0 = time.perf_counter()
    try:
        # The -c overrides first, then the CLI's checks (tools/stack/config.py).
        loaded = read_stack_config(stack, project_dir, config_overrides)
        project = loaded.project
        stack_config = loaded.config
        for warning in loaded.warnings:  # as the CLI prints them, off stdout
            print(f"warning: {warning}", file=sys.stderr)
    except StackNotFound as exc:
        # Fail before starting the pack: there is nothing to analyze.
        raise PreviewError("stack", str(exc)) from exc
    except OfflineError as exc:  # the stack's config, refused by the CLI's rules
        raise PreviewError("config", str(exc)) from exc
    launched: LaunchedPack | None = None
    streaming: StreamingAnalysis | None = None
    analysis: StreamingAnalysis | None = None
    deferred: PreviewError | None = None
    try:
        if pack_dir is not None:
            try:
                launched = launch_pack(
                    Path(pack_dir),
                    project=project,
                    stack=stack,
                    dry_run=True,
                    stack_config=encode_config(stack_config),
                )
            except PackError as exc:
                raise PreviewError("pack", str(exc)) from exc
            except OSError as exc:
                raise PreviewError("pack", f"the policy pack did not start: {exc}") from exc
            try:
                # From the stack file, without -c: what `make policy-config` writes for `pulumi up`.
                config = stack_policy_config(stack, project_dir)
            except PreviewError as exc:  # reported after the program, whose error comes first
                deferred = exc
            else:
                streaming = StreamingAnalysis(launched, Path(pack_dir), config)
        from tools.preview.engine import run_stack  # Pulumi: imported while the pack boots

        t_program = time.perf_counter()
        try:
            # Whatever the program prints goes to stderr: stdout is the preview (or its JSON).
            with contextlib.redirect_stdout(sys.stderr), _switch_interval(streaming):
                run = run_stack(
                    stack,
                    preview=True,
                    config_overrides=config_overrides,
                    project_dir=project_dir,
                    on_register=streaming.feed if streaming is not None else None,
                )
        except OfflineError as exc:
            raise PreviewError("stack", str(exc)) from exc
        t1 = time.perf_counter()
        if run.error is not None:
            raise _program_error(run, loaded)
        if deferred is not None:
            raise deferred
        report = None
        if streaming is not None:
            analysis, streaming = streaming, None  # finish stops the pack, whatever happens
            report = analysis.finish()
        t2 = time.perf_counter()
    finally:
        if streaming is not None:
            streaming.cancel()
        if launched is not None:
            launched.stop()
    timings = {
        "setup": t_program - t0,
        "program": t1 - t_program,
        "analysis": t2 - t1,
        "total": time.perf_counter() - t0,
    }
    if launched is not None and launched.startup_seconds is not None:
        # The pack's boot, to its port line, in parallel with setup and the program.
        timings["packStartup"] = launched.startup_seconds
    if report is not None and analysis is not None:
        # The pack's calls as the preview timed them: `Analyze` runs while the program does
        # (only what outlasts the program shows in `analysis`), `AnalyzeStack` after it.
        timings["packAnalyze"] = analysis.analyze_seconds
        timings["packAnalyzeStack"] = analysis.analyze_stack_seconds
    return run, report, timings
