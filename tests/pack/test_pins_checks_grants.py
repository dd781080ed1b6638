"""Pins of the grant checks of `backup_guard.checks` (issue 16), called directly, Pulumi-free, on
the repo's real stacks as the pack sees them (tests/pack/stack_fixtures.py):

- `backup-vault-policy-grants-source`: `grants_source_resource` (Analyze, accounts configured)
  and `grants_source_stack` (AnalyzeStack: a missing policy with config; every grant, the
  accounts inferred from the plans, without);
- `backup-vault-key-policy-grants-source` and `backup-source-vault-key-grants-backup`: the two
  pairs `_key_grant_checks` makes (the key of the receiving vault lets the sources in; the key of
  the source vault lets the backup accounts in).

The breakages mirror the gRPC tests (tests/pack/test_pack_real.py, test_pack_sources.py,
test_pack_grpc.py), asserting verdict and whole message.

References:
- AWS Backup, "Creating backup copies across AWS accounts" and the vault access policies page:
  the destination vault's access policy must allow `backup:CopyIntoBackupVault` to the source
  account, or the copy job fails with AccessDenied; it governs its own vault only
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html,
  https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html;
  https://repost.aws/knowledge-center/backup-resolve-access-denied-error: an organization or
  OU grant needs the organization id in the policy).
- AWS Backup, "Encryption for backups", copy encryption: the copy is re-encrypted with the
  destination vault's customer managed key, which must let the source account use it; fully
  managed types are encrypted with the source vault's key, which must let the backup account use
  it (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption).
- AWS KMS "Key policies": a key policy governs its own key
  (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stack_fixtures as sf
from stack_fixtures import config, judged, resource, urn
from stack_fixtures import edit_policy as edit

from backup_guard import checks, rules
from backup_guard.topology import Topology
from backup_guard.values import UNKNOWN, NotKnownYet

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"
ORG_SOURCES = ("333333333333", "444444444444", "555555555555")
GRANTS = "backup-vault-policy-grants-source"
KEY_GRANTS = "backup-vault-key-policy-grants-source"
SOURCE_KEY = "backup-source-vault-key-grants-backup"
CENTRAL_POLICY = "cross-account-backup-vault-policy"
SOURCE_POLICY = "cross-account-source-vault-policy"
CENTRAL_KEY = "cross-account-backup-vault-key"
SOURCE_KEY_NAME = "cross-account-source-vault-key"
CENTRAL_VAULT = "cross-account-backup-vault"
STACKS = [(s, m) for s in ("dev", "prod") for m in sf.MODES]
COPY = "backup:CopyIntoBackupVault"
DEST_KEY_ACTIONS = (
    "kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, kms:GenerateDataKey, "
    "kms:GenerateDataKeyWithoutPlaintext, kms:DescribeKey"
)
SOURCE_KEY_ACTIONS = (
    "kms:DescribeKey, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, kms:GenerateDataKey, "
    "kms:GenerateDataKeyWithoutPlaintext, kms:CreateGrant"
)


# --- helpers -------------------------------------------------------------------------------------


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in doc["Statement"] if s["Sid"] == sid)
    return found


def principal(sid: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: statement(doc, sid).update(Principal=value)


def drop(*sids: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        kept = [s for s in doc["Statement"] if s["Sid"] not in sids]
        assert len(kept) == len(doc["Statement"]) - len(sids), f"no statement {sids}"
        doc["Statement"] = kept

    return change


def remove(data: sf.Stack, name: str) -> None:
    data["resources"].remove(sf.named(data, name))


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def listed(data: sf.Stack, *accounts: str) -> None:
    """The org stack's central grants (organization conditions) as lists of account roots."""
    grant = {"AWS": [root(a) for a in accounts]}
    for name, sid in (
        (CENTRAL_POLICY, "AllowSourceAccountToCopyIn"),
        (CENTRAL_KEY, "AllowSourceAccountUseOfTheKey"),
    ):

        def change(doc: dict[str, Any], sid: str = sid) -> None:
            st = statement(doc, sid)
            st["Principal"] = grant
            del st["Condition"]

        edit(data, name, change)


def no_copy_in(account: str, subject: str) -> str:
    return f"{subject} does not let {account} {COPY}: no statement allows {COPY} to {account}"


