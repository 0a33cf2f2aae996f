"""The WSGI application: control endpoint, fault injection and request log around moto.

Every AWS request goes through __call__:
  1. /_emulator/… goes to control.py;
  2. the service/operation is identified (requestinfo.py);
  3. faults.decide() may add latency (slept outside the lock, so concurrent
     requests overlap as in AWS) and/or answer with an injected error;
  4. otherwise, under one lock, due state transitions are settled and moto's
     DomainDispatcherApplication handles the request; its response then goes
     through motoext.RESPONSE_FILTERS (wire-format fixes such as the rest-xml
     root element, restxml_patch.py).  The lock serialises
     moto, whose backends are not thread-safe (a describe iterating a dict
     while a create adds to it), and makes S3 conditional writes atomic, so
     20 concurrent `If-None-Match: *` lock attempts have exactly one winner.
"""

from __future__ import annotations

import io
import sys
import threading
import time
import traceback
from importlib.metadata import version
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request

import motoext
from motoext.clock import CLOCK

from . import awserrors, control
from .faults import Faults
from .requestinfo import identify
from .requestlog import RequestLog


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", ""):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


class EmulatorApp:
    def __init__(self, faults: Faults, log: RequestLog) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = faults
        self.log = log
        self.lock = threading.RLock()
        self.started = time.time()
        self.moto_version = version("moto")

    def reset(self) -> None:
        with self.lock:
            motoext.reset()
            self.faults.replace({})
            self.log.clear()

    def _call_moto(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):  # type: ignore[no-untyped-def]
            captured["status"] = status
            captured["headers"] = headers
            return chunks.append

        with self.lock:
            CLOCK.settle()
            result = self.moto(environ, start_response)
            try:
                for chunk in result:
                    chunks.append(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if environ.get("PATH_INFO", "").startswith("/moto-api/reset"):
                CLOCK.reset()  # moto's own reset: drop transitions of the objects it just discarded
        return captured["status"], captured["headers"], b"".join(chunks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator"):
            return control.handle(self, Request(environ))(environ, start_response)

        started = time.monotonic()
        body = _read_body(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/moto-api"):
            info = None
            decision = None
        else:
            info = identify(environ, body)
            decision = self.faults.decide(info.service, info.operation)
            if decision.latency_ms:
                time.sleep(decision.latency_ms / 1000)

        fault = decision.kind if decision else None
        if info is not None and fault is not None:
            if fault == "throttle":
                code, status, message = awserrors.throttle_error(info.service)
            elif fault == "error":
                code, status, message = decision.code, decision.status, decision.message
            else:
                code, status, message = awserrors.server_error(info.service, 503 if fault == "error503" else 500)
            status, headers, data = awserrors.render(info.service, code, status, message, method)
            status_line = f"{status} {_reason(status)}"
        else:
            try:
                status_line, headers, data = self._call_moto(environ)
                if info is not None:
                    headers = _fix_content_type(info.service, headers, data)
                    status = int(status_line.split(" ", 1)[0])
                    for response_filter in motoext.RESPONSE_FILTERS:
                        headers, data = response_filter(info, status, headers, data)
            except Exception:
                print(f"[emulator] unhandled error in {method} {path}:", file=sys.stderr)
                traceback.print_exc()
                service = info.service if info else "unknown"
                code, status, message = awserrors.server_error(service, 500)
                status, headers, data = awserrors.render(service, code, status, message, method)
                status_line = f"{status} {_reason(status)}"

        if info is not None:
            self.log.add({
                "time": time.time(),
                "service": info.service,
                "region": info.region,
                "operation": info.operation,
                "method": method,
                "path": path,
                "status": int(status_line.split(" ", 1)[0]),
                "latency_ms": round((time.monotonic() - started) * 1000, 3),
                "fault": fault,
            })
        start_response(status_line, headers)
        return [data]


def _fix_content_type(service: str, headers: list[tuple[str, str]], data: bytes) -> list[tuple[str, str]]:
    """moto's older JSON handlers (kafka, rds-data) return bare strings that Flask
    labels text/html, and the Tagging API (resourcegroupstaggingapi) answers
    `Content-Type: text`; AWS sends a JSON content type, and SDKs may check it."""
    proto = awserrors.protocol(service)
    if proto not in ("json", "rest-json") or not data[:1] in (b"{", b"["):
        return headers
    wanted = "application/json" if proto == "rest-json" else "application/x-amz-json-1.1"
    return [
        (k, wanted) if k.lower() == "content-type" and v.startswith("text") else (k, v)
        for k, v in headers
    ]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
