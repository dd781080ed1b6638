"""Matching the `Principal`, `Action` and `Resource` elements of one statement.

- Globs (IAM JSON policy reference, "Action", "Resource"): `*` any run of characters, `?` one;
  actions case-insensitive, resources case-sensitive.
- ARN operators compare the six colon-separated parts separately (IAM "Condition operators",
  ARN condition operators): `arn:*:root` does not match `arn:aws:iam::111111111111:root`.
- When the resource's ARN is only known by its shape (a glob such as
  `arn:aws:kms:eu-west-1:222222222222:key/*`), a pattern covers it only if it matches every ARN
  of the shape; one that may match some of them is MAYBE. A key policy governs only its own key
  (AWS KMS "Key policies": "the asterisk (*) identifies the KMS key to which the key policy is
  attached"), so for the policy's *own* resource (`self_resource`) a pattern that may name it
  does name it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from .document import Statement

# Applied with `fullmatch` (a `$` of `match` also matches before a trailing newline) and in
# ASCII digits (`\d` takes any Unicode digit): anything else in a Principal designates nobody.
ACCOUNT_RE = re.compile(r"[0-9]{12}")
IAM_ARN_RE = re.compile(r"arn:(aws[a-zA-Z-]*):(iam|sts)::([0-9]{12}):(.+)")
_GLOB_CHARS = frozenset("*?")


class Tri(Enum):
    """Three-valued match: the element applies, does not, or may."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass
