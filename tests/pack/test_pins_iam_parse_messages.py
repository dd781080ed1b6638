"""Pins of `parse_policy`'s errors, whole (issue 16): the message is what a policy violation
shows, so each names the element, the value and what IAM would accept.

References (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [grammar] reference_policies_grammar.html: `Statement` is one object or a list of them;
  `Effect` is `"Allow"` or `"Deny"` (case-sensitive); each of `Action`/`NotAction`,
  `Resource`/`NotResource` is a string or a list of strings; `Condition` is
  `{operator: {key: value | [values]}}`.
- [principal] reference_policies_elements_principal.html: `Principal` is `"*"` or an object of
  the types `AWS`, `Service`, `Federated`, `CanonicalUser`; a resource policy must name one
  (`Principal` or `NotPrincipal`, never both).
- [sid] reference_policies_elements_sid.html: `Sid` is a string, an optional label.
- [version] reference_policies_elements_version.html: policy variables only in `2012-10-17`.
"""

from __future__ import annotations

from typing import Any

import pytest

from backup_guard.iam import (
    PolicyDocument,
    PolicyDocumentError,
    evaluate,
    parse_policy,
    statement_labels,
)
from iam_tables import COPY, SRC, pol, st


def _st(**kw: Any) -> dict[str, Any]:
    """A raw statement: Allow, Principal "*", the copy action, Resource "*", then `kw`."""
    out: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": COPY, "Resource": "*"}
    out.update(kw)
    return {k: v for k, v in out.items() if v is not None}


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


JSON_ERROR = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
PRINCIPAL_EXAMPLE = '{"AWS": "arn:aws:iam::111111111111:root"}'

