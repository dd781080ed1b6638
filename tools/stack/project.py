"""`Pulumi.yaml` and its `config:` declarations, checked as the CLI checks them (`Project.Validate`,
`project.json`, `project.go` `ValidateConfigValue`), and the list of stacks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.stack.errors import OfflineError
from tools.stack.secrets import Secure
from tools.stack.yaml_v3 import read_yaml

#: The repository root: `Pulumi.yaml`, the stack files and the program's `__main__.py`.
REPO_ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------------
# The project: Pulumi.yaml
# --------------------------------------------------------------------------------------------

_TYPES = ("string", "integer", "boolean", "array", "object")  # project.json `simpleConfigType`
_DECLARATION_FIELDS = {"type", "items", "description", "secret", "default", "value"}


@dataclass(frozen=True)
class Declaration:
    """One `config:` entry of `Pulumi.yaml` (`workspace.ProjectConfigType`)."""

    key: str
    type: str | None = None
    items: Mapping[str, Any] | None = None
    default: Any = None
    value: Any = None
    secret: bool = False

    @property
    def required(self) -> bool:
        # config.go `mergeConfig`: `hasDefault := Default != nil`, `hasValue := Value != nil`.
        return self.default is None and self.value is None


def list_stacks(project_dir: Path = REPO_ROOT) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` next to `Pulumi.yaml`, sorted."""
    return sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in Path(project_dir).glob("Pulumi.*.yaml")
        if p.name.count(".") == 2
    )


def load_project(project_dir: Path = REPO_ROOT) -> dict[str, Any]:
    """`Pulumi.yaml`, parsed; its `name` is required."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.is_file():
        raise OfflineError(f"no Pulumi.yaml in {project_dir}: not a Pulumi project")
    project = read_yaml(path)
    if not isinstance(project.get("name"), str) or not project["name"]:
        raise OfflineError(f"{path} has no project name")
    return project


def _namespaced_by_project(project: str, key: str) -> bool:
    # project.go `configKeyIsNamespacedByProject`.
    return ":" not in key or key.startswith(f"{project}:")


def _items_type(items: Any, where: str) -> None:
    if not isinstance(items, dict) or items.get("type") not in _TYPES:
        raise OfflineError(f"could not validate 'Pulumi.yaml': {where}: items needs a type")
    if items["type"] == "array":
        _items_type(items.get("items"), where)


def project_declarations(project: Mapping[str, Any]) -> dict[str, Declaration]:
    """The `config:` of `Pulumi.yaml` as the CLI accepts it: `project.json` (each entry a string,
    integer, boolean, array or a declaration with only type/items/description/secret/default/
    value), `RewriteShorthandConfigValues` (a bare value is a project key's default, another
    namespace's value), then `Project.Validate`."""
    name = str(project["name"])
    declared: dict[str, Declaration] = {}
    for key, raw in (project.get("config") or {}).items():
        key = str(key)
        if isinstance(raw, dict):
            unknown = set(raw) - _DECLARATION_FIELDS
            if unknown:
                raise OfflineError(
                    f"could not validate 'Pulumi.yaml': config.{key}: additional properties "
                    f"{sorted(unknown)} not allowed (a declaration takes "
                    f"{', '.join(sorted(_DECLARATION_FIELDS))})"
                )
            typ = raw.get("type")
            if typ is not None and typ not in _TYPES:
                raise OfflineError(
                    f"could not validate 'Pulumi.yaml': config.{key}.type: {typ!r} is not one of "
                    f"{', '.join(_TYPES)}"
                )
            if raw.get("items") is not None:
                _items_type(raw["items"], f"config.{key}.items")
            decl = Declaration(
                key=key,
                type=typ,
                items=raw.get("items"),
                default=raw.get("default"),
                value=raw.get("value"),
                secret=bool(raw.get("secret", False)),
            )
        elif isinstance(raw, (str, int, bool, list)) and not isinstance(raw, float):
            # RewriteShorthandConfigValues.
            if _namespaced_by_project(name, key):
                decl = Declaration(key=key, default=raw)
            else:
                decl = Declaration(key=key, value=raw)
        else:
            raise OfflineError(
                f"could not validate 'Pulumi.yaml': config.{key}: {raw!r} is not a string, "
                "integer, boolean, array or config declaration"
            )
        _validate_declaration(name, decl)
        declared[key] = decl
    return declared


def _validate_declaration(project: str, decl: Declaration) -> None:
    """`Project.Validate` (sdk/go/common/workspace/project.go)."""
    key = decl.key
    if decl.default is not None and decl.value is not None:
        raise OfflineError(
            f"project config '{key}' cannot have both a 'default' and 'value' attribute"
        )
    if _namespaced_by_project(project, key):
        if decl.type == "array" and decl.items is None:
            raise OfflineError(
                f"The configuration key '{key}' declares an array but does not specify the "
                "underlying type via the 'items' attribute"
            )
        if (
            decl.type is not None
            and decl.default is not None
            and not validate_config_value(decl.type, decl.items, decl.default)
        ):
            raise OfflineError(
                f"The default value specified for configuration key '{key}' is not of the "
                f"expected type '{type_name(decl.type, decl.items)}'"
            )
    else:
        if decl.type is not None:
            raise OfflineError(
                f"Configuration key '{key}' is not namespaced by the project and should not "
                "define a type"
            )
        if decl.default is not None:
            raise OfflineError(
                f"Configuration key '{key}' is not namespaced by the project and should not "
                "define a default value. Did you mean to use the 'value' attribute instead of "
                "'default'?"
            )
        if decl.value is None:
            raise OfflineError(
                f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"
            )


def type_name(typ: str, items: Mapping[str, Any] | None) -> str:
    """project.go `InferFullTypeName`: `array<integer>` ..."""
    if items is not None:
        return f"array<{type_name(items.get('type', ''), items.get('items'))}>"
    return typ


def validate_config_value(typ: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """project.go `ValidateConfigValue`. A secret we can't decrypt passes: the CLI checks the
    decrypted value, which we don't have."""
    if isinstance(value, Secure):
        return typ in ("string", "integer", "boolean")
    if typ == "string":
        return isinstance(value, str)
    if typ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        return isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value) is not None
    if typ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if typ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(validate_config_value(items.get("type", ""), items.get("items"), v) for v in value)
