"""Check `organization`: both accounts in one AWS Organization (a cross-account copy needs it)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tools.verify.aws_session import error_code
from tools.verify.diagnose.model import Check, Context

TITLE = "same AWS Organization"


def check_organization(ctx: Context) -> Check:
    """organizations:DescribeOrganization in the source and the backup account."""
    ids: dict[str, str] = {}
    for account in ("source", "backup"):
        org = ctx.client(account, "organizations")
        try:
            ids[account] = org.describe_organization()["Organization"]["Id"]
        except ClientError as exc:
            if error_code(exc) == "AWSOrganizationsNotInUseException":
                return Check(
                    "organization",
                    TITLE,
                    "fail",
                    f"the {account} account is in no organization",
                    "cross-account backup needs both accounts in one AWS "
                    "Organization: invite the account into it",
                )
            raise
    if ids["source"] != ids["backup"]:
        return Check(
            "organization",
            TITLE,
            "fail",
            f"source is in {ids['source']}, backup in {ids['backup']}",
            "move both accounts into the same organization",
        )
    ctx.org_id = ids["source"]
    return Check("organization", TITLE, "pass", f"both accounts in {ctx.org_id}")
