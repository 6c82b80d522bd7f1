"""One scenario run end to end: district + horizon + options -> schedule, KPIs, savings.

Pipeline (DESIGN.md): weather -> PV, building loads, lighting inputs, tariff
-> dispatch (Pyomo + HiGHS; optionally grid-aware) -> baselines B0 and B1 on
the same inputs -> KPIs and savings -> optional AC power-flow check of the
optimised schedule. Every run records what it used (spec hash, data files with
their SHA-256, the grid, package and solver versions, options, timings, solver
status) beside its results.

The grid of the AC check and of grid-aware dispatch is the district's own
(:func:`energy.models.grid.build_network`) unless a run is given an imported
one: a pandapower net, a pandapower JSON file or a SimBench code
(:func:`energy.models.grid.import_network`), mapped onto the district's nodes
with :func:`energy.models.grid.map_to_district` unless its node table already
holds every node of the district.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import Field, field_validator

from energy.ac_check import grid_summary
from energy.baselines import BaselineResult, class_rule_lighting_kw, flex_baselines
from energy.district import DATA_DIR, District
from energy.grid_status import grid_status
from energy.kpi import CLASS_RULE_COLUMN, COMPARISON_RECORD, HEADLINE_BASELINE, comparison_kpis
from energy.models import cache
from energy.models.flex import FlexInputs, flex_inputs
from energy.models.pv import district_pv_kw
from energy.models.reactive import ReactivePower
from energy.models.tariff import DEFAULT_DAY_AHEAD_FILE, tariff_series
from energy.models.weather import DEFAULT_TRY_FILE, weather_for_index
from energy.models.weather.site import SiteCheck
from energy.optimisation.diagnose import simultaneous_flows
from energy.optimisation.dispatch import DispatchSolution, optimise, solution_schedule
from energy.optimisation.options import DispatchChoices
from energy.optimisation.solve import highs_version
from energy.progress import ProgressCallback, no_progress, scaled
from energy.serialise import RESULTS_LICENCE
from energy.system import DispatchInputs, TerminalSoc, node_injections_kw
from energy.timeindex import RESOLUTIONS, horizon_record, make_index
from energy.variants import added_pv_kwp, unlimited_roof_notes

if TYPE_CHECKING:  # pandapower takes ~1.5 s to import: only when a run needs a grid
    import pandapower as pp

    from energy.optimisation.grid_aware import GridAwareResult

logger = logging.getLogger(__name__)

#: Licence of SimBench grid data (Open Database License 1.0, https://simbench.de).
SIMBENCH_LICENCE = "ODbL-1.0"
#: Attribution of SimBench grid data.
SIMBENCH_ATTRIBUTION = (
    "SimBench (simbench.de), Meinecke et al. 2020, https://doi.org/10.3390/en13123290"
)

#: Packages whose versions a run records.
RECORDED_PACKAGES = (
    "stadtwerk-energy",
    "pyomo",
    "highspy",
    "numpy",
    "pandas",
    "pvlib",
    "demandlib",
    "pandapower",
)


class ScenarioOptions(DispatchChoices):
    """Options of a scenario run: the dispatch choices plus horizon, weather and grid.

    One declaration serves the library, the CLI and the API (the body of a
    scenario; stored as ``model_dump(mode="json")``). ``start`` is the first
    local day, ``days`` the number of local days, ``resolution`` 15min, 30min
    or 1h. ``weather``: None for the shipped test reference year mapped onto
    the horizon, ``"clearsky"``, or a weather or forecast file.
    ``export_cap_frac`` optionally caps export at that fraction of the
    installed kWp (e.g. 0.6 for the former German 60 % rule). Weather whose
    header places it more than ``site_max_distance_km`` from the site, or in
    another time zone, is an error unless ``allow_site_mismatch`` (then a
    warning; :mod:`energy.models.weather.site`). ``reactive``: cos phi of
    loads, lighting and PV in the AC check (:mod:`energy.models.reactive`).

    ``ac_check`` checks the optimised schedule with an AC power flow.
    ``grid_aware`` dispatches with linearised grid limits, re-checked with the
    AC power flow until the schedule is clean or what remains is explained
    (:func:`energy.optimisation.grid_aware.grid_aware_dispatch`); its last AC check
    is the run's grid summary, with or without ``ac_check``. The objective,
    lighting and solver fields are those of
    :class:`~energy.optimisation.options.DispatchChoices`.
    """

    start: dt.date = Field(dt.date(2025, 1, 1), description="First local day (Europe/Berlin)")
    days: int = Field(7, ge=1, le=366, description="Number of local days")
    resolution: Literal["15min", "30min", "1h"] = "1h"
    weather: str | None = Field(
        None, max_length=400, description="Weather source; default: the district's typical year"
    )
    ac_check: bool = Field(True, description="Check the schedule with an AC power flow")
    grid_aware: bool = Field(
        False,
        description=(
            "Dispatch within the grid's limits (the district version's imported grid, else the "
            "one built from its spec): linearised limits re-checked by AC power flow until the "
            "schedule is clean, or the remaining violations are explained"
        ),
    )
    export_cap_frac: float | None = Field(
        None, ge=0, le=10, description="Cap export at this fraction of installed kWp"
    )
    reactive: ReactivePower = Field(default_factory=ReactivePower, description="AC check's cos phi")
    dimming_14a: str | None = Field(
        None,
        max_length=200,
        description="§14a EnWG dimming: daily local windows, e.g. 17:00-20:00 (BK6-22-300)",
    )
    allow_site_mismatch: bool = Field(
        False, description="Run with weather far from the site or in another time zone (warned)"
    )
    site_max_distance_km: float = Field(100.0, gt=0, le=20100, description="Weather to site [km]")

    def site_check(self) -> SiteCheck:
        """How strictly the run's weather must fit the site (:mod:`energy.models.weather.site`)."""
        return SiteCheck(self.allow_site_mismatch, self.site_max_distance_km)

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution_alias(cls, value: Any) -> Any:
        """Accept the spellings of :data:`energy.timeindex.RESOLUTIONS` (e.g. ``h``)."""
        if isinstance(value, str):
            return RESOLUTIONS.get(value.strip().lower(), value)
        return value


