"""EV charging demand as charging sessions at a district's charging points.

Model (one car per charging point, :class:`energy.district_flex.Fleet`):

* on each local day a car is used with probability ``use_frac_per_day``;
* on a day of use it leaves home at the local hour F_dep^-1(u) and comes back at
  F_arr^-1(u), with one uniform number u for both (comonotone coupling: both
  marginals are exactly the fleet's hour histograms, hours uniform within their
  bin, and the car always returns after it left), and drives a distance drawn
  from the fleet's km histogram (uniform within a bin);
* it plugs in on arrival; the session ends at its next departure (the next
  day of use), and the energy needed is what that day's driving used:
  km x ``consumption_kwh_per_100km`` / 100.

Energy that cannot be charged in the session is capped and reported, never
silently dropped: a session's energy is at most ``kw_per_point x window`` (the
charger cannot deliver more while the car is plugged) and at most
``usable_battery_kwh`` (longer trips charge on the way); the capped part is
assumed charged elsewhere (public charging) and is kept in ``e_capped_kwh``.

Reproducibility: the draws of a car for a local year come from
``numpy.random.default_rng([seed, group key, car, year])`` (group key: CRC-32
of the building id), so a day's sessions are the same whatever horizon is asked
for and whichever other buildings exist.

Times are tz-aware UTC; the fleet's hours are local wall-clock hours of the
site's time zone (a time in the skipped spring hour moves to 03:00, one in the
repeated autumn hour takes its first, summer-time occurrence).

References
----------
infas, DLR, IVT, infas 360 (2018): Mobilität in Deutschland -- MiD.
Ergebnisbericht (Nobis, C., Kuhnimhof, T.), im Auftrag des BMVI (FE-Nr.
70.904/15), www.mobilitaet-in-deutschland.de; the defaults and their sources
are listed in data/gera/README.md, section "Mobility".
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from energy.district_flex import EVChargers, Fleet
from energy.timeindex import require_utc_index, step_hours

if TYPE_CHECKING:
    from energy.district import Building, District

logger = logging.getLogger(__name__)

#: Days simulated before and after a horizon, so that sessions crossing its edges exist.
MARGIN_DAYS = 14
#: Columns of a sessions frame.
SESSION_COLUMNS = (
    "group", "car", "arrival", "departure", "km", "e_need_kwh", "e_kwh", "e_capped_kwh", "p_max_kw",
)  # fmt: skip


@dataclass(frozen=True)
class ChargerGroup:
    """The charging points of one building and the cars that use them.

    Attributes
    ----------
    id
        Group id: the building id.
    cars
        Cars simulated, one per point (``ev_chargers.cars`` or dwellings x
        cars_per_dwelling x ev_share_frac, rounded, at most the points).
    points
        Charging points.
    kw_per_point
        Maximum charging power of a point [kW].
    controllable_14a
        The points are controllable under §14a EnWG.
    fleet
        The fleet description that applies (the building's or the district's).
    """

    id: str
    cars: int
    points: int
    kw_per_point: float
    controllable_14a: bool
    fleet: Fleet


def _cars_of(b: Building, ev: EVChargers, fleet: Fleet) -> int:
    """Cars charging at a building: explicit, from its dwellings, or one per point."""
    if ev.cars is not None:
        return ev.cars
    if b.households is None:
        return ev.count
    return min(ev.count, round(b.households * fleet.cars_per_dwelling * fleet.ev_share_frac))


def charger_groups(district: District) -> list[ChargerGroup]:
    """One :class:`ChargerGroup` per building with ``ev_chargers``, in file order."""
    groups = []
    for b in district.buildings:
        ev = b.ev_chargers
        if ev is None:
            continue
        fleet = b.fleet or district.fleet or Fleet()
        groups.append(
            ChargerGroup(
                id=b.id,
                cars=_cars_of(b, ev, fleet),
                points=ev.count,
                kw_per_point=ev.kw_per_point,
                controllable_14a=ev.controllable_14a,
                fleet=fleet,
            )
        )
    return groups


def inverse_cdf(edges: np.ndarray, shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantiles of a histogram density (uniform within each bin) at probabilities ``u``.

    Parameters
    ----------
    edges
        Bin edges, increasing (n + 1 values).
    shares
        Probability of each bin (n values, >= 0, normalised here).
    u
        Probabilities in [0, 1).
    """
    cum = np.concatenate(([0.0], np.cumsum(shares) / np.sum(shares)))
    k = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(shares) - 1)
    lo, hi = cum[k], cum[k + 1]
    frac = np.divide(u - lo, hi - lo, out=np.zeros_like(u, dtype=float), where=hi > lo)
    return edges[k] + np.clip(frac, 0.0, 1.0) * (edges[k + 1] - edges[k])


