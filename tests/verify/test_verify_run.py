"""`python -m tools.verify`: the end-to-end run against stubbed AWS accounts (botocore Stubber).

Each test queues the answers AWS would give, per account and service, runs the command through
`main` (stack config read from this repo's `Pulumi.dev.yaml`), and asserts on the exit code, on
what is printed and on the parameters the tool sent. Time is a fake clock: no test waits.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import ANY, Stubber

from tools.verify.aws_session import MAX_ATTEMPTS, AssumedRoleClients, RoleNotAssumable, RoleTarget
from tools.verify.cli import main
from tools.verify.errors import ExitCode
from tools.verify.inputs import VerifySettings, load_settings
from tools.verify.run import RUN_TAG
from verify_fakes import (
    BACKUP_JOB_ID,
    BACKUP_ROLE,
    BACKUP_VAULT,
    BACKUP_VAULT_ARN,
    BACKUP_VAULT_KEY,
    COPY_JOB_ID,
    DEST_RP,
    MANAGEMENT_ID,
    OTHER_ID,
    OUTPUTS,
    REGION,
    RESOURCE_CMK,
    SOURCE_ID,
    SOURCE_RP,
    SOURCE_VAULT,
    VOLUME_ARN,
    Err,
    FakeClock,
    StubbedClients,
    healthy_live_state,
    queue,
    queue_backup_diagnosis,
    queue_diagnosis,
    queue_volume,
    resource_cmk_policy,
)

ROOT = Path(__file__).resolve().parents[2]
DELETE_AT = dt.datetime(2026, 12, 12, 5, 0, tzinfo=dt.UTC)


class Run:
    """One invocation of the command: exit code and what it printed."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS))
    return path


def new_clients(management: bool = False) -> StubbedClients:
    regions: dict[str, str] = {"source": REGION, "backup": REGION}
    if management:
        regions["management"] = REGION
    return StubbedClients(regions)  # type: ignore[arg-type]


def verify(
    clients: Any,
    outputs_file: Path,
    *extra: str,
    clock: FakeClock | None = None,
    settings: VerifySettings | None = None,
    resource: str = VOLUME_ARN,
) -> Run:
    out, err = io.StringIO(), io.StringIO()
    factory = clients if callable(clients) else (lambda _settings: clients)
    code = main(
        [
            "--stack",
            "dev",
            "--resource-arn",
            resource,
            "--outputs",
            str(outputs_file),
            "--poll-interval",
            "30",
            *extra,
        ],
        clients_factory=factory,
        clock=clock or FakeClock(),
        out=out,
        err=err,
        settings=settings,
    )
    return Run(code, out.getvalue(), err.getvalue())


def queue_backup(
    clients: StubbedClients,
    states: tuple[str, ...] = ("CREATED", "RUNNING", "COMPLETED"),
    *,
    message: str | None = None,
    delete_after: int = 7,
) -> None:
    stub = clients.stub("source", "backup")
    stub.add_response(
        "start_backup_job",
        {"BackupJobId": BACKUP_JOB_ID, "CreationDate": DELETE_AT},
        {
            "BackupVaultName": SOURCE_VAULT,
            "ResourceArn": VOLUME_ARN,
            "IamRoleArn": BACKUP_ROLE,
            "IdempotencyToken": ANY,
            "Lifecycle": {"DeleteAfterDays": delete_after},
            "RecoveryPointTags": {RUN_TAG: ANY},
        },
    )
    for state in states:
        job: dict[str, Any] = {"BackupJobId": BACKUP_JOB_ID, "State": state}
        if state == "RUNNING":
            job["PercentDone"] = "40.0"
        if state == "COMPLETED":
            job["RecoveryPointArn"] = SOURCE_RP
        if message and state not in ("CREATED", "RUNNING"):
            job["StatusMessage"] = message
        stub.add_response("describe_backup_job", job, {"BackupJobId": BACKUP_JOB_ID})


