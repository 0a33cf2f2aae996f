"""Wall-clock scheduler for the emulator's time-based state transitions.

Every in-progress state (CREATING, deleting, pending...) is one Event: it
started at a wall-clock time and lasts `durations.seconds(key)` real AWS
seconds, i.e. `seconds * time_scale` here.  The time scale is read when the
deadline is checked, so changing it at run time (POST
/_emulator/time-scale) also shortens or lengthens transitions in flight, and
0 completes them at once.

`settle()` runs the callbacks of every due event in deadline order.  The
launcher calls it, under the request lock, before each request is
dispatched, so within one request every resource is in a consistent state
and nothing depends on how often a resource is described.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from . import durations

DEFAULT_TIME_SCALE = 0.002


@dataclass
class Event:
    start: float
    real_seconds: float
    callback: Callable[[float], None]
    label: str
    seq: int
    cancelled: bool = field(default=False)

    def deadline(self, time_scale: float) -> float:
        return self.start + self.real_seconds * time_scale


class Clock:
    def __init__(self, time_scale: float = DEFAULT_TIME_SCALE) -> None:
        self.time_scale = time_scale
        self._events: list[Event] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    def after(
        self,
        key: str,
        callback: Callable[[float], None],
        start: float | None = None,
        label: str = "",
    ) -> Event:
        """Runs callback(deadline) once `key`'s scaled duration has passed since start.

        Chained transitions pass the previous deadline as `start`, so a late
        settle() does not stretch the chain.
        """
        event = Event(
            start=time.time() if start is None else start,
            real_seconds=durations.seconds(key),
            callback=callback,
            label=label or key,
            seq=next(self._seq),
        )
        with self._lock:
            self._events.append(event)
        return event

    def settle(self, now: float | None = None) -> None:
        with self._lock:
            while True:
                now_ = time.time() if now is None else now
                due = [
                    e
                    for e in self._events
                    if not e.cancelled and e.deadline(self.time_scale) <= now_
                ]
                if not due:
                    break
                event = min(due, key=lambda e: (e.deadline(self.time_scale), e.seq))
                self._events.remove(event)
                try:
                    event.callback(event.deadline(self.time_scale))
                except Exception:  # one broken transition must not stop the others
                    print(f"[emulator] transition {event.label} failed:", file=sys.stderr)
                    traceback.print_exc()
            self._events = [e for e in self._events if not e.cancelled]

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [
                {
                    "label": e.label,
                    "remaining_s": round(max(0.0, e.deadline(self.time_scale) - time.time()), 3),
                }
                for e in self._events
                if not e.cancelled
            ]

    def reset(self) -> None:
        with self._lock:
            self._events = []


CLOCK = Clock()
