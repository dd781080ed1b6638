"""Inputs of `tools.verify`: the stack config, the stack outputs and the resource ARN.

- Stack config: `Pulumi.yaml` defaults overlaid with `Pulumi.<stack>.yaml`, namespace stripped, then
  validated by the program's own `components.config.parse_settings` (the same rules as
  `pulumi up`), reduced to the few values verification needs (`VerifySettings`).
- Stack outputs (CONTRACT.md): from `pulumi stack output --json --stack S`, or a JSON file.
- The resource ARN: parsed, its resource type recognised, its account and region checked against
  the source account.

Every problem raises `InputError` naming the bad value and what would be valid.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.stack.config import load_stack_config
from tools.stack.errors import OfflineError, StackNotFound
from tools.verify.aws_session import RoleTarget
from tools.verify.secrets import SecretsUnreadable, config_from_cli, secure_keys

PROJECT = "cross-account-backup"
NAMESPACE = f"{PROJECT}:"

REQUIRED_OUTPUTS = (
    "sourceVaultArn",
    "backupVaultArn",
    "backupVaultKeyArn",
    "sourceVaultKeyArn",
    "backupPlanId",
    "backupRoleArn",
)
OPTIONAL_OUTPUTS = ("notificationTopicArn",)


class InputError(ValueError):
    """Bad or missing input: config, outputs, arguments. `str()` is the user-facing message."""


@dataclass(frozen=True)
class VaultLock:
    """The backup vault's lock as the stack config declares it."""

    mode: str
    min_retention_days: int | None
    max_retention_days: int | None


@dataclass(frozen=True)
class VerifySettings:
    """What verification needs from the stack config."""

    project: str
    stack: str
    source: RoleTarget
    backup: RoleTarget
    management: RoleTarget | None
    retention_days: int
    cold_storage_after_days: int | None
    copy_retention_days: int
    copy_cold_storage_after_days: int | None
    selection_tag_key: str
    selection_tag_value: str
    vault_lock: VaultLock | None
    restore_testing: bool = False
    """Issue 14: the stack has `restoreTesting` (so its restore-testing role exists)."""

    def targets(self) -> dict[str, RoleTarget]:
        """The role of each configured account, keyed `source`, `backup`, `management`."""
        found = {"source": self.source, "backup": self.backup}
        if self.management is not None:
            found["management"] = self.management
        return found


@dataclass(frozen=True)
class VaultRef:
    """A backup vault named by its ARN."""

    arn: str
    region: str
    account_id: str
    name: str


@dataclass(frozen=True)
class StackOutputs:
    """The stack outputs of CONTRACT.md, vault ARNs parsed."""

    source_vault: VaultRef
    backup_vault: VaultRef
    backup_vault_key_arn: str
    source_vault_key_arn: str
    backup_plan_id: str
    backup_role_arn: str
    notification_topic_arn: str | None


@dataclass(frozen=True)
class ResourceRef:
    """The resource to back up, from its ARN."""

    arn: str
    partition: str
    service: str
    region: str
    account_id: str
    resource: str
    kind: str
    """One of `RESOURCE_KINDS` values, or `other`."""
    resource_id: str


# (service, resource prefix) -> kind. The kind decides which API describes the resource, and
# whether AWS Backup keeps the resource's own key (EBS, EC2, RDS, Aurora) or the vault's key.
RESOURCE_KINDS: tuple[tuple[str, str, str], ...] = (
    ("ec2", "volume/", "ebs"),
    ("ec2", "instance/", "ec2"),
    ("rds", "db:", "rds"),
    ("rds", "cluster:", "aurora"),
    ("elasticfilesystem", "file-system/", "efs"),
    ("dynamodb", "table/", "dynamodb"),
    ("s3", "", "s3"),
)

