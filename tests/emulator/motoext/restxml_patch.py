"""rest-xml responses with the XML root element AWS sends (and strict SDKs require).

moto serialises many rest-xml outputs (S3 GetBucketVersioning, …) with its
generic serializer, whose root element is `<{Operation}Response>`: AWS's S3
answers `<VersioningConfiguration>`.  boto3 ignores the root; the Rust SDK
(and the other Smithy-generated SDKs) check it and fail with "encountered
invalid XML root".

The right root comes from the service model:
  * an output with a structure `payload` member: that member's `locationName`
    (botocore `serialization["name"]`), else the member name — e.g.
    GetBucketEncryption → ServerSideEncryptionConfiguration,
    GetObjectRetention → Retention;
  * an output without a payload: the output structure's Smithy `@xmlName`.
    botocore's JSON models drop that trait, so it is listed in
    NON_PAYLOAD_ROOTS (for S3: every operation whose deserializer in
    aws-sdk-s3 1.96 checks the root, plus GetBucketLocation).

A response filter (motoext.RESPONSE_FILTERS, applied by emulator/app.py to
every successful moto response) renames a wrong root element; attributes
(xmlns) and content are kept.  Only 2xx XML bodies of rest-xml services are
touched.  One test per entry of PATCHES in tests/test_s3_patch.py.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session

# Smithy @xmlName of output structures that have no payload member, by
# botocore service name and operation.
NON_PAYLOAD_ROOTS: dict[str, dict[str, str]] = {
    "s3": {
        "CompleteMultipartUpload": "CompleteMultipartUploadResult",
        "CreateMultipartUpload": "InitiateMultipartUploadResult",
        "DeleteObjects": "DeleteResult",
        "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
        "GetBucketAcl": "AccessControlPolicy",
        "GetBucketCors": "CORSConfiguration",
        "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
        "GetBucketLocation": "LocationConstraint",
        "GetBucketLogging": "BucketLoggingStatus",
        "GetBucketNotificationConfiguration": "NotificationConfiguration",
        "GetBucketRequestPayment": "RequestPaymentConfiguration",
        "GetBucketTagging": "Tagging",
        "GetBucketVersioning": "VersioningConfiguration",
        "GetBucketWebsite": "WebsiteConfiguration",
        "GetObjectAcl": "AccessControlPolicy",
        "GetObjectTagging": "Tagging",
        "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
        "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
        "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
        "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
        "ListBuckets": "ListAllMyBucketsResult",
        "ListMultipartUploads": "ListMultipartUploadsResult",
        "ListObjectVersions": "ListVersionsResult",
        "ListObjects": "ListBucketResult",
        "ListObjectsV2": "ListBucketResult",
        "ListParts": "ListPartsResult",
    },
}

# The first element of the document, after an optional XML declaration.
_ROOT = re.compile(rb"\A(\s*(?:<\?xml[^>]*\?>\s*)?)<([A-Za-z_][\w.:-]*)")


@functools.cache
def _model(service: str) -> Any:
    try:
        return botocore.session.get_session().get_service_model(service)
    except Exception:
        return None


@functools.cache
def expected_root(service: str, operation: str) -> str | None:
    """The root element of `operation`'s successful XML response, or None (no XML body / not rest-xml)."""
    model = _model(service)
    if model is None or model.protocol != "rest-xml":
        return None
    try:
        output = model.operation_model(operation).output_shape
    except Exception:
        return None
    if output is None:
        return None
    payload = output.serialization.get("payload")
    if payload:
        member = output.members[payload]
        if member.type_name != "structure":
            return None  # blob/string/event stream payloads are not XML documents of ours
        return member.serialization.get("name", payload)
    return NON_PAYLOAD_ROOTS.get(model.service_name, {}).get(operation)


def rename_root(body: bytes, root: str) -> bytes:
    """`body` with its root element renamed to `root` (unchanged when it already is, or is not XML)."""
    match = _ROOT.match(body)
    if match is None:
        return body
    current = match.group(2)
    wanted = root.encode()
    if current == wanted:
        return body
    start = match.end(1) + 1  # just after "<"
    body = body[:start] + wanted + body[start + len(current):]
    closing = b"</" + current
    at = body.rfind(closing)
    if at != -1 and re.match(rb"\s*>", body[at + len(closing):]):
        body = body[:at] + b"</" + wanted + body[at + len(closing):]
    return body


def fix_root(info: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    if not (200 <= status < 300) or not body:
        return headers, body
    root = expected_root(info.service, info.operation)
    if root is None:
        return headers, body
    fixed = rename_root(body, root)
    if fixed is body:
        return headers, body
    headers = [(k, str(len(fixed))) if k.lower() == "content-length" else (k, v) for k, v in headers]
    return headers, fixed


def patch_xml_root_element() -> None:
    """rest-xml 2xx responses get the model's root element (S3 GetBucketVersioning → VersioningConfiguration)."""
    from . import RESPONSE_FILTERS

    if fix_root not in RESPONSE_FILTERS:
        RESPONSE_FILTERS.append(fix_root)


PATCHES = [patch_xml_root_element]


def apply() -> None:
    for patch in PATCHES:
        patch()
