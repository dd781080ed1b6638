"""`tools.verify --source` (issue 12): a stack with several source accounts is verified one
source after the other (each with its own settings and outputs), with a summary table; `--source
ACCOUNT` picks one. The AWS side is replaced by a clients factory that fails at once: what is
under test is the choice of sources, their outputs and the summary, not the run itself
(tests/verify/test_verify_run.py and test_verify_e2e.py test that)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tools.verify.aws_session import CredentialsProblem
from tools.verify.cli import REPO_ROOT, main
from tools.verify.errors import ExitCode
from tools.verify.inputs import load_all_settings, outputs_of_source

SOURCES = ("333333333333", "444444444444", "555555555555")
BACKUP = "222222222222"
REGIONS = {"333333333333": "eu-west-1", "444444444444": "eu-west-1", "555555555555": "eu-central-1"}


def source_outputs(account: str) -> dict[str, str]:
    region = REGIONS[account]
    prefix = "cross-account-backup-org"
    return {
        "sourceVaultArn": f"arn:aws:backup:{region}:{account}:backup-vault:{prefix}-local",
        "sourceVaultKeyArn": f"arn:aws:kms:{region}:{account}:key/k-{account}",
        "backupPlanId": f"plan-{account}",
        "backupRoleArn": f"arn:aws:iam::{account}:role/{prefix}-backup",
        "notificationTopicArn": f"arn:aws:sns:{region}:{account}:{prefix}-backup-events",
    }


def org_outputs() -> dict[str, Any]:
    vault = f"arn:aws:backup:eu-west-1:{BACKUP}:backup-vault:cross-account-backup-org-copies"
    return {
        **source_outputs(SOURCES[0]),
        "backupVaultArn": vault,
        "backupVaultKeyArn": f"arn:aws:kms:eu-west-1:{BACKUP}:key/central",
        "sources": {a: source_outputs(a) for a in SOURCES},
        "backupVaultArns": {"eu-west-1": vault},
    }


def no_credentials(_settings: Any) -> Any:
    raise CredentialsProblem("no credentials (test)")


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(org_outputs()))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--stack", "org", "--outputs", str(outputs), "--diagnose", *args],
        clients_factory=no_credentials,
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


def test_each_source_has_its_own_settings_in_the_order_configured() -> None:
    every = load_all_settings(REPO_ROOT, "org")
    assert list(every) == list(SOURCES)
    assert {a: s.source.region for a, s in every.items()} == REGIONS
    # 444444444444 has its own plan (Pulumi.org.yaml), 555555555555 its own tag.
    assert [s.copy_retention_days for s in every.values()] == [30, 60, 30]
    assert [s.selection_tag_value for s in every.values()] == ["Yes", "Yes", "daily"]


def test_a_sources_outputs_are_its_entry_of_the_sources_map() -> None:
    seen = outputs_of_source(org_outputs(), SOURCES[2])
    assert seen["sourceVaultArn"] == source_outputs(SOURCES[2])["sourceVaultArn"]
    assert seen["backupVaultArn"] == org_outputs()["backupVaultArn"]
    # A single-source stack's outputs (no map) are used as they are.
    plain = source_outputs(SOURCES[0])
    assert outputs_of_source(plain, SOURCES[0]) == plain


def test_without_source_every_source_runs_and_a_summary_table_follows(tmp_path: Path) -> None:
    code, out, err = run(tmp_path)
    assert code == ExitCode.CREDENTIALS
    assert [line for line in out.splitlines() if line.startswith("== ")] == [
        f"== source account {a}" for a in SOURCES
    ]
    table = out.split("source account  result\n--------------  ------\n", 1)[1].splitlines()
    assert [line.split()[0] for line in table] == list(SOURCES)
    assert all(f"  {int(ExitCode.CREDENTIALS)} " in line for line in table)
    assert err.count("no credentials (test)") == 3


def test_source_picks_one_account(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "--source", SOURCES[1])
    assert code == ExitCode.CREDENTIALS
    assert "== source account" not in out and "source account  result" not in out
    assert err.count("no credentials (test)") == 1


def test_an_unknown_source_is_refused_listing_the_sources(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "--source", "999999999999")
    assert code == ExitCode.USAGE
    assert err.strip() == (
        "error: --source '999999999999' is not a source account of stack 'org'; its sources: "
        + ", ".join(SOURCES)
    )


@pytest.mark.parametrize("account", SOURCES)
def test_outputs_of_another_source_are_refused(tmp_path: Path, account: str) -> None:
    # The map entry of each source must be in that source's account (stale outputs refused).
    data = org_outputs()
    data["sources"][account] = source_outputs(SOURCES[(SOURCES.index(account) + 1) % 3])
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(data))
    err = io.StringIO()
    code = main(
        ["--stack", "org", "--outputs", str(outputs), "--diagnose", "--source", account],
        clients_factory=no_credentials,
        out=io.StringIO(),
        err=err,
    )
    assert code == ExitCode.USAGE
    assert "stack output sourceVaultArn" in err.getvalue()
