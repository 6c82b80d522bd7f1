"""Robust sweeps and sizing: the runs of every design over an ensemble's members.

What is asked and how it is summarised is :mod:`energy.studies.robust`.

What is run
-----------
Every design (a sweep point, :func:`energy.studies.sweep.points`) and the base
district with nothing added run once per member (:func:`run_member_point`:
the member's weather in the options, its price year in the tariff, as
:func:`energy.studies.ensemble.run_member` does). The base run of a member is
the economic reference of that member's designs
(:func:`energy.studies.sweep.point_row`: investment of the addition, savings
the base's cost minus the design's, on the same weather and prices), so a
design's NPV is incremental against nothing added in every member.

Robust sizing (:func:`robust_size`)
-----------------------------------
"The smallest battery (or PV) whose P10 self-sufficiency stays >= target":
the candidate sizes are tried smallest first. ``scan`` evaluates one size
after the other and stops at the first that reaches the target (the smallest
by construction). ``bisect`` halves the candidate list and needs about
log2(n) sizes, but is right only when the statistic grows with the size: a
cost-optimal dispatch with day-ahead prices can trade through a larger
battery and import more, so ``scan`` is the default.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Literal

from energy.district import District, district_from_dict
from energy.errors import EnergyError, InputDataError
from energy.progress import ProgressCallback, no_progress
from energy.report.exports import study_export_info
from energy.scenario import ScenarioOptions
from energy.studies.ensemble import member_label
from energy.studies.pool import run_all
from energy.studies.robust import (
    MemberRows,
    RobustAsk,
    RobustResult,
    design_label,
    summarise_robust,
)
from energy.studies.sweep import SweepSpec, changes_for, point_row, points, run_point
from energy.variants import ScenarioChanges

logger = logging.getLogger(__name__)

#: How robust sizing walks the candidates (module docstring).
SEARCHES = ("scan", "bisect")


def member_inputs(
    district: District, options: ScenarioOptions, weather: str | None, price_year: int | None
) -> tuple[District, ScenarioOptions]:
    """Return the district with the member's price year and the options with its weather."""
    tariff = district.tariff.model_copy(update={"price_year": price_year})
    changed = district.model_copy(update={"tariff": tariff})
    return changed, options.model_copy(update={"weather": weather})


def run_member_point(
    district: District | Mapping[str, Any],
    changes: ScenarioChanges | Mapping[str, Any],
    options: ScenarioOptions | Mapping[str, Any],
    weather: str | None,
    price_year: int | None,
) -> dict[str, Any]:
    """Run one design under one member's inputs (:func:`energy.studies.sweep.run_point`).

    A top-level function of plain arguments (a process pool pickles it). A run
    that fails is returned with ``error`` (the reason in words), never raised,
    so that the robust answer names it; a run that succeeds has ``error`` None.
    ``member`` is the member's label.
    """
    label = member_label(weather, price_year)
    try:
        base = district if isinstance(district, District) else district_from_dict(dict(district))
        opts = options if isinstance(options, ScenarioOptions) else ScenarioOptions(**options)
        changed, member_options = member_inputs(base, opts, weather, price_year)
        record = run_point(changed, changes, member_options)
    except (EnergyError, ValueError, OSError) as exc:
        logger.warning("robust member %s failed: %s", label, exc)
        return {"member": label, "error": f"{type(exc).__name__}: {exc}"}
    return record | {"member": label, "error": None}


def member_rows(
    spec: SweepSpec,
    grid_points: Sequence[Mapping[str, float]],
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    references: Mapping[str, Mapping[str, Any]],
) -> tuple[MemberRows, list[dict[str, Any]]]:
    """Turn member records into sweep rows with each member's own economics.

    Parameters
    ----------
    spec
        The sweep (its district, options and assumptions).
    grid_points
        The designs, in the order of each member's records.
    records
        Member label -> :func:`run_member_point` records of the designs.
    references
        Member label -> the record of the base district with nothing added.

    Returns
    -------
    tuple
        Member -> one :func:`energy.studies.sweep.point_row` per design (None
        where the design or the base failed in that member), and the failures
        (``member``, ``design``, ``error``).
    """
    rows: MemberRows = {}
    failed: list[dict[str, Any]] = []
    for member, recs in records.items():
        ref = references.get(member)
        if ref is None or ref.get("error"):
            reason = "no base run" if ref is None else ref["error"]
            failed.append({"member": member, "design": "nothing added", "error": reason})
            rows[member] = [None] * len(grid_points)
            continue
        out: list[dict[str, Any] | None] = []
        for point, rec in zip(grid_points, recs, strict=True):
            if rec.get("error"):
                failed.append(
                    {"member": member, "design": design_label(point), "error": rec["error"]}
                )
                out.append(None)
                continue
            clean = {k: v for k, v in rec.items() if k not in ("member", "error")}
            row = point_row(spec, point, clean, ref)
            out.append(row | {"horizon_label": rec.get("horizon_label")})
        rows[member] = out
    return rows, failed


