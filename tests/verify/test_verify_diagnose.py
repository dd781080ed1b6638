"""`tools.verify --diagnose` on realistic live documents: the program's own (good) and broken ones.

The AWS answers are queued on botocore Stubbers (validated against the service models); the
policies are judged by the policy pack's evaluator, `backup_guard.iam`, not by a test double.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import backup_guard.iam
from tools.verify.aws_session import RoleTarget
from tools.verify.cli import main
from tools.verify.diagnose import (
    Diagnosis,
    diagnose,
    explain_status_message,
)
from tools.verify.errors import ExitCode
from tools.verify.inputs import (
    VerifySettings,
    load_settings,
    parse_outputs,
    parse_resource_arn,
)
from verify_fakes import (
    BACKUP_ID,
    MANAGEMENT_ID,
    OTHER_ID,
    OUTPUTS,
    REGION,
    SOURCE_ID,
    VOLUME_ARN,
    VOLUME_ID,
    Err,
    StubbedClients,
    aws_managed_ebs_key_policy,
    healthy_live_state,
    queue_diagnosis,
    resource_cmk_policy,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def settings() -> VerifySettings:
    dev = load_settings(ROOT, "dev")
    management = RoleTarget(
        "management", MANAGEMENT_ID, f"arn:aws:iam::{MANAGEMENT_ID}:role/backup-deployer", REGION
    )
    return replace(dev, management=management)


def run(settings: VerifySettings, live: dict, *, with_resource: bool = True) -> Diagnosis:
    clients = StubbedClients(
        {"source": REGION, "backup": REGION}
        | ({"management": REGION} if settings.management else {})
    )
    queue_diagnosis(clients, live, resource=with_resource)
    resource = parse_resource_arn(VOLUME_ARN, source=settings.source) if with_resource else None
    result = diagnose(clients, settings, parse_outputs(OUTPUTS, settings), resource)
    clients.assert_all_used()
    return result


def policy_with(document: str, **change: object) -> str:
    doc = json.loads(document)
    for index, statement in change.items():
        doc["Statement"][int(index.removeprefix("s"))] = statement
    return json.dumps(doc)


def test_uses_the_policy_pack_evaluator_module() -> None:
    # The diagnosis and the pack share one evaluator: the real module, not a stand-in.
    import tools.verify.diagnose.model as module

    assert module.evaluate is backup_guard.iam.evaluate
    assert (
        Path(backup_guard.iam.__file__).resolve() == ROOT / "policies/backup_guard/iam/__init__.py"
    )


def test_healthy_stack_passes_every_check(settings: VerifySettings) -> None:
    result = run(settings, healthy_live_state())
    assert [c.id for c in result.checks] == [
        "organization",
        "cross-account-setting",
        "backup-vault",
        "backup-vault-policy",
        "backup-vault-key-policy",
        "source-vault-policy",
        "source-vault-key-policy",
        "vault-lock",
        "plan",
        "selection",
        "notifications",
        "resource",
        "resource-tag",
        "resource-key",
    ]
    assert {c.id: c.status for c in result.checks if c.status != "pass"} == {}
    assert "allowed backup:CopyIntoBackupVault" in result.by_id("backup-vault-policy").detail
    assert (
        "locked, retention 1..365 days; copy retention 14 days" in result.by_id("vault-lock").detail
    )


def test_vault_policy_granting_another_account_fails_with_fix(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["backup_vault_policy"] = live["backup_vault_policy"].replace(SOURCE_ID, OTHER_ID)
    check = run(settings, live).by_id("backup-vault-policy")
    assert check.status == "fail"
    assert f"account {SOURCE_ID} is refused backup:CopyIntoBackupVault: implicit-deny" in (
        check.detail
    )
    assert "allow backup:CopyIntoBackupVault to the source account" in check.fix


def test_vault_policy_explicit_deny_names_the_statement(settings: VerifySettings) -> None:
    live = healthy_live_state()
    deny = {
        "Sid": "DenyCopiesFromOutsideTheOrg",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}},
    }
    live["backup_vault_policy"] = policy_with(live["backup_vault_policy"], s1=deny)
    check = run(settings, live).by_id("backup-vault-policy")
    assert check.status == "fail"
    assert "explicit-deny by statement DenyCopiesFromOutsideTheOrg" in check.detail


def test_missing_vault_policy_fails(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["backup_vault_policy"] = Err("ResourceNotFoundException", "Backup vault policy not found")
    check = run(settings, live).by_id("backup-vault-policy")
    assert check.status == "fail"
    assert "has no access policy" in check.detail


def test_backup_key_policy_missing_encrypt_fails_listing_the_actions(
    settings: VerifySettings,
) -> None:
    live = healthy_live_state()
    doc = json.loads(live["backup_key_policy"])
    doc["Statement"][1]["Action"] = ["kms:Decrypt", "kms:DescribeKey"]
    live["backup_key_policy"] = json.dumps(doc)
    check = run(settings, live).by_id("backup-vault-key-policy")
    assert check.status == "fail"
    for action in ("kms:Encrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"):
        assert f"{action}: implicit-deny" in check.detail
    assert "kms:Decrypt:" not in check.detail


def test_resource_on_aws_managed_key_can_never_be_copied(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["resource_key_manager"] = "AWS"
    live["resource_key_policy"] = aws_managed_ebs_key_policy()
    check = run(settings, live).by_id("resource-key")
    assert check.status == "fail"
    assert "alias/aws/ebs" in check.detail and "can never be copied" in check.detail
    assert "customer managed key" in check.fix


def test_resource_cmk_not_shared_with_backup_account_fails(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["resource_key_policy"] = resource_cmk_policy(allow_backup_account=False)
    check = run(settings, live).by_id("resource-key")
    assert check.status == "fail"
    assert f"the backup account {BACKUP_ID} is refused" in check.detail
    assert "kms:CreateGrant" in check.fix


def test_copy_retention_outside_the_lock_fails(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["backup_vault"] |= {"MinRetentionDays": 30, "LockDate": "2026-01-01T00:00:00Z"}
    check = run(settings, live).by_id("vault-lock")
    assert check.status == "fail"
    assert "copyRetentionDays = 14 is outside" in check.detail
    assert check.fix == "set backupPlan.copyRetentionDays between 30 and 365"


def test_accounts_in_different_organizations_fail(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["org"]["backup"] = "o-zzzzzzzzzz"
    check = run(settings, live).by_id("organization")
    assert check.status == "fail"
    assert check.detail == f"source is in {live['org']['source']}, backup in o-zzzzzzzzzz"


def test_account_outside_any_organization_fails(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["org"]["source"] = Err("AWSOrganizationsNotInUseException", "not in an organization")
    live["org"]["backup"] = "o-unused0000"  # still queued: never read once source fails
    clients = StubbedClients({"source": REGION, "backup": REGION, "management": REGION})
    queue_diagnosis(clients, live)
    result = diagnose(
        clients,
        settings,
        parse_outputs(OUTPUTS, settings),
        parse_resource_arn(VOLUME_ARN, source=settings.source),
    )
    assert result.by_id("organization").status == "fail"
    assert "the source account is in no organization" in result.by_id("organization").detail


def test_cross_account_opt_in_off_fails(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["global_settings"] = {"isCrossAccountBackupEnabled": "false"}
    check = run(settings, live).by_id("cross-account-setting")
    assert check.status == "fail"
    assert "isCrossAccountBackupEnabled=true" in check.fix


def test_without_management_account_the_opt_in_is_skipped(settings: VerifySettings) -> None:
    check = run(replace(settings, management=None), healthy_live_state()).by_id(
        "cross-account-setting"
    )
    assert check.status == "skip"
    assert "no managementAccount" in check.detail


def test_denied_read_is_skipped_not_passed(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["backup_key_policy"] = Err("AccessDeniedException", "not authorized to GetKeyPolicy")
    check = run(settings, live).by_id("backup-vault-key-policy")
    assert check.status == "skip"
    assert "GetKeyPolicy was denied" in check.detail


def test_untagged_resource_and_other_tag_selection_fail(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["volume"]["Tags"] = [{"Key": "Name", "Value": "data"}]
    live["selection"]["ListOfTags"][0]["ConditionKey"] = "backup-policy"
    result = run(settings, live)
    assert result.by_id("resource-tag").status == "fail"
    assert "--tags Backup=Yes" in result.by_id("resource-tag").fix
    assert result.by_id("selection").status == "fail"
    assert "on Backup=Yes" in result.by_id("selection").detail


def test_plan_without_copy_action_fails_and_without_lifecycle_warns(
    settings: VerifySettings,
) -> None:
    live = healthy_live_state()
    live["plan"]["Rules"][0]["CopyActions"] = []
    assert run(settings, live).by_id("plan").status == "fail"
    live = healthy_live_state()
    del live["plan"]["Rules"][0]["CopyActions"][0]["Lifecycle"]
    check = run(settings, live).by_id("plan")
    assert check.status == "warn"
    assert "kept for ever" in check.detail


def test_source_key_not_shared_is_a_warning_for_ebs_but_fails_without_resource(
    settings: VerifySettings,
) -> None:
    live = healthy_live_state()
    live["source_key_policy"] = live["source_key_policy"].replace(BACKUP_ID, OTHER_ID)
    assert run(settings, live).by_id("source-vault-key-policy").status == "warn"
    live = healthy_live_state()
    live["source_key_policy"] = live["source_key_policy"].replace(BACKUP_ID, OTHER_ID)
    check = run(settings, live, with_resource=False).by_id("source-vault-key-policy")
    assert check.status == "fail"


def test_backup_vault_on_aws_managed_key_fails(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["backup_vault_key_manager"] = "AWS"
    check = run(settings, live).by_id("backup-vault")
    assert check.status == "fail"
    assert "is AWS managed" in check.detail


def test_invalid_live_policy_is_reported_as_failure(settings: VerifySettings) -> None:
    live = healthy_live_state()
    live["source_vault_policy"] = '{"Statement": [{"Effect": "Permit"}]}'
    check = run(settings, live).by_id("source-vault-policy")
    assert check.status == "fail"
    assert "not valid IAM" in check.detail


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        (
            "Both source and destination account must be a member of the same organization.",
            "organization",
        ),
        (
            "Cross-account copy feature is not enabled for the current organization.",
            "cross-account-setting",
        ),
        (
            "Copy job failed because the destination Backup vault is encrypted with the default "
            "Backup service managed key. The contents of this vault cannot be copied.",
            "destination-default-key",
        ),
        ("Snapshots encrypted with the AWS managed key can't be shared.", "aws-managed-key"),
        ("Given key ID is not accessible", "key-not-shared"),
        (
            "The retention specified in the job is not within the range specified for the target "
            "Backup Vault.",
            "lock-retention",
        ),
        ("Access Denied trying to call AWS Backup service", "vault-policy"),
    ],
)
def test_status_messages_map_to_their_cause(message: str, cause: str) -> None:
    found = explain_status_message(message)
    assert found is not None
    assert found.id == cause


def test_unknown_status_message_has_no_cause() -> None:
    assert explain_status_message("Internal failure, try again") is None
    assert explain_status_message(None) is None


def test_diagnose_command_exit_codes(settings: VerifySettings, tmp_path: Path, capsys) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    for live, expected in ((healthy_live_state(), ExitCode.OK), (None, ExitCode.DIAGNOSIS_FAILED)):
        if live is None:
            live = healthy_live_state()
            live["backup_vault_policy"] = live["backup_vault_policy"].replace(SOURCE_ID, OTHER_ID)
        clients = StubbedClients({"source": REGION, "backup": REGION, "management": REGION})
        queue_diagnosis(clients, live)
        code = main(
            [
                "--stack",
                "dev",
                "--diagnose",
                "--resource-arn",
                VOLUME_ARN,
                "--outputs",
                str(outputs),
            ],
            clients_factory=lambda _s, c=clients: c,
            settings=settings,
        )
        assert code == expected
        clients.assert_all_used()
    printed = capsys.readouterr().out
    assert "[PASS ] backup-vault-policy" in printed
    assert "[FAIL ] backup-vault-policy" in printed
    assert "diagnosis: 14 checks, 1 failed" in printed


def test_diagnose_without_resource_skips_the_resource_checks(
    settings: VerifySettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `make verify STACK=dev ARGS=--diagnose` passes an empty --resource-arn.
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    clients = StubbedClients({"source": REGION, "backup": REGION, "management": REGION})
    queue_diagnosis(clients, healthy_live_state(), resource=False)
    code = main(
        ["--stack", "dev", "--diagnose", "--resource-arn", "", "--outputs", str(outputs)],
        clients_factory=lambda _s: clients,
        settings=settings,
    )
    assert code == ExitCode.OK
    clients.assert_all_used()
    printed = capsys.readouterr().out
    assert "diagnosis: 11 checks, 0 failed" in printed
    assert "resource-tag" not in printed


def test_missing_resource_is_reported_once(settings: VerifySettings) -> None:
    # Issue 15, smaller list: the same missing-resource failure was reported three times.
    live = healthy_live_state()
    live["volume"] = Err("InvalidVolume.NotFound", f"The volume '{VOLUME_ID}' does not exist.")
    result = run(settings, live)
    statuses = {c.id: c.status for c in result.checks}
    assert statuses["resource"] == "fail"
    assert "does not exist" in result.by_id("resource").detail
    assert statuses["resource-tag"] == "skip"
    assert statuses["resource-key"] == "skip"
    assert result.by_id("resource-key").detail == f"{VOLUME_ARN} does not exist (see resource)"
    assert [c.id for c in result.failed] == ["resource"]


def test_missing_backup_vault_is_reported_once(settings: VerifySettings) -> None:
    # Issue 15, smaller list: a missing vault was also "no access policy" and an ERROR on the lock.
    live = healthy_live_state()
    live["backup_vault"] = Err("ResourceNotFoundException", "Backup vault not found")
    live["backup_vault_policy"] = Err("ResourceNotFoundException", "Backup vault not found")
    result = run(settings, live)
    assert [c.id for c in result.failed] == ["backup-vault"]
    assert result.by_id("backup-vault").detail.endswith("does not exist")
    for check_id in ("backup-vault-policy", "vault-lock"):
        assert result.by_id(check_id).status == "skip"
        assert result.by_id(check_id).detail == (
            "cross-account-backup-dev-copies does not exist (see backup-vault)"
        )
