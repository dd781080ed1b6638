"""`backup-audit-bucket-private` (issue 14): the bucket Backup Audit Manager reports land in.

The reports are the evidence that the copies are kept and locked; a reader of the bucket learns
every protected resource, a writer can forge or remove the evidence. So the bucket a report
plan of the stack delivers to (`reportDeliveryChannel.s3BucketName`) must be a bucket of the
stack, with every S3 Block Public Access setting on (S3 user guide, "Blocking public access to
your Amazon S3 storage": BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
RestrictPublicBuckets), no public canned ACL, and `protect` set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Config
from .topology import Topology
from .values import get, is_unknown

REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
AUDIT_TYPES = frozenset({REPORT_PLAN, BUCKET, PUBLIC_ACCESS_BLOCK, BUCKET_ACL})

BLOCK_SETTINGS = (
    "blockPublicAcls",
    "ignorePublicAcls",
    "blockPublicPolicy",
    "restrictPublicBuckets",
)
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


def _bucket_of_plan(plan_props: Mapping[str, Any]) -> str | None:
    channel = plan_props.get("reportDeliveryChannel")
    name = channel.get("s3BucketName") if isinstance(channel, Mapping) else None
    return name if isinstance(name, str) and not is_unknown(name) else None


def _name(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return value if isinstance(value, str) and not is_unknown(value) else None


def audit_bucket_private(topo: Topology, config: Config) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    resources = topo.resources
    for plan in (r for r in resources if r.type == REPORT_PLAN):
        name = _bucket_of_plan(plan.props)
        if name is None:
            continue
        buckets = [r for r in resources if r.type == BUCKET and _name(r.props, "bucket") == name]
        if not buckets:
            out.append(
                (
                    f"report plan `{plan.name}` delivers to bucket '{name}', which this stack "
                    "does not build: nothing here proves it is private and protected",
                    plan.urn,
                )
            )
            continue
        for bucket in buckets:
            subject = f"audit bucket `{bucket.name}` ('{name}', reports of `{plan.name}`)"
            if not bucket.protect:
                out.append(
                    (
                        f"{subject} is not protected from deletion: set the `protect` resource "
                        "option (the reports are the audit evidence)",
                        bucket.urn,
                    )
                )
            acl = get(bucket.props, "acl", None)
            if isinstance(acl, str) and acl in PUBLIC_ACLS:
                out.append((f"{subject} has the public canned ACL '{acl}'", bucket.urn))
            for r in resources:
                if r.type == BUCKET_ACL and _name(r.props, "bucket") == name:
                    acl = get(r.props, "acl", None)
                    if isinstance(acl, str) and acl in PUBLIC_ACLS:
                        out.append((f"{subject} has the public canned ACL '{acl}'", r.urn))
            blocks = [
                r
                for r in resources
                if r.type == PUBLIC_ACCESS_BLOCK and _name(r.props, "bucket") == name
            ]
            if not blocks:
                out.append(
                    (
                        f"{subject} has no public access block: set {', '.join(BLOCK_SETTINGS)} "
                        "to true",
                        bucket.urn,
                    )
                )
            for block in blocks:
                off = [s for s in BLOCK_SETTINGS if get(block.props, s, False) is not True]
                if off:
                    out.append(
                        (
                            f"{subject}: public access block `{block.name}` leaves "
                            f"{', '.join(off)} off: the reports could be made public",
                            block.urn,
                        )
                    )
    return out
