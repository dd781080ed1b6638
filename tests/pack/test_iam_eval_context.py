"""Table tests of the IAM evaluator on what the pack knows of a request: missing keys, resources
known by shape, ARN operators part by part, partitions, policy variables, literal actions."""

from __future__ import annotations

from typing import Any

import pytest

from iam_tables import (
    ALLOW,
    ALLOW_DECRYPT,
    COPY,
    DECRYPT,
    DIRECT,
    GRANT_KEY,
    KEY,
    KEY_SHAPE,
    OTHER,
    ROLE,
    ROOT,
    SRC,
    VAULT,
    Case,
    check,
    pol,
    st,
)

CASES: list[Case] = [
    # Missing keys (finding 5, 10): a key known absent is not an unknown key.
    (
        "absent-key-bool-condition-is-false",
        pol(st(action=DECRYPT, condition={"Bool": {GRANT_KEY: "true"}})),
        DIRECT,
        "implicit-deny",
        None,
        f"no statement allows {DECRYPT} to {SRC}",
    ),
    (
        "absent-key-null-true-deny-applies",
        pol(
            ALLOW_DECRYPT,
            st("NoDirect", "Deny", action=DECRYPT, condition={"Null": {GRANT_KEY: "true"}}),
        ),
        DIRECT,
        "explicit-deny",
        "NoDirect",
        f"statement 'NoDirect' denies {DECRYPT} to {SRC}",
    ),
    (
        "absent-key-null-false-is-false",
        pol(st(action=DECRYPT, condition={"Null": {GRANT_KEY: "false"}})),
        DIRECT,
        "implicit-deny",
        None,
        f"no statement allows {DECRYPT} to {SRC}",
    ),
    (
        "present-key-null-true-is-false",
        pol(ALLOW, st("D", "Deny", condition={"Null": {GRANT_KEY: "true"}})),
        {"context": {GRANT_KEY: "true"}},
        "allowed",
        "Allow",
        f"statement 'Allow' allows {COPY} to {SRC}",
    ),
    (
        "absent-key-if-exists-is-true",
        pol(
            st(
                condition={
                    "StringEqualsIfExists": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}
                }
            )
        ),
        {"context": {"kms:ViaService": None}},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    (
        "absent-key-for-all-values-is-true",
        pol(st(condition={"ForAllValues:StringEquals": {"aws:TagKeys": "a"}})),
        {"context": {"aws:TagKeys": None}},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    (
        "absent-key-for-any-value-is-false",
        pol(st(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}})),
        {"context": {"aws:TagKeys": []}},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
    ),
    (
        "absent-key-negated-operator-is-true",
        pol(ALLOW, st("D", "Deny", condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})),
        {"context": {"aws:SourceVpc": None}},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
    ),
    (
        "unknown-key-null-stays-uncertain",
        pol(st(condition={"Null": {"aws:SourceVpc": "true"}})),
        {},
        "uncertain",
        "S",
        "only under a condition: its condition on aws:SourceVpc depends on the request",
    ),
    (
        "principal-arn-is-present-even-when-unknown",
        pol(st(condition={"Null": {"aws:PrincipalArn": "false"}})),
        {},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    # Resources when only the shape of the ARN is known (finding 6b).
    (
        "resource-shape-other-key-not-proof",
        pol(st(action=DECRYPT, resource=KEY.replace("1234abcd", "other"))),
        {"resource": KEY_SHAPE, "action": DECRYPT},
        "uncertain",
        "S",
        f"statement 'S' may not allow {DECRYPT} to {SRC}: its Resource "
        f"{KEY.replace('1234abcd', 'other')} may not cover the resource (one of {KEY_SHAPE}, its "
        "ARN is not known here)",
    ),
    (
        "resource-shape-covered-by-account-glob",
        pol(st(action=DECRYPT, resource="arn:aws:kms:*:222222222222:key/*")),
        {"resource": KEY_SHAPE, "action": DECRYPT},
        "allowed",
        "S",
        f"statement 'S' allows {DECRYPT} to {SRC}",
    ),
    (
        "resource-shape-other-account-never-matches",
        pol(st(action=DECRYPT, resource="arn:aws:kms:eu-west-1:333333333333:key/*")),
        {"resource": KEY_SHAPE, "action": DECRYPT},
        "implicit-deny",
        None,
        f"no statement allows {DECRYPT} to {SRC}",
    ),
    (
        "not-resource-shape-excludes-every-key-of-the-account",
        pol(st(action=DECRYPT, not_resource="arn:aws:kms:*:222222222222:key/*")),
        {"resource": KEY_SHAPE, "action": DECRYPT},
        "implicit-deny",
        None,
        f"no statement allows {DECRYPT} to {SRC}",
    ),
    (
        "not-resource-shape-may-exclude-the-key",
        pol(st(action=DECRYPT, not_resource=KEY)),
        {"resource": KEY_SHAPE, "action": DECRYPT},
        "uncertain",
        "S",
        f"its NotResource {KEY} may exclude the resource (one of {KEY_SHAPE}",
    ),
    (
        "not-resource-unknown-arn-may-exclude",
        pol(st(not_resource=VAULT)),
        {},
        "uncertain",
        "S",
        f"its NotResource {VAULT} may exclude the resource (its ARN is not known here)",
    ),
    (
        "deny-resource-shape-may-apply",
        pol(ALLOW_DECRYPT, st("D", "Deny", action=DECRYPT, resource=KEY)),
        {"resource": KEY_SHAPE, "action": DECRYPT},
        "uncertain",
        "D",
        f"statement 'D' may deny {DECRYPT} to {SRC}: its Resource {KEY} may not cover",
    ),
    (
        "resource-known-key-arn-matches",
        pol(st(action=DECRYPT, resource=KEY)),
        {"resource": KEY, "action": DECRYPT},
        "allowed",
        "S",
        f"statement 'S' allows {DECRYPT} to {SRC}",
    ),
    (
        "resource-known-key-arn-other-key",
        pol(st(action=DECRYPT, resource=KEY + "x")),
        {"resource": KEY, "action": DECRYPT},
        "implicit-deny",
        None,
        f"no statement allows {DECRYPT} to {SRC}",
    ),
    # ARN operators compare the six parts separately (finding 8).
    (
        "arn-like-star-does-not-cross-colons",
        pol(st(principal="*", condition={"ArnLike": {"aws:PrincipalArn": "arn:*:root"}})),
        {"principal_arn": ROOT},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {ROOT}",
    ),
    (
        "arn-not-like-star-does-not-cross-colons",
        pol(ALLOW, st("D", "Deny", condition={"ArnNotLike": {"aws:PrincipalArn": "arn:*:root"}})),
        {"principal_arn": ROOT},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {ROOT}",
    ),
    (
        "arn-like-part-wildcards",
        pol(st(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws*:iam::*:role/*"}})),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {ROLE}",
    ),
    (
        "arn-equals-wildcard-in-last-part",
        pol(st(condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/b*"}})),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {ROLE}",
    ),
    # Partitions (nit).
    (
        "principal-other-partition",
        pol(st(principal={"AWS": f"arn:aws-cn:iam::{SRC}:root"})),
        {"partition": "aws"},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
    ),
    (
        "principal-partition-from-principal-arn",
        pol(st(principal={"AWS": f"arn:aws-cn:iam::{SRC}:root"})),
        {"principal_arn": ROLE},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {ROLE}",
    ),
    (
        "principal-same-partition",
        pol(st(principal={"AWS": f"arn:aws-cn:iam::{SRC}:root"})),
        {"partition": "aws-cn"},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    (
        "deny-not-principal-other-partition-applies",
        pol(ALLOW, st("D", "Deny", not_principal={"AWS": f"arn:aws-cn:iam::{SRC}:root"})),
        {"partition": "aws"},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
    ),
    # Policy variables (nit).
    (
        "variable-resolved-from-context",
        pol(
            st(
                principal="*",
                condition={
                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:*"}
                },
            )
        ),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {ROLE}",
    ),
    (
        "variable-resolved-mismatch",
        pol(
            st(
                principal="*",
                condition={"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}},
            )
        ),
        {"context": {"aws:SourceAccount": OTHER}},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
    ),
    (
        "variable-unknown-is-uncertain",
        pol(st(condition={"StringEquals": {"aws:PrincipalAccount": "${aws:SourceAccount}"}})),
        {},
        "uncertain",
        "S",
        "its condition on aws:PrincipalAccount depends on the request",
    ),
    (
        "variable-absent-key-default",
        pol(
            st(
                condition={
                    "StringEquals": {"aws:PrincipalAccount": "${aws:SourceAccount, '" + SRC + "'}"}
                }
            )
        ),
        {"context": {"aws:SourceAccount": None}},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    (
        "variable-literal-without-version-2012",
        {
            "Statement": [
                {
                    "Sid": "Old",
                    "Effect": "Allow",
                    "Principal": {"AWS": ROOT},
                    "Action": COPY,
                    "Condition": {
                        "StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}
                    },
                }
            ]
        },
        {},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
    ),
    (
        "variable-in-resource-resolved",
        pol(st(resource="arn:aws:backup:eu-west-1:${aws:PrincipalAccount}:backup-vault:*")),
        {"resource": VAULT.replace("222222222222", SRC)},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    # Only literal actions count when asked (finding 9).
    (
        "literal-only-wildcard-does-not-count",
        pol(st("Star", action="backup:*")),
        {"literal_actions_only": True},
        "implicit-deny",
        "Star",
        f"no statement allows {COPY} to {SRC}: statement 'Star' covers {COPY} only through the "
        "wildcard action 'backup:*', which doesn't count: AWS Backup vault access policies don't "
        "support a wildcard in the Action key (nor NotAction), so AWS rejects the policy",
    ),
    (
        "literal-only-not-action-does-not-count",
        pol(st("NotA", not_action="backup:Delete*")),
        {"literal_actions_only": True},
        "implicit-deny",
        "NotA",
        f"statement 'NotA' covers {COPY} only through NotAction 'backup:Delete*', which doesn't "
        "count",
    ),
    (
        "literal-only-case-insensitive",
        pol(st(action="BACKUP:copyintobackupvault")),
        {"literal_actions_only": True},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    (
        "literal-only-wildcard-deny-still-denies",
        pol(ALLOW, st("D", "Deny", action="backup:*")),
        {"literal_actions_only": True},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
    ),
]


@pytest.mark.parametrize(
    ("policy", "kwargs", "verdict", "statement", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_evaluate(
    policy: dict[str, Any], kwargs: dict[str, Any], verdict: str, statement: str | None, reason: str
) -> None:
    check(policy, kwargs, verdict, statement, reason)