@dataclass(frozen=True)
class CarDays:
    """One car's draws for consecutive local days (arrays of one value per day)."""

    dates: np.ndarray  #: local dates (numpy datetime64[D])
    used: np.ndarray  #: the car is used that day
    km: np.ndarray  #: km driven if used [km]
    departure_h: np.ndarray  #: local hour of the first departure [h]
    arrival_h: np.ndarray  #: local hour of the last arrival [h]


def car_days(fleet: Fleet, group_key: int, car: int, year: int) -> CarDays:
    """Draw one car's days of local ``year`` (reproducible, see the module docstring)."""
    rng = np.random.default_rng([fleet.seed, group_key, car, year])
    first = np.datetime64(f"{year}-01-01", "D")
    dates = np.arange(first, np.datetime64(f"{year + 1}-01-01", "D"))
    n = len(dates)
    used = rng.random(n) < fleet.use_frac_per_day
    km = inverse_cdf(
        np.asarray(fleet.daily_km_bins_km), np.asarray(fleet.daily_km_shares), rng.random(n)
    )
    u = rng.random(n)
    hours = np.arange(25.0)
    dep = inverse_cdf(hours, np.asarray(fleet.departure_hour_shares), u)
    arr = inverse_cdf(hours, np.asarray(fleet.arrival_hour_shares), u)
    return CarDays(dates, used, km, dep, arr)


def _local_to_utc(dates: np.ndarray, hours: np.ndarray, tz: str) -> pd.DatetimeIndex:
    """UTC instants of local wall-clock times ``date + hours``."""
    naive = pd.DatetimeIndex(dates.astype("datetime64[ns]")) + pd.to_timedelta(hours, unit="h")
    local = naive.tz_localize(tz, nonexistent="shift_forward", ambiguous=np.ones(len(naive), bool))
    return local.tz_convert("UTC")


def _car_sessions(days: CarDays, group: ChargerGroup, car: int, tz: str) -> pd.DataFrame:
    """Sessions of one car: from each day of use's arrival to the next day of use's departure."""
    used = np.flatnonzero(days.used)
    if len(used) < 2:
        return pd.DataFrame(columns=list(SESSION_COLUMNS))
    this, following = used[:-1], used[1:]
    arrival = _local_to_utc(days.dates[this], days.arrival_h[this], tz)
    departure = _local_to_utc(days.dates[following], days.departure_h[following], tz)
    window_h = np.asarray((departure - arrival) / pd.Timedelta(hours=1))
    fleet = group.fleet
    e_need = days.km[this] * fleet.consumption_kwh_per_100km / 100.0
    e_kwh = np.minimum.reduce(
        [e_need, group.kw_per_point * window_h, np.full(len(this), fleet.usable_battery_kwh)]
    )
    return pd.DataFrame(
        {
            "group": group.id,
            "car": car,
            "arrival": arrival,
            "departure": departure,
            "km": days.km[this],
            "e_need_kwh": e_need,
            "e_kwh": e_kwh,
            "e_capped_kwh": e_need - e_kwh,
            "p_max_kw": group.kw_per_point,
        }
    )


def _days_of(days: list[CarDays], start: np.datetime64, end: np.datetime64) -> CarDays:
    """Concatenate the draws of several years and keep the dates in [start, end)."""
    dates = np.concatenate([d.dates for d in days])
    keep = (dates >= start) & (dates < end)

    def cut(name: str) -> np.ndarray:
        return np.concatenate([getattr(d, name) for d in days])[keep]

    return CarDays(dates[keep], cut("used"), cut("km"), cut("departure_h"), cut("arrival_h"))


