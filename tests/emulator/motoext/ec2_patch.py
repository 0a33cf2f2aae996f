"""EC2 behaviour of AWS that moto 5.2.5 lacks, as patches of moto's ec2 classes.

moto makes NAT gateways `available` at once and instances `running` at once,
and lets any subnet, security group, internet gateway or EIP be deleted
whatever still uses it.  Real teardowns fail on exactly those dependencies
(aws-resources.md §1 and §6), so a tool tested against plain moto would never
meet them.  moto also ignores ClientToken: a retried CreateNatGateway fails
(Resource.AlreadyAssociated) and a retried RunInstances launches a second
instance, where AWS returns the first; and DescribeNatGateways ignores tag
filters, so finding "our" NAT gateways by tag returned everyone's.  One test
per entry of PATCHES in tests/test_ec2_patch.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models import EC2Backend
from moto.ec2.models.instances import Instance, InstanceState
from moto.ec2.models.nat_gateways import NatGateway

from .clock import CLOCK


def _enis_in_subnet(backend: EC2Backend, subnet_id: str) -> list[Any]:
    return [e for e in backend.enis.values() if e.subnet is not None and e.subnet.id == subnet_id]


def _enis_with_group(backend: EC2Backend, group_id: str) -> list[Any]:
    return [e for e in backend.enis.values() if any(g.id == group_id for g in e.group_set)]


def _vpc_of_eni(eni: Any) -> str | None:
    return eni.subnet.vpc_id if eni.subnet is not None else None


# ---------------------------------------------------------------- NAT gateways


def _nat_init(original):
    def __init__(self: NatGateway, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.state = "pending"

        def available(_t: float) -> None:
            if self.state == "pending":
                self.state = "available"

        CLOCK.after("ec2.nat_gateway.create", available, label=f"nat create {self.id}")

    return __init__


def delete_nat_gateway(self: EC2Backend, nat_gateway_id: str) -> NatGateway:
    nat = self.nat_gateways.get(nat_gateway_id)
    if nat is None:
        raise EC2ClientError("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")
    if nat.state in ("deleting", "deleted"):
        return nat
    nat.state = "deleting"

    def deleted(_t: float) -> None:
        nat.state = "deleted"  # stays listed, as in AWS (about 1 h)
        eni = nat._eni
        for eip in list(self.addresses):
            if eip.eni is eni:
                self.disassociate_address(address=eip.public_ip)
        if eni.id in self.enis:
            eni.delete()

    CLOCK.after("ec2.nat_gateway.delete", deleted, label=f"nat delete {nat.id}")
    return nat


# ---------------------------------------------------------------- instances


def _run_instances(original):
    def run_instances(self: EC2Backend, *args: Any, **kwargs: Any):
        existing = set(self.enis)
        reservation = original(self, *args, **kwargs)
        for instance in reservation.instances:
            instance._state = InstanceState("pending", 0)
            # AWS deletes the interfaces RunInstances created when the instance
            # terminates (DeleteOnTermination defaults to true for them).
            instance.emu_launch_enis = [n.id for n in instance.nics.values() if n.id not in existing]

            def running(_t: float, instance: Instance = instance) -> None:
                if instance._state.name == "pending":
                    instance._state = InstanceState("running", 16)

            CLOCK.after("ec2.instance.start", running, label=f"instance start {instance.id}")
        return reservation

    return run_instances


def _terminate(original):
    def terminate(self: Instance) -> InstanceState:
        previous = copy.copy(self._state)
        if self._state.name in ("shutting-down", "terminated"):
            return previous
        self._state = InstanceState("shutting-down", 32)

        def terminated(_t: float) -> None:
            original(self)
            backend = self.ec2_backend
            for eni_id in getattr(self, "emu_launch_enis", []):
                eni = backend.enis.get(eni_id)
                if eni is None:
                    continue
                for eip in list(backend.addresses):
                    if eip.eni is eni:
                        backend.disassociate_address(address=eip.public_ip)
                eni.instance = None
                eni.attachment_id = None
                eni.delete()  # stays in instance.nics: DescribeInstances still shows its IP

        CLOCK.after("ec2.instance.terminate", terminated, label=f"instance terminate {self.id}")
        return previous

    return terminate


# ---------------------------------------------------------------- dependencies


def _delete_subnet(original):
    def delete_subnet(self: EC2Backend, subnet_id: str):
        if _enis_in_subnet(self, subnet_id):
            raise DependencyViolationError(
                f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
            )
        return original(self, subnet_id)

    return delete_subnet


def _delete_security_group(original):
    def delete_security_group(self: EC2Backend, name: str | None = None, group_id: str | None = None):
        group = self.get_security_group_by_name_or_id(group_id or name or "")
        if group is not None:
            in_use = bool(_enis_with_group(self, group.id))
            for vpc_groups in list(self.groups.values()):
                for other in list(vpc_groups.values()):
                    if other.id == group.id:
                        continue
                    for rule in other.ingress_rules + other.egress_rules:
                        if rule.source_group.get("GroupId") == group.id:
                            in_use = True
            if in_use:
                raise DependencyViolationError(f"resource {group.id} has a dependent object")
        return original(self, name=name, group_id=group_id)

    return delete_security_group


def _mapped_public_addresses(backend: EC2Backend, vpc_id: str) -> bool:
    for nat in backend.nat_gateways.values():
        if nat.vpc_id == vpc_id and nat.state != "deleted" and nat.connectivity_type != "private":
            return True
    for eip in backend.addresses:
        if eip.eni is not None and _vpc_of_eni(eip.eni) == vpc_id:
            return True
    for eni in backend.enis.values():
        if eni.public_ip and _vpc_of_eni(eni) == vpc_id:
            return True
    return False


def _detach_internet_gateway(original):
    def detach_internet_gateway(self: EC2Backend, internet_gateway_id: str, vpc_id: str) -> None:
        igw = self.get_internet_gateway(internet_gateway_id)
        if igw.vpc is not None and igw.vpc.id == vpc_id and _mapped_public_addresses(self, vpc_id):
            raise DependencyViolationError(
                f"Network {vpc_id} has some mapped public address(es). "
                "Please unmap those public address(es) before detaching the gateway."
            )
        return original(self, internet_gateway_id, vpc_id)

    return detach_internet_gateway


def _release_address(original):
    def release_address(self: EC2Backend, address: str | None = None, allocation_id: str | None = None) -> None:
        if allocation_id:
            eips = self.address_by_allocation([allocation_id])
        else:
            eips = self.address_by_ip([address]) if address else []
        for eip in eips:
            if eip.eni is not None or eip.instance is not None:
                raise EC2ClientError(
                    "InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use."
                )
        return original(self, address=address, allocation_id=allocation_id)

    return release_address


def _delete_vpc(original):
    def delete_vpc(self: EC2Backend, vpc_id: str):
        attached = [igw for igw in self.internet_gateways.values() if igw.vpc is not None and igw.vpc.id == vpc_id]
        groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
        if attached or groups:
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original(self, vpc_id)

    return delete_vpc


def patch_nat_gateway_states() -> None:
    """NAT gateways: pending → available, deleting → deleted (stay listed), ENI and EIP released at the end."""
    NatGateway.__init__ = _nat_init(NatGateway.__init__)
    EC2Backend.delete_nat_gateway = delete_nat_gateway


def patch_instance_states() -> None:
    """Instances: pending → running, shutting-down → terminated; launch ENIs deleted with them."""
    EC2Backend.run_instances = _run_instances(EC2Backend.run_instances)
    Instance.terminate = _terminate(Instance.terminate)


def patch_subnet_in_use() -> None:
    """DeleteSubnet → DependencyViolation while any network interface is in the subnet."""
    EC2Backend.delete_subnet = _delete_subnet(EC2Backend.delete_subnet)


def patch_security_group_in_use() -> None:
    """DeleteSecurityGroup → DependencyViolation while an ENI uses it or another group's rule references it."""
    EC2Backend.delete_security_group = _delete_security_group(EC2Backend.delete_security_group)


