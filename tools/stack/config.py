"""The stack configuration as the Pulumi CLI reads it: the one emulation every offline entry point
shares (`make preview`, `make policy-config`, `tools.verify`, the tests). No Pulumi import, so it
loads in a blink (`tools/preview/run.py` starts the policy pack before it pays for importing
Pulumi).

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
import datetime as _dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from components.config import is_near_miss_namespace

#: The repository root: `Pulumi.yaml`, the stack files and the program's `__main__.py`.
REPO_ROOT = Path(__file__).resolve().parents[2]

#: What a secret that can't be decrypted offline becomes; the preview prints `[secret]`.
SECRET_PLACEHOLDER = "offline-secret-placeholder"
#: The placeholder of a secret whose key names an e-mail address (the program checks the shape).
SECRET_EMAIL_PLACEHOLDER = "offline-secret-placeholder@example.com"
SECRET_MASK = "[secret]"


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


class ConfigValidationError(OfflineError):
    """A refusal of the CLI's own config validation (`pulumi preview` stops with it)."""


class SecretNotDecrypted(OfflineError):
    """A `secure:` value, read by a caller that did not accept placeholders."""


# --------------------------------------------------------------------------------------------
# YAML as the CLI reads it: gopkg.in/yaml.v3
# --------------------------------------------------------------------------------------------


class LeadingZeroInt(int):
    """A plain scalar like `012345670123`: yaml.v3 reads it as an octal number."""

    text: str


class LeadingZeroFloat(float):
    """A plain scalar like `012345678901`: yaml.v3 reads it as a float."""

    text: str


_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# yaml.v3 resolve.go `yamlStyleFloat`.
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdef"}
_TIMESTAMP = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:(?P<sep>[Tt ])(?P<H>\d{1,2}):(?P<M>\d{1,2}):(?P<S>\d{1,2})(?:\.(?P<f>\d{1,9}))?"
    r"(?P<z>Z|[+-]\d{2}:\d{2})?)?$"
)


def _go_parse_int(text: str) -> int | None:
    """Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`: base from the prefix
    (`0x`, `0o`, `0b`, and a bare leading `0` meaning octal)."""
    sign, body = 1, text
    if body[:1] in ("+", "-"):
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    if not body:
        return None
    base, digits = 10, body
    if body[0] == "0" and len(body) > 1:
        prefix = body[1].lower()
        if len(body) >= 3 and prefix in "box":
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], body[2:]
        else:
            base, digits = 8, body[1:]
    if not digits or any(c not in _DIGITS[base] for c in digits.lower()):
        return None
    value = sign * int(digits, base)
    if -(2**63) <= value < 2**63 or (text[0] not in "+-" and value < 2**64):
        return value
    return None


def _go_time_string(match: re.Match[str]) -> str | None:
    """A yaml.v3 timestamp as pulumi's config turns it into a string: Go's `time.Time.String()`
    (`object.go` `unmarshalObject`: `case time.Time: v.String()`)."""
    g = match.groupdict()
    try:
        moment = _dt.datetime(
            int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0),
            int(g["S"] or 0),
        )  # fmt: skip
    except ValueError:
        return None
    if (g["sep"] == " " and g["z"]) or (g["sep"] in ("T", "t") and not g["z"]):
        # resolve.go `allowedTimestampFormats`: "2006-1-2T15:4:5.999999999Z07:00" needs a zone,
        # "2006-1-2 15:4:5.999999999" takes none.
        return None
    frac = (g["f"] or "").rstrip("0")
    clock = moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "")
    zone = g["z"]
    if not zone or zone == "Z":
        return f"{clock} +0000 UTC"
    offset = zone.replace(":", "")
    return f"{clock} {offset} {offset}"


