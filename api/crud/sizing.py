"""Sizings and Pareto fronts: queued jobs that size a new battery and/or PV system of a scenario."""

from __future__ import annotations

from sqlmodel import Session

from api.auth import Principal
from api.crud.common import save
from api.crud.runs import JobInputs, admit_jobs, job_inputs
from api.schemas import RunKind
from api.settings import Settings
from api.study_schemas import (
    OperationCreate,
    ParetoCreate,
    SizingCreate,
    check_robust_runs,
)
from api.tables import Run
from api.workload import check_inline_work, job_workload
from energy.district import District
from energy.errors import InputDataError


def create_sizing(
    session: Session, p: Principal, scenario_id: int, data: SizingCreate, settings: Settings
) -> Run:
    """Store a queued sizing job of the scenario (bounds checked against its district).

    Refused when too large for the inline queue (422) or past the job quota (429).
    """
    inputs = job_inputs(session, p, scenario_id)
    if data.robust is None:
        check_candidates(inputs.district, data)
    else:
        check_robust_sizing(inputs.district, data)
    run = inputs.new_job(p, settings, kind=RunKind.sizing, params=data.model_dump(mode="json"))
    return _admitted(session, settings, inputs, run, data, f"sizing of scenario {scenario_id}")


def check_robust_sizing(district: District, data: SizingCreate) -> None:
    """Check a robust sizing: one list of candidate sizes, the runs it costs, ``battery_at``."""
    assert data.robust is not None
    grid = data.robust_grid()
    check_robust_runs(data.robust, len(next(iter(grid.values()))))
    data.robust.ask()
    data.robust_spec(district, {})  # sizes 0..1e5, no repeats; InputDataError names the field
    buildings = {b.id for b in district.buildings}
    if "battery_kwh_added" in grid and data.battery_at not in buildings | {"substation"}:
        raise InputDataError(
            f"battery_at: {data.battery_at!r} is not 'substation' or a building id of the "
            f"scenario's district {district.site.name!r}"
        )


def create_pareto(
    session: Session, p: Principal, scenario_id: int, data: ParetoCreate, settings: Settings
) -> Run:
    """Store a queued Pareto job of the scenario (its candidates checked as a sizing's).

    Refused when too large for the inline queue (422) or past the job quota (429).
    """
    inputs = job_inputs(session, p, scenario_id)
    first_pv = inputs.district.pv[0].id if inputs.district.pv else None
    sizing = data.sizing(first_pv)
    check_candidates(inputs.district, sizing)
    run = inputs.new_job(p, settings, kind=RunKind.pareto, params=data.model_dump(mode="json"))
    return _admitted(
        session, settings, inputs, run, sizing, f"Pareto front of scenario {scenario_id}"
    )


def _admitted(
    session: Session,
    settings: Settings,
    inputs: JobInputs,
    run: Run,
    candidates: SizingCreate,
    what: str,
) -> Run:
    """Check the job's work (the candidates add a PV system and a battery) and quota; store it."""
    battery = candidates.battery_kwh_max is not None or bool(candidates.sweep_battery_kwh)
    pv = candidates.pv_kwp_max is not None or bool(candidates.sweep_pv_kwp)
    return _admit(session, settings, inputs, run, what, added=battery + pv)


def _admit(
    session: Session, settings: Settings, inputs: JobInputs, run: Run, what: str, added: int = 0
) -> Run:
    """Check the job's work (``added`` elements on top of the district) and quota; store it."""
    kind = RunKind(run.kind)
    workload = job_workload(kind, inputs.district, run.options, run.params, added_elements=added)
    check_inline_work(settings, kind, workload, run.options, what, inputs.spec_path)
    admit_jobs(session, settings, run.organisation_id, 1)
    return save(session, run)


def create_operation(
    session: Session, p: Principal, scenario_id: int, data: OperationCreate, settings: Settings
) -> Run:
    """Store a queued rolling-horizon operation of the scenario (its spec checked first).

    The job's options are the scenario's with ``start``/``days`` of the request.
    Refused when too large for the inline queue (422) or past the job quota (429).
    """
    from energy.operation import OperationSpec
    from energy.scenario import ScenarioOptions

    inputs = job_inputs(session, p, scenario_id)
    period = {k: v for k, v in data.model_dump(include={"start", "days"}).items() if v is not None}
    options = ScenarioOptions.model_validate(dict(inputs.scenario.options) | period)
    params = data.model_dump(mode="json", exclude={"start", "days"})
    OperationSpec(start=options.start, days=options.days, options=options, **params)
    run = inputs.new_job(
        p,
        settings,
        kind=RunKind.operation,
        params=params,
        options=options.model_dump(mode="json"),
    )
    return _admit(session, settings, inputs, run, f"operation of scenario {scenario_id}")


def check_candidates(district: District, data: SizingCreate) -> None:
    """Check bounds, prices and the candidates' places against the district; name the field."""
    data.spec()  # bounds, prices and assumptions; InputDataError names the field
    buildings = {b.id for b in district.buildings}
    pv_ids = {pv.id for pv in district.pv}
    checks = [
        (
            "pv_building",
            data.pv_building,
            data.pv_building is None or data.pv_building in buildings,
            "a building id",
        ),
        ("pv_like", data.pv_like, data.pv_like is None or data.pv_like in pv_ids, "a PV id"),
        (
            "battery_at",
            data.battery_at,
            data.battery_kwh_max is None or data.battery_at in buildings | {"substation"},
            "'substation' or a building id",
        ),
    ]
    for field, value, ok, allowed in checks:
        if not ok:
            raise InputDataError(
                f"{field}: {value!r} is not {allowed} of the scenario's district "
                f"{district.site.name!r}"
            )
