"""`evaluate`: what IAM would decide for "may account S (or its principal P) do A on R?".

IAM "Policy evaluation logic": an explicit `Deny` in any applicable statement wins; otherwise an
applicable `Allow` allows; otherwise the request is implicitly denied. A statement applies when
its action, resource, principal and condition all match. Here each of those may also be "some"
or "unknown" (see `match` and `conditions`), and the decision says which statement and which
part decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .conditions import Cond, evaluate_condition, make_context
from .document import Decision, PolicyDocument, parse_policy
from .match import (
    Tri,
    action_applies,
    has_glob,
    principal_applies,
    resource_applies,
    wildcard_route,
)

WILDCARD_VAULT_ACTION_NOTE = (
    "doesn't count: AWS Backup vault access policies don't support a wildcard in the Action key "
    "(nor NotAction), so AWS rejects the policy"
)


def _q(label: str) -> str:
    return f"'{label}'"


def _partition_of(arn: str | None) -> str | None:
    if arn and arn.startswith("arn:"):
        part = arn.split(":")[1]
        return part if part and not has_glob(part) else None
    return None


def _condition_text(cm: Cond, effect: str, account: str) -> list[str]:
    """Why a condition leaves a statement undecided, most specific first."""
    bits = []
    if cm.principals:
        who = " and ".join(dict.fromkeys(cm.principals))
        if effect == "Allow":
            bits.append(f"grants it only to {who}, not to the account {account}")
        else:
            bits.append(f"applies to {who}: a copy that runs as one of them is denied")
    if cm.config:
        bits.append(f"its condition on {'; '.join(dict.fromkeys(cm.config))}")
    if cm.request:
        keys = ", ".join(sorted(set(cm.request)))
        bits.append(f"its condition on {keys} depends on the request")
    return bits


@dataclass
class _Tally:
    """Applicable statements by kind, in document order."""

    allows: list[str] = field(default_factory=list)
    # (label, why, only the condition is undecided, request keys)
    maybe_allows: list[tuple[str, str, bool, tuple[str, ...]]] = field(default_factory=list)
    near_misses: list[tuple[str, str]] = field(default_factory=list)
    maybe_denies: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)


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
    self_resource: bool = False,
    organization_member: bool = True,
    now: datetime | None = None,
) -> Decision:
    """Decide whether `policy` lets `principal_account` (or `principal_arn`) do `action`.

    `resource`: the ARN the policy is judged for; a glob (e.g. `arn:aws:kms:R:A:key/*`) when
    only its shape is known, `"*"` when nothing is. `self_resource`: the policy is the
    resource's own (a key policy), so a `Resource` that may name it does. `context`: request
    keys and their values; a key mapped to `None` (or `[]`) is known to be *absent*.
    `partition`: the caller's partition, taken from `principal_arn` when not given. `org_id`:
    the organization of the accounts (`organization_member`: they are in one, which
    cross-account backup requires). `now`: the date of the evaluation (time conditions).
    `literal_actions_only`: an `Allow` counts only when it names `action` literally (AWS Backup
    vault access policies reject wildcard actions and `NotAction`).

    Raises `PolicyDocumentError` when `policy` is not a policy (callers report it as a violation).
    """
    doc = parse_policy(policy)
    partition = partition or _partition_of(principal_arn) or _partition_of(resource)
    ctx = make_context(
        principal_account=principal_account,
        principal_arn=principal_arn,
        partition=partition,
        org_id=org_id,
        organization_member=organization_member,
        extra=context,
        variables=doc.version == "2012-10-17",
        now=now,
    )
    who = principal_arn or principal_account
    t = _Tally()

    for st in doc.statements:
        if not action_applies(st, action):
            continue
        rm = resource_applies(st, resource, ctx.resolve, self_resource=self_resource)
        if rm.state is Tri.NO:
            continue
        pm = principal_applies(st, principal_account, principal_arn, partition)
        if pm.state is Tri.NO:
            continue
        cm = evaluate_condition(st.condition, ctx, st.effect)
        if cm.state is Tri.NO:
            if cm.timed and st.effect == "Allow":
                t.near_misses.append((st.label, f"allows it but {cm.note}"))
            continue
        if literal_actions_only and st.effect == "Allow":
            route = wildcard_route(st, action)
            if route is not None:
                note = f"covers {action} only through {route}, which {WILDCARD_VAULT_ACTION_NOTE}"
                t.near_misses.append((st.label, note))
                continue
        bits = [m.note for m in (pm, rm) if m.state is Tri.MAYBE]
        if cm.state is Tri.MAYBE:
            bits.extend(_condition_text(cm, st.effect, principal_account))
        request = tuple(sorted(set(cm.request)))
        if st.effect == "Deny":
            if not bits:
                when = f" {cm.note}" if cm.timed else ""
                return Decision(
                    False,
                    "explicit-deny",
                    st.label,
                    f"statement {_q(st.label)} denies {action} to {who}{when}",
                )
            t.maybe_denies.append((st.label, "; ".join(bits), request))
        elif not bits:
            t.allows.append(st.label)
        elif rm.state is not Tri.MAYBE and not request and not cm.config:
            # Only some principals of the account (by Principal or by a principal condition):
            # a grant to them is not a grant to the account.
            t.near_misses.append((st.label, "; ".join(bits)))
        else:
            only_condition = pm.state is not Tri.MAYBE and rm.state is not Tri.MAYBE
            t.maybe_allows.append((st.label, "; ".join(bits), only_condition, request))
    return _decide(t, action, who)


def _decide(t: _Tally, action: str, who: str) -> Decision:
    if t.maybe_denies and (t.allows or t.maybe_allows):
        label, why, request = t.maybe_denies[0]
        return Decision(
            False,
            "uncertain",
            label,
            f"statement {_q(label)} may deny {action} to {who}: {why}",
            request,
        )
    if t.allows:
        label = t.allows[0]
        return Decision(True, "allowed", label, f"statement {_q(label)} allows {action} to {who}")
    if t.maybe_allows:
        label, why, only_condition, request = t.maybe_allows[0]
        how = (
            "allows {} to {} only under a condition" if only_condition else "may not allow {} to {}"
        )
        return Decision(
            False,
            "uncertain",
            label,
            f"statement {_q(label)} {how.format(action, who)}: {why}",
            request,
        )
    if t.near_misses:
        label, why = t.near_misses[0]
        return Decision(
            False,
            "implicit-deny",
            label,
            f"no statement allows {action} to {who}: statement {_q(label)} {why}",
        )
    return Decision(False, "implicit-deny", None, f"no statement allows {action} to {who}")
