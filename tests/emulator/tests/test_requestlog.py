"""The request log: AWS operation names for every protocol, ?since=, clearing, the JSON-lines file."""

from __future__ import annotations

import json

from conftest import start_emulator, unique


def test_operation_names(emulator, network):
    emulator.control("DELETE", "requests")
    since = max([e["seq"] for e in emulator.control("GET", "requests")] or [0])
    s3 = emulator.client("s3")
    bucket = unique("names")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="dir/state.json", Body=b"{}")
    s3.head_object(Bucket=bucket, Key="dir/state.json")
    s3.get_object(Bucket=bucket, Key="dir/state.json")
    s3.list_objects_v2(Bucket=bucket)
    s3.list_object_versions(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="dir/state.json")
    emulator.client("ec2").describe_subnets(SubnetIds=network.subnet_ids)
    emulator.client("kafka").list_clusters_v2()
    kc = emulator.client("kafkaconnect")
    kc.list_connectors()
    try:
        kc.create_connector(connectorName="x", capacity={"provisionedCapacity": {"mcuCount": 1, "workerCount": 1}},
                            connectorConfiguration={}, kafkaCluster={"apacheKafkaCluster": {"bootstrapServers": "b", "vpc": {"subnets": ["s"]}}},
                            kafkaClusterClientAuthentication={"authenticationType": "IAM"},
                            kafkaClusterEncryptionInTransit={"encryptionType": "TLS"}, kafkaConnectVersion="2.7.1",
                            plugins=[], serviceExecutionRoleArn="arn:aws:iam::123456789012:role/r")
    except Exception:
        pass
    try:
        emulator.client("redshift-serverless").get_workgroup(workgroupName="missing")
    except Exception:
        pass
    emulator.client("rds").describe_db_clusters()
    emulator.client("sts").get_caller_identity()
    emulator.client("iam").list_roles()
    emulator.client("secretsmanager").list_secrets()
    emulator.client("logs").describe_log_groups()

    entries = emulator.control("GET", "requests", params={"since": since})
    names = [(e["service"], e["operation"]) for e in entries]
    assert names == [
        ("s3", "CreateBucket"), ("s3", "PutBucketVersioning"), ("s3", "PutObject"), ("s3", "HeadObject"),
        ("s3", "GetObject"), ("s3", "ListObjectsV2"), ("s3", "ListObjectVersions"), ("s3", "DeleteObject"),
        ("ec2", "DescribeSubnets"), ("kafka", "ListClustersV2"), ("kafkaconnect", "ListConnectors"),
        ("kafkaconnect", "CreateConnector"), ("redshift-serverless", "GetWorkgroup"), ("rds", "DescribeDBClusters"),
        ("sts", "GetCallerIdentity"), ("iam", "ListRoles"), ("secretsmanager", "ListSecrets"),
        ("logs", "DescribeLogGroups"),
    ]
    by_name = {e["operation"]: e for e in entries}
    assert by_name["GetWorkgroup"]["status"] == 400 and by_name["GetObject"]["status"] == 200
    for entry in entries:
        assert set(entry) >= {"seq", "time", "service", "operation", "status", "latency_ms"}
        assert entry["latency_ms"] >= 0


def test_since_and_clear(emulator):
    sts = emulator.client("sts")
    sts.get_caller_identity()
    last = emulator.control("GET", "requests")[-1]["seq"]
    sts.get_caller_identity()
    newer = emulator.control("GET", "requests", params={"since": last})
    assert [e["seq"] for e in newer] == [last + 1]
    emulator.control("DELETE", "requests")
    assert emulator.control("GET", "requests") == []
    sts.get_caller_identity()
    assert emulator.control("GET", "requests")[0]["seq"] == last + 2  # numbering goes on


def test_request_log_file(tmp_path):
    path = tmp_path / "requests.jsonl"
    emu = start_emulator(tmp_path, "--request-log", str(path))
    try:
        emu.client("sts").get_caller_identity()
        emu.client("kafka").list_clusters_v2()
    finally:
        assert emu.stop() == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["service"], e["operation"], e["status"]) for e in lines] == [
        ("sts", "GetCallerIdentity", 200), ("kafka", "ListClustersV2", 200)]


def test_presigned_and_unsigned_requests_are_logged(emulator):
    import requests

    s3 = emulator.client("s3")
    bucket = unique("presign")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert requests.get(url, timeout=10).content == b"v"
    assert emulator.control("GET", "requests")[-1]["operation"] == "GetObject"