def queue_copy(
    clients: StubbedClients,
    states: tuple[str, ...] = ("CREATED", "RUNNING", "COMPLETED"),
    *,
    message: str | None = None,
    lifecycle: dict[str, int] | None = None,
) -> None:
    stub = clients.stub("source", "backup")
    stub.add_response(
        "start_copy_job",
        {"CopyJobId": COPY_JOB_ID},
        {
            "RecoveryPointArn": SOURCE_RP,
            "SourceBackupVaultName": SOURCE_VAULT,
            "DestinationBackupVaultArn": BACKUP_VAULT_ARN,
            "IamRoleArn": BACKUP_ROLE,
            "IdempotencyToken": ANY,
            "Lifecycle": lifecycle or {"DeleteAfterDays": 14},
        },
    )
    for state in states:
        job: dict[str, Any] = {"CopyJobId": COPY_JOB_ID, "State": state}
        if state == "COMPLETED":
            job["DestinationRecoveryPointArn"] = DEST_RP
        if message and state == "FAILED":
            job["StatusMessage"] = message
        stub.add_response("describe_copy_job", {"CopyJob": job}, {"CopyJobId": COPY_JOB_ID})


def queue_confirmation(clients: StubbedClients, *, key: str = BACKUP_VAULT_KEY) -> None:
    clients.stub("backup", "backup").add_response(
        "describe_recovery_point",
        {
            "RecoveryPointArn": DEST_RP,
            "BackupVaultName": BACKUP_VAULT,
            "BackupVaultArn": BACKUP_VAULT_ARN,
            "Status": "COMPLETED",
            "EncryptionKeyArn": key,
            "IsEncrypted": True,
            "CalculatedLifecycle": {"DeleteAt": DELETE_AT},
        },
        {"BackupVaultName": BACKUP_VAULT, "RecoveryPointArn": DEST_RP},
    )


def queue_happy(clients: StubbedClients) -> None:
    queue_volume(clients, healthy_live_state())
    queue_backup(clients)
    queue_copy(clients)
    queue_confirmation(clients)


@pytest.fixture(scope="module")
def dev() -> VerifySettings:
    return load_settings(ROOT, "dev")


@pytest.fixture(scope="module")
def dev_with_management(dev: VerifySettings) -> VerifySettings:
    target = RoleTarget(
        "management", MANAGEMENT_ID, f"arn:aws:iam::{MANAGEMENT_ID}:role/backup-deployer", REGION
    )
    return replace(dev, management=target)


# --- success -----------------------------------------------------------------------------------


def test_happy_path_confirms_the_copy_in_the_backup_vault(outputs_file: Path) -> None:
    clients, clock = new_clients(), FakeClock()
    queue_happy(clients)
    run = verify(clients, outputs_file, clock=clock)
    assert run.code == ExitCode.OK, run.err
    clients.assert_all_used()
    assert f"started backup job {BACKUP_JOB_ID} into {SOURCE_VAULT}" in run.out
    assert "[backup] RUNNING   40.0% elapsed 0:00:30" in run.out
    assert f"started copy job {COPY_JOB_ID} to {BACKUP_VAULT_ARN} (kept 14 days)" in run.out
    assert "[copy  ] COMPLETED elapsed 0:02:00" in run.out
    assert (
        f"VERIFIED: recovery point {DEST_RP} is COMPLETED in {BACKUP_VAULT_ARN}, encrypted with "
        f"{BACKUP_VAULT_KEY}, expires 2026-12-12 05:00:00+00:00"
    ) in run.out
    assert clock.sleeps == [30.0, 30.0, 30.0, 30.0]
    # The confirmation is read with the backup account's own credentials.
    assert ("backup", "backup") in clients.requested


def test_copy_lifecycle_follows_the_plan_copy_rule(outputs_file: Path, dev: VerifySettings) -> None:
    # On-demand jobs don't run the plan's copy action: the tool's copy must carry its lifecycle.
    settings = replace(dev, copy_retention_days=365, copy_cold_storage_after_days=30)
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(
        clients,
        ("COMPLETED",),
        lifecycle={"DeleteAfterDays": 365, "MoveToColdStorageAfterDays": 30},
    )
    queue_confirmation(clients)
    run = verify(clients, outputs_file, settings=settings)
    assert run.code == ExitCode.OK, run.err
    clients.assert_all_used()


