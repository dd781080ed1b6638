"""The `Condition` element: the request context as far as it is known, and IAM's operators.

The question the pack asks is "may the principals of account S do A on this resource?", so a
condition key is in one of these states (`Context.state`):

- `known`: one value (or several) for every principal of S: `aws:PrincipalAccount`,
  `kms:CallerAccount` (S), `aws:PrincipalIsAWSService` (`false`: IAM principals of an account),
  `aws:PrincipalOrgID` with the organization id configured, and what the caller passes about the
  request (`aws:SecureTransport`, ...). `aws:CurrentTime`/`aws:EpochTime` are known *as a function
  of time*: see `evaluate_condition`.
- `principal`: present, one value per principal of S, all of a known shape: `aws:PrincipalArn`
  (`arn:P:iam::S:*`; a role session is matched by its role's ARN), `aws:PrincipalType`,
  `aws:userid`, `aws:username`. A pattern covering the whole shape is true for every principal
  of S, one disjoint from it for none, and one in between for *some* principals of S: the result
  says which (`Cond.principals`).
- `value`: present with an unknown value of a known shape: `aws:PrincipalOrgPaths` (every path
  of a member account starts with `o-ORGID/`), decided when the pattern covers or misses that
  shape, else left to config (`Cond.config`).
- `present`: present, value unknown: `aws:PrincipalOrgID` without the organization id in the
  config. Cross-account backup requires both accounts in one organization (AWS Backup,
  "Creating backup copies across AWS accounts"), so `Null` on it is decided; equality needs
  `organizationId`.
- `absent`: known absent (IAM "Condition operators": a missing key makes a condition false,
  except `...IfExists`, `ForAllValues:` and the negated operators, true, and `Null`).
- anything else is *request* data the pack can't know (source IP, VPC endpoint, MFA, tags of the
  request, `kms:ViaService`, ...): `Cond.request` names the key, and only these make a decision
  "not proof".

All operators and keys of a block are ANDed, the values of one key ORed (IAM "Condition":
"Evaluation logic for conditions with multiple context keys or values").
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from .match import (
    Tri,
    arn_includes,
    arn_match,
    arn_may_overlap,
    glob_includes,
    glob_may_overlap,
    has_glob,
    wildcard_match,
)

State = Literal["known", "principal", "value", "present", "absent", "unknown"]

_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")

TIME_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})

_STRING = {"stringequals", "stringequalsignorecase", "stringlike"}
_ARN = {"arnequals", "arnlike"}
_NUMERIC = {
    "numericequals",
    "numericlessthan",
    "numericlessthanequals",
    "numericgreaterthan",
    "numericgreaterthanequals",
}
_DATE = {
    "dateequals",
    "datelessthan",
    "datelessthanequals",
    "dategreaterthan",
    "dategreaterthanequals",
}
# Negated operator -> its positive form (IAM "Condition operators": a negated operator is true
# when the key is absent).
NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
}
POSITIVE = _STRING | _ARN | _NUMERIC | _DATE | {"bool", "binaryequals", "ipaddress"}
KNOWN_OPERATORS = POSITIVE | set(NEGATED) | {"null"}


@dataclass(frozen=True)
class Context:
    """What is known of the request (keys lower-case); see the module docstring."""

    values: Mapping[str, list[str]]
    absent: frozenset[str]
    present: frozenset[str]
    principal_shapes: Mapping[str, str]
    value_shapes: Mapping[str, str | tuple[str, ...]]
    """A key whose value is unknown but of one of these shapes (globs): true for every value
    only if true for every shape."""
    config_hints: Mapping[str, str]  # key -> the config that would decide it
    variables: bool  # policy variables are only substituted in Version 2012-10-17
    account: str
    at: float | None  # epoch seconds of the evaluation; None: the clock's, read when needed

    @property
    def now(self) -> float:
        return time.time() if self.at is None else self.at

    def state(self, key: str) -> State:
        k = key.lower()
        if k in self.values or k in TIME_KEYS:
            return "known"
        if k in self.absent:
            return "absent"
        if k in self.principal_shapes or k.startswith("aws:principaltag/"):
            return "principal"
        if k in self.value_shapes:
            return "value"
        if k in self.present:
            return "present"
        return "unknown"

    def resolve(self, text: str) -> str | None:
        """Substitute policy variables (`${aws:PrincipalAccount}`, `${$}`, `${key, 'default'}`);
        None when one can't be resolved here (the caller treats that as unknown)."""
        if not self.variables or "${" not in text:
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
            values = self.values.get(name.lower())
            if values is not None and len(values) == 1:
                out.append(values[0])
            elif self.state(name) == "absent" and len(default) >= 2 and default[0] == "'":
                out.append(default[1:-1])
            else:
                # Unknown or multi-valued key, or ${*}/${?} (a literal wildcard character, which
                # a glob here can't express): not decidable here.
                return None
        out.append(text[pos:])
        return "".join(out)


