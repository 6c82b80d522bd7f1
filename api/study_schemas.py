"""Request and response models of studies: sweeps and sizings, jobs of many runs.

A sweep is one job per grid point (``energy.studies.sweep``), a sizing one
job that chooses capacities with the dispatch (``energy.studies.sizing``);
both answer with their jobs' states (:mod:`api.schemas` for runs and pages).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.ensemble_schemas import MembersFields, shipped_weather_path
from api.schemas import RunPublic, RunStatus

#: Most grid points one sweep may have (a sweep of more is refused with 422).
MAX_SWEEP_POINTS = 100
#: Most runs (designs x members) one robust sweep or sizing may ask for.
MAX_ROBUST_RUNS = 200
#: Statistics a robust answer can choose by (energy.studies.ensemble.STATISTICS).
Statistic = Literal["min", "p10", "p50", "p90", "max"]


class RobustCreate(MembersFields):
    """The optional ``robust`` field of a sweep or a sizing: choose over weather x price years.

    Every design runs once per member (shipped weather file x day-ahead price
    year) and is judged by ``statistic`` of ``figure`` over the members
    (``energy.studies.robust``): without ``target`` the design with the best
    statistic (e.g. the best P10 NPV), with ``target`` the first design, in
    grid order (smallest first), whose statistic reaches it.
    """

    model_config = ConfigDict(
        allow_inf_nan=False,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"figure": "npv_eur", "statistic": "p10"},
                {
                    "figure": "self_sufficiency_pct",
                    "statistic": "p10",
                    "target": 40,
                    "weather": ["TRY2015_Chemnitz_region09_Jahr.dat"],
                    "price_years": [2023, 2024],
                },
            ]
        },
    )

    figure: str = Field(
        "npv_eur",
        max_length=40,
        description="npv_eur, annual_savings_eur, self_sufficiency_pct, self_consumption_pct, "
        "cost_eur, peak_import_kw, payback_discounted_years (or npv, self_sufficiency, ...)",
    )
    statistic: Statistic = Field("p10", description="Statistic over the members")
    target: float | None = Field(
        None, ge=-1e9, le=1e9, description="In the figure's unit (e.g. 40 for 40 %)"
    )

    @field_validator("figure")
    @classmethod
    def _figure(cls, value: str) -> str:
        from energy.studies.robust import figure_name

        return figure_name(value, "figure")  # raises naming the value and the allowed ones

    @property
    def n_members(self) -> int:
        """Members: weather sources x price years."""
        return len(self.weather) * len(self.price_years)

    def ask(self) -> Any:
        """Return the ``energy.studies.robust.RobustAsk`` (weather as shipped file paths)."""
        from energy.studies.robust import RobustAsk

        return RobustAsk(
            self.figure,
            self.statistic,
            self.target,
            tuple(shipped_weather_path(w) for w in self.weather),
            tuple(self.price_years),
        )


class RobustSizingCreate(RobustCreate):
    """The ``robust`` field of a sizing: the smallest candidate whose statistic reaches ``target``.

    The candidates are ``sweep_battery_kwh`` or ``sweep_pv_kwp`` of the sizing
    (exactly one); a battery sits at ``battery_at`` with ``battery_c_rate``, PV
    is split over the buildings by demand as in a sweep.
    """

    target: float = Field(ge=-1e9, le=1e9, description="In the figure's unit (e.g. 40 for 40 %)")
    figure: str = Field("self_sufficiency_pct", max_length=40, description="As in a sweep")
    search: Literal["scan", "bisect"] = Field(
        "scan",
        description="scan: smallest first, stop at the first that reaches the target; bisect: "
        "about log2(n) sizes, right only when the figure grows with the size",
    )


def check_robust_runs(robust: RobustCreate, designs: int, field: str = "robust") -> None:
    """Refuse (InputDataError naming ``field``) more than :data:`MAX_ROBUST_RUNS` runs."""
    from energy.errors import InputDataError

    runs = (designs + 1) * robust.n_members
    if runs > MAX_ROBUST_RUNS:
        raise InputDataError(
            f"{field}: {designs} designs (+ the base) x {robust.n_members} members = {runs} "
            f"runs; at most {MAX_ROBUST_RUNS} are allowed; give fewer weather files or years"
        )


def economic_assumptions(values: dict[str, float] | None, field: str = "assumptions") -> Any:
    """Return ``energy.analysis.economics.EconomicAssumptions`` with ``values`` as overrides.

    Raises InputDataError naming ``field.<name>`` for an unknown name or a value
    out of range.
    """
    import dataclasses

    from energy.analysis.economics import EconomicAssumptions
    from energy.errors import InputDataError

    if not values:
        return EconomicAssumptions()
    known = {f.name for f in dataclasses.fields(EconomicAssumptions)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputDataError(
            f"{field}: {unknown} are not economic assumptions; allowed: {', '.join(sorted(known))}"
        )
    try:
        fields: dict[str, Any] = dict(values)  # range-checked by the dataclass
        return EconomicAssumptions(**fields)
    except InputDataError as exc:
        raise InputDataError(f"{field}.{exc}") from exc


class SweepCreate(BaseModel):
    """Body of ``POST /scenarios/{id}/sweeps``: a grid of PV and battery additions.

    Every grid point (the Cartesian product, the first parameter varying
    slowest) is the scenario plus ``pv_kwp_added`` kWp of PV split over the
    buildings by demand and a battery of ``battery_kwh_added`` kWh and
    ``battery_c_rate`` kW/kWh at ``battery_at`` (``energy.studies.sweep``).
    """

    model_config = ConfigDict(
        allow_inf_nan=False,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "grid": {
                        "pv_kwp_added": [0, 100, 200, 300],
                        "battery_kwh_added": [0, 200, 400],
                    },
                    "battery_c_rate": 0.5,
                }
            ]
        },
    )

    grid: dict[str, list[float]] = Field(
        description="pv_kwp_added [kWp] and/or battery_kwh_added [kWh] -> values >= 0; "
        f"at most {MAX_SWEEP_POINTS} points"
    )
    battery_c_rate: float = Field(0.5, gt=0, le=10, description="Power per kWh [kW/kWh]")
    battery_at: str = Field(
        "substation", min_length=1, max_length=64, description="'substation' or a building id"
    )
    ac_check: bool = Field(False, description="AC power-flow check of every point (slower)")
    assumptions: dict[str, float] | None = Field(
        None,
        description="Economic assumptions replacing the German defaults (energy.analysis)",
    )
    robust: RobustCreate | None = Field(
        None,
        description="Also run every point over weather x price years and choose by a "
        "statistic (summary.robust)",
    )


class SweepPointPublic(BaseModel):
    """One grid point of a sweep: its job and, once done, its ``run_point`` record."""

    index: int | None = Field(description="Position in grid order; null for the base run")
    point: dict[str, float] = Field(description="Parameter values of the point")
    is_reference: bool = Field(description="The base run with nothing added (economic reference)")
    job_id: int
    status: RunStatus
    attempts: int
    worker: str | None
    error: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    record: dict[str, Any] | None = Field(description="KPIs, savings and additions of the point")


class SweepPublic(BaseModel):
    """A sweep: status, progress, per-point records and, when done, the summary."""

    id: int
    scenario_id: int
    organisation_id: int
    district_id: int
    district_version: int
    status: RunStatus = Field(
        description="queued, running, succeeded (all points), failed (a point failed), cancelled"
    )
    cancel_requested: bool
    grid: dict[str, list[float]]
    battery_c_rate: float
    battery_at: str
    options: dict[str, Any]
    assumptions: dict[str, float] | None
    points_total: int = Field(description="Jobs of the sweep: grid points (+ the base run)")
    points_done: int = Field(description="Jobs that have ended (succeeded, failed, cancelled)")
    progress_frac: float = Field(description="points_done / points_total")
    counts: dict[str, int] = Field(description="Jobs by status")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    robust: dict[str, Any] | None = Field(
        None, description="The robust request, if any (omitted in lists)"
    )
    points: list[SweepPointPublic] | None = Field(
        None, description="Per-point jobs and records (omitted in lists)"
    )
    summary: dict[str, Any] | None = Field(
        None,
        description="When every point succeeded: ``energy.studies.sweep.SweepResult.to_dict()`` "
        "(points table, best_by_npv, best_by_self_sufficiency, heatmaps of "
        "self_sufficiency and npv_eur, reference, licence); with a robust request also "
        "``robust``: energy.studies.robust.RobustResult.to_dict() (every point's figures "
        "over the members as min/p10/p50/p90/max, the choice, baseline, period, sources)",
    )


class SizingCreate(BaseModel):
    """Body of ``POST /scenarios/{id}/sizing``: bounds of a new battery and/or PV system.

    The optimiser chooses the capacities within the bounds together with the
    dispatch, charging their annuity and O&M for the horizon's share of a year
    (``energy.studies.sizing``); a horizon shorter than a year gives a
    seasonal answer.
    """

    model_config = ConfigDict(
        allow_inf_nan=False,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"battery_kwh_max": 800, "pv_kwp_max": 400, "pv_building": "SCHULE"},
                {"battery_kwh_max": 1000, "battery_c_rate": 0.5, "sweep_battery_kwh": [0, 400]},
            ]
        },
    )

    battery_kwh_max: float | None = Field(None, ge=0, le=1e6, description="Largest battery [kWh]")
    battery_kwh_min: float = Field(0.0, ge=0, le=1e6, description="Smallest battery [kWh]")
    battery_at: str = Field("substation", min_length=1, max_length=64)
    battery_c_rate: float = Field(0.5, gt=0, le=100, description="Power per kWh [kW/kWh]")
    battery_capex_eur_per_kwh: float | None = Field(
        None, ge=0, le=1e4, description="Default: by size (energy.analysis.economics)"
    )
    pv_kwp_max: float | None = Field(None, ge=0, le=1e5, description="Largest new PV [kWp]")
    pv_kwp_min: float = Field(0.0, ge=0, le=1e5, description="Smallest new PV [kWp]")
    pv_building: str | None = Field(None, max_length=100, description="Building of the new PV")
    pv_like: str | None = Field(
        None, max_length=100, description="Copy orientation and parameters of this PV system id"
    )
    pv_tilt_deg: float = Field(30.0, ge=0, le=90)
    pv_azimuth_deg: float = Field(180.0, ge=0, le=360, description="180 = south")
    pv_capex_eur_per_kwp: float | None = Field(
        None, ge=0, le=1e4, description="Default: by size band (energy.analysis.economics)"
    )
    reference: bool = Field(True, description="Also optimise without the candidates (savings)")
    sweep_battery_kwh: list[float] = Field(
        default_factory=list, max_length=20, description="Fixed battery sizes to compare [kWh]"
    )
    sweep_pv_kwp: list[float] = Field(
        default_factory=list, max_length=20, description="Fixed PV sizes to compare [kWp]"
    )
    assumptions: dict[str, float] | None = Field(
        None, description="Economic assumptions replacing the German defaults"
    )
    robust: RobustSizingCreate | None = Field(
        None,
        description="Instead of the optimisation: the smallest of the fixed sizes "
        "(sweep_battery_kwh or sweep_pv_kwp) whose statistic over weather x price years "
        "reaches robust.target",
    )

    def robust_grid(self) -> dict[str, list[float]]:
        """Return the candidate sizes of a robust sizing; InputDataError names the field."""
        from energy.errors import InputDataError

        if bool(self.sweep_battery_kwh) == bool(self.sweep_pv_kwp):
            raise InputDataError(
                "sweep_battery_kwh, sweep_pv_kwp: a robust sizing needs the candidate sizes "
                "of exactly one"
            )
        if self.sweep_battery_kwh:
            return {"battery_kwh_added": list(self.sweep_battery_kwh)}
        return {"pv_kwp_added": list(self.sweep_pv_kwp)}

    def robust_spec(self, district: Any, options: dict[str, Any]) -> Any:
        """Return the ``energy.studies.sweep.SweepSpec`` of a robust sizing's candidate sizes.

        ``district`` is the scenario's, ``options`` the run options (ScenarioOptions
        fields). InputDataError names ``sweep_battery_kwh`` or ``sweep_pv_kwp``
        for a bad size.
        """
        from energy.errors import InputDataError
        from energy.scenario import ScenarioOptions
        from energy.studies.sweep import SweepSpec

        grid = self.robust_grid()
        field = "sweep_battery_kwh" if "battery_kwh_added" in grid else "sweep_pv_kwp"
        try:
            return SweepSpec(
                district=district,
                grid=grid,
                options=ScenarioOptions(**options),
                assumptions=economic_assumptions(self.assumptions),
                battery_c_rate=self.battery_c_rate,
                battery_at=self.battery_at,
                pv_building=self.pv_building,
                pv_like=self.pv_like,
            )
        except InputDataError as exc:
            if str(exc).startswith("pv_"):
                raise
            raise InputDataError(f"{field}: {exc}") from exc

    def spec(self) -> Any:
        """Return the ``energy.studies.candidates.SizingSpec``; InputDataError names the field."""
        from energy.errors import InputDataError
        from energy.studies.candidates import BatteryCandidate, PVCandidate, SizingSpec

        if self.battery_kwh_max is None and self.pv_kwp_max is None:
            raise InputDataError(
                "battery_kwh_max, pv_kwp_max: give at least one; there is nothing to size"
            )
        battery = (
            None
            if self.battery_kwh_max is None
            else BatteryCandidate(
                kwh_max=self.battery_kwh_max,
                kwh_min=self.battery_kwh_min,
                at=self.battery_at,
                power_kw_per_kwh=self.battery_c_rate,
                capex_eur_per_kwh=self.battery_capex_eur_per_kwh,
            )
        )
        pv = (
            None
            if self.pv_kwp_max is None
            else PVCandidate(
                kwp_max=self.pv_kwp_max,
                kwp_min=self.pv_kwp_min,
                building=self.pv_building,
                like=self.pv_like,
                tilt_deg=self.pv_tilt_deg,
                azimuth_deg=self.pv_azimuth_deg,
                capex_eur_per_kwp=self.pv_capex_eur_per_kwp,
            )
        )
        return SizingSpec(
            pv=pv, battery=battery, assumptions=economic_assumptions(self.assumptions)
        )


class SizingPublic(RunPublic):
    """A sizing job: status and progress as a run's; ``result`` once it has succeeded."""

    params: dict[str, Any] = Field(description="The request (bounds, prices, comparisons)")
    result: dict[str, Any] | None = Field(
        description="``energy.studies.sizing.SizingResult.to_dict()``: capacities, "
        "costs, kpis, reference_kpis, sweep, notes, metadata; for a robust sizing "
        "``energy.studies.robust.RobustResult.to_dict()`` (ask, choice, designs with "
        "min/p10/p50/p90/max over the members, search, baseline, period, sources)"
    )


