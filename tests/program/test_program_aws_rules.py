"""The program under mocks, for what must hold at a real `pulumi up` (issue 8, items 2-7).

Each test names the source of the rule it enforces: the AWS Backup API reference and user guide,
the IAM and EventBridge references, and terraform-provider-aws (the engine of pulumi-aws).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError
from harness import ProgramRun, Registration, run_program, stack_config

NS = "cross-account-backup:"
SOURCE, BACKUP = "111111111111", "222222222222"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
DEPLOY_ROLE = f"arn:aws:iam::{BACKUP}:role/backup-deployer"

#: URN -> provider of every resource `main` (528ee01) registered for dev and prod.
MAIN_URNS: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "program_urns_main.json").read_text()
)


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    run = run_program(stack_config("dev"), stack="dev")
    assert run.error is None, run.error
    return run


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    run = run_program(stack_config("prod"), stack="prod")
    assert run.error is None, run.error
    return run


def named(run: ProgramRun, name: str) -> Registration:
    found = [r for r in run.registrations if r.name == name]
    assert len(found) == 1, f"expected one resource {name}, got {len(found)}"
    return found[0]


def with_values(stack: str, key: str, **values: Any) -> dict[str, Any]:
    """The stack's config with fields of one object key replaced (None removes a field)."""
    config = stack_config(stack)
    section = dict(config.get(NS + key) or {})
    for field, value in values.items():
        if value is None:
            section.pop(field, None)
        else:
            section[field] = value
    config[NS + key] = section
    return config


# --- identity: existing resources keep their URN and their provider ---------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_of_main_keeps_its_urn_and_provider(stack: str) -> None:
    # A changed URN is a delete + create (of a vault, a key); a changed provider a replacement.
    run = run_program(stack_config(stack), stack=stack)
    assert run.error is None, run.error
    now = {r.urn: r.provider_name for r in run.registrations}
    assert {urn: now.get(urn) for urn in MAIN_URNS[stack]} == MAIN_URNS[stack]


#: What prod's restoreTesting and backupAudit add (issue 14).
PROD_RECOVERY_SITE = {
    "cross-account-restore-testing-role",
    "cross-account-restore-testing-role-vault-keys",
    "cross-account-restore-testing-role-restores",
    "cross-account-restore-testing-role-s3-restore",
    "cross-account-restore-testing-plan",
    "cross-account-restore-testing-ebs",
    "cross-account-restore-testing-dynamodb",
    "cross-account-restore-tests-rule",
    "cross-account-restore-tests-target",
    "cross-account-audit-bucket",
    "cross-account-audit-bucket-public-access",
    "cross-account-audit-bucket-ownership",
    "cross-account-audit-bucket-versioning",
    "cross-account-audit-bucket-encryption",
    "cross-account-audit-bucket-policy",
    "cross-account-audit-framework-source",
    "cross-account-audit-framework-backup",
    "cross-account-audit-report-source",
    "cross-account-audit-report-backup",
}


@pytest.mark.parametrize(
    ("stack", "added"),
    [
        (
            "dev",
            {
                "cross-account-backup-account-service-linked-role",
                "cross-account-source-account-service-linked-role",
                "cross-account-protection-alerts-rule",
                "cross-account-protection-alerts-target",
                "cross-account-protection-alerts",
                "cross-account-protection-alerts-policy",
            },
        ),
        (
            "prod",
            {
                "cross-account-backup-account-service-linked-role",
                "cross-account-source-account-service-linked-role",
                "cross-account-protection-alerts-rule",
                "cross-account-protection-alerts-target",
                "cross-account-protection-alerts",
                "cross-account-protection-alerts-policy",
                "cross-account-protection-alerts-email",
                "cross-account-global-settings-eu-central-1",
                "management-account-eu-central-1",
                # Issue 14 (tests/test_recovery.py): restore tests and audit, on in prod.
                *PROD_RECOVERY_SITE,
            },
        ),
    ],
)
def test_only_the_new_resources_are_added(stack: str, added: set[str]) -> None:
    run = run_program(stack_config(stack), stack=stack)
    new = {r.urn.rsplit("::", 1)[-1] for r in run.registrations if r.urn not in MAIN_URNS[stack]}
    assert new == added


