"""Pins of `backup_guard.copy_checks` (issue 16), Pulumi-free: the checks called directly on the
repo's real stacks as the pack sees them (`stack_fixtures`), each changed in one place. The gRPC
tests (test_pack_copies.py, test_pack_plan_rules.py, test_pack_recovery.py) show the same
verdicts through a pack process; these reach the functions mutmut mutates.

References:
- AWS Backup developer guide, "Copy a backup"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html):
  "For Amazon RDS and Aurora snapshots, AWS Backup only supports automating either
  cross-account or cross-Region copies"; "backups in cold storage or archive tiers cannot be
  copied".
- AWS Backup API, PutBackupVaultLockConfiguration, MinRetentionDays: "any backup or copy job to
  the vault must have a lifecycle policy with a retention period equal to or longer than the
  minimum retention period. If the job's retention period is shorter than that minimum retention
  period, then the vault fails that backup or copy job" (equal passes: the boundary tests);
  MaxRetentionDays likewise for longer.
- AWS General Reference, "Amazon Resource Names (ARNs)": partitions aws, aws-cn, aws-us-gov
  are separate (Amazon FSx CopyBackup: "You can make cross-Region copies only within your AWS
  partition").
"""

from __future__ import annotations

from typing import Any

import pytest
import stack_fixtures as sf

from backup_guard import copy_checks
from backup_guard.topology import LAG_VAULT
from backup_guard.values import UNKNOWN

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"
COPY_DOC = "https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html"
LOCK_DOC = (
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/"
    "API_PutBackupVaultLockConfiguration.html"
)
DEV_COPIES = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:cross-account-backup-dev-copies"
PROD_COPIES = f"arn:aws:backup:eu-central-1:{BAK}:backup-vault:cross-account-backup-prod-copies"
DEV_RULE = "backup-and-copy-to-backup-account"
PLAN = "cross-account-plan"
LOCK = "cross-account-backup-vault-lock"
MIN_FAILS = (
    "\"if the job's retention period is shorter than that minimum retention period, then the "
    'vault fails that backup or copy job" '
    f"(PutBackupVaultLockConfiguration, {LOCK_DOC})"
)
MAX_FAILS = (
    "the vault fails a job whose retention is longer than that maximum "
    f"(PutBackupVaultLockConfiguration, {LOCK_DOC})"
)
STACK_MODES = pytest.mark.parametrize(
    ("stack", "mode"), [(s, m) for s in sf.STACKS for m in sf.MODES]
)


def rules_of(data: sf.Stack, plan: str = PLAN) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = sf.named(data, plan)["properties"]["rules"]
    return rules


def action(data: sf.Stack, rule: int = 0, plan: str = PLAN) -> dict[str, Any]:
    one: dict[str, Any] = rules_of(data, plan)[rule]["copyActions"][0]
    return one


def urn(data: sf.Stack, name: str) -> str:
    value: str = sf.named(data, name)["urn"]
    return value


def plan_res(data: sf.Stack, plan: str = PLAN) -> Any:
    return sf.to_resource(sf.named(data, plan))


