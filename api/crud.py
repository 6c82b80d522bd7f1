"""Database operations with access control; routers call these and map to schemas.

Every read goes through the visibility conditions of :mod:`api.auth`, so a
hidden object is "not found" (404) everywhere; an object that is visible but
not the caller's to change is "forbidden" (403).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import defer
from sqlmodel import Session, SQLModel, col, func, select

from api.auth import (
    Principal,
    can_manage_keys,
    can_write_district,
    can_write_scenario,
    create_api_key,
    district_visible,
    run_visible,
    scenario_visible,
)
from api.datafiles import check_tariff_files, weather_file
from api.errors import ConflictError, ForbiddenError, NotFoundError
from api.runstore import district_of, imported_network, load_result_row, spec_of
from api.schemas import (
    FINAL_STATUSES,
    MAX_SWEEP_POINTS,
    ApiKeyCreate,
    DistrictBase,
    DistrictUpdate,
    OrganisationCreate,
    Page,
    Role,
    RunKind,
    RunOptions,
    RunStatus,
    ScenarioCreate,
    ScenarioUpdate,
    SizingCreate,
    SweepCreate,
    economic_assumptions,
)
from api.settings import Settings
from api.tables import (
    ApiKey,
    District,
    DistrictVersion,
    MeterData,
    Organisation,
    Run,
    RunResult,
    Scenario,
    Sweep,
    utcnow,
)
from energy.district import District as DistrictSpec
from energy.errors import InputDataError
from energy.variants import ScenarioChanges, apply_changes

M = TypeVar("M", bound=SQLModel)

ACTIVE_STATUSES = (RunStatus.queued, RunStatus.running)


def page(
    session: Session,
    model: type[M],
    condition: ColumnElement[bool],
    offset: int,
    limit: int,
    order: Any,
) -> Page[M]:
    """Return one page of ``model`` rows fulfilling ``condition``, with the total count."""
    total = session.exec(select(func.count()).select_from(model).where(condition)).one()
    rows = session.exec(
        select(model).where(condition).order_by(order).offset(offset).limit(limit)
    ).all()
    return Page[M](items=list(rows), total=total, offset=offset, limit=limit)


def _require_role(p: Principal, *roles: Role, action: str) -> None:
    if p.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ForbiddenError(f"{action} needs the role {allowed}; this key is {p.role.value}")


# -- organisations and keys ----------------------------------------------------------


def create_organisation(session: Session, p: Principal, data: OrganisationCreate) -> Organisation:
    """Create an organisation (admin only); names are unique."""
    _require_role(p, Role.admin, action="creating an organisation")
    if session.exec(select(Organisation).where(col(Organisation.name) == data.name)).first():
        raise ConflictError(f"name: an organisation named {data.name!r} exists already")
    org = Organisation.model_validate(data)
    session.add(org)
    session.commit()
    session.refresh(org)
    return org


def list_organisations(
    session: Session, p: Principal, offset: int, limit: int
) -> Page[Organisation]:
    """List all organisations for admins, the own one for everyone else."""
    condition = sa.true() if p.is_admin else col(Organisation.id) == p.organisation_id
    return page(session, Organisation, condition, offset, limit, col(Organisation.id))


def get_organisation(session: Session, p: Principal, organisation_id: int) -> Organisation:
    """Return an organisation the caller belongs to (admins: any)."""
    org = session.get(Organisation, organisation_id)
    if org is None or not (p.is_admin or org.id == p.organisation_id):
        raise NotFoundError(f"organisation {organisation_id} not found")
    return org


def create_key(session: Session, p: Principal, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """Create a key; admins anywhere, planners in their organisation (not admin keys)."""
    organisation_id = data.organisation_id or p.organisation_id
    get_organisation(session, p, organisation_id)
    if not can_manage_keys(p, organisation_id):
        raise ForbiddenError(f"creating keys needs the role admin or planner; this key is {p.role}")
    if data.role == Role.admin and not p.is_admin:
        raise ForbiddenError("role: only an admin can create admin keys")
    return create_api_key(session, organisation_id, data.name, data.role)


def list_keys(session: Session, p: Principal, offset: int, limit: int) -> Page[ApiKey]:
    """List every key (admins), the organisation's (planners) or the own key (others)."""
    condition: ColumnElement[bool]
    if p.is_admin:
        condition = sa.true()
    elif p.role == Role.planner:
        condition = col(ApiKey.organisation_id) == p.organisation_id
    else:
        condition = col(ApiKey.id) == p.key_id
    return page(session, ApiKey, condition, offset, limit, col(ApiKey.id))


