"""Pins of ARN patterns against ARNs known only by their shape, and of the values that tie an
open statement to an account (issue 16, from mutmut's survivors).

References (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [arnlike] reference_policies_elements_condition_operators.html#Conditions_ARN: "ArnLike"
  compares the six colon-delimited parts of the ARN one by one, the resource part keeping its
  own colons (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, reference_identifiers.html).
- [keys] reference_policies_condition-keys.html: aws:PrincipalArn is the caller's ARN;
  aws:PrincipalOrgPaths is `o-ORG/r-ROOT/ou-.../`; a value naming the account or organization
  literally ties the statement to it whatever the rest of the value holds.
- [variables] reference_policies_variables.html: a policy variable is replaced by the request's
  value, so it names no account itself.
"""

from __future__ import annotations

import pytest

from backup_guard.iam import evaluate, wildcard_principal_statements
from backup_guard.iam.conditions import OrgId
from backup_guard.iam.match import arn_may_overlap
from iam_tables import COPY, ORG, SRC, pol, st

LOGS = f"arn:aws:logs:*:{SRC}:log-group:x*"  # a pattern with a colon in its resource part


# [arnlike] (pattern, shape, some ARN of the shape may match the pattern)
@pytest.mark.parametrize(
    ("pattern", "shape", "overlap"),
    [
        pytest.param(LOGS, f"arn:aws:logs:eu-west-1:{SRC}:*", True, id="colon-in-the-pattern"),
        pytest.param(LOGS, f"arn:aws:logs:eu-west-1:{SRC}:log-group:*", True, id="colon-in-both"),
        pytest.param(
            LOGS, f"arn:aws:logs:eu-west-1:{SRC}:log-group:y*", False, id="resource-parts-differ"
        ),
        pytest.param(LOGS, "arn:aws:logs:eu-west-1:333333333333:*", False, id="other-account"),
        pytest.param("not-an-arn", f"arn:aws:logs:eu-west-1:{SRC}:*", False, id="pattern-no-arn"),
        pytest.param(LOGS, "arn:aws:logs:*", False, id="shape-too-short"),
    ],
)
def test_arn_may_overlap_reads_six_parts_the_last_with_its_colons(
    pattern: str, shape: str, overlap: bool
) -> None:
    assert arn_may_overlap(pattern, shape) is overlap


def _open(key: str, value: str, op: str = "ArnLike") -> list[str]:
    return wildcard_principal_statements(pol(st("A", principal="*", condition={op: {key: value}})))


# [keys] + [variables]
@pytest.mark.parametrize(
    ("key", "value", "op"),
    [
        pytest.param(
            "aws:PrincipalArn",
            f"arn:aws:iam::{SRC}:role/${{aws:username}}",
            "ArnLike",
            id="arn-variable-in-the-resource-part",
        ),
        pytest.param(
            "aws:PrincipalOrgPaths",
            "o-abcdefghij/${aws:PrincipalTag/ou}/*",
            "StringLike",
            id="org-path-variable-after-the-org",
        ),
    ],
)
def test_literal_account_or_org_restricts_whatever_variable_follows(
    key: str, value: str, op: str
) -> None:
    assert _open(key, value, op) == []


@pytest.mark.parametrize(
    ("key", "value", "op"),
    [
        pytest.param(
            "aws:PrincipalArn",
            "arn:aws:iam::${aws:PrincipalAccount}:root",
            "ArnLike",
            id="arn-account-a-variable",
        ),
        pytest.param(
            "aws:PrincipalOrgPaths",
            "${aws:PrincipalOrgID}/*",
            "StringLike",
            id="org-path-org-a-variable",
        ),
        pytest.param("aws:PrincipalOrgID", "${aws:PrincipalOrgID}", "StringEquals", id="org-id"),
        pytest.param(
            "kms:CallerAccount", "${aws:PrincipalAccount}", "StringEquals", id="caller-account"
        ),
    ],
)
def test_variable_in_the_account_or_org_part_restricts_nothing(
    key: str, value: str, op: str
) -> None:
    assert _open(key, value, op) == ["A"]


