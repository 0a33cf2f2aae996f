"""Resource Groups Tagging API (signing name `tagging`) behaviour of AWS that moto 5.2.5 lacks.

moto serves GetResources/TagResources/UntagResources centrally
(moto/resourcegroupstaggingapi/models.py): it walks every in-use backend that
is a `TaggableResourcesMixin` (moto/core/resource_tagging.py) and filters
what their `iter_tagged_resources()` yield.  Our own backends (kafkaconnect,
redshiftserverless) are such mixins; RDS groups are added by
rds_patch.patch_tagging_api_rds_groups.  The patches here fix the central
code and the resources of moto's other backends:

* CloudWatch Logs reports log groups as "logs:loggroup": AWS's resource type
  is "logs:log-group", so ResourceTypeFilters=["logs:log-group"] found nothing;
* GetResources cut every page at 100 tags even without TagsPerPage (and at
  99 with it: `>=`), so ResourcesPerPage=100 gave 49 resources of 2 tags;
* a backend's own error for one ARN of TagResources/UntagResources (e.g. an
  unknown connector) failed the whole request with that service's error
  shape; AWS reports it per ARN in FailedResourcesMap;
* S3 buckets of every region came back in every region (moto's S3 backend is
  global); AWS lists a bucket in its own region only;
* EC2 Elastic IPs (cdcstack's NAT gateway addresses) were missing;
* a deleted log group's or bucket's tags stayed in moto's tagger, so a new
  log group / bucket of the same name came back with the old tags (in
  GetResources and in the service's own ListTagsForResource/GetBucketTagging).

One test per entry of PATCHES in tests/test_tagging_patch.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from moto.core.errors import ErrorLookupFactory, get_exception_service_model
from moto.core.exceptions import ServiceException, _RESTError
from moto.core.responses import ActionResult
from moto.core.resource_tagging import TaggedResource
from moto.ec2.models import EC2Backend
from moto.logs.models import LogsBackend
from moto.moto_api._internal import mock_random
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse
from moto.s3.models import S3Backend

# ---------------------------------------------------------------- log group resource type


def _logs_iter_tagged_resources(original):
    def iter_tagged_resources(self: LogsBackend) -> Iterator[TaggedResource]:
        for resource in original(self):
            if resource.resource_type == "logs:loggroup":
                resource.resource_type = "logs:log-group"
            yield resource

    return iter_tagged_resources


# ---------------------------------------------------------------- page size


def get_resources(self: ResourceGroupsTaggingAPIBackend, pagination_token: str | None = None,
                  resources_per_page: int = 50, tags_per_page: int | None = None,
                  tag_filters: list[dict[str, Any]] | None = None,
                  resource_type_filters: list[str] | None = None,
                  resource_arn_list: list[str] | None = None) -> tuple[str | None, list[TaggedResource]]:
    """One page: at most `resources_per_page` resources and, only when TagsPerPage
    was given, at most `tags_per_page` tags (a resource without tags counts as one;
    a resource is never split across pages).  No token after the last resource."""
    if pagination_token:
        page = self._pages.pop(pagination_token, None)
        if page is None:
            raise ResourceGroupsTaggingAPIError("PaginationTokenExpiredException", "Token does not exist")
        generator, pending = page["gen"], page["misc"]
    else:
        generator = self._get_resources_generator(
            tag_filters=tag_filters, resource_type_filters=resource_type_filters,
            resource_arn_list=resource_arn_list,
        )
        pending = None
    result: list[TaggedResource] = []
    tags = 0
    while True:
        item = pending if pending is not None else next(generator, None)
        pending = None
        if item is None:
            return None, result
        weight = max(1, len(item.tags))
        full = len(result) >= resources_per_page or (tags_per_page is not None and tags + weight > tags_per_page)
        if result and full:
            token = str(mock_random.uuid4())
            self._pages[token] = {"gen": generator, "misc": item}
            return token, result
        result.append(item)
        tags += weight


def response_get_resources(self: ResourceGroupsTaggingAPIResponse) -> ActionResult:
    """moto's handler, except that a missing TagsPerPage means no tag limit (moto: 100)."""
    tags_per_page = self._get_int_param("TagsPerPage")
    resources_per_page = self._get_int_param("ResourcesPerPage", 50)
    if tags_per_page is not None and tags_per_page not in range(100, 501):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "TagsPerPage must be between 100 and 500")
    if resources_per_page not in range(1, 101):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
    token, resources = self.backend.get_resources(
        pagination_token=self._get_param("PaginationToken"),
        resources_per_page=resources_per_page,
        tags_per_page=tags_per_page,
        tag_filters=self._get_param("TagFilters", []),
        resource_type_filters=self._get_param("ResourceTypeFilters", []),
        resource_arn_list=self._get_param("ResourceARNList", []),
    )
    return ActionResult({
        "ResourceTagMappingList": [
            {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]}
            for r in resources
        ],
        "PaginationToken": token,
    })


# ---------------------------------------------------------------- FailedResourcesMap


def _failure(error: Exception) -> dict[str, Any] | None:
    """FailureInfo for a service's own error, as AWS passes it through; None for anything else."""
    if isinstance(error, _RESTError):
        return {"StatusCode": int(error.code), "ErrorCode": error.error_type, "ErrorMessage": error.message}
    if isinstance(error, ServiceException):
        status = 400
        try:
            model = get_exception_service_model(error)
            shape = ErrorLookupFactory().for_service(model).from_code(error.code) if model else None
            if shape is not None:
                status = shape.metadata.get("error", {}).get("httpStatusCode") or (400 if shape.is_sender_fault else 500)
        except Exception:
            pass
        return {"StatusCode": status, "ErrorCode": error.code, "ErrorMessage": error.message}
    return None


