"""Pins of whole decisions of `evaluate` (issue 16, from mutmut's survivors): verdict, deciding
statement and the reason a policy violation shows, compared whole.

References (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [arnlike] reference_policies_elements_condition_operators.html#Conditions_ARN: ArnLike
  matches the six colon-delimited parts one by one; the resource part keeps its own colons.
- [action] reference_policies_elements_action.html: action names are case-insensitive, `*`
  matches any characters; AWS Backup "Vault access policies" take no wildcard action nor
  NotAction (the pack's literal-actions rule, docs/policy-pack.md).
- [arn] reference_identifiers.html: an ARN's partition (aws, aws-cn, aws-us-gov); an ARN
  known only by a shape whose partition is a wildcard says nothing of the caller's partition.
- [date] reference_policies_elements_condition_operators.html#Conditions_Numeric and
  reference_policies_condition-keys.html#condition-keys-epochtime: aws:EpochTime is whole
  seconds; a condition on it changes value only at the dates the policy names.
- [logic] reference_policies_condition-logic-multiple-context-keys-or-values.html.
"""

from __future__ import annotations

from datetime import UTC, datetime

from backup_guard.iam import arn_match, evaluate
from backup_guard.iam.conditions import iso
from iam_tables import COPY, DECRYPT, KEY_SHAPE, ORG, SRC, VAULT, check, pol, st

R1 = f"arn:aws:iam::{SRC}:role/a"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LITERAL_NOTE = (
    "which doesn't count: AWS Backup vault access policies don't support a wildcard in the "
    "Action key (nor NotAction), so AWS rejects the policy"
)


def test_arn_like_with_colons_in_the_pattern_s_resource_part() -> None:
    # [arnlike]
    pattern = f"arn:aws:logs:*:{SRC}:log-group:x:*"
    assert arn_match(pattern, f"arn:aws:logs:eu-west-1:{SRC}:log-group:x:log-stream:y") is True


def test_literal_actions_reason_names_every_not_action() -> None:
    # [action]
    check(
        pol(st("A", not_action=["backup:DeleteBackupVault", "backup:PutBackupVaultAccessPolicy"])),
        {"literal_actions_only": True},
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' covers {COPY} only through "
        "NotAction 'backup:DeleteBackupVault', 'backup:PutBackupVaultAccessPolicy', "
        f"{LITERAL_NOTE}",
    )


def test_literal_actions_reason_names_a_wildcard_of_another_case() -> None:
    # [action] the wildcard that covers the action, matched case-insensitively
    check(
        pol(st("A", action=["backup:Delete*", "BACKUP:COPY*"])),
        {"literal_actions_only": True},
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' covers {COPY} only through the "
        f"wildcard action 'BACKUP:COPY*', {LITERAL_NOTE}",
    )


def test_resource_shape_with_a_wildcard_partition_leaves_the_partition_open() -> None:
    # [arn] the grant to the account's root (partition aws) applies
    check(
        pol(st("A")),
        {"resource": "arn:*:backup:eu-west-1:222222222222:backup-vault:copies"},
        "allowed",
        "A",
        f"statement 'A' allows {COPY} to {SRC}",
    )


def test_reason_names_every_kind_of_principal_a_condition_grants() -> None:
    check(
        pol(
            st(
                "A",
                principal="*",
                condition={
                    "StringLike": {"aws:PrincipalArn": R1},
                    "StringEquals": {"aws:PrincipalTag/team": "x"},
                },
            )
        ),
        {},
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' grants it only to the principals "
        f"of {SRC} whose aws:PrincipalArn matches {R1} and the principals of {SRC} with that "
        f"aws:PrincipalTag/team, not to the account {SRC}",
    )


def test_reason_names_every_key_config_would_decide() -> None:
    check(
        pol(
            st(
                "A",
                principal="*",
                condition={
                    "StringEquals": {"aws:PrincipalOrgID": ORG},
                    "StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"},
                },
            )
        ),
        {},
        "uncertain",
        "A",
        f"statement 'A' allows {COPY} to {SRC} only under a condition: its condition on "
        "aws:PrincipalOrgID needs the pack's organizationId config; aws:PrincipalOrgPaths needs "
        "the pack's organizationId config",
    )


def test_allow_until_exactly_now_expires_at_the_next_second() -> None:
    # [date] DateLessThanEquals now: true now, false one second later.
    d = evaluate(
        pol(st("A", condition={"DateLessThanEquals": {"aws:CurrentTime": iso(NOW.timestamp())}})),
        principal_account=SRC,
        action=COPY,
        now=NOW,
    )
    assert (d.verdict, d.statement, d.reason) == (
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' allows it but its condition holds "
        "only until 2026-11-28T12:00:00Z (condition DateLessThanEquals aws:CurrentTime "
        "2026-11-28T12:00:00Z is false for 2026-11-28T12:00:01Z): every copy from then on fails",
    )


