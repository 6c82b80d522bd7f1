"""Does the weather fit the site? Distance and time zone, from the weather's own header.

The readers put the coordinates of the weather's header into the canonical
frame's attrs (``latitude``, ``longitude`` [deg];
:func:`~energy.models.weather.sources.read_weather` copies them from each
reader's metadata), and ``utc_offset_h`` with
``local_clock`` True where the file's clock is a local standard time (DWD
TRY: MEZ = UTC+1; EPW: its ``LOCATION`` time zone), not UTC.
:func:`site_mismatches` compares them with the district's site:

* **distance**: the great-circle distance (haversine on the mean Earth radius
  6371.0088 km, IUGG) between the weather's coordinates and the site, more
  than ``max_distance_km`` (default 100 km: DWD's test reference years
  represent climate regions of roughly that size, the TRY 2015 handbook's 15
  regions over Germany);
* **time zone of the file**: a file written in local standard time whose
  offset differs from the standard (winter) offset of the site's time zone;
* **time zone of the site**: a site zone whose standard offset differs from
  mean solar time at the site's longitude (longitude / 15 h) by more than
  ``max_zone_offset_h`` (default 3.5 h; real zones differ by up to about 3 h,
  e.g. western China) -- e.g. a site at 151.2 deg E kept on Europe/Berlin.

:func:`check_site` raises :class:`~energy.errors.InputDataError` naming both
places' coordinates unless the user says the mismatch is intended
(``allow_mismatch``, a run's ``allow_site_mismatch``); then the messages are
warnings of the run. Weather without coordinates in its header (a frame
passed in without attrs) has no distance check.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from energy.district import Site
from energy.errors import InputDataError

#: Mean Earth radius [km] (IUGG, Moritz 2000).
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class SiteCheck:
    """How strictly the weather must fit the site (module docstring).

    ``allow_mismatch``: turn the errors into warnings; ``max_distance_km``
    [km]; ``max_zone_offset_h`` [h] between the site's zone and mean solar time.
    """

    allow_mismatch: bool = False
    max_distance_km: float = 100.0
    max_zone_offset_h: float = 3.5

    def __post_init__(self) -> None:
        if not 0 < self.max_distance_km <= 20100:
            raise InputDataError(
                f"site_max_distance_km: {self.max_distance_km} km is not allowed; it must be in "
                "(0, 20100]"
            )


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km] between two points [deg] (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def standard_offset_h(timezone: str) -> float:
    """Return the standard (winter) UTC offset of a zone [h]: the smaller of January's, July's."""
    zone = ZoneInfo(timezone)
    offsets = []
    for month in (1, 7):
        offset = dt.datetime(2025, month, 1, 12, tzinfo=zone).utcoffset()
        assert offset is not None
        offsets.append(offset.total_seconds() / 3600.0)
    return min(offsets)


def place(lat: float, lon: float) -> str:
    """Coordinates in words, e.g. ``33.90 S, 151.20 E``."""
    return f"{abs(lat):.2f} {'N' if lat >= 0 else 'S'}, {abs(lon):.2f} {'E' if lon >= 0 else 'W'}"


def site_mismatches(attrs: Mapping[str, Any], site: Site, check: SiteCheck) -> list[str]:
    """Say, one sentence each, where weather (its frame's attrs) and site do not fit."""
    out: list[str] = []
    source = str(attrs.get("source", "weather"))
    here = f"the site {site.name!r} at {place(site.latitude, site.longitude)}"
    lat, lon = attrs.get("latitude"), attrs.get("longitude")
    if lat is not None and lon is not None and math.isfinite(lat) and math.isfinite(lon):
        km = great_circle_km(float(lat), float(lon), site.latitude, site.longitude)
        if km > check.max_distance_km:
            out.append(
                f"weather {source}: recorded at {place(float(lat), float(lon))}, {km:,.0f} km "
                f"from {here} (more than the {check.max_distance_km:g} km allowed)"
            )
    zone_h = standard_offset_h(site.timezone)
    if attrs.get("local_clock") and abs(float(attrs.get("utc_offset_h", 0.0)) - zone_h) > 1e-9:
        out.append(
            f"weather {source}: its clock is UTC{float(attrs['utc_offset_h']):+g} h, but the time "
            f"zone {site.timezone} of {here} is UTC{zone_h:+g} h"
        )
    solar_h = site.longitude / 15.0
    if abs(zone_h - solar_h) > check.max_zone_offset_h:
        out.append(
            f"site: the time zone {site.timezone} (UTC{zone_h:+g} h) does not fit the longitude "
            f"of {here} (mean solar time UTC{solar_h:+.1f} h)"
        )
    return out


def check_site(attrs: Mapping[str, Any], site: Site, check: SiteCheck | None = None) -> list[str]:
    """Raise on a mismatch of weather and site unless allowed; return the warnings.

    Raises
    ------
    InputDataError
        Naming both places' coordinates, and how to proceed on purpose.
    """
    cfg = check or SiteCheck()
    found = site_mismatches(attrs, site, cfg)
    if found and not cfg.allow_mismatch:
        raise InputDataError(
            "; ".join(found) + ". Use weather for the site, or set allow_site_mismatch "
            "(CLI --allow-site-mismatch) if this is intended"
        )
    return found
