"""The Gera variant with heat pumps and EV charging: a full copy of district.yaml plus new fields.

Plausibility against the figures that data/gera/README.md cites (sections "Heat"
and "Mobility"): KfW Effizienzhaus 40 specific space heat, 500 kWh hot water per
resident (VDI 4655), 2,000 full-load hours for sizing, field-test seasonal COPs
of air-source heat pumps, and the §14a EnWG flags. The CLI commands print them.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from energy.cli.main import app
from energy.district import DATA_DIR, GERA_DISTRICT_FILE, District, load_district
from energy.district_flex import BUILDING_FLEX_FIELDS
from energy.models.heat import district_heat, heat_summary
from energy.timeindex import year_index

HEAT_FILE = DATA_DIR / "gera" / "district_heat_mobility.yaml"


@pytest.fixture(scope="module")
def gera_heat() -> District:
    return load_district(HEAT_FILE)


def test_it_is_district_yaml_plus_heat_and_mobility(gera_heat: District) -> None:
    base = load_district(GERA_DISTRICT_FILE).to_dict()
    variant = gera_heat.to_dict()
    assert variant.pop("fleet")["seed"] == 2025
    for b in variant["buildings"]:
        for key in BUILDING_FLEX_FIELDS:
            b.pop(key, None)
    assert variant["description"] != base["description"]
    variant["description"] = base["description"]
    assert variant == base


def test_residential_buildings_have_heat_pumps_tanks_and_wallboxes(gera_heat: District) -> None:
    residential = [b for b in gera_heat.buildings if b.kind in ("multi_family", "single_family")]
    assert len(residential) == 36
    for b in residential:
        assert b.heat_pump is not None and b.heat_pump.controllable_14a
        assert b.heat_pump.connection_kw > 4.2  # so the flag is required, not optional
        assert b.thermal_storage is not None and b.ev_chargers is not None
        assert b.ev_chargers.controllable_14a and b.households is not None
        # one wallbox per townhouse, one per two flats (rounded up)
        assert b.ev_chargers.count == (1 if b.kind == "single_family" else -(-b.households // 2))
    others = [b for b in gera_heat.buildings if b not in residential]
    assert all(b.heat_pump is None and b.ev_chargers is None for b in others)


def test_heat_year_is_plausible(gera_heat: District) -> None:
    table = heat_summary(gera_heat, district_heat(gera_heat, year_index(2025, "1h")))
    total = table.loc["total"]
    area_m2 = sum(b.floor_area_m2 or 0.0 for b in gera_heat.buildings)
    # EH40 new builds: space heat 25-30 kWh/(m2 a) (README); hot water 500 kWh per resident:
    # 416 dwellings, 928 residents -> 464 MWh.
    assert total.e_space_kwh / area_m2 == pytest.approx(25.2, abs=0.1)
    assert total.e_hot_water_kwh == pytest.approx(464_000.0, rel=1e-9)
    # sized at 2,000 full-load hours, every pump covers its TRY peak: nothing unmet
    assert total.e_unmet_kwh == pytest.approx(0.0, abs=1e-6)
    assert (table.q_peak_kw <= table.thermal_kw).all()
    # seasonal COP of air-source pumps with 35 C floor heating and 50-60 C hot water:
    # field tests of new buildings report about 2.5-3.6 (README "Heat", check)
    assert 2.5 < total.scop < 3.6
    assert 3.0 < table.loc["SF01", "scop"] < 3.6  # townhouses: hot water at 50 C


def test_cli_heat_and_mobility_json() -> None:
    runner = CliRunner()
    heat = runner.invoke(app, ["heat", str(HEAT_FILE), "--year", "2025", "--json"])
    assert heat.exit_code == 0, heat.output
    data = json.loads(heat.output)
    assert data["total"]["e_space_kwh"] == pytest.approx(791_000.0, rel=1e-6)
    assert "thermostat" in data["operation"] and "not extrapolated" in data["period"]
    mobility = runner.invoke(app, ["mobility", str(HEAT_FILE), "--json"])
    assert mobility.exit_code == 0, mobility.output
    groups = json.loads(mobility.output)
    assert len(groups["groups"]) == 36
    total = groups["total"]
    # 214 cars x 365 days x 0.6 used = 128.5 sessions a day; ~13,500 km and ~2,500 kWh a car
    assert total["sessions_per_day"] == pytest.approx(128.5, rel=0.02)
    assert total["km"] / 214 == pytest.approx(13_518.0, rel=0.02)
    assert total["e_kwh"] / 214 == pytest.approx(0.19 * 13_518.0, rel=0.03)
    table = runner.invoke(app, ["heat", str(HEAT_FILE)])
    assert table.exit_code == 0 and "SCOP" in table.output


def test_cli_refuses_a_bad_file() -> None:
    result = CliRunner().invoke(app, ["mobility", "no-such-file.yaml"])
    assert result.exit_code == 1 and "file not found" in result.output
