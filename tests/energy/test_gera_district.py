"""The shipped Gera reference district: it loads, it is complete, and it is physically plausible.

The plausibility tests use hand figures that do not come from our own code:
German per-dwelling consumption (Stromspiegel), VDI 3807 school benchmarks, the
utilisation hours of the BDEW standard load profiles, and the cable data of
pandapower's standard types with the textbook load-moment voltage-drop formula.
The derivations are in data/gera/README.md ("Grid check").
"""

from __future__ import annotations

import math
from pathlib import Path

import pandapower as pp
import pytest

from energy.district import (
    GERA_DISTRICT_FILE,
    District,
    load_district,
    save_district,
)

#: Nominal LV line-to-line voltage [V].
U_LV_V = 400.0
#: Power factor assumed for building loads (README "Grid check").
COS_PHI = 0.95

#: Utilisation hours T = annual energy / peak power [h] of the BDEW standard load
#: profiles, rounded DOWN (so E / T over-estimates the peak). Read off the BDEW
#: profile tables (VDEW 1999) as the maximum quarter-hour of each profile
#: normalised to 1,000 kWh/a, calendar 2025: H0 with the dynamisation factor
#: 268 W -> 3,730 h; G1 (weekdays 8-18 h) 483 W -> 2,070 h; the other G profiles
#: 300 W (G6) or less -> at least 3,335 h.
UTILISATION_H = {"H0": 3700.0, "G1": 2000.0}
UTILISATION_OTHER_H = 3300.0


@pytest.fixture(scope="module")
def gera() -> District:
    """The shipped reference district, loaded and validated."""
    return load_district(GERA_DISTRICT_FILE)


def test_file_loads_and_validates(gera: District) -> None:
    assert GERA_DISTRICT_FILE.name == "district.yaml"
    assert gera.site.latitude == pytest.approx(50.88)
    assert gera.site.longitude == pytest.approx(12.08)
    assert gera.site.altitude_m == pytest.approx(200.0)
    assert gera.site.timezone == "Europe/Berlin"


def test_at_least_40_buildings_of_all_four_kinds(gera: District) -> None:
    assert len(gera.buildings) >= 40
    kinds = {b.kind for b in gera.buildings}
    assert {"multi_family", "single_family", "commercial", "school"} <= kinds
    # multi-family buildings are the largest group of the quarter
    n_mf = sum(b.kind == "multi_family" for b in gera.buildings)
    assert n_mf > len(gera.buildings) / 2


def test_pv_on_most_buildings(gera: District) -> None:
    with_pv = {p.building for p in gera.pv}
    assert len(with_pv) > 0.5 * len(gera.buildings)
    # README: "a few hundred kWp to about 1 MWp"
    assert 300.0 <= gera.total_kwp <= 1000.0


def test_home_battery_and_community_battery(gera: District) -> None:
    buildings = {b.id: b for b in gera.buildings}
    homes = [
        bat
        for bat in gera.batteries
        if bat.at in buildings and buildings[bat.at].kind == "single_family"
    ]
    substation = [bat for bat in gera.batteries if bat.at == "substation"]
    assert homes
    assert [bat.id for bat in substation] == ["BAT-Q"]
    # home batteries of 5-15 kWh and 3-10 kW (README "Batteries")
    for bat in homes:
        assert 5.0 <= bat.capacity_kwh <= 15.0
        assert 3.0 <= bat.power_kw <= 10.0


def test_lighting_groups_cover_p_m_and_c_classes(gera: District) -> None:
    assert len(gera.lighting) >= 8
    assert sum(g.luminaires for g in gera.lighting) >= 150
    families = [g.family for g in gera.lighting]
    assert families.count("M") >= 2  # collector and main road
    assert "P" in families
    assert "C" in families
    roads = " ".join(g.road.lower() for g in gera.lighting if g.family == "M")
    assert "main road" in roads
    assert "collector" in roads
    for g in gera.lighting:
        assert g.lowest_class is not None, f"{g.id}: an adaptive group needs an approved range"


