"""The policy pack as a process, driven through its analyzer gRPC interface as the CLI drives it.

One pack process per module (`pack` fixture); each test configures it first (`Configure`
replaces the whole config, as the CLI sends it once per update).

- GetAnalyzerInfo: every policy, its level, its config schema.
- A faithful stand-in of the program's resources (`tools.preview.pack_client.standin_stack`)
  passes, in preview and after deploy, with and without policy config.
- Each mutation is rejected by the right policy: without config (Analyze + AnalyzeStack, the
  accounts inferred from the stack) and with config (the mandatory ones by `Analyze` alone, i.e.
  before anything is created).
- The real program (`tools.preview.engine`, dev and prod, preview and not) passes; under preview the
  mandatory checks decide (they are not downgraded to "can't run during preview").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backup_guard.pack import PACK_NAME
from tools.preview.pack_client import UNKNOWN, Diagnostic, PolicyPackProcess, standin_stack
from tools.stack.policy_config import ACCOUNT_POLICIES, policy_config

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"

LEVELS = {
    "backup-vault-policy-grants-source": "mandatory",
    "backup-vault-key-policy-grants-source": "mandatory",
    "backup-source-vault-key-grants-backup": "mandatory",
    "backup-policy-no-open-principal": "mandatory",
    "backup-copy-destination-cross-account": "mandatory",
    "backup-copy-vault-customer-managed-key": "mandatory",
    "backup-plan-lifecycle-valid": "mandatory",
    "backup-vault-policy-no-wildcard-actions": "mandatory",
    "backup-vault-locked": "advisory",
    "backup-source-vault-accepts-copy-back": "advisory",
    "backup-plan-min-retention": "advisory",
    "backup-vault-deletion-protected": "advisory",
    "backup-kms-key-rotation": "advisory",
    "backup-copy-destination-known": "mandatory",
    "backup-copy-retention-within-vault-lock": "mandatory",
    "backup-copy-cross-region-and-account": "advisory",
    "backup-copy-cold-storage-closes-copy-back": "advisory",
    "backup-audit-bucket-private": "mandatory",  # issue 14 (tests/test_pack_recovery.py)
}
# Policies that only AnalyzeStack can decide (the stack's vaults and their locks).
STACK_ONLY = {
    "backup-copy-destination-known",
    "backup-copy-retention-within-vault-lock",
    "backup-audit-bucket-private",
}
CONFIG = {name: {"sourceAccountIds": [SRC], "backupAccountIds": [BAK]} for name in ACCOUNT_POLICIES}


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess() as p:
        yield p


def last_line(d: Diagnostic) -> str:
    return d.message.splitlines()[-1]


def summary(diags: list[Diagnostic]) -> list[str]:
    return [f"{d.enforcement_level} {d.policy_name}: {last_line(d)}" for d in diags]


# ---------------------------------------------------------------------------------------------
# GetAnalyzerInfo


def test_info_lists_every_policy_with_its_level(pack: PolicyPackProcess) -> None:
    info = pack.get_info()
    assert info["name"] == PACK_NAME
    assert info["supportsConfig"] is True
    assert {p["name"]: p["enforcementLevel"] for p in info["policies"]} == LEVELS


def test_info_config_schemas(pack: PolicyPackProcess) -> None:
    schemas = {
        p["name"]: p.get("configSchema", {}).get("properties", {})
        for p in pack.get_info()["policies"]
    }
    for name in ACCOUNT_POLICIES:
        assert schemas[name]["sourceAccountIds"]["items"]["pattern"] == "^[0-9]{12}$", name
        assert schemas[name]["backupAccountIds"]["type"] == "array", name
    assert schemas["backup-plan-min-retention"]["minRetentionDays"]["default"] == 35
    assert schemas["backup-vault-locked"]["requireComplianceMode"]["type"] == "boolean"


def test_policy_config_of_each_stack_names_only_policies_of_the_pack(
    pack: PolicyPackProcess,
) -> None:
    names = {p["name"] for p in pack.get_info()["policies"]}
    for stack in ("dev", "prod"):
        config = policy_config(stack)
        assert set(config) <= names
        pack.configure(config)  # the pack accepts it (raises on an unknown name)
    assert policy_config("prod")["backup-vault-locked"]["requireComplianceMode"] is True
    assert policy_config("dev")["backup-vault-locked"]["requireComplianceMode"] is False


# ---------------------------------------------------------------------------------------------
# The stand-in passes


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "deployed"])
@pytest.mark.parametrize("configured", [False, True], ids=["inferred", "configured"])
def test_standin_stack_passes(pack: PolicyPackProcess, preview: bool, configured: bool) -> None:
    pack.configure(CONFIG if configured else {})
    assert summary(pack.analyze_all(standin_stack(preview=preview))) == []


def test_standin_cross_region_passes_with_the_rds_advisory(pack: PolicyPackProcess) -> None:
    # AWS Backup "Copy a backup": RDS and Aurora copy cross-account or cross-Region, not both.
    pack.configure({})
    diags = pack.analyze_all(standin_stack(backup_region="eu-central-1"))
    assert [(d.enforcement_level, d.policy_name) for d in diags] == [
        ("advisory", "backup-copy-cross-region-and-account")
    ]
    assert "but for Amazon RDS and Aurora snapshots only one or the other" in last_line(diags[0])


# ---------------------------------------------------------------------------------------------
# Mutations

Stack = list[dict[str, Any]]


def res(stack: Stack, name: str) -> dict[str, Any]:
    return next(r for r in stack if r["name"] == name)


def policy_of(stack: Stack, name: str) -> dict[str, Any]:
    return json.loads(res(stack, name)["properties"]["policy"])


def set_policy(stack: Stack, name: str, doc: dict[str, Any]) -> None:
    res(stack, name)["properties"]["policy"] = json.dumps(doc)


def edit_policy(name: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Stack], None]:
    def mutate(stack: Stack) -> None:
        doc = policy_of(stack, name)
        edit(doc)
        set_policy(stack, name, doc)

    return mutate


def copy_action(stack: Stack) -> dict[str, Any]:
    return res(stack, "plan")["properties"]["rules"][0]["copyActions"][0]


def _vault_principal(principal: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Principal"] = principal

    return edit


def _append(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["Statement"].append(statement)


def _drop_sids(*sids: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") not in sids]

    return edit


def _set_dest(transform: Callable[[str], str]) -> Callable[[Stack], None]:
    def mutate(stack: Stack) -> None:
        a = copy_action(stack)
        a["destinationVaultArn"] = transform(a["destinationVaultArn"])

    return mutate


def _no_vault_key(stack: Stack) -> None:
    vault = res(stack, "backup-vault")
    del vault["properties"]["kmsKeyArn"]
    vault["propertyDependencies"] = {}


def _remove(name: str) -> Callable[[Stack], None]:
    return lambda stack: stack.remove(res(stack, name))


def _set_prop(name: str, key: str, value: Any) -> Callable[[Stack], None]:
    def mutate(stack: Stack) -> None:
        res(stack, name)["properties"][key] = value

    return mutate


def _unprotect(name: str) -> Callable[[Stack], None]:
    def mutate(stack: Stack) -> None:
        res(stack, name)["options"]["protect"] = False

    return mutate


def _copy_lifecycle(value: Any) -> Callable[[Stack], None]:
    def mutate(stack: Stack) -> None:
        if value is None:
            copy_action(stack).pop("lifecycle")
        else:
            copy_action(stack)["lifecycle"] = value

    return mutate


def _short_retention(stack: Stack) -> None:
    rule = res(stack, "plan")["properties"]["rules"][0]
    rule["lifecycle"] = {"deleteAfter": 7}


ROLE = f"arn:aws:iam::{SRC}:role/backup"
BACKUP_KEY_USE = "AllowSourceAccountUseOfTheKey"

# (id, mutation, {policy: message fragment}, decided by Analyze alone when configured)
MUTATIONS: list[tuple[str, Callable[[Stack], None], dict[str, str], bool]] = [
    (
        "vault-policy-other-account",
        edit_policy("backup-vault-policy", _vault_principal({"AWS": f"arn:aws:iam::{OTHER}:root"})),
        {"backup-vault-policy-grants-source": f"does not let {SRC} backup:CopyIntoBackupVault"},
        True,
    ),
    (
        "vault-policy-deny",
        edit_policy(
            "backup-vault-policy",
            _append(
                {
                    "Sid": "DenyAll",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                }
            ),
        ),
        {"backup-vault-policy-grants-source": "statement 'DenyAll' denies"},
        True,
    ),
    (
        "vault-policy-role-only",
        edit_policy("backup-vault-policy", _vault_principal({"AWS": ROLE})),
        {"backup-vault-policy-grants-source": f"grants only {ROLE}, not the account {SRC}"},
        True,
    ),
    (
        "vault-policy-open-principal",
        edit_policy("backup-vault-policy", _vault_principal("*")),
        {"backup-policy-no-open-principal": "'AllowSourceAccountToCopyIn' lets any principal"},
        True,
    ),
    (
        "vault-policy-wildcard-action",
        edit_policy(
            "backup-vault-policy", lambda d: d["Statement"][0].update(Action="backup:Copy*")
        ),
        {
            "backup-vault-policy-no-wildcard-actions": "wildcard action 'backup:Copy*'",
            # AWS Backup rejects the policy: the wildcard grant does not count either.
            "backup-vault-policy-grants-source": "statement 'AllowSourceAccountToCopyIn' covers "
            "backup:CopyIntoBackupVault only through the wildcard action 'backup:Copy*', which "
            "doesn't count",
        },
        True,
    ),
    (
        "vault-policy-not-json",
        _set_prop("backup-vault-policy", "policy", "{not json"),
        {
            "backup-vault-policy-grants-source": "is not a valid policy: policy is not valid JSON",
            "backup-policy-no-open-principal": "is not a valid policy",
            "backup-vault-policy-no-wildcard-actions": "is not a valid policy",
        },
        True,
    ),
    (
        "vault-policy-missing",
        _remove("backup-vault-policy"),
        {"backup-vault-policy-grants-source": "has no vault access policy"},
        False,
    ),
    (
        "backup-key-no-source-use",
        edit_policy("backup-vault-key", _drop_sids(BACKUP_KEY_USE)),
        {"backup-vault-key-policy-grants-source": f"does not let {SRC} kms:Encrypt, kms:Decrypt"},
        True,
    ),
    (
        "backup-key-deny-decrypt",
        edit_policy(
            "backup-vault-key",
            _append(
                {
                    "Sid": "NoDecrypt",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                }
            ),
        ),
        {"backup-vault-key-policy-grants-source": "statement 'NoDecrypt' denies kms:Decrypt"},
        True,
    ),
    (
        "backup-key-use-only-for-grants",  # kms:GrantIsForAWSResource is absent from Decrypt...
        edit_policy(
            "backup-vault-key",
            lambda d: next(s for s in d["Statement"] if s["Sid"] == BACKUP_KEY_USE).update(
                Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}
            ),
        ),
        {
            "backup-vault-key-policy-grants-source": f"does not let {SRC} kms:Encrypt, "
            f"kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, kms:GenerateDataKey, "
            f"kms:GenerateDataKeyWithoutPlaintext, kms:DescribeKey: no statement allows "
            f"kms:Encrypt to {SRC}"
        },
        True,
    ),
    (
        "backup-key-use-on-another-key",
        edit_policy(
            "backup-vault-key",
            lambda d: next(s for s in d["Statement"] if s["Sid"] == BACKUP_KEY_USE).update(
                Resource=f"arn:aws:kms:eu-west-1:{OTHER}:key/another"
            ),
        ),
        # AWS KMS "Key policies": a key policy governs its own key; a key of another account is
        # never it.
        {"backup-vault-key-policy-grants-source": f"no statement allows kms:Encrypt to {SRC}"},
        True,
    ),
    (
        "backup-key-open-principal",
        edit_policy(
            "backup-vault-key",
            _append(
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ),
        ),
        {"backup-policy-no-open-principal": "statement 'Open' lets any principal in"},
        True,
    ),
    (
        "source-key-no-grants",
        edit_policy("source-vault-key", _drop_sids("AllowBackupAccountUseOfTheKeyGrants")),
        {"backup-source-vault-key-grants-backup": f"does not let {BAK} kms:CreateGrant"},
        True,
    ),
    (
        "copy-into-own-account",
        _set_dest(lambda a: a.replace(BAK, SRC)),
        {
            "backup-copy-destination-cross-account": f"account {SRC} is the source account",
            "backup-copy-destination-known": "a vault this stack does not build",
        },
        True,
    ),
    (
        "copy-into-default-vault",
        _set_dest(lambda a: a.rsplit(":", 1)[0] + ":Default"),
        {"backup-copy-destination-cross-account": "the Default vault can't receive"},
        True,
    ),
    (
        "backup-vault-on-aws-managed-key",
        _no_vault_key,
        {"backup-copy-vault-customer-managed-key": "has no kmsKeyArn"},
        True,
    ),
    (
        "copy-without-lifecycle",
        _copy_lifecycle(None),
        {
            "backup-plan-lifecycle-valid": "has no lifecycle deleteAfter",
            # PutBackupVaultLockConfiguration: a job longer than MaxRetentionDays fails.
            "backup-copy-retention-within-vault-lock": "keeps recovery points for ever",
        },
        True,
    ),
    (
        "copy-deleted-before-cold-plus-90",
        _copy_lifecycle({"coldStorageAfter": 30, "deleteAfter": 60}),
        {
            "backup-plan-lifecycle-valid": "deleteAfter 60 days is less than coldStorageAfter 30",
            "backup-copy-cold-storage-closes-copy-back": "to cold storage after 30 days",
        },
        True,
    ),
    (
        "no-vault-lock",
        _remove("backup-vault-lock"),
        {"backup-vault-locked": "has no vault lock"},
        False,
    ),
    (
        "key-rotation-off",
        _set_prop("backup-vault-key", "enableKeyRotation", False),
        {"backup-kms-key-rotation": "does not rotate"},
        True,
    ),
    (
        "vault-unprotected",
        _unprotect("backup-vault"),
        {"backup-vault-deletion-protected": "is not protected from deletion"},
        True,
    ),
    (
        "source-vault-no-copy-back",
        edit_policy("source-vault-policy", _vault_principal({"AWS": f"arn:aws:iam::{OTHER}:root"})),
        {"backup-source-vault-accepts-copy-back": f"does not let {BAK} backup:CopyIntoBackupVault"},
        True,
    ),
    (
        "short-retention",
        _short_retention,
        {"backup-plan-min-retention": "keeps backups 7 days, less than 35"},
        True,
    ),
]


def mutated(mutation: Callable[[Stack], None], *, preview: bool = True) -> Stack:
    stack = copy.deepcopy(standin_stack(preview=preview))
    mutation(stack)
    return stack


def by_policy(diags: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    out: dict[str, list[Diagnostic]] = {}
    for d in diags:
        out.setdefault(d.policy_name, []).append(d)
    return out


def assert_rejected(diags: list[Diagnostic], expected: dict[str, str]) -> None:
    found = by_policy(diags)
    assert set(found) == set(expected), summary(diags)
    for policy, fragment in expected.items():
        assert any(fragment in last_line(d) for d in found[policy]), summary(found[policy])
        assert {d.enforcement_level for d in found[policy]} == {LEVELS[policy]}


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [m[1:3] for m in MUTATIONS],
    ids=[m[0] for m in MUTATIONS],
)
def test_mutation_rejected_without_config(
    pack: PolicyPackProcess, mutation: Callable[[Stack], None], expected: dict[str, str]
) -> None:
    pack.configure({})
    assert_rejected(pack.analyze_all(mutated(mutation)), expected)


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [m[1:3] for m in MUTATIONS],
    ids=[m[0] for m in MUTATIONS],
)
def test_mutation_rejected_with_config(
    pack: PolicyPackProcess, mutation: Callable[[Stack], None], expected: dict[str, str]
) -> None:
    pack.configure(CONFIG)
    assert_rejected(pack.analyze_all(mutated(mutation)), expected)


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [m[1:3] for m in MUTATIONS if m[3] and all(LEVELS[p] == "mandatory" for p in m[2])],
    ids=[m[0] for m in MUTATIONS if m[3] and all(LEVELS[p] == "mandatory" for p in m[2])],
)
def test_mandatory_mutation_blocked_by_analyze_alone_with_config(
    pack: PolicyPackProcess, mutation: Callable[[Stack], None], expected: dict[str, str]
) -> None:
    """With config, each resource is judged as it is registered: no AnalyzeStack needed (but
    for what only the whole stack shows: which vaults it builds, their locks)."""
    pack.configure(CONFIG)
    diags = [d for r in mutated(mutation) for d in pack.analyze(r)]
    assert_rejected(diags, {k: v for k, v in expected.items() if k not in STACK_ONLY})


def test_stack_violation_names_the_resource_urn(pack: PolicyPackProcess) -> None:
    pack.configure({})
    stack = mutated(edit_policy("backup-vault-policy", _vault_principal({"AWS": OTHER})))
    diags = pack.analyze_stack(stack)
    assert [d.urn for d in diags] == [res(stack, "backup-vault-policy")["urn"]]
    assert last_line(diags[0]) == (
        f"vault policy of `backup-vault` does not let {SRC} backup:CopyIntoBackupVault: no "
        f"statement allows backup:CopyIntoBackupVault to {SRC}"
    )


def test_inference_follows_the_stack_accounts(pack: PolicyPackProcess) -> None:
    """Without config, another pair of accounts is inferred from the providers."""
    pack.configure({})
    stack = standin_stack(source="444444444444", backup="555555555555")
    assert summary(pack.analyze_all(stack)) == []
    # The same stack judged with the dev config: its copies go to an account the config does
    # not know as a backup account.
    pack.configure(CONFIG)
    found = by_policy(pack.analyze_all(stack))
    assert set(found) == {"backup-copy-destination-cross-account"}
    assert "account 555555555555 is not a backup account (222222222222)" in last_line(
        found["backup-copy-destination-cross-account"][0]
    )


def test_config_overrides_enforcement_level(pack: PolicyPackProcess) -> None:
    stack = mutated(_remove("backup-vault-lock"))
    pack.configure({"backup-vault-locked": {"enforcementLevel": "mandatory"}})
    assert {d.enforcement_level for d in pack.analyze_all(stack)} == {"mandatory"}
    pack.configure({"backup-vault-locked": {"enforcementLevel": "disabled"}})
    assert pack.analyze_all(stack) == []


def test_require_compliance_mode(pack: PolicyPackProcess) -> None:
    stack = mutated(lambda s: res(s, "backup-vault-lock")["properties"].pop("changeableForDays"))
    pack.configure({})
    assert pack.analyze_all(stack) == []
    pack.configure({"backup-vault-locked": {"requireComplianceMode": True}})
    diags = pack.analyze_all(stack)
    assert [d.policy_name for d in diags] == ["backup-vault-locked"]
    assert "is in governance mode" in last_line(diags[0])


def test_min_retention_is_configurable(pack: PolicyPackProcess) -> None:
    stack = mutated(_short_retention)
    pack.configure({"backup-plan-min-retention": {"minRetentionDays": 7}})
    assert pack.analyze_all(stack) == []


def test_unknown_policy_document_is_reported_as_cant_run_during_preview(
    pack: PolicyPackProcess,
) -> None:
    """Why the program must build policy JSON from known values: an unknown one downgrades."""
    pack.configure(CONFIG)
    vault_policy = copy.deepcopy(res(standin_stack(), "backup-vault-policy"))
    vault_policy["properties"]["policy"] = UNKNOWN
    diags = pack.analyze(vault_policy)
    grants = [d for d in diags if d.policy_name == "backup-vault-policy-grants-source"]
    assert len(grants) == 1
    assert grants[0].enforcement_level == "advisory"
    assert "can't run policy 'backup-vault-policy-grants-source'" in grants[0].message
    assert "during preview" in grants[0].message