def go_yaml_resolve(text: str) -> Any:
    """The value yaml.v3 gives a *plain* (unquoted) scalar decoded into `any` (resolve.go
    `resolve`: a lookup table, then, for a leading digit or sign, timestamp, int, float)."""
    hint = text[:1]
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if hint == ".":
        try:
            return float(text)
        except ValueError:
            return text
    if hint and (hint.isdigit() or hint in "+-"):
        stamp = _TIMESTAMP.match(text)
        if stamp:
            as_string = _go_time_string(stamp)
            if as_string is not None:
                return as_string
        plain = text.replace("_", "")
        number: Any = _go_parse_int(plain)
        if number is None and _YAML_STYLE_FLOAT.match(plain):
            number = float(plain)
        if number is not None:
            unsigned = plain.lstrip("+-")
            if len(unsigned) > 1 and unsigned[0] == "0" and unsigned[1].isdigit():
                marked = (LeadingZeroInt if isinstance(number, int) else LeadingZeroFloat)(number)
                marked.text = text
                return marked
            return number
    return text


class _GoYamlLoader(yaml.SafeLoader):
    """PyYAML's parser with yaml.v3's scalar resolution and duplicate-key error."""


def _construct_plain_or_quoted(loader: _GoYamlLoader, node: ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if node.style is None and node.tag == "tag:go-yaml:plain":
        return go_yaml_resolve(text)
    return text


def _construct_mapping(loader: _GoYamlLoader, node: MappingNode) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dict, list)):
            raise OfflineError(
                f"line {key_node.start_mark.line + 1}: a mapping key is a collection"
            )
        line = key_node.start_mark.line + 1
        if key in lines:
            # yaml.v3 decode.go `mapping`: "mapping key %#v already defined at line %d".
            raise OfflineError(
                f'line {line}: mapping key "{key}" already defined at line {lines[key]}'
            )
        lines[key] = line
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _resolve(self: Any, kind: Any, value: Any, implicit: tuple[bool, bool]) -> str:
    if kind is ScalarNode:
        return "tag:go-yaml:plain" if implicit[0] else "tag:yaml.org,2002:str"
    return yaml.SafeLoader.resolve(self, kind, value, implicit)


_GoYamlLoader.resolve = _resolve  # type: ignore[method-assign]
_GoYamlLoader.yaml_implicit_resolvers = {}
_GoYamlLoader.add_constructor("tag:go-yaml:plain", _construct_plain_or_quoted)
_GoYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
for _tag in ("int", "float", "bool", "null", "timestamp"):
    # An explicit tag (`!!int 012`) resolves the text the same way.
    _GoYamlLoader.add_constructor(
        f"tag:yaml.org,2002:{_tag}", lambda loader, node: go_yaml_resolve(node.value)
    )


