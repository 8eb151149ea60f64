"""Timing figures shared by the benchmarks: percentiles, rates and progress lines."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``samples``."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int]:
    """p50/p90/p99/max in milliseconds, and the sample count (p99 needs ~100+ samples)."""
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 3),
        "p90_ms": round(percentile(seconds, 0.90) * 1000, 3),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 3),
        "max_ms": round(max(seconds) * 1000, 3),
    }


def load_average() -> float:
    """The one-minute load average: the machine is shared, so figures carry it."""
    return round(os.getloadavg()[0], 2)


class Progress:
    """Prints a step's progress to stderr at most every ``interval`` seconds."""

    def __init__(self, label: str, interval: float = 5.0) -> None:
        self.label = label
        self.interval = interval
        self.started = time.perf_counter()
        self._last = 0.0
        self._last_done = -1

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        now = time.perf_counter()
        if done == self._last_done or (not force and now - self._last < self.interval):
            return
        self._last, self._last_done = now, done
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        share = f"{100 * done / total:5.1f}%" if total else "  -  "
        say(f"  {self.label}: {done:,}/{total:,} ({share}) {elapsed:7.1f}s {rate:,.0f}/s")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
