"""``energy pareto``: what each point of autarky costs (cost-optimal design per target)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from energy.cli._options import DaysOpt, FileArg, JsonOpt, ResolutionOpt, StartOpt, WeatherOpt
from energy.cli._output import friendly_errors, print_json, print_table, progress_printer
from energy.cli.size import (
    BatteryAtOpt,
    BatteryCapexOpt,
    CRateOpt,
    DiscountRateOpt,
    PvBuildingOpt,
    PvCapexOpt,
    PvLikeOpt,
    sizing_spec,
)
from energy.district import load_district
from energy.errors import InputDataError
from energy.optimisation.autarky import AutarkyMetric
from energy.scenario import ScenarioOptions
from energy.studies.candidates import DEFAULT_C_RATE_KW_PER_KWH
from energy.studies.pareto import pareto

MetricOpt = Annotated[
    str,
    typer.Option("--metric", help="self_sufficiency (electricity) or self_sufficiency_heat"),
]
PointsOpt = Annotated[int, typer.Option("--points", min=2, max=50, help="Number of points")]
BatteryMaxOpt = Annotated[
    float, typer.Option("--battery-kwh-max", min=0, help="Largest new battery [kWh]")
]
PvMaxOpt = Annotated[float, typer.Option("--pv-kwp-max", min=0, help="Largest new PV [kWp]")]


def _rows(points: list[dict[str, Any]]) -> list[list[str]]:
    def pct(x: Any) -> str:
        return "-" if x is None else f"{100 * x:.1f}"

    return [
        [
            pct(p["target"]),
            pct(p["self_sufficiency"]),
            pct(p["self_sufficiency_heat"]),
            f"{p['annual_cost_eur_per_year']:,.0f}",
            f"{p['pv_kwp']:,.1f}",
            f"{p['battery_kwh']:,.1f}",
            f"{p['heat_storage_kwh']:,.1f}",
        ]
        for p in points
    ]


def pareto_command(
    file: FileArg,
    metric: MetricOpt = "self_sufficiency",
    points: PointsOpt = 8,
    battery_kwh_max: BatteryMaxOpt = 2000.0,
    battery_at: BatteryAtOpt = "substation",
    c_rate: CRateOpt = DEFAULT_C_RATE_KW_PER_KWH,
    battery_capex: BatteryCapexOpt = None,
    pv_kwp_max: PvMaxOpt = 500.0,
    pv_building: PvBuildingOpt = None,
    pv_like: PvLikeOpt = None,
    pv_capex: PvCapexOpt = None,
    discount_rate: DiscountRateOpt = None,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    resolution: ResolutionOpt = "1h",
    weather: WeatherOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cost-optimal PV, battery and dispatch for autarky targets from today's to the highest.

    Each point: annual cost (annuity + O&M of what is built + operation), PV kWp,
    battery kWh, installed heat storage and self-sufficiency. The new PV copies the
    first PV system of the district unless --pv-like or --pv-building is given.
    """
    with friendly_errors():
        district = load_district(file)
        if pv_like is None and pv_building is None:
            if not district.pv:
                raise InputDataError("--pv-like: the district has no PV system to copy")
            pv_like = district.pv[0].id
        spec = sizing_spec(
            (0.0, battery_kwh_max, battery_at, c_rate, battery_capex),
            (0.0, pv_kwp_max, pv_building, pv_like, 30.0, 180.0, pv_capex),
            discount_rate,
        )
        options = ScenarioOptions(
            start=start, days=days, resolution=resolution, weather=weather, ac_check=False
        )
        if metric not in ("self_sufficiency", "self_sufficiency_heat"):
            raise InputDataError(
                f"--metric: {metric!r} is not allowed; use self_sufficiency or "
                "self_sufficiency_heat"
            )
        chosen: AutarkyMetric = "self_sufficiency_heat"
        if metric == "self_sufficiency":
            chosen = "self_sufficiency"
        result = pareto(district, options, spec, points, chosen, progress_printer(True))
    if as_json:
        print_json({"file": str(file), **result.to_dict()})
        return
    flag = result.metadata.get("extrapolated_from")
    print_table(
        f"{district.site.name}: what autarky costs ({metric}, {days} days from {start})"
        + (f"; annual figures extrapolated_from {flag}" if flag else ""),
        [
            "target [%]",
            "self-suff. [%]",
            "el.+heat [%]",
            "annual cost [EUR/a]",
            "PV new [kWp]",
            "battery new [kWh]",
            "heat storage [kWh]",
        ],
        _rows(result.points),
    )


def register(app: typer.Typer) -> None:
    """Add the ``pareto`` command to ``app``."""
    app.command("pareto")(pareto_command)