def no_key_use(account: str, subject: str, actions: str) -> str:
    reasons = "; ".join(f"no statement allows {a} to {account}" for a in actions.split(", "))
    return f"{subject} does not let {account} {actions}: {reasons}"


def central_label(stack: str) -> str:
    return f"vault policy `{CENTRAL_POLICY}` (vault 'cross-account-backup-{stack}-copies')"


# --- backup-vault-policy-grants-source, per resource (config names the accounts) -----------------


@pytest.mark.parametrize(("stack", "mode"), [*STACKS, ("org", "preview"), ("org", "up")])
def test_grants_source_resource_passes_the_real_stacks(stack: str, mode: str) -> None:
    data = sf.raw(stack, mode)
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == []


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_grants_source_resource_rejects_a_central_policy_for_another_account(
    stack: str, mode: str
) -> None:
    data = sf.raw(stack, mode)
    edit(data, CENTRAL_POLICY, principal("AllowSourceAccountToCopyIn", {"AWS": root(OTHER)}))
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == [
        (CENTRAL_POLICY, no_copy_in(SRC, central_label(stack)))
    ]


def test_grants_source_resource_without_source_accounts_judges_nothing() -> None:
    data = sf.raw("dev")
    edit(data, CENTRAL_POLICY, principal("AllowSourceAccountToCopyIn", {"AWS": root(OTHER)}))
    cfg = config(data, GRANTS)
    del cfg["sourceAccountIds"]
    assert judged(data, checks.grants_source_resource, cfg) == []


def test_grants_source_resource_leaves_the_source_vaults_policy_to_copy_back() -> None:
    # The source vault is not where copies arrive: its policy grants the backup account (the
    # way back), not the source account, and that is not this policy's business.
    data = sf.raw("dev")
    edit(data, SOURCE_POLICY, principal("AllowBackupAccountToCopyBack", {"AWS": root(OTHER)}))
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == []


def test_grants_source_resource_judges_a_policy_of_unknown_account() -> None:
    data = sf.raw("dev")
    edit(data, CENTRAL_POLICY, principal("AllowSourceAccountToCopyIn", {"AWS": root(OTHER)}))
    sf.named(data, CENTRAL_POLICY)["provider"] = None
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == [
        (CENTRAL_POLICY, no_copy_in(SRC, central_label("dev")))
    ]


def test_grants_source_resource_accepts_a_grant_on_its_own_vaults_arn() -> None:
    data = sf.raw("dev")
    own = "arn:aws:backup:eu-west-1:222222222222:backup-vault:cross-account-backup-dev-copies"
    edit(
        data,
        CENTRAL_POLICY,
        lambda d: statement(d, "AllowSourceAccountToCopyIn").update(Resource=own),
    )
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == []


def test_grants_source_resource_rejects_a_grant_on_another_vaults_arn() -> None:
    data = sf.raw("dev")
    other = "arn:aws:backup:eu-west-1:222222222222:backup-vault:another"
    edit(
        data,
        CENTRAL_POLICY,
        lambda d: statement(d, "AllowSourceAccountToCopyIn").update(Resource=other),
    )
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == [
        (CENTRAL_POLICY, no_copy_in(SRC, central_label("dev")))
    ]


def test_grants_source_resource_names_each_missing_source() -> None:
    data = sf.raw("org")
    listed(data, ORG_SOURCES[0])
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == [
        (CENTRAL_POLICY, no_copy_in(a, central_label("org"))) for a in ORG_SOURCES[1:]
    ]


def test_grants_source_resource_reads_organization_grants_with_the_configured_org() -> None:
    data = sf.raw("org")
    cfg = config(data, GRANTS)
    del cfg["organizationId"]
    needs = (
        "statement 'AllowSourceAccountToCopyIn' allows backup:CopyIntoBackupVault to {a} only "
        "under a condition: its condition on aws:PrincipalOrgID needs the pack's organizationId "
        "config; aws:PrincipalOrgPaths needs the pack's organizationId config"
    )
    assert judged(data, checks.grants_source_resource, cfg) == [
        (CENTRAL_POLICY, f"{central_label('org')} does not let {a} {COPY}: {needs.format(a=a)}")
        for a in ORG_SOURCES
    ]


