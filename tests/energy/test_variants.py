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
    unlimited_roof_notes,
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
    changed = apply_changes(district, ScenarioChanges(pv_kwp_added=100.0))
    assert changed.total_kwp == pytest.approx(20.0 + 100.0)
    ids = [p.id for p in changed.pv]
    # the existing id PV-ADD-B1 is not reused: the new system on B1 gets a suffix
    assert ids == ["PV-ADD-B1", "PV-ADD-B1-2", "PV-ADD-B2"]
    assert district.total_kwp == 20.0  # the original is unchanged


def test_one_name_for_added_pv_and_stored_scenarios_still_load() -> None:
    """``pv_kwp_added`` in the library, API and sweeps; the old name is read, never written."""
    old = ScenarioChanges.model_validate({"pv_added_total_kwp": 50.0})
    assert old.pv_kwp_added == 50.0
    assert old.model_dump(exclude_defaults=True) == {"pv_kwp_added": 50.0}
    assert ScenarioChanges.model_validate(old.model_dump()) == old
    with pytest.raises(ValueError, match="pv_kwp_added"):
        ScenarioChanges.model_validate({"pv_kwp_added": -1.0})


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


# ---------------------------------------------------------------------------
# PV additions that respect roofs
# ---------------------------------------------------------------------------
def test_roof_potential_split_by_hand(district: Any) -> None:
    spec = {**SPEC, "buildings": [dict(b) for b in SPEC["buildings"]]}
    # B1: 200 m2 usable x 0.19 kWp/m2 = 38 kWp, 20 installed -> 18 kWp left;
    # B2: 100 m2 -> 19 kWp left; B3: not allowed (green roof)
    spec["buildings"][0]["roof_area_m2"] = 200.0
    spec["buildings"][1]["roof_area_m2"] = 100.0
    spec["buildings"][2].update(pv_allowed=False, roof_area_m2=500.0)
    roofs = district_from_dict(spec)
    # 18.5 kWp in proportion to 18 : 19 -> 9.0 and 9.5 kWp
    assert split_total_kwp(roofs, 18.5) == pytest.approx({"B1": 9.0, "B2": 9.5})
    # 37 kWp fill both exactly; 37.1 kWp do not fit and are refused with the figures
    assert split_total_kwp(roofs, 37.0) == pytest.approx({"B1": 18.0, "B2": 19.0})
    with pytest.raises(InputDataError, match=r"37\.1 kWp do not fit .* potential is 37\.0 kWp"):
        split_total_kwp(roofs, 37.1)
    # with B2's area unknown: by demand (75 : 25) with B1 capped at its 18 kWp
    spec["buildings"][1]["roof_area_m2"] = None
    mixed = district_from_dict(spec)
    assert split_total_kwp(mixed, 40.0) == pytest.approx({"B1": 18.0, "B2": 22.0})
    assert split_total_kwp(mixed, 20.0) == pytest.approx({"B1": 15.0, "B2": 5.0})


def test_added_pv_on_roofs_of_unknown_area_is_named_in_the_warnings(district: Any) -> None:
    spec = {**SPEC, "buildings": [dict(b) for b in SPEC["buildings"]], "pv": []}
    assert unlimited_roof_notes(district_from_dict(spec)) == ()  # nothing added
    spec["pv"] = SPEC["pv"]
    spec["buildings"][0]["roof_area_m2"] = 200.0  # B1 known: 38 - 20 = 18 kWp left
    # 40 kWp by demand 75 : 25 -> B1 capped at 18 kWp, B2 (area unknown) takes 22 kWp
    changed = apply_changes(district_from_dict(spec), ScenarioChanges(pv_kwp_added=40.0))
    (note,) = unlimited_roof_notes(changed)
    assert note.startswith("added PV: 22.0 kWp on 1 roofs whose usable area is not known")
    spec["buildings"][1]["roof_area_m2"] = 100.0  # every roof known: no note
    known = apply_changes(district_from_dict(spec), ScenarioChanges(pv_kwp_added=30.0))
    assert unlimited_roof_notes(known) == ()


@pytest.fixture(scope="module")
def gera() -> Any:
    from energy.district import GERA_DISTRICT_FILE, load_district

    return load_district(GERA_DISTRICT_FILE)


#: The eleven Gera roofs the README keeps without PV (terraces, garden, green roof, no roof).
NO_PV = {"MF04", "MF10", "MF15", "MF17", "MF18", "MF21", "CO01", "CO02", "CO03", "CO04", "CO06"}


def test_200_kwp_on_gera_land_only_on_allowed_roofs_within_their_area(gera: Any) -> None:
    import re

    from energy.variants import ROOF_KWP_PER_M2, added_pv_kwp

    assert {b.id for b in gera.buildings if not b.pv_allowed} == NO_PV
    changed = apply_changes(gera, ScenarioChanges(pv_kwp_added=200.0))
    placed = added_pv_kwp(changed)  # the per-building list a run records
    assert sum(placed.values()) == pytest.approx(200.0)
    assert not set(placed) & NO_PV and len(placed) == 47 - 11
    # the roofs' usable areas from data/gera/README.md "Roof PV" (40 % of a flat roof's
    # area, "roof NNN m2" in the descriptions): with them, +200 kWp still land only on
    # allowed roofs and no roof with a known area gets more than its remaining potential
    areas = {}
    for b in gera.buildings:
        found = re.search(r"roof (\d+) m2", b.description)
        if found and b.pv_allowed:
            areas[b.id] = 0.4 * float(found.group(1))
    surveyed = gera.model_copy(
        update={
            "buildings": [
                b.model_copy(update={"roof_area_m2": areas.get(b.id)}) for b in gera.buildings
            ]
        }
    )
    installed = {b: sum(p.kwp for p in gera.pv if p.building == b) for b in areas}
    placed = added_pv_kwp(apply_changes(surveyed, ScenarioChanges(pv_kwp_added=200.0)))
    assert sum(placed.values()) == pytest.approx(200.0)
    assert not set(placed) & NO_PV
    for b, kwp in placed.items():
        if b in areas:
            assert installed[b] + kwp <= areas[b] * ROOF_KWP_PER_M2 + 1e-9, b
    # the east-west roofs are full already (MF01: 216 m2 x 0.19 = 41.0 kWp, 41.3 installed)
    assert "MF01" not in placed
    # every added system has its roof's layout (MF03: south rows at 15 deg)
    mf03 = next(p for p in apply_changes(gera, ScenarioChanges(pv_kwp_added=200.0)).pv
                if p.id == "PV-ADD-MF03")  # fmt: skip
    assert (mf03.tilt_deg, mf03.azimuth_deg) == (15.0, 180.0)
