"""Pins of the vault checks of `backup_guard.checks` (issue 16), called directly, Pulumi-free, on
the repo's real stacks as the pack sees them (tests/pack/stack_fixtures.py):

- `backup-source-vault-accepts-copy-back`: `copy_back_resource` / `copy_back_stack`;
- `backup-copy-vault-customer-managed-key`: `cmk_resource` / `cmk_stack`;
- `backup-vault-locked`: `lock_resource` / `lock_stack`.

The breakages mirror the gRPC tests (tests/pack/test_pack_grpc.py: "source-vault-no-copy-back",
"backup-vault-on-aws-managed-key", "no-vault-lock", `test_require_compliance_mode`), asserting
verdict and whole message.

References:
- AWS Backup, "Creating backup copies across AWS accounts": there is no cross-account restore; a
  copy is copied back into the source account's vault (whose access policy must allow
  `backup:CopyIntoBackupVault` to the backup account), then restored there
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html).
- AWS Backup, "Encryption for backups", copy encryption: the destination vault's key must be a
  customer managed key; the `aws/backup` AWS managed key can't be shared
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption).
  A logically air-gapped vault is encrypted with a key AWS manages for it (AWS Backup,
  "Logically air-gapped vault",
  https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html).
- AWS Backup Vault Lock: without `ChangeableForDays` the lock is in governance mode, removable
  by anyone allowed `backup:DeleteBackupVaultLockConfiguration`
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stack_fixtures as sf
from stack_fixtures import config, judged, resource, urn
from stack_fixtures import edit_policy as edit

from backup_guard import checks
from backup_guard.topology import LAG_VAULT
from backup_guard.values import UNKNOWN, NotKnownYet

SRC, BAK, OTHER, FAR = "111111111111", "222222222222", "333333333333", "666666666666"
ORG_SOURCES = ("333333333333", "444444444444", "555555555555")
COPY_BACK = "backup-source-vault-accepts-copy-back"
CMK = "backup-copy-vault-customer-managed-key"
LOCKED = "backup-vault-locked"
SOURCE_POLICY = "cross-account-source-vault-policy"
SOURCE_VAULT = "cross-account-source-vault"
CENTRAL_VAULT = "cross-account-backup-vault"
CENTRAL_POLICY = "cross-account-backup-vault-policy"
LOCK = "cross-account-backup-vault-lock"
STACKS = [(s, m) for s in ("dev", "prod", "org") for m in sf.MODES]
COPY = "backup:CopyIntoBackupVault"
BACK = ": restoring a copy needs it copied back into this vault first"


# --- helpers -------------------------------------------------------------------------------------


def copy_back_to(account: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        st = next(s for s in doc["Statement"] if s["Sid"] == "AllowBackupAccountToCopyBack")
        st["Principal"] = {"AWS": f"arn:aws:iam::{account}:root"}

    return change


def remove(data: sf.Stack, name: str) -> None:
    data["resources"].remove(sf.named(data, name))


def no_copy_in(account: str, subject: str) -> str:
    return f"{subject} does not let {account} {COPY}: no statement allows {COPY} to {account}"


def source_label(stack: str) -> str:
    return f"vault policy `{SOURCE_POLICY}` (vault 'cross-account-backup-{stack}-local')"


def without_key(data: sf.Stack, name: str) -> None:
    """The vault on the AWS managed key aws/backup: no kmsKeyArn."""
    vault = sf.named(data, name)
    del vault["properties"]["kmsKeyArn"]
    vault["propertyDependencies"] = {}


def copy_also_to(data: sf.Stack, account: str) -> None:
    """dev's plan copies to a second backup account too (a vault this stack does not build)."""
    rule = sf.named(data, "cross-account-plan")["properties"]["rules"][0]
    rule["copyActions"].append(
        {
            "destinationVaultArn": f"arn:aws:backup:eu-west-1:{account}:backup-vault:far",
            "lifecycle": {"deleteAfter": 14.0},
        }
    )


NO_KEY = (
    "vault `cross-account-backup-vault` has no kmsKeyArn: it would use the AWS managed key "
    "aws/backup, which can't encrypt cross-account copies"
)
NO_LOCK = (
    "vault `{name}` stores copies but has no vault lock: an administrator of its account (or an "
    "attacker with those rights) can delete every copy"
)
GOVERNANCE = (
    "vault lock `cross-account-backup-vault-lock` is in governance mode (no changeableForDays): "
    "anyone allowed backup:DeleteBackupVaultLockConfiguration can remove it; compliance mode is "
    "required"
)


