"""``energy heat`` and ``energy mobility``: a year of heat-pump and EV-charging demand."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from energy.cli._options import FileArg
from energy.cli._output import friendly_errors, print_json, print_table
from energy.district import load_district
from energy.models.heat import district_heat, heat_summary
from energy.models.mobility import charger_groups, ev_sessions, session_steps, sessions_summary
from energy.timeindex import year_index

YearOpt = Annotated[int, typer.Option("--year", min=1900, max=2200, help="Local calendar year")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def heat(
    file: FileArg,
    year: YearOpt = 2025,
    weather: Annotated[
        str | None,
        typer.Option(
            "--weather",
            help="Weather file or 'clearsky'; default: the shipped DWD TRY 2015 region 9",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Annual space heat, hot water, heat-pump electricity and seasonal COP per building.

    Heat pumps run as a plain thermostat (no storage use, no look-ahead); heat
    beyond their rating comes from the backup heater, or is reported unmet.
    """
    with friendly_errors():
        district = load_district(file)
        index = year_index(year, "1h", district.site.timezone)
        table = heat_summary(district, district_heat(district, index, weather))
    source = weather or "DWD TRY 2015 region 9 (shipped)"
    if as_json:
        print_json(
            {
                "file": str(file),
                "year": year,
                "period": f"local calendar year {year}, hourly, not extrapolated",
                "weather": source,
                "operation": "heat pumps as a thermostat: no storage, no look-ahead",
                "buildings": [
                    {"id": bid, **row}
                    for bid, row in table.drop(index="total").to_dict(orient="index").items()
                ],
                "total": table.loc["total"].to_dict(),
            }
        )
        return
    columns = ["e_space_kwh", "e_hot_water_kwh", "e_hp_kwh", "e_backup_kwh", "e_unmet_kwh"]
    rows = [
        [bid, *(r[c] for c in columns), r.scop, r.q_peak_kw, r.thermal_kw]
        for bid, r in table.iterrows()
    ]
    print_table(
        f"{district.site.name}: heat {year} (weather: {source}; heat pumps as a thermostat)",
        ["building", "space kWh", "hot water kWh", "HP kWh el", "backup kWh", "unmet kWh",
         "SCOP", "peak kW th", "HP kW th"],
        rows,
        number_format="{:,.2f}",
    )  # fmt: skip


def mobility(file: FileArg, year: YearOpt = 2025, as_json: JsonOpt = False) -> None:
    """Charging sessions per day and kWh per year of every charger group (one car per point)."""
    with friendly_errors():
        district = load_district(file)
        index = year_index(year, "1h", district.site.timezone)
        sessions = ev_sessions(district, index)
        groups = charger_groups(district)
        table = sessions_summary(sessions, session_steps(sessions, index), groups, index)
    if as_json:
        print_json(
            {
                "file": str(file),
                "year": year,
                "period": f"local calendar year {year}, not extrapolated",
                "source": "sessions drawn from the district's fleet (MiD 2017-shaped defaults)",
                "groups": [
                    {"id": gid, **row}
                    for gid, row in table.drop(index="total").to_dict(orient="index").items()
                ],
                "total": table.loc["total"].to_dict(),
            }
        )
        return
    columns = ["cars", "kw_per_point", "sessions_per_day", "km", "e_kwh", "e_capped_kwh"]
    print_table(
        f"{district.site.name}: EV charging {year} (capped kWh is charged elsewhere)",
        ["group", "cars", "kW/point", "sessions/day", "km", "kWh charged", "kWh capped"],
        [[gid, *("-" if pd.isna(r[c]) else r[c] for c in columns)] for gid, r in table.iterrows()],
    )


def register(app: typer.Typer) -> None:
    """Add the ``heat`` and ``mobility`` commands to ``app``."""
    app.command("heat")(heat)
    app.command("mobility")(mobility)
