"""Scenario changes applied to a district spec."""

from __future__ import annotations

from typing import Any

import pytest

from energy.district import TariffSpec, district_from_dict
from energy.errors import InputDataError
from energy.variants import (
    BatteryAddition,
    LightingChange,
    PVAddition,
    ScenarioChanges,
    apply_changes,
    split_total_kwp,
)

SPEC: dict[str, Any] = {
    "site": {"name": "Test", "latitude": 50.88, "longitude": 12.08},
    "grid": {"feeders": [{"id": "F1"}]},
    "buildings": [
        {
            "id": "B1",
            "kind": "multi_family",
            "annual_kwh": 30000,
            "profile": "H0",
            "feeder": "F1",
            "distance_m": 50,
        },
        {
            "id": "B2",
            "kind": "school",
            "annual_kwh": 10000,
            "profile": "G1",
            "feeder": "F1",
            "distance_m": 120,
        },
        {
            "id": "B3",
            "kind": "other",
            "annual_kwh": 0,
            "profile": "G0",
            "feeder": "F1",
            "distance_m": 130,
        },
    ],
    "pv": [{"id": "PV-ADD-B1", "building": "B1", "kwp": 20}],
    "lighting": [
        {
            "id": "L1",
            "road": "Weg",
            "design_class": "P3",
            "lowest_class": "P4",
            "luminaires": 10,
            "nominal_w": 40,
            "feeder": "F1",
        },
    ],
}


@pytest.fixture
def district() -> Any:
    return district_from_dict(SPEC)


def test_empty_changes_return_the_district(district: Any) -> None:
    assert apply_changes(district, ScenarioChanges()) is district


def test_total_kwp_split_by_annual_demand(district: Any) -> None:
    # 100 kWp over 30,000 : 10,000 : 0 kWh/a -> 75 : 25 : 0 kWp.
    assert split_total_kwp(district, 100.0) == pytest.approx({"B1": 75.0, "B2": 25.0})
    changed = apply_changes(district, ScenarioChanges(pv_added_total_kwp=100.0))
    assert changed.total_kwp == pytest.approx(20.0 + 100.0)
    ids = [p.id for p in changed.pv]
    # the existing id PV-ADD-B1 is not reused: the new system on B1 gets a suffix
    assert ids == ["PV-ADD-B1", "PV-ADD-B1-2", "PV-ADD-B2"]
    assert district.total_kwp == 20.0  # the original is unchanged


def test_battery_pv_lighting_and_tariff(district: Any) -> None:
    changes = ScenarioChanges(
        pv=[PVAddition(building="B2", kwp=30, azimuth_deg=90)],
        batteries=[BatteryAddition(capacity_kwh=400, power_kw=200)],
        lighting=[LightingChange(group="L1", design_class="p4", lowest_class="P6")],
        tariff=TariffSpec(flat_eur_per_kwh=0.31),
    )
    changed = apply_changes(district, changes)
    assert changed.total_battery_kwh == 400.0
    assert changed.batteries[0].id == "BAT-ADD-substation"
    assert changed.pv[-1].azimuth_deg == 90.0
    assert (changed.lighting[0].design_class, changed.lighting[0].lowest_class) == ("P4", "P6")
    assert changed.tariff.flat_eur_per_kwh == 0.31


def test_unknown_references_name_the_change(district: Any) -> None:
    changes = ScenarioChanges(
        pv=[PVAddition(building="NOPE", kwp=5)],
        batteries=[BatteryAddition(at="B9", capacity_kwh=1, power_kw=1)],
        lighting=[LightingChange(group="L9", design_class="P5")],
    )
    with pytest.raises(InputDataError) as err:
        apply_changes(district, changes)
    text = str(err.value)
    assert "changes.pv[0].building: 'NOPE'" in text
    assert "changes.batteries[0].at: 'B9'" in text
    assert "changes.lighting[0].group: 'L9'" in text


def test_lighting_class_out_of_family_is_refused(district: Any) -> None:
    with pytest.raises(InputDataError, match="lowest_class M5 must be in the family"):
        apply_changes(
            district, ScenarioChanges(lighting=[LightingChange(group="L1", lowest_class="M5")])
        )
    with pytest.raises(ValueError, match="not an EN 13201-2 class"):
        LightingChange(group="L1", design_class="Z9")
