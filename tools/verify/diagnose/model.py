"""What every check shares: the verdicts (`Check`, `Diagnosis`) and the run context (`Context`).

A check is a function `(ctx) -> Check`. `run_check` turns what it raises into a verdict: a read
denied to the stack's role is `skip` (naming the permission), a role STS refuses is `skip` for
every check of that account, `Skip` is raised by a check whose subject another check already
reported (a missing vault or resource is reported once), any other AWS error is `error`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from backup_guard.iam import PolicyDocumentError, evaluate, parse_policy
from tools.verify.aws_session import (
    DENIED_CODES,
    Account,
    AccountClients,
    RoleNotAssumable,
    error_code,
    error_message,
)
from tools.verify.diagnose.resource import ResourceInfo, ResourceNotFound, describe_resource
from tools.verify.inputs import ResourceRef, StackOutputs, VerifySettings

Status = Literal["pass", "fail", "warn", "skip", "error"]


@dataclass(frozen=True)
class Check:
    """One diagnosis check: its verdict, what was found, and the fix when it did not pass."""

    id: str
    title: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")


@dataclass
class Diagnosis:
    """All checks, in the order they ran; `subject` is what they judge (copy or backup)."""

    checks: list[Check] = field(default_factory=list)
    subject: str = "copy"
    refused_roles: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.failed]

    def by_id(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"no check {check_id!r}; ran: {', '.join(c.id for c in self.checks)}")

    def render(self) -> str:
        lines = []
        for check in self.checks:
            lines.append(f"[{check.status.upper():5}] {check.id}: {check.title} - {check.detail}")
            if check.fix and check.status != "pass":
                lines.append(f"        fix: {check.fix}")
        failed = len(self.failed)
        warned = sum(1 for c in self.checks if c.status == "warn")
        skipped = sum(1 for c in self.checks if c.status == "skip")
        lines.append(
            f"diagnosis: {len(self.checks)} checks, {failed} failed, {warned} warnings, "
            f"{skipped} skipped"
            + ("" if failed else f" - nothing found that would stop the {self.subject}")
        )
        return "\n".join(lines)


class Skip(Exception):
    """Raised by a check that can't judge: `str()` says why (reported as `skip`)."""


class Context:
    """The inputs of the checks and what several of them read (read once, shared)."""

    def __init__(
        self,
        clients: AccountClients,
        settings: VerifySettings,
        outputs: StackOutputs,
        resource: ResourceRef | None,
    ) -> None:
        self.clients = clients
        self.settings = settings
        self.outputs = outputs
        self.resource = resource
        self.org_id: str | None = None
        self._vault: Mapping[str, Any] | None = None
        self._vault_missing = False
        self._resource_info: ResourceInfo | None = None
        self._resource_missing: ResourceNotFound | None = None

    def client(self, account: Account, service: str) -> Any:
        return self.clients.client(account, service)

    def account_id(self, account: str) -> str:
        return (self.settings.source if account == "source" else self.settings.backup).account_id

    def backup_vault(self) -> Mapping[str, Any] | None:
        """DescribeBackupVault of the backup vault (backup account); None when it does not exist."""
        if self._vault is None and not self._vault_missing:
            backup = self.client("backup", "backup")
            try:
                self._vault = backup.describe_backup_vault(
                    BackupVaultName=self.outputs.backup_vault.name
                )
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
                self._vault_missing = True
        return self._vault

    def require_backup_vault(self) -> Mapping[str, Any]:
        """The backup vault, or `Skip` when it does not exist (`backup-vault` reports that)."""
        vault = self.backup_vault()
        if vault is None:
            raise Skip(f"{self.outputs.backup_vault.name} does not exist (see backup-vault)")
        return vault

    @property
    def backup_vault_missing(self) -> bool:
        return self._vault_missing

    def resource_info(self) -> ResourceInfo:
        """The resource's tags and keys; `ResourceNotFound` the first time, `Skip` after."""
        assert self.resource is not None
        if self._resource_missing is not None:
            raise Skip(f"{self.resource.arn} does not exist (see resource)")
        if self._resource_info is None:
            try:
                self._resource_info = describe_resource(self.clients, self.resource)
            except ResourceNotFound as exc:
                self._resource_missing = exc
                raise
        return self._resource_info

    @staticmethod
    def request_context(caller_account_id: str, resource_arn: str) -> dict[str, Any]:
        """The request context of AWS Backup using a key or vault on the caller's behalf."""
        parts = resource_arn.split(":")
        region = parts[3] if len(parts) > 3 else ""
        return {
            "kms:ViaService": f"backup.{region}.amazonaws.com",
            "kms:GrantIsForAWSResource": "true",
            "kms:CallerAccount": caller_account_id,
            "aws:PrincipalAccount": caller_account_id,
        }


