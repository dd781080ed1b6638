"""Issue 12 over gRPC: the pack on the real program's three-source stack (`Pulumi.org.yaml`, run
under mocks by `tools/preview/engine.py`), as the CLI runs the pack.

- Listed grants (`organization` removed): a central vault policy or key policy missing one of
  the three sources is rejected, naming that source, with config (`Analyze` alone: before
  anything is created) and without (the accounts inferred from the stack).
- Organization grants: accepted with the stack's `organizationId`/`organizationPaths`, rejected
  with another organization, without the paths, and with paths the grant does not cover.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tools.preview.pack_client import Diagnostic, PolicyPackProcess
from tools.stack.policy_config import policy_config

offline = pytest.importorskip("tools.preview.engine")

NS = "cross-account-backup"
SOURCES = ("333333333333", "444444444444", "555555555555")
GRANTS = ("backup-vault-policy-grants-source", "backup-vault-key-policy-grants-source")
Stack = list[dict[str, Any]]
NO_ORG = {f"{NS}:organization": None}


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess() as p:
        yield p


@pytest.fixture(scope="module")
def runs() -> dict[str, Stack]:
    out = {}
    for name, overrides in (("org", None), ("listed", NO_ORG)):
        run = offline.run_stack("org", preview=True, config_overrides=overrides)
        assert run.ok, run.error
        out[name] = offline.to_analyzer_resources(run)
    return out


def _named(stack: Stack, name: str) -> dict[str, Any]:
    return next(r for r in stack if r["name"] == name)


def _mandatory(diags: list[Diagnostic]) -> list[tuple[str, str]]:
    return sorted((d.policy_name, d.message.splitlines()[-1]) for d in diags if d.mandatory)


def _without(stack: Stack, name: str, account: str) -> Stack:
    """`stack` with `account`'s root taken out of every principal list of `name`'s policy."""
    changed = copy.deepcopy(stack)
    resource = _named(changed, name)
    doc = json.loads(resource["properties"]["policy"])
    root = f"arn:aws:iam::{account}:root"
    for statement in doc["Statement"]:
        principals = statement["Principal"].get("AWS")
        if isinstance(principals, list) and root in principals:
            principals.remove(root)
    resource["properties"]["policy"] = json.dumps(doc)
    return changed


# --- listed grants ------------------------------------------------------------------------------


@pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])
def test_the_three_source_stack_passes(
    pack: PolicyPackProcess, runs: dict[str, Stack], configured: bool
) -> None:
    pack.configure(policy_config("org", overrides=NO_ORG) if configured else {})
    assert _mandatory(pack.analyze_all(runs["listed"])) == []


def test_a_central_vault_missing_one_of_three_sources_is_rejected_naming_it(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    stack = _without(runs["listed"], "cross-account-backup-vault-policy", SOURCES[1])
    pack.configure(policy_config("org", overrides=NO_ORG))
    # Configured: `Analyze` of the vault policy alone, before anything exists.
    diags = pack.analyze(_named(stack, "cross-account-backup-vault-policy"))
    assert _mandatory(diags) == [
        (
            "backup-vault-policy-grants-source",
            "vault policy `cross-account-backup-vault-policy` (vault "
            "'cross-account-backup-org-copies') does not let 444444444444 "
            "backup:CopyIntoBackupVault: no statement allows backup:CopyIntoBackupVault to "
            "444444444444",
        )
    ]


def test_without_config_the_missing_source_is_inferred_from_its_plan(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    stack = _without(runs["listed"], "cross-account-backup-vault-policy", SOURCES[2])
    pack.configure({})
    assert _mandatory(pack.analyze_all(stack)) == [
        (
            "backup-vault-policy-grants-source",
            "vault policy of `cross-account-backup-vault` does not let 555555555555 "
            "backup:CopyIntoBackupVault: no statement allows backup:CopyIntoBackupVault to "
            "555555555555",
        )
    ]


def test_a_central_key_missing_one_of_three_sources_is_rejected_naming_only_it(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    stack = _without(runs["listed"], "cross-account-backup-vault-key", SOURCES[0])
    pack.configure(policy_config("org", overrides=NO_ORG))
    found = _mandatory(pack.analyze(_named(stack, "cross-account-backup-vault-key")))
    assert [policy for policy, _ in found] == ["backup-vault-key-policy-grants-source"]
    assert "does not let 333333333333 kms:Encrypt" in found[0][1]
    assert not any(a in found[0][1] for a in SOURCES[1:])


# --- organization grants -----------------------------------------------------------------------


def _org_config(org_id: str, paths: list[str] | None) -> dict[str, dict[str, Any]]:
    config = policy_config("org")
    for properties in config.values():
        if "organizationId" in properties:
            properties["organizationId"] = org_id
            properties.pop("organizationPaths", None)
            if paths is not None:
                properties["organizationPaths"] = paths
    return config


def test_org_grants_are_accepted_with_the_stacks_organization(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    config = policy_config("org")
    assert config["backup-vault-policy-grants-source"]["organizationId"] == "o-exampleorgid"
    assert config["backup-vault-policy-grants-source"]["organizationPaths"] == [
        "o-exampleorgid/r-ab12/ou-ab12-11111111"
    ]
    pack.configure(config)
    assert _mandatory(pack.analyze_all(runs["org"])) == []


def test_org_grants_are_rejected_with_another_organization(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    pack.configure(_org_config("o-anotherorgid", ["o-anotherorgid/r-ab12/ou-ab12-11111111"]))
    diags = pack.analyze(_named(runs["org"], "cross-account-backup-vault-policy"))
    found = _mandatory(diags)
    assert [p for p, _ in found] == ["backup-vault-policy-grants-source"] * 3
    for (_, message), account in zip(found, SOURCES, strict=True):
        # The statement's aws:PrincipalOrgID o-exampleorgid is false for a member of
        # o-anotherorgid: no statement applies.
        assert message == (
            "vault policy `cross-account-backup-vault-policy` (vault "
            f"'cross-account-backup-org-copies') does not let {account} "
            f"backup:CopyIntoBackupVault: no statement allows backup:CopyIntoBackupVault to "
            f"{account}"
        )


def test_org_path_grants_without_the_paths_in_config_are_not_proof(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    pack.configure(_org_config("o-exampleorgid", None))
    found = _mandatory(pack.analyze(_named(runs["org"], "cross-account-backup-vault-key")))
    assert {p for p, _ in found} == {"backup-vault-key-policy-grants-source"}
    assert all("its condition on aws:PrincipalOrgPaths needs" in m for _, m in found)


def test_org_path_grants_are_rejected_when_the_sources_are_under_another_ou(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    other_ou = "o-exampleorgid/r-ab12/ou-ab12-22222222"
    pack.configure(_org_config("o-exampleorgid", [other_ou]))
    found = _mandatory(pack.analyze(_named(runs["org"], "cross-account-backup-vault-policy")))
    # Every account of ou-ab12-22222222 is outside o-exampleorgid/r-ab12/ou-ab12-11111111/*.
    assert [m.split(": ", 1)[1] for _, m in found] == [
        f"no statement allows backup:CopyIntoBackupVault to {a}" for a in SOURCES
    ]


def test_org_path_grants_covering_one_of_two_configured_ous_are_not_proof(
    pack: PolicyPackProcess, runs: dict[str, Stack]
) -> None:
    # With two OUs configured, a source may be in either: a grant of the first alone lets in
    # only some of them (evaluator: YES only if YES for every shape).
    paths = ["o-exampleorgid/r-ab12/ou-ab12-11111111", "o-exampleorgid/r-ab12/ou-ab12-22222222"]
    pack.configure(_org_config("o-exampleorgid", paths))
    found = _mandatory(pack.analyze(_named(runs["org"], "cross-account-backup-vault-policy")))
    assert [p for p, _ in found] == ["backup-vault-policy-grants-source"] * 3
    assert all("its condition on aws:PrincipalOrgPaths needs" in m for _, m in found)
