"""Key and vault policies as IAM and AWS Backup decide them, through the pack's rules: the review
findings (each case passed a broken policy before its fix), the deploy-role guards the program
adds, conditions the evaluator decides, and a policy's own resource."""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard import rules, topology
from backup_guard.values import (
    UNKNOWN,
    Provider,
    Resource,
    key_arn,
)
from rule_tables import (
    BAK,
    COPY,
    DEPLOY_ROLE,
    DEST,
    DEST_KEY_ACTIONS,
    KEY_ARN,
    KEY_SHAPE,
    KEY_USE,
    SRC,
    allow,
    doc,
)

# ---------------------------------------------------------------------------------------------
# Review findings: each case failed (passed a broken policy) before the fix


def deny(sid: str, actions: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": "*",
        **extra,
    }


GRANT_ONLY = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
DEPLOY_ROLE_ONLY = {"StringNotLike": {"aws:PrincipalArn": DEPLOY_ROLE}}
# What components/documents.py adds to the backup vault key and vault policies.
KEY_DESTRUCTION_GUARD = deny(
    "DenyKeyDestructionExceptDeployRole",
    ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"],
    Condition=DEPLOY_ROLE_ONLY,
)
VAULT_POLICY_GUARD = deny(
    "DenyPolicyAndLockChangesExceptDeployRole",
    [
        "backup:PutBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultLockConfiguration",
    ],
    Condition=DEPLOY_ROLE_ONLY,
)