# (id, document, require_resource, the whole message)
BAD: list[tuple[str, Any, bool, str]] = [
    ("not-json", "{not json", False, f"policy is not valid JSON: {JSON_ERROR}"),
    ("not-json-bytes", b"{not json", False, f"policy is not valid JSON: {JSON_ERROR}"),
    ("a-list", "[]", False, "policy must be a JSON object with a Statement, got list"),
    ("a-number", 3, False, "policy must be a JSON object with a Statement, got int"),
    ("no-statement", {"Version": "2012-10-17"}, False, "policy has no Statement"),
    (
        "statement-lowercase-key-is-no-statement",
        {"statement": [_st()]},
        False,
        "policy has no Statement",
    ),
    (
        "empty-statement-list",
        {"Statement": []},
        False,
        "Statement must be an object or a non-empty list of objects",
    ),
    (
        "statement-a-string",
        {"Statement": "x"},
        False,
        "Statement must be an object or a non-empty list of objects",
    ),
    (
        "statement-a-number",
        {"Statement": 3},
        False,
        "Statement must be an object or a non-empty list of objects",
    ),
    (
        "statement-entry-not-object",
        {"Statement": ["x"]},
        False,
        "Statement[0] must be an object, got 'x'",
    ),
    (
        "second-statement-named-by-index",
        _doc(_st(), _st(Effect="Permit")),
        False,
        'Statement[1]: Effect must be "Allow" or "Deny", got \'Permit\'',
    ),
    (
        "effect-lowercase",
        _doc(_st(Sid="X", Effect="allow")),
        False,
        "statement 'X': Effect must be \"Allow\" or \"Deny\", got 'allow'",
    ),
    (
        "effect-deny-uppercase",
        _doc(_st(Effect="DENY")),
        False,
        'Statement[0]: Effect must be "Allow" or "Deny", got \'DENY\'',
    ),
    (
        "effect-missing",
        _doc(_st(Effect=None)),
        False,
        'Statement[0]: Effect must be "Allow" or "Deny", got None',
    ),
    (
        "action-and-not-action",
        _doc(_st(NotAction=COPY)),
        False,
        "Statement[0]: has both Action and NotAction",
    ),
    (
        "resource-and-not-resource",
        _doc(_st(NotResource="*")),
        False,
        "Statement[0]: has both Resource and NotResource",
    ),
    (
        "principal-and-not-principal",
        _doc(_st(NotPrincipal="*")),
        False,
        "Statement[0]: has both Principal and NotPrincipal",
    ),
    (
        "missing-action",
        _doc(_st(Action=None)),
        False,
        "Statement[0]: missing Action (or NotAction)",
    ),
    (
        "missing-principal",
        _doc(_st(Principal=None)),
        False,
        "Statement[0]: missing Principal (or NotPrincipal), required in a resource policy",
    ),
    (
        "missing-resource-when-required",
        _doc(_st(Resource=None)),
        True,
        "Statement[0]: missing Resource (or NotResource), required in every statement of a "
        'vault or key policy ("*" means the vault or key itself)',
    ),
    # _as_list, through each element that takes a string or a list of strings
    (
        "action-a-number",
        _doc(_st(Action=3)),
        False,
        "Statement[0].Action: expected a string or a list of strings, got 3",
    ),
    (
        "action-bytes",
        _doc(_st(Action=b"x")),
        False,
        "Statement[0].Action: expected a string or a list of strings, got b'x'",
    ),
    (
        "action-list-with-a-number",
        _doc(_st(Action=[COPY, 3])),
        False,
        "Statement[0].Action: expected strings, got 3",
    ),
    ("action-empty-list", _doc(_st(Action=[])), False, "Statement[0].Action: empty list"),
    (
        "not-action-empty-list",
        _doc(_st(Action=None, NotAction=[])),
        False,
        "Statement[0].NotAction: empty list",
    ),
    ("resource-empty-list", _doc(_st(Resource=[])), False, "Statement[0].Resource: empty list"),
    (
        "not-resource-empty-list",
        _doc(_st(Resource=None, NotResource=[])),
        False,
        "Statement[0].NotResource: empty list",
    ),
    (
        "principal-aws-empty-list",
        _doc(_st(Principal={"AWS": []})),
        False,
        "Statement[0].Principal.AWS: empty list",
    ),
    (
        "not-principal-service-a-number",
        _doc(_st(Principal=None, NotPrincipal={"Service": 3})),
        False,
        "Statement[0].NotPrincipal.Service: expected a string or a list of strings, got 3",
    ),
    # _parse_principal
    (
        "principal-bare-account-id",
        _doc(_st(Sid="B", Principal=SRC)),
        False,
        "statement 'B'.Principal: a bare string principal must be \"*\", got '111111111111' "
        '(IAM rejects it as MalformedPolicyDocument); write {"AWS": "111111111111"}',
    ),
    (
        "not-principal-bare-account-id",
        _doc(_st(Principal=None, NotPrincipal=SRC)),
        False,
        "Statement[0].NotPrincipal: a bare string principal must be \"*\", got '111111111111' "
        '(IAM rejects it as MalformedPolicyDocument); write {"AWS": "111111111111"}',
    ),
    (
        "principal-empty-object",
        _doc(_st(Principal={})),
        False,
        f'Statement[0].Principal: expected "*" or an object such as {PRINCIPAL_EXAMPLE}, got {{}}',
    ),
    (
        "principal-a-list",
        _doc(_st(Principal=["*"])),
        False,
        f'Statement[0].Principal: expected "*" or an object such as {PRINCIPAL_EXAMPLE}, '
        "got ['*']",
    ),
    (
        "principal-type-lowercase",
        _doc(_st(Principal={"aws": SRC})),
        False,
        "Statement[0].Principal: unknown principal type 'aws' "
        "(AWS, Service, Federated, CanonicalUser)",
    ),
    # _parse_condition
    (
        "condition-a-string",
        _doc(_st(Condition="x")),
        False,
        "Statement[0].Condition: expected an object {operator: {key: values}}",
    ),
    (
        "condition-block-a-string",
        _doc(_st(Condition={"StringEquals": "x"})),
        False,
        "Statement[0].Condition.StringEquals: expected an object {key: values}",
    ),
    (
        "condition-block-empty",
        _doc(_st(Condition={"StringEquals": {}})),
        False,
        "Statement[0].Condition.StringEquals: expected an object {key: values}",
    ),
    (
        "condition-values-empty-list",
        _doc(_st(Condition={"StringEquals": {"aws:SourceAccount": []}})),
        False,
        "Statement[0].Condition.StringEquals.aws:SourceAccount: empty list",
    ),
    (
        "condition-value-an-object",
        _doc(_st(Condition={"StringEquals": {"aws:SourceAccount": {"a": 1}}})),
        False,
        "Statement[0].Condition.StringEquals.aws:SourceAccount: expected a string or a list of "
        "strings, got {'a': 1}",
    ),
    (
        "sid-names-the-statement-in-condition-errors",
        _doc(_st(Sid="C", Condition={"Null": []})),
        False,
        "statement 'C'.Condition.Null: expected an object {key: values}",
    ),
]