# --- item 2: cron only, with an optional time zone --------------------------------------------


def test_rate_schedule_registers_nothing() -> None:
    # AWS Backup API BackupRuleInput.ScheduleExpression: a cron expression; no rate()
    # (terraform-provider-aws #8269).
    run = run_program(with_values("dev", "backupPlan", schedule="rate(12 hours)"), stack="dev")
    assert isinstance(run.error, ConfigError)
    assert run.error.key == "backupPlan.schedule"
    assert "cron(0 */12 ? * * *)" in str(run.error)
    assert run.registrations == []


def test_schedule_timezone_reaches_the_rule() -> None:
    # BackupRuleInput.ScheduleExpressionTimezone; pulumi-aws PlanRuleArgs's
    # schedule_expression_timezone.
    run = run_program(
        with_values("dev", "backupPlan", scheduleTimezone="Europe/Paris"), stack="dev"
    )
    assert run.error is None, run.error
    (rule,) = named(run, "cross-account-plan").inputs["rules"]
    assert rule["scheduleExpressionTimezone"] == "Europe/Paris"
    assert rule["schedule"] == "cron(0 5 ? * * *)"


def test_no_timezone_sent_by_default(dev: ProgramRun) -> None:
    (rule,) = named(dev, "cross-account-plan").inputs["rules"]
    assert "scheduleExpressionTimezone" not in rule


# --- item 3: the service-linked role where copies arrive --------------------------------------


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("cross-account-backup-account-service-linked-role", "backup-account"),
        ("cross-account-source-account-service-linked-role", "source-account"),
    ],
)
def test_service_linked_role_is_created_in_its_account_by_default(
    dev: ProgramRun, name: str, provider: str
) -> None:
    # AWS Backup guide, "Service-linked roles": the destination account pulls cross-account
    # copies with AWSServiceRoleForBackup (service backup.amazonaws.com), which AWS creates only
    # when cross-account management or EFS automatic backup is set up.
    reg = named(dev, name)
    assert reg.type == SLR
    assert reg.provider_name == provider
    assert reg.inputs == {"awsServiceName": "backup.amazonaws.com"}
    # Other AWS Backup features of the account use the same role: never deleted by the stack.
    assert reg.retain_on_delete and not reg.protect


@pytest.mark.parametrize(
    ("account", "kept"),
    [
        ("backupAccount", "cross-account-source-account-service-linked-role"),
        ("sourceAccount", "cross-account-backup-account-service-linked-role"),
    ],
)
def test_service_linked_role_is_not_created_where_it_is_switched_off(
    account: str, kept: str
) -> None:
    # iam CreateServiceLinkedRole fails when the role exists ("has been taken in this account").
    run = run_program(with_values("dev", account, createServiceLinkedRole=False), stack="dev")
    assert run.error is None, run.error
    assert [r.name for r in run.by_type(SLR)] == [kept]


# --- item 4 is in test_program.py (global settings per region) -------------------------------

# --- item 6: the deploy role's exception ------------------------------------------------------


def test_aws_reserved_deploy_role_registers_nothing() -> None:
    arn = f"arn:aws:iam::{BACKUP}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b"
    run = run_program(with_values("dev", "backupAccount", roleArn=arn), stack="dev")
    assert isinstance(run.error, ConfigError)
    assert run.error.key == "backupAccount.roleArn"
    assert "IAM Identity Center" in str(run.error)
    assert run.registrations == []


