"""`python -m tools.preview` (`make preview`): what users see, exit codes, JSON, diagram.

The exit-code tests run the command as a subprocess, the way users and CI run it; the views are
also tested in-process on the real program's runs and on hand-made policy reports.
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
    UNKNOWN,
    OfflineRun,
    list_stacks,
    load_stack_config,
    run_stack,
)
from tools.preview.json_output import to_document
from tools.preview.mermaid import render_mermaid
from tools.preview.render import PolicyInfo, PolicyReport, Violation, group_by_account, render_text
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
    assert set(doc["timings"]) == {"setup", "program", "analysis", "total", "packStartup"}
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


@pytest.fixture(scope="module")
def prod() -> OfflineRun:
    return run_stack("prod", preview=True)


@pytest.fixture(scope="module")
def dev() -> OfflineRun:
    return run_stack("dev", preview=True)


def test_diagram_shows_both_accounts_copy_flow_and_the_way_back(prod: OfflineRun) -> None:
    text = render_mermaid(prod)
    assert 'subgraph acct_source_account["Source account 111111111111' in text
    assert 'subgraph acct_backup_account["Backup account 222222222222' in text
    assert 'subgraph acct_management_account["Management account 000000000000' in text
    plan = prod.config["cross-account-backup:backupPlan"]
    keep = f"deleted after {plan['copyRetentionDays']} d"
    if plan.get("copyColdStorageAfterDays"):
        keep = f"cold after {plan['copyColdStorageAfterDays']} d, {keep}"
    assert (
        f'n_cross_account_source_vault == "copy: {keep}" ==> n_cross_account_backup_vault' in text
    )
    assert (
        'n_cross_account_backup_vault -. "copy back to restore" .-> n_cross_account_source_vault'
        in text
    )
    assert "n_cross_account_backup_vault_key -. encrypts .-> n_cross_account_backup_vault" in text


def test_diagram_has_no_way_back_when_the_source_vault_does_not_allow_it() -> None:
    prod = run_stack("prod", preview=True)  # its own run: the inputs are changed below
    assert "copy back" in render_mermaid(prod)
    for r in prod.resources:
        if r.name == "cross-account-source-vault-policy":
            r.inputs["policy"] = json.dumps({"Version": "2012-10-17", "Statement": []})
    assert "copy back" not in render_mermaid(prod)


def _report(violations: list[Violation]) -> PolicyReport:
    return PolicyReport(
        pack_name="guard",
        pack_version="1.0.0",
        pack_path="policies",
        policies=[
            PolicyInfo("grants", "Grants.", "mandatory"),
            PolicyInfo("retention", "Retention.", "advisory"),
        ],
        violations=violations,
    )


def test_results_are_grouped_by_policy_with_levels_and_counted(prod: OfflineRun) -> None:
    vault = prod.by_name("cross-account-backup-vault")
    report = _report(
        [
            Violation("retention", "advisory", "keeps 7 days", urn=vault.urn),
            Violation("grants", "mandatory", "does not let 111111111111 in", urn=vault.urn),
            Violation("grants", "mandatory", "stack-wide objection", phase="analyzeStack"),
        ]
    )
    text = render_text(prod, report)
    grants = text.index("✗ [mandatory]  grants")
    retention = text.index("⚠ [advisory]  retention")  # advice, not a failure
    assert grants < text.index("does not let 111111111111 in") < retention
    assert grants < text.index("stack-wide objection") < retention
    assert "(aws:backup/vault:Vault: cross-account-backup-vault)" in text
    assert "2 mandatory, 1 advisory violation(s) · FAILED" in text
    doc = to_document(prod, report)
    jsonschema.validate(doc, SCHEMA)
    assert [p["violations"] for p in doc["policies"]] == [2, 1]
    assert doc["summary"]["passed"] is False


def test_the_reference_stack_shows_advisories_as_advice_not_failures(dev: OfflineRun) -> None:
    report = _report([Violation("retention", "advisory", "keeps 7 days")])
    text = render_text(dev, report)
    assert "        ⚠ [advisory]  retention\n" in text
    assert "        ✓ [mandatory]  grants\n" in text
    assert "✗" not in text
    assert text.rstrip().endswith("0 mandatory, 1 advisory violation(s) · OK")


def test_the_summary_says_what_its_count_includes(dev: OfflineRun) -> None:
    providers = [r for r in dev.resources if r.is_provider]
    shown = sum(len(a.resources) for a in group_by_account(dev))
    assert len(providers) == 2 and shown == len(dev.resources) - 2
    line = render_text(dev, None).rstrip().splitlines()[-1]
    assert line == (
        f"Resources: + {len(dev.resources) + 1} to create ({shown} above, 2 provider(s), "
        "the stack) in 2 account(s) · Policies: not run"
    )


def test_component_resources_are_headed_as_components(dev: OfflineRun) -> None:
    orphans = next(a for a in group_by_account(dev) if not a.key)
    assert [r.type for r in orphans.resources] == ["cross-account-backup:index:CrossAccountBackup"]
    assert orphans.title == "Components (group the resources above; nothing created in AWS)"
    assert "default provider" not in render_text(dev, None)


def test_statements_read_as_words_not_internals(dev: OfflineRun) -> None:
    text = render_text(dev, None)
    # A trust policy's statement has no Sid; a role's inline policy has no Principal.
    assert "trust: Allow: Service:backup.amazonaws.com → sts:AssumeRole" in text
    assert "Allow UseTheSourceVaultKey: the role → kms:Encrypt" in text
    # selectionTags' ConditionType STRINGEQUALS (AWS Backup API, Condition) reads as "=".
    assert "resources tagged Backup = Yes" in text
    for internal in ("Allow -:", ": - →", "stringequals", "STRINGEQUALS"):
        assert internal not in text


def test_unknown_values_are_shown_as_outputs_of_their_resource(prod: OfflineRun) -> None:
    text = render_text(prod, None)
    assert (
        "vault cross-account-backup-prod-copies · key output of cross-account-backup-vault-key"
        in (text)
    )
    assert prod.outputs["backupVaultArn"] == UNKNOWN
    assert "backupVaultArn      : output<string>" in text


def test_each_account_lists_keys_then_vaults_then_the_plan(prod: OfflineRun) -> None:
    source = next(a for a in group_by_account(prod) if a.role == "source")
    types = [r.type for r in source.resources]
    assert types.index("aws:kms/key:Key") < types.index("aws:backup/vault:Vault")
    assert types.index("aws:backup/vault:Vault") < types.index("aws:backup/plan:Plan")
    assert types.index("aws:backup/plan:Plan") < types.index("aws:backup/selection:Selection")


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


def test_the_summary_counts_accounts_not_regional_providers() -> None:
    # prod's management account has a provider per copy-job region (eu-west-1, eu-central-1):
    # two headings above, one account.
    prod = run_stack("prod")
    headings = [a for a in group_by_account(prod) if a.key]
    assert len(headings) == 4
    line = render_text(prod, None).rstrip().splitlines()[-1]
    assert " in 3 account(s) · " in line
