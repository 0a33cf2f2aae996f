"""S3 behaviour of AWS that moto 5.2.5 lacks, as patches of moto's s3 classes.

Bucket policies: moto enforces `Principal: "*"` statements on object
requests (FakeBucket.get_permission), but evaluates a statement's Condition
with no request context and an incomplete operator table: `Bool` is not
implemented (so it always "matches"), and a statement whose condition does
not match is reported as DENIED even when its Effect is Allow.  The usual
"deny insecure transport" statement

    {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}

(cdcstack puts it on its state bucket) therefore made every later
GetObject/PutObject/DeleteObject answer 403.

Here conditions are evaluated as IAM does, against the request context
REQUEST_CONTEXT: real AWS requests are HTTPS, so `aws:SecureTransport` is
"true" (the emulator serves plain HTTP on loopback, standing in for AWS's
TLS endpoint).  A statement applies only when its whole Condition block
matches (operators AND, keys AND, values OR).  A key absent from the context
makes a condition false, except for negated operators (StringNotEquals,
StringNotLike, ArnNotLike, NotIpAddress, …: true), `…IfExists` (true) and
`Null` (tests presence), as the IAM docs specify ("IAM JSON policy elements:
Condition operators").  Statements without a Condition keep moto's
evaluation.

Requests a bucket policy denies got a bare 403 with no body; AWS answers the
`AccessDenied` error document, whose code SDKs report.  And moto ignored
`x-amz-expected-bucket-owner` (HeadBucket/PutObject… `ExpectedBucketOwner`),
which AWS answers with 403 AccessDenied when the bucket belongs to another
account.  One test per entry of PATCHES in tests/test_s3_patch.py.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import sys
import time
from datetime import datetime, timezone
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

ACCOUNT_ID = "123456789012"


def request_context() -> dict[str, str]:
    """Global condition keys of an emulated S3 request (lowercase keys: IAM keys are case-insensitive)."""
    now = time.time()
    return {
        "aws:securetransport": "true",
        "aws:principalaccount": ACCOUNT_ID,
        "aws:resourceaccount": ACCOUNT_ID,
        "aws:currenttime": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:epochtime": str(int(now)),
    }


def _like(actual: str, pattern: str, ignore_case: bool = False) -> bool:
    # IAM wildcards: * and ?; no character classes.
    escaped = pattern.replace("[", "[[]")
    if ignore_case:
        return fnmatch.fnmatchcase(actual.lower(), escaped.lower())
    return fnmatch.fnmatchcase(actual, escaped)


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> float:
    try:
        return float(text)  # epoch seconds
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _ip(actual: str, network: str) -> bool:
    return ipaddress.ip_address(actual) in ipaddress.ip_network(network, strict=False)


def _arn_like(actual: str, pattern: str) -> bool:
    # ARNs match segment by segment (6 colon-separated parts), each with wildcards.
    a, p = actual.split(":", 5), pattern.split(":", 5)
    return len(a) == len(p) == 6 and all(_like(x, y) for x, y in zip(a, p))


# Positive operators: (actual, expected) -> bool.  The negated ones are their complement.
POSITIVE = {
    "StringEquals": lambda a, e: a == e,
    "StringEqualsIgnoreCase": lambda a, e: a.lower() == e.lower(),
    "StringLike": lambda a, e: _like(a, e),
    "NumericEquals": lambda a, e: _number(a) == _number(e),
    "NumericLessThan": lambda a, e: _number(a) < _number(e),
    "NumericLessThanEquals": lambda a, e: _number(a) <= _number(e),
    "NumericGreaterThan": lambda a, e: _number(a) > _number(e),
    "NumericGreaterThanEquals": lambda a, e: _number(a) >= _number(e),
    "DateEquals": lambda a, e: _date(a) == _date(e),
    "DateLessThan": lambda a, e: _date(a) < _date(e),
    "DateLessThanEquals": lambda a, e: _date(a) <= _date(e),
    "DateGreaterThan": lambda a, e: _date(a) > _date(e),
    "DateGreaterThanEquals": lambda a, e: _date(a) >= _date(e),
    "Bool": lambda a, e: a.lower() == e.lower(),
    "BinaryEquals": lambda a, e: a == e,
    "IpAddress": _ip,
    "ArnEquals": lambda a, e: a == e,
    "ArnLike": _arn_like,
}
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def condition_matches(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    """One `"Operator": {"key": expected}` entry of a Condition block, evaluated as IAM does."""
    values = [_text(v) for v in (expected if isinstance(expected, list) else [expected])]
    qualifier, _, base = operator.rpartition(":")  # ForAnyValue: / ForAllValues:
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    actual = context.get(key.lower())
    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if base not in POSITIVE and base not in NEGATED:
        # AWS refuses such a policy at PutBucketPolicy; here: the statement does not apply.
        print(f"[emulator] unsupported condition operator {operator!r}: statement ignored", file=sys.stderr)
        return False
    negated = base in NEGATED
    if actual is None:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True  # vacuously: every one of no values matches
        return negated
    actuals = [_text(a) for a in (actual if isinstance(actual, list) else [actual])]
    positive = POSITIVE[NEGATED.get(base, base)]

    def one(a: str) -> bool:
        try:
            hit = any(positive(a, v) for v in values)
        except (ValueError, TypeError):
            hit = False
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(a) for a in actuals)
    return any(one(a) for a in actuals)


def conditions_match(block: dict[str, Any], context: dict[str, Any]) -> bool:
    """A whole Condition block: every operator and every key must match."""
    return all(
        condition_matches(operator, key, expected, context)
        for operator, pairs in block.items()
        for key, expected in pairs.items()
    )


def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    context = request_context()
    permitted = False
    for statement in statements:
        condition = statement.get("Condition")
        if condition:
            if not conditions_match(condition, context):
                continue  # the statement does not apply to this request
            statement = {k: v for k, v in statement.items() if k != "Condition"}
        result = IAMPolicyStatement(statement).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return result
        if result == PermissionResult.PERMITTED:
            permitted = True
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def patch_bucket_policy_conditions() -> None:
    """Bucket policy Conditions evaluated as IAM does, with aws:SecureTransport "true" (requests are HTTPS in AWS)."""
    FakeBucket.get_permission = get_permission


def _is_bare_403(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) == 3 and response[0] == 403 and not response[2]


def _key_response(original):
    def _key_response(self: S3Response, request: Any, full_url: str) -> Any:
        response = original(self, request, full_url)
        if _is_bare_403(response) and request.method != "HEAD":
            raise S3AccessDeniedError()  # serialised by key_response as the <Error> document
        return response

    return _key_response


def _check_expected_owner(original):
    def wrapper(self: S3Response, request: Any, full_url: str) -> Any:
        expected = request.headers.get("x-amz-expected-bucket-owner")
        if expected and expected != ACCOUNT_ID:
            raise S3AccessDeniedError()
        return original(self, request, full_url)

    return wrapper


def patch_access_denied_error() -> None:
    """Object requests a bucket policy denies: 403 with the AccessDenied error document (was an empty body)."""
    S3Response._key_response = _key_response(S3Response._key_response)


def patch_expected_bucket_owner() -> None:
    """x-amz-expected-bucket-owner other than the account → 403 AccessDenied (was ignored)."""
    S3Response._bucket_response = _check_expected_owner(S3Response._bucket_response)
    S3Response._key_response = _check_expected_owner(S3Response._key_response)


PATCHES = [patch_bucket_policy_conditions, patch_access_denied_error, patch_expected_bucket_owner]


def apply() -> None:
    for patch in PATCHES:
        patch()
