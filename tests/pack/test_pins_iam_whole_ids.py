"""Principal entries matched whole, in ASCII digits (issue 16): `ACCOUNT_RE`/`IAM_ARN_RE` were
applied with `match`, whose `$` also matches before a trailing newline, and `\\d` takes any
Unicode digit. So `"111111111111\\n"` or `"arn:aws:iam::111111111111:root\\n"` in a Principal
counted as the account, and the pack proved a grant that IAM refuses: a principal must be an
account id or an IAM ARN (IAM JSON policy reference, "AWS JSON policy elements: Principal",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html;
AWS account ids are 12 digits), and PutBackupVaultAccessPolicy/PutKeyPolicy reject a malformed
one. Such an entry designates nobody."""

from __future__ import annotations

import pytest

from iam_tables import ROOT, SRC, check, pol, st

FULLWIDTH = "\uff11" * 12  # FULLWIDTH DIGIT ONE x 12: Unicode digits, not ASCII

NOT_AN_ENTRY = [SRC + "\n", ROOT + "\n", FULLWIDTH, f"arn:aws:iam::{FULLWIDTH}:root"]


@pytest.mark.parametrize("entry", NOT_AN_ENTRY)
def test_a_principal_entry_that_is_not_an_id_or_arn_grants_nobody(entry: str) -> None:
    check(pol(st(principal={"AWS": entry})), {}, "implicit-deny", None, "no statement allows")


@pytest.mark.parametrize("entry", [SRC, ROOT])
def test_the_account_id_and_root_arn_grant_the_account(entry: str) -> None:
    check(pol(st(principal={"AWS": entry})), {}, "allowed", "S", "allows")


@pytest.mark.parametrize("entry", NOT_AN_ENTRY)
def test_a_not_principal_entry_that_is_not_an_id_or_arn_excludes_nobody(entry: str) -> None:
    # NotPrincipal lists who the statement does NOT apply to: a malformed entry excludes
    # nobody, so the Allow applies to the caller.
    check(pol(st(not_principal={"AWS": entry})), {}, "allowed", "S", "allows")
