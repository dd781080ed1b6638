"""`tools/preview/pack_client.py`, `tools/stack/pack_launch.py`: the pack is launched as the CLI
launches it
(pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go `RunPlugin`, sdk/python/toolchain
toolchain.go `ResolveToolchain`, uv.go `newUv`/`Command`), and failures are clear."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.preview.pack_client import (
    PackError,
    PolicyPackProcess,
    aws_provider,
    urn_of,
)
from tools.stack.pack_launch import (
    ENGINE_PLACEHOLDER,
    LaunchedPack,
    cli_command,
    cli_virtualenv,
    launch_pack,
)

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"

PROBE = """
import json, os, sys
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

with open("launch.json", "w") as f:
    json.dump({"argv": sys.argv, "cwd": os.getcwd(), "executable": sys.executable,
               "env": {k: os.environ.get(k) for k in (
                   "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_CONFIG")}}, f)

PolicyPack(name="probe", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy("always", "Reports every resource.",
                             validate=lambda args, report: report(f"saw {args.name}"))])
"""


@pytest.fixture(autouse=True)
def _repo_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test packs live under tmp_path with a uv.lock of their own; the CLI's uv toolchain then
    uses `$UV_PROJECT_ENVIRONMENT` (uv.go `newUv`): point it at the repo's synced venv."""
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", str(VENV))


def _pack(tmp_path: Path, main: str) -> Path:
    (tmp_path / "uv.lock").write_text("")  # makes the CLI pick uv (toolchain.go, CLI >= 3.227)
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(main)
    return tmp_path


def test_launch_matches_the_cli(tmp_path: Path) -> None:
    pack_dir = _pack(tmp_path, PROBE)
    config = {"cross-account-backup:sourceAccount": '{"accountId": "111111111111"}'}
    with PolicyPackProcess(pack_dir, stack="prod", dry_run=False, stack_config=config) as pack:
        diags = pack.analyze({"type": "aws:s3/bucket:Bucket", "name": "b", "properties": {}})
        assert pack.startup_seconds is not None and pack.startup_seconds > 0
    launch = json.loads((pack_dir / "launch.json").read_text())
    # RunPlugin: `-u -m pulumi.policy <engine> <ProgramDirectory>`, cmd.Dir = ProgramDirectory
    # (the pack directory, absolute: plugin.go NewProgramInfo); <venv>/bin/python (uv.go).
    assert launch["argv"][1:] == [ENGINE_PLACEHOLDER, str(pack_dir.resolve())]
    assert Path(launch["cwd"]) == pack_dir.resolve()
    assert launch["executable"] == str(VENV / "bin" / "python")
    assert launch["env"] == {
        "PULUMI_PROJECT": "cross-account-backup",
        "PULUMI_STACK": "prod",
        "PULUMI_DRY_RUN": "false",
        "PULUMI_CONFIG": json.dumps(config),
    }
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("always", "mandatory")]
    assert diags[0].message.endswith("saw b")


def test_pack_that_crashes_reports_its_stderr(tmp_path: Path) -> None:
    pack_dir = _pack(tmp_path, "raise RuntimeError('broken pack')\n")
    with pytest.raises(PackError) as e, PolicyPackProcess(pack_dir, startup_timeout=30):
        pass
    assert "did not print its port" in str(e.value)
    assert "broken pack" in str(e.value)


def test_a_launched_pack_is_taken_over_with_the_stack_it_was_launched_for(
    tmp_path: Path,
) -> None:
    pack_dir = _pack(tmp_path, PROBE)
    launched = launch_pack(pack_dir, stack="prod", dry_run=False)
    pack = PolicyPackProcess.attach(launched)
    try:
        diags = pack.analyze({"type": "aws:s3/bucket:Bucket", "name": "b", "properties": {}})
        assert (pack.stack, pack.dry_run) == ("prod", False)
        assert pack.startup_seconds is not None
        assert launched.startup_seconds is not None
        assert pack.startup_seconds >= launched.startup_seconds
    finally:
        pack.stop()
    assert launched.proc.poll() is not None  # stopping the pack stops the launched process
    assert [d.message.endswith("saw b") for d in diags] == [True]
    launch = json.loads((pack_dir / "launch.json").read_text())
    assert (launch["env"]["PULUMI_STACK"], launch["env"]["PULUMI_DRY_RUN"]) == ("prod", "false")


def test_a_launched_pack_that_crashes_reports_its_stderr_and_is_stopped(tmp_path: Path) -> None:
    launched = launch_pack(_pack(tmp_path, "raise RuntimeError('broken pack')\n"))
    with pytest.raises(PackError) as e:
        PolicyPackProcess.attach(launched, startup_timeout=30)
    assert f"the policy pack in {tmp_path} did not start" in str(e.value)
    assert "broken pack" in str(e.value)
    assert launched.proc.poll() is not None


