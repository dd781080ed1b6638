"""Pins written from the IAM evaluator's mutation survivors (issue 16, docs/testing.md).

Rows as in test_pins_iam.py: (id, policy, evaluate kwargs, verdict, deciding statement, reason),
the reason asserted whole where the evaluator writes one. References (IAM User Guide pages under
https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [notprincipal] reference_policies_elements_notprincipal.html: NotPrincipal matches every
  principal except the ones listed: `"NotPrincipal": "*"` excludes every principal (the
  statement applies to none); one that lists only a service principal still matches the account.
- [arn] reference_identifiers.html: an IAM ARN names one partition (aws, aws-cn, aws-us-gov);
  an entry of another partition or another account does not designate the caller.
- [action] reference_policies_elements_action.html / reference_policies_elements_notaction.html:
  "action names are not case sensitive"; NotAction matches every action except those listed.
- [arnlike], [string], [date] (condition operators page), [grammar]: at their tables below.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from backup_guard.iam import parse_policy
from backup_guard.iam.conditions import _shape_result, iso, parse_time
from backup_guard.iam.match import Tri, arn_includes
from iam_tables import ALLOW, OTHER, ROLE, SRC, Case, check, pol, st

OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
CN_ROLE = f"arn:aws-cn:iam::{SRC}:role/backup"
SIBLING = f"arn:aws:iam::{SRC}:role/other"

ROWS: list[Case] = [
    # [notprincipal]
    (
        "deny-notprincipal-star-string-denies-nobody",
        pol(st("D", "Deny", not_principal="*"), ALLOW),
        {},
        "allowed",
        "Allow",
        "statement 'Allow' allows backup:CopyIntoBackupVault to 111111111111",
    ),
    (
        "deny-notprincipal-service-only-denies-the-account",
        pol(st("D", "Deny", not_principal={"Service": "backup.amazonaws.com"}), ALLOW),
        {},
        "explicit-deny",
        "D",
        "statement 'D' denies backup:CopyIntoBackupVault to 111111111111",
    ),
    (
        "deny-notprincipal-other-account-listed-first-own-role-still-seen",
        pol(st("D", "Deny", not_principal={"AWS": [OTHER_ROOT, ROLE]}), ALLOW),
        {},
        "uncertain",
        "D",
        f"NotPrincipal excludes {ROLE} of {SRC}",
    ),
    # [arn] an entry of another partition is skipped, the next one still read
    (
        "deny-notprincipal-other-partition-listed-first-own-role-still-seen",
        pol(st("D", "Deny", not_principal={"AWS": [CN_ROLE, ROLE]}), ALLOW),
        {"partition": "aws"},
        "uncertain",
        "D",
        f"NotPrincipal excludes {ROLE} of {SRC}",
    ),
    (
        "deny-notprincipal-excluding-a-sibling-role-hits-the-caller",
        pol(st("D", "Deny", not_principal={"AWS": SIBLING}), ALLOW),
        {"principal_arn": ROLE},
        "explicit-deny",
        "D",
        "statement 'D' denies backup:CopyIntoBackupVault to",
    ),
    (
        "deny-notprincipal-excluding-the-caller-spares-it",
        pol(st("D", "Deny", not_principal={"AWS": ROLE}), ALLOW),
        {"principal_arn": ROLE},
        "allowed",
        "Allow",
        "statement 'Allow' allows backup:CopyIntoBackupVault to",
    ),
    # [action]
    (
        "deny-notaction-other-case-still-excludes-the-action",
        pol(st("D", "Deny", not_action="BACKUP:copyintobackupvault"), ALLOW),
        {},
        "allowed",
        "Allow",
        "statement 'Allow' allows backup:CopyIntoBackupVault to 111111111111",
    ),
]


@pytest.mark.parametrize(
    ("policy", "kwargs", "verdict", "statement", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_evaluator_survivor_pins(
    policy: dict[str, Any], kwargs: dict[str, Any], verdict: str, statement: str | None, reason: str
) -> None:
    check(policy, kwargs, verdict, statement, reason)


# [arnlike] reference_policies_elements_condition_operators.html#Conditions_ARN: ArnLike checks
# each of the six colon-delimited parts on its own; the resource part may itself hold `:`.
@pytest.mark.parametrize(
    ("pattern", "shape", "included"),
    [
        ("arn:aws:logs:*:*:log-group:*", f"arn:aws:logs:eu-west-1:{SRC}:log-group:x", True),
        ("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:eu-west-1:*:log-group:x:*", True),
        ("arn:aws:logs:*:*:log-group:a", f"arn:aws:logs:eu-west-1:{SRC}:log-group:b", False),
        ("arn:aws:logs:*:*:log-group:*", "not-an-arn", False),
        ("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:eu-west-1:x", False),
    ],
)
def test_arn_includes_reads_six_parts_the_last_with_its_colons(
    pattern: str, shape: str, included: bool
) -> None:
    assert arn_includes(pattern, shape) is included


# [string] reference_policies_elements_condition_operators.html#Conditions_String: StringEquals
# is exact and case-sensitive, StringEqualsIgnoreCase ignores case, neither expands wildcards in
# the policy value. Against a value known only by its shape (a glob): YES when every value of the
# shape matches, MAYBE when some may, NO when none can.
@pytest.mark.parametrize(
    ("op", "pattern", "shape", "result"),
    [
        ("stringequals", ROLE, ROLE, Tri.YES),
        ("stringequals", ROLE, ROLE.upper(), Tri.NO),
        ("stringequals", ROLE, f"arn:aws:iam::{SRC}:role/*", Tri.MAYBE),
        ("stringequals", f"arn:aws:iam::{SRC}:role/*", f"arn:aws:iam::{SRC}:role/*", Tri.MAYBE),
        ("stringequals", SIBLING, ROLE, Tri.NO),
        ("stringequalsignorecase", ROLE.upper(), ROLE, Tri.YES),
        ("stringequalsignorecase", ROLE, ROLE.upper(), Tri.YES),
        ("stringequalsignorecase", SIBLING, ROLE, Tri.NO),
    ],
)
def test_string_operators_against_a_shape(op: str, pattern: str, shape: str, result: Tri) -> None:
    assert _shape_result(op, pattern, shape) is result


# [date] reference_policies_elements_condition_operators.html#Conditions_Date: a date is ISO 8601
# or epoch seconds; IAM reads a time without zone as UTC (as aws:CurrentTime is), whatever the
# zone of the machine running the pack. RFC 3339 5.6 allows a lowercase `z`.
@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


@pytest.mark.parametrize(
    "text", ["2026-12-01T08:00:00Z", "2026-12-01T08:00:00z", "2026-12-01T08:00:00", "1796112000"]
)
def test_date_values_are_utc_on_a_machine_in_another_zone(new_york: None, text: str) -> None:
    assert parse_time(text) == 1796112000.0


def test_dates_are_written_in_utc_on_a_machine_in_another_zone(new_york: None) -> None:
    assert iso(1796112000.0) == "2026-12-01T08:00:00Z"


# [grammar] reference_policies_grammar.html: `<condition_value> = ("string" | "number" |
# "Boolean")`, quotes optional for numbers and Booleans; the values are compared as strings, so
# a JSON `true` is the string "true" (lowercase, as the Bool operator's values are written).
@pytest.mark.parametrize(
    ("values", "parsed"),
    [(True, ["true"]), (False, ["false"]), ([True, 5, "x"], ["true", "5", "x"]), (7, ["7"])],
)
def test_condition_values_json_booleans_and_numbers_are_strings(
    values: Any, parsed: list[str]
) -> None:
    key = "aws:SecureTransport"
    doc = pol(st("D", "Deny", condition={"Bool": {key: values}}))
    assert parse_policy(doc).statements[0].condition == {"Bool": {key: parsed}}


# [principal] reference_policies_elements_principal.html: the principal types are AWS, Service,
# Federated and CanonicalUser (spelt so); an S3 canonical user id is 64 hex characters.
CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


@pytest.mark.parametrize(
    ("principal", "parsed"),
    [
        (
            {"Federated": "cognito-identity.amazonaws.com"},
            {"Federated": ["cognito-identity.amazonaws.com"]},
        ),
        ({"CanonicalUser": CANONICAL}, {"CanonicalUser": [CANONICAL]}),
    ],
)
def test_principal_types_federated_and_canonical_user(
    principal: dict[str, str], parsed: dict[str, list[str]]
) -> None:
    assert parse_policy(pol(st("A", principal=principal))).statements[0].principal == parsed
