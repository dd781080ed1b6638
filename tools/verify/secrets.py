"""Stack config with encrypted secrets (`secure:` values), read through the Pulumi CLI.

`tools.verify` runs where the Pulumi CLI is (it reads the stack outputs with it). A stack file with
`secure:` values can only be decrypted by the CLI and the stack's secrets provider, so then the
whole config is read with `pulumi config --show-secrets --json --stack S`: the CLI applies its
own rules (project defaults included: `listConfig` calls `workspace.ApplyProjectConfig`).

Output shape (pulumi/pulumi pkg/cmd/pulumi/config/config.go, `configValueJSON` and `listConfig`):
a JSON object keyed by the fully qualified key (`cross-account-backup:sourceAccount`), each value
`{"value": "<string>", "objectValue": <parsed JSON, only for object values>, "secret": bool}`;
`value` is omitted for a secret when `--show-secrets` is not given.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class SecretsUnreadable(ValueError):
    """The stack's secrets can't be read: `str()` says why and what to do."""


def secure_keys(root: Path, stack: str) -> list[str]:
    """The config keys of `Pulumi.<stack>.yaml` that hold (or contain) a `secure:` value."""
    path = Path(root) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config = data.get("config") or {} if isinstance(data, Mapping) else {}
    return sorted(str(key) for key, value in config.items() if _has_secure(value))


def _has_secure(value: Any) -> bool:
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return True
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def config_from_cli(root: Path, stack: str, keys: list[str]) -> dict[str, Any]:
    """The stack's decrypted config (fully qualified keys) from `pulumi config --json`."""
    command = ["pulumi", "config", "--show-secrets", "--json", "--stack", stack]
    why = f"Pulumi.{stack}.yaml has encrypted secrets ({', '.join(keys)})"
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=120, check=False
        )
    except FileNotFoundError:
        raise SecretsUnreadable(
            f"{why}: only the Pulumi CLI can decrypt them, and `pulumi` is not on PATH. Install "
            "it (https://www.pulumi.com/docs/install/) and log in to the stack's backend, then "
            "run again"
        ) from None
    if done.returncode != 0:
        raise SecretsUnreadable(
            f"{why}: `{' '.join(command)}` failed (exit {done.returncode}): "
            f"{done.stderr.strip() or done.stdout.strip()}; are you logged in to the stack's "
            "backend, with access to its secrets provider (passphrase, KMS key, ...)?"
        )
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise SecretsUnreadable(f"`{' '.join(command)}` printed no JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SecretsUnreadable(
            f"`{' '.join(command)}` printed {type(data).__name__}, not an object"
        )
    config: dict[str, Any] = {}
    for key, entry in data.items():
        if not isinstance(entry, Mapping) or ("value" not in entry and "objectValue" not in entry):
            raise SecretsUnreadable(
                f"`{' '.join(command)}`: {key} has no value (a secret the CLI did not decrypt?)"
            )
        config[str(key)] = entry["objectValue"] if "objectValue" in entry else entry["value"]
    return config
