"""Pins of `parse_account` (components/settings/accounts.py), Pulumi-free (issue 16): whole
settings, missing fields as whole messages, regions and partitions.

References:
- [arn] IAM identifiers: role ARNs `arn:<partition>:iam::<account>:role/<path><name>`, the
  partitions aws, aws-cn, aws-us-gov:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
- [regions] AWS regions and their partitions (cn-north-1 in aws-cn, us-gov-west-1 in aws-us-gov):
  https://docs.aws.amazon.com/general/latest/gr/rande.html
- [sso] IAM Identity Center: roles of permission sets live under the path
  /aws-reserved/sso.amazonaws.com/ and are recreated when the permission set is re-provisioned:
  https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html
"""

from __future__ import annotations

from typing import Any

import pytest
from config_messages import expected

from components.config import _MISSING, AccountSettings, ConfigError, parse_account

ROLE = "arn:aws:iam::111111111111:role/backup-deployer"
ACCOUNT = {"accountId": "111111111111", "roleArn": ROLE, "region": "eu-west-1"}


def refusal(value: Any, **options: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_account("backupAccount", value, **options)
    return str(caught.value)


def test_account_with_every_key() -> None:
    raw = {
        **ACCOUNT,
        "roleArn": "arn:aws:iam::111111111111:role/ops/backup/deployer.v2",
        "externalId": "ext-id:1/2",
        "sessionName": "nightly@ops",
        "createServiceLinkedRole": False,
    }
    assert parse_account("backupAccount", raw, service_linked_role=True) == AccountSettings(
        account_id="111111111111",
        role_arn="arn:aws:iam::111111111111:role/ops/backup/deployer.v2",
        region="eu-west-1",
        external_id="ext-id:1/2",
        session_name="nightly@ops",
        create_service_linked_role=False,
    )


def test_null_external_id_is_none() -> None:
    account = parse_account("backupAccount", {**ACCOUNT, "externalId": None})
    assert account is not None and account.external_id is None


def test_optional_account_absent_is_none() -> None:
    assert parse_account("managementAccount", None, required=False) is None


def test_required_account_null_is_missing() -> None:
    assert refusal(None) == expected(
        "backupAccount",
        _MISSING,
        "required: an object {accountId, roleArn, region[, externalId, sessionName]}",
    )


@pytest.mark.parametrize(
    ("field", "remedy"),
    [
        ("accountId", 'must be 12 digits, e.g. "111111111111"'),
        ("region", "must be an AWS region code such as eu-west-1 or us-east-1"),
    ],
)
def test_missing_field_is_named(field: str, remedy: str) -> None:
    raw = {k: v for k, v in ACCOUNT.items() if k != field}
    assert refusal(raw) == expected(f"backupAccount.{field}", _MISSING, remedy)


def test_missing_role_names_the_account_in_its_example() -> None:
    raw = {"accountId": "333333333333", "region": "eu-west-1"}
    assert refusal(raw) == expected(
        "backupAccount.roleArn",
        _MISSING,
        "must be an IAM role ARN like arn:aws:iam::333333333333:role/backup-deployer",
    )


def test_boolean_account_id_is_not_a_number_either() -> None:
    assert refusal({**ACCOUNT, "accountId": True}) == expected(
        "backupAccount.accountId", True, 'must be 12 digits, e.g. "111111111111"'
    )


@pytest.mark.parametrize(
    "region",
    ["us-east-1", "ap-southeast-2", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1"],
)
def test_regions_of_the_aws_shapes(region: str) -> None:
    raw = {**ACCOUNT, "region": region}
    if region.startswith("us-gov-"):
        raw["roleArn"] = ROLE.replace("arn:aws:", "arn:aws-us-gov:")
    account = parse_account("backupAccount", raw)
    assert account is not None and account.region == region


@pytest.mark.parametrize("region", ["EU-WEST-1", "eu-west", "euwest-1", "eu-west-12", "e-west-1"])
def test_region_outside_the_shape(region: str) -> None:
    assert refusal({**ACCOUNT, "region": region}) == expected(
        "backupAccount.region", region, "must be an AWS region code such as eu-west-1 or us-east-1"
    )


@pytest.mark.parametrize(
    ("partition", "region"),
    [("aws", "eu-west-1"), ("aws-cn", "cn-northwest-1"), ("aws-us-gov", "us-gov-east-1")],
)
def test_partition_of_the_role(partition: str, region: str) -> None:
    raw = {
        "accountId": "111111111111",
        "roleArn": f"arn:{partition}:iam::111111111111:role/r",
        "region": region,
    }
    account = parse_account("backupAccount", raw)
    assert account is not None and account.partition == partition


def test_partition_of_a_hand_built_account_without_a_role_arn_is_aws() -> None:
    account = AccountSettings(account_id="111111111111", role_arn="", region="eu-west-1")
    assert account.partition == "aws"


def test_aws_reserved_role_in_another_partition_suggests_that_partition() -> None:
    role = "arn:aws-cn:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x"
    raw = {"accountId": "111111111111", "roleArn": role, "region": "cn-north-1"}
    assert refusal(raw, deny_exception=True) == expected(
        "backupAccount.roleArn",
        role,
        "a role under aws-reserved/ belongs to IAM Identity Center: it is deleted and recreated "
        "with a new name when its permission set is re-provisioned, and the vault and key "
        "policies would then lock everyone out of PutKeyPolicy for ever; use a role the account "
        "owns, e.g. arn:aws-cn:iam::111111111111:role/backup-deployer",
    )


@pytest.mark.parametrize("path", ["team/aws-reserved/", "aws-reserved-x/", "AWS-Reserved/"])
def test_only_the_reserved_path_itself_is_refused(path: str) -> None:
    # [sso] the permission sets' roles are under /aws-reserved/ at the root of the path.
    role = f"arn:aws:iam::111111111111:role/{path}deployer"
    account = parse_account("backupAccount", {**ACCOUNT, "roleArn": role}, deny_exception=True)
    assert account is not None and account.role_arn == role


def test_reserved_path_is_accepted_where_no_deny_depends_on_it() -> None:
    role = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x"
    account = parse_account("sourceAccount", {**ACCOUNT, "roleArn": role})
    assert account is not None and account.role_arn == role


def test_extra_keys_are_allowed_only_where_asked() -> None:
    account = parse_account("backupAccount", {**ACCOUNT, "vault": {}}, extra_keys=("vault",))
    assert account is not None
    assert refusal({**ACCOUNT, "vault": {}}) == expected(
        "backupAccount.vault",
        {},
        "unknown key; valid keys: accountId, roleArn, region, externalId, sessionName",
    )