# --- backup-source-vault-accepts-copy-back -------------------------------------------------------


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_copy_back_passes_the_real_stacks(stack: str, mode: str) -> None:
    data = sf.raw(stack, mode)
    topo = sf.build(data)
    assert judged(data, checks.copy_back_resource, config(data, COPY_BACK)) == []
    assert checks.copy_back_stack(topo, config(data, COPY_BACK)) == []
    assert checks.copy_back_stack(topo, {}) == []


@pytest.mark.parametrize("mode", sf.MODES)
def test_copy_back_resource_rejects_a_source_vault_closed_to_the_backup_account(mode: str) -> None:
    data = sf.raw("dev", mode)
    edit(data, SOURCE_POLICY, copy_back_to(OTHER))
    assert judged(data, checks.copy_back_resource, config(data, COPY_BACK)) == [
        (SOURCE_POLICY, no_copy_in(BAK, source_label("dev")) + BACK)
    ]


def test_copy_back_resource_without_backup_accounts_judges_nothing() -> None:
    data = sf.raw("dev")
    edit(data, SOURCE_POLICY, copy_back_to(OTHER))
    cfg = config(data, COPY_BACK)
    del cfg["backupAccountIds"]
    assert judged(data, checks.copy_back_resource, cfg) == []


def test_copy_back_resource_skips_a_policy_of_unknown_account() -> None:
    # Without a pinned provider, which side the policy is on is unknown: no verdict.
    data = sf.raw("dev")
    edit(data, SOURCE_POLICY, copy_back_to(OTHER))
    sf.named(data, SOURCE_POLICY)["provider"] = None
    assert judged(data, checks.copy_back_resource, config(data, COPY_BACK)) == []


def test_copy_back_resource_leaves_the_receiving_vaults_policy_alone() -> None:
    # The central vault's policy lets the source in, not the backup account itself: it is no
    # source vault.
    data = sf.raw("dev")
    assert checks.copy_back_resource(resource(data, CENTRAL_POLICY), config(data, COPY_BACK)) == []


def test_copy_back_resource_judges_vault_policies_only() -> None:
    # The source key's policy does not let the backup account copy into a vault: not a vault
    # policy.
    data = sf.raw("dev")
    key = resource(data, "cross-account-source-vault-key")
    assert checks.copy_back_resource(key, config(data, COPY_BACK)) == []


def test_copy_back_resource_names_each_backup_account_missing() -> None:
    data = sf.raw("dev")
    cfg = config(data, COPY_BACK)
    cfg["backupAccountIds"] = [FAR, BAK]
    assert judged(data, checks.copy_back_resource, cfg) == [
        (SOURCE_POLICY, no_copy_in(FAR, source_label("dev")) + BACK)
    ]


def test_copy_back_resource_rejects_a_grant_on_another_vaults_arn() -> None:
    data = sf.raw("dev")
    other = "arn:aws:backup:eu-west-1:111111111111:backup-vault:another"
    edit(
        data,
        SOURCE_POLICY,
        lambda d: d["Statement"][0].update(Resource=other),
    )
    assert judged(data, checks.copy_back_resource, config(data, COPY_BACK)) == [
        (SOURCE_POLICY, no_copy_in(BAK, source_label("dev")) + BACK)
    ]


def test_copy_back_resource_accepts_a_grant_on_its_own_vaults_arn() -> None:
    data = sf.raw("dev")
    own = "arn:aws:backup:eu-west-1:111111111111:backup-vault:cross-account-backup-dev-local"
    edit(data, SOURCE_POLICY, lambda d: d["Statement"][0].update(Resource=own))
    assert judged(data, checks.copy_back_resource, config(data, COPY_BACK)) == []


def test_copy_back_resource_of_an_unknown_policy_is_not_known_yet() -> None:
    data = sf.raw("dev")
    sf.named(data, SOURCE_POLICY)["properties"]["policy"] = UNKNOWN
    with pytest.raises(NotKnownYet) as e:
        checks.copy_back_resource(resource(data, SOURCE_POLICY), config(data, COPY_BACK))
    assert e.value.path == ["policy"]


