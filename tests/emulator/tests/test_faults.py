"""Injected faults: each protocol's real throttling error, 5xx, seeded rates, next-N rules, latency."""

from __future__ import annotations

import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import unique

# (service, call) pairs covering every protocol the tool uses
CALLS = {
    "ec2": lambda c: c.describe_vpcs(),
    "rds": lambda c: c.describe_db_clusters(),
    "iam": lambda c: c.list_roles(),
    "sts": lambda c: c.get_caller_identity(),
    "s3": lambda c: c.list_buckets(),
    "kafka": lambda c: c.list_clusters_v2(),
    "kafkaconnect": lambda c: c.list_connectors(),
    "redshift-serverless": lambda c: c.list_namespaces(),
    "secretsmanager": lambda c: c.list_secrets(),
    "logs": lambda c: c.describe_log_groups(),
    "ssm": lambda c: c.describe_parameters(),
}

THROTTLING = {
    "ec2": ("RequestLimitExceeded", 503),
    "rds": ("Throttling", 400),
    "iam": ("Throttling", 400),
    "sts": ("Throttling", 400),
    "s3": ("SlowDown", 503),
    "kafka": ("TooManyRequestsException", 429),
    "kafkaconnect": ("TooManyRequestsException", 429),
    "redshift-serverless": ("ThrottlingException", 400),
    "secretsmanager": ("ThrottlingException", 400),
    "logs": ("ThrottlingException", 400),
    "ssm": ("ThrottlingException", 400),
}

# what botocore's (and the Rust SDK's) retry logic treats as throttling
SDK_THROTTLING_CODES = {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                        "TooManyRequestsException", "ProvisionedThroughputExceededException",
                        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
                        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
                        "EC2ThrottledException"}


def call_error(emulator, service: str) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        CALLS[service](emulator.client(service))
    response = e.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


@pytest.mark.parametrize("service", sorted(THROTTLING))
def test_throttling_per_protocol(emulator, service):
    emulator.control("POST", "faults", json={"throttle": {"rate": 1.0, "service": service}})
    code, status, message = call_error(emulator, service)
    assert (code, status) == THROTTLING[service]
    assert code in SDK_THROTTLING_CODES and message
    emulator.control("DELETE", "faults")
    CALLS[service](emulator.client(service))


def test_botocore_retries_injected_throttling(emulator):
    """The parsed code is one the SDK classifies as throttling: botocore retries it and succeeds."""
    emulator.control("POST", "faults/next", json={"kind": "throttle", "count": 2, "service": "kafka"})
    client = emulator.client("kafka", retries={"total_max_attempts": 4, "mode": "standard"})
    response = client.list_clusters_v2()
    assert response["ResponseMetadata"]["RetryAttempts"] == 2


@pytest.mark.parametrize("service,status,code", [
    ("ec2", 500, "InternalError"), ("ec2", 503, "Unavailable"),
    ("rds", 500, "InternalFailure"), ("sts", 503, "ServiceUnavailable"),
    ("s3", 500, "InternalError"), ("s3", 503, "ServiceUnavailable"),
    ("kafka", 500, "InternalServerErrorException"), ("kafkaconnect", 503, "ServiceUnavailableException"),
    ("redshift-serverless", 500, "InternalServerException"),
])
def test_server_errors(emulator, service, status, code):
    emulator.control("POST", "faults", json={"error": {"rate": 1.0, "status": status, "service": service}})
    assert call_error(emulator, service)[:2] == (code, status)


def test_next_n_is_deterministic_and_scoped(emulator):
    ec2 = emulator.client("ec2")
    emulator.control("POST", "faults/next", json=[
        {"kind": "throttle", "count": 2, "service": "ec2", "operation": "DescribeSubnets"},
        {"kind": "error", "count": 1, "service": "ec2", "operation": "DescribeVpcs",
         "status": 400, "code": "UnauthorizedOperation", "message": "You are not authorized"},
    ])
    ec2.describe_security_groups()  # other operations are untouched
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            ec2.describe_subnets()
        assert e.value.response["Error"]["Code"] == "RequestLimitExceeded"
    ec2.describe_subnets()  # the third one passes
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert e.value.response["Error"]["Code"] == "UnauthorizedOperation"
    assert emulator.control("GET", "faults")["next"] == []


def test_seeded_rates_repeat(emulator):
    def run() -> list[bool]:
        emulator.control("POST", "faults", json={"seed": 7, "throttle": {"rate": 0.5, "service": "sts"}})
        outcome = []
        for _ in range(20):
            try:
                emulator.client("sts").get_caller_identity()
                outcome.append(True)
            except ClientError:
                outcome.append(False)
        return outcome

    first, second = run(), run()
    assert first == second and 3 < first.count(False) < 17


def test_latency(emulator):
    sts = emulator.client("sts")
    emulator.control("POST", "faults", json={"latency": {"ms": 300, "service": "sts"}})
    started = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    emulator.client("ec2").describe_vpcs()  # other services are not delayed
    assert time.monotonic() - started < 0.3
    entry = emulator.control("GET", "requests", params={"service": "sts"})[-1]
    assert entry["latency_ms"] >= 300


def test_invalid_fault_config_is_refused(emulator):
    for bad in ({"throttle": {"rate": 2}}, {"bogus": 1}, {"next": [{"kind": "explode"}]},
                {"error": {"rate": 0.1, "status": 404}}):
        response = requests.post(f"{emulator.url}/_emulator/faults", json=bad, timeout=10)
        assert response.status_code == 400, bad


def test_cli_fault_flags(tmp_path):
    from conftest import start_emulator

    emu = start_emulator(tmp_path, "--throttle-rate", "1", "--fault-service", "sts", "--seed", "3")
    try:
        assert emu.control("GET", "faults")["throttle"] == {"rate": 1.0, "service": "sts", "operation": None}
        with pytest.raises(ClientError) as e:
            emu.client("sts").get_caller_identity()
        assert e.value.response["Error"]["Code"] == "Throttling"
        emu.client("ec2").describe_vpcs()
        bucket = unique("b")
        emu.client("s3").create_bucket(Bucket=bucket)
    finally:
        assert emu.stop() == 0
