"""``energy pv``: annual PV yield per system and in total."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from energy.cli._output import friendly_errors, print_json, print_table
from energy.district import load_district
from energy.models.pv import district_pv_kw, yield_table
from energy.models.weather import DEFAULT_TRY_FILE, weather_for_index
from energy.timeindex import year_index


def pv(
    file: Annotated[Path, typer.Argument(help="District YAML or JSON file")],
    year: Annotated[
        int, typer.Option("--year", min=1900, max=2200, help="Local calendar year")
    ] = 2025,
    weather: Annotated[
        str | None,
        typer.Option(
            "--weather",
            help="Weather file (.dat DWD TRY, .epw, PVGIS .json/.csv, Open-Meteo "
            ".json) or 'clearsky'; default: the shipped DWD TRY 2015 region 9",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the hourly AC power per system [kW] as CSV (UTC, interval start)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Compute the annual AC energy [kWh] and specific yield [kWh/kWp] of every PV system."""
    with friendly_errors():
        district = load_district(file)
        index = year_index(year, "1h", district.site.timezone)
        p_kw = district_pv_kw(district, weather_for_index(index, district.site, weather))
        if out is not None:
            p_kw.to_csv(out, index_label="time_utc", float_format="%.6f")
        table = yield_table(district, p_kw)
    weather_name = weather or DEFAULT_TRY_FILE.name
    if as_json:
        print_json(
            {
                "file": str(file),
                "year": year,
                "weather": weather_name,
                "systems": [
                    {"id": sid, **row}
                    for sid, row in table.drop(index="total").to_dict(orient="index").items()
                ],
                "total": table.loc["total"].drop("building").to_dict(),
                "out": str(out) if out is not None else None,
            }
        )
        return
    rows = [[sid, r.building, r.kwp, r.e_kwh, r.kwh_per_kwp] for sid, r in table.iterrows()]
    print_table(
        f"{district.site.name}: PV yield {year} (weather: {weather_name})",
        ["system", "building", "kWp", "kWh/a", "kWh/kWp"],
        rows,
    )
    if out is not None:
        typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add the ``pv`` command to ``app``."""
    app.command("pv")(pv)
