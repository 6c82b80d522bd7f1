"""``energy size``: how much battery (and PV) is worth it for a district."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from energy.analysis.economics import EconomicAssumptions
from energy.cli._options import (
    AutarkyMetricOpt,
    DaysOpt,
    FileArg,
    JsonOpt,
    MinSelfSufficiencyOpt,
    ResolutionOpt,
    StartOpt,
    WeatherOpt,
)
from energy.cli._output import (
    echo_sources,
    friendly_errors,
    print_json,
    print_table,
    progress_printer,
)
from energy.cli._robust import (
    RobustOpt,
    RobustPricesOpt,
    TargetOpt,
    print_robust,
    robust_ask,
)
from energy.district import load_district, save_district
from energy.errors import InputDataError
from energy.report.exports import export_info
from energy.scenario import ScenarioOptions
from energy.studies.candidates import (
    DEFAULT_C_RATE_KW_PER_KWH,
    BatteryCandidate,
    PVCandidate,
    SizingSpec,
)
from energy.studies.robust_runs import SEARCHES, robust_size
from energy.studies.sizing import SizingResult, size
from energy.studies.sweep import SweepSpec

#: KPI rows: (key, label, number format).
KPI_ROWS: tuple[tuple[str, str, str], ...] = (
    ("cost_eur", "energy cost [EUR]", "{:,.2f}"),
    ("e_import_kwh", "import [kWh]", "{:,.1f}"),
    ("e_export_kwh", "export [kWh]", "{:,.1f}"),
    ("self_sufficiency", "self-sufficiency [%]", "pct"),
    ("self_consumption", "self-consumption [%]", "pct"),
    ("battery_cycles", "battery full cycles", "{:,.2f}"),
)


def _fmt(value: float | None, fmt: str) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{100 * value:,.1f}" if fmt == "pct" else fmt.format(value)


def _floats(text: str | None, option: str) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputDataError(
            f"{option}: {text!r} is not a comma-separated list of numbers"
        ) from None


def _print(result: SizingResult, title: str) -> None:
    caps = result.capacities
    c = result.costs
    rows: list[list[Any]] = []
    if caps.battery_kwh is not None:
        rows.append(["battery [kWh]", _fmt(caps.battery_kwh, "{:,.1f}")])
        rows.append(["battery power [kW]", _fmt(caps.battery_kw, "{:,.1f}")])
    if caps.pv_kwp is not None:
        rows.append(["PV [kWp]", _fmt(caps.pv_kwp, "{:,.1f}")])
    rows += [
        ["investment [EUR]", _fmt(c["capex_eur"], "{:,.0f}")],
        ["annuity + O&M [EUR/a]", _fmt(c["annual_cost_eur_per_year"], "{:,.0f}")],
        ["capacity cost in horizon [EUR]", _fmt(c["horizon_cost_eur"], "{:,.2f}")],
        ["energy cost in horizon [EUR]", _fmt(c["energy_cost_eur"], "{:,.2f}")],
        ["total in horizon [EUR]", _fmt(c["total_cost_eur"], "{:,.2f}")],
    ]
    if "reference_cost_eur" in c:
        rows.append(["without the candidates [EUR]", _fmt(c["reference_cost_eur"], "{:,.2f}")])
        rows.append(["saved [EUR]", _fmt(c["savings_eur"], "{:,.2f}")])
    print_table(title, ["sizing", "optimum"], rows)
    ref = result.reference_kpis
    kpi_rows = [
        [label, _fmt(result.kpis[key], fmt), _fmt(ref[key] if ref else None, fmt)]
        for key, label, fmt in KPI_ROWS
    ]
    print_table("KPIs", ["KPI", "sized", "without candidates"], kpi_rows)
    if result.sweep is not None:
        sweep_rows = [
            [
                _fmt(row["battery_kwh"], "{:,.0f}"),
                _fmt(row["pv_kwp"], "{:,.0f}"),
                _fmt(row["energy_cost_eur"], "{:,.2f}"),
                _fmt(row["horizon_cost_eur"], "{:,.2f}"),
                _fmt(row["total_cost_eur"], "{:,.2f}"),
            ]
            for row in result.sweep.to_dict(orient="records")
        ]
        print_table(
            "Fixed sizes (the same model)",
            ["battery [kWh]", "PV [kWp]", "energy [EUR]", "capacity [EUR]", "total [EUR]"],
            sweep_rows,
        )


BatteryKwhMaxOpt = Annotated[
    float | None,
    typer.Option("--battery-kwh-max", min=0, help="Largest battery to consider [kWh]"),
]
BatteryKwhMinOpt = Annotated[
    float, typer.Option("--battery-kwh-min", min=0, help="Smallest battery [kWh]")
]
BatteryAtOpt = Annotated[str, typer.Option("--battery-at", help="'substation' or a building id")]
CRateOpt = Annotated[
    float, typer.Option("--c-rate", min=0.01, help="Battery power per kWh [kW/kWh]")
]
BatteryCapexOpt = Annotated[
    float | None,
    typer.Option("--battery-capex", min=0, help="Battery price [EUR/kWh] (default by size)"),
]
PvKwpMaxOpt = Annotated[
    float | None, typer.Option("--pv-kwp-max", min=0, help="Largest new PV system [kWp]")
]
PvKwpMinOpt = Annotated[float, typer.Option("--pv-kwp-min", min=0, help="Smallest [kWp]")]
PvBuildingOpt = Annotated[
    str | None, typer.Option("--pv-building", help="Building of the new PV system")
]
PvLikeOpt = Annotated[
    str | None,
    typer.Option("--pv-like", help="Copy orientation and parameters of this PV system id"),
]
PvTiltOpt = Annotated[float, typer.Option("--pv-tilt", help="Tilt [deg]")]
PvAzimuthOpt = Annotated[float, typer.Option("--pv-azimuth", help="Azimuth [deg, 180 = S]")]
PvCapexOpt = Annotated[
    float | None,
    typer.Option("--pv-capex", min=0, help="PV price [EUR/kWp] (default by size band)"),
]
DiscountRateOpt = Annotated[
    float | None, typer.Option("--discount-rate", help="Real discount rate [fraction/a]")
]
SweepKwhOpt = Annotated[
    str | None,
    typer.Option("--sweep-kwh", help="Also solve these fixed battery sizes, e.g. 0,200,400"),
]
SweepKwpOpt = Annotated[
    str | None, typer.Option("--sweep-kwp", help="Also solve these fixed PV sizes [kWp]")
]
ReferenceOpt = Annotated[
    bool,
    typer.Option("--reference/--no-reference", help="Also solve without the candidates"),
]
SearchOpt = Annotated[
    str,
    typer.Option("--search", help="With --robust: scan (smallest first) or bisect"),
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", min=1, max=64, help="With --robust: processes")
]
SaveOpt = Annotated[
    Path | None,
    typer.Option("--save-district", help="Write the district with the optimal sizes"),
]


def sizing_spec(
    battery: tuple[float, float | None, str, float, float | None],
    pv: tuple[float, float | None, str | None, str | None, float, float, float | None],
    discount_rate: float | None,
) -> SizingSpec:
    """Return the sizing spec of the command's options (None maxima: no such candidate)."""
    kwh_min, kwh_max, at, c_rate, battery_capex = battery
    kwp_min, kwp_max, building, like, tilt, azimuth, pv_capex = pv
    assumptions = EconomicAssumptions()
    if discount_rate is not None:
        assumptions = dataclasses.replace(assumptions, discount_rate_frac=discount_rate)
    bat = (
        None
        if kwh_max is None
        else BatteryCandidate(
            kwh_max=kwh_max,
            kwh_min=kwh_min,
            at=at,
            power_kw_per_kwh=c_rate,
            capex_eur_per_kwh=battery_capex,
        )
    )
    candidate = (
        None
        if kwp_max is None
        else PVCandidate(
            kwp_max=kwp_max,
            kwp_min=kwp_min,
            building=building,
            like=like,
            tilt_deg=tilt,
            azimuth_deg=azimuth,
            capex_eur_per_kwp=pv_capex,
        )
    )
    return SizingSpec(pv=candidate, battery=bat, assumptions=assumptions)