def test_untagged_resource_verified_with_allow_untagged(outputs_file: Path) -> None:
    clients = new_clients()
    live = healthy_live_state()
    live["volume"]["Tags"] = []
    queue_volume(clients, live)
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("COMPLETED",))
    queue_confirmation(clients)
    run = verify(clients, outputs_file, "--allow-untagged")
    assert run.code == ExitCode.OK
    assert "warning: " in run.out and "has no tag Backup" in run.out


# --- job failures: cause + automatic diagnosis ------------------------------------------------


def _break(live: dict[str, Any], what: str) -> None:
    if what == "organization":
        live["org"]["backup"] = "o-zzzzzzzzzz"
    elif what == "cross-account-setting":
        live["global_settings"] = {"isCrossAccountBackupEnabled": "false"}
    elif what == "backup-vault":
        live["backup_vault_key_manager"] = "AWS"
    elif what == "resource-key-aws":
        live["resource_key_manager"] = "AWS"
    elif what == "resource-key":
        live["resource_key_policy"] = resource_cmk_policy(allow_backup_account=False)
    elif what == "vault-lock":
        live["backup_vault"]["MinRetentionDays"] = 30
    elif what == "backup-vault-policy":
        live["backup_vault_policy"] = live["backup_vault_policy"].replace(SOURCE_ID, OTHER_ID)


@pytest.mark.parametrize(
    ("message", "cause", "broken", "failing_check"),
    [
        (
            "Both source and destination account must be a member of the same organization.",
            "not in the same AWS Organization",
            "organization",
            "organization",
        ),
        (
            "Cross-account copy feature is not enabled for the current organization.",
            "cross-account backup is not turned on",
            "cross-account-setting",
            "cross-account-setting",
        ),
        (
            "The destination Backup vault is encrypted with the default Backup service managed "
            "key.",
            "encrypted with the AWS managed key aws/backup",
            "backup-vault",
            "backup-vault",
        ),
        (
            "Snapshots encrypted with the AWS managed key can't be shared.",
            "encrypted with an AWS managed key",
            "resource-key-aws",
            "resource-key",
        ),
        (
            "Given key ID is not accessible",
            "not shared with the other account",
            "resource-key",
            "resource-key",
        ),
        (
            "The retention specified in the job is not within the range specified for the target "
            "Backup Vault.",
            "outside the backup vault lock",
            "vault-lock",
            "vault-lock",
        ),
        (
            "Access Denied trying to call AWS Backup service (CopyIntoBackupVault)",
            "access policy does not let the source account",
            "backup-vault-policy",
            "backup-vault-policy",
        ),
    ],
)
def test_failed_copy_maps_its_message_and_the_diagnosis_confirms(
    outputs_file: Path,
    dev_with_management: VerifySettings,
    message: str,
    cause: str,
    broken: str,
    failing_check: str,
) -> None:
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("RUNNING", "FAILED"), message=message)
    live = healthy_live_state()
    _break(live, broken)
    queue_diagnosis(clients, live)
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert f"copy job {COPY_JOB_ID} ended FAILED: {message}" in run.out
    cause_line = next(line for line in run.out.splitlines() if line.startswith("cause: "))
    assert cause in cause_line
    assert "running the diagnosis" in run.out
    assert f"[FAIL ] {failing_check}:" in run.out
    assert "diagnosis: 14 checks, 1 failed" in run.out


def test_failed_backup_job_is_diagnosed_as_a_backup_not_a_copy(outputs_file: Path) -> None:
    # Issue 15 item 6: a failed backup job ran the copy checks and pointed to the copy page.
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("RUNNING", "FAILED"), message="Backup job failed: internal error.")
    queue_backup_diagnosis(clients, healthy_live_state())
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()  # no copy job, no copy check (organization, vault policies, ...)
    assert "ended FAILED: Backup job failed: internal error." in run.out
    assert (
        "cause: not a known message; see https://repost.aws/articles/ARt46qw01wR9OiksidJR0fMg"
    ) in run.out
    assert "backup-troubleshoot-cross-account-copy" not in run.out
    assert "[PASS ] backup-role:" in run.out
    assert "[PASS ] resource-key-role:" in run.out
    assert "organization" not in run.out
    assert (
        "diagnosis: 3 checks, 0 failed, 0 warnings, 0 skipped - nothing found that would "
        "stop the backup" in run.out
    )


