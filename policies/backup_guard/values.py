"""Reading resource properties as the Pulumi analyzer gives them, without importing Pulumi.

- During `pulumi preview`, a value computed from another resource's output is *unknown*: the
  engine sends one of the sentinel strings below. `known(value, path)` raises `NotKnownYet`,
  which the pack turns into pulumi-policy's `UnknownValueError` (the CLI then reports the policy
  as "can't run during preview"). The mandatory checks only *need* values the program knows at
  preview (policy JSON, account ids, the copy destination ARN); see docs/policy-pack.md.
- Provider inputs arrive JSON-encoded (`allowedAccountIds: '["111111111111"]'`).
- Numbers arrive as floats.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

# The engine's unknown sentinels (pulumi-policy `proxy.py`, the same strings on the wire).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (also the generic wire sentinel)
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Matched whole (`fullmatch`): `$` would also match before a trailing newline, and `\d` any
# Unicode digit (fullwidth U+FF11, ...), neither of which AWS takes as an account id or an ARN.
_ACCOUNT_RE = re.compile(r"[0-9]{12}")
_ARN_RE = re.compile(r"arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):([0-9]{12}|):(.*)")


class NotKnownYet(Exception):
    """A value a check needs is unknown (preview). `sentinel` and `path` as pulumi-policy wants."""

    def __init__(self, path: Sequence[str], sentinel: str = UNKNOWN) -> None:
        self.path = list(path)
        self.sentinel = sentinel
        super().__init__(f"value at .{'.'.join(self.path)} can't be known during preview")


def is_unknown(value: Any) -> bool:
    """True for an unknown sentinel (a value computed from an output, during preview)."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def known(value: Any, path: Sequence[str]) -> Any:
    """Return `value`, or raise `NotKnownYet(path)` if it is unknown."""
    if is_unknown(value):
        raise NotKnownYet(path, value)
    return value


def get(props: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """`props.get(key)` that also treats an explicit null as absent."""
    value = props.get(key, default)
    return default if value is None else value


def as_number(value: Any) -> float | None:
    """Numbers arrive as floats (or strings from some providers); None when absent/unknown."""
    if value is None or is_unknown(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def string_list(value: Any) -> list[str] | None:
    """A list of strings from a list or a JSON-encoded list (provider inputs); None if unknown."""
    if value is None:
        return []
    if is_unknown(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                decoded = json.loads(text)
            except ValueError:
                return [value]
            return string_list(decoded)
        return [value]
    if isinstance(value, Sequence):
        out = []
        for v in value:
            if is_unknown(v):
                return None
            out.append(str(v))
        return out
    return None


class Arn(NamedTuple):
    """The parts of an ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: Any) -> Arn | None:
    """Split an ARN; None if `value` is not a known ARN string."""
    if not isinstance(value, str) or is_unknown(value):
        return None
    m = _ARN_RE.fullmatch(value)
    if not m:
        return None
    return Arn(*m.groups())


def vault_arn(region: str, account: str, name: str, partition: str | None = None) -> str:
    """The ARN of a backup vault (what the program computes at preview)."""
    partition = partition or partition_of_region(region)
    return f"arn:{partition}:backup:{region}:{account}:backup-vault:{name}"


def partition_of_region(region: str) -> str:
    """The ARN partition of a region (`cn-north-1` -> `aws-cn`)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def key_arn(key: Resource) -> str:
    """The ARN of a KMS key resource: its `arn` once known; during preview the glob of the ARNs
    it may get (`arn:aws:kms:REGION:ACCOUNT:key/*`, from its provider), or `"*"`."""
    arn = key.props.get("arn")
    if isinstance(arn, str) and parse_arn(arn) is not None:
        return arn
    if key.account and key.region:
        return f"arn:{partition_of_region(key.region)}:kms:{key.region}:{key.account}:key/*"
    return "*"


def is_account_id(value: Any) -> bool:
    """A 12-digit account id string."""
    return isinstance(value, str) and _ACCOUNT_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class Provider:
    """The provider a resource is registered with (as AnalyzeRequest.provider carries it)."""

    type: str = ""
    name: str = ""
    urn: str = ""
    props: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def account(self) -> str | None:
        """The one account the provider is pinned to (`allowedAccountIds`), if exactly one.

        Cached (the props don't change): the stack checks ask it of every resource once per
        vault or copy, and parsing `allowedAccountIds` each time made AnalyzeStack quadratic
        in the number of source accounts (bench/preview_scale.py, issue 12)."""
        ids = string_list(self.props.get("allowedAccountIds"))
        if ids and len(ids) == 1 and is_account_id(ids[0]):
            return ids[0]
        return None

    @cached_property
    def region(self) -> str | None:
        """The provider's region, if known (cached like `account`)."""
        region = self.props.get("region")
        return region if isinstance(region, str) and not is_unknown(region) else None


@dataclass(frozen=True)
class Resource:
    """A resource as the pack sees it, in plain values (pulumi-policy proxies unwrapped)."""

    type: str
    name: str
    urn: str = ""
    props: Mapping[str, Any] = field(default_factory=dict)
    provider: Provider | None = None
    protect: bool = False
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    parent: str | None = None

    @property
    def account(self) -> str | None:
        """The account of the resource's provider, if pinned."""
        return self.provider.account if self.provider else None

    @property
    def region(self) -> str | None:
        """The region of the resource's provider, if known."""
        return self.provider.region if self.provider else None