def parse_yaml(text: str, source: str) -> Any:
    """`text` as the Pulumi CLI's YAML reader (gopkg.in/yaml.v3) decodes it into `any`."""
    try:
        return yaml.load(text, Loader=_GoYamlLoader)  # a SafeLoader subclass
    except OfflineError as exc:
        raise OfflineError(f"{source} is not valid YAML: {exc}") from None
    except yaml.YAMLError as exc:
        raise OfflineError(f"{source} is not valid YAML: {exc}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    data = parse_yaml(path.read_text(encoding="utf-8-sig"), path.name)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OfflineError(f"{path.name} must be a YAML mapping, not {type(data).__name__}")
    return data


# --------------------------------------------------------------------------------------------
# Keys and property paths
# --------------------------------------------------------------------------------------------


def parse_key(key: str) -> tuple[str, str]:
    """`config.ParseKey` (sdk/go/common/resource/config/key.go): `<namespace>:<name>`, or the old
    `<namespace>:config:<name>`."""
    parts = key.split(":")
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return parts[0], parts[2]
    raise OfflineError(
        f"could not parse {key} as a configuration key "
        "(configuration keys should be of the form `<namespace>:<name>`)"
    )


def full_key(key: str, project: str) -> str:
    """A key as the CLI completes it: without a namespace it belongs to the project."""
    namespace, name = parse_key(key if ":" in key else f"{project}:{key}")
    return f"{namespace}:{name}"


PathElement = str | int


def parse_property_path(path: str) -> list[PathElement]:
    """`resource.ParsePropertyPathStrict` (sdk/go/common/resource/properties_path.go): `a.b`,
    `a[0]`, `a["key.with.dots"]`; any run of characters up to `.` or `[` is a name."""
    elements: list[PathElement] = []
    if path.startswith("."):
        raise OfflineError("expected property path to start with a name or index")
    rest = path
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise OfflineError("expected property path to end with a name or index")
            if rest[0] == "[":
                raise OfflineError("expected property name after '.'")
        elif rest[0] == "[":
            if len(rest) > 1 and rest[1] == '"':
                key, i = [], 2
                while True:
                    if i >= len(rest):
                        raise OfflineError("missing closing quote in property name")
                    if rest[i] == '"':
                        i += 1
                        break
                    if rest[i] == "\\" and i + 1 < len(rest) and rest[i + 1] == '"':
                        key.append('"')
                        i += 2
                    else:
                        key.append(rest[i])
                        i += 1
                if i >= len(rest) or rest[i] != "]":
                    raise OfflineError("missing closing bracket in property access")
                elements.append("".join(key))
                rest = rest[i + 1 :]
            else:
                close = rest.find("]")
                if close == -1:
                    raise OfflineError("missing closing bracket in array index")
                segment = rest[1:close]
                if segment == "*":
                    elements.append("*")
                elif re.fullmatch(r"[+-]?\d+", segment):
                    elements.append(int(segment))
                else:
                    raise OfflineError(f"invalid array index: {segment!r}")
                rest = rest[close + 1 :]
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i != -1), default=len(rest))
            elements.append(rest[:end])
            rest = rest[end:]
    return elements


def parse_config_path(key: str, project: str) -> tuple[str, list[PathElement]]:
    """A `--path` key (`pkg/cmd/pulumi/config/io.go` `parseConfigKey` with path=true, then
    `config.Map`'s `parseKeyPath`): the full top-level key and the path below it."""
    cut = min((i for i in (key.find("."), key.find("[")) if i > 0), default=-1)
    top, below = (key[:cut], key[cut:]) if cut > 0 else (key, "")
    full = full_key(top, project)
    namespace, name = full.split(":", 1)
    try:
        path = parse_property_path(name + below)
    except OfflineError as exc:
        raise OfflineError(f"invalid config key path {key!r}: {exc}") from None
    if not path or not isinstance(path[0], str) or not path[0]:
        raise OfflineError(f"invalid config key path {key!r}: the first segment must be a name")
    return f"{namespace}:{path[0]}", path[1:]


def _format_path(key: str, path: Sequence[PathElement]) -> str:
    out = key
    for element in path:
        out += f"[{element}]" if isinstance(element, int) else f".{element}"
    return out


def set_config_path(config: dict[str, Any], key: str, value: Any, project: str) -> None:
    """`config.Map.Set(key, value, path=true)` (map.go / object.go `Set`): merge `value` at the
    path into the stack's value, creating maps and lists on the way; `None` removes it."""
    top, path = parse_config_path(key, project)
    if not path:
        if value is None:
            config.pop(top, None)
        else:
            config[top] = value
        return
    if value is None:
        _remove_path(config.get(top), path)
        return
    root = config.get(top)
    if not isinstance(root, (dict, list)):
        # A scalar root is replaced by a container (object.go `Set`, `len(prefix) == 1`).
        root = [] if isinstance(path[0], int) else {}
    config[top] = root
    node: Any = root
    for depth, element in enumerate(path):
        last = depth == len(path) - 1
        where = _format_path(top, path[: depth + 1])
        if isinstance(node, list):
            if not isinstance(element, int):
                raise OfflineError(f"{where}: key for an array must be an int")
            if element < 0 or element > len(node):
                raise OfflineError(f"{where}: array index out of range")
            if element == len(node):
                node.append(None)
        elif not isinstance(element, str):
            raise OfflineError(f"{where}: key for a map must be a string")
        if last:
            node[element] = value
            return
        child = node[element] if isinstance(node, list) else node.get(element)
        if child is None:
            child = [] if isinstance(path[depth + 1], int) else {}
            node[element] = child
        elif not isinstance(child, (dict, list)) or isinstance(child, Secure):
            kind = "an array" if isinstance(path[depth + 1], int) else "a map"
            raise OfflineError(f"{where}: expected {kind}")
        node = child


