"""Reactive power in the AC check (energy/models/reactive.py, energy/ac_check.py).

References: the VDE-AR-N 4105 cos phi(P) characteristic evaluated by hand, and
the exact solution of a two-bus network (slack, one cable, one PQ node) by
hand, compared with the AC check as a scenario runs it.

Two-bus network, three-phase, line-to-line voltages: slack U1 = 0.4 kV, cable
Z = R + jX, node draws S = P + jQ (load convention). With U2 the node voltage
the power flow has the exact solution

    U2^2 = (a + sqrt(a^2 - 4 |Z|^2 |S|^2)) / 2,  a = U1^2 - 2 (R P + X Q)

(kV, MW, Mvar, ohm); a shunt-free cable makes it exact.
"""

from __future__ import annotations

import math

import numpy as np
import pandapower as pp
import pytest

from energy.district import District, district_from_dict
from energy.models.reactive import (
    DEFAULT_LOAD_COS_PHI,
    ReactivePower,
    pv_cos_phi,
    pv_q_kvar,
)
from energy.scenario import ScenarioOptions, run_scenario

U1_KV = 0.4
R_OHM = 0.208 * 0.5  # NAYY 4x150 SE, 500 m
X_OHM = 0.080 * 0.5
TAN_095 = math.tan(math.acos(0.95))  # 0.328684


def two_bus_kv(p_mw: np.ndarray, q_mvar: np.ndarray) -> np.ndarray:
    """Node voltage [kV] of the two-bus network (module docstring)."""
    a = U1_KV**2 - 2.0 * (R_OHM * p_mw + X_OHM * q_mvar)
    disc = a * a - 4.0 * (R_OHM**2 + X_OHM**2) * (p_mw**2 + q_mvar**2)
    return np.sqrt((a + np.sqrt(disc)) / 2.0)


def test_the_hand_formula_on_one_written_out_case() -> None:
    # P = 50 kW at cos phi 0.95 inductive: Q = 50 x 0.328684 = 16.4342 kvar.
    # R P + X Q = 0.104 x 0.05 + 0.04 x 0.0164342 = 0.00585737
    # a = 0.16 - 2 x 0.00585737 = 0.14828526
    # |Z|^2 |S|^2 = (0.104^2 + 0.04^2)(0.05^2 + 0.0164342^2) = 0.012416 x 0.00277008
    # U2^2 = (0.14828526 + sqrt(0.14828526^2 - 4 x 3.43933e-5)) / 2 = 0.14805290
    # U2 = 0.384777 kV = 0.961943 pu
    u = two_bus_kv(np.array([0.05]), np.array([0.05 * TAN_095]))[0]
    assert u / U1_KV == pytest.approx(0.961943, abs=2e-6)
    # cos phi 1: a = 0.16 - 2 x 0.104 x 0.05 = 0.1496, |Z|^2 |S|^2 = 0.012416 x 0.0025,
    # U2^2 = (0.1496 + sqrt(0.1496^2 - 4 x 3.104e-5)) / 2 = 0.149392, U2 = 0.966282 pu:
    # a drop of 3.372 % against 3.806 % at cos phi 0.95, i.e. unity understates it by 13 %
    u1 = two_bus_kv(np.array([0.05]), np.array([0.0]))[0]
    assert u1 / U1_KV == pytest.approx(0.966282, abs=2e-6)


def test_vde_4105_characteristic_by_hand() -> None:
    cfg = ReactivePower()
    # 10 kVA unit (3.68 < S <= 13.8): cos phi 1 up to 5 kW, 0.975 at 7.5 kW, 0.95 at 10 kW
    assert pv_cos_phi(np.array([2.0, 5.0, 7.5, 10.0]), 10.0, cfg).tolist() == pytest.approx(
        [1.0, 1.0, 0.975, 0.95]
    )
    # q at rated power: 10 x tan(arccos 0.95) = 3.28684 kvar absorbed (+ = consumed)
    assert pv_q_kvar(np.array([10.0]), 10.0, cfg)[0] == pytest.approx(3.286841, abs=1e-6)
    # 20 kVA unit: cos phi_min 0.90; at 15 kW (x = 0.75): 0.95; at 20 kW q = 20 x 0.484322
    assert pv_cos_phi(np.array([15.0]), 20.0, cfg)[0] == pytest.approx(0.95)
    assert pv_q_kvar(np.array([20.0]), 20.0, cfg)[0] == pytest.approx(9.686442, abs=1e-6)
    # 3 kVA unit: no reactive power; fixed mode exempts units up to 13.8 kVA
    assert pv_q_kvar(np.array([3.0]), 3.0, cfg)[0] == 0.0
    fixed = ReactivePower(pv="fixed")
    assert pv_cos_phi(np.array([1.0]), 13.8, fixed)[0] == 1.0
    assert pv_cos_phi(np.array([1.0]), 13.9, fixed)[0] == 0.95
    assert DEFAULT_LOAD_COS_PHI["H0"] == 0.95 and DEFAULT_LOAD_COS_PHI["G1"] == 0.90
    assert ReactivePower(load_cos_phi={"H0": 0.97}).load_cos_phi_of("H0") == 0.97
    with pytest.raises(ValueError, match="'X9' is not a load profile"):
        ReactivePower(load_cos_phi={"X9": 0.9})