_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>[a-z0-9-]+):"
    r"(?P<region>[a-z0-9-]*):(?P<account>\d{12}|):(?P<resource>.+)$"
)
_VAULT_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):backup:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"backup-vault:(?P<name>[A-Za-z0-9_.-]{2,50})$"
)
_ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/[\w+=,.@/-]+$")
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def parse_resource_arn(arn: str, *, source: RoleTarget) -> ResourceRef:
    """Parse the resource ARN and check it belongs to the source account and region."""
    match = _ARN.match(arn.strip())
    if not match:
        raise InputError(
            f"--resource-arn {arn!r} is not an ARN; expected "
            "arn:aws:<service>:<region>:<account-id>:<resource>, e.g. "
            f"arn:aws:ec2:{source.region}:{source.account_id}:volume/vol-0123456789abcdef0"
        )
    service, resource = match["service"], match["resource"]
    kind, resource_id = "other", resource
    for kind_service, prefix, kind_name in RESOURCE_KINDS:
        if service == kind_service and resource.startswith(prefix):
            kind, resource_id = kind_name, resource[len(prefix) :]
            break
    if kind == "s3":
        if match["region"] or match["account"] or not _S3_BUCKET.match(resource):
            raise InputError(
                f"--resource-arn {arn!r}: an S3 bucket ARN is arn:aws:s3:::<bucket-name> "
                "(no region, no account, no object key)"
            )
        return ResourceRef(
            arn,
            match["partition"],
            service,
            source.region,
            source.account_id,
            resource,
            kind,
            resource,
        )
    if not match["account"] or not match["region"]:
        raise InputError(
            f"--resource-arn {arn!r} names no account or no region; AWS Backup resources are "
            "arn:aws:<service>:<region>:<account-id>:<resource>"
        )
    if match["account"] != source.account_id:
        raise InputError(
            f"--resource-arn {arn!r} is in account {match['account']}, but the stack backs up "
            f"sourceAccount {source.account_id}: pass a resource of that account"
        )
    if match["region"] != source.region:
        raise InputError(
            f"--resource-arn {arn!r} is in region {match['region']}, but the stack's source "
            f"vault is in {source.region}: pass a resource of that region"
        )
    if not resource_id:
        raise InputError(f"--resource-arn {arn!r} has an empty resource id")
    return ResourceRef(
        arn,
        match["partition"],
        service,
        match["region"],
        match["account"],
        resource,
        kind,
        resource_id,
    )


def parse_vault_arn(arn: Any, *, key: str) -> VaultRef:
    """Parse a backup vault ARN from the stack output `key`."""
    match = _VAULT_ARN.match(arn) if isinstance(arn, str) else None
    if not match:
        raise InputError(
            f"stack output {key} = {arn!r} is not a backup vault ARN; expected "
            "arn:aws:backup:<region>:<account-id>:backup-vault:<name>"
        )
    return VaultRef(arn, match["region"], match["account"], match["name"])


# --- stack config ------------------------------------------------------------------------------


def read_raw_config(root: Path, stack: str) -> dict[str, Any]:
    """The stack's config without namespace: `Pulumi.yaml` defaults, then `Pulumi.<stack>.yaml`.

    Read the way the offline preview reads it (`tools.stack.config.load_stack_config`); a stack
    file with encrypted secrets is read through the Pulumi CLI instead (`tools.verify.secrets`).
    """
    secret_keys = secure_keys(root, stack)
    try:
        if secret_keys:
            config = config_from_cli(root, stack, secret_keys)
        else:
            config = load_stack_config(stack, root)
    except StackNotFound as exc:
        raise InputError(
            f"--stack {stack!r}: Pulumi.{stack}.yaml not found in {root}; "
            f"stacks in this repo: {', '.join(exc.available) or 'none'}"
        ) from None
    except (OfflineError, SecretsUnreadable) as exc:
        raise InputError(str(exc)) from None
    return {
        key[len(NAMESPACE) :]: value for key, value in config.items() if key.startswith(NAMESPACE)
    }


def _target(account: str, settings: Any) -> RoleTarget:
    return RoleTarget(
        account=account,  # type: ignore[arg-type]
        account_id=str(settings.account_id),
        role_arn=str(settings.role_arn),
        region=str(settings.region),
        external_id=getattr(settings, "external_id", None),
        session_name=getattr(settings, "session_name", None),
    )