@pytest.mark.parametrize(
    ("doc", "require_resource", "message"),
    [pytest.param(*b[1:], id=b[0]) for b in BAD],
)
def test_parse_policy_error_message_whole(doc: Any, require_resource: bool, message: str) -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        parse_policy(doc, require_resource=require_resource)
    assert str(caught.value) == message


def test_evaluate_does_not_require_resource() -> None:
    # evaluate reads role trust policies too, which have no Resource [grammar].
    d = evaluate(_doc(_st(Resource=None)), principal_account=SRC, action=COPY)
    assert (d.verdict, d.statement) == ("allowed", "Statement[0]")


def test_parse_policy_accepts_a_json_string_and_bytes() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": '
        '{"Effect": "Deny", "Principal": "*", "Action": "a"}}'
    )
    for doc in (text, text.encode()):
        parsed = parse_policy(doc)
        assert parsed.version == "2012-10-17"
        assert [(s.label, s.effect, s.action) for s in parsed.statements] == [
            ("Statement[0]", "Deny", ["a"])
        ]


def test_parse_policy_returns_a_parsed_document_as_is() -> None:
    parsed = parse_policy(pol(st("A")))
    assert parse_policy(parsed) is parsed


def test_parsed_statement_keeps_every_element() -> None:
    doc = _doc(
        {
            "Sid": "All",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": SRC, "Service": ["backup.amazonaws.com"]},
            "NotAction": ["a", "b"],
            "NotResource": "r",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    (s,) = parse_policy(doc).statements
    assert (s.label, s.effect, s.principal, s.action, s.resource) == (
        "All",
        "Deny",
        None,
        None,
        None,
    )
    assert s.not_principal == {"AWS": [SRC], "Service": ["backup.amazonaws.com"]}
    assert (s.not_action, s.not_resource) == (["a", "b"], ["r"])
    assert s.condition == {"Bool": {"aws:SecureTransport": ["false"]}}


@pytest.mark.parametrize(
    ("sid", "label"), [(5, "Statement[0]"), ("", "Statement[0]"), ("S1", "S1")]
)
def test_statement_label_is_the_sid_only_when_a_non_empty_string(sid: Any, label: str) -> None:
    # [sid] a Sid is a string; anything else labels the statement by its index.
    assert parse_policy(_doc(_st(Sid=sid))).statements[0].label == label


def test_statement_without_condition_has_an_empty_one() -> None:
    assert parse_policy(_doc(_st())).statements[0].condition == {}


@pytest.mark.parametrize(
    ("version", "parsed"), [("2008-10-17", "2008-10-17"), (2012, None), (None, None)]
)
def test_version_kept_only_as_a_string(version: Any, parsed: str | None) -> None:
    doc = {"Statement": [_st()]}
    if version is not None:
        doc["Version"] = version
    assert parse_policy(doc).version == parsed


def test_single_statement_object_is_a_list_of_one() -> None:
    parsed = parse_policy({"Statement": _st(Sid="One")})
    assert parsed.statements[0].label == "One"
    assert len(parsed.statements) == 1
    assert isinstance(parsed, PolicyDocument)


@pytest.mark.parametrize("element", ["Principal", "NotPrincipal"])
def test_star_principal_is_everyone(element: str) -> None:
    # [principal] `"Principal": "*"` is every principal: kept as {"*": ["*"]}.
    raw = {"Effect": "Allow", element: "*", "Action": COPY}
    s = parse_policy({"Statement": raw}).statements[0]
    assert (s.principal, s.not_principal) == (
        ({"*": ["*"]}, None) if element == "Principal" else (None, {"*": ["*"]})
    )


def test_condition_values_in_a_list_keep_their_case() -> None:
    # [grammar] condition values are strings compared by the operator (case-sensitive for
    # StringEquals): parsing lowercases only JSON Booleans.
    role = f"arn:aws:iam::{SRC}:role/Backup"
    doc = _doc(_st(Condition={"StringEquals": {"aws:PrincipalArn": [role, True]}}))
    condition = parse_policy(doc).statements[0].condition
    assert condition == {"StringEquals": {"aws:PrincipalArn": [role, "true"]}}


def test_statement_labels_are_sids_or_indexes_in_order() -> None:
    # [sid] what a violation message lists: each statement's Sid, or its index without one.
    doc = _doc(_st(Sid="First"), _st(), _st(Sid="Third"))
    assert statement_labels(doc) == ["First", "Statement[1]", "Third"]
