"""The TRY files as DWD writes them: Lambert RW/HW header, no latitude line (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from energy.district import DATA_DIR
from energy.errors import InputDataError
from energy.models.weather import DEFAULT_TRY_FILE, read_try
from energy.models.weather.dwd_try import lambert_to_latlon

WEATHER = DATA_DIR / "weather"

# Annual GHI [kWh/m2] and mean air temperature [C] of each file as stated in the
# shared data description (../shared/data/README.md), computed there independently.
STATED = {
    "TRY2015_Chemnitz_region09_Jahr.dat": (1025, 9.6),
    "TRY2015_Chemnitz_region09_Somm.dat": (1119, 10.2),
    "TRY2015_Chemnitz_region09_Wint.dat": (1049, 9.0),
    "TRY2045_Chemnitz_region09_Jahr.dat": (1098, 10.8),
    "TRY2045_Chemnitz_region09_Somm.dat": (1154, 11.1),
    "TRY2045_Chemnitz_region09_Wint.dat": (1060, 9.5),
}


def test_lambert_inverse_matches_the_file_that_carries_both() -> None:
    # The mean year 2015 carries the grid point twice: the data columns RW/HW
    # (4198500 m, 2677500 m) and the header lines Breitengrad 50.8233 / Laengengrad
    # 12.9181 (4 decimals: +-0.00005 deg, about 5 m).
    first_data = next(
        line.split()
        for line in DEFAULT_TRY_FILE.read_text(encoding="utf-8").splitlines()
        if line.split()[:1] == ["4198500"]
    )
    lat, lon = lambert_to_latlon(float(first_data[0]), float(first_data[1]))
    assert lat == pytest.approx(50.8233, abs=5e-5)
    assert lon == pytest.approx(12.9181, abs=5e-5)


def test_lambert_origin_and_central_meridian() -> None:
    # Definition of the projection (EPSG:3034): the false origin (4000 km, 2800 km)
    # is lat_0 = 52 N on lon_0 = 10 E; points on the central meridian keep lon 10 E.
    assert lambert_to_latlon(4_000_000.0, 2_800_000.0) == pytest.approx((52.0, 10.0), abs=1e-9)
    lat, lon = lambert_to_latlon(4_000_000.0, 2_800_000.0 - 111_000.0)
    assert lon == pytest.approx(10.0, abs=1e-9) and 50.5 < lat < 51.5
    # the cone is symmetric about the central meridian
    east = lambert_to_latlon(4_198_500.0, 2_677_500.0)
    west = lambert_to_latlon(3_801_500.0, 2_677_500.0)
    assert west[0] == pytest.approx(east[0], abs=1e-12)
    assert west[1] - 10.0 == pytest.approx(10.0 - east[1], abs=1e-12)


@pytest.mark.parametrize("name", sorted(STATED))
def test_every_region9_file_reads_with_site_and_stated_figures(name: str) -> None:
    frame, meta = read_try(WEATHER / name)
    assert len(frame) == 8760
    assert frame.attrs["latitude"] == pytest.approx(50.8233, abs=5e-5)
    assert frame.attrs["longitude"] == pytest.approx(12.9181, abs=5e-5)
    assert frame.attrs["altitude_m"] == 297.0
    ghi, temp = STATED[name]
    assert frame["ghi"].sum() / 1000 == pytest.approx(ghi, abs=1.0)
    assert frame["temp_air"].mean() == pytest.approx(temp, abs=0.05)
    assert meta["try_kind"] in ("mittleres Jahr", "extremer Sommer", "extremer Winter")
    assert meta["reference_period"] == ("2031-2060" if "2045" in name else "1995-2012")


def _raw(name: str) -> list[str]:
    return (WEATHER / name).read_text(encoding="utf-8").splitlines()


def test_raw_file_without_site_is_named(tmp_path: Path) -> None:
    raw = _raw("TRY2045_Chemnitz_region09_Somm.dat")
    lines = [line for line in raw if "Rechtswert" not in line]
    path = tmp_path / "nosite.dat"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"nosite\.dat: header has neither Breitengrad"):
        read_try(path)


def test_raw_file_with_other_coordinate_system_is_named(tmp_path: Path) -> None:
    lines = [
        "Koordinatensystem : Gauss-Krueger" if line.startswith("Koordinatensystem") else line
        for line in _raw("TRY2015_Chemnitz_region09_Wint.dat")
    ]
    path = tmp_path / "gk.dat"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"gk\.dat: header 'Koordinatensystem : Gauss"):
        read_try(path)


def test_raw_file_with_a_damaged_line_names_it(tmp_path: Path) -> None:
    lines = _raw("TRY2045_Chemnitz_region09_Wint.dat")
    target = next(i for i, line in enumerate(lines) if line.split()[2:5] == ["8", "14", "12"])
    lines[target] = lines[target].replace("4198500 2677500", "4198500 26775OO")
    path = tmp_path / "bad.dat"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=rf"bad\.dat: line {target + 1}: "):
        read_try(path)
