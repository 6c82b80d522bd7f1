"""Job kinds: what a job row of each ``Run.kind`` does, dispatched by one table.

Every kind shares claiming, heartbeat, progress, cancelling and recovery
(:mod:`api.jobs`); kinds differ only in their work: a function that takes the
:class:`Job` (the row, the district of its exact version with its changes,
its options, a progress callback) and returns what to store
(:class:`Output`: a results row, JSON for ``Run.output``, or a new district
version, :class:`NewVersion`).
:data:`JOB_KINDS` maps each :class:`~api.schemas.RunKind` to its work.

Adding a kind (an ensemble member, a Pareto point, ...):

1. a member of :class:`api.schemas.RunKind` (the stored value, at most 16
   characters; no migration: the column is a plain string);
2. one work function here, ``def run_x(job: Job) -> Output``, that calls the
   library and returns the result;
3. one entry in :data:`JOB_KINDS`: the noun used in messages, the function,
   and whether the job needs the version's imported grid.

Jobs of the new kind are created like sweep points and sizings, through
:meth:`api.crud.runs.JobInputs.new_job` with ``kind=`` and ``params=``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.gridmap import run_map
from api.runstore import (
    GRID_ELEMENTS_KEY,
    GRID_MAP_KEY,
    json_safe,
    mapped_network_json,
    result_row,
)
from api.schemas import RunKind
from api.study_schemas import ParetoCreate, RobustCreate, SizingCreate, economic_assumptions
from api.tables import Run, RunResult
from api.uploads import SIMBENCH_LICENCE
from energy.district import District
from energy.progress import ProgressCallback

if TYPE_CHECKING:
    from energy.scenario import ScenarioResult

#: A function that runs a scenario: :func:`default_runner` or a stand-in in tests. Called as
#: ``runner(district, options, progress)``, plus ``network=net`` when the run's district
#: version carries an imported grid (:func:`api.runstore.load_run_network`).
Runner = Callable[..., "ScenarioResult"]


def default_runner(
    district: District, options: dict[str, Any], progress: ProgressCallback, network: Any = None
) -> Any:
    """Run the scenario with :func:`energy.scenario.run_scenario` (on ``network`` if given)."""
    from energy.scenario import ScenarioOptions, run_scenario

    return run_scenario(district, ScenarioOptions(**options), progress=progress, network=network)


@dataclass(frozen=True)
class Job:
    """What the work of one job gets.

    Attributes
    ----------
    run
        The job row (``params`` holds the kind's request).
    district
        The run's exact district version with the run's changes.
    options
        Run options, the weather file resolved (:func:`api.runstore.load_run_inputs`).
    progress
        Reports progress (0..1 and a message); raises when the job was cancelled.
    runner
        Runs a scenario (:func:`default_runner` or a stand-in in tests).
    network
        The version's imported grid for kinds that ask for it, else None.
    """

    run: Run
    district: District
    options: dict[str, Any]
    progress: ProgressCallback
    runner: Runner
    network: Any = None


@dataclass(frozen=True)
class NewVersion:
    """A district version a job stores when it ends: the job's version's spec with a grid.

    Stored by :func:`api.jobs.execute_run` in the transaction that marks the
    job succeeded, as the next version of the district of the job's
    ``district_version_id``, so the version exists exactly when the job
    succeeded.

    Attributes
    ----------
    source
        How the grid came in (``simbench``), as ``DistrictVersion.source``.
    network_json
        The imported net (``pandapower.to_json``), the district's nodes mapped onto it.
    licence
        Licence of the grid data (SimBench: ODbL-1.0).
    """

    source: str
    network_json: str
    licence: str | None


@dataclass(frozen=True)
class Output:
    """What a job's work stores: a ``run_results`` row, JSON for ``Run.output``, a version."""

    result: RunResult | None = None
    output: dict[str, Any] | None = None
    version: NewVersion | None = None


#: The work of a kind of job.
Work = Callable[[Job], Output]


@dataclass(frozen=True)
class JobKind:
    """One entry of :data:`JOB_KINDS`: how a kind is named, its work, whether it needs a grid."""

    noun: str
    work: Work
    uses_network: bool = False


def run_scenario_job(job: Job) -> Output:
    """Run a scenario (optimum, AC check, baselines); the result goes to ``run_results``.

    With an AC check the run's map is drawn now, from the check's per-element
    extremes (``grid["elements"]``), and stored as ``grid["map"]``
    (:func:`api.gridmap.run_map`), so ``/runs/{id}/grid.geojson`` runs no power
    flow and builds no network.
    """
    assert job.run.id is not None
    extra = {} if job.network is None else {"network": job.network}
    result = job.runner(job.district, job.options, job.progress, **extra)
    row = result_row(job.run.id, result)
    elements = (row.grid or {}).get(GRID_ELEMENTS_KEY)
    node_p_kw = getattr(result, "node_p_kw", None)
    if elements is not None and node_p_kw is not None and len(node_p_kw.columns):
        nodes = [str(c) for c in node_p_kw.columns]
        collection = run_map(job.district, nodes, job.network, elements)
        row.grid = (row.grid or {}) | {GRID_MAP_KEY: json_safe(collection)}
    return Output(result=row)


def run_sweep_point_job(job: Job) -> Output:
    """Run one point of a sweep (:func:`energy.studies.sweep.run_point`); output its record."""
    from energy.studies.sweep import run_point

    assert job.run.params is not None
    params = job.run.params
    record = run_point(job.district, params["changes"], job.options)
    if params.get("robust"):
        record["members"] = robust_member_records(job, params["changes"], params["robust"])
    job.progress(1.0, f"point done: {record['status']}")
    return Output(output=record)


def robust_member_records(
    job: Job, changes: dict[str, Any], robust: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run a sweep point once per member of its robust request, in member order.

    Each record is :func:`energy.studies.robust_runs.run_member_point`'s (a
    member that fails is a record with ``error``); progress after each member
    (a cancelled job stops there).
    """
    from energy.studies.robust_runs import run_member_point

    ask = RobustCreate.model_validate(robust).ask()
    members = ask.members()
    records = []
    for k, (label, weather, year) in enumerate(members):
        job.progress(k / (len(members) + 1), f"member {label}")
        records.append(run_member_point(job.district, changes, job.options, weather, year))
    return records


def run_sizing_job(job: Job) -> Output:
    """Size new capacities (:func:`energy.studies.sizing.size`); output its ``to_dict()``."""
    from energy.scenario import ScenarioOptions
    from energy.studies.sizing import size

    request = SizingCreate.model_validate(job.run.params)
    if request.robust is not None:
        return run_robust_sizing(job, request)
    sized = size(
        job.district,
        ScenarioOptions(**job.options),
        request.spec(),
        progress=job.progress,
        reference=request.reference,
        sweep_battery_kwh=request.sweep_battery_kwh,
        sweep_pv_kwp=request.sweep_pv_kwp,
    )
    return Output(output=json_safe(sized.to_dict()))


def run_robust_sizing(job: Job, request: SizingCreate) -> Output:
    """Find the smallest candidate size whose statistic over the members reaches the target."""
    from energy.studies.pool import SerialExecutor
    from energy.studies.robust_runs import robust_size

    assert request.robust is not None
    spec = request.robust_spec(job.district, job.options)
    result = robust_size(
        spec,
        request.robust.ask(),
        request.robust.search,
        executor=SerialExecutor(),
        progress=job.progress,
    )
    return Output(output=json_safe(result.to_dict()))


def run_pareto_job(job: Job) -> Output:
    """Compute what autarky costs (:func:`energy.studies.pareto.pareto`); output ``to_dict()``."""
    from energy.scenario import ScenarioOptions
    from energy.studies.pareto import pareto

    request = ParetoCreate.model_validate(job.run.params)
    first_pv = job.district.pv[0].id if job.district.pv else None
    front = pareto(
        job.district,
        ScenarioOptions(**job.options),
        request.sizing(first_pv).spec(),
        points=request.points,
        metric=request.metric,
        progress=job.progress,
    )
    return Output(output=json_safe(front.to_dict()))


def run_ensemble_member_job(job: Job) -> Output:
    """Run one ensemble member (:func:`energy.studies.ensemble.run_member`); output its record.

    A member that fails inside the library is a succeeded job whose record
    says ``status = "failed"`` with the reason; the ensemble reports it.
    """
    from api.ensemble_schemas import shipped_weather_path
    from energy.studies.ensemble import run_member

    params = job.run.params or {}
    record = run_member(
        job.district,
        job.options,
        shipped_weather_path(params["weather"]),
        params.get("price_year"),
        economic_assumptions(params.get("assumptions")),
    )
    record["weather"] = params["weather"]
    job.progress(1.0, f"member {record['member']}: {record['status']}")
    return Output(output=record)


def run_operation_job(job: Job) -> Output:
    """Operate on a rolling horizon (:func:`energy.operation.operate`).

    Output: ``to_dict()`` and ``sources`` (licence and the data files that went
    in, :func:`energy.report.exports.study_export_info`).
    """
    from energy.operation import OperationSpec, operate
    from energy.report.exports import study_export_info
    from energy.scenario import ScenarioOptions

    options = ScenarioOptions(**job.options)
    spec = OperationSpec(
        start=options.start, days=options.days, options=options, **(job.run.params or {})
    )
    result = operate(job.district, spec, progress=job.progress).to_dict()
    result["sources"] = study_export_info(job.district, options, "energy.operation.operate")
    return Output(output=json_safe(result))


def run_simbench_import_job(job: Job) -> Output:
    """Build a SimBench grid (``params["code"]``) and map the district's nodes onto it.

    The same net, check and JSON as a pandapower upload
    (:func:`energy.models.grid.import_network`,
    :func:`api.runstore.mapped_network_json`); the new version (the job's
    version's spec with this grid, licence ODbL) is stored when the job ends
    (:class:`NewVersion`).
    """
    from energy.models.grid import import_network

    code = str((job.run.params or {})["code"])
    job.progress(0.05, f"building SimBench grid {code}")
    net = import_network(code)
    job.progress(0.8, f"mapping the district's nodes onto {code}")
    network_json = mapped_network_json(net, job.district)
    job.progress(0.95, "storing the new version")
    version = NewVersion(source="simbench", network_json=network_json, licence=SIMBENCH_LICENCE)
    return Output(output={"code": code}, version=version)


#: Every kind of job: its noun in messages, its work, whether it gets the imported grid.
JOB_KINDS: dict[RunKind, JobKind] = {
    RunKind.scenario: JobKind("run", run_scenario_job, uses_network=True),
    RunKind.sweep_point: JobKind("sweep point", run_sweep_point_job),
    RunKind.sizing: JobKind("sizing job", run_sizing_job),
    RunKind.pareto: JobKind("Pareto job", run_pareto_job),
    RunKind.ensemble_member: JobKind("ensemble member", run_ensemble_member_job),
    RunKind.operation: JobKind("operation", run_operation_job),
    RunKind.simbench_import: JobKind("SimBench import", run_simbench_import_job),
}
