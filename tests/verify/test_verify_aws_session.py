"""`tools.verify.aws_session`: how roles are assumed, where STS is called, which errors are the
caller's credentials, and that clients are built once (issue 15 items 2, 3, 4, 5 and "a new AWS
client per call")."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tools.verify.aws_session import (
    AssumedRoleClients,
    CredentialsProblem,
    RoleNotAssumable,
    RoleTarget,
    assume_role,
    regional_sts_client,
)
from tools.verify.errors import ExitCode, VerifyFailure, aws_failure
from verify_fakes import BACKUP_ID, REGION, SOURCE_ID

SOURCE = RoleTarget("source", SOURCE_ID, f"arn:aws:iam::{SOURCE_ID}:role/backup-deployer", REGION)
BACKUP = RoleTarget("backup", BACKUP_ID, f"arn:aws:iam::{BACKUP_ID}:role/backup-deployer", REGION)
CREDENTIALS = {
    "AccessKeyId": "ASIAEXAMPLEEXAMPLE00",
    "SecretAccessKey": "secret",
    "SessionToken": "token",
    "Expiration": "2099-01-01T00:00:00Z",
}


def _sts(*answers: str | None) -> Any:
    """A real STS client (dummy credentials) answering AssumeRole from `answers` in order:
    None = success, else the error code."""
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(sts)
    for answer in answers:
        if answer is None:
            stub.add_response("assume_role", {"Credentials": CREDENTIALS})
        else:
            stub.add_client_error(
                "assume_role",
                service_error_code=answer,
                service_message=answer,
                http_status_code=403,
            )
    stub.activate()
    return sts


@pytest.fixture
def no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region and the legacy STS endpoint setting in the environment: the stack decides."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_sts_is_called_in_the_stack_region_on_its_regional_endpoint(no_region: None) -> None:
    # Issue 15 item 3. IAM User Guide, "Manage AWS STS in an AWS Region": tokens of the global
    # endpoint (sts.amazonaws.com) are not valid in opt-in regions; regional ones are.
    opt_in = RoleTarget("backup", BACKUP_ID, BACKUP.role_arn, "ap-east-1")
    sts = regional_sts_client(opt_in)
    assert sts.meta.region_name == "ap-east-1"
    assert sts.meta.endpoint_url == "https://sts.ap-east-1.amazonaws.com"


def test_default_clients_build_sts_without_a_region_in_the_environment(no_region: None) -> None:
    # Before: boto3.client("sts") -> NoRegionError "You must specify a region."
    seen: list[str] = []

    def factory(target: RoleTarget) -> Any:
        client = regional_sts_client(target)
        seen.append(client.meta.endpoint_url)
        stub = Stubber(client)
        stub.add_response("assume_role", {"Credentials": CREDENTIALS})
        stub.activate()
        return client

    AssumedRoleClients({"source": SOURCE}, sts_factory=factory).assume(("source",))
    assert seen == [f"https://sts.{REGION}.amazonaws.com"]


def test_assume_asks_sts_for_every_role_before_any_client(no_region: None) -> None:
    # Issue 15 item 2: the backup role was assumed lazily, after the jobs had started.
    calls: list[str] = []

    def factory(target: RoleTarget) -> Any:
        calls.append(target.account)
        return _sts(None if target.account == "source" else "AccessDenied")

    clients = AssumedRoleClients({"source": SOURCE, "backup": BACKUP}, sts_factory=factory)
    with pytest.raises(RoleNotAssumable, match="cannot assume backup account role"):
        clients.assume(("source", "backup"))
    assert calls == ["source", "backup"]


def test_a_refused_role_is_asked_once_and_refused_again(no_region: None) -> None:
    calls: list[str] = []

    def factory(target: RoleTarget) -> Any:
        calls.append(target.account)
        return _sts("AccessDenied")

    clients = AssumedRoleClients({"backup": BACKUP}, sts_factory=factory)
    for _ in range(3):
        with pytest.raises(RoleNotAssumable):
            clients.client("backup", "kms")
    assert calls == ["backup"]


def test_clients_are_built_once_per_account_service_and_region(no_region: None) -> None:
    # Smaller list: a new client per call defeats the adaptive retry mode's rate limiter,
    # which lives in the client.
    clients = AssumedRoleClients({"source": SOURCE}, sts_factory=lambda _t: _sts(None))
    first = clients.client("source", "backup")
    assert clients.client("source", "backup") is first
    assert clients.client("source", "kms") is not first
    assert clients.client("source", "backup", "us-east-1") is not first


def test_refused_assume_role_lists_every_possible_reason() -> None:
    # Issue 15 item 5: STS never says why it refuses; the message said "requires an external id".
    with pytest.raises(RoleNotAssumable) as refused:
        assume_role(_sts("AccessDenied"), SOURCE, default_session_name="verify")
    text = str(refused.value)
    assert "AWS does not say why; one of:" in text
    assert "(1) the role's trust policy does not trust your identity" in text
    assert (
        "(2) your identity's policies (or an SCP / permissions boundary) do not allow "
        "sts:AssumeRole" in text
    )
    assert (
        "(3) the trust policy requires an external id (sts:ExternalId): set "
        "sourceAccount.externalId" in text
    )
    assert "(4) the role does not exist" in text


def test_refused_assume_role_with_an_external_id_says_it_may_differ() -> None:
    target = RoleTarget("backup", BACKUP_ID, BACKUP.role_arn, REGION, external_id="abc")
    with pytest.raises(RoleNotAssumable) as refused:
        assume_role(_sts("AccessDenied"), target, default_session_name="verify")
    assert "an external id other than 'abc' (or none): check backupAccount.externalId" in str(
        refused.value
    )
    assert "(1) the role's trust policy does not trust your identity" in str(refused.value)


@pytest.mark.parametrize(
    "code",
    [
        # Issue 15 item 4: a wrong secret key. AWS Common Errors (every API): the others.
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ExpiredToken",
    ],
)
def test_credential_errors_are_credentials_problems(code: str) -> None:
    with pytest.raises(CredentialsProblem, match=code):
        assume_role(_sts(code), SOURCE, default_session_name="verify")
    error = ClientError({"Error": {"Code": code, "Message": "m"}}, "StartBackupJob")
    assert isinstance(aws_failure(error, "source"), CredentialsProblem)


def test_other_errors_stay_aws_errors() -> None:
    error = ClientError({"Error": {"Code": "InvalidParameterValueException"}}, "StartBackupJob")
    failure = aws_failure(error, "source")
    assert isinstance(failure, VerifyFailure) and failure.code == ExitCode.AWS_ERROR
