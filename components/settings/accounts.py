"""Accounts: `AccountSettings` (`sourceAccount`, `backupAccount`, `managementAccount`, each entry of
`sourceAccounts`) and `parse_account`.

Split out of `components.config` (issue 11), which re-exports every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.settings.base import (
    _ACCOUNT_ID,
    _EXTERNAL_ID,
    _MISSING,
    _REGION,
    _ROLE_ARN,
    _SESSION_NAME,
    ConfigError,
    _object,
    _reject_unknown,
    _str,
)


@dataclass(frozen=True, kw_only=True)
class AccountSettings:
    """One AWS account the program deploys to, and how its provider gets in."""

    account_id: str
    """The 12-digit account id, as a string."""
    role_arn: str
    """The IAM role in that account that the provider assumes."""
    region: str
    """The region of the account's resources."""
    external_id: str | None = None
    """Optional external id required by the role's trust policy."""
    session_name: str = "cross-account-backup"
    """The assumed role session name (shows in CloudTrail)."""
    create_service_linked_role: bool = True
    """Create `AWSServiceRoleForBackup` in this account (`createServiceLinkedRole`). False when
    the role exists already: an `aws.iam.ServiceLinkedRole` fails if it does."""

    @property
    def partition(self) -> str:
        match = _ROLE_ARN.match(self.role_arn)
        return match.group("partition") if match else "aws"


#: The rule name of the single-rule form (`backupPlan` without `rules`): kept so that its plan
#: does not change on an upgrade.


def vault_arn(account: AccountSettings, vault_name: str) -> str:
    """The ARN AWS gives a backup vault: known before the vault exists."""
    return (
        f"arn:{account.partition}:backup:{account.region}:{account.account_id}"
        f":backup-vault:{vault_name}"
    )


RESERVED_ROLE_PATH = "aws-reserved/"


def parse_account(
    key: str,
    value: Any,
    *,
    required: bool = True,
    service_linked_role: bool = False,
    deny_exception: bool = False,
    extra_keys: tuple[str, ...] = (),
) -> AccountSettings | None:
    """One account's settings. `service_linked_role`: the account may take
    `createServiceLinkedRole`; `deny_exception`: its deploy role is the only exception of the
    Deny statements protecting the copies (so it must be a role the owner can recreate)."""
    raw = _object(key, value, required=required)
    if raw is None:
        return None
    allowed: tuple[str, ...] = ("accountId", "roleArn", "region", "externalId", "sessionName")
    if service_linked_role:
        allowed = (*allowed, "createServiceLinkedRole")
    _reject_unknown(key, raw, (*allowed, *extra_keys))
    account_id = raw.get("accountId", _MISSING)
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        # An unquoted YAML id loses leading zeros: say so rather than guess.
        raise ConfigError(
            f"{key}.accountId",
            account_id,
            'must be a quoted string of 12 digits, e.g. "111111111111"',
        )
    account_id = _str(
        f"{key}.accountId", account_id, _ACCOUNT_ID, 'must be 12 digits, e.g. "111111111111"'
    )
    role_arn = _str(
        f"{key}.roleArn",
        raw.get("roleArn", _MISSING),
        _ROLE_ARN,
        f"must be an IAM role ARN like arn:aws:iam::{account_id}:role/backup-deployer",
    )
    role = _ROLE_ARN.match(role_arn)
    assert role is not None  # `_str` checked the pattern
    role_account = role.group("account")
    if role_account != account_id:
        raise ConfigError(
            f"{key}.roleArn",
            role_arn,
            f"the role must be in the account it deploys to ({account_id}), not {role_account}",
        )
    if deny_exception and role.group("path").startswith(RESERVED_ROLE_PATH):
        raise ConfigError(
            f"{key}.roleArn",
            role_arn,
            "a role under aws-reserved/ belongs to IAM Identity Center: it is deleted and "
            "recreated with a new name when its permission set is re-provisioned, and the vault "
            "and key policies would then lock everyone out of PutKeyPolicy for ever; use a role "
            f"the account owns, e.g. arn:{role.group('partition')}:iam::{account_id}"
            ":role/backup-deployer",
        )
    region = _str(
        f"{key}.region",
        raw.get("region", _MISSING),
        _REGION,
        "must be an AWS region code such as eu-west-1 or us-east-1",
    )
    partition = role.group("partition")
    expected = _partition_of(region)
    if partition != expected:
        raise ConfigError(
            f"{key}.region",
            region,
            f"is in the {expected} partition but roleArn is in {partition}; use a region of "
            f"the role's partition",
        )
    external_id = raw.get("externalId")
    if external_id is not None:
        external_id = _str(
            f"{key}.externalId",
            external_id,
            _EXTERNAL_ID,
            "must be 2-1224 characters of letters, digits and +=,.@:/-",
        )
    session_name = _str(
        f"{key}.sessionName",
        raw.get("sessionName", "cross-account-backup"),
        _SESSION_NAME,
        "must be 2-64 characters of letters, digits and +=,.@-",
    )
    create_slr = raw.get("createServiceLinkedRole", True)
    if not isinstance(create_slr, bool):
        raise ConfigError(
            f"{key}.createServiceLinkedRole",
            create_slr,
            "must be true (create AWSServiceRoleForBackup) or false (it exists already)",
        )
    return AccountSettings(
        account_id=account_id,
        role_arn=role_arn,
        region=region,
        external_id=external_id,
        session_name=session_name,
        create_service_linked_role=create_slr,
    )


def _partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


#: Keys of the single-rule form, refused beside `backupPlan.rules` (one would silently lose).
