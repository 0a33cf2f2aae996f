"""Protocol-correct AWS errors raised from our patches and backends.

moto serialises a `ServiceException` with the error shape of the service's
botocore model (HTTP status, `__type`, XML or JSON), but it also looks the
service up from the exception's module, `moto.<package>.…` → botocore
service name (moto.core.errors.get_exception_service_model).  An exception
defined in e.g. `motoext.kafka_patch` would make it look up a service called
"kafka_patch" and answer 500, so every class made here claims to live in
`moto.<package>.exceptions`, the package of the service it belongs to.
"""

from __future__ import annotations

from moto.core.exceptions import ServiceException

_classes: dict[tuple[str, str], type[ServiceException]] = {}


def service_error(package: str, code: str, message: str) -> ServiceException:
    """An exception for service `package` (moto package name, e.g. "kafka")."""
    cls = _classes.get((package, code))
    if cls is None:
        cls = type(
            code.replace(".", ""),
            (ServiceException,),
            {"code": code, "__module__": f"moto.{package}.exceptions"},
        )
        _classes[(package, code)] = cls
    return cls(message)


def kafka_error(code: str, message: str) -> ServiceException:
    return service_error("kafka", code, message)
