"""Parsing and shape checks of the IAM evaluator (`policies/backup_guard/iam/document.py`,
`shapes.py`, `match.arn_match`): documents IAM would reject, open principals, wildcard actions."""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard.iam import (
    PolicyDocumentError,
    actions_with_wildcards,
    arn_match,
    evaluate,
    wildcard_principal_statements,
)
from iam_tables import COPY, ORG, ROLE, ROOT, SRC, VAULT, pol, st

BAD_DOCUMENTS = [
    ("not-json", "{not json", "not valid JSON"),
    ("a-list", "[]", "must be a JSON object"),
    ("no-statement", {"Version": "2012-10-17"}, "has no Statement"),
    ("empty-statement", {"Statement": []}, "non-empty"),
    (
        "bad-effect",
        {"Statement": [{"Sid": "X", "Effect": "allow", "Principal": "*", "Action": COPY}]},
        "statement 'X': Effect must be \"Allow\" or \"Deny\", got 'allow'",
    ),
    (
        "missing-action",
        {"Statement": [{"Effect": "Allow", "Principal": "*"}]},
        "Statement[0]: missing Action",
    ),
    (
        "missing-principal",
        {"Statement": [{"Effect": "Allow", "Action": COPY}]},
        "missing Principal (or NotPrincipal), required in a resource policy",
    ),
    (
        "action-and-not-action",
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": COPY, "NotAction": COPY}]},
        "has both Action and NotAction",
    ),
    (
        "bad-principal-type",
        {"Statement": [{"Effect": "Allow", "Principal": {"User": "x"}, "Action": COPY}]},
        "unknown principal type 'User'",
    ),
    (
        "action-not-string",
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": 3}]},
        "Statement[0].Action: expected a string or a list of strings",
    ),
    (
        "bare-string-principal",
        {"Statement": [{"Sid": "B", "Effect": "Allow", "Principal": SRC, "Action": COPY}]},
        "statement 'B'.Principal: a bare string principal must be \"*\", got '111111111111' "
        '(IAM rejects it as MalformedPolicyDocument); write {"AWS": "111111111111"}',
    ),
    (
        "condition-not-object",
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": COPY, "Condition": "x"}]},
        "Condition: expected an object",
    ),
]


@pytest.mark.parametrize(
    ("doc", "message"), [b[1:] for b in BAD_DOCUMENTS], ids=[b[0] for b in BAD_DOCUMENTS]
)
def test_parse_policy_rejects_with_a_clear_message(doc: Any, message: str) -> None:
    with pytest.raises(PolicyDocumentError) as e:
        evaluate(doc, principal_account=SRC, action=COPY)
    assert message in str(e.value)
    assert isinstance(e.value, ValueError)


WILDCARD_PRINCIPALS = [
    ("star", pol(st(principal="*")), ["S"]),
    ("aws-star", pol(st(principal={"AWS": ["*"]})), ["S"]),
    ("named-account", pol(st()), []),
    (
        "org-condition",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        [],
    ),
    (
        "account-condition",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalAccount": SRC}})),
        [],
    ),
    (
        "negative-condition-is-no-restriction",
        pol(st(principal="*", condition={"StringNotEquals": {"aws:PrincipalAccount": SRC}})),
        ["S"],
    ),
    (
        "if-exists-is-no-restriction",
        pol(st(principal="*", condition={"StringEqualsIfExists": {"aws:PrincipalAccount": SRC}})),
        ["S"],
    ),
    (
        "wildcard-value-is-no-restriction",
        pol(st(principal="*", condition={"StringLike": {"aws:PrincipalAccount": "*"}})),
        ["S"],
    ),
    ("deny-star-is-fine", pol(st(effect="Deny", principal="*")), []),
    (
        # The deploy-role guard the program adds to its key policy: a Deny takes rights away.
        "deny-star-except-deploy-role-is-fine",
        pol(
            st(
                "DenyKeyDestructionExceptDeployRole",
                "Deny",
                principal={"AWS": "*"},
                action=["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"],
                condition={
                    "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/deploy"}
                },
            )
        ),
        [],
    ),
    (
        "for-all-values-org-is-open",  # true when the key is absent
        pol(
            st(principal="*", condition={"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORG}})
        ),
        ["S"],
    ),
    (
        "for-any-value-org-restricts",
        pol(st(principal="*", condition={"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": ORG}})),
        [],
    ),
    (
        "like-arn-any-account-is-open",
        pol(st(principal="*", condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*"}})),
        ["S"],
    ),
    (
        "arn-like-wildcard-account-is-open",
        pol(
            st(principal="*", condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/b"}})
        ),
        ["S"],
    ),
    (
        "like-arn-literal-account-restricts",
        pol(
            st(
                principal="*",
                condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/*"}},
            )
        ),
        [],
    ),
    (
        "like-account-question-marks-is-open",
        pol(st(principal="*", condition={"StringLike": {"aws:PrincipalAccount": "????????????"}})),
        ["S"],
    ),
    (
        "like-org-wildcard-is-open",
        pol(st(principal="*", condition={"StringLike": {"aws:PrincipalOrgID": "o-*"}})),
        ["S"],
    ),
    (
        "like-org-paths-literal-org-restricts",
        pol(st(principal="*", condition={"StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}})),
        [],
    ),
    (
        "one-open-value-is-open",
        pol(st(principal="*", condition={"StringLike": {"aws:PrincipalAccount": [SRC, "1*"]}})),
        ["S"],
    ),
    (
        "variable-value-is-open",
        pol(
            st(
                principal="*",
                condition={"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
            )
        ),
        ["S"],
    ),
    ("not-principal-allow", pol(st(not_principal={"AWS": ROOT})), ["S"]),
]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [w[1:] for w in WILDCARD_PRINCIPALS],
    ids=[w[0] for w in WILDCARD_PRINCIPALS],
)
def test_wildcard_principal_statements(doc: dict[str, Any], expected: list[str]) -> None:
    assert wildcard_principal_statements(doc) == expected


def test_actions_with_wildcards_lists_each_and_not_action() -> None:
    doc = pol(
        st("A", action=["backup:Copy*", COPY, "backup:Get?"]),
        st("B", not_action="backup:DeleteRecoveryPoint"),
        st("C"),
    )
    assert actions_with_wildcards(doc) == [
        ("A", "backup:Copy*"),
        ("A", "backup:Get?"),
        ("B", "NotAction backup:DeleteRecoveryPoint"),
    ]


ARN_MATCHES = [
    ("exact", ROLE, ROLE, True),
    ("star-in-last-part", f"arn:aws:iam::{SRC}:*", ROLE, True),
    ("last-part-keeps-colons", "arn:aws:backup:*:*:*", VAULT, True),
    ("star-does-not-cross-parts", "arn:*:root", ROOT, False),
    ("star-per-part", "arn:*:*:*:*:root", ROOT, True),
    ("question-mark-in-account", "arn:aws:iam::????????????:root", ROOT, True),
    ("short-pattern", "arn:aws:iam::*", ROOT, False),
    ("not-an-arn", "arn:aws:iam::*:root", "111111111111", False),
    ("case-sensitive", ROLE.upper(), ROLE, False),
]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"), [a[1:] for a in ARN_MATCHES], ids=[a[0] for a in ARN_MATCHES]
)
def test_arn_match_globs_each_of_the_six_parts(pattern: str, value: str, expected: bool) -> None:
    assert arn_match(pattern, value) is expected
