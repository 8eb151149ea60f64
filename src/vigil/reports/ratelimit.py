"""Per-client rate limit of the public tip line (the ``limits`` package, in memory).

Every submission, follow-up look-up and reply counts, so guessing follow-up codes
costs the same as sending tips. The counters live in the process: each server
process counts on its own, and a restart forgets them. That bounds abuse; it is no
accounting. Behind a reverse proxy, set VIGIL_TRUST_FORWARDED_HEADERS so that the
client's address, not the proxy's, is the key.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItemPerHour
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "tipline"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


class ClientRateLimit:
    """At most ``per_hour`` hits per client within any moving hour."""

    def __init__(self, per_hour: int) -> None:
        self.item = RateLimitItemPerHour(per_hour)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, client: str | None) -> Verdict:
        """Count one request from ``client``; say whether it may go ahead and, if not,
        how many seconds until it may."""
        key = client or "unknown"
        if self._limiter.hit(self.item, NAMESPACE, key):
            return Verdict(True)
        stats = self._limiter.get_window_stats(self.item, NAMESPACE, key)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))


_lock = threading.Lock()


def limiter_for(state: object, per_hour: int) -> ClientRateLimit:
    """The one limiter of an application (kept on its ``state``), made on first use."""
    with _lock:
        limiter = getattr(state, "tipline_rate_limit", None)
        if not isinstance(limiter, ClientRateLimit):
            limiter = ClientRateLimit(per_hour)
            setattr(state, "tipline_rate_limit", limiter)  # noqa: B010 - Starlette State
        return limiter
