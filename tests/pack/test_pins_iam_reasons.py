"""Pins of the evaluator's reasons and shape checks, from mutmut's survivors (issue 16): the
reason is what a policy violation shows, so it is compared whole.

References (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- reference_policies_elements_principal.html: a list of role ARNs names those roles only.
- reference_policies_condition-keys.html: aws:PrincipalOrgPaths values are
  `o-xxx/r-xxx/ou-xxx/`; aws:SourceArn / aws:PrincipalArn are ARNs whose resource part may hold
  `:`; a policy variable (`${...}`) is replaced per request, so it names no account.
- reference_policies_elements_condition_operators.html: ArnLike compares part by part.
"""

from __future__ import annotations

from backup_guard.iam import wildcard_principal_statements
from iam_tables import COPY, ROLE, SRC, check, pol, st

R1 = f"arn:aws:iam::{SRC}:role/a"
R2 = f"arn:aws:iam::{SRC}:role/b"


def test_reason_names_every_role_of_a_principal_list() -> None:
    # Before the fix the reason named only the last role of the list.
    check(
        pol(st("A", principal={"AWS": [R1, R2]})),
        {},
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' grants only {R1} and {R2}, "
        f"not the account {SRC}",
    )


def test_reason_names_every_pattern_of_a_principal_arn_condition() -> None:
    check(
        pol(st("A", principal="*", condition={"ArnLike": {"aws:PrincipalArn": [R1, R2]}})),
        {},
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' grants it only to the principals "
        f"of {SRC} whose aws:PrincipalArn matches {R1}, {R2}, not to the account {SRC}",
    )


def test_reason_lists_the_request_keys() -> None:
    check(
        pol(st("A", condition={"StringEquals": {"aws:SourceIp": "1.2.3.4", "aws:SourceVpc": "v"}})),
        {},
        "uncertain",
        "A",
        f"statement 'A' allows {COPY} to {SRC} only under a condition: its condition on "
        "aws:SourceIp, aws:SourceVpc depends on the request",
    )


def test_reason_of_a_deny_on_two_principal_arns() -> None:
    check(
        pol(
            st("Allow"),
            st("D", "Deny", principal="*", condition={"ArnEquals": {"aws:PrincipalArn": [R1, R2]}}),
        ),
        {},
        "uncertain",
        "D",
        f"statement 'D' may deny {COPY} to {SRC}: applies to the principals of {SRC} whose "
        f"aws:PrincipalArn matches {R1}, {R2}: a copy that runs as one of them is denied",
    )


def _open(condition: dict[str, dict[str, str]]) -> list[str]:
    return wildcard_principal_statements(pol(st("A", principal="*", condition=condition)))


def test_policy_variable_names_no_account() -> None:
    assert _open({"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}) == ["A"]


def test_literal_account_restricts() -> None:
    assert _open({"StringEquals": {"aws:PrincipalAccount": SRC}}) == []


def test_org_path_with_several_levels_restricts() -> None:
    path = "o-abcdefghij/r-ab12/ou-ab12-11111111/"
    assert _open({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": path}}) == []


def test_org_path_with_a_wildcard_org_is_open() -> None:
    assert _open({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/r-ab12/"}}) == ["A"]


def test_source_arn_with_colon_in_the_resource_part_restricts() -> None:
    arn = f"arn:aws:backup:eu-west-1:{SRC}:backup-vault:copies"
    assert _open({"ArnEquals": {"aws:SourceArn": arn}}) == []


def test_principal_arn_with_wildcard_account_is_open() -> None:
    assert _open({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/backup"}}) == ["A"]


def test_role_principal_arn_restricts() -> None:
    assert _open({"ArnLike": {"aws:PrincipalArn": ROLE}}) == []
