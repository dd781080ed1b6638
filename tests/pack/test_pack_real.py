"""The pack as the CLI runs it (a process over gRPC) on the real program's dev and prod plans
(`tools/preview/engine.py` runs the program under mocks, as `pulumi preview`/`up` would), with
and without config; also what a preview with broken grants, an unexpected shape and the
deploy-role guards the program adds do to the verdicts. The stand-in and its mutations:
tests/pack/test_pack_grpc.py."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tools.preview.pack_client import (
    UNKNOWN,
    Diagnostic,
    PackError,
    PolicyPackProcess,
    standin_stack,
)
from tools.stack.policy_config import policy_config

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"
Stack = list[dict[str, Any]]


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess() as p:
        yield p


def last_line(d: Diagnostic) -> str:
    return d.message.splitlines()[-1]


def summary(diags: list[Diagnostic]) -> list[str]:
    return [f"{d.enforcement_level} {d.policy_name}: {last_line(d)}" for d in diags]


def by_policy(diags: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    out: dict[str, list[Diagnostic]] = {}
    for d in diags:
        out.setdefault(d.policy_name, []).append(d)
    return out


def res(stack: Stack, name: str) -> dict[str, Any]:
    return next(r for r in stack if r["name"] == name)


# ---------------------------------------------------------------------------------------------
# The real program (tools/preview/engine.py runs it under mocks, as `pulumi preview`/`up` would)

offline = pytest.importorskip("tools.preview.engine")


@pytest.fixture(scope="module")
def real_runs() -> dict[tuple[str, bool], Stack]:
    out = {}
    for stack in ("dev", "prod"):
        for preview in (True, False):
            run = offline.run_stack(stack, preview=preview)
            assert run.ok, run.error
            out[(stack, preview)] = offline.to_analyzer_resources(run)
    return out


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
@pytest.mark.parametrize("configured", [False, True], ids=["inferred", "configured"])
def test_real_program_passes(
    pack: PolicyPackProcess,
    real_runs: dict[tuple[str, bool], Stack],
    stack: str,
    preview: bool,
    configured: bool,
) -> None:
    pack.configure(policy_config(stack) if configured else {})
    diags = pack.analyze_all(real_runs[(stack, preview)])
    assert [d for d in diags if d.mandatory] == []
    assert not any("can't run" in d.message for d in diags), summary(diags)
    if stack == "prod":
        # Prod copies into another account and region (eu-west-1 -> eu-central-1) and moves
        # copies to cold storage after 30 days (AWS Backup, "Copy a backup"): legal, limited.
        assert {d.policy_name for d in diags} == {
            "backup-copy-cross-region-and-account",
            "backup-copy-cold-storage-closes-copy-back",
        }, summary(diags)
    else:  # dev keeps backups 7 days and copies 14: below the advisory 35-day minimum
        assert {d.policy_name for d in diags} == {"backup-plan-min-retention"}


def _real(real_runs: dict[tuple[str, bool], Stack], stack: str, preview: bool) -> Stack:
    return copy.deepcopy(real_runs[(stack, preview)])


def _of_type(stack: Stack, type_: str, name_part: str) -> dict[str, Any]:
    return next(r for r in stack if r["type"] == type_ and name_part in r["name"])


def _drop_statements(resource: dict[str, Any], sid_part: str) -> None:
    doc = json.loads(resource["properties"]["policy"])
    kept = [s for s in doc["Statement"] if sid_part not in s.get("Sid", "")]
    assert len(kept) < len(doc["Statement"]), f"no statement with {sid_part!r} to drop"
    doc["Statement"] = kept
    resource["properties"]["policy"] = json.dumps(doc)


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
@pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])
def test_preview_mandatory_checks_decide_on_the_real_program(
    pack: PolicyPackProcess,
    real_runs: dict[tuple[str, bool], Stack],
    configured: bool,
    stack_name: str,
) -> None:
    """A preview run (key ARNs unknown) with the three grants broken: rejected, mandatory.

    Configured: by `Analyze` alone. Inferred: the accounts come from the stack (prod copies
    across regions too).
    """
    stack = _real(real_runs, stack_name, preview=True)
    vault = _of_type(stack, "aws:backup/vault:Vault", "backup-vault")
    assert vault["properties"]["kmsKeyArn"] == UNKNOWN  # really a preview
    vault_policy = _of_type(stack, "aws:backup/vaultPolicy:VaultPolicy", "backup-vault")
    doc = json.loads(vault_policy["properties"]["policy"])
    doc["Statement"][0]["Principal"] = {"AWS": f"arn:aws:iam::{OTHER}:root"}
    vault_policy["properties"]["policy"] = json.dumps(doc)
    _drop_statements(_of_type(stack, "aws:kms/key:Key", "backup-vault-key"), "SourceAccount")
    _drop_statements(_of_type(stack, "aws:kms/key:Key", "source-vault-key"), "BackupAccount")

    pack.configure(policy_config(stack_name) if configured else {})
    diags = [d for r in stack for d in pack.analyze(r)] if configured else pack.analyze_all(stack)
    mandatory = {d.policy_name for d in diags if d.mandatory}
    assert mandatory == {
        "backup-vault-policy-grants-source",
        "backup-vault-key-policy-grants-source",
        "backup-source-vault-key-grants-backup",
    }, summary(diags)
    assert not any("can't run" in d.message for d in diags)
    grants = next(d for d in diags if d.policy_name == "backup-vault-policy-grants-source")
    assert f"does not let {SRC} backup:CopyIntoBackupVault" in last_line(grants)


def test_configure_refuses_an_unknown_policy_name(pack: PolicyPackProcess) -> None:
    with pytest.raises(PackError) as e:
        pack.configure({"backup-vault-policy-grant-source": {}})
    assert "unknown policy 'backup-vault-policy-grant-source'" in str(e.value)


def test_unexpected_shape_is_a_violation_not_a_crash(pack: PolicyPackProcess) -> None:
    pack.configure({})
    plan = copy.deepcopy(res(standin_stack(), "plan"))
    plan["properties"]["rules"] = ["oops"]
    found = by_policy(pack.analyze(plan))
    assert set(found) == {
        "backup-copy-destination-cross-account",
        "backup-plan-lifecycle-valid",
        "backup-plan-min-retention",
    }
    lifecycle = found["backup-plan-lifecycle-valid"][0]
    assert lifecycle.mandatory
    assert last_line(lifecycle) == (
        "could not check `plan`: ValueError: rules[0] is not an object: 'oops'"
    )


def _upcoming_guards(stack: Stack) -> None:
    """What components/documents.py is about to add: Deny statements that keep policy, lock and
    key destruction with the deploy role, and an SNS topic policy without a condition."""
    deploy = f"arn:aws:iam::{BAK}:role/backup-deployer"
    not_deploy = {"StringNotLike": {"aws:PrincipalArn": deploy}}
    vault_policy = _of_type(stack, "aws:backup/vaultPolicy:VaultPolicy", "backup-vault")
    doc = json.loads(vault_policy["properties"]["policy"])
    doc["Statement"].append(
        {
            "Sid": "DenyPolicyAndLockChangesExceptDeployRole",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": [
                "backup:PutBackupVaultAccessPolicy",
                "backup:DeleteBackupVaultAccessPolicy",
                "backup:DeleteBackupVaultLockConfiguration",
            ],
            "Resource": "*",
            "Condition": not_deploy,
        }
    )
    vault_policy["properties"]["policy"] = json.dumps(doc)
    key = _of_type(stack, "aws:kms/key:Key", "backup-vault-key")
    doc = json.loads(key["properties"]["policy"])
    doc["Statement"].append(
        {
            "Sid": "DenyKeyDestructionExceptDeployRole",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"],
            "Resource": "*",
            "Condition": not_deploy,
        }
    )
    key["properties"]["policy"] = json.dumps(doc)
    for r in stack:
        if r["type"] == "aws:sns/topicPolicy:TopicPolicy":
            doc = json.loads(r["properties"]["policy"])
            for statement in doc["Statement"]:
                statement.pop("Condition", None)
            r["properties"]["policy"] = json.dumps(doc)


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
@pytest.mark.parametrize("configured", [False, True], ids=["inferred", "configured"])
def test_real_program_with_deploy_role_guards_passes(
    pack: PolicyPackProcess,
    real_runs: dict[tuple[str, bool], Stack],
    stack: str,
    preview: bool,
    configured: bool,
) -> None:
    """Deny statements on other actions don't make the checked grants uncertain, and a Deny to
    `*` is not an open principal."""
    resources = _real(real_runs, stack, preview)
    _upcoming_guards(resources)
    pack.configure(policy_config(stack) if configured else {})
    diags = pack.analyze_all(resources)
    assert [summary([d]) for d in diags if d.mandatory] == []