def test_copy_back_stack_with_config_leaves_the_policies_to_analyze() -> None:
    data = sf.raw("dev")
    edit(data, SOURCE_POLICY, copy_back_to(OTHER))
    assert checks.copy_back_stack(sf.build(data), config(data, COPY_BACK)) == []


@pytest.mark.parametrize(
    "accounts",
    [("sourceAccountIds", "backupAccountIds"), ("backupAccountIds",)],
    ids=["both", "backups-only"],
)
def test_copy_back_stack_with_config_reports_a_source_vault_without_policy(
    accounts: tuple[str, ...],
) -> None:
    # A vault without access policy lets no other account copy into it (AWS Backup, vault
    # access policies): with config as without, the way back is closed. (Bug fixed here: with
    # backupAccountIds configured, the stack check returned nothing, and Analyze only judges
    # the policies that exist.)
    data = sf.raw("dev")
    remove(data, SOURCE_POLICY)
    full = config(data, COPY_BACK)
    assert checks.copy_back_stack(sf.build(data), {k: full[k] for k in accounts}) == [
        (
            "source vault `cross-account-source-vault` in source account 111111111111 has no "
            "vault access policy: 222222222222 can't copy a recovery point back for a restore",
            urn(data, SOURCE_VAULT),
        )
    ]


def test_copy_back_stack_with_config_names_every_configured_backup_account() -> None:
    data = sf.raw("org")
    remove(data, "cross-account-444444444444-source-vault-policy")
    cfg = {**config(data, COPY_BACK), "backupAccountIds": [BAK, FAR]}
    assert checks.copy_back_stack(sf.build(data), cfg) == [
        (
            "source vault `cross-account-444444444444-source-vault` in source account "
            "444444444444 has no vault access policy: 222222222222, 666666666666 can't copy a "
            "recovery point back for a restore",
            urn(data, "cross-account-444444444444-source-vault"),
        )
    ]


def test_copy_back_stack_with_config_leaves_a_receiving_vault_without_policy_alone() -> None:
    data = sf.raw("dev")
    remove(data, CENTRAL_POLICY)
    assert checks.copy_back_stack(sf.build(data), config(data, COPY_BACK)) == []


def test_copy_back_stack_with_config_skips_a_vault_of_unknown_account() -> None:
    # Without a pinned provider the vault's account, hence its side, is unknown.
    data = sf.raw("dev")
    remove(data, SOURCE_POLICY)
    sf.named(data, SOURCE_VAULT)["provider"] = None
    assert checks.copy_back_stack(sf.build(data), config(data, COPY_BACK)) == []


def test_copy_back_stack_infers_a_source_vault_without_policy() -> None:
    data = sf.raw("dev")
    remove(data, SOURCE_POLICY)
    assert checks.copy_back_stack(sf.build(data), {}) == [
        (
            "source vault `cross-account-source-vault` has no vault access policy: 222222222222 "
            "can't copy a recovery point back for a restore",
            urn(data, SOURCE_VAULT),
        )
    ]


def test_copy_back_stack_names_every_backup_account_of_a_vault_without_policy() -> None:
    data = sf.raw("dev")
    remove(data, SOURCE_POLICY)
    copy_also_to(data, FAR)
    assert checks.copy_back_stack(sf.build(data), {}) == [
        (
            "source vault `cross-account-source-vault` has no vault access policy: 222222222222, "
            "666666666666 can't copy a recovery point back for a restore",
            urn(data, SOURCE_VAULT),
        )
    ]


@pytest.mark.parametrize("mode", sf.MODES)
def test_copy_back_stack_infers_a_source_vault_closed_to_the_backup_account(mode: str) -> None:
    data = sf.raw("prod", mode)
    edit(data, SOURCE_POLICY, copy_back_to(OTHER))
    assert checks.copy_back_stack(sf.build(data), {}) == [
        (no_copy_in(BAK, f"vault policy of `{SOURCE_VAULT}`") + BACK, urn(data, SOURCE_POLICY))
    ]


def test_copy_back_stack_infers_the_second_backup_account_missing() -> None:
    data = sf.raw("dev")
    copy_also_to(data, FAR)
    assert checks.copy_back_stack(sf.build(data), {}) == [
        (no_copy_in(FAR, f"vault policy of `{SOURCE_VAULT}`") + BACK, urn(data, SOURCE_POLICY))
    ]


