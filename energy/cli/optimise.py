"""``energy optimise``: dispatch a district, compare with the baselines, write the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from energy.cli._grid_status import print_grid_status
from energy.cli._options import (
    AllowSiteMismatchOpt,
    AutarkyMetricOpt,
    DaysOpt,
    FileArg,
    JsonOpt,
    MinSelfSufficiencyOpt,
    ObjectiveOpt,
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
    source_fields,
)
from energy.district import load_district
from energy.kpi import (
    BASELINES,
    COMPARISON_LABELS,
    COMPARISONS,
    FRACTION_KPIS,
    HEADLINE_BASELINE,
)
from energy.report.exports import export_info
from energy.report.results import write_outputs
from energy.scenario import ScenarioOptions, ScenarioResult, run_scenario

#: KPI rows of the table: (key, label, number format).
TABLE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("cost_eur", "cost [EUR]", "{:,.2f}"),
    ("e_import_kwh", "import [kWh]", "{:,.1f}"),
    ("e_export_kwh", "export [kWh]", "{:,.1f}"),
    ("co2_kg", "CO2 [kg]", "{:,.1f}"),
    ("self_sufficiency", "self-sufficiency [%]", "pct"),
    ("self_consumption", "self-consumption [%]", "pct"),
    ("peak_import_kw", "peak import [kW]", "{:,.1f}"),
    ("e_lighting_kwh", "lighting [kWh]", "{:,.1f}"),
    ("e_curtailed_kwh", "curtailed PV [kWh]", "{:,.1f}"),
    ("battery_cycles", "battery full cycles", "{:,.2f}"),
)
#: Further rows of a district with heat pumps or wallboxes (energy.kpi.flex_kpis).
FLEX_ROWS: tuple[tuple[str, str, str], ...] = (
    ("e_heat_pump_kwh", "heat pumps [kWh]", "{:,.1f}"),
    ("scop", "seasonal COP", "{:,.2f}"),
    ("e_ev_kwh", "EV charging [kWh]", "{:,.1f}"),
    ("ev_pv_share", "EV energy from local PV [%]", "pct"),
    ("self_sufficiency_heat", "self-sufficiency el.+heat [%]", "pct"),
    ("e_heat_unmet_kwh", "heat not met [kWh]", "{:,.1f}"),
)


def _fmt(value: float, fmt: str) -> str:
    if value != value:  # NaN
        return "-"
    return f"{100 * value:,.1f}" if fmt == "pct" else fmt.format(value)


def _fmt_saving(saved: dict[str, float], key: str, fmt: str) -> str:
    """Format the saving of KPI ``key`` (energy.kpi): shares as ``+15.3 pp``, "-" if none."""
    name = f"{key}_points" if key in FRACTION_KPIS else key
    value = saved.get(name)
    if value is None or value != value:  # no saving defined, or NaN
        return "-"
    return f"{value:+,.1f} pp" if fmt == "pct" else fmt.format(value)


NetworkOpt = Annotated[
    str | None,
    typer.Option(
        "--network",
        metavar="FILE_OR_SIMBENCH_CODE",
        help="Grid for the AC check and --grid-aware: a pandapower JSON file or a SimBench "
        "code such as 1-LV-semiurb4--0-sw (default: built from the district)",
    ),
]


def optimise(
    file: FileArg,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 7,
    resolution: ResolutionOpt = "1h",
    objective: ObjectiveOpt = "cost",
    lighting: Annotated[
        str, typer.Option("--lighting", help="lp (continuous dim levels) or milp (discrete)")
    ] = "lp",
    max_changes: Annotated[
        int | None,
        typer.Option("--max-changes", min=0, help="MILP: level changes per night and group"),
    ] = None,
    weather: WeatherOpt = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=0.001, help="Solver time limit [s]")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for schedule.csv/.parquet, kpis.json")
    ] = None,
    ac_check: Annotated[
        bool, typer.Option("--ac-check/--no-ac-check", help="AC power-flow check of the result")
    ] = True,
    grid_aware: Annotated[
        bool,
        typer.Option(
            "--grid-aware",
            help="Dispatch within the grid's limits (linearised, re-checked by AC power flow)",
        ),
    ] = False,
    network: NetworkOpt = None,
    import_cap: Annotated[
        float | None,
        typer.Option(
            "--import-cap",
            min=0.001,
            help="Keep import under this [kW] where batteries and lighting can (peak cap)",
        ),
    ] = None,
    pv_reactive: Annotated[
        str,
        typer.Option(
            "--pv-reactive",
            help="PV reactive power in the AC check: cos_phi_p (VDE-AR-N 4105 characteristic), "
            "fixed (cos phi 0.95 under-excited above 13.8 kVA) or unity",
        ),
    ] = "cos_phi_p",
    load_cos_phi: Annotated[
        float | None,
        typer.Option(
            "--load-cos-phi",
            min=0.01,
            max=1.0,
            help="One inductive cos phi for every load (default by profile: households 0.95, "
            "commerce 0.90)",
        ),
    ] = None,
    allow_site_mismatch: AllowSiteMismatchOpt = False,
    dimming_14a: Annotated[
        str | None,
        typer.Option(
            "--dimming-14a",
            help="§14a EnWG dimming windows, daily local, e.g. 17:00-20:00 (BK6-22-300)",
        ),
    ] = None,
    min_self_sufficiency: MinSelfSufficiencyOpt = None,
    autarky_metric: AutarkyMetricOpt = "self_sufficiency",
    as_json: JsonOpt = False,
) -> None:
    """Optimise batteries, street lighting, heat pumps and charging; compare with B0 and B1."""
    with friendly_errors():
        district = load_district(file)
        options = ScenarioOptions(
            start=start,
            days=days,
            resolution=resolution,
            objective=objective,
            weather=weather,
            lighting_mode=lighting,
            max_changes_per_night=max_changes,
            time_limit_s=time_limit,
            ac_check=ac_check,
            grid_aware=grid_aware,
            import_cap_kw=import_cap,
            reactive={"pv": pv_reactive, "all_loads_cos_phi": load_cos_phi},
            allow_site_mismatch=allow_site_mismatch,
            dimming_14a=dimming_14a,
            min_self_sufficiency=min_self_sufficiency,
            autarky_metric=autarky_metric,
        )
        if network is not None and not (ac_check or grid_aware):
            typer.echo(
                "warning: --network is not used without the AC check or --grid-aware", err=True
            )
        result = run_scenario(district, options, progress_printer(True), network=network)
        written = write_outputs(result, out) if out is not None else []
    info = export_info(result.metadata)
    if as_json:
        print_json(
            {
                "file": str(file),
                "status": result.metadata["solver"]["status"],
                "horizon": result.metadata["horizon"],
                "headline_baseline": HEADLINE_BASELINE,
                "baseline_labels": COMPARISON_LABELS,
                "kpis": result.kpis,
                "savings": result.savings,
                "definitions": SAVINGS_NOTE,
                "grid": result.grid,
                "grid_status": result.metadata["grid_status"],
                "pv_added_kwp": result.metadata.get("pv_added_kwp", {}),
                **source_fields(info),
                "warnings": result.metadata["warnings"],
                "outputs": [str(p) for p in written],
            }
        )
        return
    _print_result(
        result,
        f"{district.site.name}: {days} days from {start} at {resolution}, objective {objective}",
    )
    for path in written:
        typer.echo(f"wrote {path}")


#: What the savings columns mean (printed under the table, carried in the JSON).
SAVINGS_NOTE = (
    "saved = comparison minus optimised, positive when the optimum is better; shares in "
    "percentage points; B1 is the headline, B0 the reference; every battery ends with the "
    "energy it started with (docs/definitions.md)"
)


def _print_result(result: ScenarioResult, title: str) -> None:
    """Print the KPI table against B1, B0 and nothing built, the notes, AC check, licences."""
    k, s = result.kpis, result.savings
    rows: list[list[Any]] = [
        [
            label,
            _fmt(k["optimised"][key], fmt),
            *(_fmt(k[name][key], fmt) for name in BASELINES),
            *(_fmt_saving(s[f"vs_{name}"], key, fmt) for name in COMPARISONS),
        ]
        for key, label, fmt in TABLE_ROWS
    ]
    rows += [
        [label, _fmt(k["optimised"][key], fmt), *(_fmt(k[name][key], fmt) for name in BASELINES)]
        + [""] * len(COMPARISONS)
        for key, label, fmt in FLEX_ROWS
        if key in k["optimised"]
    ]
    print_table(
        f"{title} ({result.metadata['solver']['status']})",
        [
            "KPI",
            "optimised",
            "B1",
            "B0",
            "saved vs B1 (headline)",
            "saved vs B0",
            "saved vs nothing built",
        ],
        rows,
    )
    typer.echo(SAVINGS_NOTE)
    typer.echo(_lighting_words(s[f"vs_{HEADLINE_BASELINE}"]))
    for warning in result.metadata["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    used = result.metadata.get("network") or {}
    if result.grid is not None:
        grid = result.grid
        typer.echo(
            f"AC check on {used.get('name', '?')} ({used.get('buses', '?')} buses): "
            f"{grid.get('violations', 0)} violations in {grid.get('violating_steps', 0)} steps"
        )
        aware = grid.get("grid_aware")
        if aware is not None:
            n = aware["dispatches"]
            typer.echo(
                f"grid-aware dispatch: {'clean' if aware['clean'] else 'NOT clean'} after "
                f"{n} dispatch{'' if n == 1 else 'es'} (copper plate: "
                f"{aware['copper_plate_violations']} violations)"
            )
    print_grid_status(result.metadata["grid_status"])
    added = result.metadata.get("pv_added_kwp") or {}
    if added:
        print_table(
            f"PV added by the scenario: {sum(added.values()):,.1f} kWp on {len(added)} roofs",
            ["building", "kWp"],
            [[b, f"{kwp:,.2f}"] for b, kwp in added.items()],
        )
    echo_sources(export_info(result.metadata))


def _lighting_words(saved: dict[str, float]) -> str:
    """Say how the lighting saving against B1 splits into class rule and optimisation."""
    if "e_lighting_optimisation_kwh" not in saved:
        return "lighting: no split into class rule and optimisation for this result"
    extra = saved["e_lighting_optimisation_kwh"]
    words = (
        "the optimum sits at the class minimum, so optimisation adds nothing on top"
        if abs(extra) < 0.05
        else f"optimisation adds {extra:,.1f} kWh on top"
    )
    return (
        f"lighting saved vs B1: {saved['e_lighting_kwh']:,.1f} kWh, of which the "
        f"traffic-adaptive class rule {saved['e_lighting_class_rule_kwh']:,.1f} kWh; {words}"
    )


def register(app: typer.Typer) -> None:
    """Add the ``optimise`` command to ``app``."""
    app.command("optimise")(optimise)
