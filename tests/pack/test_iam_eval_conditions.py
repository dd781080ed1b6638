"""Table tests of the IAM evaluator's conditions (`policies/backup_guard/iam/conditions.py`):
operators, keys the question fixes, missing keys. The keys issue 9 added, with the AWS page of
each row, are in `tests/pack/test_iam_conditions.py`."""

from __future__ import annotations

from typing import Any

import pytest

from iam_tables import ALLOW, COPY, ORG, OTHER, ROLE, SRC, VAULT, Case, check, pol, st

CASES: list[Case] = [
    # --- conditions -------------------------------------------------------------------------
    (
        "cond-principal-account-match",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalAccount": SRC}})),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-principal-account-mismatch",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-values-are-ored",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalAccount": [OTHER, SRC]}})),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-keys-are-anded",
        pol(
            st(
                principal="*",
                condition={
                    "StringEquals": {"aws:PrincipalAccount": SRC, "kms:CallerAccount": OTHER}
                },
            )
        ),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-org-id-known",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        {"org_id": ORG},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-org-id-unknown",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        {},
        "uncertain",
        "S",
        "its condition on aws:PrincipalOrgID needs the pack's organizationId config",
    ),
    (
        "cond-org-id-other",
        pol(st(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        {"org_id": "o-zzzzzzzzzz"},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-kms-caller-account",
        pol(st(principal="*", condition={"StringEquals": {"kms:CallerAccount": SRC}})),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-string-not-equals",
        pol(st(principal="*", condition={"StringNotEquals": {"aws:PrincipalAccount": SRC}})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-string-like-arn-known",
        pol(
            st(
                principal="*",
                condition={"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/*"}},
            )
        ),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        "allows",
    ),
    # IAM "Global condition context keys", aws:PrincipalArn: every principal of S has an ARN
    # arn:<partition>:iam::S:... (a role session: its role's ARN), so this holds for all of them.
    (
        "cond-arn-like-every-principal-of-the-account",
        pol(
            st(principal="*", condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:*"}})
        ),
        {"resource": VAULT},
        "allowed",
        "S",
        f"statement 'S' allows {COPY} to {SRC}",
    ),
    (
        "cond-arn-not-like",
        pol(st(condition={"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/b*"}})),
        {"principal_arn": ROLE},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-arn-equals",
        pol(st(condition={"ArnEquals": {"aws:PrincipalArn": ROLE}})),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-arn-not-equals",
        pol(st(condition={"ArnNotEquals": {"aws:PrincipalArn": ROLE}})),
        {"principal_arn": ROLE},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-string-not-like",
        pol(st(condition={"StringNotLike": {"aws:PrincipalAccount": "3*"}})),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-unknown-key-allow-not-proof",
        pol(st(condition={"ArnLike": {"aws:SourceArn": "arn:aws:backup:*"}})),
        {},
        "uncertain",
        "S",
        "aws:SourceArn",
    ),
    (
        "cond-context-key",
        pol(st(condition={"StringEquals": {"kms:ViaService": "backup.eu-west-1.amazonaws.com"}})),
        {"context": {"kms:ViaService": "backup.eu-west-1.amazonaws.com"}},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-context-key-case-insensitive",
        pol(st(condition={"StringEquals": {"KMS:VIASERVICE": "backup.eu-west-1.amazonaws.com"}})),
        {"context": {"kms:ViaService": "backup.eu-west-1.amazonaws.com"}},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-for-any-value",
        pol(st(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
        {"context": {"aws:TagKeys": ["x", "b"]}},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-for-all-values-one-misses",
        pol(st(condition={"ForAllValues:StringLike": {"aws:TagKeys": ["a*"]}})),
        {"context": {"aws:TagKeys": ["ab", "b"]}},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-if-exists-known-mismatch",
        pol(st(condition={"StringEqualsIfExists": {"aws:PrincipalAccount": OTHER}})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-if-exists-unknown-key",
        pol(st(condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})),
        {},
        "uncertain",
        "S",
        "aws:SourceVpc",
    ),
    (
        "cond-bool-deny-known-false",
        pol(
            ALLOW,
            st(
                "DenyInsecure",
                "Deny",
                principal="*",
                action="*",
                condition={"Bool": {"aws:SecureTransport": "false"}},
            ),
        ),
        {"context": {"aws:SecureTransport": "true"}},
        "allowed",
        "Allow",
        "allows",
    ),
    (
        "cond-bool-deny-unknown-may-apply",
        pol(
            ALLOW,
            st(
                "DenyInsecure",
                "Deny",
                principal="*",
                action="*",
                condition={"Bool": {"aws:SecureTransport": False}},
            ),
        ),
        {},
        "uncertain",
        "DenyInsecure",
        "may deny backup:CopyIntoBackupVault to 111111111111: its condition on aws:SecureTransport",
    ),
    (
        "cond-deny-applies-when-known-true",
        pol(
            ALLOW,
            st(
                "DenyOutsideOrg",
                "Deny",
                principal="*",
                condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
            ),
        ),
        {"org_id": "o-zzzzzzzzzz"},
        "explicit-deny",
        "DenyOutsideOrg",
        "denies",
    ),
    (
        "cond-deny-unknown-nothing-allows",
        pol(st("D", "Deny", principal="*", condition={"Bool": {"aws:SecureTransport": "false"}})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-null-known-present",
        pol(st(principal="*", condition={"Null": {"aws:PrincipalOrgID": "false"}})),
        {"org_id": ORG},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-null-true-but-present",
        pol(st(principal="*", condition={"Null": {"aws:PrincipalAccount": "true"}})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "cond-numeric",
        pol(st(condition={"NumericLessThan": {"s3:max-keys": "10"}})),
        {"context": {"s3:max-keys": "5"}},
        "allowed",
        "S",
        "allows",
    ),
    (
        "cond-unsupported-operator",
        pol(st(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        {"context": {"aws:SourceIp": "10.1.2.3"}},
        "uncertain",
        "S",
        "aws:SourceIp",
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
