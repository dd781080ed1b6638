"""Test doubles for `tools.verify`: stubbed per-account AWS clients and a fake clock.

`StubbedClients` is an `AccountClients` whose clients are real botocore clients (so parameters
and responses are validated against the AWS service models) wired to botocore's `Stubber`: a
test queues, per account and service, the responses AWS would give, in the order the code calls.
Nothing here reaches AWS: the clients carry dummy credentials and every call is answered by its
stubber (an unexpected call fails the test).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber

from tools.verify.aws_session import RETRY_CONFIG, Account

_DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# Building a botocore client costs tens of milliseconds: clients are built once per process
# and reused; each `StubbedClients` puts a fresh `Stubber` (an empty queue) on the ones it uses.
_SESSION = boto3.Session(**_DUMMY)
_POOL: dict[tuple[str, str, str], Any] = {}
_ACTIVE: dict[tuple[str, str, str], Stubber] = {}


class StubbedClients:
    """`AccountClients` over botocore `Stubber`s, one client per (account, service, region)."""

    def __init__(self, regions: dict[Account, str]) -> None:
        self._regions = dict(regions)
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._stubbers: dict[tuple[str, str, str], Stubber] = {}
        self.requested: list[tuple[str, str]] = []
        self.assumed: list[str] = []
        self.refused: dict[str, Exception] = {}

    def has(self, account: Account) -> bool:
        return account in self._regions

    def assume(self, accounts: tuple[Account, ...]) -> None:
        """Roles are "assumed" unless the test refused one (`refuse`)."""
        self.assumed.extend(accounts)
        for account in accounts:
            if account in self.refused:
                raise self.refused[account]

    def refuse(self, account: Account, error: Exception) -> None:
        """Make this account's role unassumable: `assume` and `client` raise `error`."""
        self.refused[account] = error

    def region(self, account: Account) -> str:
        return self._regions[account]

    def _key(self, account: Account, service: str, region: str | None) -> tuple[str, str, str]:
        if account not in self._regions:
            raise KeyError(f"no {account} account in this test's stack")
        return (account, service, region or self._regions[account])

    def client(self, account: Account, service: str, region: str | None = None) -> Any:
        self.requested.append((account, service))
        if account in self.refused:
            raise self.refused[account]
        return self._client(self._key(account, service, region))

    def _client(self, key: tuple[str, str, str]) -> Any:
        if key not in self._clients:
            if key not in _POOL:
                _POOL[key] = _SESSION.client(key[1], region_name=key[2], config=RETRY_CONFIG)
            client = _POOL[key]
            if key in _ACTIVE:
                _ACTIVE[key].deactivate()
            stubber = Stubber(client)
            stubber.activate()
            _ACTIVE[key] = stubber
            self._clients[key], self._stubbers[key] = client, stubber
        return self._clients[key]

    def stub(self, account: Account, service: str, region: str | None = None) -> Stubber:
        """The stubber of that client: queue responses with `add_response`/`add_client_error`."""
        key = self._key(account, service, region)
        self._client(key)
        return self._stubbers[key]

    def assert_all_used(self) -> None:
        """Every queued response was consumed (the code made every call the test expected)."""
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()


