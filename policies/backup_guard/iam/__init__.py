"""A small, Pulumi-free evaluator of IAM *resource* policies (vault access policies, key policies).

It answers one question the way IAM would: "does this resource policy let the principals of
account S (or one principal P of it) perform action A on resource R?" -- and says which
statement decided and why, so that a policy violation can name it.

Modules, one concern each:

- `document`: `parse_policy(doc) -> PolicyDocument` (raises `PolicyDocumentError`, a
  `ValueError`, with a message a user can act on), `Statement`, `Decision`.
- `match`: globs, ARN parts, and the `Principal`/`Action`/`Resource` elements.
- `conditions`: the request context as far as the question fixes it, and IAM's condition
  operators (String, Arn, Numeric, Date, Bool, Null, IpAddress, Binary; `...IfExists`,
  `ForAnyValue:`/`ForAllValues:`).
- `evaluate`: `evaluate(policy, *, principal_account, action, ...) -> Decision`, verdict one of
  `allowed`, `explicit-deny`, `implicit-deny`, `uncertain`.
- `shapes`: `wildcard_principal_statements`, `actions_with_wildcards`.

The decisions taken where the question leaves room (docs/policy-pack.md has the table):

- **Principals.** A grant to `"*"`, the account id or its root ARN lets the account in; a grant
  to one role or user of it (by `Principal` or by an `aws:PrincipalArn` condition) is not a grant
  to the account, and the reason says which principals it names. A `Deny` that applies to some
  principals of the account (one role, or every principal but one) may hit the one that runs the
  copy: `uncertain`, naming them.
- **Keys decided by the question**: `aws:PrincipalAccount`, `kms:CallerAccount`,
  `aws:PrincipalArn` (one value per principal of S, all `arn:P:iam::S:*`),
  `aws:PrincipalIsAWSService` (false), `aws:PrincipalOrgID`/`aws:PrincipalOrgPaths` (present:
  cross-account backup needs one organization; equality with `org_id`), `aws:CurrentTime` and
  `aws:EpochTime` (an `Allow` must hold from now on, a `Deny` applies if it holds at any date
  from now on: a grant that expires is reported with its date), and what the caller knows of the
  request (`context`).
- **Resources.** Wildcards, case-sensitive; a shape (glob) when the ARN is unknown; for a key
  policy (`self_resource`) any `Resource` that may be the key's own ARN is the key.
- Only what depends on the request itself (source IP, VPC endpoint, MFA, request tags,
  `kms:ViaService`, ...) makes a decision "not proof"; `Decision.request_keys` names those keys.
"""

from .conditions import parse_time
from .document import (
    Decision,
    PolicyDocument,
    PolicyDocumentError,
    Statement,
    Verdict,
    parse_policy,
)
from .evaluate import WILDCARD_VAULT_ACTION_NOTE, evaluate
from .match import arn_match, wildcard_match
from .shapes import (
    RESTRICTING_CONDITION_KEYS,
    actions_with_wildcards,
    statement_labels,
    wildcard_principal_statements,
)

__all__ = [
    "RESTRICTING_CONDITION_KEYS",
    "WILDCARD_VAULT_ACTION_NOTE",
    "Decision",
    "PolicyDocument",
    "PolicyDocumentError",
    "Statement",
    "Verdict",
    "actions_with_wildcards",
    "arn_match",
    "evaluate",
    "parse_policy",
    "parse_time",
    "statement_labels",
    "wildcard_match",
    "wildcard_principal_statements",
]