def known(data: sf.Stack, config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    return copy_checks.destination_known(sf.build(data), config or {})


def within_lock(data: sf.Stack) -> list[tuple[str, str]]:
    return copy_checks.retention_within_lock(sf.build(data), {})


def not_built(data: sf.Stack, rule: str, arn: str) -> tuple[str, str]:
    return (
        f"plan `{PLAN}` rule '{rule}' copies to {arn}, a vault this stack does not build: none "
        "of its grants were checked and nothing here makes sure it exists. Build it in this "
        "stack, or list its ARN in the policy config externalCopyDestinations if it is managed "
        "elsewhere",
        urn(data, PLAN),
    )


# ---------------------------------------------------------------------------------------------
# backup-copy-destination-known (stack) and its partition half (per resource)


@STACK_MODES
def test_real_stacks_copy_only_to_vaults_they_build(stack: str, mode: str) -> None:
    data = sf.raw(stack, mode)
    assert known(data) == []
    assert [copy_checks.destination_partition(r, {}) for r in sf.resources(data)] == [
        [] for _ in data["resources"]
    ]


def test_copy_to_a_vault_the_stack_does_not_build_is_rejected_with_the_plan_urn() -> None:
    data = sf.raw("dev")
    action(data)["destinationVaultArn"] = DEV_COPIES + "-elsewhere"
    assert known(data) == [not_built(data, DEV_RULE, DEV_COPIES + "-elsewhere")]


def test_copy_to_the_backup_vaults_name_in_another_account_is_not_that_vault() -> None:
    data = sf.raw("dev")
    arn = DEV_COPIES.replace(BAK, OTHER)
    action(data)["destinationVaultArn"] = arn
    assert known(data) == [not_built(data, DEV_RULE, arn)]


def test_copy_to_a_region_where_the_vault_is_not_names_the_region_it_is_in() -> None:
    data = sf.raw("prod")
    arn = PROD_COPIES.replace("eu-central-1", "us-east-2")
    action(data, 1)["destinationVaultArn"] = arn
    assert known(data) == [
        (
            f"plan `{PLAN}` rule 'monthly' copies to {arn}, but this stack builds vault "
            f"'cross-account-backup-prod-copies' of account {BAK} in eu-central-1, not in "
            "us-east-2: the copy job fails (no such vault in that region)",
            urn(data, PLAN),
        )
    ]


def test_vault_built_in_two_other_regions_names_both_sorted() -> None:
    data = sf.raw("dev")
    # The program builds one backup vault; a second one of the same name elsewhere is added.
    sf.set_provider(
        sf.clone(data, "cross-account-backup-vault", "cross-account-backup-vault-ap"),
        region="ap-south-1",
    )
    arn = DEV_COPIES.replace("eu-west-1", "us-east-2")
    action(data)["destinationVaultArn"] = arn
    assert known(data) == [
        (
            f"plan `{PLAN}` rule '{DEV_RULE}' copies to {arn}, but this stack builds vault "
            f"'cross-account-backup-dev-copies' of account {BAK} in ap-south-1, eu-west-1, not "
            "in us-east-2: the copy job fails (no such vault in that region)",
            urn(data, PLAN),
        )
    ]


def test_a_same_name_vault_in_the_other_region_of_another_account_is_not_named() -> None:
    data = sf.raw("dev")
    sf.set_provider(
        sf.clone(data, "cross-account-backup-vault", "cross-account-other-vault"),
        region="ap-south-1",
        account=OTHER,
    )
    arn = DEV_COPIES.replace("eu-west-1", "us-east-2")
    action(data)["destinationVaultArn"] = arn
    (msg,) = known(data)
    assert f"of account {BAK} in eu-west-1, not in us-east-2" in msg[0]


def test_a_vault_without_a_region_counts_as_built_wherever_the_copy_goes() -> None:
    # A provider without a known region: the vault may be anywhere (topology._receives).
    data = sf.raw("dev")
    del sf.named(data, "cross-account-backup-vault")["provider"]["properties"]["region"]
    action(data)["destinationVaultArn"] = DEV_COPIES.replace("eu-west-1", "us-east-2")
    assert known(data) == []


def test_external_copy_destination_is_the_escape_hatch() -> None:
    data = sf.raw("dev")
    arn = DEV_COPIES + "-managed-elsewhere"
    action(data)["destinationVaultArn"] = arn
    assert known(data, {"externalCopyDestinations": [arn]}) == []


def test_external_copy_destinations_cover_only_the_arns_they_list() -> None:
    data = sf.raw("dev")
    arn = DEV_COPIES + "-managed-elsewhere"
    action(data)["destinationVaultArn"] = arn
    listed = {"externalCopyDestinations": [DEV_COPIES + "-another"]}
    assert known(data, listed) == [not_built(data, DEV_RULE, arn)]


def test_external_copy_destinations_null_is_no_list() -> None:
    data = sf.raw("dev")
    arn = DEV_COPIES + "-managed-elsewhere"
    action(data)["destinationVaultArn"] = arn
    assert known(data, {"externalCopyDestinations": None}) == [not_built(data, DEV_RULE, arn)]


def test_external_copy_destinations_schema_accepts_vault_arns_of_every_partition() -> None:
    schema = copy_checks.EXTERNAL_SCHEMA["externalCopyDestinations"]
    assert schema["type"] == "array" and schema["uniqueItems"] is True
    assert schema["items"] == {
        "type": "string",
        "pattern": "^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:.+$",
    }


@pytest.mark.parametrize("name", ["Default", "default"])
def test_copy_to_the_default_vault_is_left_to_the_cross_account_policy(name: str) -> None:
    data = sf.raw("dev")
    action(data)["destinationVaultArn"] = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:{name}"
    assert known(data) == []


def test_copy_to_a_backup_arn_that_is_no_vault_is_left_to_the_cross_account_policy() -> None:
    data = sf.raw("dev")
    action(data)["destinationVaultArn"] = f"arn:aws:backup:eu-west-1:{BAK}:backup-plan:p"
    assert known(data) == []


def test_copy_destination_unknown_during_preview_is_not_judged() -> None:
    data = sf.raw("dev", "preview")
    action(data)["destinationVaultArn"] = UNKNOWN
    assert known(data) == []
    assert copy_checks.destination_partition(plan_res(data), {}) == []


@pytest.mark.parametrize(
    "first",
    [
        UNKNOWN,
        f"arn:aws:backup:eu-central-1:{BAK}:backup-vault:Default",
        PROD_COPIES.replace("arn:aws:", "arn:aws-cn:") + "-elsewhere",
        PROD_COPIES,
    ],
    ids=["unknown", "default-vault", "other-partition", "built"],
)
def test_a_copy_left_to_another_check_leaves_the_next_copy_judged(first: str) -> None:
    data = sf.raw("prod")
    action(data, 0)["destinationVaultArn"] = first
    action(data, 1)["destinationVaultArn"] = PROD_COPIES + "-elsewhere"
    assert known(data) == [not_built(data, "monthly", PROD_COPIES + "-elsewhere")]


def test_copy_from_a_plan_of_unknown_region_to_a_vault_not_built_is_rejected() -> None:
    data = sf.raw("dev")
    del sf.named(data, PLAN)["provider"]["properties"]["region"]
    arn = DEV_COPIES + "-elsewhere"
    action(data)["destinationVaultArn"] = arn
    assert known(data) == [not_built(data, DEV_RULE, arn)]


def test_copy_to_another_partition_is_left_to_the_partition_check() -> None:
    # A China region: no vault of the stack there, but the partition check speaks, not this.
    data = sf.raw("dev")
    action(data)["destinationVaultArn"] = DEV_COPIES.replace(
        "arn:aws:backup:eu-west-1", "arn:aws-cn:backup:cn-north-1"
    )
    assert known(data) == []


def test_copy_to_another_partition_is_rejected_by_analyze_alone() -> None:
    data = sf.raw("dev")
    arn = DEV_COPIES.replace("arn:aws:", "arn:aws-cn:")
    action(data)["destinationVaultArn"] = arn
    assert copy_checks.destination_partition(plan_res(data), {}) == [
        f"plan `{PLAN}` rule '{DEV_RULE}' copies to {arn}, in partition aws-cn, but the plan "
        "runs in eu-west-1 (partition aws): AWS partitions are separate, no copy crosses them"
    ]


def test_plan_in_govcloud_copying_to_the_aws_partition_is_rejected() -> None:
    data = sf.raw("dev")
    sf.set_provider(sf.named(data, PLAN), region="us-gov-west-1")
    assert copy_checks.destination_partition(plan_res(data), {}) == [
        f"plan `{PLAN}` rule '{DEV_RULE}' copies to {DEV_COPIES}, in partition aws, but the plan "
        "runs in us-gov-west-1 (partition aws-us-gov): AWS partitions are separate, no copy "
        "crosses them"
    ]


def test_plan_in_china_copying_within_aws_cn_passes() -> None:
    data = sf.raw("dev")
    sf.set_provider(sf.named(data, PLAN), region="cn-north-1")
    action(data)["destinationVaultArn"] = DEV_COPIES.replace(
        "arn:aws:backup:eu-west-1", "arn:aws-cn:backup:cn-north-1"
    )
    assert copy_checks.destination_partition(plan_res(data), {}) == []


def test_partition_check_needs_the_plans_region() -> None:
    data = sf.raw("dev")
    del sf.named(data, PLAN)["provider"]["properties"]["region"]
    action(data)["destinationVaultArn"] = DEV_COPIES.replace("arn:aws:", "arn:aws-cn:")
    assert copy_checks.destination_partition(plan_res(data), {}) == []


def test_partition_check_judges_plans_only() -> None:
    data = sf.raw("dev")
    action(data)["destinationVaultArn"] = DEV_COPIES.replace("arn:aws:", "arn:aws-cn:")
    vault = sf.named(data, "cross-account-source-vault")
    vault["properties"]["rules"] = rules_of(data)
    assert copy_checks.destination_partition(sf.to_resource(vault), {}) == []


def test_partition_check_names_each_rule_and_numbers_a_rule_without_name() -> None:
    data = sf.raw("prod")
    cn = PROD_COPIES.replace("arn:aws:", "arn:aws-cn:")
    for i in (0, 1):
        action(data, i)["destinationVaultArn"] = cn
    del rules_of(data)[1]["ruleName"]
    assert copy_checks.destination_partition(plan_res(data), {}) == [
        f"plan `{PLAN}` rule '{rule}' copies to {cn}, in partition aws-cn, but the plan runs in "
        "eu-west-1 (partition aws): AWS partitions are separate, no copy crosses them"
        for rule in ("daily", "rules[1]")
    ]


# ---------------------------------------------------------------------------------------------
# Shapes the plan's rules may take (the mandatory plan policies report the unknowns)


def _cn_copy(data: sf.Stack) -> list[str]:
    return copy_checks.destination_partition(plan_res(data), {})


def test_rules_unknown_during_preview_are_skipped() -> None:
    data = sf.raw("dev")
    sf.named(data, PLAN)["properties"]["rules"] = UNKNOWN
    assert _cn_copy(data) == []


def test_plan_without_rules_is_skipped() -> None:
    data = sf.raw("dev")
    del sf.named(data, PLAN)["properties"]["rules"]
    assert _cn_copy(data) == []


def test_a_rule_that_is_no_object_is_skipped_and_the_next_one_judged() -> None:
    data = sf.raw("prod")
    cn = PROD_COPIES.replace("arn:aws:", "arn:aws-cn:")
    action(data, 1)["destinationVaultArn"] = cn
    rules_of(data)[0] = UNKNOWN
    (msg,) = _cn_copy(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'monthly' copies to {cn}, in partition aws-cn")


def test_a_rule_without_copy_actions_is_skipped_and_the_next_one_judged() -> None:
    data = sf.raw("prod")
    cn = PROD_COPIES.replace("arn:aws:", "arn:aws-cn:")
    action(data, 1)["destinationVaultArn"] = cn
    del rules_of(data)[0]["copyActions"]
    (msg,) = _cn_copy(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'monthly' copies to {cn}")


def test_copy_actions_unknown_during_preview_are_skipped() -> None:
    data = sf.raw("prod")
    rules_of(data)[0]["copyActions"] = UNKNOWN
    action(data, 1)["destinationVaultArn"] = PROD_COPIES.replace("arn:aws:", "arn:aws-cn:")
    (msg,) = _cn_copy(data)
    assert "rule 'monthly'" in msg


def test_a_copy_action_that_is_no_object_is_skipped_and_the_next_one_judged() -> None:
    data = sf.raw("dev")
    cn = DEV_COPIES.replace("arn:aws:", "arn:aws-cn:")
    rules_of(data)[0]["copyActions"] = [UNKNOWN, {"destinationVaultArn": cn}]
    (msg,) = _cn_copy(data)
    assert msg.startswith(f"plan `{PLAN}` rule '{DEV_RULE}' copies to {cn}")


# ---------------------------------------------------------------------------------------------
# backup-copy-retention-within-vault-lock


@STACK_MODES
def test_real_stacks_keep_their_copies_within_the_lock(stack: str, mode: str) -> None:
    assert within_lock(sf.raw(stack, mode)) == []


def _lock(data: sf.Stack, name: str = LOCK) -> dict[str, Any]:
    props: dict[str, Any] = sf.named(data, name)["properties"]
    return props


def test_prod_daily_copy_kept_exactly_the_lock_minimum_passes() -> None:
    data = sf.raw("prod")
    assert action(data, 0)["lifecycle"]["deleteAfter"] == _lock(data)["minRetentionDays"] == 365
    assert within_lock(data) == []


def test_copy_kept_one_day_less_than_the_lock_minimum_is_rejected() -> None:
    data = sf.raw("prod")
    action(data, 0)["lifecycle"]["deleteAfter"] = 364.0
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule 'daily' copy to {PROD_COPIES} keeps recovery points 364 days in "
            f"vault `cross-account-backup-vault` (lock `{LOCK}`), whose minRetentionDays is 365: "
            + MIN_FAILS,
            urn(data, PLAN),
        )
    ]


def test_copy_kept_exactly_the_lock_maximum_passes() -> None:
    data = sf.raw("prod")
    action(data, 1)["lifecycle"]["deleteAfter"] = 3650.0
    assert within_lock(data) == []


def test_copy_kept_one_day_more_than_the_lock_maximum_is_rejected() -> None:
    data = sf.raw("prod")
    action(data, 1)["lifecycle"]["deleteAfter"] = 3651.0
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule 'monthly' copy to {PROD_COPIES} keeps recovery points 3651 days "
            f"in vault `cross-account-backup-vault` (lock `{LOCK}`), whose maxRetentionDays is "
            "3650: " + MAX_FAILS,
            urn(data, PLAN),
        )
    ]


