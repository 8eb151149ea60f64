"""Helpers for tests that run servers: a free loopback port, the scheduler's threads."""

from __future__ import annotations

import socket
import threading


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scheduler_threads() -> list[threading.Thread]:
    """The live threads of APScheduler (the scheduled jobs of `vigil serve`)."""
    return [t for t in threading.enumerate() if t.name == "APScheduler" and t.is_alive()]
