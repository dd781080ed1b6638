"""Config keys and property paths as the CLI parses them (`config.ParseKey`,
`resource.ParsePropertyPath`, `config.Map.Set`), and the `-c KEY=VALUE` overrides built on them
(`pulumi config set --path`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tools.stack.errors import OfflineError
from tools.stack.secrets import Secure
from tools.stack.yaml_v3 import parse_yaml

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
        # A list with an int index or a dict with a str key (both checked above).
        parent: Any = node
        if last:
            parent[element] = value
            return
        child = parent.get(element) if isinstance(parent, dict) else parent[element]
        if child is None:
            child = [] if isinstance(path[depth + 1], int) else {}
            parent[element] = child
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
        node.pop(last, None)
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
