"""Drive the policy pack the way the Pulumi CLI does, without the CLI.

How the CLI runs a Python policy pack (pulumi/pulumi `sdk/go/common/resource/plugin/
analyzer_plugin.go`, `NewPolicyAnalyzer`, and the `pulumi-analyzer-policy-python` shim):

- it reads `PulumiPolicy.yaml` (runtime `python`, option `toolchain: uv`), then starts
  `<repo>/.venv/bin/python -u -m pulumi.policy <engine-address> <pack-dir>` with the pack
  directory as working directory (`tools/stack/pack_launch.py` has the sources); `pulumi.policy`
  runs its `__main__.py`, whose `PolicyPack(...)` serves gRPC;
- the environment is the CLI's plus `PULUMI_CONFIG` (the stack config as JSON), and
  `PULUMI_ORGANIZATION`, `PULUMI_PROJECT`, `PULUMI_STACK`, `PULUMI_DRY_RUN`;
- the pack writes its port on the first line of stdout; the CLI dials `127.0.0.1:<port>`;
- then `Handshake` (Unimplemented by pulumi-policy: ignored), `ConfigureStack`,
  `GetAnalyzerInfo`, `Configure` (the `--policy-pack-config` file, when given), then `Analyze`
  for each resource as it is registered and `AnalyzeStack` once at the end.

This module does the same with the interpreter the CLI would pick (the repo's `.venv`, which has
`pulumi-policy` installed) and no engine: the engine address is a placeholder the pack never dials.
The launch itself (command, environment, port line, stderr) is `tools/stack/pack_launch.py`, which
imports only the standard library so that a caller can start the pack before importing Pulumi;
`PolicyPackProcess.attach` then takes the launched pack over.

    with PolicyPackProcess() as pack:
        pack.configure({"backup-vault-policy-grants-source": {"sourceAccountIds": [...]}})
        diags = pack.analyze({"type": ..., "name": ..., "properties": {...}, "provider": {...}})

`python -m tools.preview.pack_client --bench` measures start-up and per-resource analysis times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tools.stack.pack_launch import ENGINE_PLACEHOLDER as ENGINE_PLACEHOLDER
from tools.stack.pack_launch import ORGANIZATION, LaunchedPack, PackError, launch_pack

REPO = Path(__file__).resolve().parents[2]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's "unknown during preview" value

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_VALUES = {v: k for k, v in _LEVELS.items()}


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation as the CLI receives it."""

    policy_name: str
    message: str
    enforcement_level: str  # "advisory" | "mandatory" | ...
    urn: str
    description: str

    @property
    def mandatory(self) -> bool:
        """True if this violation blocks the update."""
        return self.enforcement_level == "mandatory"


def urn_of(stack: str, project: str, type_: str, name: str, parent_type: str | None = None) -> str:
    """A URN like the engine builds (`parent_type`: the qualified type chain of the parent)."""
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def aws_provider(
    name: str,
    account: str,
    region: str,
    *,
    stack: str = "dev",
    project: str = "cross-account-backup",
) -> dict[str, Any]:
    """A provider as AnalyzeRequest.provider carries it: inputs JSON-encoded, like the engine."""
    return {
        "type": "pulumi:providers:aws",
        "name": name,
        "urn": urn_of(stack, project, "pulumi:providers:aws", name),
        "properties": {
            "allowedAccountIds": json.dumps([account]),
            "region": region,
            "version": "7.0.0",
        },
    }


def _struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if value:
        s.update(_jsonable(value))
    return s


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)


def _options(opts: Mapping[str, Any] | None) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = opts or {}
    out = analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect", False)),
        ignoreChanges=list(opts.get("ignoreChanges", [])),
        aliases=list(opts.get("aliases", [])),
        parent=opts.get("parent", "") or "",
        additionalSecretOutputs=list(opts.get("additionalSecretOutputs", [])),
    )
    if "deleteBeforeReplace" in opts:
        out.deleteBeforeReplace = bool(opts["deleteBeforeReplace"])
        out.deleteBeforeReplaceDefined = True
    return out


def _provider(p: Mapping[str, Any] | None) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not p:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=p.get("type", "pulumi:providers:aws"),
        name=p.get("name", ""),
        urn=p.get("urn", ""),
        properties=_struct(p.get("properties")),
    )