CheckFunction = Callable[[Context], Check]


def run_check(
    ctx: Context, diagnosis: Diagnosis, check_id: str, title: str, step: CheckFunction
) -> Check:
    """Run one check; what it raises becomes its verdict (see the module docstring)."""
    try:
        return step(ctx)
    except Skip as exc:
        return Check(check_id, title, "skip", str(exc))
    except RoleNotAssumable as exc:
        # The whole message (with the possible reasons) once, for the command's error output;
        # its first sentence on each check it skips.
        if str(exc) not in diagnosis.refused_roles:
            diagnosis.refused_roles.append(str(exc))
        return Check(
            check_id,
            title,
            "skip",
            f"not readable: {str(exc).split(': ', 1)[0]}",
            "let your identity assume the role (the possible reasons follow the diagnosis)",
        )
    except ClientError as exc:
        code = error_code(exc)
        operation = exc.operation_name
        if code in DENIED_CODES:
            return Check(
                check_id,
                title,
                "skip",
                f"not readable: {operation} was denied ({error_message(exc)})",
                f"allow {operation} to the stack's role to run this check",
            )
        return Check(
            check_id,
            title,
            "error",
            f"{operation} failed: {code}: {error_message(exc)}",
            "run again; if it persists, check the input",
        )
    except PolicyDocumentError as exc:
        return Check(
            check_id,
            title,
            "fail",
            f"the live policy is not valid IAM: {exc}",
            "`pulumi up` to restore the stack's policy",
        )
    except ResourceNotFound as exc:
        return Check(check_id, title, "fail", str(exc), "pass the ARN of an existing resource")


def judge(
    document: str,
    *,
    principal_account: str,
    actions: Iterable[str],
    resource: str,
    principal_arn: str | None,
    context: Mapping[str, Any],
    org_id: str | None,
) -> tuple[list[str], list[str], list[str]]:
    """Evaluate each action: (allowed, denied with the deciding statement, uncertain)."""
    policy = parse_policy(document)
    allowed, denied, uncertain = [], [], []
    for action in actions:
        decision = evaluate(
            policy,
            principal_account=principal_account,
            action=action,
            resource=resource,
            principal_arn=principal_arn,
            context=dict(context),
            org_id=org_id,
        )
        if decision.allowed:
            allowed.append(action)
        elif decision.verdict == "uncertain":
            uncertain.append(f"{action} ({decision.reason})")
        else:
            where = f" by statement {decision.statement}" if decision.statement else ""
            denied.append(f"{action}: {decision.verdict}{where} ({decision.reason})")
    return allowed, denied, uncertain


def policy_check(
    ctx: Context,
    check_id: str,
    title: str,
    document: str,
    *,
    principal: str,
    actions: Iterable[str],
    resource: str,
    principal_arn: str | None,
    fix: str,
) -> Check:
    """Judge `document` for `principal` (source/backup) on `actions`: pass, fail or warn."""
    account_id = ctx.account_id(principal)
    allowed, denied, uncertain = judge(
        document,
        principal_account=account_id,
        actions=actions,
        resource=resource,
        principal_arn=principal_arn,
        context=ctx.request_context(account_id, resource),
        org_id=ctx.org_id,
    )
    who = f"account {account_id}"
    if denied:
        return Check(check_id, title, "fail", f"{who} is refused " + "; ".join(denied), fix)
    if uncertain:
        return Check(
            check_id,
            title,
            "warn",
            f"{who}: the evaluator can't decide " + "; ".join(uncertain),
            fix,
        )
    return Check(check_id, title, "pass", f"{who} allowed {', '.join(allowed)}")


def key_id(arn_or_id: str) -> str:
    """`arn:aws:kms:r:a:key/ID` or `ID` -> `ID` (aliases are returned unchanged)."""
    return arn_or_id.rsplit("key/", 1)[-1] if ":key/" in arn_or_id else arn_or_id
