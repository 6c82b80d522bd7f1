"""Scenarios: a district (version) plus changes and run options, checked when stored."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.auth import Principal, can_write_scenario, scenario_visible
from api.crud.common import ACTIVE_STATUSES, get_visible, page, require_role, save
from api.crud.districts import get_district
from api.crud.versions import get_version
from api.datafiles import check_tariff_files, weather_file
from api.errors import ConflictError, ForbiddenError, NotFoundError
from api.runstore import spec_of
from api.schemas import Page, Role, ScenarioCreate, ScenarioUpdate, check_date
from api.tables import District, Run, RunResult, Scenario, utcnow
from energy.errors import InputDataError
from energy.scenario import ScenarioOptions
from energy.variants import ScenarioChanges, apply_changes


def validate_options(options: ScenarioOptions, field: str = "options") -> None:
    """Check what the options' own validation cannot: the weather file exists in data/.

    and the start lies in :data:`api.schemas.DATE_RANGE` (the library takes any
    date; one in year 1 or 9999 would fail later, in the run).

    Everything else was checked when the body was parsed (``ScenarioOptions``
    is the body), so a bad value is a 422 now, not a failed run.
    """
    weather_file(options.weather, f"{field}.weather")
    try:
        check_date(options.start)
    except ValueError as exc:
        raise InputDataError(
            f"{field}.start: {exc}", field=f"{field}.start", value=str(options.start)
        ) from None


def _check_scenario_inputs(
    session: Session,
    district: District,
    version: int | None,
    changes: ScenarioChanges,
    options: ScenarioOptions,
) -> None:
    if version is not None and version > district.latest_version:
        raise InputDataError(
            f"district_version: {version} does not exist; "
            f"district {district.id} has versions 1..{district.latest_version}"
        )
    if changes.tariff is not None:
        check_tariff_files(changes.tariff, "changes.tariff")
    apply_changes(spec_of(get_version(session, district, version)), changes)
    validate_options(options)


def get_scenario(session: Session, p: Principal, scenario_id: int) -> Scenario:
    """Return a scenario the caller may read, else NotFoundError."""
    return get_visible(session, Scenario, scenario_id, scenario_visible(p), "scenario")


def get_scenario_for_write(session: Session, p: Principal, scenario_id: int) -> Scenario:
    """Return a scenario the caller may change (404 if hidden, 403 if read-only)."""
    scenario = get_scenario(session, p, scenario_id)
    if not can_write_scenario(p, scenario.organisation_id):
        raise ForbiddenError(
            f"scenario {scenario_id}: only planners and cooperatives of its organisation "
            "may change it or start runs"
        )
    return scenario


def list_scenarios(
    session: Session, p: Principal, offset: int, limit: int, district_id: int | None
) -> Page[Scenario]:
    """List the scenarios the caller may read, newest first, optionally of one district."""
    condition = scenario_visible(p)
    if district_id is not None:
        condition = sa.and_(condition, col(Scenario.district_id) == district_id)
    return page(session, Scenario, condition, offset, limit, col(Scenario.id).desc())


def create_scenario(session: Session, p: Principal, data: ScenarioCreate) -> Scenario:
    """Create a scenario on a district the caller may read (planners, cooperatives, admins)."""
    require_role(p, Role.admin, Role.planner, Role.cooperative, action="creating a scenario")
    try:
        district = get_district(session, p, data.district_id)
    except NotFoundError as exc:
        raise InputDataError(f"district_id: {exc}") from exc
    _check_scenario_inputs(session, district, data.district_version, data.changes, data.options)
    scenario = Scenario(
        organisation_id=p.organisation_id,
        district_id=data.district_id,
        district_version=data.district_version,
        name=data.name,
        description=data.description,
        visibility=data.visibility,
        changes=data.changes.model_dump(mode="json"),
        options=data.options.model_dump(mode="json"),
        created_by_key_id=p.key_id,
    )
    return save(session, scenario)


def update_scenario(
    session: Session, p: Principal, scenario_id: int, data: ScenarioUpdate
) -> Scenario:
    """Change a scenario; runs already made keep the inputs they were made with."""
    scenario = get_scenario_for_write(session, p, scenario_id)
    fields = data.model_dump(exclude_unset=True)
    for key in ("name", "description", "visibility", "changes", "options"):
        if key in fields and fields[key] is None:
            raise InputDataError(f"{key}: null is not allowed; leave the field out instead")
    changes = data.changes or ScenarioChanges.model_validate(scenario.changes)
    options = data.options or ScenarioOptions.model_validate(scenario.options)
    version = fields.get("district_version", scenario.district_version)
    district = session.get(District, scenario.district_id)
    assert district is not None
    _check_scenario_inputs(session, district, version, changes, options)
    for key in ("name", "description", "visibility", "district_version"):
        if key in fields:
            setattr(scenario, key, fields[key])
    scenario.changes = changes.model_dump(mode="json")
    scenario.options = options.model_dump(mode="json")
    scenario.updated_at = utcnow()
    return save(session, scenario)


def delete_scenario(session: Session, p: Principal, scenario_id: int) -> None:
    """Delete a scenario with its runs and results; refused while a run is active."""
    get_scenario_for_write(session, p, scenario_id)
    runs = session.exec(select(Run).where(col(Run.scenario_id) == scenario_id)).all()
    active = [r.id for r in runs if r.status in ACTIVE_STATUSES]
    if active:
        raise ConflictError(f"scenario {scenario_id} has active runs {active}; cancel them first")
    run_ids = [r.id for r in runs]
    session.exec(sa.delete(RunResult).where(col(RunResult.run_id).in_(run_ids)))
    session.exec(sa.delete(Run).where(col(Run.id).in_(run_ids)))
    session.exec(sa.delete(Scenario).where(col(Scenario.id) == scenario_id))
    session.commit()