def _remove_path(node: Any, path: Sequence[PathElement]) -> None:
    for element in path[:-1]:
        if isinstance(node, dict) and isinstance(element, str):
            node = node.get(element)
        elif isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
            node = node[element]
        else:
            return
    last = path[-1]
    if isinstance(node, dict):
        node.pop(last, None)  # type: ignore[arg-type]
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        del node[last]


def coerce_path_value(text: str) -> Any:
    """A value set below a path, as `pulumi config set --path` stores it (object.go `coerce`):
    `true`/`false` are booleans, base-10 digits not starting with 0 are integers, the rest
    strings."""
    if text in ("true", "false"):
        return text == "true"
    if len(text) > 1 and text[0] == "0":
        return text
    if re.fullmatch(r"[+-]?\d+", text) and -(2**63) <= int(text) < 2**64:
        return int(text)
    return text


def parse_override(pair: str, *, option: str = "--config") -> tuple[str, Any]:
    """One `-c KEY=VALUE`. A KEY with a path (`backupPlan.retentionDays`) takes its VALUE as
    `pulumi config set --path` does (`coerce_path_value`); a whole KEY takes YAML, read as the CLI
    reads YAML, so `-c 'backupPlan={retentionDays: 60}'` replaces the whole object and
    `-c notificationEmail=null` unsets the key."""
    key, sep, text = pair.partition("=")
    key = key.strip()
    if not sep or not key:
        raise OfflineError(f"{option} {pair!r}: expected KEY=VALUE")
    if re.search(r"[.\[]", key.split(":", 1)[-1]):
        return key, coerce_path_value(text)
    if not text.strip():
        return key, ""
    return key, parse_yaml(text, f"{option} {key}")


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secure:
    """`{secure: <ciphertext>}`: a value only the stack's secrets provider can decrypt."""

    ciphertext: str


def _is_secure(value: Any) -> bool:
    # object.go `isSecureValue`: a map with the single key "secure" of type string.
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def _mark_secure(value: Any) -> Any:
    if _is_secure(value):
        return Secure(value["secure"])
    if isinstance(value, dict):
        return {k: _mark_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_secure(v) for v in value]
    return value


def placeholder_for(path: str) -> str:
    """The stand-in for the secret at `path`; shaped to pass the program's checks."""
    leaf = re.split(r"[.:\[]", path)[-1].lower()
    return SECRET_EMAIL_PLACEHOLDER if "email" in leaf else SECRET_PLACEHOLDER


def mask_secrets(text: str) -> str:
    """Show the placeholders of secrets as `[secret]` (the longer one first)."""
    return text.replace(SECRET_EMAIL_PLACEHOLDER, SECRET_MASK).replace(
        SECRET_PLACEHOLDER, SECRET_MASK
    )


def _replace_secrets(value: Any, where: str, found: list[str]) -> Any:
    if isinstance(value, Secure):
        found.append(where)
        return placeholder_for(where)
    if isinstance(value, dict):
        return {k: _replace_secrets(v, f"{where}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secrets(v, f"{where}[{i}]", found) for i, v in enumerate(value)]
    return value


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
    project = _read_yaml(path)
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

    stack_data = _read_yaml(stack_file)
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
        config[full] = _mark_secure(value)

    overridden: set[str] = set()
    for key, value in (overrides or {}).items():
        try:
            set_config_path(config, str(key), _mark_secure(value), name)
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
        value = _replace_secrets(value, key, secrets)
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
