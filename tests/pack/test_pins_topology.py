"""Pins of `backup_guard.topology` (issue 16): the stack inference, on small stacks built by hand
from `values.Resource` / `values.Provider` (no Pulumi).

The shapes imitate what the analyzer sends for pulumi-aws resources:
- pulumi-aws `aws.backup.Plan` (sdk/python/pulumi_aws/backup/plan.py): `rules[]` with
  `ruleName`, `targetVaultName`, `lifecycle {coldStorageAfter, deleteAfter}` and
  `copyActions[] {destinationVaultArn, lifecycle}`; `aws.backup.Vault`: `name`, `kmsKeyArn`;
  `aws.backup.VaultPolicy` / `VaultLockConfiguration`: `backupVaultName`; `aws.kms.Key`: `arn`,
  `keyId` (outputs, known after deploy).
- AWS Backup API, `CopyAction.DestinationBackupVaultArn`
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CopyAction.html): "An Amazon
  Resource Name (ARN) that uniquely identifies the destination backup vault for the copied
  backup. For example, arn:aws:backup:us-east-1:123456789012:backup-vault:aBackupVault."
- pulumi/pulumi proto/pulumi/analyzer.proto, `AnalyzerResource.propertyDependencies`: the URNs
  each input depends on (how the inference links a policy or a key to its vault in preview).
"""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard import topology
from backup_guard.topology import (
    KEY,
    LAG_VAULT,
    PLAN,
    VAULT,
    VAULT_LOCK,
    VAULT_POLICY,
    CopyDestination,
    Topology,
)
from backup_guard.values import UNKNOWN, Provider, Resource

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"
REGION = "eu-west-1"


def provider(account: str | None, region: str | None = REGION) -> Provider:
    props: dict[str, Any] = {}
    if account:
        props["allowedAccountIds"] = f'["{account}"]'
    if region:
        props["region"] = region
    return Provider(
        type="pulumi:providers:aws", name=f"p{account}", urn=f"urn:p{account}", props=props
    )


def vault(
    name: str | None,
    account: str | None,
    *,
    urn: str | None = None,
    region: str | None = REGION,
    type_: str = VAULT,
    **props: Any,
) -> Resource:
    return Resource(
        type=type_,
        name=f"{name}-{account}",
        urn=urn if urn is not None else f"urn:vault:{name}:{account}",
        props={"name": name, **props} if name is not None else props,
        provider=provider(account, region) if account else None,
    )


def dest(name: str, account: str = BAK, region: str = REGION, partition: str = "aws") -> str:
    return f"arn:{partition}:backup:{region}:{account}:backup-vault:{name}"


def plan(*rules: Any, account: str | None = SRC, urn: str = "urn:plan", **extra: Any) -> Resource:
    return Resource(
        type=PLAN,
        name="plan",
        urn=urn,
        props={"rules": list(rules)},
        provider=provider(account) if account else None,
        **extra,
    )


def rule(name: str | None, target: Any, *destinations: Any, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"targetVaultName": target}
    if name is not None:
        out["ruleName"] = name
    out["copyActions"] = [
        d if isinstance(d, dict) else {"destinationVaultArn": d} for d in destinations
    ]
    return {**out, **extra}


# ---------------------------------------------------------------------------------------------
# copies


def test_copy_destination_reads_every_field() -> None:
    p = plan(
        rule(
            "daily",
            "local",
            {
                "destinationVaultArn": dest("copies"),
                "lifecycle": {"deleteAfter": 35.0, "coldStorageAfter": 7.0},
            },
        )
    )
    assert topology.build([p]).copies == [
        CopyDestination(
            plan=p,
            rule_name="daily",
            source_account=SRC,
            source_region=REGION,
            target_vault_name="local",
            arn=dest("copies"),
            region=REGION,
            account=BAK,
            vault_name="copies",
            partition="aws",
            delete_after=35.0,
            cold_after=7.0,
            index=0,
        )
    ]


def test_copies_are_numbered_within_their_rule_and_named_by_rule() -> None:
    p = plan(
        rule("daily", "local", dest("a")),
        rule("monthly", "local", dest("b"), dest("c", account=OTHER)),
    )
    assert [
        (c.rule_name, c.index, c.vault_name, c.account) for c in topology.build([p]).copies
    ] == [
        ("daily", 0, "a", BAK),
        ("monthly", 0, "b", BAK),
        ("monthly", 1, "c", OTHER),
    ]