def make_context(
    *,
    principal_account: str,
    principal_arn: str | None,
    partition: str | None,
    org_id: str | None,
    organization_member: bool,
    extra: Mapping[str, str | Sequence[str] | None] | None,
    variables: bool,
    now: datetime | None,
) -> Context:
    """The context of "may `principal_account` (or its principal `principal_arn`) do it"."""
    values: dict[str, list[str]] = {
        "aws:principalaccount": [principal_account],
        "kms:calleraccount": [principal_account],
        # IAM principals of an account are not AWS services (IAM "Global condition context
        # keys", aws:PrincipalIsAWSService: false for every principal but a service principal).
        "aws:principalisawsservice": ["false"],
    }
    principal_shapes: dict[str, str] = {}
    value_shapes: dict[str, str | tuple[str, ...]] = {}
    present: set[str] = set()
    absent: set[str] = set()
    hints: dict[str, str] = {}
    if principal_arn is not None:
        values["aws:principalarn"] = [role_of_session(principal_arn)]
    else:
        principal_shapes["aws:principalarn"] = f"arn:{partition or '*'}:iam::{principal_account}:*"
        for key in ("aws:principaltype", "aws:userid", "aws:username"):
            principal_shapes[key] = "*"
    if organization_member:
        if org_id is not None:
            values["aws:principalorgid"] = [org_id]
            # An account's aws:PrincipalOrgPaths is o-ORG/r-ROOT/ou-.../ (IAM global condition
            # context keys reference). With the OUs the accounts are under (`OrgId.paths`, the
            # pack's organizationPaths config), it is one of `<path>/*`.
            paths = getattr(org_id, "paths", ())
            value_shapes["aws:principalorgpaths"] = (
                tuple(f"{p.rstrip('/')}/*" for p in paths) if paths else f"{org_id}/r-*"
            )
            hints["aws:principalorgpaths"] = (
                "the account's organizational unit path (the pack's organizationPaths config)"
            )
        else:
            present.update({"aws:principalorgid", "aws:principalorgpaths"})
            hints["aws:principalorgid"] = "the pack's organizationId config"
            hints["aws:principalorgpaths"] = "the pack's organizationId config"
    else:
        absent.update({"aws:principalorgid", "aws:principalorgpaths"})
    for k, v in (extra or {}).items():
        key = k.lower()
        vals = [] if v is None else [v] if isinstance(v, str) else [str(x) for x in v]
        if vals:
            values[key] = vals
            absent.discard(key)
        else:
            values.pop(key, None)
            absent.add(key)
    return Context(
        values=values,
        absent=frozenset(absent),
        present=frozenset(present - set(values) - absent),
        principal_shapes=principal_shapes,
        value_shapes=value_shapes,
        config_hints=hints,
        variables=variables,
        account=principal_account,
        at=None if now is None else now.timestamp(),
    )


def role_of_session(arn: str) -> str:
    """`aws:PrincipalArn` of a role session is its role's ARN (IAM "Global condition context
    keys", aws:PrincipalArn: "For IAM roles, the request context returns the ARN of the role,
    not the ARN of the user that assumed the role")."""
    m = re.match(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+$", arn)
    return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}" if m else arn


# --------------------------------------------------------------------------------------------
# Values


def parse_time(text: str) -> float | None:
    """A Date operator's value: ISO 8601 (`2027-01-01T00:00:00Z`, `2027-01-01`) or epoch
    seconds (IAM "Condition operators", Date condition operators); None if neither."""
    t = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        return float(t)
    try:
        d = datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.timestamp()