# (id, key policy statements, key_arn, expected messages)
KEY_POLICY_CASES: list[tuple[str, list[dict[str, Any]], str, list[str]]] = [
    (
        "use-only-for-aws-resource-grants",  # the key is absent outside the grant operations
        [allow(SRC, KEY_USE, Condition=GRANT_ONLY)],
        KEY_SHAPE,
        [
            f"key policy of `k` does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
            + "; ".join(f"no statement allows {a} to {SRC}" for a in DEST_KEY_ACTIONS)
        ],
    ),
    (
        "deny-direct-decrypt-with-null",
        [
            allow(SRC, KEY_USE),
            deny("NoDirectDecrypt", "kms:Decrypt", Condition={"Null": GRANT_ONLY["Bool"]}),
        ],
        KEY_SHAPE,
        [
            f"key policy of `k` does not let {SRC} kms:Decrypt: statement 'NoDirectDecrypt' "
            f"denies kms:Decrypt to {SRC}"
        ],
    ),
    (
        "deny-outside-via-service-may-apply",
        [
            allow(SRC, KEY_USE),
            deny(
                "OnlyViaBackup",
                "kms:Encrypt",
                Condition={"StringNotLike": {"kms:ViaService": "backup.*.amazonaws.com"}},
            ),
        ],
        KEY_SHAPE,
        [
            f"key policy of `k` does not let {SRC} kms:Encrypt: statement 'OnlyViaBackup' may "
            f"deny kms:Encrypt to {SRC}: its condition on kms:ViaService depends on the request "
            "(not proof)"
        ],
    ),
    # AWS KMS "Key policies": a key policy governs only its own key, so during preview (the
    # key's ARN unknown) a Resource that may be its ARN is its ARN.
    (
        "resource-own-key-arn-during-preview",
        [allow(SRC, KEY_USE, Resource=f"arn:aws:kms:eu-west-1:{BAK}:key/other")],
        KEY_SHAPE,
        [],
    ),
    (
        "resource-another-key-once-deployed",
        [allow(SRC, KEY_USE, Resource=f"arn:aws:kms:eu-west-1:{BAK}:key/other")],
        f"arn:aws:kms:eu-west-1:{BAK}:key/1234abcd",
        [
            f"key policy of `k` does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
            + "; ".join(f"no statement allows {a} to {SRC}" for a in DEST_KEY_ACTIONS)
        ],
    ),
    (
        "resource-key-of-another-account",
        [allow(SRC, KEY_USE, Resource=f"arn:aws:kms:eu-west-1:{SRC}:key/other")],
        KEY_SHAPE,
        [
            f"key policy of `k` does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
            + "; ".join(f"no statement allows {a} to {SRC}" for a in DEST_KEY_ACTIONS)
        ],
    ),
    (
        "not-resource-every-key-of-the-account",
        [
            {
                **{k: v for k, v in allow(SRC, KEY_USE).items() if k != "Resource"},
                "NotResource": f"arn:aws:kms:*:{BAK}:key/*",
            }
        ],
        KEY_SHAPE,
        [
            f"key policy of `k` does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
            + "; ".join(f"no statement allows {a} to {SRC}" for a in DEST_KEY_ACTIONS)
        ],
    ),
    (
        "known-arn-another-key",
        [allow(SRC, KEY_USE, Resource=KEY_ARN + "x")],
        KEY_ARN,
        [
            f"key policy of `k` does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
            + "; ".join(f"no statement allows {a} to {SRC}" for a in DEST_KEY_ACTIONS)
        ],
    ),
    (
        "principal-in-another-partition",
        [
            {
                **allow(SRC, KEY_USE),
                "Principal": {"AWS": f"arn:aws-cn:iam::{SRC}:root"},
            }
        ],
        KEY_SHAPE,
        [
            f"key policy of `k` does not let {SRC} {', '.join(DEST_KEY_ACTIONS)}: "
            + "; ".join(f"no statement allows {a} to {SRC}" for a in DEST_KEY_ACTIONS)
        ],
    ),
    ("known-arn-matches", [allow(SRC, KEY_USE, Resource=KEY_ARN)], KEY_ARN, []),
    (
        "account-glob-covers-the-shape",
        [allow(SRC, KEY_USE, Resource=f"arn:aws:kms:*:{BAK}:key/*")],
        KEY_SHAPE,
        [],
    ),
    (
        "destruction-guard-does-not-touch-use",
        [allow(SRC, KEY_USE), KEY_DESTRUCTION_GUARD],
        KEY_SHAPE,
        [],
    ),
    (
        "secure-transport-deny-is-known-false",
        [
            allow(SRC, KEY_USE),
            deny("DenyInsecure", "kms:*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
        ],
        KEY_SHAPE,
        [],
    ),
]


@pytest.mark.parametrize(
    ("statements", "key_arn", "expected"),
    [c[1:] for c in KEY_POLICY_CASES],
    ids=[c[0] for c in KEY_POLICY_CASES],
)
def test_destination_key_policy_as_iam_decides(
    statements: list[dict[str, Any]], key_arn: str, expected: list[str]
) -> None:
    msgs = rules.vault_key_policy_grants_source(
        doc(*statements), subject="key policy of `k`", source_accounts=[SRC], key_arn=key_arn
    )
    assert msgs == expected


def test_grant_operations_see_grant_is_for_aws_resource_true() -> None:
    grants = allow(BAK, ["kms:CreateGrant"], sid="Grants", Condition=GRANT_ONLY)
    only_direct = allow(
        BAK, ["kms:CreateGrant"], sid="Grants", Condition={"Null": GRANT_ONLY["Bool"]}
    )
    ok = rules.source_key_policy_grants_backup(
        doc(allow(BAK, KEY_USE), grants), subject="s", backup_accounts=[BAK], key_arn=KEY_SHAPE
    )
    bad = rules.source_key_policy_grants_backup(
        doc(allow(BAK, KEY_USE), only_direct), subject="s", backup_accounts=[BAK], key_arn=KEY_SHAPE
    )
    assert ok == []
    assert bad == [
        f"s does not let {BAK} kms:CreateGrant: no statement allows kms:CreateGrant to {BAK}"
    ]


WILDCARD_NOTE = (
    "which doesn't count: AWS Backup vault access policies don't support a wildcard in the "
    "Action key (nor NotAction), so AWS rejects the policy"
)

# (id, vault policy statements, expected messages)
VAULT_POLICY_CASES: list[tuple[str, list[dict[str, Any]], list[str]]] = [
    (
        "service-wildcard-does-not-count",
        [allow(SRC, "backup:*", sid="Star")],
        [
            f"vault policy of `v` does not let {SRC} {COPY}: no statement allows {COPY} to "
            f"{SRC}: statement 'Star' covers {COPY} only through the wildcard action "
            f"'backup:*', {WILDCARD_NOTE}"
        ],
    ),
    (
        "not-action-does-not-count",
        [
            {
                "Sid": "NotA",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
                "NotAction": "backup:DeleteRecoveryPoint",
                "Resource": "*",
            }
        ],
        [
            f"vault policy of `v` does not let {SRC} {COPY}: no statement allows {COPY} to "
            f"{SRC}: statement 'NotA' covers {COPY} only through NotAction "
            f"'backup:DeleteRecoveryPoint', {WILDCARD_NOTE}"
        ],
    ),
    ("literal-any-case-counts", [allow(SRC, "Backup:copyIntoBackupVault")], []),
    (
        "literal-next-to-a-wildcard-counts",
        [allow(SRC, ["backup:Describe*", COPY])],
        [],
    ),
    (
        "standard-secure-transport-deny",  # AWS Backup calls over TLS
        [
            allow(SRC),
            deny("DenyInsecure", "backup:*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
        ],
        [],
    ),
    ("deploy-role-guard", [allow(SRC), VAULT_POLICY_GUARD], []),
    (
        "kms-key-in-a-vault-condition-is-absent",
        [allow(SRC, Condition={"StringEquals": {"kms:CallerAccount": SRC}})],
        [f"vault policy of `v` does not let {SRC} {COPY}: no statement allows {COPY} to {SRC}"],
    ),
    (
        "deploy-role-guard-on-copy-denies-the-source",
        [allow(SRC), deny("Guard", COPY, Condition=DEPLOY_ROLE_ONLY)],
        [
            # IAM "Global condition context keys", aws:PrincipalArn: no principal of SRC has
            # the backup account's deploy-role ARN, so StringNotLike holds for all of them.
            f"vault policy of `v` does not let {SRC} {COPY}: statement 'Guard' denies {COPY} "
            f"to {SRC}"
        ],
    ),
]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [c[1:] for c in VAULT_POLICY_CASES],
    ids=[c[0] for c in VAULT_POLICY_CASES],
)
def test_vault_policy_as_aws_backup_decides(
    statements: list[dict[str, Any]], expected: list[str]
) -> None:
    msgs = rules.vault_policy_grants_source(
        doc(*statements), subject="vault policy of `v`", source_accounts=[SRC], vault_arn=DEST
    )
    assert msgs == expected


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([KEY_DESTRUCTION_GUARD], []),
        ([VAULT_POLICY_GUARD], []),
        (
            [
                {
                    "Sid": "AnyOrgMember",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": COPY,
                    "Resource": "*",
                    "Condition": {
                        "ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}
                    },
                }
            ],
            [
                "p: statement 'AnyOrgMember' lets any principal in without an account or "
                "organization condition (aws:PrincipalAccount, aws:PrincipalOrgID, "
                "kms:CallerAccount)"
            ],
        ),
    ],
    ids=["deny-key-guard", "deny-vault-guard", "for-all-values-org"],
)
def test_no_wildcard_principal_judges_allows_only(
    statements: list[dict[str, Any]], expected: list[str]
) -> None:
    assert rules.no_wildcard_principal(doc(*statements), subject="p") == expected


