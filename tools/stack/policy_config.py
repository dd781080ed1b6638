"""Print the policy pack config of a stack: `python -m tools.stack.policy_config --stack dev`.

The stack's config is read exactly as the offline preview reads it (`tools.stack.config`, the
Pulumi CLI's rules: same loader, same messages) and validated by the program's own config model
(`components.config.parse_settings`), so a stack `make preview` refuses is refused here with the
same words. The source and backup account ids go to every policy that takes them, so that the
pack judges each resource alone and blocks a preview before anything is created; a
compliance-mode `vaultLock` makes `backup-vault-locked` require compliance mode. Used by
`make policy-config` and `make up`:

    python -m tools.stack.policy_config --stack dev --output out/policy-config.dev.json
    pulumi preview --policy-pack policies --policy-pack-config out/policy-config.dev.json

With `--output`, the file is written only when the config is valid (never an empty file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from components.config import KNOWN_KEYS, NAMESPACE, ConfigError, parse_settings
from tools.stack.config import encode_config
from tools.stack.config import read_stack_config as _read_stack_config
from tools.stack.errors import OfflineError
from tools.stack.paths import parse_override
from tools.stack.project import REPO_ROOT

REPO = REPO_ROOT

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


class PolicyConfigError(ValueError):
    """The stack can't give a policy config; `str()` is the preview's message for the same
    stack."""


def program_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values the program decodes from the CLI's config (`__main__.py` `read_config`: the
    string of `notificationEmail`, `Config.get_object` — `json.loads` — of the others)."""
    raw: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    encoded = encode_config(config)
    for full in encoded:
        key = full.removeprefix(prefix)
        if full.startswith(prefix) and key not in KNOWN_KEYS:
            raise ConfigError(
                key, encoded[full], f"unknown key; valid keys: {', '.join(KNOWN_KEYS)}"
            )
    for key in KNOWN_KEYS:
        text = encoded.get(prefix + key)
        if text is None:
            continue
        if key == "notificationEmail":
            raw[key] = text
            continue
        try:
            raw[key] = json.loads(text)
        except ValueError as error:
            raise ConfigError(key, text, f"must be an object: {error}") from error
    return raw


def policy_config(
    stack: str, project_dir: Path = REPO, overrides: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The `--policy-pack-config` document for `stack` (with the preview's `-c` overrides)."""
    try:
        loaded = _read_stack_config(stack, Path(project_dir), overrides)
        settings = parse_settings(
            program_values(loaded.config), project=loaded.project, stack=stack
        )
    except OfflineError as exc:
        raise PolicyConfigError(str(exc)) from exc
    except ConfigError as exc:
        raise PolicyConfigError(f"invalid configuration: {exc}") from exc
    accounts: dict[str, Any] = {
        "sourceAccountIds": [a.account_id for a in settings.source_accounts],
        "backupAccountIds": [settings.backup.account_id],
    }
    if settings.organization is not None:
        # Issue 12: the pack ties org-scoped grants (aws:PrincipalOrgID/PrincipalOrgPaths) to
        # the stack's organization, and proves with it that every source is let in.
        accounts["organizationId"] = settings.organization.id
        if settings.organization.paths:
            accounts["organizationPaths"] = list(settings.organization.paths)
    out: dict[str, dict[str, Any]] = {name: dict(accounts) for name in ACCOUNT_POLICIES}
    compliance = settings.vault_lock is not None and settings.vault_lock.mode == "compliance"
    out["backup-vault-locked"]["requireComplianceMode"] = compliance
    return out


def _write_atomically(path: Path, text: str) -> None:
    # A temporary file next to the target, renamed over it: the target is complete or untouched.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Print (or write) the JSON; exit 2 with the preview's message on stderr when the stack's
    config is refused."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.stack.policy_config",
        description="Print the policy pack config of a stack.",
    )
    parser.add_argument("--stack", "-s", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--config",
        "-c",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override a config value, as `python -m tools.preview -c` does",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write the JSON to FILE (only if valid)"
    )
    args = parser.parse_args(argv)
    try:
        overrides = dict(parse_override(pair) for pair in args.config)
        text = json.dumps(policy_config(args.stack, overrides=overrides), indent=2, sort_keys=True)
    except (PolicyConfigError, OfflineError) as e:
        print(f"policy-config: {e}", file=sys.stderr)
        return 2
    if args.output:
        _write_atomically(args.output, text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