def two_bus_net() -> pp.pandapowerNet:
    net = pp.create_empty_network(sn_mva=1.0)
    b0 = pp.create_bus(net, vn_kv=U1_KV, name="substation")
    b1 = pp.create_bus(net, vn_kv=U1_KV, name="H1")
    pp.create_ext_grid(net, b0, vm_pu=1.0)
    pp.create_line_from_parameters(
        net, b0, b1, length_km=0.5, r_ohm_per_km=0.208, x_ohm_per_km=0.08,
        c_nf_per_km=0.0, max_i_ka=0.27,
    )  # fmt: skip
    return net


def one_building(pv_kwp: float | None) -> District:
    spec = {
        "site": {"name": "two-bus", "latitude": 50.88, "longitude": 12.08},
        "grid": {"feeders": [{"id": "F1"}], "import_limit_kw": 500, "export_limit_kw": 500},
        "buildings": [
            {"id": "H1", "kind": "multi_family", "annual_kwh": 200000, "profile": "H0",
             "feeder": "F1", "distance_m": 500},
        ],
        "pv": [] if pv_kwp is None else [{"id": "PV1", "building": "H1", "kwp": pv_kwp}],
    }  # fmt: skip
    return district_from_dict(spec)


def test_two_bus_hand_calculation_through_a_scenario_load_at_cos_phi_095() -> None:
    # Household load (H0, default cos phi 0.95 inductive), no PV: every step's node
    # voltage is the hand formula with Q = P tan(arccos 0.95); the run's lowest
    # voltage is the lowest of them.
    district = one_building(None)
    options = ScenarioOptions(start="2025-01-15", days=1, weather="clearsky")
    result = run_scenario(district, options, network=two_bus_net())
    assert result.grid is not None
    p_kw = result.node_p_kw["H1"].to_numpy()
    assert p_kw.max() > 40.0  # a real drop: the H0 peak of 200 MWh/a
    hand_pu = two_bus_kv(p_kw / 1000.0, p_kw * TAN_095 / 1000.0) / U1_KV
    assert result.grid["v_min_pu"] == pytest.approx(hand_pu.min(), abs=1e-5)
    # at cos phi 1 the run would be off by far more than the tolerance
    unity_pu = two_bus_kv(p_kw / 1000.0, 0.0 * p_kw) / U1_KV
    assert abs(unity_pu.min() - result.grid["v_min_pu"]) > 5e-4


def test_two_bus_hand_calculation_through_a_scenario_pv_fixed_095_underexcited() -> None:
    # 100 kWp (90.9 kVA > 13.8 kVA) at fixed cos phi 0.95 under-excited, load at 0.95
    # inductive, clear June day: Q = (P_load + P_pv) tan(arccos 0.95) (both consume
    # reactive power), P = P_load - P_pv; the highest voltage and the voltage rise
    # above no-load (1.0 pu) are those of the hand formula.
    district = one_building(100.0)
    options = ScenarioOptions(
        start="2025-06-15", days=1, weather="clearsky", reactive=ReactivePower(pv="fixed")
    )
    result = run_scenario(district, options, network=two_bus_net())
    assert result.grid is not None
    s = result.schedule
    load = s["load_kw"].to_numpy()
    pv_out = (s["pv_kw"] - s["pv_curtailed_kw"]).to_numpy()
    p_kw = result.node_p_kw["H1"].to_numpy()
    assert p_kw == pytest.approx(load - pv_out, abs=1e-6)
    assert p_kw.min() < -20.0  # midday feed-in
    hand_pu = two_bus_kv(p_kw / 1000.0, (load + pv_out) * TAN_095 / 1000.0) / U1_KV
    assert result.grid["v_max_pu"] == pytest.approx(max(hand_pu.max(), 1.0), abs=1e-5)
    rise = (hand_pu.max() - 1.0) * 100.0
    assert result.grid["max_voltage_rise_pct"] == pytest.approx(rise, abs=1e-3)


def test_cli_grid_check_takes_reactive_power_by_default() -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from energy.cli.grid import register
    from energy.district import GERA_DISTRICT_FILE

    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test app."""

    args = ["grid", "check", str(GERA_DISTRICT_FILE), "--start", "2025-01-15", "--days", "1"]
    default = CliRunner().invoke(app, [*args, "--json"])
    unity = CliRunner().invoke(app, [*args, "--json", "--cos-phi", "1"])
    assert default.exit_code == 0 and unity.exit_code == 0, default.output + unity.output
    with_q, without = json.loads(default.output), json.loads(unity.output)
    assert "VDE-AR-N 4105" in with_q["reactive_power"]
    assert without["reactive_power"] == "cos phi 1 at every node"
    # a January day's evening peak: the loads' reactive power deepens the lowest voltage
    assert with_q["summary"]["v_min_pu"] < without["summary"]["v_min_pu"] - 1e-3
