"""Populate the AWS stand-in with what `pulumi up` of a stack creates, and start/stop the server.

`deploy(endpoint, stack)` reads the stack config the way `tools.verify` does (the program's own
`parse_settings`), then creates in each account, with that account's assumed credentials, the
resources of components/backup.py with the program's own documents (components/documents.py):
vault keys and their policies, both vaults and their access policies, the backup vault lock, the
backup role (trust policy + AWS managed policies), the plan with its copy rule, the selection,
the source vault notifications, the organization's cross-account opt-in. Plus what the program
does not create but a verification needs: the organization, and a tagged EBS volume on a CMK
that lets the backup account in (the key policy AWS's cross-account guide gives).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from aws_standin import BackupJobsApp, StandInState

ROOT = Path(__file__).resolve().parents[2]
ORG_MANAGER = "333333333333"  # the dev stack names no management account: the org's own
AMBIENT = {"aws_access_key_id": "AKIAEXAMPLEOPERATOR1", "aws_secret_access_key": "operator"}


@dataclass
class Deployed:
    """One stack in the stand-in: its outputs, the test volume, handles to break it."""

    stack: str
    settings: Any
    outputs: dict[str, str]
    volume_arn: str
    untagged_volume_arn: str
    volume_key_arn: str


@contextmanager
def standin_server() -> Iterator[tuple[str, StandInState]]:
    """moto's server application wrapped by `BackupJobsApp`, on 127.0.0.1, stopped on exit."""
    import os

    # moto setting read from the environment when its EC2 backends load (this process only):
    # no AMI catalogue, which verification never reads.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    state = StandInState()
    app = BackupJobsApp(DomainDispatcherApplication(create_backend_app), state)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="aws-standin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _session(endpoint: str, role_arn: str, region: str) -> boto3.Session:
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region, **AMBIENT)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="pulumi-up")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


class clients_for(dict[str, Any]):
    """boto3 clients acting in `account` (an `AccountSettings`), in its region, built on first
    use (a client costs its service model's loading)."""

    def __init__(self, endpoint: str, account: Any) -> None:
        super().__init__()
        self._endpoint = endpoint
        self._session = _session(endpoint, account.role_arn, account.region)

    def __missing__(self, name: str) -> Any:
        self[name] = self._session.client(name, endpoint_url=self._endpoint)
        return self[name]


def _organization(endpoint: str, settings: Any) -> None:
    from moto.organizations.models import organizations_backends

    manager = settings.management
    manager_id = manager.account_id if manager else ORG_MANAGER
    if organizations_backends[manager_id]["aws"].org is None:
        region = manager.region if manager else settings.source.region
        role = f"arn:aws:iam::{manager_id}:role/backup-deployer"
        org = _session(endpoint, role, region).client("organizations", endpoint_url=endpoint)
        org.create_organization(FeatureSet="ALL")
    for member in (settings.source.account_id, settings.backup.account_id):
        if member != manager_id:
            organizations_backends.master_accounts[member] = (manager_id, "aws")
    if manager is not None:
        backup = _session(endpoint, manager.role_arn, manager.region).client(
            "backup", endpoint_url=endpoint
        )
        # components/backup.py: global settings, cross-account backup on.
        backup.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "true"})


