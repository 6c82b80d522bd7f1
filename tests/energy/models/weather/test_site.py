"""Weather that does not fit the site (energy/models/weather/site.py): distance and time zone.

References: the haversine example of Rosetta Code ("Haversine formula": Nashville
BNA 36.12 N, 86.67 W to Los Angeles LAX 33.94 N, 118.40 W is 2887.2600 km on a
6372.8 km sphere), the IANA zone offsets, and the coordinates in the header of
the shipped DWD TRY (Chemnitz, 50.8233 N, 12.9181 E).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from energy.cli.main import app
from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.errors import InputDataError
from energy.models.weather import weather_for_index
from energy.models.weather.site import (
    EARTH_RADIUS_KM,
    SiteCheck,
    great_circle_km,
    standard_offset_h,
)
from energy.scenario import ScenarioOptions, run_scenario
from energy.timeindex import make_index


def test_great_circle_distance_and_zone_offsets_against_references() -> None:
    bna_lax = 2887.2599506071106 * EARTH_RADIUS_KM / 6372.8
    assert great_circle_km(36.12, -86.67, 33.94, -118.40) == pytest.approx(bna_lax, rel=1e-12)
    assert great_circle_km(50.88, 12.08, 50.88, 12.08) == 0.0
    # standard (winter) offsets, northern and southern hemisphere
    assert standard_offset_h("Europe/Berlin") == 1.0
    assert standard_offset_h("Australia/Sydney") == 10.0
    assert standard_offset_h("America/Denver") == -7.0


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


def _sydney(gera: District) -> District:
    site = gera.site.model_copy(update={"latitude": -33.9, "longitude": 151.2})
    return gera.model_copy(update={"site": site})


def test_gera_with_its_own_weather_passes_and_the_distance_is_configurable(gera) -> None:
    index = make_index("2025-06-01", 1, "1h", gera.site.timezone)
    weather = weather_for_index(index, gera.site)
    assert weather.attrs["site_warnings"] == []
    # Gera (50.88 N, 12.08 E) to the TRY's Chemnitz (50.8233 N, 12.9181 E): about 59 km
    km = great_circle_km(50.88, 12.08, 50.8233, 12.9181)
    assert 55 < km < 62
    with pytest.raises(InputDataError, match=r"5\d km from the site .*more than the 50 km"):
        weather_for_index(index, gera.site, site_check=SiteCheck(max_distance_km=50))


def test_a_clock_of_another_time_zone_is_refused(gera: District) -> None:
    london = gera.site.model_copy(update={"timezone": "Europe/London"})
    index = make_index("2025-06-01", 1, "1h", london.timezone)
    with pytest.raises(InputDataError, match=r"its clock is UTC\+1 h, but the time zone "):
        weather_for_index(index, london)


def test_sydney_copy_of_gera_with_the_chemnitz_weather_is_refused(gera: District) -> None:
    sydney = _sydney(gera)
    options = ScenarioOptions(start="2025-06-02", days=1, ac_check=False)
    with pytest.raises(InputDataError) as refused:
        run_scenario(sydney, options)
    text = str(refused.value)
    assert "recorded at 50.82 N, 12.92 E" in text  # the weather's header
    assert "at 33.90 S, 151.20 E" in text  # the site
    assert "16,1" in text and "km from the site" in text  # about 16,100 km
    assert "Europe/Berlin (UTC+1 h) does not fit the longitude" in text
    assert "allow_site_mismatch" in text
    # on purpose: the run goes ahead and says the same as warnings
    allowed = options.model_copy(update={"allow_site_mismatch": True})
    result = run_scenario(sydney, allowed)
    warnings = result.metadata["warnings"]
    assert any("recorded at 50.82 N, 12.92 E" in w and "33.90 S, 151.20 E" in w for w in warnings)
    assert result.metadata["options"]["allow_site_mismatch"] is True


def test_cli_refuses_the_sydney_copy_unless_allowed(gera: District, tmp_path) -> None:
    path = tmp_path / "sydney.json"
    path.write_text(json.dumps(_sydney(gera).to_dict()), encoding="utf-8")
    args = ["optimise", str(path), "--start", "2025-06-02", "--days", "1", "--no-ac-check"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert "50.82 N, 12.92 E" in text and "33.90 S, 151.20 E" in text
    assert "Traceback" not in res.output
    ok = CliRunner().invoke(app, [*args, "--allow-site-mismatch"])
    assert ok.exit_code == 0, ok.output
    assert "warning: weather" in " ".join(ok.stderr.split())
