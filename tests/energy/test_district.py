"""District spec: validation messages name field, value and allowed range; round trips."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from energy.cli.main import app
from energy.district import (
    District,
    district_from_dict,
    load_district,
    parse_district,
    save_district,
)
from energy.district_flex import HeatPump
from energy.errors import InputDataError

MINIMAL: dict[str, Any] = {
    "site": {"name": "Test", "latitude": 50.88, "longitude": 12.08, "altitude_m": 200},
    "grid": {
        "transformer": {"type": "0.63 MVA 20/0.4 kV", "rating_kva": 630},
        "feeders": [{"id": "F1"}, {"id": "F2", "cable": "NAYY 4x240 SE"}],
    },
    "buildings": [
        {
            "id": "B1",
            "kind": "single_family",
            "annual_kwh": 3500,
            "profile": "H0",
            "feeder": "F1",
            "distance_m": 40,
        },
        {
            "id": "B2",
            "kind": "school",
            "annual_kwh": 80000,
            "profile": "G1",
            "feeder": "F2",
            "distance_m": 120,
        },
    ],
    "pv": [{"id": "PV1", "building": "B1", "kwp": 9.8, "tilt_deg": 35}],
    "batteries": [{"id": "BAT-Q", "at": "substation", "capacity_kwh": 500, "power_kw": 250}],
    "lighting": [
        {
            "id": "L1",
            "road": "Hauptstrasse",
            "design_class": "M3",
            "lowest_class": "M5",
            "luminaires": 24,
            "nominal_w": 95,
            "feeder": "F2",
        }
    ],
}


def with_change(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_minimal_district_defaults() -> None:
    d = district_from_dict(MINIMAL)
    # Import limit defaults to the transformer rating at cos phi = 1: 630 kVA -> 630 kW.
    assert d.grid.import_limit_effective_kw == 630.0
    # PVWatts-style AC rating: 9.8 kWp / DC/AC 1.1 = 8.909 kW.
    assert d.pv[0].pac_kw == pytest.approx(9.8 / 1.1)
    assert d.total_kwp == pytest.approx(9.8)
    assert d.lighting[0].family == "M"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (["pv", 0, "kwp"], -5, ["pv[0].kwp", "greater than 0", "-5"]),
        (["buildings", 0, "profile"], "X9", ["buildings[0].profile", "'H0'", "X9"]),
        (["site", "latitude"], 123, ["site.latitude", "less than or equal to 90", "123"]),
        (["site", "timezone"], "Mars/Olympus", ["site.timezone", "IANA"]),
        (["batteries", 0, "soc_initial_frac"], 0.99, ["soc_initial_frac", "0.99", "0.95"]),
        (["lighting", 0, "lowest_class"], "P5", ["lowest_class P5", "family"]),
        (["lighting", 0, "lowest_class"], "M2", ["brighter"]),
        (["lighting", 0, "design_class"], "Z3", ["design_class", "EN 13201-2"]),
        (["buildings", 1, "feeder"], "F9", ["buildings[1].feeder", "'F9'", "F1"]),
        (["pv", 0, "building"], "B7", ["pv[0].building", "'B7'"]),
        (["buildings", 1, "id"], "B1", ["used twice"]),
        (["pv", 0, "colour"], "blue", ["pv[0].colour", "Extra inputs"]),
    ],
)
def test_bad_input_names_field_value_and_range(
    path: list[Any], value: Any, expected: list[str]
) -> None:
    with pytest.raises(InputDataError) as info:
        district_from_dict(with_change(path, value))
    message = str(info.value)
    for fragment in expected:
        assert fragment in message


def test_yaml_and_json_round_trip(tmp_path: Path) -> None:
    d = district_from_dict(MINIMAL)
    for name in ("d.yaml", "d.json"):
        path = save_district(d, tmp_path / name)
        again = load_district(path)
        assert again == d
        assert again.spec_hash() == d.spec_hash()


def test_spec_hash_changes_with_content() -> None:
    a = district_from_dict(MINIMAL)
    b = district_from_dict(with_change(["pv", 0, "kwp"], 10.0))
    assert a.spec_hash() != b.spec_hash()


def test_broken_yaml_is_an_input_error() -> None:
    with pytest.raises(InputDataError, match="not valid YAML"):
        parse_district("site: [unclosed", "yaml")


def test_cli_validate_ok_and_bad(tmp_path: Path) -> None:
    runner = CliRunner()
    good = save_district(District.model_validate(MINIMAL), tmp_path / "good.yaml")
    result = runner.invoke(app, ["district", "validate", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert '"buildings": 2' in result.stdout

    bad = tmp_path / "bad.yaml"
    text = good.read_text().replace("latitude: 50.88", "latitude: 123.0")
    bad.write_text(text)
    result = runner.invoke(app, ["district", "validate", str(bad)])
    assert result.exit_code == 1
    assert "site.latitude" in result.stderr
    assert "Traceback" not in result.output + result.stderr


# -- heat pumps, thermal storage, EV charging (energy.district_flex) ---------------------
HEAT_PUMP: dict[str, Any] = {
    "source": "air",
    "thermal_kw": 6.0,
    "electric_kw": 2.5,
    "backup_heater_kw": 3.0,
    "controllable_14a": True,
}


def with_building(**fields: Any) -> dict[str, Any]:
    """MINIMAL with ``fields`` set on its first building (a single-family house)."""
    data = copy.deepcopy(MINIMAL)
    data["buildings"][0].update(fields)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(InputDataError) as exc:
        district_from_dict(data)
    return str(exc.value)


def test_district_without_heat_or_mobility_dumps_no_new_fields() -> None:
    # Old files keep their JSON form, hence their spec hash (recorded in run metadata).
    dumped = district_from_dict(MINIMAL).to_dict()
    assert set(dumped["buildings"][0]) == set(MINIMAL["buildings"][0]) | {
        "households",
        "description",
    }
    assert "fleet" not in dumped


def test_heat_and_mobility_fields_round_trip(tmp_path: Path) -> None:
    data = with_building(
        space_heat_kwh_per_m2_a=25,
        floor_area_m2=120,
        hot_water_kwh_a=1750,
        heat_pump=HEAT_PUMP,
        thermal_storage={"kind": "tank", "volume_l": 300, "loss_w_per_k": 1.5},
        ev_chargers={"count": 1, "kw_per_point": 11, "controllable_14a": True},
    )
    data["fleet"] = {"use_frac_per_day": 0.55, "seed": 7}
    district = district_from_dict(data)
    again = load_district(save_district(district, tmp_path / "d.yaml"))
    assert again == district
    assert again.buildings[0].thermal_storage is not None
    assert again.buildings[0].thermal_storage.kind == "tank"


def test_14a_heat_pump_above_4_2_kw_must_be_controllable() -> None:
    # 2.5 kW compressor + 3 kW heating rod = 5.5 kW: BK6-22-300 counts the backup heater.
    message = error_of(
        with_building(hot_water_kwh_a=1000, heat_pump={**HEAT_PUMP, "controllable_14a": False})
    )
    assert "buildings[0].heat_pump.controllable_14a: false is not allowed for 5.5 kW" in message
    assert "4.2 kW" in message and "BK6-22-300" in message and "allowed: true" in message


@pytest.mark.parametrize(
    ("heat_pump", "why"),
    [
        ({"backup_heater_kw": 0.0}, "2.5 kW alone is below the threshold"),
        ({"commissioned_year": 2023}, "commissioned before 2024"),
        ({"electric_kw": 2.2, "backup_heater_kw": 2.0}, "4.2 kW exactly is not above it"),
    ],
)
def test_14a_heat_pump_outside_the_scope_needs_no_flag(heat_pump: dict[str, Any], why: str) -> None:
    hp = {**HEAT_PUMP, "controllable_14a": False, **heat_pump}
    district = district_from_dict(with_building(hot_water_kwh_a=1000, heat_pump=hp))
    assert district.buildings[0].heat_pump == HeatPump.model_validate(hp), why


def test_14a_private_wallbox_must_be_controllable_public_one_need_not() -> None:
    private = {"count": 2, "kw_per_point": 11, "controllable_14a": False}
    message = error_of(with_building(ev_chargers=private))
    assert "buildings[0].ev_chargers.controllable_14a: false is not allowed" in message
    assert "11 kW" in message
    district_from_dict(with_building(ev_chargers={**private, "public": True}))
    district_from_dict(with_building(ev_chargers={**private, "kw_per_point": 3.7}))


def test_14a_applies_only_to_low_voltage_connections() -> None:
    data = with_building(ev_chargers={"count": 2, "kw_per_point": 11})
    data["grid"]["transformer"]["vn_lv_kv"] = 10.0  # a medium-voltage customer
    district_from_dict(data)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"heat_pump": {**HEAT_PUMP, "thermal_kw": 50}, "hot_water_kwh_a": 1},
            "thermal_kw / electric_kw: 20.00 is not allowed; the rated COP must lie in 1..8",
        ),
        (
            {"space_heat_kwh_a": 5000, "space_heat_kwh_per_m2_a": 30},
            "space_heat_kwh_a / space_heat_kwh_per_m2_a: give at most one of them",
        ),
        (
            {"space_heat_kwh_per_m2_a": 30},
            "floor_area_m2: none is not allowed with space_heat_kwh_per_m2_a 30",
        ),
        ({"heat_pump": HEAT_PUMP}, "heat_pump: a heat pump needs a heat demand"),
        (
            {"hot_water_kwh_a": 1000, "thermal_storage": {"kind": "tank", "volume_l": 300}},
            "thermal_storage: needs a heat_pump",
        ),
        (
            {"hot_water_kwh_a": 1000, "heat_profile": "GHD", "heat_building_class": 5},
            "heat_building_class: 5 is not allowed for heat profile GHD",
        ),
        (
            {"space_heat_kwh_a": -1},
            "buildings[0].space_heat_kwh_a: Input should be greater than or equal to 0 (got -1)",
        ),
        (
            {"hot_water_kwh_a": 1, "heat_pump": {**HEAT_PUMP, "flow_temp_space_c": 90}},
            "buildings[0].heat_pump.flow_temp_space_c: Input should be less than or equal to 75",
        ),
    ],
)
def test_heat_fields_errors_name_field_value_and_range(
    fields: dict[str, Any], expected: str
) -> None:
    assert expected in error_of(with_building(**fields))


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        ({"kind": "tank"}, "volume_l / capacity_kwh: give exactly one of them"),
        (
            {"kind": "tank", "volume_l": -5},
            "thermal_storage.tank.volume_l: Input should be greater than 0 (got -5)",
        ),
        (
            {"kind": "tank", "volume_l": 300, "loss_w_per_k": 1, "loss_frac_per_h": 0.01},
            "loss_w_per_k / loss_frac_per_h: give at most one of them",
        ),
        (
            {"kind": "tank", "volume_l": 300, "temp_min_c": 60, "temp_max_c": 50},
            "temp_min_c: 60.0 C is not allowed; it must be below temp_max_c 50.0 C",
        ),
        (
            {"kind": "building_mass", "capacitance_kwh_per_k": 10, "conductance_kw_per_k": 0.1,
             "setpoint_c": 25},
            "setpoint_c: 25.0 C is not allowed; it must lie in the comfort band",
        ),
        (
            {"kind": "building_mass", "capacitance_kwh_per_k": 0, "conductance_kw_per_k": 0.1},
            "capacitance_kwh_per_k: Input should be greater than 0 (got 0)",
        ),
        ({"kind": "boiler"}, "thermal_storage: Input tag 'boiler' found using 'kind'"),
    ],
)  # fmt: skip
def test_thermal_storage_errors(storage: dict[str, Any], expected: str) -> None:
    data = with_building(hot_water_kwh_a=1000, heat_pump=HEAT_PUMP, thermal_storage=storage)
    assert expected in error_of(data)


@pytest.mark.parametrize(
    ("fleet", "expected"),
    [
        (
            {"departure_hour_shares": [1 / 24] * 23 + [0.0]},
            "fleet.departure_hour_shares: the shares sum to 0.9583; they must sum to 1",
        ),
        ({"arrival_hour_shares": [1.0]}, "fleet.arrival_hour_shares: needs 24 shares"),
        (
            {"arrival_hour_shares": [0.0] * 6 + [1.0] + [0.0] * 17},
            # default departures before 07:00: hours 5 and 6, 0.04 + 0.12 = 16 %
            "arrival_hour_shares: by 07:00 local, 100.0% of cars have arrived but only 16.0% "
            "have left",
        ),
        (
            {"daily_km_bins_km": [0, 10, 5, 40, 60, 100, 150, 250, 400]},
            "daily_km_bins_km: [0.0, 10.0, 5.0, 40.0, 60.0, 100.0, 150.0, 250.0, 400.0] is not "
            "allowed; edges must be >= 0 km and strictly increasing",
        ),
        ({"daily_km_bins_km": [0, 400]}, "daily_km_bins_km: 2 edges is not allowed"),
        (
            {"use_frac_per_day": 0},
            "fleet.use_frac_per_day: Input should be greater than 0 (got 0)",
        ),
        (
            {"consumption_kwh_per_100km": 100},
            "fleet.consumption_kwh_per_100km: Input should be less than or equal to 60 (got 100)",
        ),
    ],
)
def test_fleet_errors_name_field_value_and_range(fleet: dict[str, Any], expected: str) -> None:
    data = copy.deepcopy(MINIMAL)
    data["fleet"] = fleet
    assert expected in error_of(data)


def test_more_cars_than_charging_points_is_refused() -> None:
    chargers = {"count": 2, "kw_per_point": 3.7, "cars": 3}
    message = error_of(with_building(ev_chargers=chargers))
    assert "cars: 3 is not allowed; each car needs its own point, so it must be <= count 2" in (
        message
    )


def test_fleet_defaults_give_the_documented_annual_km() -> None:
    # README "Mobility": mean km on a day of use from the bin mid-points
    # 5*.15 + 15*.17 + 30*.22 + 50*.14 + 80*.14 + 125*.09 + 200*.055 + 325*.035 = 61.725 km;
    # 365.25 d x 0.6 x 61.725 km = 13,527 km per car and year.
    fleet = district_from_dict({**MINIMAL, "fleet": {}}).fleet
    assert fleet is not None
    assert fleet.mean_daily_km == pytest.approx(61.725, rel=1e-12)
    assert fleet.annual_km_per_car == pytest.approx(13527.0, abs=1.0)