def test_deny_for_one_second_between_two_dates_applies() -> None:
    # [date] + [logic] epoch > b and epoch < b + 2: true for the second b + 1 only.
    b = int(NOW.timestamp()) + 100
    deny = st(
        "D",
        "Deny",
        condition={
            "NumericGreaterThan": {"aws:EpochTime": str(b)},
            "NumericLessThan": {"aws:EpochTime": str(b + 2)},
        },
    )
    d = evaluate(pol(st("A"), deny), principal_account=SRC, action=COPY, now=NOW)
    assert (d.verdict, d.statement, d.reason) == (
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC} from {iso(b)}",
    )


def test_key_policy_resource_with_question_marks_may_name_its_own_key() -> None:
    # [action]/[arn] `?` is one character (reference_policies_elements_resource.html); for the
    # key's own policy a Resource that may be its ARN is its ARN (AWS KMS "Key policies").
    check(
        pol(st("A", action=DECRYPT, resource=f"arn:aws:kms:eu-west-1:22222222222?:key/{KEY_ID}")),
        {"resource": KEY_SHAPE, "action": DECRYPT, "self_resource": True},
        "allowed",
        "A",
        f"statement 'A' allows {DECRYPT} to {SRC}",
    )


# [variables] reference_policies_variables.html: a Resource with a variable the request may
# lack (`${aws:SourceVpc}`, unknown here) names a resource that is not known here.
V1 = "arn:aws:backup:eu-west-1:222222222222:backup-vault:${aws:SourceVpc}"
V2 = "arn:aws:backup:eu-west-1:222222222222:backup-vault:${aws:SourceIp}"


def test_resources_with_unresolved_variables_may_not_cover_the_vault() -> None:
    check(
        pol(st("A", resource=[V1, V2])),
        {"resource": VAULT},
        "uncertain",
        "A",
        f"statement 'A' may not allow {COPY} to {SRC}: its Resource {V1}, {V2} may not cover "
        f"{VAULT}",
    )


def test_not_resources_with_unresolved_variables_may_exclude_the_vault() -> None:
    check(
        pol(st("Allow"), st("D", "Deny", not_resource=[V1, V2])),
        {"resource": VAULT},
        "uncertain",
        "D",
        f"statement 'D' may deny {COPY} to {SRC}: its NotResource {V1}, {V2} may exclude {VAULT}",
    )


# [evaluation] reference_policies_evaluation-logic.html: every statement is evaluated, in no
# particular order; one that does not apply (resource, principal or condition) ends nothing.
OTHER_BUCKET = "arn:aws:s3:::other-bucket"


def test_statement_for_another_resource_before_the_deciding_one() -> None:
    check(
        pol(st("X", "Deny", resource=OTHER_BUCKET), st("A", resource=VAULT)),
        {"resource": VAULT},
        "allowed",
        "A",
        f"statement 'A' allows {COPY} to {SRC}",
    )


def test_statement_for_another_account_before_the_deciding_one() -> None:
    check(
        pol(st("X", "Deny", principal={"AWS": "333333333333"}), st("A")),
        {},
        "allowed",
        "A",
        f"statement 'A' allows {COPY} to {SRC}",
    )


def test_statement_with_a_false_condition_before_the_deciding_one() -> None:
    deny = st("X", "Deny", condition={"StringEquals": {"aws:PrincipalAccount": "333333333333"}})
    check(pol(deny, st("A")), {}, "allowed", "A", f"statement 'A' allows {COPY} to {SRC}")


def test_wildcard_allow_that_does_not_count_before_the_deciding_one() -> None:
    # [action] the wildcard Allow is skipped for a vault policy, the literal one after it decides
    check(
        pol(st("W", action="backup:Copy*"), st("A")),
        {"literal_actions_only": True},
        "allowed",
        "A",
        f"statement 'A' allows {COPY} to {SRC}",
    )


# Every reason that leaves a statement undecided is named, joined by "; ".
ROLE_ONLY = {"AWS": f"arn:aws:iam::{SRC}:role/backup"}
GRANTS_ROLE = f"grants only arn:aws:iam::{SRC}:role/backup, not the account {SRC}"
ON_SOURCE_IP = "its condition on aws:SourceIp depends on the request"


def test_deny_reason_names_its_principal_and_its_request_key() -> None:
    deny = st(
        "D", "Deny", principal=ROLE_ONLY, condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    )
    check(
        pol(st("A"), deny),
        {},
        "uncertain",
        "D",
        f"statement 'D' may deny {COPY} to {SRC}: {GRANTS_ROLE}; {ON_SOURCE_IP}",
    )


def test_near_miss_reason_names_its_principal_and_the_principals_of_its_condition() -> None:
    allow = st("A", principal=ROLE_ONLY, condition={"StringEquals": {"aws:PrincipalTag/team": "x"}})
    check(
        pol(allow),
        {},
        "implicit-deny",
        "A",
        f"no statement allows {COPY} to {SRC}: statement 'A' {GRANTS_ROLE}; grants it only to "
        f"the principals of {SRC} with that aws:PrincipalTag/team, not to the account {SRC}",
    )


def test_uncertain_allow_reason_names_its_resource_and_its_request_key() -> None:
    allow = st("A", resource=V1, condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    check(
        pol(allow),
        {"resource": VAULT},
        "uncertain",
        "A",
        f"statement 'A' may not allow {COPY} to {SRC}: its Resource {V1} may not cover {VAULT}; "
        f"{ON_SOURCE_IP}",
    )