def ev_sessions(district: District, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Charging sessions of all charger groups that overlap the horizon of ``index``.

    Returns
    -------
    pandas.DataFrame
        One row per session, columns :data:`SESSION_COLUMNS`: ``group``
        (building id), ``car`` (0..cars-1, also its charging point),
        ``arrival`` and ``departure`` (UTC), ``km`` driven before it,
        ``e_need_kwh`` (km x consumption), ``e_kwh`` (to charge in the
        session, capped), ``e_capped_kwh`` (charged elsewhere) and ``p_max_kw``.
        Sorted by group, car and arrival; the whole session, even where it
        crosses the horizon's edges (see :func:`session_steps`).
    """
    utc = require_utc_index(index)
    tz = district.site.timezone
    end_utc = utc[-1] + pd.Timedelta(hours=step_hours(utc) if len(utc) > 1 else 1.0)
    first = np.datetime64(utc[0].tz_convert(tz).date(), "D") - MARGIN_DAYS
    last = np.datetime64(end_utc.tz_convert(tz).date(), "D") + MARGIN_DAYS
    years = range(first.astype(dt.date).year, last.astype(dt.date).year + 1)
    frames = []
    for group in charger_groups(district):
        key = zlib.crc32(group.id.encode("utf-8"))
        for car in range(group.cars):
            days = _days_of([car_days(group.fleet, key, car, y) for y in years], first, last)
            frames.append(_car_sessions(days, group, car, tz))
    if not frames:
        return pd.DataFrame(columns=list(SESSION_COLUMNS))
    sessions = pd.concat([f for f in frames if len(f)], ignore_index=True)
    inside = (sessions.departure > utc[0]) & (sessions.arrival < end_utc)
    sessions = sessions[inside].reset_index(drop=True)
    capped = sessions.e_capped_kwh > 1e-9
    if capped.any():
        logger.info(
            "%d of %d sessions capped: %.1f kWh charged elsewhere (charger power x window "
            "or usable battery too small)",
            int(capped.sum()),
            len(sessions),
            float(sessions.e_capped_kwh.sum()),
        )
    return sessions


@dataclass(frozen=True)
class SessionSteps:
    """Sessions laid onto a dispatch index (sparse session x step incidence).

    Entry j says: session ``session[j]`` is plugged in for ``plugged_h[j]``
    hours of step ``step[j]``. Per session s (rows of the sessions frame):
    ``e_kwh[s]`` is the energy to charge inside the horizon, the session's
    energy times the share of its window inside the horizon (so a session cut
    by the horizon's edge keeps its charging rate); it must be delivered by the
    end of step ``last_step[s]`` at no more than ``p_max_kw[s]``.
    """

    session: np.ndarray
    step: np.ndarray
    plugged_h: np.ndarray
    e_kwh: np.ndarray
    p_max_kw: np.ndarray
    first_step: np.ndarray
    last_step: np.ndarray


def session_steps(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> SessionSteps:
    """Lay sessions onto ``index``: which steps each is plugged in, and for how long [h]."""
    utc = require_utc_index(index)
    dt_h = step_hours(utc) if len(utc) > 1 else 1.0
    t0 = utc[0]
    n = len(utc)

    def hours(times: pd.Series) -> np.ndarray:
        return np.asarray((pd.DatetimeIndex(times) - t0) / pd.Timedelta(hours=1), dtype=float)

    arr_h, dep_h = hours(sessions.arrival), hours(sessions.departure)
    a, d = np.clip(arr_h, 0.0, n * dt_h), np.clip(dep_h, 0.0, n * dt_h)
    first = np.minimum(np.floor(a / dt_h).astype(np.int64), n - 1)
    last = np.maximum(np.ceil(d / dt_h).astype(np.int64) - 1, first)
    counts = last - first + 1
    session = np.repeat(np.arange(len(sessions)), counts)
    step = np.repeat(first, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    lo, hi = step * dt_h, (step + 1) * dt_h
    plugged = np.clip(np.minimum(hi, d[session]) - np.maximum(lo, a[session]), 0.0, dt_h)
    window = np.maximum(dep_h - arr_h, 1e-12)
    e_in = sessions.e_kwh.to_numpy(float) * (d - a) / window
    return SessionSteps(
        session, step, plugged, e_in, sessions.p_max_kw.to_numpy(float), first, last
    )


@dataclass(frozen=True)
class GroupArrays:
    """Per charger group, the arrays an aggregated charging block needs, on the index.

    All frames have the dispatch index (UTC, interval start) as rows and the
    group ids as columns.

    Attributes
    ----------
    p_max_kw
        Plugged-in charging power available in the step (interval mean) [kW]:
        sum over sessions of p_max x plugged hours / dt.
    e_arrive_kwh
        Energy of the sessions that start in the step [kWh]; charging up to a
        step may not exceed the energy arrived so far.
    e_depart_kwh
        Energy of the sessions that end in the step [kWh]; what has left by
        the end of a step must have been charged by then.
    """

    p_max_kw: pd.DataFrame
    e_arrive_kwh: pd.DataFrame
    e_depart_kwh: pd.DataFrame


def group_arrays(
    sessions: pd.DataFrame, steps: SessionSteps, index: pd.DatetimeIndex, groups: list[str]
) -> GroupArrays:
    """Aggregate sessions per charger group onto ``index`` (see :class:`GroupArrays`).

    With C_t the energy charged in steps 0..t, an aggregated group block needs
    cumsum(e_depart)_t <= C_t <= cumsum(e_arrive)_t and 0 <= p_t <= p_max_t.
    This envelope is a relaxation of the per-session constraints (energy may
    move between the cars of a group); :class:`SessionSteps` has what an exact
    per-session block needs.
    """
    utc = require_utc_index(index)
    dt_h = step_hours(utc) if len(utc) > 1 else 1.0
    col = {g: i for i, g in enumerate(groups)}
    g_of = np.array([col[g] for g in sessions.group], dtype=np.int64)
    shape = (len(utc), len(groups))
    p_max, arrive, depart = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(
        p_max,
        (steps.step, g_of[steps.session]),
        steps.p_max_kw[steps.session] * steps.plugged_h / dt_h,
    )
    np.add.at(arrive, (steps.first_step, g_of), steps.e_kwh)
    np.add.at(depart, (steps.last_step, g_of), steps.e_kwh)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=utc, columns=pd.Index(groups, name="group"))

    return GroupArrays(frame(p_max), frame(arrive), frame(depart))


def sessions_summary(
    sessions: pd.DataFrame, steps: SessionSteps, groups: list[ChargerGroup], index: pd.DatetimeIndex
) -> pd.DataFrame:
    """Sessions per day, km, kWh charged inside the horizon and capped kWh, per group.

    Columns: ``cars``, ``points``, ``kw_per_point``, ``sessions_per_day``
    (sessions arriving in the horizon per day of it), ``km`` and
    ``e_need_kwh`` of those sessions, ``e_kwh`` (charged inside the horizon,
    edge sessions pro-rated, see :class:`SessionSteps`), ``e_capped_kwh``
    (capped energy of the sessions arriving in it, charged elsewhere) and
    ``capped_sessions``. A last row ``total`` sums them.
    """
    utc = require_utc_index(index)
    dt_h = step_hours(utc) if len(utc) > 1 else 1.0
    days = len(utc) * dt_h / 24.0
    arrival = pd.DatetimeIndex(sessions.arrival)
    arriving_in = np.asarray((arrival >= utc[0]) & (arrival < utc[-1] + pd.Timedelta(hours=dt_h)))
    rows = {}
    for g in groups:
        mine = (sessions.group == g.id).to_numpy()
        arriving = mine & arriving_in
        rows[g.id] = {
            "cars": g.cars,
            "points": g.points,
            "kw_per_point": g.kw_per_point,
            "sessions_per_day": arriving.sum() / days,
            "km": float(sessions.km[arriving].sum()),
            "e_need_kwh": float(sessions.e_need_kwh[arriving].sum()),
            "e_kwh": float(steps.e_kwh[mine].sum()),
            "e_capped_kwh": float(sessions.e_capped_kwh[arriving].sum()),
            "capped_sessions": int((sessions.e_capped_kwh[arriving] > 1e-9).sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.loc["total"] = table.sum()
    table.loc["total", "kw_per_point"] = np.nan
    return table
