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

from backup_guard.iam import wildcard_principal_statements
from backup_guard.iam.match import arn_may_overlap
from iam_tables import SRC, pol, st

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
