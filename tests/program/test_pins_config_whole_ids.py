"""Ids matched whole, in ASCII digits (issue 16): a `$`-anchored pattern applied with `match`
also matches before a trailing newline (Python `re`: "`$` matches at the end of the string or
just before the newline at the end"), and `\\d` takes any Unicode decimal digit, so
"111111111111\\n" (a YAML block scalar) and twelve fullwidth digits (U+FF11) passed as account
ids. The ARNs AWS builds from them would name no account: each is refused, naming key, value and
remedy.

AWS account ids are 12 ASCII digits (AWS Account Management reference, "View AWS account
identifiers"); organization ids are "o-" and 10-32 lowercase letters or digits, and entity paths
o-.../r-.../ou-... (AWS Organizations API, Organization.Id pattern ^o-[a-z0-9]{10,32}$; IAM user
guide, aws:PrincipalOrgPaths).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_account
from components.recovery_config import parse_backup_vault
from components.sources_config import parse_organization

NS = "cross-account-backup"
ORG = "o-exampleorgid"
PATH = "o-exampleorgid/r-ab12/ou-ab12-11111111"
FULLWIDTH = "\uff11" * 12  # FULLWIDTH DIGIT ONE x 12: a Unicode digit, not ASCII


def refused(parse: Any, value: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(value)
    return str(caught.value)


@pytest.mark.parametrize("account_id", ["111111111111\n", FULLWIDTH])
def test_account_id_with_a_newline_or_non_ascii_digits_is_refused(account_id: str) -> None:
    value = {
        "accountId": account_id,
        "roleArn": "arn:aws:iam::111111111111:role/backup-deployer",
        "region": "eu-west-1",
    }
    assert refused(lambda v: parse_account("backupAccount", v), value) == (
        f"invalid config {NS}:backupAccount.accountId = {account_id!r}: "
        'must be 12 digits, e.g. "111111111111"'
    )


def air_gapped(share: Any) -> dict[str, Any]:
    return {
        "type": "logicallyAirGapped",
        "minRetentionDays": 7,
        "maxRetentionDays": 35,
        "shareWith": share,
    }


@pytest.mark.parametrize("account_id", ["333333333333\n", FULLWIDTH])
def test_share_with_an_id_with_a_newline_or_non_ascii_digits_is_refused(account_id: str) -> None:
    assert refused(parse_backup_vault, air_gapped([account_id])) == (
        f"invalid config {NS}:backupAccount.vault.shareWith = {[account_id]!r}: "
        'must be a list of quoted 12-digit account ids, e.g. ["333333333333"]'
    )


def test_share_with_plain_ids_is_accepted() -> None:
    assert parse_backup_vault(air_gapped(["333333333333"])).share_with == ("333333333333",)


def test_organization_id_with_a_newline_is_refused() -> None:
    assert refused(parse_organization, {"id": ORG + "\n"}) == (
        f"invalid config {NS}:organization.id = {ORG + chr(10)!r}: must be an AWS Organizations "
        "id: o- and 10-32 lowercase letters or digits, e.g. o-exampleorgid"
    )


def test_organization_path_with_a_newline_is_refused() -> None:
    assert refused(parse_organization, {"id": ORG, "paths": [PATH + "\n"]}) == (
        f"invalid config {NS}:organization.paths[0] = {PATH + chr(10)!r}: must be an "
        f"organization path {ORG}/r-<root>[/ou-<root>-<ou>...], e.g. "
        f"{ORG}/r-ab12/ou-ab12-11111111 (no wildcards: every account below it is matched)"
    )


def test_organization_path_with_its_trailing_slash_is_accepted() -> None:
    assert parse_organization({"id": ORG, "paths": [PATH + "/"]}).paths == (PATH,)
