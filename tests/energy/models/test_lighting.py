"""Tests of energy.models.lighting and the ``energy lighting`` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from energy.district import District, district_from_dict
from energy.district_lighting import LightingGroup
from energy.errors import InputDataError
from energy.models.lighting import (
    allowed_class,
    baseline_level_s0,
    baseline_level_s1,
    class_level_frac,
    dark_fraction,
    discrete_levels,
    lighting_inputs,
    lighting_summary,
    min_level_frac,
    night_window_share,
    power_kw,
)
from energy.timeindex import make_index, year_index

TZ = "Europe/Berlin"
# Gera (DESIGN.md): 50.88 N, 12.08 E, about 200 m
GERA = {"latitude": 50.88, "longitude": 12.08, "altitude_m": 200.0}


def _group(**overrides: object) -> LightingGroup:
    spec: dict[str, object] = {
        "id": "G1",
        "road": "Teststrasse",
        "design_class": "M3",
        "lowest_class": "M5",
        "luminaires": 10,
        "nominal_w": 40.0,
        "driver_offset_frac": 0.07,
        "standby_w": 0.5,
        "min_dim_frac": 0.2,
        "feeder": "F1",
    }
    spec.update(overrides)
    return LightingGroup.model_validate(spec)


def _district_data() -> dict:
    return {
        "site": {"name": "Gera test", **GERA},
        "grid": {"feeders": [{"id": "F1"}]},
        "buildings": [
            {
                "id": "B1",
                "kind": "single_family",
                "annual_kwh": 3500,
                "profile": "H0",
                "feeder": "F1",
                "distance_m": 10,
            }
        ],
        "lighting": [
            {
                "id": "L-main",
                "road": "Hauptstrasse",
                "design_class": "M3",
                "lowest_class": "M5",
                "luminaires": 24,
                "nominal_w": 95,
                "feeder": "F1",
            },
            {
                "id": "L-res",
                "road": "Wohnweg",
                "design_class": "P3",
                "lowest_class": "P5",
                "luminaires": 30,
                "nominal_w": 25,
                "min_dim_frac": 0.3,
                "feeder": "F1",
            },
            {
                "id": "L-cross",
                "road": "Kreuzung",
                "design_class": "C3",
                "luminaires": 6,
                "nominal_w": 120,
                "feeder": "F1",
            },
        ],
    }


@pytest.fixture(scope="module")
def district() -> District:
    return district_from_dict(_district_data())


@pytest.fixture(scope="module")
def gera_dark_2025() -> pd.Series:
    return dark_fraction(year_index(2025, "1h", TZ), **GERA)


# --- dark hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold_deg", "expected_h"),
    [
        # LIGHTING.md, "When lights burn": Gera 2025 about 4,280 h below -0.833 deg,
        # about 4,090 h below -3 deg, about 3,830 h below -6 deg.
        (-0.833, 4280.0),
        (-3.0, 4090.0),
        (-6.0, 3830.0),
    ],
)
def test_gera_burning_hours(threshold_deg: float, expected_h: float) -> None:
    dark = dark_fraction(year_index(2025, "1h", TZ), threshold_deg=threshold_deg, **GERA)
    burning_h = float(dark.sum())  # dt = 1 h
    assert burning_h == pytest.approx(expected_h, rel=0.02)
    if threshold_deg == -3.0:
        # Issue 2, Must show: between 4,000 and 4,200 h; German rule of thumb ~4,000 h/a
        assert 4000.0 < burning_h < 4200.0


def test_gera_night_share(gera_dark_2025: pd.Series) -> None:
    # LIGHTING.md: about 69 % of the burning hours fall between 22:00 and 06:00.
    local_hour = gera_dark_2025.index.tz_convert(TZ).hour
    night = gera_dark_2025[(local_hour >= 22) | (local_hour < 6)].sum()
    assert float(night / gera_dark_2025.sum()) == pytest.approx(0.69, abs=0.01)
    # 22:00-04:00 local is dark all year: at the June solstice the -3 deg dawn is at about
    # 02:40 UTC = 04:40 CEST (solar noon 11:13 UTC minus H = 8.57 h, see the almanac test
    # below); 05:00-06:00 CEST is then light, so the 22-06 window has < 8 x 365 dark hours.
    core = gera_dark_2025[(local_hour >= 22) | (local_hour < 4)]
    assert (core == 1.0).all()
    assert float(night) < 8 * 365


def test_dark_fraction_resolution_independent(gera_dark_2025: pd.Series) -> None:
    # The same 5-min sample points -> the hourly mean of 15-min fractions equals the
    # hourly fraction exactly.
    quarter = dark_fraction(year_index(2025, "15min", TZ), **GERA)
    np.testing.assert_allclose(
        quarter.resample("1h").mean().to_numpy(), gera_dark_2025.to_numpy(), atol=1e-12
    )


def test_noon_is_light_midnight_is_dark(gera_dark_2025: pd.Series) -> None:
    local = gera_dark_2025.tz_convert(TZ)
    assert (local[local.index.hour == 12] == 0).all()
    assert (local[local.index.hour == 0] == 1).all()
    # a dusk hour is partly dark: 21 Dec 2025 sunset in Gera about 16:00 CET
    assert 0 < float(local["2025-12-21 16:00"]) < 1


def test_solstice_dusk_against_almanac() -> None:
    # Independent reference (spherical astronomy): at the June solstice (declination
    # d = 23.44 deg) the sun's centre is at h0 = -3 deg at the hour angle H with
    # cos H = (sin h0 - sin phi sin d) / (cos phi cos d); phi = 50.88 deg.
    # Solar noon at 12.08 E on 21 Jun: 12:00 UTC - 12.08 x 4 min - EoT, with the equation
    # of time EoT = -1.7 min (almanac), i.e. 11:13.4 UTC. Dusk = solar noon + H / 15 h.
    phi, decl, h0 = np.radians([50.88, 23.44, -3.0])
    hour_angle_deg = np.degrees(
        np.arccos((np.sin(h0) - np.sin(phi) * np.sin(decl)) / (np.cos(phi) * np.cos(decl)))
    )
    noon_min = 12 * 60 - 12.08 * 4 + 1.7
    expected = pd.Timestamp("2025-06-21", tz="UTC") + pd.Timedelta(
        minutes=noon_min + hour_angle_deg / 15 * 60
    )
    index = pd.date_range("2025-06-21 19:00", periods=90, freq="1min", tz="UTC")
    dark = dark_fraction(index, substeps=1, **GERA)
    first_dark = dark[dark > 0].index[0]
    # 1-min samples at the step centres; the almanac inputs are good to about 1 min
    assert abs((first_dark - expected).total_seconds()) < 120


def test_dark_fraction_errors() -> None:
    index = year_index(2025, "1h", TZ)
    with pytest.raises(InputDataError, match="latitude"):
        dark_fraction(index, latitude=123.0, longitude=12.0)
    with pytest.raises(InputDataError, match="threshold_deg"):
        dark_fraction(index, latitude=50.0, longitude=12.0, threshold_deg=-40.0)


# --- classes and levels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("design", "lower", "expected"),
    [
        # LIGHTING.md, from the EN 13201-2 levels: M3 1.0, M4 0.75, M5 0.50, M6 0.30 cd/m2;
        # P3 7.5, P4 5, P5 3 lx.
        ("M3", "M4", 0.75),
        ("M3", "M5", 0.50),
        ("M3", "M6", 0.30),
        ("M4", "M5", 0.67),
        ("P3", "P4", 0.67),
        ("P3", "P5", 0.40),
        ("P4", "P5", 0.60),
    ],
)
def test_class_level_ratios(design: str, lower: str, expected: float) -> None:
    assert class_level_frac(design, lower) == pytest.approx(expected, abs=0.005)


def test_class_level_errors() -> None:
    with pytest.raises(InputDataError, match="family"):
        class_level_frac("M3", "P4")
    with pytest.raises(InputDataError, match="M7"):
        class_level_frac("M3", "M7")


# Crafted traffic profile by local hour (design flow = 1.0): readings below 0.5 allow one
# class down, below 0.25 two (UNI 11248).
CRAFTED = [
    1.0,
    0.4,
    0.4,
    0.2,
    0.2,
    0.2,
    0.4,
    1.0,
    1.0,
    1.0,
    0.2,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    0.3,
    0.1,
    0.1,
    1.0,
]
# Expected by hand, M3 design, lowest M5: dim by the smaller of this and the previous
# hour's allowance (two consecutive low readings), brighten at once.
#   h0: 1.0 (prev h23 1.0) M3 | h1: 0.4 but prev 1.0 -> M3 | h2: 0.4, 0.4 -> M4
#   h3: 0.2, prev 0.4 -> M4 | h4, h5: 0.2, 0.2 -> M5 | h6: 0.4 -> M4 at once
#   h7: 1.0 -> M3 | h10: single low reading -> M3 | h20: 0.3 after 1.0 -> M3
#   h21: 0.1 after 0.3 -> M4 | h22: 0.1 after 0.1 -> M5 | h23: 1.0 -> M3
EXPECTED_CLASS = [
    "M3",
    "M3",
    "M4",
    "M4",
    "M5",
    "M5",
    "M4",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M3",
    "M4",
    "M5",
    "M3",
]


def test_traffic_rule_with_hysteresis() -> None:
    group = _group(traffic_profile=CRAFTED)
    index = make_index("2025-06-04", 1, "1h", TZ)
    assert allowed_class(group, index, TZ).tolist() == EXPECTED_CLASS
    # 15-min steps: each quarter-hour takes its hour's class
    quarter = allowed_class(group, make_index("2025-06-04", 1, "15min", TZ), TZ)
    assert quarter.tolist() == [c for c in EXPECTED_CLASS for _ in range(4)]


def test_traffic_rule_range_and_design_flow() -> None:
    index = make_index("2025-06-04", 1, "1h", TZ)
    capped = allowed_class(_group(traffic_profile=CRAFTED, lowest_class="M4"), index, TZ)
    assert capped.tolist() == [c if c != "M5" else "M4" for c in EXPECTED_CLASS]
    fixed = allowed_class(_group(traffic_profile=CRAFTED, lowest_class=None), index, TZ)
    assert set(fixed) == {"M3"}
    # design flow 0.5: readings are halved relative to design -> 1.0 becomes 2.0 of
    # design, 0.2 becomes 0.4 (one class down only), 0.1 -> 0.2 (two down)
    half = allowed_class(
        _group(traffic_profile=CRAFTED, design_traffic_factor=0.5), index, TZ
    ).tolist()
    assert half[4] == "M4" and half[22] == "M5" and half[2] == "M3"


def test_traffic_rule_across_dst() -> None:
    group = _group(traffic_profile=CRAFTED)
    autumn = allowed_class(group, make_index("2025-10-26", 1, "1h", TZ), TZ)
    # local hours 0, 1, 2 (CEST), 2 (CET), 3, 4, ...: the repeated 02:00 reading is a
    # second consecutive 0.4 -> M4; 03:00 (0.2 after 0.4) -> M4; 04:00 -> M5
    assert autumn.tolist()[:6] == ["M3", "M3", "M4", "M4", "M4", "M5"]
    spring = allowed_class(group, make_index("2025-03-30", 1, "1h", TZ), TZ)
    # local hours 0, 1, 3, 4: 03:00 follows the real hour 01:00 (0.4) -> M4; 04:00 -> M5
    assert spring.tolist()[:4] == ["M3", "M3", "M4", "M5"]


def test_min_level_frac_and_discrete_levels() -> None:
    index = make_index("2025-06-04", 1, "1h", TZ)
    level = min_level_frac(_group(traffic_profile=CRAFTED), index, TZ)
    by_class = {"M3": 1.0, "M4": 0.75, "M5": 0.5}  # EN 13201-2 ratios to M3
    assert level.tolist() == [by_class[c] for c in EXPECTED_CLASS]
    # minimum dim level 0.6 clips M5 (0.5) to 0.6
    clipped = min_level_frac(_group(traffic_profile=CRAFTED, min_dim_frac=0.6), index, TZ)
    assert clipped.min() == pytest.approx(0.6)
    np.testing.assert_allclose(discrete_levels(_group()), [0.5, 0.75, 1.0])
    # P3..P6 with d_min 0.3: P4 5/7.5, P5 3/7.5, P6 2/7.5 = 0.267 -> 0.3
    p_group = _group(design_class="P3", lowest_class="P6", min_dim_frac=0.3)
    np.testing.assert_allclose(discrete_levels(p_group), [0.3, 0.4, 5 / 7.5, 1.0])
    np.testing.assert_allclose(discrete_levels(_group(lowest_class=None)), [1.0])


# --- power and baselines ------------------------------------------------------------------


def test_power_by_hand() -> None:
    group = _group()
    # 10 luminaires x 40 W x (0.07 + 0.93 x 0.5) / 1000 = 0.214 kW
    assert power_kw(group, 0.5, 1.0) == pytest.approx(0.214, rel=1e-12)
    # full level: 10 x 40 W = 0.4 kW; daylight: standby only, 10 x 0.5 W = 0.005 kW
    assert power_kw(group, 1.0, 1.0) == pytest.approx(0.4, rel=1e-12)
    assert power_kw(group, 1.0, 0.0) == pytest.approx(0.005, rel=1e-12)
    # half-dark step: half of each
    assert power_kw(group, 0.5, 0.5) == pytest.approx(0.5 * 0.214 + 0.5 * 0.005, rel=1e-12)
    with pytest.raises(InputDataError, match="level_frac"):
        power_kw(group, 1.5, 1.0)


def test_daylight_draws_only_standby(gera_dark_2025: pd.Series) -> None:
    group = _group()
    noon = gera_dark_2025[gera_dark_2025.index.tz_convert(TZ).hour == 12]
    assert (noon == 0).all()
    p = power_kw(group, baseline_level_s0(noon.index), noon)
    assert isinstance(p, pd.Series)
    np.testing.assert_allclose(p.to_numpy(), 10 * 0.5 / 1000)


def test_s0_and_s1_for_a_hand_checkable_night() -> None:
    # A synthetic night: dark from 16:00 to 08:00 local (16 h), light 08:00-16:00.
    group = _group()
    index = make_index("2025-12-21", 1, "1h", TZ)
    hour = index.tz_convert(TZ).hour
    dark = pd.Series(np.where((hour >= 16) | (hour < 8), 1.0, 0.0), index=index)
    e_s0 = float(power_kw(group, baseline_level_s0(index), dark).sum())
    e_s1 = float(power_kw(group, baseline_level_s1(index, TZ), dark).sum())
    # S0: 16 h x 0.4 kW + 8 h x 0.005 kW standby = 6.44 kWh
    assert e_s0 == pytest.approx(6.44, rel=1e-12)
    # S1: 8 h full (16-22, 06-08) x 0.4 + 8 h at 50 % (22-06) x 0.214 + 8 h x 0.005
    #   = 3.2 + 1.712 + 0.04 = 4.952 kWh
    assert e_s1 == pytest.approx(4.952, rel=1e-12)


def test_s1_step_straddling_22h() -> None:
    # Asia/Kolkata is UTC+5:30: hourly UTC steps start at xx:30 local, so the step
    # 21:30-22:30 has half its time in the window -> level 1 - 0.5 x 0.5 = 0.75.
    index = pd.date_range("2025-01-01 00:00", periods=24, freq="1h", tz="UTC")
    s1 = baseline_level_s1(index, "Asia/Kolkata")
    local = s1.index.tz_convert("Asia/Kolkata")
    assert float(s1[(local.hour == 21)].iloc[0]) == pytest.approx(0.75)
    assert float(s1[(local.hour == 5)].iloc[0]) == pytest.approx(0.75)
    assert float(s1[(local.hour == 23)].iloc[0]) == pytest.approx(0.5)
    assert float(s1[(local.hour == 12)].iloc[0]) == pytest.approx(1.0)
    share = night_window_share(make_index("2025-01-01", 1, "1h", TZ), TZ)
    assert share.sum() == pytest.approx(8.0)


# --- district-level arrays and summary ----------------------------------------------------


def test_lighting_inputs_consistent_with_power_formula(district: District) -> None:
    index = make_index("2025-06-04", 2, "15min", TZ)
    inputs = lighting_inputs(district, index)
    assert inputs.group_ids == ["L-main", "L-res", "L-cross"]
    assert inputs.dark_frac.shape == inputs.min_level_frac.shape == (3, len(index))
    # hand values: 24 x 95 W x 0.07 / 1000 = 0.1596 kW, x 0.93 = 2.1204 kW, 24 x 0.5 W
    assert inputs.a_kw[0] == pytest.approx(0.1596)
    assert inputs.b_kw[0] == pytest.approx(2.1204)
    assert inputs.standby_kw[0] == pytest.approx(0.012)
    np.testing.assert_allclose(inputs.discrete_levels[2], [1.0])  # no approved range
    # the linear form equals the per-group formula at the minimum levels
    p = inputs.power_kw(inputs.min_level_frac)
    for g, group in enumerate(district.lighting):
        np.testing.assert_allclose(
            p[g], power_kw(group, inputs.min_level_frac[g], inputs.dark_frac[g]), rtol=1e-12
        )
    assert (inputs.min_level_frac[2] == 1.0).all()


def test_lighting_summary_gera(district: District, gera_dark_2025: pd.Series) -> None:
    summary = lighting_summary(district, 2025)
    burning_h = float(gera_dark_2025.sum())
    assert list(summary.index) == ["L-main", "L-res", "L-cross", "total"]
    assert summary.loc["L-main", "burning_h"] == pytest.approx(burning_h)
    # S0 by hand: n p_nom burning_h + n p_standby (8760 - burning_h)
    main = summary.loc["L-main"]
    expected_s0 = 24 * 95 * burning_h / 1000 + 24 * 0.5 * (8760 - burning_h) / 1000
    assert main["e_s0_kwh"] == pytest.approx(expected_s0, rel=1e-9)
    # S1 saves (1 - a) x 50 % of the rated power in the dark hours of 22-06
    expected_s1 = expected_s0 - 24 * 95 * 0.93 * 0.5 * main["burning_22_06_h"] / 1000
    assert main["e_s1_kwh"] == pytest.approx(expected_s1, rel=1e-9)
    local_hour = gera_dark_2025.index.tz_convert(TZ).hour
    night_h = gera_dark_2025[(local_hour >= 22) | (local_hour < 6)].sum()
    assert main["burning_22_06_h"] == pytest.approx(float(night_h), rel=1e-9)
    # Adaptive minimum by hand, TNO traffic (LIGHTING.md) and M3..M5: readings < 0.5 at
    # 23 h (0.44) and 0-5 h, < 0.25 at 0-5 h; with two consecutive readings required:
    # 23 h M3 (22 h reads 0.61), 0 h M4 (after 0.44), 1-5 h M5, 6 h M3 (0.86). Levels:
    # M4 0.75, M5 0.50 -> saving n p_nom (1 - a) (1 - level) per dark hour. (The same on
    # DST days: 03:00 after 01:00 and the repeated 02:00 both read < 0.25.)
    level_by_hour = np.ones(24)
    level_by_hour[0] = 0.75
    level_by_hour[1:6] = 0.5
    saving_h = (gera_dark_2025.to_numpy() * (1 - level_by_hour[local_hour])).sum()
    expected_min = expected_s0 - 24 * 95 * 0.93 * saving_h / 1000
    assert main["e_min_kwh"] == pytest.approx(expected_min, rel=1e-9)
    # TNO traffic dims later in the night than S1 (which dims from 22:00)
    assert main["e_s1_kwh"] < main["e_min_kwh"] < main["e_s0_kwh"]
    # C3 without an approved range: the minimum is the S0 energy
    assert summary.loc["L-cross", "e_min_kwh"] == pytest.approx(summary.loc["L-cross", "e_s0_kwh"])
    assert summary.loc["total", "luminaires"] == 60
    assert summary.loc["total", "e_s0_kwh"] == pytest.approx(
        summary.drop(index="total")["e_s0_kwh"].sum()
    )


# --- CLI ----------------------------------------------------------------------------------


@pytest.fixture()
def cli() -> typer.Typer:
    from energy.cli.profile import register

    app = typer.Typer()
    register(app)
    return app


def test_cli_lighting(cli: typer.Typer, tmp_path: Path) -> None:
    spec = tmp_path / "district.yaml"
    spec.write_text(yaml.safe_dump(_district_data()), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["lighting", str(spec), "--year", "2025", "--threshold", "-6", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [g["id"] for g in data["groups"]] == ["L-main", "L-res", "L-cross"]
    # LIGHTING.md: about 3,830 burning hours below -6 deg in Gera 2025
    assert data["total"]["burning_h"] == pytest.approx(3830, rel=0.02)
    table = CliRunner().invoke(cli, ["lighting", str(spec), "--year", "2025"])
    assert table.exit_code == 0, table.output
    assert "L-main" in table.stdout and "total" in table.stdout


def test_cli_lighting_errors(cli: typer.Typer, tmp_path: Path) -> None:
    data = _district_data()
    data["site"]["latitude"] = 123
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["lighting", str(spec)])
    assert result.exit_code == 1
    assert "site.latitude" in result.output and "Traceback" not in result.output
    del data["lighting"]
    data["site"]["latitude"] = 50.88
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["lighting", str(spec)])
    assert result.exit_code == 1
    assert "no lighting groups" in result.output