def test_copy_without_lifecycle_into_a_vault_with_a_maximum_is_rejected() -> None:
    data = sf.raw("prod")
    del action(data, 1)["lifecycle"]
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule 'monthly' copy to {PROD_COPIES} keeps recovery points for ever "
            f"in vault `cross-account-backup-vault` (lock `{LOCK}`), whose maxRetentionDays is "
            f"3650: the vault fails that job (PutBackupVaultLockConfiguration, {LOCK_DOC})",
            urn(data, PLAN),
        )
    ]


def test_copy_without_lifecycle_into_a_lock_without_maximum_passes() -> None:
    data = sf.raw("prod")
    del action(data, 1)["lifecycle"]
    del _lock(data)["maxRetentionDays"]
    assert within_lock(data) == []


def test_lock_without_minimum_bounds_only_the_maximum() -> None:
    data = sf.raw("prod")
    del _lock(data)["minRetentionDays"]
    action(data, 0)["lifecycle"]["deleteAfter"] = 1.0
    assert within_lock(data) == []


def test_lock_without_maximum_bounds_only_the_minimum() -> None:
    data = sf.raw("prod")
    del _lock(data)["maxRetentionDays"]
    action(data, 1)["lifecycle"]["deleteAfter"] = 36500.0
    assert within_lock(data) == []


