"""Table-driven tests of the IAM resource-policy evaluator (`policies/backup_guard/iam/`).

Each case asserts the verdict, the deciding statement and a piece of the reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backup_guard.iam import (
    PolicyDocumentError,
    actions_with_wildcards,
    arn_match,
    evaluate,
    parse_policy,
    wildcard_principal_statements,
)

SRC = "111111111111"
OTHER = "333333333333"
ROOT = f"arn:aws:iam::{SRC}:root"
ROLE = f"arn:aws:iam::{SRC}:role/backup"
COPY = "backup:CopyIntoBackupVault"
VAULT = "arn:aws:backup:eu-west-1:222222222222:backup-vault:copies"
ORG = "o-abcdefghij"


def st(sid: str = "S", effect: str = "Allow", **kw: Any) -> dict[str, Any]:
    """A statement; `principal=` defaults to the source account root, `action=` to the copy."""
    out: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if "not_principal" in kw:
        out["NotPrincipal"] = kw.pop("not_principal")
    else:
        out["Principal"] = kw.pop("principal", {"AWS": ROOT})
    if "not_action" in kw:
        out["NotAction"] = kw.pop("not_action")
    else:
        out["Action"] = kw.pop("action", COPY)
    if "not_resource" in kw:
        out["NotResource"] = kw.pop("not_resource")
    else:
        out["Resource"] = kw.pop("resource", "*")
    if "condition" in kw:
        out["Condition"] = kw.pop("condition")
    assert not kw, kw
    return out


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW = st("Allow")

# (id, policy, evaluate kwargs, verdict, statement, reason fragment)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None, str]] = [
    # --- principals -------------------------------------------------------------------------
    ("principal-star", pol(st(principal="*")), {}, "allowed", "S", "allows"),
    ("principal-aws-star", pol(st(principal={"AWS": "*"})), {}, "allowed", "S", "allows"),
    ("principal-bare-account", pol(st(principal={"AWS": SRC})), {}, "allowed", "S", SRC),
    (
        "principal-list-with-root",
        pol(st(principal={"AWS": [f"arn:aws:iam::{OTHER}:root", ROOT]})),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "principal-other-account",
        pol(st(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "principal-role-only-is-not-the-account",
        pol(st(principal={"AWS": ROLE})),
        {},
        "implicit-deny",
        "S",
        f"grants only {ROLE}, not the account {SRC}",
    ),
    (
        "principal-role-matches-principal-arn",
        pol(st(principal={"AWS": ROLE})),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        ROLE,
    ),
    (
        "principal-role-other-principal-arn",
        pol(st(principal={"AWS": ROLE})),
        {"principal_arn": f"arn:aws:iam::{SRC}:role/other"},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "principal-root-covers-a-role-of-the-account",
        pol(st(principal={"AWS": ROOT})),
        {"principal_arn": ROLE},
        "allowed",
        "S",
        "allows",
    ),
    (
        "principal-service-never-an-account",
        pol(st(principal={"Service": "backup.amazonaws.com"})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "principal-service-and-other-account",
        pol(st(principal={"Service": "backup.amazonaws.com", "AWS": f"arn:aws:iam::{OTHER}:root"})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    # --- actions ----------------------------------------------------------------------------
    ("action-service-wildcard", pol(st(action="backup:*")), {}, "allowed", "S", "allows"),
    ("action-star", pol(st(action="*")), {}, "allowed", "S", "allows"),
    (
        "action-case-insensitive",
        pol(st(action="BACKUP:copyintobackupvault")),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "action-question-mark",
        pol(st(action="backup:Copy?ntoBackupVault")),
        {},
        "allowed",
        "S",
        "allows",
    ),
    (
        "action-other-wildcard",
        pol(st(action=["backup:Delete*", "backup:Get*"])),
        {},
        "implicit-deny",
        None,
        COPY,
    ),
    ("not-action-excludes-other", pol(st(not_action="backup:Delete*")), {}, "allowed", "S", ""),
    (
        "not-action-excludes-it",
        pol(st(not_action=["backup:Copy*"])),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    # --- resources --------------------------------------------------------------------------
    (
        "resource-exact",
        pol(st(resource=VAULT)),
        {"resource": VAULT},
        "allowed",
        "S",
        "allows",
    ),
    (
        "resource-other-vault",
        pol(st(resource=VAULT.replace("copies", "other"))),
        {"resource": VAULT},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "resource-wildcard",
        pol(st(resource="arn:aws:backup:*:*:backup-vault:*")),
        {"resource": VAULT},
        "allowed",
        "S",
        "allows",
    ),
    (
        "resource-case-sensitive",
        pol(st(resource=VAULT.upper())),
        {"resource": VAULT},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "not-resource-excludes-it",
        pol(st(not_resource=VAULT)),
        {"resource": VAULT},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "not-resource-excludes-other",
        pol(st(not_resource=VAULT + "-x")),
        {"resource": VAULT},
        "allowed",
        "S",
        "allows",
    ),
    (
        # ARN not given: a specific Resource may be another vault (was "allowed": wrong).
        "resource-unknown-arn-not-proof",
        pol(st(resource=VAULT)),
        {},
        "uncertain",
        "S",
        f"statement 'S' may not allow {COPY} to {SRC}: its Resource {VAULT} may not cover the "
        "resource (its ARN is not known here)",
    ),
    ("resource-star-unknown-arn", pol(st(resource="*")), {}, "allowed", "S", "allows"),
    # --- explicit deny ----------------------------------------------------------------------
    (
        "deny-beats-allow",
        pol(ALLOW, st("DenyAll", "Deny", principal="*", action="*")),
        {},
        "explicit-deny",
        "DenyAll",
        "statement 'DenyAll' denies backup:CopyIntoBackupVault to 111111111111",
    ),
    (
        "deny-first-still-wins",
        pol(st("DenyAll", "Deny", principal={"AWS": SRC}), ALLOW),
        {},
        "explicit-deny",
        "DenyAll",
        "denies",
    ),
    (
        "deny-other-action",
        pol(ALLOW, st("NoDelete", "Deny", principal="*", action="backup:DeleteRecoveryPoint")),
        {},
        "allowed",
        "Allow",
        "allows",
    ),
    (
        "deny-other-account",
        pol(ALLOW, st("D", "Deny", principal={"AWS": OTHER})),
        {},
        "allowed",
        "Allow",
        "allows",
    ),
    (
        "deny-not-action-covers-it",
        pol(ALLOW, st("D", "Deny", principal="*", not_action="backup:Describe*")),
        {},
        "explicit-deny",
        "D",
        "denies",
    ),
    (
        "deny-role-of-account-may-apply",
        pol(ALLOW, st("DenyRole", "Deny", principal={"AWS": ROLE})),
        {},
        "uncertain",
        "DenyRole",
        f"may deny backup:CopyIntoBackupVault to {SRC}: grants only {ROLE}",
    ),
    (
        "deny-role-of-account-not-the-caller",
        pol(ALLOW, st("DenyRole", "Deny", principal={"AWS": ROLE})),
        {"principal_arn": f"arn:aws:iam::{SRC}:role/other"},
        "allowed",
        "Allow",
        "allows",
    ),
    # --- NotPrincipal -----------------------------------------------------------------------
    (
        "not-principal-deny-excludes-only-root",
        pol(ALLOW, st("DenyOthers", "Deny", not_principal={"AWS": ROOT}, action="*")),
        {},
        "uncertain",
        "DenyOthers",
        "NotPrincipal excludes",
    ),
    (
        "not-principal-deny-other-account",
        pol(
            ALLOW,
            st("DenyOthers", "Deny", not_principal={"AWS": f"arn:aws:iam::{OTHER}:root"}),
        ),
        {},
        "explicit-deny",
        "DenyOthers",
        "denies",
    ),
    (
        "not-principal-deny-excludes-the-caller",
        pol(ALLOW, st("DenyOthers", "Deny", not_principal={"AWS": [ROOT, ROLE]})),
        {"principal_arn": ROLE},
        "allowed",
        "Allow",
        "allows",
    ),
    (
        "not-principal-allow-everyone-else",
        pol(st("AllowOthers", not_principal={"AWS": f"arn:aws:iam::{OTHER}:root"})),
        {},
        "allowed",
        "AllowOthers",
        "allows",
    ),
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
    # --- statement forms --------------------------------------------------------------------
    (
        "statement-object-no-sid",
        {"Statement": {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": COPY}},
        {},
        "allowed",
        "Statement[0]",
        "statement 'Statement[0]' allows",
    ),
    (
        "statement-label-by-index",
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": COPY},
                {"Effect": "Deny", "Principal": "*", "Action": COPY},
            ]
        },
        {},
        "explicit-deny",
        "Statement[1]",
        "statement 'Statement[1]' denies",
    ),
]

# --- review findings: each case would have failed before the fix -------------------------------

KEY = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd"
KEY_SHAPE = "arn:aws:kms:eu-west-1:222222222222:key/*"  # a key of that account, ARN unknown
GRANT_KEY = "kms:GrantIsForAWSResource"
DECRYPT = "kms:Decrypt"
ALLOW_DECRYPT = st("Allow", action=DECRYPT)
DIRECT = {"context": {GRANT_KEY: None}, "action": DECRYPT}  # the key is known absent

CASES += [
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
    d = evaluate(policy, **{"principal_account": SRC, "action": COPY, **kwargs})
    assert (d.verdict, d.statement) == (verdict, statement), d
    assert d.allowed is (verdict == "allowed")
    assert reason in d.reason, d.reason


def test_evaluate_accepts_json_text_and_parsed_document() -> None:
    doc = pol(ALLOW)
    assert evaluate(json.dumps(doc), principal_account=SRC, action=COPY).allowed
    assert evaluate(parse_policy(doc), principal_account=SRC, action=COPY).allowed


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
