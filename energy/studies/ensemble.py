"""Ensembles: one scenario over weather years x price years, every figure as a distribution.

A cooperative deciding on 300 kWp and a battery needs to know how sure the
answer is. An :class:`EnsembleSpec` names a district, the run options and the
members' inputs: weather sources (default :data:`DEFAULT_WEATHER_FILES`, the
six DWD test reference years of TRY region 9, which contains Gera: 2015 and
2045, each mean, extreme summer and extreme winter) times day-ahead price
years (default :data:`DEFAULT_PRICE_YEARS`, SMARD 2023 and 2024, through
:attr:`energy.district.TariffSpec.price_year`). Every member is one scenario
run (:func:`run_member`, a top-level function of plain arguments, so that a
process pool or a Celery task can run it).

What each member reports (:data:`FIGURES`)
-----------------------------------------
Over the run's horizon (a whole year by default, :func:`default_options`):
the optimised cost, the savings against B1 (headline) and B0, self-sufficiency
and self-consumption [%], PV yield [kWh] and specific yield [kWh/kWp], peak
import [kW] and the AC check's grid violations; and the whole-system annual
figures NPV and simple payback against nothing built
(:func:`energy.analysis.compare.scenario_economics`), which carry
``extrapolated_from`` when the horizon is shorter than a year.

The distribution (:func:`distribution`)
---------------------------------------
For every figure: ``min``, ``p10``, ``p50``, ``p90``, ``max`` over the members
that finished, with the member that gave the minimum and the maximum and the
``worst_member`` (by the figure's better direction). Quantiles are numpy's
default, linear interpolation between order statistics (Hyndman and Fan 1996,
definition 7): for n sorted values ``x[0..n-1]`` the q-quantile is
``x[k] + f (x[k+1] - x[k])`` with ``k + f = q (n - 1)``. A payback that is
not reached within the assumptions' horizon counts as infinitely long; a
quantile that falls on it is reported as None ("not within lifetime").

A member that fails keeps its place: its reason is in ``failed`` and in the
member's record, the figures name how many members they are over, and the
summary sentence says so. It is never dropped silently.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.analysis.compare import result_horizon_label, scenario_economics
from energy.analysis.economics import EconomicAssumptions
from energy.analysis.monthly import MONTHLY_FIGURES, monthly_figures
from energy.district import DATA_DIR, District, district_from_dict
from energy.errors import EnergyError, InputDataError
from energy.kpi import HEADLINE_BASELINE
from energy.progress import ProgressCallback
from energy.scenario import ScenarioOptions, run_scenario
from energy.serialise import json_safe
from energy.studies.pool import run_all

logger = logging.getLogger(__name__)

#: The six DWD TRY files of region 9 shipped in data/weather (data/datapackage.json).
DEFAULT_WEATHER_FILES: tuple[Path, ...] = tuple(
    DATA_DIR / "weather" / f"TRY{year}_Chemnitz_region09_{kind}.dat"
    for year in (2015, 2045)
    for kind in ("Jahr", "Somm", "Wint")
)
#: Day-ahead price years of the shipped SMARD file.
DEFAULT_PRICE_YEARS: tuple[int, ...] = (2023, 2024)
#: Quantiles reported besides min and max.
QUANTILES: dict[str, float] = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
#: Statistics of every figure, in order.
STATISTICS: tuple[str, ...] = ("min", *QUANTILES, "max")
#: Most members an ensemble may have.
MAX_MEMBERS = 100
#: Worker processes of the default local pool.
DEFAULT_WORKERS = 2

#: Figure -> (unit, better direction, words). ``higher``/``lower`` is better.
FIGURES: dict[str, tuple[str, str, str]] = {
    "cost_eur": ("EUR", "lower", "cost of the optimised operation over the horizon"),
    f"saving_vs_{HEADLINE_BASELINE}_eur": ("EUR", "higher", "cost saved against B1 (headline)"),
    "saving_vs_B0_eur": ("EUR", "higher", "cost saved against B0 (reference)"),
    "self_sufficiency_pct": ("%", "higher", "self-sufficiency of the optimum"),
    "self_consumption_pct": ("%", "higher", "self-consumption of the optimum"),
    "npv_eur": ("EUR", "higher", "net present value, whole system against nothing built"),
    "payback_simple_years": ("years", "lower", "simple payback, whole system"),
    "pv_yield_kwh": ("kWh", "higher", "PV generation after curtailment"),
    "pv_specific_yield_kwh_per_kwp": ("kWh/kWp", "higher", "PV generation per installed kWp"),
    "peak_import_kw": ("kW", "lower", "highest import from the grid"),
    "grid_violations": ("count", "lower", "voltage and loading violations in the AC check"),
}
#: Figures whose None means "never" (counted as +infinity in the quantiles).
NONE_IS_INFINITE = frozenset({"payback_simple_years"})

_TRY_NAME = re.compile(r"TRY(\d{4})_.*_(Jahr|Somm|Wint)", re.IGNORECASE)
_TRY_KIND = {"jahr": "mean year", "somm": "extreme summer", "wint": "extreme winter"}


def default_options() -> ScenarioOptions:
    """Return a whole calendar year 2025 at 1 h with the AC check (violations are a figure)."""
    return ScenarioOptions(days=365)


def weather_label(source: str | Path | None) -> str:
    """Return a weather source in words: ``TRY 2045 extreme summer``, a file name, ``clearsky``."""
    if source is None:
        return "TRY 2015 mean year"
    name = Path(str(source)).name
    m = _TRY_NAME.search(name)
    if m:
        return f"TRY {m.group(1)} {_TRY_KIND[m.group(2).lower()]}"
    return name


def member_label(weather: str | Path | None, price_year: int | None) -> str:
    """Return a member's name, e.g. ``TRY 2015 extreme winter, prices 2024``."""
    prices = "prices as the horizon" if price_year is None else f"prices {price_year}"
    return f"{weather_label(weather)}, {prices}"


