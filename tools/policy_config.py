"""Print the policy pack config of a stack: `python -m tools.policy_config --stack dev`.

Derived from `Pulumi.<stack>.yaml` (read directly, no Pulumi CLI): the source and backup account
ids (`cross-account-backup:sourceAccount.accountId`, `...backupAccount.accountId`) go to every
policy that takes them, so that the pack judges each resource alone and blocks a preview before
anything is created; a compliance-mode `vaultLock` makes `backup-vault-locked` require compliance
mode. Used by `make policy-config` and `make up`:

    pulumi preview --policy-pack policies --policy-pack-config out/policy-config.<stack>.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
NAMESPACE = "cross-account-backup"

#: Policies that take `sourceAccountIds` / `backupAccountIds` (see docs/policy-pack.md).
ACCOUNT_POLICIES = (
    "backup-vault-policy-grants-source",
    "backup-vault-key-policy-grants-source",
    "backup-source-vault-key-grants-backup",
    "backup-copy-destination-cross-account",
    "backup-copy-vault-customer-managed-key",
    "backup-vault-locked",
    "backup-vault-deletion-protected",
    "backup-source-vault-accepts-copy-back",
)

_ACCOUNT_RE = re.compile(r"^\d{12}$")


class PolicyConfigError(ValueError):
    """The stack file can't give a policy config; `str()` names the file and the key."""


def _account(config: Mapping[str, Any], key: str, path: Path, *, required: bool) -> str | None:
    value = config.get(f"{NAMESPACE}:{key}")
    if value is None:
        if required:
            raise PolicyConfigError(f"{path.name}: `{NAMESPACE}:{key}` is missing")
        return None
    if not isinstance(value, Mapping):
        raise PolicyConfigError(f"{path.name}: `{NAMESPACE}:{key}` must be an object")
    account = value.get("accountId")
    if isinstance(account, int):
        account = f"{account:012d}"
    if not isinstance(account, str) or not _ACCOUNT_RE.match(account):
        raise PolicyConfigError(
            f"{path.name}: `{NAMESPACE}:{key}.accountId` must be a 12-digit string, got {account!r}"
        )
    return account


def stacks(project_dir: Path = REPO) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml`."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def policy_config(stack: str, project_dir: Path = REPO) -> dict[str, dict[str, Any]]:
    """The `--policy-pack-config` document for `stack`."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise PolicyConfigError(
            f"no stack {stack!r}: {path} does not exist (stacks: {', '.join(stacks(project_dir))})"
        )
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise PolicyConfigError(f"{path.name} is not valid YAML: {e}") from None
    config = data.get("config") or {}
    source = _account(config, "sourceAccount", path, required=True)
    backup = _account(config, "backupAccount", path, required=True)
    accounts = {"sourceAccountIds": [source], "backupAccountIds": [backup]}
    out: dict[str, dict[str, Any]] = {name: dict(accounts) for name in ACCOUNT_POLICIES}
    lock = config.get(f"{NAMESPACE}:vaultLock")
    compliance = isinstance(lock, Mapping) and str(lock.get("mode", "")).lower() == "compliance"
    out["backup-vault-locked"]["requireComplianceMode"] = compliance
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the JSON; exit 2 with a message on stderr when the stack file can't give it."""
    parser = argparse.ArgumentParser(description="Print the policy pack config of a stack.")
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(policy_config(args.stack), indent=2, sort_keys=True))
    except PolicyConfigError as e:
        print(f"policy-config: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
