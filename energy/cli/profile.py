"""``energy profile`` and ``energy lighting``: building loads and street-lighting energy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from energy.cli._options import FileArg
from energy.cli._output import friendly_errors, print_json, print_table
from energy.district import load_district
from energy.models.demand import district_loads_kw
from energy.models.lighting import DEFAULT_THRESHOLD_DEG, lighting_summary
from energy.timeindex import step_hours, year_index

YearOpt = Annotated[int, typer.Option("--year", min=1900, max=2200, help="Local calendar year")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def profile(
    file: FileArg,
    year: YearOpt = 2025,
    resolution: Annotated[
        str, typer.Option("--resolution", help="Time step: 15min, 30min or 1h")
    ] = "1h",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the per-building series [kW] as CSV (UTC)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute building loads from the BDEW standard load profiles: kWh/a and peak kW."""
    with friendly_errors():
        district = load_district(file)
        index = year_index(year, resolution, district.site.timezone)
        loads_kw = district_loads_kw(district, index)
        dt_h = step_hours(index)
        if out is not None:
            loads_kw.to_csv(out, index_label="time_utc", float_format="%.6f")
    e_kwh = loads_kw.sum() * dt_h
    peak_kw = loads_kw.max()
    total_kw = loads_kw.sum(axis=1)
    profiles = {b.id: b.profile for b in district.buildings}
    result: dict[str, Any] = {
        "file": str(file),
        "year": year,
        "resolution": resolution,
        "steps": len(index),
        "buildings": [
            {
                "id": bid,
                "profile": profiles[bid],
                "e_kwh": float(e_kwh[bid]),
                "peak_kw": float(peak_kw[bid]),
            }
            for bid in loads_kw.columns
        ],
        "total": {
            "e_kwh": float(total_kw.sum() * dt_h),
            "peak_kw": float(total_kw.max()),
            "peak_time_utc": total_kw.idxmax().isoformat(),
            "sum_of_peaks_kw": float(peak_kw.sum()),
        },
        "out": str(out) if out is not None else None,
    }
    if as_json:
        print_json(result)
        return
    rows: list[list[Any]] = [
        [b["id"], b["profile"], b["e_kwh"], b["peak_kw"]] for b in result["buildings"]
    ]
    rows.append(
        ["total (coincident peak)", "", result["total"]["e_kwh"], result["total"]["peak_kw"]]
    )
    print_table(
        f"{district.site.name}: building loads {year} ({resolution})",
        ["building", "profile", "kWh/a", "peak kW"],
        rows,
    )
    if out is not None:
        typer.echo(f"wrote {out}")


def lighting(
    file: FileArg,
    year: YearOpt = 2025,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Sun elevation below which lights burn [deg]"),
    ] = DEFAULT_THRESHOLD_DEG,
    as_json: JsonOpt = False,
) -> None:
    """Report street-lighting burning hours and kWh per group: S0, S1, adaptive minimum."""
    with friendly_errors():
        district = load_district(file)
        summary = lighting_summary(district, year, threshold_deg=threshold)
    if as_json:
        print_json(
            {
                "file": str(file),
                "year": year,
                "threshold_deg": threshold,
                "groups": [
                    {"id": gid, **row}
                    for gid, row in summary.drop(index="total").to_dict(orient="index").items()
                ],
                "total": summary.loc["total"].to_dict(),
            }
        )
        return
    rows = [
        [gid, int(r.luminaires), r.burning_h, r.e_s0_kwh, r.e_s1_kwh, r.e_min_kwh]
        for gid, r in summary.iterrows()
    ]
    print_table(
        f"{district.site.name}: street lighting {year} (sun below {threshold:g} deg)",
        ["group", "luminaires", "burning h", "kWh S0", "kWh S1 (50 % 22-06)", "kWh adaptive min"],
        rows,
    )


def register(app: typer.Typer) -> None:
    """Add the ``profile`` and ``lighting`` commands to ``app``."""
    app.command("profile")(profile)
    app.command("lighting")(lighting)
