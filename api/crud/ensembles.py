"""Ensembles: one queued job per member (weather source x price year) of a scenario."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select, true

from api.auth import Principal, scenario_visible
from api.crud.common import get_visible, page
from api.crud.runs import admit_jobs, job_inputs
from api.crud.sweeps import SweepState, cancel_children, job_states
from api.ensemble_schemas import EnsembleCreate, shipped_weather_path
from api.schemas import Page, RunKind
from api.settings import Settings
from api.study_schemas import economic_assumptions
from api.tables import Ensemble, Run, Scenario
from api.workload import check_inline_work, job_workload


def ensemble_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the ensembles ``p`` may read: those of readable scenarios."""
    if p.is_admin:
        return true()
    return col(Ensemble.scenario_id).in_(select(Scenario.id).where(scenario_visible(p)))


def create_ensemble(
    session: Session, p: Principal, scenario_id: int, data: EnsembleCreate, settings: Settings
) -> tuple[Ensemble, list[Run]]:
    """Store an ensemble of the scenario and one queued job per member (weather varies slowest).

    Refused with InputDataError (422) naming the field: an unknown weather
    file, too many members, unknown economic assumptions, members too large
    for the inline queue (:mod:`api.workload`); past the job quota: 429.
    """
    from energy.studies.ensemble import EnsembleSpec, member_label

    inputs = job_inputs(session, p, scenario_id)
    economic_assumptions(data.assumptions)  # 422 naming the field before anything is stored
    options = dict(inputs.scenario.options) | {"ac_check": data.ac_check}
    paths = tuple(shipped_weather_path(name) for name in data.weather)
    EnsembleSpec(inputs.district, weather=paths, price_years=tuple(data.price_years))
    members = [(w, y) for w in data.weather for y in data.price_years]
    workload = job_workload(RunKind.ensemble_member, inputs.district, options)
    what = f"each member of the ensemble of scenario {scenario_id}"
    check_inline_work(settings, RunKind.ensemble_member, workload, options, what, inputs.spec_path)
    admit_jobs(session, settings, inputs.scenario.organisation_id, len(members))
    assert inputs.version.id is not None and inputs.scenario.id is not None
    ensemble = Ensemble(
        scenario_id=inputs.scenario.id,
        organisation_id=inputs.scenario.organisation_id,
        district_version_id=inputs.version.id,
        weather=list(data.weather),
        price_years=list(data.price_years),
        options=options,
        changes=dict(inputs.scenario.changes),
        assumptions=data.assumptions,
        spec_hash=inputs.district.spec_hash(),
        created_by_key_id=p.key_id,
    )
    session.add(ensemble)
    session.flush()
    runs = [
        inputs.new_job(
            p,
            settings,
            kind=RunKind.ensemble_member,
            ensemble_id=ensemble.id,
            point_index=index,
            params={
                "member": member_label(weather, year),
                "weather": weather,
                "price_year": year,
                "assumptions": data.assumptions,
            },
            options=options,
        )
        for index, (weather, year) in enumerate(members)
    ]
    session.add_all(runs)
    session.commit()
    session.refresh(ensemble)
    for run in runs:
        session.refresh(run)
    return ensemble, runs


def get_ensemble(session: Session, p: Principal, ensemble_id: int) -> Ensemble:
    """Return an ensemble the caller may read, else NotFoundError."""
    return get_visible(session, Ensemble, ensemble_id, ensemble_visible(p), "ensemble")


def list_ensembles(
    session: Session, p: Principal, offset: int, limit: int, scenario_id: int | None = None
) -> Page[Ensemble]:
    """List the ensembles the caller may read, newest first, optionally of one scenario."""
    condition = ensemble_visible(p)
    if scenario_id is not None:
        condition = sa.and_(condition, col(Ensemble.scenario_id) == scenario_id)
    return page(session, Ensemble, condition, offset, limit, col(Ensemble.id).desc())


def ensemble_jobs(session: Session, ensemble_id: int) -> list[Run]:
    """Return the member jobs of an ensemble in member order."""
    return list(
        session.exec(
            select(Run).where(col(Run.ensemble_id) == ensemble_id).order_by(col(Run.point_index))
        ).all()
    )


def ensemble_state(session: Session, ensemble_id: int) -> SweepState:
    """Return the job counts by status and the latest end of an ensemble's members."""
    return job_states(session, col(Run.ensemble_id), [ensemble_id])[ensemble_id]


def member_record(job: Run) -> dict[str, Any]:
    """Return a member's record; a job that did not succeed is a failed member with its reason."""
    params = job.params or {}
    if job.status == "succeeded" and job.output is not None:
        return job.output
    return {
        "member": params.get("member", f"member {job.point_index}"),
        "weather": params.get("weather"),
        "price_year": params.get("price_year"),
        "status": "failed",
        "error": job.error or f"job {job.status}",
        "figures": {},
    }


def cancel_ensemble(session: Session, p: Principal, ensemble_id: int) -> Ensemble:
    """Cancel the queued members of an ensemble at once; running ones stop after their run."""
    ensemble = get_ensemble(session, p, ensemble_id)
    cancelled: Ensemble = cancel_children(session, p, ensemble, col(Run.ensemble_id), "ensemble")
    return cancelled
