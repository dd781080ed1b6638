"""The program under Pulumi mocks: routing per account, properties, protections, exports.

Each stack of the repo runs once per module (`run_program` records every registration with its
inputs, provider and options); each test checks one behaviour on those records. One test uses
`pulumi.runtime.test` on the component's outputs, the way the Pulumi docs test programs.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.config import ConfigError
from harness import ProgramRun, Registration, run_program, stack_config
from tools.stack import config as config_loader

SOURCE, BACKUP, MANAGEMENT = "111111111111", "222222222222", "000000000000"

SOURCE_SIDE = {
    "aws:kms/key:Key": ["cross-account-source-vault-key"],
    "aws:kms/alias:Alias": ["cross-account-source-vault-key-alias"],
    "aws:backup/vault:Vault": ["cross-account-source-vault"],
    "aws:backup/vaultPolicy:VaultPolicy": ["cross-account-source-vault-policy"],
    "aws:iam/role:Role": ["cross-account-backup-role"],
    "aws:backup/plan:Plan": ["cross-account-plan"],
    "aws:backup/selection:Selection": ["cross-account-selection"],
    "aws:sns/topic:Topic": ["cross-account-notifications"],
    "aws:sns/topicPolicy:TopicPolicy": ["cross-account-notifications-policy"],
    "aws:backup/vaultNotifications:VaultNotifications": [
        "cross-account-source-vault-notifications"
    ],
}
BACKUP_SIDE = {
    "aws:kms/key:Key": ["cross-account-backup-vault-key"],
    "aws:kms/alias:Alias": ["cross-account-backup-vault-key-alias"],
    "aws:backup/vault:Vault": ["cross-account-backup-vault"],
    "aws:backup/vaultPolicy:VaultPolicy": ["cross-account-backup-vault-policy"],
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": ["cross-account-backup-vault-lock"],
}


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


# --- providers and routing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "account", "region"),
    [
        ("source-account", SOURCE, "eu-west-1"),
        ("backup-account", BACKUP, "eu-central-1"),
        ("management-account", MANAGEMENT, "eu-west-1"),
    ],
)
def test_each_provider_assumes_the_role_of_its_account_and_is_pinned_to_it(
    prod: ProgramRun, provider: str, account: str, region: str
) -> None:
    reg = prod.one("pulumi:providers:aws", provider)
    # Provider inputs reach the engine as JSON strings.
    assert json.loads(reg.inputs["allowedAccountIds"]) == [account]
    assert reg.inputs["region"] == region
    roles = json.loads(reg.inputs["assumeRoles"])
    assert roles == [
        {
            "roleArn": f"arn:aws:iam::{account}:role/backup-deployer",
            "sessionName": "cross-account-backup",
        }
    ]
    tags = json.loads(reg.inputs["defaultTags"])["tags"]
    assert tags["ManagedBy"] == "pulumi"
    assert tags["PulumiStack"] == "prod"


def test_external_id_reaches_the_assume_role_when_configured() -> None:
    config = stack_config("dev")
    config["cross-account-backup:sourceAccount"] = {
        **config["cross-account-backup:sourceAccount"],
        "externalId": "placeholder-external-id",
    }
    run = run_program(config, stack="dev")
    assert run.error is None
    roles = json.loads(run.one("pulumi:providers:aws", "source-account").inputs["assumeRoles"])
    assert roles[0]["externalId"] == "placeholder-external-id"


def test_no_management_provider_without_management_account(dev: ProgramRun) -> None:
    names = {r.name for r in dev.by_type("pulumi:providers:aws")}
    assert names == {"source-account", "backup-account"}
    assert dev.by_type("aws:backup/globalSettings:GlobalSettings") == []


def test_every_aws_resource_names_an_explicit_provider(prod: ProgramRun) -> None:
    aws_resources = [r for r in prod.registrations if r.type.startswith("aws:")]
    assert len(aws_resources) >= 20
    unrouted = [r.name for r in aws_resources if not r.provider_name]
    assert unrouted == []


@pytest.mark.parametrize(
    ("side", "provider"),
    [(SOURCE_SIDE, "source-account"), (BACKUP_SIDE, "backup-account")],
    ids=["source", "backup"],
)
def test_resources_land_in_the_right_account(
    dev: ProgramRun, side: dict[str, list[str]], provider: str
) -> None:
    for typ, names in side.items():
        for name in names:
            reg = dev.one(typ, name)
            assert reg.provider_name == provider, f"{reg.urn} is on {reg.provider_name}"


def attachments(run: ProgramRun, role: str) -> list[Registration]:
    return [
        r
        for r in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith(f"cross-account-{role}-")
    ]


def test_backup_role_lands_in_the_source_account_copy_back_role_in_the_backup_account(
    dev: ProgramRun,
) -> None:
    assert named(dev, "cross-account-backup-role").provider_name == "source-account"
    assert {a.provider_name for a in attachments(dev, "backup-role")} == {"source-account"}
    assert named(dev, "cross-account-copy-back-role").provider_name == "backup-account"
    assert {a.provider_name for a in attachments(dev, "copy-back-role")} == {"backup-account"}
    assert named(dev, "cross-account-copy-back-role-vault-keys").provider_name == "backup-account"


# AWS Backup API UpdateGlobalSettings: "a value for isCrossAccountBackupEnabled and a Region"
# (its CLI example passes --region): the setting is regional. pulumi-aws 7's GlobalSettings takes
# no region argument, so the region is the provider's.
@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("cross-account-global-settings", "management-account"),
        ("cross-account-global-settings-eu-central-1", "management-account-eu-central-1"),
    ],
)
def test_global_settings_turn_on_cross_account_backup_and_leave_the_other_flags_alone(
    prod: ProgramRun, name: str, provider: str
) -> None:
    reg = prod.one("aws:backup/globalSettings:GlobalSettings", name)
    assert reg.provider_name == provider
    assert reg.inputs["globalSettings"] == {"isCrossAccountBackupEnabled": "true"}
    # The organization's other settings are not forced, and their drift shows no diff.
    assert set(reg.ignore_changes) == {
        'globalSettings["isMpaEnabled"]',
        'globalSettings["isDelegatedAdministratorEnabled"]',
    }
    # `pulumi destroy` must not switch cross-account backup off for the whole organization.
    assert reg.retain_on_delete and not reg.protect


def test_global_settings_are_on_in_the_source_and_the_backup_region(prod: ProgramRun) -> None:
    # Copies start in the source region (eu-west-1), copies back in the backup region
    # (eu-central-1): one resource each, on a management provider of that region.
    regions = {}
    for reg in prod.by_type("aws:backup/globalSettings:GlobalSettings"):
        provider = prod.one("pulumi:providers:aws", reg.provider_name)
        assert json.loads(provider.inputs["allowedAccountIds"]) == [MANAGEMENT]
        assert json.loads(provider.inputs["assumeRoles"])[0]["roleArn"] == (
            f"arn:aws:iam::{MANAGEMENT}:role/backup-deployer"
        )
        regions[provider.inputs["region"]] = reg.name
    assert regions == {
        "eu-west-1": "cross-account-global-settings",
        "eu-central-1": "cross-account-global-settings-eu-central-1",
    }


def test_global_settings_once_when_source_and_backup_share_a_region() -> None:
    config = stack_config("dev")
    config["cross-account-backup:managementAccount"] = {
        "accountId": MANAGEMENT,
        "roleArn": f"arn:aws:iam::{MANAGEMENT}:role/backup-deployer",
        "region": "eu-west-1",
    }
    run = run_program(config, stack="dev")
    assert run.error is None, run.error
    (only,) = run.by_type("aws:backup/globalSettings:GlobalSettings")
    assert (only.name, only.provider_name) == (
        "cross-account-global-settings",
        "management-account",
    )
    assert {r.name for r in run.by_type("pulumi:providers:aws")} == {
        "source-account",
        "backup-account",
        "management-account",
    }


def test_global_settings_follow_the_copy_regions_not_the_management_region() -> None:
    config = stack_config("prod")
    config["cross-account-backup:managementAccount"] = {
        **config["cross-account-backup:managementAccount"],
        "region": "us-east-1",
    }
    run = run_program(config, stack="prod")
    assert run.error is None, run.error
    by_region = {
        run.one("pulumi:providers:aws", r.provider_name).inputs["region"]: r.name
        for r in run.by_type("aws:backup/globalSettings:GlobalSettings")
    }
    assert by_region == {
        "eu-west-1": "cross-account-global-settings-eu-west-1",
        "eu-central-1": "cross-account-global-settings-eu-central-1",
    }


def test_children_are_parented_to_the_component(dev: ProgramRun) -> None:
    component = dev.one("cross-account-backup:index:CrossAccountBackup", "cross-account")
    children = [r for r in dev.registrations if r.type.startswith("aws:")]
    assert children
    assert all(r.parent == component.urn for r in children)


# --- backup account: key, vault, policies, lock ---------------------------------------------


def test_backup_vault_is_on_its_customer_managed_key(dev: ProgramRun) -> None:
    vault = named(dev, "cross-account-backup-vault")
    key = named(dev, "cross-account-backup-vault-key")
    assert vault.inputs["kmsKeyArn"] == key.outputs["arn"]
    assert vault.inputs["name"] == "cross-account-backup-dev-copies"
    assert vault.inputs.get("forceDestroy") is False


def test_vault_keys_rotate_and_wait_30_days_before_deletion(dev: ProgramRun) -> None:
    for name in ("cross-account-backup-vault-key", "cross-account-source-vault-key"):
        key = named(dev, name)
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30


def test_backup_vault_key_policy_lets_the_source_account_in(dev: ProgramRun) -> None:
    policy = named(dev, "cross-account-backup-vault-key").policy()
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    use = by_sid["AllowSourceAccountUseOfTheKey"]
    assert use["Principal"] == {"AWS": f"arn:aws:iam::{SOURCE}:root"}
    assert "kms:Encrypt" in use["Action"] and "kms:GenerateDataKey*" in use["Action"]
    assert by_sid["EnableOwnerAccountAdministration"]["Principal"] == {
        "AWS": f"arn:aws:iam::{BACKUP}:root"
    }


def test_backup_vault_policy_targets_the_backup_vault_and_lets_the_source_copy_in(
    dev: ProgramRun,
) -> None:
    reg = named(dev, "cross-account-backup-vault-policy")
    assert reg.inputs["backupVaultName"] == "cross-account-backup-dev-copies"
    statements = reg.policy()["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == [
        {
            "Sid": "AllowSourceAccountToCopyIn",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:root"},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
        }
    ]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and "backup:DeleteRecoveryPoint" in deny[0]["Action"]


def test_backup_vault_policy_is_registered_after_the_vault(dev: ProgramRun) -> None:
    policy = named(dev, "cross-account-backup-vault-policy")
    vault = named(dev, "cross-account-backup-vault")
    assert vault.urn in policy.dependencies


def test_backup_vault_policy_is_protected_and_retained(prod: ProgramRun) -> None:
    # The Deny on DeleteRecoveryPoint is what protects the copies from an administrator of the
    # backup account: `pulumi destroy --exclude-protected` must not take it along.
    reg = named(prod, "cross-account-backup-vault-policy")
    assert reg.protect and reg.retain_on_delete
    assert any(
        s["Effect"] == "Deny" and "backup:DeleteRecoveryPoint" in s["Action"]
        for s in reg.policy()["Statement"]
    )


def test_dev_lock_is_governance_mode(dev: ProgramRun) -> None:
    lock = named(dev, "cross-account-backup-vault-lock")
    assert lock.inputs["backupVaultName"] == "cross-account-backup-dev-copies"
    assert lock.inputs["minRetentionDays"] == 1
    assert lock.inputs["maxRetentionDays"] == 365
    assert "changeableForDays" not in lock.inputs


def test_prod_lock_is_compliance_mode(prod: ProgramRun) -> None:
    lock = named(prod, "cross-account-backup-vault-lock")
    assert lock.inputs["changeableForDays"] == 3
    assert lock.inputs["minRetentionDays"] == 365
    assert lock.inputs["maxRetentionDays"] == 3650


def test_no_lock_when_not_configured() -> None:
    config = stack_config("dev")
    del config["cross-account-backup:vaultLock"]
    run = run_program(config, stack="dev")
    assert run.error is None
    assert run.by_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []


# --- protections ------------------------------------------------------------------------------

PROTECTED = [
    "cross-account-backup-vault",
    "cross-account-backup-vault-key",
    "cross-account-backup-vault-key-alias",
    "cross-account-backup-vault-policy",
    "cross-account-source-vault",
    "cross-account-source-vault-key",
    "cross-account-source-vault-key-alias",
    "cross-account-source-vault-policy",
]


@pytest.mark.parametrize("name", PROTECTED)
def test_what_holds_the_copies_survives_pulumi_destroy(prod: ProgramRun, name: str) -> None:
    reg = named(prod, name)
    assert reg.protect, f"{reg.urn} is not protected"
    assert reg.retain_on_delete, f"{reg.urn} is not retained on delete"


def test_only_data_holders_are_protected(prod: ProgramRun) -> None:
    protected = {r.name for r in prod.registrations if r.protect}
    # Issue 14: the audit evidence (prod's backupAudit) is data too (tests/test_recovery.py).
    audit = {
        "cross-account-audit-bucket",
        "cross-account-audit-bucket-public-access",
        "cross-account-audit-bucket-policy",
    }
    assert protected == set(PROTECTED) | audit


def test_notifications_are_set_after_aws_backup_may_publish(dev: ProgramRun) -> None:
    notifications = named(dev, "cross-account-source-vault-notifications")
    assert named(dev, "cross-account-notifications-policy").urn in notifications.dependencies


# --- source account: vault, role, plan, selection ----------------------------------------------


def test_source_vault_is_not_default_and_on_its_own_key(dev: ProgramRun) -> None:
    vault = named(dev, "cross-account-source-vault")
    key = named(dev, "cross-account-source-vault-key")
    assert vault.inputs["name"] == "cross-account-backup-dev-local"
    assert vault.inputs["kmsKeyArn"] == key.outputs["arn"]


def test_source_vault_key_policy_lets_the_backup_account_in(dev: ProgramRun) -> None:
    statements = named(dev, "cross-account-source-vault-key").policy()["Statement"]
    use = next(s for s in statements if s["Sid"] == "AllowBackupAccountUseOfTheKey")
    assert use["Principal"] == {"AWS": f"arn:aws:iam::{BACKUP}:root"}
    assert "kms:Decrypt" in use["Action"]


def test_source_vault_policy_lets_the_backup_account_copy_back(dev: ProgramRun) -> None:
    reg = named(dev, "cross-account-source-vault-policy")
    assert reg.inputs["backupVaultName"] == "cross-account-backup-dev-local"
    (statement,) = reg.policy()["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{BACKUP}:root"}
    assert statement["Action"] == "backup:CopyIntoBackupVault"


def test_backup_role_trusts_aws_backup_and_has_the_managed_policies(dev: ProgramRun) -> None:
    role = named(dev, "cross-account-backup-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    backup_attachments = attachments(dev, "backup-role")
    assert {a.inputs["policyArn"] for a in backup_attachments} == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    }
    for attachment in backup_attachments:
        assert attachment.inputs["role"] == role.inputs["name"]


def test_copy_back_role_can_copy_but_not_restore(dev: ProgramRun) -> None:
    role = named(dev, "cross-account-copy-back-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    copy_back = attachments(dev, "copy-back-role")
    assert {a.inputs["policyArn"] for a in copy_back} == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    }
    assert all(a.inputs["role"] == role.inputs["name"] for a in copy_back)


def test_backup_role_inline_policy_names_the_aliases_of_both_vault_keys(dev: ProgramRun) -> None:
    inline = named(dev, "cross-account-backup-role-vault-keys")
    assert inline.provider_name == "source-account"
    assert inline.inputs["role"] == named(dev, "cross-account-backup-role").inputs["name"]
    aliases = {
        s["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
        for s in inline.policy()["Statement"]
    }
    assert aliases == {
        named(dev, "cross-account-source-vault-key-alias").inputs["name"],
        named(dev, "cross-account-backup-vault-key-alias").inputs["name"],
    }


def rule(run: ProgramRun) -> dict[str, Any]:
    (only,) = named(run, "cross-account-plan").inputs["rules"]
    return only


def test_plan_rule_backs_up_into_the_source_vault_on_schedule(dev: ProgramRun) -> None:
    r = rule(dev)
    assert r["targetVaultName"] == "cross-account-backup-dev-local"
    assert r["schedule"] == "cron(0 5 ? * * *)"
    assert r["startWindow"] == 60
    assert r["completionWindow"] == 1440
    assert r["lifecycle"] == {"deleteAfter": 7}


def test_copy_action_targets_the_backup_vaults_real_arn(dev: ProgramRun) -> None:
    (copy,) = rule(dev)["copyActions"]
    vault = named(dev, "cross-account-backup-vault")
    assert copy["destinationVaultArn"] == vault.outputs["arn"]
    assert copy["destinationVaultArn"].split(":")[4] == BACKUP


def test_copy_action_always_has_a_lifecycle(dev: ProgramRun) -> None:
    (copy,) = rule(dev)["copyActions"]
    assert copy["lifecycle"] == {"deleteAfter": 14}


def test_prod_copies_cross_region_with_cold_storage(prod: ProgramRun) -> None:
    daily, monthly = named(prod, "cross-account-plan").inputs["rules"]
    (copy,) = monthly["copyActions"]
    assert copy["destinationVaultArn"].split(":")[3] == "eu-central-1"
    assert named(prod, "cross-account-plan").provider_name == "source-account"
    assert copy["lifecycle"] == {"deleteAfter": 2555, "coldStorageAfter": 90}
    assert daily["copyActions"][0]["lifecycle"] == {"deleteAfter": 365}


def test_plan_waits_for_both_vaults(dev: ProgramRun) -> None:
    plan = named(dev, "cross-account-plan")
    assert named(dev, "cross-account-backup-vault").urn in plan.dependencies
    assert named(dev, "cross-account-source-vault").urn in plan.dependencies


def test_selection_picks_resources_by_the_configured_tag(dev: ProgramRun) -> None:
    selection = named(dev, "cross-account-selection")
    assert selection.inputs["selectionTags"] == [
        {"type": "STRINGEQUALS", "key": "Backup", "value": "Yes"}
    ]
    plan_arn = named(dev, "cross-account-plan").outputs["arn"]
    assert selection.inputs["planId"] == plan_arn.rsplit(":", 1)[-1]
    assert selection.inputs["iamRoleArn"] == named(dev, "cross-account-backup-role").outputs["arn"]


def test_custom_selection_tag_is_used() -> None:
    config = stack_config("dev")
    config["cross-account-backup:selectionTag"] = {"key": "backup-policy", "value": "daily"}
    run = run_program(config, stack="dev")
    assert run.error is None
    tags = named(run, "cross-account-selection").inputs["selectionTags"]
    assert tags == [{"type": "STRINGEQUALS", "key": "backup-policy", "value": "daily"}]


# --- notifications -----------------------------------------------------------------------------


def test_vault_notifications_send_copy_failures_to_the_topic(dev: ProgramRun) -> None:
    notifications = named(dev, "cross-account-source-vault-notifications")
    topic = named(dev, "cross-account-notifications")
    assert notifications.inputs["snsTopicArn"] == topic.outputs["arn"]
    assert notifications.inputs["backupVaultName"] == "cross-account-backup-dev-local"
    assert "COPY_JOB_FAILED" in notifications.inputs["backupVaultEvents"]


def test_topic_policy_lets_aws_backup_publish_to_that_topic(dev: ProgramRun) -> None:
    topic = named(dev, "cross-account-notifications")
    policy = named(dev, "cross-account-notifications-policy")
    assert policy.inputs["arn"] == topic.outputs["arn"]
    publish = policy.policy()["Statement"][0]
    assert publish["Principal"] == {"Service": "backup.amazonaws.com"}
    assert publish["Resource"] == topic.outputs["arn"]


def test_email_subscription_only_when_configured_and_filtered_to_failures(
    dev: ProgramRun, prod: ProgramRun
) -> None:
    assert dev.by_type("aws:sns/topicSubscription:TopicSubscription") == []
    subscription = prod.one(
        "aws:sns/topicSubscription:TopicSubscription", "cross-account-notifications-email"
    )
    assert subscription.provider_name == "source-account"
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "backup-alerts@example.com"
    state_filter = json.loads(subscription.inputs["filterPolicy"])["State"][0]
    assert "COMPLETED" in state_filter["anything-but"]


# --- exports ------------------------------------------------------------------------------------


def test_stack_exports_every_contract_output_as_a_plain_string(prod: ProgramRun) -> None:
    contract = {
        "sourceVaultArn",
        "backupVaultArn",
        "backupVaultKeyArn",
        "sourceVaultKeyArn",
        "backupPlanId",
        "backupRoleArn",
        "notificationTopicArn",
    }
    # Issue 12 adds two maps: each source's outputs by account id, the vault of each region.
    assert set(prod.outputs) == contract | {"sources", "backupVaultArns"}
    assert all(isinstance(prod.outputs[k], str) and prod.outputs[k] for k in contract)
    vault = named(prod, "cross-account-backup-vault")
    assert prod.outputs["backupVaultArn"] == vault.outputs["arn"]
    assert prod.outputs["backupVaultArn"].split(":")[4] == BACKUP
    assert prod.outputs["sourceVaultKeyArn"].split(":")[4] == SOURCE


# --- refused configuration: nothing registered ---------------------------------------------------


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            {
                "cross-account-backup:backupAccount": {
                    "accountId": SOURCE,
                    "roleArn": f"arn:aws:iam::{SOURCE}:role/backup-deployer",
                    "region": "eu-west-1",
                }
            },
            "backupAccount.accountId",
        ),
        ({"cross-account-backup:backupPlan": {"retentionDays": 0}}, "backupPlan.retentionDays"),
        (
            {"cross-account-backup:vaultLock": {"mode": "compliance", "changeableForDays": 1}},
            "vaultLock.changeableForDays",
        ),
        ({"cross-account-backup:backupPlann": {"retentionDays": 3}}, "backupPlann"),
        ({"cross-account-backup:sourceAccount": "not-an-object"}, "sourceAccount"),
    ],
    ids=["same-account", "retention-0", "compliance-1-day", "typo-key", "not-an-object"],
)
def test_bad_config_registers_nothing_not_even_a_provider(change: dict[str, Any], key: str) -> None:
    config = {**stack_config("dev"), **change}
    run = run_program(config, stack="dev")
    assert isinstance(run.error, ConfigError), run.error
    assert run.error.key == key
    assert run.registrations == []


def test_a_missing_required_account_is_refused_before_registration() -> None:
    config = stack_config("dev")
    del config["cross-account-backup:backupAccount"]
    run = run_program(config, stack="dev")
    assert isinstance(run.error, ConfigError)
    assert "missing config cross-account-backup:backupAccount" in str(run.error)
    assert run.registrations == []


def test_a_near_miss_namespace_is_refused_by_the_program_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI passes keys of every namespace to the program (pkg/workspace/config.go only checks
    # the project's own), so a direct `pulumi up` must refuse what the offline loader refuses:
    # prod's lock under `cross-acount-backup:` would otherwise silently disappear. The offline
    # loader's own refusal is switched off here, so that the program's check is the one tested.
    monkeypatch.setattr(config_loader, "is_near_miss_namespace", lambda *_: False)
    lock = {"mode": "compliance", "minRetentionDays": 365, "maxRetentionDays": 3650}
    config = {**stack_config("prod"), "cross-acount-backup:vaultLock": lock}
    del config["cross-account-backup:vaultLock"]
    run = run_program(config, stack="prod")
    assert isinstance(run.error, ConfigError), run.error
    assert run.error.key == "cross-acount-backup:vaultLock"
    assert str(run.error).endswith(
        "the namespace 'cross-acount-backup' is not this project's: the setting would be "
        "silently lost. Did you mean cross-account-backup:vaultLock?"
    )
    assert run.registrations == []


def test_other_namespaces_reach_the_program_untouched() -> None:
    config = {**stack_config("dev"), "aws:region": "eu-west-1", "backup-tools:owner": "x"}
    run = run_program(config, stack="dev")
    assert run.error is None, run.error
    assert run.registrations


@pytest.mark.parametrize("key", ["notificationEmail", "vaultLock", "managementAccount"])
def test_an_empty_value_is_an_unset_key(key: str) -> None:
    # `key: null` in a stack file reaches the program as "" (pkg/workspace/loaders.go
    # `checkForEmptyConfig`: "This is currently treated as an empty string"), not as a value.
    config = {**stack_config("dev"), f"cross-account-backup:{key}": ""}
    run = run_program(config, stack="dev")
    assert run.error is None, run.error
    assert run.outputs["sourceVaultArn"]


# --- the documented mock-test shape, on the component's outputs --------------------------------


@pulumi.runtime.test
def test_component_outputs_resolve_to_the_two_accounts() -> Any:
    component = run_program(stack_config("dev"), stack="dev").namespace["backup"]

    def check(args: list[str]) -> None:
        backup_vault, source_vault, role = args
        assert backup_vault.split(":")[4] == BACKUP, backup_vault
        assert source_vault.split(":")[4] == SOURCE, source_vault
        assert role.startswith(f"arn:aws:iam::{SOURCE}:role/"), role

    return pulumi.Output.all(
        component.backup_vault_arn, component.source_vault_arn, component.backup_role_arn
    ).apply(check)
