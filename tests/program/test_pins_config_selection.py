"""Pins of `selection` and `selectionTag` (components/settings/selection.py), Pulumi-free
(issue 16).

`selection` was tested only through the Pulumi runtime (tests/program/test_plan_rules.py), which
the mutation working copy leaves out. Whole settings, whole messages
(`invalid config cross-account-backup:<key> = <value!r>: <remedy>`), limits on both sides.

References:
- [selection] AWS Backup API, BackupSelection: Conditions (several conditions are ANDed),
  Resources ("Wildcards are allowed", e.g. arn:aws:ec2:*:*:volume/*), NotResources; with no
  tags and no resources, every supported resource of the account:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html
  (CreateBackupSelection: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupSelection.html)
- [arn] ARN formats, partitions aws, aws-cn, aws-us-gov:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
- [tags] Tagging AWS resources: key 1-128, value up to 256 characters, `aws:` reserved:
  https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
"""

from __future__ import annotations

from typing import Any

import pytest
from config_messages import expected

from components.config import (
    _MISSING,
    ConfigError,
    SelectionSettings,
    SelectionTag,
    parse_selection,
    parse_selection_tag,
    parse_tag,
)

ARN_REMEDY = (
    "must be a resource ARN (wildcards allowed), e.g. arn:aws:dynamodb:*:*:table/* "
    'or arn:aws:ec2:eu-west-1:111111111111:volume/*, or "*"'
)


def refusal(func: Any, value: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        func(value)
    return str(caught.value)


# --- what a selection becomes --------------------------------------------------------------------


def test_absent_selection_is_none() -> None:
    assert parse_selection(None) is None


def test_selection_keeps_tags_resources_and_exclusions_in_order() -> None:
    value = {
        "tags": [{"key": "Env", "value": "prod"}, {"key": "Backup", "value": "Yes"}],
        "resources": ["arn:aws:dynamodb:*:*:table/*", "arn:aws:ec2:*:*:volume/*"],
        "notResources": ["arn:aws:dynamodb:eu-west-1:111111111111:table/scratch"],
    }
    assert parse_selection(value) == SelectionSettings(
        tags=(SelectionTag(key="Env", value="prod"), SelectionTag(key="Backup", value="Yes")),
        resources=("arn:aws:dynamodb:*:*:table/*", "arn:aws:ec2:*:*:volume/*"),
        not_resources=("arn:aws:dynamodb:eu-west-1:111111111111:table/scratch",),
    )


def test_tags_alone_leave_no_resources() -> None:
    assert parse_selection({"tags": [{"key": "Env", "value": "prod"}]}) == SelectionSettings(
        tags=(SelectionTag(key="Env", value="prod"),), resources=(), not_resources=()
    )


def test_tags_as_a_tuple_are_accepted() -> None:
    value = {"tags": ({"key": "Env", "value": "prod"},), "resources": ("*",)}
    assert parse_selection(value) == SelectionSettings(
        tags=(SelectionTag(key="Env", value="prod"),), resources=("*",)
    )


@pytest.mark.parametrize(
    "arn",
    [
        "*",
        "arn:aws:ec2:*:*:volume/*",
        "arn:aws-cn:dynamodb:cn-north-1:111111111111:table/orders",
        "arn:aws-us-gov:rds:us-gov-west-1:111111111111:db:main",
        "arn:*:s3:::bucket-name",
        "arn:aws:elasticfilesystem:eu-west-1:*:file-system/*",
    ],
)
def test_resource_arns_of_every_partition_and_wildcards_are_accepted(arn: str) -> None:
    # [selection] wildcards allowed; [arn] the three partitions; S3 ARNs have no region/account.
    assert parse_selection({"resources": [arn]}) == SelectionSettings(resources=(arn,))


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:ec2",
        "arn:aws-iso:ec2:*:*:volume/*",
        "arn:aws:EC2:*:*:volume/*",
        "arn:aws:ec2:*:11111111111:volume/*",
        "arn:aws:ec2:*:1111111111111:volume/*",
        "arn:aws:ec2:*:*:",
        "arn:aws:ec2:*:*:volume/*\n",
        " arn:aws:ec2:*:*:volume/*",
        "**",
        5,
    ],
)
def test_malformed_resource_arns_are_refused(arn: Any) -> None:
    # 12-digit account ids only, both ends anchored; a trailing newline (YAML block scalar) was
    # let through by `match` + `$` until fixed with fullmatch.
    assert refusal(parse_selection, {"resources": ["*", arn]}) == expected(
        "selection.resources[1]", arn, ARN_REMEDY
    )


