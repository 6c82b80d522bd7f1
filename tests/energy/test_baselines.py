"""Baselines B0 and B1: the self-consumption rule and the terminal refill by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from energy.baselines import (
    baseline_b0,
    baseline_b1,
    baseline_node_p_kw,
    class_rule_lighting_kw,
    release_terminal_soc,
    restore_terminal_soc,
    self_consumption_rule,
)
from energy.district import Battery
from energy.kpi import compute_kpis
from energy.models.lighting import LightingInputs
from energy.system import DispatchInputs


def bat(**kw: object) -> Battery:
    spec: dict[str, object] = {
        "id": "B",
        "at": "H1",
        "capacity_kwh": 10.0,
        "power_kw": 4.0,
        "eta_charge": 0.9,
        "eta_discharge": 0.9,
        "self_discharge_frac_per_h": 0.0,
        "soc_min_frac": 0.1,
        "soc_max_frac": 0.9,
        "soc_initial_frac": 0.5,
    }
    spec.update(kw)
    return Battery(**spec)  # type: ignore[arg-type]


def test_self_consumption_rule_by_hand() -> None:
    # 10 kWh, 4 kW, eta 0.9/0.9, SoC 1..9 kWh, start 5 kWh; net -3, -8, +2, +10, 0 kW.
    # t0: surplus 3 -> charge 3: 5 + 2.7 = 7.7
    # t1: surplus 8 -> charge min(8, 4, (9 - 7.7)/0.9 = 1.444) = 1.444 -> 9.0
    # t2: deficit 2 -> discharge 2: 9 - 2/0.9 = 6.778
    # t3: deficit 10 -> discharge min(10, 4, (6.778 - 1) x 0.9 = 5.2) = 4 -> 6.778 - 4.444
    #     = 2.333
    # t4: nothing -> 2.333
    ch, dis, soc = self_consumption_rule(bat(), np.array([-3.0, -8.0, 2.0, 10.0, 0.0]), 1.0)
    assert ch.tolist() == pytest.approx([3.0, 1.3 / 0.9, 0.0, 0.0, 0.0])
    assert dis.tolist() == pytest.approx([0.0, 0.0, 2.0, 4.0, 0.0])
    assert soc.tolist() == pytest.approx([7.7, 9.0, 9 - 2 / 0.9, 9 - 6 / 0.9, 9 - 6 / 0.9])


def test_rule_holds_the_minimum_against_self_discharge() -> None:
    # At its 1 kWh minimum with 1 %/h self-discharge, deficit all along: it keeps
    # 0.99 kWh, so it trickle-charges 0.01 / 0.9 kW each hour and never discharges.
    b = bat(soc_initial_frac=0.1, self_discharge_frac_per_h=0.01)
    ch, dis, soc = self_consumption_rule(b, np.array([5.0, 5.0]), 1.0)
    assert dis.tolist() == [0.0, 0.0]
    assert ch.tolist() == pytest.approx([0.01 / 0.9, 0.01 / 0.9])
    assert soc.tolist() == pytest.approx([1.0, 1.0])


def test_restore_terminal_soc_drops_discharge_then_charges() -> None:
    # Start 5 kWh; schedule: discharge 3.6 kW in step 1 (-> 1.0 kWh), idle in step 2.
    # Refill to 5 kWh working backwards: step 2 charges its full 4 kW (+3.6 kWh -> 4.6);
    # step 1 then drops 0.36 kW of discharge (+0.4 kWh), ending at exactly 5 kWh.
    b = bat()
    ch = np.array([0.0, 0.0])
    dis = np.array([3.6, 0.0])
    soc = np.array([1.0, 1.0])
    added = restore_terminal_soc(b, ch, dis, soc, 1.0, target_kwh=5.0)
    assert added == pytest.approx(4.0)
    assert ch.tolist() == pytest.approx([0.0, 4.0])
    assert dis.tolist() == pytest.approx([3.24, 0.0])
    assert soc.tolist() == pytest.approx([1.4, 5.0])


def test_release_terminal_soc_drops_charge_then_discharges() -> None:
    # Start 1 kWh (minimum); charge 4 kW in both steps: 1 -> 4.6 -> 8.2 kWh. Give back
    # 7.2 kWh to end at 1 kWh, working backwards from step 2: drop its 4 kW of charge
    # (-3.6 kWh), then discharge (7.2 - 3.6) x 0.9 = 3.24 kW (-3.6 kWh): 4.6 -> 1.0.
    b = bat(soc_initial_frac=0.1)
    ch = np.array([4.0, 4.0])
    dis = np.array([0.0, 0.0])
    soc = np.array([4.6, 8.2])
    released = release_terminal_soc(b, ch, dis, soc, 1.0, target_kwh=1.0)
    assert released == pytest.approx(7.2)
    assert ch.tolist() == pytest.approx([4.0, 0.0])
    assert dis.tolist() == pytest.approx([0.0, 3.24])
    assert soc.tolist() == pytest.approx([4.6, 1.0])


def _inputs(terminal_soc: str = "geq_initial", start_frac: float = 0.5) -> DispatchInputs:
    # Two buildings; H1 has 6 kW of PV at 11:00 UTC, H2 none; two lighting-free hours.
    index = pd.date_range("2025-06-01 10:00", periods=3, freq="1h", tz="UTC")
    return DispatchInputs(
        index=index,
        load_kw=pd.DataFrame({"H1": [1.0, 1.0, 3.0], "H2": [2.0, 2.0, 2.0]}, index=index),
        pv_kw=pd.DataFrame({"P1": [0.0, 6.0, 0.0]}, index=index),
        pv_node={"P1": "H1"},
        import_price_eur_per_kwh=0.3,
        feed_in_eur_per_kwh=0.08,
        co2_g_per_kwh=400.0,
        import_limit_kw=100.0,
        export_limit_kw=100.0,
        batteries=(
            bat(id="HOME", at="H1", soc_initial_frac=start_frac),
            bat(id="Q", at="substation", soc_initial_frac=start_frac),
        ),
        terminal_soc=terminal_soc,  # type: ignore[arg-type]
    )


def test_b1_building_battery_sees_only_its_building() -> None:
    # Both batteries start at their 1 kWh minimum.
    # Step 1: H1 needs 1 kW, HOME is empty: 3 kW imported.
    # Step 2: H1 has 6 - 1 = 5 kW surplus: HOME charges 4 kW (power limit) -> 1 + 3.6 = 4.6;
    # the district residual is 3 - 6 + 4 = +1 kW (H2 draws 2): Q sees a deficit, but sits
    # at its minimum, so it cannot help; 1 kW is imported although H1 exports 1 kW.
    # Step 3: H1 needs 3 kW: HOME discharges 3 -> 4.6 - 3.333 = 1.267; 2 kW imported.
    # Free end: no refill.
    b1 = baseline_b1(_inputs("free", start_frac=0.1))
    s = b1.schedule
    assert s["p_charge_kw:HOME"].tolist() == pytest.approx([0.0, 4.0, 0.0])
    assert s["p_discharge_kw:HOME"].tolist() == pytest.approx([0.0, 0.0, 3.0])
    assert s["p_charge_kw:Q"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert s["p_import_kw"].tolist() == pytest.approx([3.0, 1.0, 2.0])
    assert s["p_export_kw"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert b1.notes["terminal_recharge_kwh"] == 0.0


def test_b1_refills_to_the_initial_soc() -> None:
    # Both start at 5 kWh (geq_initial).
    # HOME (sees H1: +1, -5, +3 kW): discharges 1 (-> 3.889), charges 4 (-> 7.489),
    #   discharges 3 (-> 4.156). Refill 0.844 kWh in the last step by dropping
    #   0.844 x 0.9 = 0.76 kW of its discharge: 2.24 kW.
    # Q (sees the district after HOME: 3 - 1 = 2, -3 + 4 = 1, 5 - 2.24 = 2.76 kW):
    #   discharges 2 (-> 2.778), 1 (-> 1.667), then only (1.667 - 1) x 0.9 = 0.6 (-> 1.0).
    #   Refill 4 kWh in the last step: drop the 0.6 kW (+0.667 kWh) and charge
    #   3.333 / 0.9 = 3.7037 kW.
    # Import: 0, 0, then 2.76 + 3.7037 = 6.4637 kW.
    inputs = _inputs()
    b1 = baseline_b1(inputs)
    s = b1.schedule
    assert s["p_discharge_kw:HOME"].tolist() == pytest.approx([1.0, 0.0, 2.24])
    assert s["p_charge_kw:HOME"].tolist() == pytest.approx([0.0, 4.0, 0.0])
    assert s["p_discharge_kw:Q"].tolist() == pytest.approx([2.0, 1.0, 0.0])
    assert s["p_charge_kw:Q"].tolist() == pytest.approx([0.0, 0.0, 10 / 3 / 0.9])
    assert s["soc_kwh:HOME"].iloc[-1] == pytest.approx(5.0)
    assert s["soc_kwh:Q"].iloc[-1] == pytest.approx(5.0)
    assert s["p_import_kw"].tolist() == pytest.approx([0.0, 0.0, 2.76 + 10 / 3 / 0.9])
    assert b1.notes["terminal_recharge_kwh"] == pytest.approx(
        5 - (5 - 1 / 0.9 + 3.6 - 3 / 0.9) + 4.0
    )


def test_b1_gives_back_what_it_holds_above_its_start_when_equalised() -> None:
    # Both start at their 1 kWh minimum (equal_initial). HOME as in the free case
    # charges 4 kW in step 2 (-> 4.6) and covers H1's 3 kW in step 3 (-> 4.6 - 3.333
    # = 1.267 kWh): 0.267 kWh above its start. Equalised, it discharges
    # 0.267 x 0.9 = 0.24 kW more in step 3 (3.24 kW), which goes to H2 through the
    # district: import in step 3 falls from 2 to 1.76 kW. Q stays at its minimum.
    b1 = baseline_b1(_inputs("equal_initial", start_frac=0.1))
    s = b1.schedule
    assert s["p_discharge_kw:HOME"].tolist() == pytest.approx([0.0, 0.0, 3.24])
    assert s["soc_kwh:HOME"].iloc[-1] == pytest.approx(1.0)
    assert s["p_import_kw"].tolist() == pytest.approx([3.0, 1.0, 1.76])
    assert b1.notes["terminal_release_kwh"] == pytest.approx(4.6 - 3 / 0.9 - 1.0)
    assert b1.notes["terminal_recharge_kwh"] == 0.0
    # under geq_initial the same battery keeps the 0.267 kWh (nothing given back)
    geq = baseline_b1(_inputs("geq_initial", start_frac=0.1))
    assert geq.notes["terminal_release_kwh"] == 0.0
    assert geq.schedule["soc_kwh:HOME"].iloc[-1] == pytest.approx(4.6 - 3 / 0.9)


def test_b0_idle_batteries_and_full_lighting() -> None:
    index = pd.date_range("2025-01-15 16:00", periods=2, freq="1h", tz="UTC")
    light = LightingInputs(
        group_ids=["G"],
        index=index,
        dt_h=1.0,
        dark_frac=np.array([[1.0, 0.5]]),
        min_level_frac=np.array([[0.5, 0.5]]),
        a_kw=np.array([0.1]),
        b_kw=np.array([0.9]),
        standby_kw=np.array([0.01]),
        discrete_levels=[np.array([0.5, 1.0])],
    )
    inputs = DispatchInputs(
        index=index,
        load_kw=pd.DataFrame({"H1": [1.0, 1.0]}, index=index),
        pv_kw=pd.DataFrame(index=index),
        pv_node={},
        import_price_eur_per_kwh=0.3,
        feed_in_eur_per_kwh=0.0,
        co2_g_per_kwh=400.0,
        import_limit_kw=100.0,
        export_limit_kw=100.0,
        lighting=light,
        batteries=(bat(self_discharge_frac_per_h=0.01),),
    )
    b0 = baseline_b0(inputs)
    s = b0.schedule
    # S0: level 1 while dark: 1.0 kW, then 0.5 x 1.0 + 0.5 x 0.01 = 0.505 kW
    assert s["lighting_kw"].tolist() == pytest.approx([1.0, 0.505])
    # idle 5 kWh with 1 %/h: 4.95, then 4.9005 -> refilled in the last step:
    # (5 - 4.9005) / 0.9 = 0.110556 kW
    assert s["p_charge_kw:B"].tolist() == pytest.approx([0.0, 0.0995 / 0.9])
    assert s["soc_kwh:B"].tolist() == pytest.approx([4.95, 5.0])
    assert b0.notes["terminal_recharge_kwh"] == pytest.approx(0.0995)
    k = compute_kpis(s, inputs.batteries)
    assert k["cost_eur"] == pytest.approx(0.3 * (2 + 1.505 + 0.0995 / 0.9))
    # B0 per node (the grid check's unoptimised schedule): H1 = load 1 + the refill
    # charge, the group's node its lighting, nothing at the substation
    nodes = baseline_node_p_kw(inputs)
    assert nodes["H1"].tolist() == pytest.approx([1.0, 1.0 + 0.0995 / 0.9])
    assert nodes["light:G"].tolist() == pytest.approx([1.0, 0.505])
    assert nodes["substation"].tolist() == [0.0, 0.0]
    assert nodes.sum(axis=1).to_numpy() == pytest.approx(s["p_import_kw"] - s["p_export_kw"])


def test_b1_lighting_s1_raised_to_the_class_minimum() -> None:
    # Local 21:00-24:00 CET (20:00-23:00 UTC), dark throughout. S1: 1.0 at 21:00, 0.5 from
    # 22:00. The class rule allows 0.5 only from 23:00 (minimum 1.0, 1.0, 0.5): the 22:00
    # step is raised to 1.0 -> one group-hour raised; levels 1.0, 1.0, 0.5.
    index = pd.date_range("2025-01-15 20:00", periods=3, freq="1h", tz="UTC")
    light = LightingInputs(
        group_ids=["G"],
        index=index,
        dt_h=1.0,
        dark_frac=np.ones((1, 3)),
        min_level_frac=np.array([[1.0, 1.0, 0.5]]),
        a_kw=np.array([0.1]),
        b_kw=np.array([0.9]),
        standby_kw=np.array([0.01]),
        discrete_levels=[np.array([0.5, 1.0])],
    )
    inputs = DispatchInputs(
        index=index,
        load_kw=pd.DataFrame({"H1": [0.0] * 3}, index=index),
        pv_kw=pd.DataFrame(index=index),
        pv_node={},
        import_price_eur_per_kwh=0.3,
        feed_in_eur_per_kwh=0.0,
        co2_g_per_kwh=400.0,
        import_limit_kw=100.0,
        export_limit_kw=100.0,
        lighting=light,
    )
    b1 = baseline_b1(inputs)
    assert b1.schedule["level:G"].tolist() == pytest.approx([1.0, 1.0, 0.5])
    assert b1.notes["lighting_raised_group_h"] == pytest.approx(1.0)


def test_class_rule_lighting_is_the_minimum_level_wherever_dark() -> None:
    # Power n x (a + (1 - a) level) x dark + standby x (1 - dark), here a_kw = 0.1,
    # b_kw = 0.9, standby 0.01 kW: minimum levels 1.0, 1.0, 0.5 while dark -> 1.0, 1.0,
    # 0.55 kW; the third step in daylight instead -> standby 0.01 kW.
    index = pd.date_range("2025-01-15 20:00", periods=3, freq="1h", tz="UTC")

    def inputs(dark: list[float]) -> DispatchInputs:
        light = LightingInputs(
            group_ids=["G"],
            index=index,
            dt_h=1.0,
            dark_frac=np.array([dark]),
            min_level_frac=np.array([[1.0, 1.0, 0.5]]),
            a_kw=np.array([0.1]),
            b_kw=np.array([0.9]),
            standby_kw=np.array([0.01]),
            discrete_levels=[np.array([0.5, 1.0])],
        )
        return DispatchInputs(
            index=index,
            load_kw=pd.DataFrame({"H1": [0.0] * 3}, index=index),
            pv_kw=pd.DataFrame(index=index),
            pv_node={},
            import_price_eur_per_kwh=0.3,
            feed_in_eur_per_kwh=0.0,
            co2_g_per_kwh=400.0,
            import_limit_kw=100.0,
            export_limit_kw=100.0,
            lighting=light,
        )

    assert class_rule_lighting_kw(inputs([1.0, 1.0, 1.0])).tolist() == pytest.approx(
        [1.0, 1.0, 0.55]
    )
    assert class_rule_lighting_kw(inputs([1.0, 1.0, 0.0])).tolist() == pytest.approx(
        [1.0, 1.0, 0.01]
    )
