"""The stack configuration as the Pulumi CLI reads it: the one emulation every offline entry point
shares (`make preview`, `make policy-config`, `tools.verify`, the tests). No Pulumi import, so it
loads in a blink (`tools/preview/run.py` starts the policy pack before it pays for importing
Pulumi).

This module reads a stack (`read_stack_config`, `load_stack_config`) and encodes it for the
program (`encode_config`); the concerns it builds on are its siblings: `yaml_v3` (YAML as
yaml.v3 reads it), `project` (`Pulumi.yaml` declarations and the CLI's validation rules),
`paths` (keys, property paths, `-c` overrides), `secrets` (placeholders), `errors`.

Each rule below is the CLI's, read in its source (pulumi/pulumi; the tests cite file and function):

- YAML is read as gopkg.in/yaml.v3 reads it (`sdk/go/common/encoding/marshal.go` uses yaml.v3;
  its resolver is `resolve.go`): `Yes`/`on` stay strings, `012345670123` is the octal number
  1402433619, `012345678901` the float 12345678901, a mapping key twice is an error.
- `Pulumi.yaml` `config:` declarations are checked as `Project.Validate` and `project.json` check
  them; a project key with no `default` (or `default: null`) and no `value` is **required**
  (`pkg/workspace/config.go` `mergeConfig`: `hasDefault := projectConfigType.Default != nil`).
- Stack file keys without a namespace belong to the project (`loaders.go`
  `stackConfigNamespacedWithProject`); others must be `<namespace>:<name>` (`config.ParseKey`).
- `key: null` (or `key:`) in a stack file is the empty string `""`, with the CLI's warning
  (`loaders.go` `checkForEmptyConfig`), and it counts as set: the project default does not apply.
- Top-level scalars reach the program as strings (`config.Value`); objects as JSON.
- `{secure: ...}` anywhere is a secret (`object.go` `isSecureValue`). Offline nothing can be
  decrypted: each one gets a placeholder (`SECRET_PLACEHOLDER`), listed in `StackConfig.secrets`
  and shown as `[secret]` by the preview (`mask_secrets`).
- Declared types are checked (`config.go` `validateStackConfigValue`, `project.go`
  `ValidateConfigValue`); a declared `secret: true` must be encrypted.
- Overrides (`-c`) are applied first, as the CLI saves `-c` into the stack config before it
  validates; a dotted key is a path (`pulumi config set --path`, `resource.ParsePropertyPath`)
  merged into the stack's value (`config.Map.Set`).

Two refusals are ours, not the CLI's, because the CLI would deploy something the user did not
mean: a plain number with a leading zero ("quote it"), and a key whose namespace is a near miss of
the project's (`cross-acount-backup:vaultLock`, which the CLI passes on and nobody reads).
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.config import is_near_miss_namespace
from tools.stack.errors import (
    ConfigValidationError,
    OfflineError,
    SecretNotDecrypted,
    StackNotFound,
)
from tools.stack.paths import full_key, parse_config_path, set_config_path
from tools.stack.project import (
    REPO_ROOT,
    Declaration,
    list_stacks,
    load_project,
    project_declarations,
    type_name,
    validate_config_value,
)
from tools.stack.secrets import (
    Secure,
    mark_secure,
    replace_secrets,
)
from tools.stack.yaml_v3 import LeadingZeroFloat, LeadingZeroInt, read_yaml

# --------------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------------


@dataclass
class StackConfig:
    """A stack's configuration as the CLI hands it to the program and the policy pack."""

    project: str
    stack: str
    config: dict[str, Any]
    """Full key → value: a string for a scalar (the CLI's `config.Value`), a decoded object for an
    object; secrets replaced by placeholders."""
    secrets: list[str] = field(default_factory=list)
    """The paths of the secrets (`cross-account-backup:sourceAccount.externalId`), placeholders."""
    warnings: list[str] = field(default_factory=list)
    """The CLI's warnings (a key with no value)."""

    @property
    def secret_keys(self) -> list[str]:
        """The top-level keys holding a secret (the program's `PULUMI_CONFIG_SECRET_KEYS`)."""
        return sorted({_top(p) for p in self.secrets})


def _top(path: str) -> str:
    namespace, rest = path.split(":", 1)
    return namespace + ":" + re.split(r"[.\[]", rest)[0]


def _contains_secure(value: Any) -> bool:
    # object.go `Secure`: a map or list is secure when anything in it is.
    if isinstance(value, Secure):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _as_value(value: Any) -> Any:
    """A top-level value as `config.Value` holds it: objects (maps, lists) stay structured, a
    secret stays a secret, every other scalar is its text (object.go `MarshalString`;
    config.go `createConfigValue` for project defaults)."""
    if isinstance(value, (dict, list, Secure)):
        return value
    return _scalar_text(value)


