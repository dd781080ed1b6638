"""The seam between `tools.verify` and AWS: one object that hands out boto3 clients per account.

`tools.verify` never calls `boto3` directly. It asks an `AccountClients` for
`client("source" | "backup" | "management", service)`. The real implementation,
`AssumedRoleClients`, assumes each account's role (from the stack config: role ARN, external id,
session name) with STS once, builds each client once (one client per account, service and region:
the adaptive retry mode's rate limiter lives in the client) with the same retry configuration.
`assume()` assumes the roles a run needs before it starts anything; a role STS refuses is
remembered, so a diagnosis can skip that account's checks instead of stopping.
STS is called in the account's own region, on the regional endpoint: tokens of the global
endpoint are not valid in opt-in regions (IAM User Guide, "Manage AWS STS in an AWS Region":
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html).
Tests pass their own `AccountClients` (botocore `Stubber`s), or run the tool against a stand-in
over HTTP (`AWS_ENDPOINT_URL`).

Throttling: every client uses botocore's retry handler in ``adaptive`` mode (exponential backoff
with jitter plus client-side rate limiting) with `MAX_ATTEMPTS` attempts. A call that is still
throttled after that surfaces as a `ClientError` whose code is in `THROTTLING_CODES`; the CLI
reports it as such (exit code `THROTTLED`), it does not retry further by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    TokenRetrievalError,
)

Account = Literal["source", "backup", "management"]
ACCOUNTS: tuple[Account, ...] = ("source", "backup", "management")

MAX_ATTEMPTS = 8
RETRY_CONFIG = Config(
    retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "adaptive"},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="cross-account-backup-verify",
)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
    }
)
# The caller's own credentials are wrong: the "Common Errors" every AWS API returns
# (e.g. https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html:
# InvalidClientTokenId, MissingAuthenticationToken, IncompleteSignature, RequestExpired,
# ExpiredTokenException), SignatureDoesNotMatch (a wrong secret key: query/REST-XML services),
# its JSON-protocol spelling InvalidSignatureException, UnrecognizedClientException (an unknown
# key id on JSON services) and AuthFailure (EC2's spelling).
EXPIRED_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


class CredentialsProblem(Exception):
    """The caller's own credentials are missing, incomplete or expired."""


class RoleNotAssumable(Exception):
    """STS refused to let the caller assume an account's role."""


@dataclass(frozen=True)
class RoleTarget:
    """What is needed to assume one account's role (from the stack config)."""

    account: Account
    account_id: str
    role_arn: str
    region: str
    external_id: str | None = None
    session_name: str | None = None


class AccountClients(Protocol):
    """Hands out a boto3 client for a service in one of the stack's accounts."""

    def client(self, account: Account, service: str, region: str | None = None) -> Any:
        """Return a client for `service` acting in `account` (in `region`, else its own)."""
        ...

    def region(self, account: Account) -> str:
        """The account's region from the stack config."""
        ...

    def has(self, account: Account) -> bool:
        """Whether the stack config names this account (management is optional)."""
        ...

    def assume(self, accounts: tuple[Account, ...]) -> None:
        """Assume these accounts' roles now; raises `RoleNotAssumable`/`CredentialsProblem`."""
        ...


def error_code(exc: BaseException) -> str:
    """The AWS error code of a `ClientError`, else the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    """The AWS error message of a `ClientError`, else `str(exc)`."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    return str(exc)


