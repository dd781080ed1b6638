"""Table tests of the IAM evaluator's condition keys and operators, for the pack's question "may
the principals of account S do A on this resource?" (`backup_guard.iam`, issue 9).

Each row names the AWS reference page that decides it:

- OPS: IAM "Condition operators",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- KEYS: IAM "AWS global condition context keys",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- LOGIC: IAM "Condition" -- multiple context keys or values (ANDed operators and keys, ORed
  values), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- SETS: IAM "Set operators for multivalued context keys",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- EVAL: IAM "Policy evaluation logic" (an explicit Deny wins),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- DATES: IAM "AWS: Allows access based on date and time",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html
- KMS: AWS KMS "Key policies" ("Resource": "*" means this KMS key),
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
- XACCT: AWS Backup "Creating backup copies across AWS accounts" (both accounts in one
  organization), https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backup_guard.iam import evaluate

SRC = "111111111111"
OTHER = "333333333333"
ROOT = f"arn:aws:iam::{SRC}:root"
ROLE = f"arn:aws:iam::{SRC}:role/backup"
COPY = "backup:CopyIntoBackupVault"
VAULT = "arn:aws:backup:eu-west-1:222222222222:backup-vault:copies"
KEY_SHAPE = "arn:aws:kms:eu-west-1:222222222222:key/*"
KEY = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ORG = "o-abcdefghij"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def allow(cond: dict[str, Any] | None = None, sid: str = "A", **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": kw.get("principal", {"AWS": ROOT}),
        "Action": kw.get("action", COPY),
        "Resource": kw.get("resource", "*"),
    }
    if cond:
        out["Condition"] = cond
    return out


def deny(cond: dict[str, Any], sid: str = "D") -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": COPY,
        "Resource": "*",
        "Condition": cond,
    }


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# (id, page, policy, evaluate kwargs, verdict, statement, reason fragment, request keys)
Row = tuple[str, str, dict[str, Any], dict[str, Any], str, "str | None", str, tuple[str, ...]]
ROWS: list[Row] = [
    # --- aws:PrincipalArn -------------------------------------------------------------------
    (
        "principal-arn-like-every-principal-of-s",
        "KEYS",
        pol(allow({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:*"}}, principal="*")),
        {},
        "allowed",
        "A",
        f"statement 'A' allows {COPY} to {SRC}",
        (),
    ),
    (
        "principal-arn-string-like-every-principal-of-s",
        "KEYS",
        pol(allow({"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:*"}}, principal="*")),
        {},
        "allowed",
        "A",
        f"statement 'A' allows {COPY} to {SRC}",
        (),
    ),
    (
        "principal-arn-not-like-every-principal-is-false",
        "OPS",
        pol(allow({"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:*"}})),
        {},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "principal-arn-one-role-names-which-principals",
        "KEYS",
        pol(allow({"ArnEquals": {"aws:PrincipalArn": ROLE}})),
        {},
        "implicit-deny",
        "A",
        f"statement 'A' grants it only to the principals of {SRC} whose aws:PrincipalArn "
        f"matches {ROLE}, not to the account {SRC}",
        (),
    ),
    (
        "principal-arn-other-account-never-matches",
        "KEYS",
        pol(allow({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:*"}})),
        {},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "principal-arn-of-a-role-session-is-its-role",
        "KEYS",
        pol(allow({"ArnEquals": {"aws:PrincipalArn": ROLE}})),
        {"principal_arn": f"arn:aws:sts::{SRC}:assumed-role/backup/AWSBackup-session"},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "deny-all-but-one-role-of-s-names-the-principals-it-hits",
        "EVAL",
        pol(allow(), deny({"ArnNotEquals": {"aws:PrincipalArn": ROLE}})),
        {},
        "uncertain",
        "D",
        f"statement 'D' may deny {COPY} to {SRC}: applies to the principals of {SRC} whose "
        f"aws:PrincipalArn does not match {ROLE}: a copy that runs as one of them is denied",
        (),
    ),
    (
        "deny-all-but-a-role-of-another-account-hits-every-principal-of-s",
        "EVAL",
        pol(allow(), deny({"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/x"}})),
        {},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
        (),
    ),
    (
        "principal-type-is-per-principal",
        "KEYS",
        pol(allow({"StringEquals": {"aws:PrincipalType": "AssumedRole"}})),
        {},
        "implicit-deny",
        "A",
        f"the principals of {SRC} whose aws:PrincipalType matches AssumedRole",
        (),
    ),
    (
        "principal-tag-presence-is-per-principal",
        "KEYS",
        pol(allow({"Null": {"aws:PrincipalTag/team": "false"}})),
        {},
        "implicit-deny",
        "A",
        f"grants it only to the principals of {SRC} with that aws:PrincipalTag/team",
        (),
    ),
    # --- aws:PrincipalIsAWSService ----------------------------------------------------------
    (
        "principal-is-aws-service-false-for-an-account",
        "KEYS",
        pol(allow(), deny({"Bool": {"aws:PrincipalIsAWSService": "false"}})),
        {},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
        (),
    ),
    (
        "allow-only-aws-services-does-not-let-an-account-in",
        "KEYS",
        pol(allow({"Bool": {"aws:PrincipalIsAWSService": "true"}}, principal="*")),
        {},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    # --- aws:PrincipalOrgID / aws:PrincipalOrgPaths -----------------------------------------
    (
        "deny-outside-any-organization-never-hits-a-member",
        "XACCT",
        pol(allow(), deny({"Null": {"aws:PrincipalOrgID": "true"}})),
        {},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "deny-outside-any-organization-hits-a-non-member",
        "KEYS",
        pol(allow(), deny({"Null": {"aws:PrincipalOrgID": "true"}})),
        {"organization_member": False},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
        (),
    ),
    (
        "org-id-equality-needs-the-config",
        "KEYS",
        pol(allow({"StringEquals": {"aws:PrincipalOrgID": ORG}}, principal="*")),
        {},
        "uncertain",
        "A",
        "its condition on aws:PrincipalOrgID needs the pack's organizationId config",
        (),
    ),
    (
        "org-id-equality-with-the-config",
        "KEYS",
        pol(allow({"StringEquals": {"aws:PrincipalOrgID": ORG}}, principal="*")),
        {"org_id": ORG},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "deny-other-organizations-with-the-config",
        "KEYS",
        pol(allow(), deny({"StringNotEquals": {"aws:PrincipalOrgID": ORG}})),
        {"org_id": ORG},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "org-paths-whole-organization",
        "SETS",
        pol(
            allow({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, principal="*")
        ),
        {"org_id": ORG},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "org-paths-other-organization",
        "SETS",
        pol(
            allow(
                {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-zzzzzzzzzz/*"}},
                principal="*",
            )
        ),
        {"org_id": ORG},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "org-paths-one-ou-needs-the-path",
        "SETS",
        pol(
            allow(
                {
                    "ForAnyValue:StringLike": {
                        "aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/*"
                    }
                },
                principal="*",
            )
        ),
        {"org_id": ORG},
        "uncertain",
        "A",
        "aws:PrincipalOrgPaths needs the account's organizational unit path",
        (),
    ),
    # --- aws:CurrentTime / aws:EpochTime ----------------------------------------------------
    (
        "date-started-in-the-past-holds-from-now-on",
        "DATES",
        pol(allow({"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"}})),
        {},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "date-grant-that-expires-is-reported-with-its-date",
        "DATES",
        pol(allow({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
        {},
        "implicit-deny",
        "A",
        "holds only until 2030-01-01T00:00:00Z",
        (),
    ),
    (
        "date-grant-not-yet-in-effect",
        "DATES",
        pol(allow({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
        {},
        "implicit-deny",
        "A",
        "its condition holds only from 2030-01-01T00:00:00Z, not now",
        (),
    ),
    (
        "date-grant-expired",
        "DATES",
        pol(allow({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
        {},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "date-window-reports-its-end",
        "DATES",
        pol(
            allow(
                {
                    "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                    "DateLessThan": {"aws:CurrentTime": "2028-06-30T23:59:59Z"},
                }
            )
        ),
        {},
        "implicit-deny",
        "A",
        "holds only until 2028-06-30T23:59:59Z",
        (),
    ),
    (
        "date-deny-that-starts-later-is-a-dated-denial",
        "EVAL",
        pol(allow(), deny({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
        {},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC} from 2030-01-01T00:00:00Z",
        (),
    ),
    (
        "date-deny-that-ended-never-applies",
        "EVAL",
        pol(allow(), deny({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
        {},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "date-operator-takes-epoch-values",
        "OPS",
        pol(allow({"DateGreaterThanEquals": {"aws:CurrentTime": "1585699200"}})),
        {},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "numeric-epoch-time-that-expires",
        "OPS",
        pol(allow({"NumericLessThan": {"aws:EpochTime": "1893456000"}})),
        {},
        "implicit-deny",
        "A",
        "holds only until 2030-01-01T00:00:00Z",
        (),
    ),
    # --- ...IfExists ------------------------------------------------------------------------
    (
        "if-exists-absent-key-is-true",
        "OPS",
        pol(allow({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})),
        {"context": {"aws:SourceVpc": None}},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "if-exists-present-key-is-compared",
        "OPS",
        pol(allow({"StringEqualsIfExists": {"aws:PrincipalAccount": OTHER}})),
        {},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "if-exists-request-key-is-not-proof",
        "OPS",
        pol(allow({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})),
        {},
        "uncertain",
        "A",
        "its condition on aws:SourceVpc depends on the request",
        ("aws:SourceVpc",),
    ),
    # --- ForAnyValue / ForAllValues -----------------------------------------------------------
    (
        "for-all-values-absent-key-is-true",
        "SETS",
        pol(allow({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}})),
        {"context": {"aws:TagKeys": None}},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "for-any-value-absent-key-is-false",
        "SETS",
        pol(allow({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}})),
        {"context": {"aws:TagKeys": None}},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "for-all-values-every-value-must-match",
        "SETS",
        pol(allow({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}})),
        {"context": {"aws:TagKeys": ["env", "team"]}},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "for-any-value-one-value-is-enough",
        "SETS",
        pol(allow({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}})),
        {"context": {"aws:TagKeys": ["env", "team"]}},
        "allowed",
        "A",
        "allows",
        (),
    ),
    # --- several keys and operators in one block ----------------------------------------------
    (
        "keys-are-anded-all-true",
        "LOGIC",
        pol(allow({"StringEquals": {"aws:PrincipalAccount": SRC, "aws:PrincipalOrgID": ORG}})),
        {"org_id": ORG},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "keys-are-anded-one-false",
        "LOGIC",
        pol(allow({"StringEquals": {"aws:PrincipalAccount": SRC, "aws:PrincipalOrgID": ORG}})),
        {"org_id": "o-zzzzzzzzzz"},
        "implicit-deny",
        None,
        f"no statement allows {COPY} to {SRC}",
        (),
    ),
    (
        "values-are-ored",
        "LOGIC",
        pol(allow({"StringEquals": {"aws:PrincipalAccount": [OTHER, SRC]}})),
        {},
        "allowed",
        "A",
        "allows",
        (),
    ),
    (
        "decided-keys-and-a-request-key-name-only-the-request-key",
        "LOGIC",
        pol(
            allow(
                {
                    "StringEquals": {"aws:PrincipalAccount": SRC},
                    "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                }
            )
        ),
        {},
        "uncertain",
        "A",
        "its condition on aws:SourceIp depends on the request",
        ("aws:SourceIp",),
    ),
    (
        "deny-on-a-request-key-may-apply",
        "EVAL",
        pol(allow(), deny({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
        {},
        "uncertain",
        "D",
        f"statement 'D' may deny {COPY} to {SRC}: its condition on aws:SourceIp depends on the "
        "request",
        ("aws:SourceIp",),
    ),
    (
        "deny-mfa-absent-is-decided-by-the-caller-context",
        "OPS",
        pol(allow(), deny({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
        {"context": {"aws:MultiFactorAuthPresent": None}},
        "explicit-deny",
        "D",
        f"statement 'D' denies {COPY} to {SRC}",
        (),
    ),
    # --- a key policy's own ARN ---------------------------------------------------------------
    (
        "key-policy-own-arn-is-the-key",
        "KMS",
        pol(allow(resource=KEY, action="kms:Decrypt")),
        {"action": "kms:Decrypt", "resource": KEY_SHAPE, "self_resource": True},
        "allowed",
        "A",
        "allows kms:Decrypt",
        (),
    ),
    (
        "key-arn-of-another-account-is-never-the-key",
        "KMS",
        pol(allow(resource=KEY.replace("222222222222", OTHER), action="kms:Decrypt")),
        {"action": "kms:Decrypt", "resource": KEY_SHAPE, "self_resource": True},
        "implicit-deny",
        None,
        f"no statement allows kms:Decrypt to {SRC}",
        (),
    ),
]


@pytest.mark.parametrize(
    ("page", "policy", "kwargs", "verdict", "statement", "reason", "request_keys"),
    [r[1:] for r in ROWS],
    ids=[r[0] for r in ROWS],
)
def test_condition_as_iam_decides(
    page: str,
    policy: dict[str, Any],
    kwargs: dict[str, Any],
    verdict: str,
    statement: str | None,
    reason: str,
    request_keys: tuple[str, ...],
) -> None:
    args: dict[str, Any] = {"principal_account": SRC, "action": COPY, "resource": VAULT, "now": NOW}
    d = evaluate(policy, **{**args, **kwargs})
    assert (d.verdict, d.statement, d.request_keys) == (verdict, statement, request_keys), (page, d)
    assert reason in d.reason, (page, d.reason)
