"""rds-data ExecuteStatement: accept SQL and record it.

moto answers ExecuteStatement with an empty result and forgets the SQL.  Tests
of a tool that creates database users through the Data API need to see what
was sent, so every statement is recorded here and served by
GET /_emulator/rds-data/statements (control.py).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.rdsdata.responses import RDSDataServiceResponse

_lock = threading.Lock()
STATEMENTS: list[dict[str, Any]] = []


def recorded() -> list[dict[str, Any]]:
    with _lock:
        return list(STATEMENTS)


def reset() -> None:
    with _lock:
        STATEMENTS.clear()


def _execute_statement(original):
    def execute_statement(self: RDSDataServiceResponse) -> str:
        entry = {
            "time": time.time(),
            "region": self.region,
            "resourceArn": self._get_param("resourceArn"),
            "secretArn": self._get_param("secretArn"),
            "database": self._get_param("database"),
            "schema": self._get_param("schema"),
            "sql": self._get_param("sql"),
            "parameters": self._get_param("parameters") or [],
            "transactionId": self._get_param("transactionId"),
        }
        with _lock:
            STATEMENTS.append(entry)
        return original(self)

    return execute_statement


def patch_record_statements() -> None:
    """ExecuteStatement SQL is recorded and exposed on the control endpoint."""
    RDSDataServiceResponse.execute_statement = _execute_statement(RDSDataServiceResponse.execute_statement)


PATCHES = [patch_record_statements]


def apply() -> None:
    for patch in PATCHES:
        patch()