def test_backup_job_failing_because_the_role_lost_its_managed_policy(outputs_file: Path) -> None:
    # re:Post "Understanding IAM roles and permissions in AWS Backup": the job role's message.
    message = (
        "You are not authorized to perform this operation. Please consult the permissions "
        "associated with your AWS Backup role(s), and refer to the AWS Backup documentation."
    )
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("FAILED",), message=message)
    live = healthy_live_state()
    live["backup_role_policies"] = ["service-role/AWSBackupServiceRolePolicyForRestores"]
    queue_backup_diagnosis(clients, live)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "cause: the backup role (backupRoleArn) lacks a permission" in run.out
    assert (
        f"[FAIL ] backup-role: AWS Backup may assume the backup role, which has the backup "
        f"policy - {BACKUP_ROLE} lacks the AWS managed policy AWSBackupServiceRolePolicyForBackup"
    ) in run.out
    assert "confirmed by backup-role:" in run.out
    assert "policy/service-role/AWSBackupServiceRolePolicyForBackup" in run.out


def test_backup_job_failing_because_the_resource_key_denies_the_role(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("FAILED",), message="Access denied to KMS key.")
    live = healthy_live_state()
    # A key policy that names only the backup account: the source account (and its role) is out.
    doc = json.loads(resource_cmk_policy(allow_backup_account=True))
    doc["Statement"] = doc["Statement"][1:]
    live["resource_key_policy"] = json.dumps(doc)
    queue_backup_diagnosis(clients, live)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "cause: the backup role may not use a KMS key of the backup" in run.out
    assert (
        f"[FAIL ] resource-key-role: the backup's KMS key lets the backup role use it - the "
        f"backup role {BACKUP_ROLE} is refused {RESOURCE_CMK}: kms:DescribeKey" in run.out
    )
    assert "confirmed by resource-key-role:" in run.out


def test_snapshot_key_message_from_repost_is_a_known_cause(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Issue 15 item 1. AWS re:Post backup-cross-account-copy-error: an EBS volume whose CMK does
    # not include the backup account fails the copy with this message.
    message = (
        "The source snapshot KMS key does not exist, is not enabled or you do not have "
        "permissions to access it."
    )
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("FAILED",), message=message)
    live = healthy_live_state()
    _break(live, "resource-key")
    queue_diagnosis(clients, live)
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "not a known message" not in run.out
    assert (
        "cause: the snapshot's KMS key (the resource's own customer managed key) does not "
        "let the backup account use it" in run.out
    )
    assert "[FAIL ] resource-key:" in run.out
    assert "confirmed by resource-key:" in run.out


def test_backup_vault_key_losing_the_source_account_names_the_source_account(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Issue 15 item 1: the printed fix said "add the backup account to the key policy".
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("FAILED",), message="Given key ID is not accessible")
    live = healthy_live_state()
    live["backup_key_policy"] = live["backup_key_policy"].replace(SOURCE_ID, OTHER_ID)
    queue_diagnosis(clients, live)
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "[FAIL ] backup-vault-key-policy:" in run.out
    confirmed = run.out[run.out.index("confirmed by backup-vault-key-policy:") :]
    assert f"fix: add the source account {SOURCE_ID} to the backup vault key's policy" in confirmed
    assert "add the backup account to the key policy" not in run.out


# --- timeout and interruption ------------------------------------------------------------------


def test_timeout_says_how_to_follow_and_stop_the_job(outputs_file: Path) -> None:
    clients, clock = new_clients(), FakeClock()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("RUNNING",) * 5)
    run = verify(clients, outputs_file, "--timeout", "100", clock=clock)
    assert run.code == ExitCode.TIMEOUT
    clients.assert_all_used()
    assert clock.sleeps == [30.0, 30.0, 30.0, 10.0]
    assert "timed out after 0:01:40 waiting for the backup job (state RUNNING)" in run.err
    assert (
        f"aws backup describe-backup-job --backup-job-id {BACKUP_JOB_ID} --region {REGION}"
        in run.err
    )
    assert f"aws backup stop-backup-job --backup-job-id {BACKUP_JOB_ID}" in run.err


