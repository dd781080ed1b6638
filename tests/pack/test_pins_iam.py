"""Pins of the IAM evaluator (issue 16): the behaviours no test evaluated before.

Each row: (id, policy, evaluate kwargs, verdict, deciding statement, reason fragment) and the
reference it follows (IAM User Guide pages under https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [notprincipal] reference_policies_elements_notprincipal.html: NotPrincipal matches every
  principal but the ones listed; an account id means the account principal (its root), not the
  roles and users in it.
- [principal] reference_policies_elements_principal.html: `"AWS": "123456789012"` is the same as
  `arn:aws:iam::123456789012:root`.
- [numeric], [string], [arn] reference_policies_elements_condition_operators.html: Numeric
  operators compare numbers (NumericLessThan is strict); `...IgnoreCase` ignores case; ArnLike
  matches each of the six colon-separated ARN parts, the resource part may itself hold `:`.
- [variables] reference_policies_variables.html: `${$}` is a literal `$`; `${key, 'default'}`
  takes the default when the key is absent from the request.
- [action] reference_policies_elements_action.html: `*` matches any characters; an action
  without `*` matches itself only.
- [evaluation] reference_policies_evaluation-logic.html: statement order does not matter; an
  explicit Deny that applies wins, a statement that does not apply is skipped.
"""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard.iam import PolicyDocumentError, parse_policy, wildcard_principal_statements
from iam_tables import ALLOW, COPY, OTHER, ROLE, ROOT, SRC, VAULT, Case, check, pol, st

ANYONE = {"AWS": "*"}
MFA_AGE = "aws:MultiFactorAuthAge"

