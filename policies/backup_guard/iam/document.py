"""Parsing IAM resource policies into normalized statements (`parse_policy`).

IAM's grammar (IAM JSON policy reference, "IAM JSON policy elements"): `Statement` as an object
or a list; `Effect` Allow/Deny; exactly one of `Action`/`NotAction`, of `Principal`/`NotPrincipal`
(required in a resource policy) and at most one of `Resource`/`NotResource`; `Principal` as `"*"`
or `{"AWS"|"Service"|"Federated"|"CanonicalUser": str | list}`; `Condition` as
`{operator: {key: value | [values]}}`. A document IAM would reject raises `PolicyDocumentError`
with a message naming the element.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["allowed", "explicit-deny", "implicit-deny", "uncertain"]


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
    # The request keys (source IP, VPC endpoint, MFA, ...) the decision depends on: only then is
    # an `uncertain` verdict "not proof" for lack of knowledge of the request. Empty when the
    # evaluator decided from what it knows (principals, organization, time, resource).
    request_keys: tuple[str, ...] = ()


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


def parse_policy(
    doc: PolicyDocument | str | bytes | Mapping[str, Any], *, require_resource: bool = False
) -> PolicyDocument:
    """Parse and normalize a policy document; raise `PolicyDocumentError` if it is not one.

    `require_resource`: every statement must have `Resource` or `NotResource`, as IAM requires
    of a resource policy (IAM JSON reference, "Resource": "Statements must include either a
    Resource or a NotResource element"; KMS "Key policies": Resource is required, "*" = this
    key). Off for a role's trust policy, the one kind of policy that has no Resource.
    """
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
        if require_resource and "Resource" not in st and "NotResource" not in st:
            raise PolicyDocumentError(
                f"{where}: missing Resource (or NotResource), required in every statement of a "
                'vault or key policy ("*" means the vault or key itself)'
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