@pytest.mark.parametrize(
    ("resource", "sid"),
    [
        ("cross-account-backup-vault-key", "DenyKeyDestructionExceptDeployRole"),
        ("cross-account-backup-vault-policy", "DenyPolicyAndLockChangesExceptDeployRole"),
    ],
)
def test_deploy_role_exception_ignores_the_case_the_user_typed(resource: str, sid: str) -> None:
    # IAM condition operators reference: ArnEquals/ArnLike and StringLike are case-sensitive;
    # StringNotEqualsIgnoreCase is not. aws:PrincipalArn of a role session is the role's ARN.
    typed = f"arn:aws:iam::{BACKUP}:role/Backup-Deployer"
    run = run_program(with_values("dev", "backupAccount", roleArn=typed), stack="dev")
    assert run.error is None, run.error
    (deny,) = [s for s in named(run, resource).policy()["Statement"] if s.get("Sid") == sid]
    assert deny["Condition"] == {"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": typed}}


def test_protection_alert_rule_matches_the_five_bypass_calls(dev: ProgramRun) -> None:
    # EventBridge events reference: API calls arrive as detail-type "AWS API Call via
    # CloudTrail", source aws.<service>, detail.eventSource <service>.amazonaws.com.
    rule = named(dev, "cross-account-protection-alerts-rule")
    assert rule.provider_name == "backup-account"
    assert rule.inputs["name"] == "cross-account-backup-dev-protection-changes"
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.kms", "aws.backup"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["kms.amazonaws.com", "backup.amazonaws.com"],
            "eventName": [
                "ScheduleKeyDeletion",
                "DisableKey",
                "PutKeyPolicy",
                "PutBackupVaultAccessPolicy",
                "DeleteBackupVaultLockConfiguration",
            ],
        },
    }


def test_protection_alerts_go_to_a_topic_of_the_backup_account(dev: ProgramRun) -> None:
    topic = named(dev, "cross-account-protection-alerts")
    target = named(dev, "cross-account-protection-alerts-target")
    rule = named(dev, "cross-account-protection-alerts-rule")
    policy = named(dev, "cross-account-protection-alerts-policy")
    assert {topic.provider_name, target.provider_name, policy.provider_name} == {"backup-account"}
    assert topic.outputs["arn"].split(":")[4] == BACKUP
    assert target.inputs["rule"] == rule.inputs["name"]
    assert target.inputs["arn"] == topic.outputs["arn"]
    # EventBridge checks the topic policy when it delivers: the target waits for it.
    assert policy.urn in target.dependencies


def test_protection_topic_policy_lets_only_that_rule_publish(dev: ProgramRun) -> None:
    # EventBridge user guide, "Amazon SNS permissions": events.amazonaws.com may sns:Publish,
    # scoped to the rule with aws:SourceArn.
    topic_arn = "arn:aws:sns:eu-west-1:222222222222:cross-account-backup-dev-protection-alerts"
    policy = named(dev, "cross-account-protection-alerts-policy")
    assert policy.inputs["arn"] == named(dev, "cross-account-protection-alerts").outputs["arn"]
    assert policy.policy() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowProtectionRuleToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnEquals": {
                        "aws:SourceArn": "arn:aws:events:eu-west-1:222222222222:rule/"
                        "cross-account-backup-dev-protection-changes"
                    }
                },
            },
            {
                "Sid": "AllowOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                ],
                "Resource": topic_arn,
            },
        ],
    }


def test_protection_alerts_email_the_notification_address_unfiltered(
    dev: ProgramRun, prod: ProgramRun
) -> None:
    assert "cross-account-protection-alerts-email" not in {r.name for r in dev.registrations}
    email = named(prod, "cross-account-protection-alerts-email")
    assert email.provider_name == "backup-account"
    assert email.inputs["topic"] == named(prod, "cross-account-protection-alerts").outputs["arn"]
    assert (email.inputs["protocol"], email.inputs["endpoint"]) == (
        "email",
        "backup-alerts@example.com",
    )
    # Every use of the bypass is news: no filter policy.
    assert "filterPolicy" not in email.inputs