class FakeClock:
    """A clock whose `sleep` advances time instantly; `on_sleep` may raise (Ctrl-C)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.on_sleep: Any = None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))
        self.now += seconds


# --- a realistic deployed stack (placeholders only), for the tests ---------------------------

SOURCE_ID = "111111111111"
BACKUP_ID = "222222222222"
MANAGEMENT_ID = "333333333333"
OTHER_ID = "444444444444"
REGION = "eu-west-1"
ORG_ID = "o-a1b2c3d4e5"
SOURCE_VAULT = "cross-account-backup-dev-local"
BACKUP_VAULT = "cross-account-backup-dev-copies"
SOURCE_VAULT_ARN = f"arn:aws:backup:{REGION}:{SOURCE_ID}:backup-vault:{SOURCE_VAULT}"
BACKUP_VAULT_ARN = f"arn:aws:backup:{REGION}:{BACKUP_ID}:backup-vault:{BACKUP_VAULT}"
SOURCE_VAULT_KEY = f"arn:aws:kms:{REGION}:{SOURCE_ID}:key/11111111-1111-4111-8111-111111111111"
BACKUP_VAULT_KEY = f"arn:aws:kms:{REGION}:{BACKUP_ID}:key/22222222-2222-4222-8222-222222222222"
RESOURCE_CMK = f"arn:aws:kms:{REGION}:{SOURCE_ID}:key/33333333-3333-4333-8333-333333333333"
AWS_MANAGED_EBS_KEY = f"arn:aws:kms:{REGION}:{SOURCE_ID}:key/44444444-4444-4444-8444-444444444444"
BACKUP_ROLE = f"arn:aws:iam::{SOURCE_ID}:role/cross-account-backup-dev-backup"
PLAN_ID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
VOLUME_ID = "vol-0123456789abcdef0"
VOLUME_ARN = f"arn:aws:ec2:{REGION}:{SOURCE_ID}:volume/{VOLUME_ID}"
BACKUP_JOB_ID = "4f3e2d1c-0b9a-4876-8543-210fedcba987"
COPY_JOB_ID = "9a8b7c6d-5e4f-4321-8fed-cba987654321"
SOURCE_RP = f"arn:aws:ec2:{REGION}::snapshot/snap-0aaaaaaaaaaaaaaaa"
DEST_RP = f"arn:aws:ec2:{REGION}::snapshot/snap-0bbbbbbbbbbbbbbbb"

OUTPUTS = {
    "sourceVaultArn": SOURCE_VAULT_ARN,
    "backupVaultArn": BACKUP_VAULT_ARN,
    "backupVaultKeyArn": BACKUP_VAULT_KEY,
    "sourceVaultKeyArn": SOURCE_VAULT_KEY,
    "backupPlanId": PLAN_ID,
    "backupRoleArn": BACKUP_ROLE,
    "notificationTopicArn": f"arn:aws:sns:{REGION}:{SOURCE_ID}:cross-account-backup-dev-events",
}


class Err:
    """A queued AWS error: `Err("AccessDeniedException", "...")`."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        self.code, self.message, self.status = code, message or code, status


def queue(
    stubber: Stubber, method: str, value: Any, expected: dict[str, Any] | None = None
) -> None:
    """Queue a response, or an `Err`, for `method`."""
    if isinstance(value, Err):
        stubber.add_client_error(
            method,
            service_error_code=value.code,
            service_message=value.message,
            http_status_code=value.status,
            expected_params=expected,
        )
    else:
        stubber.add_response(method, value, expected)


def resource_cmk_policy(*, allow_backup_account: bool) -> str:
    """The key policy a team typically writes for a CMK on EBS volumes shared for backup copies."""
    import json

    statements: list[dict[str, Any]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if allow_backup_account:
        statements += [
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{BACKUP_ID}:root"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
            },
            {
                "Sid": "Allow attachment of persistent resources",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{BACKUP_ID}:root"},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return json.dumps(
        {"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": statements}
    )


def aws_managed_ebs_key_policy() -> str:
    """The policy AWS attaches to `aws/ebs` (immutable): only its own account, through EC2."""
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "auto-ebs-2",
            "Statement": [
                {
                    "Sid": "Allow access through EBS for all principals in the account that are "
                    "authorized to use EBS",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:ViaService": f"ec2.{REGION}.amazonaws.com",
                            "kms:CallerAccount": SOURCE_ID,
                        }
                    },
                }
            ],
        }
    )


