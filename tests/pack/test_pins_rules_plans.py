"""Pins of the plan rules of `backup_guard.rules` (issue 16): `copy_destination_cross_account`,
`lifecycles_valid`, `min_retention`. Whole messages (the message is the product), each limit at
its exact boundary, both sides.

References:
- AWS Backup developer guide, "Creating backup copies across AWS accounts"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html) and
  AWS-FACTS.md: the destination can't be the `Default` vault (its key `aws/backup` can't be
  shared).
- AWS Backup API, `Lifecycle` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html):
  "DeleteAfterDays ... must be at least 90 days after the number of days specified in
  MoveToColdStorageAfterDays" (so delete = cold + 90 is valid, cold + 89 is not).
- terraform-provider-aws #37862 (AWS-FACTS.md): a copy action without a lifecycle keeps the copy
  for ever.
- AWS Config rule `backup-plan-min-frequency-and-min-retention-check`: `requiredRetentionDays`
  (default 35) is a minimum, so a rule keeping backups exactly that long complies.
"""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard import rules
from backup_guard.values import UNKNOWN, NotKnownYet

SRC, BAK, OTHER, FOURTH = "111111111111", "222222222222", "333333333333", "444444444444"
DEST = f"arn:aws:backup:eu-west-1:{BAK}:backup-vault:copies"


def plan(*actions: Any, name: Any = "daily", lifecycle: Any = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"ruleName": name, "copyActions": list(actions)}
    if lifecycle is not None:
        rule["lifecycle"] = lifecycle
    return {"rules": [rule]}


def to(arn: Any, lifecycle: Any = None) -> dict[str, Any]:
    action: dict[str, Any] = {"destinationVaultArn": arn}
    if lifecycle is not None:
        action["lifecycle"] = lifecycle
    return action


# ---------------------------------------------------------------------------------------------
# copy_destination_cross_account


def cross(props: dict[str, Any], **kw: Any) -> list[str]:
    kw.setdefault("plan_account", SRC)
    return rules.copy_destination_cross_account(props, subject="plan P", **kw)


DEFAULT_MSG = (
    "plan P rule 'daily' copies to {arn!r}: the Default vault can't receive cross-account copies "
    "(its key aws/backup can't be shared); copy to a vault on a customer managed key"
)


@pytest.mark.parametrize("name", ["Default", "default", "DEFAULT"])
def test_copy_to_the_default_vault_whole_message(name: str) -> None:
    arn = DEST.replace("copies", name)
    assert cross(plan(to(arn))) == [DEFAULT_MSG.format(arn=arn)]


def test_copy_to_a_vault_named_like_default_is_fine() -> None:
    assert cross(plan(to(DEST.replace("copies", "Default2")))) == []


@pytest.mark.parametrize("name", ["Default:x", "x:Default"])
def test_vault_name_is_everything_after_the_first_colon(name: str) -> None:
    # `backup-vault:x:Default` names the vault "x:Default", not "Default" (AWS takes no ":" in
    # a vault name; such an ARN names no vault AWS has, and no Default vault either).
    assert cross(plan(to(DEST.replace("copies", name)))) == []


def test_default_vault_of_the_source_account_gets_both_messages() -> None:
    arn = f"arn:aws:backup:eu-west-1:{SRC}:backup-vault:Default"
    assert cross(plan(to(arn))) == [
        DEFAULT_MSG.format(arn=arn),
        f"plan P rule 'daily' copies to {arn!r}: account {SRC} is the source account; copies "
        "must leave it",
    ]


def test_copy_into_another_configured_source_account_must_leave_it() -> None:
    arn = DEST.replace(BAK, OTHER)
    assert cross(plan(to(arn)), source_accounts=[SRC, OTHER]) == [
        f"plan P rule 'daily' copies to {arn!r}: account {OTHER} is the source account; copies "
        "must leave it"
    ]


def test_copy_to_an_account_outside_the_backup_accounts_lists_them() -> None:
    arn = DEST.replace(BAK, OTHER)
    assert cross(plan(to(arn)), backup_accounts=[BAK, FOURTH]) == [
        f"plan P rule 'daily' copies to {arn!r}: account {OTHER} is not a backup account "
        f"({BAK}, {FOURTH})"
    ]


def test_a_vault_arn_with_a_trailing_newline_is_not_a_vault_arn() -> None:
    # Before the fix `^...$` matched before the newline and this passed as vault "copies".
    arn = DEST + "\n"
    assert cross(plan(to(arn))) == [
        f"plan P rule 'daily' copies to {arn!r}, which is not a backup vault ARN"
    ]


