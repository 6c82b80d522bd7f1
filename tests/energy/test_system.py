"""The system description: node powers and curtailment splits, each worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from energy.district import Battery
from energy.system import DispatchInputs, node_injections_kw, schedule_frame, split_curtailment
from tests.energy.optimisation.conftest import lighting


def _inputs() -> DispatchInputs:
    index = pd.date_range("2025-06-01 10:00", periods=2, freq="1h", tz="UTC")
    return DispatchInputs(
        index=index,
        load_kw=pd.DataFrame({"H1": [1.0, 2.0], "H2": [3.0, 0.5]}, index=index),
        pv_kw=pd.DataFrame({"P1": [6.0, 0.0], "P2": [2.0, 1.0], "P3": [5.0, 5.0]}, index=index),
        pv_node={"P1": "H1", "P2": "H2", "P3": "H2"},
        pv_curtailable={"P3": False},
        import_price_eur_per_kwh=0.3,
        feed_in_eur_per_kwh=0.08,
        co2_g_per_kwh=400.0,
        import_limit_kw=100.0,
        export_limit_kw=100.0,
        batteries=(Battery(id="B", at="H1", capacity_kwh=10, power_kw=5),),
    )


def test_split_curtailment_in_proportion_to_curtailable_pv() -> None:
    # curtailable: P1 at H1 (6, 0), P2 at H2 (2, 1); P3 is not curtailable.
    # 4 kW curtailed in step 1 -> H1 3 kW (6/8), H2 1 kW (2/8); 0.5 kW in step 2 -> H2 only.
    split = split_curtailment(_inputs(), np.array([4.0, 0.5]))
    assert split["H1"].tolist() == pytest.approx([3.0, 0.0])
    assert split["H2"].tolist() == pytest.approx([1.0, 0.5])


def test_node_injections_by_hand() -> None:
    inputs = _inputs()
    s = pd.DataFrame(
        {
            "p_charge_kw:B": [2.0, 0.0],
            "p_discharge_kw:B": [0.0, 1.0],
            "pv_curtailed_kw:H1": [1.0, 0.0],
            "pv_curtailed_kw:H2": [0.0, 0.0],
        },
        index=inputs.index,
    )
    p = node_injections_kw(inputs, s)
    # H1: load 1 + charge 2 - PV 6 + curtailed 1 = -2; then 2 - 1 - 0 = 1
    assert p["H1"].tolist() == pytest.approx([-2.0, 1.0])
    # H2: 3 - 7 = -4; 0.5 - 6 = -5.5
    assert p["H2"].tolist() == pytest.approx([-4.0, -5.5])
    assert p["substation"].tolist() == pytest.approx([0.0, 0.0])


def test_lighting_node_carries_the_group_power_and_nodes_sum_to_the_exchange() -> None:
    # One group G1 (a 0.1 kW + b 0.9 kW x level, standby 0.01 kW): dark in step 1 at
    # level 0.5 -> 0.1 + 0.9 x 0.5 = 0.55 kW; light in step 2 -> standby 0.01 kW.
    base = _inputs()
    light = lighting(base.index, dark=[1.0, 0.0], min_level=[0.5, 0.0])
    inputs = DispatchInputs(
        **{f: getattr(base, f) for f in ("index", "load_kw", "pv_kw", "pv_node")},
        pv_curtailable=base.pv_curtailable,
        import_price_eur_per_kwh=0.3,
        feed_in_eur_per_kwh=0.08,
        co2_g_per_kwh=400.0,
        import_limit_kw=100.0,
        export_limit_kw=100.0,
        lighting=light,
    )
    level = np.array([[0.5, 0.0]])
    # balance by hand: loads 4, 2.5; PV 13, 6; lighting 0.55, 0.01 -> net -8.45, -3.49 kW
    schedule = schedule_frame(
        inputs,
        p_import_kw=np.array([0.0, 0.0]),
        p_export_kw=np.array([8.45, 3.49]),
        p_charge_kw=np.zeros((0, 2)),
        p_discharge_kw=np.zeros((0, 2)),
        soc_end_kwh=np.zeros((0, 2)),
        curtailed_kw_by_node={},
        level=level,
    )
    p = node_injections_kw(inputs, schedule)
    assert list(p.columns) == ["H1", "H2", "substation", "light:G1"]
    assert p["light:G1"].tolist() == pytest.approx([0.55, 0.01])
    assert p.sum(axis=1).tolist() == pytest.approx([-8.45, -3.49])
