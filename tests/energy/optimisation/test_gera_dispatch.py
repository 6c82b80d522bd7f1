"""The dispatch of the Gera reference district, re-checked from its schedules.

Short horizons (2-3 days) keep the tests fast; a full year runs under ``slow``.
Every check recomputes a quantity from the returned schedule independently of
the optimiser: the cost from prices x flows, the balance, the SoC recursion,
the lighting levels against the class minimum.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from energy.baselines import baseline_b0, baseline_b1
from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.errors import InfeasibleError
from energy.kpi import compute_kpis
from energy.models.lighting import LightingInputs
from energy.models.weather import weather_for_index
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.optimisation.options import DispatchOptions
from energy.scenario import inputs_from_district
from energy.system import DispatchInputs, node_injections_kw
from energy.timeindex import make_index
from tests.energy.optimisation.conftest import check_physics


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


def gera_inputs(
    district: District, start: str, days: int, resolution: str = "1h"
) -> DispatchInputs:
    index = make_index(start, days, resolution, district.site.timezone)
    return inputs_from_district(district, index, weather_for_index(index, district.site))


@pytest.fixture(
    scope="module",
    params=[("2025-01-13", 3), ("2025-06-13", 3), ("2025-03-29", 2)],
    ids=["winter", "summer-negative-prices", "spring-DST"],
)
def case(
    request: pytest.FixtureRequest, gera: District
) -> tuple[DispatchInputs, pd.DataFrame, float]:
    start, days = request.param
    inputs = gera_inputs(gera, start, days)
    solution = optimise(inputs)
    return inputs, solution_schedule(inputs, solution), solution.result.objective


def test_cost_recomputed_from_the_schedule_equals_the_objective(case: tuple) -> None:
    inputs, s, objective = case
    dt = inputs.dt_h
    # DESIGN.md: sum(price x import - feed-in x export) x dt + throughput cost (no peak charge)
    cost = float(
        (
            (
                s["import_price_eur_per_kwh"] * s["p_import_kw"]
                - s["feed_in_eur_per_kwh"] * s["p_export_kw"]
            ).sum()
        )
        * dt
    )
    for bat in inputs.batteries:
        cost += bat.throughput_cost_eur_per_kwh * float(s[f"p_discharge_kw:{bat.id}"].sum()) * dt
    assert cost == pytest.approx(objective, rel=1e-7)


def test_balance_soc_and_limits_hold_in_every_step(case: tuple) -> None:
    inputs, s, _ = case
    check_physics(inputs, s, tol=1e-6)
    nodes = node_injections_kw(inputs, s)
    net = s["p_import_kw"] - s["p_export_kw"]
    assert np.abs(nodes.sum(axis=1) - net).max() < 1e-6


def test_terminal_soc_is_kept(case: tuple) -> None:
    inputs, s, _ = case
    for bat in inputs.batteries:
        assert s[f"soc_kwh:{bat.id}"].iloc[-1] >= bat.soc_initial_frac * bat.capacity_kwh - 1e-6


def test_lighting_respects_the_class_minimum_and_daylight(case: tuple) -> None:
    inputs, s, _ = case
    light = inputs.lighting
    assert light is not None
    for g, gid in enumerate(light.group_ids):
        level = s[f"level:{gid}"].to_numpy()
        dark = light.dark_frac[g]
        lit = dark > 0
        assert (level[lit] >= light.min_level_frac[g][lit] - 1e-9).all()
        assert (level[lit] <= 1 + 1e-9).all()
        # full daylight: off, drawing standby power only
        assert (level[~lit] == 0).all()
        assert np.allclose(s[f"lighting_kw:{gid}"].to_numpy()[~lit], light.standby_kw[g])
        # without a benefit for light and at positive prices the LP stays at the minimum
        assert np.allclose(level[lit], light.min_level_frac[g][lit], atol=1e-7)


def test_the_optimum_is_never_worse_than_either_baseline(case: tuple) -> None:
    inputs, _, objective = case
    for baseline in (baseline_b0(inputs), baseline_b1(inputs)):
        kpis = compute_kpis(baseline.schedule, inputs.batteries)
        assert objective <= kpis["cost_eur"] + 1e-6, baseline.name
        check_physics(inputs, baseline.schedule, tol=1e-6)


def _hourly_to_quarter_hours(inputs: DispatchInputs) -> DispatchInputs:
    """The same inputs on 15-min steps, each hour's values held for its 4 quarters."""
    index = pd.date_range(
        inputs.index[0], periods=4 * inputs.n_steps, freq="15min", tz="UTC", name="time"
    )

    def rep(a: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(a), 4, axis=-1)

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(np.repeat(df.to_numpy(), 4, axis=0), index=index, columns=df.columns)

    light = inputs.lighting
    assert light is not None
    quarter_light = LightingInputs(
        group_ids=light.group_ids,
        index=index,
        dt_h=0.25,
        dark_frac=rep(light.dark_frac),
        min_level_frac=rep(light.min_level_frac),
        a_kw=light.a_kw,
        b_kw=light.b_kw,
        standby_kw=light.standby_kw,
        discrete_levels=light.discrete_levels,
    )
    return dataclasses.replace(
        inputs,
        index=index,
        load_kw=frame(inputs.load_kw),
        pv_kw=frame(inputs.pv_kw),
        lighting=quarter_light,
        import_price_eur_per_kwh=rep(inputs.import_price_eur_per_kwh),
        feed_in_eur_per_kwh=rep(inputs.feed_in_eur_per_kwh),
        co2_g_per_kwh=rep(inputs.co2_g_per_kwh),
    )


