"""Pins of `backup_guard.checks`' config helpers (issue 16), called directly, Pulumi-free: which
accounts the policy config names, the organization it carries, on which side of a copy a
resource stands, and the vault ARN and label a vault policy is judged with.

The gRPC tests (tests/pack/test_pack_grpc.py, test_pack_sources.py) reach these only through a
pack process, which mutation testing does not run (docs/testing.md); here each helper is asked
directly, on resources made as `pack.resources_from_stack` makes them (a provider pinned by
`allowedAccountIds`, JSON-encoded as pulumi-aws sends provider inputs).

References:
- AWS Backup, "Creating backup copies across AWS accounts": the destination (backup) vault
  receives, the source account copies in; the way back copies into the source vault
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html).
- Backup vault ARNs `arn:PARTITION:backup:REGION:ACCOUNT:backup-vault:NAME` (service
  authorization reference, AWS Backup resource types,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html);
  the partitions of `cn-` and `us-gov-` regions are `aws-cn` and `aws-us-gov`.
"""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard import checks
from backup_guard.iam.conditions import OrgId
from backup_guard.topology import VAULT, VAULT_POLICY
from backup_guard.values import UNKNOWN, Provider, Resource

SRC, BAK, OTHER = "111111111111", "222222222222", "333333333333"


def provider(account: str | None, region: str | None = "eu-west-1") -> Provider:
    props: dict[str, Any] = {}
    if account is not None:
        props["allowedAccountIds"] = f'["{account}"]'
    if region is not None:
        props["region"] = region
    return Provider("pulumi:providers:aws", "p", "urn:p", props)


def in_account(account: str | None, type_: str = VAULT_POLICY, **props: Any) -> Resource:
    return Resource(type=type_, name="r", urn="urn:r", props=props, provider=provider(account))


