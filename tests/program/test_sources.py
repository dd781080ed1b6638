"""Issue 12: one stack, N source accounts, one central vault in the backup account.

The program under Pulumi mocks (harness.py) with `sourceAccounts` of 1, 2 and 3 accounts: where
each resource lands (its provider, pinned to its account), what the backup vault and key grant
(every source, or the organization), where each plan copies, the names that must not move when a
source is added, and every refusal (nothing registered).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import ConfigError
from harness import ProgramRun, run_program, stack_config

NS = "cross-account-backup"
BACKUP = "222222222222"
ACCOUNTS = ("333333333333", "444444444444", "555555555555", "666666666666")
CENTRAL_VAULT = f"arn:aws:backup:eu-west-1:{BACKUP}:backup-vault:cross-account-backup-dev-copies"
#: The children of one source (suffixes after `cross-account-<accountId>-`).
SOURCE_CHILDREN = {
    "source-vault-key",
    "source-vault-key-alias",
    "source-vault",
    "source-vault-policy",
    "backup-role",
    "backup-role-vault-keys",
    "backup-role-backup",
    "backup-role-restores",
    "backup-role-s3-backup",
    "backup-role-s3-restore",
    "plan",
    "selection",
    "notifications",
    "notifications-policy",
    "source-vault-notifications",
    "source-account-service-linked-role",
}


def source(account: str, region: str = "eu-west-1", **extra: Any) -> dict[str, Any]:
    return {
        "accountId": account,
        "roleArn": f"arn:aws:iam::{account}:role/backup-deployer",
        "region": region,
        **extra,
    }


def config_with(sources: list[dict[str, Any]], **keys: Any) -> dict[str, Any]:
    """dev's config (backup account 222222222222, governance lock) with `sourceAccounts`."""
    config = {k: v for k, v in stack_config("dev").items() if k != f"{NS}:sourceAccount"}
    config[f"{NS}:sourceAccounts"] = sources
    config.update({f"{NS}:{k}": v for k, v in keys.items()})
    return config


def run_with(sources: list[dict[str, Any]], **keys: Any) -> ProgramRun:
    run = run_program(config_with(sources, **keys), stack="dev")
    assert run.error is None, run.error
    return run


@pytest.fixture(scope="module", params=[1, 2, 3], ids=["1-source", "2-sources", "3-sources"])
def many(request: pytest.FixtureRequest) -> tuple[ProgramRun, tuple[str, ...]]:
    ids = ACCOUNTS[: request.param]
    return run_with([source(a) for a in ids]), ids


def by_name(run: ProgramRun) -> dict[str, Any]:
    return {r.name: r for r in run.registrations}


# --- routing: every resource in its account ------------------------------------------------------


