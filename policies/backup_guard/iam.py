"""A small, Pulumi-free evaluator of IAM *resource* policies (vault access policies, key policies).

It answers one question the way IAM would: "does this resource policy let that principal perform
that action on that resource?" -- and says which statement decided and why, so that a policy
violation can name it.

API (shared by the policy pack and `tools/verify`):

- `parse_policy(doc) -> PolicyDocument`: accepts a JSON string or a mapping; raises
  `PolicyDocumentError` (a `ValueError`) with a message a user can act on when the document is not
  JSON, not a policy, has a bad `Effect`, lacks `Action`/`NotAction`, `Principal`/`NotPrincipal`...
- `evaluate(policy, *, principal_account, action, resource="*", principal_arn=None, context=None,
  org_id=None, partition=None, literal_actions_only=False) -> Decision` with `Decision.verdict`
  one of `allowed`, `explicit-deny`, `implicit-deny`, `uncertain`.
- `wildcard_principal_statements(doc)`, `actions_with_wildcards(doc)`: the shapes the pack's
  rules reject outright.

Semantics, and the decisions taken where IAM leaves room:

- Statement as an object or a list; `Principal` as `"*"`, `{"AWS": str | list}` (a 12-digit
  account id, an account root ARN `arn:aws:iam::ACCOUNT:root`, a role/user/assumed-role ARN),
  `{"Service": ...}` / `{"Federated": ...}` / `{"CanonicalUser": ...}`; `NotPrincipal`. A bare
  string other than `"*"` is a `PolicyDocumentError` (IAM: MalformedPolicyDocument).
- **Account-level question** (no `principal_arn`): a grant to `"*"`, to the bare account id or to
  the account root ARN lets the account in (IAM then delegates to the account's own policies). A
  grant to one *specific* role or user of the account is **not** proof that the account is let in:
  whoever calls (e.g. the AWS Backup role of the source account) may be another principal. Such a
  statement does not allow; the reason says "grants only <arn>, not the account". With
  `principal_arn` given, that exact ARN (or its account) matches.
  A `Deny` naming a specific principal of the account, asked at account level, *may* apply
  (verdict `uncertain`). A `Deny` with `NotPrincipal` that excludes only the account root may still
  apply to the account's roles (AWS: the roles must be listed too): `uncertain`. A principal ARN
  of another partition (`arn:aws-cn:...`) never matches when the caller's partition is known.
- Service principals never match an account.
- `Action`/`NotAction`: `*` and `?` wildcards, case-insensitive. `Resource`/`NotResource`:
  wildcards, case-sensitive, matched against `resource`. When `resource` is itself a glob (the
  ARN is not known, only its shape, e.g. `arn:aws:kms:eu-west-1:222222222222:key/*`; `"*"`: no
  shape at all), a `Resource` covers it only if it matches every ARN of that shape, a
  `NotResource` excludes it only if it matches every one; a pattern that may match some of them
  makes an `Allow` not proof and a `Deny` possible (`uncertain`, the reason names the pattern).
- Explicit `Deny` beats any `Allow`.
- Conditions: all operators and keys ANDed, the values of one key ORed. Evaluated keys:
  `aws:PrincipalAccount` and `kms:CallerAccount` (= `principal_account`), `aws:PrincipalArn`
  (when `principal_arn` is given; otherwise present with an unknown value), `aws:PrincipalOrgID`
  (when `org_id` is given), and any key in `context` (case-insensitive); a `context` key mapped to
  `None` is *known absent*. Operators: String*, Arn* (each of the six ARN parts globbed
  separately), Bool, Null, Numeric*, with `ForAnyValue:`, `ForAllValues:` and `...IfExists`.
  A known-absent key makes a condition false, except `...IfExists`, `ForAllValues:` and the
  negated operators (true) and `Null` (true for `"true"`). Policy variables (`${aws:...}`,
  Version 2012-10-17) are substituted from the known keys. Any other key, operator or variable is
  *unevaluable*: an `Allow` under it is not proof (`uncertain`) and a `Deny` under it may apply
  (`uncertain` when something else allows), and the reason names the condition key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Literal

__all__ = [
    "Decision",
    "PolicyDocument",
    "PolicyDocumentError",
    "Statement",
    "actions_with_wildcards",
    "evaluate",
    "parse_policy",
    "wildcard_principal_statements",
]

Verdict = Literal["allowed", "explicit-deny", "implicit-deny", "uncertain"]

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_IAM_ARN_RE = re.compile(r"^arn:(aws[a-zA-Z-]*):(iam|sts)::(\d{12}):(.+)$")
_ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
_GLOB_CHARS = frozenset("*?")

# Condition keys that tie a statement to an account or an organization: a wildcard principal
# restricted by one of these (with a positive operator) is not "anyone".
RESTRICTING_CONDITION_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceArn",
        "kms:CallerAccount",
    )
)


class PolicyDocumentError(ValueError):
    """The document is not a usable IAM policy; `str()` says what is wrong and where."""


@dataclass(frozen=True)
class Statement:
    """One normalized statement. Lists are always lists; absent elements are `None`."""

    label: str  # the Sid, or "Statement[i]"
    effect: Literal["Allow", "Deny"]
    principal: Mapping[str, list[str]] | None  # {"AWS": [...], "Service": [...]} or {"*": ["*"]}
    not_principal: Mapping[str, list[str]] | None
    action: list[str] | None
    not_action: list[str] | None
    resource: list[str] | None
    not_resource: list[str] | None
    condition: Mapping[str, Mapping[str, list[str]]]


@dataclass(frozen=True)
class PolicyDocument:
    """A parsed policy: its statements in document order."""

    statements: tuple[Statement, ...]
    version: str | None = None


@dataclass(frozen=True)
class Decision:
    """What IAM would decide, and why."""

    allowed: bool
    verdict: Verdict
    statement: str | None  # Sid or "Statement[i]" of the deciding statement
    reason: str  # a human sentence


# --------------------------------------------------------------------------------------------
# Parsing


def _as_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        out = []
        for item in value:
            if not isinstance(item, str):
                raise PolicyDocumentError(f"{where}: expected strings, got {item!r}")
            out.append(item)
        if not out:
            raise PolicyDocumentError(f"{where}: empty list")
        return out
    raise PolicyDocumentError(f"{where}: expected a string or a list of strings, got {value!r}")


def _parse_principal(value: Any, where: str) -> dict[str, list[str]]:
    if value == "*":
        return {"*": ["*"]}
    if isinstance(value, str):
        # IAM accepts only "*" as a bare string (MalformedPolicyDocument otherwise).
        raise PolicyDocumentError(
            f'{where}: a bare string principal must be "*", got {value!r} (IAM rejects it as '
            f'MalformedPolicyDocument); write {{"AWS": {json.dumps(value)}}}'
        )
    if not isinstance(value, Mapping) or not value:
        raise PolicyDocumentError(
            f'{where}: expected "*" or an object such as '
            f'{{"AWS": "arn:aws:iam::111111111111:root"}}, got {value!r}'
        )
    out: dict[str, list[str]] = {}
    for kind, ids in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyDocumentError(
                f"{where}: unknown principal type {kind!r} (AWS, Service, Federated, CanonicalUser)"
            )
        out[kind] = _as_list(ids, f"{where}.{kind}")
    return out


def _parse_condition(value: Any, where: str) -> dict[str, dict[str, list[str]]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyDocumentError(f"{where}: expected an object {{operator: {{key: values}}}}")
    out: dict[str, dict[str, list[str]]] = {}
    for op, block in value.items():
        if not isinstance(block, Mapping) or not block:
            raise PolicyDocumentError(f"{where}.{op}: expected an object {{key: values}}")
        keys: dict[str, list[str]] = {}
        for key, vals in block.items():
            if isinstance(vals, bool | int | float):
                vals = [str(vals).lower() if isinstance(vals, bool) else str(vals)]
            elif isinstance(vals, Sequence) and not isinstance(vals, str):
                vals = [str(v).lower() if isinstance(v, bool) else str(v) for v in vals]
            keys[str(key)] = _as_list(vals, f"{where}.{op}.{key}")
        out[str(op)] = keys
    return out


def parse_policy(doc: str | Mapping[str, Any]) -> PolicyDocument:
    """Parse and normalize a policy document; raise `PolicyDocumentError` if it is not one."""
    if isinstance(doc, PolicyDocument):
        return doc
    if isinstance(doc, str | bytes):
        try:
            data = json.loads(doc)
        except ValueError as e:
            raise PolicyDocumentError(f"policy is not valid JSON: {e}") from None
    else:
        data = doc
    if not isinstance(data, Mapping):
        raise PolicyDocumentError(
            f"policy must be a JSON object with a Statement, got {type(data).__name__}"
        )
    if "Statement" not in data:
        raise PolicyDocumentError("policy has no Statement")
    raw = data["Statement"]
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise PolicyDocumentError("Statement must be an object or a non-empty list of objects")
    statements = []
    for i, st in enumerate(raw):
        where = f"Statement[{i}]"
        if not isinstance(st, Mapping):
            raise PolicyDocumentError(f"{where} must be an object, got {st!r}")
        sid = st.get("Sid")
        label = sid if isinstance(sid, str) and sid else where
        if sid:
            where = f"statement '{sid}'"
        effect = st.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyDocumentError(f'{where}: Effect must be "Allow" or "Deny", got {effect!r}')
        for a, b in (("Action", "NotAction"), ("Resource", "NotResource")):
            if a in st and b in st:
                raise PolicyDocumentError(f"{where}: has both {a} and {b}")
        if "Principal" in st and "NotPrincipal" in st:
            raise PolicyDocumentError(f"{where}: has both Principal and NotPrincipal")
        if "Action" not in st and "NotAction" not in st:
            raise PolicyDocumentError(f"{where}: missing Action (or NotAction)")
        if "Principal" not in st and "NotPrincipal" not in st:
            raise PolicyDocumentError(
                f"{where}: missing Principal (or NotPrincipal), required in a resource policy"
            )
        statements.append(
            Statement(
                label=label,
                effect=effect,
                principal=_parse_principal(st["Principal"], f"{where}.Principal")
                if "Principal" in st
                else None,
                not_principal=_parse_principal(st["NotPrincipal"], f"{where}.NotPrincipal")
                if "NotPrincipal" in st
                else None,
                action=_as_list(st["Action"], f"{where}.Action") if "Action" in st else None,
                not_action=_as_list(st["NotAction"], f"{where}.NotAction")
                if "NotAction" in st
                else None,
                resource=_as_list(st["Resource"], f"{where}.Resource")
                if "Resource" in st
                else None,
                not_resource=_as_list(st["NotResource"], f"{where}.NotResource")
                if "NotResource" in st
                else None,
                condition=_parse_condition(st.get("Condition"), f"{where}.Condition"),
            )
        )
    version = data.get("Version")
    return PolicyDocument(tuple(statements), version if isinstance(version, str) else None)


# --------------------------------------------------------------------------------------------
# Matching helpers


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{rx}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM-style glob: `*` any run of characters, `?` one character."""
    return _glob(pattern, ignore_case).match(value) is not None