def healthy_live_state() -> dict[str, Any]:
    """What AWS returns for a correctly deployed dev stack: the program's own documents."""
    from components.config import AccountSettings
    from components.documents import (
        backup_service_trust_policy,
        backup_vault_access_policy,
        backup_vault_key_policy,
        source_vault_access_policy,
        source_vault_key_policy,
        to_json,
    )

    source = AccountSettings(
        account_id=SOURCE_ID,
        role_arn=f"arn:aws:iam::{SOURCE_ID}:role/backup-deployer",
        region=REGION,
    )
    backup = AccountSettings(
        account_id=BACKUP_ID,
        role_arn=f"arn:aws:iam::{BACKUP_ID}:role/backup-deployer",
        region=REGION,
    )
    return {
        "org": {"source": ORG_ID, "backup": ORG_ID},
        "global_settings": {"isCrossAccountBackupEnabled": "true"},
        "backup_vault": {
            "BackupVaultName": BACKUP_VAULT,
            "BackupVaultArn": BACKUP_VAULT_ARN,
            "EncryptionKeyArn": BACKUP_VAULT_KEY,
            "Locked": True,
            "MinRetentionDays": 1,
            "MaxRetentionDays": 365,
        },
        "backup_vault_key_manager": "CUSTOMER",
        "backup_vault_policy": to_json(backup_vault_access_policy(source=source, backup=backup)),
        "backup_key_policy": to_json(backup_vault_key_policy(backup=backup, source=source)),
        "source_vault_policy": to_json(source_vault_access_policy(backup=backup)),
        "source_key_policy": to_json(source_vault_key_policy(source=source, backup=backup)),
        "plan": {
            "BackupPlanName": "cross-account-backup-dev",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": SOURCE_VAULT,
                    "ScheduleExpression": "cron(0 5 ? * * *)",
                    "Lifecycle": {"DeleteAfterDays": 7},
                    "CopyActions": [
                        {
                            "DestinationBackupVaultArn": BACKUP_VAULT_ARN,
                            "Lifecycle": {"DeleteAfterDays": 14},
                        }
                    ],
                }
            ],
        },
        "selection": {
            "SelectionName": "tagged",
            "IamRoleArn": BACKUP_ROLE,
            "ListOfTags": [
                {"ConditionType": "STRINGEQUALS", "ConditionKey": "Backup", "ConditionValue": "Yes"}
            ],
        },
        "notification_events": [
            "BACKUP_JOB_STARTED",
            "BACKUP_JOB_COMPLETED",
            "COPY_JOB_STARTED",
            "COPY_JOB_SUCCESSFUL",
            "COPY_JOB_FAILED",
            "RESTORE_JOB_COMPLETED",
        ],
        "volume": {
            "VolumeId": VOLUME_ID,
            "Encrypted": True,
            "KmsKeyId": RESOURCE_CMK,
            "Tags": [{"Key": "Backup", "Value": "Yes"}, {"Key": "Name", "Value": "data"}],
        },
        "resource_key_manager": "CUSTOMER",
        "resource_key_policy": resource_cmk_policy(allow_backup_account=True),
        # The backup role as components/backup.py creates it: the program's trust policy and
        # its AWS managed policies (BACKUP_ROLE_POLICIES).
        "backup_role_trust": backup_service_trust_policy(),
        "backup_role_policies": [
            "service-role/AWSBackupServiceRolePolicyForBackup",
            "service-role/AWSBackupServiceRolePolicyForRestores",
            "AWSBackupServiceRolePolicyForS3Backup",
            "AWSBackupServiceRolePolicyForS3Restore",
        ],
    }


def _key_meta(arn: str, manager: str) -> dict[str, Any]:
    return {"KeyMetadata": {"KeyId": arn.rsplit("/", 1)[-1], "Arn": arn, "KeyManager": manager}}


def queue_volume(clients: StubbedClients, live: dict[str, Any]) -> None:
    """The EBS volume lookup (`describe_resource`)."""
    queue(
        clients.stub("source", "ec2"),
        "describe_volumes",
        live["volume"] if isinstance(live["volume"], Err) else {"Volumes": [live["volume"]]},
        {"VolumeIds": [VOLUME_ID]},
    )


