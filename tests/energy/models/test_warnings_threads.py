"""Warning handling is thread-safe: model code never changes the warning filters of all warnings.

The API runs scenarios in a thread pool, and the warning filters are one
process-wide list. ``warnings.catch_warnings()`` saves and restores that list,
so two threads inside it at once restore each other's filters: a warning that
one thread meant to silence escapes in another (lightsim2grid's "no slack
generator" UserWarning once broke a dashboard test under ``filterwarnings =
error``), or a changed list leaks out and stays. A blanket
``warnings.simplefilter("error")`` (demandlib's ``ElecSlp`` sets one) turns
every warning of every other thread into an exception while it lasts.

These tests run the AC time-series set-up (lightsim2grid conversion) and the
BDEW load profiles in several threads at once under the filters of
pyproject.toml's ``filterwarnings`` (``error`` plus the named ignores) and
check that no warning escapes, that nothing on these paths sets a filter for
all warnings (``simplefilter``/``filterwarnings`` without a category, message
or module to scope it), and that the filters are the same afterwards.

pandas and numba scope their own short-lived filters by category or message
(``catch_warnings`` inside pandas' dtype handling, thousands of times per
run); those are not ours to change and are not counted, and only the filters
this test set are compared afterwards, in their order.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from energy.district import GERA_DISTRICT_FILE, load_district
from energy.models import demand
from energy.models.grid import TimeSeriesRunner, build_network, node_buses
from energy.timeindex import make_index

THREADS = 4


def _pytest_like_filters() -> None:
    """The filters of pyproject.toml's ``[tool.pytest.ini_options] filterwarnings``."""
    warnings.simplefilter("error")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)


@pytest.fixture
def blanket_filters(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record every filter set for all warnings (no category, message or module) meanwhile."""
    seen: list[tuple[str, str]] = []
    simplefilter, filterwarnings = warnings.simplefilter, warnings.filterwarnings

    def spy_simple(action: Any, category: Any = Warning, *args: Any, **kwargs: Any) -> None:
        if category is Warning:
            seen.append((str(action), threading.current_thread().name))
        simplefilter(action, category, *args, **kwargs)

    def spy_filter(
        action: Any,
        message: str = "",
        category: Any = Warning,
        module: str = "",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if category is Warning and not message and not module:
            seen.append((str(action), threading.current_thread().name))
        filterwarnings(action, message, category, module, *args, **kwargs)

    monkeypatch.setattr(warnings, "simplefilter", spy_simple)
    monkeypatch.setattr(warnings, "filterwarnings", spy_filter)
    return seen


def _in_threads(work: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    """Run ``work(k)`` for k = 0..THREADS-1 in threads started together; results, errors."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS
    errors: list[BaseException] = []

    def run(k: int) -> None:
        barrier.wait()
        try:
            results[k] = work(k)
        except BaseException as exc:  # collected and checked by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,), name=f"worker-{k}") for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _ours(filters: Sequence[Any], mine: list[Any]) -> list[Any]:
    """The filters of ``mine`` that are still in ``filters``, in their order there."""
    return [f for f in filters if f in mine]


def test_lightsim_set_up_in_threads_leaves_warning_filters_alone(
    blanket_filters: list[tuple[str, str]],
) -> None:
    pytest.importorskip("lightsim2grid")
    net = build_network(load_district(GERA_DISTRICT_FILE))
    index = make_index("2025-06-02", 1, "1h")
    p_kw = pd.DataFrame(10.0, index=index, columns=[str(n) for n in node_buses(net).index])
    reference = TimeSeriesRunner(net, "lightsim2grid").run(p_kw).vm_pu.to_numpy()
    with warnings.catch_warnings():  # the test's own filters, set before any thread starts
        _pytest_like_filters()
        mine = list(warnings.filters)
        blanket_filters.clear()

        def work(k: int) -> np.ndarray:
            runs = [TimeSeriesRunner(net, "lightsim2grid").run(p_kw) for _ in range(5)]
            return runs[-1].vm_pu.to_numpy()

        results, errors = _in_threads(work)
        assert errors == [], errors  # no warning escaped as an error
        assert blanket_filters == []  # no filter for all warnings set on the way
        assert _ours(warnings.filters, mine) == mine  # the test's filters, unchanged
    for vm in results:
        np.testing.assert_array_equal(vm, reference)  # the same power flow in every thread


def test_load_profiles_in_threads_leave_warning_filters_alone(
    blanket_filters: list[tuple[str, str]],
) -> None:
    # a year per thread that no other test asks for, so that every thread builds its
    # profiles (the per-year caches hold nothing for them yet)
    years = [2041 + k for k in range(THREADS)]
    with warnings.catch_warnings():
        _pytest_like_filters()
        mine = list(warnings.filters)
        blanket_filters.clear()

        def work(k: int) -> float:
            index = make_index(f"{years[k]}-01-01", 3, "15min")
            loads = [demand.profile_kw(p, 1000.0, index) for p in ("H0", "G0", "H25")]
            return float(sum(load.sum() for load in loads))

        results, errors = _in_threads(work)
        assert errors == [], errors
        assert blanket_filters == []
        assert _ours(warnings.filters, mine) == mine
    assert all(isinstance(r, float) and r > 0 for r in results)
