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

A key may expire (``expires_at``); an expired or revoked key answers 401 with
the reason. A key that passed is remembered for ``ENERGY_AUTH_CACHE_TTL_S``
seconds in the process (:class:`AuthCache`, keyed on the key's SHA-256), so
a burst of requests reads its row once; revoking a key in the process drops
it from the cache at once, a revocation made by another process takes effect
here within the TTL, and expiry is checked on every request, cached or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
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
    session: Session,
    organisation_id: int,
    name: str,
    role: Role,
    expires_in_days: int | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key for ``organisation_id`` and return the row and the key (shown once).

    ``expires_in_days`` [days] sets ``expires_at`` that long from now; None: never.
    """
    key, prefix, key_hash = generate_key()
    expires_at = None if expires_in_days is None else utcnow() + dt.timedelta(days=expires_in_days)
    row = ApiKey(
        organisation_id=organisation_id,
        name=name,
        role=role,
        prefix=prefix,
        key_hash=key_hash,
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, key


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of checking a key: its principal, or why it is refused (in words)."""

    principal: Principal | None
    refusal: str = ""


@dataclass(frozen=True)
class _Cached:
    principal: Principal
    expires_at: dt.datetime | None  # the key's expiry (UTC)
    stored_s: float  # AuthCache.clock() when cached [s]


class AuthCache:
    """Principals of keys that passed, per process, for ``ttl_s`` seconds (0: off).

    Keyed on the key's SHA-256 (never the key itself); at most ``max_entries``
    keys, the oldest dropped first. Thread-safe: FastAPI runs the
    authentication of sync routes on a thread pool. ``clock`` [s] measures
    the TTL (monotonic; replaceable in tests).
    """

    def __init__(
        self,
        ttl_s: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> _Cached | None:
        """Return the entry of ``key_hash`` if it is younger than the TTL."""
        if self.ttl_s <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key_hash)
            if entry is not None and self.clock() - entry.stored_s >= self.ttl_s:
                del self._entries[key_hash]
                return None
            return entry

    def put(self, key_hash: str, principal: Principal, expires_at: dt.datetime | None) -> None:
        """Remember that ``key_hash`` is ``principal`` (the key expiring at ``expires_at``)."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._entries.pop(key_hash, None)
            self._entries[key_hash] = _Cached(principal, expires_at, self.clock())
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]

    def invalidate(self, key_hash: str) -> None:
        """Forget ``key_hash`` (a key revoked in this process)."""
        with self._lock:
            self._entries.pop(key_hash, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _expired(expires_at: dt.datetime | None, now: dt.datetime) -> str:
    if expires_at is None or now < expires_at:
        return ""
    return (
        f"X-API-Key: this key expired at {expires_at.isoformat(timespec='seconds')}; "
        "ask an admin or a planner of your organisation for a new one (POST /keys)"
    )


def check_key(session: Session, key: str, cache: AuthCache | None = None) -> KeyCheck:
    """Return the principal of ``key``, or why it is refused.

    An unknown or malformed key is refused as unknown; a key whose secret
    matches (constant-time comparison) but that is revoked or past
    ``expires_at`` is refused with that reason and the time. A key in
    ``cache`` is not read again within the cache's TTL, but its expiry is
    checked every time.
    """
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return KeyCheck(None, "X-API-Key: not a key of this API (esk_<prefix>_<secret>)")
    key_hash = hash_key(key)
    now = utcnow()
    cached = cache.get(key_hash) if cache is not None else None
    if cached is not None:
        if reason := _expired(cached.expires_at, now):
            return KeyCheck(None, reason)
        return KeyCheck(cached.principal)
    row = session.exec(select(ApiKey).where(col(ApiKey.prefix) == parts[1])).first()
    if row is None or not hmac.compare_digest(row.key_hash, key_hash):
        return KeyCheck(None, "X-API-Key: unknown key")
    if row.revoked_at is not None:
        when = row.revoked_at.isoformat(timespec="seconds")
        return KeyCheck(None, f"X-API-Key: this key was revoked at {when}")
    if reason := _expired(row.expires_at, now):
        return KeyCheck(None, reason)
    assert row.id is not None
    principal = Principal(
        key_id=row.id, key_name=row.name, role=Role(row.role), organisation_id=row.organisation_id
    )
    expires_at = row.expires_at
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.add(row)
        session.commit()
    if cache is not None:
        cache.put(key_hash, principal, expires_at)
    return KeyCheck(principal)


def authenticate(session: Session, key: str, cache: AuthCache | None = None) -> Principal | None:
    """Return the principal of ``key``; None for an unknown, malformed, revoked or expired key."""
    return check_key(session, key, cache).principal


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
