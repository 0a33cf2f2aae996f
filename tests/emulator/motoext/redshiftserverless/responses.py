"""redshift-serverless request handlers (JSON 1.1): moto parses the request and
serialises the response from the botocore model."""

from __future__ import annotations

from moto.core.responses import ActionResult, BaseResponse

from .models import RedshiftServerlessBackend, redshiftserverless_backends


class RedshiftServerlessResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="redshift-serverless")
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> RedshiftServerlessBackend:
        return redshiftserverless_backends[self.current_account][self.region]

    def create_namespace(self) -> ActionResult:
        return ActionResult({"namespace": self.backend.create_namespace(dict(self.params)).to_json()})

    def get_namespace(self) -> ActionResult:
        return ActionResult({"namespace": self.backend.get_namespace(self._get_param("namespaceName")).to_json()})

    def list_namespaces(self) -> ActionResult:
        return ActionResult({"namespaces": [n.to_json() for n in self.backend.namespaces.values()]})

    def update_namespace(self) -> ActionResult:
        return ActionResult({"namespace": self.backend.update_namespace(dict(self.params)).to_json()})

    def delete_namespace(self) -> ActionResult:
        return ActionResult({"namespace": self.backend.delete_namespace(self._get_param("namespaceName")).to_json()})

    def create_workgroup(self) -> ActionResult:
        return ActionResult({"workgroup": self.backend.create_workgroup(dict(self.params)).to_json()})

    def get_workgroup(self) -> ActionResult:
        return ActionResult({"workgroup": self.backend.get_workgroup(self._get_param("workgroupName")).to_json()})

    def list_workgroups(self) -> ActionResult:
        return ActionResult({"workgroups": [w.to_json() for w in self.backend.workgroups.values()]})

    def update_workgroup(self) -> ActionResult:
        return ActionResult({"workgroup": self.backend.update_workgroup(dict(self.params)).to_json()})

    def delete_workgroup(self) -> ActionResult:
        return ActionResult({"workgroup": self.backend.delete_workgroup(self._get_param("workgroupName")).to_json()})

    def tag_resource(self) -> ActionResult:
        tags = {t["key"]: t["value"] for t in self._get_param("tags") or []}
        self.backend.tag_resource(self._get_param("resourceArn"), tags)
        return ActionResult({})

    def untag_resource(self) -> ActionResult:
        self.backend.untag_resource(self._get_param("resourceArn"), self._get_param("tagKeys") or [])
        return ActionResult({})

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.backend.list_tags_for_resource(self._get_param("resourceArn"))})