@dataclass
class ScenarioResult:
    """Results of one scenario run.

    Attributes
    ----------
    schedule
        Optimised schedule (:mod:`energy.system` format) on the UTC index.
    node_p_kw
        Net power per node [kW], load convention (+ = drawn from the grid).
    kpis
        ``{"optimised": {...}, "B1": {...}, "B0": {...}, "nothing_built": {...}}``
        (:func:`energy.kpi.comparison_kpis`).
    savings
        ``{"vs_B1": {...}, "vs_B0": {...}, "vs_nothing_built": {...}}``: the
        savings vocabulary of :mod:`energy.kpi` (positive = the optimum is
        better; shares in percentage points); B1 is the headline.
    metadata
        Spec hash, data files, versions, options, timings, solver status.
    grid
        Summary of the AC power-flow check, when done (``ac_check`` or
        ``grid_aware``): :func:`energy.models.grid.check.summarise` plus
        ``network`` (the grid used, see :func:`scenario_network`) and, with
        ``grid_aware``, ``grid_aware`` (dispatches, remaining violations, why).
    """

    schedule: pd.DataFrame
    node_p_kw: pd.DataFrame
    kpis: dict[str, dict[str, float]]
    savings: dict[str, dict[str, float]]
    metadata: dict[str, Any]
    grid: dict[str, Any] | None = None
    baselines: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