def test_ctrl_c_names_the_jobs_started_and_how_to_follow_or_stop_them(outputs_file: Path) -> None:
    clients, clock = new_clients(), FakeClock()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("RUNNING",))

    def interrupt(_count: int) -> None:
        raise KeyboardInterrupt

    clock.on_sleep = interrupt
    run = verify(clients, outputs_file, "--cleanup", clock=clock)
    assert run.code == ExitCode.INTERRUPTED
    clients.assert_all_used()  # --cleanup does not run on an interrupted run
    assert f"backup job {BACKUP_JOB_ID} (source account {SOURCE_ID})" in run.err
    assert f"aws backup describe-copy-job --copy-job-id {COPY_JOB_ID} --region {REGION}" in run.err
    assert "a copy job can't be stopped (AWS Backup has no StopCopyJob)" in run.err
    assert f"--recovery-point-arn {SOURCE_RP}" in run.err


def test_ctrl_c_before_any_job_says_nothing_was_started(outputs_file: Path) -> None:
    def factory(_settings: VerifySettings) -> Any:
        raise KeyboardInterrupt

    run = verify(factory, outputs_file)
    assert run.code == ExitCode.INTERRUPTED
    assert "no job was started: nothing to follow or stop." in run.err


# --- bad input and faults ----------------------------------------------------------------------


def test_untagged_resource_is_refused_before_any_job(outputs_file: Path) -> None:
    clients = new_clients()
    live = healthy_live_state()
    live["volume"]["Tags"] = [{"Key": "Backup", "Value": "No"}]
    queue_volume(clients, live)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.UNTAGGED
    clients.assert_all_used()
    assert "has Backup='No': the stack's plan selects Backup=Yes" in run.err
    assert f"--resource-arn-list {VOLUME_ARN} --tags Backup=Yes" in run.err


def test_unknown_resource(outputs_file: Path) -> None:
    clients = new_clients()
    live = healthy_live_state()
    live["volume"] = Err(
        "InvalidVolume.NotFound", "The volume 'vol-0123456789abcdef0' does not exist."
    )
    queue_volume(clients, live)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.RESOURCE_NOT_FOUND
    assert f"{VOLUME_ARN} does not exist in account {SOURCE_ID} region {REGION}" in run.err


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        ("vol-0123456789abcdef0", "is not an ARN"),
        (f"arn:aws:ec2:{REGION}:{OTHER_ID}:volume/vol-1", f"is in account {OTHER_ID}"),
        (f"arn:aws:ec2:us-east-1:{SOURCE_ID}:volume/vol-1", "is in region us-east-1"),
        (f"arn:aws:s3:{REGION}:{SOURCE_ID}:my-bucket", "arn:aws:s3:::<bucket-name>"),
    ],
)
def test_malformed_or_foreign_resource_arn(outputs_file: Path, arn: str, says: str) -> None:
    run = verify(new_clients(), outputs_file, resource=arn)
    assert run.code == ExitCode.BAD_ARN
    assert says in run.err


def test_missing_resource_arn_is_a_usage_error(outputs_file: Path) -> None:
    run = verify(new_clients(), outputs_file, resource="")
    assert run.code == ExitCode.USAGE
    assert "--resource-arn is required (unless --diagnose)" in run.err


