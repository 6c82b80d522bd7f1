"""Reader of the DWD test reference years (TRY 2015 ``.dat``) into the canonical frame.

Format (DWD/BBSR, "Handbuch Ortsgenaue Testreferenzjahre", 2017): a German
header, then the column line ``RW HW MM DD HH t p WR WG N x RF B D A E IL``
and one line per hour. The header gives the site in one of two ways:

* ``Breitengrad``, ``Laengengrad``, ``Hoehenlage`` (files re-distributed with
  a latitude line, such as the mean year 2015 shipped in HiSim), or
* as DWD writes them: ``Koordinatensystem : Lambert konform konisch``,
  ``Rechtswert``, ``Hochwert`` [m] and ``Hoehenlage`` (the extreme years and
  every TRY 2045), converted to latitude/longitude by
  :func:`lambert_to_latlon` with the TRY grid's projection :data:`TRY_LAMBERT`.

The frame's ``attrs`` carry ``latitude``, ``longitude`` and ``altitude_m``.
Vendor columns are mapped to canonical names by :data:`TRY_VARIABLE_MAP`; the
labelling is stated in :func:`read_try`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.district import DATA_DIR
from energy.errors import InputDataError
from energy.models.weather.frame import canonical_frame, check_full_year, check_steps, read_text
from energy.models.weather.solar import solar_position, split_beam

#: The shipped DWD test reference year 2015, region 9 (contains Gera).
DEFAULT_TRY_FILE: Path = DATA_DIR / "weather" / "TRY2015_Chemnitz_region09_Jahr.dat"

#: Nominal calendar year given to the DWD TRY 2015 (a TRY has no real year; its
#: months come from 1995-2012). 2015 is not a leap year, as the TRY has no 29 Feb.
TRY_NOMINAL_YEAR = 2015

#: DWD TRY column -> canonical column (B and D give ghi and dni, see read_try).
TRY_VARIABLE_MAP: dict[str, str] = {
    "t": "temp_air",
    "WG": "wind_speed",
    "B": "beam_horizontal",
    "D": "dhi",
}


#: The TRY grid's Lambert conformal conic projection (two standard parallels) on
#: the GRS80 ellipsoid, i.e. ETRS89 / LCC Europe (EPSG:3034), the grid of the TRY
#: 2015 and 2045 data sets (DWD/BBSR, "Handbuch Ortsgenaue Testreferenzjahre von
#: Deutschland fuer mittlere, extreme und zukuenftige Witterungsverhaeltnisse",
#: 2017). Angles [deg], false easting/northing and semi-major axis [m]. Checked
#: in the tests against the shipped mean year 2015, whose file carries both the
#: Lambert columns RW/HW and the latitude/longitude of the same grid point.
TRY_LAMBERT: dict[str, float] = {
    "lat_1": 35.0,
    "lat_2": 65.0,
    "lat_0": 52.0,
    "lon_0": 10.0,
    "x_0": 4_000_000.0,
    "y_0": 2_800_000.0,
    "a": 6_378_137.0,
    "inv_f": 298.257222101,
}


def lambert_to_latlon(
    easting_m: float, northing_m: float, proj: dict[str, float] | None = None
) -> tuple[float, float]:
    """Return (latitude, longitude) [deg] of a point in a Lambert conformal conic grid.

    The ellipsoidal inverse of Snyder, "Map Projections - A Working Manual",
    USGS Professional Paper 1395 (1987), pp. 104-110: eqs. (15-11), (15-9a),
    (15-8), (14-15), (14-4) and (7-9) (the latitude by fixed-point iteration).

    Parameters
    ----------
    easting_m, northing_m
        ``Rechtswert`` and ``Hochwert`` [m] (false easting/northing included).
    proj
        The projection parameters; :data:`TRY_LAMBERT` when omitted.
    """
    p = TRY_LAMBERT if proj is None else proj
    f = 1.0 / p["inv_f"]
    e = math.sqrt(2 * f - f * f)
    phi1, phi2, phi0 = (math.radians(p[k]) for k in ("lat_1", "lat_2", "lat_0"))

    def m(phi: float) -> float:
        return math.cos(phi) / math.sqrt(1 - (e * math.sin(phi)) ** 2)

    def t(phi: float) -> float:
        es = e * math.sin(phi)
        return math.tan(math.pi / 4 - phi / 2) / ((1 - es) / (1 + es)) ** (e / 2)

    n = (math.log(m(phi1)) - math.log(m(phi2))) / (math.log(t(phi1)) - math.log(t(phi2)))
    big_f = m(phi1) / (n * t(phi1) ** n)
    rho0 = p["a"] * big_f * t(phi0) ** n
    x = easting_m - p["x_0"]
    y = rho0 - (northing_m - p["y_0"])
    rho = math.copysign(math.hypot(x, y), n)
    theta = math.atan2(x, y)
    tt = (rho / (p["a"] * big_f)) ** (1 / n)
    phi = math.pi / 2 - 2 * math.atan(tt)
    for _ in range(12):  # converges to < 1e-12 rad within 6 steps at mid latitudes
        es = e * math.sin(phi)
        phi = math.pi / 2 - 2 * math.atan(tt * ((1 - es) / (1 + es)) ** (e / 2))
    return math.degrees(phi), math.degrees(theta / n) + p["lon_0"]


def _header_field(lines: list[str], pattern: str, number: bool = True) -> str | None:
    """Return the value after ``pattern :`` in the header (a number or the text), or None."""
    value = r"(-?[0-9.]+)" if number else r"(.+)$"
    for line in lines[:60]:
        m = re.match(pattern + r"\s*:\s*" + value, line.strip())
        if m:
            return m.group(1).strip()
    return None


def _site(lines: list[str], source: str) -> dict[str, float]:
    """Return latitude, longitude [deg] (and the Lambert RW/HW [m] if given) of the header."""
    lat = _header_field(lines, r"Breitengrad")
    lon = _header_field(lines, r"L(?:ä|ae|a)ngengrad")
    if lat is not None and lon is not None:
        return {"latitude": float(lat), "longitude": float(lon)}
    east = _header_field(lines, r"Rechtswert")
    north = _header_field(lines, r"Hochwert")
    if east is None or north is None:
        raise InputDataError(
            f"{source}: header has neither Breitengrad/Laengengrad nor Lambert "
            "Rechtswert/Hochwert; not a DWD TRY file?"
        )
    system = _header_field(lines, r"Koordinatensystem", number=False) or "(missing)"
    if "lambert" not in system.lower():
        raise InputDataError(
            f"{source}: header 'Koordinatensystem : {system}' is not 'Lambert konform "
            "konisch'; the reader knows only the Lambert grid of the DWD TRY"
        )
    latitude, longitude = lambert_to_latlon(float(east), float(north))
    return {
        "latitude": round(latitude, 6),
        "longitude": round(longitude, 6),
        "rechtswert_m": float(east),
        "hochwert_m": float(north),
    }


def _header(lines: list[str], source: str) -> dict[str, Any]:
    """Return site, clock and kind of a TRY file from its German header."""
    altitude = _header_field(lines, r"Hoehenlage")
    if altitude is None:
        raise InputDataError(f"{source}: header field Hoehenlage not found; not a DWD TRY file?")
    return {
        **_site(lines, source),
        "altitude_m": float(altitude),
        "year": TRY_NOMINAL_YEAR,
        "utc_offset_h": 1.0,
        "typical_year": True,
        "try_kind": _header_field(lines, r"Art des TRY", number=False),
        "reference_period": _header_field(lines, r"Bezugszeitraum", number=False),
        "source": source,
    }


def _table(lines: list[str], source: str) -> tuple[pd.DataFrame, list[int]]:
    """Return the data lines below the column line as floats, and their 1-based numbers."""
    head = next(
        (i for i, line in enumerate(lines) if line.split()[:5] == ["RW", "HW", "MM", "DD", "HH"]),
        None,
    )
    if head is None:
        raise InputDataError(
            f"{source}: column line 'RW HW MM DD HH ...' not found; not a DWD TRY 2015 file?"
        )
    columns = lines[head].split()
    needed = ["MM", "DD", "HH", *TRY_VARIABLE_MAP]
    absent = [c for c in needed if c not in columns]
    if absent:
        raise InputDataError(
            f"{source}: line {head + 1}: missing column(s) "
            f"{', '.join(absent)}; a TRY needs {', '.join(needed)}"
        )
    rows: list[list[float]] = []
    line_numbers: list[int] = []
    for number, line in enumerate(lines[head + 1 :], start=head + 2):
        fields = line.split()
        if not fields or fields[0].startswith("*"):
            continue
        if len(fields) != len(columns):
            raise InputDataError(
                f"{source}: line {number} has {len(fields)} values, expected {len(columns)} "
                f"({' '.join(columns)}); the file looks cut off or damaged"
            )
        try:
            rows.append([float(v) for v in fields])
        except ValueError as exc:
            raise InputDataError(f"{source}: line {number}: {exc}") from exc
        line_numbers.append(number)
    if not rows:
        raise InputDataError(f"{source}: no data lines after the column line {head + 1}")
    return pd.DataFrame(rows, columns=columns), line_numbers


def _index(raw: pd.DataFrame, line_numbers: list[int], source: str) -> pd.DatetimeIndex:
    """Return the interval starts [UTC] of the TRY rows (``MM-DD (HH-1):00 MEZ - 1 h``)."""
    try:
        date = pd.to_datetime(
            {
                "year": np.full(len(raw), TRY_NOMINAL_YEAR),
                "month": raw["MM"].astype(int),
                "day": raw["DD"].astype(int),
            }
        )
    except ValueError as exc:
        raise InputDataError(f"{source}: invalid month/day in the data lines: {exc}") from exc
    hour = raw["HH"].astype(int)
    bad_hour = np.flatnonzero((hour < 1) | (hour > 24))
    if len(bad_hour):
        i = int(bad_hour[0])
        raise InputDataError(
            f"{source}: line {line_numbers[i]}: HH = {hour[i]} is not "
            "allowed; TRY hours run 1..24 (MEZ, end of the hour)"
        )
    # start of the hour in MEZ = date + (HH - 1) h; UTC = MEZ - 1 h
    start_utc = (date + pd.to_timedelta(hour - 2, unit="h")).dt.tz_localize("UTC")
    index = pd.DatetimeIndex(start_utc)
    check_steps(index, source, 1.0, line_numbers)
    check_full_year(index, source, 1.0, TRY_NOMINAL_YEAR, line_numbers[-1])
    return index


def read_try(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a DWD test reference year (TRY 2015 or 2045 ``.dat``) into the canonical frame.

    ``HH`` runs 1..24 in MEZ (UTC+1, no daylight saving time) and labels the
    END of the hour: ``HH = 1`` is the mean over 00:00-01:00 MEZ, i.e. the
    interval starting 23:00 UTC of the previous day. Readings used: ``t`` air
    temperature [C], ``WG`` wind speed [m/s], ``B`` direct and ``D`` diffuse
    irradiance on the horizontal [W/m2] (module docstring for the format).

    Labelling here: start of the interval in UTC, ``MM-DD (HH-1):00 MEZ - 1 h``.
    ``ghi = B + D``; ``dni`` from ``B`` at the interval midpoint with the low-sun
    guard of :mod:`energy.models.weather.solar`, computed at the file's own grid point.

    A TRY has no real year (its months are taken from 1995-2012); it is
    labelled with the nominal year :data:`TRY_NOMINAL_YEAR` = 2015. Use
    :func:`~energy.models.weather.map_to_year` or
    :func:`~energy.models.weather.weather_for_index` for other years.

    Parameters
    ----------
    path
        The DWD TRY 2015 ``.dat`` file.

    Returns
    -------
    tuple
        The canonical frame (8760 hours from 2014-12-31 23:00 UTC) and metadata
        ``latitude``, ``longitude`` [deg], ``altitude_m`` [m], ``year`` (nominal),
        ``utc_offset_h`` (1), ``typical_year`` (True), ``try_kind`` and
        ``reference_period`` (the header's "Art des TRY" and "Bezugszeitraum"),
        ``source``; for a Lambert header also ``rechtswert_m``, ``hochwert_m``.

    Raises
    ------
    InputDataError
        For a missing header field or column, a line with too few values (a cut
        file, named by line number), or missing hours (the period is named).
    """
    p = Path(path)
    source = str(p)
    lines = read_text(p).splitlines()
    meta = _header(lines, source)
    raw, line_numbers = _table(lines, source)
    index = _index(raw, line_numbers, source)
    data = raw.rename(columns=TRY_VARIABLE_MAP).set_index(index)
    pos = solar_position(index, meta["latitude"], meta["longitude"], meta["altitude_m"])
    ghi, dni, dhi = split_beam(
        data["beam_horizontal"].to_numpy(), data["dhi"].to_numpy(), pos["zenith"].to_numpy()
    )
    data["ghi"], data["dni"], data["dhi"] = ghi, dni, dhi
    frame = canonical_frame(data, source, 1.0, line_numbers)
    frame.attrs.update(
        latitude=meta["latitude"], longitude=meta["longitude"], altitude_m=meta["altitude_m"]
    )
    return frame, meta