def patch_igw_mapped_addresses() -> None:
    """DetachInternetGateway → DependencyViolation while the VPC has mapped public addresses."""
    EC2Backend.detach_internet_gateway = _detach_internet_gateway(EC2Backend.detach_internet_gateway)


def patch_eip_in_use() -> None:
    """ReleaseAddress → InvalidIPAddress.InUse while associated (e.g. NAT gateway not yet deleted)."""
    EC2Backend.release_address = _release_address(EC2Backend.release_address)


def patch_vpc_dependencies() -> None:
    """DeleteVpc → DependencyViolation while an internet gateway is attached or non-default groups exist."""
    EC2Backend.delete_vpc = _delete_vpc(EC2Backend.delete_vpc)


def _idempotent(kind: str, params: tuple[str, ...]):
    """Wraps a response handler: a repeated ClientToken returns the first call's resource (its
    current state), or IdempotentParameterMismatch when the request's parameters differ."""

    def wrap(original):
        def handler(self: Any) -> Any:
            token = self._get_param("ClientToken")
            if not token:
                return original(self)
            tokens = self.ec2_backend.__dict__.setdefault("emu_client_tokens", {})
            fingerprint = json.dumps([self._get_param(p) for p in params], sort_keys=True, default=str)
            seen = tokens.get((kind, token))
            if seen is not None:
                if seen[0] != fingerprint:
                    raise EC2ClientError(
                        "IdempotentParameterMismatch",
                        "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
                    )
                return seen[1]  # an ActionResult over the live model object: serialised as it is now
            result = original(self)
            tokens[(kind, token)] = (fingerprint, result)
            return result

        return handler

    return wrap