def revoke_key(session: Session, p: Principal, key_id: int) -> ApiKey:
    """Revoke a key (it stays listed with ``revoked_at``)."""
    key = session.get(ApiKey, key_id)
    visible = key is not None and (
        p.is_admin
        or key.id == p.key_id
        or (p.role == Role.planner and key.organisation_id == p.organisation_id)
    )
    if key is None or not visible:
        raise NotFoundError(f"key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.commit()
        session.refresh(key)
    return key


# -- districts ------------------------------------------------------------------------


def get_district(session: Session, p: Principal, district_id: int) -> District:
    """Return a district the caller may read, else NotFoundError."""
    district = session.exec(
        select(District).where(col(District.id) == district_id, district_visible(p))
    ).first()
    if district is None:
        raise NotFoundError(f"district {district_id} not found")
    return district


def get_district_for_write(session: Session, p: Principal, district_id: int) -> District:
    """Return a district the caller may change (404 if hidden, 403 if read-only)."""
    district = get_district(session, p, district_id)
    if not can_write_district(p, district):
        raise ForbiddenError(
            f"district {district_id}: only planners of its organisation may change it"
        )
    return district


def list_districts(session: Session, p: Principal, offset: int, limit: int) -> Page[District]:
    """List the districts the caller may read, newest first."""
    return page(session, District, district_visible(p), offset, limit, col(District.id).desc())


def create_district(
    session: Session,
    p: Principal,
    meta: DistrictBase,
    spec: DistrictSpec,
    source: str,
    network_json: str | None = None,
    licence: str | None = None,
) -> District:
    """Create a district with version 1 of its spec (planners and admins)."""
    _require_role(p, Role.admin, Role.planner, action="creating a district")
    check_tariff_files(spec.tariff, "spec.tariff")
    district = District(
        organisation_id=p.organisation_id,
        name=meta.name,
        description=meta.description,
        visibility=meta.visibility,
        latest_version=1,
    )
    session.add(district)
    session.flush()
    assert district.id is not None
    session.add(_version_row(district.id, 1, spec, source, network_json, licence))
    session.commit()
    session.refresh(district)
    return district


def _version_row(
    district_id: int,
    version: int,
    spec: DistrictSpec,
    source: str,
    network_json: str | None,
    licence: str | None,
) -> DistrictVersion:
    return DistrictVersion(
        district_id=district_id,
        version=version,
        spec=spec.to_dict(),
        spec_hash=spec.spec_hash(),
        source=source,
        network_json=network_json,
        licence=licence,
    )


def add_version(
    session: Session,
    p: Principal,
    district_id: int,
    spec: DistrictSpec,
    source: str,
    network_json: str | None = None,
    licence: str | None = None,
) -> District:
    """Store ``spec`` (and an imported network) as the next version of the district."""
    district = get_district_for_write(session, p, district_id)
    check_tariff_files(spec.tariff, "spec.tariff")
    assert district.id is not None
    district.latest_version += 1
    district.updated_at = utcnow()
    row = _version_row(district.id, district.latest_version, spec, source, network_json, licence)
    session.add(row)
    session.add(district)
    session.commit()
    session.refresh(district)
    return district


def update_district(
    session: Session, p: Principal, district_id: int, data: DistrictUpdate
) -> District:
    """Change name, description, visibility; a new spec becomes a new version."""
    district = get_district_for_write(session, p, district_id)
    changes = data.model_dump(exclude_unset=True, exclude={"spec"})
    for key, value in changes.items():
        if value is None:
            raise InputDataError(f"{key}: null is not allowed; leave the field out instead")
        setattr(district, key, value)
    district.updated_at = utcnow()
    session.add(district)
    session.commit()
    if data.spec is not None:
        return add_version(session, p, district_id, data.spec, "json")
    session.refresh(district)
    return district


def delete_district(session: Session, p: Principal, district_id: int) -> None:
    """Delete a district and its versions; refused while scenarios refer to it."""
    get_district_for_write(session, p, district_id)
    used = session.exec(
        select(func.count()).select_from(Scenario).where(col(Scenario.district_id) == district_id)
    ).one()
    if used:
        raise ConflictError(
            f"district {district_id} is used by {used} scenario(s); delete them first"
        )
    session.exec(sa.delete(DistrictVersion).where(col(DistrictVersion.district_id) == district_id))
    session.exec(sa.delete(District).where(col(District.id) == district_id))
    session.commit()


def get_version(session: Session, district: District, version: int | None) -> DistrictVersion:
    """Return version ``version`` (None: the latest) of ``district``."""
    number = district.latest_version if version is None else version
    row = session.exec(
        select(DistrictVersion).where(
            col(DistrictVersion.district_id) == district.id,
            col(DistrictVersion.version) == number,
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"district {district.id} has no version {number} (latest: {district.latest_version})"
        )
    return row


def list_versions(session: Session, district: District) -> list[DistrictVersion]:
    """List all versions of a district, oldest first."""
    return list(
        session.exec(
            select(DistrictVersion)
            .where(col(DistrictVersion.district_id) == district.id)
            .order_by(col(DistrictVersion.version))
        ).all()
    )


def add_network_version(
    session: Session,
    p: Principal,
    district_id: int,
    net: Any,
    source: str,
    licence: str | None,
) -> District:
    """Store an imported pandapower network as the grid of a new version of the district.

    The district's nodes must map onto the net
    (:func:`energy.models.grid.map_to_district`), else InputDataError.
    """
    import pandapower as pp

    from energy.models.grid import map_to_district

    district = get_district_for_write(session, p, district_id)
    spec = spec_of(get_version(session, district, None))
    map_to_district(net, spec)
    return add_version(session, p, district_id, spec, source, pp.to_json(net), licence)


def network_of(version: DistrictVersion) -> Any:
    """Return the pandapower net of a version: the imported one (mapped) or one built from it."""
    from energy.models.grid import build_network, map_to_district

    spec = spec_of(version)
    imported = imported_network(version)
    return build_network(spec) if imported is None else map_to_district(imported, spec)


# -- scenarios ------------------------------------------------------------------------


def validate_options(options: RunOptions, field: str = "options") -> None:
    """Check options the way the library will, so a bad value is a 422 now, not a failed run."""
    weather_file(options.weather, f"{field}.weather")
    from energy.scenario import ScenarioOptions

    try:
        ScenarioOptions(**options.as_kwargs())
    except (InputDataError, TypeError, ValueError) as exc:
        raise InputDataError(f"{field}: {exc}") from exc


def _check_scenario_inputs(
    session: Session,
    district: District,
    version: int | None,
    changes: ScenarioChanges,
    options: RunOptions,
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
    scenario = session.exec(
        select(Scenario).where(col(Scenario.id) == scenario_id, scenario_visible(p))
    ).first()
    if scenario is None:
        raise NotFoundError(f"scenario {scenario_id} not found")
    return scenario


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
    _require_role(p, Role.admin, Role.planner, Role.cooperative, action="creating a scenario")
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
    session.add(scenario)
    session.commit()
    session.refresh(scenario)
    return scenario


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
    options = data.options or RunOptions.model_validate(scenario.options)
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
    session.add(scenario)
    session.commit()
    session.refresh(scenario)
    return scenario


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


# -- runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobInputs:
    """What a new job of a scenario refers to: the scenario, the exact version, the district."""

    scenario: Scenario
    version: DistrictVersion
    district: DistrictSpec  # the version's spec with the scenario's changes applied

    def new_job(self, p: Principal, settings: Settings, **values: Any) -> Run:
        """Return a queued (unsaved) job row of the scenario; ``values`` set kind, params...

        and may replace the scenario's ``options``.
        """
        assert self.version.id is not None and self.scenario.id is not None
        fields: dict[str, Any] = {
            "scenario_id": self.scenario.id,
            "organisation_id": self.scenario.organisation_id,
            "district_version_id": self.version.id,
            "options": dict(self.scenario.options),
            "changes": dict(self.scenario.changes),
            "spec_hash": self.district.spec_hash(),
            "max_attempts": settings.max_attempts,
            "created_by_key_id": p.key_id,
        }
        return Run(**(fields | values))


def job_inputs(session: Session, p: Principal, scenario_id: int) -> JobInputs:
    """Resolve a scenario the caller may run to its exact district version and district."""
    scenario = get_scenario_for_write(session, p, scenario_id)
    district = session.get(District, scenario.district_id)
    assert district is not None
    version = get_version(session, district, scenario.district_version)
    return JobInputs(scenario, version, district_of(version, scenario.changes))


def create_run(session: Session, p: Principal, scenario_id: int, settings: Settings) -> Run:
    """Store a queued run of the scenario on the exact district version it resolves to."""
    run = job_inputs(session, p, scenario_id).new_job(p, settings)
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


#: How each kind of job is named in messages.
JOB_NOUNS = {
    RunKind.scenario: "run",
    RunKind.sweep_point: "sweep point",
    RunKind.sizing: "sizing job",
}


def get_job(session: Session, p: Principal, run_id: int, kind: RunKind) -> Run:
    """Return a job row of ``kind`` the caller may read, else NotFoundError."""
    run = session.exec(
        select(Run).where(col(Run.id) == run_id, col(Run.kind) == kind, run_visible(p))
    ).first()
    if run is None:
        raise NotFoundError(f"{JOB_NOUNS[kind]} {run_id} not found")
    return run


def get_run(session: Session, p: Principal, run_id: int) -> Run:
    """Return a scenario run the caller may read, else NotFoundError."""
    return get_job(session, p, run_id, RunKind.scenario)


def list_runs(
    session: Session,
    p: Principal,
    offset: int,
    limit: int,
    scenario_id: int | None = None,
    status: RunStatus | None = None,
) -> Page[Run]:
    """List the scenario runs the caller may read, newest first, optionally of a scenario or status.

    Sweep points and sizing jobs are listed with their sweep and sizing.
    """
    condition = sa.and_(run_visible(p), col(Run.kind) == RunKind.scenario)
    if scenario_id is not None:
        condition = sa.and_(condition, col(Run.scenario_id) == scenario_id)
    if status is not None:
        condition = sa.and_(condition, col(Run.status) == status)
    return page(session, Run, condition, offset, limit, col(Run.id).desc())


def cancel_jobs(session: Session, which: ColumnElement[bool]) -> None:
    """Cancel the queued jobs of ``which`` at once; ask the running ones to stop (no commit)."""
    session.exec(
        sa.update(Run)
        .where(which, col(Run.status) == RunStatus.queued)
        .values(
            status=RunStatus.cancelled,
            cancel_requested=True,
            finished_at=utcnow(),
            progress_message="cancelled before it started",
        )
    )
    session.exec(
        sa.update(Run)
        .where(which, col(Run.status) == RunStatus.running)
        .values(cancel_requested=True, progress_message="cancel requested")
    )


def cancel_run(
    session: Session, p: Principal, run_id: int, kind: RunKind = RunKind.scenario
) -> Run:
    """Cancel a queued run (or sizing job) at once, or ask a running one to stop."""
    run = get_job(session, p, run_id, kind)
    if not can_write_scenario(p, run.organisation_id):
        raise ForbiddenError(f"{JOB_NOUNS[kind]} {run_id}: only its organisation may cancel it")
    if run.status in FINAL_STATUSES:
        raise ConflictError(f"{JOB_NOUNS[kind]} {run_id} is already {run.status}")
    cancel_jobs(session, col(Run.id) == run_id)
    session.commit()
    session.refresh(run)
    return run


def get_result(session: Session, p: Principal, run_id: int) -> tuple[Run, RunResult]:
    """Return a succeeded run and its results (409 while it is not succeeded)."""
    run = get_run(session, p, run_id)
    if run.status != RunStatus.succeeded:
        detail = f"run {run_id} is {run.status}; results exist once it has succeeded"
        if run.status == RunStatus.failed:
            detail += f" (it failed: {run.error})"
        raise ConflictError(detail)
    result = load_result_row(session, run_id)
    if result is None:  # pragma: no cover - written in the same transaction as the status
        raise NotFoundError(f"run {run_id}: results missing")
    return run, result


def seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """Return ``end - start`` in seconds, or None when either is missing."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


# -- sweeps -----------------------------------------------------------------------------


def sweep_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the sweeps ``p`` may read: those of readable scenarios."""
    if p.is_admin:
        return sa.true()
    return col(Sweep.scenario_id).in_(select(Scenario.id).where(scenario_visible(p)))


def create_sweep(
    session: Session, p: Principal, scenario_id: int, data: SweepCreate, settings: Settings
) -> tuple[Sweep, list[Run]]:
    """Store a sweep of the scenario and one queued job per grid point (and the base run).

    The points are ``energy.studies.sweep.points`` of the scenario's district (exact
    version with the scenario's changes); when no point adds nothing, a base
    run is added as the economic reference. Refused with InputDataError (422)
    naming the field: an invalid or too large grid, an unknown ``battery_at``,
    unknown economic assumptions.
    """
    from energy.scenario import ScenarioOptions
    from energy.studies.sweep import SweepSpec, changes_for, points

    inputs = job_inputs(session, p, scenario_id)
    n_points = math.prod(len(values) for values in data.grid.values())
    if n_points > MAX_SWEEP_POINTS:
        sizes = " x ".join(str(len(v)) for v in data.grid.values())
        raise InputDataError(
            f"grid: {n_points} points ({sizes}); at most {MAX_SWEEP_POINTS} are allowed per sweep"
        )
    options = dict(inputs.scenario.options) | {"ac_check": data.ac_check}
    spec = SweepSpec(
        district=inputs.district,
        grid=data.grid,
        options=ScenarioOptions(**options),
        assumptions=economic_assumptions(data.assumptions),
        battery_c_rate=data.battery_c_rate,
        battery_at=data.battery_at,
    )
    largest = {name: max(values) for name, values in spec.grid.items()}
    try:
        apply_changes(inputs.district, changes_for(spec, largest))
    except InputDataError as exc:
        raise InputDataError(f"battery_at: {exc}") from exc
    assert inputs.version.id is not None and inputs.scenario.id is not None
    sweep = Sweep(
        scenario_id=inputs.scenario.id,
        organisation_id=inputs.scenario.organisation_id,
        district_version_id=inputs.version.id,
        grid={name: list(values) for name, values in spec.grid.items()},
        battery_c_rate=data.battery_c_rate,
        battery_at=data.battery_at,
        options=options,
        changes=dict(inputs.scenario.changes),
        assumptions=data.assumptions,
        spec_hash=inputs.district.spec_hash(),
        created_by_key_id=p.key_id,
    )
    session.add(sweep)
    session.flush()
    grid_points = points(spec)
    jobs: list[tuple[int | None, dict[str, Any]]] = [
        (i, {"point": point, "changes": changes.model_dump(mode="json")})
        for i, (point, changes) in enumerate(grid_points)
    ]
    if not any(changes.is_empty for _, changes in grid_points):
        base = {name: 0.0 for name in spec.parameters}
        jobs.append((None, {"point": base, "changes": {}, "reference": True}))
    runs = [
        inputs.new_job(
            p,
            settings,
            kind=RunKind.sweep_point,
            sweep_id=sweep.id,
            point_index=index,
            params=params,
            options=options,
        )
        for index, params in jobs
    ]
    session.add_all(runs)
    session.commit()
    session.refresh(sweep)
    for run in runs:
        session.refresh(run)
    return sweep, runs


def get_sweep(session: Session, p: Principal, sweep_id: int) -> Sweep:
    """Return a sweep the caller may read, else NotFoundError."""
    sweep = session.exec(select(Sweep).where(col(Sweep.id) == sweep_id, sweep_visible(p))).first()
    if sweep is None:
        raise NotFoundError(f"sweep {sweep_id} not found")
    return sweep


def list_sweeps(
    session: Session, p: Principal, offset: int, limit: int, scenario_id: int | None = None
) -> Page[Sweep]:
    """List the sweeps the caller may read, newest first, optionally of one scenario."""
    condition = sweep_visible(p)
    if scenario_id is not None:
        condition = sa.and_(condition, col(Sweep.scenario_id) == scenario_id)
    return page(session, Sweep, condition, offset, limit, col(Sweep.id).desc())


def sweep_jobs(session: Session, sweep_ids: list[int]) -> dict[int, list[Run]]:
    """Return the point jobs of each sweep in grid order (the base run last)."""
    rows = session.exec(
        select(Run)
        .where(col(Run.sweep_id).in_(sweep_ids))
        .order_by(col(Run.point_index).is_(None), col(Run.point_index), col(Run.id))
    ).all()
    out: dict[int, list[Run]] = {i: [] for i in sweep_ids}
    for run in rows:
        assert run.sweep_id is not None
        out[run.sweep_id].append(run)
    return out


@dataclass(frozen=True)
class SweepState:
    """Job counts by status and the latest end of a sweep's jobs."""

    counts: dict[RunStatus, int]
    last_finished_at: dt.datetime | None

    @property
    def total(self) -> int:
        """Number of jobs."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Number of jobs that have ended."""
        return sum(n for s, n in self.counts.items() if s in FINAL_STATUSES)


def sweep_states(session: Session, sweep_ids: list[int]) -> dict[int, SweepState]:
    """Return the state of each sweep's jobs (one grouped query)."""
    rows = session.exec(
        select(Run.sweep_id, Run.status, func.count(), func.max(Run.finished_at))
        .where(col(Run.sweep_id).in_(sweep_ids))
        .group_by(col(Run.sweep_id), col(Run.status))
    ).all()
    counts: dict[int, dict[RunStatus, int]] = {i: dict.fromkeys(RunStatus, 0) for i in sweep_ids}
    last: dict[int, dt.datetime | None] = dict.fromkeys(sweep_ids)
    for sweep_id, run_status, n, finished in rows:
        assert sweep_id is not None
        counts[sweep_id][RunStatus(run_status)] = n
        if finished is not None:
            previous = last[sweep_id]
            last[sweep_id] = finished if previous is None else max(previous, finished)
    return {i: SweepState(counts[i], last[i]) for i in sweep_ids}


def cancel_sweep(session: Session, p: Principal, sweep_id: int) -> Sweep:
    """Cancel the queued points of a sweep at once; running ones stop after their point."""
    sweep = get_sweep(session, p, sweep_id)
    if not can_write_scenario(p, sweep.organisation_id):
        raise ForbiddenError(f"sweep {sweep_id}: only its organisation may cancel it")
    active = session.exec(
        select(func.count())
        .select_from(Run)
        .where(col(Run.sweep_id) == sweep_id, col(Run.status).in_(ACTIVE_STATUSES))
    ).one()
    if not active:
        raise ConflictError(f"sweep {sweep_id} has already ended")
    sweep.cancel_requested = True
    session.add(sweep)
    cancel_jobs(session, col(Run.sweep_id) == sweep_id)
    session.commit()
    session.refresh(sweep)
    return sweep


# -- sizing ------------------------------------------------------------------------------


def create_sizing(
    session: Session, p: Principal, scenario_id: int, data: SizingCreate, settings: Settings
) -> Run:
    """Store a queued sizing job of the scenario (bounds checked against its district)."""
    inputs = job_inputs(session, p, scenario_id)
    data.spec()  # bounds, prices and assumptions; InputDataError names the field
    district = inputs.district
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
    run = inputs.new_job(p, settings, kind=RunKind.sizing, params=data.model_dump(mode="json"))
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


# -- meter data --------------------------------------------------------------------------


def meter_data_visible(p: Principal) -> ColumnElement[bool]:
    """Meter data are their organisation's (viewers excepted) and admins' only."""
    if p.is_admin:
        return sa.true()
    if p.role == Role.viewer:
        return sa.false()
    return col(MeterData.organisation_id) == p.organisation_id


def check_meter_upload(session: Session, p: Principal, district_id: int) -> District:
    """Return the district if the caller may upload meter data for it (404 hidden, 403 role)."""
    district = get_district(session, p, district_id)
    _require_role(p, Role.admin, Role.planner, Role.cooperative, action="uploading meter data")
    return district


def create_meter_data(
    session: Session,
    p: Principal,
    district: District,
    name: str,
    frame: Any,
    series_parquet: bytes,
) -> MeterData:
    """Store meter data (a ``energy.analysis.meter.read_meter_csv`` frame) of a district.

    ``district`` comes from :func:`check_meter_upload`.
    """
    assert district.id is not None
    step = frame.index[1] - frame.index[0]
    row = MeterData(
        district_id=district.id,
        organisation_id=p.organisation_id,
        name=name[:200],
        start=frame.index[0].to_pydatetime(),
        end=(frame.index[-1] + step).to_pydatetime(),
        step_s=step.total_seconds(),
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        series_parquet=series_parquet,
        created_by_key_id=p.key_id,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def get_meter_data(session: Session, p: Principal, meter_data_id: int) -> MeterData:
    """Return meter data the caller may read, else NotFoundError."""
    row = session.exec(
        select(MeterData)
        .where(col(MeterData.id) == meter_data_id, meter_data_visible(p))
        .options(defer(MeterData.series_parquet))  # type: ignore[arg-type]
    ).first()
    if row is None:
        raise NotFoundError(f"meter data {meter_data_id} not found")
    return row


def list_meter_data(
    session: Session, p: Principal, district_id: int, offset: int, limit: int
) -> Page[MeterData]:
    """List the meter data of a district the caller may read, newest first."""
    get_district(session, p, district_id)
    condition = sa.and_(meter_data_visible(p), col(MeterData.district_id) == district_id)
    return page(session, MeterData, condition, offset, limit, col(MeterData.id).desc())
