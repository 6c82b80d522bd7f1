"""``energy compare``, ``energy sweep`` and ``energy savings``: scenarios side by side.

* ``energy compare A.yaml B.yaml ...`` runs each district over the same horizon
  and prints KPIs, savings against B0/B1 and economics side by side.
* ``energy sweep FILE --pv-kwp-added 0,100,200 --battery-kwh-added 0,200,400`` runs a grid of
  PV and battery additions on a local process pool and prints the table, the
  best points and the heat-map grids of self-sufficiency and NPV.
* ``energy savings DIR_OR_FILE --period month`` prints savings per local period,
  split by source, from a run folder (``--out`` of ``energy compare``) or by
  running a district file first.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from energy.analysis.compare import Comparison, compare, row_info
from energy.analysis.savings import (
    BASELINES,
    PERIODS,
    SOURCES,
    SavingsReport,
    savings_report,
)
from energy.cli._options import DaysOpt, JsonOpt, ObjectiveOpt, ResolutionOpt, StartOpt
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
    RobustWeatherOpt,
    TargetOpt,
    print_robust,
    robust_ask,
)
from energy.district import District, load_district
from energy.errors import InputDataError
from energy.kpi import BASELINES as SIMULATED_BASELINES
from energy.kpi import COMPARISON_LABELS
from energy.progress import ProgressCallback, scaled
from energy.report.exports import write_json
from energy.report.results import baselines_for_run, load_run, write_outputs
from energy.scenario import ScenarioOptions, ScenarioResult, run_scenario
from energy.studies.candidates import DEFAULT_C_RATE_KW_PER_KWH
from energy.studies.robust_runs import run_robust_sweep
from energy.studies.sweep import SweepResult, SweepSpec, run_sweep

AcCheckOpt = Annotated[
    bool, typer.Option("--ac-check/--no-ac-check", help="AC power-flow check of each run")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for the CSV/JSON files")]


def _number_list(text: str, option: str) -> list[float]:
    """Parse ``"0,100,200"`` into floats, naming the option on error."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputDataError(
            f"{option}: {text!r} is not a comma-separated list of numbers, e.g. 0,100,200"
        ) from None


def _names(files: list[Path]) -> list[str]:
    """Scenario names from file names: the stem, made unique with -2, -3, ..."""
    names: list[str] = []
    for path in files:
        name, n = path.stem, 1
        while name in names:
            n += 1
            name = f"{path.stem}-{n}"
        names.append(name)
    return names


#: Short metric names of the savings table.
METRIC_LABELS = {
    "cost_eur": "EUR",
    "e_import_kwh": "import kWh",
    "co2_kg": "CO2 kg",
    "self_sufficiency_points": "autarky points",
}


def _labelled(progress: ProgressCallback, label: str) -> ProgressCallback:
    """Prefix every progress message with ``label``."""

    def report(fraction: float, message: str) -> None:
        progress(fraction, f"{label}: {message}")

    return report


#: Printed under a comparison: what the savings rows mean.
COMPARE_NOTE = (
    "saved vs B1 (headline), B0 (reference) and nothing built (no PV, no battery, lighting S0): "
    "comparison minus scenario, positive when the scenario is better; shares in percentage "
    "points (docs/definitions.md)"
)