def test_a_rule_without_name_is_named_by_its_index() -> None:
    p = plan(rule("daily", "local"), rule(None, "local", dest("copies")))
    assert [c.rule_name for c in topology.build([p]).copies] == ["rules[1]"]


def test_a_rule_with_a_null_name_is_named_by_its_index() -> None:
    p = plan(rule(None, "local", dest("copies"), ruleName=None))
    assert [c.rule_name for c in topology.build([p]).copies] == ["rules[0]"]


def test_a_rule_that_is_not_an_object_is_skipped_not_the_rest() -> None:
    p = plan("not-a-rule", rule("daily", "local", dest("copies")))
    assert [c.rule_name for c in topology.build([p]).copies] == ["daily"]


def test_a_rule_without_copy_actions_is_skipped_not_the_rest() -> None:
    p = plan(
        {"ruleName": "local-only", "targetVaultName": "local"},
        {"ruleName": "odd", "targetVaultName": "local", "copyActions": dest("x")},
        rule("daily", "local", dest("copies")),
    )
    assert [c.rule_name for c in topology.build([p]).copies] == ["daily"]


def test_a_copy_action_that_is_not_an_object_is_skipped_not_the_rest() -> None:
    p = plan(
        rule(
            "daily", "local", copyActions=["not-an-action", {"destinationVaultArn": dest("copies")}]
        )
    )
    assert [(c.index, c.vault_name) for c in topology.build([p]).copies] == [(1, "copies")]


def test_plan_rules_not_a_list_give_no_copies() -> None:
    for rules in (None, UNKNOWN, {"ruleName": "daily"}):
        p = Resource(type=PLAN, name="plan", urn="urn:plan", props={"rules": rules})
        assert topology.build([p]).copies == []


def test_unknown_target_vault_name_is_none() -> None:
    p = plan(rule("daily", UNKNOWN, dest("copies")))
    assert topology.build([p]).copies[0].target_vault_name is None


def test_a_destination_that_is_not_a_vault_arn_has_no_vault_name() -> None:
    arn = f"arn:aws:backup:{REGION}:{BAK}:backup-plan:abc"
    c = topology.build([plan(rule("daily", "local", arn))]).copies[0]
    assert (c.arn, c.account, c.region, c.partition, c.vault_name) == (
        arn,
        BAK,
        REGION,
        "aws",
        None,
    )


def test_a_vault_name_with_a_colon_keeps_the_rest() -> None:
    c = topology.build([plan(rule("daily", "local", dest("a:b")))]).copies[0]
    assert c.vault_name == "a:b"


def test_an_unknown_destination_has_no_arn_account_nor_name() -> None:
    c = topology.build([plan(rule("daily", "local", UNKNOWN))]).copies[0]
    assert (c.arn, c.account, c.region, c.partition, c.vault_name) == (None,) * 5


def test_partition_of_a_govcloud_destination() -> None:
    arn = dest("copies", region="us-gov-west-1", partition="aws-us-gov")
    c = topology.build([plan(rule("daily", "local", arn))]).copies[0]
    assert (c.partition, c.region, c.account, c.vault_name) == (
        "aws-us-gov",
        "us-gov-west-1",
        BAK,
        "copies",
    )


def test_copy_without_lifecycle_is_kept_for_ever() -> None:
    c = topology.build([plan(rule("daily", "local", dest("copies")))]).copies[0]
    assert (c.delete_after, c.cold_after) == (None, None)


def test_copy_lifecycle_that_is_not_an_object_is_ignored() -> None:
    action = {"destinationVaultArn": dest("copies"), "lifecycle": UNKNOWN}
    c = topology.build([plan(rule("daily", "local", action))]).copies[0]
    assert (c.delete_after, c.cold_after) == (None, None)


@pytest.mark.parametrize(
    ("lifecycle", "unknown"),
    [
        (UNKNOWN, True),
        ({"deleteAfter": UNKNOWN}, True),
        ({"deleteAfter": 35.0, "coldStorageAfter": UNKNOWN}, False),
        ({"deleteAfter": 35.0}, False),
        (None, False),
    ],
)
def test_copy_retention_unknown_only_when_lifecycle_or_delete_after_is(
    lifecycle: Any, unknown: bool
) -> None:
    # An unknown retention is neither a number of days nor "for ever": the lock check leaves it
    # to the update (copy_checks.retention_within_lock).
    action = {"destinationVaultArn": dest("copies"), "lifecycle": lifecycle}
    c = topology.build([plan(rule("daily", "local", action))]).copies[0]
    assert c.retention_unknown is unknown


