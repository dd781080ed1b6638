"""Pins of `backup_guard.values` (issue 16): how the pack reads analyzer values, one behaviour
per test, whole values.

References:
- pulumi/pulumi-policy sdk/python/lib/pulumi_policy/proxy.py and pulumi/pulumi
  sdk/python/lib/pulumi/runtime/rpc.py: the unknown sentinels (one per kind, the string one also
  the generic wire sentinel); numbers arrive as floats, provider inputs JSON-encoded.
- AWS General Reference, "Amazon Resource Names (ARNs)"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): the format
  `arn:partition:service:region:account-id:resource`, partitions `aws`, `aws-cn`, `aws-us-gov`;
  "the ARNs for some resources omit the Region, the account ID, or both".
- botocore data/endpoints.json, "regionRegex" of each partition: `^cn\\-\\w+\\-\\d+$` (aws-cn),
  `^us\\-gov\\-\\w+\\-\\d+$` (aws-us-gov), `^us\\-iso\\-\\w+\\-\\d+$` (aws-iso),
  `^us\\-isob\\-\\w+\\-\\d+$` (aws-iso-b).
- AWS KMS key ARN: `arn:aws:kms:REGION:ACCOUNT:key/KEY-ID` (service authorization reference
  for AWS KMS, resource type `key`).
"""

from __future__ import annotations

import pytest

from backup_guard import values
from backup_guard.values import (
    UNKNOWN,
    UNKNOWN_SENTINELS,
    Arn,
    NotKnownYet,
    Provider,
    Resource,
)

SRC, BAK = "111111111111", "222222222222"
NUMBER_SENTINEL = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"

# ---------------------------------------------------------------------------------------------
# unknowns


def test_not_known_yet_message_names_the_path() -> None:
    assert str(NotKnownYet(["rules", "0", "copyActions"])) == (
        "value at .rules.0.copyActions can't be known during preview"
    )


def test_not_known_yet_keeps_path_and_default_sentinel() -> None:
    e = NotKnownYet(("rules", "0"))
    assert (e.path, e.sentinel) == (["rules", "0"], UNKNOWN)


def test_known_raises_with_the_values_own_sentinel_and_path() -> None:
    with pytest.raises(NotKnownYet) as caught:
        values.known(NUMBER_SENTINEL, ["lifecycle", "deleteAfter"])
    assert (caught.value.path, caught.value.sentinel) == (
        ["lifecycle", "deleteAfter"],
        NUMBER_SENTINEL,
    )


def test_known_returns_a_known_value_as_is() -> None:
    value = {"a": 1}
    assert values.known(value, ["x"]) is value


@pytest.mark.parametrize("sentinel", sorted(UNKNOWN_SENTINELS))
def test_every_sentinel_is_unknown(sentinel: str) -> None:
    assert values.is_unknown(sentinel) is True


@pytest.mark.parametrize("value", ["x", "", None, 5, [UNKNOWN], ("x",)])
def test_other_values_are_known(value: object) -> None:
    assert values.is_unknown(value) is False


# ---------------------------------------------------------------------------------------------
# get, as_number, string_list


def test_get_treats_explicit_null_as_absent() -> None:
    assert values.get({"k": None}, "k", "default") == "default"


def test_get_returns_the_default_when_absent() -> None:
    assert values.get({}, "k", 7) == 7


def test_get_default_default_is_none() -> None:
    assert values.get({}, "k") is None


@pytest.mark.parametrize("falsy", [0, "", False, []])
def test_get_keeps_a_falsy_value(falsy: object) -> None:
    assert values.get({"k": falsy}, "k", "default") == falsy


@pytest.mark.parametrize(
    ("value", "expected"),
    [(35.0, 35.0), (35, 35.0), ("35", 35.0), ("0.5", 0.5), (0, 0.0)],
)
def test_as_number_reads_floats_ints_and_numeric_strings(value: object, expected: float) -> None:
    assert values.as_number(value) == expected


@pytest.mark.parametrize(
    "value", [None, UNKNOWN, NUMBER_SENTINEL, True, False, "thirty", [35], {"n": 1}]
)
def test_as_number_is_none_for_absent_unknown_booleans_and_non_numbers(value: object) -> None:
    assert values.as_number(value) is None


