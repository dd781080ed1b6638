"""Each rule of the pack as a plain function: good and bad input, verdict and message.

Also the stack inference (`topology`) and the reading of analyzer values (`values`). The pack as
a process is tested in tests/pack/test_pack_grpc.py.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backup_guard import rules, topology
from backup_guard.values import (
    UNKNOWN,
    NotKnownYet,
    Provider,
    Resource,
    is_unknown,
    parse_arn,
    string_list,
)
from rule_tables import (
    BAK,
    COPY,
    DEST,
    DEST_KEY_ACTIONS,
    KEY_SHAPE,
    KEY_USE,
    OTHER,
    SRC,
    allow,
    doc,
)
from tools.preview.pack_client import standin_stack

# ---------------------------------------------------------------------------------------------
# vault policy grants source


def test_vault_policy_grants_source_passes_when_source_root_is_allowed() -> None:
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC)), subject="vault policy of `backup-vault`", source_accounts=[SRC]
    )
    assert msgs == []


def test_vault_policy_explicit_deny_names_the_statement() -> None:
    msgs = rules.vault_policy_grants_source(
        doc(
            allow(SRC),
            {"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"},
        ),
        subject="vault policy of `backup-vault`",
        source_accounts=[SRC],
    )
    assert msgs == [
        f"vault policy of `backup-vault` does not let {SRC} {COPY}: statement 'DenyAll' denies "
        f"{COPY} to {SRC}"
    ]


def test_vault_policy_missing_account_is_reported_per_account() -> None:
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC)), subject="vault policy of `v`", source_accounts=[SRC, OTHER]
    )
    assert msgs == [
        f"vault policy of `v` does not let {OTHER} {COPY}: no statement allows {COPY} to {OTHER}"
    ]


def test_vault_policy_role_only_grant_is_not_proof() -> None:
    role = f"arn:aws:iam::{SRC}:role/backup"
    msgs = rules.vault_policy_grants_source(
        doc(
            {
                "Sid": "RoleOnly",
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": COPY,
                "Resource": "*",
            }
        ),
        subject="vault policy of `v`",
        source_accounts=[SRC],
    )
    assert len(msgs) == 1
    assert f"statement 'RoleOnly' grants only {role}, not the account {SRC}" in msgs[0]


def test_vault_policy_org_condition_without_org_id_names_the_config_it_needs() -> None:
    # aws:PrincipalOrgID is present for every principal of a member account (IAM "Global
    # condition context keys"); its value is what the pack's organizationId config decides: not
    # a question of the request, so no "not proof".
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})),
        subject="vault policy of `v`",
        source_accounts=[SRC],
    )
    assert msgs == [
        f"vault policy of `v` does not let {SRC} {COPY}: statement 'Allow' allows {COPY} to "
        f"{SRC} only under a condition: its condition on aws:PrincipalOrgID needs the pack's "
        "organizationId config"
    ]


def test_vault_policy_org_condition_is_proof_with_org_id() -> None:
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})),
        subject="vault policy of `v`",
        source_accounts=[SRC],
        org_id="o-abcdefghij",
    )
    assert msgs == []


def test_vault_policy_resource_is_matched_against_the_vault_arn() -> None:
    other_vault = DEST.replace("copies", "elsewhere")
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC, Resource=other_vault)),
        subject="vault policy of `v`",
        source_accounts=[SRC],
        vault_arn=DEST,
    )
    assert len(msgs) == 1 and "no statement allows" in msgs[0]


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ("{oops", "is not a valid policy: policy is not valid JSON"),
        (json.dumps({"Statement": [{"Effect": "Allow"}]}), "missing Action"),
        ("", "has no policy document"),
    ],
)
def test_vault_policy_that_is_not_a_policy_is_a_violation(policy: str, fragment: str) -> None:
    msgs = rules.vault_policy_grants_source(
        {"policy": policy}, subject="vault policy of `v`", source_accounts=[SRC]
    )
    assert len(msgs) == 1 and fragment in msgs[0] and msgs[0].startswith("vault policy of `v`")


def test_unknown_policy_raises_not_known_yet() -> None:
    with pytest.raises(NotKnownYet) as e:
        rules.vault_policy_grants_source(
            {"policy": UNKNOWN}, subject="vault policy of `v`", source_accounts=[SRC]
        )
    assert e.value.path == ["policy"]


# ---------------------------------------------------------------------------------------------
# key policies


def test_destination_key_policy_with_wildcards_grants_everything() -> None:
    assert (
        rules.vault_key_policy_grants_source(
            doc(allow(SRC, KEY_USE)), subject="key policy of `k`", source_accounts=[SRC]
        )
        == []
    )


def test_destination_key_policy_missing_actions_are_listed() -> None:
    msgs = rules.vault_key_policy_grants_source(
        doc(allow(SRC, ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])),
        subject="key policy of `k`",
        source_accounts=[SRC],
    )
    assert len(msgs) == 1
    assert msgs[0].startswith(
        f"key policy of `k` does not let {SRC} kms:ReEncryptFrom, kms:ReEncryptTo, "
        "kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext:"
    )


def test_destination_key_policy_deny_decrypt() -> None:
    msgs = rules.vault_key_policy_grants_source(
        doc(
            allow(SRC, KEY_USE),
            {
                "Sid": "NoDecrypt",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ),
        subject="key policy of `k`",
        source_accounts=[SRC],
    )
    assert msgs == [
        f"key policy of `k` does not let {SRC} kms:Decrypt: statement 'NoDecrypt' denies "
        f"kms:Decrypt to {SRC}"
    ]


def test_key_policy_via_service_condition_is_not_proof() -> None:
    """Copies reach KMS through backup., but also ec2. (EBS) and rds.: ViaService is unknown."""
    cond = {"StringEquals": {"kms:ViaService": "backup.eu-west-1.amazonaws.com"}}
    msgs = rules.vault_key_policy_grants_source(
        doc(allow(SRC, KEY_USE, Condition=cond)),
        subject="k",
        source_accounts=[SRC],
        key_arn=KEY_SHAPE,
    )
    assert msgs == [
        f"k does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
        + "; ".join(
            f"statement 'Allow' allows {a} to {SRC} only under a condition: its condition on "
            "kms:ViaService depends on the request (not proof)"
            for a in DEST_KEY_ACTIONS
        )
    ]


def test_source_key_policy_needs_create_grant_for_the_backup_account() -> None:
    without_grant = rules.source_key_policy_grants_backup(
        doc(allow(BAK, KEY_USE)), subject="key policy of `s`", backup_accounts=[BAK]
    )
    with_grant = rules.source_key_policy_grants_backup(
        doc(
            allow(BAK, KEY_USE),
            allow(
                BAK,
                ["kms:CreateGrant"],
                sid="Grants",
                Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ),
        subject="key policy of `s`",
        backup_accounts=[BAK],
    )
    assert without_grant == [
        f"key policy of `s` does not let {BAK} kms:CreateGrant: no statement allows "
        f"kms:CreateGrant to {BAK}"
    ]
    assert with_grant == []


# ---------------------------------------------------------------------------------------------
# shapes


def test_no_wildcard_principal() -> None:
    open_ = rules.no_wildcard_principal(
        doc({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": COPY, "Resource": "*"}),
        subject="p",
    )
    scoped = rules.no_wildcard_principal(
        doc(
            {
                "Sid": "Org",
                "Effect": "Allow",
                "Principal": "*",
                "Action": COPY,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
            }
        ),
        subject="p",
    )
    assert open_ == [
        "p: statement 'Open' lets any principal in without an account or organization condition "
        "(aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount)"
    ]
    assert scoped == []


def test_vault_policy_no_wildcard_actions() -> None:
    bad = rules.vault_policy_no_wildcard_actions(
        doc(allow(SRC, "backup:*", sid="Star")), subject="p"
    )
    good = rules.vault_policy_no_wildcard_actions(doc(allow(SRC)), subject="p")
    assert bad == [
        "p: statement 'Star' uses the wildcard action 'backup:*'; AWS Backup vault policies need "
        "explicit actions such as backup:CopyIntoBackupVault"
    ]
    assert good == []


# ---------------------------------------------------------------------------------------------
# plans


def plan(*, dest: str = DEST, lifecycle: Any = None, copy_lifecycle: Any = "default") -> dict:
    action: dict[str, Any] = {"destinationVaultArn": dest}
    if copy_lifecycle == "default":
        action["lifecycle"] = {"deleteAfter": 35.0}
    elif copy_lifecycle is not None:
        action["lifecycle"] = copy_lifecycle
    return {
        "rules": [
            {
                "ruleName": "daily",
                "targetVaultName": "local",
                "lifecycle": lifecycle or {"deleteAfter": 35.0},
                "copyActions": [action],
            }
        ]
    }


def test_copy_destination_good() -> None:
    assert rules.copy_destination_cross_account(plan(), subject="plan `p`", plan_account=SRC) == []


def test_copy_destination_same_account() -> None:
    msgs = rules.copy_destination_cross_account(
        plan(dest=DEST.replace(BAK, SRC)), subject="plan `p`", plan_account=SRC
    )
    assert msgs == [
        f"plan `p` rule 'daily' copies to '{DEST.replace(BAK, SRC)}': account {SRC} is the source "
        "account; copies must leave it"
    ]


def test_copy_destination_default_vault() -> None:
    dest = DEST.replace("copies", "Default")
    msgs = rules.copy_destination_cross_account(
        plan(dest=dest), subject="plan `p`", plan_account=SRC
    )
    assert len(msgs) == 1 and "the Default vault can't receive cross-account copies" in msgs[0]


def test_copy_destination_not_a_configured_backup_account() -> None:
    msgs = rules.copy_destination_cross_account(
        plan(dest=DEST.replace(BAK, OTHER)),
        subject="plan `p`",
        plan_account=SRC,
        backup_accounts=[BAK],
    )
    assert len(msgs) == 1 and f"account {OTHER} is not a backup account ({BAK})" in msgs[0]


def test_copy_destination_plan_outside_the_configured_sources() -> None:
    msgs = rules.copy_destination_cross_account(
        plan(), subject="plan `p`", plan_account=OTHER, source_accounts=[SRC]
    )
    assert msgs == [
        f"plan `p` is in account {OTHER}, which is not a configured source account ({SRC}): its "
        "copies' grants were not checked"
    ]


def test_copy_destination_not_a_vault_arn() -> None:
    msgs = rules.copy_destination_cross_account(
        plan(dest="copies"), subject="plan `p`", plan_account=SRC
    )
    assert msgs == ["plan `p` rule 'daily' copies to 'copies', which is not a backup vault ARN"]


def test_plan_without_copy_action() -> None:
    props = {"rules": [{"ruleName": "daily", "lifecycle": {"deleteAfter": 35.0}}]}
    msgs = rules.copy_destination_cross_account(props, subject="plan `p`", plan_account=SRC)
    assert msgs == [f"plan `p` has no copy action: no backup leaves account {SRC}"]


def test_unknown_destination_raises_not_known_yet() -> None:
    with pytest.raises(NotKnownYet) as e:
        rules.copy_destination_cross_account(
            plan(dest=UNKNOWN), subject="plan `p`", plan_account=SRC
        )
    assert e.value.path == ["rules", "0", "copyActions", "0", "destinationVaultArn"]


def test_lifecycles_good_with_cold_storage() -> None:
    props = plan(
        lifecycle={"coldStorageAfter": 30.0, "deleteAfter": 120.0},
        copy_lifecycle={"coldStorageAfter": 30.0, "deleteAfter": 365.0},
    )
    assert rules.lifecycles_valid(props, subject="plan `p`") == []


def test_lifecycle_rule_deletes_too_soon_after_cold_storage() -> None:
    msgs = rules.lifecycles_valid(
        plan(lifecycle={"coldStorageAfter": 30.0, "deleteAfter": 100.0}), subject="plan `p`"
    )
    assert msgs == [
        "plan `p` rule 'daily' lifecycle: deleteAfter 100 days is less than coldStorageAfter 30 "
        "+ 90 = 120 days"
    ]


def test_lifecycle_copy_action_deletes_too_soon_after_cold_storage() -> None:
    msgs = rules.lifecycles_valid(
        plan(copy_lifecycle={"coldStorageAfter": 10.0, "deleteAfter": 35.0}), subject="plan `p`"
    )
    assert msgs == [
        f"plan `p` rule 'daily' copy to '{DEST}' lifecycle: deleteAfter 35 days is less than "
        "coldStorageAfter 10 + 90 = 100 days"
    ]


@pytest.mark.parametrize("copy_lifecycle", [None, {}, {"coldStorageAfter": 10.0}])
def test_copy_action_without_delete_after_is_kept_for_ever(copy_lifecycle: Any) -> None:
    msgs = rules.lifecycles_valid(plan(copy_lifecycle=copy_lifecycle), subject="plan `p`")
    assert msgs == [
        f"plan `p` rule 'daily' copy to '{DEST}' has no lifecycle deleteAfter: the copy "
        "would be kept for ever"
    ]


def test_min_retention() -> None:
    short = plan(lifecycle={"deleteAfter": 7.0}, copy_lifecycle={"deleteAfter": 14.0})
    assert rules.min_retention(short, subject="plan `p`", min_days=35) == [
        "plan `p` rule 'daily' keeps backups 7 days, less than 35",
        f"plan `p` rule 'daily' copy to '{DEST}' keeps copies 14 days, less than 35",
    ]
    assert rules.min_retention(short, subject="plan `p`", min_days=7) == []
    assert rules.min_retention(plan(), subject="plan `p`", min_days=35) == []


# ---------------------------------------------------------------------------------------------
# vaults and keys


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({}, "has no kmsKeyArn: it would use the AWS managed key aws/backup"),
        ({"kmsKeyArn": ""}, "has no kmsKeyArn"),
        (
            {"kmsKeyArn": f"arn:aws:kms:eu-west-1:{BAK}:alias/aws/backup"},
            "uses the AWS managed key",
        ),
    ],
)
def test_vault_customer_managed_key_bad(props: dict[str, Any], fragment: str) -> None:
    msgs = rules.vault_customer_managed_key(props, subject="vault `v`")
    assert len(msgs) == 1 and msgs[0].startswith("vault `v`") and fragment in msgs[0]


@pytest.mark.parametrize("arn", [UNKNOWN, f"arn:aws:kms:eu-west-1:{BAK}:key/abcd"])
def test_vault_customer_managed_key_good(arn: str) -> None:
    assert rules.vault_customer_managed_key({"kmsKeyArn": arn}, subject="vault `v`") == []


def test_lock_mode() -> None:
    governance = {"minRetentionDays": 1.0}
    compliance = {"minRetentionDays": 1.0, "changeableForDays": 3.0}
    assert rules.lock_mode_ok(governance, subject="l", require_compliance=False) == []
    assert rules.lock_mode_ok(compliance, subject="l", require_compliance=True) == []
    msgs = rules.lock_mode_ok(governance, subject="vault lock `l`", require_compliance=True)
    assert len(msgs) == 1 and "is in governance mode" in msgs[0]


def test_deletion_protected() -> None:
    assert rules.deletion_protected({}, subject="vault `v`", protect=True, kind="vault") == []
    msgs = rules.deletion_protected(
        {"forceDestroy": True}, subject="vault `v`", protect=False, kind="vault"
    )
    assert msgs == [
        "vault `v` is not protected from deletion: set the `protect` resource option",
        "vault `v` has forceDestroy: deleting it would delete every recovery point",
    ]
    short = rules.deletion_protected(
        {"deletionWindowInDays": 7.0}, subject="key `k`", protect=True, kind="key"
    )
    assert len(short) == 1 and "deletion window of 7 days" in short[0]


def test_key_rotation() -> None:
    assert rules.key_rotation({"enableKeyRotation": True}, subject="key `k`") == []
    assert rules.key_rotation({}, subject="key `k`") == [
        "key `k` does not rotate its key material: set enableKeyRotation"
    ]
    assert rules.key_rotation({"customerMasterKeySpec": "RSA_2048"}, subject="key `k`") == []


# ---------------------------------------------------------------------------------------------
# values and topology


def test_values_helpers() -> None:
    assert string_list('["111111111111"]') == ["111111111111"]
    assert string_list(["a", "b"]) == ["a", "b"]
    assert string_list(UNKNOWN) is None
    assert is_unknown(UNKNOWN) and not is_unknown("x")
    arn = parse_arn(DEST)
    assert arn is not None and (arn.account, arn.region, arn.resource) == (
        BAK,
        "eu-west-1",
        "backup-vault:copies",
    )
    assert parse_arn("not-an-arn") is None
    assert Provider(props={"allowedAccountIds": '["111111111111"]'}).account == SRC


def _resources(stack: list[dict[str, Any]]) -> list[Resource]:
    out = []
    for r in stack:
        p = r.get("provider")
        out.append(
            Resource(
                type=r["type"],
                name=r["name"],
                urn=r["urn"],
                props=r["properties"],
                provider=Provider(p["type"], p["name"], p["urn"], p["properties"]) if p else None,
                protect=bool((r.get("options") or {}).get("protect")),
                property_dependencies=r.get("propertyDependencies") or {},
            )
        )
    return out


def test_topology_infers_receivers_sources_and_keys_in_preview() -> None:
    topo = topology.build(_resources(standin_stack(preview=True)))
    receivers = topo.receivers()
    assert [v.name for v in receivers] == ["backup-vault"]
    assert topo.sources_of[receivers[0].urn] == {SRC}
    assert [v.name for v in topo.source_vaults()] == ["source-vault"]
    assert topo.backups_of[topo.source_vaults()[0].urn] == {BAK}
    key = topo.key_of(receivers[0])
    assert key is not None and key.name == "backup-vault-key"
    assert [p.name for p in topo.attached(receivers[0], topology.VAULT_POLICY)] == [
        "backup-vault-policy"
    ]
    assert [p.name for p in topo.attached(receivers[0], topology.VAULT_LOCK)] == [
        "backup-vault-lock"
    ]


def test_topology_ignores_a_copy_into_another_region() -> None:
    stack = standin_stack(preview=True)
    plan_res = next(r for r in stack if r["name"] == "plan")
    action = plan_res["properties"]["rules"][0]["copyActions"][0]
    action["destinationVaultArn"] = action["destinationVaultArn"].replace("eu-west-1", "us-east-1")
    topo = topology.build(_resources(stack))
    assert topo.receivers() == []


def test_topology_matches_key_by_known_arn_after_deploy() -> None:
    stack = copy.deepcopy(standin_stack(preview=False))
    for r in stack:
        r["propertyDependencies"] = {}
        if r["name"] == "backup-vault-key":
            r["properties"]["arn"] = f"arn:aws:kms:eu-west-1:{BAK}:key/backup-0000"
    topo = topology.build(_resources(stack))
    key = topo.key_of(topo.receivers()[0])
    assert key is not None and key.name == "backup-vault-key"


def test_rules_and_evaluator_import_no_pulumi() -> None:
    """`tools/verify` reuses the evaluator: it must stay free of Pulumi."""
    policies = Path(__file__).resolve().parents[2] / "policies"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import backup_guard.iam, backup_guard.rules, backup_guard.topology, backup_guard.values;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_policy')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(policies)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
