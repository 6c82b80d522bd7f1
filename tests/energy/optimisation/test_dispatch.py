"""Dispatch model on tiny cases whose optimum is worked out by hand.

Each case states its hand calculation in a comment; the model's objective,
the schedule and the cost recomputed from the schedule must all match it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from energy.errors import InfeasibleError, InputDataError, SolverError
from energy.kpi import compute_kpis
from energy.optimisation.dispatch import optimise, read_solution, solution_schedule
from energy.optimisation.model import build_model
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import matrix_rows
from energy.optimisation.solve import solve
from energy.system import DispatchInputs
from tests.energy.optimisation.conftest import (
    battery,
    check_physics,
    lighting,
    tiny_index,
    tiny_inputs,
)

REL = 1e-9


def run(inputs: DispatchInputs, **options: object) -> tuple[float, pd.DataFrame]:
    """Optimise; return the objective and the schedule, after re-checking the physics."""
    solution = optimise(inputs, DispatchOptions(**options))  # type: ignore[arg-type]
    schedule = solution_schedule(inputs, solution)
    check_physics(inputs, schedule)
    return solution.result.objective, schedule


def test_two_step_arbitrage_with_efficiencies() -> None:
    # Prices 0.10 then 0.50 EUR/kWh, load 0 then 5 kW, battery empty, eta 0.9 each way.
    # Delivering 5 kWh in step 2 needs 5 / (0.9 * 0.9) = 6.17284 kWh bought in step 1:
    # cost 0.10 * 6.17284 = 0.617284 EUR (buying at 0.50 would cost 2.50 EUR).
    inputs = tiny_inputs(
        load=[0.0, 5.0], price=[0.1, 0.5], batteries=[battery(eta_charge=0.9, eta_discharge=0.9)]
    )
    objective, s = run(inputs)
    assert objective == pytest.approx(0.1 * 5 / 0.81, rel=REL)
    assert s["p_charge_kw:BAT"].tolist() == pytest.approx([5 / 0.81, 0.0], abs=1e-9)
    assert s["p_discharge_kw:BAT"].tolist() == pytest.approx([0.0, 5.0], abs=1e-9)
    assert s["soc_kwh:BAT"].tolist() == pytest.approx([5 / 0.9, 0.0], abs=1e-9)
    assert compute_kpis(s, inputs.batteries)["cost_eur"] == pytest.approx(objective, rel=REL)


def test_binding_export_cap() -> None:
    # Step 1: 10 kW PV, no load; step 2: 6 kW load. Feed-in and price 0.30 EUR/kWh,
    # export cap 4 kW, battery eta 0.9/0.9, empty. Exporting earns 0.30/kWh, storing
    # only 0.81 x 0.30 = 0.243/kWh, so export runs at the 4 kW cap and the other 6 kWh
    # are stored: 6 x 0.81 = 4.86 kWh reach step 2, 1.14 kWh are imported.
    # Cost = -4 x 0.30 + 1.14 x 0.30 = -0.858 EUR (without the cap: -3.0 + 1.8 = -1.2).
    inputs = tiny_inputs(
        load=[0.0, 6.0],
        pv=[10.0, 0.0],
        price=0.3,
        feed_in=0.3,
        export_cap_kw=4.0,
        batteries=[battery(eta_charge=0.9, eta_discharge=0.9)],
    )
    objective, s = run(inputs)
    assert objective == pytest.approx(-0.858, rel=REL)
    assert s["p_export_kw"].tolist() == pytest.approx([4.0, 0.0], abs=1e-9)
    assert s["p_import_kw"].tolist() == pytest.approx([0.0, 1.14], abs=1e-9)
    assert s["pv_curtailed_kw"].abs().max() < 1e-9
    free, _ = run(
        tiny_inputs(
            load=[0.0, 6.0],
            pv=[10.0, 0.0],
            price=0.3,
            feed_in=0.3,
            batteries=[battery(eta_charge=0.9, eta_discharge=0.9)],
        )
    )
    assert free == pytest.approx(-1.2, rel=REL)


def test_negative_price_hour() -> None:
    # Step 1: import price -0.10 EUR/kWh, no feed-in payment, load 2 kW, PV 5 kW.
    # Step 2: price 0.30, feed-in 0.05, load 4 kW. Battery 10 kWh / 10 kW, eta 0.9/0.9.
    # Step 1: being paid to import, curtail all 5 kW of PV, charge at the full 10 kW
    # (SoC 9 kWh) and import 12 kW: earns 1.20 EUR. Step 2: discharge all 9 x 0.9 =
    # 8.1 kWh: 4 to the load, 4.1 exported at 0.05: earns 0.205 EUR. Objective -1.405.
    # Simultaneous import and export (import more, export it for free) or charging and
    # discharging at once would earn more; the binaries of the negative-price step forbid
    # both, as one meter cannot flow both ways.
    inputs = tiny_inputs(
        load=[2.0, 4.0],
        pv=[5.0, 0.0],
        price=[-0.1, 0.3],
        feed_in=[0.0, 0.05],
        import_limit_kw=20.0,
        export_limit_kw=20.0,
        batteries=[battery(eta_charge=0.9, eta_discharge=0.9)],
    )
    objective, s = run(inputs)
    assert objective == pytest.approx(-1.405, rel=REL)
    assert s["p_import_kw"].tolist() == pytest.approx([12.0, 0.0], abs=1e-9)
    assert s["p_export_kw"].tolist() == pytest.approx([0.0, 4.1], abs=1e-9)
    assert s["pv_curtailed_kw"].tolist() == pytest.approx([5.0, 0.0], abs=1e-9)
    assert s["p_discharge_kw:BAT"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    # the LP without those binaries is unbounded in spirit: import at the 20 kW limit
    relaxed = optimise(inputs, DispatchOptions(exclusive_flows=False))
    assert relaxed.result.objective < objective - 0.5


def test_terminal_soc() -> None:
    # Flat 0.30 EUR/kWh, load 5 kW in two steps, battery 5 of 10 kWh, eta 0.9/0.9,
    # self-discharge 1 %/h.
    # free: discharge in step 1 what is left after one hour of self-discharge:
    #   5 x 0.99 x 0.9 = 4.455 kWh -> cost 0.30 x (10 - 4.455) = 1.6635 EUR.
    # geq_initial: end with >= 5 kWh: idle, the battery keeps 5 x 0.99^2 = 4.9005 kWh;
    #   the 0.0995 kWh gap is charged in the last step (no decay after it):
    #   0.0995 / 0.9 = 0.110556 kWh -> cost 0.30 x 10.110556 = 3.0331667 EUR.
    bat = battery(
        eta_charge=0.9, eta_discharge=0.9, self_discharge_frac_per_h=0.01, soc_initial_frac=0.5
    )
    free, s_free = run(tiny_inputs(load=[5.0, 5.0], batteries=[bat], terminal_soc="free"))
    assert free == pytest.approx(0.3 * (10 - 5 * 0.99 * 0.9), rel=REL)
    for rule in ("geq_initial", "equal_initial"):
        held, s = run(tiny_inputs(load=[5.0, 5.0], batteries=[bat], terminal_soc=rule))
        assert held == pytest.approx(0.3 * (10 + (5 - 5 * 0.99**2) / 0.9), rel=REL)
        assert s["soc_kwh:BAT"].iloc[-1] == pytest.approx(5.0, abs=1e-9)
        assert s["p_charge_kw:BAT"].tolist() == pytest.approx([0.0, 0.0995 / 0.9], abs=1e-9)
    assert s_free["soc_kwh:BAT"].iloc[-1] == pytest.approx(0.0, abs=1e-9)


def test_peak_charge() -> None:
    # Load 10 then 2 kW, 0.30 EUR/kWh, peak charge 10 EUR/kW, battery 5 of 10 kWh, eta 1.
    # geq_initial: shift x kWh from step 1 to step 2 (discharge, then recharge):
    # imports 10 - x and 2 + x are equal at x = 4 -> peak 6 kW:
    # cost 10 x 6 + 0.30 x 12 = 63.6 EUR.
    # free: discharge all 5 kWh in step 1 -> imports 5 and 2, peak 5:
    # cost 10 x 5 + 0.30 x 7 = 52.1 EUR.
    bat = battery(soc_initial_frac=0.5)
    held, s = run(
        tiny_inputs(
            load=[10.0, 2.0],
            batteries=[bat],
            peak_charge_eur_per_kw=10.0,
            terminal_soc="geq_initial",
        )
    )
    assert held == pytest.approx(63.6, rel=REL)
    assert s["p_import_kw"].tolist() == pytest.approx([6.0, 6.0], abs=1e-9)
    kpis = compute_kpis(s, [bat], peak_charge_eur_per_kw=10.0)
    assert kpis["cost_eur"] == pytest.approx(63.6, rel=REL)
    assert kpis["peak_cost_eur"] == pytest.approx(60.0, rel=REL)
    free, _ = run(tiny_inputs(load=[10.0, 2.0], batteries=[bat], peak_charge_eur_per_kw=10.0))
    assert free == pytest.approx(52.1, rel=REL)


def test_throughput_cost() -> None:
    # Prices 0.10 then 0.30, load 0 then 5 kW, eta 1, wear 0.25 EUR per kWh discharged:
    # storing saves 0.20 - 0.25 < 0, so the battery stays idle: cost 0.30 x 5 = 1.50 EUR.
    # At 0.15 EUR/kWh wear it pays: 0.10 x 5 + 0.15 x 5 = 1.25 EUR.
    expensive = battery(throughput_cost_eur_per_kwh=0.25)
    cost, s = run(tiny_inputs(load=[0.0, 5.0], price=[0.1, 0.3], batteries=[expensive]))
    assert cost == pytest.approx(1.5, rel=REL)
    cheap = battery(throughput_cost_eur_per_kwh=0.15)
    cost, s = run(tiny_inputs(load=[0.0, 5.0], price=[0.1, 0.3], batteries=[cheap]))
    assert cost == pytest.approx(1.25, rel=REL)
    assert compute_kpis(s, [cheap])["throughput_cost_eur"] == pytest.approx(0.75, rel=REL)


@pytest.mark.parametrize("aggregate", [True, False])
def test_lighting_lp_minimum_level_and_standby(aggregate: bool) -> None:
    # One group, a = 0.1 kW, b = 0.9 kW, standby 0.01 kW; dark 1, 0.5, 0; minimum levels
    # 0.5, 0.75, (0.3 in daylight: irrelevant). Power at the minimum:
    #   1.0 x (0.1 + 0.9 x 0.5) = 0.55 kW
    #   0.5 x (0.1 + 0.9 x 0.75) + 0.5 x 0.01 = 0.3925 kW
    #   standby 0.01 kW
    # cost 0.30 x 0.9525 = 0.28575 EUR.
    index = tiny_index(3)
    light = lighting(index, dark=[1.0, 0.5, 0.0], min_level=[0.5, 0.75, 0.3])
    inputs = tiny_inputs(load=[0.0, 0.0, 0.0], lighting=light, index=index)
    cost, s = run(inputs, aggregate=aggregate)
    assert cost == pytest.approx(0.3 * (0.55 + 0.3925 + 0.01), rel=REL)
    assert s["level:G1"].tolist() == pytest.approx([0.5, 0.75, 0.0], abs=1e-9)
    assert s["lighting_kw:G1"].tolist() == pytest.approx([0.55, 0.3925, 0.01], abs=1e-9)


@pytest.mark.parametrize("aggregate", [True, False])
def test_lighting_goes_up_only_at_a_negative_price(aggregate: bool) -> None:
    # Same group, two dark steps, minimum 0.5; price -0.10 then 0.30 EUR/kWh.
    # Step 1 pays for consumption: level 1.0 (1.0 kW); step 2 stays at 0.5 (0.55 kW).
    # cost -0.10 x 1.0 + 0.30 x 0.55 = 0.065 EUR.
    index = tiny_index(2)
    light = lighting(index, dark=[1.0, 1.0], min_level=[0.5, 0.5])
    inputs = tiny_inputs(load=[0.0, 0.0], price=[-0.1, 0.3], lighting=light, index=index)
    cost, s = run(inputs, aggregate=aggregate)
    assert cost == pytest.approx(-0.1 * 1.0 + 0.3 * 0.55, rel=REL)
    assert s["level:G1"].tolist() == pytest.approx([1.0, 0.5], abs=1e-9)


@pytest.mark.parametrize(
    ("max_changes", "level_sum"),
    # Night 1 minimum levels 1, .75, .5, .5, .75, 1; night 2: 1, .5, 1 (levels .5/.75/1).
    # No limit: the minimum itself, sum 4.5 + 2.5 = 7.0.
    # 2 changes per night: night 1 needs 4 changes for its minimum; the best with 2 is
    #   1, .75, .75, .75, .75, 1 (or 1, 1, .5, .5, 1, 1): sum 5.0; night 2 keeps 2.5.
    # 1 change: both ends of night 1 need 1.0, so it stays at 1.0 (sum 6.0); night 2
    #   likewise (sum 3.0).
    # 0 changes: the same, 6.0 + 3.0.
    [(None, 7.0), (2, 7.5), (1, 9.0), (0, 9.0)],
)
def test_lighting_milp_change_limit(max_changes: int | None, level_sum: float) -> None:
    index = tiny_index(11)
    dark = [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1]
    lo = [1, 0.75, 0.5, 0.5, 0.75, 1, 0.3, 0.3, 1, 0.5, 1]
    light = lighting(index, dark=dark, min_level=lo)
    inputs = tiny_inputs(load=[0.0] * 11, lighting=light, index=index)
    cost, s = run(inputs, lighting_mode="milp", max_changes_per_night=max_changes)
    level = s["level:G1"].to_numpy()
    assert level.sum() == pytest.approx(level_sum, abs=1e-9)
    assert set(np.round(level[np.array(dark) > 0], 9)) <= {0.5, 0.75, 1.0}
    assert (level >= np.array(lo) * np.array(dark) - 1e-9).all()
    # cost: 9 dark steps at a + b x level, 2 daylight steps at standby
    assert cost == pytest.approx(0.3 * (9 * 0.1 + 0.9 * level_sum + 2 * 0.01), rel=REL)
    if max_changes is not None:
        for night in (level[:6], level[8:]):
            assert int((np.abs(np.diff(night)) > 1e-9).sum()) <= max_changes


def test_lighting_milp_steps_levels() -> None:
    # "steps" levels 1.0/0.75/0.5/0.3 instead of the class levels: minimum 0.4 -> 0.5.
    index = tiny_index(2)
    light = lighting(index, dark=[1, 1], min_level=[0.4, 0.25], levels=(0.6, 1.0))
    inputs = tiny_inputs(load=[0.0, 0.0], lighting=light, index=index)
    _, s = run(inputs, lighting_mode="milp", lighting_levels="steps")
    assert s["level:G1"].tolist() == pytest.approx([0.5, 0.3], abs=1e-9)
    _, s = run(inputs, lighting_mode="milp", lighting_levels="class")
    assert s["level:G1"].tolist() == pytest.approx([0.6, 0.6], abs=1e-9)


def test_objectives_co2_and_import() -> None:
    # Load 5 kW in two steps; CO2 500 then 100 g/kWh; price 0.30 then 0.10 EUR/kWh;
    # 5 kWh stored (eta 1, free end).
    # co2: the stored 5 kWh serve step 1 (500 g/kWh); 5 kWh imported at 100 g = 0.5 kg;
    #   that import costs 0.10 x 5 = 0.5 EUR.
    # import: 5 kWh, whichever step the battery serves.
    # weighted (cost 1, co2 2): battery on step 1: 0.5 + 2 x 0.5 = 1.5;
    #   on step 2: 1.5 + 2 x 2.5 = 6.5 -> 1.5.
    bat = battery(soc_initial_frac=0.5)
    inputs = tiny_inputs(
        load=[5.0, 5.0], price=[0.3, 0.1], co2_g_per_kwh=[500.0, 100.0], batteries=[bat]
    )
    objective, s = run(inputs, objective="co2")
    kpis = compute_kpis(s, [bat])
    assert kpis["co2_kg"] == pytest.approx(0.5, rel=REL)
    # the objective adds 1e-4 x cost as a tie-break: 0.5 kg + 1e-4 x 0.5 EUR
    assert objective == pytest.approx(0.5 + 1e-4 * 0.5, rel=REL)
    objective, s = run(inputs, objective="import")
    assert compute_kpis(s, [bat])["e_import_kwh"] == pytest.approx(5.0, rel=REL)
    objective, s = run(inputs, objective="weighted", weights={"cost": 1.0, "co2": 2.0})
    # weighted: 1 x 0.5 EUR + 2 x 0.5 kg = 1.5
    assert objective == pytest.approx(1.5, rel=REL)


def test_standard_form_handover_matches_appsi_on_all_row_senses() -> None:
    # min x + 2y  s.t.  x + y >= 3,  x <= 2 (a row),  0 <= x - y <= 5 (a range),
    # x - 2y == 0,  x, y >= 0  ->  x = 2y, 3y >= 3, 2y <= 2 -> y = 1, x = 2: objective 4.
    # A row sense read backwards still solves "optimal", with another objective.
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.y = pyo.Var(bounds=(0, None))
    m.ge = pyo.Constraint(expr=m.x + m.y >= 3)
    m.le = pyo.Constraint(expr=m.x <= 2)
    m.rng = pyo.Constraint(expr=pyo.inequality(0, m.x - m.y, 5))
    m.eq = pyo.Constraint(expr=m.x - 2 * m.y == 0)
    m.obj = pyo.Objective(expr=m.x + 2 * m.y)
    result = solve(m)
    assert result.objective == pytest.approx(4.0, rel=REL)
    assert result.values["x"][0] == pytest.approx(2.0, abs=1e-9)
    reference = pyo.SolverFactory("appsi_highs")
    pyo.assert_optimal_termination(reference.solve(m))
    assert pyo.value(m.obj) == pytest.approx(result.objective, rel=REL)


def test_standard_form_handover_matches_appsi_on_the_dispatch_model() -> None:
    index = tiny_index(6)
    light = lighting(index, dark=[1, 1, 0, 0, 1, 1], min_level=[1, 0.5, 0.3, 0.3, 0.5, 1])
    inputs = tiny_inputs(
        load=[3, 5, 2, 1, 6, 4],
        pv=[0, 2, 9, 8, 1, 0],
        price=[0.2, 0.4, 0.1, 0.1, 0.5, 0.3],
        feed_in=0.08,
        peak_charge_eur_per_kw=2.0,
        export_cap_kw=3.0,
        index=index,
        lighting=light,
        terminal_soc="geq_initial",
        batteries=[
            battery(
                eta_charge=0.95,
                eta_discharge=0.95,
                soc_initial_frac=0.5,
                self_discharge_frac_per_h=0.001,
                soc_min_frac=0.1,
                power_kw=4.0,
            )
        ],
    )
    m = build_model(inputs, DispatchOptions(aggregate=False))
    assert matrix_rows(m), "the battery balance comes as matrix rows"
    result = solve(m)
    # appsi sees Pyomo rows only: the matrix rows become Pyomo rows for it, one by one
    m.matrix_copy = pyo.ConstraintList()
    for part in matrix_rows(m):
        xs = [x for var in part.variables for x in var.values()]
        a = part.matrix.tocsr()
        for i in range(a.shape[0]):
            row = slice(a.indptr[i], a.indptr[i + 1])
            body = sum(c * xs[j] for c, j in zip(a.data[row], a.indices[row], strict=True))
            m.matrix_copy.add(pyo.inequality(part.lower[i], body, part.upper[i]))
    reference = pyo.SolverFactory("appsi_highs")
    pyo.assert_optimal_termination(reference.solve(m))
    assert pyo.value(m.objective) == pytest.approx(result.objective, rel=1e-9)


def test_aggregation_is_exact() -> None:
    # Three batteries: two identical per unit (C-rate 0.5) merge, the third (C-rate 1)
    # stays apart; the optimum must not change.
    index = tiny_index(24)
    rng = np.random.default_rng(3)
    bats = [
        battery(
            id="A",
            at="H",
            capacity_kwh=10,
            power_kw=5,
            soc_initial_frac=0.5,
            eta_charge=0.92,
            eta_discharge=0.93,
        ),
        battery(
            id="B",
            at="substation",
            capacity_kwh=30,
            power_kw=15,
            soc_initial_frac=0.5,
            eta_charge=0.92,
            eta_discharge=0.93,
        ),
        battery(id="C", at="H", capacity_kwh=8, power_kw=8, soc_initial_frac=0.5),
    ]
    inputs = tiny_inputs(
        load=rng.uniform(2, 20, 24).tolist(),
        pv=rng.uniform(0, 30, 24).tolist(),
        price=rng.uniform(0.1, 0.5, 24).tolist(),
        feed_in=0.07,
        index=index,
        batteries=bats,
        terminal_soc="geq_initial",
    )
    merged = build_model(inputs, DispatchOptions(aggregate=True))
    assert [u.members for u in merged.layout.storage] == [("A", "B"), ("C",)]
    obj_merged, s_merged = run(inputs, aggregate=True)
    obj_apart, _ = run(inputs, aggregate=False)
    assert obj_merged == pytest.approx(obj_apart, rel=1e-9)
    # the split keeps A and B at the same state-of-charge fraction
    assert np.allclose(s_merged["soc_kwh:A"] / 10, s_merged["soc_kwh:B"] / 30)


def test_node_injections_sum_to_the_exchange() -> None:
    index = tiny_index(4)
    inputs = tiny_inputs(
        load=[3, 5, 2, 1],
        pv=[0, 2, 9, 8],
        price=[0.2, 0.4, 0.1, 0.3],
        feed_in=0.05,
        index=index,
        batteries=[battery(at="H", power_kw=3)],
    )
    m = build_model(inputs, DispatchOptions(aggregate=False))
    assert list(m.NODES) == ["H", "substation"]
    result = solve(m, load_solution=True)
    solution = read_solution(m, inputs, result)
    for t in range(4):
        total = sum(pyo.value(m.p_node_kw[n, t]) for n in m.NODES)
        assert total == pytest.approx(solution.p_import_kw[t] - solution.p_export_kw[t], abs=1e-9)


def test_precheck_names_step_limit_and_amount() -> None:
    # 50 kW of night load against a 40 kW import limit, no PV, no battery: 10 kW short.
    inputs = tiny_inputs(load=[30.0, 50.0], import_limit_kw=40.0)
    with pytest.raises(InfeasibleError) as err:
        optimise(inputs)
    text = str(err.value)
    assert "at 2025-01-15 18:00 CET" in text
    assert "exceeds the import limit of 40.0 kW" in text
    assert "by 10.0 kW" in text
    assert len(err.value.diagnosis) == 1
    # the first line is a whole sentence with the answer: 50 kW of load needs 50 kW of import
    assert text.splitlines()[0] == (
        "The dispatch cannot serve the demand under the import limit of 40.0 kW; "
        "the smallest import limit that would work is 50.0 kW."
    )


def test_soft_balance_names_unserved_energy() -> None:
    # Load 50 kW in two steps, import limit 40 kW, battery 10 kW / 5 kWh stored (eta 1):
    # each step passes the pre-check (40 + 10 >= 50), but 20 kWh are needed from 5 kWh:
    # 15 kWh stay unserved.
    inputs = tiny_inputs(
        load=[50.0, 50.0], import_limit_kw=40.0, batteries=[battery(soc_initial_frac=0.5)]
    )
    m = build_model(inputs)
    solution = read_solution(m, inputs, solve(m))
    assert solution.p_unserved_kw.sum() == pytest.approx(15.0, abs=1e-6)
    with pytest.raises(InfeasibleError) as err:
        optimise(inputs)
    assert "cannot be served" in str(err.value)
    assert "2025-01-15 17:00 CET" in str(err.value) or "2025-01-15 18:00 CET" in str(err.value)
    # 100 kWh of load, 5 kWh from the battery: 2 x 47.5 kWh of import, the smallest peak
    assert (
        str(err.value)
        .splitlines()[0]
        .endswith("the smallest import limit that would work is 47.5 kW.")
    )
    optimise(dataclasses.replace(inputs, import_limit_kw=47.5))  # and it does work
    with pytest.raises(InfeasibleError):
        optimise(dataclasses.replace(inputs, import_limit_kw=47.4))


def test_surplus_without_curtailment_is_explained() -> None:
    # 100 kW of PV, no load, export limit 50 kW, curtailment off: 50 kW too much.
    # With curtailment and 0.05 EUR/kWh feed-in: export 50 kW, curtail the other 50.
    inputs = tiny_inputs(load=[0.0, 0.0], pv=[100.0, 0.0], export_limit_kw=50.0, feed_in=0.05)
    with pytest.raises(InfeasibleError) as err:
        optimise(inputs, DispatchOptions(curtailment=False))
    assert "by 50.0 kW" in str(err.value)
    assert "allow curtailment" in str(err.value)
    _, s = run(inputs)  # with curtailment: 50 kW curtailed
    assert s["pv_curtailed_kw"].iloc[0] == pytest.approx(50.0, abs=1e-9)


def test_hard_infeasibility_names_the_conflicting_constraints() -> None:
    # x + y >= 3 with x <= 1 and y <= 1 (rows): no solution; x - y <= 5 is not involved.
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(bounds=(0, 10))
    m.need = pyo.Constraint(expr=m.x + m.y >= 3)
    m.cap_x = pyo.Constraint(expr=m.x <= 1)
    m.cap_y = pyo.Constraint(expr=m.y <= 1)
    m.spread = pyo.Constraint(expr=m.x - m.y <= 5)
    m.obj = pyo.Objective(expr=m.x)
    with pytest.raises(InfeasibleError) as err:
        solve(m)
    assert sorted(err.value.diagnosis) == [
        "conflicting constraint: cap_x",
        "conflicting constraint: cap_y",
        "conflicting constraint: need",
    ]


def test_time_limit_is_never_reported_as_optimal() -> None:
    index = tiny_index(200)
    rng = np.random.default_rng(0)
    inputs = tiny_inputs(
        load=rng.uniform(1, 9, 200).tolist(),
        index=index,
        price=rng.uniform(0.1, 0.5, 200).tolist(),
        batteries=[battery(power_kw=4.0, soc_initial_frac=0.5)],
    )
    with pytest.raises(SolverError, match="Time limit"):
        optimise(inputs, DispatchOptions(time_limit_s=1e-9))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"load_kw": "negative"}, "load_kw['H']: -1.000 kW"),
        ({"index": "naive"}, "tz-naive"),
        ({"pv_node": {"PV": "X"}}, "pv_node['PV']: 'X' is not a node"),
        ({"batteries": (battery(at="NOWHERE"),)}, "batteries[0].at: 'NOWHERE' is not a node"),
        ({"import_limit_kw": 0.0}, "import_limit_kw: 0.0 kW is not allowed"),
        ({"import_price_eur_per_kwh": [0.1]}, "import_price_eur_per_kwh: expected 2 values"),
    ],
)
def test_inputs_are_validated(change: dict[str, object], message: str) -> None:
    index = tiny_index(2)
    kw: dict[str, object] = {
        "index": index,
        "load_kw": pd.DataFrame({"H": [1.0, 2.0]}, index=index),
        "pv_kw": pd.DataFrame({"PV": [0.0, 1.0]}, index=index),
        "pv_node": {"PV": "H"},
        "import_price_eur_per_kwh": 0.3,
        "feed_in_eur_per_kwh": 0.0,
        "co2_g_per_kwh": 400.0,
        "import_limit_kw": 100.0,
        "export_limit_kw": 100.0,
    }
    for key, value in change.items():
        if value == "negative":
            kw[key] = pd.DataFrame({"H": [1.0, -1.0]}, index=index)
        elif value == "naive":
            kw[key] = index.tz_localize(None)
        else:
            kw[key] = value
    with pytest.raises(InputDataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        DispatchInputs(**kw)  # type: ignore[arg-type]


def test_options_are_validated() -> None:
    with pytest.raises(InputDataError, match="objective: 'money'"):
        DispatchOptions(objective="money")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="weights"):
        DispatchOptions(objective="weighted")
    with pytest.raises(InputDataError, match="max_changes_per_night"):
        DispatchOptions(max_changes_per_night=-1)
