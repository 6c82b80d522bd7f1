"""Run a study's independent runs on an executor (a local process pool by default).

Sweeps and ensembles submit one top-level function of plain arguments per
run (so that a process pool pickles them and a Celery task can take their
JSON forms) and collect the results in submission order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, ParamSpec, TypeVar

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


_P = ParamSpec("_P")
_T = TypeVar("_T")


class SerialExecutor(Executor):
    """Run each submitted call at once in the calling thread (a job that is one process).

    A job of the API (one worker's thread or task) runs a study's runs one
    after the other with it; an exception is kept in the future as any
    executor does.
    """

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        """Run ``fn(*args, **kwargs)`` now and return its finished future."""
        future: Future[_T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # kept in the future, re-raised by result()
            future.set_exception(exc)
        return future