# backup-policy-no-open-principal reads every block of a Condition (IAM "Condition": the
# operators of one element are ANDed, reference_policies_condition-logic-multiple-context-keys-
# or-values.html): a block that restricts nothing does not hide a later one that does.
@pytest.mark.parametrize(
    "first",
    [
        pytest.param(
            {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
            id="for-all-values",
        ),
        pytest.param({"StringEqualsIfExists": {"aws:PrincipalAccount": SRC}}, id="if-exists"),
        pytest.param({"StringNotEquals": {"aws:PrincipalAccount": "333333333333"}}, id="negated"),
    ],
)
def test_block_restricting_nothing_does_not_hide_a_later_one(first: dict) -> None:
    condition = {**first, "StringEquals": {"aws:PrincipalAccount": SRC}}
    doc = pol(st("A", principal="*", condition=condition))
    assert wildcard_principal_statements(doc) == []


def test_string_equals_ignore_case_on_the_account_restricts() -> None:
    # reference_policies_elements_condition_operators.html#Conditions_String: a positive
    # operator; the account id has no case, so it names the account.
    assert _open("aws:PrincipalAccount", SRC, "StringEqualsIgnoreCase") == []


def test_operator_iam_does_not_know_restricts_nothing() -> None:
    # An operator with two qualifiers is none of IAM's (condition operators page): it ties
    # the statement to nothing, even if a part of it reads StringEquals.
    assert _open("aws:PrincipalAccount", SRC, "ForAnyValue:StringEquals:Bogus") == ["A"]


@pytest.mark.parametrize(
    "principal",
    [{"Service": "backup.amazonaws.com"}, {"Federated": "cognito-identity.amazonaws.com"}],
)
def test_allow_to_a_service_or_federated_principal_only_is_not_open(principal: dict) -> None:
    # reference_policies_elements_principal.html: a service or federated principal is not "*".
    assert wildcard_principal_statements(pol(st("A", principal=principal))) == []


# aws:PrincipalOrgPaths with the pack's organizationPaths config (`OrgId.paths`): each source
# account's path is one of `<path>/*` (reference_policies_condition-keys.html, aws:PrincipalOrgPaths
# "o-a1b2c3d4e5/r-f6g7h8i9j0example/ou-ghi0-awsccccc/"); the condition holds for every account
# only if it covers every configured path, for none if it covers none, else config decides.
OU1 = "o-abcdefghij/r-ab12/ou-ab12-11111111"
OU2 = "o-abcdefghij/r-ab12/ou-ab12-22222222/"
PATHS_HINT = "the account's organizational unit path (the pack's organizationPaths config)"


@pytest.mark.parametrize(
    ("pattern", "verdict", "statement", "reason"),
    [
        pytest.param(
            "o-abcdefghij/r-ab12/*",
            "allowed",
            "A",
            f"statement 'A' allows {COPY} to {SRC}",
            id="covers-both-paths",
        ),
        pytest.param(
            f"{OU1}/*",
            "uncertain",
            "A",
            f"statement 'A' allows {COPY} to {SRC} only under a condition: its condition on "
            f"aws:PrincipalOrgPaths needs {PATHS_HINT}",
            id="covers-one-path-of-two",
        ),
        pytest.param(
            "o-abcdefghij/r-ab12/ou-ab12-33333333/*",
            "implicit-deny",
            None,
            f"no statement allows {COPY} to {SRC}",
            id="covers-neither-path",
        ),
    ],
)
def test_org_paths_condition_against_the_configured_paths(
    pattern: str, verdict: str, statement: str | None, reason: str
) -> None:
    cond = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": pattern}}
    d = evaluate(
        pol(st("A", principal="*", condition=cond)),
        principal_account=SRC,
        action=COPY,
        org_id=OrgId(ORG, (OU1, OU2)),
    )
    assert (d.verdict, d.statement, d.reason) == (verdict, statement, reason)


@pytest.mark.parametrize(
    ("org_id", "verdict"),
    [
        pytest.param(OrgId(ORG, (OU1,)), "allowed", id="one-path-without-slash"),
        pytest.param(OrgId(ORG, (f"{OU1}/",)), "allowed", id="one-path-with-slash"),
        pytest.param(OrgId(ORG, (OU2,)), "implicit-deny", id="another-path"),
        pytest.param(ORG, "uncertain", id="no-paths"),
    ],
)
def test_org_paths_condition_on_one_path(org_id: str, verdict: str) -> None:
    cond = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{OU1}/*"}}
    d = evaluate(
        pol(st("A", principal="*", condition=cond)),
        principal_account=SRC,
        action=COPY,
        org_id=org_id,
    )
    assert d.verdict == verdict


def test_org_path_equal_to_the_configured_ou_may_be_the_account_s() -> None:
    # The account is in the OU or below it: StringEquals on the OU's own path holds for an
    # account directly in it only; a trailing "/" in the config changes nothing.
    cond = {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": f"{OU1}/"}}
    d = evaluate(
        pol(st("A", principal="*", condition=cond)),
        principal_account=SRC,
        action=COPY,
        org_id=OrgId(ORG, (f"{OU1}/",)),
    )
    assert (d.verdict, d.reason) == (
        "uncertain",
        f"statement 'A' allows {COPY} to {SRC} only under a condition: its condition on "
        f"aws:PrincipalOrgPaths needs {PATHS_HINT}",
    )
