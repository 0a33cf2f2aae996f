"""Aurora (rds) behaviour of AWS that moto 5.2.5 lacks, as patches of moto's rds classes.

moto reports a cluster `creating` once (in the create response) and
`available` ever after, instances `available` at once, deletes clusters and
instances at once, and always reports a member's cluster parameter group
`in-sync`.  Here every status lasts its scaled real duration (clock.py,
durations.py), deletes stay visible as `deleting`, and a parameter-group
change that needs a reboot shows `pending-reboot` until RebootDBInstance.
Instances also get an ENI in their cluster's DB subnet group, so their
security groups and subnets are in use as in AWS.  Three gaps the Rust SDK
tests met: ResetDBClusterParameterGroup is not implemented (500),
EnableHttpEndpoint is honoured only for Serverless v1 (AWS: provisioned
Aurora MySQL 3.07+ too), and ModifyDBSubnetGroup loses the group.  The
Resource Groups Tagging API does not see DB cluster parameter groups, DB
parameter groups and DB subnet groups.  One test per entry of PATCHES in
tests/test_rds_patch.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from moto.core.responses import ActionResult
from moto.rds.exceptions import (
    DBClusterNotFoundError,
    DBClusterParameterGroupNotFoundError,
    DBInstanceNotFoundError,
    DBSubnetGroupNotFoundError,
    InvalidDBClusterStateFault,
    RDSClientError,
)
from moto.core.resource_tagging import TaggedResource
from moto.rds.models import DBCluster, DBInstance, RDSBackend
from moto.rds.responses import RDSResponse

from . import enis
from .clock import CLOCK


def _invalid_instance_state(message: str) -> RDSClientError:
    return RDSClientError("InvalidDBInstanceState", message)


def _status_property() -> property:
    # moto's DBCluster.status flips `creating` to `available` on first read;
    # ours is a plain value changed only by the scheduled transitions.
    def getter(self: DBCluster) -> str:
        return self._status

    def setter(self: DBCluster, value: str) -> None:
        self._status = value

    return property(getter, setter)


def _after(key: str, obj: Any, from_status: str, to_status: str, label: str, then=None) -> None:
    def done(t: float) -> None:
        if obj.status == from_status:
            obj.status = to_status
            if then is not None:
                then(t)

    CLOCK.after(key, done, label=label)


# ---------------------------------------------------------------- clusters


def _create_db_cluster(original):
    def create_db_cluster(self: RDSBackend, kwargs: dict[str, Any]) -> DBCluster:
        cluster = original(self, kwargs)
        cluster.status = "creating"
        cluster.emu_pg_status = {}
        _after("rds.cluster.create", cluster, "creating", "available",
               f"rds cluster create {cluster.db_cluster_identifier}")
        return cluster

    return create_db_cluster


def _modify_db_cluster(original):
    def modify_db_cluster(self: RDSBackend, kwargs: dict[str, Any]) -> DBCluster:
        cluster_id = kwargs["db_cluster_identifier"]
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            raise DBClusterNotFoundError(cluster_id)
        if cluster.status != "available":
            raise InvalidDBClusterStateFault(
                f"DB cluster {cluster_id} is in {cluster.status} state, it must be available to be modified."
            )
        old_group = cluster.parameter_group
        original(self, kwargs)
        if cluster.parameter_group != old_group:
            # A new cluster parameter group applies at the next reboot of each member.
            for member in cluster.members:
                cluster.emu_pg_status[member.db_instance_identifier] = "pending-reboot"
        if kwargs.get("apply_immediately"):
            cluster.status = "modifying"
            _after("rds.cluster.modify", cluster, "modifying", "available",
                   f"rds cluster modify {cluster.db_cluster_identifier}")
        return cluster

    return modify_db_cluster


def _delete_db_cluster(original):
    def delete_db_cluster(self: RDSBackend, cluster_identifier: str, snapshot_name: str | None = None) -> DBCluster:
        cluster = self.clusters.get(cluster_identifier)
        if cluster is None:
            raise DBClusterNotFoundError(cluster_identifier)
        if cluster.status == "deleting":
            raise InvalidDBClusterStateFault(f"DB cluster {cluster_identifier} is already being deleted.")
        if cluster.deletion_protection:
            return original(self, cluster_identifier, snapshot_name)  # moto's error
        if any(m.status != "deleting" for m in cluster.members):
            raise InvalidDBClusterStateFault(
                "Cluster cannot be deleted, it still contains DB instances in non-deleting state."
            )
        cluster.status = "deleting"

        def gone(t: float) -> None:
            if self.clusters.get(cluster_identifier) is not cluster:
                return
            if cluster.members:  # AWS finishes the cluster after its last instance
                CLOCK.after("rds.instance.reboot", gone, start=t, label=f"rds cluster delete {cluster_identifier} (waiting)")
                return
            cluster.status = "available"  # moto's delete checks nothing else about it
            original(self, cluster_identifier, snapshot_name)

        CLOCK.after("rds.cluster.delete", gone, label=f"rds cluster delete {cluster_identifier}")
        return cluster

    return delete_db_cluster


def _db_cluster_members(self: DBCluster) -> list[dict[str, Any]]:
    statuses = getattr(self, "emu_pg_status", {})
    return [
        {
            "DBInstanceIdentifier": member.db_instance_identifier,
            "IsClusterWriter": member.is_cluster_writer,
            "DBClusterParameterGroupStatus": statuses.get(member.db_instance_identifier, "in-sync"),
            "PromotionTier": member.promotion_tier,
        }
        for member in self.members
    ]


def _modify_db_cluster_parameter_group(original):
    def modify_db_cluster_parameter_group(self: RDSBackend, db_cluster_parameter_group_name: str,
                                          db_cluster_parameter_group_parameters: Any):
        group = original(self, db_cluster_parameter_group_name, db_cluster_parameter_group_parameters)
        needs_reboot = any(
            (p.get("ApplyMethod") or p.get("apply_method") or "").lower() == "pending-reboot"
            for p in db_cluster_parameter_group_parameters
        )
        if needs_reboot:
            for cluster in self.clusters.values():
                if cluster.parameter_group.lower() == db_cluster_parameter_group_name.lower():
                    for member in cluster.members:
                        cluster.emu_pg_status[member.db_instance_identifier] = "pending-reboot"
        return group

    return modify_db_cluster_parameter_group


# ---------------------------------------------------------------- instances


def _instance_enis(self: RDSBackend, database: DBInstance) -> list[str]:
    cluster = getattr(database, "cluster", None)
    group_name = cluster.db_subnet_group_name if cluster is not None else database.db_subnet_group_name
    subnet_group = self.subnet_groups.get(group_name or "")
    if subnet_group is None:
        return []
    subnets = [s for s in subnet_group._subnets if s.availability_zone == database.availability_zone] or subnet_group._subnets
    backend = enis.ec2(self.account_id, self.region_name)
    sg_ids = cluster.vpc_security_group_ids if cluster is not None else database.vpc_security_group_ids
    groups = [g for g in (sg_ids or []) if backend.get_security_group_from_id(g) is not None]
    return enis.create(self.account_id, self.region_name, [subnets[0].id], groups, 1, "RDSNetworkInterface")


def _create_db_instance(original):
    def create_db_instance(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
        database = original(self, db_kwargs)
        database.status = "creating"
        database.emu_eni_ids = _instance_enis(self, database)
        _after("rds.instance.create", database, "creating", "available",
               f"rds instance create {database.db_instance_identifier}")
        return database

    return create_db_instance


def _modify_db_instance(original):
    def modify_db_instance(self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> DBInstance:
        database = self.databases.get(db_instance_identifier)
        if database is None:
            raise DBInstanceNotFoundError(db_instance_identifier)
        if database.status != "available":
            raise _invalid_instance_state(f"Instance {db_instance_identifier} is not in available state.")
        database = original(self, db_instance_identifier, db_kwargs)
        if db_kwargs.get("apply_immediately"):
            database.status = "modifying"
            _after("rds.instance.modify", database, "modifying", "available",
                   f"rds instance modify {database.db_instance_identifier}")
        return database

    return modify_db_instance


def reboot_db_instance(self: RDSBackend, db_instance_identifier: str) -> DBInstance:
    database = self.databases.get(db_instance_identifier)
    if database is None:
        raise DBInstanceNotFoundError(db_instance_identifier)
    if database.status != "available":
        raise _invalid_instance_state(f"Instance {db_instance_identifier} is not in available state.")
    database.status = "rebooting"

    def in_sync(_t: float) -> None:
        cluster = getattr(database, "cluster", None)
        if cluster is not None:
            cluster.emu_pg_status.pop(database.db_instance_identifier, None)

    _after("rds.instance.reboot", database, "rebooting", "available",
           f"rds instance reboot {db_instance_identifier}", then=in_sync)
    return database


def _delete_db_instance(original):
    def delete_db_instance(self: RDSBackend, db_instance_identifier: str,
                           final_db_snapshot_identifier: str | None = None,
                           skip_final_snapshot: bool | None = False,
                           delete_automated_backups: bool | None = True) -> DBInstance:
        database = self.databases.get(db_instance_identifier)
        if database is None:
            raise DBInstanceNotFoundError(db_instance_identifier)
        if database.status == "deleting":
            raise _invalid_instance_state(f"Instance {db_instance_identifier} is already being deleted.")
        if database.deletion_protection:
            return original(self, db_instance_identifier, final_db_snapshot_identifier,
                            skip_final_snapshot, delete_automated_backups)  # moto's error
        database.status = "deleting"

        def gone(_t: float) -> None:
            if self.databases.get(db_instance_identifier) is not database:
                return
            original(self, db_instance_identifier, final_db_snapshot_identifier,
                     skip_final_snapshot, delete_automated_backups)
            enis.delete(self.account_id, self.region_name, getattr(database, "emu_eni_ids", []))
            cluster = getattr(database, "cluster", None)
            if cluster is not None:
                cluster.emu_pg_status.pop(db_instance_identifier, None)

        CLOCK.after("rds.instance.delete", gone, label=f"rds instance delete {db_instance_identifier}")
        return database

    return delete_db_instance


def reset_db_cluster_parameter_group(self: RDSBackend, name: str, reset_all: bool,
                                     parameters: list[dict[str, Any]]) -> Any:
    group = self.db_cluster_parameter_groups.get(name.lower()) or self.db_cluster_parameter_groups.get(name)
    if group is None:
        raise DBClusterParameterGroupNotFoundError(name)
    if reset_all:
        names = list(group.parameters)
    else:
        names = [p["ParameterName"] for p in parameters]
    static = False
    for parameter_name in names:
        removed = group.parameters.pop(parameter_name, None)
        method = ((removed or {}).get("ApplyMethod") or "").lower()
        static = static or reset_all or method == "pending-reboot" or any(
            p.get("ParameterName") == parameter_name and (p.get("ApplyMethod") or "").lower() == "pending-reboot"
            for p in parameters
        )
    if static:  # back to the engine default at the next reboot of each member
        for cluster in self.clusters.values():
            if cluster.parameter_group.lower() == group.name.lower():
                for member in cluster.members:
                    cluster.emu_pg_status[member.db_instance_identifier] = "pending-reboot"
    return group


def _response_reset_db_cluster_parameter_group(self: RDSResponse) -> ActionResult:
    name = self.params.get("DBClusterParameterGroupName")
    reset_all = bool(self.params.get("ResetAllParameters"))
    parameters = [p.original_dict() if hasattr(p, "original_dict") else dict(p) for p in self.params.get("Parameters", [])]
    if not reset_all and not parameters:
        raise RDSClientError("InvalidParameterCombination",
                             "Either ResetAllParameters or Parameters must be specified.")
    group = self.backend.reset_db_cluster_parameter_group(name, reset_all, parameters)
    return ActionResult({"DBClusterParameterGroupName": group.name})


# Aurora versions whose provisioned clusters support the RDS Data API (EnableHttpEndpoint):
# Aurora MySQL 3.07+, Aurora PostgreSQL 13.11+/14.8+/15.3+/16+ (AWS "Data API" docs, Region and version availability).
_DATA_API_MIN = {"aurora-postgresql": {13: 11, 14: 8, 15: 3}}


def _data_api_supported(engine: str, version: str | None) -> bool:
    if not version:
        return False
    if engine == "aurora-mysql":
        # 8.0.mysql_aurora.3.07.0 and later
        parts = version.split(".mysql_aurora.")
        if len(parts) != 2:
            return False
        try:
            major, minor = (int(x) for x in parts[1].split(".")[:2])
        except ValueError:
            return False
        return (major, minor) >= (3, 7)
    if engine == "aurora-postgresql":
        try:
            major, minor = (int(x) for x in (version.split(".") + ["0"])[:2])
        except ValueError:
            return False
        return major >= 16 or minor >= _DATA_API_MIN["aurora-postgresql"].get(major, 10**6)
    return False


def _enable_http_endpoint_property(original: property) -> property:
    def setter(self: DBCluster, val: bool | None) -> None:
        original.fset(self, val)  # moto's rules (Serverless v1 versions)
        if val and getattr(self, "engine_mode", "provisioned") != "serverless" \
                and _data_api_supported(self.engine, self.engine_version):
            self._enable_http_endpoint = True

    return property(original.fget, setter)


def modify_db_subnet_group(self: RDSBackend, subnet_name: str, description: str | None, subnets: list[Any]) -> Any:
    group = self.subnet_groups.get(subnet_name)
    if group is None:
        raise DBSubnetGroupNotFoundError(subnet_name)
    if subnets:
        if len({s.vpc_id for s in subnets}) > 1:
            raise RDSClientError("InvalidSubnet", "The specified subnets are not all in the same VPC.")
        if subnets[0].vpc_id != group.vpc_id:
            raise RDSClientError("InvalidSubnet", f"The new subnets are not in the same VPC as the DB subnet group {subnet_name}.")
        group.subnets = subnets
    if description is not None:
        group.description = description
    return group


# The RDS resources the Tagging API lists besides moto's (cluster, db,
# snapshots, proxy): resource type → RDSBackend attribute.  The ARN is the
# model's own `arn` (arn:aws:rds:<region>:<account>:<type>:<name>), the one
# ListTagsForResource/AddTagsToResource take, and the tags the ones they see.
_RDS_GROUPS = {
    "rds:cluster-pg": "db_cluster_parameter_groups",
    "rds:pg": "db_parameter_groups",
    "rds:subgrp": "subnet_groups",
}


def _iter_tagged_resources(original):
    def iter_tagged_resources(self: RDSBackend) -> Iterator[TaggedResource]:
        yield from original(self)
        for resource_type, attribute in _RDS_GROUPS.items():
            for group in list(getattr(self, attribute).values()):
                yield TaggedResource(
                    arn=group.arn,
                    tags={tag["Key"]: tag["Value"] for tag in group.get_tags()},
                    resource_type=resource_type,
                )

    return iter_tagged_resources


def patch_cluster_states() -> None:
    """Cluster creating → available after the scaled duration; modifying with ApplyImmediately."""
    DBCluster.status = _status_property()
    RDSBackend.create_db_cluster = _create_db_cluster(RDSBackend.create_db_cluster)
    RDSBackend.modify_db_cluster = _modify_db_cluster(RDSBackend.modify_db_cluster)


def patch_cluster_delete() -> None:
    """DeleteDBCluster → `deleting`, visible until the scaled duration passes (moto: gone at once)."""
    RDSBackend.delete_db_cluster = _delete_db_cluster(RDSBackend.delete_db_cluster)


def patch_instance_states() -> None:
    """Instances creating → available, modifying, deleting (visible) → gone; an ENI in the subnet group."""
    RDSBackend.create_db_instance = _create_db_instance(RDSBackend.create_db_instance)
    RDSBackend.modify_db_instance = _modify_db_instance(RDSBackend.modify_db_instance)
    RDSBackend.delete_db_instance = _delete_db_instance(RDSBackend.delete_db_instance)


def patch_parameter_group_status() -> None:
    """DBClusterMembers[].DBClusterParameterGroupStatus: pending-reboot after a pending-reboot change."""
    DBCluster.db_cluster_members = property(_db_cluster_members)
    RDSBackend.modify_db_cluster_parameter_group = _modify_db_cluster_parameter_group(
        RDSBackend.modify_db_cluster_parameter_group
    )


def patch_reboot() -> None:
    """RebootDBInstance → rebooting for a while, then the member's parameter group is in-sync."""
    RDSBackend.reboot_db_instance = reboot_db_instance