def test_copy_below_the_minimum_and_above_a_lower_maximum_reports_the_minimum_only() -> None:
    # A lock whose min exceeds its max: one message per job, the minimum's.
    data = sf.raw("prod")
    _lock(data).update(minRetentionDays=400.0, maxRetentionDays=300.0)
    action(data, 0)["lifecycle"]["deleteAfter"] = 350.0
    action(data, 1)["lifecycle"]["deleteAfter"] = 350.0
    found = within_lock(data)
    assert [m for m, _ in found] == [
        f"plan `{PLAN}` rule '{rule}' copy to {PROD_COPIES} keeps recovery points 350 days in "
        f"vault `cross-account-backup-vault` (lock `{LOCK}`), whose minRetentionDays is 400: "
        + MIN_FAILS
        for rule in ("daily", "monthly")
    ]


def test_copy_retention_in_fractional_days_is_shown_as_given() -> None:
    data = sf.raw("prod")
    action(data, 0)["lifecycle"]["deleteAfter"] = 364.5
    ((msg, _),) = within_lock(data)
    assert "keeps recovery points 364.5 days" in msg


def test_copy_to_a_vault_the_stack_does_not_build_has_no_lock_to_judge() -> None:
    data = sf.raw("prod")
    action(data, 0)["destinationVaultArn"] = PROD_COPIES + "-elsewhere"
    action(data, 0)["lifecycle"]["deleteAfter"] = 1.0
    assert within_lock(data) == []