class ParetoCreate(BaseModel):
    """Body of ``POST /scenarios/{id}/pareto``: what autarky costs, by cost-optimal design.

    ``points`` autarky targets from the cost optimum's self-sufficiency to the
    highest the candidates allow (``energy.studies.pareto``); each point sizes
    the new battery and PV (bounds as in :class:`SizingCreate`) with the dispatch.
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"points": 8, "metric": "self_sufficiency"}]},
    )

    points: int = Field(8, ge=2, le=50, description="Number of points")
    metric: Literal["self_sufficiency", "self_sufficiency_heat"] = Field(
        "self_sufficiency", description="Electricity, or electricity and heat"
    )
    battery_kwh_max: float = Field(2000.0, ge=0, le=1e6, description="Largest battery [kWh]")
    battery_at: str = Field("substation", min_length=1, max_length=100)
    battery_c_rate: float = Field(0.5, gt=0, le=100, description="Power per kWh [kW/kWh]")
    battery_capex_eur_per_kwh: float | None = Field(None, ge=0, le=1e4)
    pv_kwp_max: float = Field(500.0, ge=0, le=1e5, description="Largest new PV [kWp]")
    pv_building: str | None = Field(None, max_length=100, description="Building of the new PV")
    pv_like: str | None = Field(
        None, max_length=100, description="Copy this PV system (default: the district's first)"
    )
    pv_capex_eur_per_kwp: float | None = Field(None, ge=0, le=1e4)
    assumptions: dict[str, float] | None = Field(
        None, description="Economic assumptions replacing the German defaults"
    )

    def sizing(self, first_pv_id: str | None) -> SizingCreate:
        """Return the candidates as a :class:`SizingCreate` (the new PV like ``first_pv_id``)."""
        data = self.model_dump(exclude={"points", "metric"})
        if data["pv_like"] is None and data["pv_building"] is None:
            data["pv_like"] = first_pv_id
        return SizingCreate(**data, reference=False)


class ParetoPublic(RunPublic):
    """A Pareto job: status and progress as a run's; ``result`` once it has succeeded."""

    params: dict[str, Any] = Field(description="The request (points, metric, bounds)")
    result: dict[str, Any] | None = Field(
        description="``energy.studies.pareto.ParetoResult.to_dict()``: metric, points, metadata"
    )


