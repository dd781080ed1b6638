"""`python -m tools.verify`: the end-to-end run against stubbed AWS accounts (botocore Stubber).

Each test queues the answers AWS would give, per account and service, runs the command through
`main` (stack config read from this repo's `Pulumi.dev.yaml`), and asserts on the exit code, on
what is printed and on the parameters the tool sent. Time is a fake clock: no test waits.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber
from run_helpers import (
    _break,
    new_clients,
    queue_backup,
    queue_confirmation,
    queue_copy,
    queue_happy,
    verify,
)

from tools.verify.aws_session import MAX_ATTEMPTS, AssumedRoleClients
from tools.verify.cli import main
from tools.verify.errors import ExitCode
from tools.verify.inputs import VerifySettings
from verify_fakes import (
    BACKUP_JOB_ID,
    BACKUP_VAULT,
    BACKUP_VAULT_ARN,
    BACKUP_VAULT_KEY,
    COPY_JOB_ID,
    DEST_RP,
    OTHER_ID,
    REGION,
    SOURCE_ID,
    SOURCE_RP,
    SOURCE_VAULT,
    VOLUME_ARN,
    Err,
    FakeClock,
    healthy_live_state,
    queue,
    queue_diagnosis,
    queue_volume,
)

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