def _air_gapped(data: sf.Stack, low: float, high: float) -> None:
    """Make the backup vault a logically air-gapped one (its own min/max, no lock resource), as
    the program builds it with `backupAccount.vault.type: logicallyAirGapped`."""
    vault = sf.named(data, "cross-account-backup-vault")
    vault["type"] = LAG_VAULT
    vault["urn"] = vault["urn"].replace("aws:backup/vault:Vault", LAG_VAULT)
    vault["properties"] = {
        "name": vault["properties"]["name"],
        "minRetentionDays": low,
        "maxRetentionDays": high,
    }
    data["resources"].remove(sf.named(data, LOCK))


def test_copy_below_an_air_gapped_vaults_minimum_is_rejected() -> None:
    # CreateLogicallyAirGappedBackupVault: MinRetentionDays/MaxRetentionDays are required, the
    # vault is locked in compliance mode by AWS.
    data = sf.raw("dev")
    _air_gapped(data, 30.0, 365.0)
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule '{DEV_RULE}' copy to {DEV_COPIES} keeps recovery points 14 days "
            "in logically air-gapped vault `cross-account-backup-vault` (its built-in compliance "
            "lock), whose minRetentionDays is 30: " + MIN_FAILS,
            urn(data, PLAN),
        )
    ]


def test_copy_within_an_air_gapped_vaults_range_passes() -> None:
    data = sf.raw("dev")
    _air_gapped(data, 14.0, 14.0)
    assert within_lock(data) == []


def _lock_source_vault(data: sf.Stack, low: float, high: float, vault: str = "") -> str:
    """Add a vault lock to a source vault (the program locks only the backup vault)."""
    source = sf.named(data, vault or "cross-account-source-vault")
    name = source["name"] + "-lock"
    lock = sf.clone(data, LOCK, name)
    lock["provider"] = source["provider"]
    lock["properties"] = {
        "backupVaultName": source["properties"]["name"],
        "minRetentionDays": low,
        "maxRetentionDays": high,
    }
    return name


def test_backup_into_a_locked_source_vault_below_its_minimum_is_rejected() -> None:
    data = sf.raw("prod")
    lock = _lock_source_vault(data, 36.0, 3650.0)
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule 'daily' keeps recovery points 35 days in vault "
            f"`cross-account-source-vault` (lock `{lock}`), whose minRetentionDays is 36: "
            + MIN_FAILS,
            urn(data, PLAN),
        )
    ]