def test_copy_retention_unknown_is_read_per_copy_action_not_per_rule_name() -> None:
    # Two rules of one name (AWS wants them unique, the pack does not rely on it): each copy
    # carries its own action's retention.
    known = {"destinationVaultArn": dest("copies"), "lifecycle": {"deleteAfter": 35.0}}
    unknown = {"destinationVaultArn": dest("copies"), "lifecycle": {"deleteAfter": UNKNOWN}}
    p = plan(rule("daily", "local", known), rule("daily", "local", unknown))
    assert [c.retention_unknown for c in topology.build([p]).copies] == [False, True]


# ---------------------------------------------------------------------------------------------
# receivers and source vaults


def two_account_stack(**plan_extra: Any) -> list[Resource]:
    return [
        vault("local", SRC),
        vault("copies", BAK),
        plan(rule("daily", "local", dest("copies")), **plan_extra),
    ]


def test_a_vault_receiving_from_another_account_lists_it() -> None:
    topo = topology.build(two_account_stack())
    assert [v.name for v in topo.receivers()] == [f"copies-{BAK}"]
    assert topo.sources_of == {f"urn:vault:copies:{BAK}": {SRC}}


def test_the_rule_vault_is_the_source_vault_of_its_copies() -> None:
    topo = topology.build(two_account_stack())
    assert [v.name for v in topo.source_vaults()] == [f"local-{SRC}"]
    assert topo.backups_of == {f"urn:vault:local:{SRC}": {BAK}}


def test_sources_of_a_vault_gather_every_source_account() -> None:
    third = Resource(
        type=PLAN,
        name="plan3",
        urn="urn:plan3",
        props={"rules": [rule("daily", "local", dest("copies"))]},
        provider=provider(OTHER),
    )
    topo = topology.build([*two_account_stack(), vault("local", OTHER), third])
    assert topo.sources_of == {f"urn:vault:copies:{BAK}": {SRC, OTHER}}
    assert topo.backups_of == {
        f"urn:vault:local:{SRC}": {BAK},
        f"urn:vault:local:{OTHER}": {BAK},
    }


def test_a_copy_within_the_account_makes_no_receiver_nor_source_vault() -> None:
    stack = [
        vault("local", SRC),
        vault("copies", SRC),
        plan(rule("d", "local", dest("copies", SRC))),
    ]
    topo = topology.build(stack)
    assert (topo.receivers(), topo.source_vaults(), topo.sources_of, topo.backups_of) == (
        [],
        [],
        {},
        {},
    )


def test_a_plan_of_no_known_account_makes_no_receiver_nor_source_vault() -> None:
    topo = topology.build(two_account_stack(account=None))
    assert (topo.sources_of, topo.backups_of) == ({}, {})


def test_an_unknown_destination_makes_no_receiver_nor_source_vault() -> None:
    stack = [vault("local", SRC), vault("copies", BAK), plan(rule("d", "local", UNKNOWN))]
    topo = topology.build(stack)
    assert (topo.sources_of, topo.backups_of) == ({}, {})


def test_receivers_keep_stack_order() -> None:
    stack = [
        vault("b", BAK),
        vault("local", SRC),
        vault("a", BAK),
        plan(rule("d", "local", dest("a"), dest("b"))),
    ]
    assert [v.name for v in topology.build(stack).receivers()] == [f"b-{BAK}", f"a-{BAK}"]


# ---------------------------------------------------------------------------------------------
# which vault a copy lands in


def copy_into(name: str, account: str = BAK, region: str = REGION) -> CopyDestination:
    topo = topology.build([plan(rule("d", "local", dest(name, account, region)))])
    return topo.copies[0]


def test_destination_vault_by_name_account_and_region() -> None:
    stack = [
        vault("copies", BAK),
        vault("copies", OTHER),
        vault("copies", BAK, region="us-east-1", urn="urn:us"),
        vault("other", BAK),
    ]
    topo = topology.build(stack)
    assert topo.destination_vaults(copy_into("copies")) == [stack[0]]


