"""Request and response models of studies: sweeps and sizings, jobs of many runs.

A sweep is one job per grid point (``energy.studies.sweep``), a sizing one
job that chooses capacities with the dispatch (``energy.studies.sizing``);
both answer with their jobs' states (:mod:`api.schemas` for runs and pages).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import RunPublic, RunStatus

#: Most grid points one sweep may have (a sweep of more is refused with 422).
MAX_SWEEP_POINTS = 100


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
    points: list[SweepPointPublic] | None = Field(
        None, description="Per-point jobs and records (omitted in lists)"
    )
    summary: dict[str, Any] | None = Field(
        None,
        description="When every point succeeded: ``energy.studies.sweep.SweepResult.to_dict()`` "
        "(points table, best_by_npv, best_by_self_sufficiency, heatmaps of "
        "self_sufficiency and npv_eur, reference, licence)",
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
        "costs, kpis, reference_kpis, sweep, notes, metadata"
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