def test_backup_into_a_locked_source_vault_exactly_at_its_bounds_passes() -> None:
    data = sf.raw("prod")
    _lock_source_vault(data, 35.0, 90.0)  # daily keeps 35 days, monthly 90
    assert within_lock(data) == []


def test_backup_into_a_locked_source_vault_above_its_maximum_is_rejected() -> None:
    data = sf.raw("prod")
    lock = _lock_source_vault(data, 1.0, 89.0)
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule 'monthly' keeps recovery points 90 days in vault "
            f"`cross-account-source-vault` (lock `{lock}`), whose maxRetentionDays is 89: "
            + MAX_FAILS,
            urn(data, PLAN),
        )
    ]


def test_backup_without_lifecycle_into_a_locked_source_vault_is_kept_for_ever() -> None:
    data = sf.raw("dev")
    lock = _lock_source_vault(data, 1.0, 365.0)
    del rules_of(data)[0]["lifecycle"]
    assert within_lock(data) == [
        (
            f"plan `{PLAN}` rule '{DEV_RULE}' keeps recovery points for ever in vault "
            f"`cross-account-source-vault` (lock `{lock}`), whose maxRetentionDays is 365: the "
            f"vault fails that job (PutBackupVaultLockConfiguration, {LOCK_DOC})",
            urn(data, PLAN),
        )
    ]