def test_copy_back_stack_infers_each_source_vault_of_the_org_stack() -> None:
    data = sf.raw("org")
    for account in ORG_SOURCES[1:]:
        edit(data, f"cross-account-{account}-source-vault-policy", copy_back_to(OTHER))
    assert checks.copy_back_stack(sf.build(data), {}) == [
        (
            no_copy_in(BAK, f"vault policy of `cross-account-{a}-source-vault`") + BACK,
            urn(data, f"cross-account-{a}-source-vault-policy"),
        )
        for a in ORG_SOURCES[1:]
    ]


def test_copy_back_stack_judges_on_the_source_vaults_own_arn() -> None:
    data = sf.raw("dev")
    other = "arn:aws:backup:eu-west-1:111111111111:backup-vault:another"
    edit(data, SOURCE_POLICY, lambda d: d["Statement"][0].update(Resource=other))
    assert checks.copy_back_stack(sf.build(data), {}) == [
        (no_copy_in(BAK, f"vault policy of `{SOURCE_VAULT}`") + BACK, urn(data, SOURCE_POLICY))
    ]


def test_copy_back_stack_accepts_a_grant_on_the_source_vaults_own_arn() -> None:
    data = sf.raw("dev")
    own = "arn:aws:backup:eu-west-1:111111111111:backup-vault:cross-account-backup-dev-local"
    edit(data, SOURCE_POLICY, lambda d: d["Statement"][0].update(Resource=own))
    assert checks.copy_back_stack(sf.build(data), {}) == []


def test_copy_back_stack_reads_organization_grants_with_the_configured_org() -> None:
    # A source vault that lets its organization copy back: proof with the organization
    # configured, only a condition without it.
    data = sf.raw("dev")
    org_grant = {
        "Sid": "AllowBackupAccountToCopyBack",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": COPY,
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}},
    }
    edit(data, SOURCE_POLICY, lambda d: d.update(Statement=[org_grant]))
    topo = sf.build(data)
    assert checks.copy_back_stack(topo, {"organizationId": "o-exampleorgid"}) == []
    assert checks.copy_back_stack(topo, {}) == [
        (
            f"vault policy of `{SOURCE_VAULT}` does not let {BAK} {COPY}: statement "
            "'AllowBackupAccountToCopyBack' allows backup:CopyIntoBackupVault to 222222222222 "
            "only under a condition: its condition on aws:PrincipalOrgID needs the pack's "
            "organizationId config" + BACK,
            urn(data, SOURCE_POLICY),
        )
    ]


def test_copy_back_resource_reads_organization_grants_with_the_configured_org() -> None:
    data = sf.raw("dev")
    org_grant = {
        "Sid": "AllowBackupAccountToCopyBack",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": COPY,
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}},
    }
    edit(data, SOURCE_POLICY, lambda d: d.update(Statement=[org_grant]))
    cfg = config(data, COPY_BACK)
    assert (
        judged(data, checks.copy_back_resource, {**cfg, "organizationId": "o-exampleorgid"}) == []
    )
    assert judged(data, checks.copy_back_resource, {**cfg, "organizationId": "o-anotherorgid"}) == [
        (SOURCE_POLICY, no_copy_in(BAK, source_label("dev")) + BACK)
    ]


def test_copy_back_stack_of_an_unknown_policy_is_not_known_yet() -> None:
    data = sf.raw("dev")
    sf.named(data, SOURCE_POLICY)["properties"]["policy"] = UNKNOWN
    with pytest.raises(NotKnownYet) as e:
        checks.copy_back_stack(sf.build(data), {})
    assert e.value.path == ["policy"]


# --- backup-copy-vault-customer-managed-key ------------------------------------------------------


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_cmk_passes_the_real_stacks(stack: str, mode: str) -> None:
    data = sf.raw(stack, mode)
    topo = sf.build(data)
    assert judged(data, checks.cmk_resource, config(data, CMK)) == []
    assert checks.cmk_stack(topo, config(data, CMK)) == []
    assert checks.cmk_stack(topo, {}) == []