@dataclass(frozen=True)
class EnsembleSpec:
    """An ensemble: district, run options, weather sources x price years, economics.

    Attributes
    ----------
    district
        The district (with a scenario's changes applied).
    options
        Run options of every member (its ``weather`` is replaced by each member's).
    weather
        Weather sources (files or ``clearsky``), default :data:`DEFAULT_WEATHER_FILES`.
    price_years
        Day-ahead price years (:attr:`~energy.district.TariffSpec.price_year`);
        ``None`` in the list keeps the tariff's own mapping.
    assumptions
        Economic assumptions; German defaults if None.
    """

    district: District
    options: ScenarioOptions = field(default_factory=default_options)
    weather: tuple[str, ...] = tuple(str(p) for p in DEFAULT_WEATHER_FILES)
    price_years: tuple[int | None, ...] = DEFAULT_PRICE_YEARS
    assumptions: EconomicAssumptions | None = None

    def __post_init__(self) -> None:
        if not self.weather:
            raise InputDataError("weather: the ensemble needs at least one weather source")
        if not self.price_years:
            raise InputDataError("price_years: the ensemble needs at least one price year")
        n = len(self.weather) * len(self.price_years)
        if n > MAX_MEMBERS:
            raise InputDataError(
                f"members: {len(self.weather)} weather x {len(self.price_years)} price years "
                f"= {n} members; at most {MAX_MEMBERS} are allowed"
            )

    def members(self) -> list[tuple[str, str, int | None]]:
        """Return ``(label, weather, price_year)`` of every member, weather varying slowest."""
        return [(member_label(w, y), w, y) for w in self.weather for y in self.price_years]


