"""Progress reporting for long steps (forecasts, optimisation, AC power flow).

Library functions that take long accept an optional ``progress`` callback
``progress(fraction, message)`` with ``fraction`` in [0, 1]. The CLI renders it
as a progress line; the API stores it on the run row.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """Ignore a progress report (the default callback)."""


def scaled(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback:
    """Map a sub-task's progress 0..1 onto ``start..end`` of the parent's progress."""
    parent = progress or no_progress

    def report(fraction: float, message: str) -> None:
        parent(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report
