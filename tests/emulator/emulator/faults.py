"""Injected faults: latency, throttling, 5xx errors and deterministic next-N failures.

Configuration (JSON; GET/POST /_emulator/faults, or CLI flags at start):

    {
      "seed": 42,                                   # seeds the random generator (null: random)
      "latency":  {"ms": 0, "service": null, "operation": null},
      "throttle": {"rate": 0.0, "service": null, "operation": null},
      "error":    {"rate": 0.0, "status": 500, "service": null, "operation": null},
      "next": [                                      # deterministic, consumed in order
        {"kind": "throttle", "count": 2, "service": "s3", "operation": "PutObject"},
        {"kind": "error503", "count": 1},
        {"kind": "error", "count": 1, "status": 409, "code": "ConflictException", "message": "..."},
        {"kind": "latency", "count": 1, "ms": 2000}
      ]
    }

`service` is the SigV4 signing name (ec2, rds, kafka, kafkaconnect,
redshift-serverless, s3, iam, sts, secretsmanager, logs, ssm, rds-data),
`operation` the AWS operation name; either may be a string, a list or null
(= any).  Rates are probabilities per matching request, drawn from one seeded
random.Random, so a run with the same seed and the same request sequence
injects the same faults.  Kinds: throttle, error500, error503, error (custom
status/code/message), latency.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("throttle", "error500", "error503", "error", "latency")


def default_config() -> dict[str, Any]:
    return {
        "seed": None,
        "latency": {"ms": 0, "service": None, "operation": None},
        "throttle": {"rate": 0.0, "service": None, "operation": None},
        "error": {"rate": 0.0, "status": 500, "service": None, "operation": None},
        "next": [],
    }


class FaultConfigError(ValueError):
    pass


def _matches(pattern: Any, value: str) -> bool:
    if pattern in (None, "", "*"):
        return True
    if isinstance(pattern, str):
        return pattern == value
    return value in pattern


def _scoped(section: dict[str, Any], service: str, operation: str) -> bool:
    return _matches(section.get("service"), service) and _matches(section.get("operation"), operation)


def normalise(config: dict[str, Any]) -> dict[str, Any]:
    """Validates a (possibly partial) config and fills in the defaults."""
    if not isinstance(config, dict):
        raise FaultConfigError("the fault config must be a JSON object")
    unknown = set(config) - set(default_config())
    if unknown:
        raise FaultConfigError(f"unknown keys: {sorted(unknown)}")
    result = default_config()
    result["seed"] = config.get("seed")
    for section in ("latency", "throttle", "error"):
        given = config.get(section) or {}
        if not isinstance(given, dict):
            raise FaultConfigError(f"{section} must be an object")
        extra = set(given) - set(result[section])
        if extra:
            raise FaultConfigError(f"unknown keys in {section}: {sorted(extra)}")
        result[section].update(given)
    for section in ("throttle", "error"):
        rate = float(result[section]["rate"] or 0)
        if not 0 <= rate <= 1:
            raise FaultConfigError(f"{section}.rate must be between 0 and 1")
        result[section]["rate"] = rate
    if int(result["error"]["status"]) not in (500, 503):
        raise FaultConfigError("error.status must be 500 or 503")
    result["error"]["status"] = int(result["error"]["status"])
    result["latency"]["ms"] = float(result["latency"]["ms"] or 0)
    result["next"] = [normalise_rule(rule) for rule in config.get("next") or []]
    return result


def normalise_rule(rule: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise FaultConfigError("a next rule must be an object")
    kind = rule.get("kind")
    if kind not in KINDS:
        raise FaultConfigError(f"kind must be one of {KINDS}")
    allowed = {"kind", "count", "service", "operation", "status", "code", "message", "ms"}
    extra = set(rule) - allowed
    if extra:
        raise FaultConfigError(f"unknown keys in next rule: {sorted(extra)}")
    result = {"kind": kind, "count": int(rule.get("count", 1)), "service": rule.get("service"),
              "operation": rule.get("operation")}
    if kind == "error":
        if not rule.get("code") or not rule.get("status"):
            raise FaultConfigError("an error rule needs status and code")
        result.update(status=int(rule["status"]), code=str(rule["code"]),
                      message=str(rule.get("message") or rule["code"]))
    if kind == "latency":
        result["ms"] = float(rule.get("ms") or 0)
    return result


@dataclass
class Decision:
    latency_ms: float = 0.0
    kind: str | None = None  # throttle, error500, error503, error
    status: int | None = None
    code: str | None = None
    message: str | None = None


class Faults:
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self.replace(config or {})

    def replace(self, config: dict[str, Any]) -> dict[str, Any]:
        normalised = normalise(config)
        with self._lock:
            self._config = normalised
            self._random = random.Random(normalised["seed"])
        return self.get()

    def add_rules(self, rules: list[dict[str, Any]]) -> dict[str, Any]:
        normalised = [normalise_rule(rule) for rule in rules]
        with self._lock:
            self._config["next"].extend(normalised)
        return self.get()

    def get(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._config)

    def decide(self, service: str, operation: str) -> Decision:
        with self._lock:
            config = self._config
            decision = Decision()
            if config["latency"]["ms"] and _scoped(config["latency"], service, operation):
                decision.latency_ms = config["latency"]["ms"]
            for rule in config["next"]:
                if rule["count"] > 0 and _matches(rule["service"], service) and _matches(rule["operation"], operation):
                    rule["count"] -= 1
                    if rule["kind"] == "latency":
                        decision.latency_ms += rule["ms"]
                        continue
                    decision.kind = rule["kind"]
                    decision.status = rule.get("status")
                    decision.code = rule.get("code")
                    decision.message = rule.get("message")
                    break
            config["next"] = [rule for rule in config["next"] if rule["count"] > 0]
            if decision.kind is None and config["throttle"]["rate"] and _scoped(config["throttle"], service, operation):
                if self._random.random() < config["throttle"]["rate"]:
                    decision.kind = "throttle"
            if decision.kind is None and config["error"]["rate"] and _scoped(config["error"], service, operation):
                if self._random.random() < config["error"]["rate"]:
                    decision.kind = f"error{config['error']['status']}"
            return decision
