r"""Rolling-horizon operation: re-plan every ``step`` hours over a ``horizon`` with forecasts.

A real operator does not know the year ahead. :func:`operate` runs the
district over a period as an energy management system would: at the start
of every window it plans the next ``horizon_h`` hours with *forecasts* of PV
and load (day-ahead prices are known, as the day-ahead auction clears the
day before), carries out the first ``step_h`` hours of the plan on the
*truth*, and plans again from the state reached.

Forecasts: :mod:`energy.forecasts` (:data:`~energy.forecasts.FORECASTS`;
PV from the truth, clear sky scaled by persistence, persistence, a forecast
file or the truth with a seeded AR(1) error; loads from the profile or
persistence).

The state and the end of a window
---------------------------------
Each window starts with the stored energy the previous window's realised
operation ended with (:func:`energy.optimisation.storage.with_initial_soc`,
exactly: the realised battery flows are the planned ones). A window that
ends before the period ends has a free terminal state with a value per kWh
left stored (:class:`energy.optimisation.storage.TerminalStorage`):
``v_b = eta_dis,b x mean import price of the window - throughput cost_b``,
what a stored kWh saves when it later displaces import; so the plan does not
empty the batteries at the horizon's end. A window that reaches the period's
end must end with each battery holding what it held at the period's start,
as the full optimum and the baselines do (:mod:`energy.kpi`), so one window
that covers the whole period with perfect forecasts is the full optimum.

Realising a plan on the truth
-----------------------------
The plan's lighting levels are carried out; the batteries either follow the
planned flows (``battery_control = "setpoints"``) or, by default
(``"track_grid"``, as a home or district energy manager does) hold the
planned exchange at the grid connection as a ceiling: where the forecast
error (true minus forecast load and PV) would import more than planned,
they discharge more (or charge less); where it would export more than
planned, they charge more (or discharge less); an error that only lowers
the planned import or export is left to the grid (they never discharge to
keep up a planned export). The change is split over the batteries by power
rating, within their power and SoC limits; what they cannot absorb goes to
the grid. The next window starts from the state so reached. The grid takes the
difference: ``net = load + lighting - (pv - curtailed) + charge -
discharge`` with the TRUE load and PV; import and export are its positive
and negative parts. Planned curtailment is applied up to the true
curtailable PV; an export above the connection's limit is curtailed further
where PV is curtailable (otherwise counted in ``limit_violations``). A
battery that does not end where it started is refilled or emptied in the
last steps, as B1 is (:mod:`energy.baselines`).

What is reported (:class:`OperationResult`)
-------------------------------------------
KPIs of the realised operation, of perfect foresight over the same period
(one optimisation of the whole period, as :func:`energy.scenario.run_scenario`
does) and of B1; the cost of imperfect forecasts in EUR (realised minus
perfect-foresight cost) and in autarky points (perfect minus realised
self-sufficiency, x 100), and the SoC at every window boundary.

The dispatch model is built anew for each window (a 36-step model builds in
tens of milliseconds); it is not reused between windows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from energy.baselines import baseline_b1, release_terminal_soc, restore_terminal_soc
from energy.district import District
from energy.errors import InputDataError
from energy.forecasts import (
    FORECASTS,
    NOISE_RHO,
    NOISE_SIGMA,
    Forecast,
    Forecaster,
    LoadForecast,
)
from energy.kpi import compute_kpis
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.optimisation.storage import TerminalStorage, with_initial_soc
from energy.progress import ProgressCallback, no_progress
from energy.scenario import ScenarioOptions, scenario_inputs
from energy.system import DispatchInputs, schedule_frame

logger = logging.getLogger(__name__)

BatteryControl = Literal["track_grid", "setpoints"]
#: KPIs shown per operation (and the autarky figure: self-sufficiency).
SHOWN_KPIS = ("cost_eur", "self_sufficiency", "e_import_kwh", "e_export_kwh", "peak_import_kw")


@dataclass(frozen=True)
class OperationSpec:
    """How to operate: period, horizon, step and forecasts.

    Attributes
    ----------
    start, days
        First local day and number of days of the period.
    horizon_h, step_h
        Planning horizon and re-planning interval [h] (``step_h <= horizon_h``).
    forecast, load_forecast
        PV and load forecasts (module docstring).
    forecast_file
        The weather forecast file of ``forecast = "file"``.
    seed
        Seed of the ``noisy`` forecast.
    battery_control
        How a plan is carried out: ``track_grid`` (default) or ``setpoints``
        (module docstring, "Realising a plan on the truth").
    options
        Run options for the rest (resolution, truth weather, objective,
        solver); ``start``/``days`` come from here, ``ac_check`` is not used.
    """

    start: dt.date
    days: int
    horizon_h: float = 36.0
    step_h: float = 24.0
    forecast: Forecast = "perfect"
    load_forecast: LoadForecast = "profile"
    forecast_file: str | None = None
    seed: int = 0
    battery_control: BatteryControl = "track_grid"
    options: ScenarioOptions = field(default_factory=ScenarioOptions)

    def __post_init__(self) -> None:
        if self.forecast not in FORECASTS:
            raise InputDataError(
                f"forecast: {self.forecast!r} is not known; use one of {', '.join(FORECASTS)}"
            )
        if self.load_forecast not in ("profile", "persistence"):
            raise InputDataError(
                f"load_forecast: {self.load_forecast!r}; use profile or persistence"
            )
        if not 0 < self.step_h <= self.horizon_h:
            raise InputDataError(
                f"step_h: {self.step_h} h is not allowed; it must be > 0 and <= horizon_h "
                f"({self.horizon_h} h)"
            )
        if self.forecast == "file" and not self.forecast_file:
            raise InputDataError("forecast_file: forecast 'file' needs a weather forecast file")
        if self.days < 1:
            raise InputDataError(f"days: {self.days} is not allowed; it must be >= 1")
        if self.options.min_self_sufficiency is not None:
            raise InputDataError(
                "min_self_sufficiency: a target over the whole period does not apply to "
                "rolling-horizon operation (each plan sees one window); leave it unset"
            )


@dataclass(frozen=True)
class OperationResult:
    """KPIs of the realised operation, of perfect foresight and of B1, and the windows.

    Attributes
    ----------
    realised, perfect, b1
        Schedules over the period (:mod:`energy.system` format).
    kpis
        ``{"realised": ..., "perfect_foresight": ..., "B1": ...}``
        (:func:`energy.kpi.compute_kpis`).
    windows
        One record per window: ``start`` (UTC), ``steps`` planned, ``realised``
        steps, ``soc_start_kwh`` and ``soc_end_kwh`` per battery, ``solve_s``.
    spec
        The operation asked for.
    limit_violations
        Steps whose realised export exceeded the connection's limit with no
        curtailable PV left.
    timings_s
        Wall times [s].
    """

    realised: pd.DataFrame
    perfect: pd.DataFrame
    b1: pd.DataFrame
    kpis: dict[str, dict[str, float]]
    windows: list[dict[str, Any]]
    spec: OperationSpec
    limit_violations: int
    timings_s: dict[str, float]

    @property
    def forecast_error_cost_eur(self) -> float:
        """Realised minus perfect-foresight cost [EUR] (>= 0 up to solver tolerance)."""
        return self.kpis["realised"]["cost_eur"] - self.kpis["perfect_foresight"]["cost_eur"]

    @property
    def forecast_error_autarky_points(self) -> float:
        """Perfect-foresight minus realised self-sufficiency [percentage points]."""
        perfect = self.kpis["perfect_foresight"]["self_sufficiency"]
        return 100.0 * (perfect - self.kpis["realised"]["self_sufficiency"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (api/README.md "Operation")."""
        s = self.spec
        return {
            "period": {"start": s.start.isoformat(), "days": s.days},
            "horizon_h": s.horizon_h,
            "step_h": s.step_h,
            "forecast": s.forecast,
            "load_forecast": s.load_forecast,
            "seed": s.seed if s.forecast == "noisy" else None,
            "noise": {"sigma": NOISE_SIGMA, "rho_per_h": NOISE_RHO}
            if s.forecast == "noisy"
            else None,
            "kpis": {k: {n: v[n] for n in SHOWN_KPIS} for k, v in self.kpis.items()},
            "forecast_error": {
                "cost_eur": self.forecast_error_cost_eur,
                "autarky_points": self.forecast_error_autarky_points,
                "baseline": "perfect foresight over the same days",
            },
            "saving_vs_B1_eur": {
                "realised": self.kpis["B1"]["cost_eur"] - self.kpis["realised"]["cost_eur"],
                "perfect_foresight": self.kpis["B1"]["cost_eur"]
                - self.kpis["perfect_foresight"]["cost_eur"],
            },
            "windows": len(self.windows),
            "limit_violations": self.limit_violations,
            "timings_s": self.timings_s,
        }