def test_hourly_and_quarter_hourly_runs_agree(gera: District) -> None:
    hourly = gera_inputs(gera, "2025-01-13", 2)
    quarter = _hourly_to_quarter_hours(hourly)
    a = optimise(hourly)
    b = optimise(quarter)
    # With hourly-constant inputs the 15-min LP can do what the hourly LP does (four equal
    # quarters) and gains nothing from finer steps, except that charge entering in an
    # earlier quarter self-discharges for the rest of the hour (0.01 %/h): differences
    # of order 1e-4 x stored energy x price, below 1e-5 of the cost.
    assert b.result.objective == pytest.approx(a.result.objective, rel=1e-5)
    sa = solution_schedule(hourly, a)
    sb = solution_schedule(quarter, b)
    ka = compute_kpis(sa, hourly.batteries)
    kb = compute_kpis(sb, quarter.batteries)
    assert kb["e_lighting_kwh"] == pytest.approx(ka["e_lighting_kwh"], rel=1e-9)
    assert kb["e_consumption_kwh"] == pytest.approx(ka["e_consumption_kwh"], rel=1e-9)


def test_aggregated_and_per_battery_models_agree(gera: District) -> None:
    inputs = gera_inputs(gera, "2025-06-13", 2)
    merged = optimise(inputs, DispatchOptions(aggregate=True))
    apart = optimise(inputs, DispatchOptions(aggregate=False))
    assert len(merged.layout.storage) < len(inputs.batteries) == len(apart.layout.storage)
    assert merged.result.objective == pytest.approx(apart.result.objective, rel=1e-8)
    assert merged.result.n_variables < apart.result.n_variables


def test_milp_lighting_respects_the_change_limit(gera: District) -> None:
    inputs = gera_inputs(gera, "2025-01-13", 2)
    solution = optimise(
        inputs, DispatchOptions(lighting_mode="milp", max_changes_per_night=1, mip_gap=1e-6)
    )
    s = solution_schedule(inputs, solution)
    check_physics(inputs, s)
    light = inputs.lighting
    assert light is not None
    for g, gid in enumerate(light.group_ids):
        level = s[f"level:{gid}"].to_numpy()
        lit = light.dark_frac[g] > 0
        allowed = set(np.round(light.discrete_levels[g], 9)) | {1.0}
        assert set(np.round(level[lit], 9)) <= allowed
        assert (level[lit] >= light.min_level_frac[g][lit] - 1e-9).all()
        # nights: runs of dark steps; count level changes inside each
        edges = np.flatnonzero(np.diff(np.concatenate([[0], lit.astype(int), [0]])))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            changes = int((np.abs(np.diff(level[start:stop])) > 1e-9).sum())
            assert changes <= 1, (gid, start)
    lp = optimise(inputs)
    # discrete levels and the change limit can only cost more than the LP
    assert solution.result.objective >= lp.result.objective - 1e-6


def test_import_limit_below_the_night_load_is_diagnosed(gera: District) -> None:
    # A winter day needs 70-300 kW; with 40 kW of import the batteries (814 kWh, 366 kWh
    # usable from their initial state) run dry within hours. No single step exceeds
    # 40 kW + 408 kW of battery power, so the soft balance, not the pre-check, must say
    # which steps go unserved and by how much.
    grid = gera.grid.model_copy(update={"import_limit_kw": 40.0})
    district = gera.model_copy(update={"grid": grid})
    inputs = gera_inputs(district, "2025-01-13", 1)
    with pytest.raises(InfeasibleError) as err:
        optimise(inputs)
    text = str(err.value)
    assert "cannot be served" in text
    assert "import limit of 40.0 kW" in text
    assert "2025-01-13" in text and ("CET" in text)
    assert err.value.diagnosis
    assert "Traceback" not in text


@pytest.mark.slow
def test_full_year_hourly(gera: District) -> None:
    inputs = gera_inputs(gera, "2025-01-01", 365)
    solution = optimise(inputs)
    s = solution_schedule(inputs, solution)
    check_physics(inputs, s)
    kpis = compute_kpis(s, inputs.batteries)
    assert kpis["cost_eur"] == pytest.approx(solution.result.objective, rel=1e-7)
    for baseline in (baseline_b0(inputs), baseline_b1(inputs)):
        assert (
            kpis["cost_eur"] <= compute_kpis(baseline.schedule, inputs.batteries)["cost_eur"] + 1e-6
        )
