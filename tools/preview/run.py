"""`make preview`: see and policy-check a stack's plan in every account, offline.

    python -m tools.preview --stack dev [--show-policies] [--json] [--diagram FILE]
                            [--policy-pack DIR] [--no-policy] [--timings] [--debug]

What `pulumi preview --policy-pack policies` would do and show, with no Pulumi CLI, no cloud and
no credentials:

1. the stack's config is loaded as Pulumi loads it and the program runs under mocks in preview
   mode (`tools/offline.py`): ids, ARNs and whatever depends on them are unknown, as in a real
   preview; each resource lands in the account and region of its explicit provider;
2. meanwhile the policy pack is started as the CLI starts it (its own process, its analyzer gRPC
   interface: `tools/pack_client.py`) and configured with the stack's policy config
   (`tools/policy_config.py`, the same file `make policy-config` writes for `pulumi up`);
3. every resource goes through `Analyze`, then the whole stack through `AnalyzeStack`;
4. the plan is printed as a tree grouped by account, then the policy results grouped by policy,
   the outputs and a summary line (`tools/preview_render.py`).

Exit codes: 0 no mandatory violation, 1 one or more mandatory violations, 2 the preview could not
run (unknown stack, bad config — the program's own message —, a program or pack failure).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

# Only Pulumi-free modules at import time: the pack process is spawned first
# (`tools/pack_launch.py`), and boots while this process imports Pulumi and runs the program.
from tools.pack_launch import LaunchedPack, PackError, launch_pack
from tools.preview_config import (
    REPO_ROOT,
    OfflineError,
    StackConfig,
    StackNotFound,
    encode_config,
    mask_secrets,
    parse_override,
    read_stack_config,
)

if TYPE_CHECKING:
    from tools.offline import OfflineRun
    from tools.pack_client import PolicyPackProcess
    from tools.preview_render import PolicyReport, Violation

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
    (`overrides`: as `python -m tools.policy_config -c`).

    With it the pack judges each resource on its own (the accounts are named); without it the
    pack infers the accounts from the stack, and must reject the same mistakes.
    """
    from tools.policy_config import policy_config

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
    from tools.pack_client import PolicyPackProcess

    try:
        return PolicyPackProcess.attach(launched)
    except PackError as exc:
        raise PreviewError("pack", str(exc)) from exc


def analyze(
    pack: PolicyPackProcess, run: OfflineRun, pack_dir: Path, config: Mapping[str, Any]
) -> PolicyReport:
    """Analyze each resource, then the stack, as the CLI does during `pulumi preview`."""
    from tools.offline import to_analyzer_resources
    from tools.preview_render import PolicyInfo, PolicyReport

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
    from tools.preview_render import Violation

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
        # The -c overrides first, then the CLI's checks (tools/preview_config.py).
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
    pack: PolicyPackProcess | None = None
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
        from tools.offline import run_stack  # Pulumi: imported while the pack boots

        t_program = time.perf_counter()
        try:
            # Whatever the program prints goes to stderr: stdout is the preview (or its JSON).
            with contextlib.redirect_stdout(sys.stderr):
                run = run_stack(
                    stack, preview=True, config_overrides=config_overrides, project_dir=project_dir
                )
        except OfflineError as exc:
            raise PreviewError("stack", str(exc)) from exc
        t1 = time.perf_counter()
        if run.error is not None:
            raise _program_error(run, loaded)
        report = None
        if launched is not None:
            # From the stack file, without -c: what `make policy-config` writes for `pulumi up`.
            config = stack_policy_config(stack, project_dir)
            pack = _attach(launched)
            report = analyze(pack, run, Path(pack_dir or DEFAULT_PACK), config)
        t2 = time.perf_counter()
    finally:
        if pack is not None:
            pack.stop()
        elif launched is not None:
            launched.stop()
    timings = {
        "setup": t_program - t0,
        "program": t1 - t_program,
        "analysis": t2 - t1,
        "total": time.perf_counter() - t0,
    }
    if launched is not None and launched.startup_seconds is not None:
        # The pack's boot, to its port line, in parallel with the program: only what outlasts
        # it shows in `analysis`.
        timings["packStartup"] = launched.startup_seconds
    return run, report, timings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview",
        description=(
            "Offline `pulumi preview --policy-pack policies` of a stack: the program under "
            "Pulumi mocks, the policy pack over its gRPC interface, no cloud, no credentials."
        ),
        epilog="Exit codes: 0 passed, 1 mandatory policy violation, 2 the preview could not run.",
    )
    parser.add_argument("--stack", "-s", default="dev", help="the stack (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--show-policies",
        action="store_true",
        help="print the policy documents (vault, key, topic, trust) in full",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON (tools/preview-schema.json)"
    )
    parser.add_argument(
        "--diagram", metavar="FILE", type=Path, help="write a Mermaid diagram of the accounts"
    )
    parser.add_argument(
        "--policy-pack",
        metavar="DIR",
        type=Path,
        default=DEFAULT_PACK,
        help="the policy pack directory (default: policies)",
    )
    parser.add_argument(
        "--config",
        "-c",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help=(
            "override a config value for this preview only (the stack file is not changed). "
            "A path sets one field and keeps the rest of the stack's value, like `pulumi config "
            "set --path` (`-c backupPlan.retentionDays=60`; true/false and plain integers are "
            "typed, the rest are strings). A whole key takes a YAML value and REPLACES the whole "
            "value (`-c 'backupPlan={retentionDays: 60}'` resets the other fields to their "
            "defaults); `-c KEY=null` unsets it. The namespace is optional"
        ),
    )
    parser.add_argument("--no-policy", action="store_true", help="skip the policy pack")
    parser.add_argument("--timings", action="store_true", help="print how long each part took")
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback when the program fails"
    )
    return parser


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """`-c KEY=VALUE` pairs (`tools.preview_config.parse_override`): a whole key's value is YAML
    read as the CLI reads YAML; a path's value is typed as `pulumi config set --path` types it."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        try:
            key, value = parse_override(pair)
        except OfflineError as exc:
            raise PreviewError("config", str(exc)) from exc
        overrides[key] = value
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pack_dir = None if args.no_policy else args.policy_pack
    try:
        overrides = parse_overrides(args.config)
        run, report, timings = preview(args.stack, pack_dir=pack_dir, config_overrides=overrides)
    except PreviewError as exc:
        if args.json:
            from tools.preview_render import error_document

            print(
                json.dumps(error_document(exc.kind, mask_secrets(str(exc)), args.stack), indent=2)
            )
        label = {"config": "invalid configuration", "stack": "error"}.get(exc.kind, "error")
        print(f"{label}: {mask_secrets(str(exc))}", file=sys.stderr)
        if args.debug and exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__)
        return EXIT_ERROR

    from tools.preview_render import render_json, render_mermaid, render_text

    if args.diagram:
        args.diagram.parent.mkdir(parents=True, exist_ok=True)
        args.diagram.write_text(mask_secrets(render_mermaid(run)), encoding="utf-8")
    # Secrets carry placeholders through the program; the reader sees `[secret]`.
    if args.json:
        sys.stdout.write(mask_secrets(render_json(run, report, timings=timings)))
    else:
        sys.stdout.write(
            mask_secrets(
                render_text(
                    run,
                    report,
                    show_policies=args.show_policies,
                    timings=timings if args.timings else None,
                )
            )
        )
        if args.diagram:
            print(f"Diagram: {args.diagram}")
    return EXIT_VIOLATION if report is not None and report.mandatory else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
