"""Rolling-horizon operation: equals the full optimum with perfect forecasts over one window,
never beats perfect foresight otherwise, carries the battery state exactly between windows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.errors import InputDataError
from energy.forecasts import NOISE_RHO, NOISE_SIGMA, Forecaster
from energy.kpi import compute_kpis
from energy.operation import OperationSpec, operate, terminal_values, window_inputs
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.optimisation.options import DispatchOptions
from energy.optimisation.storage import TerminalStorage, with_initial_soc
from energy.scenario import ScenarioOptions, scenario_inputs

START = dt.date(2025, 6, 2)
DAYS = 3


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


def test_one_window_with_perfect_forecasts_is_the_full_optimum(gera: District) -> None:
    # the full optimum of the same days, computed as run_scenario does (its own inputs)
    inputs = scenario_inputs(gera, ScenarioOptions(start=START, days=DAYS))
    full = solution_schedule(inputs, optimise(inputs, DispatchOptions()))
    full_cost = compute_kpis(full, inputs.batteries, inputs.peak_charge_eur_per_kw)["cost_eur"]
    hours = 24.0 * DAYS
    one = operate(gera, OperationSpec(START, DAYS, horizon_h=hours, step_h=hours))
    assert len(one.windows) == 1
    assert one.kpis["realised"]["cost_eur"] == pytest.approx(full_cost, rel=1e-6)
    # re-planning every 24 h over a horizon that reaches the end: still the optimum
    # (the rest of an optimal plan is optimal from the state it reaches)
    daily = operate(gera, OperationSpec(START, DAYS, horizon_h=hours, step_h=24.0))
    assert len(daily.windows) == DAYS
    assert daily.kpis["realised"]["cost_eur"] == pytest.approx(full_cost, rel=1e-6)
    assert daily.forecast_error_cost_eur == pytest.approx(0.0, abs=1e-6 * full_cost)


@pytest.mark.parametrize("forecast", ["clearsky", "persistence", "noisy"])
def test_forecasts_never_beat_perfect_foresight_and_states_carry_over(
    gera: District, forecast: str
) -> None:
    result = operate(gera, OperationSpec(START, DAYS, 36.0, 24.0, forecast=forecast))  # type: ignore[arg-type]
    perfect = result.kpis["perfect_foresight"]["cost_eur"]
    assert result.kpis["realised"]["cost_eur"] >= perfect * (1 - 1e-6)
    assert result.forecast_error_cost_eur >= -1e-6 * perfect
    # every window starts with exactly what the previous one ended with ...
    for before, after in zip(result.windows, result.windows[1:], strict=False):
        for bat, kwh in before["soc_end_kwh"].items():
            assert after["soc_start_kwh"][bat] == pytest.approx(kwh, abs=1e-9)
    # ... which is the realised schedule's state at that boundary
    steps = np.cumsum([w["realised"] for w in result.windows])
    for w, end in zip(result.windows[:-1], steps[:-1], strict=True):
        for bat, kwh in w["soc_end_kwh"].items():
            assert result.realised[f"soc_kwh:{bat}"].iloc[end - 1] == pytest.approx(kwh, abs=1e-9)
    # all schedules compared end equalised
    for name in ("realised", "perfect_foresight", "B1"):
        assert result.kpis[name]["delta_soc_kwh"] == pytest.approx(0.0, abs=1e-6)
    assert result.limit_violations == 0


def test_terminal_value_keeps_energy_stored_at_the_window_end(gera: District) -> None:
    inputs = scenario_inputs(gera, ScenarioOptions(start=START, days=2))
    window = dataclasses.replace(window_inputs(inputs, 0, 36), terminal_soc="free")
    options = DispatchOptions()
    free = solution_schedule(window, optimise(window, options))
    valued = solution_schedule(
        window, optimise(window, options, blocks=[TerminalStorage(terminal_values(window))])
    )
    lowest = sum(b.soc_min_frac * b.capacity_kwh for b in window.batteries)
    # without a value the plan empties the batteries at the horizon's end
    assert free["soc_kwh"].iloc[-1] == pytest.approx(lowest, abs=1e-6)
    # the value (eta_dis x mean import price) keeps energy stored (measured: 82.3 kWh
    # at noon of the second day against the minimum 40.7 kWh)
    assert valued["soc_kwh"].iloc[-1] > lowest + 20.0
    target = {b.id: b.soc_max_frac * b.capacity_kwh for b in window.batteries}
    fixed = solution_schedule(
        window, optimise(window, options, blocks=[TerminalStorage(target_kwh=target)])
    )
    assert fixed["soc_kwh"].iloc[-1] == pytest.approx(sum(target.values()), rel=1e-9)
    with pytest.raises(InputDataError, match="terminal_soc = 'free'"):
        optimise(window_inputs(inputs, 0, 36), options, blocks=[TerminalStorage()])


def test_with_initial_soc_sets_the_start_exactly(gera: District) -> None:
    bats = gera.batteries
    moved = with_initial_soc(bats, {bats[0].id: 123.456, bats[1].id: 1e9})
    assert moved[0].soc_initial_frac * moved[0].capacity_kwh == pytest.approx(123.456, abs=1e-12)
    assert moved[1].soc_initial_frac == bats[1].soc_max_frac  # clipped into the limits
    assert moved[2] == bats[2]


def test_noise_has_the_documented_statistics(gera: District) -> None:
    spec = OperationSpec(START, 1, forecast="noisy", seed=7)
    inputs = scenario_inputs(gera, ScenarioOptions(start=START, days=2))
    forecaster = Forecaster(spec, gera, inputs, 24)
    e = forecaster._noise(200_000, 1, 0)[:, 0]
    assert e.mean() == pytest.approx(0.0, abs=0.01)
    assert e.std() == pytest.approx(NOISE_SIGMA, rel=0.02)
    assert np.corrcoef(e[:-1], e[1:])[0, 1] == pytest.approx(NOISE_RHO, abs=0.01)
    # seeded: the same window gives the same errors, another window others
    assert np.array_equal(forecaster._noise(36, 2, 3), forecaster._noise(36, 2, 3))
    assert not np.array_equal(forecaster._noise(36, 2, 3), forecaster._noise(36, 2, 4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"forecast": "crystal_ball"}, "forecast: 'crystal_ball' is not known"),
        ({"step_h": 48.0, "horizon_h": 24.0}, "step_h: 48.0 h is not allowed"),
        ({"forecast": "file"}, "forecast_file: forecast 'file' needs"),
        ({"load_forecast": "guess"}, "load_forecast: 'guess'"),
    ],
)
def test_bad_operation_specs_name_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        OperationSpec(START, 2, **kwargs)


def test_cli_operate_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from energy.cli import app

    args = ["operate", str(GERA_DISTRICT_FILE), "--start", "2025-06-02", "--days", "2"]
    result = CliRunner().invoke(app, [*args, "--forecast", "persistence", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["windows"] == 2 and data["forecast"] == "persistence"
    realised = data["kpis"]["realised"]["cost_eur"]
    perfect = data["kpis"]["perfect_foresight"]["cost_eur"]
    assert data["forecast_error"]["cost_eur"] == pytest.approx(realised - perfect)
    assert data["forecast_error"]["cost_eur"] >= 0
    bad = CliRunner().invoke(app, [*args, "--forecast", "tea_leaves"])
    assert bad.exit_code == 1 and "forecast: 'tea_leaves' is not known" in bad.output


def test_heat_pumps_and_evs_are_refused_with_the_reason(data_dir: Path) -> None:
    flexible = load_district(data_dir / "gera" / "district_heat_mobility.yaml")
    with pytest.raises(InputDataError, match="flex: rolling-horizon operation does not carry"):
        operate(flexible, OperationSpec(START, 1))