def robust_info(spec: SweepSpec, ask: RobustAsk, what: str) -> dict[str, Any]:
    """Licence and sources of a robust answer: the district's and every member's data files."""
    source = (
        f"robust {what} ({ask.words()}) over {len(ask.members())} members (weather x price "
        f"years) of district {spec.district.site.name!r} (spec sha256 "
        f"{spec.district.spec_hash()}), {spec.options.days} days from {spec.options.start} at "
        f"{spec.options.resolution} (energy.studies.robust)"
    )
    info = study_export_info(spec.district, spec.options, source=source)
    for _, weather, year in ask.members():
        district, options = member_inputs(spec.district, spec.options, weather, year)
        extra = study_export_info(district, options, source=source)
        for key in ("data_licences", "data_sources"):
            for item in extra[key]:
                if item not in info[key]:
                    info[key].append(item)
    return info


def robust_from_records(
    spec: SweepSpec,
    ask: RobustAsk,
    point_members: Sequence[Sequence[Mapping[str, Any]]],
    reference_members: Sequence[Mapping[str, Any]],
    what: str = "sweep",
) -> RobustResult:
    """Summarise member records run elsewhere (e.g. one job per sweep point).

    Parameters
    ----------
    spec, ask
        The sweep and the robust request.
    point_members
        Per grid point (:func:`energy.studies.sweep.points` order), its
        :func:`run_member_point` records in :meth:`RobustAsk.members` order.
    reference_members
        The base district's records (nothing added), in the same member order.
    what
        ``sweep`` or ``sizing``, for the sources' words.
    """
    labels = [label for label, _, _ in ask.members()]
    grid_points = [p for p, _ in points(spec)]
    if len(point_members) != len(grid_points):
        raise InputDataError(
            f"records: {len(point_members)} points given for {len(grid_points)} grid points"
        )
    records = {label: [recs[i] for recs in point_members] for i, label in enumerate(labels)}
    references = dict(zip(labels, reference_members, strict=True))
    rows, failed = member_rows(spec, grid_points, records, references)
    return summarise_robust(ask, grid_points, rows, failed, robust_info(spec, ask, what))


#: Evaluates designs over the members: grid points -> member rows and failures.
Evaluator = Callable[[Sequence[Mapping[str, float]]], tuple[MemberRows, list[dict[str, Any]]]]


def member_evaluator(
    spec: SweepSpec,
    ask: RobustAsk,
    executor: Executor,
    progress: ProgressCallback | None = None,
) -> Evaluator:
    """Return an :data:`Evaluator` that runs designs over the members on ``executor``.

    The base run of each member (nothing added) is run once, with the first
    designs, and kept for the later ones; a design that adds nothing is that
    base run.
    """
    references: dict[str, dict[str, Any]] = {}
    report = progress or no_progress

    def evaluate(
        grid_points: Sequence[Mapping[str, float]],
    ) -> tuple[MemberRows, list[dict[str, Any]]]:
        designs = [changes_for(spec, p) for p in grid_points]
        jobs: list[tuple[Any, ...]] = []
        keys: list[tuple[str, int | None]] = []
        for label, weather, year in ask.members():
            if label not in references:
                jobs.append((spec.district, ScenarioChanges(), spec.options, weather, year))
                keys.append((label, None))
            for k, changes in enumerate(designs):
                if not changes.is_empty:  # nothing added is the base run itself
                    jobs.append((spec.district, changes, spec.options, weather, year))
                    keys.append((label, k))
        done = run_all(run_member_point, jobs, executor, progress=report, what="member run")
        by_key = dict(zip(keys, done, strict=True))
        for (label, at), record in by_key.items():
            if at is None:
                references[label] = record
        records = {
            label: [
                references[label] if changes.is_empty else by_key[(label, k)]
                for k, changes in enumerate(designs)
            ]
            for label, _, _ in ask.members()
        }
        return member_rows(spec, grid_points, records, references)

    return evaluate