def member_figures(
    result: Any, district: District, assumptions: EconomicAssumptions | None = None
) -> dict[str, Any]:
    """Return the :data:`FIGURES` of one finished run and where its annual figures come from."""
    kpis = result.kpis["optimised"]
    econ = scenario_economics(result, district, assumptions)
    kwp = district.total_kwp
    grid = result.grid
    figures: dict[str, Any] = {
        "cost_eur": kpis["cost_eur"],
        f"saving_vs_{HEADLINE_BASELINE}_eur": result.savings[f"vs_{HEADLINE_BASELINE}"]["cost_eur"],
        "saving_vs_B0_eur": result.savings["vs_B0"]["cost_eur"],
        "self_sufficiency_pct": 100.0 * kpis["self_sufficiency"],
        "self_consumption_pct": 100.0 * kpis["self_consumption"],
        "npv_eur": econ["npv_eur"],
        "payback_simple_years": econ["payback_simple_years"],
        "pv_yield_kwh": kpis["e_generation_kwh"],
        "pv_specific_yield_kwh_per_kwp": kpis["e_generation_kwh"] / kwp if kwp > 0 else None,
        "peak_import_kw": kpis["peak_import_kw"],
        "grid_violations": None if grid is None else int(grid["violations"]),
    }
    return {
        "figures": figures,
        "monthly": monthly_figures(result, district.site.timezone),
        "horizon_label": result_horizon_label(result),
        "annual_basis": econ["annual_basis"],
        "extrapolated_from": econ["extrapolated_from"],
    }


def run_member(
    district: District | Mapping[str, Any],
    options: ScenarioOptions | Mapping[str, Any],
    weather: str | None,
    price_year: int | None,
    assumptions: EconomicAssumptions | None = None,
) -> dict[str, Any]:
    """Run one member: the district with ``price_year``, the options with ``weather``.

    A top-level function of plain arguments (JSON forms are accepted), so a
    process pool or a Celery task can run it. A member that fails is returned
    as ``status = "failed"`` with ``error`` (the reason in words), never raised,
    so that the ensemble can report it.

    Returns
    -------
    dict
        JSON-ready: ``member`` (label), ``weather``, ``price_year``, ``status``
        (``ok`` or ``failed``), ``error``, ``figures`` (:data:`FIGURES`),
        ``horizon_label``, ``annual_basis``, ``extrapolated_from``, ``run_s``.
    """
    t = time.perf_counter()
    record: dict[str, Any] = {
        "member": member_label(weather, price_year),
        "weather": weather,
        "price_year": price_year,
    }
    try:
        base = district if isinstance(district, District) else district_from_dict(dict(district))
        opts = options if isinstance(options, ScenarioOptions) else ScenarioOptions(**options)
        tariff = base.tariff.model_copy(update={"price_year": price_year})
        changed = base.model_copy(update={"tariff": tariff})
        result = run_scenario(changed, opts.model_copy(update={"weather": weather}))
        record.update(status="ok", error=None, **member_figures(result, changed, assumptions))
    except (EnergyError, ValueError, OSError) as exc:
        logger.warning("ensemble member %s failed: %s", record["member"], exc)
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", figures={})
    record["run_s"] = time.perf_counter() - t
    return json_safe(record)


def _quantile(sorted_values: np.ndarray, q: float) -> float:
    """Linear-interpolation quantile (Hyndman-Fan 7) of sorted values; inf stays inf."""
    pos = q * (len(sorted_values) - 1)
    k = math.floor(pos)
    f = pos - k
    lo = float(sorted_values[k])
    if f == 0.0 or k + 1 >= len(sorted_values):
        return lo
    hi = float(sorted_values[k + 1])
    if math.isinf(hi):
        return math.inf
    return lo + f * (hi - lo)


