"""The control endpoint under /_emulator/ (JSON in, JSON out).  See README.md for the API."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from motoext import rdsdata_patch
from motoext.clock import CLOCK

from .faults import FaultConfigError

if TYPE_CHECKING:
    from .app import EmulatorApp


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, default=str), status=status, mimetype="application/json")


def _body(request: Request) -> Any:
    if not request.data:
        return {}
    try:
        return json.loads(request.data)
    except ValueError as e:
        raise FaultConfigError(f"invalid JSON: {e}") from e


def handle(app: EmulatorApp, request: Request) -> Response:
    path = request.path.rstrip("/")
    method = request.method
    try:
        if path == "/_emulator/health" and method == "GET":
            with app.lock:
                CLOCK.settle()
                pending = len(CLOCK.pending())
            return _json({
                "status": "ok",
                "moto_version": app.moto_version,
                "time_scale": CLOCK.time_scale,
                "uptime_s": round(time.time() - app.started, 3),
                "pending_transitions": pending,
            })
        if path == "/_emulator/faults":
            if method == "GET":
                return _json(app.faults.get())
            if method in ("POST", "PUT"):
                return _json(app.faults.replace(_body(request)))
            if method == "DELETE":
                return _json(app.faults.replace({}))
        if path == "/_emulator/faults/next" and method == "POST":
            body = _body(request)
            return _json(app.faults.add_rules(body if isinstance(body, list) else [body]))
        if path == "/_emulator/time-scale":
            if method == "POST":
                value = float(_body(request)["time_scale"])
                if value < 0:
                    raise FaultConfigError("time_scale must be >= 0")
                with app.lock:
                    CLOCK.settle()  # transitions already due finish under the old scale
                    CLOCK.time_scale = value
            return _json({"time_scale": CLOCK.time_scale})
        if path == "/_emulator/requests":
            if method == "GET":
                since = int(request.args.get("since", 0))
                return _json(app.log.entries(since, request.args.get("service"), request.args.get("operation")))
            if method == "DELETE":
                app.log.clear()
                return _json({"cleared": True})
        if path == "/_emulator/reset" and method == "POST":
            app.reset()
            return _json({"reset": True, "time_scale": CLOCK.time_scale})
        if path == "/_emulator/transitions" and method == "GET":
            with app.lock:
                CLOCK.settle()
                return _json(CLOCK.pending())
        if path == "/_emulator/rds-data/statements":
            if method == "GET":
                return _json(rdsdata_patch.recorded())
            if method == "DELETE":
                rdsdata_patch.reset()
                return _json({"cleared": True})
    except (FaultConfigError, KeyError, TypeError, ValueError) as e:
        return _json({"error": str(e)}, status=400)
    return _json({"error": f"no such control endpoint: {method} {request.path}"}, status=404)