def test_a_copy_after_one_that_is_not_a_vault_is_still_judged() -> None:
    same = DEST.replace(BAK, SRC)
    assert cross(plan(to("copies"), to(same))) == [
        "plan P rule 'daily' copies to 'copies', which is not a backup vault ARN",
        f"plan P rule 'daily' copies to {same!r}: account {SRC} is the source account; copies "
        "must leave it",
    ]


def test_copy_to_a_configured_backup_account_passes() -> None:
    assert cross(plan(to(DEST)), backup_accounts=[FOURTH, BAK]) == []


def test_without_configured_backup_accounts_any_other_account_passes() -> None:
    assert cross(plan(to(DEST.replace(BAK, OTHER)))) == []


def test_no_copy_action_of_a_plan_of_unknown_account() -> None:
    props = {"rules": [{"ruleName": "daily"}]}
    assert cross(props, plan_account=None) == [
        "plan P has no copy action: no backup leaves account ?"
    ]


@pytest.mark.parametrize("props", [{}, {"rules": None}, {"rules": [{"copyActions": None}]}])
def test_no_rules_or_no_copy_actions_is_no_copy_action(props: dict[str, Any]) -> None:
    assert cross(props) == [f"plan P has no copy action: no backup leaves account {SRC}"]


def test_plan_outside_the_sources_lists_them_all() -> None:
    assert cross(plan(to(DEST)), plan_account=OTHER, source_accounts=[SRC, FOURTH]) == [
        f"plan P is in account {OTHER}, which is not a configured source account ({SRC}, "
        f"{FOURTH}): its copies' grants were not checked"
    ]


def test_plan_of_unknown_account_is_not_outside_the_sources() -> None:
    assert cross(plan(to(DEST)), plan_account=None, source_accounts=[SRC]) == []


def test_plan_in_a_configured_source_passes() -> None:
    assert cross(plan(to(DEST)), plan_account=SRC, source_accounts=[OTHER, SRC]) == []


def test_every_copy_action_of_every_rule_is_judged() -> None:
    bad1, bad2 = DEST.replace(BAK, SRC), DEST.replace("copies", "Default")
    props = {
        "rules": [
            {"ruleName": "daily", "copyActions": [to(DEST), to(bad1)]},
            {"ruleName": "monthly", "copyActions": [to(bad2)]},
        ]
    }
    assert cross(props) == [
        f"plan P rule 'daily' copies to {bad1!r}: account {SRC} is the source account; copies "
        "must leave it",
        DEFAULT_MSG.format(arn=bad2).replace("'daily'", "'monthly'"),
    ]


@pytest.mark.parametrize("name", [None, UNKNOWN, 5])
def test_a_rule_without_a_known_name_is_named_by_its_index(name: Any) -> None:
    props = {
        "rules": [
            {"ruleName": "a", "copyActions": [to(DEST)]},
            plan(to("x"), name=name)["rules"][0],
        ]
    }
    assert cross(props) == ["plan P rule 'rules[1]' copies to 'x', which is not a backup vault ARN"]


def test_a_rule_that_is_not_an_object_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError) as caught:
        cross({"rules": [{"copyActions": [to(DEST)]}, "daily"]})
    assert str(caught.value) == "rules[1] is not an object: 'daily'"


def test_a_copy_action_that_is_not_an_object_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError) as caught:
        cross({"rules": [{"copyActions": []}, {"copyActions": [to(DEST), DEST]}]})
    assert str(caught.value) == f"rules.1.copyActions[1] is not an object: {DEST!r}"


@pytest.mark.parametrize(
    ("props", "path"),
    [
        ({"rules": UNKNOWN}, ["rules"]),
        ({"rules": [{"copyActions": []}, UNKNOWN]}, ["rules", "1"]),
        ({"rules": [{"copyActions": []}, {"copyActions": UNKNOWN}]}, ["rules", "1", "copyActions"]),
        (
            {"rules": [{"copyActions": []}, {"copyActions": [to(DEST), UNKNOWN]}]},
            ["rules", "1", "copyActions", "1"],
        ),
        (
            {"rules": [{"copyActions": []}, {"copyActions": [to(DEST), to(UNKNOWN)]}]},
            ["rules", "1", "copyActions", "1", "destinationVaultArn"],
        ),
    ],
)
def test_unknown_parts_of_the_plan_name_their_path(props: dict[str, Any], path: list[str]) -> None:
    with pytest.raises(NotKnownYet) as caught:
        cross(props)
    assert caught.value.path == path


