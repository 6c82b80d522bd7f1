"""Grid model: network building, AC time series, violations, hosting capacity, GeoJSON, CLI.

References are independent of the code under test: a closed-form two-bus
voltage drop, pandapower's own ``runpp`` on SimBench's element-level profiles,
hand-counted topologies.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandapower as pp
import pandapower.topology
import pandas as pd
import pytest
import simbench
import typer
from typer.testing import CliRunner

from energy.cli.grid import register
from energy.district import (
    GERA_DISTRICT_FILE,
    District,
    PVSystem,
    district_from_dict,
    load_district,
)
from energy.errors import InputDataError, PowerFlowError
from energy.models.grid import (
    build_network,
    import_network,
    map_to_district,
    network_profiles_kw,
    node_buses,
    run_timeseries,
    set_node_buses,
)
from energy.models.grid.check import Limits, check_result, check_schedule
from energy.models.grid.geojson import to_geojson
from energy.models.grid.hosting import hosting_capacity
from energy.models.weather import weather_for_index
from energy.studies.hosting import district_b0_node_p_kw
from energy.timeindex import make_index

SIMBENCH_CODE = "1-LV-semiurb4--0-sw"

# ---------------------------------------------------------------------------------------
# Two buses, one cable: closed-form voltage drop
# ---------------------------------------------------------------------------------------
# 400 V source (slack, 1.0 pu), NAYY 4x150 SE (r = 0.208 ohm/km, x = 0.08 ohm/km,
# pandapower std type), 200 m: R = 0.0416 ohm, X = 0.016 ohm per phase.
# A balanced 100 kW load at cos phi 1 at the far end. With the far-end voltage U2 as the
# real reference (line-to-line), sqrt(3) * I = P / U2 in phase with U2, so
#     U1 = U2 + (R + jX) P / U2   =>   U1^2 = (U2 + R P / U2)^2 + (X P / U2)^2,
# solved by the fixed point U2 <- sqrt(U1^2 - (X P / U2)^2) - R P / U2 (converges in a
# few steps): U2 = 389.29 V, a drop of 10.71 V (2.68 %).
# The textbook linearisation dU ~ sqrt(3) I R l with I = P / (sqrt(3) U_n) = 144.3 A
# gives 10.40 V; it differs from the exact value by 0.31 V, so it is checked to 0.4 V.
# Line charging (261 nF/km: ~1 var) shifts U2 by < 1e-4 V, below the 1e-5 pu tolerance.
U1_V, R_OHM, X_OHM, P_W = 400.0, 0.208 * 0.2, 0.08 * 0.2, 100e3


def _far_end_voltage(p_w: float) -> float:
    """Exact far-end line voltage [V] for a load (p_w > 0) or generation (p_w < 0)."""
    u2 = U1_V
    for _ in range(50):
        u2 = math.sqrt(U1_V**2 - (X_OHM * p_w / u2) ** 2) - R_OHM * p_w / u2
    return u2


def two_bus_net() -> pp.pandapowerNet:
    net = pp.create_empty_network()
    b0 = pp.create_bus(net, 0.4, name="source")
    b1 = pp.create_bus(net, 0.4, name="end")
    pp.create_ext_grid(net, b0, vm_pu=1.0)
    pp.create_line(net, b0, b1, 0.2, "NAYY 4x150 SE", name="cable")
    set_node_buses(net, {"source": b0, "end": b1})
    return net


def _one_step(p_kw: float) -> pd.DataFrame:
    index = pd.date_range("2025-06-01 10:00", periods=1, freq="1h", tz="UTC")
    return pd.DataFrame({"end": [p_kw]}, index=index)


@pytest.mark.parametrize("method", ["lightsim2grid", "pandapower"])
def test_two_bus_voltage_drop_matches_closed_form(method: str) -> None:
    res = run_timeseries(two_bus_net(), _one_step(100.0), method=method)
    assert res.method == method
    u2 = _far_end_voltage(P_W)
    assert u2 == pytest.approx(389.29, abs=0.01)
    vm_end = float(res.vm_pu["end"].iloc[0])
    assert vm_end == pytest.approx(u2 / U1_V, abs=1e-5)
    # the linearised drop sqrt(3) I R l = R P / U_n = 10.40 V, within its own error
    assert U1_V * (1 - vm_end) == pytest.approx(R_OHM * P_W / U1_V, abs=0.4)
    # loading: I = P / (sqrt(3) U2) = 148.3 A of 270 A
    i_a = P_W / (math.sqrt(3) * u2)
    assert float(res.line_loading_pct["cable"].iloc[0]) == pytest.approx(i_a / 270 * 100, rel=1e-4)
    # losses 3 I^2 R = P^2 R / U2^2 = 2.745 kW; the source delivers load + losses
    loss_kw = P_W**2 * R_OHM / u2**2 / 1000
    assert float(res.losses_kw.iloc[0]) == pytest.approx(loss_kw, rel=1e-3)
    assert float(res.p_ext_grid_kw.iloc[0]) == pytest.approx(100.0 + loss_kw, rel=1e-5)


def test_voltage_rise_criterion_against_closed_form() -> None:
    # 100 kW fed in at the far end: U2 = 410.1 V, a rise of 2.53 % above the no-load 400 V
    res = run_timeseries(two_bus_net(), _one_step(-100.0))
    rise_pct = (_far_end_voltage(-P_W) / U1_V - 1) * 100
    assert rise_pct == pytest.approx(2.53, abs=0.01)
    strict = check_result(res, Limits(voltage_rise_pct=2.0))
    rows = strict.violations
    assert list(rows["kind"]) == ["voltage_rise"]
    assert list(rows["element"]) == ["end"]
    assert float(rows["value"].iloc[0]) == pytest.approx(rise_pct, abs=1e-3)
    assert check_result(res, Limits()).summary["clean"]


def test_unknown_node_and_naive_index_are_input_errors() -> None:
    net = two_bus_net()
    with pytest.raises(InputDataError, match="not nodes of the network"):
        run_timeseries(net, _one_step(1.0).rename(columns={"end": "nowhere"}))
    naive = _one_step(1.0)
    naive.index = naive.index.tz_localize(None)
    with pytest.raises(InputDataError, match="tz-naive"):
        run_timeseries(net, naive)


def test_divergent_step_is_named() -> None:
    # 5 MW through 200 m of LV cable has no power-flow solution (voltage collapse)
    with pytest.raises(PowerFlowError, match="2025-06-01T10:00"):
        run_timeseries(two_bus_net(), _one_step(5000.0))


# ---------------------------------------------------------------------------------------
# SimBench: our time series against pandapower's runpp on the element-level profiles
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simbench_net() -> pp.pandapowerNet:
    return import_network(SIMBENCH_CODE)


def test_simbench_timeseries_equals_runpp(simbench_net: pp.pandapowerNet) -> None:
    p_kw, q_kvar = network_profiles_kw(simbench_net)
    assert len(p_kw) == 8784  # 2016 is a leap year
    res = run_timeseries(simbench_net, p_kw, q_kvar)
    assert res.method == "lightsim2grid"
    # reference: the original net with every load and sgen at its own hourly mean
    # profile value (mean of four quarter-hours), solved by pandapower's runpp
    ref = simbench.get_simbench_net(SIMBENCH_CODE)
    values = simbench.get_absolute_values(ref, profiles_instead_of_study_cases=True)
    total = values[("load", "p_mw")].sum(axis=1) - values[("sgen", "p_mw")].sum(axis=1)
    hours = sorted({int(total.idxmax()) // 4, int(total.idxmin()) // 4, 1000, 5000})
    names = dict(zip(ref.bus.index, ref.bus["name"], strict=True))
    for h in hours:
        rows = slice(4 * h, 4 * h + 4)
        ref.load["p_mw"] = values[("load", "p_mw")].iloc[rows].mean().to_numpy()
        ref.load["q_mvar"] = values[("load", "q_mvar")].iloc[rows].mean().to_numpy()
        ref.sgen["p_mw"] = values[("sgen", "p_mw")].iloc[rows].mean().to_numpy()
        pp.runpp(ref, lightsim2grid=False, numba=True)
        vm_ref = ref.res_bus["vm_pu"].rename(index=names)
        ours = res.vm_pu.iloc[h]
        assert np.abs(ours[vm_ref.index] - vm_ref).max() < 1e-6
        line_ref = ref.res_line["loading_percent"].to_numpy()
        assert np.abs(res.line_loading_pct.iloc[h].to_numpy() - line_ref).max() < 1e-4
        trafo_ref = float(ref.res_trafo["loading_percent"].iloc[0])
        assert float(res.trafo_loading_pct.iloc[h].iloc[0]) == pytest.approx(trafo_ref, abs=1e-4)
        loss_ref = (ref.res_line["pl_mw"].sum() + ref.res_trafo["pl_mw"].sum()) * 1000
        assert float(res.losses_kw.iloc[h]) == pytest.approx(loss_ref, abs=1e-4)


def test_pandapower_fallback_agrees_with_lightsim(simbench_net: pp.pandapowerNet) -> None:
    p_kw, q_kvar = network_profiles_kw(simbench_net)
    p_kw, q_kvar = p_kw.iloc[4000:4024], q_kvar.iloc[4000:4024]
    fast = run_timeseries(simbench_net, p_kw, q_kvar, method="lightsim2grid")
    loop = run_timeseries(simbench_net, p_kw, q_kvar, method="pandapower")
    assert np.abs(fast.vm_pu - loop.vm_pu).max().max() < 1e-6
    assert np.abs(fast.line_loading_pct - loop.line_loading_pct).max().max() < 1e-4
    assert np.abs(fast.p_ext_grid_kw - loop.p_ext_grid_kw).max() < 1e-3


def test_import_json_roundtrip_keeps_node_map(tmp_path, simbench_net) -> None:
    path = tmp_path / "net.json"
    pp.to_json(simbench_net, str(path))
    again = import_network(path)
    assert node_buses(again).equals(node_buses(simbench_net))
    with pytest.raises(InputDataError, match="SimBench code"):
        import_network("no-such-grid")


# ---------------------------------------------------------------------------------------
# Network from a district
# ---------------------------------------------------------------------------------------
def small_district() -> District:
    return district_from_dict(
        {
            "site": {"name": "Test", "latitude": 50.88, "longitude": 12.08},
            "grid": {"feeders": [{"id": "F1"}, {"id": "F2", "cable": "NAYY 4x120 SE"}]},
            "buildings": [
                {
                    "id": "A",
                    "kind": "single_family",
                    "annual_kwh": 4000,
                    "profile": "H0",
                    "feeder": "F1",
                    "distance_m": 50,
                },
                {
                    "id": "B",
                    "kind": "single_family",
                    "annual_kwh": 4000,
                    "profile": "H0",
                    "feeder": "F1",
                    "distance_m": 50,
                },
                {
                    "id": "C",
                    "kind": "school",
                    "annual_kwh": 40000,
                    "profile": "G1",
                    "feeder": "F1",
                    "distance_m": 120,
                },
                {
                    "id": "D",
                    "kind": "commercial",
                    "annual_kwh": 9000,
                    "profile": "G0",
                    "feeder": "F2",
                    "distance_m": 0,
                },
            ],
            "pv": [{"id": "PV-C", "building": "C", "kwp": 30}],
            "batteries": [
                {"id": "BAT", "at": "substation", "capacity_kwh": 100, "power_kw": 50},
                {"id": "BAT-A", "at": "A", "capacity_kwh": 10, "power_kw": 5},
            ],
            "lighting": [
                {
                    "id": "L1",
                    "road": "Weg",
                    "design_class": "M4",
                    "luminaires": 10,
                    "nominal_w": 50,
                    "feeder": "F1",
                    "distance_m": 80,
                }
            ],
        }
    )


def test_build_network_topology_by_hand() -> None:
    net = build_network(small_district())
    # buses: mv, lv busbar, F1 at 50/80/120 m (F2 has only a building at 0 m), A, B, C, D
    assert len(net.bus) == 9
    segments = net.line[net.line["name"].str.startswith("F1 ")]
    assert sorted(segments["length_km"] * 1000) == pytest.approx([30, 40, 50])
    services = net.line[net.line["name"].str.startswith("service")]
    assert len(services) == 4 and (services["length_km"] == 0.015).all()
    assert set(services["std_type"]) == {"NAYY 4x50 SE"}
    nodes = node_buses(net)
    names = net.bus["name"]
    assert names[nodes["light:L1"]] == "F1@80m"
    assert names[nodes["substation"]] == "lv busbar"
    assert names[net.sgen.set_index("name").at["PV-C", "bus"]] == "C"
    assert names[net.storage.set_index("name").at["BAT", "bus"]] == "lv busbar"
    assert names[net.storage.set_index("name").at["BAT-A", "bus"]] == "A"
    # D (0 m on F2) hangs on the busbar through its service cable
    d_line = net.line.set_index("name").loc["service D"]
    assert names[d_line["from_bus"]] == "lv busbar"
    assert net.trafo["std_type"].iloc[0] == "0.63 MVA 20/0.4 kV"


def _reference_net(service_m: float) -> pp.pandapowerNet:
    """small_district() built element by element (pandapower's one-row creators).

    Bus positions, lengths and powers by hand: F1 (bearing 0, due north) has buses at
    50, 80 and 120 m (A and B at 50 m, the light at 80 m, C at 120 m); F2 (bearing 180
    degrees, due south) only has D at 0 m, i.e. at the busbar. With service cables, the
    k-th building of a feeder sits 15 m to the right (k even) or left (k odd) of its
    feeder bus. Loads: annual mean [MW] = annual_kwh / 8760 / 1000; light 10 x 50 W.
    Schematic coordinates: 111 195 m per degree latitude, times cos(latitude) east.
    """
    lat0, lon0 = 50.88, 12.08

    def point(lon: float, lat: float) -> str:
        return json.dumps({"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]})

    def geo(east_m: float, north_m: float) -> str:
        lon = lon0 + east_m / (111_195.0 * math.cos(math.radians(lat0)))
        return point(lon, lat0 + north_m / 111_195.0)

    district = small_district()
    net = pp.create_empty_network(name="Test (energy.models.grid)")
    mv = pp.create_bus(net, 20.0, name="mv", geo=point(lon0 - 2e-4, lat0))  # 2e-4 degrees west
    pp.create_ext_grid(net, mv, vm_pu=1.0, name="upstream grid")
    lv = pp.create_bus(net, 0.4, name="lv busbar", geo=geo(0, 0))
    pp.create_transformer(net, mv, lv, std_type="0.63 MVA 20/0.4 kV", name="transformer")
    net.bus["feeder"] = ""
    net.bus["distance_m"] = 0.0
    f1 = {}
    for d_m, prev_m in ((50, 0), (80, 50), (120, 80)):
        f1[d_m] = pp.create_bus(
            net, 0.4, name=f"F1@{d_m}m", geo=geo(0, d_m), feeder="F1", distance_m=d_m
        )
        pp.create_line(
            net,
            f1.get(prev_m, lv),
            f1[d_m],
            (d_m - prev_m) / 1000,
            "NAYY 4x150 SE",
            name=f"F1 {prev_m}-{d_m}m",
            feeder="F1",
            distance_m=d_m,
        )
    at = {"A": f1[50], "B": f1[50], "C": f1[120], "D": lv}
    if service_m:
        for bid, feeder, east, north, d_m in (
            ("A", "F1", 15, 50, 50),
            ("B", "F1", -15, 50, 50),
            ("C", "F1", 15, 120, 120),
            ("D", "F2", -15, 0, 0),
        ):
            bus = pp.create_bus(
                net, 0.4, name=bid, geo=geo(east, north), feeder=feeder, distance_m=d_m
            )
            cable = "NAYY 4x50 SE"
            pp.create_line(
                net,
                at[bid],
                bus,
                0.015,
                cable,
                name=f"service {bid}",
                feeder=feeder,
                distance_m=d_m,
            )
            at[bid] = bus
    for bid, kwh in (("A", 4000), ("B", 4000), ("C", 40000)):
        pp.create_load(net, at[bid], p_mw=kwh / 8760 / 1000, name=bid)
    pp.create_load(net, f1[80], p_mw=10 * 50 / 1e6, name="light:L1")
    pp.create_load(net, at["D"], p_mw=9000 / 8760 / 1000, name="D")
    pac_mw = district.pv[0].pac_kw / 1000
    pp.create_sgen(net, at["C"], p_mw=pac_mw, sn_mva=pac_mw, name="PV-C", type="PV")
    pp.create_storage(net, lv, p_mw=0.0, max_e_mwh=0.1, sn_mva=0.05, name="BAT")
    pp.create_storage(net, at["A"], p_mw=0.0, max_e_mwh=0.01, sn_mva=0.005, name="BAT-A")
    nodes = {"substation": lv, "A": at["A"], "B": at["B"], "C": at["C"], "light:L1": f1[80]}
    set_node_buses(net, {**nodes, "D": at["D"]})
    return net


@pytest.mark.parametrize("service_m", [15.0, 0.0])
def test_build_network_equals_element_by_element_reference(service_m: float) -> None:
    # build_network creates each table in one vectorised call; the net must equal the
    # one pandapower's per-element creators give: same rows, order, values, dtypes and
    # columns. The one allowed difference: create_sgens (unlike create_sgen) writes
    # pandapower's default generator_type "current_source" into a column of its own.
    data = small_district().to_dict()
    data["grid"]["service_length_m"] = service_m
    net = build_network(district_from_dict(data))
    ref = _reference_net(service_m)
    assert net.name == ref.name
    assert net.std_types == ref.std_types
    assert (net.sgen["generator_type"] == "current_source").all()
    net.sgen = net.sgen.drop(columns="generator_type")
    tables = {k for k in ref if isinstance(ref[k], pd.DataFrame)}
    assert tables == {k for k in net if isinstance(net[k], pd.DataFrame)}
    for key in sorted(tables):
        pd.testing.assert_frame_equal(net[key], ref[key], check_exact=True, obj=key)
    assert len(net.bus) == (9 if service_m else 5)


def test_bad_cable_type_names_field() -> None:
    data = small_district().to_dict()
    data["grid"]["feeders"][0]["cable"] = "NAYY 4x999"
    with pytest.raises(InputDataError, match=r"grid.feeders\[0\].cable"):
        build_network(district_from_dict(data))


def test_feeder_flow_is_sum_of_downstream_nodes() -> None:
    # radial: the first F1 segment carries A + B + C + light + losses beyond it; the F2
    # service carries only D. Loads only, cos phi 1.
    net = build_network(small_district())
    index = pd.date_range("2025-01-01", periods=1, freq="1h", tz="UTC")
    p = pd.DataFrame(
        {"A": [20.0], "B": [10.0], "C": [30.0], "light:L1": [0.5], "D": [40.0]}, index=index
    )
    res = run_timeseries(net, p)
    # current of the 0-50 m segment at the busbar voltage: (60.5 kW + losses) / (sqrt3 U)
    vm0 = float(res.vm_pu["lv busbar"].iloc[0])
    i_ka = float(res.line_loading_pct["F1 0-50m"].iloc[0]) / 100 * 0.27
    s_kw = math.sqrt(3) * 0.4 * vm0 * i_ka * 1000
    assert s_kw == pytest.approx(60.5, rel=0.02)


# ---------------------------------------------------------------------------------------
# The Gera district: planted overload, violations, hosting capacity, GeoJSON
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


@pytest.fixture(scope="module")
def june_days(gera: District) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    index = make_index("2025-06-10", 3, "1h", gera.site.timezone)
    return index, weather_for_index(index, gera.site, "clearsky")


def planted(gera: District) -> District:
    """1 MWp of PV on one building at 60 m on feeder F1, no PV curtailable.

    The checked schedule is baseline B0, which curtails surplus above the export
    bound where PV is curtailable; with none curtailable the whole surplus reaches
    the transformer, as without feed-in management.
    """
    extra = PVSystem(id="PLANTED", building="MF01", kwp=1000.0, curtailable=False)
    fixed = [p.model_copy(update={"curtailable": False}) for p in gera.pv]
    return gera.model_copy(update={"pv": [*fixed, extra]})


def test_planted_overload_is_found_and_named(gera, june_days) -> None:
    index, weather = june_days
    district = planted(gera)
    checked = check_schedule(district, district_b0_node_p_kw(district, index, weather))
    found = checked.violations
    assert not checked.summary["clean"]
    overloads = set(found.loc[found["kind"] == "line_overload", "element"])
    assert {"F1 0-60m", "service MF01"} <= overloads
    # nothing on the other feeders is overloaded
    assert not any(name.startswith(("F2", "F3", "F4", "F5", "F6")) for name in overloads)
    assert "transformer" in set(found.loc[found["kind"] == "trafo_overload", "element"])
    assert "MF01" in set(found.loc[found["kind"] == "voltage_rise", "element"])
    # midday only: every violation lies between 07:00 and 18:00 local time
    hours = found["time_local"].dt.hour
    assert hours.between(7, 18).all()
    assert checked.summary["hours_in_violation"] == found["time_utc"].nunique()
    # the unplanted district is clean on the same days
    clean = check_schedule(gera, district_b0_node_p_kw(gera, index, weather))
    assert clean.summary["clean"], clean.violations.head()


def test_violation_table_by_hand() -> None:
    # a hand-made result: 2 steps, 2 buses, 1 line
    index = pd.date_range("2025-03-30 00:00", periods=2, freq="1h", tz="UTC")
    from energy.models.grid.powerflow import GridTimeSeriesResult

    res = GridTimeSeriesResult(
        vm_pu=pd.DataFrame({"a": [1.0, 0.85], "b": [1.12, 1.0]}, index=index),
        line_loading_pct=pd.DataFrame({"l": [50.0, 120.0]}, index=index),
        trafo_loading_pct=pd.DataFrame({"t": [10.0, 10.0]}, index=index),
        losses_kw=pd.Series([1.0, 3.0], index=index),
        p_ext_grid_kw=pd.Series([10.0, -5.0], index=index),
        vm_noload_pu=pd.Series({"a": 1.0, "b": 1.0}),
        bus_vn_kv=pd.Series({"a": 0.4, "b": 0.4}),
        method="hand",
        elapsed_s=0.0,
    )
    checked = check_result(res, Limits(), tz="Europe/Berlin")
    v = checked.violations
    # step 0: b overvoltage 1.12 and rise 12 %; step 1: a undervoltage, line at 120 %
    assert list(zip(v["element"], v["kind"], strict=True)) == [
        ("b", "overvoltage"),
        ("b", "voltage_rise"),
        ("a", "undervoltage"),
        ("l", "line_overload"),
    ]
    assert v["time_local"].iloc[0].isoformat() == "2025-03-30T01:00:00+01:00"
    assert v["time_local"].iloc[2].isoformat() == "2025-03-30T03:00:00+02:00"  # DST day
    s = checked.summary
    assert s["hours_in_violation"] == 2.0 and s["violations"] == 4
    assert s["losses_kwh"] == 4.0 and s["import_kwh"] == 10.0 and s["export_kwh"] == 5.0
    assert s["v_min_pu"] == 0.85 and s["v_min_bus"] == "a"


def test_hosting_capacity_two_bus_by_hand() -> None:
    # PV at "end" of the two-bus net, limits: 3 % rise binds first. Generation g [W]
    # gives U2 = sqrt(U1^2 - (X g / U2)^2) + R g / U2; 3 % rise <=> U2 = 412 V:
    # g = (412 - sqrt(400^2 - (X g / 412)^2)) * 412 / R, fixed point -> 119.1 kW
    # (check: R g / 412 = 12.03 V, sqrt(400^2 - 4.63^2) = 399.97 V, sum 412.0 V).
    g = 100e3
    for _ in range(50):
        g = (412.0 - math.sqrt(U1_V**2 - (X_OHM * g / 412.0) ** 2)) * 412.0 / R_OHM
    assert g == pytest.approx(119.1e3, rel=1e-3)
    index = pd.date_range("2025-06-01", periods=4, freq="1h", tz="UTC")
    base = pd.DataFrame({"end": [0.0, 0.0, 0.0, 0.0]}, index=index)
    pv = pd.Series([0.2, 0.5, 1.0, 0.7], index=index)  # 1 kW per kWp at the peak
    hc = hosting_capacity(two_bus_net(), base, pv, candidates=["end"], n_critical=4, tol_kwp=0.1)
    row = hc.per_node.loc["end"]
    assert row["hosting_kwp"] == pytest.approx(g / 1000, abs=0.2)
    assert row["limited_by"] == "voltage_rise end"
    assert hc.district_total_kwp == pytest.approx(g / 1000, abs=0.3)


def test_geojson_has_every_element_and_results(gera, june_days) -> None:
    index, weather = june_days
    net = build_network(gera)
    res = run_timeseries(net, district_b0_node_p_kw(gera, index, weather))
    doc = json.loads(json.dumps(to_geojson(net, res)))
    kinds = pd.Series([f["properties"]["element_type"] for f in doc["features"]])
    assert (kinds == "bus").sum() == len(net.bus)
    assert (kinds == "line").sum() == len(net.line)
    assert (kinds == "trafo").sum() == 1
    assert doc["metadata"]["licence"] == "CC-BY-4.0"
    bus = next(f for f in doc["features"] if f["properties"]["name"] == "MF05")
    assert bus["properties"]["vm_min_pu"] == pytest.approx(res.vm_pu["MF05"].min(), abs=1e-6)
    _lon, lat = bus["geometry"]["coordinates"]
    # MF05 is 340 m out on F1 (bearing 0 = north) plus 15 m sideways
    assert (lat - 50.88) * 111_195 == pytest.approx(340, abs=1)


def test_geojson_generates_layout_by_cable_distance(simbench_net) -> None:
    net = pp.from_json_string(pp.to_json(simbench_net))
    net.bus["geo"] = None
    doc = to_geojson(net)
    assert doc["metadata"]["generated_coordinates"]
    assert doc["metadata"]["licence"] == "ODbL-1.0"
    coords = {
        f["properties"]["index"]: f["geometry"]["coordinates"]
        for f in doc["features"]
        if f["properties"]["element_type"] == "bus"
    }
    # every bus is drawn at its cable distance from the external grid (pandapower's own
    # topology search), plus 10 m for the transformer, which has no length
    root = int(net.ext_grid["bus"].iloc[0])
    dist_km = pp.topology.calc_distance_to_bus(net, root)
    x0, y0 = coords[root]
    for bus, km in dist_km.items():
        x, y = coords[int(bus)]
        drawn_m = math.hypot((x - x0) * 111_195 * math.cos(math.radians(50.88)), (y - y0) * 111_195)
        expected_m = km * 1000 + (10.0 if bus != root else 0.0)
        assert drawn_m == pytest.approx(expected_m, abs=0.05)


def test_map_to_district_places_every_node(simbench_net, gera) -> None:
    net = map_to_district(simbench_net, gera)
    nodes = node_buses(net)
    assert set(nodes.index) == (
        {b.id for b in gera.buildings} | {"substation"} | {f"light:{g.id}" for g in gera.lighting}
    )
    assert nodes["substation"] == int(simbench_net.trafo["lv_bus"].iloc[0])
    # the original is untouched
    assert "MF01" not in node_buses(simbench_net).index


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test app."""

    return app


def test_cli_check_json_and_violations(cli, tmp_path, gera, june_days) -> None:
    index, weather = june_days
    district = planted(gera)
    nodes = district_b0_node_p_kw(district, index, weather)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    nodes.to_csv(run_dir / "node_p_kw.csv", index_label="time_utc")
    result = CliRunner().invoke(
        cli, ["grid", "check", str(GERA_DISTRICT_FILE), "--schedule", str(run_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"]["steps"] == 72 and not data["summary"]["clean"]
    assert {"F1 0-60m", "service MF01"} <= {v["element"] for v in data["violations"]}


def test_cli_geojson_and_errors(cli, tmp_path) -> None:
    out = tmp_path / "grid.geojson"
    runner = CliRunner()
    result = runner.invoke(cli, ["grid", "geojson", str(GERA_DISTRICT_FILE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
    bad = runner.invoke(
        cli, ["grid", "check", str(GERA_DISTRICT_FILE), "--schedule", str(tmp_path)]
    )
    assert bad.exit_code == 1
    assert "node_p_kw" in bad.output


def test_results_do_not_change_with_resolution() -> None:
    # an hourly-constant schedule at 1 h and at 15 min: same extremes, same energies,
    # same hours in violation (120 kW fed in breaks the 3 % rise: 2.53 % at 100 kW)
    hourly = pd.date_range("2025-03-30 00:00", periods=3, freq="1h", tz="UTC")
    p_h = pd.DataFrame({"end": [50.0, -120.0, 10.0]}, index=hourly)
    p_q = p_h.reindex(pd.date_range(hourly[0], periods=12, freq="15min", tz="UTC"), method="ffill")
    net = two_bus_net()
    s_h = check_result(run_timeseries(net, p_h)).summary
    s_q = check_result(run_timeseries(net, p_q)).summary
    for key in (
        "v_min_pu",
        "v_max_pu",
        "max_line_loading_pct",
        "losses_kwh",
        "import_kwh",
        "export_kwh",
        "hours_in_violation",
    ):
        assert s_q[key] == pytest.approx(s_h[key], rel=1e-9), key
    assert s_h["hours_in_violation"] == 1.0 and s_q["violating_steps"] == 4


def test_cli_hosting_capacity_json(cli) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "grid",
            "hosting-capacity",
            str(GERA_DISTRICT_FILE),
            "--start",
            "2025-06-01",
            "--days",
            "3",
            "--weather",
            "clearsky",
            "--critical-steps",
            "8",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    nodes = {n["node_id"]: n for n in data["nodes"]}
    assert len(nodes) == 47
    # the far end of a feeder hosts less than a building at the busbar end
    assert nodes["MF05"]["hosting_kwp"] < nodes["MF01"]["hosting_kwp"]
    assert 0 < data["district_total_kwp"] <= sum(n["hosting_kwp"] for n in nodes.values())
