"""State of the AWS stand-in (tests/verify/aws_standin.py) and its access to moto's backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    """A backup or copy job: its final state is decided at start, reached after some polls."""

    kind: str
    job_id: str
    account: str
    region: str
    body: dict[str, Any]
    outcome: str
    message: str | None
    polls: int = 0


@dataclass
class StandInState:
    """What the stand-in holds beyond moto, and the knobs that break it."""

    policies: dict[tuple[str, str, str], str] = field(default_factory=dict)
    notifications: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    selections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    recovery_points: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )
    jobs: dict[str, Job] = field(default_factory=dict)
    cross_account_enabled: dict[str, bool] = field(default_factory=dict)
    # knobs
    polls_to_finish: int = 2
    refused_roles: set[str] = field(default_factory=set)
    rejected_access_keys: set[str] = field(default_factory=set)
    denied: set[tuple[str, str]] = field(default_factory=set)
    throttled: set[tuple[str, str]] = field(default_factory=set)
    copy_lands_on_key: str | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        """Back to a healthy stand-in (the populated accounts are kept)."""
        self.jobs.clear()
        self.polls_to_finish = 2
        self.refused_roles.clear()
        self.rejected_access_keys.clear()
        self.denied.clear()
        self.throttled.clear()
        self.copy_lands_on_key = None
        self.calls.clear()


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _moto(name: str) -> Any:
    """moto's backend registries, imported when first needed (moto is heavy to import)."""
    if name == "backup":
        from moto.backup.models import backup_backends

        return backup_backends
    if name == "kms":
        from moto.kms.models import kms_backends

        return kms_backends
    if name == "ec2":
        from moto.ec2.models import ec2_backends

        return ec2_backends
    if name == "iam":
        from moto.iam.models import iam_backends

        return iam_backends
    from moto.organizations.models import organizations_backends

    return organizations_backends


def account_of(access_key: str) -> str:
    """The account moto gives an access key (an assumed role's key: the role's account)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


def _role(account: str, role_arn: str) -> Any:
    name = role_arn.rsplit("/", 1)[-1]
    for role in _moto("iam")[account]["global"].roles.values():
        if role.name == name:
            return role
    return None


def _key(key_arn: str) -> Any:
    parts = key_arn.split(":")
    return _moto("kms")[parts[4]][parts[3]].keys[parts[5].split("/", 1)[1]]


def _key_arn(account: str, region: str, key_id: str) -> str:
    if key_id.startswith("arn:"):
        return key_id
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def _kms_context(account: str, region: str) -> dict[str, Any]:
    return {
        "kms:ViaService": f"backup.{region}.amazonaws.com",
        "kms:GrantIsForAWSResource": "true",
        "kms:CallerAccount": account,
        "aws:PrincipalAccount": account,
    }
