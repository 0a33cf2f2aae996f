"""Which AWS service, region and operation a request is for.

The service and region come from the SigV4 credential scope (Authorization
header, or X-Amz-Credential of a presigned URL), i.e. the SDK's signing name,
which is also what moto dispatches on (`tagging` is moto's
resourcegroupstaggingapi; awserrors.MODEL_NAMES maps such signing names to
their botocore model).  The operation is the AWS operation
name from the botocore model, matched by moto's own router: the `Action`
parameter (query protocols), the X-Amz-Target header (JSON), or method + path
+ query keys (rest-json, rest-xml; S3 path-style included).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from moto.core.request import Request
from moto.core.routing import get_service_router

from .awserrors import model_name


@dataclass
class RequestInfo:
    service: str
    region: str
    operation: str


def _scope(environ: dict[str, Any]) -> tuple[str, str] | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = None
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    else:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Credential" in query:
            credential = query["X-Amz-Credential"][0]
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) >= 5:
        return parts[3], parts[2]
    return None


def _fallback_operation(environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    for source in (environ.get("QUERY_STRING", ""), body.decode("utf-8", "replace")):
        action = parse_qs(source).get("Action")
        if action:
            return action[0]
    return "Unknown"


def identify(environ: dict[str, Any], body: bytes) -> RequestInfo:
    scope = _scope(environ)
    if scope is None:
        operation = _fallback_operation(environ, body)
        if operation != "Unknown":
            return RequestInfo("unknown", "us-east-1", operation)
        # Unsigned or SigV2-presigned: moto serves these as S3, and so do we.
        scope = ("s3", "us-east-1")
    service, region = scope
    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    copy["CONTENT_LENGTH"] = str(len(body))
    try:
        operation, _ = get_service_router(model_name(service)).match(Request(copy))
        name = str(operation.name)
    except Exception:
        name = _fallback_operation(environ, body)
    return RequestInfo(service, region, name)