class Match:
    """A match and, when MAYBE (or a telling NO), why."""

    state: Tri
    note: str = ""


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{rx}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM-style glob: `*` any run of characters, `?` one character."""
    return _glob(pattern, ignore_case).match(value) is not None


def has_glob(text: str) -> bool:
    """True if `text` has a `*` or `?`."""
    return "*" in text or "?" in text


def arn_match(pattern: str, value: str) -> bool:
    """`ArnLike`/`ArnEquals`: each of the six colon-separated parts is globbed on its own (the
    last part keeps the rest of the ARN, colons included), so `*` never crosses a colon of the
    first five parts: `arn:*:root` does not match `arn:aws:iam::111111111111:root`."""
    pp, vp = pattern.split(":", 5), value.split(":", 5)
    if len(pp) != 6 or len(vp) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(pp, vp, strict=True))


@lru_cache(maxsize=1024)
def glob_includes(pattern: str, shape: str) -> bool:
    """True if every string the glob `shape` stands for matches `pattern` (sufficient test: the
    wildcards of `shape` may only be absorbed by `*`s of `pattern`)."""
    rx = "".join(".*" if c == "*" else "[^\x00]" if c == "?" else re.escape(c) for c in pattern)
    probe = "".join("\x00" if c in _GLOB_CHARS else c for c in shape)
    return re.fullmatch(rx, probe, re.DOTALL) is not None


@lru_cache(maxsize=1024)
def glob_may_overlap(pattern: str, shape: str) -> bool:
    """False only when no string can match both globs (their literal ends disagree)."""
    if not has_glob(pattern):
        return wildcard_match(shape, pattern)

    def head(s: str) -> str:
        return s[: next((i for i, c in enumerate(s) if c in _GLOB_CHARS), len(s))]

    def tail(s: str) -> str:
        return head(s[::-1])[::-1]

    a, b = head(pattern), head(shape)
    if not (a.startswith(b) or b.startswith(a)):
        return False
    a, b = tail(pattern), tail(shape)
    return a.endswith(b) or b.endswith(a)


def arn_includes(pattern: str, shape: str) -> bool:
    """Every ARN of `shape` matches the ARN pattern (part by part)."""
    pp, sp = pattern.split(":", 5), shape.split(":", 5)
    if len(pp) != 6 or len(sp) != 6:
        return False
    return all(glob_includes(p, s) for p, s in zip(pp, sp, strict=True))


def arn_may_overlap(pattern: str, shape: str) -> bool:
    """Some ARN of `shape` may match the ARN pattern (part by part)."""
    pp, sp = pattern.split(":", 5), shape.split(":", 5)
    if len(pp) != 6 or len(sp) != 6:
        return False
    return all(glob_may_overlap(p, s) for p, s in zip(pp, sp, strict=True))


# --------------------------------------------------------------------------------------------
# Principals


def _principal_entry(entry: str, account: str, arn: str | None, partition: str | None) -> Match:
    """Does one AWS principal entry designate the caller?"""
    if entry == "*":
        return Match(Tri.YES)
    if ACCOUNT_RE.fullmatch(entry):
        return Match(Tri.YES if entry == account else Tri.NO)
    m = IAM_ARN_RE.fullmatch(entry)
    if not m:
        return Match(Tri.NO)
    entry_partition, entry_account, rest = m.group(1), m.group(3), m.group(4)
    if entry_account != account or (partition is not None and entry_partition != partition):
        return Match(Tri.NO)
    if rest == "root":
        return Match(Tri.YES)
    if arn is not None:
        return Match(Tri.YES if arn == entry else Tri.NO)
    return Match(Tri.MAYBE, f"grants only {entry}, not the account {account}")


def principal_applies(st: Statement, account: str, arn: str | None, partition: str | None) -> Match:
    """Does the statement's `Principal`/`NotPrincipal` designate the caller (the account, or the
    principal `arn` of it)? MAYBE when it names only some principals of the account."""
    if st.principal is not None:
        if "*" in st.principal:
            return Match(Tri.YES)
        some = []  # principals of the account named one by one: the reason names them all
        for entry in st.principal.get("AWS", []):
            m = _principal_entry(entry, account, arn, partition)
            if m.state is Tri.YES:
                return m
            if m.state is Tri.MAYBE:
                some.append(entry)
        if some:
            return Match(Tri.MAYBE, f"grants only {' and '.join(some)}, not the account {account}")
        return Match(Tri.NO)
    # NotPrincipal: the statement applies to everyone except the listed principals.
    assert st.not_principal is not None
    if "*" in st.not_principal or "*" in st.not_principal.get("AWS", []):
        return Match(Tri.NO)
    for entry in st.not_principal.get("AWS", []):
        if ACCOUNT_RE.fullmatch(entry):
            entry = f"arn:{partition or 'aws'}:iam::{entry}:root"
        parts = IAM_ARN_RE.fullmatch(entry)
        if not parts or parts.group(3) != account:
            continue
        if partition is not None and parts.group(1) != partition:
            continue
        if arn is not None and arn == entry:
            return Match(Tri.NO)
        if arn is None and parts.group(4) == "root":
            return Match(
                Tri.MAYBE,
                f"NotPrincipal excludes {entry} but not the other principals of {account}",
            )
        if arn is None:
            return Match(Tri.MAYBE, f"NotPrincipal excludes {entry} of {account}")
    return Match(Tri.YES)


# --------------------------------------------------------------------------------------------
# Actions


def action_applies(st: Statement, action: str) -> bool:
    """Does `Action`/`NotAction` cover `action` (globs, case-insensitive)?"""
    if st.action is not None:
        return any(wildcard_match(p, action, ignore_case=True) for p in st.action)
    assert st.not_action is not None
    return not any(wildcard_match(p, action, ignore_case=True) for p in st.not_action)


def wildcard_route(st: Statement, action: str) -> str | None:
    """How `st` covers `action` when it does not name it literally: the wildcard or NotAction."""
    if st.not_action is not None:
        return f"NotAction {', '.join(repr(a) for a in st.not_action)}"
    assert st.action is not None
    if any(a.lower() == action.lower() for a in st.action):
        return None
    hits = [a for a in st.action if wildcard_match(a, action, ignore_case=True)]
    return f"the wildcard action {hits[0]!r}"


# --------------------------------------------------------------------------------------------
# Resources


def _resource_covers(pattern: str, resource: str, self_resource: bool) -> Tri:
    if not has_glob(resource):
        return Tri.YES if wildcard_match(pattern, resource) else Tri.NO
    # `resource` stands for one ARN among those it matches, which one unknown.
    if glob_includes(pattern, resource):
        return Tri.YES
    if not glob_may_overlap(pattern, resource):
        return Tri.NO
    # A key policy governs its own key only: a pattern that may be its ARN is its ARN.
    return Tri.YES if self_resource else Tri.MAYBE


def resource_applies(
    st: Statement,
    resource: str,
    resolve: Callable[[str], str | None],
    *,
    self_resource: bool = False,
) -> Match:
    """Does `Resource`/`NotResource` cover `resource` (an ARN, or the glob of its shape)?
    `resolve(text) -> str | None` substitutes policy variables (None: not decidable here)."""
    negated = st.resource is None
    patterns = st.not_resource if negated else st.resource
    if patterns is None:
        return Match(Tri.YES)
    hits: list[str] = []
    maybes: list[str] = []
    for raw in patterns:
        pattern = resolve(raw)
        state = Tri.MAYBE if pattern is None else _resource_covers(pattern, resource, self_resource)
        if state is Tri.YES:
            hits.append(raw)
        elif state is Tri.MAYBE:
            maybes.append(raw)
    if not negated:
        if hits:
            return Match(Tri.YES)
        if maybes:
            return Match(
                Tri.MAYBE, f"its Resource {', '.join(maybes)} may not cover {_what(resource)}"
            )
        return Match(Tri.NO)
    if hits:
        return Match(Tri.NO)
    if maybes:
        return Match(
            Tri.MAYBE, f"its NotResource {', '.join(maybes)} may exclude {_what(resource)}"
        )
    return Match(Tri.YES)


def _what(resource: str) -> str:
    if resource == "*":
        return "the resource (its ARN is not known here)"
    if has_glob(resource):
        return f"the resource (one of {resource}, its ARN is not known here)"
    return resource