@pytest.mark.parametrize(
    "accounts",
    [("sourceAccountIds", "backupAccountIds"), ("sourceAccountIds",), ("backupAccountIds",)],
    ids=["both", "sources-only", "backups-only"],
)
def test_cmk_resource_rejects_a_receiving_vault_without_key(accounts: tuple[str, ...]) -> None:
    data = sf.raw("dev")
    without_key(data, CENTRAL_VAULT)
    full = config(data, CMK)
    assert judged(data, checks.cmk_resource, {k: full[k] for k in accounts}) == [
        (CENTRAL_VAULT, NO_KEY)
    ]


def test_cmk_resource_without_accounts_judges_nothing() -> None:
    data = sf.raw("dev")
    without_key(data, CENTRAL_VAULT)
    assert judged(data, checks.cmk_resource, {}) == []


def test_cmk_resource_rejects_the_aws_managed_backup_key() -> None:
    data = sf.raw("dev", "up")
    sf.named(data, CENTRAL_VAULT)["properties"]["kmsKeyArn"] = "alias/aws/backup"
    assert judged(data, checks.cmk_resource, config(data, CMK)) == [
        (
            CENTRAL_VAULT,
            "vault `cross-account-backup-vault` uses the AWS managed key 'alias/aws/backup', "
            "which can't encrypt cross-account copies; use a customer managed key",
        )
    ]


def test_cmk_resource_leaves_a_source_vault_without_key_alone() -> None:
    # The source vault's own backups may use aws/backup: copies are re-encrypted with the
    # destination vault's key.
    data = sf.raw("dev")
    without_key(data, SOURCE_VAULT)
    assert judged(data, checks.cmk_resource, config(data, CMK)) == []


def test_cmk_resource_judges_backup_vaults_only() -> None:
    # An air-gapped vault has no kmsKeyArn of the stack's to prove.
    data = sf.raw("dev")
    without_key(data, CENTRAL_VAULT)
    sf.named(data, CENTRAL_VAULT)["type"] = LAG_VAULT
    assert judged(data, checks.cmk_resource, config(data, CMK)) == []


@pytest.mark.parametrize("accounts", ["sourceAccountIds", "backupAccountIds"])
def test_cmk_stack_with_config_leaves_everything_to_analyze(accounts: str) -> None:
    data = sf.raw("dev")
    without_key(data, CENTRAL_VAULT)
    assert checks.cmk_stack(sf.build(data), {accounts: config(data, CMK)[accounts]}) == []


@pytest.mark.parametrize("mode", sf.MODES)
def test_cmk_stack_infers_a_receiving_vault_without_key(mode: str) -> None:
    data = sf.raw("dev", mode)
    without_key(data, CENTRAL_VAULT)
    assert checks.cmk_stack(sf.build(data), {}) == [
        (NO_KEY + " (it receives copies from 111111111111)", urn(data, CENTRAL_VAULT))
    ]


def test_cmk_stack_names_every_source_of_the_vault() -> None:
    data = sf.raw("org")
    without_key(data, CENTRAL_VAULT)
    assert checks.cmk_stack(sf.build(data), {}) == [
        (
            NO_KEY + " (it receives copies from 333333333333, 444444444444, 555555555555)",
            urn(data, CENTRAL_VAULT),
        )
    ]


def test_cmk_stack_leaves_a_source_vault_without_key_alone() -> None:
    data = sf.raw("dev")
    without_key(data, SOURCE_VAULT)
    assert checks.cmk_stack(sf.build(data), {}) == []


def test_cmk_stack_leaves_an_air_gapped_receiving_vault_alone() -> None:
    data = sf.raw("dev")
    without_key(data, CENTRAL_VAULT)
    sf.named(data, CENTRAL_VAULT)["type"] = LAG_VAULT
    assert checks.cmk_stack(sf.build(data), {}) == []


# --- backup-vault-locked -------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_lock_passes_the_real_stacks(stack: str, mode: str) -> None:
    data = sf.raw(stack, mode)
    topo = sf.build(data)
    assert judged(data, checks.lock_resource, config(data, LOCKED)) == []
    assert checks.lock_stack(topo, config(data, LOCKED)) == []
    assert checks.lock_stack(topo, {}) == []


