"""Shape checks of a policy that need no evaluation: statements open to anyone, wildcard actions.

- `wildcard_principal_statements`: `Allow` statements whose principal is anyone (`"*"`,
  `{"AWS": "*"}`, `NotPrincipal`) and that no positive condition ties to literal accounts or an
  organization (IAM "Global condition context keys": aws:PrincipalAccount, aws:PrincipalOrgID,
  aws:PrincipalOrgPaths, aws:PrincipalArn, aws:SourceAccount, ...; `...IfExists` and
  `ForAllValues:` are true when the key is absent, so they restrict nothing).
- `actions_with_wildcards`: AWS Backup vault access policies take no wildcard action nor
  `NotAction`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .document import PolicyDocument, parse_policy

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")

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


_ACCOUNT_VALUE_KEYS = frozenset(
    k.lower() for k in ("aws:PrincipalAccount", "aws:SourceAccount", "kms:CallerAccount")
)
_ORG_VALUE_KEYS = frozenset(k.lower() for k in ("aws:PrincipalOrgID", "aws:SourceOrgID"))
_ORG_PATH_KEYS = frozenset(k.lower() for k in ("aws:PrincipalOrgPaths", "aws:SourceOrgPaths"))
_ARN_VALUE_KEYS = frozenset(k.lower() for k in ("aws:PrincipalArn", "aws:SourceArn"))


def _restricting_value(key: str, value: str) -> bool:
    """Does `value` (of a positive condition on `key`) name one account or organization
    literally? Wildcards and policy variables elsewhere are fine
    (`arn:aws:iam::111111111111:role/*`, `arn:aws:iam::111111111111:role/${aws:username}`,
    `o-abcdefghij/*`): the account or organization is still fixed. In the account or org id
    part they are not (`arn:aws:iam::*`, `????????????`, `${aws:PrincipalAccount}`: a variable
    takes the caller's value, so it matches everyone); the patterns below refuse them there."""
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
