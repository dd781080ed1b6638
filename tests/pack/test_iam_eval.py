"""Table tests of the IAM resource-policy evaluator (`policies/backup_guard/iam/`): principals,
actions, resources, explicit Deny, NotPrincipal, statement forms. Each case asserts the verdict,
the deciding statement and a piece of the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backup_guard.iam import evaluate, parse_policy
from iam_tables import ALLOW, COPY, OTHER, ROLE, ROOT, SRC, VAULT, Case, check, pol, st

CASES: list[Case] = [
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
    check(policy, kwargs, verdict, statement, reason)


def test_evaluate_accepts_json_text_and_parsed_document() -> None:
    doc = pol(ALLOW)
    assert evaluate(json.dumps(doc), principal_account=SRC, action=COPY).allowed
    assert evaluate(parse_policy(doc), principal_account=SRC, action=COPY).allowed