def test_destination_vault_without_provider_matches_by_name() -> None:
    stack = [vault("copies", None)]
    assert topology.build(stack).destination_vaults(copy_into("copies")) == stack


def test_destination_vault_of_unknown_region_matches_any_region() -> None:
    stack = [vault("copies", BAK, region=None)]
    topo = topology.build(stack)
    assert topo.destination_vaults(copy_into("copies", region="us-east-1")) == stack


def test_destination_vault_of_unknown_name_never_matches() -> None:
    stack = [vault(None, BAK), vault(UNKNOWN, BAK)]
    topo = topology.build([*stack, plan(rule("d", "local", UNKNOWN))])
    assert topo.destination_vaults(topo.copies[0]) == []


def test_destination_vaults_without_index_scan_every_vault() -> None:
    # A Topology built by hand (no `build`): the name index is empty, the vaults are scanned.
    stack = [vault("copies", BAK), vault("other", BAK)]
    topo = Topology(resources=stack, vaults=stack)
    assert topo.destination_vaults(copy_into("copies")) == [stack[0]]


def test_vault_name_is_none_when_unknown_or_not_a_string() -> None:
    assert [topology.vault_name(vault(n, BAK)) for n in ("copies", UNKNOWN, 5, None)] == [
        "copies",
        None,
        None,
        None,
    ]


# ---------------------------------------------------------------------------------------------
# the rule's own vault


def test_rule_vault_by_target_name_in_the_plan_account() -> None:
    stack = [vault("local", SRC), vault("local", OTHER), vault("local", None, urn="urn:free")]
    topo = topology.build([*stack, plan(rule("d", "local", dest("copies")))])
    assert topo.rule_vaults(topo.copies[0]) == [stack[0], stack[2]]


def test_rule_vault_by_dependency_when_the_target_name_is_unknown() -> None:
    stack = [vault("local", SRC), vault("other", SRC), vault("local", OTHER)]
    p = plan(
        rule("d", UNKNOWN, dest("copies")),
        property_dependencies={"rules": [stack[0].urn, stack[2].urn]},
    )
    topo = topology.build([*stack, p])
    assert topo.rule_vaults(topo.copies[0]) == [stack[0]]
    assert topo.backups_of == {stack[0].urn: {BAK}}


def test_rule_vault_unknown_name_and_no_dependency_is_none() -> None:
    stack = [vault("local", SRC)]
    topo = topology.build([*stack, plan(rule("d", UNKNOWN, dest("copies")))])
    assert topo.rule_vaults(topo.copies[0]) == []


def test_rule_vaults_keep_stack_order_across_free_and_own_vaults() -> None:
    # The account index (issue 12: the scan of every vault per copy was quadratic) merges the
    # vaults of no known account with the plan account's, in the order of the stack.
    stack = [
        vault("local", SRC, urn="urn:a"),
        vault("local", None, urn="urn:free1"),
        vault("local", OTHER, urn="urn:other"),
        vault("local", SRC, urn="urn:b"),
        vault("local", None, urn="urn:free2"),
    ]
    topo = topology.build([*stack, plan(rule("d", "local", dest("copies")))])
    assert topo.rule_vaults(topo.copies[0]) == [stack[0], stack[1], stack[3], stack[4]]
    assert topo.vaults_by_account == {
        SRC: [(0, stack[0]), (3, stack[3])],
        None: [(1, stack[1]), (4, stack[4])],
        OTHER: [(2, stack[2])],
    }


def test_rule_vaults_of_a_plan_of_no_known_account_are_the_free_vaults_once() -> None:
    stack = [vault("local", None, urn="urn:free"), vault("local", SRC)]
    topo = topology.build([*stack, plan(rule("d", "local", dest("copies")), account=None)])
    assert topo.rule_vaults(topo.copies[0]) == [stack[0]]


def test_rule_vaults_without_index_scan_every_vault() -> None:
    # A Topology built by hand (no `build`): the account index is empty, the vaults are scanned.
    stack = [vault("local", SRC), vault("local", OTHER), vault("local", None, urn="urn:free")]
    copy = topology.build([*stack, plan(rule("d", "local", dest("copies")))]).copies[0]
    topo = Topology(resources=stack, vaults=stack)
    assert topo.rule_vaults(copy) == [stack[0], stack[2]]