def test_throttling_after_retries_has_its_own_exit_code(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue(
        clients.stub("source", "backup"),
        "start_backup_job",
        Err("ThrottlingException", "Rate exceeded"),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.THROTTLED
    assert f"StartBackupJob in the source account was still throttled after {MAX_ATTEMPTS}" in (
        run.err
    )
    # botocore does the backoff: every client carries the adaptive retry configuration.
    client = clients.client("source", "backup")
    assert client.meta.config.retries == {"total_max_attempts": MAX_ATTEMPTS, "mode": "adaptive"}


def test_denied_call_is_an_aws_error_naming_the_operation(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue(
        clients.stub("source", "backup"),
        "start_backup_job",
        Err("AccessDeniedException", "not authorized to perform: iam:PassRole"),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.AWS_ERROR
    assert (
        "StartBackupJob in the source account failed: AccessDeniedException: not authorized to "
        "perform: iam:PassRole"
    ) in run.err


def test_credentials_expiring_mid_run_exit_with_the_credentials_code(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("RUNNING",))
    queue(
        clients.stub("source", "backup"),
        "describe_backup_job",
        Err("ExpiredTokenException", "The security token included in the request is expired"),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.CREDENTIALS
    clients.assert_all_used()
    assert "credentials expired or invalid during DescribeBackupJob in the source account" in (
        run.err
    )


def test_copy_on_another_key_is_not_confirmed(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("COMPLETED",))
    other_key = f"arn:aws:kms:{REGION}:222222222222:key/99999999-9999-4999-8999-999999999999"
    queue_confirmation(clients, key=other_key)
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.NOT_CONFIRMED
    assert f"it is encrypted with {other_key}, not the backup vault key" in run.err


def test_copy_missing_from_backup_vault_is_not_confirmed(outputs_file: Path) -> None:
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("COMPLETED",))
    queue(
        clients.stub("backup", "backup"),
        "describe_recovery_point",
        Err("ResourceNotFoundException", "Recovery point not found"),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.NOT_CONFIRMED
    assert f"the backup account sees no recovery point {DEST_RP}" in run.err


def _sts(error: str | None) -> Any:
    import boto3

    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(sts)
    if error:
        stub.add_client_error(
            "assume_role", service_error_code=error, service_message=error, http_status_code=403
        )
    stub.activate()
    return sts


@pytest.mark.parametrize(
    ("error", "code", "says"),
    [
        ("ExpiredToken", ExitCode.CREDENTIALS, "expired or invalid (ExpiredToken"),
        (
            "AccessDenied",
            ExitCode.ROLE,
            "cannot assume source account role arn:aws:iam::111111111111:role/backup-deployer",
        ),
    ],
)
def test_credentials_and_roles(outputs_file: Path, error: str, code: ExitCode, says: str) -> None:
    sts = _sts(error)
    run = verify(
        lambda s: AssumedRoleClients(s.targets(), sts_factory=lambda _target: sts), outputs_file
    )
    assert run.code == code
    assert says in run.err


def test_missing_credentials(outputs_file: Path) -> None:
    class NoCreds:
        def assume_role(self, **_: Any) -> None:
            raise NoCredentialsError()

    run = verify(
        lambda s: AssumedRoleClients(s.targets(), sts_factory=lambda _target: NoCreds()),
        outputs_file,
    )
    assert run.code == ExitCode.CREDENTIALS
    assert "no usable AWS credentials to assume arn:aws:iam::111111111111:role/" in run.err


def test_pulumi_cli_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    err = io.StringIO()
    code = main(
        ["--stack", "dev", "--resource-arn", VOLUME_ARN],
        clients_factory=lambda _s: new_clients(),
        err=err,
        out=io.StringIO(),
    )
    assert code == ExitCode.USAGE
    assert "the Pulumi CLI (`pulumi`) is not on PATH" in err.getvalue()
    assert "--outputs FILE" in err.getvalue()


def test_help_documents_options_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--stack",
        "--resource-arn",
        "--outputs",
        "--diagnose",
        "--timeout",
        "--poll-interval",
        "--cleanup",
        "--allow-untagged",
    ):
        assert option in text
    for code in ExitCode:
        assert f"  {code.value:>3}  " in text
    assert "adaptive retry mode" in text


# --- cleanup -----------------------------------------------------------------------------------


def test_cleanup_deletes_the_source_point_and_explains_why_the_copy_stays(
    outputs_file: Path,
) -> None:
    clients = new_clients()
    queue_happy(clients)
    live = healthy_live_state()
    backup = clients.stub("backup", "backup")
    queue(
        backup,
        "delete_recovery_point",
        Err("AccessDeniedException", "explicit deny in a resource-based policy"),
        {"BackupVaultName": BACKUP_VAULT, "RecoveryPointArn": DEST_RP},
    )
    queue(backup, "describe_backup_vault", live["backup_vault"])
    queue(backup, "get_backup_vault_access_policy", {"Policy": live["backup_vault_policy"]})
    queue_confirmation(clients)  # read again for the expiry date
    queue(
        clients.stub("source", "backup"),
        "delete_recovery_point",
        {},
        {"BackupVaultName": SOURCE_VAULT, "RecoveryPointArn": SOURCE_RP},
    )
    run = verify(clients, outputs_file, "--cleanup")
    assert run.code == ExitCode.OK, run.err
    clients.assert_all_used()
    assert f"cleanup: kept {DEST_RP} in {BACKUP_VAULT} (AccessDeniedException)" in run.out
    # "1 day", not "1 days" (issue 15, smaller list)
    assert "min retention 1 day)" in run.out
    assert "(statement DenyRecoveryPointDeletionToEveryone)" in run.out
    assert "it expires on its own at 2026-12-12 05:00:00+00:00" in run.out
    assert f"cleanup: deleted {SOURCE_RP} from {SOURCE_VAULT}" in run.out


def test_cleanup_failure_without_lock_or_policy_reason_is_reported(outputs_file: Path) -> None:
    clients = new_clients()
    queue_happy(clients)
    backup = clients.stub("backup", "backup")
    queue(backup, "delete_recovery_point", {})
    source = clients.stub("source", "backup")
    queue(
        source,
        "delete_recovery_point",
        Err("InvalidRequestException", "Recovery point is being copied"),
    )
    queue(source, "describe_backup_vault", {"BackupVaultName": SOURCE_VAULT, "Locked": False})
    queue(
        source,
        "get_backup_vault_access_policy",
        {"Policy": healthy_live_state()["source_vault_policy"]},
    )
    run = verify(clients, outputs_file, "--cleanup")
    assert run.code == ExitCode.CLEANUP_INCOMPLETE
    clients.assert_all_used()
    assert f"cleanup: deleted {DEST_RP} from {BACKUP_VAULT}" in run.out
    assert (
        f"cleanup: could not delete {SOURCE_RP} in {SOURCE_VAULT}: InvalidRequestException: "
        "Recovery point is being copied"
    ) in run.out


# --- issue 15: what an operator meets on a bad day --------------------------------------------


def _refused(account: str) -> RoleNotAssumable:
    return RoleNotAssumable(
        f"cannot assume {account} account role arn:aws:iam::{MANAGEMENT_ID}:role/x: "
        "AccessDenied: denied. AWS does not say why"
    )


def test_unassumable_backup_role_stops_the_run_before_any_job(outputs_file: Path) -> None:
    # Item 2: the backup role was assumed lazily: backup and copy ran, then exit 4, no cleanup.
    clients = new_clients()
    clients.refuse("backup", _refused("backup"))
    run = verify(clients, outputs_file, "--cleanup")
    assert run.code == ExitCode.ROLE
    assert clients.assumed == ["source", "backup"]
    assert clients.requested == []  # not even the resource lookup
    assert "cannot assume backup account role" in run.err
    assert "started backup job" not in run.out


def test_wrong_secret_key_mid_run_exits_3(outputs_file: Path) -> None:
    # Item 4: SignatureDoesNotMatch was "another AWS API error" (12).
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue(
        clients.stub("source", "backup"),
        "start_backup_job",
        Err("SignatureDoesNotMatch", "The request signature we calculated does not match", 403),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.CREDENTIALS
    assert "SignatureDoesNotMatch" in run.err


def test_diagnose_with_the_management_role_refused_runs_every_other_check(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Item 7: one unassumable role printed nothing (exit 4 before any check).
    live = healthy_live_state()
    clients = new_clients(management=True)
    queue_diagnosis(_without_management(clients), live)
    clients.refuse("management", _refused("management"))
    run = verify(clients, outputs_file, "--diagnose", settings=dev_with_management)
    assert run.code == ExitCode.ROLE
    clients.assert_all_used()
    assert (
        "[SKIP ] cross-account-setting: cross-account backup on - not readable: cannot "
        "assume management account role" in run.out
    )
    assert "[PASS ] backup-vault-policy" in run.out
    assert "diagnosis: 14 checks, 0 failed, 0 warnings, 1 skipped" in run.out
    assert "error: cannot assume management account role" in run.err


def test_failed_copy_with_the_management_role_refused_keeps_exit_1_and_its_diagnosis(
    outputs_file: Path, dev_with_management: VerifySettings
) -> None:
    # Item 7: the copy's exit 1 became 4 and the diagnosis was lost.
    clients = new_clients(management=True)
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("FAILED",), message="Cross-account copy feature is not enabled.")
    queue_diagnosis(_without_management(clients), healthy_live_state())
    clients.refuse("management", _refused("management"))
    run = verify(clients, outputs_file, settings=dev_with_management)
    assert run.code == ExitCode.JOB_FAILED
    clients.assert_all_used()
    assert "[SKIP ] cross-account-setting" in run.out
    assert "diagnosis: 14 checks, 0 failed, 0 warnings, 1 skipped" in run.out


class _without_management:
    """`queue_diagnosis` on clients whose management role is refused: skip its queue."""

    def __init__(self, clients: StubbedClients) -> None:
        self._clients = clients

    def has(self, account: str) -> bool:
        return account != "management" and self._clients.has(account)  # type: ignore[arg-type]

    def stub(self, *args: Any) -> Stubber:
        return self._clients.stub(*args)


def test_cleanup_with_only_the_documented_permissions_deletes_the_source_point(
    outputs_file: Path,
) -> None:
    # Item 8: an unguarded DescribeBackupVault after VERIFIED died with a traceback and left
    # the source recovery point.
    clients = new_clients()
    queue_happy(clients)
    backup = clients.stub("backup", "backup")
    denied = Err("AccessDeniedException", "not authorized", 403)
    queue(backup, "delete_recovery_point", denied)
    queue(backup, "describe_backup_vault", denied)
    queue(backup, "get_backup_vault_access_policy", denied)
    queue(
        clients.stub("source", "backup"),
        "delete_recovery_point",
        {},
        {"BackupVaultName": SOURCE_VAULT, "RecoveryPointArn": SOURCE_RP},
    )
    run = verify(clients, outputs_file, "--cleanup")
    assert run.code == ExitCode.CLEANUP_INCOMPLETE
    clients.assert_all_used()
    assert "VERIFIED" in run.out
    assert f"cleanup: deleted {SOURCE_RP} from {SOURCE_VAULT}" in run.out
    assert (
        "could not read why: backup:DescribeBackupVault (denied), "
        "backup:GetBackupVaultAccessPolicy (denied) refused to the backup account's role"
    ) in run.out


def test_copy_timeout_offers_no_stop_for_the_completed_backup_nor_deleting_what_it_reads(
    outputs_file: Path,
) -> None:
    # Smaller list: after a copy timeout it offered to stop a completed backup job and to delete
    # the recovery point the copy was still reading.
    clients, clock = new_clients(), FakeClock()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("COMPLETED",))
    queue_copy(clients, ("RUNNING",) * 5)
    run = verify(clients, outputs_file, "--timeout", "100", clock=clock)
    assert run.code == ExitCode.TIMEOUT
    assert "stop-backup-job" not in run.err
    assert f"backup job {BACKUP_JOB_ID} (source account {SOURCE_ID}): COMPLETED:" in run.err
    assert (
        "once the copy job has ended (it reads the source recovery point), remove it: "
        "aws backup delete-recovery-point" in run.err
    )
    assert "copy expires after 14 days" in run.err


def test_aws_error_mid_wait_prints_the_follow_and_stop_commands(outputs_file: Path) -> None:
    # Smaller list: an AWS error mid-wait exited without what a timeout prints.
    clients = new_clients()
    queue_volume(clients, healthy_live_state())
    queue_backup(clients, ("RUNNING",))
    queue(
        clients.stub("source", "backup"),
        "describe_backup_job",
        Err("AccessDeniedException", "not authorized to perform backup:DescribeBackupJob", 403),
    )
    run = verify(clients, outputs_file)
    assert run.code == ExitCode.AWS_ERROR
    clients.assert_all_used()
    assert "DescribeBackupJob in the source account failed: AccessDeniedException" in run.err
    assert f"follow: aws backup describe-backup-job --backup-job-id {BACKUP_JOB_ID}" in run.err
    assert f"stop:   aws backup stop-backup-job --backup-job-id {BACKUP_JOB_ID}" in run.err