def inputs_from_district(
    district: District,
    index: pd.DatetimeIndex,
    weather: pd.DataFrame,
    export_cap_kw: float | None = None,
    terminal_soc: TerminalSoc = "geq_initial",
    loads_kw: pd.DataFrame | None = None,
    flex: FlexInputs | None = None,
) -> DispatchInputs:
    """Dispatch inputs of a district on ``index``.

    Parameters
    ----------
    district
        The district spec.
    index
        UTC index (e.g. :func:`energy.timeindex.make_index`).
    weather
        Canonical weather on ``index`` (:func:`energy.models.weather.weather_for_index`).
    export_cap_kw
        Optional export cap [kW] on top of the grid connection's export limit.
    terminal_soc
        Terminal state-of-charge rule of the batteries.
    loads_kw
        Building loads [kW] if already computed; default the BDEW profiles.
    flex
        Heat pumps and EV charging (:func:`energy.models.flex.flex_inputs`), or None.
    """
    tz = district.site.timezone
    pv = district_pv_kw(district, weather)
    loads = loads_kw if loads_kw is not None else cache.loads_kw(district, index)
    light = cache.lighting(district, index) if district.lighting else None
    tariff = tariff_series(district.tariff, index, tz)
    return DispatchInputs(
        index=index,
        load_kw=loads,
        pv_kw=pv,
        pv_node={p.id: p.building for p in district.pv},
        pv_curtailable={p.id: p.curtailable for p in district.pv},
        import_price_eur_per_kwh=tariff["import_price_eur_per_kwh"],
        feed_in_eur_per_kwh=tariff["feed_in_eur_per_kwh"],
        co2_g_per_kwh=tariff["co2_g_per_kwh"],
        import_limit_kw=district.grid.import_limit_effective_kw,
        export_limit_kw=district.grid.export_limit_effective_kw,
        export_cap_kw=export_cap_kw,
        peak_charge_eur_per_kw=district.tariff.peak_charge_eur_per_kw,
        batteries=tuple(district.batteries),
        lighting=light,
        terminal_soc=terminal_soc,
        timezone=tz,
        flex=flex,
        notes=(*weather.attrs.get("site_warnings", ()), *unlimited_roof_notes(district)),
    )


def scenario_inputs(district: District, options: ScenarioOptions) -> DispatchInputs:
    """Dispatch inputs of a scenario: its horizon, weather and export cap applied.

    The one place where a run's inputs are built, so that a run's baselines
    can be recomputed later from its recorded options. Every battery ends
    with the energy it started with (``terminal_soc="equal_initial"``), in
    the optimum and in the baselines alike (:mod:`energy.kpi`, "Stored energy
    at the horizon's end"). Heat pumps and EV charging: :mod:`energy.models.flex`.
    """
    index = make_index(
        options.start.isoformat(), options.days, options.resolution, district.site.timezone
    )
    weather = weather_for_index(index, district.site, options.weather, options.site_check())
    export_cap = (
        None if options.export_cap_frac is None else options.export_cap_frac * district.total_kwp
    )
    flex = flex_inputs(district, index, options.weather, options.dimming_14a)
    return inputs_from_district(district, index, weather, export_cap, "equal_initial", flex=flex)


def _file_record(path: Path) -> dict[str, Any]:
    """Path and SHA-256 of a data file (or a note that it is missing)."""
    if not path.is_file():
        return {"path": str(path), "sha256": None}
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        shown = str(path.resolve().relative_to(DATA_DIR.parent))
    except ValueError:
        shown = str(path)
    return {"path": shown, "sha256": digest}


def scenario_data_files(district: District, options: ScenarioOptions) -> dict[str, Any]:
    """Return the data files a run of ``district`` under ``options`` reads, by role.

    ``weather`` (the TRY default, a user file or the computed clear sky),
    ``day_ahead`` (prices, when the tariff uses them) and ``co2``: each
    ``{"path", "sha256"}`` (path relative to the repository for shipped files;
    ``sha256`` None for a missing file or the clear sky). Recorded as
    ``metadata["data_files"]``; :func:`energy.report.exports.data_sources`
    names their sources and licences.
    """
    files: dict[str, Any] = {}
    if options.weather is None:
        files["weather"] = _file_record(DEFAULT_TRY_FILE)
    elif options.weather.strip().lower() in ("clearsky", "clear_sky"):
        files["weather"] = {"path": "clearsky (pvlib Ineichen)", "sha256": None}
    else:
        files["weather"] = _file_record(Path(options.weather))
    tariff = district.tariff
    if tariff.import_kind == "day_ahead" or tariff.feed_in_zero_when_negative:
        day_ahead = Path(tariff.day_ahead_file or DEFAULT_DAY_AHEAD_FILE)
        files["day_ahead"] = _file_record(
            day_ahead if day_ahead.is_absolute() else DATA_DIR / day_ahead
        )
    if tariff.co2_file:
        co2 = Path(tariff.co2_file)
        files["co2"] = _file_record(co2 if co2.is_absolute() else DATA_DIR / co2)
    return files


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = None
    return out