# ---------------------------------------------------------------------------------------------
# policies and locks of a vault


def attachment(
    type_: str, name: str, vault_name: Any, account: str | None, deps: list[str] | None = None
) -> Resource:
    return Resource(
        type=type_,
        name=name,
        urn=f"urn:{name}",
        props={"backupVaultName": vault_name},
        provider=provider(account) if account else None,
        property_dependencies={"backupVaultName": deps} if deps is not None else {},
    )


def test_attached_by_dependency_whatever_the_name() -> None:
    v = vault("copies", BAK)
    pol = attachment(VAULT_POLICY, "pol", UNKNOWN, BAK, deps=[v.urn])
    assert topology.build([v, pol]).attached(v, VAULT_POLICY) == [pol]


def test_attached_by_name_in_the_same_account() -> None:
    v = vault("copies", BAK)
    same = attachment(VAULT_POLICY, "same", "copies", BAK)
    free = attachment(VAULT_POLICY, "free", "copies", None)
    other = attachment(VAULT_POLICY, "other", "copies", OTHER)
    wrong = attachment(VAULT_POLICY, "wrong", "elsewhere", BAK)
    unknown = attachment(VAULT_POLICY, "unknown", UNKNOWN, BAK)
    topo = topology.build([v, same, free, other, wrong, unknown])
    assert topo.attached(v, VAULT_POLICY) == [same, free]


def test_attached_by_name_to_a_vault_of_no_known_account() -> None:
    v = vault("copies", None)
    pol = attachment(VAULT_POLICY, "pol", "copies", BAK)
    assert topology.build([v, pol]).attached(v, VAULT_POLICY) == [pol]


def test_not_attached_by_name_when_it_depends_on_another_vault() -> None:
    v, other = vault("copies", BAK), vault("copies2", BAK)
    pol = attachment(VAULT_POLICY, "pol", "copies", BAK, deps=[other.urn])
    assert topology.build([v, other, pol]).attached(v, VAULT_POLICY) == []


def test_a_vault_without_urn_takes_no_attachment_by_an_empty_dependency() -> None:
    v = vault("copies", BAK, urn="")
    pol = attachment(VAULT_POLICY, "pol", "elsewhere", BAK, deps=[""])
    assert topology.build([v, pol]).attached(v, VAULT_POLICY) == []


def test_attached_only_of_the_asked_type() -> None:
    v = vault("copies", BAK)
    pol = attachment(VAULT_POLICY, "pol", "copies", BAK)
    lock = attachment(VAULT_LOCK, "lock", "copies", BAK)
    topo = topology.build([v, pol, lock])
    assert (topo.attached(v, VAULT_POLICY), topo.attached(v, VAULT_LOCK)) == ([pol], [lock])


def test_attached_without_index_scans_the_resources() -> None:
    v = vault("copies", BAK)
    pol = attachment(VAULT_POLICY, "pol", "copies", BAK)
    lock = attachment(VAULT_LOCK, "lock", "copies", BAK)
    topo = Topology(resources=[v, pol, lock])
    assert topo.attached(v, VAULT_POLICY) == [pol]


def test_locks_of_a_vault_are_its_lock_configurations() -> None:
    v = vault("copies", BAK)
    lock = attachment(VAULT_LOCK, "lock", "copies", BAK)
    assert topology.build([v, lock]).locks_of(v) == [lock]


def test_locks_of_an_air_gapped_vault_end_with_the_vault_itself() -> None:
    v = vault("copies", BAK, type_=LAG_VAULT, minRetentionDays=7.0, maxRetentionDays=365.0)
    lock = attachment(VAULT_LOCK, "lock", "copies", BAK)
    topo = topology.build([v, lock])
    assert topo.locks_of(v) == [lock, v]
    assert topo.vaults == [v]


# ---------------------------------------------------------------------------------------------
# the key of a vault


def kms_key(name: str, **props: Any) -> Resource:
    return Resource(type=KEY, name=name, urn=f"urn:{name}", props=props, provider=provider(BAK))


