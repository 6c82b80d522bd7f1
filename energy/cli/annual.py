"""``energy annual``: annual savings, NPV and payback of a district, from a year or typical days.

* ``energy annual FILE`` dispatches the whole calendar year (the reference);
* ``energy annual FILE --typical-days 12`` uses k-medoids typical days
  (:mod:`energy.studies.representative`) and prints their measured error and
  the ranges of annual savings, NPV and payback that follow from it;
* ``--check-full-year`` with ``--typical-days`` runs the whole year as well
  and prints both, with the error of the typical days against it.

Annual savings are those of the whole-system economics (everything built
against nothing built: no PV, no battery, lighting S0), with the operation
savings against B1 (headline) and B0 beside them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from energy.analysis.compare import compare
from energy.cli._options import FileArg, JsonOpt, ObjectiveOpt
from energy.cli._output import (
    echo_sources,
    friendly_errors,
    print_json,
    print_table,
    progress_printer,
    source_fields,
)
from energy.district import District, load_district
from energy.report.exports import study_export_info
from energy.scenario import ScenarioOptions, run_scenario
from energy.studies.representative import AnnualFigures, run_representative

#: Rows of the table: key of the figures, label, number format.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("annual_savings_eur", "annual savings vs nothing built [EUR/a]", "{:,.0f}"),
    ("vs_B1", "operation saving vs B1 (headline) [EUR/a]", "{:,.0f}"),
    ("vs_B0", "operation saving vs B0 [EUR/a]", "{:,.0f}"),
    ("capex_eur", "investment [EUR]", "{:,.0f}"),
    ("npv_eur", "net present value [EUR]", "{:,.0f}"),
    ("payback_simple_years", "payback (simple) [a]", "{:,.1f}"),
    ("payback_discounted_years", "payback (discounted) [a]", "{:,.1f}"),
)


def _full_year(district: District, options: ScenarioOptions) -> dict[str, Any]:
    """Figures of a whole-year dispatch (the reference of every annual figure)."""
    result = run_scenario(district, options, progress_printer(True))
    econ = compare({"year": result}, {"year": district}).economics["year"]
    econ.pop("appraisal")
    return econ | {
        "vs_B1": result.savings["vs_B1"]["cost_eur"],
        "vs_B0": result.savings["vs_B0"]["cost_eur"],
    }


def _typical(district: District, options: ScenarioOptions, k: int) -> tuple[AnnualFigures, dict]:
    """Figures of ``k`` typical days, with their error record."""
    figures = run_representative(district, options, k, progress_printer(True))
    econ = figures.economics(district)
    econ.pop("appraisal")
    return figures, econ | {
        "vs_B1": figures.savings["vs_B1"]["cost_eur"],
        "vs_B0": figures.savings["vs_B0"]["cost_eur"],
    }


def _cell(value: Any, fmt: str) -> str:
    return "-" if value is None or value != value else fmt.format(value)


def annual_command(
    file: FileArg,
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="Calendar year")] = 2025,
    typical_days: Annotated[
        int | None,
        typer.Option("--typical-days", min=1, max=366, help="Use k typical days (k-medoids)"),
    ] = None,
    check_full_year: Annotated[
        bool,
        typer.Option("--check-full-year", help="With --typical-days: run the whole year too"),
    ] = False,
    objective: ObjectiveOpt = "cost",
    as_json: JsonOpt = False,
) -> None:
    """Annual savings, NPV and payback of a district: from the whole year or typical days."""
    with friendly_errors():
        district = load_district(file)
        first = dt.date(year, 1, 1)
        days = (dt.date(year + 1, 1, 1) - first).days
        options = ScenarioOptions(start=first, days=days, objective=objective, ac_check=False)
        columns: dict[str, dict[str, Any]] = {}
        figures = None
        if typical_days is not None:
            figures, columns[f"{typical_days} typical days"] = _typical(
                district, options, typical_days
            )
        if typical_days is None or check_full_year:
            columns["whole year"] = _full_year(district, options)
    info = study_export_info(
        district, options, source=f"annual figures of district {district.site.name!r}, {year}"
    )
    if as_json:
        print_json(
            {
                "file": str(file),
                "year": year,
                "figures": columns,
                "representative": None if figures is None else figures.to_dict(),
                **source_fields(info),
            }
        )
        return
    names = list(columns)
    rows = [[label, *(_cell(columns[n].get(key), fmt) for n in names)] for key, label, fmt in ROWS]
    print_table(f"{district.site.name}: year {year}, objective {objective}", ["", *names], rows)
    if figures is not None:
        _print_error(figures, columns[names[0]], columns.get("whole year"))
    echo_sources(info)


def _print_error(
    figures: AnnualFigures, typical: dict[str, Any], full: dict[str, Any] | None
) -> None:
    """Print the measured error of the typical days and, if run, their error against the year."""
    b = figures.error_bound_frac
    low, high = typical["annual_savings_range_eur"]
    npv_low, npv_high = typical["npv_range_eur"]
    typer.echo(
        f"typical days: {figures.annual_basis}; error estimate of the annual savings vs "
        f"nothing built +-{100 * b:.1f} % (whole-year baselines against the typical days): "
        f"{low:,.0f} to {high:,.0f} EUR/a, NPV {npv_low:,.0f} to {npv_high:,.0f} EUR; "
        f"operation savings vs B1/B0 uncertain by +-{100 * figures.operation_error_frac:.0f} %"
    )
    if full is None:
        return
    for key, label in (("annual_savings_eur", "annual savings"), ("npv_eur", "NPV")):
        error = (typical[key] - full[key]) / abs(full[key])
        typer.echo(f"{label}: typical days {100 * error:+.1f} % against the whole year")


def register(app: typer.Typer) -> None:
    """Add the ``annual`` command to ``app``."""
    app.command("annual")(annual_command)