# --- item 7: lock edits AWS allows deploy; the ones it forbids don't start --------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_lock_is_retained_not_protected_so_an_edit_is_a_new_put(stack: str) -> None:
    # terraform-provider-aws vault_lock_configuration.go: every argument is ForceNew, Create is
    # PutBackupVaultLockConfiguration, Delete is DeleteBackupVaultLockConfiguration. API
    # PutBackupVaultLockConfiguration: before the lock date a Put changes the lock. A replace
    # (create first) is then a second Put, and retain_on_delete keeps the engine from calling
    # Delete on the old one (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply: a
    # RetainOnDelete resource's delete is a no-op, replacements included); `protect` would refuse
    # the replacement (step_generator.go: "unable to replace resource ... marked for protection"
    # when new.Protect && old.Protect; a lock unprotected now may replace the protected one of
    # main in the same update).
    run = run_program(stack_config(stack), stack=stack)
    lock = named(run, "cross-account-backup-vault-lock")
    assert lock.retain_on_delete
    assert not lock.protect
    assert lock.raw.options["deleteBeforeReplace"] is False


def test_compliance_lock_past_its_lock_date_is_protected() -> None:
    # After the lock date the lock "cannot be changed or deleted" (API
    # PutBackupVaultLockConfiguration, ChangeableForDays): the engine refuses the replacement of
    # a resource protected in the program and in the state, at preview (pulumi/pulumi
    # pkg/resource/deploy/step_generator.go), and its deletion (step.go, deleteProtectedError).
    config = with_values("prod", "vaultLock", lockDate="2020-01-01T00:00:00Z")
    run = run_program(config, stack="prod")
    assert run.error is None, run.error
    lock = named(run, "cross-account-backup-vault-lock")
    assert lock.protect and lock.retain_on_delete
    assert lock.inputs["changeableForDays"] == 3


def test_compliance_lock_before_its_lock_date_stays_editable() -> None:
    config = with_values("prod", "vaultLock", lockDate="2999-01-01")
    run = run_program(config, stack="prod")
    assert run.error is None, run.error
    lock = named(run, "cross-account-backup-vault-lock")
    assert not lock.protect and lock.retain_on_delete


def test_compliance_lock_past_its_lock_date_cannot_become_governance() -> None:
    config = with_values(
        "prod", "vaultLock", mode="governance", changeableForDays=None, lockDate="2020-01-01"
    )
    run = run_program(config, stack="prod")
    assert isinstance(run.error, ConfigError)
    assert run.error.key == "vaultLock.lockDate"
    assert "only a compliance-mode lock has a lock date" in str(run.error)
    assert run.registrations == []


@pytest.mark.parametrize(
    ("caller", "verdict"),
    [
        # The role as IAM spells it, though the stack typed it in another case: not denied.
        (f"arn:aws:iam::{BACKUP}:role/backup-deployer", "allowed"),
        # Any other role of the backup account, an administrator included: denied.
        (f"arn:aws:iam::{BACKUP}:role/admin", "explicit-deny"),
    ],
)
def test_only_the_deploy_role_may_replace_the_key_policy_whatever_the_typed_case(
    caller: str, verdict: str
) -> None:
    # The pack's IAM evaluator (policies/backup_guard/iam.py, StringNotEqualsIgnoreCase as in the
    # IAM condition operators reference) on the registered key policy.
    from backup_guard.iam import evaluate

    typed = f"arn:aws:iam::{BACKUP}:role/Backup-Deployer"
    run = run_program(with_values("dev", "backupAccount", roleArn=typed), stack="dev")
    assert run.error is None, run.error
    policy = named(run, "cross-account-backup-vault-key").inputs["policy"]
    decision = evaluate(
        policy, principal_account=BACKUP, action="kms:PutKeyPolicy", principal_arn=caller
    )
    assert decision.verdict == verdict, decision


def test_readme_says_which_global_settings_flags_are_set_and_left_alone() -> None:
    # AWS-FACTS: the README must say exactly what the program sets and leaves alone.
    from components.backup import UNMANAGED_FLAGS

    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert '**What it sets:** `isCrossAccountBackupEnabled = "true"`, nothing else.' in readme
    left_alone = readme.split("**What it leaves alone:**")[1].split(" 3. ")[0]
    for flag in UNMANAGED_FLAGS:
        assert f"`{flag}`" in left_alone
