"""The stack configuration as the Pulumi CLI loads it: no Pulumi import, so it loads in a blink.

`tools/offline.py` re-exports all of this; `tools/preview.py` uses it directly to start the policy
pack (which takes the stack config in `PULUMI_CONFIG`) before it pays for importing Pulumi.

- `load_stack_config(stack, project_dir)`: the project's declared `config:` defaults in
  `Pulumi.yaml` (keys with a `default:`, and `value:` entries such as
  `pulumi:disable-default-providers`), overridden key by key by `Pulumi.<stack>.yaml`; full keys
  (`cross-account-backup:sourceAccount`), decoded values.
- `encode_config`: values as the CLI hands them to a program (objects as JSON strings).
- `StackNotFound` (an `OfflineError`) names the stacks that exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

#: The repository root: `Pulumi.yaml`, the stack files and the program's `__main__.py`.
REPO_ROOT = Path(__file__).resolve().parent.parent


class OfflineError(Exception):
    """The project or stack files are unusable; raised before the program runs. User-facing."""


class StackNotFound(OfflineError):
    """The stack has no `Pulumi.<stack>.yaml` in the project directory."""

    def __init__(self, stack: str, available: list[str], project_dir: Path) -> None:
        self.stack = stack
        self.available = available
        listing = ", ".join(available) if available else "none"
        super().__init__(
            f"unknown stack {stack!r}: there is no Pulumi.{stack}.yaml in {project_dir} "
            f"(stacks: {listing})"
        )


# --------------------------------------------------------------------------------------------
# Configuration, as the CLI reads it
# --------------------------------------------------------------------------------------------


def list_stacks(project_dir: Path = REPO_ROOT) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` next to `Pulumi.yaml`, sorted."""
    return sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in Path(project_dir).glob("Pulumi.*.yaml")
        if p.name.count(".") == 2
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise OfflineError(f"{path.name} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OfflineError(f"{path.name} must be a YAML mapping, not {type(data).__name__}")
    return data


def load_project(project_dir: Path = REPO_ROOT) -> dict[str, Any]:
    """`Pulumi.yaml`, parsed; its `name` is required."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.is_file():
        raise OfflineError(f"no Pulumi.yaml in {project_dir}: not a Pulumi project")
    project = _read_yaml(path)
    if not isinstance(project.get("name"), str) or not project["name"]:
        raise OfflineError(f"{path} has no project name")
    return project


def full_key(key: str, project: str) -> str:
    # The CLI's rule: a key without a namespace belongs to the project.
    return key if ":" in key else f"{project}:{key}"


def load_stack_config(stack: str, project_dir: Path = REPO_ROOT) -> dict[str, Any]:
    """The configuration of `stack` as the Pulumi CLI would pass it to the program, decoded.

    Project defaults (`Pulumi.yaml` `config:` keys with a `default:` or a `value:`) come first and
    the stack file's `config:` overrides them key by key (whole values, no deep merge: that is what
    the CLI does). A `default: null` means "no default", so the key stays unset.
    """
    project_dir = Path(project_dir)
    project = load_project(project_dir)
    name: str = project["name"]
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack or "/" in stack or not stack_file.is_file():
        raise StackNotFound(stack, list_stacks(project_dir), project_dir)

    config: dict[str, Any] = {}
    for key, decl in (project.get("config") or {}).items():
        if isinstance(decl, dict) and ("default" in decl or "value" in decl):
            value = decl["value"] if "value" in decl else decl["default"]
        elif isinstance(decl, dict):
            continue  # declared (type, description), no default
        else:
            value = decl  # short form: `key: value`
        if value is not None:
            config[full_key(str(key), name)] = value

    for key, value in (_read_yaml(stack_file).get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            raise OfflineError(
                f"Pulumi.{stack}.yaml: {key} is an encrypted secret; the offline preview can not "
                "decrypt it. Give it a placeholder value through config_overrides."
            )
        config[full_key(str(key), name)] = value
    return config


def encode_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config values as the CLI hands them to a program: strings as is, everything else as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