def test_grants_source_resource_of_an_unknown_policy_is_not_known_yet() -> None:
    data = sf.raw("dev")
    sf.named(data, CENTRAL_POLICY)["properties"]["policy"] = UNKNOWN
    with pytest.raises(NotKnownYet) as e:
        checks.grants_source_resource(resource(data, CENTRAL_POLICY), config(data, GRANTS))
    assert (e.value.path, e.value.sentinel) == (["policy"], UNKNOWN)


def test_grants_source_resource_with_the_vault_name_unknown_names_the_policy_only() -> None:
    # During a preview where the vault name is an output: the label drops the vault's name,
    # and the grant must cover any vault of the account (the policy's `Resource: "*"` does).
    data = sf.raw("dev")
    r = sf.named(data, CENTRAL_POLICY)
    r["properties"]["backupVaultName"] = UNKNOWN
    edit(data, CENTRAL_POLICY, principal("AllowSourceAccountToCopyIn", {"AWS": root(OTHER)}))
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == [
        (CENTRAL_POLICY, no_copy_in(SRC, f"vault policy `{CENTRAL_POLICY}`"))
    ]


# The breakages of tests/pack/test_pack_grpc.py's MUTATIONS on the receiving vault's policy: the
# reason after the subject, as both halves report it.
DENY_ALL = {
    "Sid": "DenyAll",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": COPY,
    "Resource": "*",
}
BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], None] | str, str]] = [
    (
        "deny",
        lambda d: d["Statement"].append(DENY_ALL),
        f"does not let {SRC} {COPY}: statement 'DenyAll' denies {COPY} to {SRC}",
    ),
    (
        "role-only",
        principal("AllowSourceAccountToCopyIn", {"AWS": f"arn:aws:iam::{SRC}:role/backup"}),
        f"does not let {SRC} {COPY}: no statement allows {COPY} to {SRC}: statement "
        f"'AllowSourceAccountToCopyIn' grants only arn:aws:iam::{SRC}:role/backup, not the "
        f"account {SRC}",
    ),
    (
        # AWS Backup vault access policies "don't support a wildcard in the Action key"
        # (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html)
        "wildcard-action",
        lambda d: statement(d, "AllowSourceAccountToCopyIn").update(Action="backup:Copy*"),
        f"does not let {SRC} {COPY}: no statement allows {COPY} to {SRC}: statement "
        f"'AllowSourceAccountToCopyIn' covers {COPY} only through the wildcard action "
        "'backup:Copy*', which doesn't count: AWS Backup vault access policies don't support a "
        "wildcard in the Action key (nor NotAction), so AWS rejects the policy",
    ),
    (
        "not-json",
        "{not json",
        "is not a valid policy: policy is not valid JSON: Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1)",
    ),
    ("empty", "", "has no policy document"),
]


def broken(breakage: Callable[[dict[str, Any]], None] | str) -> sf.Stack:
    data = sf.raw("dev")
    if isinstance(breakage, str):
        sf.named(data, CENTRAL_POLICY)["properties"]["policy"] = breakage
    else:
        edit(data, CENTRAL_POLICY, breakage)
    return data


@pytest.mark.parametrize(
    ("breakage", "reason"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES]
)
def test_grants_source_resource_rejects_the_breakages_of_the_grpc_tests(
    breakage: Callable[[dict[str, Any]], None] | str, reason: str
) -> None:
    data = broken(breakage)
    assert judged(data, checks.grants_source_resource, config(data, GRANTS)) == [
        (CENTRAL_POLICY, f"{central_label('dev')} {reason}")
    ]


@pytest.mark.parametrize(
    ("breakage", "reason"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES]
)
def test_grants_source_stack_rejects_the_breakages_of_the_grpc_tests(
    breakage: Callable[[dict[str, Any]], None] | str, reason: str
) -> None:
    data = broken(breakage)
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (f"vault policy of `{CENTRAL_VAULT}` {reason}", urn(data, CENTRAL_POLICY))
    ]


# --- backup-vault-policy-grants-source, per stack -------------------------------------------------


@pytest.mark.parametrize(("stack", "mode"), [*STACKS, ("org", "preview"), ("org", "up")])
def test_grants_source_stack_passes_the_real_stacks_with_config(stack: str, mode: str) -> None:
    data = sf.raw(stack, mode)
    assert checks.grants_source_stack(sf.build(data), config(data, GRANTS)) == []


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_grants_source_stack_passes_the_real_stacks_without_config(stack: str, mode: str) -> None:
    assert checks.grants_source_stack(sf.build(sf.raw(stack, mode)), {}) == []


