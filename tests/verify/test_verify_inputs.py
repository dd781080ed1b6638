"""`tools.verify` inputs and AWS seam: stack config, outputs, resource ARNs, role assumption,
and the resource lookups per type (botocore Stubber)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from tools.verify.aws_session import (
    MAX_ATTEMPTS,
    AssumedRoleClients,
    RoleNotAssumable,
    RoleTarget,
    assume_role,
)
from tools.verify.diagnose import ResourceNotFound, describe_resource
from tools.verify.inputs import (
    InputError,
    load_settings,
    parse_outputs,
    parse_resource_arn,
    read_outputs_json,
)
from verify_fakes import (
    BACKUP_ID,
    OTHER_ID,
    OUTPUTS,
    REGION,
    SOURCE_ID,
    Err,
    StubbedClients,
    queue,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = RoleTarget("source", SOURCE_ID, f"arn:aws:iam::{SOURCE_ID}:role/backup-deployer", REGION)


@pytest.fixture(scope="module")
def dev() -> Any:
    return load_settings(ROOT, "dev")


# --- stack config and outputs ------------------------------------------------------------------


def test_dev_stack_config_is_read_with_the_programs_parser(dev: Any) -> None:
    assert (dev.source.account_id, dev.backup.account_id) == (SOURCE_ID, BACKUP_ID)
    assert dev.source.role_arn == f"arn:aws:iam::{SOURCE_ID}:role/backup-deployer"
    assert (dev.retention_days, dev.copy_retention_days) == (7, 14)
    assert (dev.selection_tag_key, dev.selection_tag_value) == ("Backup", "Yes")  # default
    assert dev.vault_lock is not None and dev.vault_lock.mode == "governance"
    assert dev.management is None
    assert set(dev.targets()) == {"source", "backup"}


def test_prod_stack_has_management_and_copy_cold_storage() -> None:
    prod = load_settings(ROOT, "prod")
    assert prod.management is not None
    # With backupPlan.rules the plan's single-rule fields hold the first rule (prod: daily).
    assert (prod.copy_retention_days, prod.copy_cold_storage_after_days) == (365, None)
    assert set(prod.targets()) == {"source", "backup", "management"}


def test_unknown_stack_lists_the_stacks(tmp_path: Path) -> None:
    listed = r"--stack 'qa': Pulumi.qa.yaml not found .*dev, org, prod"
    with pytest.raises(InputError, match=listed):
        load_settings(ROOT, "qa")


def test_invalid_config_names_the_key(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace(f"arn:aws:iam::{SOURCE_ID}:role/backup-deployer", "backup-deployer", 1)
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    with pytest.raises(InputError) as raised:
        load_settings(tmp_path, "dev")
    assert "stack 'dev' config" in str(raised.value)
    assert "sourceAccount.roleArn" in str(raised.value)
    assert "'backup-deployer'" in str(raised.value)


def test_outputs_missing_keys_are_named(dev: Any) -> None:
    partial = {k: v for k, v in OUTPUTS.items() if k not in ("backupRoleArn", "backupPlanId")}
    with pytest.raises(InputError, match=r"stack outputs lack backupPlanId, backupRoleArn"):
        parse_outputs(partial, dev)


def test_outputs_of_another_stack_are_refused(dev: Any) -> None:
    foreign = dict(OUTPUTS, backupVaultArn=OUTPUTS["backupVaultArn"].replace(BACKUP_ID, OTHER_ID))
    with pytest.raises(InputError, match=rf"is in account {OTHER_ID} .* stack config puts it in"):
        parse_outputs(foreign, dev)


def test_outputs_vault_arn_malformed(dev: Any) -> None:
    bad = dict(OUTPUTS, sourceVaultArn="cross-account-backup-dev-local")
    with pytest.raises(InputError, match=r"stack output sourceVaultArn = .* not a backup vault"):
        parse_outputs(bad, dev)


def test_outputs_parse_vault_names(dev: Any) -> None:
    outputs = parse_outputs(OUTPUTS, dev)
    assert outputs.source_vault.name == "cross-account-backup-dev-local"
    assert outputs.backup_vault.account_id == BACKUP_ID


def test_outputs_file_not_json(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text("Current stack outputs (7):")
    with pytest.raises(InputError, match=r"--outputs .*out.json is not JSON"):
        read_outputs_json("dev", path, root=ROOT)


def test_pulumi_cli_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pulumi"
    fake.write_text("#!/bin/sh\necho 'error: no stack named dev found' >&2\nexit 255\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match=r"failed \(exit 255\): error: no stack named dev found"):
        read_outputs_json("dev", None, root=ROOT)


def test_pulumi_cli_outputs_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pulumi"
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(OUTPUTS)}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert read_outputs_json("dev", None, root=ROOT)["backupPlanId"] == OUTPUTS["backupPlanId"]


# --- resource ARNs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "kind", "resource_id"),
    [
        (
            f"arn:aws:ec2:{REGION}:{SOURCE_ID}:volume/vol-0123456789abcdef0",
            "ebs",
            "vol-0123456789abcdef0",
        ),
        (
            f"arn:aws:ec2:{REGION}:{SOURCE_ID}:instance/i-0123456789abcdef0",
            "ec2",
            "i-0123456789abcdef0",
        ),
        (f"arn:aws:rds:{REGION}:{SOURCE_ID}:db:orders", "rds", "orders"),
        (f"arn:aws:rds:{REGION}:{SOURCE_ID}:cluster:orders-aurora", "aurora", "orders-aurora"),
        (
            f"arn:aws:elasticfilesystem:{REGION}:{SOURCE_ID}:file-system/fs-0123abcd",
            "efs",
            "fs-0123abcd",
        ),
        (f"arn:aws:dynamodb:{REGION}:{SOURCE_ID}:table/orders", "dynamodb", "orders"),
        ("arn:aws:s3:::orders-archive", "s3", "orders-archive"),
        (
            f"arn:aws:fsx:{REGION}:{SOURCE_ID}:file-system/fs-0123456789abcdef0",
            "other",
            "file-system/fs-0123456789abcdef0",
        ),
    ],
)
def test_resource_kinds(arn: str, kind: str, resource_id: str) -> None:
    ref = parse_resource_arn(arn, source=SOURCE)
    assert (ref.kind, ref.resource_id, ref.account_id) == (kind, resource_id, SOURCE_ID)


def test_arn_without_account_is_refused() -> None:
    with pytest.raises(InputError, match=r"names no account or no region"):
        parse_resource_arn(f"arn:aws:ec2:{REGION}::volume/vol-1", source=SOURCE)


# --- role assumption ---------------------------------------------------------------------------


def _sts() -> tuple[Any, Stubber]:
    import boto3

    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return sts, Stubber(sts)


CREDENTIALS = {
    "Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
        "SecretAccessKey": "secret",
        "SessionToken": "token",
        "Expiration": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    }
}


def test_assume_role_passes_external_id_and_session_name() -> None:
    sts, stub = _sts()
    target = replace(SOURCE, external_id="ext-0123", session_name="verify-run")
    expected = {
        "RoleArn": SOURCE.role_arn,
        "RoleSessionName": "verify-run",
        "ExternalId": "ext-0123",
    }
    stub.add_response("assume_role", CREDENTIALS, expected)
    with stub:
        creds = assume_role(sts, target, default_session_name="unused")
    assert creds["aws_access_key_id"] == "ASIAEXAMPLEEXAMPLE01"
    stub.assert_no_pending_responses()


def test_refused_role_without_external_id_hints_at_it() -> None:
    sts, stub = _sts()
    stub.add_client_error("assume_role", "AccessDenied", "not authorized to perform sts:AssumeRole")
    with stub, pytest.raises(RoleNotAssumable) as raised:
        assume_role(sts, SOURCE, default_session_name="cross-account-backup-verify")
    assert "sourceAccount.externalId" in str(raised.value)
    assert SOURCE.role_arn in str(raised.value)


def test_assumed_role_clients_use_the_role_credentials_and_retry_config() -> None:
    sts, stub = _sts()
    stub.add_response("assume_role", CREDENTIALS)
    with stub:
        clients = AssumedRoleClients({"source": SOURCE}, sts_factory=lambda _target: sts)
        backup = clients.client("source", "backup")
        again = clients.client("source", "kms")  # same session: assumed once
    stub.assert_no_pending_responses()
    assert backup.meta.region_name == REGION
    assert backup._request_signer._credentials.get_frozen_credentials().access_key == (
        "ASIAEXAMPLEEXAMPLE01"
    )
    assert again.meta.config.retries["total_max_attempts"] == MAX_ATTEMPTS
    assert clients.has("source") and not clients.has("management")
    with pytest.raises(KeyError, match="no managementAccount"):
        clients.client("management", "backup")


# --- resource lookups per type -----------------------------------------------------------------


def _clients() -> StubbedClients:
    return StubbedClients({"source": REGION, "backup": REGION})


def test_rds_instance_key_and_tags() -> None:
    clients = _clients()
    key = f"arn:aws:kms:{REGION}:{SOURCE_ID}:key/55555555-5555-4555-8555-555555555555"
    queue(
        clients.stub("source", "rds"),
        "describe_db_instances",
        {
            "DBInstances": [
                {
                    "DBInstanceIdentifier": "orders",
                    "StorageEncrypted": True,
                    "KmsKeyId": key,
                    "TagList": [{"Key": "Backup", "Value": "Yes"}],
                }
            ]
        },
        {"DBInstanceIdentifier": "orders"},
    )
    info = describe_resource(
        clients, parse_resource_arn(f"arn:aws:rds:{REGION}:{SOURCE_ID}:db:orders", source=SOURCE)
    )
    assert (info.encrypted, info.key_ids, dict(info.tags)) == (True, (key,), {"Backup": "Yes"})


def test_s3_bucket_without_tags_and_dynamodb_table() -> None:
    clients = _clients()
    queue(
        clients.stub("source", "s3"),
        "get_bucket_tagging",
        Err("NoSuchTagSet", "The TagSet does not exist", 404),
    )
    info = describe_resource(clients, parse_resource_arn("arn:aws:s3:::orders", source=SOURCE))
    assert (dict(info.tags), info.encrypted) == ({}, None)
    arn = f"arn:aws:dynamodb:{REGION}:{SOURCE_ID}:table/orders"
    ddb = clients.stub("source", "dynamodb")
    queue(ddb, "describe_table", {"Table": {"TableName": "orders"}}, {"TableName": "orders"})
    queue(ddb, "list_tags_of_resource", {"Tags": [{"Key": "Backup", "Value": "Yes"}]})
    info = describe_resource(clients, parse_resource_arn(arn, source=SOURCE))
    assert (dict(info.tags), info.key_ids) == ({"Backup": "Yes"}, ())


def test_missing_efs_is_not_found() -> None:
    clients = _clients()
    queue(
        clients.stub("source", "efs"),
        "describe_file_systems",
        Err("FileSystemNotFound", "File system 'fs-0123abcd' does not exist.", 404),
    )
    arn = f"arn:aws:elasticfilesystem:{REGION}:{SOURCE_ID}:file-system/fs-0123abcd"
    with pytest.raises(ResourceNotFound, match=r"fs-0123abcd does not exist in account"):
        describe_resource(clients, parse_resource_arn(arn, source=SOURCE))
