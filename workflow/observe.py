"""What the engine announces to whoever watches it (metrics), without knowing who that is.

The engine stays free of Flask and of any metrics library: it calls `emit` with a small event
after the change the event reports was committed, and the faces subscribe (web/metrics.py turns
the events into Prometheus counters, in the web processes and in `sandan worker`). Events are
counted where they happen because counting them afterwards from the database would mean scanning
the ledger at every scrape; what is a state rather than an event (the outbox backlog) is read from
the database at scrape time instead.

A listener that fails is logged and ignored: watching must never break or undo the work watched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransitionFired:
    """A trigger fired on an item of `kind` and committed."""

    kind: str
    trigger: str


@dataclass(frozen=True)
class SweepFinished:
    """A (non-dry) sweep ended: how long it took and how many items it met."""

    seconds: float
    examined: int


@dataclass(frozen=True)
class Escalated:
    """The sweep climbed an item's ladder to `level` (its `action`: remind, urge, admonish...)."""

    level: int
    action: str


Event = TransitionFired | SweepFinished | Escalated
Listener = Callable[[Event], None]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call `listener` with every event from now on (once, however often it subscribes)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def emit(event: Event) -> None:
    """Tell every listener; a listener's error is logged, never raised into the engine."""
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:
            _log.exception("an observer of %s failed", type(event).__name__)