def test_grants_source_stack_with_config_reports_a_receiving_vault_without_policy() -> None:
    data = sf.raw("dev")
    remove(data, CENTRAL_POLICY)
    assert checks.grants_source_stack(sf.build(data), config(data, GRANTS)) == [
        (
            "vault `cross-account-backup-vault` in backup account 222222222222 has no vault "
            "access policy: copies from 111111111111 would fail with AccessDenied",
            urn(data, CENTRAL_VAULT),
        )
    ]


def test_grants_source_stack_with_config_names_every_configured_source() -> None:
    data = sf.raw("org")
    remove(data, CENTRAL_POLICY)
    assert checks.grants_source_stack(sf.build(data), config(data, GRANTS)) == [
        (
            "vault `cross-account-backup-vault` in backup account 222222222222 has no vault "
            "access policy: copies from 333333333333, 444444444444, 555555555555 would fail "
            "with AccessDenied",
            urn(data, CENTRAL_VAULT),
        )
    ]


def test_grants_source_stack_with_config_leaves_a_source_vault_without_policy_alone() -> None:
    data = sf.raw("dev")
    remove(data, SOURCE_POLICY)
    assert checks.grants_source_stack(sf.build(data), config(data, GRANTS)) == []


def test_grants_source_stack_with_config_skips_a_vault_of_unknown_account() -> None:
    # Without a pinned provider the vault's account is unknown: nothing says it receives.
    data = sf.raw("dev")
    remove(data, CENTRAL_POLICY)
    sf.named(data, CENTRAL_VAULT)["provider"] = None
    assert checks.grants_source_stack(sf.build(data), config(data, GRANTS)) == []


def test_grants_source_stack_with_config_leaves_the_policies_to_analyze() -> None:
    data = sf.raw("dev")
    edit(data, CENTRAL_POLICY, principal("AllowSourceAccountToCopyIn", {"AWS": root(OTHER)}))
    assert checks.grants_source_stack(sf.build(data), config(data, GRANTS)) == []


def test_grants_source_stack_infers_a_receiving_vault_without_policy() -> None:
    data = sf.raw("dev")
    remove(data, CENTRAL_POLICY)
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (
            "vault `cross-account-backup-vault` receives copies from 111111111111 but has no "
            "vault access policy: every copy job would fail with AccessDenied",
            urn(data, CENTRAL_VAULT),
        )
    ]


def test_grants_source_stack_infers_every_source_of_a_vault_without_policy() -> None:
    data = sf.raw("org")
    remove(data, CENTRAL_POLICY)
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (
            "vault `cross-account-backup-vault` receives copies from 333333333333, 444444444444, "
            "555555555555 but has no vault access policy: every copy job would fail with "
            "AccessDenied",
            urn(data, CENTRAL_VAULT),
        )
    ]


@pytest.mark.parametrize("mode", sf.MODES)
def test_grants_source_stack_infers_a_policy_for_another_account(mode: str) -> None:
    data = sf.raw("dev", mode)
    edit(data, CENTRAL_POLICY, principal("AllowSourceAccountToCopyIn", {"AWS": root(OTHER)}))
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (
            no_copy_in(SRC, f"vault policy of `{CENTRAL_VAULT}`"),
            urn(data, CENTRAL_POLICY),
        )
    ]


def test_grants_source_stack_infers_the_one_missing_source_of_three() -> None:
    data = sf.raw("org")
    listed(data, *ORG_SOURCES[:2])
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (
            no_copy_in(ORG_SOURCES[2], f"vault policy of `{CENTRAL_VAULT}`"),
            urn(data, CENTRAL_POLICY),
        )
    ]


def test_grants_source_stack_accepts_a_grant_on_the_vaults_own_arn() -> None:
    data = sf.raw("prod")
    own = "arn:aws:backup:eu-central-1:222222222222:backup-vault:cross-account-backup-prod-copies"
    edit(
        data,
        CENTRAL_POLICY,
        lambda d: statement(d, "AllowSourceAccountToCopyIn").update(Resource=own),
    )
    assert checks.grants_source_stack(sf.build(data), {}) == []


