"""Grid imports that run as jobs of a district: a SimBench code checked, queued, read back.

A SimBench import is a job row (:class:`~api.tables.Run`) of kind
``simbench_import`` without a scenario: its ``district_version_id`` is the
district's latest version when it was sent (the spec that gets the grid),
``params`` the code; the job stores the next version when it ends
(:func:`api.jobkinds.run_simbench_import_job`). It belongs to the district's
organisation and counts in its job quota.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.auth import Principal, run_visible
from api.crud.common import get_visible, save
from api.crud.districts import get_district, get_district_for_write
from api.crud.runs import admit_jobs
from api.crud.versions import get_version
from api.jobkinds import JOB_KINDS
from api.schemas import RunKind
from api.settings import Settings
from api.tables import DistrictVersion, Run


def create_simbench_import(
    session: Session, p: Principal, district_id: int, code: str, settings: Settings
) -> Run:
    """Store a queued SimBench import of ``code`` into the district (planners, admins).

    The code is checked against the codes ``simbench`` knows
    (:func:`energy.models.grid.check_simbench_code`; 422 naming ``body.code``)
    without building the grid; past the organisation's job quota 429
    (:func:`api.crud.runs.admit_jobs`), nothing stored.
    """
    from energy.models.grid import check_simbench_code

    district = get_district_for_write(session, p, district_id)
    check_simbench_code(code, field="body.code")
    version = get_version(session, district, None)
    assert version.id is not None
    job = Run(
        scenario_id=None,
        organisation_id=district.organisation_id,
        district_version_id=version.id,
        kind=RunKind.simbench_import,
        params={"code": code},
        options={},
        changes={},
        spec_hash=version.spec_hash,
        max_attempts=settings.max_attempts,
        created_by_key_id=p.key_id,
    )
    admit_jobs(session, settings, job.organisation_id, 1)
    return save(session, job)


def get_simbench_import(
    session: Session, p: Principal, district_id: int, job_id: int
) -> tuple[Run, DistrictVersion]:
    """Return a SimBench import of the district the caller may read, and its base version.

    404 for a hidden district, and for a job of another district or that the
    caller may not read (viewers and other organisations: their jobs are the
    district organisation's).
    """
    get_district(session, p, district_id)
    of_district = col(Run.district_version_id).in_(
        select(DistrictVersion.id).where(col(DistrictVersion.district_id) == district_id)
    )
    visible = sa.and_(col(Run.kind) == RunKind.simbench_import, of_district, run_visible(p))
    noun = JOB_KINDS[RunKind.simbench_import].noun
    job = get_visible(session, Run, job_id, visible, noun)
    version = session.get(DistrictVersion, job.district_version_id)
    assert version is not None
    return job, version