def test_malformed_not_resource_arn_names_its_list() -> None:
    value = {"resources": ["*"], "notResources": ["arn:aws:ec2:*:*:volume/a", "volume/b"]}
    assert refusal(parse_selection, value) == expected(
        "selection.notResources[1]", "volume/b", ARN_REMEDY
    )


@pytest.mark.parametrize(("key", "value"), [("resources", "*"), ("notResources", {"a": 1})])
def test_arn_lists_must_be_lists(key: str, value: Any) -> None:
    raw = {"resources": ["*"], key: value}
    assert refusal(parse_selection, raw) == expected(
        f"selection.{key}",
        value,
        "must be a list of ARNs (wildcards allowed), e.g. [arn:aws:dynamodb:*:*:table/*]",
    )


def test_selection_naming_nothing_is_refused_with_the_whole_section() -> None:
    # [selection] neither tags nor resources: AWS Backup would select everything.
    value = {"tags": [], "notResources": ["arn:aws:ec2:*:*:volume/*"]}
    assert refusal(parse_selection, value) == expected(
        "selection",
        value,
        "names nothing to back up: give tags (all must match) and/or resources (ARNs, wildcards "
        "allowed); notResources only removes from those. With neither, AWS Backup selects every "
        "supported and opted-in resource of the account (API BackupSelection); if that is "
        'meant, say so with resources: ["*"]',
    )


def test_excluding_everything_is_refused() -> None:
    value = {"tags": [{"key": "Env", "value": "prod"}], "notResources": ["arn:aws:s3:::b", "*"]}
    assert refusal(parse_selection, value) == expected(
        "selection.notResources",
        ["arn:aws:s3:::b", "*"],
        '"*" excludes every resource: the selection would select nothing',
    )


def test_selection_not_an_object() -> None:
    assert refusal(parse_selection, ["*"]) == expected(
        "selection", ["*"], "must be an object (a YAML mapping)"
    )


def test_unknown_selection_key_lists_the_valid_keys() -> None:
    assert refusal(parse_selection, {"resources": ["*"], "tag": 1}) == expected(
        "selection.tag", 1, "unknown key; valid keys: tags, resources, notResources"
    )


@pytest.mark.parametrize("tags", [{"key": "Env", "value": "prod"}, "Env=prod"])
def test_tags_must_be_a_list(tags: Any) -> None:
    assert refusal(parse_selection, {"tags": tags}) == expected(
        "selection.tags",
        tags,
        'must be a list of {key, value}, e.g. [{key: Backup, value: "Yes"}]',
    )


@pytest.mark.parametrize(("given", "missing"), [({"key": "Env"}, "value"), ({"value": "p"}, "key")])
def test_each_selection_tag_needs_key_and_value(given: dict[str, str], missing: str) -> None:
    # selectionTag defaults its parts to Backup / Yes; a tag of selection.tags does not.
    value = {"tags": [{"key": "A", "value": "1"}, given]}
    assert refusal(parse_selection, value) == expected(
        f"selection.tags[1].{missing}",
        _MISSING,
        "each tag needs key and value, e.g. {key: Env, value: prod}",
    )


def test_selection_tag_that_is_no_object_names_its_index() -> None:
    assert refusal(parse_selection, {"tags": [{"key": "A", "value": "1"}, "B"]}) == expected(
        "selection.tags[1]", "B", 'must be an object {key, value}, e.g. {key: Backup, value: "Yes"}'
    )


def test_selection_tag_key_is_checked_under_its_index() -> None:
    value = {"tags": [{"key": "A", "value": "1"}, {"key": "aws:x", "value": "1"}]}
    assert refusal(parse_selection, value) == expected(
        "selection.tags[1].key", "aws:x", "tag keys starting with aws: are reserved by AWS"
    )