def test_grants_source_stack_rejects_a_grant_on_another_vaults_arn() -> None:
    data = sf.raw("prod")
    other = "arn:aws:backup:eu-central-1:222222222222:backup-vault:another"
    edit(
        data,
        CENTRAL_POLICY,
        lambda d: statement(d, "AllowSourceAccountToCopyIn").update(Resource=other),
    )
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (no_copy_in(SRC, f"vault policy of `{CENTRAL_VAULT}`"), urn(data, CENTRAL_POLICY))
    ]


def test_grants_source_stack_reads_organization_grants_with_the_configured_org() -> None:
    # AnalyzeStack without the account lists but with the organization (a stack's
    # organization.id/paths): the org grants of the org stack are proof.
    data = sf.raw("org")
    cfg = config(data, GRANTS)
    del cfg["sourceAccountIds"], cfg["backupAccountIds"]
    assert checks.grants_source_stack(sf.build(data), cfg) == []


def test_grants_source_stack_without_the_organization_reports_org_grants_as_unproven() -> None:
    data = sf.raw("org")
    needs = (
        "statement 'AllowSourceAccountToCopyIn' allows backup:CopyIntoBackupVault to {a} only "
        "under a condition: its condition on aws:PrincipalOrgID needs the pack's organizationId "
        "config; aws:PrincipalOrgPaths needs the pack's organizationId config"
    )
    assert checks.grants_source_stack(sf.build(data), {}) == [
        (
            f"vault policy of `{CENTRAL_VAULT}` does not let {a} {COPY}: {needs.format(a=a)}",
            urn(data, CENTRAL_POLICY),
        )
        for a in ORG_SOURCES
    ]


def test_grants_source_stack_of_an_unknown_policy_is_not_known_yet() -> None:
    data = sf.raw("dev")
    sf.named(data, CENTRAL_POLICY)["properties"]["policy"] = UNKNOWN
    with pytest.raises(NotKnownYet) as e:
        checks.grants_source_stack(sf.build(data), {})
    assert e.value.path == ["policy"]


# --- the two key grants (`_key_grant_checks`) ----------------------------------------------------

KeyChecks = tuple[checks.ResourceCheck, checks.StackCheck]


def _dest_rule(props: Any, accounts: Any, **kw: Any) -> list[str]:
    return rules.vault_key_policy_grants_source(props, source_accounts=accounts, **kw)


def _source_rule(props: Any, accounts: Any, **kw: Any) -> list[str]:
    return rules.source_key_policy_grants_backup(props, backup_accounts=accounts, **kw)


def made_dest() -> KeyChecks:
    """The destination pair, made again by the factory (as checks.py makes it at import)."""
    return checks._key_grant_checks(
        _dest_rule,
        accounts_key="sourceAccountIds",
        on_side=checks.receiver_side,
        vaults=Topology.receivers,
        accounts_of=lambda topo: topo.sources_of,
    )


def made_source() -> KeyChecks:
    return checks._key_grant_checks(
        _source_rule,
        accounts_key="backupAccountIds",
        on_side=checks.source_side,
        vaults=Topology.source_vaults,
        accounts_of=lambda topo: topo.backups_of,
    )


# Each test runs on the pair pack.py uses and on a pair the factory makes in the test (the
# factory runs at import, before any test: only a pair made in a test shows its behaviour to
# mutation testing).
@pytest.fixture(params=["wired", "made"])
def dest(request: pytest.FixtureRequest) -> Iterator[KeyChecks]:
    if request.param == "wired":
        yield checks.key_grants_source_resource, checks.key_grants_source_stack
    else:
        yield made_dest()


@pytest.fixture(params=["wired", "made"])
def source(request: pytest.FixtureRequest) -> Iterator[KeyChecks]:
    if request.param == "wired":
        yield checks.source_key_resource, checks.source_key_stack
    else:
        yield made_source()


@pytest.mark.parametrize(("stack", "mode"), [*STACKS, ("org", "preview"), ("org", "up")])
def test_key_grants_pass_the_real_stacks_per_resource(
    dest: KeyChecks, source: KeyChecks, stack: str, mode: str
) -> None:
    data = sf.raw(stack, mode)
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == []
    assert judged(data, source[0], config(data, SOURCE_KEY)) == []


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_key_grants_pass_the_real_stacks_per_stack(
    dest: KeyChecks, source: KeyChecks, stack: str, mode: str
) -> None:
    topo = sf.build(sf.raw(stack, mode))
    assert (dest[1](topo, {}), source[1](topo, {})) == ([], [])