def test_string_list_of_none_is_empty() -> None:
    assert values.string_list(None) == []


def test_string_list_of_unknown_is_none() -> None:
    assert values.string_list(UNKNOWN) is None


def test_string_list_decodes_json_with_surrounding_blanks() -> None:
    assert values.string_list(' \n["111111111111", "222222222222"] ') == [SRC, BAK]


def test_string_list_of_a_plain_string_is_that_string() -> None:
    assert values.string_list(SRC) == [SRC]


def test_string_list_of_broken_json_is_the_string_itself() -> None:
    assert values.string_list('["111111111111"') == ['["111111111111"']


def test_string_list_of_json_with_an_unknown_element_is_none() -> None:
    assert values.string_list(f'["{SRC}", "{UNKNOWN}"]') is None


def test_string_list_of_a_list_with_an_unknown_element_is_none() -> None:
    assert values.string_list([SRC, UNKNOWN, BAK]) is None


def test_string_list_stringifies_elements() -> None:
    assert values.string_list((111111111111, "b")) == [SRC, "b"]


@pytest.mark.parametrize("value", [5, {"a": "b"}, 1.5])
def test_string_list_of_a_non_list_is_none(value: object) -> None:
    assert values.string_list(value) is None


# ---------------------------------------------------------------------------------------------
# ARNs and partitions


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies",
            Arn("aws", "backup", "eu-west-1", BAK, "backup-vault:copies"),
        ),
        (
            f"arn:aws-cn:backup:cn-north-1:{BAK}:backup-vault:copies",
            Arn("aws-cn", "backup", "cn-north-1", BAK, "backup-vault:copies"),
        ),
        (
            f"arn:aws-us-gov:kms:us-gov-west-1:{BAK}:key/1234abcd",
            Arn("aws-us-gov", "kms", "us-gov-west-1", BAK, "key/1234abcd"),
        ),
        (f"arn:aws:iam::{SRC}:root", Arn("aws", "iam", "", SRC, "root")),
        ("arn:aws:s3:::bucket/a:b", Arn("aws", "s3", "", "", "bucket/a:b")),
    ],
)
def test_parse_arn_splits_every_partition(arn: str, expected: Arn) -> None:
    assert values.parse_arn(arn) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        5,
        UNKNOWN,
        "copies",
        f"arn:gcp:backup:eu-west-1:{BAK}:backup-vault:copies",  # not an AWS partition
        "arn:aws:backup:eu-west-1:22222222222:backup-vault:copies",  # 11-digit account
        "arn:aws:backup:eu-west-1:2222222222222:backup-vault:copies",  # 13 digits
        f"arn:aws:Backup:eu-west-1:{BAK}:backup-vault:copies",  # service in upper case
        f"arn:aws:backup:eu-west-1:{BAK}",  # no resource part
        f"xarn:aws:backup:eu-west-1:{BAK}:backup-vault:copies",
        f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies\n",  # matched before the fix
        "arn:aws:backup:eu-west-1:" + "\u0662" * 12 + ":backup-vault:copies",  # Arabic-Indic
    ],
)
def test_parse_arn_refuses_what_is_not_an_arn(value: object) -> None:
    assert values.parse_arn(value) is None


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-gov-east-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert values.partition_of_region(region) == partition


def test_vault_arn_in_the_aws_partition() -> None:
    assert values.vault_arn("eu-west-1", BAK, "copies") == (
        f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies"
    )


def test_vault_arn_partition_from_a_china_region() -> None:
    assert values.vault_arn("cn-north-1", BAK, "copies") == (
        f"arn:aws-cn:backup:cn-north-1:{BAK}:backup-vault:copies"
    )


def test_vault_arn_partition_from_a_govcloud_region() -> None:
    assert values.vault_arn("us-gov-west-1", BAK, "copies") == (
        f"arn:aws-us-gov:backup:us-gov-west-1:{BAK}:backup-vault:copies"
    )