def test_bare_string_principal_is_not_a_policy() -> None:
    msgs = rules.vault_policy_grants_source(
        doc({"Sid": "Bare", "Effect": "Allow", "Principal": SRC, "Action": COPY, "Resource": "*"}),
        subject="vault policy of `v`",
        source_accounts=[SRC],
    )
    assert msgs == [
        "vault policy of `v` is not a valid policy: statement 'Bare'.Principal: a bare string "
        f"principal must be \"*\", got '{SRC}' (IAM rejects it as MalformedPolicyDocument); "
        f'write {{"AWS": "{SRC}"}}'
    ]


@pytest.mark.parametrize(
    ("props", "provider", "expected"),
    [
        ({}, {"allowedAccountIds": f'["{BAK}"]', "region": "eu-west-1"}, KEY_SHAPE),
        (
            {},
            {"allowedAccountIds": f'["{BAK}"]', "region": "cn-north-1"},
            f"arn:aws-cn:kms:cn-north-1:{BAK}:key/*",
        ),
        ({"arn": KEY_ARN}, {"allowedAccountIds": f'["{BAK}"]', "region": "eu-west-1"}, KEY_ARN),
        ({"arn": UNKNOWN}, {}, "*"),
    ],
    ids=["preview", "china", "deployed", "unknown-provider"],
)
def test_key_arn_known_or_its_shape(
    props: dict[str, Any], provider: dict[str, Any], expected: str
) -> None:
    key = Resource(type=topology.KEY, name="k", props=props, provider=Provider(props=provider))
    assert key_arn(key) == expected


# A vault access policy governs its own vault only: while the vault's name is an output (its
# ARN known by shape), a Resource that may be its ARN is its ARN; once known, compared exactly.
VAULT_SHAPE = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:*"


def test_vault_policy_naming_its_vault_is_its_vault_while_the_name_is_unknown() -> None:
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC, Resource=DEST)),
        subject="vault policy of `v`",
        source_accounts=[SRC],
        vault_arn=VAULT_SHAPE,
    )
    assert msgs == []


def test_vault_policy_naming_another_vault_grants_nothing_once_the_name_is_known() -> None:
    msgs = rules.vault_policy_grants_source(
        doc(allow(SRC, Resource=DEST + "-other")),
        subject="vault policy of `v`",
        source_accounts=[SRC],
        vault_arn=DEST,
    )
    assert msgs == [
        f"vault policy of `v` does not let {SRC} {COPY}: no statement allows {COPY} to {SRC}"
    ]
