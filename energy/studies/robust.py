"""Robust answers of sweeps and sizing: every design over an ensemble's members.

A design that is best in the typical year may be poor in a bad one. A
:class:`RobustAsk` names an ensemble's members (weather sources x day-ahead
price years, default the six region-9 TRY files x 2023, 2024 of
:mod:`energy.studies.ensemble`; a small subset runs faster), the figure and
the statistic to choose by, e.g. ``npv:p10`` (the design whose P10 NPV is
best) and optionally a target (the smallest design whose P10 self-sufficiency
reaches 40 %).

The answer (:func:`summarise_robust`)
-------------------------------------
For every design and every figure of :data:`ROBUST_FIGURES`: ``min``,
``p10``, ``p50``, ``p90``, ``max`` and the members at the extremes, by
:func:`energy.studies.ensemble.distribution` (the ensemble's quantiles,
Hyndman-Fan 7); the choice by :func:`energy.studies.ensemble.choose`. A member
whose run of a design (or of the base) failed is named in that design's
``missing`` and in ``failed``, never silently dropped.

The runs behind it are :mod:`energy.studies.robust_runs`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from energy.errors import InputDataError
from energy.serialise import json_safe
from energy.studies.ensemble import (
    DEFAULT_PRICE_YEARS,
    DEFAULT_WEATHER_FILES,
    MAX_MEMBERS,
    STATISTICS,
    choose,
    distribution,
    member_label,
)

#: Figure -> (sweep table column, factor to the unit, unit, better direction, words).
ROBUST_FIGURES: dict[str, tuple[str, float, str, str, str]] = {
    "npv_eur": ("npv_eur", 1.0, "EUR", "higher", "NPV of the addition against nothing added"),
    "annual_savings_eur": (
        "annual_savings_eur",
        1.0,
        "EUR/a",
        "higher",
        "annual savings of the addition against nothing added",
    ),
    "self_sufficiency_pct": (
        "self_sufficiency",
        100.0,
        "%",
        "higher",
        "self-sufficiency of the optimum",
    ),
    "self_consumption_pct": (
        "self_consumption",
        100.0,
        "%",
        "higher",
        "self-consumption of the optimum",
    ),
    "cost_eur": ("cost_eur", 1.0, "EUR", "lower", "cost of the optimised operation"),
    "peak_import_kw": ("peak_import_kw", 1.0, "kW", "lower", "highest import from the grid"),
    "payback_discounted_years": (
        "payback_discounted_years",
        1.0,
        "years",
        "lower",
        "discounted payback of the addition",
    ),
}
#: Figures whose None means "never" (counted as +infinity in the quantiles).
NONE_IS_INFINITE = frozenset({"payback_discounted_years"})
#: Short names of ``figure:statistic`` (``npv:p10``).
ALIASES: dict[str, str] = {
    "npv": "npv_eur",
    "savings": "annual_savings_eur",
    "self_sufficiency": "self_sufficiency_pct",
    "autarky": "self_sufficiency_pct",
    "self_consumption": "self_consumption_pct",
    "cost": "cost_eur",
    "peak_import": "peak_import_kw",
    "payback": "payback_discounted_years",
}
#: Member label -> one row per design (None: the design or the base failed in that member).
MemberRows = dict[str, list[dict[str, Any] | None]]


def figure_name(name: str, field_name: str = "robust.figure") -> str:
    """Return the figure of :data:`ROBUST_FIGURES` a name or alias stands for."""
    key = ALIASES.get(name, name)
    if key not in ROBUST_FIGURES:
        allowed = ", ".join([*ROBUST_FIGURES, *ALIASES])
        raise InputDataError(f"{field_name}: {name!r} is not a figure; use one of {allowed}")
    return key


def parse_robust(text: str, field_name: str = "--robust") -> tuple[str, str]:
    """Parse ``figure:statistic`` (e.g. ``npv:p10``) into the figure and the statistic."""
    figure, sep, statistic = text.partition(":")
    if not sep:
        raise InputDataError(
            f"{field_name}: {text!r} is not figure:statistic, e.g. npv:p10 or self_sufficiency:p10"
        )
    statistic = statistic.strip().lower()
    if statistic not in STATISTICS:
        raise InputDataError(
            f"{field_name}: statistic {statistic!r}; use one of {', '.join(STATISTICS)}"
        )
    return figure_name(figure.strip(), field_name), statistic


@dataclass(frozen=True)
class RobustAsk:
    """What a robust answer is asked for: the figure, the statistic, a target, the members.

    Attributes
    ----------
    figure
        A figure of :data:`ROBUST_FIGURES` (or an alias of :data:`ALIASES`).
    statistic
        One of :data:`~energy.studies.ensemble.STATISTICS` (``p10``: the value
        nine members in ten reach or beat when higher is better).
    target
        None: the design with the best statistic. Else the first design, in
        grid order (smallest first), whose statistic reaches it, in the
        figure's unit (e.g. 40 for 40 % self-sufficiency).
    weather
        Weather sources of the members (files or ``clearsky``).
    price_years
        Day-ahead price years (None in the list: the tariff's own mapping).
    """

    figure: str = "npv_eur"
    statistic: str = "p10"
    target: float | None = None
    weather: tuple[str, ...] = tuple(str(p) for p in DEFAULT_WEATHER_FILES)
    price_years: tuple[int | None, ...] = DEFAULT_PRICE_YEARS

    def __post_init__(self) -> None:
        object.__setattr__(self, "figure", figure_name(self.figure))
        if self.statistic not in STATISTICS:
            raise InputDataError(
                f"robust.statistic: {self.statistic!r}; use one of {', '.join(STATISTICS)}"
            )
        if self.target is not None and not math.isfinite(self.target):
            raise InputDataError(f"robust.target: {self.target!r} is not a finite number")
        if not self.weather:
            raise InputDataError("robust.weather: give at least one weather source")
        if not self.price_years:
            raise InputDataError("robust.price_years: give at least one price year")
        n = len(self.weather) * len(self.price_years)
        if n > MAX_MEMBERS:
            raise InputDataError(
                f"robust: {len(self.weather)} weather x {len(self.price_years)} price years = "
                f"{n} members; at most {MAX_MEMBERS} are allowed"
            )

    @property
    def unit(self) -> str:
        """Unit of the figure."""
        return ROBUST_FIGURES[self.figure][2]

    def members(self) -> list[tuple[str, str, int | None]]:
        """Return ``(label, weather, price_year)`` of every member, weather varying slowest."""
        return [(member_label(w, y), w, y) for w in self.weather for y in self.price_years]

    def words(self) -> str:
        """Say what is asked, e.g. ``best P10 of NPV of the addition against nothing added``."""
        _, _, unit, better, words = ROBUST_FIGURES[self.figure]
        name = self.statistic.upper()
        if self.target is None:
            return f"best {name} of {words}"
        sign = ">=" if better == "higher" else "<="
        return f"smallest design whose {name} of {words} is {sign} {self.target:g} {unit}"


def design_label(point: Mapping[str, float]) -> str:
    """Return a design in words, e.g. ``+100 kWp PV, +200 kWh battery`` (``nothing added``)."""
    parts = []
    if point.get("pv_kwp_added"):
        parts.append(f"+{point['pv_kwp_added']:g} kWp PV")
    if point.get("battery_kwh_added"):
        parts.append(f"+{point['battery_kwh_added']:g} kWh battery")
    return ", ".join(parts) or "nothing added"


def design_figures(rows: Mapping[str, dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """Return every :data:`ROBUST_FIGURES` of one design as a distribution over the members.

    ``rows``: member -> the design's sweep row (None: no value in that member).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, (column, factor, unit, better, words) in ROBUST_FIGURES.items():
        values: dict[str, float | None] = {}
        for member, row in rows.items():
            value = None if row is None else row.get(column)
            values[member] = None if value is None else factor * float(value)
        infinite = name in NONE_IS_INFINITE
        if infinite:  # a failed member has no value; only a reached-never payback is +inf
            values = {m: v for m, v in values.items() if rows[m] is not None}
        out[name] = {"unit": unit, "better": better, "words": words} | distribution(
            values, better, none_is_infinite=infinite
        )
        if infinite:
            out[name]["missing"] = [m for m, r in rows.items() if r is None]
    return out


@dataclass(frozen=True)
class RobustResult:
    """A robust answer: every design's figures over the members and the choice.

    Attributes
    ----------
    ask
        What was asked.
    designs
        One entry per design evaluated, in grid order: ``design`` (words),
        ``point`` (parameter values), ``figures`` (:func:`design_figures`).
    choice
        :func:`energy.studies.ensemble.choose` plus ``figure``, ``point`` (the
        chosen design's parameters, None when none) and, when the statistic
        is not P50, ``p50_choice`` (the design P50 would pick).
    members
        Member labels.
    failed
        Runs that failed: ``member``, ``design``, ``error``.
    horizon_label, extrapolated_from
        The horizon of every run; the short horizon annual figures are scaled
        from (None for a whole year).
    info
        Licence and sources (:func:`energy.report.exports.study_export_info`,
        with every member's weather and price files).
    search
        For sizing: ``scan`` or ``bisect`` and the candidates not evaluated.
    """

    ask: RobustAsk
    designs: list[dict[str, Any]]
    choice: dict[str, Any]
    members: list[str]
    failed: list[dict[str, Any]]
    horizon_label: str | None
    extrapolated_from: str | None
    info: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] | None = None

    def summary(self) -> str:
        """One paragraph: what was asked, the choice with its band, failures."""
        c = self.choice
        n = len(self.members)
        head = f"Over {n} member{'s' if n != 1 else ''} ({'; '.join(self.members)}): "
        stat = self.ask.statistic.upper()
        if c["choice"] is None:
            what = "design" if self.search is None else "candidate size"
            _, _, unit, better, words = ROBUST_FIGURES[self.ask.figure]
            if self.ask.target is None:
                text = f"{head}no {what} has a {stat} of {words}."
            else:
                sign = ">=" if better == "higher" else "<="
                text = (
                    f"{head}no {what} reaches the target: {stat} of {words} "
                    f"{sign} {self.ask.target:g} {unit}."
                )
            best = _best_value(self)
            if best is not None:
                text += f" The best {stat} is {best}."
            return text + self._tail()
        d = next(x for x in self.designs if x["design"] == c["choice"])["figures"][self.ask.figure]
        unit = d["unit"]
        text = (
            f"{head}{c['choice']} ({c['why']}): {stat} {_fmt(c['values'][c['choice']], unit)} "
            f"(P50 {_fmt(d['p50'], unit)}; P10-P90 {_fmt(d['p10'], unit)} to "
            f"{_fmt(d['p90'], unit)}), worst member {d['worst_member'] or '-'}."
        )
        p50 = c.get("p50_choice")
        if p50 is not None and p50 != c["choice"]:
            text += f" By P50 it would be {p50}."
        return text + self._tail()

    def _tail(self) -> str:
        text = ""
        for f in self.failed:
            text += f" Failed: {f['design']} in {f['member']} ({f['error']})."
        if self.extrapolated_from is not None:
            text += (
                f" Annual figures (NPV, savings, payback) are extrapolated_from "
                f"{self.extrapolated_from} (scaled to 8760 h; estimates, not a whole year)."
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (api/README.md "Robust answers" documents it)."""
        return json_safe(
            {
                **self.info,
                "ask": dataclasses.asdict(self.ask)
                | {"weather": [Path(w).name for w in self.ask.weather], "words": self.ask.words()},
                "baseline": "each design against the base district with nothing added, run on "
                "the same member's weather and prices (incremental economics); the runs' own "
                "savings are against B1 (headline) and B0",
                "period": self.horizon_label,
                "annual_basis": "full year" if self.extrapolated_from is None else "extrapolated",
                "extrapolated_from": self.extrapolated_from,
                "quantile_method": "linear interpolation between order statistics "
                "(Hyndman-Fan 7, numpy default)",
                "members": self.members,
                "failed": self.failed,
                "choice": self.choice,
                "search": self.search,
                "designs": self.designs,
                "summary": self.summary(),
            }
        )


def _best_value(result: RobustResult) -> str | None:
    known = {k: v for k, v in result.choice["values"].items() if v is not None}
    if not known:
        return None
    better = ROBUST_FIGURES[result.ask.figure][3]
    name = (max if better == "higher" else min)(known, key=known.__getitem__)
    return f"{_fmt(known[name], result.ask.unit)} ({name})"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "not reached"
    return f"{value:,.1f} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def summarise_robust(
    ask: RobustAsk,
    grid_points: Sequence[Mapping[str, float]],
    rows: MemberRows,
    failed: Sequence[Mapping[str, Any]] = (),
    info: Mapping[str, Any] | None = None,
) -> RobustResult:
    """Distributions of every design and the choice, from rows per member (the seam of tests).

    Parameters
    ----------
    ask
        What is asked.
    grid_points
        The designs evaluated, in grid order (smallest first for a target).
    rows
        Member -> one row per design with the columns of :data:`ROBUST_FIGURES`
        (None: no value in that member), e.g. from :func:`energy.studies.robust_runs.member_rows`.
    failed
        Failures to report (``member``, ``design``, ``error``).
    info
        Licence and sources.
    """
    designs: list[dict[str, Any]] = []
    for i, point in enumerate(grid_points):
        per_member = {m: r[i] for m, r in rows.items()}
        designs.append(
            {
                "design": design_label(point),
                "point": dict(point),
                "figures": design_figures(per_member),
            }
        )
    _, _, unit, better, words = ROBUST_FIGURES[ask.figure]

    def pick(statistic: str, target: float | None) -> dict[str, Any]:
        values = {d["design"]: d["figures"][ask.figure][statistic] for d in designs}
        return choose(values, statistic, (unit, better, words), target)

    choice = {"figure": ask.figure} | pick(ask.statistic, ask.target)
    points_by_name = {d["design"]: d["point"] for d in designs}
    choice["point"] = points_by_name.get(choice["choice"]) if choice["choice"] else None
    if ask.statistic != "p50":
        choice["p50_choice"] = pick("p50", ask.target)["choice"]
    first = next((r for rs in rows.values() for r in rs if r is not None), None) or {}
    return RobustResult(
        ask=ask,
        designs=designs,
        choice=choice,
        members=list(rows),
        failed=[dict(f) for f in failed],
        horizon_label=_horizon(rows),
        extrapolated_from=first.get("extrapolated_from"),
        info=dict(info or {}),
    )


def _horizon(rows: MemberRows) -> str | None:
    """Return the horizon label of the runs (e.g. ``2 days (2025-06-02..2025-06-03)``)."""
    first = next((r for rs in rows.values() for r in rs if r is not None), None)
    if first is None:
        return None
    label = first.get("horizon_label") or first.get("extrapolated_from")
    return None if label is None else str(label)