def distribution(
    values: Mapping[str, float | None], better: str = "higher", none_is_infinite: bool = False
) -> dict[str, Any]:
    """Return min, P10, P50, P90, max of member values and the members at the extremes.

    Parameters
    ----------
    values
        Member label -> value. None (or NaN) means "no value": such members are
        named in ``missing``, or, with ``none_is_infinite``, counted as +inf
        (a payback never reached).
    better
        ``higher`` or ``lower``: which end is the ``worst_member``.
    none_is_infinite
        Count None as +infinity (see above); an infinite statistic is None.

    Returns
    -------
    dict
        ``min``, ``p10``, ``p50``, ``p90``, ``max``, ``min_member``,
        ``max_member``, ``worst_member``, ``best_member`` (None when every
        member has the same value), ``n`` (members counted), ``missing``
        (member labels without a value); all statistics None when no member
        has a value.
    """
    counted: dict[str, float] = {}
    missing: list[str] = []
    for member, value in values.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if none_is_infinite:
                counted[member] = math.inf
            else:
                missing.append(member)
        else:
            counted[member] = float(value)
    out: dict[str, Any] = {"n": len(counted), "missing": missing}
    if not counted:
        return (
            out
            | dict.fromkeys((*STATISTICS, "min_member", "max_member"), None)
            | {
                "worst_member": None,
                "best_member": None,
            }
        )
    names = list(counted)
    arr = np.array([counted[n] for n in names])
    order = np.argsort(arr, kind="stable")
    ranked = arr[order]
    stats: dict[str, float] = {"min": float(ranked[0]), "max": float(ranked[-1])}
    stats.update({k: _quantile(ranked, q) for k, q in QUANTILES.items()})
    out.update({k: (None if math.isinf(stats[k]) else stats[k]) for k in STATISTICS})
    out["min_member"], out["max_member"] = names[order[0]], names[order[-1]]
    low_is_bad = better == "higher"
    out["worst_member"] = out["min_member"] if low_is_bad else out["max_member"]
    out["best_member"] = out["max_member"] if low_is_bad else out["min_member"]
    if ranked[0] == ranked[-1]:  # every member alike: none is the worst or the best
        out["worst_member"] = out["best_member"] = None
    return out


