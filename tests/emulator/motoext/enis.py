"""Network interfaces that managed services (MSK, MSK Connect, Redshift
Serverless, RDS) create in the customer's subnets, as real moto EC2 ENIs.

They make subnets and security groups "in use" exactly as in AWS: while one
exists, DeleteSubnet / DeleteSecurityGroup answer DependencyViolation
(ec2_patch.py).  After the owner is deleted they linger for a scaled while
(durations `*.eni.linger`) before they disappear, which is the trap that makes
real teardowns retry.
"""

from __future__ import annotations

from moto.ec2.models import ec2_backends

from .clock import CLOCK
from .errors import service_error


def ec2(account_id: str, region: str):  # type: ignore[no-untyped-def]
    return ec2_backends[account_id][region]


def check_network(
    account_id: str,
    region: str,
    subnet_ids: list[str],
    security_group_ids: list[str],
    package: str,
    code: str,
) -> None:
    """Refuses subnets / security groups that do not exist, with the service's error code."""
    backend = ec2(account_id, region)
    known_subnets = {s.id for s in backend.describe_subnets()}
    for subnet_id in subnet_ids:
        if subnet_id not in known_subnets:
            raise service_error(package, code, f"The subnet ID '{subnet_id}' does not exist")
    for sg_id in security_group_ids:
        if backend.get_security_group_from_id(sg_id) is None:
            raise service_error(package, code, f"The security group '{sg_id}' does not exist")


def create(
    account_id: str,
    region: str,
    subnet_ids: list[str],
    security_group_ids: list[str],
    count: int,
    description: str,
) -> list[str]:
    """Creates `count` requester-managed ENIs spread round-robin over the subnets."""
    backend = ec2(account_id, region)
    ids = []
    for i in range(count):
        if not subnet_ids:
            break
        subnet = backend.get_subnet(subnet_ids[i % len(subnet_ids)])
        eni = backend.create_network_interface(
            subnet,
            None,
            group_ids=list(security_group_ids) or None,
            description=description,
        )
        eni.requester_managed = True
        ids.append(eni.id)
    return ids


def delete(account_id: str, region: str, eni_ids: list[str]) -> None:
    backend = ec2(account_id, region)
    for eni_id in eni_ids:
        eni = backend.enis.get(eni_id)
        if eni is not None:
            eni.delete()


def release_later(
    account_id: str, region: str, eni_ids: list[str], linger_key: str, start: float
) -> None:
    """Deletes the ENIs once the owner's `linger_key` duration has passed since `start`."""
    ids = list(eni_ids)
    if ids:
        CLOCK.after(
            linger_key,
            lambda _t: delete(account_id, region, ids),
            start=start,
            label=f"{linger_key} {','.join(ids)}",
        )
