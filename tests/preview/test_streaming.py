"""The preview analyzes each resource as the program registers it (`StreamingAnalysis`).

The engine does the same: `pkg/resource/deploy/step_generator.go` (pulumi/pulumi) calls each
analyzer's `Analyze` in `GenerateSteps`, i.e. when the program's `RegisterResource` arrives, and
`AnalyzeStack` once the program has exited (`pkg/resource/deploy/source_eval.go` ->
`deployment_executor.go`). These tests check that streaming changes nothing in the results (same
violations, same order) and that failures are still reported as before.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import tools.preview.engine as engine
from bench.preview_scale import project
from tools.preview.pack_client import PolicyPackProcess
from tools.preview.run import PreviewError, analyze, preview, stack_policy_config

OBJECTING_PACK = """\
from pulumi_policy import (
    EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy
)


def no_vaults(args, report_violation):
    if args.resource_type == "aws:backup/vault:Vault":
        report_violation(f"objects to vault {args.props.get('name')}")


def count(args, report_violation):
    report_violation(f"{len(args.resources)} resources")


PolicyPack(
    name="objector",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name="no-vaults", description="Every vault.", validate=no_vaults),
        StackValidationPolicy(name="count", description="Counts.", validate=count),
    ],
)
"""

CRASHING_PACK = """\
import os

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def crash(args, report_violation):
    if args.resource_type == "aws:backup/vault:Vault":
        os._exit(3)


PolicyPack(
    name="crasher",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name="crash", description="Dies.", validate=crash)],
)
"""


def _pack(tmp_path: Path, source: str) -> Path:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(source)
    return tmp_path


def test_streamed_results_equal_the_analysis_of_the_finished_run(tmp_path: Path) -> None:
    pack_dir = _pack(tmp_path, OBJECTING_PACK)
    run, streamed, _ = preview("dev", pack_dir=pack_dir)
    assert streamed is not None
    with PolicyPackProcess(pack_dir, stack="dev") as pack:
        after = analyze(pack, run, pack_dir, stack_policy_config("dev"))
    assert streamed.violations == after.violations  # same violations, same order
    assert streamed.analyzed_resources == after.analyzed_resources == len(run.resources)
    assert [v.phase for v in streamed.violations] == ["analyze", "analyze", "analyzeStack"]
    assert streamed.violations[-1].message.endswith(f"\n{len(run.resources)} resources")


def test_analyze_is_sent_while_the_program_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[float] = []
    ended: list[float] = []
    real_analyze, real_run_stack = PolicyPackProcess.analyze_future, engine.run_stack

    def timed_analyze(self: PolicyPackProcess, resource: Any, *args: Any) -> Any:
        sent.append(time.perf_counter())
        return real_analyze(self, resource, *args)

    def timed_run_stack(*args: Any, **kwargs: Any) -> Any:
        run = real_run_stack(*args, **kwargs)
        ended.append(time.perf_counter())
        return run

    monkeypatch.setattr(PolicyPackProcess, "analyze_future", timed_analyze)
    monkeypatch.setattr(engine, "run_stack", timed_run_stack)
    # 40 sources (~700 resources): the program outlasts the pack's boot, as at scale.
    stack = project(tmp_path, 40)
    run, report, timings = preview(stack, project_dir=tmp_path)
    assert report is not None and len(sent) == len(run.resources)
    assert min(sent) < ended[0]  # the first Analyze went out before the program ended
    assert timings["packAnalyze"] > 0 and timings["packAnalyzeStack"] > 0


def test_a_pack_crashing_on_a_resource_is_a_pack_error_with_its_exit(tmp_path: Path) -> None:
    with pytest.raises(PreviewError) as e:
        preview("dev", pack_dir=_pack(tmp_path, CRASHING_PACK))
    assert e.value.kind == "pack"
    assert str(e.value).startswith("the policy pack failed: ")


def test_a_program_error_wins_over_the_pack_and_stops_it(tmp_path: Path) -> None:
    # As before streaming: the program's error is the one shown, even with a broken pack.
    with pytest.raises(PreviewError) as e:
        preview(
            "dev",
            pack_dir=_pack(tmp_path, CRASHING_PACK),
            config_overrides={"backupAccount.accountId": "2222"},
        )
    assert e.value.kind == "config"
    assert "backupAccount.accountId" in str(e.value)