@dataclass(frozen=True)
class EnsembleResult:
    """The members' records and every figure's distribution.

    Attributes
    ----------
    members
        One record per member (:func:`run_member`), in :meth:`EnsembleSpec.members` order.
    figures
        Figure -> :func:`distribution` plus ``unit``, ``better`` and ``words``.
    horizon_label
        The horizon every member ran over, in words.
    extrapolated_from
        The short horizon NPV and payback are scaled from, or None for a whole year.
    """

    members: list[dict[str, Any]]
    figures: dict[str, dict[str, Any]]
    horizon_label: str | None
    extrapolated_from: str | None

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The members that failed: ``member`` and ``error``."""
        return [
            {"member": m["member"], "error": m["error"]}
            for m in self.members
            if m["status"] != "ok"
        ]

    def bad_year(self, figure: str = "self_sufficiency_pct") -> str:
        """Say in words which member is the bad one for ``figure`` and how far it is from P50."""
        d = self.figures[figure]
        if d["n"] == 0:
            return f"{figure}: no member finished"
        if d["worst_member"] is None:
            return f"{d['words']}: every member gives {_fmt(d['min'], d['unit'])}; no bad year"
        unit = d["unit"]
        worst = d["min"] if d["better"] == "higher" else d["max"]
        return (
            f"The bad year for {d['words']} is {d['worst_member']}: "
            f"{_fmt(worst, unit)} against a median (P50) of {_fmt(d['p50'], unit)} and "
            f"a P10-P90 band of {_fmt(d['p10'], unit)} to {_fmt(d['p90'], unit)} "
            f"over {d['n']} of {len(self.members)} members."
        )

    def summary(self) -> str:
        """One paragraph: members counted, failures with reasons, the bad year (headline)."""
        ok = sum(m["status"] == "ok" for m in self.members)
        text = f"{ok} of {len(self.members)} members finished over {self.horizon_label}."
        for f in self.failed:
            text += f" Failed: {f['member']} ({f['error']})."
        text += " " + self.bad_year("self_sufficiency_pct")
        text += " " + self.bad_year(f"saving_vs_{HEADLINE_BASELINE}_eur")
        if self.extrapolated_from is not None:
            text += (
                f" NPV and payback are extrapolated_from {self.extrapolated_from} "
                "(scaled to 8760 h; estimates, not a whole year)."
            )
        return text

    def table(self) -> pd.DataFrame:
        """One row per figure: unit, the statistics, the extreme members, n, missing."""
        rows = []
        for name, d in self.figures.items():
            row = {"figure": name, "unit": d["unit"], "better": d["better"]}
            row.update({k: d[k] for k in STATISTICS})
            row.update(
                min_member=d["min_member"],
                max_member=d["max_member"],
                worst_member=d["worst_member"],
                n=d["n"],
                missing="; ".join(d["missing"]),
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def monthly_bands(self) -> pd.DataFrame:
        """P10/P50/P90 of :data:`MONTHLY_FIGURES` per local month over the finished members.

        One row per ``month`` and ``figure``: ``unit``, ``p10``, ``p50``,
        ``p90``, ``worst_member``, ``n`` (the dashboard's monthly bands).
        """
        ok = [m for m in self.members if m["status"] == "ok" and m.get("monthly")]
        months = sorted({mo for m in ok for mo in m["monthly"]})
        rows = []
        for month in months:
            for name, unit in MONTHLY_FIGURES.items():
                values = {m["member"]: m["monthly"].get(month, {}).get(name) for m in ok}
                better = "lower" if name == "energy_cost_eur" else "higher"
                d = distribution(values, better)
                rows.append(
                    {"month": month, "figure": name, "unit": unit}
                    | {k: d[k] for k in ("p10", "p50", "p90", "worst_member", "n")}
                )
        return pd.DataFrame(rows)

    def bands(self) -> pd.DataFrame:
        """P10/P50/P90 per figure as the council report takes them (``indicator``, ``unit``, ...).

        The ``bands`` of :func:`energy.analysis.council.council_inputs`
        (:func:`energy.report.council.bands_section`); figures without values are left out.
        """
        table = self.table().rename(columns={"figure": "indicator"})
        return table.loc[table["n"] > 0, ["indicator", "unit", "p10", "p50", "p90"]]

    def members_table(self) -> pd.DataFrame:
        """One row per member: label, weather, price year, status, error and every figure."""
        rows = []
        for m in self.members:
            row = {k: m.get(k) for k in ("member", "weather", "price_year", "status", "error")}
            row.update({name: m.get("figures", {}).get(name) for name in FIGURES})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (api/README.md "Ensembles" documents it)."""
        return json_safe(
            {
                "horizon_label": self.horizon_label,
                "annual_basis": "full year" if self.extrapolated_from is None else "extrapolated",
                "extrapolated_from": self.extrapolated_from,
                "quantile_method": "linear interpolation between order statistics "
                "(Hyndman-Fan 7, numpy default)",
                "members_total": len(self.members),
                "members_ok": sum(m["status"] == "ok" for m in self.members),
                "failed": self.failed,
                "figures": self.figures,
                "bad_year": {
                    "self_sufficiency_pct": self.bad_year("self_sufficiency_pct"),
                    f"saving_vs_{HEADLINE_BASELINE}_eur": self.bad_year(
                        f"saving_vs_{HEADLINE_BASELINE}_eur"
                    ),
                },
                "summary": self.summary(),
                "monthly_bands": self.monthly_bands().to_dict(orient="records"),
                "members": self.members,
            }
        )


def _fmt(value: float | None, unit: str) -> str:
    """Format a figure with its unit (None: ``not within lifetime``)."""
    if value is None:
        return "not within lifetime"
    return f"{value:,.1f} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def summarise_ensemble(records: Sequence[Mapping[str, Any]]) -> EnsembleResult:
    """Turn member records (:func:`run_member`) into an :class:`EnsembleResult`."""
    members = [dict(r) for r in records]
    ok = [m for m in members if m["status"] == "ok"]
    figures: dict[str, dict[str, Any]] = {}
    for name, (unit, better, words) in FIGURES.items():
        values = {m["member"]: m["figures"].get(name) for m in ok}
        figures[name] = {"unit": unit, "better": better, "words": words} | distribution(
            values, better, none_is_infinite=name in NONE_IS_INFINITE
        )
    first = ok[0] if ok else {}
    return EnsembleResult(
        members=members,
        figures=figures,
        horizon_label=first.get("horizon_label"),
        extrapolated_from=first.get("extrapolated_from"),
    )


def run_ensemble(
    spec: EnsembleSpec,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    workers: int = DEFAULT_WORKERS,
) -> EnsembleResult:
    """Run every member of ``spec`` and summarise.

    Parameters
    ----------
    spec
        The ensemble.
    executor
        Where the members run (any :class:`concurrent.futures.Executor`);
        default a local process pool of ``workers`` processes.
    progress
        Called with the fraction done and a message after each member.
    workers
        Processes of the default pool.
    """
    jobs = [(spec.district, spec.options, w, y, spec.assumptions) for _, w, y in spec.members()]
    return summarise_ensemble(run_all(run_member, jobs, executor, workers, progress, "member"))


def robust_choice(
    designs: Mapping[str, EnsembleResult],
    figure: str = "npv_eur",
    statistic: str = "p10",
    target: float | None = None,
) -> dict[str, Any]:
    """Pick a design by a statistic of its ensemble ("robust" answers of sweeps and sizing).

    Without ``target``: the design whose ``statistic`` of ``figure`` is best
    (the figure's better direction), e.g. the best P10 NPV. With ``target``:
    the FIRST design, in the order given (list them smallest first), whose
    statistic reaches the target (``>=`` for figures where higher is better,
    ``<=`` otherwise), e.g. the smallest battery that keeps P10 self-sufficiency
    above 40 %; ``choice`` None when none does.

    Returns
    -------
    dict
        ``choice`` (design name or None), ``figure``, ``statistic``,
        ``target``, ``values`` (design -> statistic, None where not defined)
        and ``why`` (one sentence).
    """
    if figure not in FIGURES:
        raise InputDataError(f"figure: {figure!r}; use one of {', '.join(FIGURES)}")
    unit, better, words = FIGURES[figure]
    if statistic not in STATISTICS:
        raise InputDataError(f"statistic: {statistic!r}; use one of {', '.join(STATISTICS)}")
    values = {name: r.figures[figure][statistic] for name, r in designs.items()}
    return {"figure": figure} | choose(values, statistic, (unit, better, words), target)


def choose(
    values: Mapping[str, float | None],
    statistic: str,
    figure: tuple[str, str, str],
    target: float | None = None,
) -> dict[str, Any]:
    """Pick a design from one statistic per design (:func:`robust_choice` and robust sweeps).

    Parameters
    ----------
    values
        Design -> the statistic of its figure over the members (None: not defined),
        in the order the designs are to be tried (smallest first).
    statistic
        Its name, one of :data:`STATISTICS` (for the words).
    figure
        ``(unit, better, words)`` of the figure; ``better`` is ``higher`` or ``lower``.
    target
        None: the design with the best value. Else the first design whose value
        reaches it (``>=`` when higher is better, ``<=`` otherwise).

    Returns
    -------
    dict
        ``choice`` (design or None), ``statistic``, ``target``, ``values``, ``why``.
    """
    if statistic not in STATISTICS:
        raise InputDataError(f"statistic: {statistic!r}; use one of {', '.join(STATISTICS)}")
    unit, better, words = figure
    known = {k: v for k, v in values.items() if v is not None}
    higher = better == "higher"
    choice: str | None
    if target is None:
        choice = (max if higher else min)(known, key=known.__getitem__) if known else None
        why = f"best {statistic.upper()} of {words}"
    else:
        meets = [k for k, v in known.items() if (v >= target if higher else v <= target)]
        choice = meets[0] if meets else None
        sign = ">=" if higher else "<="
        why = f"first design whose {statistic.upper()} of {words} is {sign} {target:g} {unit}"
    return {
        "choice": choice,
        "statistic": statistic,
        "target": target,
        "values": dict(values),
        "why": why if choice is not None else f"no design meets: {why}",
    }