def test_backup_rule_without_name_is_numbered() -> None:
    data = sf.raw("prod")
    _lock_source_vault(data, 36.0, 3650.0)
    del rules_of(data)[0]["ruleName"]
    ((msg, _),) = within_lock(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'rules[0]' keeps recovery points 35 days")


def test_backup_rule_with_unknown_target_vault_is_not_judged_the_next_rule_is() -> None:
    data = sf.raw("prod")
    _lock_source_vault(data, 36.0, 89.0)  # daily keeps 35 days, monthly 90
    rules_of(data)[0]["targetVaultName"] = UNKNOWN
    ((msg, _),) = within_lock(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'monthly' keeps recovery points 90 days")


def test_backup_rule_without_target_vault_is_not_judged_even_by_a_vault_of_unknown_name() -> None:
    data = sf.raw("prod")
    lock = _lock_source_vault(data, 36.0, 89.0)
    sf.named(data, "cross-account-source-vault")["properties"]["name"] = UNKNOWN
    sf.named(data, lock)["propertyDependencies"] = {
        "backupVaultName": [urn(data, "cross-account-source-vault")]
    }
    for rule in rules_of(data):
        del rule["targetVaultName"]
    assert within_lock(data) == []


def test_backup_lock_skips_a_plan_without_rules() -> None:
    data = sf.raw("prod")
    _lock_source_vault(data, 36.0, 3650.0)
    del sf.named(data, PLAN)["properties"]["rules"]
    assert within_lock(data) == []


def test_backup_rule_that_is_no_object_is_skipped_and_the_next_one_judged() -> None:
    data = sf.raw("prod")
    _lock_source_vault(data, 1.0, 89.0)
    rules_of(data)[0] = UNKNOWN
    ((msg, _),) = within_lock(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'monthly' keeps recovery points 90 days")


def test_backup_lock_judges_only_the_same_named_vault_of_the_plans_account() -> None:
    # org: three source accounts, each with a vault named cross-account-backup-org-local.
    data = sf.raw("org")
    source = f"cross-account-{OTHER}-source-vault"
    lock = _lock_source_vault(data, 8.0, 365.0, vault=source)
    plan = f"cross-account-{OTHER}-plan"
    assert within_lock(data) == [
        (
            f"plan `{plan}` rule '{DEV_RULE}' keeps recovery points 7 days in vault "
            f"`{source}` (lock `{lock}`), whose minRetentionDays is 8: " + MIN_FAILS,
            urn(data, plan),
        )
    ]


def test_backup_lock_skips_a_plan_with_unknown_rules_and_judges_the_next() -> None:
    data = sf.raw("org")
    source = "cross-account-444444444444-source-vault"
    _lock_source_vault(data, 15.0, 365.0, vault=source)
    sf.named(data, f"cross-account-{OTHER}-plan")["properties"]["rules"] = UNKNOWN
    ((msg, where),) = within_lock(data)
    assert msg.startswith(
        "plan `cross-account-444444444444-plan` rule "
        f"'{DEV_RULE}' keeps recovery points 14 days in vault `{source}`"
    )
    assert where == urn(data, "cross-account-444444444444-plan")


def test_backup_lock_of_a_vault_without_account_applies_to_the_plan() -> None:
    data = sf.raw("prod")
    lock = _lock_source_vault(data, 36.0, 3650.0)
    vault = sf.named(data, "cross-account-source-vault")
    vault["provider"] = None
    sf.named(data, lock)["provider"] = None
    ((msg, _),) = within_lock(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'daily' keeps recovery points 35 days")


# ---------------------------------------------------------------------------------------------
# backup-copy-cross-region-and-account (advisory)


def both(data: sf.Stack, plan: str = PLAN) -> list[str]:
    return copy_checks.cross_region_and_account(plan_res(data, plan), {})


def both_message(rule: str, plan: str, src: str, src_region: str, dst_region: str) -> str:
    return (
        f"plan `{plan}` rule '{rule}' copies from {src} in {src_region} to {BAK} in "
        f"{dst_region}: cross-account and cross-Region in one copy job. AWS Backup does that for "
        "most resource types, but for Amazon RDS and Aurora snapshots only one or the other (and "
        "Multi-AZ DB cluster snapshots not at all): copies of such resources selected by this "
        "plan fail. Keep those in a plan that copies to the backup account's region of the "
        f'source, or copy in two steps (AWS Backup, "Copy a backup", {COPY_DOC})'
    )


@pytest.mark.parametrize("mode", sf.MODES)
def test_prod_copies_cross_account_and_cross_region_in_both_rules(mode: str) -> None:
    assert both(sf.raw("prod", mode)) == [
        both_message(rule, PLAN, SRC, "eu-west-1", "eu-central-1") for rule in ("daily", "monthly")
    ]


def test_org_plan_in_another_region_than_the_backup_vault_is_reported_alone() -> None:
    data = sf.raw("org")
    plans = [f"cross-account-{a}-plan" for a in (OTHER, "444444444444", "555555555555")]
    assert [both(data, p) for p in plans] == [
        [],
        [],
        [both_message(DEV_RULE, plans[2], "555555555555", "eu-central-1", "eu-west-1")],
    ]


def test_dev_copies_cross_account_in_its_region_only() -> None:
    assert both(sf.raw("dev")) == []


def test_copy_cross_region_within_the_source_account_is_not_this_limit() -> None:
    data = sf.raw("prod")
    for i in (0, 1):
        action(data, i)["destinationVaultArn"] = PROD_COPIES.replace(BAK, SRC)
    assert both(data) == []


def test_cross_region_check_needs_the_plans_account() -> None:
    data = sf.raw("prod")
    del sf.named(data, PLAN)["provider"]["properties"]["allowedAccountIds"]
    assert both(data) == []


def test_cross_region_check_needs_the_plans_region() -> None:
    data = sf.raw("prod")
    del sf.named(data, PLAN)["provider"]["properties"]["region"]
    assert both(data) == []


def test_cross_region_check_skips_an_unknown_destination() -> None:
    data = sf.raw("prod")
    action(data, 0)["destinationVaultArn"] = UNKNOWN
    assert both(data) == [both_message("monthly", PLAN, SRC, "eu-west-1", "eu-central-1")]


def test_cross_region_check_judges_plans_only() -> None:
    data = sf.raw("prod")
    vault = sf.named(data, "cross-account-source-vault")
    vault["properties"]["rules"] = rules_of(data)
    assert copy_checks.cross_region_and_account(sf.to_resource(vault), {}) == []


# ---------------------------------------------------------------------------------------------
# backup-copy-cold-storage-closes-copy-back (advisory)


def cold(data: sf.Stack) -> list[str]:
    return copy_checks.cold_storage_copy_back(plan_res(data), {})


def cold_message(rule: str, arn: str, days: str) -> str:
    return (
        f"plan `{PLAN}` rule '{rule}' moves its copies in {arn} to cold storage after {days} "
        f'days: "backups in cold storage or archive tiers cannot be copied" (AWS Backup, "Copy '
        f'a backup", {COPY_DOC}), so from day {days} a copy can no longer be copied back into '
        "the source account, the only way to restore it there (there is no cross-account "
        "restore)"
    )


@pytest.mark.parametrize("mode", sf.MODES)
def test_prod_monthly_copies_to_cold_storage_close_the_copy_back(mode: str) -> None:
    assert cold(sf.raw("prod", mode)) == [cold_message("monthly", PROD_COPIES, "90")]


def test_dev_copies_without_cold_storage_raise_nothing() -> None:
    assert cold(sf.raw("dev")) == []


def test_cold_storage_in_fractional_days_is_shown_as_given() -> None:
    data = sf.raw("prod")
    action(data, 1)["lifecycle"]["coldStorageAfter"] = 90.5
    assert cold(data) == [cold_message("monthly", PROD_COPIES, "90.5")]


def test_cold_storage_of_each_rule_is_reported() -> None:
    data = sf.raw("prod")
    action(data, 0)["lifecycle"]["coldStorageAfter"] = 30.0
    assert cold(data) == [
        cold_message("daily", PROD_COPIES, "30"),
        cold_message("monthly", PROD_COPIES, "90"),
    ]


def test_cold_storage_unknown_during_preview_is_not_reported() -> None:
    data = sf.raw("prod")
    action(data, 1)["lifecycle"]["coldStorageAfter"] = UNKNOWN
    assert cold(data) == []


def test_copy_lifecycle_unknown_during_preview_is_not_reported() -> None:
    data = sf.raw("prod")
    action(data, 1)["lifecycle"] = UNKNOWN
    assert cold(data) == []


def test_copy_without_lifecycle_has_no_cold_storage() -> None:
    data = sf.raw("prod")
    del action(data, 1)["lifecycle"]
    assert cold(data) == []


def test_cold_storage_check_judges_plans_only() -> None:
    data = sf.raw("prod")
    vault = sf.named(data, "cross-account-source-vault")
    vault["properties"]["rules"] = rules_of(data)
    assert copy_checks.cold_storage_copy_back(sf.to_resource(vault), {}) == []


# ---------------------------------------------------------------------------------------------
# A retention unknown during preview is not "for ever" (bug found by these pins: the lock check
# read an unknown deleteAfter as absent and failed the preview with "keeps ... for ever").


def test_copy_retention_unknown_during_preview_is_not_judged() -> None:
    data = sf.raw("prod", "preview")
    action(data, 1)["lifecycle"]["deleteAfter"] = UNKNOWN
    assert within_lock(data) == []


def test_copy_lifecycle_unknown_during_preview_is_not_judged() -> None:
    data = sf.raw("prod", "preview")
    action(data, 1)["lifecycle"] = UNKNOWN
    assert within_lock(data) == []


def test_unknown_retention_of_one_copy_leaves_the_next_judged() -> None:
    data = sf.raw("prod", "preview")
    action(data, 0)["lifecycle"]["deleteAfter"] = UNKNOWN
    action(data, 1)["lifecycle"]["deleteAfter"] = 3651.0
    ((msg, _),) = within_lock(data)
    assert msg.startswith(
        f"plan `{PLAN}` rule 'monthly' copy to {PROD_COPIES} keeps recovery points 3651 days"
    )


def test_unknown_retention_is_found_for_a_rule_without_name_after_a_rule_that_is_no_object() -> (
    None
):
    data = sf.raw("prod", "preview")
    del rules_of(data)[1]["ruleName"]
    action(data, 1)["lifecycle"]["deleteAfter"] = UNKNOWN
    rules_of(data)[0] = UNKNOWN
    assert within_lock(data) == []


def test_unknown_retention_is_found_for_the_second_copy_action_of_a_rule() -> None:
    data = sf.raw("prod", "preview")
    actions = rules_of(data)[1]["copyActions"]
    actions.append({**actions[0], "lifecycle": {"deleteAfter": UNKNOWN}})
    actions[0]["lifecycle"]["deleteAfter"] = 3651.0
    ((msg, _),) = within_lock(data)
    assert "keeps recovery points 3651 days" in msg


def test_unknown_retention_of_a_later_rule_of_the_same_name_without_copies_is_found() -> None:
    data = sf.raw("prod", "preview")
    del rules_of(data)[0]["copyActions"]
    rules_of(data)[1]["ruleName"] = "daily"
    action(data, 1)["lifecycle"]["deleteAfter"] = UNKNOWN
    assert within_lock(data) == []


def test_unknown_retention_of_a_later_rule_of_the_same_name_is_found() -> None:
    # Two rules named alike (AWS wants them unique; the check must not fail on it): the copy
    # action's index is out of the first rule's range, so the second rule is the one.
    data = sf.raw("prod", "preview")
    rules_of(data)[1]["ruleName"] = "daily"
    actions = rules_of(data)[1]["copyActions"]
    actions.append({**actions[0], "lifecycle": {"deleteAfter": UNKNOWN}})
    assert within_lock(data) == []


def test_backup_retention_unknown_during_preview_is_not_judged_the_next_rule_is() -> None:
    data = sf.raw("prod", "preview")
    _lock_source_vault(data, 36.0, 89.0)  # daily keeps 35 days, monthly 90
    rules_of(data)[0]["lifecycle"]["deleteAfter"] = UNKNOWN
    ((msg, _),) = within_lock(data)
    assert msg.startswith(f"plan `{PLAN}` rule 'monthly' keeps recovery points 90 days")


def test_backup_lifecycle_unknown_during_preview_is_not_judged() -> None:
    data = sf.raw("prod", "preview")
    _lock_source_vault(data, 36.0, 3650.0)
    rules_of(data)[0]["lifecycle"] = UNKNOWN
    assert within_lock(data) == []
