"""`python -m tools.verify` as a process against an AWS stand-in over HTTP (issue 15).

The stand-in is moto in server mode plus the Backup job APIs moto lacks (tests/verify/
aws_standin.py), on 127.0.0.1, populated with what `pulumi up` of the dev and prod stacks creates
(tests/verify/standin_deploy.py: the program's own documents). The tool is run as the operator
runs it, with `AWS_ENDPOINT_URL` pointing at the stand-in (botocore's documented endpoint
override) and ambient credentials that may assume the stacks' roles; each test breaks one thing
the way a real account breaks, and restores it.

Exit code 11 (throttled after every retry) runs botocore's real retry path (adaptive mode, every
attempt sent to the stand-in), with only its backoff sleep set to zero in the child process
(a `sitecustomize` on its PYTHONPATH), which would otherwise wait about half a minute.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_standin import StandInState
from standin_deploy import AMBIENT, ROOT, Deployed, deploy, resource_key_policy, standin_server

from tools.verify.aws_session import MAX_ATTEMPTS
from tools.verify.errors import ExitCode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[str, StandInState, dict[str, Deployed]]]:
    with standin_server() as (endpoint, state):
        stacks = {stack: deploy(endpoint, stack, state) for stack in ("dev", "prod")}
        yield endpoint, state, stacks


@pytest.fixture
def standin(
    aws: tuple[str, StandInState, dict[str, Deployed]],
) -> Iterator[tuple[str, StandInState, dict[str, Deployed]]]:
    yield aws
    aws[1].reset()


class Done:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def _env(endpoint: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": AMBIENT["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": AMBIENT["aws_secret_access_key"],
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return env  # no AWS_REGION: the stack's regions must be enough (issue 15 item 3)


def _command(tmp_path: Path, deployed: Deployed, *args: str, stack: str | None = None) -> list[str]:
    outputs = tmp_path / f"outputs-{deployed.stack}.json"
    outputs.write_text(json.dumps(deployed.outputs))
    return [
        sys.executable,
        "-m",
        "tools.verify",
        "--stack",
        stack or deployed.stack,
        "--outputs",
        str(outputs),
        "--poll-interval",
        "0.05",
        *args,
    ]


def verify(
    endpoint: str,
    tmp_path: Path,
    deployed: Deployed,
    *args: str,
    env: dict[str, str] | None = None,
    **kw: str,
) -> Done:
    done = subprocess.run(
        _command(tmp_path, deployed, *args, **kw),
        cwd=ROOT,
        env={**_env(endpoint), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Done(done.returncode, done.stdout, done.stderr)


# --- happy paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_deployed_stack_is_verified(standin, tmp_path: Path, stack: str) -> None:
    endpoint, _state, stacks = standin
    deployed = stacks[stack]
    run = verify(endpoint, tmp_path, deployed, "--resource-arn", deployed.volume_arn)
    assert run.code == ExitCode.OK, run.err
    assert "[backup] RUNNING   50.0%" in run.out
    assert "VERIFIED: recovery point arn:aws:ec2:" in run.out
    assert f"in {deployed.outputs['backupVaultArn']}, encrypted with " in run.out
    assert (
        run.out.rstrip()
        .split("encrypted with ")[1]
        .startswith(deployed.outputs["backupVaultKeyArn"])
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_deployed_stack_diagnosis_passes(standin, tmp_path: Path, stack: str) -> None:
    endpoint, _state, stacks = standin
    deployed = stacks[stack]
    run = verify(endpoint, tmp_path, deployed, "--diagnose", "--resource-arn", deployed.volume_arn)
    assert run.code == ExitCode.OK, run.out + run.err
    assert "0 failed" in run.out
    assert "nothing found that would stop the copy" in run.out
    if stack == "prod":  # managementAccount set: the opt-in is read, not skipped
        assert "[PASS ] cross-account-setting" in run.out


def test_cleanup_deletes_the_source_point_and_keeps_the_copy(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn, "--cleanup")
    assert run.code == ExitCode.OK, run.err
    assert "(statement DenyRecoveryPointDeletionToEveryone)" in run.out
    assert "cleanup: deleted arn:aws:ec2:" in run.out
    created = run.out.split("backup job completed: recovery point ", 1)[1].split()[0]
    assert f"cleanup: deleted {created} from {dev.settings.source_vault_name}" in run.out
    source = (dev.settings.source.account_id, dev.settings.source.region)
    assert created not in state.recovery_points[(*source, dev.settings.source_vault_name)]


# --- every exit code -----------------------------------------------------------------------------


def test_copy_failing_on_an_unshared_snapshot_key_exits_1(standin, tmp_path: Path) -> None:
    endpoint, _state, stacks = standin
    dev = stacks["dev"]
    kms = _kms(dev)
    kms.put_key_policy(
        KeyId=dev.volume_key_arn,
        PolicyName="default",
        Policy=resource_key_policy(dev.settings, share=False),
    )
    try:
        run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn)
    finally:
        kms.put_key_policy(
            KeyId=dev.volume_key_arn,
            PolicyName="default",
            Policy=resource_key_policy(dev.settings, share=True),
        )
    assert run.code == ExitCode.JOB_FAILED, run.err
    assert "ended FAILED: The source snapshot KMS key does not exist" in run.out
    assert "[FAIL ] resource-key:" in run.out
    assert "confirmed by resource-key:" in run.out


def test_backup_failing_on_the_role_exits_1_with_the_backup_checks(standin, tmp_path: Path) -> None:
    endpoint, _state, stacks = standin
    dev = stacks["dev"]
    iam = _clients(dev)["iam"]
    role = dev.outputs["backupRoleArn"].rsplit("/", 1)[-1]
    arn = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    try:
        run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn)
    finally:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert run.code == ExitCode.JOB_FAILED, run.err
    assert "backup job" in run.out and "ended FAILED: You are not authorized" in run.out
    assert "[FAIL ] backup-role:" in run.out
    assert "started copy job" not in run.out


def test_outputs_of_another_stack_exit_2(standin, tmp_path: Path) -> None:
    endpoint, _state, stacks = standin
    prod = stacks["prod"]
    run = verify(endpoint, tmp_path, prod, "--diagnose", stack="dev")
    assert run.code == ExitCode.USAGE
    assert "the outputs belong to another stack or are stale" in run.err


def test_rejected_credentials_exit_3(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    state.rejected_access_keys.add(AMBIENT["aws_access_key_id"])
    dev = stacks["dev"]
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn)
    assert run.code == ExitCode.CREDENTIALS
    assert "SignatureDoesNotMatch" in run.err


def test_refused_backup_role_exits_4_before_any_job(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    state.refused_roles.add(dev.settings.backup.role_arn)
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn, "--cleanup")
    assert run.code == ExitCode.ROLE
    assert state.jobs == {}
    assert "cannot assume backup account role" in run.err
    assert "AWS does not say why; one of:" in run.err


def test_refused_management_role_in_diagnose_skips_its_check_only(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    prod = stacks["prod"]
    state.refused_roles.add(prod.settings.management.role_arn)
    run = verify(endpoint, tmp_path, prod, "--diagnose")
    assert run.code == ExitCode.ROLE
    assert "[SKIP ] cross-account-setting" in run.out
    assert "[PASS ] backup-vault-policy" in run.out


def test_resource_of_another_account_exits_5(standin, tmp_path: Path) -> None:
    endpoint, _state, stacks = standin
    dev = stacks["dev"]
    other = dev.volume_arn.replace(dev.settings.source.account_id, "444444444444")
    run = verify(endpoint, tmp_path, dev, "--resource-arn", other)
    assert run.code == ExitCode.BAD_ARN
    assert "is in account 444444444444" in run.err


def test_missing_resource_exits_6(standin, tmp_path: Path) -> None:
    endpoint, _state, stacks = standin
    dev = stacks["dev"]
    missing = dev.volume_arn.rsplit("/", 1)[0] + "/vol-0123456789abcdef0"
    run = verify(endpoint, tmp_path, dev, "--resource-arn", missing)
    assert run.code == ExitCode.RESOURCE_NOT_FOUND, run.err
    assert "does not exist" in run.err


def test_untagged_resource_exits_7(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.untagged_volume_arn)
    assert run.code == ExitCode.UNTAGGED
    assert "has no tag Backup" in run.err
    assert state.jobs == {}


def test_timeout_exits_8_with_the_follow_commands(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    state.polls_to_finish = 10**6
    dev = stacks["dev"]
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn, "--timeout", "1")
    assert run.code == ExitCode.TIMEOUT
    assert "aws backup describe-backup-job --backup-job-id" in run.err
    assert "aws backup stop-backup-job --backup-job-id" in run.err


def test_copy_on_another_key_exits_9(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    state.copy_lands_on_key = dev.volume_key_arn
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn)
    assert run.code == ExitCode.NOT_CONFIRMED
    assert f"it is encrypted with {dev.volume_key_arn}, not the backup vault key" in run.err


def test_broken_vault_policy_fails_the_diagnosis_with_exit_10(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    s = dev.settings
    key = (s.backup.account_id, s.backup.region, s.backup_vault_name)
    healthy = state.policies[key]
    state.policies[key] = healthy.replace(s.source.account_id, "444444444444")
    try:
        run = verify(endpoint, tmp_path, dev, "--diagnose")
    finally:
        state.policies[key] = healthy
    assert run.code == ExitCode.DIAGNOSIS_FAILED
    assert "[FAIL ] backup-vault-policy:" in run.out


def test_call_denied_to_the_stack_role_exits_12(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    state.denied.add((dev.settings.source.account_id, "StartBackupJob"))
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn)
    assert run.code == ExitCode.AWS_ERROR
    assert "StartBackupJob in the source account failed: AccessDeniedException" in run.err


#: botocore's exponential backoff without its sleep (botocore/retries/standard.py
#: `ExponentialBackoff.delay_amount`, used by the adaptive mode too): the attempts are real.
NO_BACKOFF = """
from botocore.retries import standard

