"""AWS error responses in each protocol's wire shape, for injected faults.

The code and status are what the real service returns, so an SDK classifies
them as it would in AWS (the Rust SDK retries Throttling, ThrottlingException,
RequestLimitExceeded, SlowDown and TooManyRequestsException as throttling,
and any 500/502/503/504 as transient):

| protocol / service        | throttle                           | 500                          | 503                              |
|---------------------------|------------------------------------|------------------------------|----------------------------------|
| ec2 (EC2 XML)             | RequestLimitExceeded 503           | InternalError                | Unavailable                      |
| query: rds, iam, sts      | Throttling 400 (Type Sender)       | InternalFailure              | ServiceUnavailable               |
| rest-xml: s3              | SlowDown 503                       | InternalError                | ServiceUnavailable               |
| rest-json: kafka, kafkaconnect | TooManyRequestsException 429  | InternalServerErrorException | ServiceUnavailableException      |
| other rest-json (rds-data)| ThrottlingException 400            | InternalServerErrorException | ServiceUnavailableError          |
| json: redshift-serverless, secretsmanager, logs, ssm | ThrottlingException 400 | the model's internal error (e.g. InternalServerException) | ServiceUnavailable |
| json: tagging (model resourcegroupstaggingapi) | ThrottledException 400 | InternalServiceException | ServiceUnavailable |
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import botocore.session


# SigV4 signing names whose botocore model has another name.
MODEL_NAMES = {"tagging": "resourcegroupstaggingapi"}


def model_name(service: str) -> str:
    """The botocore model of signing name `service` (e.g. tagging → resourcegroupstaggingapi)."""
    return MODEL_NAMES.get(service, service)


@functools.cache
def _model(service: str) -> Any:
    try:
        return botocore.session.get_session().get_service_model(model_name(service))
    except Exception:
        return None


_WIRE_PROTOCOLS = ("ec2", "query", "json", "rest-json", "rest-xml")


def protocol(service: str) -> str:
    """The protocol SDKs speak to `service`.  A model may list a newer one first
    (resourcegroupstaggingapi: `smithy-rpc-v2-cbor`, then `json`); boto3 and the
    Rust SDK still send the JSON one, which is what moto serves."""
    model = _model(service)
    if model is None:
        return "json"
    for candidate in [model.protocol, *(model.metadata.get("protocols") or [])]:
        if candidate in _WIRE_PROTOCOLS:
            return candidate
    return "json"


def _shape_named(service: str, *names: str) -> str | None:
    model = _model(service)
    if model is None:
        return None
    available = {shape.name for shape in model.error_shapes}
    for name in names:
        if name in available:
            return name
    return None


def throttle_error(service: str) -> tuple[str, int, str]:
    proto = protocol(service)
    if proto == "ec2":
        return "RequestLimitExceeded", 503, "Request limit exceeded."
    if service == "s3" or proto == "rest-xml":
        return "SlowDown", 503, "Please reduce your request rate."
    if proto == "query":
        return "Throttling", 400, "Rate exceeded"
    if proto == "rest-json" and _shape_named(service, "TooManyRequestsException"):
        return "TooManyRequestsException", 429, "Too Many Requests"
    if not _shape_named(service, "ThrottlingException") and _shape_named(service, "ThrottledException"):
        return "ThrottledException", 400, "Rate exceeded"  # tagging (resourcegroupstaggingapi)
    return "ThrottlingException", 400, "Rate exceeded"


def server_error(service: str, status: int) -> tuple[str, int, str]:
    proto = protocol(service)
    if status == 503:
        if proto == "ec2":
            return "Unavailable", 503, "The server is overloaded and can't handle the request."
        code = _shape_named(service, "ServiceUnavailableException", "ServiceUnavailableError") or "ServiceUnavailable"
        return code, 503, "Service is unavailable. Please try again later."
    if proto in ("ec2", "rest-xml"):
        return "InternalError", 500, "We encountered an internal error. Please try again."
    code = _shape_named(
        service, "InternalServerErrorException", "InternalServerException", "InternalServiceError",
        "InternalServerError", "InternalServiceException",
    ) or "InternalFailure"
    return code, 500, "The request processing has failed because of an unknown error, exception or failure."


def render(service: str, code: str, status: int, message: str, method: str = "GET") -> tuple[int, list[tuple[str, str]], bytes]:
    """The full HTTP error response (status, headers, body) for `service`'s protocol."""
    request_id = str(uuid.uuid4())
    proto = protocol(service)
    headers = [("x-amzn-RequestId", request_id)]
    if proto == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif proto == "rest-xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
        )
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif proto == "query":
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", "text/xml"))
    else:  # json and rest-json: the error type in the header and in the body
        body = json.dumps({"__type": code, "message": message})
        content_type = "application/json" if proto == "rest-json" else "application/x-amz-json-1.1"
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
    data = b"" if method == "HEAD" else body.encode()
    headers.append(("Content-Length", str(len(data))))
    return status, headers, data