class PolicyPackProcess:
    """The pack as a child process, spoken to over its analyzer gRPC interface."""

    def __init__(
        self,
        pack_dir: str | Path = "policies",
        python: str | None = None,
        *,
        project: str = "cross-account-backup",
        stack: str = "dev",
        dry_run: bool = True,
        stack_config: Mapping[str, Any] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        path = Path(pack_dir)
        self.pack_dir = path if path.is_absolute() else REPO / path
        self.python = python
        self.project = project
        self.stack = stack
        self.dry_run = dry_run
        self.stack_config = dict(stack_config or {})
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None
        self._launched: LaunchedPack | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the pack and wait for its port, as the CLI does."""
        self._take_over(
            launch_pack(
                self.pack_dir,
                python=self.python,
                project=self.project,
                stack=self.stack,
                dry_run=self.dry_run,
                stack_config=self.stack_config,
            )
        )

    @classmethod
    def attach(cls, launched: LaunchedPack, *, startup_timeout: float = 60.0) -> PolicyPackProcess:
        """Take over a pack started with `tools.stack.pack_launch.launch_pack`: wait for its port,
        dial it and configure the stack it was launched for. `stop()` then stops the process."""
        pack = cls(
            launched.pack_dir.resolve(),  # relative to where it was launched from
            launched.python,
            project=launched.project,
            stack=launched.stack,
            dry_run=launched.dry_run,
            stack_config=launched.stack_config,
            startup_timeout=startup_timeout,
        )
        pack._take_over(launched)
        return pack

    def _take_over(self, launched: LaunchedPack) -> None:
        self._launched = launched
        try:
            port = launched.wait_port(self.startup_timeout)
            t0 = time.perf_counter()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(self._channel).result(timeout=self.startup_timeout)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
            self._configure_stack()
        except BaseException:
            self.stop()
            raise
        # The pack's own boot (to its port line) plus the handshake; time the caller spent
        # elsewhere before attaching (the program's run, in the preview) is not counted.
        assert launched.startup_seconds is not None
        self.startup_seconds = launched.startup_seconds + (time.perf_counter() - t0)

    @property
    def stderr(self) -> str:
        """What the pack wrote on stderr so far."""
        return self._launched.stderr if self._launched is not None else ""

    def _configure_stack(self) -> None:
        req = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack,
            project=self.project,
            organization=ORGANIZATION,
            dry_run=self.dry_run,
        )
        try:
            self.stub.ConfigureStack(req)
        except grpc.RpcError as e:  # older packs: Unimplemented, like the CLI tolerates
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise

    def stop(self) -> None:
        """Stop the pack (the CLI kills its plugins the same way)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._launched is not None:
            self._launched.stop()

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """The gRPC stub (started packs only)."""
        if self._stub is None:
            raise PackError("the policy pack is not running: use `with PolicyPackProcess() as p:`")
        return self._stub

    # -- the analyzer interface ---------------------------------------------------------------

    def get_info(self) -> dict[str, Any]:
        """GetAnalyzerInfo as a dict: name, version, supportsConfig, policies (name,
        enforcementLevel as a word, description, configSchema, policyType)."""
        info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        data: dict[str, Any] = json_format.MessageToDict(info, preserving_proto_field_name=False)
        for p, proto in zip(data.get("policies", []), info.policies, strict=True):
            p["enforcementLevel"] = _LEVELS[proto.enforcementLevel]
        return data

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """Configure, like `--policy-pack-config`: {policy: {enforcementLevel?, ...properties}}.

        The CLI sends every policy's level; here a policy without `enforcementLevel` keeps the
        level the pack declares.
        """
        levels = {p["name"]: p["enforcementLevel"] for p in self.get_info()["policies"]}
        req = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, value in config.items():
            if name not in levels:
                raise PackError(f"policy config names unknown policy {name!r}")
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level = value.get("enforcementLevel", levels[name])
            req.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVEL_VALUES[level], properties=_struct(props)
                )
            )
        self.stub.Configure(req)

    def _resource_fields(self, r: Mapping[str, Any]) -> dict[str, Any]:
        urn = r.get("urn") or urn_of(self.stack, self.project, r["type"], r["name"])
        fields: dict[str, Any] = {
            "type": r["type"],
            "urn": urn,
            "name": r["name"],
            "properties": _struct(r.get("properties")),
            "options": _options(r.get("options")),
        }
        provider = _provider(r.get("provider"))
        if provider is not None:
            fields["provider"] = provider
        return fields

    def analyze_request(self, resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzeRequest:
        """The `AnalyzeRequest` of one resource (a plain dict, `tools.preview.engine`)."""
        return analyzer_pb2.AnalyzeRequest(**self._resource_fields(resource))

    def analyze(self, resource: Mapping[str, Any]) -> list[Diagnostic]:
        """Analyze one resource, as the engine does when the program registers it."""
        resp = self.stub.Analyze(self.analyze_request(resource))
        return _diagnostics(resp.diagnostics)

    def analyze_future(
        self,
        resource: Mapping[str, Any],
        request: analyzer_pb2.AnalyzeRequest | None = None,
    ) -> grpc.Future:
        """Send `Analyze` for one resource without waiting; `diagnostics(future)` reads the answer
        (raising the call's `grpc.RpcError` if it failed). `request`: its `analyze_request`, when
        the caller already built it."""
        return self.stub.Analyze.future(request or self.analyze_request(resource))

    @staticmethod
    def diagnostics(future: grpc.Future) -> list[Diagnostic]:
        """The diagnostics of an `analyze_future` call, once it answered."""
        return _diagnostics(future.result().diagnostics)

    def analyze_stack(self, resources: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
        """AnalyzeStack over every resource, as the engine does at the end of an update."""
        return self.send_analyze_stack(self.analyze_stack_request(resources))

    def send_analyze_stack(self, request: analyzer_pb2.AnalyzeStackRequest) -> list[Diagnostic]:
        """AnalyzeStack of a request built by `analyze_stack_request` (or of `stack_resource`s)."""
        return _diagnostics(self.stub.AnalyzeStack(request).diagnostics)

    def analyze_stack_request(
        self, resources: Iterable[Mapping[str, Any]]
    ) -> analyzer_pb2.AnalyzeStackRequest:
        """The `AnalyzeStackRequest` of every resource of the stack."""
        return analyzer_pb2.AnalyzeStackRequest(
            resources=[self.stack_resource(r) for r in resources]
        )

    def stack_resource(
        self,
        r: Mapping[str, Any],
        request: analyzer_pb2.AnalyzeRequest | None = None,
    ) -> analyzer_pb2.AnalyzerResource:
        """One resource as `AnalyzeStackRequest.resources` carries it; `request`: its
        `analyze_request`, whose converted properties, options and provider it reuses (the
        preview builds both as each resource registers)."""
        if request is None:
            fields = self._resource_fields(r)
        else:
            fields = {
                "type": request.type,
                "urn": request.urn,
                "name": request.name,
                "properties": request.properties,
                "options": request.options,
            }
            if request.HasField("provider"):
                fields["provider"] = request.provider
        deps = {
            k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
            for k, v in (r.get("propertyDependencies") or {}).items()
            if v
        }
        return analyzer_pb2.AnalyzerResource(
            **fields,
            parent=r.get("parent") or (r.get("options") or {}).get("parent", "") or "",
            dependencies=list(r.get("dependencies", [])),
            propertyDependencies=deps,
        )

    def analyze_all(self, resources: Sequence[Mapping[str, Any]]) -> list[Diagnostic]:
        """What one `pulumi preview` produces: Analyze for each resource, then AnalyzeStack."""
        out: list[Diagnostic] = []
        for r in resources:
            out.extend(self.analyze(r))
        out.extend(self.analyze_stack(resources))
        return out


def _diagnostics(protos: Iterable[analyzer_pb2.AnalyzeDiagnostic]) -> list[Diagnostic]:
    return [
        Diagnostic(
            policy_name=d.policyName,
            message=d.message,
            enforcement_level=_LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)),
            urn=d.urn,
            description=d.description,
        )
        for d in protos
    ]


