"""``energy district ...``: check and summarise a district file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from energy.cli._output import friendly_errors, print_json, print_table
from energy.district import District, load_district, save_district
from energy.errors import InputDataError
from energy.spec_base import validation_problems

district_app = typer.Typer(help="Check and summarise district files.", no_args_is_help=True)


def district_summary(district: District) -> dict[str, float | int | str]:
    """Return the headline figures of a district (counts, kWh/a, kWp, kWh, luminaires)."""
    return {
        "name": district.site.name,
        "buildings": len(district.buildings),
        "annual_demand_kwh": float(sum(b.annual_kwh for b in district.buildings)),
        "pv_systems": len(district.pv),
        "pv_kwp": district.total_kwp,
        "batteries": len(district.batteries),
        "battery_kwh": district.total_battery_kwh,
        "battery_kw": float(sum(b.power_kw for b in district.batteries)),
        "lighting_groups": len(district.lighting),
        "luminaires": int(sum(g.luminaires for g in district.lighting)),
        "lighting_kw": float(sum(g.luminaires * g.nominal_w for g in district.lighting) / 1000),
        "feeders": len(district.grid.feeders),
        "transformer_kva": district.grid.transformer.rating_kva,
    }


def problems(exc: InputDataError) -> list[dict[str, Any]]:
    """Return the problems of a district that failed to load: ``{field, value, message}``.

    Each field of a spec that does not validate (the pydantic error the
    library's error is raised from, :func:`energy.spec_base.validation_problems`);
    otherwise the one error, with the field and value it carries (``file``
    for a file that is missing or not YAML/JSON).
    """
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        return validation_problems(cause)
    return [{"field": exc.field or "file", "value": exc.value, "message": str(exc)}]


@district_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="District YAML or JSON file")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Validate a district file; print its headline figures, or each problem found.

    With ``--json`` a bad file prints ``{"valid": false, "file", "errors": [{"field",
    "value", "message"}]}`` on stdout (exit code 1), one entry per problem.
    """
    if as_json:
        try:
            district = load_district(file)
        except InputDataError as exc:
            print_json({"valid": False, "file": str(file), "errors": problems(exc)})
            raise typer.Exit(code=1) from None
    with friendly_errors():
        district = load_district(file)
    summary = district_summary(district)
    if as_json:
        print_json({"valid": True, "file": str(file), **summary})
        return
    print_table(f"{file}: valid", ["figure", "value"], list(summary.items()))


@district_app.command("import-geojson")
def import_geojson_command(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection (OSM or ALKIS export)")],
    out: Annotated[Path, typer.Option("--out", help="District file to write (.yaml or .json)")],
    name: Annotated[str, typer.Option("--name", help="Name of the district")] = "Imported district",
    pv: Annotated[bool, typer.Option("--pv", help="PV on every roof (usable area)")] = False,
    source: Annotated[
        str, typer.Option("--source", help="Where the geometry comes from (kept in the spec)")
    ] = "GeoJSON import",
    licence: Annotated[
        str, typer.Option("--licence", help="Licence of the geometry (ODbL-1.0 for OSM)")
    ] = "ODbL-1.0",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Import buildings (footprints, types, levels, addresses) and feeders from GeoJSON.

    Roof area and orientation come from each footprint, demand from type and
    floor area, feeders from a power=cable layer or along the streets
    (energy.geometry). Anything wrong is refused whole, naming each feature.
    """
    from energy.geometry import read_geojson

    with friendly_errors():
        district = read_geojson(file, name=name, pv=pv, source=source, licence=licence)
        save_district(district, out)
    assert district.geometry is not None
    roofs = {b: g.roof.area_m2 for b, g in district.geometry.buildings.items()}
    summary = district_summary(district) | {"roof_area_m2": float(sum(roofs.values()))}
    if as_json:
        print_json({"file": str(out), **summary, "roof_area_m2_by_building": roofs})
        return
    print_table(f"{file} -> {out}", ["figure", "value"], list(summary.items()))


def register(app: typer.Typer) -> None:
    """Add the ``district`` command group to ``app``."""
    app.add_typer(district_app, name="district")
