"""Rate limits with the ``limits`` package: per key, per client address, and failed keys.

Three budgets (``ENERGY_RATE_LIMIT_*``, in the ``limits`` notation such as
``600/minute``): every authenticated key, every client address reading
without a key (the public, read-only API), and failed keys per client
address (a wrong, unknown or revoked key). A request over a budget answers
429 with ``Retry-After`` in seconds. The counters live in Redis when
``ENERGY_RATE_LIMIT_STORAGE`` names it (``redis://host:6379/2``, shared by
all API processes), else in the process's memory.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import RateLimitedError
from api.settings import Settings


class RateLimits:
    """The three budgets of one app, on one storage."""

    def __init__(self, settings: Settings) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self.per_key = parse(settings.rate_limit_per_key)
        self.anonymous = parse(settings.rate_limit_anonymous)
        self.failed_keys = parse(settings.rate_limit_failed_keys)

    def _hit(self, which: str, item: RateLimitItem, identity: str, what: str) -> None:
        if self.limiter.hit(item, which, identity):
            return
        reset = self.limiter.get_window_stats(item, which, identity).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        raise RateLimitedError(f"{what}: more than {item}; retry in {retry} s", retry_after=retry)

    def key(self, key_id: int) -> None:
        """Count a request of key ``key_id``; 429 past the per-key budget."""
        self._hit("key", self.per_key, str(key_id), f"key {key_id}")

    def anonymous_read(self, address: str) -> None:
        """Count a request without a key from ``address``; 429 past the public budget."""
        self._hit("anonymous", self.anonymous, address, "requests without a key from this address")

    def failed_key(self, address: str) -> None:
        """Count a failed key from ``address``; 429 (instead of 401) past the budget."""
        self._hit("failed", self.failed_keys, address, "failed keys from this address")