def assume_role(sts: Any, target: RoleTarget, *, default_session_name: str) -> dict[str, str]:
    """Assume `target.role_arn` with `sts`; return the temporary credentials.

    Raises `CredentialsProblem` when the caller has no usable credentials, `RoleNotAssumable`
    when STS refuses the role (trust policy, external id, missing `sts:AssumeRole`).
    """
    params: dict[str, Any] = {
        "RoleArn": target.role_arn,
        "RoleSessionName": target.session_name or default_session_name,
    }
    if target.external_id:
        params["ExternalId"] = target.external_id
    try:
        response = sts.assume_role(**params)
    except (NoCredentialsError, PartialCredentialsError, TokenRetrievalError) as exc:
        raise CredentialsProblem(
            f"no usable AWS credentials to assume {target.role_arn} ({exc}); "
            "configure credentials (AWS_PROFILE, `aws sso login`, environment variables) "
            "for an identity allowed to assume the stack's roles"
        ) from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in EXPIRED_CODES:
            raise CredentialsProblem(
                f"your AWS credentials are expired or invalid ({code}: {error_message(exc)}); "
                "refresh them (`aws sso login`, new session token) and run again"
            ) from exc
        if code in DENIED_CODES or code in {"InvalidParameterValue", "ValidationError"}:
            # STS answers every refusal with the same AccessDenied and never says which rule
            # refused (IAM User Guide, "Troubleshooting IAM roles"): list what can cause it.
            external = (
                f"the trust policy requires an external id other than {target.external_id!r} "
                f"(or none): check {target.account}Account.externalId"
                if target.external_id
                else "the trust policy requires an external id (sts:ExternalId): set "
                f"{target.account}Account.externalId"
            )
            raise RoleNotAssumable(
                f"cannot assume {target.account} account role {target.role_arn}: "
                f"{code}: {error_message(exc)}. AWS does not say why; one of: "
                "(1) the role's trust policy does not trust your identity (or its account); "
                "(2) your identity's policies (or an SCP / permissions boundary) do not allow "
                f"sts:AssumeRole on it; (3) {external}; (4) the role does not exist or its name "
                f"is misspelt in {target.account}Account.roleArn"
            ) from exc
        raise
    creds = response["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
        "expiration": _iso(creds["Expiration"]),
    }


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class AssumedRoleClients:
    """`AccountClients` over STS AssumeRole from the ambient credentials (boto3's chain)."""

    def __init__(
        self,
        targets: Mapping[Account, RoleTarget],
        *,
        default_session_name: str = "cross-account-backup-verify",
        sts_factory: Callable[[RoleTarget], Any] | None = None,
    ) -> None:
        self._targets = dict(targets)
        self._default_session_name = default_session_name
        self._sts_factory = sts_factory or regional_sts_client
        self._sessions: dict[Account, boto3.Session] = {}
        self._refused: dict[Account, Exception] = {}
        self._clients: dict[tuple[Account, str, str], Any] = {}

    def has(self, account: Account) -> bool:
        return account in self._targets

    def region(self, account: Account) -> str:
        return self._target(account).region

    def _target(self, account: Account) -> RoleTarget:
        try:
            return self._targets[account]
        except KeyError:
            raise KeyError(
                f"the stack config has no {account}Account; "
                f"configured: {', '.join(sorted(self._targets))}"
            ) from None

    def assume(self, accounts: tuple[Account, ...]) -> None:
        for account in accounts:
            self.session(account)

    def session(self, account: Account) -> boto3.Session:
        """The boto3 session of `account`, assuming its role on first use.

        The credentials refresh themselves (botocore `RefreshableCredentials`): a wait longer
        than the role's session duration (1 hour by default) does not end in ExpiredToken.
        A refusal is remembered and raised again: STS is asked once per account.
        """
        if account in self._refused:
            raise self._refused[account]
        if account not in self._sessions:
            target = self._target(account)
            sts = self._sts_factory(target)

            def fetch() -> dict[str, str]:
                creds = assume_role(sts, target, default_session_name=self._default_session_name)
                return {
                    "access_key": creds["aws_access_key_id"],
                    "secret_key": creds["aws_secret_access_key"],
                    "token": creds["aws_session_token"],
                    "expiry_time": creds["expiration"],
                }

            try:
                metadata = fetch()
            except RoleNotAssumable as exc:
                self._refused[account] = exc
                raise
            refreshable = RefreshableCredentials.create_from_metadata(
                metadata=metadata, refresh_using=fetch, method="sts-assume-role"
            )
            core = botocore.session.get_session()
            # botocore has no public setter for refreshable credentials (Session._credentials is
            # what botocore's own AssumeRole provider chain fills in).
            core._credentials = refreshable  # type: ignore[attr-defined]
            core.set_config_variable("region", target.region)
            self._sessions[account] = boto3.Session(botocore_session=core)
        return self._sessions[account]

    def client(self, account: Account, service: str, region: str | None = None) -> Any:
        key = (account, service, region or self.region(account))
        if key not in self._clients:
            # types-boto3 overloads `client` per literal service name; `service` is a runtime str.
            self._clients[key] = self.session(account).client(  # type: ignore[call-overload]
                service, region_name=key[2], config=RETRY_CONFIG
            )
        return self._clients[key]


def regional_sts_client(target: RoleTarget) -> Any:
    """An STS client of the ambient credentials in `target`'s region, on its regional endpoint.

    Without a region boto3 refuses ("You must specify a region") or, with the legacy setting,
    uses the global endpoint, whose tokens opt-in regions reject.
    """
    core = botocore.session.get_session()
    core.set_config_variable("sts_regional_endpoints", "regional")
    return boto3.Session(botocore_session=core).client(
        "sts", region_name=target.region, config=RETRY_CONFIG
    )
