"""Table-driven tests of the IAM resource-policy evaluator (`policies/backup_guard/iam.py`).

Each case asserts the verdict, the deciding statement and a piece of the reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backup_guard.iam import (
    PolicyDocumentError,
    actions_with_wildcards,
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
    ("principal-bare-string", pol(st(principal=SRC)), {}, "allowed", "S", "allows"),
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
        "resource-unknown-arn-assumed-attached",
        pol(st(resource=VAULT)),
        {},
        "allowed",
        "S",
        "allows",
    ),
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
        "condition on aws:PrincipalOrgID can't be evaluated",
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
    (
        "cond-arn-like-unknown-principal",
        pol(
            st(principal="*", condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:*"}})
        ),
        {},
        "uncertain",
        "S",
        "aws:PrincipalArn",
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


@pytest.mark.parametrize(
    ("policy", "kwargs", "verdict", "statement", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_evaluate(
    policy: dict[str, Any], kwargs: dict[str, Any], verdict: str, statement: str | None, reason: str
) -> None:
    d = evaluate(policy, principal_account=SRC, action=COPY, **kwargs)
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