def test_lighting_wattages_match_road_type(gera: District) -> None:
    # Typical LED input power (LIGHTING.md, "check" figures): residential 15-40 W,
    # collector 40-80 W, main road 80-150 W, paths 10-25 W.
    for g in gera.lighting:
        road = g.road.lower()
        if "main road" in road:
            assert 80.0 <= g.nominal_w <= 150.0, g.id
        elif "collector" in road:
            assert 40.0 <= g.nominal_w <= 80.0, g.id
        elif "footpath" in road:
            assert 10.0 <= g.nominal_w <= 25.0, g.id
        elif "residential" in road:
            assert 15.0 <= g.nominal_w <= 40.0, g.id


def test_transformer_is_630_kva_pandapower_type(gera: District) -> None:
    trafo = gera.grid.transformer
    assert trafo.rating_kva == pytest.approx(630.0)
    std = pp.available_std_types(pp.create_empty_network(), "trafo")
    assert std.loc[trafo.std_type, "sn_mva"] * 1000.0 == pytest.approx(trafo.rating_kva)
    assert std.loc[trafo.std_type, "vn_lv_kv"] == pytest.approx(trafo.vn_lv_kv)


def test_cables_are_pandapower_std_types(gera: District) -> None:
    std = pp.available_std_types(pp.create_empty_network(), "line")
    for cable in [f.cable for f in gera.grid.feeders] + [gera.grid.service_cable]:
        assert cable in std.index


def test_every_feeder_is_used(gera: District) -> None:
    assert 4 <= len(gera.grid.feeders) <= 6
    used = {b.feeder for b in gera.buildings} | {g.feeder for g in gera.lighting}
    assert used == {f.id for f in gera.grid.feeders}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip(gera: District, tmp_path: Path, suffix: str) -> None:
    path = save_district(gera, tmp_path / f"gera{suffix}")
    again = load_district(path)
    assert again == gera
    assert again.spec_hash() == gera.spec_hash()


def test_residential_demand_matches_german_averages(gera: District) -> None:
    # Stromspiegel (co2online), flats in multi-family buildings without electric
    # hot water: 1 person ~1,500, 4 persons ~2,900 kWh/a; plus the README's
    # 200 kWh/a common-area share per flat -> 1,700..3,100 kWh per flat.
    # Houses: 2 persons ~3,000 to 5 persons ~5,000 kWh/a.
    flats = [b for b in gera.buildings if b.kind == "multi_family"]
    houses = [b for b in gera.buildings if b.kind == "single_family"]
    for b in flats:
        assert b.households, f"{b.id}: multi-family building without a dwelling count"
        assert 1700.0 <= b.annual_kwh / b.households <= 3100.0, b.id
    for b in houses:
        assert 3000.0 <= b.annual_kwh <= 5000.0, b.id
    n_flats = sum(b.households or 0 for b in flats)
    residential_kwh = sum(b.annual_kwh for b in flats + houses)
    low = n_flats * 1700.0 + len(houses) * 3000.0
    high = n_flats * 3100.0 + len(houses) * 5000.0
    assert low <= residential_kwh <= high
    # With the German mean household of about 2 persons (Destatis) the quarter's mean
    # per flat must lie near the 2-person figure of 1,900-2,100 kWh + 200 kWh common share,
    # widened to 2,000-2,600 for the families the new quarter attracts.
    assert 2000.0 <= sum(b.annual_kwh for b in flats) / n_flats <= 2600.0


def test_school_demand_matches_vdi_3807(gera: District) -> None:
    # VDI 3807-2 electricity benchmarks: schools 6 (target) .. 14 (limit) kWh/(m2 a),
    # sports halls 6 .. 22. README: school 5,000 m2, sports hall 1,200 m2 net floor area.
    school = gera.building("SC01")
    hall = gera.building("SC02")
    assert 6.0 * 5000.0 <= school.annual_kwh <= 14.0 * 5000.0
    assert 6.0 * 1200.0 <= hall.annual_kwh <= 22.0 * 1200.0