ROWS: list[Case] = [
    # [notprincipal]
    (
        "allow-notprincipal-aws-star-lets-nobody-in",
        pol(st("A", not_principal=ANYONE)),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "deny-notprincipal-aws-star-denies-nobody",
        pol(st("D", "Deny", not_principal=ANYONE), ALLOW),
        {},
        "allowed",
        "Allow",
        "statement 'Allow' allows backup:CopyIntoBackupVault to 111111111111",
    ),
    (
        "deny-notprincipal-bare-own-id-still-hits-its-roles",
        pol(st("D", "Deny", not_principal={"AWS": SRC}), ALLOW),
        {},
        "uncertain",
        "D",
        f"NotPrincipal excludes {ROOT} but not the other principals of {SRC}",
    ),
    (
        "deny-notprincipal-bare-other-id-denies",
        pol(st("D", "Deny", not_principal={"AWS": OTHER}), ALLOW),
        {},
        "explicit-deny",
        "D",
        "statement 'D' denies backup:CopyIntoBackupVault to 111111111111",
    ),
    (
        "allow-notprincipal-bare-other-id-lets-everyone-else-in",
        pol(st("A", not_principal={"AWS": OTHER})),
        {},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    # [principal]
    (
        "principal-bare-account-id-is-the-account",
        pol(st("A", principal={"AWS": SRC})),
        {},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    # [numeric]
    (
        "numeric-less-than-below",
        pol(st("A", condition={"NumericLessThan": {MFA_AGE: "3600"}})),
        {"context": {MFA_AGE: "3599"}},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "numeric-less-than-at-the-bound-is-false",
        pol(st("A", condition={"NumericLessThan": {MFA_AGE: "3600"}})),
        {"context": {MFA_AGE: "3600"}},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "numeric-less-than-equals-at-the-bound-is-true",
        pol(st("A", condition={"NumericLessThanEquals": {MFA_AGE: "3600"}})),
        {"context": {MFA_AGE: "3600"}},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "numeric-greater-than-at-the-bound-is-false",
        pol(st("A", condition={"NumericGreaterThan": {MFA_AGE: "10"}})),
        {"context": {MFA_AGE: "10"}},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "numeric-greater-than-equals-at-the-bound-is-true",
        pol(st("A", condition={"NumericGreaterThanEquals": {MFA_AGE: "10"}})),
        {"context": {MFA_AGE: "10"}},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "numeric-not-equals",
        pol(st("A", condition={"NumericNotEquals": {MFA_AGE: "10"}})),
        {"context": {MFA_AGE: "10"}},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "numeric-equals-compares-numbers-not-text",
        pol(st("A", condition={"NumericEquals": {MFA_AGE: "10"}})),
        {"context": {MFA_AGE: "10.0"}},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    # [string]
    (
        "string-equals-ignore-case-on-the-account",
        pol(
            st(
                "A",
                principal="*",
                condition={"StringEqualsIgnoreCase": {"aws:PrincipalArn": ROLE.upper()}},
            )
        ),
        {"principal_arn": ROLE},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "string-equals-is-case-sensitive",
        pol(st("A", principal="*", condition={"StringEquals": {"aws:PrincipalArn": ROLE.upper()}})),
        {"principal_arn": ROLE},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "deny-except-deploy-role-ignore-case-spares-the-role",
        pol(
            ALLOW,
            st(
                "D",
                "Deny",
                principal=ANYONE,
                condition={"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": ROLE.upper()}},
            ),
        ),
        {"principal_arn": ROLE},
        "allowed",
        "Allow",
        "statement 'Allow' allows",
    ),
    (
        "deny-except-deploy-role-ignore-case-hits-another-role",
        pol(
            ALLOW,
            st(
                "D",
                "Deny",
                principal=ANYONE,
                condition={"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": ROLE.upper()}},
            ),
        ),
        {"principal_arn": f"arn:aws:iam::{SRC}:role/other"},
        "explicit-deny",
        "D",
        "statement 'D' denies",
    ),
    # [variables]
    (
        "variable-dollar-is-a-literal-dollar",
        pol(st("A", principal="*", condition={"StringEquals": {"aws:PrincipalAccount": "${$}"}})),
        {},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "variable-of-the-question-resolves",
        pol(
            st(
                "A",
                principal="*",
                condition={
                    "StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount, 'x'}"}
                },
            )
        ),
        {},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "variable-default-when-the-key-is-absent",
        pol(
            st(
                "A",
                principal="*",
                condition={
                    "StringEquals": {"aws:PrincipalAccount": f"${{aws:SourceVpc, '{SRC}'}}"}
                },
            )
        ),
        {"context": {"aws:SourceVpc": None}},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "variable-default-not-used-when-the-key-is-present",
        pol(
            st(
                "A",
                principal="*",
                condition={
                    "StringEquals": {"aws:PrincipalAccount": f"${{aws:SourceVpc, '{SRC}'}}"}
                },
            )
        ),
        {"context": {"aws:SourceVpc": "vpc-1"}},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    # [arn]
    (
        "arnlike-resource-part-with-colon",
        pol(st("A", resource="arn:aws:backup:eu-west-1:222222222222:backup-vault:*")),
        {"resource": VAULT},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "arnlike-resource-is-not-a-prefix",
        pol(st("A", resource="arn:aws:backup:eu-west-1:222222222222:backup-vault:cop")),
        {"resource": VAULT},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    (
        "arnlike-condition-glob-in-the-resource-part",
        pol(
            st(
                "A",
                principal="*",
                condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/*"}},
            )
        ),
        {"principal_arn": ROLE},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    (
        "arnlike-condition-other-account",
        pol(
            st(
                "A",
                principal="*",
                condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/*"}},
            )
        ),
        {"principal_arn": ROLE},
        "implicit-deny",
        None,
        "no statement allows",
    ),
    # [action]
    (
        "action-without-star-is-not-a-prefix",
        pol(st("A", action="kms:ReEncrypt")),
        {"action": "kms:ReEncryptFrom"},
        "implicit-deny",
        None,
        "no statement allows kms:ReEncryptFrom",
    ),
    (
        "action-star-matches-the-rest",
        pol(st("A", action="kms:ReEncrypt*")),
        {"action": "kms:ReEncryptFrom"},
        "allowed",
        "A",
        "statement 'A' allows kms:ReEncryptFrom",
    ),
    (
        "action-case-insensitive",
        pol(st("A", action="BACKUP:copyintobackupvault")),
        {},
        "allowed",
        "A",
        "statement 'A' allows",
    ),
    # [evaluation]
    (
        "order-non-matching-allow-before-the-deciding-one",
        pol(st("X", principal={"AWS": f"arn:aws:iam::{OTHER}:root"}), ALLOW),
        {},
        "allowed",
        "Allow",
        "statement 'Allow' allows",
    ),
    (
        "order-non-matching-deny-before-the-deciding-allow",
        pol(st("X", "Deny", action="backup:DeleteRecoveryPoint"), ALLOW),
        {},
        "allowed",
        "Allow",
        "statement 'Allow' allows",
    ),
    (
        "order-deny-after-the-allow-still-wins",
        pol(ALLOW, st("D", "Deny", principal=ANYONE)),
        {},
        "explicit-deny",
        "D",
        "statement 'D' denies",
    ),
]


@pytest.mark.parametrize(
    ("policy", "kwargs", "verdict", "statement", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_evaluator_pins(
    policy: dict[str, Any], kwargs: dict[str, Any], verdict: str, statement: str | None, reason: str
) -> None:
    check(policy, kwargs, verdict, statement, reason)


def test_deny_before_an_open_allow_does_not_hide_it() -> None:
    # backup-policy-no-open-principal looks at every Allow, whatever comes before it.
    doc = pol(st("D", "Deny", principal="*"), st("Open", principal=ANYONE))
    assert wildcard_principal_statements(doc) == ["Open"]


def test_open_allows_are_all_reported_in_order() -> None:
    doc = pol(st("One", principal="*"), ALLOW, st("Two", not_principal={"AWS": OTHER}))
    assert wildcard_principal_statements(doc) == ["One", "Two"]


def test_statement_without_resource_is_refused_when_required() -> None:
    # IAM JSON reference, "Resource": statements must include Resource or NotResource; KMS key
    # policies: Resource is required ("*" = this key).
    doc = {"Statement": [{"Sid": "NoRes", "Effect": "Allow", "Principal": "*", "Action": COPY}]}
    with pytest.raises(PolicyDocumentError) as caught:
        parse_policy(doc, require_resource=True)
    assert str(caught.value) == (
        "statement 'NoRes': missing Resource (or NotResource), required in every statement of a "
        'vault or key policy ("*" means the vault or key itself)'
    )


def test_statement_with_not_resource_is_accepted_when_required() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": COPY, "NotResource": "x"}]}
    assert parse_policy(doc, require_resource=True).statements[0].not_resource == ["x"]


def test_trust_policy_without_resource_still_parses() -> None:
    # A role's trust policy has no Resource (IAM "Roles terms and concepts").
    doc = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    assert parse_policy(doc).statements[0].resource is None