# ---------------------------------------------------------------------------------------------
# lifecycles_valid


def lifecycles(props: dict[str, Any]) -> list[str]:
    return rules.lifecycles_valid(props, subject="plan P")


KEEP = {"deleteAfter": 35.0}


@pytest.mark.parametrize(("cold", "delete"), [(30.0, 120.0), (0.0, 90.0), (1.0, 91.0)])
def test_delete_exactly_90_days_after_cold_storage_is_valid(cold: float, delete: float) -> None:
    assert (
        lifecycles(
            plan(to(DEST, KEEP), lifecycle={"coldStorageAfter": cold, "deleteAfter": delete})
        )
        == []
    )


def test_delete_89_days_after_cold_storage_is_refused() -> None:
    assert lifecycles(
        plan(to(DEST, KEEP), lifecycle={"coldStorageAfter": 30.0, "deleteAfter": 119.0})
    ) == [
        "plan P rule 'daily' lifecycle: deleteAfter 119 days is less than coldStorageAfter 30 "
        "+ 90 = 120 days"
    ]


def test_copy_deleted_89_days_after_cold_storage_is_refused() -> None:
    props = plan(to(DEST, {"coldStorageAfter": 7.5, "deleteAfter": 97.0}))
    assert lifecycles(props) == [
        f"plan P rule 'daily' copy to {DEST!r} lifecycle: deleteAfter 97 days is less than "
        "coldStorageAfter 7.5 + 90 = 97.5 days"
    ]


def test_delete_after_one_day_is_valid() -> None:
    assert lifecycles(plan(to(DEST, {"deleteAfter": 1.0}), lifecycle={"deleteAfter": 1.0})) == []


@pytest.mark.parametrize("delete", [0.5, 0.0, -1.0])
def test_delete_after_below_one_day_is_refused(delete: float) -> None:
    assert lifecycles(plan(to(DEST, KEEP), lifecycle={"deleteAfter": delete})) == [
        f"plan P rule 'daily' lifecycle: deleteAfter {delete:g} is below 1 day"
    ]


def test_copy_deleted_below_one_day_is_refused() -> None:
    assert lifecycles(plan(to(DEST, {"deleteAfter": 0.5}))) == [
        f"plan P rule 'daily' copy to {DEST!r} lifecycle: deleteAfter 0.5 is below 1 day"
    ]


def test_both_lifecycle_faults_are_reported_in_order() -> None:
    assert lifecycles(
        plan(to(DEST, KEEP), lifecycle={"coldStorageAfter": 1.0, "deleteAfter": 0.0})
    ) == [
        "plan P rule 'daily' lifecycle: deleteAfter 0 is below 1 day",
        "plan P rule 'daily' lifecycle: deleteAfter 0 days is less than coldStorageAfter 1 + 90 "
        "= 91 days",
    ]


def test_rule_without_lifecycle_is_not_judged() -> None:
    assert lifecycles(plan(to(DEST, KEEP), lifecycle=UNKNOWN)) == []


def test_rule_lifecycle_without_delete_is_kept_for_ever_and_fine() -> None:
    assert lifecycles(plan(to(DEST, KEEP), lifecycle={"coldStorageAfter": 30.0})) == []


def test_copy_lifecycle_unknown_is_not_judged() -> None:
    assert lifecycles(plan(to(DEST, UNKNOWN))) == []


def test_copy_delete_after_unknown_is_not_judged() -> None:
    assert lifecycles(plan(to(DEST, {"deleteAfter": UNKNOWN, "coldStorageAfter": 9.0}))) == []


def test_copy_lifecycle_that_is_not_an_object_is_kept_for_ever() -> None:
    assert lifecycles(plan(to(DEST, "35"))) == [
        f"plan P rule 'daily' copy to {DEST!r} has no lifecycle deleteAfter: the copy would be "
        "kept for ever"
    ]


def test_every_copy_action_is_judged_after_one_without_lifecycle() -> None:
    other = DEST.replace(BAK, OTHER)
    assert lifecycles(plan(to(DEST), to(other, {"deleteAfter": 0.5}))) == [
        f"plan P rule 'daily' copy to {DEST!r} has no lifecycle deleteAfter: the copy would be "
        "kept for ever",
        f"plan P rule 'daily' copy to {other!r} lifecycle: deleteAfter 0.5 is below 1 day",
    ]


