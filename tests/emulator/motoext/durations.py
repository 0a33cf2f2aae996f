"""Real AWS durations, in seconds, of every state the emulator makes last.

The emulator holds a resource in its in-progress state for
`seconds * time_scale` of wall-clock time (see clock.py).  The default time
scale (0.002) makes the slowest one, an MSK cluster create (~30 min), take
about 3.6 s.  Sources: /work/shared/reference/aws-resources.md (section in
the third column); "estimate" marks values that file does not give, chosen
from the same order of magnitude as its neighbours.
"""

from __future__ import annotations

# key: (real seconds, source)
DURATIONS: dict[str, tuple[float, str]] = {
    # MSK provisioned (kafka)
    "msk.cluster.create": (1800, "§3 Cluster: typ. create 25–40 min for 3×m5.large"),
    "msk.cluster.delete": (900, "§3 Cluster: delete typ. 10–20 min"),
    "msk.cluster.update_broker_count": (1500, "estimate: new brokers are provisioned like a create (§3, 25–40 min), minus the cluster-level setup"),
    "msk.cluster.update_broker_type": (1200, "estimate: rolling replacement of each broker (§3 update in place); TF allows 120 min"),
    "msk.cluster.update_broker_storage": (600, "estimate: EBS resize without broker restart (§3; 6 h cooldown not emulated)"),
    "msk.cluster.update_configuration": (900, "estimate: rolling broker restart (§3 'update_cluster_configuration (rolling broker restart)')"),
    "msk.cluster.update_kafka_version": (1800, "estimate: rolling upgrade of every broker (§3 update_cluster_kafka_version)"),
    "msk.configuration.delete": (10, "estimate: §3 Configuration 'TF waits up to 5 min while DELETING'; in practice seconds"),
    "msk.eni.linger": (300, "estimate: §3 'Broker ENIs disappear with the cluster, but subnet and SG deletes may still need retries'"),
    # MSK Connect (kafkaconnect)
    "kafkaconnect.custom_plugin.create": (60, "§4 Custom plugin: CREATING→ACTIVE typ. ~1 min"),
    "kafkaconnect.custom_plugin.delete": (10, "estimate: §4 Custom plugin DELETING (TF 10m); in practice seconds"),
    "kafkaconnect.worker_configuration.delete": (10, "estimate: §4 Worker configuration DELETING (TF waits 10m); in practice seconds"),
    "kafkaconnect.connector.create": (600, "§4 Connector: typ. create 5–15 min"),
    "kafkaconnect.connector.update": (300, "estimate: §4 Connector UPDATING→RUNNING (TF 20m), a worker restart"),
    "kafkaconnect.connector.delete": (180, "§4 Connector: delete typ. 2–5 min"),
    "kafkaconnect.eni.linger": (600, "§4 Connector: 'ENIs in the private subnets linger for minutes'"),
    # Redshift Serverless
    "redshiftserverless.namespace.modify": (60, "estimate: §5 Namespace MODIFYING→AVAILABLE (TF waits 10m)"),
    "redshiftserverless.namespace.delete": (120, "estimate: §5 Namespace DELETING (TF waits 10m)"),
    "redshiftserverless.workgroup.create": (360, "§5 Workgroup: typ. create 3–10 min"),
    "redshiftserverless.workgroup.modify": (180, "estimate: §5 Workgroup MODIFYING (TF 20m), between create and delete"),
    "redshiftserverless.workgroup.delete": (300, "§5 Workgroup: delete typ. 3–8 min"),
    "redshiftserverless.eni.linger": (600, "§5 Workgroup: 'Workgroup ENIs (managed VPC endpoint) can linger'"),
    # Aurora MySQL (rds)
    "rds.cluster.create": (240, "§2 DB cluster: typ. cluster alone 2–5 min"),
    "rds.cluster.modify": (60, "estimate: §2 DB cluster pending state 'modifying' with ApplyImmediately"),
    "rds.cluster.delete": (180, "§2 DB cluster: delete typ. 5–10 min including the instances"),
    "rds.instance.create": (600, "§2 Writer instance: typ. 8–15 min"),
    "rds.instance.modify": (300, "estimate: §2 Writer instance pending state 'modifying' (instance class change)"),
    "rds.instance.reboot": (60, "estimate: §2 Cluster parameter group 'requires reboot_db_instance on the writer'"),
    "rds.instance.delete": (300, "§2 Writer instance: delete typ. 5–10 min with the cluster"),
    # EC2
    "ec2.nat_gateway.create": (120, "§1 NAT GW: typ. create 1–3 min"),
    "ec2.nat_gateway.delete": (60, "§1 NAT GW: delete ~1 min"),
    "ec2.instance.start": (45, "§1 Bastion EC2: pending→running typ. 30–60 s"),
    "ec2.instance.terminate": (30, "estimate: §1 Bastion EC2 shutting-down→terminated (waiter instance_terminated)"),
}


def seconds(key: str) -> float:
    return DURATIONS[key][0]
