"""What is backed up: `selectionTag` (`SelectionTag`) and the richer `selection`
(`SelectionSettings`: tags ANDed, resources, exclusions).

Split out of `components.config` (issue 11), which re-exports every name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.settings.base import (
    _MISSING,
    _TAG_KEY,
    ConfigError,
    _object,
    _reject_unknown,
    _str,
)


@dataclass(frozen=True, kw_only=True)
class SelectionSettings:
    """`selection`: resources matching every tag (AND), and/or listed ARNs, minus exclusions."""

    tags: tuple[SelectionTag, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()

    def may_include(self, arn_service: str) -> bool:
        """Whether resources of a service (`dynamodb`) may be selected: tags select any type;
        listed ARNs only theirs (`*` any)."""
        if self.tags:
            return True
        return any(r == "*" or r.split(":")[2:3] in ([arn_service], ["*"]) for r in self.resources)


@dataclass(frozen=True, kw_only=True)
class SelectionTag:
    """Resources of the source account carrying this tag are backed up."""

    key: str = "Backup"
    value: str = "Yes"


def parse_selection_tag(value: Any) -> SelectionTag:
    return parse_tag("selectionTag", value)


def parse_tag(key: str, value: Any) -> SelectionTag:
    """A {key, value} tag (`selectionTag`, `selection.tags[i]`); missing parts default to
    Backup / Yes."""
    if value is not None and not isinstance(value, Mapping):
        raise ConfigError(
            key, value, 'must be an object {key, value}, e.g. {key: Backup, value: "Yes"}'
        )
    raw = _object(key, value, required=False) or {}
    _reject_unknown(key, raw, ("key", "value"))
    defaults = SelectionTag()
    tag_key = _str(
        f"{key}.key",
        raw.get("key", defaults.key),
        _TAG_KEY,
        "must be a tag key of 1-128 characters (letters, digits, spaces and _.:/=+-@); "
        "it may not start with aws:",
    )
    if tag_key.lower().startswith("aws:"):
        raise ConfigError(f"{key}.key", tag_key, "tag keys starting with aws: are reserved by AWS")
    tag_value = raw.get("value", defaults.value)
    if isinstance(tag_value, bool):
        # The CLI's YAML (yaml.v3) keeps an unquoted Yes as the string "Yes", but `true` (or a
        # JSON value from `pulumi config set --path ... true`) is a boolean, not a tag value.
        raise ConfigError(
            f"{key}.value",
            tag_value,
            'must be a string, e.g. "Yes" (quote it: tag values are text)',
        )
    if not isinstance(tag_value, str) or not 1 <= len(tag_value) <= 256:
        raise ConfigError(f"{key}.value", tag_value, "must be a string of 1 to 256 characters")
    return SelectionTag(key=tag_key, value=tag_value)


# A selection's Resources / NotResources: ARNs, `*` wildcards allowed (API BackupSelection:
# "Resources ... Wildcards are allowed"; e.g. arn:aws:ec2:*:*:volume/*), or "*" alone.
_SELECTION_ARN = re.compile(
    r"^(?:\*|arn:(?:aws|aws-cn|aws-us-gov|\*):[a-z0-9*-]+:[a-z0-9*-]*:(?:\d{12}|\*)?:.+)$"
)


def parse_selection(value: Any) -> SelectionSettings | None:
    """`selection`: tags ANDed (API BackupSelection.Conditions), resources, notResources."""
    key = "selection"
    raw = _object(key, value, required=False)
    if raw is None:
        return None
    _reject_unknown(key, raw, ("tags", "resources", "notResources"))
    tags_raw = raw.get("tags", [])
    if not isinstance(tags_raw, (list, tuple)):
        raise ConfigError(
            f"{key}.tags",
            tags_raw,
            'must be a list of {key, value}, e.g. [{key: Backup, value: "Yes"}]',
        )
    for i, tag in enumerate(tags_raw):
        for part in ("key", "value"):
            if isinstance(tag, Mapping) and part not in tag:
                raise ConfigError(
                    f"{key}.tags[{i}].{part}",
                    _MISSING,
                    "each tag needs key and value, e.g. {key: Env, value: prod}",
                )
    tags = tuple(parse_tag(f"{key}.tags[{i}]", t) for i, t in enumerate(tags_raw))
    seen: dict[str, int] = {}
    for i, tag in enumerate(tags):
        if tag.key in seen:
            raise ConfigError(
                f"{key}.tags[{i}].key",
                tag.key,
                f"already the key of selection.tags[{seen[tag.key]}]: the tags are ANDed "
                "(a resource must match all), and one tag key has one value, so two conditions "
                "on it select nothing or repeat each other",
            )
        seen[tag.key] = i
    resources = _arn_list(f"{key}.resources", raw.get("resources", []))
    not_resources = _arn_list(f"{key}.notResources", raw.get("notResources", []))
    if not tags and not resources:
        raise ConfigError(
            key,
            dict(raw),
            "names nothing to back up: give tags (all must match) and/or resources (ARNs, "
            "wildcards allowed); notResources only removes from those. With neither, AWS "
            "Backup selects every supported and opted-in resource of the account (API "
            'BackupSelection); if that is meant, say so with resources: ["*"]',
        )
    if "*" in not_resources:
        raise ConfigError(
            f"{key}.notResources",
            list(not_resources),
            '"*" excludes every resource: the selection would select nothing',
        )
    return SelectionSettings(tags=tags, resources=resources, not_resources=not_resources)


def _arn_list(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(
            key,
            value,
            "must be a list of ARNs (wildcards allowed), e.g. [arn:aws:dynamodb:*:*:table/*]",
        )
    for i, arn in enumerate(value):
        # fullmatch: `$` also matches before a trailing newline (see `_str`).
        if not isinstance(arn, str) or not _SELECTION_ARN.fullmatch(arn):
            raise ConfigError(
                f"{key}[{i}]",
                arn,
                "must be a resource ARN (wildcards allowed), e.g. arn:aws:dynamodb:*:*:table/* "
                'or arn:aws:ec2:eu-west-1:111111111111:volume/*, or "*"',
            )
    return tuple(value)
