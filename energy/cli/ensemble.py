"""``energy ensemble`` (weather x price years) and ``energy operate`` (rolling horizon).

* ``energy ensemble FILE --days 365 [--weather A.dat,B.dat] [--prices 2023,2024]
  [--out DIR] [--json]`` runs the scenario once per weather source x price year
  (:mod:`energy.studies.ensemble`; default the six region-9 TRY files x 2023,
  2024) and prints, per figure, ``min``, ``p10``, ``p50``, ``p90``, ``max`` and
  the members at the extremes; ``--out`` writes ``ensemble.json``,
  ``ensemble_figures.csv`` and ``ensemble_members.csv``.
* ``energy operate FILE --start 2025-01-01 --days 28 --horizon-h 36 --step-h 24
  --forecast clearsky|persistence|file|noisy|perfect [--json]`` operates the
  district on a rolling horizon (:mod:`energy.operation`) and prints the
  realised KPIs, those of perfect foresight and of B1, and the cost of the
  forecast error in EUR and autarky points.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from energy.cli._options import DaysOpt, FileArg, JsonOpt, ObjectiveOpt, ResolutionOpt, StartOpt
from energy.cli._output import friendly_errors, print_json, print_table, progress_printer
from energy.cli._robust import price_years
from energy.district import load_district
from energy.operation import SHOWN_KPIS, OperationResult, OperationSpec, operate
from energy.report.exports import write_csv_with_header, write_json
from energy.scenario import ScenarioOptions
from energy.studies.ensemble import (
    DEFAULT_PRICE_YEARS,
    DEFAULT_WEATHER_FILES,
    STATISTICS,
    EnsembleResult,
    EnsembleSpec,
    run_ensemble,
)

#: Licence line of the ensemble exports.
_LICENCE = "licence: CC-BY-4.0; data: DWD TRY (GeoNutzV), SMARD (CC BY 4.0)"


def _write(result: EnsembleResult, out: Path) -> None:
    """Write the ensemble's JSON and its two CSV tables to ``out``."""
    lines = [_LICENCE, f"horizon: {result.horizon_label}", result.summary()]
    write_json(result.to_dict(), out / "ensemble.json")
    write_csv_with_header(result.table(), out / "ensemble_figures.csv", lines)
    write_csv_with_header(result.members_table(), out / "ensemble_members.csv", lines)


def ensemble_command(
    file: FileArg,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    weather: Annotated[
        str | None,
        typer.Option("--weather", help="Comma-separated weather files (default: six TRY files)"),
    ] = None,
    prices: Annotated[str, typer.Option("--prices", help="Price years, e.g. 2023,2024")] = ",".join(
        map(str, DEFAULT_PRICE_YEARS)
    ),
    ac_check: Annotated[bool, typer.Option("--ac-check/--no-ac-check")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32)] = 2,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for JSON and CSV")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a scenario over weather x price years; print every figure's P10/P50/P90."""
    with friendly_errors():
        district = load_district(file)
        options = ScenarioOptions(start=start, days=days, ac_check=ac_check)
        sources = (
            tuple(s.strip() for s in weather.split(","))
            if weather
            else tuple(str(p) for p in DEFAULT_WEATHER_FILES)
        )
        spec = EnsembleSpec(district, options, sources, price_years(prices))
        result = run_ensemble(spec, progress=progress_printer(not as_json), workers=workers)
        if out is not None:
            _write(result, out)
    if as_json:
        print_json(result.to_dict())
        return
    rows = [
        [name, d["unit"], *(d[k] for k in STATISTICS), d["worst_member"] or "-"]
        for name, d in result.figures.items()
    ]
    print_table(
        f"{district.site.name}: {len(result.members)} members over {result.horizon_label}",
        ["figure", "unit", *STATISTICS, "worst member"],
        rows,
    )
    typer.echo(result.summary())


def _operation_rows(result: OperationResult) -> list[list[Any]]:
    """KPI rows (self-sufficiency in %) for realised, perfect foresight and B1."""
    names = ("realised", "perfect_foresight", "B1")
    rows = []
    for k in SHOWN_KPIS:
        scale = 100.0 if k == "self_sufficiency" else 1.0
        label = "self_sufficiency [%]" if k == "self_sufficiency" else k
        rows.append([label, *(scale * result.kpis[n][k] for n in names)])
    return rows


def operate_command(
    file: FileArg,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 28,
    horizon_h: Annotated[float, typer.Option("--horizon-h", min=1, max=24 * 14)] = 36.0,
    step_h: Annotated[float, typer.Option("--step-h", min=1, max=24 * 14)] = 24.0,
    forecast: Annotated[
        str, typer.Option("--forecast", help="clearsky, persistence, file, noisy or perfect")
    ] = "clearsky",
    forecast_file: Annotated[
        str | None, typer.Option("--forecast-file", help="Weather forecast file for 'file'")
    ] = None,
    load_forecast: Annotated[str, typer.Option("--load-forecast")] = "profile",
    control: Annotated[str, typer.Option("--control", help="track_grid or setpoints")] = (
        "track_grid"
    ),
    seed: Annotated[int, typer.Option("--seed")] = 0,
    resolution: ResolutionOpt = "1h",
    objective: ObjectiveOpt = "cost",
    as_json: JsonOpt = False,
) -> None:
    """Operate a district on a rolling horizon with forecasts; cost of the forecast error."""
    with friendly_errors():
        district = load_district(file)
        options = ScenarioOptions(
            start=start, days=days, resolution=resolution, objective=objective, ac_check=False
        )
        spec = OperationSpec(
            start=options.start,
            days=days,
            horizon_h=horizon_h,
            step_h=step_h,
            forecast=forecast,  # type: ignore[arg-type]
            load_forecast=load_forecast,  # type: ignore[arg-type]
            forecast_file=forecast_file,
            seed=seed,
            battery_control=control,  # type: ignore[arg-type]
            options=options,
        )
        result = operate(district, spec, progress_printer(not as_json))
    if as_json:
        print_json(result.to_dict())
        return
    end = spec.start + dt.timedelta(days=days - 1)
    print_table(
        f"{district.site.name}: {spec.start}..{end}, {forecast} forecast, horizon {horizon_h:g} h, "
        f"step {step_h:g} h ({len(result.windows)} windows)",
        ["KPI", "realised", "perfect foresight", "B1"],
        _operation_rows(result),
        number_format="{:,.2f}",
    )
    typer.echo(
        f"cost of the forecast error: {result.forecast_error_cost_eur:,.2f} EUR and "
        f"{result.forecast_error_autarky_points:,.2f} autarky points against perfect foresight"
    )


def register(app: typer.Typer) -> None:
    """Add the ``ensemble`` and ``operate`` commands to ``app``."""
    app.command("ensemble")(ensemble_command)
    app.command("operate")(operate_command)