def test_lock_resource_requires_compliance_mode_when_configured() -> None:
    data = sf.raw("dev")  # dev's lock is in governance mode (no changeableForDays)
    assert "changeableForDays" not in sf.named(data, LOCK)["properties"]
    cfg = {**config(data, LOCKED), "requireComplianceMode": True}
    assert judged(data, checks.lock_resource, cfg) == [(LOCK, GOVERNANCE)]


@pytest.mark.parametrize("cfg", [{}, {"requireComplianceMode": False}], ids=["absent", "false"])
def test_lock_resource_accepts_governance_mode_unless_required(cfg: dict[str, Any]) -> None:
    data = sf.raw("dev")
    assert judged(data, checks.lock_resource, cfg) == []


def test_lock_resource_accepts_prods_compliance_mode_lock() -> None:
    data = sf.raw("prod")
    assert sf.named(data, LOCK)["properties"]["changeableForDays"] == 3.0
    assert config(data, LOCKED)["requireComplianceMode"] is True
    assert judged(data, checks.lock_resource, config(data, LOCKED)) == []


def test_lock_resource_judges_lock_configurations_only() -> None:
    # The vault itself has no changeableForDays: it is not a lock configuration.
    data = sf.raw("dev")
    vault = resource(data, CENTRAL_VAULT)
    assert checks.lock_resource(vault, {"requireComplianceMode": True}) == []


@pytest.mark.parametrize(
    "accounts",
    [("sourceAccountIds", "backupAccountIds"), ("sourceAccountIds",), ("backupAccountIds",)],
    ids=["both", "sources-only", "backups-only"],
)
def test_lock_stack_with_config_reports_a_receiving_vault_without_lock(
    accounts: tuple[str, ...],
) -> None:
    data = sf.raw("dev")
    remove(data, LOCK)
    full = config(data, LOCKED)
    assert checks.lock_stack(sf.build(data), {k: full[k] for k in accounts}) == [
        (NO_LOCK.format(name=CENTRAL_VAULT), urn(data, CENTRAL_VAULT))
    ]


def test_lock_stack_with_config_skips_a_vault_of_unknown_account() -> None:
    data = sf.raw("dev")
    remove(data, LOCK)
    sf.named(data, CENTRAL_VAULT)["provider"] = None
    assert checks.lock_stack(sf.build(data), config(data, LOCKED)) == []


@pytest.mark.parametrize(
    "accounts",
    [("sourceAccountIds", "backupAccountIds"), ("sourceAccountIds",), ("backupAccountIds",)],
    ids=["both", "sources-only", "backups-only"],
)
def test_lock_stack_with_config_reports_a_receiving_vault_no_plan_copies_into(
    accounts: tuple[str, ...],
) -> None:
    # With config (either list) the side decides, not the plans: a backup-account vault no
    # copy targets yet still stores copies once one does.
    data = sf.raw("dev")
    remove(data, LOCK)
    rule = sf.named(data, "cross-account-plan")["properties"]["rules"][0]
    rule["copyActions"] = []
    full = config(data, LOCKED)
    assert checks.lock_stack(sf.build(data), {k: full[k] for k in accounts}) == [
        (NO_LOCK.format(name=CENTRAL_VAULT), urn(data, CENTRAL_VAULT))
    ]


@pytest.mark.parametrize("mode", sf.MODES)
def test_lock_stack_infers_a_receiving_vault_without_lock(mode: str) -> None:
    data = sf.raw("prod", mode)
    remove(data, LOCK)
    assert checks.lock_stack(sf.build(data), {}) == [
        (NO_LOCK.format(name=CENTRAL_VAULT), urn(data, CENTRAL_VAULT))
    ]


def test_lock_stack_infers_nothing_for_a_vault_no_plan_copies_into() -> None:
    data = sf.raw("dev")
    remove(data, LOCK)
    rule = sf.named(data, "cross-account-plan")["properties"]["rules"][0]
    rule["copyActions"] = []
    assert checks.lock_stack(sf.build(data), {}) == []


def test_lock_stack_takes_an_air_gapped_vault_as_locked() -> None:
    data = sf.raw("dev")
    remove(data, LOCK)
    sf.named(data, CENTRAL_VAULT)["type"] = LAG_VAULT
    assert checks.lock_stack(sf.build(data), {}) == []
    assert checks.lock_stack(sf.build(data), config(data, LOCKED)) == []
