"""The resource to back up, read with its own API (source account): exists? tags? keys?

Snapshots of EBS, EC2, RDS and Aurora keep the resource's own KMS key; the key ids come from the
service's describe call (`ec2:DescribeVolumes`, `rds:DescribeDBInstances`, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tools.verify.aws_session import AccountClients, error_code, error_message
from tools.verify.inputs import ResourceRef


class ResourceNotFound(LookupError):
    """The resource ARN names nothing in the source account."""


@dataclass(frozen=True)
class ResourceInfo:
    """What verification needs to know about the resource."""

    tags: Mapping[str, str]
    encrypted: bool | None
    """None when the resource type's encryption is not inspected."""
    key_ids: tuple[str, ...]


_NOT_FOUND_CODES = frozenset(
    {
        "InvalidVolume.NotFound",
        "InvalidVolumeID.Malformed",
        "InvalidInstanceID.NotFound",
        "InvalidInstanceID.Malformed",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBClusterNotFoundFault",
        "FileSystemNotFound",
        "ResourceNotFoundException",
        "NoSuchBucket",
        "NotFound",
        "404",
    }
)


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or ()}


def describe_resource(clients: AccountClients, resource: ResourceRef) -> ResourceInfo:
    """Look the resource up with its own API (source account): tags and KMS key(s).

    Raises `ResourceNotFound` when the API says it does not exist.
    """
    try:
        return _describe_resource(clients, resource)
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND_CODES:
            raise ResourceNotFound(
                f"{resource.arn} does not exist in account {resource.account_id} region "
                f"{resource.region} ({error_code(exc)}: {error_message(exc)})"
            ) from exc
        raise


def _describe_resource(clients: AccountClients, resource: ResourceRef) -> ResourceInfo:
    rid, kind = resource.resource_id, resource.kind
    if kind == "ebs":
        ec2 = clients.client("source", "ec2")
        volume = ec2.describe_volumes(VolumeIds=[rid])["Volumes"][0]
        keys = (volume["KmsKeyId"],) if volume.get("KmsKeyId") else ()
        return ResourceInfo(_tags(volume.get("Tags")), bool(volume.get("Encrypted")), keys)
    if kind == "ec2":
        ec2 = clients.client("source", "ec2")
        reservations = ec2.describe_instances(InstanceIds=[rid])["Reservations"]
        if not reservations or not reservations[0]["Instances"]:
            raise ResourceNotFound(f"{resource.arn}: no such instance")
        instance = reservations[0]["Instances"][0]
        volume_ids = [
            m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m
        ]
        volumes = ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"] if volume_ids else []
        keys = tuple(sorted({v["KmsKeyId"] for v in volumes if v.get("KmsKeyId")}))
        encrypted = all(v.get("Encrypted") for v in volumes) if volumes else False
        return ResourceInfo(_tags(instance.get("Tags")), encrypted, keys)
    if kind in ("rds", "aurora"):
        rds = clients.client("source", "rds")
        if kind == "rds":
            db = rds.describe_db_instances(DBInstanceIdentifier=rid)["DBInstances"][0]
        else:
            db = rds.describe_db_clusters(DBClusterIdentifier=rid)["DBClusters"][0]
        keys = (db["KmsKeyId"],) if db.get("KmsKeyId") else ()
        return ResourceInfo(_tags(db.get("TagList")), bool(db.get("StorageEncrypted")), keys)
    if kind == "efs":
        efs = clients.client("source", "efs")
        fs = efs.describe_file_systems(FileSystemId=rid)["FileSystems"][0]
        keys = (fs["KmsKeyId"],) if fs.get("KmsKeyId") else ()
        return ResourceInfo(_tags(fs.get("Tags")), bool(fs.get("Encrypted")), keys)
    if kind == "dynamodb":
        ddb = clients.client("source", "dynamodb")
        table = ddb.describe_table(TableName=rid)["Table"]
        key = (table.get("SSEDescription") or {}).get("KMSMasterKeyArn")
        tags = ddb.list_tags_of_resource(ResourceArn=resource.arn).get("Tags")
        return ResourceInfo(_tags(tags), True, (key,) if key else ())
    if kind == "s3":
        s3 = clients.client("source", "s3")
        try:
            tag_set = s3.get_bucket_tagging(Bucket=rid).get("TagSet")
        except ClientError as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            tag_set = []
        return ResourceInfo(_tags(tag_set), None, ())
    # Any other type: the tagging API knows the tags; the key is not inspected.
    tagging = clients.client("source", "resourcegroupstaggingapi")
    found = tagging.get_resources(ResourceARNList=[resource.arn]).get("ResourceTagMappingList", [])
    tags = _tags(found[0].get("Tags")) if found else {}
    return ResourceInfo(tags, None, ())
