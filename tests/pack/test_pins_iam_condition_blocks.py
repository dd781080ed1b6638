"""Pins of one `Condition` element read whole (`conditions.evaluate_condition`; issue 16, from
mutmut's survivors): every key of every block is read, whatever the keys before it were (a key
skipped as undecided must not end the block), and the result (`Cond`) is compared whole: state,
the sentence that says why a condition is false, and the keys left to the request, the config or
some principals.

References (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [logic] reference_policies_condition-logic-multiple-context-keys-or-values.html: the
  operators of a Condition element and the keys of one operator are ANDed (all must be true);
  the values of one key are ORed.
- [ops] reference_policies_elements_condition_operators.html: a missing key makes a condition
  false except with the negated operators and `...IfExists`; `Null` tests presence ("true": the
  key must be absent); Numeric operators compare numbers (a value that is none cannot match).
- [sets] reference_policies_condition-single-vs-multi-valued-context-keys.html:
  `ForAllValues:` is true if every value of the request matches, `ForAnyValue:` if one does.
- [keys] reference_policies_condition-keys.html: aws:PrincipalTag/* differs per principal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backup_guard.iam.conditions import Cond, evaluate_condition, iso, make_context
from backup_guard.iam.match import Tri
from iam_tables import ORG, OTHER, SRC

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EPOCH = str(int(NOW.timestamp()))
ROLES = f"arn:aws:iam::{SRC}:role/*"
# A key the block decides false, after which nothing may be skipped.
FALSE_ACCOUNT = ("aws:PrincipalAccount", [OTHER])
FALSE_NOTE = f"condition StringEquals aws:PrincipalAccount {OTHER} is false for {SRC}"
PRESENT_NOTE = "condition Null aws:PrincipalAccount is false: the key is present in the request"


def _eval(condition: dict[str, dict[str, list[str]]], **kw: Any) -> Cond:
    ctx = make_context(
        principal_account=SRC,
        principal_arn=None,
        partition="aws",
        org_id=kw.pop("org_id", None),
        organization_member=True,
        extra={
            "aws:SourceVpc": None,
            "aws:MultiFactorAuthAge": "not-a-number",
            "aws:TagKeys": ["a", "b"],
        },
        variables=True,
        now=NOW,
    )
    return evaluate_condition(condition, ctx, kw.pop("effect", "Allow"))


# [logic] (id, condition, the whole result): a key left undecided, then one that is false.
AFTER_A_SKIPPED_KEY: list[tuple[str, dict[str, dict[str, list[str]]], Cond]] = [
    (
        "after-an-operator-not-evaluated",
        {"StringMatches": {"aws:SourceIp": ["x"]}, "StringEquals": dict([FALSE_ACCOUNT])},
        Cond(Tri.NO, FALSE_NOTE),
    ),
    (
        "null-after-a-request-key",
        {"Null": {"aws:SourceIp": ["true"], "aws:PrincipalAccount": ["true"]}},
        Cond(Tri.NO, PRESENT_NOTE),
    ),
    (
        "null-after-a-principal-tag",
        {"Null": {"aws:PrincipalTag/team": ["true"], "aws:PrincipalAccount": ["true"]}},
        Cond(Tri.NO, PRESENT_NOTE),
    ),
    (
        "null-after-a-null-that-holds",
        {"Null": {"aws:SourceVpc": ["true"], "aws:PrincipalAccount": ["true"]}},
        Cond(Tri.NO, PRESENT_NOTE),
    ),
    (
        "after-an-absent-key-of-a-negated-operator",
        {"StringNotEquals": {"aws:SourceVpc": ["vpc-1"], "aws:PrincipalAccount": [SRC]}},
        Cond(Tri.NO, f"condition StringNotEquals aws:PrincipalAccount {SRC} is false for {SRC}"),
    ),
    (
        "after-a-request-key",
        {"StringEquals": {"aws:SourceIp": ["1.2.3.4"], **dict([FALSE_ACCOUNT])}},
        Cond(Tri.NO, FALSE_NOTE),
    ),
    (
        "after-an-unresolved-variable",
        {"StringEquals": {"kms:CallerAccount": ["${aws:SourceIp}"], **dict([FALSE_ACCOUNT])}},
        Cond(Tri.NO, FALSE_NOTE),
    ),
    (
        "after-a-principal-tag",
        {"StringEquals": {"aws:PrincipalTag/team": ["x"], **dict([FALSE_ACCOUNT])}},
        Cond(Tri.NO, FALSE_NOTE),
    ),
    (
        "after-a-principal-arn-true-for-some",
        {"StringLike": {"aws:PrincipalArn": [ROLES], "aws:PrincipalAccount": [OTHER]}},
        Cond(Tri.NO, f"condition StringLike aws:PrincipalAccount {OTHER} is false for {SRC}"),
    ),
    (
        "after-a-principal-arn-true-for-all",
        {
            "StringLike": {
                "aws:PrincipalArn": [f"arn:aws:iam::{SRC}:*"],
                "aws:PrincipalAccount": [OTHER],
            }
        },
        Cond(Tri.NO, f"condition StringLike aws:PrincipalAccount {OTHER} is false for {SRC}"),
    ),
    (
        "after-a-value-that-is-no-number",
        {"NumericLessThan": {"aws:MultiFactorAuthAge": ["3600"], "aws:EpochTime": ["1"]}},
        Cond(Tri.NO, f"condition NumericLessThan aws:EpochTime 1 is false for {EPOCH}"),
    ),
]


@pytest.mark.parametrize(
    ("condition", "result"),
    [pytest.param(c, r, id=i) for i, c, r in AFTER_A_SKIPPED_KEY],
)
def test_false_key_after_a_skipped_one_still_decides(
    condition: dict[str, dict[str, list[str]]], result: Cond
) -> None:
    assert _eval(condition) == result


# [ops] the sentence of a false condition, whole.
def test_null_false_on_an_absent_key() -> None:
    assert _eval({"Null": {"aws:SourceVpc": ["false"]}}) == Cond(
        Tri.NO, "condition Null aws:SourceVpc is false: the key is absent from the request"
    )


def test_null_true_on_a_principal_key() -> None:
    assert _eval({"Null": {"aws:PrincipalArn": ["TRUE"]}}) == Cond(
        Tri.NO, "condition Null aws:PrincipalArn is false: the key is present in the request"
    )


def test_positive_operator_on_an_absent_key() -> None:
    assert _eval({"StringEquals": {"aws:SourceVpc": ["vpc-1"]}}) == Cond(
        Tri.NO, "condition StringEquals aws:SourceVpc is false: the key is absent from the request"
    )


def test_for_any_value_on_an_absent_key() -> None:
    assert _eval({"ForAnyValue:StringNotEquals": {"aws:SourceVpc": ["vpc-1"]}}) == Cond(
        Tri.NO,
        "condition ForAnyValue:StringNotEquals aws:SourceVpc is false: the key is absent from "
        "the request",
    )


def test_principal_arn_condition_false_for_every_principal() -> None:
    arn = f"arn:aws:iam::{OTHER}:*"
    assert _eval({"ArnLike": {"aws:PrincipalArn": [arn]}}) == Cond(
        Tri.NO, f"condition ArnLike aws:PrincipalArn is false for every principal of {SRC}"
    )


def test_negated_principal_arn_condition_covering_every_principal_is_false() -> None:
    assert _eval({"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{SRC}:*"]}}) == Cond(
        Tri.NO, f"condition ArnNotLike aws:PrincipalArn is false for every principal of {SRC}"
    )


# [sets]
def test_for_all_values_needs_every_request_value() -> None:
    assert _eval({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}) == Cond(
        Tri.NO, "condition ForAllValues:StringEquals aws:TagKeys a is false for a, b"
    )


def test_for_any_value_needs_one_request_value() -> None:
    assert _eval({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}) == Cond(Tri.YES)


def test_for_all_values_true_when_every_value_matches() -> None:
    assert _eval({"ForAllValues:StringLike": {"aws:TagKeys": ["a", "b"]}}) == Cond(Tri.YES)


# What is left undecided, whole: who, which config, which request keys.
def test_undecided_keys_are_listed_in_order_of_kind() -> None:
    condition = {
        "StringMatches": {"k": ["v"]},
        "StringEquals": {
            "aws:SourceIp": ["1.2.3.4"],
            "aws:PrincipalOrgID": [ORG],
            "aws:PrincipalTag/team": ["x"],
        },
        "StringLike": {"aws:PrincipalArn": [ROLES]},
        "StringNotLike": {"aws:PrincipalArn": [ROLES]},
        "Null": {"aws:PrincipalTag/team": ["false"]},
    }
    assert _eval(condition) == Cond(
        Tri.MAYBE,
        request=["k (StringMatches, an operator not evaluated here)", "aws:SourceIp"],
        config=["aws:PrincipalOrgID needs the pack's organizationId config"],
        principals=[
            f"the principals of {SRC} with that aws:PrincipalTag/team",
            f"the principals of {SRC} whose aws:PrincipalArn matches {ROLES}",
            f"the principals of {SRC} whose aws:PrincipalArn does not match {ROLES}",
            f"the principals of {SRC} with that aws:PrincipalTag/team",
        ],
    )


def test_numeric_value_that_is_no_number_is_left_to_the_request() -> None:
    assert _eval({"NumericLessThan": {"aws:MultiFactorAuthAge": ["3600"]}}) == Cond(
        Tri.MAYBE, request=["aws:MultiFactorAuthAge"]
    )


def test_all_keys_true_is_true() -> None:
    condition = {
        "StringEquals": {"aws:PrincipalAccount": [SRC], "kms:CallerAccount": [SRC]},
        "Null": {"aws:SourceVpc": ["true"], "aws:PrincipalArn": ["false"]},
        "StringNotEquals": {"aws:SourceVpc": ["vpc-1"]},
        "Bool": {"aws:PrincipalIsAWSService": ["false"]},
    }
    assert _eval(condition) == Cond(Tri.YES)


def test_false_condition_names_every_value_of_the_key() -> None:
    condition = {"StringEquals": {"aws:PrincipalAccount": [OTHER, "444444444444"]}}
    assert _eval(condition) == Cond(
        Tri.NO,
        f"condition StringEquals aws:PrincipalAccount {OTHER}, 444444444444 is false for {SRC}",
    )


def test_empty_condition_is_true() -> None:
    assert _eval({}) == Cond(Tri.YES)


@pytest.mark.parametrize(
    ("condition", "key"),
    [
        pytest.param(
            {"DateGreaterThan": {"aws:TokenIssueTime": ["2020-01-01T00:00:00Z"]}},
            "aws:TokenIssueTime",
            id="request-value-no-date",
        ),
        pytest.param(
            {"DateLessThan": {"aws:CurrentTime": ["soon"]}}, "aws:CurrentTime", id="pattern-no-date"
        ),
    ],
)
def test_date_that_is_no_date_is_left_to_the_request(
    condition: dict[str, dict[str, list[str]]], key: str
) -> None:
    ctx = make_context(
        principal_account=SRC,
        principal_arn=None,
        partition="aws",
        org_id=None,
        organization_member=True,
        extra={"aws:TokenIssueTime": "yesterday"},
        variables=True,
        now=NOW,
    )
    assert evaluate_condition(condition, ctx, "Allow") == Cond(Tri.MAYBE, request=[key])


def test_operator_with_two_qualifiers_is_not_evaluated() -> None:
    # [ops] no IAM operator has two qualifiers: the key is left to the request, named with it.
    assert _eval({"ForAnyValue:StringEquals:Bogus": {"aws:SourceIp": ["x"]}}) == Cond(
        Tri.MAYBE,
        request=["aws:SourceIp (ForAnyValue:StringEquals:Bogus, an operator not evaluated here)"],
    )


# Time (IAM "Condition operators", Date and Numeric; the pack's rule in docs/policy-pack.md: an
# Allow must hold now and at every later date, a Deny applies if it holds at any later date).
LATER = int(NOW.timestamp()) + 3600


def test_allow_false_now_and_at_every_date_keeps_its_own_reason() -> None:
    condition = {
        "DateLessThan": {"aws:CurrentTime": [iso(LATER)]},
        "StringEquals": dict([FALSE_ACCOUNT]),
    }
    assert _eval(condition) == Cond(Tri.NO, FALSE_NOTE)


def test_allow_false_only_at_the_date_it_names_expires_there() -> None:
    condition = {"NumericNotEquals": {"aws:EpochTime": [str(LATER)]}}
    assert _eval(condition) == Cond(
        Tri.NO,
        f"its condition holds only until {iso(LATER)} (condition NumericNotEquals "
        f"aws:EpochTime {LATER} is false for {LATER}): every copy from then on fails",
        timed=True,
    )


def test_deny_that_starts_later_applies_from_its_date() -> None:
    condition = {"DateGreaterThanEquals": {"aws:CurrentTime": [iso(LATER)]}}
    assert _eval(condition, effect="Deny") == Cond(Tri.YES, f"from {iso(LATER)}", timed=True)


@pytest.mark.parametrize("op", ["ForAllValues:StringEquals", "StringEqualsIfExists"])
def test_for_all_values_and_if_exists_are_true_on_an_absent_key(op: str) -> None:
    # [ops] / [sets]: true when the key is missing from the request.
    assert _eval({op: {"aws:SourceVpc": ["vpc-1"]}}) == Cond(Tri.YES)


def test_deny_true_only_at_the_date_it_names_applies_from_there() -> None:
    condition = {"NumericEquals": {"aws:EpochTime": [str(LATER)]}}
    assert _eval(condition, effect="Deny") == Cond(Tri.YES, f"from {iso(LATER)}", timed=True)


def test_deny_false_now_and_at_every_date_keeps_the_reason_of_now() -> None:
    condition = {
        "DateGreaterThan": {"aws:CurrentTime": [iso(LATER)]},
        "StringEquals": dict([FALSE_ACCOUNT]),
    }
    assert _eval(condition, effect="Deny") == Cond(
        Tri.NO,
        f"condition DateGreaterThan aws:CurrentTime {iso(LATER)} is false for "
        f"{iso(NOW.timestamp())}",
    )
