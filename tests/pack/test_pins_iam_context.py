"""Pins of the request context the evaluator builds for "may the principals of account S do A"
(`conditions.make_context`, `Context.state`, `Context.resolve`; issue 16, from mutmut's
survivors): the whole `Context`, since every condition is decided from it.

References (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
- [keys] reference_policies_condition-keys.html: aws:PrincipalAccount and kms:CallerAccount are
  the caller's account; aws:PrincipalArn of a role session is the role's ARN; aws:PrincipalType,
  aws:userid, aws:username differ per principal; aws:PrincipalIsAWSService is false for IAM
  principals; aws:PrincipalOrgID/aws:PrincipalOrgPaths are present only for a member of an
  organization (paths `o-ORG/r-ROOT/ou-.../`); aws:CurrentTime, aws:EpochTime are always present.
- [variables] reference_policies_variables.html: `${key}` is replaced by the request's value,
  `${$}` is a literal `$`, `${key, 'default'}` takes the default when the key is absent; only
  with `"Version": "2012-10-17"`. A key the request lacks (and no default) is not resolved.
- AWS Backup "Creating backup copies across AWS accounts": both accounts in one organization.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backup_guard.iam.conditions import Context, OrgId, make_context
from iam_tables import ORG, ROLE, SRC

PATHS_HINT = "the account's organizational unit path (the pack's organizationPaths config)"
ORG_HINT = "the pack's organizationId config"
BASE = {
    "aws:principalaccount": [SRC],
    "kms:calleraccount": [SRC],
    "aws:principalisawsservice": ["false"],
}
SHAPES = {
    "aws:principalarn": f"arn:*:iam::{SRC}:*",
    "aws:principaltype": "*",
    "aws:userid": "*",
    "aws:username": "*",
}


def _ctx(**kw: Any) -> Context:
    args: dict[str, Any] = {
        "principal_account": SRC,
        "principal_arn": None,
        "partition": None,
        "org_id": None,
        "organization_member": False,
        "extra": None,
        "variables": True,
        "now": None,
    }
    return make_context(**{**args, **kw})


def test_context_of_an_account_outside_any_organization() -> None:
    assert _ctx() == Context(
        values=BASE,
        absent=frozenset({"aws:principalorgid", "aws:principalorgpaths"}),
        present=frozenset(),
        principal_shapes=SHAPES,
        value_shapes={},
        config_hints={},
        variables=True,
        account=SRC,
        at=None,
    )


def test_context_of_a_role_session_in_an_organization_at_a_date() -> None:
    ctx = _ctx(
        principal_arn=f"arn:aws:sts::{SRC}:assumed-role/backup/session-1",
        partition="aws",
        org_id=ORG,
        organization_member=True,
        variables=False,
        now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
    )
    assert ctx == Context(
        values={**BASE, "aws:principalarn": [ROLE], "aws:principalorgid": [ORG]},
        absent=frozenset(),
        present=frozenset(),
        principal_shapes={},
        value_shapes={"aws:principalorgpaths": f"{ORG}/r-*"},
        config_hints={"aws:principalorgpaths": PATHS_HINT},
        variables=False,
        account=SRC,
        at=1796112000.0,
    )


def test_context_of_a_member_without_the_organization_id_in_config() -> None:
    ctx = _ctx(partition="aws-cn", organization_member=True)
    assert ctx == Context(
        values=BASE,
        absent=frozenset(),
        present=frozenset({"aws:principalorgid", "aws:principalorgpaths"}),
        principal_shapes={**SHAPES, "aws:principalarn": f"arn:aws-cn:iam::{SRC}:*"},
        value_shapes={},
        config_hints={"aws:principalorgid": ORG_HINT, "aws:principalorgpaths": ORG_HINT},
        variables=True,
        account=SRC,
        at=None,
    )


def test_context_org_paths_from_the_configured_ous() -> None:
    ctx = _ctx(
        organization_member=True,
        org_id=OrgId(ORG, (f"{ORG}/r-ab12/ou-ab12-11111111/", f"{ORG}/r-ab12/ou-ab12-22222222")),
    )
    assert ctx.value_shapes == {
        "aws:principalorgpaths": (
            f"{ORG}/r-ab12/ou-ab12-11111111/*",
            f"{ORG}/r-ab12/ou-ab12-22222222/*",
        )
    }
    assert ctx.values["aws:principalorgid"] == [ORG]


def test_context_extra_keys_lowercased_listed_or_absent() -> None:
    # `context` of evaluate: a value or a list sets the key; None or [] makes it known absent,
    # also for a key the question would otherwise decide.
    ctx = _ctx(
        organization_member=True,
        extra={
            "aws:SourceIp": "1.2.3.4",
            "AWS:SourceVpc": ["vpc-1", "vpc-2"],
            "aws:MultiFactorAuthAge": [5],  # type: ignore[list-item]
            "kms:GrantIsForAWSResource": None,
            "aws:PrincipalIsAWSService": None,
            "aws:PrincipalOrgID": [],
            "aws:PrincipalOrgPaths": f"{ORG}/r-ab12/",
        },
    )
    assert ctx == Context(
        values={
            "aws:principalaccount": [SRC],
            "kms:calleraccount": [SRC],
            "aws:sourceip": ["1.2.3.4"],
            "aws:sourcevpc": ["vpc-1", "vpc-2"],
            "aws:multifactorauthage": ["5"],
            "aws:principalorgpaths": [f"{ORG}/r-ab12/"],
        },
        absent=frozenset(
            {"kms:grantisforawsresource", "aws:principalisawsservice", "aws:principalorgid"}
        ),
        present=frozenset(),
        principal_shapes=SHAPES,
        value_shapes={},
        config_hints={"aws:principalorgid": ORG_HINT, "aws:principalorgpaths": ORG_HINT},
        variables=True,
        account=SRC,
        at=None,
    )


def test_context_extra_key_given_outside_an_organization_is_no_longer_absent() -> None:
    ctx = _ctx(extra={"aws:PrincipalOrgID": ORG})
    assert (ctx.values["aws:principalorgid"], ctx.absent) == (
        [ORG],
        frozenset({"aws:principalorgpaths"}),
    )


# [keys] Context.state: which of the states (module docstring of conditions) a key is in.
STATE_CTX = {"organization_member": True, "org_id": ORG, "extra": {"aws:SourceVpc": None}}
NO_ORG_CTX = {"organization_member": True}


@pytest.mark.parametrize(
    ("ctx", "key", "state"),
    [
        (STATE_CTX, "AWS:PrincipalAccount", "known"),
        (STATE_CTX, "aws:CurrentTime", "known"),
        (STATE_CTX, "aws:EpochTime", "known"),
        (STATE_CTX, "aws:SourceVpc", "absent"),
        (STATE_CTX, "aws:PrincipalArn", "principal"),
        (STATE_CTX, "aws:PrincipalTag/team", "principal"),
        (STATE_CTX, "aws:PrincipalOrgPaths", "value"),
        (NO_ORG_CTX, "aws:PrincipalOrgID", "present"),
        (STATE_CTX, "aws:SourceIp", "unknown"),
    ],
    ids=["known", "time", "epoch", "absent", "principal", "tag", "value", "present", "unknown"],
)
def test_context_state_of_a_key(ctx: dict[str, Any], key: str, state: str) -> None:
    assert _ctx(**ctx).state(key) == state


# [variables] Context.resolve
RESOLVE_EXTRA = {"aws:SourceVpc": None, "aws:SourceVpce": "vpce-1", "aws:TagKeys": ["a", "b"]}


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        pytest.param("plain", "plain", id="no-variable"),
        pytest.param("a-${aws:PrincipalAccount}-b", f"a-{SRC}-b", id="text-around"),
        pytest.param(
            "${aws:PrincipalAccount}/${kms:CallerAccount}", f"{SRC}/{SRC}", id="two-variables"
        ),
        pytest.param("x${$}y", "x$y", id="dollar"),
        pytest.param("${$}${aws:PrincipalAccount}", f"${SRC}", id="dollar-then-variable"),
        pytest.param("${ aws:PrincipalAccount }", SRC, id="spaces"),
        pytest.param("${AWS:PRINCIPALACCOUNT}", SRC, id="key-case"),
        pytest.param("${aws:SourceVpc, 'vpc-9'}", "vpc-9", id="default-of-absent-key"),
        pytest.param("${aws:SourceVpc, 'a,b'}", "a,b", id="default-with-a-comma"),
        pytest.param("${aws:SourceVpc, ''}", "", id="empty-default"),
        pytest.param("${aws:SourceVpc, vpc-9}", None, id="default-without-quotes"),
        pytest.param("${aws:SourceVpc}", None, id="absent-key-without-default"),
        pytest.param("${aws:SourceVpce, 'vpc-9'}", "vpce-1", id="present-key-ignores-default"),
        pytest.param("${aws:SourceIp, 'x'}", None, id="unknown-key-ignores-default"),
        pytest.param("${aws:SourceIp}", None, id="unknown-key"),
        pytest.param("${aws:TagKeys}", None, id="multi-valued-key"),
        pytest.param("${*}", None, id="star"),
    ],
)
def test_context_resolves_policy_variables(text: str, resolved: str | None) -> None:
    assert _ctx(extra=RESOLVE_EXTRA).resolve(text) == resolved


def test_context_without_variables_keeps_the_text() -> None:
    # Version 2008-10-17 (or none): `${...}` is literal text.
    assert _ctx(variables=False).resolve("${aws:PrincipalAccount}") == "${aws:PrincipalAccount}"


def test_context_org_path_loses_only_its_trailing_slashes() -> None:
    # Only "/" is stripped before "/*" is added: a path's last character stays, whatever it is.
    ctx = _ctx(organization_member=True, org_id=OrgId(ORG, (f"{ORG}/r-ab12/X//",)))
    assert ctx.value_shapes == {"aws:principalorgpaths": (f"{ORG}/r-ab12/X/*",)}
