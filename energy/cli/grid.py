"""``energy grid ...``: AC check of a schedule, PV hosting capacity, GeoJSON export."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import pandapower as pp
import pandas as pd
import typer

from energy.cli._options import FileArg
from energy.cli._output import friendly_errors, print_json, print_table, progress_printer
from energy.district import District, load_district
from energy.errors import InputDataError
from energy.models.grid.build import build_network, import_network, map_to_district
from energy.models.grid.check import Limits, check_result
from energy.models.grid.geojson import to_geojson
from energy.models.grid.powerflow import GridTimeSeriesResult, TimeSeriesRunner
from energy.studies.hosting import district_b0_node_p_kw, district_hosting_capacity
from energy.timeindex import make_index, require_utc_index

logger = logging.getLogger(__name__)

grid_app = typer.Typer(
    help="Low-voltage grid: AC checks, hosting capacity, GeoJSON.", no_args_is_help=True
)

#: File names of a node schedule inside a run output directory (first found wins).
SCHEDULE_FILES = ("node_p_kw.parquet", "node_p_kw.csv")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
NetworkOpt = Annotated[
    str | None,
    typer.Option(
        "--network",
        help="Use this grid instead of the district's own: a pandapower JSON file or "
        "a SimBench code (e.g. 1-LV-semiurb4--0-sw); buildings are mapped onto its loads in order",
    ),
]
StartOpt = Annotated[str, typer.Option("--start", help="First local day, e.g. 2025-06-01")]
DaysOpt = Annotated[int, typer.Option("--days", min=1, max=366, help="Number of local days")]
ResolutionOpt = Annotated[str, typer.Option("--resolution", help="15min, 30min or 1h")]
WeatherOpt = Annotated[
    str | None,
    typer.Option(
        "--weather", help="Weather file or 'clearsky'; default the shipped test reference year"
    ),
]


def read_node_schedule(path: Path) -> pd.DataFrame:
    """Read node powers [kW] (UTC index x node ids) from a file or a run directory.

    A directory is searched for :data:`SCHEDULE_FILES`. CSV files need the time
    in the first column (ISO 8601 with offset, or UTC).
    """
    target = path
    if path.is_dir():
        found = [path / name for name in SCHEDULE_FILES if (path / name).is_file()]
        if not found:
            raise InputDataError(f"{path}: contains none of {', '.join(SCHEDULE_FILES)}")
        target = found[0]
    if not target.is_file():
        raise InputDataError(f"{target}: file not found")
    if target.suffix.lower() == ".parquet":
        frame = pd.read_parquet(target)
    else:
        frame = pd.read_csv(target, index_col=0)
        try:
            frame.index = pd.to_datetime(frame.index, utc=True)
        except (ValueError, TypeError) as exc:
            raise InputDataError(f"{target}: first column is not a time stamp ({exc})") from exc
    require_utc_index(frame.index, str(target))
    return frame.astype(float)


def _network(district: District, network: str | None) -> pp.pandapowerNet:
    if network is None:
        return build_network(district)
    return map_to_district(import_network(network), district)


def _schedule(
    district: District,
    schedule: Path | None,
    start: str,
    days: int,
    resolution: str,
    weather: str | None,
) -> pd.DataFrame:
    if schedule is not None:
        return read_node_schedule(schedule)
    from energy.models.weather import weather_for_index

    index = make_index(start, days, resolution, district.site.timezone)
    return district_b0_node_p_kw(district, index, weather_for_index(index, district.site, weather))


def _b0_with_reactive(
    district: District, start: str, days: int, resolution: str, weather: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """B0's node powers [kW] and their reactive power [kvar] (energy.studies.hosting)."""
    from energy.models.weather import weather_for_index
    from energy.studies.hosting import district_b0_q_kvar

    index = make_index(start, days, resolution, district.site.timezone)
    return district_b0_q_kvar(district, index, weather_for_index(index, district.site, weather))


def _violation_groups(found: pd.DataFrame) -> list[dict[str, Any]]:
    """One record per element and kind: count, worst value and its local time."""
    if not len(found):
        return []
    records = []
    for (etype, element, kind), grp in found.groupby(
        ["element_type", "element", "kind"], sort=False
    ):
        worst = grp["value"].idxmin() if kind == "undervoltage" else grp["value"].idxmax()
        records.append(
            {
                "element_type": etype,
                "element": element,
                "kind": kind,
                "steps": len(grp),
                "worst": float(grp.at[worst, "value"]),
                "limit": float(grp.at[worst, "limit"]),
                "unit": grp.at[worst, "unit"],
                "worst_time_local": grp.at[worst, "time_local"].isoformat(),
                "first_time_local": grp["time_local"].iloc[0].isoformat(),
            }
        )
    return sorted(records, key=lambda r: -r["steps"])


