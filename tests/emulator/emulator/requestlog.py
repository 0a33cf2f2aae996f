"""The request log: one entry per AWS request, in memory and optionally as JSON lines.

Entry: {"seq", "time", "service", "region", "operation", "method", "path",
"status", "latency_ms", "fault"}.  `seq` starts at 1 and keeps counting
across DELETE /_emulator/requests, so `?since=N` (entries with seq > N) stays
meaningful for a client that polls.
"""

from __future__ import annotations

import json
import threading
from typing import Any, TextIO


class RequestLog:
    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = 0
        self._file: TextIO | None = open(path, "a", buffering=1) if path else None

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            self._entries.append(entry)
            if self._file is not None:
                self._file.write(json.dumps(entry) + "\n")

    def entries(self, since: int = 0, service: str | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                e for e in self._entries
                if e["seq"] > since
                and (service is None or e["service"] == service)
                and (operation is None or e["operation"] == operation)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries = []

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