def test_key_of_by_dependency_skips_what_is_not_a_key() -> None:
    alias = Resource(type="aws:kms/alias:Alias", name="alias", urn="urn:alias")
    k = kms_key("key")
    v = Resource(
        type=VAULT,
        name="v",
        urn="urn:v",
        props={"name": "copies", "kmsKeyArn": UNKNOWN},
        property_dependencies={"kmsKeyArn": ["urn:missing", alias.urn, k.urn]},
    )
    assert topology.build([alias, k, v]).key_of(v) is k


def test_key_of_by_known_arn() -> None:
    arn = f"arn:aws:kms:{REGION}:{BAK}:key/1234abcd"
    other, k = kms_key("other", arn=f"{arn}-other"), kms_key("key", arn=arn)
    v = vault("copies", BAK, kmsKeyArn=arn)
    assert topology.build([other, k, v]).key_of(v) is k


def test_key_of_by_key_id() -> None:
    k = kms_key("key", arn=UNKNOWN, keyId="1234abcd")
    v = vault("copies", BAK, kmsKeyArn="1234abcd")
    assert topology.build([k, v]).key_of(v) is k


def test_key_of_an_unknown_arn_without_dependency_is_none() -> None:
    k = kms_key("key", arn=UNKNOWN, keyId=UNKNOWN)
    v = vault("copies", BAK, kmsKeyArn=UNKNOWN)
    assert topology.build([k, v]).key_of(v) is None


def test_key_of_a_vault_on_a_key_outside_the_stack_is_none() -> None:
    k = kms_key("key", arn=f"arn:aws:kms:{REGION}:{BAK}:key/1234abcd")
    v = vault("copies", BAK, kmsKeyArn=f"arn:aws:kms:{REGION}:{BAK}:key/other")
    assert topology.build([k, v]).key_of(v) is None


def test_key_of_matches_only_keys() -> None:
    arn = f"arn:aws:kms:{REGION}:{BAK}:key/1234abcd"
    not_key = Resource(
        type="aws:kms/replicaKey:ReplicaKey", name="r", urn="urn:r", props={"arn": arn}
    )
    v = vault("copies", BAK, kmsKeyArn=arn)
    assert topology.build([not_key, v]).key_of(v) is None


# ---------------------------------------------------------------------------------------------
# the indexes


def test_build_indexes_by_urn_type_and_vault_name() -> None:
    stack = [vault("copies", BAK), vault("copies", OTHER), plan(), vault(None, SRC, urn="")]
    topo = topology.build(stack)
    assert topo.by_urn == {r.urn: r for r in stack[:3]}
    assert topo.by_type == {VAULT: [stack[0], stack[1], stack[3]], PLAN: [stack[2]]}
    assert topo.vaults_by_name == {"copies": [stack[0], stack[1]], None: [stack[3]]}
    assert topo.vaults == [stack[0], stack[1], stack[3]]
    assert topo.resources == stack


def test_build_takes_any_iterable_once() -> None:
    stack = two_account_stack()
    topo = topology.build(iter(stack))
    assert (topo.resources, len(topo.copies), len(topo.sources_of)) == (stack, 1, 1)


def test_attached_gives_every_attachment_depending_on_the_vault() -> None:
    v = vault("copies", BAK)
    first = attachment(VAULT_POLICY, "first", UNKNOWN, BAK, deps=[v.urn])
    second = attachment(VAULT_POLICY, "second", UNKNOWN, BAK, deps=[v.urn])
    assert topology.build([v, first, second]).attached(v, VAULT_POLICY) == [first, second]


def test_attached_of_a_type_the_stack_lacks_is_empty() -> None:
    v = vault("copies", BAK)
    assert topology.build([v]).attached(v, VAULT_LOCK) == []


# The indexes are what the lookups read once `build` made them (bench/preview_scale.py, issue 12:
# a scan of every resource per vault made AnalyzeStack quadratic). A Topology whose `resources`
# list is empty but whose indexes are filled tells an index lookup from a scan.


def test_attached_reads_the_type_index() -> None:
    v = vault("copies", BAK)
    pol = attachment(VAULT_POLICY, "pol", "copies", BAK)
    topo = Topology(resources=[], by_type={VAULT_POLICY: [pol]})
    assert topo.attached(v, VAULT_POLICY) == [pol]


def test_destination_vaults_read_the_name_index() -> None:
    v = vault("copies", BAK)
    topo = Topology(resources=[], vaults=[], vaults_by_name={"copies": [v]})
    assert topo.destination_vaults(copy_into("copies")) == [v]