# ------------------------------------------------------------------------------------------------
# Benchmark


def standin_stack(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """`tools.preview.pack_standin.standin_stack` (here for the callers that import it here)."""
    from tools.preview.pack_standin import standin_stack as build

    return build(*args, **kwargs)


def bench(runs: int = 5, resources: Sequence[Mapping[str, Any]] | None = None) -> dict[str, float]:
    """Median pack start-up (process start to ConfigureStack answered) and median Analyze time
    per resource, in seconds, over `runs` starts."""
    if resources is None:
        # The real program's dev stack, run offline as a preview (what `pulumi preview` sends).
        from tools.preview.engine import run_stack, to_analyzer_resources

        resources = to_analyzer_resources(run_stack("dev", preview=True))
    starts, per_resource, stack_times = [], [], []
    for _ in range(runs):
        with PolicyPackProcess() as pack:
            assert pack.startup_seconds is not None
            starts.append(pack.startup_seconds)
            pack.get_info()
            for r in resources:
                t0 = time.perf_counter()
                pack.analyze(r)
                per_resource.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pack.analyze_stack(resources)
            stack_times.append(time.perf_counter() - t0)
    return {
        "startup_median_s": statistics.median(starts),
        "analyze_per_resource_median_s": statistics.median(per_resource),
        "analyze_stack_median_s": statistics.median(stack_times),
        "resources": float(len(resources)),
        "runs": float(runs),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tools.preview.pack_client --bench [--runs N]`: print timings as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", action="store_true", help="measure start-up and analysis")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.bench:
        with PolicyPackProcess() as pack:
            print(json.dumps(pack.get_info(), indent=2))
        return 0
    print(json.dumps(bench(args.runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