def _describe_nat_gateways(original):
    from moto.ec2.utils import is_tag_filter, tag_filter_matches

    def describe_nat_gateways(self: EC2Backend, filters: Any, nat_gateway_ids: list[str] | None) -> list[NatGateway]:
        tag_filters = {k: v for k, v in (filters or {}).items() if is_tag_filter(k)}
        others = None if filters is None else {k: v for k, v in filters.items() if not is_tag_filter(k)}
        nats = original(self, others, nat_gateway_ids)
        for name, values in tag_filters.items():
            nats = [n for n in nats if tag_filter_matches(n, name, values)]
        return nats

    return describe_nat_gateways


def patch_nat_gateway_tag_filters() -> None:
    """DescribeNatGateways honours tag:<key>, tag-key and tag-value filters (moto: ignored, every NAT returned)."""
    EC2Backend.describe_nat_gateways = _describe_nat_gateways(EC2Backend.describe_nat_gateways)


def patch_client_token_idempotency() -> None:
    """CreateNatGateway / RunInstances with a ClientToken seen before return the same NAT gateway / reservation."""
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ec2.responses.nat_gateways import NatGateways

    NatGateways.create_nat_gateway = _idempotent(
        "nat", ("SubnetId", "AllocationId", "ConnectivityType"))(NatGateways.create_nat_gateway)
    InstanceResponse.run_instances = _idempotent(
        "instances", ("ImageId", "InstanceType", "MinCount", "MaxCount", "SubnetId"))(InstanceResponse.run_instances)


PATCHES = [
    patch_nat_gateway_states,
    patch_instance_states,
    patch_subnet_in_use,
    patch_security_group_in_use,
    patch_igw_mapped_addresses,
    patch_eip_in_use,
    patch_vpc_dependencies,
    patch_client_token_idempotency,
    patch_nat_gateway_tag_filters,
]


def apply() -> None:
    for patch in PATCHES:
        patch()