def _fmt(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if unit == "fraction":
        return f"{100 * value:,.1f} %"
    if unit == "fraction per year":
        return f"{100 * value:,.1f} %/a"
    if unit in ("years", "EUR/kWh", "cycles", "percentage points"):
        return f"{value:,.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _print_comparison(comparison: Comparison, title: str) -> None:
    info = row_info()
    rows = [
        [f"{info[key][0]} [{info[key][1]}]", *(_fmt(v, info[key][1]) for v in values)]
        for key, values in comparison.frame.iterrows()
    ]
    print_table(title, ["indicator", *map(str, comparison.frame.columns)], rows)


def compare_command(
    files: Annotated[list[Path], typer.Argument(help="District YAML or JSON files")],
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    resolution: ResolutionOpt = "1h",
    objective: ObjectiveOpt = "cost",
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="Scenario name (file stem) for incremental economics; "
            "default: each against nothing built",
        ),
    ] = None,
    ac_check: AcCheckOpt = False,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Run districts over the same horizon and compare KPIs, savings and economics.

    The default horizon is a whole year, so annual figures are not
    extrapolated; with --days below 365 they carry extrapolated_from.
    """
    report = progress_printer(True)
    with friendly_errors():
        options = ScenarioOptions(
            start=start, days=days, resolution=resolution, objective=objective, ac_check=ac_check
        )
        names = _names(files)
        districts = {name: load_district(path) for name, path in zip(names, files, strict=True)}
        results: dict[str, ScenarioResult] = {}
        for i, name in enumerate(names):
            part = scaled(report, i / len(names), (i + 1) / len(names))
            results[name] = run_scenario(districts[name], options, _labelled(part, name))
        comparison = compare(results, districts, reference=reference)
        written: list[Path] = []
        if out is not None:
            written = comparison.write(out)
            for name, result in results.items():
                written += write_outputs(result, out / name)
    if as_json:
        print_json({**comparison.to_dict(), "outputs": [str(p) for p in written]})
        return
    _print_comparison(
        comparison,
        f"{len(names)} scenarios: {days} days from {start} at {resolution}, objective "
        f"{objective}; economics {'vs ' + reference if reference else 'vs nothing built'}",
    )
    flagged = {str(v) for v in comparison.frame.loc["extrapolated_from"] if v is not None}
    for label in sorted(flagged):
        typer.echo(
            f"note: annual figures (annual savings, NPV, IRR, payback, LCOE) extrapolated_from: "
            f"{label}, scaled to a year; estimates, not a whole year",
            err=True,
        )
    typer.echo(COMPARE_NOTE)
    echo_sources(comparison.info)
    for path in written:
        typer.echo(f"wrote {path}")


def sweep_command(
    file: Annotated[Path, typer.Argument(help="Base district YAML or JSON file")],
    pv_kwp: Annotated[
        str,
        typer.Option(
            "--pv-kwp-added",
            "--pv-kwp",
            help="PV added (pv_kwp_added) [kWp], comma-separated, e.g. 0,100,200",
        ),
    ] = "0",
    battery_kwh: Annotated[
        str,
        typer.Option(
            "--battery-kwh-added",
            "--battery-kwh",
            help="Battery added at the substation (battery_kwh_added) [kWh], e.g. 0,200,400",
        ),
    ] = "0",
    c_rate: Annotated[
        float, typer.Option("--c-rate", help="Power per kWh of an added battery [kW/kWh]")
    ] = DEFAULT_C_RATE_KW_PER_KWH,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    resolution: ResolutionOpt = "1h",
    objective: ObjectiveOpt = "cost",
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes")] = 2,
    robust: RobustOpt = None,
    target: TargetOpt = None,
    weather: RobustWeatherOpt = None,
    prices: RobustPricesOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Sweep PV and battery additions; table, best points, heat maps of autarky and NPV.

    With ``--robust npv:p10`` every point runs over weather x price years
    (``--weather``, ``--prices``) and the answer is each point's figures as
    min/P10/P50/P90/max and the point best by that statistic (or, with
    ``--target``, the first point in grid order that reaches it).
    """
    if robust is not None:
        _robust_sweep(
            file,
            (pv_kwp, battery_kwh, c_rate),
            (start, days, resolution, objective),
            (robust, target, weather, prices),
            workers,
            as_json,
            out,
        )
        return
    if target is not None or weather is not None or prices is not None:
        typer.echo("--target, --weather and --prices go with --robust", err=True)
        raise typer.Exit(1)
    with friendly_errors():
        spec = _sweep_spec(
            file, (pv_kwp, battery_kwh, c_rate), (start, days, resolution, objective)
        )
        result = run_sweep(spec, progress=progress_printer(True), workers=workers)
        written = result.write(out) if out is not None else []
    if as_json:
        print_json({**result.to_dict(), "outputs": [str(p) for p in written]})
        return
    _print_sweep(result, f"sweep of {file.name}: {days} days from {start}", written)


def _print_sweep(result: SweepResult, title: str, written: list[Path]) -> None:
    """Print the sweep table, the annual note, the best points, the sources and the files."""
    columns = (
        ("pv_kwp_added", "PV added [kWp]", "{:,.0f}"),
        ("battery_kwh_added", "battery added [kWh]", "{:,.0f}"),
        ("cost_eur", "cost [EUR]", "{:,.0f}"),
        ("self_sufficiency", "self-sufficiency [%]", "pct"),
        ("capex_eur", "investment [EUR]", "{:,.0f}"),
        ("annual_savings_eur", "annual savings [EUR/a]", "{:,.0f}"),
        ("npv_eur", "NPV [EUR]", "{:,.0f}"),
        ("payback_discounted_years", "payback disc. [a]", "{:,.1f}"),
    )
    rows = [
        [
            "-"
            if row[key] is None or row[key] != row[key]
            else f"{100 * row[key]:.1f}"
            if fmt == "pct"
            else fmt.format(row[key])
            for key, _, fmt in columns
        ]
        for _, row in result.table.iterrows()
    ]
    flag = result.extrapolated_from
    print_table(
        f"{title}, economics vs the base"
        + (f"; annual figures extrapolated_from {flag}" if flag else "; annual figures of a year"),
        [label for _, label, _ in columns],
        rows,
    )
    typer.echo(result.annual_note())
    for metric, label in (("npv_eur", "NPV"), ("self_sufficiency", "self-sufficiency")):
        best = result.best(metric)
        typer.echo(
            f"best by {label}: +{best['pv_kwp_added']:g} kWp PV, "
            f"+{best['battery_kwh_added']:g} kWh battery"
        )
    echo_sources(result.info)
    for path in written:
        typer.echo(f"wrote {path}")