def size_command(
    file: FileArg,
    battery_kwh_max: BatteryKwhMaxOpt = None,
    battery_kwh_min: BatteryKwhMinOpt = 0.0,
    battery_at: BatteryAtOpt = "substation",
    c_rate: CRateOpt = DEFAULT_C_RATE_KW_PER_KWH,
    battery_capex: BatteryCapexOpt = None,
    pv_kwp_max: PvKwpMaxOpt = None,
    pv_kwp_min: PvKwpMinOpt = 0.0,
    pv_building: PvBuildingOpt = None,
    pv_like: PvLikeOpt = None,
    pv_tilt: PvTiltOpt = 30.0,
    pv_azimuth: PvAzimuthOpt = 180.0,
    pv_capex: PvCapexOpt = None,
    discount_rate: DiscountRateOpt = None,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    resolution: ResolutionOpt = "1h",
    weather: WeatherOpt = None,
    sweep_kwh: SweepKwhOpt = None,
    sweep_kwp: SweepKwpOpt = None,
    reference: ReferenceOpt = True,
    save: SaveOpt = None,
    robust: RobustOpt = None,
    target: TargetOpt = None,
    prices: RobustPricesOpt = None,
    search: SearchOpt = "scan",
    workers: WorkersOpt = 2,
    min_self_sufficiency: MinSelfSufficiencyOpt = None,
    autarky_metric: AutarkyMetricOpt = "self_sufficiency",
    as_json: JsonOpt = False,
) -> None:
    """Size a new battery and/or PV system: capacity and dispatch in one optimisation.

    The capacities' annuity and O&M (German defaults of energy.analysis.economics) are
    charged for the horizon's share of a year. The default horizon is a whole
    year; a shorter one gives a seasonal answer, flagged extrapolated_from.

    Robust sizing: ``--robust self_sufficiency:p10 --target 40 --sweep-kwh
    0,100,200,400`` runs the candidate sizes (``--sweep-kwh`` or ``--sweep-kwp``)
    over weather x price years (``--weather`` a comma-separated list of
    files, default the six TRY files; ``--prices``) and answers the smallest
    candidate whose P10 self-sufficiency is >= 40 %, smallest first
    (``--search scan``) or by bisection (``--search bisect``).
    """
    if robust is not None:
        _robust_size(
            file,
            (sweep_kwh, sweep_kwp, battery_at, c_rate, pv_building, pv_like),
            (start, days, resolution),
            (robust, target, weather, prices),
            (search, workers, as_json),
        )
        return
    with friendly_errors():
        if battery_kwh_max is None and pv_kwp_max is None:
            raise InputDataError(
                "give --battery-kwh-max and/or --pv-kwp-max: there is nothing to size"
            )
        district = load_district(file)
        spec = sizing_spec(
            (battery_kwh_min, battery_kwh_max, battery_at, c_rate, battery_capex),
            (pv_kwp_min, pv_kwp_max, pv_building, pv_like, pv_tilt, pv_azimuth, pv_capex),
            discount_rate,
        )
        options = ScenarioOptions(
            start=start,
            days=days,
            resolution=resolution,
            weather=weather,
            ac_check=False,
            min_self_sufficiency=min_self_sufficiency,
            autarky_metric=autarky_metric,
        )
        result = size(
            district,
            options,
            spec,
            progress_printer(True),
            reference=reference,
            sweep_battery_kwh=_floats(sweep_kwh, "--sweep-kwh"),
            sweep_pv_kwp=_floats(sweep_kwp, "--sweep-kwp"),
        )
        if save is not None and result.district is not None:
            save_district(result.district, save)
    if as_json:
        print_json({"file": str(file), **result.to_dict()})
        return
    _print_sized(result, f"{district.site.name}: {days} days from {start} at {resolution}", save)


