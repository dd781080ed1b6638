"""Moving a stack from `sourceAccount` to `sourceAccounts` replaces nothing (issue 12).

The single form names its source's resources `cross-account-<role>` and their provider
`source-account`; the list form names them `cross-account-<accountId>-<role>` and
`source-account-<accountId>`. The first entry of `sourceAccounts` therefore carries aliases to the
single form's names, for its resources and its provider; the other entries carry none (only one
account can have been the single source, and two resources must never alias one URN).

How Pulumi resolves them: the `aliases` resource option (pulumi docs, "Resource options:
aliases": an alias lists the old name, type, parent, stack or project; the fields left out are the
resource's own). `pulumi.Alias(name=...)` on a child of the component keeps the component as
parent; on the provider (a child of the stack) it keeps the stack. The engine reads the SDK's alias
specs in pulumi/pulumi `pkg/resource/deploy/source_eval.go` (`RegisterResource`: name, type, stack,
project, parentUrn, noParent) and fills the empty fields from the resource's own goal
(`step_generator.go`, `generateAliases`); `tools/preview/mocks.py` (`RecordingMonitor._alias_urns`)
resolves them the same way, so these tests compare URNs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.preview.engine import REPO_ROOT, OfflineRun, run_stack

NS = "cross-account-backup:"
SECOND = "333333333333"

#: URN -> provider of every resource `main` (528ee01, single form) registered for dev.
MAIN_DEV: dict[str, str] = json.loads(
    (Path(__file__).parent / "program_urns_main.json").read_text()
)["dev"]


def _dev_as_list(*extra: str) -> OfflineRun:
    """Dev with its `sourceAccount` moved to `sourceAccounts` (first), plus `extra` accounts."""
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    first: dict[str, Any] = config[f"{NS}sourceAccount"]
    others = [
        {**first, "accountId": a, "roleArn": f"arn:aws:iam::{a}:role/backup-deployer"}
        for a in extra
    ]
    run = run_stack(
        "dev",
        preview=True,
        config_overrides={"sourceAccount": None, "sourceAccounts": [first, *others]},
    )
    assert run.error is None, run.error
    return run


@pytest.fixture(scope="module")
def moved() -> OfflineRun:
    return _dev_as_list(SECOND)


def _aliases(run: OfflineRun) -> dict[str, list[str]]:
    return {r.urn: r.options["aliases"] for r in run.resources if r.options.get("aliases")}


def test_every_single_form_urn_is_kept_or_aliased_by_the_first_source(moved: OfflineRun) -> None:
    registered = {r.urn for r in moved.resources}
    aliased = {a for aliases in _aliases(moved).values() for a in aliases}
    assert {urn for urn in MAIN_DEV if urn not in registered} == aliased & set(MAIN_DEV)
    assert set(MAIN_DEV) <= registered | aliased


def test_the_first_sources_resources_and_provider_alias_their_single_form_names(
    moved: OfflineRun,
) -> None:
    first = "111111111111"
    by_urn = {r.urn: r for r in moved.resources}
    aliases = _aliases(moved)
    assert aliases  # the move would otherwise replace them
    for urn, (old,) in aliases.items():
        r = by_urn[urn]
        assert r.account_id == first or r.name == f"source-account-{first}"
        # Same type and parent: only the name differs, by the account id.
        assert old == urn.replace(f"-{first}", "", 1)
    assert aliases[
        "urn:pulumi:dev::cross-account-backup::pulumi:providers:aws::source-account-111111111111"
    ] == ["urn:pulumi:dev::cross-account-backup::pulumi:providers:aws::source-account"]


def test_other_sources_carry_no_aliases(moved: OfflineRun) -> None:
    second = [r for r in moved.resources if SECOND in r.name]
    assert len(second) >= 17  # its provider and resources
    assert [r.name for r in second if r.options.get("aliases")] == []


def test_no_alias_names_a_registered_urn_or_two_resources(moved: OfflineRun) -> None:
    registered = {r.urn for r in moved.resources}
    every = [a for aliases in _aliases(moved).values() for a in aliases]
    assert len(every) == len(set(every))
    assert not set(every) & registered


def test_the_single_form_registers_no_aliases() -> None:
    run = run_stack("dev", preview=True)
    assert run.error is None, run.error
    assert _aliases(run) == {}
    assert {r.urn for r in run.resources} >= set(MAIN_DEV)