def _has_glob(text: str) -> bool:
    return any(c in _GLOB_CHARS for c in text)


def arn_match(pattern: str, value: str) -> bool:
    """`ArnLike`/`ArnEquals`: each of the six colon-separated parts is globbed on its own (the
    last part keeps the rest of the ARN, colons included), so `*` never crosses a colon of the
    first five parts: `arn:*:root` does not match `arn:aws:iam::111111111111:root`."""
    pp, vp = pattern.split(":", 5), value.split(":", 5)
    if len(pp) != 6 or len(vp) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(pp, vp, strict=True))


def _glob_includes(pattern: str, shape: str) -> bool:
    """True if every string the glob `shape` stands for matches `pattern` (sufficient test: the
    wildcards of `shape` may only be absorbed by `*`s of `pattern`)."""
    rx = "".join(".*" if c == "*" else "[^\x00]" if c == "?" else re.escape(c) for c in pattern)
    probe = "".join("\x00" if c in _GLOB_CHARS else c for c in shape)
    return re.fullmatch(rx, probe, re.DOTALL) is not None


def _glob_may_overlap(pattern: str, shape: str) -> bool:
    """False only when no string can match both globs (their literal ends disagree)."""
    if not _has_glob(pattern):
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


class _Tri(Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass
class _Match:
    state: _Tri
    note: str = ""  # why MAYBE (or why a near miss / why NO), for the reason
    keys: list[str] = field(default_factory=list)  # unevaluable condition keys


@dataclass(frozen=True)
class _Ctx:
    """The request context as far as it is known.

    `values`: keys present with known values (lower-case keys); `absent`: keys known to be absent
    from the request; `present`: keys present whose value is not known (e.g. `aws:PrincipalArn`
    at account level). Any other key is unknown: present or not, any value.
    """

    values: Mapping[str, list[str]]
    absent: frozenset[str]
    present: frozenset[str]
    variables: bool  # policy variables are only substituted in Version 2012-10-17

    def state(self, key: str) -> Literal["known", "absent", "present", "unknown"]:
        k = key.lower()
        if k in self.values:
            return "known"
        if k in self.absent:
            return "absent"
        if k in self.present:
            return "present"
        return "unknown"


def _resolve(text: str, ctx: _Ctx) -> str | None:
    """Substitute policy variables (`${aws:PrincipalAccount}`, `${$}`, `${key, 'default'}`) from
    the context; None when one can't be resolved here (the caller treats that as unknown)."""
    if not ctx.variables or "${" not in text:
        return text
    out: list[str] = []
    pos = 0
    for m in _VARIABLE_RE.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        name, _, default = (part.strip() for part in m.group(1).partition(","))
        if name == "$":
            out.append("$")
            continue
        values = ctx.values.get(name.lower())
        if values is not None and len(values) == 1:
            out.append(values[0])
        elif ctx.state(name) == "absent" and len(default) >= 2 and default[0] == default[-1] == "'":
            out.append(default[1:-1])
        else:
            # Unknown or multi-valued key, or ${*}/${?} (a literal wildcard character, which
            # a glob here can't express): not decidable here.
            return None
    out.append(text[pos:])
    return "".join(out)


def _principal_entry(entry: str, account: str, arn: str | None, partition: str | None) -> _Match:
    """Does one AWS principal entry designate the caller?"""
    if entry == "*":
        return _Match(_Tri.YES)
    if _ACCOUNT_RE.match(entry):
        return _Match(_Tri.YES if entry == account else _Tri.NO)
    m = _IAM_ARN_RE.match(entry)
    if not m:
        return _Match(_Tri.NO)
    entry_partition, entry_account, rest = m.group(1), m.group(3), m.group(4)
    if entry_account != account or (partition is not None and entry_partition != partition):
        return _Match(_Tri.NO)
    if rest == "root":
        return _Match(_Tri.YES)
    if arn is not None:
        return _Match(_Tri.YES if arn == entry else _Tri.NO)
    return _Match(_Tri.MAYBE, f"grants only {entry}, not the account {account}")


def _principal_applies(
    st: Statement, account: str, arn: str | None, partition: str | None
) -> _Match:
    if st.principal is not None:
        if "*" in st.principal:
            return _Match(_Tri.YES)
        best = _Match(_Tri.NO)
        for entry in st.principal.get("AWS", []):
            m = _principal_entry(entry, account, arn, partition)
            if m.state is _Tri.YES:
                return m
            if m.state is _Tri.MAYBE:
                best = m
        return best
    # NotPrincipal: the statement applies to everyone except the listed principals.
    assert st.not_principal is not None
    if "*" in st.not_principal or "*" in st.not_principal.get("AWS", []):
        return _Match(_Tri.NO)
    for entry in st.not_principal.get("AWS", []):
        if _ACCOUNT_RE.match(entry):
            entry = f"arn:{partition or 'aws'}:iam::{entry}:root"
        m = _IAM_ARN_RE.match(entry)
        if not m or m.group(3) != account:
            continue
        if partition is not None and m.group(1) != partition:
            continue
        if arn is not None and arn == entry:
            return _Match(_Tri.NO)
        if arn is None and m.group(4) == "root":
            return _Match(
                _Tri.MAYBE,
                f"NotPrincipal excludes {entry} but not the other principals of {account}",
            )
        if arn is None:
            return _Match(_Tri.MAYBE, f"NotPrincipal excludes {entry} of {account}")
    return _Match(_Tri.YES)


def _action_applies(st: Statement, action: str) -> bool:
    if st.action is not None:
        return any(wildcard_match(p, action, ignore_case=True) for p in st.action)
    assert st.not_action is not None
    return not any(wildcard_match(p, action, ignore_case=True) for p in st.not_action)


def _wildcard_route(st: Statement, action: str) -> str | None:
    """How `st` covers `action` when it does not name it literally: the wildcard or NotAction."""
    if st.not_action is not None:
        return f"NotAction {', '.join(repr(a) for a in st.not_action)}"
    assert st.action is not None
    if any(a.lower() == action.lower() for a in st.action):
        return None
    hits = [a for a in st.action if wildcard_match(a, action, ignore_case=True)]
    return f"the wildcard action {hits[0]!r}"


def _resource_covers(pattern: str, resource: str) -> _Tri:
    if not _has_glob(resource):
        return _Tri.YES if wildcard_match(pattern, resource) else _Tri.NO
    # `resource` stands for one ARN among those it matches, which one unknown.
    if _glob_includes(pattern, resource):
        return _Tri.YES
    return _Tri.MAYBE if _glob_may_overlap(pattern, resource) else _Tri.NO


def _resource_applies(st: Statement, resource: str, ctx: _Ctx) -> _Match:
    negated = st.resource is None
    patterns = st.not_resource if negated else st.resource
    if patterns is None:
        return _Match(_Tri.YES)
    hits: list[str] = []
    maybes: list[str] = []
    for raw in patterns:
        pattern = _resolve(raw, ctx)
        state = _Tri.MAYBE if pattern is None else _resource_covers(pattern, resource)
        if state is _Tri.YES:
            hits.append(raw)
        elif state is _Tri.MAYBE:
            maybes.append(raw)
    if resource == "*":
        what = "the resource (its ARN is not known here)"
    elif _has_glob(resource):
        what = f"the resource (one of {resource}, its ARN is not known here)"
    else:
        what = resource
    listed = ", ".join(maybes)
    if not negated:
        if hits:
            return _Match(_Tri.YES)
        if maybes:
            return _Match(_Tri.MAYBE, f"its Resource {listed} may not cover {what}")
        return _Match(_Tri.NO)
    if hits:
        return _Match(_Tri.NO)
    if maybes:
        return _Match(_Tri.MAYBE, f"its NotResource {listed} may exclude {what}")
    return _Match(_Tri.YES)


# --------------------------------------------------------------------------------------------
# Conditions

_STRING_OPS = {
    "stringequals",
    "stringnotequals",
    "stringequalsignorecase",
    "stringnotequalsignorecase",
    "stringlike",
    "stringnotlike",
    "arnequals",
    "arnlike",
    "arnnotequals",
    "arnnotlike",
    "bool",
    "numericequals",
    "numericnotequals",
    "numericlessthan",
    "numericlessthanequals",
    "numericgreaterthan",
    "numericgreaterthanequals",
}
_NEGATED = {
    "stringnotequals",
    "stringnotequalsignorecase",
    "stringnotlike",
    "arnnotequals",
    "arnnotlike",
    "numericnotequals",
}


def _compare(op: str, value: str, pattern: str) -> bool | None:
    """Positive form of `op` (negations are handled by the caller); None if not comparable."""
    if op in ("arnequals", "arnnotequals", "arnlike", "arnnotlike"):
        return arn_match(pattern, value)
    if op in ("stringequals", "stringnotequals"):
        return value == pattern
    if op in ("stringequalsignorecase", "stringnotequalsignorecase"):
        return value.lower() == pattern.lower()
    if op in ("stringlike", "stringnotlike"):
        return wildcard_match(pattern, value)
    if op == "bool":
        return value.lower() == pattern.lower()
    try:
        a, b = float(value), float(pattern)
    except ValueError:
        return None
    return {
        "numericequals": a == b,
        "numericnotequals": a == b,
        "numericlessthan": a < b,
        "numericlessthanequals": a <= b,
        "numericgreaterthan": a > b,
        "numericgreaterthanequals": a >= b,
    }.get(op)


def _absent_key_result(op: str, qualifier: str | None, if_exists: bool) -> bool:
    """The value of a condition whose key is known to be absent from the request (IAM: a
    missing key makes a condition false, except `...IfExists`, `ForAllValues:` and the
    negated operators, which are true)."""
    if qualifier == "forallvalues" or if_exists:
        return True
    if qualifier == "foranyvalue":
        return False
    return op in _NEGATED


def _eval_condition(condition: Mapping[str, Mapping[str, list[str]]], ctx: _Ctx) -> _Match:
    unknown: list[str] = []
    for raw_op, block in condition.items():
        op = raw_op.lower()
        qualifier = None
        if ":" in op:
            qualifier, op = op.split(":", 1)
            if qualifier not in ("foranyvalue", "forallvalues"):
                unknown.extend(block.keys())
                continue
        if_exists = op.endswith("ifexists")
        if if_exists:
            op = op[: -len("ifexists")]
        for key, patterns in block.items():
            state = ctx.state(key)
            if op == "null":
                if state == "unknown":
                    unknown.append(key)
                    continue
                want_absent = patterns[0].lower() == "true"
                if want_absent != (state == "absent"):
                    found = "absent from" if state == "absent" else "present in"
                    return _Match(
                        _Tri.NO, f"condition Null {key} is false: the key is {found} the request"
                    )
                continue
            if op not in _STRING_OPS:
                unknown.append(key)
                continue
            if state == "absent":
                if _absent_key_result(op, qualifier, if_exists):
                    continue
                return _Match(
                    _Tri.NO,
                    f"condition {raw_op} {key} is false: the key is absent from the request",
                )
            if state != "known":
                unknown.append(key)
                continue
            resolved = [_resolve(p, ctx) for p in patterns]
            if any(p is None for p in resolved):
                unknown.append(key)
                continue
            values = ctx.values[key.lower()]
            negated = op in _NEGATED
            results: list[bool] = []
            for v in values:
                hits = [_compare(op, v, p) for p in resolved if p is not None]
                if any(h is None for h in hits):
                    unknown.append(key)
                    break
                hit = any(hits)
                results.append(not hit if negated else hit)
            else:
                # ForAllValues: every request value must match; otherwise (single-valued keys and
                # ForAnyValue) one is enough.
                ok = all(results) if qualifier == "forallvalues" else any(results)
                if not ok:
                    return _Match(
                        _Tri.NO, f"condition {raw_op} {key} is false for {', '.join(values)}"
                    )
    if unknown:
        return _Match(_Tri.MAYBE, keys=sorted(set(unknown)))
    return _Match(_Tri.YES)


def _context(
    principal_account: str,
    principal_arn: str | None,
    org_id: str | None,
    extra: Mapping[str, str | Sequence[str] | None] | None,
    variables: bool,
) -> _Ctx:
    values: dict[str, list[str]] = {
        "aws:principalaccount": [principal_account],
        "kms:calleraccount": [principal_account],
    }
    present: set[str] = set()
    absent: set[str] = set()
    if principal_arn is not None:
        values["aws:principalarn"] = [principal_arn]
    else:
        present.add("aws:principalarn")  # every authenticated caller has one
    if org_id is not None:
        values["aws:principalorgid"] = [org_id]
    for k, v in (extra or {}).items():
        key = k.lower()
        vals = [] if v is None else [v] if isinstance(v, str) else [str(x) for x in v]
        if vals:
            values[key] = vals
            absent.discard(key)
        else:
            values.pop(key, None)
            absent.add(key)
    return _Ctx(values, frozenset(absent), frozenset(present - set(values) - absent), variables)


# --------------------------------------------------------------------------------------------
# Evaluation


def _q(label: str) -> str:
    return f"'{label}'"


def _partition_of(arn: str | None) -> str | None:
    if arn and arn.startswith("arn:"):
        part = arn.split(":")[1]
        return part if part and not _has_glob(part) else None
    return None


WILDCARD_VAULT_ACTION_NOTE = (
    "doesn't count: AWS Backup vault access policies don't support a wildcard in the Action key "
    "(nor NotAction), so AWS rejects the policy"
)


def evaluate(
    policy: PolicyDocument | str | Mapping[str, Any],
    *,
    principal_account: str,
    action: str,
    resource: str = "*",
    principal_arn: str | None = None,
    context: Mapping[str, str | Sequence[str] | None] | None = None,
    org_id: str | None = None,
    partition: str | None = None,
    literal_actions_only: bool = False,
) -> Decision:
    """Decide whether `policy` lets `principal_account` (or `principal_arn`) do `action`.

    `resource`: the ARN the policy is judged for; a glob (e.g. `arn:aws:kms:R:A:key/*`) when
    only its shape is known, `"*"` when nothing is. `context`: request keys and their values; a
    key mapped to `None` (or `[]`) is known to be *absent* from the request. `partition`: the
    caller's partition (`aws`, `aws-cn`, ...), taken from `principal_arn` when not given.
    `literal_actions_only`: an `Allow` counts only when it names `action` literally (AWS Backup
    vault access policies reject wildcard actions and `NotAction`).

    Raises `PolicyDocumentError` when `policy` is not a policy (callers report it as a violation).
    """
    doc = parse_policy(policy)
    ctx = _context(
        principal_account, principal_arn, org_id, context, variables=doc.version == "2012-10-17"
    )
    partition = partition or _partition_of(principal_arn)
    who = principal_arn or principal_account

    allows: list[str] = []
    maybe_allows: list[tuple[str, str, bool]] = []  # (label, why, only a condition is unknown)
    near_misses: list[tuple[str, str]] = []
    maybe_denies: list[tuple[str, str]] = []

    for st in doc.statements:
        if not _action_applies(st, action):
            continue
        rm = _resource_applies(st, resource, ctx)
        if rm.state is _Tri.NO:
            continue
        pm = _principal_applies(st, principal_account, principal_arn, partition)
        if pm.state is _Tri.NO:
            continue
        cm = _eval_condition(st.condition, ctx)
        if cm.state is _Tri.NO:
            continue
        if literal_actions_only and st.effect == "Allow":
            route = _wildcard_route(st, action)
            if route is not None:
                near_misses.append(
                    (
                        st.label,
                        f"covers {action} only through {route}, which {WILDCARD_VAULT_ACTION_NOTE}",
                    )
                )
                continue
        uncertain_bits = []
        if pm.state is _Tri.MAYBE:
            uncertain_bits.append(pm.note)
        if rm.state is _Tri.MAYBE:
            uncertain_bits.append(rm.note)
        if cm.state is _Tri.MAYBE:
            keys = ", ".join(cm.keys)
            uncertain_bits.append(f"its condition on {keys} can't be evaluated here")
        if st.effect == "Deny":
            if not uncertain_bits:
                return Decision(
                    False,
                    "explicit-deny",
                    st.label,
                    f"statement {_q(st.label)} denies {action} to {who}",
                )
            maybe_denies.append((st.label, "; ".join(uncertain_bits)))
        elif not uncertain_bits:
            allows.append(st.label)
        elif pm.state is _Tri.MAYBE and cm.state is not _Tri.MAYBE and rm.state is not _Tri.MAYBE:
            near_misses.append((st.label, pm.note))
        else:
            only_condition = pm.state is not _Tri.MAYBE and rm.state is not _Tri.MAYBE
            maybe_allows.append((st.label, "; ".join(uncertain_bits), only_condition))

    if maybe_denies and (allows or maybe_allows):
        label, why = maybe_denies[0]
        return Decision(
            False,
            "uncertain",
            label,
            f"statement {_q(label)} may deny {action} to {who}: {why}",
        )
    if allows:
        return Decision(
            True, "allowed", allows[0], f"statement {_q(allows[0])} allows {action} to {who}"
        )
    if maybe_allows:
        label, why, only_condition = maybe_allows[0]
        how = (
            "allows {} to {} only under a condition" if only_condition else "may not allow {} to {}"
        )
        return Decision(
            False,
            "uncertain",
            label,
            f"statement {_q(label)} {how.format(action, who)}: {why}",
        )
    if near_misses:
        label, why = near_misses[0]
        return Decision(
            False,
            "implicit-deny",
            label,
            f"no statement allows {action} to {who}: statement {_q(label)} {why}",
        )
    return Decision(False, "implicit-deny", None, f"no statement allows {action} to {who}")


# --------------------------------------------------------------------------------------------
# Shape checks

_ACCOUNT_VALUE_KEYS = frozenset(
    k.lower() for k in ("aws:PrincipalAccount", "aws:SourceAccount", "kms:CallerAccount")
)
_ORG_VALUE_KEYS = frozenset(k.lower() for k in ("aws:PrincipalOrgID", "aws:SourceOrgID"))
_ORG_PATH_KEYS = frozenset(k.lower() for k in ("aws:PrincipalOrgPaths", "aws:SourceOrgPaths"))
_ARN_VALUE_KEYS = frozenset(k.lower() for k in ("aws:PrincipalArn", "aws:SourceArn"))


def _restricting_value(key: str, value: str) -> bool:
    """Does `value` (of a positive condition on `key`) name one account or organization
    literally? Wildcards elsewhere are fine (`arn:aws:iam::111111111111:role/*`,
    `o-abcdefghij/*`); in the account or org id part they are not (`arn:aws:iam::*`,
    `????????????`); a policy variable (`${aws:PrincipalAccount}`) matches everyone."""
    if "${" in value:
        return False
    if key in _ACCOUNT_VALUE_KEYS:
        return _ACCOUNT_RE.match(value) is not None
    if key in _ORG_VALUE_KEYS:
        return _ORG_RE.match(value) is not None
    if key in _ORG_PATH_KEYS:
        return _ORG_RE.match(value.split("/", 1)[0]) is not None
    if key in _ARN_VALUE_KEYS:
        parts = value.split(":", 5)
        return len(parts) == 6 and _ACCOUNT_RE.match(parts[4]) is not None
    return False


def _restricting_condition(condition: Mapping[str, Mapping[str, list[str]]]) -> bool:
    """True if a positive condition ties the statement to accounts / an organization."""
    for raw_op, block in condition.items():
        parts = raw_op.lower().split(":")
        qualifier, op = (parts[0], parts[-1]) if len(parts) > 1 else (None, parts[0])
        if qualifier == "forallvalues":
            continue  # true when the key is absent: no restriction for callers without it
        if op.endswith("ifexists"):
            continue  # absent key = condition true: no restriction for callers without it
        if op not in (
            "stringequals",
            "stringequalsignorecase",
            "stringlike",
            "arnequals",
            "arnlike",
        ):
            continue
        for key, values in block.items():
            k = key.lower()
            if k in RESTRICTING_CONDITION_KEYS and all(_restricting_value(k, v) for v in values):
                return True
    return False


def wildcard_principal_statements(doc: PolicyDocument | str | Mapping[str, Any]) -> list[str]:
    """Labels of `Allow` statements open to any principal without an account/org condition.

    Wildcard forms: `"*"`, `{"AWS": "*"}`, and `NotPrincipal` (everyone but the listed ones).
    A `Deny` to `*` is never "open": it takes rights away.
    """
    parsed = parse_policy(doc)
    out = []
    for st in parsed.statements:
        if st.effect != "Allow":
            continue
        wildcard = st.not_principal is not None or (
            st.principal is not None and ("*" in st.principal or "*" in st.principal.get("AWS", []))
        )
        if wildcard and not _restricting_condition(st.condition):
            out.append(st.label)
    return out


def actions_with_wildcards(doc: PolicyDocument | str | Mapping[str, Any]) -> list[tuple[str, str]]:
    """(statement label, action) for each wildcard action; `NotAction` counts as a wildcard."""
    parsed = parse_policy(doc)
    out: list[tuple[str, str]] = []
    for st in parsed.statements:
        if st.not_action is not None:
            out.extend((st.label, f"NotAction {a}") for a in st.not_action)
        for a in st.action or []:
            if "*" in a or "?" in a:
                out.append((st.label, a))
    return out


def statement_labels(doc: PolicyDocument | str | Mapping[str, Any]) -> Iterable[str]:
    """Labels of every statement, in order (for messages)."""
    return [st.label for st in parse_policy(doc).statements]
