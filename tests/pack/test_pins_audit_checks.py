"""Pins of `backup_guard.audit_checks` (issue 16), Pulumi-free: `backup-audit-bucket-private`
called directly on prod as the pack sees it (`stack_fixtures`: prod has Backup Audit Manager's
two report plans, one per account, delivering to one bucket of the backup account), changed in
one place. test_pack_recovery.py shows the same verdicts through a pack process.

References:
- Amazon S3 user guide, "Blocking public access to your Amazon S3 storage"
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
  the four settings BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
- Amazon S3 user guide, "Access control list (ACL) overview", canned ACLs
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl):
  `public-read`, `public-read-write` (AllUsers) and `authenticated-read` (any AWS account) open
  the bucket; `private`, `log-delivery-write`, `bucket-owner-*` do not. pulumi-aws
  (pulumi_aws/s3/bucket_acl.py): `aws.s3.BucketAcl` takes `bucket` and the canned `acl`.
- AWS Backup API, ReportDeliveryChannel, S3BucketName: "The unique name of the S3 bucket that
  receives your reports"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ReportDeliveryChannel.html).
"""

from __future__ import annotations

from typing import Any

import pytest
import stack_fixtures as sf

from backup_guard import audit_checks
from backup_guard.values import UNKNOWN

BAK = "222222222222"
BUCKET = "cross-account-audit-bucket"
BLOCK = "cross-account-audit-bucket-public-access"
NAME = f"cross-account-backup-prod-audit-{BAK}"
REPORTS = ("cross-account-audit-report-backup", "cross-account-audit-report-source")


def audit(data: sf.Stack) -> list[tuple[str, str]]:
    return audit_checks.audit_bucket_private(sf.build(data), {})


def urn(data: sf.Stack, name: str) -> str:
    value: str = sf.named(data, name)["urn"]
    return value


def subject(report: str) -> str:
    return f"audit bucket `{BUCKET}` ('{NAME}', reports of `{report}`)"


def props(data: sf.Stack, name: str) -> dict[str, Any]:
    value: dict[str, Any] = sf.named(data, name)["properties"]
    return value


def test_audit_types_are_what_the_check_reads() -> None:
    assert {
        "aws:backup/reportPlan:ReportPlan",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketAcl:BucketAcl",
    } == audit_checks.AUDIT_TYPES


@pytest.mark.parametrize("mode", sf.MODES)
def test_prod_audit_bucket_private_and_protected_is_accepted(mode: str) -> None:
    assert audit(sf.raw("prod", mode)) == []


@pytest.mark.parametrize("stack", ["dev", "org"])
def test_stack_without_report_plans_has_nothing_to_judge(stack: str) -> None:
    assert audit(sf.raw(stack)) == []


def test_report_plan_to_a_bucket_the_stack_does_not_build_is_rejected() -> None:
    data = sf.raw("prod")
    props(data, REPORTS[1])["reportDeliveryChannel"]["s3BucketName"] = "somebody-elses-bucket"
    assert audit(data) == [
        (
            f"report plan `{REPORTS[1]}` delivers to bucket 'somebody-elses-bucket', which this "
            "stack does not build: nothing here proves it is private and protected",
            urn(data, REPORTS[1]),
        )
    ]


def test_report_bucket_unknown_during_preview_is_not_judged() -> None:
    data = sf.raw("prod")
    props(data, REPORTS[0])["reportDeliveryChannel"]["s3BucketName"] = UNKNOWN
    props(data, REPORTS[1])["reportDeliveryChannel"] = UNKNOWN
    sf.named(data, BUCKET)["options"]["protect"] = False
    assert audit(data) == []


def test_bucket_whose_name_is_unknown_is_not_the_report_bucket() -> None:
    data = sf.raw("prod")
    props(data, BUCKET)["bucket"] = UNKNOWN
    assert [m for m, _ in audit(data)] == [
        f"report plan `{report}` delivers to bucket '{NAME}', which this stack does not build: "
        "nothing here proves it is private and protected"
        for report in REPORTS
    ]


def test_unprotected_audit_bucket_is_rejected_once_per_report_plan() -> None:
    data = sf.raw("prod")
    sf.named(data, BUCKET)["options"]["protect"] = False
    assert audit(data) == [
        (
            f"{subject(report)} is not protected from deletion: set the `protect` resource "
            "option (the reports are the audit evidence)",
            urn(data, BUCKET),
        )
        for report in REPORTS
    ]


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_audit_bucket_with_a_public_canned_acl_is_rejected(acl: str) -> None:
    data = sf.raw("prod")
    props(data, BUCKET)["acl"] = acl
    assert audit(data) == [
        (f"{subject(report)} has the public canned ACL '{acl}'", urn(data, BUCKET))
        for report in REPORTS
    ]


@pytest.mark.parametrize("acl", ["private", "log-delivery-write", UNKNOWN])
def test_audit_bucket_with_a_private_or_unknown_acl_passes(acl: str) -> None:
    data = sf.raw("prod")
    props(data, BUCKET)["acl"] = acl
    assert audit(data) == []


def _bucket_acl(data: sf.Stack, bucket: str, acl: str) -> str:
    """Add an `aws.s3.BucketAcl` (the program sets none: BucketOwnerEnforced)."""
    r = sf.clone(data, "cross-account-audit-bucket-ownership", "cross-account-audit-bucket-acl")
    r["type"] = audit_checks.BUCKET_ACL
    r["urn"] = r["urn"].replace(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", audit_checks.BUCKET_ACL
    )
    r["properties"] = {"bucket": bucket, "acl": acl}
    value: str = r["urn"]
    return value