def test_the_launch_imports_neither_pulumi_nor_grpc() -> None:
    # The offline preview launches the pack before importing Pulumi, so that the pack boots
    # while the preview imports Pulumi and runs the program.
    code = (
        "import sys, tools.stack.pack_launch, tools.preview; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'grpc', 'pulumi', 'google'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PackError) as e, PolicyPackProcess(tmp_path):
        pass
    assert "has no PulumiPolicy.yaml" in str(e.value)


def test_calls_before_start_are_refused() -> None:
    with pytest.raises(PackError) as e:
        PolicyPackProcess().get_info()
    assert "not running" in str(e.value)


def test_provider_inputs_are_json_encoded_like_the_engine() -> None:
    p = aws_provider("backup-account", "222222222222", "eu-central-1")
    assert p["properties"]["allowedAccountIds"] == '["222222222222"]'
    assert p["urn"] == "urn:pulumi:dev::cross-account-backup::pulumi:providers:aws::backup-account"
    assert (
        urn_of("dev", "p", "aws:kms/key:Key", "k", parent_type="p:index:C")
        == "urn:pulumi:dev::p::p:index:C$aws:kms/key:Key::k"
    )


def test_the_repo_pack_runs_like_the_cli_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # policies/PulumiPolicy.yaml names `toolchain: uv` and no virtualenv: uv.go newUv puts the
    # venv next to the nearest uv.lock (the repo's); RunPlugin runs it in the pack directory.
    monkeypatch.delenv("UV_PROJECT_ENVIRONMENT")
    assert cli_virtualenv(REPO / "policies") == ("uv", VENV)
    assert cli_command(REPO / "policies") == (
        [
            str(VENV / "bin" / "python"),
            "-u",
            "-m",
            "pulumi.policy",
            ENGINE_PLACEHOLDER,
            str(REPO / "policies"),
        ],
        REPO / "policies",
    )
    assert not (REPO / "policies" / "requirements.txt").exists()  # ignored by uv: not kept


@pytest.mark.parametrize(
    ("yaml", "lock", "env", "expected"),
    [
        ("runtime: python\n", "uv.lock", "", ("uv", ".venv")),
        ("runtime: python\n", "uv.lock", "custom-env", ("uv", "custom-env")),
        ("runtime: python\n", None, "", ("pip", None)),
        ("runtime: {name: python, options: {virtualenv: venv}}\n", None, "", ("pip", "p/venv")),
        ("runtime: {name: python, options: {toolchain: uv}}\n", None, "", ("uv", "p/.venv")),
        (
            "runtime: {name: python, options: {toolchain: uv, virtualenv: venv}}\n",
            "uv.lock",
            "",
            ("uv", "p/venv"),
        ),
    ],
    ids=["auto-uv", "uv-project-environment", "auto-pip", "pip-venv", "named-uv", "uv-venv"],
)
def test_toolchain_resolution_follows_the_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    yaml: str,
    lock: str | None,
    env: str,
    expected: tuple[str, str | None],
) -> None:
    # toolchain.go ResolveToolchain (Auto: uv.lock, then poetry.lock, then pip), uv.go newUv
    # (venv next to uv.lock, or $UV_PROJECT_ENVIRONMENT relative to it; a virtualenv option
    # relative to the pack), pip.go (virtualenv relative to the pack, else no venv).
    if env:
        monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", env)
    else:
        monkeypatch.delenv("UV_PROJECT_ENVIRONMENT")
    pack = tmp_path / "p"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text(yaml)
    if lock:
        (tmp_path / lock).write_text("")
    toolchain, venv = cli_virtualenv(pack)
    assert (toolchain, venv) == (expected[0], tmp_path / expected[1] if expected[1] else None)


def test_environment_is_the_toolchains_then_the_stacks_then_the_clis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RunPlugin: cmd.Env = ActivateVirtualEnv(...) + PULUMI_* + req.Env (the CLI's environment,
    # last: Go's exec keeps the last value of a duplicated key).
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("PYTHONHOME", "/from/the/cli")
    env = LaunchedPack.__new__(LaunchedPack)
    env.virtualenv, env.project, env.stack, env.dry_run = VENV, "p", "s", False
    env.stack_config = {"p:k": "v"}
    out = env.environment()
    assert out["VIRTUAL_ENV"] == str(VENV)  # set by the activation, absent from the CLI's env
    assert out["PYTHONHOME"] == "/from/the/cli"  # dropped by the activation, back from req.Env
    assert (out["PULUMI_STACK"], out["PULUMI_DRY_RUN"]) == ("s", "false")
    assert out["PULUMI_CONFIG"] == '{"p:k": "v"}'


def test_a_stack_resource_built_from_its_analyze_request_is_the_same() -> None:
    # The preview builds AnalyzeStack's resources from each Analyze request as it goes
    # (`StreamingAnalysis`): the same protos as converting the resources again at the end.
    from tools.preview.pack_client import standin_stack

    client = PolicyPackProcess()  # not started: only builds requests
    resources = standin_stack()
    assert any(r.get("provider") for r in resources)
    assert any(not r.get("provider") for r in resources)
    assert any(r.get("propertyDependencies") for r in resources)
    from_requests = [client.stack_resource(r, client.analyze_request(r)) for r in resources]
    assert from_requests == list(client.analyze_stack_request(resources).resources)