standard.ExponentialBackoff.delay_amount = lambda self, context: 0
"""


def test_throttled_after_every_retry_exits_11(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    (tmp_path / "sitecustomize.py").write_text(NO_BACKOFF)
    state.throttled.add((dev.settings.source.account_id, "StartBackupJob"))
    run = verify(
        endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn, env={"PYTHONPATH": str(tmp_path)}
    )
    assert run.code == ExitCode.THROTTLED, run.err
    assert (
        f"StartBackupJob in the source account was still throttled after {MAX_ATTEMPTS} attempts "
        "with backoff (ThrottlingException: Rate exceeded); wait and run again"
    ) in run.err
    # Every attempt reached AWS: the retries are botocore's, not skipped.
    sent = [c for c in state.calls if c == (dev.settings.source.account_id, "StartBackupJob")]
    assert len(sent) == MAX_ATTEMPTS


def test_cleanup_refused_for_another_reason_exits_13(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    dev = stacks["dev"]
    state.denied.add((dev.settings.source.account_id, "DeleteRecoveryPoint"))
    run = verify(endpoint, tmp_path, dev, "--resource-arn", dev.volume_arn, "--cleanup")
    assert run.code == ExitCode.CLEANUP_INCOMPLETE, run.err
    assert "VERIFIED" in run.out
    assert "cleanup: could not delete arn:aws:ec2:" in run.out


def test_sigterm_exits_130_with_the_follow_commands(standin, tmp_path: Path) -> None:
    endpoint, state, stacks = standin
    state.polls_to_finish = 10**6
    dev = stacks["dev"]
    process = subprocess.Popen(
        _command(tmp_path, dev, "--resource-arn", dev.volume_arn),
        cwd=ROOT,
        env=_env(endpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        assert process.stdout is not None
        for line in process.stdout:  # bounded by the deadline and the process's own end
            if line.startswith("[backup] RUNNING") or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == ExitCode.INTERRUPTED
    assert "interrupted." in err
    assert "aws backup stop-backup-job --backup-job-id" in err


# --- helpers -------------------------------------------------------------------------------------


_CLIENTS: dict[str, dict[str, object]] = {}


def _clients(deployed: Deployed) -> dict[str, object]:
    from standin_deploy import clients_for

    if deployed.stack not in _CLIENTS:
        _CLIENTS[deployed.stack] = clients_for(_ENDPOINT[0], deployed.settings.source)
    return _CLIENTS[deployed.stack]


def _kms(deployed: Deployed) -> object:
    return _clients(deployed)["kms"]


_ENDPOINT: list[str] = []


@pytest.fixture(autouse=True)
def _remember_endpoint(aws: tuple[str, StandInState, dict[str, Deployed]]) -> None:
    _ENDPOINT[:] = [aws[0]]