def run_robust_sweep(
    spec: SweepSpec,
    ask: RobustAsk,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    workers: int = 2,
    evaluate: Evaluator | None = None,
) -> RobustResult:
    """Run every grid point of ``spec`` over the members of ``ask`` and choose robustly.

    ``evaluate`` replaces the runs (tests plant member figures through it);
    by default :func:`member_evaluator` on ``executor`` (a local process pool
    of ``workers`` processes if None).
    """
    grid_points = [p for p, _ in points(spec)]
    with _pool(executor, workers) as pool:
        run = evaluate or member_evaluator(spec, ask, pool, progress)
        rows, failed = run(grid_points)
    return summarise_robust(ask, grid_points, rows, failed, robust_info(spec, ask, "sweep"))


def robust_size(
    spec: SweepSpec,
    ask: RobustAsk,
    search: Literal["scan", "bisect"] = "scan",
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    workers: int = 2,
    evaluate: Evaluator | None = None,
) -> RobustResult:
    """Return the smallest candidate size whose statistic reaches the target (module docstring).

    Parameters
    ----------
    spec
        A sweep of ONE parameter (``battery_kwh_added`` or ``pv_kwp_added``):
        its values are the candidate sizes [kWh or kWp].
    ask
        Figure, statistic and ``target`` (required), the members.
    search
        ``scan`` (smallest first, stop at the first that reaches the target)
        or ``bisect`` (about log2(n) sizes; assumes the statistic grows with size).
    executor, progress, workers, evaluate
        As :func:`run_robust_sweep`.

    Returns
    -------
    RobustResult
        ``designs`` the sizes evaluated (ascending); ``choice["choice"]`` None
        with a ``why`` naming the target and the best value reached when no
        candidate reaches it; ``search`` the strategy and the sizes skipped.
    """
    if len(spec.parameters) != 1:
        raise InputDataError(
            f"candidates: robust sizing varies one size; got {', '.join(spec.parameters)}"
        )
    if ask.target is None:
        raise InputDataError("robust.target: robust sizing needs a target, e.g. 40 (%)")
    if search not in SEARCHES:
        raise InputDataError(f"search: {search!r}; use one of {', '.join(SEARCHES)}")
    name = spec.parameters[0]
    sizes = sorted(spec.grid[name])
    evaluated: dict[float, dict[str, dict[str, Any] | None]] = {}
    failed: list[dict[str, Any]] = []

    def meets(size: float, run: Evaluator) -> bool:
        point = {name: size}
        got, bad = run([point])
        failed.extend(bad)
        evaluated[size] = {member: r[0] for member, r in got.items()}
        return summarise_robust(ask, [point], got).choice["choice"] is not None

    with _pool(executor, workers) as pool:
        run = evaluate or member_evaluator(spec, ask, pool, progress)
        _walk(sizes, lambda size: meets(size, run), search)
    tried = sorted(evaluated)
    members = list(evaluated[tried[0]])
    rows: MemberRows = {m: [evaluated[s].get(m) for s in tried] for m in members}
    result = summarise_robust(
        ask, [{name: s} for s in tried], rows, failed, robust_info(spec, ask, "sizing")
    )
    search_record = {
        "method": search,
        "parameter": name,
        "candidates": sizes,
        "evaluated": tried,
        "not_evaluated": [s for s in sizes if s not in evaluated],
    }
    return dataclasses.replace(result, search=search_record)


def _walk(sizes: Sequence[float], meets: Callable[[float], bool], search: str) -> None:
    """Try ascending ``sizes`` until the smallest that ``meets`` is found (scan or bisect)."""
    if search == "scan":
        for size in sizes:
            if meets(size):
                return
        return
    lo, hi = 0, len(sizes) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if meets(sizes[mid]):
            hi = mid - 1
        else:
            lo = mid + 1


@contextlib.contextmanager
def _pool(executor: Executor | None, workers: int) -> Iterator[Executor]:
    """Yield the given executor, or a local process pool of ``workers`` shut down at the end."""
    if executor is not None:
        yield executor
        return
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)