def _print_sized(result: SizingResult, title: str, save: Path | None) -> None:
    """Print the sizing, its notes, its sources and the district file written."""
    flag = result.metadata.get("extrapolated_from")
    if flag:
        title += f"; sized as if the year looked like it, extrapolated_from {flag}"
    _print(result, title)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    echo_sources(export_info(result.metadata))
    if save is not None:
        typer.echo(f"wrote {save}")


def _robust_size(
    file: Path,
    candidates: tuple[str | None, str | None, str, float, str | None, str | None],
    run: tuple[str, int, str],
    robust: tuple[str, float | None, str | None, str | None],
    how: tuple[str, int, bool],
) -> None:
    """Run ``energy size --robust``: the smallest candidate whose statistic reaches the target."""
    sweep_kwh, sweep_kwp, battery_at, c_rate, pv_building, pv_like = candidates
    start, days, resolution = run
    search, workers, as_json = how
    with friendly_errors():
        ask = robust_ask(*robust)
        if (sweep_kwh is None) == (sweep_kwp is None):
            raise InputDataError(
                "--sweep-kwh, --sweep-kwp: with --robust give the candidate sizes of exactly one"
            )
        name, values = (
            ("battery_kwh_added", _floats(sweep_kwh, "--sweep-kwh"))
            if sweep_kwh is not None
            else ("pv_kwp_added", _floats(sweep_kwp, "--sweep-kwp"))
        )
        spec = SweepSpec(
            district=load_district(file),
            grid={name: values},
            options=ScenarioOptions(start=start, days=days, resolution=resolution, ac_check=False),
            battery_c_rate=c_rate,
            battery_at=battery_at,
            pv_building=pv_building,
            pv_like=pv_like,
        )
        if search not in SEARCHES:
            raise InputDataError(f"--search: {search!r}; use one of {', '.join(SEARCHES)}")
        result = robust_size(
            spec,
            ask,
            "bisect" if search == "bisect" else "scan",
            progress=progress_printer(True),
            workers=workers,
        )
    if as_json:
        print_json({"file": str(file), **result.to_dict()})
        return
    print_robust(result, f"robust sizing of {file.name}: {days} days from {start}")
    if result.search is not None and result.search["not_evaluated"]:
        skipped = ", ".join(f"{s:g}" for s in result.search["not_evaluated"])
        typer.echo(f"not evaluated ({result.search['method']}): {skipped}")


def register(app: typer.Typer) -> None:
    """Add the ``size`` command to ``app``."""
    app.command("size")(size_command)
