"""The peak block (energy/optimisation/peak.py): import cap and peak charge, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from energy.grid_status import grid_status
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.optimisation.options import DispatchOptions
from energy.optimisation.peak import cap_excess_kw, peak_blocks
from tests.energy.optimisation.conftest import battery, check_physics, tiny_inputs

REL = 1e-9


def _cap_case(cap: float | None) -> tuple[float, np.ndarray]:
    """Load 10 then 2 kW, prices 0.30 then 0.10 EUR/kWh, battery 5 of 10 kWh, eta 1."""
    inputs = tiny_inputs(
        load=[10.0, 2.0],
        price=[0.3, 0.1],
        batteries=[battery(soc_initial_frac=0.5)],
        terminal_soc="geq_initial",
    )
    solution = optimise(inputs, DispatchOptions(import_cap_kw=cap))
    schedule = solution_schedule(inputs, solution)
    check_physics(inputs, schedule)
    return solution.result.objective, schedule["p_import_kw"].to_numpy()


def test_import_cap_by_hand() -> None:
    # The battery discharges x kWh in step 1 and recharges x in step 2 (end >= 5 kWh):
    # imports 10 - x and 2 + x. Without a cap x = 5 (step 2 is cheaper):
    # imports [5, 7], cost 0.3 x 5 + 0.1 x 7 = 2.2 EUR.
    cost, imp = _cap_case(None)
    assert cost == pytest.approx(2.2, rel=REL)
    assert imp.tolist() == pytest.approx([5.0, 7.0], abs=1e-9)
    # Cap 6 kW: 10 - x <= 6 and 2 + x <= 6 -> x = 4: imports [6, 6], cost 2.4 EUR.
    cost, imp = _cap_case(6.0)
    assert cost == pytest.approx(2.4, rel=REL)
    assert imp.tolist() == pytest.approx([6.0, 6.0], abs=1e-9)
    assert cap_excess_kw(imp, 6.0).tolist() == [0.0, 0.0]
    # Cap 5.5 kW cannot be held (12 kWh in two steps): the excess over both steps
    # is 1 kWh whatever x in [3.5, 4.5]; the cheaper step 2 takes it: x = 4.5,
    # imports [5.5, 6.5], 1 kW above the cap in step 2; no load is dropped.
    _, imp = _cap_case(5.5)
    assert imp.tolist() == pytest.approx([5.5, 6.5], abs=1e-9)
    assert cap_excess_kw(imp, 5.5).tolist() == pytest.approx([0.0, 1.0], abs=1e-9)


def test_no_block_without_charge_or_cap_and_cap_status_in_words() -> None:
    inputs = tiny_inputs(load=[10.0, 2.0])
    assert peak_blocks(inputs, DispatchOptions()) == []
    assert len(peak_blocks(inputs, DispatchOptions(import_cap_kw=5.0))) == 1
    kpis = {"optimised": {"peak_import_kw": 6.5}, "B1": {"peak_import_kw": 10.0}}
    kpis["B0"] = {"peak_import_kw": 6.0}
    status = grid_status(kpis, None, np.array([5.5, 6.5]), import_cap_kw=5.5)
    peak = status["peak_import"]
    assert peak["optimised_kw"] == pytest.approx(6.5)
    assert peak["raised_above"] == ["B0"]  # 6.5 kW > B0's 6.0 kW
    assert peak["above_B1_kw"] == pytest.approx(-3.5)
    assert "peak import 6.5 kW is above that of B0 (B1 10.0 kW, B0 6.0 kW)" in status["warnings"][0]
    assert peak["cap_exceeded_steps"] == 1
    assert peak["cap_excess_max_kw"] == pytest.approx(1.0)
    assert "Import cap 5.5 kW exceeded in 1 steps by up to 1.0 kW" in status["warnings"][1]
    assert "Bezugsgrenze 5,5 kW in 1 Zeitschritten" in status["words"]["de"][-1]
    assert status["ac_checked"] is False and status["clean"] is None
