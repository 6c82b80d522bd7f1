"""Heat demand, heat-pump COP and thermal-storage physics against independent references.

References used (not our code's output): the when2heat COP regression
coefficients (Ruhnau, Hirth, Praktiknjo 2019, Scientific Data 6:189, data set
file input/cop/cop_parameters.csv) evaluated by hand; the Carnot limit; the
BAFA minimum COPs at the rating points; the analytic solution of the periodic
heat equation (Kusuda and Achenbach 1965); Newton cooling in closed form; the
BGW hour factors of demandlib's data; and the DWD TRY 2015 temperatures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from energy.district import GERA_DISTRICT_FILE, District, district_from_dict, load_district
from energy.district_flex import HeatPump, ThermalMass, ThermalTank
from energy.errors import InputDataError
from energy.models.heat import (
    _HOUR_FACTORS,
    cop,
    direct_operation_kw,
    district_heat,
    ground_temperature_c,
    heat_pump_cop,
    heating_curve_c,
    hot_water_unit_kw,
    on_index,
    source_temperature_c,
    space_heat_unit_kw,
)
from energy.models.thermal_storage import step_coefficients, storage_model, water_kwh_per_k
from energy.models.weather import weather_for_index
from energy.timeindex import make_index, year_index

YEAR = 2025
TZ = "Europe/Berlin"


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


@pytest.fixture(scope="module")
def temp_air_c(gera: District) -> pd.Series:
    """DWD TRY 2015 region 9 air temperature on the local year 2025, hourly [C]."""
    return weather_for_index(year_index(YEAR, "1h", TZ), gera.site)["temp_air"]


@pytest.fixture(scope="module")
def mfh_unit(temp_air_c: pd.Series) -> pd.Series:
    return space_heat_unit_kw(temp_air_c, "MFH", 10, TZ, "TH")


# -- COP ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "delta_k", "expected"),
    [
        # COP = c0 + c1 dT + c2 dT^2 with when2heat's input/cop/cop_parameters.csv:
        # air 6.0801 - 0.0941 dT + 0.0005 dT^2; ground 10.288 - 0.2084 dT + 0.0012 dT^2;
        # groundwater 9.9696 - 0.2049 dT + 0.0012 dT^2.
        ("air", 15.0, 6.0801 - 1.4115 + 0.1125),  # 4.7811
        ("air", 40.0, 6.0801 - 3.764 + 0.8),  # 3.1161
        ("air", 60.0, 6.0801 - 5.646 + 1.8),  # 2.2341
        ("ground", 30.0, 10.288 - 6.252 + 1.08),  # 5.116
        ("ground", 50.0, 10.288 - 10.42 + 3.0),  # 2.868
        ("groundwater", 40.0, 9.9696 - 8.196 + 1.92),  # 3.6936
        ("air", 5.0, 6.0801 - 1.4115 + 0.1125),  # below 15 K: raised to 15 K
    ],
)
def test_cop_is_the_when2heat_regression(source: str, delta_k: float, expected: float) -> None:
    sink_c = 35.0
    assert cop(sink_c - delta_k, sink_c, source, correction=1.0) == pytest.approx(expected, 1e-12)
    # with when2heat's field correction 0.85
    assert cop(sink_c - delta_k, sink_c, source) == pytest.approx(0.85 * expected, 1e-12)


@pytest.mark.parametrize("delta_k", [20.0, 30.0, 40.0, 50.0])
def test_cop_agrees_with_the_rounded_coefficients_printed_in_the_paper(delta_k: float) -> None:
    # Ruhnau et al. (2019) print the fits rounded (check): 6.08 - 0.09 dT + 0.0005 dT^2 (air),
    # 10.29 - 0.21 dT + 0.0012 dT^2 (ground). Rounding c1 to 0.01 and c2 to 0.0001 moves the
    # COP by at most 0.005 dT + 0.00005 dT^2 + 0.005 (0.38 at 50 K).
    tol = 0.005 * delta_k + 0.00005 * delta_k**2 + 0.005
    air = 6.08 - 0.09 * delta_k + 0.0005 * delta_k**2
    ground = 10.29 - 0.21 * delta_k + 0.0012 * delta_k**2
    assert float(cop(0.0, delta_k, "air", 1.0)) == pytest.approx(air, abs=tol)
    assert float(cop(0.0, delta_k, "ground", 1.0)) == pytest.approx(ground, abs=tol)


def test_cop_is_physical() -> None:
    # Falls as the source gets colder; stays below Carnot, T_sink / dT, at 25-60 % of it
    # (air 0.29 at 20 K, 0.43 at 50 K; electric compression heat pumps reach about 0.3-0.55);
    # ground above air at the same dT
    # up to ~45 K, where their fits cross.
    sink_c = 35.0
    source_c = np.arange(-15.0, 16.0)
    for source in ("air", "ground", "groundwater"):
        values = cop(source_c, sink_c, source, correction=1.0)
        assert (np.diff(values) > 0).all()
        carnot = (sink_c + 273.15) / (sink_c - source_c)
        assert ((values / carnot) < 0.6).all() and ((values / carnot) > 0.25).all()
    delta = np.arange(15.0, 45.0)
    assert (cop(0.0, delta, "ground") > cop(0.0, delta, "air")).all()


def test_cop_at_the_rating_points_meets_the_bafa_minimums() -> None:
    # EN 14511 rating points and the BAFA (Marktanreizprogramm) minimum COPs (check):
    # air/water A2/W35 >= 3.5; brine/water B0/W35 >= 4.3. The uncorrected fit (manufacturer
    # data) should be near them: A2/W35 3.52, B0/W35 4.46.
    assert float(cop(2.0, 35.0, "air", 1.0)) == pytest.approx(3.5, rel=0.05)
    assert float(cop(0.0, 35.0, "ground", 1.0)) == pytest.approx(4.3, rel=0.05)


def test_heating_curve_reproduces_when2heat_sinks() -> None:
    temps = np.array([-15.0, -10.0, 0.0, 10.0, 19.0])
    assert heating_curve_c(temps, 35.0, -10.0) == pytest.approx(30 - 0.5 * temps)  # floor
    assert heating_curve_c(temps, 50.0, -10.0) == pytest.approx(40 - temps)  # radiators
    assert heating_curve_c(np.array([25.0]), 35.0, -10.0)[0] == 20.0  # no heat above 20 C


def test_ground_temperature_is_the_damped_delayed_surface_wave() -> None:
    # Pure annual wave T = 10 + 8 cos(w t - phi): at the damping depth d = sqrt(2 a / w)
    # the amplitude is 8 / e and the wave lags by 1 rad = 58.1 days.
    index = pd.date_range("2025-01-01", periods=2 * 8760, freq="h", tz="UTC")
    omega = 2 * math.pi / 365.25
    days = np.asarray((index - pd.Timestamp("2000-01-01", tz="UTC")) / pd.Timedelta(days=1))
    air = pd.Series(10 + 8 * np.cos(omega * days - 0.3), index=index)
    alpha = 0.05
    depth = math.sqrt(2 * alpha / omega)
    ground = ground_temperature_c(air, depth_m=depth, diffusivity_m2_per_day=alpha)
    expected = 10 + 8 / math.e * np.cos(omega * days - 0.3 - 1.0)
    assert ground.to_numpy() == pytest.approx(expected, abs=1e-6)
    surface = ground_temperature_c(air, depth_m=0.0)
    assert surface.to_numpy() == pytest.approx(air.to_numpy(), abs=1e-6)


def test_ground_beats_air_in_winter_with_the_try_year(temp_air_c: pd.Series) -> None:
    air = HeatPump(source="air", thermal_kw=10, electric_kw=4)
    ground = HeatPump(source="ground", thermal_kw=10, electric_kw=3)
    cop_air, cop_ground = heat_pump_cop(air, temp_air_c), heat_pump_cop(ground, temp_air_c)
    winter = temp_air_c.index.tz_convert(TZ).month.isin([12, 1, 2])
    assert cop_ground.cop_space[winter].mean() > cop_air.cop_space[winter].mean() + 0.3
    # brine below the ground: when2heat's 5 K
    soil = ground_temperature_c(temp_air_c)
    assert (soil - source_temperature_c("ground", temp_air_c)).to_numpy() == pytest.approx(5.0)
    # the coldest TRY hours give the lowest air-source COP
    coldest = temp_air_c.nsmallest(50).index
    assert cop_air.cop_space[coldest].max() < cop_air.cop_space.median()


# -- heat demand ---------------------------------------------------------------------------
@pytest.mark.parametrize("resolution", ["1h", "15min"])
def test_space_heat_sums_to_the_annual_input(mfh_unit: pd.Series, resolution: str) -> None:
    index = year_index(YEAR, resolution, TZ)
    dt_h = 1.0 if resolution == "1h" else 0.25
    q_kw = on_index(mfh_unit, index) * 42_000.0
    assert q_kw.sum() * dt_h == pytest.approx(42_000.0, rel=0.005)
    water = on_index(hot_water_unit_kw(year_index(YEAR, "1h", TZ), "MFH", 10), index) * 24_000
    assert water.sum() * dt_h == pytest.approx(24_000.0, rel=0.005)


def test_cold_week_needs_more_heat_than_a_mild_week(
    mfh_unit: pd.Series, temp_air_c: pd.Series
) -> None:
    weekly_temp = temp_air_c.rolling(168).mean()
    cold_end = weekly_temp.idxmin()
    heating = temp_air_c.index.tz_convert(TZ).month.isin([3, 4, 10])
    mild_end = weekly_temp[heating].idxmax()
    cold = mfh_unit[cold_end - pd.Timedelta(hours=167) : cold_end].sum()
    mild = mfh_unit[mild_end - pd.Timedelta(hours=167) : mild_end].sum()
    assert weekly_temp[cold_end] < 0 < 10 < weekly_temp[mild_end]
    assert cold > 2.0 * mild
    # and daily heat falls with the daily mean temperature (Spearman rank correlation)
    daily = pd.DataFrame({"t": temp_air_c, "q": mfh_unit}).resample("D").mean()
    assert daily.t.rank().corr(daily.q.rank()) < -0.9


def test_dst_days_have_23_and_25_hours(mfh_unit: pd.Series) -> None:
    spring = make_index("2025-03-30", 1, "1h", TZ)
    autumn = make_index("2025-10-26", 1, "1h", TZ)
    assert len(spring) == 23 and len(autumn) == 25
    assert np.isfinite(on_index(mfh_unit, spring)).all()
    # the repeated local hour 02:00-03:00 (steps 2 and 3: 00:00 and 01:00 UTC) repeats its value
    q = mfh_unit[autumn]
    assert q.iloc[3] == q.iloc[2]
    water = hot_water_unit_kw(year_index(YEAR, "1h", TZ), "MFH", 10)
    assert water[autumn].iloc[3] == water[autumn].iloc[2]
    assert water[autumn].iloc[2] != water[autumn].iloc[1]
    assert water[spring].sum() < water[make_index("2025-03-29", 1, "1h", TZ)].sum()


def test_hot_water_follows_the_bgw_hour_factors() -> None:
    # MFH class 10, warmest interval: every ordinary day has the same energy, and
    # the share of local hour 07-08 is that hour's factor (hour_of_day 8) in demandlib's file.
    table = pd.read_csv(_HOUR_FACTORS, index_col=0)
    rows = table[(table.shlp_type == "MFH") & (table.building_class == 10)]
    factors = rows.set_index("hour_of_day")["temp_intervall_10"]
    water = hot_water_unit_kw(year_index(YEAR, "1h", TZ), "MFH", 10) * 365.0
    day = water[make_index("2025-02-12", 1, "1h", TZ)]
    assert day.sum() == pytest.approx(factors.sum(), rel=1e-3)  # one day's energy, kWh
    assert day.iloc[7] / day.sum() == pytest.approx(factors[8] / factors.sum(), rel=1e-9)
    other = water[make_index("2025-07-09", 1, "1h", TZ)]
    assert other.to_numpy() == pytest.approx(day.to_numpy(), rel=1e-9)


def test_heat_profiles_refuse_partial_years(temp_air_c: pd.Series) -> None:
    with pytest.raises(InputDataError, match="not a run of whole local years"):
        space_heat_unit_kw(temp_air_c.iloc[24:], "MFH")
    with pytest.raises(InputDataError, match="heat profiles need 15, 30 or 60 min"):
        on_index(temp_air_c, year_index(YEAR, "1h", TZ)[::2])


def test_district_heat_scales_each_building_to_its_inputs() -> None:
    data = district_from_dict(
        {
            "site": {"name": "T", "latitude": 50.88, "longitude": 12.08},
            "grid": {"feeders": [{"id": "F1"}]},
            "buildings": [
                {
                    "id": "H1", "kind": "single_family", "annual_kwh": 4000, "profile": "H0",
                    "feeder": "F1", "distance_m": 10, "space_heat_kwh_per_m2_a": 30,
                    "floor_area_m2": 120, "hot_water_kwh_a": 1750,
                    "heat_pump": {"source": "air", "thermal_kw": 6, "electric_kw": 2.5,
                                  "backup_heater_kw": 1.5},
                },
                {
                    "id": "S1", "kind": "school", "annual_kwh": 60000, "profile": "G1",
                    "feeder": "F1", "distance_m": 50, "space_heat_kwh_a": 150000,
                },
            ],
        }
    )  # fmt: skip
    index = make_index("2025-01-01", 365, "15min", TZ)
    heat = district_heat(data, index)
    assert heat.q_space_kw.H1.sum() * 0.25 == pytest.approx(3600.0, rel=1e-9)  # 30 x 120
    assert heat.q_hot_water_kw.H1.sum() * 0.25 == pytest.approx(1750.0, rel=1e-9)
    assert heat.q_space_kw.S1.sum() * 0.25 == pytest.approx(150_000.0, rel=1e-9)
    assert list(heat.cop_space.columns) == ["H1"]  # the school has no heat pump
    # a week shorter than the year gets those days of the annual profile
    week = make_index("2025-01-06", 7, "1h", TZ)
    assert district_heat(data, week).q_space_kw.H1.to_numpy() == pytest.approx(
        heat.q_space_kw.H1.resample("h").mean()[week].to_numpy(), rel=1e-9
    )


def test_a_horizon_across_new_year_takes_each_years_profile() -> None:
    data = district_from_dict(
        {
            "site": {"name": "T", "latitude": 50.88, "longitude": 12.08},
            "grid": {"feeders": [{"id": "F1"}]},
            "buildings": [
                {"id": "H", "kind": "single_family", "annual_kwh": 1, "profile": "H0",
                 "feeder": "F1", "distance_m": 1, "space_heat_kwh_a": 5000},
            ],
        }
    )  # fmt: skip
    span = make_index("2024-12-30", 4, "1h", TZ)
    both = district_heat(data, span).q_space_kw.H
    dec = district_heat(data, make_index("2024-12-30", 2, "1h", TZ)).q_space_kw.H
    jan = district_heat(data, make_index("2025-01-01", 2, "1h", TZ)).q_space_kw.H
    assert both.to_numpy() == pytest.approx(np.concatenate([dec, jan]), rel=1e-12)


def test_direct_operation_by_hand() -> None:
    # 8 kW space heat at COP 4 + 4 kW hot water at COP 2 = 12 kW heat for 4 kW electricity;
    # limits 10 kW heat (share 10/12) and 3 kW electric (share 3/4): share 0.75 ->
    # pump 9 kW heat for 3 kW; 3 kW left, backup heater 2 kW, 1 kW unmet.
    hp = HeatPump(source="air", thermal_kw=10, electric_kw=3, backup_heater_kw=2)
    ops = direct_operation_kw(
        hp, np.array([8.0]), np.array([4.0]), np.array([4.0]), np.array([2.0])
    )
    assert ops.iloc[0].to_dict() == pytest.approx(
        {"q_hp_kw": 9.0, "p_hp_kw": 3.0, "p_backup_kw": 2.0, "q_unmet_kw": 1.0}
    )
    ok = direct_operation_kw(hp, np.array([2.0]), np.array([0.0]), np.array([4.0]), np.array([2.0]))
    assert ok.iloc[0].to_dict() == pytest.approx(
        {"q_hp_kw": 2.0, "p_hp_kw": 0.5, "p_backup_kw": 0.0, "q_unmet_kw": 0.0}
    )


# -- thermal storage ------------------------------------------------------------------------
def test_water_heat_capacity() -> None:
    # 1,000 l x 0.988 kg/l x 4.181 kJ/(kg K) / 3,600 s/h = 1.14746 kWh/K
    assert water_kwh_per_k(1000.0) == pytest.approx(1.14746, rel=1e-5)


def test_tank_cools_as_newton_says() -> None:
    # T(t) = T_amb + (T0 - T_amb) exp(-UA t / C): 500 l from 55 C in a 20 C room, UA 2 W/K.
    tank = ThermalTank(volume_l=500, temp_min_c=35, temp_max_c=55, loss_w_per_k=2.0)
    model = storage_model(tank)
    c_kwh_per_k = water_kwh_per_k(500.0)
    assert model.e_max_kwh == pytest.approx(c_kwh_per_k * 20.0)
    hours = 10.0
    retention, gain_h = step_coefficients(model.loss_frac_per_h, hours)
    e_kwh = retention * model.e_max_kwh + gain_h * (0.0 - model.loss_kw)
    expected_c = 20.0 + 35.0 * math.exp(-0.002 * hours / c_kwh_per_k)
    assert model.temperature_c(e_kwh) == pytest.approx(expected_c, abs=1e-9)


def test_building_mass_relaxes_with_its_time_constant() -> None:
    # C = 10 kWh/K, H = 0.5 kW/K: tau = 20 h. 2 K above the set-point and no net heat:
    # after 20 h, 2/e K above it. Four 15-min steps equal one 1-h step (exact discretisation).
    mass = ThermalMass(capacitance_kwh_per_k=10, conductance_kw_per_k=0.5, temp_max_c=23)
    model = storage_model(mass)
    assert (model.e_min_kwh, model.e_max_kwh) == (0.0, 30.0)
    retention, gain_h = step_coefficients(model.loss_frac_per_h, 20.0)
    assert model.temperature_c(retention * 20.0) - 20.0 == pytest.approx(2.0 / math.e)
    r1, g1 = step_coefficients(model.loss_frac_per_h, 1.0)
    r4, g4 = step_coefficients(model.loss_frac_per_h, 0.25)
    e, u = 5.0, 1.2  # kWh, kW held for the hour
    quarter = e
    for _ in range(4):
        quarter = r4 * quarter + g4 * u
    assert quarter == pytest.approx(r1 * e + g1 * u, rel=1e-12)
    # steady state: heat input u balances the loss H x dT -> dT = u / H
    assert g1 * u / (1 - r1) / 10.0 == pytest.approx(1.2 / 0.5)
    assert gain_h == pytest.approx(20.0 * (1 - 1 / math.e))
