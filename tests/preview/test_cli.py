"""`python -m tools.preview` (`make preview`): what users see, exit codes, JSON, diagram.

The exit-code tests run the command as a subprocess, the way users and CI run it; the views are
also run in-process (the views themselves: test_render.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tools.preview.__main__ import main, parse_overrides
from tools.preview.engine import (
    REPO_ROOT,
    list_stacks,
    load_stack_config,
    run_stack,
)
from tools.preview.run import pack_version, preview

SCHEMA = json.loads((REPO_ROOT / "tools" / "preview" / "preview-schema.json").read_text())

# The same account as the stack file's source, but a different one: the program then grants
# 333333333333 while the stack's policy config (from Pulumi.dev.yaml) names 111111111111.
WRONG_SOURCE = (
    'sourceAccount={accountId: "333333333333", '
    'roleArn: "arn:aws:iam::333333333333:role/backup-deployer", region: eu-west-1}'
)

OBJECTING_PACK = """\
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def no_vaults(args, report_violation):
    if args.resource_type == "aws:backup/vault:Vault":
        report_violation(f"test pack objects to vault {args.props.get('name')}")


PolicyPack(
    name="objector",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="no-vaults", description="Objects to every vault.", validate=no_vaults
        )
    ],
)
"""


# A stack that can't exist: the README's "Adding a stack" recipe may add any ordinary name
# (`cp Pulumi.dev.yaml Pulumi.staging.yaml`), so tests must not borrow one as "absent".
ABSENT_STACK = f"absent-{uuid.uuid4().hex[:12]}"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.preview", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def account_ids(stack: str) -> dict[str, str]:
    run = run_stack(stack, preview=True)
    return {
        role: run.config[f"cross-account-backup:{role}Account"]["accountId"]
        for role in ("source", "backup")
    }


# -- the command, as users run it ---------------------------------------------------------------


def test_dev_previews_both_accounts_and_passes() -> None:
    result = cli("--stack", "dev")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Source account 111111111111 (eu-west-1)" in out
    assert "Backup account 222222222222 (eu-west-1)" in out
    assert "copy → 222222222222 eu-west-1 cross-account-backup-dev-copies" in out
    assert "✓ [mandatory]  backup-vault-policy-grants-source" in out
    assert "0 mandatory" in out and out.rstrip().endswith("· OK")


def test_prod_previews_three_accounts_with_its_lock_and_passes() -> None:
    result = cli("--stack", "prod")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Source account 111111111111 (eu-west-1)" in out
    assert "Backup account 222222222222 (eu-central-1)" in out
    assert "Management account 000000000000" in out
    lock = load_stack_config("prod")["cross-account-backup:vaultLock"]
    assert (
        f"compliance mode, retention {lock['minRetentionDays']}..{lock['maxRetentionDays']} d, "
        f"immutable after {lock['changeableForDays']} d" in out
    )


def test_a_mandatory_violation_of_the_real_pack_fails_with_the_objection_shown() -> None:
    result = cli("--stack", "dev", "-c", WRONG_SOURCE)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "✗ [mandatory]  backup-vault-policy-grants-source" in out
    assert "does not let 111111111111 backup:CopyIntoBackupVault" in out
    assert "FAILED" in out


def test_a_pack_that_objects_fails_the_preview(tmp_path: Path) -> None:
    pack = tmp_path / "objector"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text(OBJECTING_PACK)
    result = cli("--stack", "dev", "--policy-pack", str(pack))
    assert result.returncode == 1, result.stderr
    assert "✗ [mandatory]  no-vaults" in result.stdout
    assert "test pack objects to vault cross-account-backup-dev-copies" in result.stdout
    assert "test pack objects to vault cross-account-backup-dev-local" in result.stdout


def test_a_pack_that_does_not_start_is_an_error_with_its_stderr(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text('raise SystemExit("boom: broken pack")\n')
    result = cli("--stack", "dev", "--policy-pack", str(tmp_path))
    assert result.returncode == 2
    assert "the policy pack in" in result.stderr and "boom: broken pack" in result.stderr
    assert "Traceback" not in result.stderr.split("boom")[0]


def test_unknown_stack_is_a_clear_error_listing_the_stacks() -> None:
    result = cli("--stack", ABSENT_STACK)
    assert result.returncode == 2
    assert f"unknown stack '{ABSENT_STACK}'" in result.stderr
    assert f"(stacks: {', '.join(list_stacks())})" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_config_shows_the_programs_own_message_without_a_traceback() -> None:
    result = cli("--stack", "dev", "-c", "backupPlan={retentionDays: 0}", "--no-policy")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "invalid configuration: invalid config cross-account-backup:backupPlan.retentionDays = 0:"
        " must be a whole number >= 1"
    )
    assert "Traceback" not in result.stderr + result.stdout


def test_json_output_follows_the_schema_and_the_diagram_is_written(tmp_path: Path) -> None:
    diagram = tmp_path / "dev.mmd"
    result = cli("--stack", "dev", "--json", "--diagram", str(diagram))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert {a["role"]: a["accountId"] for a in doc["accounts"]} == {
        "source": "111111111111",
        "backup": "222222222222",
    }
    assert doc["summary"]["passed"] is True and doc["summary"]["mandatory"] == 0
    assert doc["policyPack"]["config"]  # the stack's policy config was sent
    assert set(doc["timings"]) == {
        "setup",
        "program",
        "analysis",
        "total",
        "packStartup",
        "packAnalyze",
        "packAnalyzeStack",
    }
    assert diagram.read_text().startswith("flowchart LR")


def test_json_error_follows_the_schema() -> None:
    result = cli("--stack", ABSENT_STACK, "--json")
    assert result.returncode == 2
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["error"]["kind"] == "stack"


# -- in process ---------------------------------------------------------------------------------


def test_the_pack_version_shown_is_the_one_in_pulumipolicy_yaml(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # What the CLI shows; over gRPC pulumi-policy reports 0.0.1 whatever the pack's version.
    declared = yaml.safe_load((REPO_ROOT / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    assert declared != "0.0.1"
    assert main(["--stack", "dev"]) == 0
    assert f"cross-account-backup-guard@v{declared} (local: policies)" in capsys.readouterr().out
    assert main(["--stack", "dev", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["policyPack"]["version"] == declared


@pytest.mark.parametrize(
    ("pulumi_policy_yaml", "expected"),
    [
        ("runtime: python\nversion: 2.3.4\n", "2.3.4"),
        ("runtime: python\n", "0.0.1"),
        ("runtime: python\nversion:\n", "0.0.1"),
        ("runtime: [python\n", "0.0.1"),
        (None, "0.0.1"),
    ],
    ids=["declared", "no-version", "empty-version", "bad-yaml", "no-file"],
)
def test_pack_version_is_the_declared_one_else_the_reported_one(
    tmp_path: Path, pulumi_policy_yaml: str | None, expected: str
) -> None:
    if pulumi_policy_yaml is not None:
        (tmp_path / "PulumiPolicy.yaml").write_text(pulumi_policy_yaml)
    assert pack_version(tmp_path, "0.0.1") == expected


def test_show_policies_prints_the_documents_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "dev", "--no-policy", "--show-policies"]) == 0
    out = capsys.readouterr().out
    assert '"Version": "2012-10-17"' in out
    assert '"Action": "backup:CopyIntoBackupVault"' in out
    assert "Policies: not run" in out


def test_without_show_policies_the_documents_are_summarised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--stack", "dev", "--no-policy"]) == 0
    out = capsys.readouterr().out
    assert '"Version"' not in out
    assert "Allow AllowSourceAccountToCopyIn: arn:aws:iam::111111111111:root" in out


def test_what_the_program_prints_stays_off_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: chatty\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text('print("hello from the program")\n')
    run, report, _ = preview("dev", pack_dir=None, project_dir=tmp_path)
    captured = capsys.readouterr()
    assert run.error is None and report is None
    assert "hello from the program" in captured.err and captured.out == ""


def test_config_overrides_are_yaml_values() -> None:
    parsed: dict[str, Any] = parse_overrides(["backupPlan={retentionDays: 0}", "x=", "n=null"])
    assert parsed == {"backupPlan": {"retentionDays": 0}, "x": "", "n": None}