def settings_from_stack_settings(parsed: Any, *, stack: str) -> VerifySettings:
    """Reduce `components.config.StackSettings` to `VerifySettings`."""
    plan, lock = parsed.plan, parsed.vault_lock
    return VerifySettings(
        project=PROJECT,
        stack=stack,
        source=_target("source", parsed.source),
        backup=_target("backup", parsed.backup),
        management=_target("management", parsed.management) if parsed.management else None,
        retention_days=int(plan.retention_days),
        cold_storage_after_days=_opt_int(plan.cold_storage_after_days),
        copy_retention_days=int(plan.copy_retention_days),
        copy_cold_storage_after_days=_opt_int(plan.copy_cold_storage_after_days),
        selection_tag_key=str(parsed.selection_tag.key),
        selection_tag_value=str(parsed.selection_tag.value),
        vault_lock=VaultLock(
            mode=str(lock.mode),
            min_retention_days=_opt_int(lock.min_retention_days),
            max_retention_days=_opt_int(lock.max_retention_days),
        )
        if lock
        else None,
        restore_testing=getattr(getattr(parsed, "recovery", None), "restore_testing", None)
        is not None,
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def load_settings(root: Path, stack: str) -> VerifySettings:
    """Read and validate the stack config with the program's own `parse_settings` (the first
    source account's view, the only one of a `sourceAccount` stack)."""
    return settings_from_stack_settings(_parse_stack(root, stack), stack=stack)


def load_all_settings(root: Path, stack: str) -> dict[str, VerifySettings]:
    """Each source account's settings (its plan and selection), keyed by account id, in the
    order configured (issue 12: `sourceAccounts`)."""
    parsed = _parse_stack(root, stack)
    return {
        source.account.account_id: settings_from_stack_settings(
            parsed.for_source(source), stack=stack
        )
        for source in parsed.all_sources
    }


def outputs_of_source(data: Mapping[str, Any], account_id: str) -> Mapping[str, Any]:
    """The stack outputs as one source sees them: the top-level outputs are the first source's,
    `sources[<accountId>]` holds each source's own (issue 12)."""
    per_source = data.get("sources")
    if isinstance(per_source, Mapping) and isinstance(per_source.get(account_id), Mapping):
        return {**data, **per_source[account_id]}
    return data


def _parse_stack(root: Path, stack: str) -> Any:
    raw = read_raw_config(root, stack)
    try:
        from components.config import parse_settings
    except ImportError as exc:
        raise InputError(
            f"cannot import components.config.parse_settings ({exc}); run from the repo root "
            "with the locked environment (`uv run --frozen python -m tools.verify ...`)"
        ) from exc
    try:
        parsed = parse_settings(raw, project=PROJECT, stack=stack)
    except ValueError as exc:
        raise InputError(f"stack {stack!r} config: {exc}") from exc
    return parsed


# --- stack outputs -----------------------------------------------------------------------------


def read_outputs_json(stack: str, outputs_file: Path | None, *, root: Path) -> Mapping[str, Any]:
    """The stack outputs as a JSON object: from `outputs_file`, else from the Pulumi CLI."""
    if outputs_file is not None:
        try:
            text = outputs_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--outputs {outputs_file}: cannot read it ({exc})") from exc
        source = f"--outputs {outputs_file}"
    else:
        command = ["pulumi", "stack", "output", "--json", "--stack", stack]
        try:
            done = subprocess.run(
                command, cwd=root, capture_output=True, text=True, timeout=120, check=False
            )
        except FileNotFoundError:
            raise InputError(
                "the Pulumi CLI (`pulumi`) is not on PATH: install it, or pass "
                "--outputs FILE with the JSON of `pulumi stack output --json --stack "
                f"{stack}`"
            ) from None
        if done.returncode != 0:
            raise InputError(
                f"`{' '.join(command)}` failed (exit {done.returncode}): "
                f"{done.stderr.strip() or done.stdout.strip()}; is the stack deployed "
                "(`pulumi up`) and are you logged in to its backend?"
            )
        text, source = done.stdout, "`pulumi stack output --json`"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source} is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise InputError(f"{source} must be a JSON object of outputs, got {type(data).__name__}")
    return data


def parse_outputs(data: Mapping[str, Any], settings: VerifySettings) -> StackOutputs:
    """Check the outputs CONTRACT.md names and that they agree with the stack config."""
    missing = [key for key in REQUIRED_OUTPUTS if not isinstance(data.get(key), str)]
    if missing:
        raise InputError(
            f"stack outputs lack {', '.join(missing)} (or they are not strings); required: "
            f"{', '.join(REQUIRED_OUTPUTS)}. Has `pulumi up` completed for stack "
            f"{settings.stack!r}?"
        )
    source_vault = parse_vault_arn(data["sourceVaultArn"], key="sourceVaultArn")
    backup_vault = parse_vault_arn(data["backupVaultArn"], key="backupVaultArn")
    for key, vault, target in (
        ("sourceVaultArn", source_vault, settings.source),
        ("backupVaultArn", backup_vault, settings.backup),
    ):
        if (vault.account_id, vault.region) != (target.account_id, target.region):
            raise InputError(
                f"stack output {key} = {vault.arn} is in account {vault.account_id} region "
                f"{vault.region}, but the stack config puts it in {target.account_id} "
                f"{target.region}: the outputs belong to another stack or are stale"
            )
    role = data["backupRoleArn"]
    role_match = _ROLE_ARN.match(role)
    if not role_match or role_match.group(2) != settings.source.account_id:
        raise InputError(
            f"stack output backupRoleArn = {role!r} must be an IAM role ARN in the source "
            f"account {settings.source.account_id}"
        )
    topic = data.get("notificationTopicArn")
    return StackOutputs(
        source_vault=source_vault,
        backup_vault=backup_vault,
        backup_vault_key_arn=data["backupVaultKeyArn"],
        source_vault_key_arn=data["sourceVaultKeyArn"],
        backup_plan_id=data["backupPlanId"],
        backup_role_arn=role,
        notification_topic_arn=topic if isinstance(topic, str) else None,
    )
