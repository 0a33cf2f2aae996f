"""Fixtures: emulator processes on free ports, boto3 clients, control-endpoint helpers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR_DIR = os.path.dirname(HERE)
sys.path.insert(0, EMULATOR_DIR)

from motoext.durations import seconds  # noqa: E402

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
for _k, _v in CREDENTIALS.items():
    os.environ.setdefault(_k, _v)


@dataclass
class Emulator:
    url: str
    proc: subprocess.Popen
    ready_line: str
    stderr_path: str
    _clients: dict = field(default_factory=dict)

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/_emulator/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def client(self, service: str, region: str = "us-east-1", **config: Any) -> Any:
        key = (service, region, repr(sorted(config.items())))
        if key not in self._clients:
            options = {"retries": {"total_max_attempts": 1, "mode": "standard"}, "s3": {"addressing_style": "path"}, **config}
            cfg = Config(**options)
            self._clients[key] = boto3.client(
                service, region_name=region, endpoint_url=self.url, config=cfg,
                aws_access_key_id="test", aws_secret_access_key="test",
            )
        return self._clients[key]

    def set_time_scale(self, value: float) -> None:
        self.control("POST", "time-scale", json={"time_scale": value})

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        with open(self.stderr_path) as f:
            return f.read()


def start_emulator(tmp_path: Any, *args: str, via_run: bool = False) -> Emulator:
    """Starts an emulator on a free port and waits for its ready line."""
    stderr_path = os.path.join(str(tmp_path), f"emulator-{uuid.uuid4().hex[:6]}.err")
    if via_run:
        command = [os.path.join(EMULATOR_DIR, "run"), "--port", "0", *args]
    else:
        command = [sys.executable, os.path.join(EMULATOR_DIR, "server.py"), "--port", "0", *args]
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("ready "):
        proc.kill()
        with open(stderr_path) as f:
            raise RuntimeError(f"emulator did not start: {line!r}\n{f.read()}")
    return Emulator(url=line.split(" ", 1)[1].strip(), proc=proc, ready_line=line, stderr_path=stderr_path)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: Any) -> Iterator[Emulator]:
    emu = start_emulator(tmp_path_factory.mktemp("emulator"), "--time-scale", "0")
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _clean_knobs(request: Any) -> Iterator[None]:
    """Each test starts with no faults and time scale 0 (moto state is shared: use unique names)."""
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        emu.control("DELETE", "faults")
        emu.set_time_scale(0)
    yield


def scale_for(key: str, wanted_seconds: float) -> float:
    """The time scale that makes duration `key` last `wanted_seconds`."""
    return wanted_seconds / seconds(key)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(predicate: Any, timeout: float = 10, interval: float = 0.05) -> Any:
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


@dataclass
class Network:
    vpc_id: str
    subnet_ids: list[str]
    sg_id: str


def make_network(emu: Emulator, subnets: int = 3) -> Network:
    ec2 = emu.client("ec2")
    second = uuid.uuid4().int % 200
    vpc_id = ec2.create_vpc(CidrBlock=f"10.{second}.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{second}.{i}.0/24",
                          AvailabilityZone=f"us-east-1{'abc'[i % 3]}")["Subnet"]["SubnetId"]
        for i in range(subnets)
    ]
    sg_id = ec2.create_security_group(GroupName=unique("sg"), Description="test", VpcId=vpc_id)["GroupId"]
    return Network(vpc_id, subnet_ids, sg_id)


@pytest.fixture
def network(emulator: Emulator) -> Network:
    return make_network(emulator)


def error_code_or_none(call: Any, **kwargs: Any) -> str | None:
    """The AWS error code of call(**kwargs), or None when it succeeds (for wait_for)."""
    from botocore.exceptions import ClientError

    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def tagged_resources(emu: Emulator, region: str = "us-east-1", **kwargs: Any) -> dict[str, dict[str, str]]:
    """Tagging API GetResources over every page: {ARN: {key: value}}."""
    pages = emu.client("resourcegroupstaggingapi", region).get_paginator("get_resources").paginate(**kwargs)
    return {
        m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]}
        for page in pages
        for m in page["ResourceTagMappingList"]
    }