def queue_diagnosis(
    clients: StubbedClients, live: dict[str, Any], *, resource: bool = True
) -> None:
    """Queue every read of a diagnosis, in call order per client, from a live state."""
    for account in ("source", "backup"):
        org = live["org"][account]
        queue(
            clients.stub(account, "organizations"),
            "describe_organization",
            org if isinstance(org, Err) else {"Organization": {"Id": org}},
        )
    if clients.has("management"):
        queue(
            clients.stub("management", "backup"),
            "describe_global_settings",
            {"GlobalSettings": live["global_settings"]},
        )
    backup_backup, backup_kms = clients.stub("backup", "backup"), clients.stub("backup", "kms")
    source_backup, source_kms = clients.stub("source", "backup"), clients.stub("source", "kms")
    vault = live["backup_vault"]
    queue(backup_backup, "describe_backup_vault", vault, {"BackupVaultName": BACKUP_VAULT})
    if not isinstance(vault, Err):
        queue(
            backup_kms,
            "describe_key",
            _key_meta(vault["EncryptionKeyArn"], live["backup_vault_key_manager"]),
        )
    policy = live["backup_vault_policy"]
    queue(
        backup_backup,
        "get_backup_vault_access_policy",
        policy if isinstance(policy, Err) else {"Policy": policy},
        {"BackupVaultName": BACKUP_VAULT},
    )
    queue(backup_kms, "describe_key", _key_meta(BACKUP_VAULT_KEY, "CUSTOMER"))
    policy = live["backup_key_policy"]
    queue(
        backup_kms,
        "get_key_policy",
        policy if isinstance(policy, Err) else {"Policy": policy},
        {"KeyId": BACKUP_VAULT_KEY, "PolicyName": "default"},
    )
    policy = live["source_vault_policy"]
    queue(
        source_backup,
        "get_backup_vault_access_policy",
        policy if isinstance(policy, Err) else {"Policy": policy},
        {"BackupVaultName": SOURCE_VAULT},
    )
    queue(source_kms, "describe_key", _key_meta(SOURCE_VAULT_KEY, "CUSTOMER"))
    policy = live["source_key_policy"]
    queue(
        source_kms,
        "get_key_policy",
        policy if isinstance(policy, Err) else {"Policy": policy},
        {"KeyId": SOURCE_VAULT_KEY, "PolicyName": "default"},
    )
    if isinstance(vault, Err) and vault.code != "ResourceNotFoundException":
        # vault-lock reads it again after an error; a missing vault is remembered.
        queue(backup_backup, "describe_backup_vault", vault, {"BackupVaultName": BACKUP_VAULT})
    queue(source_backup, "get_backup_plan", {"BackupPlan": live["plan"]}, {"BackupPlanId": PLAN_ID})
    queue(
        source_backup,
        "list_backup_selections",
        {"BackupSelectionsList": [{"SelectionId": "sel-1", "BackupPlanId": PLAN_ID}]},
    )
    queue(
        source_backup,
        "get_backup_selection",
        {"BackupSelection": live["selection"]},
        {"BackupPlanId": PLAN_ID, "SelectionId": "sel-1"},
    )
    queue(
        source_backup,
        "get_backup_vault_notifications",
        {
            "BackupVaultName": SOURCE_VAULT,
            "SNSTopicArn": OUTPUTS["notificationTopicArn"],
            "BackupVaultEvents": live["notification_events"],
        },
    )
    if not resource:
        return
    queue_volume(clients, live)
    volume = live["volume"]
    if isinstance(volume, Err) or not volume.get("Encrypted"):
        return
    meta = _key_meta(volume["KmsKeyId"], live["resource_key_manager"])
    queue(source_kms, "describe_key", meta, {"KeyId": volume["KmsKeyId"]})
    if live["resource_key_manager"] == "AWS":
        queue(
            source_kms,
            "list_aliases",
            {
                "Aliases": [
                    {"AliasName": "alias/aws/ebs", "TargetKeyId": meta["KeyMetadata"]["KeyId"]}
                ]
            },
        )
    else:
        policy = live["resource_key_policy"]
        queue(
            source_kms, "get_key_policy", policy if isinstance(policy, Err) else {"Policy": policy}
        )


def queue_backup_diagnosis(clients: StubbedClients, live: dict[str, Any]) -> None:
    """Queue the reads of a failed backup job's diagnosis (backup-role, resource, its key)."""
    import datetime as dt

    iam = clients.stub("source", "iam")
    role_name = BACKUP_ROLE.rsplit("/", 1)[-1]
    queue(
        iam,
        "get_role",
        {
            "Role": {
                "Path": "/",
                "RoleName": role_name,
                "RoleId": "AROAEXAMPLEEXAMPLE000",
                "Arn": BACKUP_ROLE,
                "CreateDate": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "AssumeRolePolicyDocument": json.dumps(live["backup_role_trust"]),
            }
        },
        {"RoleName": role_name},
    )
    if live["backup_role_trust"] == _program_trust():
        queue(
            iam,
            "list_attached_role_policies",
            {
                "AttachedPolicies": [
                    {
                        "PolicyName": name.rsplit("/", 1)[-1],
                        "PolicyArn": f"arn:aws:iam::aws:policy/{name}",
                    }
                    for name in live["backup_role_policies"]
                ]
            },
            {"RoleName": role_name},
        )
    queue_volume(clients, live)
    volume = live["volume"]
    if isinstance(volume, Err) or not volume.get("Encrypted"):
        return
    source_kms = clients.stub("source", "kms")
    queue(source_kms, "describe_key", _key_meta(volume["KmsKeyId"], live["resource_key_manager"]))
    queue(source_kms, "get_key_policy", {"Policy": live["resource_key_policy"]})


def _program_trust() -> dict[str, Any]:
    from components.documents import backup_service_trust_policy

    return backup_service_trust_policy()
