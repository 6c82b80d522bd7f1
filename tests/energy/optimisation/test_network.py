"""Linearised network limits and grid-aware dispatch.

References: hand-computed path resistances and incidences, finite differences of
the AC power flow, and the AC check of the dispatched schedule.
"""

from __future__ import annotations

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from energy.district import GERA_DISTRICT_FILE, District, PVSystem, load_district
from energy.models.grid import build_network, run_timeseries, set_node_buses
from energy.models.grid.check import Limits
from energy.models.weather import weather_for_index
from energy.optimisation.grid_aware import grid_aware_dispatch
from energy.optimisation.network import linearise
from energy.scenario import inputs_from_district
from energy.timeindex import make_index


def two_bus_net() -> pp.pandapowerNet:
    net = pp.create_empty_network()
    b0 = pp.create_bus(net, 0.4, name="source")
    b1 = pp.create_bus(net, 0.4, name="end")
    pp.create_ext_grid(net, b0, vm_pu=1.0)
    pp.create_line(net, b0, b1, 0.2, "NAYY 4x150 SE", name="cable")
    set_node_buses(net, {"source": b0, "end": b1})
    return net


def test_two_bus_sensitivity_and_rating_by_hand() -> None:
    lin = linearise(two_bus_net(), ["source", "end"])
    # dv/dp = -R / (1000 U^2) = -0.0416 ohm / (1000 * 0.4^2 kV^2) = -2.6e-4 pu/kW
    end = lin.bus_names.index("end")
    assert lin.sens_upper[end, 1] == pytest.approx(-2.6e-4, rel=1e-12)
    assert lin.sens_upper[end, 0] == 0.0  # a node at the slack moves nothing
    # rating sqrt(3) * 0.4 kV * 0.27 kA = 187.06 kW at cos phi 1
    assert lin.branch_rating_kw[0] == pytest.approx(187.06, abs=0.01)
    assert lin.downstream.tolist() == [[0.0, 1.0]]
    # at cos phi 0.9 the reactive part X tan(phi) = 0.016 * 0.4843 ohm enters with -/+
    lin9 = linearise(two_bus_net(), ["end"], cos_phi=0.9)
    tan_phi = np.tan(np.arccos(0.9))
    assert lin9.sens_upper[end, 0] == pytest.approx(-(0.0416 - 0.016 * tan_phi) / 160, rel=1e-9)
    assert lin9.sens_lower[end, 0] == pytest.approx(-(0.0416 + 0.016 * tan_phi) / 160, rel=1e-9)


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


def test_incidence_follows_the_feeder(gera: District) -> None:
    net = build_network(gera)
    nodes = ["MF01", "MF03", "MF05", "MF06", "substation"]
    lin = linearise(net, nodes)
    down = pd.DataFrame(lin.downstream, index=lin.branch_names, columns=nodes)
    # F1: MF01 at 60 m, MF03 at 200 m, MF05 at 340 m; MF06 is on F2
    assert down.loc["F1 0-60m"].tolist() == [1, 1, 1, 0, 0]
    assert down.loc["F1 130-200m"].tolist() == [0, 1, 1, 0, 0]
    assert down.loc["service MF05"].tolist() == [0, 0, 1, 0, 0]
    assert down.loc["transformer"].tolist() == [1, 1, 1, 1, 1]


def test_sensitivity_is_shared_path_resistance(gera: District) -> None:
    net = build_network(gera)
    lin = linearise(net, ["MF03", "MF05"])
    b03, b05 = lin.bus_names.index("MF03"), lin.bus_names.index("MF05")
    # path shared by MF03 and MF05: transformer (vkr 1.206 % of 0.4^2/0.63 ohm) + 200 m
    # of NAYY 4x150 SE (0.208 ohm/km); MF05's own path adds 140 m and its 15 m service
    r_trafo = 0.01206 * 0.16 / 0.63
    r_shared = r_trafo + 0.208 * 0.2
    r_own = r_trafo + 0.208 * 0.34 + 0.642 * 0.015
    assert lin.sens_upper[b03, 1] == pytest.approx(-r_shared / 160, rel=1e-9)
    assert lin.sens_upper[b05, 1] == pytest.approx(-r_own / 160, rel=1e-9)


def test_linear_voltage_matches_ac_finite_difference(gera: District) -> None:
    net = build_network(gera)
    lin = linearise(net, ["MF05"])
    index = pd.date_range("2025-06-01", periods=2, freq="1h", tz="UTC")
    p = pd.DataFrame({"MF05": [0.0, -20.0]}, index=index)  # 20 kW fed in at MF05
    ac = run_timeseries(net, p)
    dv_ac = ac.vm_pu.iloc[1] - ac.vm_pu.iloc[0]
    dv_lin = pd.Series(lin.sens_upper[:, 0] * -20.0, index=lin.bus_names)
    # first order: second-order terms are ~ (dv)^2 ~ 1e-4 of 1e-2 pu
    assert dv_ac["MF05"] == pytest.approx(dv_lin["MF05"], rel=0.03)
    assert np.abs(dv_ac[lin.bus_names] - dv_lin).max() < 3e-4


@pytest.fixture(scope="module")
def june(gera: District) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    index = make_index("2025-06-10", 3, "1h", gera.site.timezone)
    return index, weather_for_index(index, gera.site, "clearsky")


def _planted(gera: District, curtailable: bool) -> District:
    """1 MWp of PV on MF01 (60 m out on feeder F1)."""
    extra = PVSystem(id="PLANTED", building="MF01", kwp=1000.0, curtailable=curtailable)
    return gera.model_copy(update={"pv": [*gera.pv, extra]})


def test_grid_aware_dispatch_removes_planted_overload(gera, june) -> None:
    index, weather = june
    district = _planted(gera, curtailable=True)
    inputs = inputs_from_district(district, index, weather)
    result = grid_aware_dispatch(inputs, build_network(district))
    first, last = result.iterations[0], result.iterations[-1]
    assert first["violations"] > 0  # the copper-plate dispatch overloads F1
    assert result.clean, result.unresolved
    assert result.unresolved == []
    assert last["violations"] == 0 and len(result.iterations) <= 4
    # the limits cost money: the constrained optimum cannot beat the copper plate
    assert last["objective"] >= first["objective"] - 1e-6
    # what resolved it: curtailment of the planted PV at MF01
    assert result.schedule["pv_curtailed_kw:MF01"].sum() > 100.0
    s = result.check.summary
    assert s["max_line_loading_pct"] <= 100.0 and s["max_voltage_rise_pct"] <= 3.0


def test_grid_aware_dispatch_says_why_it_cannot(gera, june) -> None:
    index, weather = june
    district = _planted(gera, curtailable=False)
    inputs = inputs_from_district(district, index, weather)
    result = grid_aware_dispatch(inputs, build_network(district), limits=Limits())
    assert not result.clean
    text = "\n".join(result.unresolved)
    assert "line_overload of service MF01" in text
    assert "cannot be resolved" in text and "kW it may carry" in text
    # every remaining violation gets a sentence
    pairs = result.check.violations[["element", "kind"]].drop_duplicates()
    assert len(result.unresolved) == len(pairs)
