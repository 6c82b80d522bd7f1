"""Heat pumps with a tank and EV charging in the dispatch: hand-worked tiny cases.

Each expected figure is worked out by hand in the test's docstring (COP,
tank losses by the exact exponential step, cheapest hours), not taken from
the model.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from energy.baselines import flex_baselines
from energy.errors import InputDataError
from energy.kpi import compute_kpis
from energy.models.flex import (
    EVGroupUnit,
    FlexInputs,
    HeatPumpUnit,
    charge_on_arrival_kw,
    critical_steps,
    dimmed_limit_kw,
    dimming_mask,
    ems_limit_kw,
    with_dimming,
)
from energy.models.flex_rules import thermostat
from energy.models.mobility import group_arrays, session_steps
from energy.models.thermal_storage import StorageModel
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.system import node_injections_kw

from .conftest import tiny_index, tiny_inputs

PRICE = 0.30  # EUR/kWh
FEED_IN = 0.08  # EUR/kWh


def tank(k_per_h: float, e_max: float = 10.0, e_init: float = 0.0) -> StorageModel:
    """A tank of ``e_max`` kWh usable heat, proportional loss ``k_per_h`` [1/h]."""
    return StorageModel("tank", 0.0, e_max, e_init, 0.0, k_per_h, 0.5, 35.0)


def heat_pump(q_space: list[float], store: StorageModel | None, cop: float = 3.0) -> HeatPumpUnit:
    n = len(q_space)
    return HeatPumpUnit(
        id="H",
        electric_kw=4.0,
        thermal_kw=12.0,
        backup_kw=0.0,
        q_space_kw=np.array(q_space, dtype=float),
        q_hot_water_kw=np.zeros(n),
        cop_space=np.full(n, cop),
        cop_hot_water=np.full(n, 2.0),
        store=store,
    )


def test_heat_pump_with_tank_shifts_heat_into_the_pv_hour() -> None:
    """6 kWh of evening heat (step 2) made from the noon PV (step 1) and kept in a lossy tank.

    Tank loss k = 0.1 /h, exact step: retention r = e^-0.1, gain g = (1 - r)/k.
    Heat Q1 made in step 1 leaves E2 = g Q1; step 2 without the pump needs
    r E2 - g 6 >= 0, so Q1 = 6 / r = 6 e^0.1 = 6.6310 kWh, electricity
    Q1 / COP 3 = 2.2103 kWh from PV. Cost: -0.08 x (10 - 2.2103) = -0.62318 EUR;
    heating in step 2 instead would cost 0.30 x 2 - 0.08 x 10 = -0.20 EUR.
    """
    unit = heat_pump([0.0, 0.0, 6.0], tank(0.1))
    inputs = tiny_inputs(
        [0.0, 0.0, 0.0], PRICE, FEED_IN, pv=[0.0, 10.0, 0.0], flex=FlexInputs((unit,))
    )
    schedule = solution_schedule(inputs, optimise(inputs))
    p = schedule["p_heat_pump_kw:H"].to_numpy()
    q1 = 6.0 * math.exp(0.1)
    assert p == pytest.approx([0.0, q1 / 3.0, 0.0], abs=1e-6)
    assert q1 / 3.0 == pytest.approx(2.2103, abs=1e-4)
    kpis = compute_kpis(schedule)
    assert kpis["cost_eur"] == pytest.approx(-FEED_IN * (10.0 - q1 / 3.0), abs=1e-6)
    assert kpis["e_heat_pump_kwh"] == pytest.approx(q1 / 3.0, abs=1e-6)
    assert kpis["scop"] == pytest.approx(3.0)
    assert kpis["e_heat_unmet_kwh"] == pytest.approx(0.0, abs=1e-9)
    # the tank's state at each step's end: empty, full with the day's heat, empty again
    store = schedule["heat_store_kwh:H"].to_numpy()
    gain = (1 - math.exp(-0.1)) / 0.1
    assert store == pytest.approx([0.0, gain * q1, 0.0], abs=1e-6)
    node = node_injections_kw(inputs, schedule)
    assert node.sum(axis=1).to_numpy() == pytest.approx(
        (schedule.p_import_kw - schedule.p_export_kw).to_numpy(), abs=1e-6
    )


def test_heat_pump_without_store_heats_as_demanded_and_thermostat_agrees() -> None:
    """No store: 6 kW of heat at COP 3 is 2 kW in that step, optimised or not."""
    unit = heat_pump([3.0, 0.0, 6.0], None)
    inputs = tiny_inputs([0.0, 0.0, 0.0], PRICE, FEED_IN, pv=[0.0, 10.0, 0.0],
                         flex=FlexInputs((unit,)))  # fmt: skip
    schedule = solution_schedule(inputs, optimise(inputs))
    assert schedule["p_heat_pump_kw:H"].to_numpy() == pytest.approx([1.0, 0.0, 2.0], abs=1e-6)
    p, backup, unmet, store, refill = thermostat(unit, 1.0)
    assert p == pytest.approx([1.0, 0.0, 2.0]) and store is None and refill == 0.0
    assert backup.sum() == 0.0 and unmet.sum() == 0.0


def test_thermostat_with_hysteresis_by_hand() -> None:
    """Lossless 10 kWh tank, half full, 2 kW demand, pump 4 kW x COP 3 = 12 kW of heat.

    Switch-on point a quarter of the band (2.5 kWh), off when full (10 kWh).
    States at the steps' ends: 5 - 2 = 3 (off), 1 (3 > 2.5: still off); step 2
    starts at 1 <= 2.5: on, heat min(12, 10 - 1 + 2) = 11 kWh (11/3 kWh
    electricity) fills it to 10; off until 2.5 again: 8, 6, 4, 2; step 7
    starts at 2: on, 10 kWh of heat (10/3 kWh) fills it. It ends above its
    initial 5 kWh, so nothing is refilled.
    """
    unit = heat_pump([2.0] * 8, tank(0.0, 10.0, 5.0))
    p, _, unmet, store, refill = thermostat(unit, 1.0)
    assert store == pytest.approx([3.0, 1.0, 10.0, 8.0, 6.0, 4.0, 2.0, 10.0])
    assert p == pytest.approx([0.0, 0.0, 11 / 3, 0.0, 0.0, 0.0, 0.0, 10 / 3])
    assert unmet.sum() == 0.0 and refill == 0.0


def test_thermostat_refills_a_store_that_ends_low() -> None:
    """A tank that ends at 1 kWh below its initial 5 kWh is refilled in the last step."""
    unit = heat_pump([2.0, 2.0], tank(0.0, 10.0, 5.0))
    p, _, _, store, refill = thermostat(unit, 1.0)
    assert refill == pytest.approx(4.0)
    assert store == pytest.approx([3.0, 5.0])
    assert p == pytest.approx([0.0, 4.0 / 3.0])


def one_session(arrive_h: float, depart_h: float, e_kwh: float, n: int) -> EVGroupUnit:
    """One car at group ``H`` plugged from ``arrive_h`` to ``depart_h`` hours after the start."""
    index = tiny_index(n)
    t0 = index[0]
    sessions = pd.DataFrame(
        {
            "group": ["H"],
            "car": [0],
            "arrival": [t0 + pd.Timedelta(hours=arrive_h)],
            "departure": [t0 + pd.Timedelta(hours=depart_h)],
            "e_kwh": [e_kwh],
            "p_max_kw": [11.0],
        }
    )
    steps = session_steps(sessions, index)
    arrays = group_arrays(sessions, steps, index, ["H"])
    return EVGroupUnit(
        id="H",
        p_max_kw=arrays.p_max_kw["H"].to_numpy(),
        e_arrive_kwh=arrays.e_arrive_kwh["H"].to_numpy(),
        e_depart_kwh=arrays.e_depart_kwh["H"].to_numpy(),
        p_on_arrival_kw=charge_on_arrival_kw(sessions, steps, index, ["H"])["H"].to_numpy(),
        points=1,
        kw_per_point=11.0,
    )


def test_ev_session_is_full_by_departure_in_the_cheapest_hours() -> None:
    """22 kWh at 11 kW between arrival (step 1) and departure (end of step 4).

    Prices 0.50 (before arrival), 0.40, 0.20, 0.30, 0.10, 0.05 (after departure):
    the two cheapest plugged hours are steps 2 and 4: 11 x 0.20 + 11 x 0.10 =
    3.30 EUR. Charging on arrival takes steps 1 and 2: 11 x 0.40 + 11 x 0.20
    = 6.60 EUR. Step 5 is cheapest of all but the car has left.
    """
    price = [0.50, 0.40, 0.20, 0.30, 0.10, 0.05]
    group = one_session(1.0, 5.0, 22.0, len(price))
    inputs = tiny_inputs([0.0] * 6, price, 0.0, flex=FlexInputs(ev_groups=(group,)))
    schedule = solution_schedule(inputs, optimise(inputs))
    assert schedule["p_ev_kw:H"].to_numpy() == pytest.approx([0, 0, 11, 0, 11, 0], abs=1e-6)
    assert compute_kpis(schedule)["cost_eur"] == pytest.approx(3.30, abs=1e-6)
    assert group.p_on_arrival_kw == pytest.approx([0, 11, 11, 0, 0, 0])
    b0, b1 = flex_baselines(inputs)
    assert compute_kpis(b0.schedule)["cost_eur"] == pytest.approx(6.60, abs=1e-9)
    assert compute_kpis(b1.schedule)["e_ev_kwh"] == pytest.approx(22.0)


def test_ev_session_cut_by_the_horizon_keeps_its_rate() -> None:
    """A session of 20 kWh over 10 h of which 4 h lie inside: 8 kWh must be in by the end."""
    group = one_session(-6.0, 4.0, 20.0, 4)
    inputs = tiny_inputs([0.0] * 4, [0.3, 0.2, 0.1, 0.4], flex=FlexInputs(ev_groups=(group,)))
    schedule = solution_schedule(inputs, optimise(inputs))
    assert schedule["p_ev_kw:H"].sum() == pytest.approx(8.0, abs=1e-6)
    assert schedule["p_ev_kw:H"].to_numpy() == pytest.approx([0, 0, 8, 0], abs=1e-6)


def test_flex_inputs_must_sit_at_a_building() -> None:
    unit = heat_pump([0.0, 1.0], None)
    bad = HeatPumpUnit(**{**vars(unit), "id": "nowhere"})
    with pytest.raises(InputDataError, match=r"flex.heat_pumps\[0\].id: 'nowhere'"):
        tiny_inputs([0.0, 0.0], flex=FlexInputs((bad,)))
    short = HeatPumpUnit(**{**vars(unit), "q_space_kw": np.zeros(3)})
    with pytest.raises(InputDataError, match=r"flex.heat_pumps\[0\].q_space_kw: expected 2"):
        tiny_inputs([0.0, 0.0], flex=FlexInputs((short,)))


def test_14a_dimming_window_caps_a_wallbox_at_4_2_kw() -> None:
    """22 kWh at 11 kW from step 0 to the end of step 3; the cheap steps 0-1 are dimmed.

    Undimmed: 11 + 11 kW in the 0.10 EUR steps, 2.20 EUR. Dimmed to 4.2 kW
    (BK6-22-300): 2 x 4.2 = 8.4 kWh at 0.10, the remaining 13.6 kWh at 0.30
    (11 + 2.6 kW): 0.84 + 4.08 = 4.92 EUR; the car is still full by departure.
    Charging on arrival is capped the same way and catches up after the window.
    """
    price = [0.10, 0.10, 0.30, 0.30]
    group = dataclasses.replace(one_session(0.0, 4.0, 22.0, 4), controllable_14a=True)
    free = tiny_inputs([0.0] * 4, price, flex=FlexInputs(ev_groups=(group,)))
    assert compute_kpis(solution_schedule(free, optimise(free)))["cost_eur"] == pytest.approx(2.2)
    dimmed = with_dimming(FlexInputs(ev_groups=(group,)), np.array([1, 1, 0, 0], bool), 1.0)
    inputs = tiny_inputs([0.0] * 4, price, flex=dimmed)
    schedule = solution_schedule(inputs, optimise(inputs))
    p = schedule["p_ev_kw:H"].to_numpy()
    # steps 2 and 3 cost the same: how the 13.6 kWh split between them is a tie
    assert p[:2] == pytest.approx([4.2, 4.2], abs=1e-6) and p.max() <= 11.0 + 1e-6
    assert p[2:].sum() == pytest.approx(13.6, abs=1e-6)
    assert compute_kpis(schedule)["cost_eur"] == pytest.approx(4.92, abs=1e-6)
    assert dimmed.ev_groups[0].p_on_arrival_kw == pytest.approx([4.2, 4.2, 11.0, 2.6])
    # a group that is not controllable is not dimmed
    plain = with_dimming(FlexInputs(ev_groups=(one_session(0.0, 4.0, 22.0, 4),)),
                         np.ones(4, bool), 1.0)  # fmt: skip
    assert plain.ev_groups[0].power_limits_kw() == pytest.approx([11.0] * 4)


def test_14a_dimmed_heat_pump_limits() -> None:
    """BK6-22-300: 4.2 kW per device; a heat pump above 11 kW keeps 0.4 x its power."""
    assert dimmed_limit_kw(9.9) == 4.2
    assert dimmed_limit_kw(17.3 + 3.0) == pytest.approx(0.4 * 20.3)
    unit = dataclasses.replace(
        heat_pump([1.0, 1.0], None), electric_kw=9.9, backup_kw=3.0, controllable_14a=True
    )
    dimmed = dataclasses.replace(unit, dimmed=np.array([False, True]))
    # 9.9 + 3.0 = 12.9 kW > 11 kW: 0.4 x 12.9 = 5.16 kW; the backup heater held off
    assert dimmed.electric_limits_kw() == pytest.approx([9.9, 5.16])
    assert dimmed.backup_limits_kw() == pytest.approx([3.0, 0.0])


def test_14a_minimum_of_an_ems_controlled_connection_by_hand() -> None:
    """BK6-22-300 Anlage 1 Ziff. 4.5.2: P_min = P_0 + (n - 1) x GZF(n) x 4.2 kW.

    GZF: 0.8 for 2 devices, 0.75 for 3, 0.45 for 9 and more; P_0 = 4.2 kW, or
    0.4 x the heat pump's connection power above 11 kW; devices of 4.2 kW or
    less are no controllable devices.
    """
    assert ems_limit_kw(9.0, 1, 11.0) == pytest.approx(4.2 + 0.8 * 4.2)  # 7.56
    assert ems_limit_kw(9.0, 2, 11.0) == pytest.approx(4.2 + 2 * 0.75 * 4.2)  # 10.5
    assert ems_limit_kw(20.0, 1, 11.0) == pytest.approx(8.0 + 3.36)  # large pump: 11.36
    assert ems_limit_kw(0.0, 10, 11.0) == pytest.approx(4.2 + 9 * 0.45 * 4.2)  # 21.21
    assert ems_limit_kw(4.0, 2, 11.0) == pytest.approx(4.2 + 0.8 * 4.2)  # the pump is no device
    assert math.isinf(ems_limit_kw(4.0, 3, 3.7))  # nothing above 4.2 kW: nothing dimmed
    # a heat pump of 4.2 kW or less is not dimmed, its backup heater neither
    small = dataclasses.replace(
        heat_pump([1.0], None), electric_kw=3.0, backup_kw=1.0, controllable_14a=True,
        dimmed=np.array([True]),
    )  # fmt: skip
    assert small.electric_limits_kw() == pytest.approx([3.0])
    assert small.backup_limits_kw() == pytest.approx([1.0])


def test_14a_ems_shares_one_limit_between_pump_and_wallbox() -> None:
    """A 9 kW pump and an 11 kW point behind one connection, step 0 dimmed (0.10 EUR/kWh).

    EMS limit 4.2 + 0.8 x 4.2 = 7.56 kW for both. The pump must heat 12 kW at
    COP 3 in step 0 (no store): 4 kW. The car (11 kWh by the end of step 1)
    gets 7.56 - 4 = 3.56 kW in step 0 and 7.44 kW in step 1 (0.40 EUR/kWh):
    0.756 + 2.976 = 3.732 EUR. Under direct control each keeps 4.2 kW: the car
    4.2 + 6.8 kW, 0.82 + 2.72 = 3.54 EUR. Charging on arrival under the EMS
    takes what the pump leaves (3.56 kW) and catches up (7.44 kW).
    """
    pump = dataclasses.replace(
        heat_pump([12.0, 0.0], None), electric_kw=9.0, thermal_kw=27.0, controllable_14a=True
    )
    car = dataclasses.replace(one_session(0.0, 2.0, 11.0, 2), controllable_14a=True)
    flex = FlexInputs(heat_pumps=(pump,), ev_groups=(car,))
    mask = np.array([True, False])
    price = [0.10, 0.40]
    ems = with_dimming(flex, mask, 1.0, frozenset({"H"}))
    assert ems.ems == (("H", pytest.approx(7.56)),)
    inputs = tiny_inputs([0.0, 0.0], price, flex=ems)
    schedule = solution_schedule(inputs, optimise(inputs))
    assert schedule["p_heat_pump_kw:H"].to_numpy() == pytest.approx([4.0, 0.0], abs=1e-6)
    assert schedule["p_ev_kw:H"].to_numpy() == pytest.approx([3.56, 7.44], abs=1e-6)
    assert compute_kpis(schedule)["cost_eur"] == pytest.approx(3.732, abs=1e-6)
    b0, _ = flex_baselines(inputs)
    assert b0.schedule["p_ev_kw:H"].to_numpy() == pytest.approx([3.56, 7.44], abs=1e-9)
    # a pump that is not controllable is no device of the EMS: the car alone, 4.2 kW
    free = dataclasses.replace(pump, controllable_14a=False)
    alone = with_dimming(FlexInputs((free,), (car,)), mask, 1.0, frozenset({"H"}))
    assert alone.ems == (("H", pytest.approx(4.2)),)
    inputs = tiny_inputs([0.0, 0.0], price, flex=alone)
    schedule = solution_schedule(inputs, optimise(inputs))
    assert schedule["p_ev_kw:H"].to_numpy() == pytest.approx([4.2, 6.8], abs=1e-6)
    direct = tiny_inputs([0.0, 0.0], price, flex=with_dimming(flex, mask, 1.0))
    schedule = solution_schedule(direct, optimise(direct))
    assert schedule["p_ev_kw:H"].to_numpy() == pytest.approx([4.2, 6.8], abs=1e-6)
    assert compute_kpis(schedule)["cost_eur"] == pytest.approx(3.54, abs=1e-6)


def test_dimming_windows_in_local_time() -> None:
    index = pd.date_range("2025-01-15 15:00", periods=6, freq="1h", tz="UTC")  # 16:00-21:00 CET
    mask = dimming_mask(index, "17:00-19:00, 20:30-23:00", "Europe/Berlin")
    # a step is dimmed when its start lies in a window: 17:00, 18:00 and 21:00
    assert mask.tolist() == [False, True, True, False, False, True]
    with pytest.raises(InputDataError, match="dimming_14a: '17-19' is not allowed"):
        dimming_mask(index, "17-19", "Europe/Berlin")


def test_critical_steps_of_an_ac_check_become_the_dimming_window() -> None:
    """Steps with undervoltage or overload are dimmed; a voltage rise (from PV) is not."""
    index = tiny_index(4)
    found = pd.DataFrame(
        {
            "time_utc": [index[1], index[1], index[2], index[3]],
            "kind": ["undervoltage", "line_overload", "voltage_rise", "trafo_overload"],
        }
    )
    assert critical_steps(found, index).tolist() == [False, True, False, True]
    assert not critical_steps(found.iloc[:0], index).any()
