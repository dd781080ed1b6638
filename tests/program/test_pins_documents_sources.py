"""Pins of the backup account's documents for many source accounts and for an organization
(issue 12), as wholes (issue 16: a document is the product; a test that picks one field lets the
others change unnoticed). Pulumi-free: the documents are built from settings alone.

References:
- IAM global condition context keys, aws:PrincipalOrgID ("compare the identifier of the
  organization ... to which the requesting principal belongs") and aws:PrincipalOrgPaths (multi-
  valued: "a principal can belong to more than one path"; matched with ForAnyValue:StringLike and
  a trailing /*), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- IAM JSON reference, "Principal": several accounts as a list of ARNs; "*" with a condition on
  the organization grants every account of it,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components import documents
from components.config import AccountSettings, parse_settings
from components.sources_config import OrganizationSettings

SRC_A, SRC_B, SRC_C, BAK = "333333333333", "444444444444", "555555555555", "222222222222"
ORG = "o-exampleorgid"
PATH_1 = "o-exampleorgid/r-ab12/ou-ab12-11111111"
PATH_2 = "o-exampleorgid/r-ab12/ou-ab12-22222222"


def account(account_id: str, region: str = "eu-west-1") -> AccountSettings:
    return AccountSettings(
        account_id=account_id,
        role_arn=f"arn:aws:iam::{account_id}:role/backup-deployer",
        region=region,
    )


BACKUP = account(BAK, "eu-central-1")
SOURCES = (account(SRC_A), account(SRC_B), account(SRC_C))
ROOTS = [f"arn:aws:iam::{a}:root" for a in (SRC_A, SRC_B, SRC_C)]

USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GRANTS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
KEY_DESTRUCTION = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"]
RECOVERY_POINT_DELETION = ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]
VAULT_PROTECTION_CHANGES = [
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
]
EXCEPT_DEPLOYER = {
    "StringNotEqualsIgnoreCase": {"aws:PrincipalArn": f"arn:aws:iam::{BAK}:role/backup-deployer"}
}


def key_policy(principal: Any, condition: dict[str, Any] | None) -> dict[str, Any]:
    """The backup vault key policy with the source grants given `principal` and `condition`
    (None: the grants have no condition beyond their own)."""
    use: dict[str, Any] = {
        "Sid": "AllowSourceAccountUseOfTheKey",
        "Effect": "Allow",
        "Principal": principal,
        "Action": USE,
        "Resource": "*",
    }
    grants: dict[str, Any] = {
        "Sid": "AllowSourceAccountGrantsForAwsResources",
        "Effect": "Allow",
        "Principal": principal,
        "Action": GRANTS,
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }
    if condition is not None:
        use["Condition"] = dict(condition)
        grants["Condition"] = {**grants["Condition"], **condition}
    return {
        "Version": "2012-10-17",
        "Id": "backup-vault-key",
        "Statement": [
            {
                "Sid": "EnableOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{BAK}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            use,
            grants,
            {
                "Sid": "DenyKeyDestructionExceptDeployRole",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": KEY_DESTRUCTION,
                "Resource": "*",
                "Condition": EXCEPT_DEPLOYER,
            },
        ],
    }


def vault_policy(principal: Any, condition: dict[str, Any] | None) -> dict[str, Any]:
    copy_in: dict[str, Any] = {
        "Sid": "AllowSourceAccountToCopyIn",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
    }
    if condition is not None:
        copy_in["Condition"] = condition
    return {
        "Version": "2012-10-17",
        "Statement": [
            copy_in,
            {
                "Sid": "DenyRecoveryPointDeletionToEveryone",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": RECOVERY_POINT_DELETION,
                "Resource": "*",
            },
            {
                "Sid": "DenyPolicyAndLockChangesExceptDeployRole",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": VAULT_PROTECTION_CHANGES,
                "Resource": "*",
                "Condition": EXCEPT_DEPLOYER,
            },
        ],
    }


ORG_ONLY = {"StringEquals": {"aws:PrincipalOrgID": ORG}}
ORG_AND_PATHS = {
    "StringEquals": {"aws:PrincipalOrgID": ORG},
    "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{PATH_1}/*", f"{PATH_2}/*"]},
}
GRANTEES = [
    pytest.param({"sources": SOURCES}, {"AWS": ROOTS}, None, id="three-sources"),
    pytest.param({"sources": SOURCES[:1]}, {"AWS": ROOTS[0]}, None, id="one-listed-source"),
    pytest.param({"source": SOURCES[1]}, {"AWS": ROOTS[1]}, None, id="single-source"),
    pytest.param(
        {"organization": OrganizationSettings(id=ORG)}, {"AWS": "*"}, ORG_ONLY, id="organization"
    ),
    pytest.param(
        {"organization": OrganizationSettings(id=ORG, paths=(PATH_1, PATH_2))},
        {"AWS": "*"},
        ORG_AND_PATHS,
        id="organization-paths",
    ),
]


def test_the_pinned_actions_are_the_products() -> None:
    # The lists above are the documents' own constants, spelled out: a changed constant must
    # fail here, not silently change every expected document with it.
    assert list(documents.PROTECTED_KEY_ACTIONS) == KEY_DESTRUCTION
    assert [*documents.KEY_USE_ACTIONS] == USE
    assert [*documents.KEY_GRANT_ACTIONS] == GRANTS
    assert list(documents.PROTECTED_RECOVERY_POINT_ACTIONS) == RECOVERY_POINT_DELETION
    assert list(documents.PROTECTED_VAULT_ADMIN_ACTIONS) == VAULT_PROTECTION_CHANGES


@pytest.mark.parametrize(("grantees", "principal", "condition"), GRANTEES)
def test_backup_vault_key_policy_whole(
    grantees: dict[str, Any], principal: Any, condition: dict[str, Any] | None
) -> None:
    assert documents.backup_vault_key_policy(backup=BACKUP, **grantees) == key_policy(
        principal, condition
    )


@pytest.mark.parametrize(("grantees", "principal", "condition"), GRANTEES)
def test_backup_vault_access_policy_whole(
    grantees: dict[str, Any], principal: Any, condition: dict[str, Any] | None
) -> None:
    assert documents.backup_vault_access_policy(backup=BACKUP, **grantees) == vault_policy(
        principal, condition
    )


def test_the_organization_wins_over_listed_sources() -> None:
    # `grantees` never passes both; if a caller did, no account may be listed beside the org
    # grant (Principal "*" with the org condition covers them).
    doc = documents.backup_vault_access_policy(
        backup=BACKUP, sources=SOURCES, organization=OrganizationSettings(id=ORG)
    )
    assert doc == vault_policy({"AWS": "*"}, ORG_ONLY)


def test_a_granted_statement_keeps_its_own_condition_beside_the_organizations() -> None:
    statement = {
        "Sid": "S",
        "Effect": "Allow",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    granted = documents._granted(statement, SOURCES, OrganizationSettings(id=ORG, paths=(PATH_1,)))
    assert granted == {
        "Sid": "S",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Condition": {
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"aws:PrincipalOrgID": ORG},
            "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{PATH_1}/*"]},
        },
    }
    # The statement given is not changed (the documents share their statement builders).
    assert statement == {
        "Sid": "S",
        "Effect": "Allow",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }


def test_accounts_are_the_single_source_or_the_list() -> None:
    assert documents._accounts(SOURCES[2], SOURCES[:2]) == [SOURCES[2]]
    assert documents._accounts(None, SOURCES) == list(SOURCES)


def _settings(extra: dict[str, Any]) -> Any:
    raw: dict[str, Any] = {
        "backupAccount": {
            "accountId": BAK,
            "roleArn": f"arn:aws:iam::{BAK}:role/backup-deployer",
            "region": "eu-central-1",
        },
        **extra,
    }
    return parse_settings(raw, project="cab", stack="dev")


def _listed(*ids: str) -> list[dict[str, str]]:
    return [
        {
            "accountId": i,
            "roleArn": f"arn:aws:iam::{i}:role/backup-deployer",
            "region": "eu-west-1",
        }
        for i in ids
    ]


def test_grantees_of_a_single_source_stack_is_that_source() -> None:
    settings = _settings({"sourceAccount": _listed(SRC_A)[0]})
    assert documents.grantees(settings) == {"source": settings.source}
    assert settings.source.account_id == SRC_A


def test_grantees_of_a_source_list_are_every_source_in_order() -> None:
    settings = _settings({"sourceAccounts": _listed(SRC_C, SRC_A, SRC_B)})
    grantees = documents.grantees(settings)
    assert list(grantees) == ["sources"]
    assert [a.account_id for a in grantees["sources"]] == [SRC_C, SRC_A, SRC_B]


def test_grantees_of_a_one_entry_source_list_is_still_a_list() -> None:
    # `sourceAccounts` with one entry names its resources after the account (many_sources):
    # the grants take the list form too, so adding a second source only appends to it.
    settings = _settings({"sourceAccounts": _listed(SRC_B)})
    grantees = documents.grantees(settings)
    assert list(grantees) == ["sources"]
    assert [a.account_id for a in grantees["sources"]] == [SRC_B]


def test_grantees_of_an_organization_stack_is_the_organization() -> None:
    settings = _settings(
        {"sourceAccounts": _listed(SRC_A, SRC_B), "organization": {"id": ORG, "paths": [PATH_1]}}
    )
    assert documents.grantees(settings) == {
        "organization": OrganizationSettings(id=ORG, paths=(PATH_1,))
    }


def key_arn(account_id: str, region: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/*"


def role_key_statement(sid: str, resource: Any, alias: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": [*USE, *GRANTS],
        "Resource": resource,
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
    }


def test_copy_back_role_key_policy_names_every_source_vault_key() -> None:
    # The copy-back role of a many-source stack (in the backup account) reads the source vault
    # key of each source account: they share the alias, one vault name in every account.
    doc = documents.backup_role_key_policy(
        source=SOURCES[0],
        backup=BACKUP,
        source_alias="alias/local",
        backup_alias="alias/copies",
        other_sources=SOURCES[1:],
    )
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            role_key_statement(
                "UseTheSourceVaultKey",
                [key_arn(a, "eu-west-1") for a in (SRC_A, SRC_B, SRC_C)],
                "alias/local",
            ),
            role_key_statement(
                "UseTheBackupVaultKeyForCopies", key_arn(BAK, "eu-central-1"), "alias/copies"
            ),
        ],
    }


def test_role_key_policy_of_one_source_names_its_key_alone() -> None:
    cn = replace(SOURCES[0], role_arn=f"arn:aws-cn:iam::{SRC_A}:role/d", region="cn-north-1")
    doc = documents.backup_role_key_policy(
        source=cn, backup=BACKUP, source_alias="alias/local", backup_alias="alias/copies"
    )
    assert doc["Statement"][0] == role_key_statement(
        "UseTheSourceVaultKey", f"arn:aws-cn:kms:cn-north-1:{SRC_A}:key/*", "alias/local"
    )
