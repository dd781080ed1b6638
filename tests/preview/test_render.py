"""The preview's views (`tools/preview/render.py`, `json_output.py`, `mermaid.py`), in-process on
the real program's runs and on hand-made policy reports.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from tools.preview.engine import REPO_ROOT, UNKNOWN, OfflineRun, run_stack
from tools.preview.json_output import to_document
from tools.preview.mermaid import render_mermaid
from tools.preview.render import PolicyInfo, PolicyReport, Violation, group_by_account, render_text

SCHEMA = json.loads((REPO_ROOT / "tools" / "preview" / "preview-schema.json").read_text())


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
    for rule in plan.get("rules") or [plan]:  # backupPlan.rules, or the single-rule form
        keep = f"deleted after {rule['copyRetentionDays']} d"
        if rule.get("copyColdStorageAfterDays"):
            keep = f"cold after {rule['copyColdStorageAfterDays']} d, {keep}"
        assert (
            f'n_cross_account_source_vault == "copy: {keep}" ==> n_cross_account_backup_vault'
            in text
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


def test_the_summary_counts_accounts_not_regional_providers() -> None:
    # prod's management account has a provider per copy-job region (eu-west-1, eu-central-1):
    # two headings above, one account.
    prod = run_stack("prod")
    headings = [a for a in group_by_account(prod) if a.key]
    assert len(headings) == 4
    line = render_text(prod, None).rstrip().splitlines()[-1]
    assert " in 3 account(s) · " in line
