"""Pins of the cross-account grant rules of `backup_guard.rules` (issue 16): how
`vault_policy_grants_source`, `vault_key_policy_grants_source` and
`source_key_policy_grants_backup` report (one message per account, sorted; every missing
action named; reasons once each), the request context they judge with, and the policy-shape
rules' whole messages.

References:
- AWS KMS developer guide, "AWS KMS condition keys", `kms:GrantIsForAWSResource`
  (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource):
  "only the CreateGrant, ListGrants, and RevokeGrant operations" carry the key, so it is absent
  from every other request.
- AWS Backup developer guide, "Encryption for backups in AWS Backup", copies across accounts
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption) and
  AWS-FACTS.md "Keys": the destination key must let the source account Encrypt, Decrypt,
  ReEncrypt*, GenerateDataKey*, DescribeKey; the source vault key must let the backup account
  DescribeKey, Decrypt, ReEncrypt*, GenerateDataKey*, CreateGrant.
- AWS Backup "Vault access policies"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html):
  a cross-account copy needs `backup:CopyIntoBackupVault`; wildcard actions are rejected.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backup_guard import rules
from backup_guard.values import UNKNOWN, NotKnownYet
from rule_tables import BAK, COPY, OTHER, SRC, allow, doc

KEY_ARN = f"arn:aws:kms:eu-west-1:{BAK}:key/1234abcd"


def test_the_seven_destination_key_actions() -> None:
    assert list(rules.DESTINATION_KEY_ACTIONS) == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
    ]


@pytest.mark.parametrize("dropped", list(rules.DESTINATION_KEY_ACTIONS))
def test_each_destination_key_action_is_required(dropped: str) -> None:
    kept = [a for a in rules.DESTINATION_KEY_ACTIONS if a != dropped]
    assert rules.vault_key_policy_grants_source(
        doc(allow(SRC, kept)), subject="key K", source_accounts=[SRC], key_arn=KEY_ARN
    ) == [f"key K does not let {SRC} {dropped}: no statement allows {dropped} to {SRC}"]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("kms:CreateGrant", "true"),
        ("kms:ListGrants", "true"),
        ("kms:RevokeGrant", "true"),
        ("KMS:createGRANT", "true"),
        ("kms:Decrypt", None),
        ("kms:RetireGrant", None),
    ],
)
def test_kms_context_grant_is_for_aws_resource_only_on_grant_operations(
    action: str, expected: str | None
) -> None:
    assert rules.kms_context(action) == {
        "aws:SecureTransport": "true",
        "kms:GrantIsForAWSResource": expected,
    }


def test_grant_condition_on_a_non_grant_action_is_not_met() -> None:
    # The key is absent from a Decrypt request: an Allow conditioned on it grants nothing there.
    st = allow(
        BAK,
        list(rules.SOURCE_KEY_ACTIONS),
        sid="OnlyForResources",
        Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}},
    )
    msgs = rules.source_key_policy_grants_backup(
        doc(st), subject="key K", backup_accounts=[BAK], key_arn=KEY_ARN
    )
    names = rules.SOURCE_KEY_ACTIONS[:-1]
    assert msgs == [
        f"key K does not let {BAK} {', '.join(names)}: "
        + "; ".join(f"no statement allows {a} to {BAK}" for a in names)
    ]


def test_one_message_per_account_sorted_and_once_each() -> None:
    assert rules.vault_policy_grants_source(
        doc(allow(BAK)), subject="vault policy V", source_accounts=[SRC, OTHER, SRC]
    ) == [
        f"vault policy V does not let {SRC} {COPY}: no statement allows {COPY} to {SRC}",
        f"vault policy V does not let {OTHER} {COPY}: no statement allows {COPY} to {OTHER}",
    ]


def test_every_missing_action_named_and_each_reason_once() -> None:
    deny = {
        "Sid": "NoKeyUse",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["kms:Decrypt", "kms:Encrypt"],
        "Resource": "*",
    }
    assert rules.vault_key_policy_grants_source(
        doc(allow(SRC, ["kms:Describe*"]), deny),
        subject="key K",
        source_accounts=[SRC],
        key_arn=KEY_ARN,
    ) == [
        f"key K does not let {SRC} kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, "
        f"kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext: statement 'NoKeyUse' denies "
        f"kms:Encrypt to {SRC}; statement 'NoKeyUse' denies kms:Decrypt to {SRC}; no statement "
        f"allows kms:ReEncryptFrom to {SRC}; no statement allows kms:ReEncryptTo to {SRC}; no "
        f"statement allows kms:GenerateDataKey to {SRC}; no statement allows "
        f"kms:GenerateDataKeyWithoutPlaintext to {SRC}"
    ]


def test_a_grant_that_depends_on_the_request_is_not_proof() -> None:
    st = allow(SRC, sid="FromVpce", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})
    msgs = rules.vault_policy_grants_source(doc(st), subject="V", source_accounts=[SRC])
    assert msgs == [
        f"V does not let {SRC} {COPY}: statement 'FromVpce' allows {COPY} to {SRC} only under a "
        "condition: its condition on aws:SourceVpce depends on the request (not proof)"
    ]


def test_a_deny_is_no_question_of_the_request_and_says_no_more() -> None:
    deny = {"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": COPY, "Resource": "*"}
    assert rules.vault_policy_grants_source(
        doc(allow(SRC), deny), subject="V", source_accounts=[SRC]
    ) == [f"V does not let {SRC} {COPY}: statement 'D' denies {COPY} to {SRC}"]


def test_vault_policy_judges_the_request_over_tls() -> None:
    st = allow(SRC, sid="TlsOnly", Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert rules.vault_policy_grants_source(doc(st), subject="V", source_accounts=[SRC]) == []


def test_key_policy_judges_the_request_over_tls() -> None:
    st = allow(
        SRC,
        list(rules.DESTINATION_KEY_ACTIONS),
        Condition={"Bool": {"aws:SecureTransport": "true"}},
    )
    assert (
        rules.vault_key_policy_grants_source(
            doc(st), subject="K", source_accounts=[SRC], key_arn=KEY_ARN
        )
        == []
    )


def test_source_key_policy_judges_the_request_over_tls() -> None:
    st = allow(
        BAK, list(rules.SOURCE_KEY_ACTIONS), Condition={"Bool": {"aws:SecureTransport": "true"}}
    )
    assert (
        rules.source_key_policy_grants_backup(
            doc(st), subject="K", backup_accounts=[BAK], key_arn=KEY_ARN
        )
        == []
    )


def test_vault_policy_names_its_own_vault_only() -> None:
    vault = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies"
    st = allow(SRC, Resource=f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:*")
    assert (
        rules.vault_policy_grants_source(
            doc(st), subject="V", source_accounts=[SRC], vault_arn=vault
        )
        == []
    )


@pytest.mark.parametrize("policy", [None, ""])
def test_no_policy_document_whole_message(policy: Any) -> None:
    props = {"policy": policy} if policy is not None else {}
    assert rules.vault_policy_grants_source(props, subject="V", source_accounts=[SRC]) == [
        "V has no policy document"
    ]


def test_unknown_key_policy_raises_not_known_yet_at_policy() -> None:
    with pytest.raises(NotKnownYet) as caught:
        rules.source_key_policy_grants_backup(
            {"policy": UNKNOWN}, subject="K", backup_accounts=[BAK]
        )
    assert caught.value.path == ["policy"]


def test_policy_that_is_not_json_whole_message() -> None:
    msgs = rules.vault_policy_grants_source({"policy": "{oops"}, subject="V", source_accounts=[SRC])
    assert msgs == [
        "V is not a valid policy: policy is not valid JSON: Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1)"
    ]


def test_no_account_to_check_is_no_message() -> None:
    assert rules.vault_policy_grants_source(doc(allow(BAK)), subject="V", source_accounts=[]) == []


# ---------------------------------------------------------------------------------------------
# policy shapes


def test_no_wildcard_principal_lists_every_open_statement() -> None:
    open1 = {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": COPY, "Resource": "*"}
    open2 = {**open1, "Sid": "B", "Principal": {"AWS": "*"}}
    assert rules.no_wildcard_principal(doc(open1, allow(SRC), open2), subject="V") == [
        f"V: statement '{sid}' lets any principal in without an account or organization "
        "condition (aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount)"
        for sid in ("A", "B")
    ]


def test_no_wildcard_principal_of_no_policy() -> None:
    assert rules.no_wildcard_principal({"policy": ""}, subject="V") == ["V has no policy document"]


def test_wildcard_actions_whole_message() -> None:
    st = allow(SRC, ["backup:Copy*", COPY], sid="Wild")
    assert rules.vault_policy_no_wildcard_actions(doc(st), subject="V") == [
        "V: statement 'Wild' uses the wildcard action 'backup:Copy*'; AWS Backup vault policies "
        "need explicit actions such as backup:CopyIntoBackupVault"
    ]


def test_wildcard_actions_of_no_policy() -> None:
    assert rules.vault_policy_no_wildcard_actions({}, subject="V") == ["V has no policy document"]


def test_wildcard_actions_of_an_invalid_policy() -> None:
    msgs = rules.vault_policy_no_wildcard_actions({"policy": json.dumps([])}, subject="V")
    assert msgs == [
        "V is not a valid policy: policy must be a JSON object with a Statement, got list"
    ]


# ---------------------------------------------------------------------------------------------
# the resource judged: a policy is its vault's / key's own (AWS KMS "Key policies": "In a key
# policy, the value of the Resource element is "*", which means this KMS key"; a vault access
# policy likewise governs only its vault), and the ARN is optional


VAULT_ARN = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies"
KEY_SHAPE = f"arn:aws:kms:eu-west-1:{BAK}:key/*"


def test_vault_policy_without_its_vault_arn_takes_a_named_vault_as_its_own() -> None:
    st = allow(SRC, Resource=VAULT_ARN)
    assert rules.vault_policy_grants_source(doc(st), subject="V", source_accounts=[SRC]) == []


def test_destination_key_policy_without_its_arn_takes_a_named_key_as_its_own() -> None:
    st = allow(SRC, list(rules.DESTINATION_KEY_ACTIONS), Resource=KEY_ARN)
    assert rules.vault_key_policy_grants_source(doc(st), subject="K", source_accounts=[SRC]) == []


def test_source_key_policy_without_its_arn_takes_a_named_key_as_its_own() -> None:
    st = allow(BAK, list(rules.SOURCE_KEY_ACTIONS), Resource=KEY_ARN)
    assert rules.source_key_policy_grants_backup(doc(st), subject="K", backup_accounts=[BAK]) == []


def test_source_key_policy_naming_its_key_passes_while_the_arn_is_a_shape() -> None:
    # Preview: the key's ARN is only known as `key/*` of its account; the policy is the key's
    # own, so a Resource that may name the key does.
    st = allow(BAK, list(rules.SOURCE_KEY_ACTIONS), Resource=KEY_ARN)
    assert (
        rules.source_key_policy_grants_backup(
            doc(st), subject="K", backup_accounts=[BAK], key_arn=KEY_SHAPE
        )
        == []
    )


def test_source_key_policy_naming_another_key_grants_nothing() -> None:
    st = allow(BAK, list(rules.SOURCE_KEY_ACTIONS), Resource=f"{KEY_ARN}0")
    names = rules.SOURCE_KEY_ACTIONS
    assert rules.source_key_policy_grants_backup(
        doc(st), subject="K", backup_accounts=[BAK], key_arn=KEY_ARN
    ) == [
        f"K does not let {BAK} {', '.join(names)}: "
        + "; ".join(f"no statement allows {a} to {BAK}" for a in names)
    ]


# ---------------------------------------------------------------------------------------------
# the organization (pack config organizationId) reaches the key checks too

ORG = {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}


def test_destination_key_org_condition_is_proof_with_org_id() -> None:
    st = allow(SRC, list(rules.DESTINATION_KEY_ACTIONS), Condition=ORG)
    assert (
        rules.vault_key_policy_grants_source(
            doc(st), subject="K", source_accounts=[SRC], key_arn=KEY_ARN, org_id="o-abcdefghij"
        )
        == []
    )


def test_source_key_org_condition_is_proof_with_org_id() -> None:
    st = allow(BAK, list(rules.SOURCE_KEY_ACTIONS), Condition=ORG)
    assert (
        rules.source_key_policy_grants_backup(
            doc(st), subject="K", backup_accounts=[BAK], key_arn=KEY_ARN, org_id="o-abcdefghij"
        )
        == []
    )


def test_source_key_org_condition_of_another_org_is_not_met() -> None:
    st = allow(BAK, ["kms:DescribeKey"], sid="Org", Condition=ORG)
    msgs = rules.source_key_policy_grants_backup(
        doc(st), subject="K", backup_accounts=[BAK], key_arn=KEY_ARN, org_id="o-zzzzzzzzzz"
    )
    assert msgs[0].startswith(f"K does not let {BAK} kms:DescribeKey, kms:Decrypt, ")
