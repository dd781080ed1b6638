"""Issue 12: the source (workload) accounts of a stack, and optional organization-scoped grants.

`sourceAccount` (one object) or `sourceAccounts` (a list of the same objects, each optionally
overriding `backupPlan`, `selectionTag` or `selection`) and `organization: {id, paths?}`. Parsed
into `SourceSettings` (one per account, in the order given) and `OrganizationSettings`; every
refusal names `sourceAccounts[i].field`. Pulumi-free, like `components.config`, which calls
`parse_sources` from `parse_settings` (this module imports it: imported there lazily).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from components.config import (
    _MISSING,
    AccountSettings,
    ConfigError,
    PlanSettings,
    SelectionSettings,
    SelectionTag,
    parse_account,
    parse_plan,
    parse_selection,
    parse_selection_tag,
)

T = TypeVar("T")

#: What one entry of `sourceAccounts` may set besides the account keys: its own plan/selection.
SOURCE_OVERRIDE_KEYS = ("backupPlan", "selectionTag", "selection")

# AWS Organizations API reference: Organization Id "o-" and 10-32 lowercase letters or digits;
# Parent Id (a root) "r-" and 4-32; OrganizationalUnit Id
# ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$.
# An entity path is those ids joined by "/" (o-a1b2c3d4e5/r-f6g7h8i9j0example/ou-ghi0-awsccccc/,
# IAM user guide "Understand the AWS Organizations entity path"); `/*` at the end includes the
# child OUs, which is what the grants append (`OrganizationSettings.path_patterns`).
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ORG_PATH = re.compile(
    r"^(?P<org>o-[a-z0-9]{10,32})/r-[0-9a-z]{4,32}(?:/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})*/?$"
)


@dataclass(frozen=True, kw_only=True)
class SourceSettings:
    """One workload account: how to reach it, and what its plan backs up."""

    account: AccountSettings
    plan: PlanSettings
    selection_tag: SelectionTag
    selection: SelectionSettings | None
    config_key: str
    """Where it was configured (`sourceAccount`, `sourceAccounts[2]`): for messages."""


@dataclass(frozen=True, kw_only=True)
class OrganizationSettings:
    """`organization`: grant the backup vault and key to the organization (or some of its OUs)
    instead of to listed accounts."""

    id: str
    paths: tuple[str, ...] = ()
    """Organization paths (`o-…/r-…/ou-…`), each without the trailing `/`; the grants match
    every account under them (`aws:PrincipalOrgPaths` StringLike `<path>/*`)."""

    @property
    def path_patterns(self) -> list[str]:
        """The `aws:PrincipalOrgPaths` values of the grants: an account's path is
        `o-…/r-…/ou-…/…/` (IAM global condition keys reference), so `<path>/*` matches every
        account in the OU and in the OUs below it."""
        return [f"{path}/*" for path in self.paths]


def parse_sources(
    raw: Mapping[str, Any],
    *,
    backup: AccountSettings,
    plan: PlanSettings,
    selection_tag: SelectionTag,
    selection: SelectionSettings | None,
) -> tuple[SourceSettings, ...]:
    """`sourceAccounts`: the accounts in the order given, each with the stack-wide `plan` and
    selection where it does not set its own. Refused: not a list, an empty list, an account
    listed twice, the backup account, another partition (and whatever `parse_account` refuses:
    a role in another account, ...)."""
    many = raw.get("sourceAccounts")
    if not isinstance(many, list):
        raise ConfigError(
            "sourceAccounts", many, "must be a list of account objects {accountId, roleArn, region}"
        )
    if not many:
        raise ConfigError(
            "sourceAccounts",
            many,
            "must name at least one account {accountId, roleArn, region} (or use sourceAccount)",
        )
    sources: list[SourceSettings] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(many):
        key = f"sourceAccounts[{i}]"
        account = parse_account(
            key, entry, service_linked_role=True, extra_keys=SOURCE_OVERRIDE_KEYS
        )
        assert account is not None and isinstance(entry, Mapping)
        if account.account_id in seen:
            raise ConfigError(
                f"{key}.accountId",
                account.account_id,
                f"is already sourceAccounts[{seen[account.account_id]}]: each account may be "
                "listed once (a second plan would back up the same resources twice)",
            )
        seen[account.account_id] = i
        if account.account_id == backup.account_id:
            raise ConfigError(
                f"{key}.accountId",
                account.account_id,
                "must differ from backupAccount.accountId: copies in the same account do not "
                "survive the loss of that account",
            )
        if account.partition != backup.partition:
            raise ConfigError(
                f"{key}.roleArn",
                account.role_arn,
                f"must be in the backup account's partition ({backup.partition}): AWS Backup "
                "does not copy across partitions",
            )
        own_plan = (
            _prefixed(key, parse_plan, entry["backupPlan"]) if "backupPlan" in entry else plan
        )
        own_tag, own_selection = _selection_of(key, entry, selection_tag, selection)
        sources.append(
            SourceSettings(
                account=account,
                plan=own_plan,
                selection_tag=own_tag,
                selection=own_selection,
                config_key=key,
            )
        )
    return tuple(sources)


def refuse_both_forms(raw: Mapping[str, Any]) -> None:
    """`sourceAccount` and `sourceAccounts` together: one of the two would be ignored."""
    many = raw.get("sourceAccounts")
    if raw.get("sourceAccount") is not None and many is not None:
        raise ConfigError(
            "sourceAccounts",
            [_id_of(e) for e in many] if isinstance(many, list) else many,
            "can't be combined with sourceAccount (one of the two would be ignored); move the "
            "sourceAccount object into the sourceAccounts list",
        )


def _id_of(entry: Any) -> Any:
    return entry.get("accountId") if isinstance(entry, Mapping) else entry


def _selection_of(
    key: str,
    entry: Mapping[str, Any],
    selection_tag: SelectionTag,
    selection: SelectionSettings | None,
) -> tuple[SelectionTag, SelectionSettings | None]:
    """The entry's own `selectionTag` / `selection` replace the stack's (both: refused)."""
    if "selectionTag" in entry and "selection" in entry:
        raise ConfigError(
            f"{key}.selectionTag",
            entry["selectionTag"],
            f"can't be combined with {key}.selection (one of the two would be ignored); put "
            f"the tag into {key}.selection.tags",
        )
    if "selection" in entry:
        own: SelectionSettings | None = _prefixed(key, parse_selection, entry["selection"])
        if own is None:
            raise ConfigError(f"{key}.selection", None, "must be an object {tags?, resources?}")
        return (own.tags[0] if own.tags else SelectionTag()), own
    if "selectionTag" in entry:
        return _prefixed(key, parse_selection_tag, entry["selectionTag"]), None
    return selection_tag, selection


def _prefixed(key: str, parse: Callable[[Any], T], value: Any) -> T:
    """`parse(value)`, its errors named under `key` (`sourceAccounts[1].backupPlan.…`)."""
    try:
        return parse(value)
    except ConfigError as error:
        raise ConfigError(f"{key}.{error.key}", error.value, error.valid) from error


def parse_organization(value: Any) -> OrganizationSettings | None:
    """`organization: {id: o-…, paths?: [o-…/r-…/ou-…]}`."""
    key = "organization"
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, "must be an object {id: o-..., paths?: [o-.../r-.../ou-...]}")
    for field in value:
        if field not in ("id", "paths"):
            raise ConfigError(f"{key}.{field}", value[field], "unknown key; valid keys: id, paths")
    org_id = value.get("id", _MISSING)
    if not isinstance(org_id, str) or not _ORG_ID.fullmatch(org_id):
        raise ConfigError(
            f"{key}.id",
            org_id,
            "must be an AWS Organizations id: o- and 10-32 lowercase letters or digits, "
            "e.g. o-exampleorgid",
        )
    paths = value.get("paths", [])
    if not isinstance(paths, list):
        raise ConfigError(f"{key}.paths", paths, "must be a list of organization paths")
    parsed: list[str] = []
    for i, path in enumerate(paths):
        match = _ORG_PATH.fullmatch(path) if isinstance(path, str) else None
        if match is None:
            raise ConfigError(
                f"{key}.paths[{i}]",
                path,
                f"must be an organization path {org_id}/r-<root>[/ou-<root>-<ou>...], e.g. "
                f"{org_id}/r-ab12/ou-ab12-11111111 (no wildcards: every account below it is "
                "matched)",
            )
        if match.group("org") != org_id:
            raise ConfigError(
                f"{key}.paths[{i}]",
                path,
                f"must start with the organization's id {org_id}: a path of another "
                "organization never matches",
            )
        parsed.append(path.rstrip("/"))
    return OrganizationSettings(id=org_id, paths=tuple(parsed))