def test_vault_arn_explicit_partition_wins() -> None:
    assert values.vault_arn("eu-west-1", BAK, "copies", partition="aws-us-gov") == (
        f"arn:aws-us-gov:backup:eu-west-1:{BAK}:backup-vault:copies"
    )


# ---------------------------------------------------------------------------------------------
# account ids, providers, key ARNs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SRC, True),
        ("000000000000", True),
        ("11111111111", False),
        ("1111111111111", False),
        ("11111111111a", False),
        (" 111111111111", False),
        ("111111111111\n", False),  # `$` alone matched before the newline (bug, fixed)
        ("\uff11" * 12, False),  # fullwidth digits: `\d` matched them (bug, fixed)
        (111111111111, False),
        (None, False),
    ],
)
def test_is_account_id(value: object, expected: bool) -> None:
    assert values.is_account_id(value) is expected


def bak_provider(**props: object) -> Provider:
    return Provider(type="pulumi:providers:aws", name="bak", urn="urn:bak", props=props)


@pytest.mark.parametrize(
    "ids", [f'["{BAK}"]', [BAK], (BAK,), BAK], ids=["json", "list", "tuple", "string"]
)
def test_provider_account_pinned_to_one_account(ids: object) -> None:
    assert bak_provider(allowedAccountIds=ids).account == BAK


@pytest.mark.parametrize(
    "ids",
    [None, "[]", f'["{SRC}", "{BAK}"]', '["backup"]', UNKNOWN, [UNKNOWN]],
    ids=["absent", "empty", "two", "not-an-id", "unknown", "unknown-element"],
)
def test_provider_account_none_unless_exactly_one_id(ids: object) -> None:
    assert bak_provider(allowedAccountIds=ids).account is None


def test_provider_region_known() -> None:
    assert bak_provider(region="eu-west-1").region == "eu-west-1"


@pytest.mark.parametrize("region", [None, UNKNOWN, 5])
def test_provider_region_none_when_absent_unknown_or_not_a_string(region: object) -> None:
    assert bak_provider(region=region).region is None


def test_resource_without_provider_has_no_account_nor_region() -> None:
    r = Resource(type="aws:kms/key:Key", name="k")
    assert (r.account, r.region) == (None, None)


def test_resource_takes_account_and_region_of_its_provider() -> None:
    r = Resource(
        type="aws:kms/key:Key",
        name="k",
        provider=bak_provider(allowedAccountIds=[BAK], region="eu-west-1"),
    )
    assert (r.account, r.region) == (BAK, "eu-west-1")


def key(props: dict[str, object], **provider: object) -> Resource:
    return Resource(
        type="aws:kms/key:Key",
        name="k",
        props=props,
        provider=bak_provider(**provider) if provider else None,
    )


def test_key_arn_is_its_known_arn() -> None:
    arn = f"arn:aws:kms:eu-west-1:{BAK}:key/1234abcd"
    assert values.key_arn(key({"arn": arn}, allowedAccountIds=[SRC], region="us-east-1")) == arn


@pytest.mark.parametrize("arn", [None, UNKNOWN, "1234abcd", 5])
def test_key_arn_unknown_is_the_glob_of_its_provider(arn: object) -> None:
    assert values.key_arn(key({"arn": arn}, allowedAccountIds=[BAK], region="eu-west-1")) == (
        f"arn:aws:kms:eu-west-1:{BAK}:key/*"
    )


def test_key_arn_glob_in_the_china_partition() -> None:
    assert values.key_arn(key({}, allowedAccountIds=[BAK], region="cn-north-1")) == (
        f"arn:aws-cn:kms:cn-north-1:{BAK}:key/*"
    )


def test_key_arn_glob_in_govcloud() -> None:
    assert values.key_arn(key({}, allowedAccountIds=[BAK], region="us-gov-west-1")) == (
        f"arn:aws-us-gov:kms:us-gov-west-1:{BAK}:key/*"
    )


@pytest.mark.parametrize(
    "provider",
    [{}, {"region": "eu-west-1"}, {"allowedAccountIds": [BAK]}],
    ids=["no-provider", "no-account", "no-region"],
)
def test_key_arn_is_any_without_account_and_region(provider: dict[str, object]) -> None:
    assert values.key_arn(key({}, **provider)) == "*"