def _sweep_spec(
    file: Path, grid: tuple[str, str, float], run: tuple[str, int, str, str]
) -> SweepSpec:
    """Return the sweep of ``energy sweep``'s options: the grid (PV, battery, C-rate), the run."""
    pv_kwp, battery_kwh, c_rate = grid
    start, days, resolution, objective = run
    return SweepSpec(
        district=load_district(file),
        grid={
            "pv_kwp_added": _number_list(pv_kwp, "--pv-kwp-added"),
            "battery_kwh_added": _number_list(battery_kwh, "--battery-kwh-added"),
        },
        options=ScenarioOptions(
            start=start, days=days, resolution=resolution, objective=objective, ac_check=False
        ),
        battery_c_rate=c_rate,
    )


def _robust_sweep(
    file: Path,
    grid: tuple[str, str, float],
    run: tuple[str, int, str, str],
    robust: tuple[str, float | None, str | None, str | None],
    workers: int,
    as_json: bool,
    out: Path | None,
) -> None:
    """Run ``energy sweep --robust``: every point over the members, the robust choice."""
    start, days = run[0], run[1]
    with friendly_errors():
        ask = robust_ask(*robust)
        spec = _sweep_spec(file, grid, run)
        result = run_robust_sweep(spec, ask, progress=progress_printer(True), workers=workers)
        written = [write_json(result.to_dict(), out / "robust_sweep.json")] if out else []
    if as_json:
        print_json({**result.to_dict(), "outputs": [str(p) for p in written]})
        return
    print_robust(result, f"robust sweep of {file.name}: {days} days from {start}")
    for path in written:
        typer.echo(f"wrote {path}")


def _savings_source(
    path: Path, district_file: Path | None, options: ScenarioOptions
) -> ScenarioResult:
    """Load a run folder (recomputing missing baselines) or run a district file."""
    if path.is_dir():
        result = load_run(path)
        if set(SIMULATED_BASELINES) - set(result.baselines):
            if district_file is None:
                raise InputDataError(
                    f"{path}: has no baseline_B0.parquet / baseline_B1.parquet; give the "
                    "district with --district to recompute them, or write the run with "
                    "energy compare --out"
                )
            result.baselines = baselines_for_run(load_district(district_file), result.metadata)
        return result
    district: District = load_district(path)
    return run_scenario(district, options, progress_printer(True))


def savings_command(
    path: Annotated[
        Path, typer.Argument(help="Run folder (energy compare --out DIR/NAME) or district file")
    ],
    period: Annotated[
        str, typer.Option("--period", help="day, week, month, year or horizon")
    ] = "month",
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="B1, B0 or nothing_built; default all, B1 first"),
    ] = None,
    district_file: Annotated[
        Path | None,
        typer.Option("--district", help="District of a run folder without baseline files"),
    ] = None,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    resolution: ResolutionOpt = "1h",
    objective: ObjectiveOpt = "cost",
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with licence header")] = False,
) -> None:
    """Show savings per day, week, month or year by source (PV, battery, lighting)."""
    with friendly_errors():
        if period not in PERIODS:
            raise InputDataError(f"--period: {period!r} is not allowed; allowed: {list(PERIODS)}")
        if baseline is not None and baseline not in BASELINES:
            raise InputDataError(
                f"--baseline: {baseline!r} is not allowed; allowed: {', '.join(BASELINES)}"
            )
        if as_json and as_csv:
            raise InputDataError("--json and --csv: give one of them")
        options = ScenarioOptions(
            start=start, days=days, resolution=resolution, objective=objective, ac_check=False
        )
        result = _savings_source(path, district_file, options)
        report: SavingsReport = savings_report(
            result, period, (baseline,) if baseline else BASELINES
        )
    if as_json:
        print_json(report.to_dict())
        return
    if as_csv:
        sys.stdout.write(report.to_csv())
        return
    wide = report.frame.pivot_table(
        index=["period", "baseline", "metric"], columns="source", values="value", sort=False
    )
    shown = [*SOURCES, "total"]
    rows = [
        [key[0], key[1], METRIC_LABELS[key[2]], *(float(wide.loc[key, s]) for s in shown)]
        for key in wide.index
    ]
    print_table(
        f"savings by {period} ({report.timezone}): total = baseline minus optimised "
        "= pv + battery + lighting",
        ["period", "baseline", "metric", *shown],
        rows,
        number_format="{:,.2f}",
    )
    for name in report.baselines:
        typer.echo(f"{name}: {COMPARISON_LABELS[name]}")
    typer.echo(
        "positive = the optimised schedule is better; self-sufficiency in percentage points; "
        "lighting splits into class rule and optimisation in --json/--csv (docs/definitions.md)"
    )
    typer.echo(f"licence: {report.info['licence']}; source: {report.info['source']}")
    echo_sources(report.info)


def register(app: typer.Typer) -> None:
    """Add the ``compare``, ``sweep`` and ``savings`` commands to ``app``."""
    app.command("compare")(compare_command)
    app.command("sweep")(sweep_command)
    app.command("savings")(savings_command)