def window_inputs(inputs: DispatchInputs, a: int, b: int) -> DispatchInputs:
    """Return ``inputs`` restricted to the steps ``a .. b-1``.

    Raises
    ------
    InputDataError
        For inputs with heat pumps or EV charging (``inputs.flex``): their
        thermal and vehicle states are not carried between windows yet.
    """
    if inputs.flex is not None and (inputs.flex.heat_pumps or inputs.flex.ev_groups):
        raise InputDataError(
            "flex: rolling-horizon operation does not carry heat-pump and EV states between "
            "windows yet; operate a district without heat_pumps and ev_chargers"
        )
    light = inputs.lighting
    if light is not None:
        light = dataclasses.replace(
            light,
            index=light.index[a:b],
            dark_frac=np.asarray(light.dark_frac)[:, a:b],
            min_level_frac=np.asarray(light.min_level_frac)[:, a:b],
        )
    return dataclasses.replace(
        inputs,
        index=inputs.index[a:b],
        load_kw=inputs.load_kw.iloc[a:b],
        pv_kw=inputs.pv_kw.iloc[a:b],
        import_price_eur_per_kwh=inputs.import_price_eur_per_kwh[a:b],
        feed_in_eur_per_kwh=inputs.feed_in_eur_per_kwh[a:b],
        co2_g_per_kwh=inputs.co2_g_per_kwh[a:b],
        lighting=light,
    )