def test_same_tag_key_twice_names_the_earlier_index() -> None:
    value = {
        "tags": [
            {"key": "A", "value": "1"},
            {"key": "Env", "value": "prod"},
            {"key": "Env", "value": "test"},
        ]
    }
    assert refusal(parse_selection, value) == expected(
        "selection.tags[2].key",
        "Env",
        "already the key of selection.tags[1]: the tags are ANDed (a resource must match all), "
        "and one tag key has one value, so two conditions on it select nothing or repeat each "
        "other",
    )


# --- may_include: which services a selection may reach ------------------------------------------


@pytest.mark.parametrize(
    ("resources", "included"),
    [
        (("*",), True),
        (("arn:aws:dynamodb:*:*:table/*",), True),
        (("arn:aws:*:*:*:*",), True),
        (("arn:aws:ec2:*:*:volume/*",), False),
        (("arn:aws:ec2:*:*:volume/*", "arn:aws:dynamodb:eu-west-1:111111111111:table/t"), True),
        (("arn:aws:dynamodbx:*:*:table/*",), False),
        ((), False),
    ],
)
def test_listed_arns_may_include_only_their_service(
    resources: tuple[str, ...], included: bool
) -> None:
    assert SelectionSettings(resources=resources).may_include("dynamodb") is included


def test_tags_may_include_any_service() -> None:
    selection = SelectionSettings(tags=(SelectionTag(),), resources=("arn:aws:ec2:*:*:volume/*",))
    assert selection.may_include("dynamodb") is True


# --- selectionTag / one tag ----------------------------------------------------------------------


def test_selection_tag_defaults_each_missing_part() -> None:
    assert parse_selection_tag({}) == SelectionTag(key="Backup", value="Yes")
    assert parse_selection_tag({"key": "Env"}) == SelectionTag(key="Env", value="Yes")
    assert parse_selection_tag({"value": "true"}) == SelectionTag(key="Backup", value="true")


@pytest.mark.parametrize("value", ["Backup=Yes", ["Backup"], 5])
def test_selection_tag_must_be_an_object(value: Any) -> None:
    assert refusal(parse_selection_tag, value) == expected(
        "selectionTag", value, 'must be an object {key, value}, e.g. {key: Backup, value: "Yes"}'
    )


def test_selection_tag_unknown_part() -> None:
    assert refusal(parse_selection_tag, {"key": "A", "Value": "x"}) == expected(
        "selectionTag.Value", "x", "unknown key; valid keys: key, value"
    )


@pytest.mark.parametrize("key", ["k" * 129, "", "a\n", "a#b"])
def test_tag_key_outside_its_pattern(key: str) -> None:
    assert refusal(lambda v: parse_tag("selectionTag", v), {"key": key}) == expected(
        "selectionTag.key",
        key,
        "must be a tag key of 1-128 characters (letters, digits, spaces and _.:/=+-@); it may "
        "not start with aws:",
    )


@pytest.mark.parametrize("key", ["AWS:Backup", "aws:"])
def test_tag_key_aws_prefix(key: str) -> None:
    assert refusal(parse_selection_tag, {"key": key}) == expected(
        "selectionTag.key", key, "tag keys starting with aws: are reserved by AWS"
    )


def test_tag_value_boolean_asks_for_quotes() -> None:
    assert refusal(parse_selection_tag, {"value": False}) == expected(
        "selectionTag.value", False, 'must be a string, e.g. "Yes" (quote it: tag values are text)'
    )


@pytest.mark.parametrize(("value", "ok"), [("", False), ("v" * 256, True), ("v" * 257, False)])
def test_tag_value_length(value: str, ok: bool) -> None:
    # The selection's tag must have a value to match (1-256); AWS allows up to 256.
    if ok:
        assert parse_selection_tag({"value": value}) == SelectionTag(value=value)
    else:
        assert refusal(parse_selection_tag, {"value": value}) == expected(
            "selectionTag.value", value, "must be a string of 1 to 256 characters"
        )