def _go_float(value: float) -> str:
    """Go's `encoding/json` for a float64 ('f' format between 1e-6 and 1e21, else 'e')."""
    if not math.isfinite(value):
        raise OfflineError(f"json: unsupported value: {value}")
    if value == 0:
        return "0"
    if 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = repr(value)
    return re.sub(r"e([+-])0(\d)$", r"e\1\2", text)


def go_json(value: Any) -> str:
    """`json.Marshal` as Go writes it (compact, sorted keys, Go floats, `<>&` escaped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _go_float(float(value))
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escape)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{go_json(k)}:{go_json(v)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    raise OfflineError(f"can't encode {type(value).__name__} as config")


def _scalar_text(value: Any) -> str:
    """A top-level scalar as `config.Value` holds it (object.go `MarshalString`)."""
    if isinstance(value, str):
        return value
    return go_json(value)


def _leading_zeros(value: Any, where: str) -> list[tuple[str, str, Any]]:
    if isinstance(value, (LeadingZeroInt, LeadingZeroFloat)):
        return [(where, value.text, value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _leading_zeros(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _leading_zeros(v, f"{where}[{i}]")]
    return []


def _quote_it(source: str, where: str, text: str, value: Any) -> OfflineError:
    if isinstance(value, LeadingZeroInt):
        reading = f"the octal number {int(value)}"
    else:
        reading = f"the number {_go_float(float(value))} (the leading zero dropped)"
    leaf = re.split(r"[.:\]]", where.rstrip("]"))[-1]
    return OfflineError(
        f"{source}: {where} = {text} is unquoted: YAML as the Pulumi CLI reads it (gopkg.in/yaml.v3"
        f", YAML 1.2 with 1.1 octals) makes a plain number with a leading zero {reading}, not the "
        f'text {text}. Quote it: {leaf}: "{text}"'
    )


def read_stack_config(
    stack: str,
    project_dir: Path = REPO_ROOT,
    overrides: Mapping[str, Any] | None = None,
    *,
    validate: bool = True,
) -> StackConfig:
    """The configuration of `stack` as `pulumi preview -s <stack>` would pass it to the program.

    `overrides` are `-c` values (full keys or keys of the project; a dotted key is a path merged
    into the stack's value; `None` removes), applied first like the CLI's `-c`. `validate=False`
    is `--skip-config-validation` (`ApplyProjectConfig`): project defaults still apply, missing
    keys and types are not checked. Raises `OfflineError` (`StackNotFound`,
    `ConfigValidationError`) with the CLI's message, or one of the two refusals of our own.
    """
    project_dir = Path(project_dir)
    project = load_project(project_dir)
    name: str = project["name"]
    declarations = project_declarations(project)
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack or "/" in stack or not stack_file.is_file():
        raise StackNotFound(stack, list_stacks(project_dir), project_dir)
    source = stack_file.name

    stack_data = read_yaml(stack_file)
    raw = stack_data.get("config") or {}
    if not isinstance(raw, dict):
        raise OfflineError(f"{source}: config must be a mapping of keys to values")
    config: dict[str, Any] = {}
    warnings: list[str] = []
    if stack_data.get("environment"):
        warnings.append(
            f"{source} imports Pulumi ESC environments: their values are not read offline"
        )
    for key, value in raw.items():
        # loaders.go `stackConfigNamespacedWithProject`, then map.go `UnmarshalYAML`/`ParseKey`.
        try:
            full = full_key(str(key), name)
        except OfflineError as exc:
            raise OfflineError(f"{source}: could not unmarshal map: {exc}") from None
        if full in config:
            # loaders.go builds a Go map from both spellings: which one wins is random.
            raise OfflineError(
                f"{source}: {key} and another spelling of it both set {full}; keep one"
            )
        if value is None:
            # loaders.go `checkForEmptyConfig`, and yaml.v3 leaves a null `config.Value` zero: "".
            warnings.append(
                f'No value for configuration key "{full}". This is currently treated as an empty '
                'string `""`, but will be treated as `null` in a future version of pulumi.'
            )
            value = ""
        config[full] = mark_secure(value)

    overridden: set[str] = set()
    for key, value in (overrides or {}).items():
        try:
            set_config_path(config, str(key), mark_secure(value), name)
            overridden.add(parse_config_path(str(key), name)[0])
        except OfflineError as exc:
            raise OfflineError(f"--config {key}: {exc}") from None

    for key, value in config.items():
        origin = f"{source} with -c" if key in overridden else source
        for where, text, number in _leading_zeros(value, key):
            raise _quote_it(origin, where, text, number)
        namespace = key.split(":", 1)[0]
        if is_near_miss_namespace(namespace, name):
            raise OfflineError(
                f"{origin}: {key} is in the namespace {namespace!r}, not this project's {name!r}: "
                f"the Pulumi CLI passes it on and the program never reads it, so the setting is "
                f"silently lost. Did you mean {name}:{key.split(':', 1)[1]}?"
            )
    config = {key: _as_value(value) for key, value in config.items()}

    # config.go `mergeConfig`: project values and defaults for the keys the stack does not set.
    missing: list[str] = []
    for decl_key in sorted(declarations):
        decl = declarations[decl_key]
        key = full_key(decl_key, name)
        if key in config:
            continue
        if decl.required:
            if key.split(":", 1)[0] == name:
                missing.append(decl_key)
            continue
        config[key] = _as_value(decl.default if decl.default is not None else decl.value)
    if validate and missing:
        values = "value" if len(missing) == 1 else "values"
        listed = _format_missing(missing)
        raise ConfigValidationError(
            f"validating stack config: Stack '{stack}' is missing configuration {values} {listed}"
        )
    if validate:
        _validate_values(stack, name, declarations, config)

    secrets: list[str] = []
    final: dict[str, Any] = {}
    for key, value in config.items():
        value = replace_secrets(value, key, secrets)
        # createConfigValue / MarshalString: scalars are strings, the rest objects.
        final[key] = value
    return StackConfig(project=name, stack=stack, config=final, secrets=secrets, warnings=warnings)


def _format_missing(keys: list[str]) -> str:
    # config.go `formatMissingKeys`.
    if len(keys) == 1:
        return f"'{keys[0]}'"
    keys = sorted(keys)
    return (
        ", ".join(f"'{k}'" for k in keys[:-2])
        + (", " if len(keys) > 2 else "")
        + (f"'{keys[-2]}' and '{keys[-1]}'")
    )


def _validate_values(
    stack: str, project: str, declarations: Mapping[str, Declaration], config: Mapping[str, Any]
) -> None:
    """config.go `validateStackConfigValues` / `validateStackConfigValue`."""
    for decl_key in sorted(declarations):
        decl = declarations[decl_key]
        if decl.type is None:
            continue
        value = config.get(full_key(decl_key, project), "")
        if decl.secret and not _contains_secure(value):
            raise ConfigValidationError(
                f"validating stack config: Stack '{stack}' with configuration key '{decl_key}' "
                "must be encrypted as it's secret"
            )
        if not validate_config_value(decl.type, decl.items, value):
            hint = ""
            if isinstance(value, Secure) and decl.type in ("object", "array"):
                field_path = decl_key.split(":")[-1] + ".<field>"
                hint = (
                    " (a whole value set with --secret is an encrypted string; encrypt the fields "
                    f"instead: pulumi config set --secret --path '{field_path}')"
                )
            elif value == "":
                hint = " (the stack file gives it no value: `key: null` is the empty string)"
            raise ConfigValidationError(
                f"validating stack config: Stack '{stack}' with configuration key '{decl_key}' "
                f"must be of type '{type_name(decl.type, decl.items)}'{hint}"
            )


def resolve_secrets(loaded: StackConfig, decrypt: Callable[[str], Any]) -> dict[str, Any]:
    """`loaded.config` with each secret's placeholder replaced by `decrypt(path)`.

    For a tool that runs where the stack's secrets provider is reachable (e.g. `tools.verify`
    with the Pulumi CLI: `pulumi config get --path <path> --show-secrets`, the path without the
    namespace for the project's keys). `decrypt` gets the full path
    (`cross-account-backup:sourceAccount.externalId`).
    """
    config = copy.deepcopy(loaded.config)
    for path in loaded.secrets:
        set_config_path(config, path, decrypt(path), loaded.project)
    return config


def load_stack_config(
    stack: str,
    project_dir: Path = REPO_ROOT,
    overrides: Mapping[str, Any] | None = None,
    *,
    validate: bool = True,
    placeholders: bool = False,
) -> dict[str, Any]:
    """`read_stack_config(...).config`: full keys → values as the CLI holds them.

    A secret is refused (`SecretNotDecrypted`) unless `placeholders`: a caller that would use
    the value for real (credentials, an external id) must not get a placeholder by accident;
    it reads `read_stack_config(...)` and `resolve_secrets`.
    """
    loaded = read_stack_config(stack, project_dir, overrides, validate=validate)
    if loaded.secrets and not placeholders:
        listed = ", ".join(loaded.secrets)
        raise SecretNotDecrypted(
            f"Pulumi.{stack}.yaml: {listed} {'is' if len(loaded.secrets) == 1 else 'are'} "
            "encrypted (secure:) and can only be read through the Pulumi CLI, e.g. "
            f"`pulumi config get --path {loaded.secrets[0].split(':', 1)[1]} --stack {stack}`"
        )
    return loaded.config


def encode_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config values as the CLI hands them to a program (`PULUMI_CONFIG`): strings as is,
    objects as Go's JSON."""
    return {k: v if isinstance(v, str) else go_json(v) for k, v in config.items()}