@pytest.mark.parametrize(("stack", "mode"), STACKS)
def test_dest_key_without_the_source_use_is_rejected_per_resource(
    dest: KeyChecks, stack: str, mode: str
) -> None:
    data = sf.raw(stack, mode)
    edit(data, CENTRAL_KEY, drop("AllowSourceAccountUseOfTheKey"))
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == [
        (CENTRAL_KEY, no_key_use(SRC, f"key policy of `{CENTRAL_KEY}`", DEST_KEY_ACTIONS))
    ]


def test_dest_key_with_a_deny_of_one_action_is_rejected_for_that_action(dest: KeyChecks) -> None:
    data = sf.raw("dev")
    deny = {
        "Sid": "NoDecrypt",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    edit(data, CENTRAL_KEY, lambda d: d["Statement"].append(deny))
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == [
        (
            CENTRAL_KEY,
            f"key policy of `{CENTRAL_KEY}` does not let {SRC} kms:Decrypt: statement "
            f"'NoDecrypt' denies kms:Decrypt to {SRC}",
        )
    ]


def test_dest_key_use_only_for_grants_is_rejected(dest: KeyChecks) -> None:
    # kms:GrantIsForAWSResource is in the request context of the grant operations only (AWS
    # KMS condition keys, kms:GrantIsForAWSResource,
    # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html): a use
    # statement conditioned on it allows none of the use actions.
    data = sf.raw("dev")
    edit(
        data,
        CENTRAL_KEY,
        lambda d: statement(d, "AllowSourceAccountUseOfTheKey").update(
            Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}
        ),
    )
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == [
        (CENTRAL_KEY, no_key_use(SRC, f"key policy of `{CENTRAL_KEY}`", DEST_KEY_ACTIONS))
    ]


def test_dest_key_check_without_source_accounts_judges_nothing(dest: KeyChecks) -> None:
    data = sf.raw("dev")
    edit(data, CENTRAL_KEY, drop("AllowSourceAccountUseOfTheKey"))
    cfg = config(data, KEY_GRANTS)
    del cfg["sourceAccountIds"]
    assert judged(data, dest[0], cfg) == []


def test_dest_key_check_leaves_a_key_of_the_source_side_alone(dest: KeyChecks) -> None:
    # The source vault's key, stripped of its owner's administration: it does not let the
    # source account in, but it is no key of a receiving vault.
    data = sf.raw("dev")
    edit(data, SOURCE_KEY_NAME, drop("EnableOwnerAccountAdministration"))
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == []


def test_dest_key_check_judges_keys_only(dest: KeyChecks) -> None:
    # The vault policy of the receiving vault lets no one use a key: not a key policy.
    data = sf.raw("dev")
    r = sf.named(data, CENTRAL_POLICY)
    r["properties"]["policy"] = "{not json"
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == []


def test_dest_key_check_per_resource_is_judged_on_the_keys_own_arn(dest: KeyChecks) -> None:
    # Once the key exists its ARN is known: a grant on another key of the account is not one
    # on this key.
    data = sf.raw("dev", "up")
    sf.named(data, CENTRAL_KEY)["properties"]["arn"] = "arn:aws:kms:eu-west-1:222222222222:key/mine"
    other = "arn:aws:kms:eu-west-1:222222222222:key/other"
    edit(
        data,
        CENTRAL_KEY,
        lambda d: statement(d, "AllowSourceAccountUseOfTheKey").update(Resource=other),
    )
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == [
        (CENTRAL_KEY, no_key_use(SRC, f"key policy of `{CENTRAL_KEY}`", DEST_KEY_ACTIONS))
    ]


def test_dest_key_check_per_stack_is_judged_on_the_keys_own_arn(dest: KeyChecks) -> None:
    data = sf.raw("dev", "up")
    sf.named(data, CENTRAL_KEY)["properties"]["arn"] = "arn:aws:kms:eu-west-1:222222222222:key/mine"
    other = "arn:aws:kms:eu-west-1:222222222222:key/other"
    edit(
        data,
        CENTRAL_KEY,
        lambda d: statement(d, "AllowSourceAccountUseOfTheKey").update(Resource=other),
    )
    subject = f"key policy of `{CENTRAL_KEY}` (key of vault `{CENTRAL_VAULT}`)"
    assert dest[1](sf.build(data), {}) == [
        (no_key_use(SRC, subject, DEST_KEY_ACTIONS), urn(data, CENTRAL_KEY))
    ]


