"""Issue 12: the preview's views of a stack with three source accounts (`Pulumi.org.yaml`): each
account once with its own resources, and the diagram's N sources copying into one vault."""

from __future__ import annotations

import pytest

from tools.preview.engine import OfflineRun, run_stack
from tools.preview.json_output import to_document
from tools.preview.mermaid import render_mermaid
from tools.preview.render import group_by_account, render_text

SOURCES = ("333333333333", "444444444444", "555555555555")


@pytest.fixture(scope="module")
def org() -> OfflineRun:
    run = run_stack("org", preview=True)
    assert run.error is None, run.error
    return run


def test_each_account_is_shown_once_with_only_its_resources(org: OfflineRun) -> None:
    accounts = [a for a in group_by_account(org) if a.key]
    # Provider registration order: the mock engine settles registrations concurrently, so the
    # sources' order among themselves is not fixed; each appears once.
    assert sorted((a.role, a.account_id) for a in accounts) == sorted(
        [*(("source", s) for s in SOURCES), ("backup", "222222222222")]
    )
    for account in (a for a in accounts if a.role == "source"):
        names = {r.name for r in account.resources}
        assert len(names) == 16
        assert all(n.startswith(f"cross-account-{account.account_id}-") for n in names)
    assert " in 4 account(s) · " in render_text(org, None).rstrip().splitlines()[-1]


def test_the_json_lists_each_account_once(org: OfflineRun) -> None:
    doc = to_document(org, None)
    assert sorted((a["role"], a["accountId"]) for a in doc["accounts"]) == sorted(
        [*(("source", s) for s in SOURCES), ("backup", "222222222222")]
    )


def test_the_diagram_shows_every_source_copying_into_the_one_central_vault(
    org: OfflineRun,
) -> None:
    text = render_mermaid(org)
    vaults = [line for line in text.splitlines() if "[(" in line and "copies" in line]
    assert vaults == ['    n_cross_account_backup_vault[("vault cross-account-backup-org-copies")]']
    retention = {SOURCES[0]: 30, SOURCES[1]: 60, SOURCES[2]: 30}  # 444... has its own plan
    for account, days in retention.items():
        assert f'subgraph acct_source_account_{account}["Source account {account}' in text
        assert (
            f'n_cross_account_{account}_source_vault == "copy: deleted after {days} d" ==> '
            "n_cross_account_backup_vault" in text
        )


def test_an_org_scoped_grant_reads_as_the_organization_not_as_everyone(org: OfflineRun) -> None:
    # Pulumi.org.yaml grants by organization: `*` alone would read as open to the world.
    text = render_text(org, None)
    assert (
        "Allow AllowSourceAccountToCopyIn: * (organization o-exampleorgid; paths "
        "o-exampleorgid/r-ab12/ou-ab12-11111111/*) → backup:CopyIntoBackupVault"
    ) in text