def deploy(endpoint: str, stack: str, state: StandInState) -> Deployed:
    """What `pulumi up` of `stack` creates, in the stand-in."""
    from components import documents
    from components.backup import BACKUP_ROLE_POLICIES
    from components.config import parse_settings
    from tools.verify.inputs import PROJECT, read_raw_config

    s = parse_settings(read_raw_config(ROOT, stack), project=PROJECT, stack=stack)
    _organization(endpoint, s)
    if s.management is None:
        # Without managementAccount the opt-in is set by hand in the management account.
        from moto.organizations.models import organizations_backends

        state.cross_account_enabled[organizations_backends[ORG_MANAGER]["aws"].org.id] = True
    src, dst = clients_for(endpoint, s.source), clients_for(endpoint, s.backup)

    def key(clients: dict[str, Any], policy: dict[str, Any], alias: str) -> str:
        meta = clients["kms"].create_key(Policy=documents.to_json(policy))["KeyMetadata"]
        clients["kms"].create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        return str(meta["Arn"])

    backup_key = key(
        dst,
        documents.backup_vault_key_policy(backup=s.backup, source=s.source),
        f"alias/{s.backup_vault_name}",
    )
    source_key = key(
        src,
        documents.source_vault_key_policy(source=s.source, backup=s.backup),
        f"alias/{s.source_vault_name}",
    )
    dst["backup"].create_backup_vault(
        BackupVaultName=s.backup_vault_name, EncryptionKeyArn=backup_key
    )
    dst["backup"].put_backup_vault_access_policy(
        BackupVaultName=s.backup_vault_name,
        Policy=documents.to_json(
            documents.backup_vault_access_policy(source=s.source, backup=s.backup)
        ),
    )
    if s.vault_lock is not None:
        lock: dict[str, Any] = {
            "BackupVaultName": s.backup_vault_name,
            "MinRetentionDays": s.vault_lock.min_retention_days,
            "MaxRetentionDays": s.vault_lock.max_retention_days,
        }
        if s.vault_lock.mode == "compliance":
            lock["ChangeableForDays"] = s.vault_lock.changeable_for_days
        dst["backup"].put_backup_vault_lock_configuration(
            **{k: v for k, v in lock.items() if v is not None}
        )
    src["backup"].create_backup_vault(
        BackupVaultName=s.source_vault_name, EncryptionKeyArn=source_key
    )
    src["backup"].put_backup_vault_access_policy(
        BackupVaultName=s.source_vault_name,
        Policy=documents.to_json(documents.source_vault_access_policy(backup=s.backup)),
    )
    _aws_managed_policies(s.source.account_id, BACKUP_ROLE_POLICIES.values())
    role_name = f"{s.name_prefix}-backup"
    role = src["iam"].create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=documents.to_json(documents.backup_service_trust_policy()),
    )["Role"]
    for policy in BACKUP_ROLE_POLICIES.values():
        src["iam"].attach_role_policy(
            RoleName=role_name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}"
        )
    plan = s.plan
    copy_lifecycle: dict[str, Any] = {"DeleteAfterDays": plan.copy_retention_days}
    if plan.copy_cold_storage_after_days is not None:
        copy_lifecycle["MoveToColdStorageAfterDays"] = plan.copy_cold_storage_after_days
    plan_id = src["backup"].create_backup_plan(
        BackupPlan={
            "BackupPlanName": f"{s.name_prefix}-plan",
            "Rules": [
                {
                    "RuleName": "backup-and-copy-to-backup-account",
                    "TargetBackupVaultName": s.source_vault_name,
                    "ScheduleExpression": plan.schedule,
                    "Lifecycle": {"DeleteAfterDays": plan.retention_days},
                    "CopyActions": [
                        {
                            "DestinationBackupVaultArn": s.backup_vault_arn,
                            "Lifecycle": copy_lifecycle,
                        }
                    ],
                }
            ],
        }
    )["BackupPlanId"]
    tag = s.selection_tag
    src["backup"].create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": f"tag-{tag.key}-{tag.value}",
            "IamRoleArn": role["Arn"],
            "ListOfTags": [
                {
                    "ConditionType": "STRINGEQUALS",
                    "ConditionKey": tag.key,
                    "ConditionValue": tag.value,
                }
            ],
        },
    )
    topic = f"arn:aws:sns:{s.source.region}:{s.source.account_id}:{s.name_prefix}-notifications"
    src["backup"].put_backup_vault_notifications(
        BackupVaultName=s.source_vault_name,
        SNSTopicArn=topic,
        BackupVaultEvents=list(documents.VAULT_EVENTS),
    )
    # Not the program's: the resource to verify, on a CMK shared with the backup account.
    volume_key = src["kms"].create_key(Policy=resource_key_policy(s, share=True))["KeyMetadata"]
    az = f"{s.source.region}a"

    def volume(tags: list[dict[str, str]]) -> str:
        made = src["ec2"].create_volume(
            AvailabilityZone=az,
            Size=1,
            Encrypted=True,
            KmsKeyId=volume_key["Arn"],
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )
        return f"arn:aws:ec2:{s.source.region}:{s.source.account_id}:volume/{made['VolumeId']}"

    return Deployed(
        stack=stack,
        settings=s,
        outputs={
            "sourceVaultArn": s.source_vault_arn,
            "backupVaultArn": s.backup_vault_arn,
            "backupVaultKeyArn": backup_key,
            "sourceVaultKeyArn": source_key,
            "backupPlanId": plan_id,
            "backupRoleArn": role["Arn"],
            "notificationTopicArn": topic,
        },
        volume_arn=volume([{"Key": tag.key, "Value": tag.value}]),
        untagged_volume_arn=volume([{"Key": "Name", "Value": "scratch"}]),
        volume_key_arn=volume_key["Arn"],
    )


def _aws_managed_policies(account: str, names: Iterable[str]) -> None:
    """Give moto's IAM of `account` these AWS managed policies (moto's own copies of AWS's
    documents) without loading all ~1,300 of them into every account (seconds each)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    data = json.loads(aws_managed_policies_data)
    backend = iam_backends[account]["global"]
    for path in names:
        name = path.rsplit("/", 1)[-1]
        policy = AWSManagedPolicy.from_data(name, account, backend.region_name, data[name])
        backend.managed_policies[policy.arn] = policy


def resource_key_policy(s: Any, *, share: bool) -> str:
    """A team's CMK for EBS volumes; `share`: the statements AWS Backup's cross-account guide
    adds for the destination account (use of the key, grants for AWS resources)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{s.source.account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if share:
        backup_root = f"arn:aws:iam::{s.backup.account_id}:root"
        statements += [
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": {"AWS": backup_root},
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
                "Principal": {"AWS": backup_root},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