def test_dest_key_check_per_resource_names_each_missing_source(dest: KeyChecks) -> None:
    data = sf.raw("org")
    listed(data, ORG_SOURCES[1])
    subject = f"key policy of `{CENTRAL_KEY}`"
    assert judged(data, dest[0], config(data, KEY_GRANTS)) == [
        (CENTRAL_KEY, no_key_use(a, subject, DEST_KEY_ACTIONS))
        for a in (ORG_SOURCES[0], ORG_SOURCES[2])
    ]


def test_dest_key_check_per_resource_reads_org_grants_with_the_configured_org(
    dest: KeyChecks,
) -> None:
    data = sf.raw("org")
    cfg = config(data, KEY_GRANTS)
    cfg["organizationId"] = "o-anotherorgid"
    del cfg["organizationPaths"]
    # Members of o-anotherorgid: the statement's aws:PrincipalOrgID o-exampleorgid is false.
    subject = f"key policy of `{CENTRAL_KEY}`"
    assert judged(data, dest[0], cfg) == [
        (CENTRAL_KEY, no_key_use(a, subject, DEST_KEY_ACTIONS)) for a in ORG_SOURCES
    ]


def test_dest_key_check_per_stack_with_config_leaves_the_keys_to_analyze(dest: KeyChecks) -> None:
    data = sf.raw("dev")
    edit(data, CENTRAL_KEY, drop("AllowSourceAccountUseOfTheKey"))
    assert dest[1](sf.build(data), config(data, KEY_GRANTS)) == []


@pytest.mark.parametrize("mode", sf.MODES)
def test_dest_key_without_the_source_use_is_rejected_per_stack(dest: KeyChecks, mode: str) -> None:
    data = sf.raw("prod", mode)
    edit(data, CENTRAL_KEY, drop("AllowSourceAccountUseOfTheKey"))
    subject = f"key policy of `{CENTRAL_KEY}` (key of vault `{CENTRAL_VAULT}`)"
    assert dest[1](sf.build(data), {}) == [
        (no_key_use(SRC, subject, DEST_KEY_ACTIONS), urn(data, CENTRAL_KEY))
    ]


def test_dest_key_check_per_stack_infers_the_one_missing_source_of_three(dest: KeyChecks) -> None:
    data = sf.raw("org")
    listed(data, ORG_SOURCES[0], ORG_SOURCES[2])
    subject = f"key policy of `{CENTRAL_KEY}` (key of vault `{CENTRAL_VAULT}`)"
    assert dest[1](sf.build(data), {}) == [
        (no_key_use(ORG_SOURCES[1], subject, DEST_KEY_ACTIONS), urn(data, CENTRAL_KEY))
    ]


def test_dest_key_check_per_stack_reads_org_grants_with_the_configured_org(
    dest: KeyChecks,
) -> None:
    data = sf.raw("org")
    cfg = config(data, KEY_GRANTS)
    del cfg["sourceAccountIds"], cfg["backupAccountIds"]
    assert dest[1](sf.build(data), cfg) == []


def test_dest_key_check_per_stack_skips_a_vault_whose_key_is_not_of_the_stack(
    dest: KeyChecks,
) -> None:
    # A vault on a key the stack does not build: backup-copy-vault-customer-managed-key speaks.
    data = sf.raw("dev")
    vault = sf.named(data, CENTRAL_VAULT)
    vault["properties"]["kmsKeyArn"] = "arn:aws:kms:eu-west-1:222222222222:key/elsewhere"
    vault["propertyDependencies"] = {}
    edit(data, CENTRAL_KEY, drop("AllowSourceAccountUseOfTheKey"))
    assert dest[1](sf.build(data), {}) == []


def test_source_key_without_the_backup_grants_is_rejected_per_resource(source: KeyChecks) -> None:
    data = sf.raw("dev")
    edit(data, SOURCE_KEY_NAME, drop("AllowBackupAccountGrantsForAwsResources"))
    assert judged(data, source[0], config(data, SOURCE_KEY)) == [
        (
            SOURCE_KEY_NAME,
            no_key_use(BAK, f"key policy of `{SOURCE_KEY_NAME}`", "kms:CreateGrant"),
        )
    ]