def test_coincident_peak_below_transformer_rating(gera: District) -> None:
    # Upper bound of the coincident peak: the sum of each building's own profile peak
    # E / T (diversity between profiles ignored) plus all street lights at full power.
    peak_kw = sum(
        b.annual_kwh / UTILISATION_H.get(b.profile, UTILISATION_OTHER_H) for b in gera.buildings
    ) + sum(g.luminaires * g.nominal_w / 1000.0 for g in gera.lighting)
    mean_kw = sum(b.annual_kwh for b in gera.buildings) / 8760.0
    assert peak_kw > 1.5 * mean_kw  # a peak, not an average
    assert peak_kw / COS_PHI < 0.8 * gera.grid.transformer.rating_kva
    assert peak_kw <= gera.grid.import_limit_effective_kw


def test_feeders_carry_peak_and_pv_within_limits(gera: District) -> None:
    # Load-moment method for a radial cable (e.g. Heuck/Dettmann/Schulz, Elektrische
    # Energieversorgung, ch. "Spannungsfall"): dU/U = sum_i P_i l_i (R' + X' tan phi) / U^2.
    # Loads at their profile peak E/T and cos phi 0.95 must draw less than the cable's
    # I_max with a drop below 3 %; all PV inverters at rated AC power with no load
    # (cos phi 1) must stay below I_max and raise the voltage by less than 3 %
    # (VDE-AR-N 4105 planning criterion for the LV level).
    std = pp.available_std_types(pp.create_empty_network(), "line")
    tan_phi = math.tan(math.acos(COS_PHI))
    pac_kw: dict[str, float] = {}
    for p in gera.pv:
        pac_kw[p.building] = pac_kw.get(p.building, 0.0) + p.pac_kw
    for feeder in gera.grid.feeders:
        r_ohm_per_km = float(std.loc[feeder.cable, "r_ohm_per_km"])
        x_ohm_per_km = float(std.loc[feeder.cable, "x_ohm_per_km"])
        i_max_a = float(std.loc[feeder.cable, "max_i_ka"]) * 1000.0
        loads = [
            (b.annual_kwh / UTILISATION_H.get(b.profile, UTILISATION_OTHER_H), b.distance_m)
            for b in gera.buildings
            if b.feeder == feeder.id
        ] + [
            (g.luminaires * g.nominal_w / 1000.0, g.distance_m)
            for g in gera.lighting
            if g.feeder == feeder.id
        ]
        p_kw = sum(p for p, _ in loads)
        i_a = p_kw * 1000.0 / (math.sqrt(3) * U_LV_V * COS_PHI)
        # P [kW] x l [m] is numerically P [W] x l [km]
        drop = sum(p * d for p, d in loads) * (r_ohm_per_km + x_ohm_per_km * tan_phi) / U_LV_V**2
        assert i_a < 0.8 * i_max_a, f"{feeder.id}: {i_a:.0f} A at peak load"
        assert drop < 0.03, f"{feeder.id}: {100 * drop:.2f} % voltage drop"
        gens = [
            (pac_kw.get(b.id, 0.0), b.distance_m) for b in gera.buildings if b.feeder == feeder.id
        ]
        i_pv_a = sum(p for p, _ in gens) * 1000.0 / (math.sqrt(3) * U_LV_V)
        rise = sum(p * d for p, d in gens) * r_ohm_per_km / U_LV_V**2
        assert i_pv_a < i_max_a, f"{feeder.id}: {i_pv_a:.0f} A of PV export"
        assert rise < 0.03, f"{feeder.id}: {100 * rise:.2f} % voltage rise"


def test_positions_lie_on_feeders_of_a_few_hundred_metres(gera: District) -> None:
    for feeder in gera.grid.feeders:
        spots = [b.distance_m for b in gera.buildings if b.feeder == feeder.id]
        spots += [g.distance_m for g in gera.lighting if g.feeder == feeder.id]
        assert 150.0 <= max(spots) <= 500.0, feeder.id
