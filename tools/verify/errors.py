"""The exit codes of `tools.verify` and how a failure becomes one (docs/verify.md, "Exit codes")."""

from __future__ import annotations

from enum import IntEnum

from botocore.exceptions import ClientError

from tools.verify.aws_session import (
    EXPIRED_CODES,
    MAX_ATTEMPTS,
    THROTTLING_CODES,
    CredentialsProblem,
    error_code,
    error_message,
)


class ExitCode(IntEnum):
    """The documented exit codes (also in `--help` and docs/verify.md)."""

    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    CREDENTIALS = 3
    ROLE = 4
    BAD_ARN = 5
    RESOURCE_NOT_FOUND = 6
    UNTAGGED = 7
    TIMEOUT = 8
    NOT_CONFIRMED = 9
    DIAGNOSIS_FAILED = 10
    THROTTLED = 11
    AWS_ERROR = 12
    CLEANUP_INCOMPLETE = 13
    INTERRUPTED = 130


EXIT_CODE_MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "verified: the copy is in the backup vault on its key (--diagnose: no failure)",
    ExitCode.JOB_FAILED: "the backup or copy job failed; its cause and the diagnosis are printed",
    ExitCode.USAGE: "bad arguments, stack config or stack outputs (Pulumi CLI missing, ...)",
    ExitCode.CREDENTIALS: "your AWS credentials are missing, expired or invalid (wrong secret key "
    "included)",
    ExitCode.ROLE: "a stack role can't be assumed (trust policy, external id, sts:AssumeRole); "
    "--diagnose: no check failed but a role was refused (its checks are SKIP)",
    ExitCode.BAD_ARN: "--resource-arn malformed, or not in the source account/region",
    ExitCode.RESOURCE_NOT_FOUND: "--resource-arn names no existing resource",
    ExitCode.UNTAGGED: "the resource lacks the selection tag (the plan would never back it up)",
    ExitCode.TIMEOUT: "--timeout reached before the copy was confirmed; the jobs go on in AWS",
    ExitCode.NOT_CONFIRMED: "the copy job completed but the recovery point is not in the backup "
    "vault on its key",
    ExitCode.DIAGNOSIS_FAILED: "--diagnose found at least one failing check",
    ExitCode.THROTTLED: "AWS kept throttling after every retry",
    ExitCode.AWS_ERROR: "another AWS API error (a call denied to the stack role, ...)",
    ExitCode.CLEANUP_INCOMPLETE: "--cleanup could not delete a recovery point for another reason "
    "than a vault lock or the vault policy (or could not read why)",
    ExitCode.INTERRUPTED: "Ctrl-C or SIGTERM: the jobs started go on; how to follow or stop them "
    "is printed",
}


class VerifyFailure(Exception):
    """Ends the run with `code`; `str()` is the message."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def aws_failure(exc: ClientError, account: str | None) -> VerifyFailure | CredentialsProblem:
    """Turn an AWS error into the run's failure with its exit code."""
    code, message = error_code(exc), error_message(exc)
    operation = exc.operation_name
    where = f" in the {account} account" if account else ""
    if code in THROTTLING_CODES:
        return VerifyFailure(
            ExitCode.THROTTLED,
            f"{operation}{where} was still throttled after {MAX_ATTEMPTS} "
            f"attempts with backoff ({code}: {message}); wait and run again",
        )
    if code in EXPIRED_CODES:
        return CredentialsProblem(
            f"credentials expired or invalid during {operation}{where} ({code}: {message}); "
            "check or refresh your credentials (a wrong secret key gives SignatureDoesNotMatch) "
            "and run again"
        )
    return VerifyFailure(ExitCode.AWS_ERROR, f"{operation}{where} failed: {code}: {message}")


def days(count: int | None) -> str:
    """`1 day`, `14 days`."""
    return f"{count} day" if count == 1 else f"{count} days"