class OperationCreate(BaseModel):
    """Body of ``POST /scenarios/{id}/operations``: rolling-horizon operation with forecasts.

    Re-plans every ``step_h`` over ``horizon_h`` with forecasts instead of the
    truth and carries the plan out on the truth (:mod:`energy.operation`);
    the answer compares it with perfect foresight over the same days and with
    B1. The period is the scenario's (``start``, ``days``) unless given here.
    Forecast files are a CLI option (``energy operate --forecast file``).
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [{"days": 28, "horizon_h": 36, "step_h": 24, "forecast": "persistence"}]
        },
    )

    start: dt.date | None = Field(
        None,
        ge=dt.date(2000, 1, 1),
        le=dt.date(2100, 12, 31),
        description="First local day (default the scenario's)",
    )
    days: int | None = Field(
        None, ge=1, le=366, description="Number of days (default the scenario's)"
    )
    horizon_h: float = Field(36.0, gt=0, le=168, description="Planning horizon [h]")
    step_h: float = Field(24.0, gt=0, le=168, description="Re-planning interval [h], <= horizon_h")
    forecast: Literal["perfect", "clearsky", "persistence", "noisy"] = Field(
        "persistence", description="PV forecast (energy.operation module docstring)"
    )
    load_forecast: Literal["profile", "persistence"] = Field(
        "profile", description="Load forecast: the load profile, or yesterday's load"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the noisy forecast")
    battery_control: Literal["track_grid", "setpoints"] = Field(
        "track_grid", description="How a plan is carried out on the truth"
    )


class OperationPublic(RunPublic):
    """An operation job: status and progress as a run's; ``result`` once it has succeeded."""

    params: dict[str, Any] = Field(description="The request (period, horizon, step, forecasts)")
    result: dict[str, Any] | None = Field(
        description="``energy.operation.OperationResult.to_dict()``: KPIs of the realised "
        "operation, of perfect foresight and of B1; forecast_error against perfect foresight"
    )
