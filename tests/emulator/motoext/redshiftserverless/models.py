"""Redshift Serverless backend: namespaces and workgroups.

moto 5.2.5 has no redshift-serverless.  Registered as `moto.redshiftserverless`
(motoext/__init__.py); moto maps that package name back to the botocore
service "redshift-serverless" (JSON 1.1, X-Amz-Target RedshiftServerless.*).

Behaviour follows the service model and aws-resources.md §5: a namespace is
AVAILABLE at once, MODIFYING after an update, cannot be deleted while a
workgroup uses it; one workgroup per namespace, CREATING → AVAILABLE,
MODIFYING after an update (one parameter per request), DELETING → gone, with
one ENI per subnet that lingers after delete.  `manageAdminPassword` creates
a real Secrets Manager secret in moto's secretsmanager backend.

The backend is a moto `TaggableResourcesMixin`: the Resource Groups Tagging
API (GetResources, TagResources, UntagResources) sees namespaces
("redshift-serverless:namespace") and workgroups ("redshift-serverless:workgroup")
with their current tags, until they are gone.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import string
import uuid
from datetime import datetime, timezone
from collections.abc import Iterator
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
from moto.secretsmanager.models import secretsmanager_backends

from .. import enis
from ..clock import CLOCK
from ..errors import service_error

LOG_EXPORTS = ("useractivitylog", "userlog", "connectionlog")
WORKGROUP_UPDATABLE = (
    "baseCapacity", "maxCapacity", "configParameters", "enhancedVpcRouting", "port",
    "publiclyAccessible", "securityGroupIds", "subnetIds", "ipAddressType",
    "pricePerformanceTarget", "trackName", "extraComputeForAutomaticOptimization",
)


def _error(code: str, message: str) -> Exception:
    return service_error("redshiftserverless", code, message)


def validation(message: str) -> Exception:
    return _error("ValidationException", message)


def conflict(message: str) -> Exception:
    return _error("ConflictException", message)


def not_found(kind: str, name: str) -> Exception:
    error = _error("ResourceNotFoundException", f"{kind} {name} does not exist.")
    error.resourceName = name  # member of the model's ResourceNotFoundException
    return error


def _check_name(value: Any, field: str) -> str:
    if not value:
        raise validation(f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null")
    if not re.fullmatch(r"[a-z0-9-]{3,64}", value):
        raise validation(
            f"{field} must be 3-64 characters of lowercase letters, digits and hyphens: {value}"
        )
    return value


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _password() -> str:
    # Redshift admin passwords need upper, lower and a digit.
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(29))
    return "Aa1" + body


class Namespace(BaseModel):
    def __init__(self, backend: RedshiftServerlessBackend, params: dict[str, Any]) -> None:
        self.name = params["namespaceName"]
        self.id = str(uuid.uuid4())
        self.arn = f"arn:{backend.partition}:redshift-serverless:{backend.region_name}:{backend.account_id}:namespace/{self.id}"
        self.admin_username = params.get("adminUsername") or "admin"
        self.db_name = params.get("dbName") or "dev"
        self.default_iam_role_arn = params.get("defaultIamRoleArn")
        self.iam_roles = list(params.get("iamRoles") or [])
        self.kms_key_id = params.get("kmsKeyId") or "AWS_OWNED_KMS_KEY"
        self.log_exports = list(params.get("logExports") or [])
        self.admin_password_secret_arn: str | None = None
        self.admin_password_secret_kms_key_id = params.get("adminPasswordSecretKmsKeyId")
        self.creation_date = _now()
        self.status = "AVAILABLE"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "adminUsername": self.admin_username,
            "creationDate": self.creation_date,
            "dbName": self.db_name,
            "iamRoles": self.iam_roles,
            "kmsKeyId": self.kms_key_id,
            "logExports": self.log_exports,
            "namespaceArn": self.arn,
            "namespaceId": self.id,
            "namespaceName": self.name,
            "status": self.status,
        }
        if self.default_iam_role_arn:
            data["defaultIamRoleArn"] = self.default_iam_role_arn
        if self.admin_password_secret_arn:
            data["adminPasswordSecretArn"] = self.admin_password_secret_arn
            if self.admin_password_secret_kms_key_id:
                data["adminPasswordSecretKmsKeyId"] = self.admin_password_secret_kms_key_id
        return data


class Workgroup(BaseModel):
    def __init__(self, backend: RedshiftServerlessBackend, params: dict[str, Any]) -> None:
        self.backend = backend
        self.name = params["workgroupName"]
        self.id = str(uuid.uuid4())
        self.arn = f"arn:{backend.partition}:redshift-serverless:{backend.region_name}:{backend.account_id}:workgroup/{self.id}"
        self.namespace_name = params["namespaceName"]
        self.base_capacity = params.get("baseCapacity") or 128
        self.max_capacity = params.get("maxCapacity")
        self.config_parameters = params.get("configParameters") or [
            {"parameterKey": "auto_mv", "parameterValue": "true"},
            {"parameterKey": "datestyle", "parameterValue": "ISO, MDY"},
            {"parameterKey": "enable_case_sensitive_identifier", "parameterValue": "false"},
            {"parameterKey": "enable_user_activity_logging", "parameterValue": "true"},
            {"parameterKey": "query_group", "parameterValue": "default"},
            {"parameterKey": "search_path", "parameterValue": "$user, public"},
            {"parameterKey": "max_query_execution_time", "parameterValue": "14400"},
        ]
        self.enhanced_vpc_routing = bool(params.get("enhancedVpcRouting", False))
        self.publicly_accessible = bool(params.get("publiclyAccessible", False))
        self.port = params.get("port") or 5439
        self.subnet_ids = list(params.get("subnetIds") or [])
        self.security_group_ids = list(params.get("securityGroupIds") or [])
        self.ip_address_type = params.get("ipAddressType") or "ipv4"
        self.price_performance_target = params.get("pricePerformanceTarget")
        self.track_name = params.get("trackName") or "current"
        self.creation_date = _now()
        self.status = "CREATING"
        self.eni_ids: list[str] = []
        self.vpc_endpoint_id = "vpce-" + "".join(random.choices("0123456789abcdef", k=17))

    def endpoint(self) -> dict[str, Any]:
        ec2 = enis.ec2(self.backend.account_id, self.backend.region_name)
        interfaces = []
        vpc_id = None
        for eni_id in self.eni_ids:
            eni = ec2.enis.get(eni_id)
            if eni is None:
                continue
            vpc_id = eni.subnet.vpc_id
            interfaces.append({
                "availabilityZone": eni.subnet.availability_zone,
                "networkInterfaceId": eni.id,
                "privateIpAddress": eni.private_ip_address,
                "subnetId": eni.subnet.id,
            })
        endpoint: dict[str, Any] = {
            "address": f"{self.name}.{self.backend.account_id}.{self.backend.region_name}.redshift-serverless.amazonaws.com",
            "port": self.port,
            "vpcEndpoints": [{"networkInterfaces": interfaces, "vpcEndpointId": self.vpc_endpoint_id}],
        }
        if vpc_id:
            endpoint["vpcEndpoints"][0]["vpcId"] = vpc_id
        return endpoint

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "baseCapacity": self.base_capacity,
            "configParameters": self.config_parameters,
            "creationDate": self.creation_date,
            "endpoint": self.endpoint(),
            "enhancedVpcRouting": self.enhanced_vpc_routing,
            "ipAddressType": self.ip_address_type,
            "namespaceName": self.namespace_name,
            "port": self.port,
            "publiclyAccessible": self.publicly_accessible,
            "securityGroupIds": self.security_group_ids,
            "status": self.status,
            "subnetIds": self.subnet_ids,
            "trackName": self.track_name,
            "workgroupArn": self.arn,
            "workgroupId": self.id,
            "workgroupName": self.name,
        }
        if self.max_capacity is not None:
            data["maxCapacity"] = self.max_capacity
        if self.price_performance_target:
            data["pricePerformanceTarget"] = self.price_performance_target
        return data


class RedshiftServerlessBackend(BaseBackend, TaggableResourcesMixin):
    # The service of the ARNs (arn:aws:redshift-serverless:…): the Tagging API
    # routes TagResources/UntagResources of those ARNs here.
    SERVICE_NAMESPACE = "redshift-serverless"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.namespaces: dict[str, Namespace] = {}
        self.workgroups: dict[str, Workgroup] = {}
        self.tags: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------ helpers

    def _secrets(self):  # type: ignore[no-untyped-def]
        return secretsmanager_backends[self.account_id][self.region_name]

    def _create_admin_secret(self, namespace: Namespace, password: str | None = None) -> None:
        secret = self._secrets().create_managed_secret(
            service_name="redshift",
            secret_id=f"redshift!{namespace.name}-{namespace.admin_username}",
            secret_string=json.dumps({"username": namespace.admin_username, "password": password or _password()}),
            description=f"Admin user password for Redshift Serverless namespace {namespace.name}",
            kms_key_id=namespace.admin_password_secret_kms_key_id,
        )
        namespace.admin_password_secret_arn = secret.arn

    def _delete_admin_secret(self, namespace: Namespace) -> None:
        if namespace.admin_password_secret_arn:
            try:
                self._secrets().delete_secret(namespace.admin_password_secret_arn, None, True)
            except Exception:
                pass
            namespace.admin_password_secret_arn = None

    @staticmethod
    def _check_capacity(value: Any, field: str) -> None:
        if value is None:
            return
        if not isinstance(value, int) or value < 8 or value > 1024 or value % 8:
            raise validation(f"{field} must be between 8 and 1024 in increments of 8; got {value}.")

    @staticmethod
    def _check_port(port: Any) -> None:
        if port is not None and not (5431 <= port <= 5455 or 8191 <= port <= 8215):
            raise validation(f"The port {port} is not valid: use 5431-5455 or 8191-8215.")

    def _tag_list(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        if tags:
            self.tags.setdefault(arn, {}).update({t["key"]: t["value"] for t in tags})

    def _resource(self, arn: str) -> None:
        if not any(x.arn == arn for x in list(self.namespaces.values()) + list(self.workgroups.values())):
            raise not_found("Resource", arn)

    # ------------------------------------------------------------ namespaces

    def create_namespace(self, params: dict[str, Any]) -> Namespace:
        name = _check_name(params.get("namespaceName"), "namespaceName")
        if name in self.namespaces:
            raise conflict(f"Namespace {name} already exists.")
        if params.get("manageAdminPassword") and params.get("adminUserPassword"):
            raise validation("You can't use both adminUserPassword and manageAdminPassword.")
        for log in params.get("logExports") or []:
            if log not in LOG_EXPORTS:
                raise validation(f"Invalid log export {log}: use {', '.join(LOG_EXPORTS)}.")
        namespace = Namespace(self, params)
        if params.get("manageAdminPassword"):
            self._create_admin_secret(namespace)
        self.namespaces[name] = namespace
        self._tag_list(namespace.arn, params.get("tags"))
        return namespace

    def get_namespace(self, name: str) -> Namespace:
        namespace = self.namespaces.get(name or "")
        if namespace is None:
            raise not_found("Namespace", name)
        return namespace

    def update_namespace(self, params: dict[str, Any]) -> Namespace:
        namespace = self.get_namespace(params.get("namespaceName"))
        if namespace.status != "AVAILABLE":
            raise conflict(f"There is an operation running on the namespace {namespace.name}. Try again later.")
        if params.get("adminUsername") and not params.get("adminUserPassword"):
            raise validation("adminUsername can be updated only together with adminUserPassword.")
        if params.get("manageAdminPassword") and params.get("adminUserPassword"):
            raise validation("You can't use both adminUserPassword and manageAdminPassword.")
        for log in params.get("logExports") or []:
            if log not in LOG_EXPORTS:
                raise validation(f"Invalid log export {log}: use {', '.join(LOG_EXPORTS)}.")
        if "iamRoles" in params and params["iamRoles"] is not None:
            namespace.iam_roles = list(params["iamRoles"])
        if params.get("defaultIamRoleArn") is not None:
            namespace.default_iam_role_arn = params["defaultIamRoleArn"]
        if params.get("logExports") is not None:
            namespace.log_exports = list(params["logExports"])
        if params.get("kmsKeyId"):
            namespace.kms_key_id = params["kmsKeyId"]
        if params.get("adminUsername"):
            namespace.admin_username = params["adminUsername"]
        if params.get("manageAdminPassword") and not namespace.admin_password_secret_arn:
            self._create_admin_secret(namespace)
        elif params.get("manageAdminPassword") is False or params.get("adminUserPassword"):
            self._delete_admin_secret(namespace)
        namespace.status = "MODIFYING"

        def available(_t: float) -> None:
            if namespace.status == "MODIFYING":
                namespace.status = "AVAILABLE"

        CLOCK.after("redshiftserverless.namespace.modify", available, label=f"namespace modify {namespace.name}")
        return namespace

    def delete_namespace(self, name: str) -> Namespace:
        namespace = self.get_namespace(name)
        users = [w.name for w in self.workgroups.values() if w.namespace_name == name]
        if users:
            raise conflict(
                f"Namespace {name} is associated with workgroup {users[0]}. Delete the workgroup first."
            )
        if namespace.status != "AVAILABLE":
            raise conflict(f"There is an operation running on the namespace {name}. Try again later.")
        namespace.status = "DELETING"

        def gone(_t: float) -> None:
            if self.namespaces.get(name) is namespace:
                del self.namespaces[name]
                self.tags.pop(namespace.arn, None)
                self._delete_admin_secret(namespace)

        CLOCK.after("redshiftserverless.namespace.delete", gone, label=f"namespace delete {name}")
        return namespace

    # ------------------------------------------------------------ workgroups

    def _check_network(self, subnet_ids: list[str], sg_ids: list[str]) -> None:
        enis.check_network(self.account_id, self.region_name, subnet_ids, sg_ids,
                           "redshiftserverless", "ValidationException")

    def create_workgroup(self, params: dict[str, Any]) -> Workgroup:
        name = _check_name(params.get("workgroupName"), "workgroupName")
        namespace_name = _check_name(params.get("namespaceName"), "namespaceName")
        if name in self.workgroups:
            raise conflict(f"Workgroup {name} already exists.")
        namespace = self.get_namespace(namespace_name)
        if namespace.status != "AVAILABLE":
            raise conflict(f"Namespace {namespace_name} is in {namespace.status} state.")
        taken = [w.name for w in self.workgroups.values() if w.namespace_name == namespace_name]
        if taken:
            raise conflict(f"Namespace {namespace_name} already has a workgroup ({taken[0]}); a namespace can have only one.")
        self._check_capacity(params.get("baseCapacity"), "baseCapacity")
        if params.get("maxCapacity") is not None and params["maxCapacity"] < (params.get("baseCapacity") or 128):
            raise validation("maxCapacity must be greater than or equal to baseCapacity.")
        self._check_port(params.get("port"))
        subnet_ids = list(params.get("subnetIds") or [])
        sg_ids = list(params.get("securityGroupIds") or [])
        self._check_network(subnet_ids, sg_ids)
        workgroup = Workgroup(self, params)
        self.workgroups[name] = workgroup
        self._tag_list(workgroup.arn, params.get("tags"))
        workgroup.eni_ids = enis.create(
            self.account_id, self.region_name, subnet_ids, sg_ids, len(subnet_ids),
            f"Redshift Serverless VPC endpoint {workgroup.vpc_endpoint_id}",
        )

        def available(_t: float) -> None:
            if workgroup.status == "CREATING":
                workgroup.status = "AVAILABLE"

        CLOCK.after("redshiftserverless.workgroup.create", available, label=f"workgroup create {name}")
        return workgroup

    def get_workgroup(self, name: str) -> Workgroup:
        workgroup = self.workgroups.get(name or "")
        if workgroup is None:
            raise not_found("Workgroup", name)
        return workgroup

    def update_workgroup(self, params: dict[str, Any]) -> Workgroup:
        workgroup = self.get_workgroup(params.get("workgroupName"))
        given = [k for k in WORKGROUP_UPDATABLE if params.get(k) is not None]
        if len(given) > 1:
            raise validation(f"Can't update multiple configurations at the same time for workgroup {workgroup.name}.")
        if workgroup.status != "AVAILABLE":
            raise conflict(
                f"There is an operation running on the workgroup {workgroup.name} ({workgroup.status}). Try again later."
            )
        if not given:
            return workgroup
        key = given[0]
        value = params[key]
        if key == "baseCapacity":
            self._check_capacity(value, key)
            if workgroup.max_capacity is not None and value > workgroup.max_capacity:
                raise validation("baseCapacity must be less than or equal to maxCapacity.")
        if key == "maxCapacity" and value < workgroup.base_capacity:
            raise validation("maxCapacity must be greater than or equal to baseCapacity.")
        if key == "port":
            self._check_port(value)
        if key in ("subnetIds", "securityGroupIds"):
            self._check_network(value if key == "subnetIds" else [], value if key == "securityGroupIds" else [])
        workgroup.status = "MODIFYING"

        def done(t: float) -> None:
            attr = {
                "baseCapacity": "base_capacity", "maxCapacity": "max_capacity",
                "configParameters": "config_parameters", "enhancedVpcRouting": "enhanced_vpc_routing",
                "port": "port", "publiclyAccessible": "publicly_accessible",
                "securityGroupIds": "security_group_ids", "subnetIds": "subnet_ids",
                "ipAddressType": "ip_address_type", "pricePerformanceTarget": "price_performance_target",
                "trackName": "track_name",
            }.get(key)
            if attr:
                setattr(workgroup, attr, value)
            if key in ("subnetIds", "securityGroupIds"):
                # The managed endpoint moves: new interfaces, the old ones linger.
                enis.release_later(self.account_id, self.region_name, workgroup.eni_ids,
                                   "redshiftserverless.eni.linger", t)
                workgroup.eni_ids = enis.create(
                    self.account_id, self.region_name, workgroup.subnet_ids, workgroup.security_group_ids,
                    len(workgroup.subnet_ids), f"Redshift Serverless VPC endpoint {workgroup.vpc_endpoint_id}",
                )
            if workgroup.status == "MODIFYING":
                workgroup.status = "AVAILABLE"

        CLOCK.after("redshiftserverless.workgroup.modify", done, label=f"workgroup modify {workgroup.name}")
        return workgroup

    def delete_workgroup(self, name: str) -> Workgroup:
        workgroup = self.get_workgroup(name)
        if workgroup.status != "AVAILABLE":
            raise conflict(
                f"There is an operation running on the workgroup {name} ({workgroup.status}). Try again later."
            )
        workgroup.status = "DELETING"

        def gone(t: float) -> None:
            if self.workgroups.get(name) is workgroup:
                del self.workgroups[name]
                self.tags.pop(workgroup.arn, None)
                enis.release_later(self.account_id, self.region_name, workgroup.eni_ids,
                                   "redshiftserverless.eni.linger", t)

        CLOCK.after("redshiftserverless.workgroup.delete", gone, label=f"workgroup delete {name}")
        return workgroup

    # ------------------------------------------------------------ tags

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        """TagResource (the response converts the model's [{key, value}]) and the Tagging API's TagResources."""
        self._resource(arn)
        if tags:
            self.tags.setdefault(arn, {}).update(tags)

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        self._resource(arn)
        for key in keys:
            self.tags.get(arn, {}).pop(key, None)

    def list_tags_for_resource(self, arn: str) -> list[dict[str, str]]:
        self._resource(arn)
        return [{"key": k, "value": v} for k, v in self.tags.get(arn, {}).items()]

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        """Every namespace and workgroup that still exists (DELETING included), for the Tagging API."""
        for resource_type, resources in (
            ("redshift-serverless:namespace", list(self.namespaces.values())),
            ("redshift-serverless:workgroup", list(self.workgroups.values())),
        ):
            for resource in resources:
                yield TaggedResource(arn=resource.arn, tags=dict(self.tags.get(resource.arn, {})),
                                     resource_type=resource_type)


redshiftserverless_backends = BackendDict(RedshiftServerlessBackend, "redshift-serverless")