def scenario_network(
    district: District,
    nodes: list[str],
    network: pp.pandapowerNet | str | Path | None = None,
) -> tuple[pp.pandapowerNet, dict[str, Any]]:
    """Return the pandapower net of a run and the record of where it came from.

    Parameters
    ----------
    district
        The district (with a scenario's changes applied).
    nodes
        Node ids of the dispatch (:attr:`~energy.system.DispatchInputs.nodes`).
    network
        None: the net built from the district. A path of a pandapower JSON
        file or a SimBench code: imported with
        :func:`~energy.models.grid.import_network`. A pandapower net: used as
        given. An imported net whose node table lacks a node of ``nodes`` is
        mapped with :func:`~energy.models.grid.map_to_district` (a copy).

    Returns
    -------
    (net, record)
        ``record``: ``source`` (``"district"``, ``"pandapower"`` or
        ``"simbench"``), ``name``, ``file`` (path and SHA-256 of a JSON file),
        ``code`` (SimBench), ``node_map``, counts of buses, lines and
        transformers, and for SimBench ``licence`` (ODbL-1.0) and ``attribution``.
        A net is SimBench when its name starts with "SimBench", as
        :func:`~energy.models.grid.import_network` names it.
    """
    from energy.models.grid import import_network, map_to_district, node_buses

    record: dict[str, Any]
    if network is None:
        net = cache.network(district)
        record = {"source": "district", "node_map": "built with the district's nodes"}
    else:
        if isinstance(network, str | Path):
            net = import_network(network)
            path = Path(str(network))
            record = {"source": "pandapower"}
            if path.suffix.lower() == ".json":
                record["file"] = _file_record(path)
        else:
            net = network
            record = {"source": "pandapower"}
        name = str(net.name or "")
        if name.startswith("SimBench"):
            record["source"] = "simbench"
            record["code"] = name.removeprefix("SimBench").strip()
        missing = [n for n in nodes if n not in set(node_buses(net).index)]
        if missing:
            net = map_to_district(net, district)
            record["node_map"] = (
                "map_to_district: buildings on the net's load buses in order "
                f"({len(missing)} nodes were not in the net's node table)"
            )
        else:
            record["node_map"] = "the net's own node table"
    record["name"] = str(net.name or "")
    record.update(buses=len(net.bus), lines=len(net.line), trafos=len(net.trafo))
    if record["source"] == "simbench":
        record.update(licence=SIMBENCH_LICENCE, attribution=SIMBENCH_ATTRIBUTION)
    return net, record


def _dispatch(
    district: District,
    inputs: DispatchInputs,
    options: ScenarioOptions,
    net: pp.pandapowerNet | None,
    report: ProgressCallback,
    timings: dict[str, float],
) -> tuple[DispatchSolution, pd.DataFrame, GridAwareResult | None]:
    """Dispatch the run: grid-aware on ``net`` if asked, else on the copper plate."""
    dispatch_options = options.dispatch_options()
    if not options.grid_aware:
        solution = optimise(inputs, dispatch_options, progress=scaled(report, 0.2, 0.7))
        return solution, solution_schedule(inputs, solution), None
    from energy.ac_check import q_kvar_of
    from energy.optimisation.grid_aware import grid_aware_dispatch

    assert net is not None
    t = time.perf_counter()
    q_of = q_kvar_of(district, inputs, options.reactive)
    grid_aware = grid_aware_dispatch(
        inputs, net, dispatch_options, q_kvar_of=q_of, progress=scaled(report, 0.2, 0.7)
    )
    timings["grid_aware_s"] = time.perf_counter() - t
    return grid_aware.solution, grid_aware.schedule, grid_aware


