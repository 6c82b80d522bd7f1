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
