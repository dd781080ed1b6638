"""Shared pieces of the IAM evaluator's table tests (`tests/test_iam_eval*.py`): statements,
policies, the account and ARNs the tables use, and the check each row runs."""

from __future__ import annotations

from typing import Any

from backup_guard.iam import evaluate

Case = tuple[str, dict[str, Any], dict[str, Any], str, "str | None", str]

SRC = "111111111111"
OTHER = "333333333333"
ROOT = f"arn:aws:iam::{SRC}:root"
ROLE = f"arn:aws:iam::{SRC}:role/backup"
COPY = "backup:CopyIntoBackupVault"
VAULT = "arn:aws:backup:eu-west-1:222222222222:backup-vault:copies"
ORG = "o-abcdefghij"


def st(sid: str = "S", effect: str = "Allow", **kw: Any) -> dict[str, Any]:
    """A statement; `principal=` defaults to the source account root, `action=` to the copy."""
    out: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if "not_principal" in kw:
        out["NotPrincipal"] = kw.pop("not_principal")
    else:
        out["Principal"] = kw.pop("principal", {"AWS": ROOT})
    if "not_action" in kw:
        out["NotAction"] = kw.pop("not_action")
    else:
        out["Action"] = kw.pop("action", COPY)
    if "not_resource" in kw:
        out["NotResource"] = kw.pop("not_resource")
    else:
        out["Resource"] = kw.pop("resource", "*")
    if "condition" in kw:
        out["Condition"] = kw.pop("condition")
    assert not kw, kw
    return out


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW = st("Allow")

# (id, policy, evaluate kwargs, verdict, statement, reason fragment)

KEY = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd"
KEY_SHAPE = "arn:aws:kms:eu-west-1:222222222222:key/*"  # a key of that account, ARN unknown
GRANT_KEY = "kms:GrantIsForAWSResource"
DECRYPT = "kms:Decrypt"
ALLOW_DECRYPT = st("Allow", action=DECRYPT)
DIRECT = {"context": {GRANT_KEY: None}, "action": DECRYPT}  # the key is known absent


def check(
    policy: dict[str, Any], kwargs: dict[str, Any], verdict: str, statement: str | None, reason: str
) -> None:
    """Evaluate for SRC and the copy action (unless `kwargs` say otherwise); assert the verdict,
    the deciding statement and a piece of the reason."""
    d = evaluate(policy, **{"principal_account": SRC, "action": COPY, **kwargs})
    assert (d.verdict, d.statement) == (verdict, statement), d
    assert d.allowed is (verdict == "allowed")
    assert reason in d.reason, d.reason