def _warnings(solution: DispatchSolution, grid_aware: GridAwareResult | None) -> list[str]:
    """Return the run's warnings: optimality, simultaneous flows, remaining grid violations."""
    result = solution.result
    warnings: list[str] = []
    if result.status != "optimal":
        warnings.append(f"feasible, not proven optimal (MIP gap {result.mip_gap:.3g})")
    n_sim = simultaneous_flows(solution.p_charge_kw, solution.p_discharge_kw)
    if n_sim:
        warnings.append(f"{n_sim} battery-steps charge and discharge at once")
    if grid_aware is not None and not grid_aware.clean:
        summary = grid_aware.check.summary
        warnings.append(
            f"grid-aware dispatch: {summary['violations']} violations remain in "
            f"{summary['violating_steps']} steps after {len(grid_aware.iterations)} dispatches"
        )
        warnings.extend(f"grid: {text}" for text in grid_aware.unresolved)
    return warnings


def _metadata(
    district: District,
    options: ScenarioOptions,
    inputs: DispatchInputs,
    solution: DispatchSolution,
    net_record: dict[str, Any] | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    """Return what a run records beside its results (licences, inputs, versions, solver)."""
    return {
        "licence": RESULTS_LICENCE,
        "data_licences": [net_record["licence"]]
        if net_record is not None and "licence" in net_record
        else [],
        "district": {"name": district.site.name, "spec_hash": district.spec_hash()},
        "pv_added_kwp": added_pv_kwp(district),
        "horizon": horizon_record(inputs.index, district.site.timezone),
        "options": options.model_dump(mode="json"),
        "data_files": scenario_data_files(district, options),
        "network": net_record,
        "versions": {**_versions(), "solver": highs_version()},
        "solver": {
            **solution.result.record(),
            "storage_units": [list(u.members) for u in solution.layout.storage],
        },
        "timings_s": timings,
    }


def run_scenario(
    district: District,
    options: ScenarioOptions,
    progress: ProgressCallback | None = None,
    network: pp.pandapowerNet | str | Path | None = None,
) -> ScenarioResult:
    """Run a scenario: forecasts, dispatch, baselines, KPIs, savings, AC check.

    Parameters
    ----------
    district
        The district (with a scenario's changes applied).
    options
        Horizon, weather, objective, solver and grid options.
    progress
        Optional progress callback.
    network
        The grid of the AC check and of grid-aware dispatch: None for the net
        built from the district, else an imported pandapower net, pandapower
        JSON file or SimBench code (see :func:`scenario_network`). Unused when
        neither ``options.ac_check`` nor ``options.grid_aware`` is set.

    Returns
    -------
    ScenarioResult
        ``metadata["network"]`` records the grid used (None without one),
        ``metadata["data_licences"]`` the licences of data that went in
        (ODbL-1.0 for a SimBench grid). With ``grid_aware``,
        ``metadata["grid_aware"]`` and ``grid["grid_aware"]`` record the
        dispatches, the violations that remain and why; ``grid["clean"]`` is
        the AC check of the schedule returned, so a schedule with remaining
        violations is never clean, and each remaining violation is also a warning.

    Raises
    ------
    InputDataError
        Bad options or data (e.g. weather that does not cover the horizon, a
        network that the district cannot be mapped onto).
    InfeasibleError
        With a diagnosis in words if the grid limits cannot be met.
    SolverError
        If HiGHS fails or stops without a usable solution.
    """
    report = progress or no_progress
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    report(0.0, f"weather, PV, loads, lighting and tariff for {options.days} days")
    t = time.perf_counter()
    inputs = scenario_inputs(district, options)
    timings["inputs_s"] = time.perf_counter() - t
    net, net_record = _network_for(district, options, inputs, network, timings)
    solution, schedule, grid_aware = _dispatch(district, inputs, options, net, report, timings)
    timings.update({f"{k}_s": v for k, v in solution.result.timings_s.items()})
    report(0.7, "baselines B1 and B0")
    schedule, (b0, b1), kpis, saved = _comparisons(inputs, schedule, timings)
    node_p = node_injections_kw(inputs, schedule)
    run = (inputs, schedule, node_p)
    # the district's own grid: its power flow is prepared once per process (models.cache)
    own = options.ac_check and grid_aware is None and (net_record or {}).get("source") == "district"
    runner = cache.runner(district) if own else None
    grid = grid_summary(
        district, run, options.reactive, options.ac_check, net, grid_aware, report, timings, runner
    )
    if grid is not None:
        grid["network"] = net_record
    timings["total_s"] = time.perf_counter() - t_start
    metadata = _metadata(district, options, inputs, solution, net_record, timings)
    status = grid_status(kpis, grid, schedule["p_import_kw"].to_numpy(), options.import_cap_kw)
    metadata.update(_result_notes(inputs, solution, grid_aware, (b0, b1), status))
    headline = saved[f"vs_{HEADLINE_BASELINE}"]["cost_eur"]
    report(
        1.0,
        f"done: cost {kpis['optimised']['cost_eur']:,.0f} EUR, "
        f"saves {headline:,.0f} EUR vs {HEADLINE_BASELINE}",
    )
    return ScenarioResult(
        schedule=schedule,
        node_p_kw=node_p,
        kpis=kpis,
        savings=saved,
        metadata=metadata,
        grid=grid,
        baselines={"B0": b0.schedule, "B1": b1.schedule},
    )


def _comparisons(
    inputs: DispatchInputs, schedule: pd.DataFrame, timings: dict[str, float]
) -> tuple[
    pd.DataFrame,
    tuple[BaselineResult, BaselineResult],
    dict[str, dict[str, float]],
    dict[str, dict[str, float]],
]:
    """Baselines, the class-rule lighting column, KPIs and savings of every comparison."""
    t = time.perf_counter()
    b0, b1 = flex_baselines(inputs)
    timings["baselines_s"] = time.perf_counter() - t
    schedule = schedule.assign(**{CLASS_RULE_COLUMN: class_rule_lighting_kw(inputs)})
    kpis, saved = comparison_kpis(
        schedule,
        {"B0": b0.schedule, "B1": b1.schedule},
        inputs.batteries,
        inputs.peak_charge_eur_per_kw,
    )
    return schedule, (b0, b1), kpis, saved


def _network_for(
    district: District,
    options: ScenarioOptions,
    inputs: DispatchInputs,
    network: pp.pandapowerNet | str | Path | None,
    timings: dict[str, float],
) -> tuple[pp.pandapowerNet | None, dict[str, Any] | None]:
    """Return the run's grid and its record when the AC check or grid-aware dispatch needs one."""
    if not (options.ac_check or options.grid_aware):
        if network is not None:
            logger.info("network given but not used: neither ac_check nor grid_aware is set")
        return None, None
    t = time.perf_counter()
    net, record = scenario_network(district, inputs.nodes, network)
    timings["network_s"] = time.perf_counter() - t
    return net, record


def _result_notes(
    inputs: DispatchInputs,
    solution: DispatchSolution,
    grid_aware: GridAwareResult | None,
    baselines: tuple[BaselineResult, BaselineResult],
    status: dict[str, Any],
) -> dict[str, Any]:
    """Warnings (inputs' notes first), baseline notes, comparisons, grid status, grid-aware."""
    notes: dict[str, Any] = {
        "baselines": {b.name: b.notes for b in baselines},
        "comparisons": dict(COMPARISON_RECORD),
        "grid_status": status,
        "warnings": [*inputs.notes, *_warnings(solution, grid_aware), *status["warnings"]],
    }
    if grid_aware is not None:
        notes["grid_aware"] = grid_aware.record()
    return notes