@dataclass
class _Flows:
    """Battery flows, states and lighting levels of the steps carried out so far."""

    ch: list[np.ndarray] = field(default_factory=list)
    dis: list[np.ndarray] = field(default_factory=list)
    soc: list[np.ndarray] = field(default_factory=list)
    level: list[np.ndarray] = field(default_factory=list)
    curtailed: list[dict[str, np.ndarray]] = field(default_factory=list)


def _fixed_net_kw(inputs: DispatchInputs, schedule: pd.DataFrame) -> np.ndarray:
    """Load + lighting - PV + curtailed PV of a schedule on its inputs, batteries aside [kW]."""
    return (
        inputs.load_kw.to_numpy().sum(axis=1)
        + schedule["lighting_kw"].to_numpy()
        - inputs.pv_kw.to_numpy().sum(axis=1)
        + schedule["pv_curtailed_kw"].to_numpy()
    )


def _carry_out(
    truth: DispatchInputs,
    forecast: DispatchInputs,
    plan: pd.DataFrame,
    soc_kwh: dict[str, float],
    control: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Battery flows and end states (B, n) of carrying out ``plan`` on the truth.

    ``setpoints``: the planned flows. ``track_grid``: each step the batteries
    cover an import above the planned one and absorb an export above the
    planned one (split by power rating), within their power and SoC limits
    (module docstring).
    """
    bats = truth.batteries
    n, dt = truth.n_steps, truth.dt_h
    ch = np.array([plan[f"p_charge_kw:{b.id}"].to_numpy() for b in bats]).reshape(len(bats), n)
    dis = np.array([plan[f"p_discharge_kw:{b.id}"].to_numpy() for b in bats]).reshape(len(bats), n)
    if control == "setpoints" or not bats:
        soc = np.array([plan[f"soc_kwh:{b.id}"].to_numpy() for b in bats]).reshape(len(bats), n)
        return ch, dis, soc
    planned = plan["p_import_kw"].to_numpy() - plan["p_export_kw"].to_numpy()
    raw = planned + _fixed_net_kw(truth, plan) - _fixed_net_kw(forecast, plan)
    # the part of the error that would import more or export more than planned
    correction = np.maximum(np.minimum(planned, 0.0) - raw, 0.0) - np.maximum(
        raw - np.maximum(planned, 0.0), 0.0
    )
    power = np.array([b.power_kw for b in bats])
    share = power / power.sum()
    keep = np.array([(1.0 - b.self_discharge_frac_per_h) ** dt for b in bats])
    eta_c = np.array([b.eta_charge for b in bats])
    eta_d = np.array([b.eta_discharge for b in bats])
    lo = np.array([b.soc_min_frac * b.capacity_kwh for b in bats])
    hi = np.array([b.soc_max_frac * b.capacity_kwh for b in bats])
    e = np.array([soc_kwh[b.id] for b in bats])
    soc = np.empty((len(bats), n))
    for t in range(n):
        kept = e * keep
        up = np.minimum(power, np.maximum(hi - kept, 0.0) / (eta_c * dt))
        down = np.minimum(power, np.maximum(kept - lo, 0.0) * eta_d / dt)
        # below the minimum by self-discharge alone: charge back to it (as the plan does)
        floor = np.where(kept >= lo, -down, np.minimum(power, (lo - kept) / (eta_c * dt)))
        p = np.clip(ch[:, t] - dis[:, t] + share * correction[t], floor, np.maximum(up, floor))
        ch[:, t], dis[:, t] = np.maximum(p, 0.0), np.maximum(-p, 0.0)
        e = kept + eta_c * ch[:, t] * dt - dis[:, t] * dt / eta_d
        soc[:, t] = e
    return ch, dis, soc


def _settle(period: DispatchInputs, flows: _Flows) -> tuple[pd.DataFrame, int]:
    """Return the realised schedule: batteries as carried out, the grid takes the rest.

    A battery whose realised state at the end differs from its start (the
    tracking control absorbed forecast errors in the last window) is
    refilled or emptied in the last steps as B1 is
    (:func:`energy.baselines.restore_terminal_soc`,
    :func:`~energy.baselines.release_terminal_soc`), so that every schedule
    compared ends equalised. Planned curtailment is applied up to the true
    curtailable PV; an export above the connection's limit is curtailed
    further where PV is curtailable. Returns the schedule and the steps whose
    export stays above the limit.
    """
    n = period.n_steps
    ch, dis, soc = (np.concatenate(x, axis=1) for x in (flows.ch, flows.dis, flows.soc))
    for i, bat in enumerate(period.batteries):  # end where the period started (module docstring)
        target = bat.soc_initial_frac * bat.capacity_kwh
        if soc[i, -1] < target - 1e-9:
            restore_terminal_soc(bat, ch[i], dis[i], soc[i], period.dt_h, target)
        elif soc[i, -1] > target + 1e-9:
            release_terminal_soc(bat, ch[i], dis[i], soc[i], period.dt_h, target)
    level = np.concatenate(flows.level, axis=1)
    light_kw = period.lighting_power_kw(level)
    lighting = light_kw.sum(axis=0) if len(light_kw) else np.zeros(n)
    available: dict[str, np.ndarray] = {}
    for pid in period.pv_kw.columns:
        if period.curtailable(pid):
            node = period.pv_node[pid]
            available[node] = available.get(node, np.zeros(n)) + period.pv_kw[pid].to_numpy()
    lengths = [x.shape[1] for x in flows.ch]
    curtailed = {
        node: np.minimum(
            np.concatenate(
                [c.get(node, np.zeros(k)) for c, k in zip(flows.curtailed, lengths, strict=True)]
            ),
            avail,
        )
        for node, avail in available.items()
    }
    net = (
        period.load_kw.to_numpy().sum(axis=1)
        + lighting
        - period.pv_kw.to_numpy().sum(axis=1)
        + sum(curtailed.values(), np.zeros(n))
        + ch.sum(axis=0)
        - dis.sum(axis=0)
    )
    excess = np.maximum(-net - period.export_bound_kw, 0.0)
    for node, avail in available.items():
        extra = np.minimum(excess, avail - curtailed[node])
        curtailed[node] = curtailed[node] + extra
        excess, net = excess - extra, net + extra
    schedule = schedule_frame(
        period,
        p_import_kw=np.maximum(net, 0.0),
        p_export_kw=np.maximum(-net, 0.0),
        p_charge_kw=ch,
        p_discharge_kw=dis,
        soc_end_kwh=soc,
        curtailed_kw_by_node=curtailed,
        level=level,
    )
    return schedule, int((excess > 1e-6).sum())


def _levels(inputs: DispatchInputs, plan: pd.DataFrame) -> np.ndarray:
    """(G, n) planned dim levels of a plan's steps."""
    groups = [] if inputs.lighting is None else inputs.lighting.group_ids
    return np.array([plan[f"level:{g}"].to_numpy() for g in groups]).reshape(len(groups), len(plan))


def terminal_values(inputs: DispatchInputs) -> dict[str, float]:
    """Value of a kWh left in each battery at a window's end [EUR/kWh] (module docstring)."""
    mean_price = float(np.mean(inputs.import_price_eur_per_kwh))
    return {
        b.id: max(b.eta_discharge * mean_price - b.throughput_cost_eur_per_kwh, 0.0)
        for b in inputs.batteries
    }


def _soc_kwh(batteries: Any) -> dict[str, float]:
    return {b.id: b.soc_initial_frac * b.capacity_kwh for b in batteries}


def operate(
    district: District, spec: OperationSpec, progress: ProgressCallback | None = None
) -> OperationResult:
    """Operate ``district`` over ``spec``'s period on a rolling horizon (module docstring).

    Raises
    ------
    InputDataError
        Bad options or data (e.g. a forecast file that does not cover the period).
    InfeasibleError, SolverError
        If a window cannot be planned.
    """
    report = progress or no_progress
    t0 = time.perf_counter()
    before = spec.start - dt.timedelta(days=1)
    opts = spec.options.model_copy(update={"start": before, "days": spec.days + 1})
    ext = scenario_inputs(district, opts)
    day = int((ext.index.tz_convert(district.site.timezone).date == before).sum())
    period = window_inputs(ext, day, ext.n_steps)
    dispatch = opts.dispatch_options()
    timings = {"inputs_s": time.perf_counter() - t0}
    t = time.perf_counter()
    perfect = solution_schedule(period, optimise(period, dispatch))
    b1 = baseline_b1(period).schedule
    timings["perfect_and_b1_s"] = time.perf_counter() - t
    forecaster = Forecaster(spec, district, ext, day)
    horizon = max(1, round(spec.horizon_h / period.dt_h))
    step = max(1, round(spec.step_h / period.dt_h))
    n = period.n_steps
    soc0 = _soc_kwh(period.batteries)
    soc = dict(soc0)
    flows = _Flows()
    windows: list[dict[str, Any]] = []
    t = time.perf_counter()
    for k, a in enumerate(range(0, n, step)):
        b = min(a + horizon, n)
        win = dataclasses.replace(
            window_inputs(period, a, b),
            pv_kw=forecaster.pv(a + day, b + day, k),
            load_kw=forecaster.load(a + day, b + day),
            batteries=with_initial_soc(period.batteries, soc),
            terminal_soc="free",
        )
        end = TerminalStorage(target_kwh=soc0) if b == n else TerminalStorage(terminal_values(win))
        solution = optimise(win, dispatch, blocks=[end])
        done = min(step, b - a)
        plan = solution_schedule(win, solution).iloc[:done]
        ch, dis, soc_end = _carry_out(
            window_inputs(period, a, a + done),
            window_inputs(win, 0, done),
            plan,
            soc,
            spec.battery_control,
        )
        flows.ch.append(ch)
        flows.dis.append(dis)
        flows.soc.append(soc_end)
        flows.level.append(_levels(win, plan))
        flows.curtailed.append(
            {
                c.split(":", 1)[1]: plan[c].to_numpy()
                for c in plan
                if c.startswith("pv_curtailed_kw:")
            }
        )
        start_soc = _soc_kwh(win.batteries)
        soc = {bat.id: float(soc_end[i, -1]) for i, bat in enumerate(period.batteries)}
        windows.append(
            {
                "start": str(period.index[a]),
                "steps": b - a,
                "realised": done,
                "soc_start_kwh": start_soc,
                "soc_end_kwh": dict(soc),
                "solve_s": solution.result.timings_s.get("solve", math.nan),
            }
        )
        report((a + done) / n, f"window {k + 1}: {period.index[a]} planned over {b - a} steps")
    timings["windows_s"] = time.perf_counter() - t
    realised, violations = _settle(period, flows)
    kpis = {
        name: compute_kpis(frame, period.batteries, period.peak_charge_eur_per_kw)
        for name, frame in (("realised", realised), ("perfect_foresight", perfect), ("B1", b1))
    }
    timings["total_s"] = time.perf_counter() - t0
    return OperationResult(realised, perfect, b1, kpis, windows, spec, violations, timings)
