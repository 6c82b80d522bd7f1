"""Run a study's independent runs on an executor (a local process pool by default).

Sweeps and ensembles submit one top-level function of plain arguments per
run (so that a process pool pickles them and a Celery task can take their
JSON forms) and collect the results in submission order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any

from energy.progress import ProgressCallback, no_progress


def run_all(
    fn: Callable[..., dict[str, Any]],
    jobs: Sequence[tuple[Any, ...]],
    executor: Executor | None = None,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    what: str = "run",
) -> list[dict[str, Any]]:
    """Return ``[fn(*args) for args in jobs]``, computed on ``executor``.

    Parameters
    ----------
    fn
        A top-level function (picklable) returning a JSON-ready record.
    jobs
        The argument tuples, one per run.
    executor
        Any :class:`concurrent.futures.Executor`; default a local process pool
        of ``workers`` processes, shut down (pending runs cancelled) at the end.
    workers
        Processes of the default pool.
    progress
        Called with the fraction done and ``"<what> k/n done"`` after each run.
    what
        The name of one run in the progress messages.
    """
    report = progress or no_progress
    own = executor is None
    pool: Executor = executor or ProcessPoolExecutor(max_workers=workers)
    records: list[dict[str, Any] | None] = [None] * len(jobs)
    try:
        futures: dict[Future[dict[str, Any]], int] = {
            pool.submit(fn, *args): i for i, args in enumerate(jobs)
        }
        report(0.0, f"{len(jobs)} {what}s submitted")
        for done, future in enumerate(as_completed(futures), start=1):
            records[futures[future]] = future.result()
            report(done / len(jobs), f"{what} {done}/{len(jobs)} done")
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    return [r for r in records if r is not None]