@grid_app.command("check")
def check(
    file: FileArg,
    schedule: Annotated[
        Path | None,
        typer.Option(
            "--schedule",
            help="Run output directory (node_p_kw.parquet/.csv) or such a file; "
            "default: the unoptimised schedule, baseline B0 (batteries idle, lighting S0)",
        ),
    ] = None,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    resolution: ResolutionOpt = "1h",
    weather: WeatherOpt = None,
    network: NetworkOpt = None,
    cos_phi: Annotated[
        float | None,
        typer.Option(
            "--cos-phi",
            help="One power factor for every node; default: B0 with loads by profile and PV by "
            "VDE-AR-N 4105 (energy.models.reactive), a --schedule at cos phi 1",
        ),
    ] = None,
    v_min: Annotated[float, typer.Option("--v-min", help="Lower voltage limit [pu]")] = 0.90,
    v_max: Annotated[float, typer.Option("--v-max", help="Upper voltage limit [pu]")] = 1.10,
    max_loading: Annotated[
        float, typer.Option("--max-loading", help="Line/transformer loading limit [%]")
    ] = 100.0,
    rise: Annotated[
        float,
        typer.Option("--rise", help="Voltage-rise limit above no-load [%] (VDE-AR-N 4105: 3)"),
    ] = 3.0,
    as_json: JsonOpt = False,
) -> None:
    """AC power flow of a schedule: voltages, loadings, losses and every violation."""
    with friendly_errors():
        district = load_district(file)
        limits = Limits(v_min, v_max, max_loading, rise)
        q_kvar, reactive = None, f"cos phi {cos_phi or 1.0:g} at every node"
        if schedule is None and cos_phi is None:
            nodes, q_kvar = _b0_with_reactive(district, start, days, resolution, weather)
            reactive = "loads by profile, PV by VDE-AR-N 4105 cos phi(P) (energy.models.reactive)"
        else:
            nodes = _schedule(district, schedule, start, days, resolution, weather)
        runner = TimeSeriesRunner(_network(district, network))
        result = runner.run(
            nodes,
            q_kvar=q_kvar,
            cos_phi=cos_phi or 1.0,
            progress=None if as_json else progress_printer(),
        )
        checked = check_result(result, limits, district.site.timezone)
    groups = _violation_groups(checked.violations)
    if as_json:
        print_json(
            {
                "file": str(file),
                "summary": checked.summary,
                "reactive_power": reactive,
                "limits": asdict(limits),
                "violations": groups,
            }
        )
        return
    print_table(
        f"{file}: AC grid check ({reactive})",
        ["figure", "value"],
        [(k, v) for k, v in checked.summary.items()],
        number_format="{:,.4g}",
    )
    if groups:
        print_table(
            f"violations ({len(checked.violations)} element-steps)",
            ["element", "kind", "steps", "worst", "limit", "worst at (local)"],
            [
                (g["element"], g["kind"], g["steps"], g["worst"], g["limit"], g["worst_time_local"])
                for g in groups[:30]
            ],
            number_format="{:,.3f}",
        )


@grid_app.command("hosting-capacity")
def hosting_capacity(
    file: FileArg,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    weather: WeatherOpt = None,
    network: NetworkOpt = None,
    n_critical: Annotated[
        int, typer.Option("--critical-steps", min=2, help="Critical steps searched")
    ] = 48,
    max_kwp: Annotated[float, typer.Option("--max-kwp", help="Search cap per building")] = 1000.0,
    as_json: JsonOpt = False,
) -> None:
    """Additional PV [kWp] each building, and the district at once, can host."""
    with friendly_errors():
        from energy.models.weather import weather_for_index

        district = load_district(file)
        index = make_index(start, days, "1h", district.site.timezone)
        wx = weather_for_index(index, district.site, weather)
        result = district_hosting_capacity(
            district,
            index,
            wx,
            net=_network(district, network),
            n_critical=n_critical,
            max_kwp=max_kwp,
            progress=None if as_json else progress_printer(),
        )
    table = result.per_node
    if as_json:
        print_json(
            {
                "file": str(file),
                "district_total_kwp": result.district_total_kwp,
                "scale_frac": result.scale_frac,
                "critical_steps": len(result.critical_steps),
                "base_violation_steps": result.base_violation_steps,
                "nodes": table.reset_index().to_dict(orient="records"),
            }
        )
        return
    print_table(
        f"{file}: PV hosting capacity [kWp]",
        ["building", "alone kWp", "limited by", "at once kWp"],
        [
            (
                n,
                r["hosting_kwp"],
                r["limited_by"] or ("cap" if r["at_cap"] else ""),
                r["simultaneous_kwp"],
            )
            for n, r in table.iterrows()
        ],
    )
    print_table(
        "district",
        ["figure", "value"],
        [
            ("all buildings at once [kWp]", result.district_total_kwp),
            ("fraction of each building's own capacity", result.scale_frac),
            ("critical steps", len(result.critical_steps)),
        ],
        number_format="{:,.3f}",
    )


@grid_app.command("geojson")
def geojson(
    file: FileArg,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output GeoJSON file (default grid.geojson, none with --json)"),
    ] = None,
    schedule: Annotated[
        Path | None,
        typer.Option(
            "--schedule", help="Attach AC results of this schedule (run directory or file)"
        ),
    ] = None,
    results: Annotated[
        bool,
        typer.Option(
            "--results/--no-results",
            help="Attach AC results (of baseline B0 unless --schedule is given)",
        ),
    ] = False,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    weather: WeatherOpt = None,
    network: NetworkOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the GeoJSON on stdout (and --out only if given)")
    ] = False,
) -> None:
    """Write buses, lines and the transformer as GeoJSON, optionally with AC results."""
    with friendly_errors():
        district = load_district(file)
        net = _network(district, network)
        result: GridTimeSeriesResult | None = None
        if results or schedule is not None:
            nodes = _schedule(district, schedule, start, days, "1h", weather)
            result = TimeSeriesRunner(net).run(nodes)
        collection = to_geojson(net, result)
        if out is None and not as_json:
            out = Path("grid.geojson")
        if out is not None:
            out.write_text(json.dumps(collection, ensure_ascii=False) + "\n", encoding="utf-8")
    if as_json:
        print_json(collection)
        return
    print_json({"out": str(out), "features": len(collection["features"]), **collection["metadata"]})


def register(app: typer.Typer) -> None:
    """Add the ``grid`` command group to ``app``."""
    app.add_typer(grid_app, name="grid")