def test_bucket_acl_resource_granting_public_read_is_rejected_on_that_resource() -> None:
    data = sf.raw("prod")
    acl_urn = _bucket_acl(data, NAME, "public-read")
    assert audit(data) == [
        (f"{subject(report)} has the public canned ACL 'public-read'", acl_urn)
        for report in REPORTS
    ]


def test_bucket_acl_resource_that_is_private_passes() -> None:
    data = sf.raw("prod")
    _bucket_acl(data, NAME, "private")
    assert audit(data) == []


def test_bucket_acl_resource_of_another_bucket_is_not_the_audit_buckets() -> None:
    data = sf.raw("prod")
    _bucket_acl(data, "another-bucket", "public-read")
    assert audit(data) == []


def test_audit_bucket_without_public_access_block_is_rejected() -> None:
    data = sf.raw("prod")
    data["resources"].remove(sf.named(data, BLOCK))
    assert audit(data) == [
        (
            f"{subject(report)} has no public access block: set blockPublicAcls, "
            "ignorePublicAcls, blockPublicPolicy, restrictPublicBuckets to true",
            urn(data, BUCKET),
        )
        for report in REPORTS
    ]


def test_public_access_block_of_another_bucket_does_not_count() -> None:
    data = sf.raw("prod")
    props(data, BLOCK)["bucket"] = "another-bucket"
    assert [m for m, _ in audit(data)] == [
        f"{subject(report)} has no public access block: set blockPublicAcls, ignorePublicAcls, "
        "blockPublicPolicy, restrictPublicBuckets to true"
        for report in REPORTS
    ]


def test_public_access_block_leaving_two_settings_off_names_them_in_order() -> None:
    data = sf.raw("prod")
    props(data, BLOCK).update(blockPublicPolicy=False, restrictPublicBuckets=False)
    assert audit(data) == [
        (
            f"{subject(report)}: public access block `{BLOCK}` leaves blockPublicPolicy, "
            "restrictPublicBuckets off: the reports could be made public",
            urn(data, BLOCK),
        )
        for report in REPORTS
    ]


@pytest.mark.parametrize("setting", audit_checks.BLOCK_SETTINGS)
def test_each_public_access_block_setting_absent_is_off(setting: str) -> None:
    data = sf.raw("prod")
    del props(data, BLOCK)[setting]
    assert [m for m, _ in audit(data)] == [
        f"{subject(report)}: public access block `{BLOCK}` leaves {setting} off: the reports "
        "could be made public"
        for report in REPORTS
    ]


def test_public_access_block_setting_unknown_is_not_proof_it_is_on() -> None:
    data = sf.raw("prod")
    props(data, BLOCK)["ignorePublicAcls"] = UNKNOWN
    assert [m for m, _ in audit(data)] == [
        f"{subject(report)}: public access block `{BLOCK}` leaves ignorePublicAcls off: the "
        "reports could be made public"
        for report in REPORTS
    ]


def test_the_four_block_settings_are_s3s() -> None:
    assert audit_checks.BLOCK_SETTINGS == (
        "blockPublicAcls",
        "ignorePublicAcls",
        "blockPublicPolicy",
        "restrictPublicBuckets",
    )


def test_every_fault_of_the_bucket_is_reported_in_order() -> None:
    data = sf.raw("prod")
    sf.named(data, BUCKET)["options"]["protect"] = False
    props(data, BUCKET)["acl"] = "public-read"
    props(data, BLOCK)["blockPublicAcls"] = False
    report = REPORTS[0]
    data["resources"].remove(sf.named(data, REPORTS[1]))
    assert audit(data) == [
        (
            f"{subject(report)} is not protected from deletion: set the `protect` resource "
            "option (the reports are the audit evidence)",
            urn(data, BUCKET),
        ),
        (f"{subject(report)} has the public canned ACL 'public-read'", urn(data, BUCKET)),
        (
            f"{subject(report)}: public access block `{BLOCK}` leaves blockPublicAcls off: the "
            "reports could be made public",
            urn(data, BLOCK),
        ),
    ]


def test_first_report_plan_to_a_bucket_not_built_leaves_the_next_judged() -> None:
    data = sf.raw("prod")
    props(data, REPORTS[0])["reportDeliveryChannel"]["s3BucketName"] = "somebody-elses-bucket"
    sf.named(data, BUCKET)["options"]["protect"] = False
    assert [m for m, _ in audit(data)] == [
        f"report plan `{REPORTS[0]}` delivers to bucket 'somebody-elses-bucket', which this "
        "stack does not build: nothing here proves it is private and protected",
        f"{subject(REPORTS[1])} is not protected from deletion: set the `protect` resource "
        "option (the reports are the audit evidence)",
    ]


def test_first_report_plan_of_unknown_bucket_leaves_the_next_judged() -> None:
    data = sf.raw("prod", "preview")
    props(data, REPORTS[0])["reportDeliveryChannel"]["s3BucketName"] = UNKNOWN
    sf.named(data, BUCKET)["options"]["protect"] = False
    assert audit(data) == [
        (
            f"{subject(REPORTS[1])} is not protected from deletion: set the `protect` resource "
            "option (the reports are the audit evidence)",
            urn(data, BUCKET),
        )
    ]