def _one_by_one(arns: list[str], call: Any) -> dict[str, dict[str, Any]]:
    failed: dict[str, dict[str, Any]] = {}
    for arn in arns:
        try:
            failed.update(call([arn]))
        except Exception as e:
            info = _failure(e)
            if info is None:
                raise
            failed[arn] = info
    return failed


def _tag_resources(original):
    def tag_resources(self: ResourceGroupsTaggingAPIBackend, resource_arns: list[str],
                      tags: dict[str, str]) -> dict[str, dict[str, Any]]:
        return _one_by_one(resource_arns, lambda one: original(self, one, tags))

    return tag_resources


def _untag_resources(original):
    def untag_resources(self: ResourceGroupsTaggingAPIBackend, resource_arn_list: list[str],
                        tag_keys: list[str]) -> dict[str, dict[str, Any]]:
        return _one_by_one(resource_arn_list, lambda one: original(self, one, tag_keys))

    return untag_resources


# ---------------------------------------------------------------- S3 bucket region


def _resources_generator(original):
    def generator(self: ResourceGroupsTaggingAPIBackend, *args: Any, **kwargs: Any) -> Iterator[TaggedResource]:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        for resource in original(self, *args, **kwargs):
            if resource.resource_type == "s3:bucket":
                s3 = s3_backends[self.account_id][get_partition(self.region_name)]
                bucket = s3.buckets.get(resource.arn.rsplit(":", 1)[-1])
                if bucket is not None and bucket.region_name != self.region_name:
                    continue
            yield resource

    return generator


# ---------------------------------------------------------------- EC2 Elastic IPs


def _ec2_iter_tagged_resources(original):
    def iter_tagged_resources(self: EC2Backend) -> Iterator[TaggedResource]:
        yield from original(self)
        for address in list(self.addresses):
            if address.allocation_id:
                yield TaggedResource(
                    arn=f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}:elastic-ip/{address.allocation_id}",
                    tags=dict(self.tags.get(address.allocation_id, {})),
                    resource_type="ec2:elastic-ip",
                )

    return iter_tagged_resources


# ---------------------------------------------------------------- deleted resources' tags


def _delete_log_group(original):
    def delete_log_group(self: LogsBackend, log_group_name: str) -> None:
        group = self.groups.get(log_group_name)
        original(self, log_group_name)
        if group is not None:
            self.tagger.delete_all_tags_for_resource(group.arn)

    return delete_log_group


def _delete_bucket(original):
    def delete_bucket(self: S3Backend, bucket_name: str) -> Any:
        bucket = original(self, bucket_name)
        if bucket is not None:  # None: not empty, not deleted
            self.tagger.delete_all_tags_for_resource(bucket.arn)
        return bucket

    return delete_bucket


# ---------------------------------------------------------------- patches


def patch_tagging_api_log_group_type() -> None:
    """Log groups have resource type "logs:log-group" (moto: "logs:loggroup"), so that filter works."""
    LogsBackend.iter_tagged_resources = _logs_iter_tagged_resources(LogsBackend.iter_tagged_resources)


def patch_tagging_api_page_size() -> None:
    """ResourcesPerPage alone bounds a page (moto: also 100 tags, `>=`, so 49 resources of 2 tags);
    TagsPerPage, when given, allows exactly that many tags."""
    ResourceGroupsTaggingAPIBackend.get_resources = get_resources
    ResourceGroupsTaggingAPIResponse.get_resources = response_get_resources


def patch_tagging_api_failed_resources() -> None:
    """TagResources/UntagResources: a service's error for one ARN goes to FailedResourcesMap
    (its StatusCode, ErrorCode, ErrorMessage); the other ARNs are still tagged (moto: the request fails)."""
    ResourceGroupsTaggingAPIBackend.tag_resources = _tag_resources(ResourceGroupsTaggingAPIBackend.tag_resources)
    ResourceGroupsTaggingAPIBackend.untag_resources = _untag_resources(ResourceGroupsTaggingAPIBackend.untag_resources)


def patch_tagging_api_s3_bucket_region() -> None:
    """GetResources lists an S3 bucket only in its own region (moto: in every region)."""
    ResourceGroupsTaggingAPIBackend._get_resources_generator = _resources_generator(
        ResourceGroupsTaggingAPIBackend._get_resources_generator
    )


def patch_tagging_api_elastic_ips() -> None:
    """GetResources lists VPC Elastic IPs: "ec2:elastic-ip", arn:aws:ec2:<region>:<account>:elastic-ip/eipalloc-…"""
    EC2Backend.iter_tagged_resources = _ec2_iter_tagged_resources(EC2Backend.iter_tagged_resources)


def patch_deleted_resource_tags() -> None:
    """DeleteLogGroup / DeleteBucket drop the resource's tags: a new one of the same name starts untagged."""
    LogsBackend.delete_log_group = _delete_log_group(LogsBackend.delete_log_group)
    S3Backend.delete_bucket = _delete_bucket(S3Backend.delete_bucket)


PATCHES = [
    patch_tagging_api_log_group_type,
    patch_tagging_api_page_size,
    patch_tagging_api_failed_resources,
    patch_tagging_api_s3_bucket_region,
    patch_tagging_api_elastic_ips,
    patch_deleted_resource_tags,
]


def apply() -> None:
    for patch in PATCHES:
        patch()
