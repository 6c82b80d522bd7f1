"""API keys and roles.

A key looks like ``esk_<prefix>_<secret>``: the 8-hex-digit prefix finds the
row, the SHA-256 of the whole key is all that is stored (the secret has 256
bits of entropy, so a fast hash is enough; a slow password hash protects
low-entropy passwords, which these are not).

Roles:

======================  ============================================================
admin                   everything, in every organisation; manages organisations and keys
planner                 everything of their organisation; reads published objects
cooperative             their organisation's scenarios and runs; reads published
                        districts (and their own organisation's)
viewer                  published districts, scenarios and results only; never writes
======================  ============================================================

Objects the caller may not see answer 404 (as if they did not exist); objects
the caller may see but not change answer 403.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import Session, col, select

from api.schemas import Role, Visibility
from api.tables import (
    ApiKey,
    District,
    DistrictVersion,
    MeterData,
    Organisation,
    Run,
    Scenario,
    Sweep,
    utcnow,
)

KEY_PREFIX = "esk"
#: ``last_used_at`` is written at most this often per key, to spare the database.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller (``key_id`` None: the server itself, e.g. when seeding)."""

    key_id: int | None
    key_name: str
    role: Role
    organisation_id: int

    @property
    def is_admin(self) -> bool:
        """True for the admin role."""
        return self.role == Role.admin


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> tuple[str, str, str]:
    """Return a new key, its prefix and its hash: ``(key, prefix, key_hash)``."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def create_api_key(
    session: Session, organisation_id: int, name: str, role: Role
) -> tuple[ApiKey, str]:
    """Store a new key for ``organisation_id`` and return the row and the key (shown once)."""
    key, prefix, key_hash = generate_key()
    row = ApiKey(
        organisation_id=organisation_id, name=name, role=role, prefix=prefix, key_hash=key_hash
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, key


def authenticate(session: Session, key: str) -> Principal | None:
    """Return the principal of ``key``, or None for an unknown, malformed or revoked key."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    row = session.exec(select(ApiKey).where(col(ApiKey.prefix) == parts[1])).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.add(row)
        session.commit()
    assert row.id is not None
    return Principal(
        key_id=row.id, key_name=row.name, role=Role(row.role), organisation_id=row.organisation_id
    )


# -- who sees what (one place, used by every query) ------------------------------


def organisation_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the organisations ``p`` may read: the own one (admins: all)."""
    if p.is_admin:
        return true()
    return col(Organisation.id) == p.organisation_id


def key_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the keys ``p`` may see and revoke.

    Admins: every key; planners: their organisation's; everyone else: their own.
    """
    if p.is_admin:
        return true()
    if p.role == Role.planner:
        return col(ApiKey.organisation_id) == p.organisation_id
    return col(ApiKey.id) == p.key_id


def district_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the districts ``p`` may read."""
    if p.is_admin:
        return true()
    published = col(District.visibility) == Visibility.published
    if p.role == Role.viewer:
        return published
    return or_(col(District.organisation_id) == p.organisation_id, published)


def scenario_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the scenarios ``p`` may read.

    The own organisation's (not for viewers), and published ones whose district
    ``p`` may read too: a published scenario on a private district shows
    nothing of that district to others.
    """
    if p.is_admin:
        return true()
    readable_district = col(Scenario.district_id).in_(
        select(District.id).where(district_visible(p))
    )
    published = and_(col(Scenario.visibility) == Visibility.published, readable_district)
    if p.role == Role.viewer:
        return published
    return or_(col(Scenario.organisation_id) == p.organisation_id, published)


def run_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the runs ``p`` may read.

    Access follows the data: a run (its results, schedule, node powers, grid,
    lighting) is readable when its scenario is and the district of the exact
    version it ran on is (published, or the caller's). Runs of the caller's own
    organisation stay readable to it (not to its viewers) after the district's
    owner made the district private again; nobody else reads them then.
    """
    if p.is_admin:
        return true()
    version_readable = col(Run.district_version_id).in_(
        select(DistrictVersion.id)
        .join(District, col(District.id) == col(DistrictVersion.district_id))
        .where(district_visible(p))
    )
    shared = and_(
        col(Run.scenario_id).in_(select(Scenario.id).where(scenario_visible(p))), version_readable
    )
    if p.role == Role.viewer:
        return shared
    return or_(col(Run.organisation_id) == p.organisation_id, shared)


def sweep_visible(p: Principal) -> ColumnElement[bool]:
    """Return the SQL condition of the sweeps ``p`` may read: those of readable scenarios."""
    if p.is_admin:
        return true()
    return col(Sweep.scenario_id).in_(select(Scenario.id).where(scenario_visible(p)))


def meter_data_visible(p: Principal) -> ColumnElement[bool]:
    """Meter data are their organisation's (viewers excepted) and admins' only."""
    if p.is_admin:
        return true()
    if p.role == Role.viewer:
        return false()
    return col(MeterData.organisation_id) == p.organisation_id


def can_write_district(p: Principal, district: District) -> bool:
    """Admins; planners of the owning organisation."""
    return p.is_admin or (p.role == Role.planner and district.organisation_id == p.organisation_id)


def can_write_scenario(p: Principal, organisation_id: int) -> bool:
    """Admins; planners and cooperatives of the owning organisation (also for its runs)."""
    if p.is_admin:
        return True
    return p.role in (Role.planner, Role.cooperative) and organisation_id == p.organisation_id


def can_manage_keys(p: Principal, organisation_id: int) -> bool:
    """Admins; planners for their own organisation (creating non-admin keys)."""
    return p.is_admin or (p.role == Role.planner and organisation_id == p.organisation_id)


def can_revoke_key(p: Principal, key: ApiKey) -> bool:
    """Admins revoke any key; everyone else only the key they call with."""
    return p.is_admin or key.id == p.key_id