def configured(sources: list[str] | None, backups: list[str] | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if sources is not None:
        config["sourceAccountIds"] = sources
    if backups is not None:
        config["backupAccountIds"] = backups
    return config


# --- config_accounts -----------------------------------------------------------------------------


def test_config_accounts_lists_the_configured_ids() -> None:
    config = {"sourceAccountIds": [SRC, OTHER], "backupAccountIds": [BAK]}
    assert checks.config_accounts(config, "sourceAccountIds") == [SRC, OTHER]
    assert checks.config_accounts(config, "backupAccountIds") == [BAK]


def test_config_accounts_of_an_absent_key_is_empty() -> None:
    assert checks.config_accounts({"backupAccountIds": [BAK]}, "sourceAccountIds") == []


def test_config_accounts_of_a_null_key_is_empty() -> None:
    assert checks.config_accounts({"sourceAccountIds": None}, "sourceAccountIds") == []


def test_config_accounts_are_strings_whatever_the_config_holds() -> None:
    # The config travels as JSON (a Struct over gRPC): a number must still compare to the
    # account of a provider, a string.
    assert checks.config_accounts({"sourceAccountIds": [111111111111]}, "sourceAccountIds") == [SRC]


# --- org -----------------------------------------------------------------------------------------


def test_org_without_organization_id_is_none() -> None:
    assert checks.org({"organizationPaths": ["o-exampleorgid/r-ab12/"]}) is None


def test_org_with_an_empty_organization_id_is_none() -> None:
    assert checks.org({"organizationId": ""}) is None


def test_org_carries_the_configured_paths() -> None:
    paths = ["o-exampleorgid/r-ab12/ou-ab12-11111111", "o-exampleorgid/r-ab12/ou-ab12-22222222"]
    found = checks.org({"organizationId": "o-exampleorgid", "organizationPaths": paths})
    assert isinstance(found, OrgId)
    assert (str(found), found.paths) == ("o-exampleorgid", tuple(paths))


@pytest.mark.parametrize("paths", [None, []], ids=["null", "empty"])
def test_org_without_paths_knows_only_the_root(paths: list[str] | None) -> None:
    found = checks.org({"organizationId": "o-exampleorgid", "organizationPaths": paths})
    assert isinstance(found, OrgId)
    assert (str(found), found.paths) == ("o-exampleorgid", ())


def test_org_without_the_paths_key_knows_only_the_root() -> None:
    found = checks.org({"organizationId": "o-exampleorgid"})
    assert isinstance(found, OrgId)
    assert (str(found), found.paths) == ("o-exampleorgid", ())


# --- receiver_side / source_side -----------------------------------------------------------------

# (account of the resource, sourceAccountIds, backupAccountIds, receiver side?, source side?)
SIDES = [
    # No provider account: nothing rules it out, both checks judge it.
    (None, [SRC], [BAK], True, True),
    (SRC, [SRC], [BAK], False, True),
    (BAK, [SRC], [BAK], True, False),
    # A third account: neither a listed source nor a listed backup account.
    (OTHER, [SRC], [BAK], False, False),
    # Only the sources listed: every other account may receive, none is a source.
    (BAK, [SRC], None, True, False),
    (SRC, [SRC], None, False, True),
    # Only the backups listed: every other account is a source, none receives.
    (SRC, None, [BAK], False, True),
    (BAK, None, [BAK], True, False),
    # A source listed as backup too (copy back): the source list wins on the receiver side.
    (SRC, [SRC], [SRC], False, True),
]


@pytest.mark.parametrize(("account", "sources", "backups", "receiver", "source"), SIDES)
def test_receiver_side(
    account: str | None,
    sources: list[str] | None,
    backups: list[str] | None,
    receiver: bool,
    source: bool,
) -> None:
    res = in_account(account)
    assert checks.receiver_side(res, configured(sources, backups)) is receiver


@pytest.mark.parametrize(("account", "sources", "backups", "receiver", "source"), SIDES)
def test_source_side(
    account: str | None,
    sources: list[str] | None,
    backups: list[str] | None,
    receiver: bool,
    source: bool,
) -> None:
    res = in_account(account)
    assert checks.source_side(res, configured(sources, backups)) is source


def test_a_resource_without_provider_is_on_both_sides() -> None:
    res = Resource(type=VAULT_POLICY, name="r")
    config = configured([SRC], [BAK])
    assert (checks.receiver_side(res, config), checks.source_side(res, config)) == (True, True)


# --- vault_arn_of_policy / vault_arn_of / vault_label --------------------------------------------


def test_vault_arn_of_policy_names_its_vault() -> None:
    res = in_account(BAK, backupVaultName="copies")
    assert (
        checks.vault_arn_of_policy(res)
        == "arn:aws:backup:eu-west-1:222222222222:backup-vault:copies"
    )


def test_vault_arn_of_policy_in_a_china_region_is_of_aws_cn() -> None:
    res = Resource(
        type=VAULT_POLICY,
        name="r",
        props={"backupVaultName": "copies"},
        provider=provider(BAK, "cn-north-1"),
    )
    assert (
        checks.vault_arn_of_policy(res)
        == "arn:aws-cn:backup:cn-north-1:222222222222:backup-vault:copies"
    )


@pytest.mark.parametrize(
    "name", [UNKNOWN, None, 5], ids=["unknown-during-preview", "absent", "not-a-string"]
)
def test_vault_arn_of_policy_without_a_known_name_is_the_glob_of_the_account(name: Any) -> None:
    props = {} if name is None else {"backupVaultName": name}
    res = Resource(type=VAULT_POLICY, name="r", props=props, provider=provider(BAK))
    assert checks.vault_arn_of_policy(res) == "arn:aws:backup:eu-west-1:222222222222:backup-vault:*"


def test_vault_arn_of_policy_without_account_is_any() -> None:
    res = Resource(
        type=VAULT_POLICY, name="r", props={"backupVaultName": "copies"}, provider=provider(None)
    )
    assert checks.vault_arn_of_policy(res) == "*"


def test_vault_arn_of_policy_without_region_is_any() -> None:
    res = Resource(
        type=VAULT_POLICY,
        name="r",
        props={"backupVaultName": "copies"},
        provider=provider(BAK, region=None),
    )
    assert checks.vault_arn_of_policy(res) == "*"


def test_vault_arn_of_names_the_vault() -> None:
    vault = in_account(BAK, VAULT, name="copies")
    assert checks.vault_arn_of(vault) == "arn:aws:backup:eu-west-1:222222222222:backup-vault:copies"


def test_vault_arn_of_a_vault_of_unknown_name_is_the_glob_of_the_account() -> None:
    vault = in_account(BAK, VAULT, name=UNKNOWN)
    assert checks.vault_arn_of(vault) == "arn:aws:backup:eu-west-1:222222222222:backup-vault:*"


def test_vault_arn_of_a_vault_without_account_is_any() -> None:
    vault = Resource(type=VAULT, name="v", props={"name": "copies"}, provider=provider(None))
    assert checks.vault_arn_of(vault) == "*"


def test_vault_arn_of_a_vault_without_region_is_any() -> None:
    vault = Resource(
        type=VAULT, name="v", props={"name": "copies"}, provider=provider(BAK, region=None)
    )
    assert checks.vault_arn_of(vault) == "*"


def test_vault_label_names_policy_and_vault() -> None:
    res = Resource(type=VAULT_POLICY, name="copies-policy", props={"backupVaultName": "copies"})
    assert checks.vault_label(res) == "vault policy `copies-policy` (vault 'copies')"


@pytest.mark.parametrize(
    "props",
    [{"backupVaultName": UNKNOWN}, {}, {"backupVaultName": 5}],
    ids=["unknown-during-preview", "absent", "not-a-string"],
)
def test_vault_label_without_a_known_vault_name_names_the_policy_only(
    props: dict[str, Any],
) -> None:
    res = Resource(type=VAULT_POLICY, name="copies-policy", props=props)
    assert checks.vault_label(res) == "vault policy `copies-policy`"
