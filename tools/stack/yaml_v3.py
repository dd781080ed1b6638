"""YAML as the Pulumi CLI reads it: gopkg.in/yaml.v3 (`sdk/go/common/encoding/marshal.go` uses
yaml.v3; its resolver is `resolve.go`): `Yes`/`on` stay strings, `012345670123` is the octal
number 1402433619, `012345678901` the float 12345678901, a mapping key twice is an error.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from tools.stack.errors import OfflineError

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
    tag: str = yaml.SafeLoader.resolve(self, kind, value, implicit)
    return tag


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


def read_yaml(path: Path) -> dict[str, Any]:
    data = parse_yaml(path.read_text(encoding="utf-8-sig"), path.name)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OfflineError(f"{path.name} must be a YAML mapping, not {type(data).__name__}")
    return data