def iso(t: float) -> str:
    """Epoch seconds as IAM writes dates."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compare(op: str, value: str, pattern: str) -> bool | None:
    """Positive `op` on one value; None if not comparable (then the key is not decided)."""
    if op in _ARN:
        return arn_match(pattern, value)
    if op == "stringequals":
        return value == pattern
    if op == "stringequalsignorecase":
        return value.lower() == pattern.lower()
    if op == "stringlike":
        return wildcard_match(pattern, value)
    if op == "bool":
        return value.lower() == pattern.lower()
    if op in _DATE:
        a, b = parse_time(value), parse_time(pattern)
    elif op in _NUMERIC:
        try:
            a, b = float(value), float(pattern)
        except ValueError:
            return None
    else:
        return None  # BinaryEquals, IpAddress on known values: not needed here
    if a is None or b is None:
        return None
    suffix = op[4:] if op.startswith("date") else op[7:]
    return {
        "equals": a == b,
        "lessthan": a < b,
        "lessthanequals": a <= b,
        "greaterthan": a > b,
        "greaterthanequals": a >= b,
    }.get(suffix)


def _shapes_result(op: str, patterns: Sequence[str], shape: str | tuple[str, ...]) -> Tri:
    """Positive `op` with any of `patterns` against a value of `shape` (or of one of several
    shapes, not known which: YES only if YES for each, NO only if NO for each)."""
    per_shape = []
    for one in (shape,) if isinstance(shape, str) else shape:
        hits = [_shape_result(op, p, one) for p in patterns]
        per_shape.append(Tri.YES if Tri.YES in hits else Tri.MAYBE if Tri.MAYBE in hits else Tri.NO)
    if all(t is Tri.YES for t in per_shape):
        return Tri.YES
    if all(t is Tri.NO for t in per_shape):
        return Tri.NO
    return Tri.MAYBE


class OrgId(str):
    """An organization id (`o-…`) that also knows the organizational unit paths its member
    accounts are under (`paths`, the pack's `organizationPaths` config): it travels where an
    `org_id: str` goes, so that every caller of the evaluator keeps its signature."""

    paths: tuple[str, ...]

    def __new__(cls, org_id: str, paths: Sequence[str] = ()) -> OrgId:
        made = super().__new__(cls, org_id)
        made.paths = tuple(paths)
        return made


def _shape_result(op: str, pattern: str, shape: str) -> Tri:
    """Positive `op` against a value known only by its shape (a glob): true for every value of
    the shape (YES), for none (NO), or for some (MAYBE)."""
    if op in _ARN:
        if arn_includes(pattern, shape):
            return Tri.YES
        return Tri.MAYBE if arn_may_overlap(pattern, shape) else Tri.NO
    if op == "stringequalsignorecase":
        pattern, shape = pattern.lower(), shape.lower()
        op = "stringequals"
    if op == "stringequals":  # the pattern is a literal: one value of the shape at most
        if pattern == shape and not has_glob(shape):
            return Tri.YES
        return Tri.MAYBE if wildcard_match(shape, pattern) else Tri.NO
    if op == "stringlike":
        if glob_includes(pattern, shape):
            return Tri.YES
        return Tri.MAYBE if glob_may_overlap(pattern, shape) else Tri.NO
    return Tri.MAYBE


# --------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class Cond:
    """The value of a whole `Condition` element for the question asked."""

    state: Tri
    note: str = ""  # why NO (or why it holds only from/until a date)
    request: list[str] = field(default_factory=list)  # request keys it depends on
    config: list[str] = field(default_factory=list)  # keys config would decide ("key (hint)")
    principals: list[str] = field(default_factory=list)  # "principals of S whose K matches P"
    timed: bool = False  # decided by aws:CurrentTime/aws:EpochTime at a date other than now


def _parse_op(raw_op: str) -> tuple[str | None, str, bool]:
    op = raw_op.lower()
    qualifier = None
    if ":" in op:
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("ifexists") and op != "ifexists"
    if if_exists:
        op = op[: -len("ifexists")]
    return qualifier, op, if_exists


def _absent_key_result(op: str, qualifier: str | None, if_exists: bool) -> bool:
    """IAM: a missing key makes a condition false, except `...IfExists`, `ForAllValues:` and
    the negated operators, which are true."""
    if qualifier == "forallvalues" or if_exists:
        return True
    if qualifier == "foranyvalue":
        return False
    return op in NEGATED


def _values_at(ctx: Context, key: str, at: float) -> list[str]:
    k = key.lower()
    if k == "aws:currenttime":
        return [iso(at)]
    if k == "aws:epochtime":
        return [str(int(at))]
    return list(ctx.values[k])


def _describe(account: str, key: str, op: str, negated: bool, patterns: Iterable[str]) -> str:
    listed = ", ".join(patterns)
    verb = "does not match" if negated else "matches"
    return f"the principals of {account} whose {key} {verb} {listed}"


def _eval_at(condition: Mapping[str, Mapping[str, list[str]]], ctx: Context, at: float) -> Cond:
    out = Cond(Tri.YES)
    for raw_op, block in condition.items():
        qualifier, op, if_exists = _parse_op(raw_op)
        if (qualifier not in (None, "foranyvalue", "forallvalues")) or op not in KNOWN_OPERATORS:
            out.request.extend(f"{k} ({raw_op}, an operator not evaluated here)" for k in block)
            continue
        negated = op in NEGATED
        positive = NEGATED.get(op, op)
        for key, patterns in block.items():
            state = ctx.state(key)
            if op == "null":
                if state == "unknown":
                    out.request.append(key)
                    continue
                if key.lower().startswith("aws:principaltag/"):
                    # Some principals of the account carry the tag, others don't.
                    out.principals.append(f"the principals of {ctx.account} with that {key}")
                    continue
                want_absent = patterns[0].lower() == "true"
                if want_absent != (state == "absent"):
                    found = "absent from" if state == "absent" else "present in"
                    return Cond(
                        Tri.NO, f"condition Null {key} is false: the key is {found} the request"
                    )
                continue
            if state == "absent":
                if _absent_key_result(op, qualifier, if_exists):
                    continue
                return Cond(
                    Tri.NO, f"condition {raw_op} {key} is false: the key is absent from the request"
                )
            if state in ("present", "unknown"):
                hint = ctx.config_hints.get(key.lower())
                if hint:
                    out.config.append(f"{key} needs {hint}")
                else:
                    out.request.append(key)
                continue
            resolved = [ctx.resolve(p) for p in patterns]
            if any(p is None for p in resolved):
                out.request.append(key)
                continue
            pats = [p for p in resolved if p is not None]
            if state in ("principal", "value"):
                shape = (
                    ctx.principal_shapes.get(key.lower())
                    if state == "principal"
                    else ctx.value_shapes.get(key.lower())
                )
                if shape is None:  # aws:PrincipalTag/...: one value per principal, shape unknown
                    out.principals.append(f"the principals of {ctx.account} with that {key}")
                    continue
                every = _shapes_result(positive, pats, shape)
                if every is Tri.MAYBE:
                    if state == "principal":
                        out.principals.append(_describe(ctx.account, key, op, negated, pats))
                    else:
                        out.config.append(
                            f"{key} needs {ctx.config_hints.get(key.lower(), 'more config')}"
                        )
                    continue
                holds = (every is Tri.YES) != negated
                if not holds:
                    return Cond(
                        Tri.NO,
                        f"condition {raw_op} {key} is false for every principal of {ctx.account}",
                    )
                continue
            values = _values_at(ctx, key, at)
            results: list[bool] = []
            undecided = False
            for v in values:
                cmp = [_compare(positive, v, p) for p in pats]
                if any(c is None for c in cmp):
                    undecided = True
                    break
                hit = any(cmp)
                results.append(not hit if negated else hit)
            if undecided:
                out.request.append(key)
                continue
            # ForAllValues: every request value must match; otherwise (single-valued keys and
            # ForAnyValue) one is enough.
            ok = all(results) if qualifier == "forallvalues" else any(results)
            if not ok:
                shown = ", ".join(values)
                return Cond(
                    Tri.NO, f"condition {raw_op} {key} {', '.join(pats)} is false for {shown}"
                )
    if out.request or out.config or out.principals:
        out.state = Tri.MAYBE
    return out


def _time_boundaries(condition: Mapping[str, Mapping[str, list[str]]], now: float) -> list[float]:
    """The dates after `now` at which a time condition of the element changes value."""
    out: set[float] = set()
    for block in condition.values():
        for key, patterns in block.items():
            if key.lower() in TIME_KEYS:
                for p in patterns:
                    t = parse_time(p)
                    if t is not None and t >= now:
                        out.add(t)
    return sorted(out)


def evaluate_condition(
    condition: Mapping[str, Mapping[str, list[str]]],
    ctx: Context,
    effect: str,
) -> Cond:
    """The condition for every request from now on.

    Time keys: an `Allow` counts only if its condition holds *now and at every later date*
    (a copy job runs daily for as long as the plan exists: a grant that expires is a dated
    copy failure); a `Deny` applies if its condition holds now *or at any later date*. The
    truth of Date/Numeric conditions on `aws:CurrentTime`/`aws:EpochTime` only changes at the
    dates the policy names, so sampling now, each date and just after it is exact.
    """
    if not condition:
        return Cond(Tri.YES)
    now = ctx.now
    bounds = _time_boundaries(condition, now)
    if not bounds:
        return _eval_at(condition, ctx, now)
    samples: list[tuple[float, float | None]] = [(now, None)]
    for bound in bounds:
        samples.extend([(bound, bound), (bound + 1.0, bound)])
    results = [(_eval_at(condition, ctx, t), b) for t, b in samples]
    first = results[0][0]
    if effect == "Allow":
        if first.state is Tri.NO:
            later = next((b for r, b in results if r.state is Tri.YES and b is not None), None)
            if later is not None:
                return Cond(
                    Tri.NO, f"its condition holds only from {iso(later)}, not now", timed=True
                )
            return first
        for r, b in results[1:]:
            if r.state is Tri.NO and b is not None:
                return Cond(
                    Tri.NO,
                    f"its condition holds only until {iso(b)} ({r.note}): every copy from then "
                    "on fails",
                    timed=True,
                )
        return first
    if first.state is Tri.YES:
        return first
    for r, b in results[1:]:
        if r.state is Tri.YES and b is not None:
            return Cond(Tri.YES, f"from {iso(b)}", timed=True)
    return first


def condition_keys(condition: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
    """Every key a `Condition` element names, in order."""
    return [k for block in condition.values() for k in block]