def test_every_child_of_a_source_is_on_that_sources_provider(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    names = by_name(run)
    for account in ids:
        children = {n for n in names if n.startswith(f"cross-account-{account}-")}
        assert {n.removeprefix(f"cross-account-{account}-") for n in children} == SOURCE_CHILDREN
        assert {names[n].provider_name for n in children} == {f"source-account-{account}"}


def test_each_source_provider_is_pinned_to_its_account(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    providers = {
        r.name: json.loads(r.inputs["allowedAccountIds"])
        for r in run.by_type("pulumi:providers:aws")
    }
    assert providers == {
        "backup-account": [BACKUP],
        **{f"source-account-{a}": [a] for a in ids},
    }


def test_the_backup_account_holds_one_vault_and_key_whatever_the_number_of_sources(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, _ = many
    backup_side = [r for r in run.registrations if r.provider_name == "backup-account"]
    vaults = [r.name for r in backup_side if r.type == "aws:backup/vault:Vault"]
    keys = [r.name for r in backup_side if r.type == "aws:kms/key:Key"]
    assert (vaults, keys) == (["cross-account-backup-vault"], ["cross-account-backup-vault-key"])


# --- grants: every source ----------------------------------------------------------------------


def _statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in document["Statement"] if s["Sid"] == sid]
    return found


def _roots(ids: tuple[str, ...]) -> str | list[str]:
    roots = [f"arn:aws:iam::{a}:root" for a in ids]
    return roots[0] if len(roots) == 1 else roots


def test_the_central_vault_lets_every_source_copy_in(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    policy = by_name(run)["cross-account-backup-vault-policy"].policy()
    assert _statement(policy, "AllowSourceAccountToCopyIn") == {
        "Sid": "AllowSourceAccountToCopyIn",
        "Effect": "Allow",
        "Principal": {"AWS": _roots(ids)},
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
    }
    # The protections stay: nobody deletes recovery points.
    assert _statement(policy, "DenyRecoveryPointDeletionToEveryone")["Principal"] == {"AWS": "*"}


def test_the_central_key_lets_every_source_use_it_and_create_grants(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    policy = by_name(run)["cross-account-backup-vault-key"].policy()
    use = _statement(policy, "AllowSourceAccountUseOfTheKey")
    grants = _statement(policy, "AllowSourceAccountGrantsForAwsResources")
    assert use["Principal"] == grants["Principal"] == {"AWS": _roots(ids)}
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert "Condition" not in use


def test_the_copy_back_role_may_use_every_source_vault_key(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    policy = by_name(run)["cross-account-copy-back-role-vault-keys"].policy()
    arns = [f"arn:aws:kms:eu-west-1:{a}:key/*" for a in ids]
    assert _statement(policy, "UseTheSourceVaultKey")["Resource"] == (
        arns[0] if len(arns) == 1 else arns
    )


# --- copy destinations -------------------------------------------------------------------------


def test_every_plan_copies_into_the_central_vault(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    for account in ids:
        plan = by_name(run)[f"cross-account-{account}-plan"]
        rules = plan.inputs["rules"]
        assert [[c["destinationVaultArn"] for c in r["copyActions"]] for r in rules] == [
            [CENTRAL_VAULT]
        ]
        assert [r["targetVaultName"] for r in rules] == ["cross-account-backup-dev-local"]


def test_outputs_map_each_source_by_account_id_and_the_vault_by_region(
    many: tuple[ProgramRun, tuple[str, ...]],
) -> None:
    run, ids = many
    assert list(run.outputs["sources"]) == list(ids)
    for account in ids:
        assert run.outputs["sources"][account]["sourceVaultArn"].split(":")[4] == account
    assert run.outputs["backupVaultArns"] == {"eu-west-1": run.outputs["backupVaultArn"]}
    # The contract's single outputs are the first source's.
    assert run.outputs["sourceVaultArn"] == run.outputs["sources"][ids[0]]["sourceVaultArn"]


# --- names: adding a source moves nothing ------------------------------------------------------


def test_adding_a_fourth_source_keeps_every_urn_and_provider_of_the_three() -> None:
    three = run_with([source(a) for a in ACCOUNTS[:3]])
    four = run_with([source(a) for a in ACCOUNTS])
    before = {r.urn: r.provider_name for r in three.registrations}
    after = {r.urn: r.provider_name for r in four.registrations}
    assert {urn: after.get(urn) for urn in before} == before
    added = {r.name for r in four.registrations} - {r.name for r in three.registrations}
    assert added == {f"cross-account-{ACCOUNTS[3]}-{c}" for c in SOURCE_CHILDREN} | {
        f"source-account-{ACCOUNTS[3]}"
    }


def test_removing_the_first_source_keeps_the_names_of_the_others() -> None:
    # Names come from account ids, never list positions.
    three = run_with([source(a) for a in ACCOUNTS[:3]])
    two = run_with([source(a) for a in ACCOUNTS[1:3]])
    kept = {r.urn for r in two.registrations if ACCOUNTS[1] in r.name or ACCOUNTS[2] in r.name}
    assert kept <= {r.urn for r in three.registrations}
    assert len(kept) == 2 * (len(SOURCE_CHILDREN) + 1)


# --- per-source overrides ----------------------------------------------------------------------


def test_a_source_with_its_own_plan_and_tag_keeps_them_and_the_others_take_the_stacks() -> None:
    own_plan = {"schedule": "cron(0 3 ? * * *)", "retentionDays": 14, "copyRetentionDays": 60}
    run = run_with(
        [
            source(ACCOUNTS[0]),
            source(ACCOUNTS[1], backupPlan=own_plan),
            source(ACCOUNTS[2], selectionTag={"key": "Backup", "value": "daily"}),
        ]
    )
    names = by_name(run)
    schedules = {
        a: [r["schedule"] for r in names[f"cross-account-{a}-plan"].inputs["rules"]]
        for a in ACCOUNTS[:3]
    }
    assert schedules == {
        ACCOUNTS[0]: ["cron(0 5 ? * * *)"],
        ACCOUNTS[1]: ["cron(0 3 ? * * *)"],
        ACCOUNTS[2]: ["cron(0 5 ? * * *)"],
    }
    tags = {a: names[f"cross-account-{a}-selection"].inputs["selectionTags"] for a in ACCOUNTS[:3]}
    assert tags[ACCOUNTS[2]] == [{"type": "STRINGEQUALS", "key": "Backup", "value": "daily"}]
    assert (
        tags[ACCOUNTS[0]]
        == tags[ACCOUNTS[1]]
        == [{"type": "STRINGEQUALS", "key": "Backup", "value": "Yes"}]
    )


def test_sources_in_two_regions_each_copy_to_the_central_vault_of_the_backup_region() -> None:
    run = run_with([source(ACCOUNTS[0]), source(ACCOUNTS[1], region="eu-central-1")])
    plan = by_name(run)[f"cross-account-{ACCOUNTS[1]}-plan"]
    assert plan.inputs["rules"][0]["copyActions"][0]["destinationVaultArn"] == CENTRAL_VAULT
    provider = by_name(run)[f"source-account-{ACCOUNTS[1]}"]
    assert provider.inputs["region"] == "eu-central-1"


# --- organization-scoped grants ----------------------------------------------------------------

ORG = {"id": "o-exampleorgid", "paths": ["o-exampleorgid/r-ab12/ou-ab12-11111111"]}


def test_organization_grants_name_the_org_and_its_paths_not_the_accounts() -> None:
    run = run_with([source(a) for a in ACCOUNTS[:3]], organization=ORG)
    names = by_name(run)
    copy_in = _statement(
        names["cross-account-backup-vault-policy"].policy(), "AllowSourceAccountToCopyIn"
    )
    assert copy_in == {
        "Sid": "AllowSourceAccountToCopyIn",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"},
            # IAM global condition context keys: aws:PrincipalOrgPaths is multivalued, an OU and
            # everything below it is matched with ForAnyValue:StringLike and a trailing /*.
            "ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": ["o-exampleorgid/r-ab12/ou-ab12-11111111/*"]
            },
        },
    }
    key = names["cross-account-backup-vault-key"].policy()
    grants = _statement(key, "AllowSourceAccountGrantsForAwsResources")
    assert grants["Principal"] == {"AWS": "*"}
    assert grants["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"},
        "ForAnyValue:StringLike": {
            "aws:PrincipalOrgPaths": ["o-exampleorgid/r-ab12/ou-ab12-11111111/*"]
        },
    }
    assert not any(a in json.dumps(key) for a in ACCOUNTS[:3])


def test_an_organization_without_paths_grants_by_org_id_alone() -> None:
    run = run_with([source(ACCOUNTS[0])], organization={"id": "o-exampleorgid"})
    use = _statement(
        by_name(run)["cross-account-backup-vault-key"].policy(), "AllowSourceAccountUseOfTheKey"
    )
    assert use["Principal"] == {"AWS": "*"}
    assert use["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}


# --- refusals: nothing registered --------------------------------------------------------------


def _refused(config: dict[str, Any]) -> ConfigError:
    run = run_program(config, stack="dev")
    assert isinstance(run.error, ConfigError), run.error
    assert run.registrations == []
    return run.error


@pytest.mark.parametrize(
    ("sources", "key", "says"),
    [
        (
            [source(ACCOUNTS[0]), source(ACCOUNTS[1]), source(ACCOUNTS[0])],
            "sourceAccounts[2].accountId",
            "is already sourceAccounts[0]",
        ),
        (
            [source(ACCOUNTS[0]), source(BACKUP)],
            "sourceAccounts[1].accountId",
            "must differ from backupAccount.accountId",
        ),
        (
            [
                source(ACCOUNTS[0]),
                {**source(ACCOUNTS[1]), "roleArn": f"arn:aws:iam::{ACCOUNTS[2]}:role/d"},
            ],
            "sourceAccounts[1].roleArn",
            f"the role must be in the account it deploys to ({ACCOUNTS[1]}), not {ACCOUNTS[2]}",
        ),
        ([], "sourceAccounts", "must name at least one account"),
        (
            [source(ACCOUNTS[0], backupPlan={"retentionDays": 0})],
            "sourceAccounts[0].backupPlan.retentionDays",
            "invalid config cross-account-backup:sourceAccounts[0].backupPlan.retentionDays = 0",
        ),
        (
            [source(ACCOUNTS[0], selectionTag={"key": "aws:x"})],
            "sourceAccounts[0].selectionTag.key",
            "reserved by AWS",
        ),
        (
            [source(ACCOUNTS[0], selectionTag={}, selection={"tags": [{"key": "A"}]})],
            "sourceAccounts[0].selectionTag",
            "can't be combined with sourceAccounts[0].selection",
        ),
        (
            [source(ACCOUNTS[0], backupPlan={"copyRetentionDays": 400})],
            "sourceAccounts[0].backupPlan.copyRetentionDays",
            "the backup vault's lock accepts retentions between 1 and 365 days",
        ),
        ({"accountId": ACCOUNTS[0]}, "sourceAccounts", "must be a list"),
    ],
    ids=[
        "duplicate",
        "the-backup-account",
        "role-in-another-account",
        "empty",
        "own-plan-invalid",
        "own-tag-invalid",
        "own-tag-and-selection",
        "own-plan-outside-the-lock",
        "not-a-list",
    ],
)
def test_bad_sources_are_refused_naming_the_entry(sources: Any, key: str, says: str) -> None:
    error = _refused(config_with(sources))
    assert error.key == key
    assert says in str(error)


def test_source_account_and_source_accounts_together_are_refused() -> None:
    config = config_with([source(ACCOUNTS[0])])
    config[f"{NS}:sourceAccount"] = source("111111111111")
    error = _refused(config)
    assert error.key == "sourceAccounts"
    assert "can't be combined with sourceAccount" in str(error)


def test_neither_source_key_is_refused_naming_both() -> None:
    config = {k: v for k, v in stack_config("dev").items() if k != f"{NS}:sourceAccount"}
    error = _refused(config)
    assert str(error) == (
        f"missing config {NS}:sourceAccount: required: an object {{accountId, roleArn, "
        "region[, externalId, sessionName]}, or sourceAccounts: a list of such objects (many "
        "workload accounts)"
    )


@pytest.mark.parametrize(
    ("organization", "key"),
    [
        ({"id": "org-1"}, "organization.id"),
        ({"id": "o-exampleorgid", "paths": ["o-otherorgid1/r-ab12"]}, "organization.paths[0]"),
        ({"id": "o-exampleorgid", "paths": ["o-exampleorgid/r-ab12/*"]}, "organization.paths[0]"),
        ({"id": "o-exampleorgid", "ou": []}, "organization.ou"),
    ],
    ids=["bad-id", "path-of-another-org", "wildcard-path", "unknown-key"],
)
def test_a_bad_organization_is_refused(organization: dict[str, Any], key: str) -> None:
    error = _refused(config_with([source(ACCOUNTS[0])], organization=organization))
    assert error.key == key


def test_audit_has_a_framework_in_every_source_and_lets_each_reports_role_write() -> None:
    run = run_with([source(a) for a in ACCOUNTS[:2]], backupAudit={"reportFormats": ["CSV"]})
    frameworks = {r.name: r.provider_name for r in run.by_type("aws:backup/framework:Framework")}
    assert frameworks == {
        f"cross-account-audit-framework-source-{ACCOUNTS[0]}": f"source-account-{ACCOUNTS[0]}",
        f"cross-account-audit-framework-source-{ACCOUNTS[1]}": f"source-account-{ACCOUNTS[1]}",
        "cross-account-audit-framework-backup": "backup-account",
    }
    policy = by_name(run)["cross-account-audit-bucket-policy"].policy()
    writers = _statement(policy, "AllowBackupReportsToWrite")["Principal"]["AWS"]
    assert [w.split(":")[4] for w in writers] == [BACKUP, *ACCOUNTS[:2]]


def test_an_air_gapped_central_vault_lets_every_source_copy_in() -> None:
    config = config_with([source(a) for a in ACCOUNTS[:2]])
    del config[f"{NS}:vaultLock"]  # the air-gapped vault's lock is built in
    config[f"{NS}:backupAccount"] = {
        **config[f"{NS}:backupAccount"],
        "vault": {"type": "logicallyAirGapped", "minRetentionDays": 7, "maxRetentionDays": 365},
    }
    run = run_program(config, stack="dev")
    assert run.error is None, run.error
    names = by_name(run)
    assert names["cross-account-backup-vault"].type == (
        "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
    )
    policy = names["cross-account-backup-vault-policy"].policy()
    assert _statement(policy, "AllowSourceAccountToCopyIn")["Principal"] == {
        "AWS": _roots(ACCOUNTS[:2])
    }