def test_source_key_check_without_backup_accounts_judges_nothing(source: KeyChecks) -> None:
    data = sf.raw("dev")
    edit(data, SOURCE_KEY_NAME, drop("AllowBackupAccountUseOfTheKey"))
    cfg = config(data, SOURCE_KEY)
    del cfg["backupAccountIds"]
    assert judged(data, source[0], cfg) == []


def test_source_key_check_leaves_the_receiving_vaults_key_alone(source: KeyChecks) -> None:
    data = sf.raw("dev")
    edit(data, CENTRAL_KEY, drop("EnableOwnerAccountAdministration"))
    assert judged(data, source[0], config(data, SOURCE_KEY)) == []


@pytest.mark.parametrize("mode", sf.MODES)
def test_source_key_without_the_backup_use_is_rejected_per_stack(
    source: KeyChecks, mode: str
) -> None:
    data = sf.raw("dev", mode)
    edit(data, SOURCE_KEY_NAME, drop("AllowBackupAccountUseOfTheKey"))
    subject = f"key policy of `{SOURCE_KEY_NAME}` (key of vault `cross-account-source-vault`)"
    actions = SOURCE_KEY_ACTIONS.replace(", kms:CreateGrant", "")
    assert source[1](sf.build(data), {}) == [
        (no_key_use(BAK, subject, actions), urn(data, SOURCE_KEY_NAME))
    ]


def test_source_key_check_per_stack_with_config_leaves_the_keys_to_analyze(
    source: KeyChecks,
) -> None:
    data = sf.raw("dev")
    edit(data, SOURCE_KEY_NAME, drop("AllowBackupAccountUseOfTheKey"))
    assert source[1](sf.build(data), config(data, SOURCE_KEY)) == []


def test_source_key_check_per_stack_goes_on_after_a_vault_without_key_of_the_stack(
    source: KeyChecks,
) -> None:
    # The first source vault (333333333333) is on no key of the stack; the last one's key is
    # broken: still reported.
    data = sf.raw("org")
    first = sf.named(data, "cross-account-333333333333-source-vault")
    del first["properties"]["kmsKeyArn"]
    first["propertyDependencies"] = {}
    last_key = "cross-account-555555555555-source-vault-key"
    edit(data, last_key, drop("AllowBackupAccountGrantsForAwsResources"))
    subject = f"key policy of `{last_key}` (key of vault `cross-account-555555555555-source-vault`)"
    assert source[1](sf.build(data), {}) == [
        (no_key_use(BAK, subject, "kms:CreateGrant"), urn(data, last_key))
    ]


def test_source_key_check_per_stack_names_every_backup_account_missing(source: KeyChecks) -> None:
    # A second copy action to 666666666666: the source key must let that account in too.
    data = sf.raw("dev")
    rule = sf.named(data, "cross-account-plan")["properties"]["rules"][0]
    rule["copyActions"].append(
        {
            "destinationVaultArn": "arn:aws:backup:eu-west-1:666666666666:backup-vault:far",
            "lifecycle": {"deleteAfter": 14.0},
        }
    )
    subject = f"key policy of `{SOURCE_KEY_NAME}` (key of vault `cross-account-source-vault`)"
    assert source[1](sf.build(data), {}) == [
        (no_key_use("666666666666", subject, SOURCE_KEY_ACTIONS), urn(data, SOURCE_KEY_NAME))
    ]


def test_key_checks_of_an_unknown_key_policy_are_not_known_yet(
    dest: KeyChecks, source: KeyChecks
) -> None:
    data = sf.raw("dev")
    sf.named(data, CENTRAL_KEY)["properties"]["policy"] = UNKNOWN
    sf.named(data, SOURCE_KEY_NAME)["properties"]["policy"] = UNKNOWN
    for check, name, policy in (
        (dest, CENTRAL_KEY, KEY_GRANTS),
        (source, SOURCE_KEY_NAME, SOURCE_KEY),
    ):
        with pytest.raises(NotKnownYet) as e:
            check[0](resource(data, name), config(data, policy))
        assert e.value.path == ["policy"]
        with pytest.raises(NotKnownYet) as e:
            check[1](sf.build(data), {})
        assert e.value.path == ["policy"]