def patch_reset_cluster_parameter_group() -> None:
    """ResetDBClusterParameterGroup (moto: NotImplementedError → 500): named or all user parameters dropped."""
    RDSBackend.reset_db_cluster_parameter_group = reset_db_cluster_parameter_group
    RDSResponse.reset_db_cluster_parameter_group = _response_reset_db_cluster_parameter_group


def patch_http_endpoint() -> None:
    """EnableHttpEndpoint on provisioned Aurora MySQL 3.07+ / PostgreSQL 13.11+ → HttpEndpointEnabled true (moto: false)."""
    DBCluster.enable_http_endpoint = _enable_http_endpoint_property(DBCluster.__dict__["enable_http_endpoint"])


def patch_modify_subnet_group() -> None:
    """ModifyDBSubnetGroup keeps the group (moto pops it: every later call says DBSubnetGroupNotFoundFault)."""
    RDSBackend.modify_db_subnet_group = modify_db_subnet_group


def _create_auto_cluster_snapshot(original):
    def create_auto_cluster_snapshot(self: RDSBackend, db_cluster_identifier: str, db_snapshot_identifier: str):
        # moto names automated backups per minute and refuses a second one
        # with the same name, so a cluster deleted and created again within
        # a minute could not be created; AWS never refuses a create because
        # of its own automated backup (and removes them with the cluster).
        old = self.cluster_snapshots.get(db_snapshot_identifier)
        if old is not None and getattr(old, "snapshot_type", "automated") == "automated":
            del self.cluster_snapshots[db_snapshot_identifier]
        return original(self, db_cluster_identifier, db_snapshot_identifier)

    return create_auto_cluster_snapshot


def patch_cluster_automated_backups() -> None:
    """A cluster deleted and created again with the same identifier within a minute is created
    (moto refused it with DBClusterSnapshotAlreadyExistsFault for its own automated backup)."""
    RDSBackend.create_auto_cluster_snapshot = _create_auto_cluster_snapshot(RDSBackend.create_auto_cluster_snapshot)


def patch_tagging_api_rds_groups() -> None:
    """Tagging API GetResources also lists DB cluster parameter groups (rds:cluster-pg), DB parameter
    groups (rds:pg) and DB subnet groups (rds:subgrp); moto lists clusters, instances, snapshots, proxies."""
    RDSBackend.iter_tagged_resources = _iter_tagged_resources(RDSBackend.iter_tagged_resources)


PATCHES = [
    patch_cluster_states,
    patch_cluster_delete,
    patch_instance_states,
    patch_parameter_group_status,
    patch_reboot,
    patch_reset_cluster_parameter_group,
    patch_http_endpoint,
    patch_modify_subnet_group,
    patch_tagging_api_rds_groups,
    patch_cluster_automated_backups,
]


def apply() -> None:
    for patch in PATCHES:
        patch()