def test_every_copy_action_is_judged_after_an_unknown_lifecycle() -> None:
    other = DEST.replace(BAK, OTHER)
    assert lifecycles(plan(to(DEST, UNKNOWN), to(other, {"deleteAfter": 0.5}))) == [
        f"plan P rule 'daily' copy to {other!r} lifecycle: deleteAfter 0.5 is below 1 day"
    ]


def test_every_copy_action_is_judged_after_an_unknown_delete_after() -> None:
    other = DEST.replace(BAK, OTHER)
    props = plan(to(DEST, {"deleteAfter": UNKNOWN}), to(other, {"deleteAfter": 0.5}))
    assert lifecycles(props) == [
        f"plan P rule 'daily' copy to {other!r} lifecycle: deleteAfter 0.5 is below 1 day"
    ]


def test_copy_of_the_second_rule_is_named_by_that_rule() -> None:
    props = {
        "rules": [
            {"ruleName": "daily", "copyActions": [to(DEST, KEEP)]},
            {"copyActions": [to(DEST, {"deleteAfter": 0.5})]},
        ]
    }
    assert lifecycles(props) == [
        f"plan P rule 'rules[1]' copy to {DEST!r} lifecycle: deleteAfter 0.5 is below 1 day"
    ]


@pytest.mark.parametrize("check", ["lifecycles", "retention"])
def test_lifecycle_checks_name_the_unknown_copy_actions_of_their_rule(check: str) -> None:
    props = {"rules": [{"copyActions": []}, {"copyActions": UNKNOWN}]}
    with pytest.raises(NotKnownYet) as caught:
        CHECKS[check](props)
    assert caught.value.path == ["rules", "1", "copyActions"]


@pytest.mark.parametrize("check", ["lifecycles", "retention"])
def test_lifecycle_checks_name_a_copy_action_that_is_not_an_object(check: str) -> None:
    props = {"rules": [{"copyActions": []}, {"copyActions": [DEST]}]}
    with pytest.raises(ValueError) as caught:
        CHECKS[check](props)
    assert str(caught.value) == f"rules.1.copyActions[0] is not an object: {DEST!r}"


# ---------------------------------------------------------------------------------------------
# min_retention


def retention(props: dict[str, Any], min_days: float = 35) -> list[str]:
    return rules.min_retention(props, subject="plan P", min_days=min_days)


def test_keeping_exactly_the_minimum_passes() -> None:
    assert retention(plan(to(DEST, {"deleteAfter": 35.0}), lifecycle={"deleteAfter": 35.0})) == []


def test_one_day_short_of_the_minimum_is_reported_for_backups_and_copies() -> None:
    props = plan(to(DEST, {"deleteAfter": 34.0}), lifecycle={"deleteAfter": 34.0})
    assert retention(props) == [
        "plan P rule 'daily' keeps backups 34 days, less than 35",
        f"plan P rule 'daily' copy to {DEST!r} keeps copies 34 days, less than 35",
    ]


def test_fractional_minimum_in_the_message() -> None:
    assert retention(plan(lifecycle={"deleteAfter": 7.0}), min_days=7.5) == [
        "plan P rule 'daily' keeps backups 7 days, less than 7.5"
    ]


@pytest.mark.parametrize(
    "lifecycle", [UNKNOWN, {}, {"deleteAfter": UNKNOWN}, {"coldStorageAfter": 1.0}]
)
def test_no_known_retention_is_not_judged(lifecycle: Any) -> None:
    assert retention(plan(to(DEST, lifecycle), lifecycle=lifecycle)) == []


def test_every_rule_and_copy_is_judged() -> None:
    other = DEST.replace(BAK, OTHER)
    props = {
        "rules": [
            {"ruleName": "daily", "lifecycle": {"deleteAfter": 40.0}, "copyActions": [to(DEST)]},
            {
                "ruleName": "hourly",
                "lifecycle": {"deleteAfter": 1.0},
                "copyActions": [to(DEST, {"deleteAfter": 90.0}), to(other, {"deleteAfter": 2.0})],
            },
        ]
    }
    assert retention(props) == [
        "plan P rule 'hourly' keeps backups 1 days, less than 35",
        f"plan P rule 'hourly' copy to {other!r} keeps copies 2 days, less than 35",
    ]


CHECKS = {"lifecycles": lifecycles, "retention": retention}
